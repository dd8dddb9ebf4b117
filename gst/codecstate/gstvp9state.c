/* gst-v4l2-elastic
 *
 * VP9 codec state.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstvp9state.h"
#include "gstcodeclimits.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_v4l2_elastic_vp9_state_debug);
#define GST_CAT_DEFAULT gst_v4l2_elastic_vp9_state_debug

/**
 * gst_v4l2_elastic_vp9_split_superframe:
 *
 * Splits a packet into its frames (Annex B): a superframe ends with an
 * index whose first and last bytes are the same marker
 * 0b110mmfff (frame count fff + 1, mm + 1 bytes per little-endian size).
 * A packet without a valid index is one frame.
 *
 * Returns: FALSE when the index is there but its sizes do not fit the
 * packet.
 */
gboolean
gst_v4l2_elastic_vp9_split_superframe (
    const guint8 *data, gsize size, GstV4l2ElasticVp9Frames *frames)
{
  guint8 marker;
  guint n, bytes, i, b;
  gsize index_size, pos, offset = 0;

  memset (frames, 0, sizeof (*frames));
  if (size == 0)
    return FALSE;
  marker = data[size - 1];
  if ((marker & 0xe0) != 0xc0)
    goto single;
  n = (marker & 0x7) + 1;
  bytes = ((marker >> 3) & 0x3) + 1;
  index_size = 2 + (gsize) bytes * n;
  if (size < index_size || data[size - index_size] != marker)
    goto single;

  pos = size - index_size + 1;
  for (i = 0; i < n; i++) {
    gsize fsize = 0;

    for (b = 0; b < bytes; b++)
      fsize |= (gsize) data[pos++] << (8 * b);
    if (fsize > size - index_size - offset)
      return FALSE;
    frames->offset[frames->n_frames] = offset;
    frames->size[frames->n_frames] = fsize;
    /* A zero-size entry carries nothing to decode. */
    if (fsize > 0)
      frames->n_frames++;
    offset += fsize;
  }
  return frames->n_frames > 0;

single:
  frames->n_frames = 1;
  frames->offset[0] = 0;
  frames->size[0] = size;
  return TRUE;
}

/* No uncompressed header is longer than this (all of its fields, every
 * optional one present, take about 600 bits), and GstVp9Parser 1.22
 * reads at most 7 bytes behind the end of a frame that ends inside its
 * header: a frame shorter than SHORT_FRAME is parsed from a zero-padded
 * copy, a longer one where it is. */
#define SHORT_FRAME 256
#define SHORT_FRAME_PADDING 64

/**
 * gst_v4l2_elastic_vp9_parse_frame_header:
 *
 * gst_vp9_parser_parse_frame_header() on one frame (not a superframe),
 * never reading outside @data.  GstVp9Parser 1.22 reads up to 7 bytes
 * past the end of a frame that ends inside its uncompressed header
 * (found by tests/fuzz/fuzz-vp9: a 33-byte key frame; the bytes behind a
 * mapped GstBuffer may be unmapped memory).
 */
GstVp9ParserResult
gst_v4l2_elastic_vp9_parse_frame_header (
    GstVp9Parser *parser, GstVp9FrameHdr *hdr, const guint8 *data, gsize size)
{
  guint8 copy[SHORT_FRAME + SHORT_FRAME_PADDING];

  if (size >= SHORT_FRAME)
    return gst_vp9_parser_parse_frame_header (parser, hdr, data, size);
  memset (copy, 0, sizeof (copy));
  if (size > 0)
    memcpy (copy, data, size);
  return gst_vp9_parser_parse_frame_header (parser, hdr, copy, size);
}

/* setup_past_independence (7.2): loop filter deltas back to their
 * defaults, segmentation features cleared. */
static void
persistent_defaults (GstV4l2ElasticVp9Persistent *p)
{
  static const gint8 ref_deltas[4] = { 1, 0, -1, -1 };

  memset (p, 0, sizeof (*p));
  memcpy (p->ref_deltas, ref_deltas, sizeof (ref_deltas));
  memset (p->tree_probs, 255, sizeof (p->tree_probs));
  memset (p->pred_probs, 255, sizeof (p->pred_probs));
}

void
gst_v4l2_elastic_vp9_state_init (
    GstV4l2ElasticVp9State *state, GDestroyNotify picture_free)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (gst_v4l2_elastic_vp9_state_debug,
        "v4l2elastic-vp9state", 0, "VP9 codec state");
    g_once_init_leave (&once, 1);
  }
  memset (state, 0, sizeof (*state));
  state->picture_free = picture_free;
  persistent_defaults (&state->persistent);
}

void
gst_v4l2_elastic_vp9_state_reset (GstV4l2ElasticVp9State *state)
{
  guint i;

  for (i = 0; i < GST_V4L2_ELASTIC_VP9_STATE_SLOTS; i++)
    gst_v4l2_elastic_slot_picture_set (
        &state->slots[i], NULL, state->picture_free);
  state->have_sequence = FALSE;
  state->width = state->height = 0;
  persistent_defaults (&state->persistent);
}

/* The frame's updates on top of what persists. */
static void
apply_updates (const GstVp9FrameHdr *hdr, GstV4l2ElasticVp9Persistent *p)
{
  const GstVp9LoopFilter *lf = &hdr->loopfilter;
  const GstVp9SegmentationInfo *seg = &hdr->segmentation;
  guint i;

  if (lf->mode_ref_delta_enabled && lf->mode_ref_delta_update) {
    for (i = 0; i < 4; i++)
      if (lf->update_ref_deltas[i])
        p->ref_deltas[i] = lf->ref_deltas[i];
    for (i = 0; i < 2; i++)
      if (lf->update_mode_deltas[i])
        p->mode_deltas[i] = lf->mode_deltas[i];
  }

  if (!seg->enabled)
    return;
  if (seg->update_map) {
    for (i = 0; i < 7; i++)
      p->tree_probs[i] = seg->update_tree_probs[i] ? seg->tree_probs[i] : 255;
    for (i = 0; i < 3; i++)
      p->pred_probs[i] = seg->temporal_update && seg->update_pred_probs[i]
          ? seg->pred_probs[i]
          : 255;
  }
  if (seg->update_data) {
    /* segmentation_update_data clears every feature first (6.2.11). */
    p->abs_delta = seg->abs_delta != 0;
    memset (p->feature_enabled, 0, sizeof (p->feature_enabled));
    memset (p->feature_data, 0, sizeof (p->feature_data));
    for (i = 0; i < 8; i++) {
      const GstVp9SegmentationInfoData *d = &seg->data[i];

      if (d->alternate_quantizer_enabled) {
        p->feature_enabled[i] |= 1 << GST_V4L2_ELASTIC_VP9_SEG_FEATURE_ALT_Q;
        p->feature_data[i][GST_V4L2_ELASTIC_VP9_SEG_FEATURE_ALT_Q] =
            d->alternate_quantizer;
      }
      if (d->alternate_loop_filter_enabled) {
        p->feature_enabled[i] |= 1 << GST_V4L2_ELASTIC_VP9_SEG_FEATURE_ALT_L;
        p->feature_data[i][GST_V4L2_ELASTIC_VP9_SEG_FEATURE_ALT_L] =
            d->alternate_loop_filter;
      }
      if (d->reference_frame_enabled) {
        p->feature_enabled[i] |= 1
            << GST_V4L2_ELASTIC_VP9_SEG_FEATURE_REF_FRAME;
        p->feature_data[i][GST_V4L2_ELASTIC_VP9_SEG_FEATURE_REF_FRAME] =
            d->reference_frame;
      }
      if (d->reference_skip)
        p->feature_enabled[i] |= 1 << GST_V4L2_ELASTIC_VP9_SEG_FEATURE_SKIP;
    }
  }
}

/* A frame may predict from a reference of another size within limits
 * (the conformance requirement of frame_size_with_refs, 7.2):
 * 2 * FrameWidth >= RefFrameWidth, FrameWidth <= 16 * RefFrameWidth,
 * and the same for heights. */
static gboolean
reference_scalable (
    const GstV4l2ElasticVp9StatePicture *ref, const GstVp9FrameHdr *hdr)
{
  return 2 * hdr->width >= ref->width && 2 * hdr->height >= ref->height &&
      hdr->width <= 16 * ref->width && hdr->height <= 16 * ref->height;
}

/**
 * gst_v4l2_elastic_vp9_state_begin_frame:
 * @hdr: one frame's uncompressed header (not a superframe)
 * @bit_depth, @subsampling_x, @subsampling_y: the stream's, as GstVp9Parser
 *   keeps them (they are coded on key and some intra-only frames only)
 */
GstV4l2ElasticVp9Decision
gst_v4l2_elastic_vp9_state_begin_frame (GstV4l2ElasticVp9State *state,
    const GstVp9FrameHdr *hdr, guint bit_depth, gint subsampling_x,
    gint subsampling_y, GstV4l2ElasticVp9FramePlan *plan)
{
  gboolean key = hdr->frame_type == GST_VP9_KEY_FRAME;
  guint i;

  memset (plan, 0, sizeof (*plan));

  if (hdr->show_existing_frame) {
    guint slot = hdr->frame_to_show & 7;

    if (!state->slots[slot]) {
      GST_DEBUG ("show_existing_frame of empty slot %u", slot);
      return GST_V4L2_ELASTIC_VP9_DROP;
    }
    plan->show_picture = state->slots[slot]->picture;
    plan->show_id = state->slots[slot]->id;
    plan->width = state->slots[slot]->width;
    plan->height = state->slots[slot]->height;
    return GST_V4L2_ELASTIC_VP9_SHOW_EXISTING;
  }

  /* VP9 codes sizes up to 65536 (gstcodeclimits.h).  The frame cannot
   * be decoded, and what it should have refreshed must not be predicted
   * from either. */
  if (hdr->width == 0 || hdr->height == 0 ||
      hdr->width > GST_V4L2_ELASTIC_MAX_DIMENSION ||
      hdr->height > GST_V4L2_ELASTIC_MAX_DIMENSION) {
    GST_WARNING ("frame of size %ux%u: dropped, waiting for a key frame",
        hdr->width, hdr->height);
    gst_v4l2_elastic_vp9_state_reset (state);
    return GST_V4L2_ELASTIC_VP9_DROP;
  }

  plan->intra = key || hdr->intra_only;
  plan->width = hdr->width;
  plan->height = hdr->height;

  if (key) {
    plan->new_sequence = !state->have_sequence || state->width != hdr->width ||
        state->height != hdr->height || state->bit_depth != bit_depth ||
        state->subsampling_x != subsampling_x ||
        state->subsampling_y != subsampling_y;
    plan->refresh_frame_flags = 0xff;
  } else {
    if (!state->have_sequence) {
      GST_DEBUG ("%s frame before any key frame",
          hdr->intra_only ? "intra-only" : "inter");
      return GST_V4L2_ELASTIC_VP9_DROP;
    }
    if (hdr->width != state->width || hdr->height != state->height) {
      GST_DEBUG ("%s frame changes the size from %ux%u to %ux%u",
          hdr->intra_only ? "intra-only" : "inter", state->width, state->height,
          hdr->width, hdr->height);
      plan->new_sequence = TRUE;
      plan->resize = TRUE;
    }
    plan->refresh_frame_flags = hdr->refresh_frame_flags;
  }

  if (!plan->intra) {
    for (i = 0; i < GST_VP9_REFS_PER_FRAME; i++) {
      GstV4l2ElasticVp9StatePicture *ref =
          state->slots[hdr->ref_frame_indices[i] & 7];

      if (!ref) {
        GST_DEBUG (
            "reference %u names empty slot %d", i, hdr->ref_frame_indices[i]);
        return GST_V4L2_ELASTIC_VP9_DROP;
      }
      if (!reference_scalable (ref, hdr)) {
        GST_WARNING ("reference %u is %ux%u, out of scaling range for "
                     "%ux%u",
            i, ref->width, ref->height, hdr->width, hdr->height);
        return GST_V4L2_ELASTIC_VP9_DROP;
      }
      plan->ref_id[i] = ref->id;
    }
  }

  if (plan->intra || hdr->error_resilient_mode)
    persistent_defaults (&plan->persistent);
  else
    plan->persistent = state->persistent;
  apply_updates (hdr, &plan->persistent);
  state->pending = plan->persistent;
  if (key) {
    state->bit_depth = bit_depth;
    state->subsampling_x = subsampling_x;
    state->subsampling_y = subsampling_y;
  }
  return GST_V4L2_ELASTIC_VP9_DECODE;
}

/**
 * gst_v4l2_elastic_vp9_state_end_frame:
 * @picture: (transfer full): the decoded frame; freed at once when no slot
 *   takes it (refresh_frame_flags 0)
 *
 * Puts the frame in every slot refresh_frame_flags names (all eight for a
 * key frame) and keeps its loop filter deltas and segmentation for the
 * next frames.
 */
void
gst_v4l2_elastic_vp9_state_end_frame (GstV4l2ElasticVp9State *state,
    const GstVp9FrameHdr *hdr, gpointer picture, guint64 picture_id)
{
  GstV4l2ElasticVp9StatePicture *pic =
      gst_v4l2_elastic_slot_picture_new (picture, picture_id);
  guint flags = hdr->frame_type == GST_VP9_KEY_FRAME
      ? 0xff
      : (guint) hdr->refresh_frame_flags;
  guint i;

  pic->width = hdr->width;
  pic->height = hdr->height;
  for (i = 0; i < GST_V4L2_ELASTIC_VP9_STATE_SLOTS; i++)
    if (flags & (1u << i))
      gst_v4l2_elastic_slot_picture_set (
          &state->slots[i], pic, state->picture_free);
  gst_v4l2_elastic_slot_picture_unref (pic, state->picture_free);

  state->persistent = state->pending;
  if (hdr->frame_type == GST_VP9_KEY_FRAME)
    state->have_sequence = TRUE;
  /* The size of the frames that follow, whatever the frame type. */
  state->width = hdr->width;
  state->height = hdr->height;
}

gpointer
gst_v4l2_elastic_vp9_state_slot_picture (
    const GstV4l2ElasticVp9State *state, guint slot)
{
  return slot < GST_V4L2_ELASTIC_VP9_STATE_SLOTS && state->slots[slot]
      ? state->slots[slot]->picture
      : NULL;
}

guint64
gst_v4l2_elastic_vp9_state_slot_id (
    const GstV4l2ElasticVp9State *state, guint slot)
{
  return slot < GST_V4L2_ELASTIC_VP9_STATE_SLOTS && state->slots[slot]
      ? state->slots[slot]->id
      : 0;
}

/* How many pictures the slots keep alive (1 to 8). */
guint
gst_v4l2_elastic_vp9_state_distinct_pictures (
    const GstV4l2ElasticVp9State *state)
{
  return gst_v4l2_elastic_slot_picture_count_distinct (
      state->slots, GST_V4L2_ELASTIC_VP9_STATE_SLOTS);
}
