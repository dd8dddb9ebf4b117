/* gst-v4l2-elastic
 *
 * MPEG-2: the V4L2 stateless controls of one picture, from the codec
 * state's plan (the sequence in force, the picture header and coding
 * extension, the references and the matrices in force).  Pure functions.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstv4l2elasticmpeg2controls.h"

#include <string.h>

G_STATIC_ASSERT (sizeof (struct v4l2_ctrl_mpeg2_sequence) == 12);
G_STATIC_ASSERT (sizeof (struct v4l2_ctrl_mpeg2_picture) == 32);
G_STATIC_ASSERT (sizeof (struct v4l2_ctrl_mpeg2_quantisation) == 256);

void
gst_v4l2_elastic_mpeg2_fill_sequence (
    const GstV4l2ElasticMpeg2PicturePlan *plan,
    struct v4l2_ctrl_mpeg2_sequence *s)
{
  const GstV4l2ElasticMpeg2Sequence *seq = plan->sequence;

  memset (s, 0, sizeof (*s));
  s->horizontal_size = seq->width;
  s->vertical_size = seq->height;
  s->vbv_buffer_size = seq->vbv_buffer_size;
  s->profile_and_level_indication = seq->profile_and_level;
  s->chroma_format = seq->chroma_format;
  if (seq->progressive)
    s->flags |= V4L2_MPEG2_SEQ_FLAG_PROGRESSIVE;
}

void
gst_v4l2_elastic_mpeg2_fill_picture (const GstV4l2ElasticMpeg2PicturePlan *plan,
    struct v4l2_ctrl_mpeg2_picture *p)
{
  const GstMpegVideoPictureExt *ext = &plan->ext;

  memset (p, 0, sizeof (*p));
  p->backward_ref_ts = plan->backward_id;
  p->forward_ref_ts = plan->forward_id;
  if (ext->top_field_first)
    p->flags |= V4L2_MPEG2_PIC_FLAG_TOP_FIELD_FIRST;
  if (ext->frame_pred_frame_dct)
    p->flags |= V4L2_MPEG2_PIC_FLAG_FRAME_PRED_DCT;
  if (ext->concealment_motion_vectors)
    p->flags |= V4L2_MPEG2_PIC_FLAG_CONCEALMENT_MV;
  if (ext->q_scale_type)
    p->flags |= V4L2_MPEG2_PIC_FLAG_Q_SCALE_TYPE;
  if (ext->intra_vlc_format)
    p->flags |= V4L2_MPEG2_PIC_FLAG_INTRA_VLC;
  if (ext->alternate_scan)
    p->flags |= V4L2_MPEG2_PIC_FLAG_ALT_SCAN;
  if (ext->repeat_first_field)
    p->flags |= V4L2_MPEG2_PIC_FLAG_REPEAT_FIRST;
  if (ext->progressive_frame)
    p->flags |= V4L2_MPEG2_PIC_FLAG_PROGRESSIVE;
  /* MPEG-2 codes its motion ranges in the picture coding extension
   * (6.3.10); the picture header's are MPEG-1's. */
  memcpy (p->f_code, ext->f_code, sizeof (p->f_code));
  p->picture_coding_type = plan->hdr.pic_type;
  p->picture_structure = ext->picture_structure;
  p->intra_dc_precision = ext->intra_dc_precision;
}

void
gst_v4l2_elastic_mpeg2_fill_quantisation (
    const GstV4l2ElasticMpeg2PicturePlan *plan,
    struct v4l2_ctrl_mpeg2_quantisation *q)
{
  /* Both the plan and V4L2 keep the coded (zigzag) order. */
  memcpy (q->intra_quantiser_matrix, plan->intra_quantiser_matrix, 64);
  memcpy (q->non_intra_quantiser_matrix, plan->non_intra_quantiser_matrix, 64);
  memcpy (q->chroma_intra_quantiser_matrix, plan->chroma_intra_quantiser_matrix,
      64);
  memcpy (q->chroma_non_intra_quantiser_matrix,
      plan->chroma_non_intra_quantiser_matrix, 64);
}
