/* gst-v4l2-elastic
 *
 * libFuzzer target: an H.264 Annex-B byte stream, split on start codes by
 * GstH264NalParser and grouped into access units (a new one at an access
 * unit delimiter, SEI or parameter set after a slice, or at a slice with
 * first_mb_in_slice 0), each handled as v4l2elastich264dec handles one
 * input buffer: parameter sets to the parser, the first slice to the
 * H.264 codec state, then the four V4L2 controls built from the plan.
 *
 * Invariants, on every plan: the coded size is whole macroblocks within
 * the bound of gstcodeclimits.h, the visible rectangle lies inside it, the
 * OUTPUT buffer size the element derives does not overflow; the DPB size
 * is 1 to 16, the reorder depth at most that, the plan's references at
 * most the DPB size, each a live picture (or a gap frame without one),
 * no two naming the same picture, short-term PicNums never above
 * CurrPicNum; after every picture the state holds at most a DPB of
 * pictures.  On output: each picture once, the older sequences (before an
 * IDR or an MMCO 5) first, and within one, never a picture while a
 * decoded one with a smaller POC still waits.  At the end every picture
 * is freed.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fuzz-common.h"

#include <string.h>

#include <gst/codecparsers/gsth264parser.h>

#include "gsth264state.h"
#include "gstv4l2elastich264controls.h"
#include "v4l2-compat.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_init ();
  return 0;
}

typedef struct
{
  GstH264NalParser *parser;
  GstV4l2ElasticH264State *state;
  GPtrArray *output;
  guint epoch;
  /* The access unit being collected. */
  gboolean have_slice;
  gboolean broken; /* the element drops it: a parameter set or slice failed */
  GstH264NalUnit first_nalu;
  GstH264SliceHdr first_slice;
  gboolean has_p, has_b;
  gsize bitstream_size;
  /* The sequence of the last decoded picture (what the pool was set up
   * for): a plan that differs must say new_sequence. */
  gboolean have_sequence;
  GstV4l2ElasticH264PicturePlan sequence;
} Ctx;

/* ---- invariants ---- */

/* FUZZ_VERBOSE=1: a line per picture and per output (to study a
 * finding). */
static gboolean verbose;

/* Pictures the state output: each once, in the order the state
 * promises. */
static void
take_output (Ctx *ctx)
{
  guint i;

  for (i = 0; i < ctx->output->len; i++) {
    FuzzPic *pic = g_ptr_array_index (ctx->output, i);
    GHashTableIter iter;
    gpointer value;

    if (verbose)
      fprintf (stderr, "  output %" G_GUINT64_FORMAT " POC %d (sequence %u)\n",
          pic->id, pic->poc, pic->epoch);
    FUZZ_CHECK (pic->refs > 0, "output picture is freed");
    FUZZ_CHECK (
        pic->pending, "picture %" G_GUINT64_FORMAT " output twice", pic->id);
    pic->pending = FALSE;
    g_hash_table_iter_init (&iter, fuzz_pics.live);
    while (g_hash_table_iter_next (&iter, NULL, &value)) {
      FuzzPic *other = value;

      if (!other->pending)
        continue;
      FUZZ_CHECK (other->epoch >= pic->epoch,
          "picture %" G_GUINT64_FORMAT
          " of sequence %u output while %" G_GUINT64_FORMAT
          " of the older sequence %u waits",
          pic->id, pic->epoch, other->id, other->epoch);
      if (other->epoch == pic->epoch)
        FUZZ_CHECK (pic->poc <= other->poc,
            "POC %d output while POC %d (picture %" G_GUINT64_FORMAT ") waits",
            pic->poc, other->poc, other->id);
    }
    fuzz_pic_unref (pic);
  }
  g_ptr_array_set_size (ctx->output, 0);
}

static void
check_plan (
    const GstV4l2ElasticH264PicturePlan *plan, const GstH264SliceHdr *slice)
{
  const GstH264SPS *sps = slice->pps->sequence;
  guint32 max_frame_num = 1u << (sps->log2_max_frame_num_minus4 + 4);
  guint i, j;

  FUZZ_CHECK (plan->width >= 16 && plan->width <= FUZZ_MAX_DIMENSION &&
          plan->width % 16 == 0 && plan->height >= 16 &&
          plan->height <= FUZZ_MAX_DIMENSION && plan->height % 16 == 0,
      "coded size %ux%u", plan->width, plan->height);
  FUZZ_CHECK (plan->visible_width >= 1 && plan->visible_height >= 1 &&
          plan->visible_x + plan->visible_width <= plan->width &&
          plan->visible_y + plan->visible_height <= plan->height,
      "visible %ux%u at %u,%u in %ux%u", plan->visible_width,
      plan->visible_height, plan->visible_x, plan->visible_y, plan->width,
      plan->height);
  /* The element sizes OUTPUT buffers as width * height * 3 / 2 (guint). */
  FUZZ_CHECK ((guint64) plan->width * plan->height * 3 / 2 <= G_MAXUINT,
      "raw size of %ux%u overflows", plan->width, plan->height);
  FUZZ_CHECK (plan->dpb_size >= 1 &&
          plan->dpb_size <= GST_V4L2_ELASTIC_H264_DPB_MAX_FRAMES,
      "DPB size %u", plan->dpb_size);
  FUZZ_CHECK (plan->reorder <= plan->dpb_size, "reorder %u, DPB %u",
      plan->reorder, plan->dpb_size);
  FUZZ_CHECK (plan->n_dpb <= plan->dpb_size, "%u references, DPB %u",
      plan->n_dpb, plan->dpb_size);
  FUZZ_CHECK (plan->frame_num < max_frame_num, "frame_num %u, MaxFrameNum %u",
      plan->frame_num, max_frame_num);
  FUZZ_CHECK (plan->pic_order_cnt ==
          MIN (plan->top_field_order_cnt, plan->bottom_field_order_cnt),
      "PicOrderCnt %d", plan->pic_order_cnt);
  if (plan->idr)
    FUZZ_CHECK (plan->n_dpb == 0, "IDR with %u references", plan->n_dpb);

  for (i = 0; i < plan->n_dpb; i++) {
    const GstV4l2ElasticH264DpbEntry *e = &plan->dpb[i];

    FUZZ_CHECK ((e->flags & GST_V4L2_ELASTIC_H264_DPB_VALID) &&
            (e->flags & GST_V4L2_ELASTIC_H264_DPB_ACTIVE),
        "entry %u flags 0x%x", i, e->flags);
    if (e->flags & GST_V4L2_ELASTIC_H264_DPB_NON_EXISTING) {
      FUZZ_CHECK (e->id == 0, "gap frame with id %" G_GUINT64_FORMAT, e->id);
    } else {
      FUZZ_CHECK (e->id != 0 && fuzz_pic_lookup (e->id) != NULL,
          "entry %u names picture %" G_GUINT64_FORMAT ", not alive", i, e->id);
      for (j = 0; j < i; j++)
        FUZZ_CHECK (plan->dpb[j].id != e->id,
            "entries %u and %u both name picture %" G_GUINT64_FORMAT, j, i,
            e->id);
    }
    if (!(e->flags & GST_V4L2_ELASTIC_H264_DPB_LONG_TERM)) {
      FUZZ_CHECK (
          e->frame_num < max_frame_num, "entry frame_num %u", e->frame_num);
      FUZZ_CHECK (e->frame_num_wrap <= (gint32) plan->frame_num,
          "PicNum %d above CurrPicNum %u", e->frame_num_wrap, plan->frame_num);
    }
  }
}

/* What the CAPTURE pool depends on (gsth264state.h, new_sequence). */
static gboolean
same_sequence (const GstV4l2ElasticH264PicturePlan *a,
    const GstV4l2ElasticH264PicturePlan *b)
{
  return a->width == b->width && a->height == b->height &&
      a->visible_x == b->visible_x && a->visible_y == b->visible_y &&
      a->visible_width == b->visible_width &&
      a->visible_height == b->visible_height &&
      a->bit_depth_luma == b->bit_depth_luma &&
      a->bit_depth_chroma == b->bit_depth_chroma &&
      a->chroma_format_idc == b->chroma_format_idc &&
      a->frame_mbs_only == b->frame_mbs_only && a->dpb_size == b->dpb_size &&
      a->reorder == b->reorder;
}

static gboolean
has_mmco5 (const GstH264SliceHdr *slice)
{
  const GstH264DecRefPicMarking *m = &slice->dec_ref_pic_marking;
  guint i;

  if (!m->adaptive_ref_pic_marking_mode_flag)
    return FALSE;
  for (i = 0; i < m->n_ref_pic_marking; i++)
    if (m->ref_pic_marking[i].memory_management_control_operation == 5)
      return TRUE;
  return FALSE;
}

/* ---- one access unit, as handle_frame does it ---- */

static void
finish_access_unit (Ctx *ctx)
{
  GstV4l2ElasticH264PicturePlan plan;
  GstV4l2ElasticH264Decision decision;
  struct v4l2_ctrl_h264_sps sps_ctrl;
  struct v4l2_ctrl_h264_pps pps_ctrl;
  struct v4l2_ctrl_h264_scaling_matrix matrix_ctrl;
  struct v4l2_ctrl_h264_decode_params params_ctrl;
  const GstH264SliceHdr *slice = &ctx->first_slice;
  gboolean idr, mmco5;
  FuzzPic *pic;

  if (!ctx->have_slice || ctx->broken)
    goto done;

  decision = gst_v4l2_elastic_h264_state_begin_picture (
      ctx->state, &ctx->first_nalu, slice, &plan, ctx->output);
  take_output (ctx);
  if (decision == GST_V4L2_ELASTIC_H264_ERROR) {
    FUZZ_CHECK (plan.message != NULL, "error without a message");
    goto done;
  }
  if (decision == GST_V4L2_ELASTIC_H264_DROP) {
    FUZZ_CHECK (plan.drop_reason != GST_V4L2_ELASTIC_H264_DROP_NONE,
        "drop without a reason");
    goto done;
  }
  FUZZ_CHECK (
      decision == GST_V4L2_ELASTIC_H264_DECODE, "decision %d", decision);
  if (verbose)
    fprintf (stderr,
        "picture %" G_GUINT64_FORMAT ": %s ref %u frame_num %u POC %d, "
        "%u references, DPB %u, reorder %u\n",
        fuzz_pics.last_id + 1, plan.idr ? "IDR" : "non-IDR", plan.reference,
        plan.frame_num, plan.pic_order_cnt, plan.n_dpb, plan.dpb_size,
        plan.reorder);
  check_plan (&plan, slice);
  FUZZ_CHECK (plan.new_sequence ||
          (ctx->have_sequence && same_sequence (&ctx->sequence, &plan)),
      "the sequence changed (%ux%u DPB %u) without new_sequence", plan.width,
      plan.height, plan.dpb_size);
  ctx->sequence = plan;
  ctx->have_sequence = TRUE;

  /* The element's own functions. */
  gst_v4l2_elastic_h264_fill_sps (&sps_ctrl, slice->pps->sequence);
  gst_v4l2_elastic_h264_fill_pps (&pps_ctrl, slice->pps);
  gst_v4l2_elastic_h264_fill_scaling_matrix (&matrix_ctrl, slice->pps);
  gst_v4l2_elastic_h264_fill_decode_params (
      &params_ctrl, &ctx->first_nalu, slice, &plan, ctx->has_p, ctx->has_b);

  idr = ctx->first_nalu.type == GST_H264_NAL_SLICE_IDR;
  mmco5 = !idr && ctx->first_nalu.ref_idc != 0 && has_mmco5 (slice);
  pic = fuzz_pic_new ();
  pic->pending = TRUE;
  if (idr || mmco5)
    ctx->epoch++;
  pic->epoch = ctx->epoch;
  /* After an MMCO 5 the picture's POC is relative to itself: 0. */
  pic->poc = mmco5 ? 0 : plan.pic_order_cnt;
  gst_v4l2_elastic_h264_state_end_picture (
      ctx->state, pic, pic->id, ctx->output);
  take_output (ctx);
  FUZZ_CHECK (gst_v4l2_elastic_h264_state_held (ctx->state) <= plan.dpb_size,
      "the state holds %u pictures, DPB %u",
      gst_v4l2_elastic_h264_state_held (ctx->state), plan.dpb_size);

done:
  ctx->have_slice = ctx->broken = FALSE;
  ctx->has_p = ctx->has_b = FALSE;
  ctx->bitstream_size = 0;
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  Ctx ctx = { 0 };
  guint offset = 0;

  if (size > G_MAXUINT)
    return 0;
  verbose = g_getenv ("FUZZ_VERBOSE") != NULL;
  data = fuzz_guarded_copy (data, size);
  fuzz_pics_begin ();
  ctx.parser = gst_h264_nal_parser_new ();
  ctx.state = gst_v4l2_elastic_h264_state_new (fuzz_pic_ref, fuzz_pic_unref);
  ctx.output = g_ptr_array_new ();

  while (offset < size) {
    GstH264NalUnit nalu;
    GstH264SliceHdr slice;
    GstH264ParserResult pres;

    pres =
        gst_h264_parser_identify_nalu (ctx.parser, data, offset, size, &nalu);
    if (pres == GST_H264_PARSER_NO_NAL_END)
      pres = GST_H264_PARSER_OK;
    if (pres != GST_H264_PARSER_OK)
      break;
    FUZZ_CHECK ((gsize) nalu.offset + nalu.size <= size,
        "NAL unit %u+%u beyond %" G_GSIZE_FORMAT, nalu.offset, nalu.size, size);
    FUZZ_CHECK (nalu.offset + nalu.size > offset, "no progress at %u", offset);
    offset = nalu.offset + nalu.size;

    switch (nalu.type) {
    case GST_H264_NAL_SEI:
    case GST_H264_NAL_AU_DELIMITER:
      if (ctx.have_slice)
        finish_access_unit (&ctx);
      break;
    case GST_H264_NAL_SPS:
    case GST_H264_NAL_PPS:
      if (ctx.have_slice)
        finish_access_unit (&ctx);
      if (gst_h264_parser_parse_nal (ctx.parser, &nalu) != GST_H264_PARSER_OK)
        ctx.broken = TRUE;
      break;
    case GST_H264_NAL_SLICE:
    case GST_H264_NAL_SLICE_IDR:
      if (gst_h264_parser_parse_slice_hdr (
              ctx.parser, &nalu, &slice, TRUE, TRUE) != GST_H264_PARSER_OK) {
        ctx.broken = TRUE;
        break;
      }
      if (slice.redundant_pic_cnt > 0)
        break;
      if (slice.first_mb_in_slice == 0 && ctx.have_slice)
        finish_access_unit (&ctx);
      if (!ctx.have_slice) {
        ctx.have_slice = TRUE;
        ctx.first_nalu = nalu;
        ctx.first_slice = slice;
      }
      if (GST_H264_IS_B_SLICE (&slice))
        ctx.has_b = TRUE;
      else if (GST_H264_IS_P_SLICE (&slice) || GST_H264_IS_SP_SLICE (&slice))
        ctx.has_p = TRUE;
      /* The element queues each slice behind a 3-byte start code. */
      ctx.bitstream_size += 3 + nalu.size;
      break;
    default:
      break;
    }
  }
  finish_access_unit (&ctx);

  gst_v4l2_elastic_h264_state_drain (ctx.state, ctx.output);
  take_output (&ctx);
  gst_v4l2_elastic_h264_state_free (ctx.state);
  g_ptr_array_free (ctx.output, TRUE);
  gst_h264_nal_parser_free (ctx.parser);
  fuzz_pics_end ();
  return 0;
}
