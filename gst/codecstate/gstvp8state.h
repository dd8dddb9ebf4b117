/* gst-v4l2-elastic
 *
 * VP8 codec state: the three reference slots (last, golden, altref) and
 * the rules that refresh and copy them (RFC 6386, 9.7 and 9.8), on top of
 * the frame headers GstVp8Parser gives.  No V4L2, no GstElement.
 *
 * Pictures are opaque caller pointers, freed with the GDestroyNotify given
 * to gst_v4l2_elastic_vp8_state_init() once no slot names them any more.
 * Several slots can name one picture (a key frame fills all three): the state
 * counts slot references itself, so the caller hands over one reference per
 * decoded picture.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_VP8_STATE_H__
#define __GST_VP8_STATE_H__

#include <gst/codecparsers/gstvp8parser.h>
#include <gst/gst.h>

#include "gstslotpicture.h"

G_BEGIN_DECLS

typedef enum
{
  GST_V4L2_ELASTIC_VP8_REF_LAST = 0,
  GST_V4L2_ELASTIC_VP8_REF_GOLDEN = 1,
  GST_V4L2_ELASTIC_VP8_REF_ALTREF = 2,
  GST_V4L2_ELASTIC_VP8_N_REFS = 3,
} GstV4l2ElasticVp8Ref;

/* Slots hold this; shared between slots that name the same picture. */
/* A picture named by the reference slots (see gstslotpicture.h). */
typedef GstV4l2ElasticSlotPicture GstV4l2ElasticVp8StatePicture;

typedef struct
{
  gboolean new_sequence; /* first key frame, or a key frame of a new size */
  gboolean key_frame;
  guint width; /* of the sequence: inter frames do not code it */
  guint height;
  /* The caller's ids of the pictures in each slot (0 on key frames, which
   * predict from nothing). */
  guint64 ref_id[GST_V4L2_ELASTIC_VP8_N_REFS];
  gboolean sign_bias_golden;
  gboolean sign_bias_altref;
} GstV4l2ElasticVp8FramePlan;

typedef enum
{
  GST_V4L2_ELASTIC_VP8_DECODE,
  GST_V4L2_ELASTIC_VP8_DROP, /* inter frame before any key frame, or a
                                key frame of a size out of range (the
                                state is reset) */
} GstV4l2ElasticVp8Decision;

typedef struct
{
  GstV4l2ElasticVp8StatePicture *slots[GST_V4L2_ELASTIC_VP8_N_REFS];
  GDestroyNotify picture_free;
  gboolean have_sequence;
  guint width;
  guint height;
} GstV4l2ElasticVp8State;

/* What every VP8 frame may predict from: one picture per slot. */
#define GST_V4L2_ELASTIC_VP8_STATE_REFERENCES 3

void gst_v4l2_elastic_vp8_state_init (
    GstV4l2ElasticVp8State *state, GDestroyNotify picture_free);
void gst_v4l2_elastic_vp8_state_reset (GstV4l2ElasticVp8State *state);
GstV4l2ElasticVp8Decision gst_v4l2_elastic_vp8_state_begin_frame (
    GstV4l2ElasticVp8State *state, const GstVp8FrameHdr *hdr,
    GstV4l2ElasticVp8FramePlan *plan);
void gst_v4l2_elastic_vp8_state_end_frame (GstV4l2ElasticVp8State *state,
    const GstVp8FrameHdr *hdr, gpointer picture, guint64 picture_id);
gpointer gst_v4l2_elastic_vp8_state_slot_picture (
    const GstV4l2ElasticVp8State *state, GstV4l2ElasticVp8Ref ref);
guint64 gst_v4l2_elastic_vp8_state_slot_id (
    const GstV4l2ElasticVp8State *state, GstV4l2ElasticVp8Ref ref);
guint gst_v4l2_elastic_vp8_state_distinct_pictures (
    const GstV4l2ElasticVp8State *state);

gboolean gst_v4l2_elastic_vp8_frame_layout_valid (
    const GstVp8FrameHdr *hdr, gsize frame_size);

G_END_DECLS

#endif /* __GST_VP8_STATE_H__ */
