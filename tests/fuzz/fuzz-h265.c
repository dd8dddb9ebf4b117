/* gst-v4l2-elastic
 *
 * libFuzzer target: an H.265 Annex-B byte stream, split on start codes by
 * GstH265Parser: parameter sets to the parser (SPSs with their VUI), the
 * first slice segment of each picture to the H.265 codec state, an end of
 * sequence NAL unit to the state's end_of_sequence, a filler data NAL
 * unit to its reset (as a flush would).  When a plan says a
 * picture predicts from a generated (lost) reference, every other such
 * picture is "not decoded" (end_picture without a picture), as an element
 * may do.
 *
 * Invariants, on every plan: the coded size within the bound of
 * gstcodeclimits.h, the visible rectangle inside it, 4:2:0 at 8 to 10
 * bits, the DPB size 1 to 16, the reorder depth below it, the references
 * fewer than the DPB size, each a live picture (or a generated one
 * without), no two naming the same picture, each named by an RPS list;
 * every Curr list entry names a reference, every Foll one a reference or
 * none; an IDR picture has none; a sequence that changes says so.  After
 * every picture the state holds at most a DPB of pictures.  On output:
 * each picture once, and only if its plan said it would be output; the
 * older coded video sequences first; within one, POCs strictly increase
 * and no picture goes while a decoded one with a smaller POC still waits.
 * At the end every picture is freed.  The V4L2 controls built from each
 * plan (gstv4l2elastich265controls): the DPB holds no more entries than
 * the plan, every list entry names one of them (or none), the slice data
 * starts inside the slice.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fuzz-common.h"

#include <string.h>

#include <gst/codecparsers/gsth265parser.h>

#include "gsth265state.h"
#include "gstv4l2elastich265controls.h"

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
  GstH265Parser *parser;
  GstV4l2ElasticH265State *state;
  GPtrArray *output;
  /* Coded video sequences: one more at each IRAP picture with
   * NoRaslOutputFlag = 1. */
  guint epoch;
  /* The last output picture's sequence and POC. */
  gboolean have_last;
  guint last_epoch;
  gint32 last_poc;
  /* The sequence of the last decoded picture: a plan that differs must
   * say new_sequence. */
  gboolean have_sequence;
  GstV4l2ElasticH265Sequence sequence;
  guint lost;
} Ctx;

/* FUZZ_VERBOSE=1: a line per picture and per output. */
static gboolean verbose;

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
    FUZZ_CHECK (pic->pending,
        "picture %" G_GUINT64_FORMAT " output twice or not to be output",
        pic->id);
    pic->pending = FALSE;
    if (ctx->have_last) {
      FUZZ_CHECK (pic->epoch >= ctx->last_epoch,
          "picture of sequence %u output after one of sequence %u", pic->epoch,
          ctx->last_epoch);
      if (pic->epoch == ctx->last_epoch)
        FUZZ_CHECK (pic->poc > ctx->last_poc,
            "POC %d output after POC %d in sequence %u", pic->poc,
            ctx->last_poc, pic->epoch);
    }
    ctx->have_last = TRUE;
    ctx->last_epoch = pic->epoch;
    ctx->last_poc = pic->poc;

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

static gboolean
named_by (const guint8 *list, guint n, guint idx)
{
  guint i;

  for (i = 0; i < n; i++)
    if (list[i] == idx)
      return TRUE;
  return FALSE;
}

static void
check_plan (const GstV4l2ElasticH265PicturePlan *plan)
{
  const GstV4l2ElasticH265Sequence *seq = &plan->sequence;
  guint i, j;

  FUZZ_CHECK (seq->width >= 1 && seq->width <= FUZZ_MAX_DIMENSION &&
          seq->height >= 1 && seq->height <= FUZZ_MAX_DIMENSION,
      "coded size %ux%u", seq->width, seq->height);
  FUZZ_CHECK (seq->visible_width >= 1 && seq->visible_height >= 1 &&
          seq->visible_x + seq->visible_width <= seq->width &&
          seq->visible_y + seq->visible_height <= seq->height,
      "visible %ux%u at %u,%u in %ux%u", seq->visible_width,
      seq->visible_height, seq->visible_x, seq->visible_y, seq->width,
      seq->height);
  /* What an element sizes buffers with (10-bit: 2 bytes a sample). */
  FUZZ_CHECK ((guint64) seq->width * seq->height * 3 <= G_MAXUINT,
      "raw size of %ux%u overflows", seq->width, seq->height);
  FUZZ_CHECK (seq->chroma_format_idc == 1, "chroma_format_idc %u",
      seq->chroma_format_idc);
  FUZZ_CHECK (seq->bit_depth_luma >= 8 && seq->bit_depth_luma <= 10 &&
          seq->bit_depth_chroma >= 8 && seq->bit_depth_chroma <= 10,
      "bit depths %u/%u", seq->bit_depth_luma, seq->bit_depth_chroma);
  FUZZ_CHECK (
      seq->dpb_size >= 1 && seq->dpb_size <= GST_V4L2_ELASTIC_H265_DPB_MAX,
      "DPB size %u", seq->dpb_size);
  FUZZ_CHECK (seq->reorder < seq->dpb_size, "reorder %u, DPB %u", seq->reorder,
      seq->dpb_size);
  FUZZ_CHECK (plan->n_dpb < seq->dpb_size, "%u references, DPB %u", plan->n_dpb,
      seq->dpb_size);
  FUZZ_CHECK (
      plan->n_st_curr_before + plan->n_st_curr_after + plan->n_st_foll <= 16,
      "short-term RPS of %u", plan->n_st_curr_before + plan->n_st_curr_after);
  FUZZ_CHECK (plan->n_lt_curr + plan->n_lt_foll <= 16, "long-term RPS of %u",
      plan->n_lt_curr + plan->n_lt_foll);
  if (plan->idr)
    FUZZ_CHECK (plan->n_dpb == 0 && plan->n_st_curr_before == 0 &&
            plan->n_st_curr_after == 0 && plan->n_lt_curr == 0,
        "IDR with %u references", plan->n_dpb);

  /* Curr lists name references, always; Foll lists a reference or none. */
  for (i = 0; i < plan->n_st_curr_before; i++)
    FUZZ_CHECK (plan->st_curr_before[i] < plan->n_dpb,
        "StCurrBefore[%u] = %u of %u", i, plan->st_curr_before[i], plan->n_dpb);
  for (i = 0; i < plan->n_st_curr_after; i++)
    FUZZ_CHECK (plan->st_curr_after[i] < plan->n_dpb,
        "StCurrAfter[%u] = %u of %u", i, plan->st_curr_after[i], plan->n_dpb);
  for (i = 0; i < plan->n_lt_curr; i++)
    FUZZ_CHECK (plan->lt_curr[i] < plan->n_dpb, "LtCurr[%u] = %u of %u", i,
        plan->lt_curr[i], plan->n_dpb);
  for (i = 0; i < plan->n_st_foll; i++)
    FUZZ_CHECK (plan->st_foll[i] < plan->n_dpb ||
            plan->st_foll[i] == GST_V4L2_ELASTIC_H265_NO_REF,
        "StFoll[%u] = %u of %u", i, plan->st_foll[i], plan->n_dpb);
  for (i = 0; i < plan->n_lt_foll; i++)
    FUZZ_CHECK (plan->lt_foll[i] < plan->n_dpb ||
            plan->lt_foll[i] == GST_V4L2_ELASTIC_H265_NO_REF,
        "LtFoll[%u] = %u of %u", i, plan->lt_foll[i], plan->n_dpb);

  for (i = 0; i < plan->n_dpb; i++) {
    const GstV4l2ElasticH265DpbEntry *e = &plan->dpb[i];

    if (e->flags & GST_V4L2_ELASTIC_H265_DPB_GENERATED) {
      FUZZ_CHECK (
          e->id == 0, "generated entry with id %" G_GUINT64_FORMAT, e->id);
    } else {
      FUZZ_CHECK (e->id != 0 && fuzz_pic_lookup (e->id) != NULL,
          "entry %u names picture %" G_GUINT64_FORMAT ", not alive", i, e->id);
      for (j = 0; j < i; j++)
        FUZZ_CHECK (plan->dpb[j].id != e->id,
            "entries %u and %u both name picture %" G_GUINT64_FORMAT, j, i,
            e->id);
    }
    FUZZ_CHECK (named_by (plan->st_curr_before, plan->n_st_curr_before, i) ||
            named_by (plan->st_curr_after, plan->n_st_curr_after, i) ||
            named_by (plan->lt_curr, plan->n_lt_curr, i) ||
            named_by (plan->st_foll, plan->n_st_foll, i) ||
            named_by (plan->lt_foll, plan->n_lt_foll, i),
        "reference %u in no RPS list", i);
  }
}

static void
check_index (guint8 index, guint n_active, const gchar *what)
{
  FUZZ_CHECK (index == 0xff || index < n_active, "%s names DPB entry %u of %u",
      what, index, n_active);
}

static void
check_controls (const GstH265NalUnit *nalu, const GstH265SliceHdr *slice,
    const GstV4l2ElasticH265PicturePlan *plan)
{
  struct v4l2_ctrl_hevc_sps sps;
  struct v4l2_ctrl_hevc_pps pps;
  struct v4l2_ctrl_hevc_scaling_matrix matrix;
  struct v4l2_ctrl_hevc_decode_params params;
  struct v4l2_ctrl_hevc_slice_params slice_params;
  GstV4l2ElasticH265DpbMap map;
  guint i, n;

  gst_v4l2_elastic_h265_fill_sps (&sps, slice->pps->sps);
  gst_v4l2_elastic_h265_fill_pps (&pps, slice->pps);
  gst_v4l2_elastic_h265_fill_scaling_matrix (&matrix, slice->pps);
  gst_v4l2_elastic_h265_fill_decode_params (&params, slice, plan, &map);
  n = params.num_active_dpb_entries;
  FUZZ_CHECK (
      n <= plan->n_dpb, "%u DPB entries for %u references", n, plan->n_dpb);
  for (i = 0; i < params.num_poc_st_curr_before; i++)
    check_index (params.poc_st_curr_before[i], n, "StCurrBefore");
  for (i = 0; i < params.num_poc_st_curr_after; i++)
    check_index (params.poc_st_curr_after[i], n, "StCurrAfter");
  for (i = 0; i < params.num_poc_lt_curr; i++)
    check_index (params.poc_lt_curr[i], n, "LtCurr");
  if (!gst_v4l2_elastic_h265_fill_slice_params (
          &slice_params, nalu, slice, plan, &map))
    return;
  FUZZ_CHECK (slice_params.data_byte_offset <= slice_params.bit_size / 8,
      "slice data at byte %u of %u", slice_params.data_byte_offset,
      slice_params.bit_size / 8);
  for (i = 0; i < V4L2_HEVC_DPB_ENTRIES_NUM_MAX; i++) {
    check_index (slice_params.ref_idx_l0[i], n, "RefPicList0");
    check_index (slice_params.ref_idx_l1[i], n, "RefPicList1");
  }
}

static void
picture (Ctx *ctx, const GstH265NalUnit *nalu, const GstH265SliceHdr *slice)
{
  GstV4l2ElasticH265PicturePlan plan;
  GstV4l2ElasticH265Decision decision;
  FuzzPic *pic;

  decision = gst_v4l2_elastic_h265_state_begin_picture (
      ctx->state, nalu, slice, &plan, ctx->output);
  take_output (ctx);
  if (decision == GST_V4L2_ELASTIC_H265_ERROR) {
    FUZZ_CHECK (plan.message != NULL, "error without a message");
    return;
  }
  if (decision == GST_V4L2_ELASTIC_H265_DROP) {
    FUZZ_CHECK (plan.drop_reason != GST_V4L2_ELASTIC_H265_DROP_NONE,
        "drop without a reason");
    return;
  }
  FUZZ_CHECK (
      decision == GST_V4L2_ELASTIC_H265_DECODE, "decision %d", decision);
  if (verbose)
    fprintf (stderr,
        "picture %" G_GUINT64_FORMAT ": type %u POC %d, %u references, "
        "DPB %u, reorder %u%s\n",
        fuzz_pics.last_id + 1, plan.nal_unit_type, plan.pic_order_cnt_val,
        plan.n_dpb, plan.sequence.dpb_size, plan.sequence.reorder,
        plan.output ? "" : ", not output");
  check_plan (&plan);
  check_controls (nalu, slice, &plan);
  FUZZ_CHECK (plan.new_sequence ||
          (ctx->have_sequence &&
              gst_v4l2_elastic_h265_sequence_equal (
                  &ctx->sequence, &plan.sequence)),
      "the sequence changed (%ux%u DPB %u) without new_sequence",
      plan.sequence.width, plan.sequence.height, plan.sequence.dpb_size);
  if (plan.new_sequence)
    FUZZ_CHECK (plan.irap && plan.no_rasl_output,
        "a new sequence at a picture that does not start one");
  ctx->sequence = plan.sequence;
  ctx->have_sequence = TRUE;

  if (plan.irap && plan.no_rasl_output)
    ctx->epoch++;
  if (plan.n_generated_curr > 0 && ctx->lost++ % 2 == 0) {
    /* The element's other choice: not decoding it. */
    gst_v4l2_elastic_h265_state_end_picture (ctx->state, NULL, 0, ctx->output);
  } else {
    pic = fuzz_pic_new ();
    pic->pending = plan.output;
    pic->epoch = ctx->epoch;
    pic->poc = plan.pic_order_cnt_val;
    gst_v4l2_elastic_h265_state_end_picture (
        ctx->state, pic, pic->id, ctx->output);
  }
  take_output (ctx);
  FUZZ_CHECK (
      gst_v4l2_elastic_h265_state_held (ctx->state) <= plan.sequence.dpb_size,
      "the state holds %u pictures, DPB %u",
      gst_v4l2_elastic_h265_state_held (ctx->state), plan.sequence.dpb_size);
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
  ctx.parser = gst_h265_parser_new ();
  ctx.state = gst_v4l2_elastic_h265_state_new (fuzz_pic_ref, fuzz_pic_unref);
  ctx.output = g_ptr_array_new ();

  while (offset < size) {
    GstH265NalUnit nalu;
    GstH265SliceHdr slice;
    GstH265SPS sps;
    GstH265ParserResult pres;

    pres =
        gst_h265_parser_identify_nalu (ctx.parser, data, offset, size, &nalu);
    if (pres == GST_H265_PARSER_NO_NAL_END)
      pres = GST_H265_PARSER_OK;
    if (pres != GST_H265_PARSER_OK)
      break;
    FUZZ_CHECK ((gsize) nalu.offset + nalu.size <= size,
        "NAL unit %u+%u beyond %" G_GSIZE_FORMAT, nalu.offset, nalu.size, size);
    FUZZ_CHECK (nalu.offset + nalu.size > offset, "no progress at %u", offset);
    offset = nalu.offset + nalu.size;

    switch (nalu.type) {
    case GST_H265_NAL_VPS:
    case GST_H265_NAL_PPS:
      gst_h265_parser_parse_nal (ctx.parser, &nalu);
      break;
    case GST_H265_NAL_SPS:
      gst_h265_parser_parse_sps (ctx.parser, &nalu, &sps, TRUE);
      break;
    case GST_H265_NAL_EOS:
      gst_v4l2_elastic_h265_state_end_of_sequence (ctx.state, ctx.output);
      take_output (&ctx);
      break;
    case GST_H265_NAL_FD:
      /* Filler data stands for a flush (a seek): the state forgets
       * everything, pictures waiting included. */
      gst_v4l2_elastic_h265_state_reset (ctx.state);
      FUZZ_CHECK (gst_v4l2_elastic_h265_state_held (ctx.state) == 0,
          "%u pictures held after a reset",
          gst_v4l2_elastic_h265_state_held (ctx.state));
      ctx.epoch++;
      ctx.have_last = FALSE;
      break;
    default:
      if (nalu.type >= 32)
        break;
      if (gst_h265_parser_parse_slice_hdr (ctx.parser, &nalu, &slice) !=
          GST_H265_PARSER_OK)
        break;
      if (slice.first_slice_segment_in_pic_flag)
        picture (&ctx, &nalu, &slice);
      gst_h265_slice_hdr_free (&slice);
      break;
    }
  }

  gst_v4l2_elastic_h265_state_drain (ctx.state, ctx.output);
  take_output (&ctx);
  gst_v4l2_elastic_h265_state_free (ctx.state);
  g_ptr_array_free (ctx.output, TRUE);
  gst_h265_parser_free (ctx.parser);
  fuzz_pics_end ();
  return 0;
}
