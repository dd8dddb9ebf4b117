/* gst-v4l2-elastic
 *
 * What an H.265 SPS means for the decoder around it: the picture and
 * visible size, bit depth, DPB size and output delay, and whether a
 * stateless decoder can decode it at all.  No V4L2, no GstElement.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_H265_SEQUENCE_H__
#define __GST_H265_SEQUENCE_H__

#include <gst/gst.h>
#include <gst/codecparsers/gsth265parser.h>

G_BEGIN_DECLS

/* The largest DPB the spec allows, in pictures: sps_max_dec_pic_buffering
 * counts the current picture and is at most MaxDpbSize = 16 (A.4.2). */
#define GST_V4L2_ELASTIC_H265_DPB_MAX 16

/* What the CAPTURE pool and the caps depend on: a change of any of it is
 * a new sequence for the element. */
typedef struct
{
  guint width, height; /* pic_{width,height}_in_luma_samples */
  /* The conformance window (7.4.3.2.1), inside the coded size; the whole
   * picture without one. */
  guint visible_x, visible_y, visible_width, visible_height;
  guint bit_depth_luma, bit_depth_chroma; /* 8, or up to 10 (Main 10) */
  guint chroma_format_idc;                /* always 1 (4:2:0) */
  guint dpb_size; /* sps_max_dec_pic_buffering_minus1 + 1 at HighestTid:
                     pictures the DPB holds, the current one included */
  guint reorder;  /* sps_max_num_reorder_pics at HighestTid */
  guint max_latency_pictures; /* SpsMaxLatencyPictures; 0: no limit */
} GstV4l2ElasticH265Sequence;

const gchar *gst_v4l2_elastic_h265_sequence_check (
    const GstH265SPS *sps, gboolean *unsupported);
void gst_v4l2_elastic_h265_sequence_from_sps (
    GstV4l2ElasticH265Sequence *seq, const GstH265SPS *sps);
gboolean gst_v4l2_elastic_h265_sequence_equal (
    const GstV4l2ElasticH265Sequence *a, const GstV4l2ElasticH265Sequence *b);

G_END_DECLS

#endif /* __GST_H265_SEQUENCE_H__ */
