/* gst-v4l2-elastic
 *
 * libFuzzer target: VP8 frames in IVF, each through GstVp8Parser and the
 * VP8 codec state as v4l2elasticvp8dec handles one input buffer, to the
 * V4L2_CID_STATELESS_VP8_FRAME the element would set.
 *
 * Invariants: a decoded frame has a size within the bound of
 * gstcodeclimits.h (inter frames the size of their key frame); key frames
 * name no references, inter frames three live pictures, the ones the
 * slots hold; the first partition and the DCT partitions the control
 * describes lie inside the frame; the slots keep one to three pictures;
 * every picture is freed once the state is.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fuzz-common.h"

#include <string.h>

#include <gst/codecparsers/gstvp8parser.h>

#include "gstvp8state.h"
#include "gstv4l2elasticvp8controls.h"
#include "v4l2-compat.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_init ();
  return 0;
}

/* The partitions the control describes, inside the frame: the frame tag
 * (3 bytes, 10 on key frames), the first partition, the DCT partition
 * sizes (3 bytes each but the last), the DCT partitions (the last one
 * takes what remains, RFC 6386 9.5). */
static void
check_partitions (
    const struct v4l2_ctrl_vp8_frame *p, gboolean key_frame, gsize frame_size)
{
  guint64 end = (key_frame ? 10 : 3) + (guint64) p->first_part_size;
  guint i;

  FUZZ_CHECK (p->num_dct_parts >= 1 && p->num_dct_parts <= 8,
      "%u DCT partitions", p->num_dct_parts);
  FUZZ_CHECK (end <= frame_size,
      "first partition ends at %" G_GUINT64_FORMAT " of %" G_GSIZE_FORMAT, end,
      frame_size);
  FUZZ_CHECK (p->first_part_header_bits <= 8 * (guint64) p->first_part_size,
      "header of %u bits in a first partition of %u bytes",
      p->first_part_header_bits, p->first_part_size);
  end += 3 * (guint64) (p->num_dct_parts - 1);
  for (i = 0; i < p->num_dct_parts; i++)
    end += p->dct_part_sizes[i];
  FUZZ_CHECK (end <= frame_size,
      "DCT partitions end at %" G_GUINT64_FORMAT " of %" G_GSIZE_FORMAT, end,
      frame_size);
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  GstV4l2ElasticVp8State state;
  GstVp8Parser parser;
  GstVp8FrameHdr hdr;
  GstV4l2ElasticVp8FramePlan plan;
  struct v4l2_ctrl_vp8_frame params;
  FuzzIvf ivf;
  const guint8 *frame;
  gsize frame_size;
  guint key_width = 0, key_height = 0;

  fuzz_pics_begin ();
  gst_v4l2_elastic_vp8_state_init (&state, fuzz_pic_unref);
  gst_vp8_parser_init (&parser);
  fuzz_ivf_init (&ivf, data, size);

  while (fuzz_ivf_next (&ivf, &frame, &frame_size)) {
    GstV4l2ElasticVp8Decision decision;
    FuzzPic *pic;
    guint i;

    frame = fuzz_guarded_copy (frame, frame_size);
    /* What the element must do: a header that does not parse and one
     * whose layout does not fit the frame are the same corruption. */
    if (gst_vp8_parser_parse_frame_header (&parser, &hdr, frame, frame_size) !=
            GST_VP8_PARSER_OK ||
        !gst_v4l2_elastic_vp8_frame_layout_valid (&hdr, frame_size)) {
      gst_v4l2_elastic_vp8_state_reset (&state);
      continue;
    }
    decision = gst_v4l2_elastic_vp8_state_begin_frame (&state, &hdr, &plan);
    if (decision == GST_V4L2_ELASTIC_VP8_DROP)
      continue;
    FUZZ_CHECK (
        decision == GST_V4L2_ELASTIC_VP8_DECODE, "decision %d", decision);
    FUZZ_CHECK (plan.width >= 1 && plan.width <= FUZZ_MAX_DIMENSION &&
            plan.height >= 1 && plan.height <= FUZZ_MAX_DIMENSION,
        "size %ux%u", plan.width, plan.height);
    FUZZ_CHECK (plan.new_sequence ||
            (plan.width == key_width && plan.height == key_height),
        "%ux%u after %ux%u without new_sequence", plan.width, plan.height,
        key_width, key_height);
    if (plan.key_frame) {
      key_width = plan.width;
      key_height = plan.height;
      for (i = 0; i < GST_V4L2_ELASTIC_VP8_N_REFS; i++)
        FUZZ_CHECK (plan.ref_id[i] == 0, "key frame names reference %u", i);
    } else {
      FUZZ_CHECK (plan.width == key_width && plan.height == key_height,
          "inter frame %ux%u after a %ux%u key frame", plan.width, plan.height,
          key_width, key_height);
      for (i = 0; i < GST_V4L2_ELASTIC_VP8_N_REFS; i++) {
        FUZZ_CHECK (plan.ref_id[i] != 0 && fuzz_pic_lookup (plan.ref_id[i]),
            "reference %u names picture %" G_GUINT64_FORMAT ", not alive", i,
            plan.ref_id[i]);
        FUZZ_CHECK (plan.ref_id[i] ==
                gst_v4l2_elastic_vp8_state_slot_id (
                    &state, (GstV4l2ElasticVp8Ref) i),
            "reference %u is not what the slot holds", i);
      }
    }
    gst_v4l2_elastic_vp8_fill_frame (&parser, &hdr, &plan, &params);
    check_partitions (&params, plan.key_frame, frame_size);

    pic = fuzz_pic_new ();
    gst_v4l2_elastic_vp8_state_end_frame (&state, &hdr, pic, pic->id);
    FUZZ_CHECK (gst_v4l2_elastic_vp8_state_distinct_pictures (&state) >= 1 &&
            gst_v4l2_elastic_vp8_state_distinct_pictures (&state) <= 3,
        "%u pictures in the slots",
        gst_v4l2_elastic_vp8_state_distinct_pictures (&state));
    FUZZ_CHECK (g_hash_table_size (fuzz_pics.live) ==
            gst_v4l2_elastic_vp8_state_distinct_pictures (&state),
        "%u pictures alive, %u in the slots",
        g_hash_table_size (fuzz_pics.live),
        gst_v4l2_elastic_vp8_state_distinct_pictures (&state));
  }

  gst_v4l2_elastic_vp8_state_reset (&state);
  fuzz_pics_end ();
  return 0;
}
