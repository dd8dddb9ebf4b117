/* gst-v4l2-elastic
 *
 * H.264 codec state: picture order count (8.2.1), frame_num gaps
 * (8.2.5.2), decoded reference picture marking (8.2.5) and output order by
 * the bumping process (C.4.5.3), on headers parsed by gstcodecparsers.
 * No V4L2, no GstElement.
 *
 * Use per picture (access unit):
 *
 *   decision = gst_v4l2_elastic_h264_state_begin_picture (state, nalu, slice,
 * plan, out); push out[] downstream (prior pictures flushed by an IDR, a new
 * sequence or frame_num gap filling); if decision == DECODE: decode with
 * plan->dpb, then gst_v4l2_elastic_h264_state_end_picture (state, picture, id,
 * out); push out[].
 *
 * begin_picture takes the first slice of the picture only: every slice of
 * one picture shares the fields the state reads (frame_num, POC syntax,
 * dec_ref_pic_marking, nal_ref_idc).  Frame pictures, including MBAFF
 * frames, are handled; field pictures (PAFF, field_pic_flag = 1) are
 * refused with GST_V4L2_ELASTIC_H264_ERROR rather than decoded wrong.
 *
 * Pictures: end_picture takes the caller's reference.  Each picture put in
 * an output array is a reference of the caller's own: @picture_ref is
 * called when the state still keeps the picture for prediction, otherwise
 * the state's reference is handed over.  With @picture_ref NULL, pictures
 * output while still references are lent, not given: use that only with
 * a NULL @picture_free.
 *
 * Output order follows C.4.5.3 with one deviation shared by common
 * decoders: on a new sequence, prior pictures are output unless the IDR's
 * no_output_of_prior_pics_flag is set (the spec lets a decoder infer it
 * when the size changes).  Pictures before the first IDR are dropped
 * (recovery point SEI is not used).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_H264_STATE_H__
#define __GST_H264_STATE_H__

#include <gst/gst.h>
#include <gst/codecparsers/gsth264parser.h>

G_BEGIN_DECLS

/* The largest DPB the spec allows, in frames (A.3.1). */
#define GST_V4L2_ELASTIC_H264_DPB_MAX_FRAMES 16

typedef enum
{
  GST_V4L2_ELASTIC_H264_DECODE,
  GST_V4L2_ELASTIC_H264_DROP,  /* skip this picture, the stream goes on (see
                                  reason) */
  GST_V4L2_ELASTIC_H264_ERROR, /* unsupported or broken (e.g. an SPS size
                                  beyond GST_V4L2_ELASTIC_MAX_DIMENSION):
                                  see plan->message */
} GstV4l2ElasticH264Decision;

typedef enum
{
  GST_V4L2_ELASTIC_H264_DROP_NONE,
  GST_V4L2_ELASTIC_H264_DROP_NO_IDR,    /* waiting for the first IDR after
                                           start/flush */
  GST_V4L2_ELASTIC_H264_DROP_REDUNDANT, /* redundant coded picture: the primary
                                           decoded */
} GstV4l2ElasticH264DropReason;

/* Flags of a DPB entry (the values are ours, not V4L2's). */
typedef enum
{
  GST_V4L2_ELASTIC_H264_DPB_VALID = 1 << 0,
  GST_V4L2_ELASTIC_H264_DPB_ACTIVE = 1 << 1,    /* used for reference */
  GST_V4L2_ELASTIC_H264_DPB_LONG_TERM = 1 << 2, /* long-term reference */
  GST_V4L2_ELASTIC_H264_DPB_REF_TOP = 1 << 3, /* top field used for reference */
  GST_V4L2_ELASTIC_H264_DPB_REF_BOTTOM = 1
      << 4, /* bottom field used for reference */
  GST_V4L2_ELASTIC_H264_DPB_NON_EXISTING = 1
      << 5, /* gap frame (8.2.5.2): no buffer */
} GstV4l2ElasticH264DpbFlags;

#define GST_V4L2_ELASTIC_H264_DPB_REF_FRAME                                    \
  (GST_V4L2_ELASTIC_H264_DPB_REF_TOP | GST_V4L2_ELASTIC_H264_DPB_REF_BOTTOM)

/* One reference picture as decoder hardware needs it. */
typedef struct
{
  guint64 id;                  /* the caller's id (0 for non-existing) */
  guint32 frame_num;           /* short-term: frame_num */
  gint32 frame_num_wrap;       /* short-term: FrameNumWrap = PicNum */
  guint32 long_term_frame_idx; /* long-term: LongTermFrameIdx = PicNum */
  gint32 top_field_order_cnt;
  gint32 bottom_field_order_cnt;
  guint flags; /* GstV4l2ElasticH264DpbFlags */
} GstV4l2ElasticH264DpbEntry;

/* What to do with the picture begin_picture was given. */
typedef struct
{
  /* Sequence: set on the first picture and whenever what the CAPTURE
   * pool depends on changes (size, bit depth, chroma, interlacing, DPB
   * size or reorder depth) or the visible rectangle. */
  gboolean new_sequence;
  guint width, height; /* coded size in pixels (whole macroblocks) */
  /* The visible rectangle after SPS frame cropping (7.4.2.1.1), inside
   * the coded size; the whole picture without cropping. */
  guint visible_x, visible_y, visible_width, visible_height;
  guint bit_depth_luma, bit_depth_chroma;
  guint chroma_format_idc;
  gboolean frame_mbs_only;
  guint dpb_size; /* frames the DPB holds: references the pool must keep */
  guint reorder;  /* output delay in pictures */

  /* This picture. */
  gboolean idr;
  gboolean reference; /* nal_ref_idc != 0 */
  gboolean mbaff;     /* MbaffFrameFlag */
  guint32 frame_num;
  gint32 top_field_order_cnt;
  gint32 bottom_field_order_cnt;
  gint32 pic_order_cnt; /* PicOrderCnt (frame): min of the two */
  guint n_gap_frames;   /* non-existing frames inserted before it */

  /* References available to this picture, before it is decoded. */
  GstV4l2ElasticH264DpbEntry dpb[GST_V4L2_ELASTIC_H264_DPB_MAX_FRAMES];
  guint n_dpb;

  GstV4l2ElasticH264DropReason drop_reason;
  const gchar *message; /* why GST_V4L2_ELASTIC_H264_ERROR (static string) */
  gboolean unsupported; /* GST_V4L2_ELASTIC_H264_ERROR: valid H.264 we do not
                           decode */
} GstV4l2ElasticH264PicturePlan;

typedef struct _GstH264State GstV4l2ElasticH264State;

GstV4l2ElasticH264State *gst_v4l2_elastic_h264_state_new (
    GBoxedCopyFunc picture_ref, GDestroyNotify picture_free);
void gst_v4l2_elastic_h264_state_free (GstV4l2ElasticH264State *state);
void gst_v4l2_elastic_h264_state_reset (GstV4l2ElasticH264State *state);

GstV4l2ElasticH264Decision gst_v4l2_elastic_h264_state_begin_picture (
    GstV4l2ElasticH264State *state, const GstH264NalUnit *nalu,
    const GstH264SliceHdr *slice, GstV4l2ElasticH264PicturePlan *plan,
    GPtrArray *output);
void gst_v4l2_elastic_h264_state_end_picture (GstV4l2ElasticH264State *state,
    gpointer picture, guint64 id, GPtrArray *output);
void gst_v4l2_elastic_h264_state_drain (
    GstV4l2ElasticH264State *state, GPtrArray *output);

guint gst_v4l2_elastic_h264_state_held (const GstV4l2ElasticH264State *state);

G_END_DECLS

#endif /* __GST_H264_STATE_H__ */
