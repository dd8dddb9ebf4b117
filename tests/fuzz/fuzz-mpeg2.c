/* gst-v4l2-elastic
 *
 * libFuzzer target: an MPEG-2 video elementary stream, packet by packet
 * (gst_mpeg_video_parse), through the MPEG-2 codec state as
 * v4l2elasticmpeg2dec handles it: headers to the state, the first slice of
 * a picture begins it, every picture "decoded" and ended (a field pair's
 * second field into the frame of its first), to the three controls the
 * element would set.
 *
 * Invariants: a planned picture has a sequence of a size within the bound
 * of gstcodeclimits.h, a coded size the macroblock-aligned visible size,
 * chroma format 1..3; an I picture names no reference, a P picture a live
 * forward one, a B picture two live ones; a second field names the live
 * frame of its first field; the controls carry the plan; the state holds
 * at most three pictures (two references and an unfinished pair); every
 * picture put out is alive and put out once; every picture is freed once
 * the state is cleared.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fuzz-common.h"

#include <string.h>

#include <gst/codecparsers/gstmpegvideoparser.h>

#include "gstmpeg2state.h"
#include "gstv4l2elasticmpeg2controls.h"
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
check_output (GPtrArray *output, GHashTable *shown)
{
  guint i;

  for (i = 0; i < output->len; i++) {
    FuzzPic *pic = g_ptr_array_index (output, i);

    FUZZ_CHECK (fuzz_pic_lookup (pic->id) == pic, "output picture not alive");
    FUZZ_CHECK (!g_hash_table_contains (shown, &pic->id),
        "picture %" G_GUINT64_FORMAT " output twice", pic->id);
    g_hash_table_add (shown, g_memdup2 (&pic->id, sizeof (pic->id)));
    fuzz_pic_unref (pic);
  }
  g_ptr_array_set_size (output, 0);
}

static void
check_plan (const GstV4l2ElasticMpeg2PicturePlan *plan)
{
  const GstV4l2ElasticMpeg2Sequence *seq = plan->sequence;
  struct v4l2_ctrl_mpeg2_sequence s;
  struct v4l2_ctrl_mpeg2_picture p;
  struct v4l2_ctrl_mpeg2_quantisation q;

  FUZZ_CHECK (seq->width >= 1 && seq->width <= FUZZ_MAX_DIMENSION &&
          seq->height >= 1 && seq->height <= FUZZ_MAX_DIMENSION,
      "size %ux%u", seq->width, seq->height);
  FUZZ_CHECK (seq->coded_width == GST_ROUND_UP_16 (seq->width) &&
          seq->coded_height >= seq->height &&
          seq->coded_height <= GST_ROUND_UP_32 (seq->height) &&
          seq->coded_height % 16 == 0,
      "coded %ux%u for %ux%u", seq->coded_width, seq->coded_height, seq->width,
      seq->height);
  FUZZ_CHECK (seq->chroma_format >= 1 && seq->chroma_format <= 3,
      "chroma_format %u", seq->chroma_format);

  switch (plan->hdr.pic_type) {
  case GST_MPEG_VIDEO_PICTURE_TYPE_I:
    FUZZ_CHECK (plan->forward_id == 0 && plan->backward_id == 0,
        "I picture with references");
    break;
  case GST_MPEG_VIDEO_PICTURE_TYPE_P:
    FUZZ_CHECK (plan->forward_id && fuzz_pic_lookup (plan->forward_id),
        "P picture's forward reference %" G_GUINT64_FORMAT " not alive",
        plan->forward_id);
    break;
  case GST_MPEG_VIDEO_PICTURE_TYPE_B:
    FUZZ_CHECK (plan->forward_id && fuzz_pic_lookup (plan->forward_id) &&
            plan->backward_id && fuzz_pic_lookup (plan->backward_id),
        "B picture's references %" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
        " not alive",
        plan->forward_id, plan->backward_id);
    break;
  default:
    FUZZ_CHECK (FALSE, "picture type %u planned", plan->hdr.pic_type);
  }
  FUZZ_CHECK (
      plan->ext.picture_structure >= 1 && plan->ext.picture_structure <= 3,
      "picture_structure %u", plan->ext.picture_structure);
  if (plan->second_field)
    FUZZ_CHECK (plan->frame_id && fuzz_pic_lookup (plan->frame_id),
        "second field of a frame that is not alive");

  gst_v4l2_elastic_mpeg2_fill_sequence (plan, &s);
  gst_v4l2_elastic_mpeg2_fill_picture (plan, &p);
  gst_v4l2_elastic_mpeg2_fill_quantisation (plan, &q);
  FUZZ_CHECK (s.horizontal_size == seq->width && s.vertical_size == seq->height,
      "sequence control size");
  FUZZ_CHECK (p.forward_ref_ts == plan->forward_id &&
          p.backward_ref_ts == plan->backward_id &&
          p.picture_coding_type == plan->hdr.pic_type,
      "picture control references");
  FUZZ_CHECK (
      memcmp (q.intra_quantiser_matrix, plan->intra_quantiser_matrix, 64) == 0,
      "quantisation control");
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  GstV4l2ElasticMpeg2State state;
  GstV4l2ElasticMpeg2PicturePlan plan;
  GPtrArray *output = g_ptr_array_new ();
  GHashTable *shown =
      g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  GstMpegVideoPacket packet;
  const guint8 *copy;
  gboolean in_picture = FALSE, decoding = FALSE;
  guint offset = 0;

  fuzz_pics_begin ();
  gst_v4l2_elastic_mpeg2_state_init (&state, fuzz_pic_ref, fuzz_pic_unref);
  copy = fuzz_guarded_copy (data, size);

  while (offset + 4 <= size &&
      gst_mpeg_video_parse (&packet, copy, size, offset)) {
    if (packet.size < 0)
      packet.size = size - packet.offset;
    offset = packet.offset + packet.size;

    if (GST_MPEG_VIDEO_PACKET_IS_SLICE (packet.type)) {
      if (!in_picture) {
        in_picture = TRUE;
        decoding = gst_v4l2_elastic_mpeg2_state_begin_picture (
                       &state, &plan, output) == GST_V4L2_ELASTIC_MPEG2_OK;
        check_output (output, shown);
        if (decoding)
          check_plan (&plan);
      }
      continue;
    }
    if (in_picture && decoding) {
      FuzzPic *pic;

      if (plan.second_field) {
        pic = fuzz_pic_lookup (plan.frame_id);
        gst_v4l2_elastic_mpeg2_state_end_picture (&state, pic, pic->id, output);
      } else {
        pic = fuzz_pic_new ();
        gst_v4l2_elastic_mpeg2_state_end_picture (&state, pic, pic->id, output);
        fuzz_pic_unref (pic);
      }
      check_output (output, shown);
    }
    in_picture = decoding = FALSE;
    gst_v4l2_elastic_mpeg2_state_push_header (&state, &packet, output);
    check_output (output, shown);
    FUZZ_CHECK (gst_v4l2_elastic_mpeg2_state_held_pictures (&state) <= 3,
        "%u pictures held",
        gst_v4l2_elastic_mpeg2_state_held_pictures (&state));
    FUZZ_CHECK (g_hash_table_size (fuzz_pics.live) ==
            gst_v4l2_elastic_mpeg2_state_held_pictures (&state),
        "%u pictures alive, %u held", g_hash_table_size (fuzz_pics.live),
        gst_v4l2_elastic_mpeg2_state_held_pictures (&state));
  }

  if (in_picture && decoding) {
    /* The last picture ends with the input. */
    FuzzPic *pic =
        plan.second_field ? fuzz_pic_lookup (plan.frame_id) : fuzz_pic_new ();

    gst_v4l2_elastic_mpeg2_state_end_picture (&state, pic, pic->id, output);
    if (!plan.second_field)
      fuzz_pic_unref (pic);
    check_output (output, shown);
  }
  gst_v4l2_elastic_mpeg2_state_drain (&state, output);
  check_output (output, shown);
  gst_v4l2_elastic_mpeg2_state_clear (&state);
  g_ptr_array_unref (output);
  g_hash_table_unref (shown);
  fuzz_pics_end ();
  return 0;
}
