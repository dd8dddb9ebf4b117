/* gst-v4l2-elastic
 *
 * VP9 codec state: superframes (Annex B), the eight reference slots and
 * refresh_frame_flags, show_existing_frame, intra-only frames, and what
 * the uncompressed header codes only as updates: loop filter deltas and
 * segmentation features, which persist from frame to frame until a frame
 * resets them (setup_past_independence, 7.2).  No V4L2, no GstElement.
 *
 * GstVp9Parser (1.22) parses each frame's uncompressed header but reports
 * loop filter deltas and segmentation data only as the frame codes them;
 * this state keeps the values a decoder must use.
 *
 * Pictures are opaque caller pointers freed with the GDestroyNotify given
 * to gst_v4l2_elastic_vp9_state_init() once no slot names them any more; slots
 * can name the same picture (a key frame fills all eight).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_VP9_STATE_H__
#define __GST_VP9_STATE_H__

#include <gst/codecparsers/gstvp9parser.h>
#include <gst/gst.h>

#include "gstslotpicture.h"

G_BEGIN_DECLS

#define GST_V4L2_ELASTIC_VP9_STATE_SLOTS 8
/* What a VP9 frame may predict from: any of the eight slots. */
#define GST_V4L2_ELASTIC_VP9_STATE_REFERENCES 8

/* Segmentation feature indices (SEG_LVL_*, 6.2.11). */
#define GST_V4L2_ELASTIC_VP9_SEG_FEATURE_ALT_Q 0
#define GST_V4L2_ELASTIC_VP9_SEG_FEATURE_ALT_L 1
#define GST_V4L2_ELASTIC_VP9_SEG_FEATURE_REF_FRAME 2
#define GST_V4L2_ELASTIC_VP9_SEG_FEATURE_SKIP 3

/* The frames of one packet: a superframe's, or the packet itself. */
typedef struct
{
  guint n_frames;
  gsize offset[GST_VP9_MAX_FRAMES_IN_SUPERFRAME];
  gsize size[GST_VP9_MAX_FRAMES_IN_SUPERFRAME];
} GstV4l2ElasticVp9Frames;

gboolean gst_v4l2_elastic_vp9_split_superframe (
    const guint8 *data, gsize size, GstV4l2ElasticVp9Frames *frames);

GstVp9ParserResult gst_v4l2_elastic_vp9_parse_frame_header (
    GstVp9Parser *parser, GstVp9FrameHdr *hdr, const guint8 *data, gsize size);

/* A picture named by the reference slots (see gstslotpicture.h). */
typedef GstV4l2ElasticSlotPicture GstV4l2ElasticVp9StatePicture;

/* The loop filter deltas and segmentation a frame decodes with. */
typedef struct
{
  gint8 ref_deltas[4];
  gint8 mode_deltas[2];
  guint8 feature_enabled[8]; /* bit GST_VP9_SEG_FEATURE_* per segment */
  gint16 feature_data[8][4];
  guint8 tree_probs[7];
  guint8 pred_probs[3];
  gboolean abs_delta;
} GstV4l2ElasticVp9Persistent;

typedef enum
{
  GST_V4L2_ELASTIC_VP9_DECODE,
  GST_V4L2_ELASTIC_VP9_SHOW_EXISTING, /* output plan.show_picture again, decode
                                         nothing */
  GST_V4L2_ELASTIC_VP9_DROP,          /* nothing (valid) to predict from, or
                                         a size out of range (the state is
                                         reset) */
} GstV4l2ElasticVp9Decision;

typedef struct
{
  /* A key frame of a new size, depth or subsampling, or a non-key frame
   * of a new size (see resize). */
  gboolean new_sequence;
  /* A non-key frame changes the frame size: the pictures of the old size
   * stay in their slots and inter frames predict from them, scaled
   * (VP9 allows references from half to 16 times the frame size). */
  gboolean resize;
  gboolean intra; /* key frame or intra-only */
  guint width;
  guint height;
  /* Caller ids of the pictures LAST, GOLDEN and ALTREF name (inter). */
  guint64 ref_id[GST_VP9_REFS_PER_FRAME];
  guint8 refresh_frame_flags; /* 0xff on key frames */
  GstV4l2ElasticVp9Persistent persistent;
  gpointer
      show_picture; /* GST_V4L2_ELASTIC_VP9_SHOW_EXISTING: the slot's picture */
  guint64 show_id;
} GstV4l2ElasticVp9FramePlan;

typedef struct
{
  GstV4l2ElasticVp9StatePicture *slots[GST_V4L2_ELASTIC_VP9_STATE_SLOTS];
  GDestroyNotify picture_free;
  gboolean have_sequence;
  guint width;
  guint height;
  guint bit_depth;
  gint subsampling_x;
  gint subsampling_y;
  GstV4l2ElasticVp9Persistent persistent;
  /* Set by begin_frame, applied by end_frame. */
  GstV4l2ElasticVp9Persistent pending;
} GstV4l2ElasticVp9State;

void gst_v4l2_elastic_vp9_state_init (
    GstV4l2ElasticVp9State *state, GDestroyNotify picture_free);
void gst_v4l2_elastic_vp9_state_reset (GstV4l2ElasticVp9State *state);
GstV4l2ElasticVp9Decision gst_v4l2_elastic_vp9_state_begin_frame (
    GstV4l2ElasticVp9State *state, const GstVp9FrameHdr *hdr, guint bit_depth,
    gint subsampling_x, gint subsampling_y, GstV4l2ElasticVp9FramePlan *plan);
void gst_v4l2_elastic_vp9_state_end_frame (GstV4l2ElasticVp9State *state,
    const GstVp9FrameHdr *hdr, gpointer picture, guint64 picture_id);
gpointer gst_v4l2_elastic_vp9_state_slot_picture (
    const GstV4l2ElasticVp9State *state, guint slot);
guint64 gst_v4l2_elastic_vp9_state_slot_id (
    const GstV4l2ElasticVp9State *state, guint slot);
guint gst_v4l2_elastic_vp9_state_distinct_pictures (
    const GstV4l2ElasticVp9State *state);

G_END_DECLS

#endif /* __GST_VP9_STATE_H__ */
