/* gst-v4l2-elastic
 *
 * libFuzzer target: VP9 packets in IVF, each split into its frames
 * (superframes, Annex B), every frame through GstVp9Parser, the VP9 codec
 * state and the compressed header parser as v4l2elasticvp9dec handles
 * one input buffer, to the V4L2_CID_STATELESS_VP9_FRAME and
 * V4L2_CID_STATELESS_VP9_COMPRESSED_HDR the element would set.
 *
 * Invariants: the frames of a superframe lie inside the packet, one after
 * the other; a decoded frame has a size within the bound of
 * gstcodeclimits.h; show_existing_frame shows a live picture; intra
 * frames name no references, inter frames three live pictures within
 * VP9's scaling range; the compressed header lies inside the frame and
 * the boolean decoder used no more of it than it has; the header's modes
 * and the persistent segmentation data are within their syntax ranges;
 * the slots keep one to eight pictures; every picture is freed once the
 * state is.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fuzz-common.h"

#include <string.h>

#include <gst/codecparsers/gstvp9parser.h>

#include "gstvp9compressed.h"
#include "gstvp9state.h"
#include "gstv4l2elasticvp9controls.h"
#include "v4l2-compat.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_init ();
  return 0;
}

static void
check_persistent (const GstV4l2ElasticVp9Persistent *ps)
{
  guint i;

  for (i = 0; i < 8; i++) {
    const gint16 *d = ps->feature_data[i];

    FUZZ_CHECK (d[GST_V4L2_ELASTIC_VP9_SEG_FEATURE_ALT_Q] >= -255 &&
            d[GST_V4L2_ELASTIC_VP9_SEG_FEATURE_ALT_Q] <= 255,
        "segment %u ALT_Q %d", i, d[GST_V4L2_ELASTIC_VP9_SEG_FEATURE_ALT_Q]);
    FUZZ_CHECK (d[GST_V4L2_ELASTIC_VP9_SEG_FEATURE_ALT_L] >= -63 &&
            d[GST_V4L2_ELASTIC_VP9_SEG_FEATURE_ALT_L] <= 63,
        "segment %u ALT_L %d", i, d[GST_V4L2_ELASTIC_VP9_SEG_FEATURE_ALT_L]);
    FUZZ_CHECK (d[GST_V4L2_ELASTIC_VP9_SEG_FEATURE_REF_FRAME] >= 0 &&
            d[GST_V4L2_ELASTIC_VP9_SEG_FEATURE_REF_FRAME] <= 3,
        "segment %u REF_FRAME %d", i,
        d[GST_V4L2_ELASTIC_VP9_SEG_FEATURE_REF_FRAME]);
    FUZZ_CHECK (ps->feature_enabled[i] < 16, "segment %u features 0x%x", i,
        ps->feature_enabled[i]);
  }
}

/* One frame of a packet; FALSE when the element would drop the rest of
 * the packet. */
/* The size, depth and subsampling of the last decoded frame (what the
 * pool was set up for). */
typedef struct
{
  guint width, height, bit_depth;
  gint subsampling_x, subsampling_y;
} Sequence;

static Sequence last;

static gboolean
handle_frame (GstV4l2ElasticVp9State *state, GstVp9Parser *parser,
    const guint8 *frame, gsize frame_size)
{
  Sequence now;
  GstVp9FrameHdr hdr;
  GstV4l2ElasticVp9FramePlan plan;
  GstV4l2ElasticVp9CompressedHeader chdr;
  struct v4l2_ctrl_vp9_frame params;
  GstV4l2ElasticVp9Decision decision;
  FuzzPic *pic;
  guint i, n;

  frame = fuzz_guarded_copy (frame, frame_size);
  if (gst_v4l2_elastic_vp9_parse_frame_header (
          parser, &hdr, frame, frame_size) != GST_VP9_PARSER_OK) {
    gst_v4l2_elastic_vp9_state_reset (state);
    return FALSE;
  }
  decision = gst_v4l2_elastic_vp9_state_begin_frame (state, &hdr,
      parser->bit_depth, parser->subsampling_x, parser->subsampling_y, &plan);
  if (decision == GST_V4L2_ELASTIC_VP9_DROP)
    return FALSE;
  if (decision == GST_V4L2_ELASTIC_VP9_SHOW_EXISTING) {
    FuzzPic *show = fuzz_pic_lookup (plan.show_id);

    FUZZ_CHECK (show != NULL && show == plan.show_picture,
        "show_existing_frame of picture %" G_GUINT64_FORMAT ", not alive",
        plan.show_id);
    return TRUE;
  }
  FUZZ_CHECK (decision == GST_V4L2_ELASTIC_VP9_DECODE, "decision %d", decision);
  FUZZ_CHECK (plan.width >= 1 && plan.width <= FUZZ_MAX_DIMENSION &&
          plan.height >= 1 && plan.height <= FUZZ_MAX_DIMENSION,
      "size %ux%u", plan.width, plan.height);
  FUZZ_CHECK (plan.width == hdr.width && plan.height == hdr.height,
      "plan %ux%u, header %ux%u", plan.width, plan.height, hdr.width,
      hdr.height);
  check_persistent (&plan.persistent);
  now.width = plan.width;
  now.height = plan.height;
  now.bit_depth = parser->bit_depth;
  now.subsampling_x = parser->subsampling_x;
  now.subsampling_y = parser->subsampling_y;
  FUZZ_CHECK (plan.new_sequence || memcmp (&now, &last, sizeof (now)) == 0,
      "%ux%u %u-bit after %ux%u %u-bit without new_sequence", now.width,
      now.height, now.bit_depth, last.width, last.height, last.bit_depth);
  FUZZ_CHECK (
      !plan.resize || (!plan.intra || hdr.intra_only), "resize on a key frame");
  last = now;
  if (plan.intra) {
    for (i = 0; i < GST_VP9_REFS_PER_FRAME; i++)
      FUZZ_CHECK (plan.ref_id[i] == 0, "intra frame names reference %u", i);
  } else {
    for (i = 0; i < GST_VP9_REFS_PER_FRAME; i++) {
      FuzzPic *ref = fuzz_pic_lookup (plan.ref_id[i]);
      guint slot = hdr.ref_frame_indices[i] & 7;

      FUZZ_CHECK (ref != NULL,
          "reference %u names picture %" G_GUINT64_FORMAT ", not alive", i,
          plan.ref_id[i]);
      FUZZ_CHECK (
          gst_v4l2_elastic_vp9_state_slot_id (state, slot) == plan.ref_id[i],
          "reference %u is not what slot %u holds", i, slot);
      FUZZ_CHECK (state->slots[slot]->width <= 2 * plan.width &&
              state->slots[slot]->height <= 2 * plan.height &&
              plan.width <= 16 * state->slots[slot]->width &&
              plan.height <= 16 * state->slots[slot]->height,
          "reference %u of %ux%u for a %ux%u frame", i,
          state->slots[slot]->width, state->slots[slot]->height, plan.width,
          plan.height);
    }
  }

  if (!gst_v4l2_elastic_vp9_compressed_header_parse_frame (
          frame, frame_size, &hdr, &chdr)) {
    gst_v4l2_elastic_vp9_state_reset (state);
    return FALSE;
  }
  FUZZ_CHECK (
      (guint64) hdr.frame_header_length_in_bytes + hdr.first_partition_size <=
          frame_size,
      "compressed header %u+%u beyond %" G_GSIZE_FORMAT,
      hdr.frame_header_length_in_bytes, hdr.first_partition_size, frame_size);
  FUZZ_CHECK (chdr.bits_used <= 8 * (guint64) hdr.first_partition_size,
      "%" G_GSIZE_FORMAT " bits of a %u-byte header", chdr.bits_used,
      hdr.first_partition_size);
  FUZZ_CHECK (chdr.tx_mode <= GST_V4L2_ELASTIC_VP9_COMPRESSED_TX_MODE_SELECT,
      "tx_mode %u", chdr.tx_mode);
  FUZZ_CHECK (chdr.reference_mode <=
          GST_V4L2_ELASTIC_VP9_COMPRESSED_REFERENCE_MODE_SELECT,
      "reference_mode %u", chdr.reference_mode);
  if (plan.intra)
    FUZZ_CHECK (chdr.reference_mode ==
            GST_V4L2_ELASTIC_VP9_COMPRESSED_REFERENCE_MODE_SINGLE,
        "intra frame with reference_mode %u", chdr.reference_mode);
  gst_v4l2_elastic_vp9_fill_frame (parser, &hdr, &plan, &chdr, &params);

  pic = fuzz_pic_new ();
  gst_v4l2_elastic_vp9_state_end_frame (state, &hdr, pic, pic->id);
  n = gst_v4l2_elastic_vp9_state_distinct_pictures (state);
  FUZZ_CHECK (n >= 1 && n <= GST_V4L2_ELASTIC_VP9_STATE_SLOTS,
      "%u pictures in the slots", n);
  FUZZ_CHECK (g_hash_table_size (fuzz_pics.live) == n,
      "%u pictures alive, %u in the slots", g_hash_table_size (fuzz_pics.live),
      n);
  return TRUE;
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  GstV4l2ElasticVp9State state;
  GstVp9Parser *parser;
  FuzzIvf ivf;
  const guint8 *packet;
  gsize packet_size;

  fuzz_pics_begin ();
  memset (&last, 0, sizeof (last));
  gst_v4l2_elastic_vp9_state_init (&state, fuzz_pic_unref);
  parser = gst_vp9_parser_new ();
  fuzz_ivf_init (&ivf, data, size);

  while (fuzz_ivf_next (&ivf, &packet, &packet_size)) {
    GstV4l2ElasticVp9Frames frames;
    gsize end = 0;
    guint i;

    if (!gst_v4l2_elastic_vp9_split_superframe (packet, packet_size, &frames))
      continue;
    FUZZ_CHECK (frames.n_frames >= 1 &&
            frames.n_frames <= GST_VP9_MAX_FRAMES_IN_SUPERFRAME,
        "%u frames", frames.n_frames);
    for (i = 0; i < frames.n_frames; i++) {
      FUZZ_CHECK (frames.size[i] >= 1 && frames.offset[i] >= end &&
              frames.offset[i] <= packet_size &&
              frames.size[i] <= packet_size - frames.offset[i],
          "frame %u at %" G_GSIZE_FORMAT "+%" G_GSIZE_FORMAT
          " of %" G_GSIZE_FORMAT,
          i, frames.offset[i], frames.size[i], packet_size);
      end = frames.offset[i] + frames.size[i];
    }
    for (i = 0; i < frames.n_frames; i++)
      if (!handle_frame (
              &state, parser, packet + frames.offset[i], frames.size[i]))
        break;
  }

  gst_v4l2_elastic_vp9_state_reset (&state);
  gst_vp9_parser_free (parser);
  fuzz_pics_end ();
  return 0;
}
