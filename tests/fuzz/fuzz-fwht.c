/* gst-v4l2-elastic
 *
 * libFuzzer target: an FWHT byte stream (vicodec's stateful encoder
 * output: 44-byte headers, each followed by its payload) framed the way
 * v4l2elasticfwhtdec frames it, through the FWHT codec state, to the
 * V4L2_CID_STATELESS_FWHT_PARAMS the element would set.
 *
 * Invariants: a parsed header has a version and a size in range; the
 * payload handed to the driver lies inside the input; intra frames
 * predict from nothing, inter frames from the live picture the previous
 * frame of the same size and layout left; a new sequence starts only at
 * an intra frame; every picture is freed once the state is.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fuzz-common.h"

#include <string.h>

#include "gstfwhtstate.h"
#include "v4l2-compat.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_init ();
  return 0;
}

/* The element's control for one frame. */
static void
fill_params (struct v4l2_ctrl_fwht_params *params,
    const GstV4l2ElasticFwhtFrameHeader *header,
    const GstV4l2ElasticFwhtFramePlan *plan)
{
  memset (params, 0, sizeof (*params));
  params->backward_ref_ts = plan->has_reference ? plan->reference_id : 0;
  params->version = header->version;
  params->width = header->width;
  params->height = header->height;
  params->flags = header->flags;
  params->colorspace = header->colorspace;
  params->xfer_func = header->xfer_func;
  params->ycbcr_enc = header->ycbcr_enc;
  params->quantization = header->quantization;
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  GstV4l2ElasticFwhtState state;
  GstV4l2ElasticFwhtFrameHeader header, sequence = { 0 };
  GstV4l2ElasticFwhtFramePlan plan;
  struct v4l2_ctrl_fwht_params params;
  gboolean have_sequence = FALSE;
  guint64 last_decoded = 0;
  gsize pos = 0;

  data = fuzz_guarded_copy (data, size);
  fuzz_pics_begin ();
  gst_v4l2_elastic_fwht_state_init (&state, fuzz_pic_unref);

  while (pos < size) {
    gssize sync = gst_v4l2_elastic_fwht_find_sync (data + pos, size - pos);
    GstV4l2ElasticFwhtDecision decision;
    gsize frame_size;
    FuzzPic *pic;

    if (sync < 0)
      break;
    FUZZ_CHECK ((gsize) sync <= size - pos - 8, "sync %" G_GSSIZE_FORMAT, sync);
    if (sync > 0) {
      /* Bytes skipped: the element never predicts across them. */
      pos += sync;
      gst_v4l2_elastic_fwht_state_reset (&state);
      last_decoded = 0;
      continue;
    }
    switch (
        gst_v4l2_elastic_fwht_parse_header (data + pos, size - pos, &header)) {
    case GST_V4L2_ELASTIC_FWHT_PARSE_NEED_MORE:
      FUZZ_CHECK (size - pos < GST_V4L2_ELASTIC_FWHT_HEADER_SIZE,
          "NEED_MORE with %" G_GSIZE_FORMAT " bytes", size - pos);
      pos = size;
      continue;
    case GST_V4L2_ELASTIC_FWHT_PARSE_INVALID:
      pos++;
      continue;
    case GST_V4L2_ELASTIC_FWHT_PARSE_OK:
      break;
    }
    FUZZ_CHECK (header.version >= 1 &&
            header.version <= GST_V4L2_ELASTIC_FWHT_MAX_VERSION,
        "version %u", header.version);
    FUZZ_CHECK (header.width >= 1 && header.width <= FUZZ_MAX_DIMENSION &&
            header.height >= 1 && header.height <= FUZZ_MAX_DIMENSION,
        "size %ux%u", header.width, header.height);
    frame_size =
        GST_V4L2_ELASTIC_FWHT_HEADER_SIZE + (gsize) header.payload_size;
    if (frame_size > size - pos)
      break; /* truncated last frame: dropped */

    decision = gst_v4l2_elastic_fwht_state_begin_frame (&state, &header, &plan);
    FUZZ_CHECK (plan.intra == gst_v4l2_elastic_fwht_header_is_intra (&header),
        "intra %d", plan.intra);
    if (decision == GST_V4L2_ELASTIC_FWHT_DROP) {
      FUZZ_CHECK (!plan.intra, "intra frame dropped");
      pos += frame_size;
      continue;
    }
    FUZZ_CHECK (
        decision == GST_V4L2_ELASTIC_FWHT_DECODE, "decision %d", decision);
    if (plan.new_sequence) {
      FUZZ_CHECK (plan.intra, "new sequence on an inter frame");
      sequence = header;
      have_sequence = TRUE;
    }
    FUZZ_CHECK (have_sequence, "decoding before any sequence");
    FUZZ_CHECK (
        header.width == sequence.width && header.height == sequence.height,
        "%ux%u frame in a %ux%u sequence", header.width, header.height,
        sequence.width, sequence.height);
    if (plan.intra) {
      FUZZ_CHECK (!plan.has_reference, "intra frame with a reference");
    } else {
      FuzzPic *ref;

      FUZZ_CHECK (plan.has_reference, "inter frame without a reference");
      ref = fuzz_pic_lookup (plan.reference_id);
      FUZZ_CHECK (ref != NULL, "reference %" G_GUINT64_FORMAT " is not alive",
          plan.reference_id);
      FUZZ_CHECK (plan.reference_id == last_decoded,
          "reference %" G_GUINT64_FORMAT ", last decoded %" G_GUINT64_FORMAT,
          plan.reference_id, last_decoded);
    }
    fill_params (&params, &header, &plan);
    /* The payload the element queues: inside the input. */
    FUZZ_CHECK (
        pos + GST_V4L2_ELASTIC_FWHT_HEADER_SIZE + header.payload_size <= size,
        "payload beyond the input");

    pic = fuzz_pic_new ();
    gst_v4l2_elastic_fwht_state_end_frame (&state, pic, pic->id);
    last_decoded = pic->id;
    FUZZ_CHECK (g_hash_table_size (fuzz_pics.live) == 1,
        "%u pictures alive, the state keeps one",
        g_hash_table_size (fuzz_pics.live));
    FUZZ_CHECK (gst_v4l2_elastic_fwht_state_references (&state) == 1,
        "references %u", gst_v4l2_elastic_fwht_state_references (&state));
    pos += frame_size;
  }

  gst_v4l2_elastic_fwht_state_reset (&state);
  fuzz_pics_end ();
  return 0;
}
