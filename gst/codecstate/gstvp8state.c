/* gst-v4l2-elastic
 *
 * VP8 codec state.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstvp8state.h"
#include "gstcodeclimits.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_v4l2_elastic_vp8_state_debug);
#define GST_CAT_DEFAULT gst_v4l2_elastic_vp8_state_debug

void
gst_v4l2_elastic_vp8_state_init (
    GstV4l2ElasticVp8State *state, GDestroyNotify picture_free)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (gst_v4l2_elastic_vp8_state_debug,
        "v4l2elastic-vp8state", 0, "VP8 codec state");
    g_once_init_leave (&once, 1);
  }
  memset (state, 0, sizeof (*state));
  state->picture_free = picture_free;
}

/* Forgets every reference (flush, teardown, lost data): the next frame
 * that decodes is a key frame. */
void
gst_v4l2_elastic_vp8_state_reset (GstV4l2ElasticVp8State *state)
{
  guint i;

  for (i = 0; i < GST_V4L2_ELASTIC_VP8_N_REFS; i++)
    gst_v4l2_elastic_slot_picture_set (
        &state->slots[i], NULL, state->picture_free);
  state->have_sequence = FALSE;
  state->width = state->height = 0;
}

GstV4l2ElasticVp8Decision
gst_v4l2_elastic_vp8_state_begin_frame (GstV4l2ElasticVp8State *state,
    const GstVp8FrameHdr *hdr, GstV4l2ElasticVp8FramePlan *plan)
{
  guint i;

  memset (plan, 0, sizeof (*plan));
  plan->key_frame = hdr->key_frame != 0;

  if (plan->key_frame) {
    /* The size is 14 bits: 0 is the one out of range
     * (gstcodeclimits.h).  Such a key frame cannot be decoded, and what
     * it should have refreshed must not be predicted from either. */
    if (hdr->width == 0 || hdr->height == 0 ||
        hdr->width > GST_V4L2_ELASTIC_MAX_DIMENSION ||
        hdr->height > GST_V4L2_ELASTIC_MAX_DIMENSION) {
      GST_WARNING ("key frame of size %ux%u: dropped, waiting for the next "
                   "key frame",
          hdr->width, hdr->height);
      gst_v4l2_elastic_vp8_state_reset (state);
      return GST_V4L2_ELASTIC_VP8_DROP;
    }
    /* Only key frames code the size: a new one starts a new sequence. */
    plan->new_sequence = !state->have_sequence || state->width != hdr->width ||
        state->height != hdr->height;
    plan->width = hdr->width;
    plan->height = hdr->height;
    return GST_V4L2_ELASTIC_VP8_DECODE;
  }

  if (!state->have_sequence || !state->slots[GST_V4L2_ELASTIC_VP8_REF_LAST]) {
    GST_DEBUG ("inter frame without a key frame before it");
    return GST_V4L2_ELASTIC_VP8_DROP;
  }
  plan->width = state->width;
  plan->height = state->height;
  for (i = 0; i < GST_V4L2_ELASTIC_VP8_N_REFS; i++)
    plan->ref_id[i] = state->slots[i] ? state->slots[i]->id : 0;
  /* Sign bias is coded on every inter frame (key frames reset it). */
  plan->sign_bias_golden = hdr->sign_bias_golden != 0;
  plan->sign_bias_altref = hdr->sign_bias_alternate != 0;
  return GST_V4L2_ELASTIC_VP8_DECODE;
}

/**
 * gst_v4l2_elastic_vp8_state_end_frame:
 * @picture: (transfer full): the decoded frame; freed at once when no slot
 *   takes it
 *
 * Applies the frame's slot updates.  A key frame fills all three slots.
 * An inter frame first copies between slots (copy_buffer_to_alternate
 * before copy_buffer_to_golden, as the reference decoder libvpx orders
 * them, so "altref to golden" after "golden to altref" leaves golden
 * unchanged), then puts the new frame where its refresh flags say.
 */
void
gst_v4l2_elastic_vp8_state_end_frame (GstV4l2ElasticVp8State *state,
    const GstVp8FrameHdr *hdr, gpointer picture, guint64 picture_id)
{
  GstV4l2ElasticVp8StatePicture *pic =
      gst_v4l2_elastic_slot_picture_new (picture, picture_id);
  guint i;

  /* pic's own reference is ours until the end of this function. */

  if (hdr->key_frame) {
    for (i = 0; i < GST_V4L2_ELASTIC_VP8_N_REFS; i++)
      gst_v4l2_elastic_slot_picture_set (
          &state->slots[i], pic, state->picture_free);
    state->have_sequence = TRUE;
    state->width = hdr->width;
    state->height = hdr->height;
  } else {
    if (!hdr->refresh_alternate_frame) {
      if (hdr->copy_buffer_to_alternate == 1)
        gst_v4l2_elastic_slot_picture_set (
            &state->slots[GST_V4L2_ELASTIC_VP8_REF_ALTREF],
            state->slots[GST_V4L2_ELASTIC_VP8_REF_LAST], state->picture_free);
      else if (hdr->copy_buffer_to_alternate == 2)
        gst_v4l2_elastic_slot_picture_set (
            &state->slots[GST_V4L2_ELASTIC_VP8_REF_ALTREF],
            state->slots[GST_V4L2_ELASTIC_VP8_REF_GOLDEN], state->picture_free);
    }
    if (!hdr->refresh_golden_frame) {
      if (hdr->copy_buffer_to_golden == 1)
        gst_v4l2_elastic_slot_picture_set (
            &state->slots[GST_V4L2_ELASTIC_VP8_REF_GOLDEN],
            state->slots[GST_V4L2_ELASTIC_VP8_REF_LAST], state->picture_free);
      else if (hdr->copy_buffer_to_golden == 2)
        gst_v4l2_elastic_slot_picture_set (
            &state->slots[GST_V4L2_ELASTIC_VP8_REF_GOLDEN],
            state->slots[GST_V4L2_ELASTIC_VP8_REF_ALTREF], state->picture_free);
    }
    if (hdr->refresh_alternate_frame)
      gst_v4l2_elastic_slot_picture_set (
          &state->slots[GST_V4L2_ELASTIC_VP8_REF_ALTREF], pic,
          state->picture_free);
    if (hdr->refresh_golden_frame)
      gst_v4l2_elastic_slot_picture_set (
          &state->slots[GST_V4L2_ELASTIC_VP8_REF_GOLDEN], pic,
          state->picture_free);
    if (hdr->refresh_last)
      gst_v4l2_elastic_slot_picture_set (
          &state->slots[GST_V4L2_ELASTIC_VP8_REF_LAST], pic,
          state->picture_free);
  }
  gst_v4l2_elastic_slot_picture_unref (pic, state->picture_free);
}

gpointer
gst_v4l2_elastic_vp8_state_slot_picture (
    const GstV4l2ElasticVp8State *state, GstV4l2ElasticVp8Ref ref)
{
  return state->slots[ref] ? state->slots[ref]->picture : NULL;
}

guint64
gst_v4l2_elastic_vp8_state_slot_id (
    const GstV4l2ElasticVp8State *state, GstV4l2ElasticVp8Ref ref)
{
  return state->slots[ref] ? state->slots[ref]->id : 0;
}

/* How many pictures the slots keep alive (1 to 3). */
guint
gst_v4l2_elastic_vp8_state_distinct_pictures (
    const GstV4l2ElasticVp8State *state)
{
  return gst_v4l2_elastic_slot_picture_count_distinct (
      state->slots, GST_V4L2_ELASTIC_VP8_N_REFS);
}

/**
 * gst_v4l2_elastic_vp8_frame_layout_valid:
 * @hdr: the frame's header as GstVp8Parser parsed it
 * @frame_size: the bytes of the frame (the buffer the driver gets)
 *
 * Whether the layout the V4L2 frame control describes lies inside the
 * frame (RFC 6386, 9.1 and 9.5): the frame tag (3 bytes; 10 on key
 * frames, with the start code and the size), the first partition, the
 * header bits the parser read inside that partition, the 3-byte sizes of
 * the DCT partitions but the last, and the DCT partitions.  GstVp8Parser
 * 1.22 reads a header longer than first_part_size declares without
 * complaint (the boolean decoder goes on into the bytes behind it):
 * V4L2_CID_STATELESS_VP8_FRAME would then send first_part_header_bits
 * beyond the first partition, and a driver would read past it.  A frame
 * for which this is FALSE is corrupt: drop it like one whose header does
 * not parse.
 */
gboolean
gst_v4l2_elastic_vp8_frame_layout_valid (
    const GstVp8FrameHdr *hdr, gsize frame_size)
{
  guint64 first = (hdr->key_frame ? 10 : 3) + (guint64) hdr->first_part_size;
  guint n = 1u << hdr->log2_nbr_of_dct_partitions;
  guint64 end = first + 3 * (guint64) (n - 1);
  guint i;

  if (hdr->log2_nbr_of_dct_partitions > 3 || first > frame_size ||
      hdr->header_size > 8 * (guint64) hdr->first_part_size) {
    GST_DEBUG ("first partition of %u bytes (header %u bits) does not fit "
               "a frame of %" G_GSIZE_FORMAT " bytes",
        hdr->first_part_size, hdr->header_size, frame_size);
    return FALSE;
  }
  for (i = 0; i < n; i++)
    end += hdr->partition_size[i];
  if (end > frame_size) {
    GST_DEBUG ("%u DCT partitions end at %" G_GUINT64_FORMAT
               " of %" G_GSIZE_FORMAT " bytes",
        n, end, frame_size);
    return FALSE;
  }
  return TRUE;
}
