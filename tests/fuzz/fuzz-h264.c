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

/* ---- the controls, as the element fills them ---- */

static void
fill_sps (struct v4l2_ctrl_h264_sps *out, const GstH264SPS *sps)
{
  guint i;

  memset (out, 0, sizeof (*out));
  out->profile_idc = sps->profile_idc;
  out->level_idc = sps->level_idc;
  out->seq_parameter_set_id = sps->id;
  out->chroma_format_idc = sps->chroma_format_idc;
  out->bit_depth_luma_minus8 = sps->bit_depth_luma_minus8;
  out->bit_depth_chroma_minus8 = sps->bit_depth_chroma_minus8;
  out->log2_max_frame_num_minus4 = sps->log2_max_frame_num_minus4;
  out->pic_order_cnt_type = sps->pic_order_cnt_type;
  out->log2_max_pic_order_cnt_lsb_minus4 =
      sps->log2_max_pic_order_cnt_lsb_minus4;
  out->max_num_ref_frames = sps->num_ref_frames;
  out->num_ref_frames_in_pic_order_cnt_cycle =
      sps->num_ref_frames_in_pic_order_cnt_cycle;
  for (i = 0; i < sps->num_ref_frames_in_pic_order_cnt_cycle &&
       i < G_N_ELEMENTS (out->offset_for_ref_frame);
       i++)
    out->offset_for_ref_frame[i] = sps->offset_for_ref_frame[i];
  out->offset_for_non_ref_pic = sps->offset_for_non_ref_pic;
  out->offset_for_top_to_bottom_field = sps->offset_for_top_to_bottom_field;
  out->pic_width_in_mbs_minus1 = sps->pic_width_in_mbs_minus1;
  out->pic_height_in_map_units_minus1 = sps->pic_height_in_map_units_minus1;
  if (sps->frame_mbs_only_flag)
    out->flags |= V4L2_H264_SPS_FLAG_FRAME_MBS_ONLY;
  if (sps->mb_adaptive_frame_field_flag)
    out->flags |= V4L2_H264_SPS_FLAG_MB_ADAPTIVE_FRAME_FIELD;
}

static void
fill_pps (struct v4l2_ctrl_h264_pps *out, const GstH264PPS *pps)
{
  memset (out, 0, sizeof (*out));
  out->pic_parameter_set_id = pps->id;
  out->seq_parameter_set_id = pps->sequence->id;
  out->num_slice_groups_minus1 = pps->num_slice_groups_minus1;
  out->num_ref_idx_l0_default_active_minus1 = pps->num_ref_idx_l0_active_minus1;
  out->num_ref_idx_l1_default_active_minus1 = pps->num_ref_idx_l1_active_minus1;
  out->weighted_bipred_idc = pps->weighted_bipred_idc;
  out->pic_init_qp_minus26 = pps->pic_init_qp_minus26;
  out->pic_init_qs_minus26 = pps->pic_init_qs_minus26;
  out->chroma_qp_index_offset = pps->chroma_qp_index_offset;
  out->second_chroma_qp_index_offset =
      (gint8) pps->second_chroma_qp_index_offset;
}

static void
fill_scaling_matrix (
    struct v4l2_ctrl_h264_scaling_matrix *out, const GstH264PPS *pps)
{
  const GstH264SPS *sps = pps->sequence;
  gboolean carried =
      sps->scaling_matrix_present_flag || pps->pic_scaling_matrix_present_flag;
  guint i, n_8x8 = (sps->chroma_format_idc == 3 || !carried) ? 6 : 2;

  memset (out, 0, sizeof (*out));
  for (i = 0; i < 6; i++)
    gst_h264_quant_matrix_4x4_get_raster_from_zigzag (
        out->scaling_list_4x4[i], pps->scaling_lists_4x4[i]);
  for (i = 0; i < n_8x8; i++)
    gst_h264_quant_matrix_8x8_get_raster_from_zigzag (
        out->scaling_list_8x8[i], pps->scaling_lists_8x8[i]);
}

static void
fill_decode_params (struct v4l2_ctrl_h264_decode_params *out,
    const GstH264NalUnit *nalu, const GstH264SliceHdr *slice,
    const GstV4l2ElasticH264PicturePlan *plan)
{
  guint i;

  memset (out, 0, sizeof (*out));
  FUZZ_CHECK (
      plan->n_dpb <= V4L2_H264_NUM_DPB_ENTRIES, "n_dpb %u", plan->n_dpb);
  for (i = 0; i < plan->n_dpb; i++) {
    const GstV4l2ElasticH264DpbEntry *e = &plan->dpb[i];
    struct v4l2_h264_dpb_entry *d = &out->dpb[i];

    d->reference_ts = e->id;
    if (e->flags & GST_V4L2_ELASTIC_H264_DPB_LONG_TERM) {
      d->pic_num = e->long_term_frame_idx;
      d->frame_num = e->long_term_frame_idx;
    } else {
      d->pic_num = (guint32) e->frame_num_wrap;
      d->frame_num = e->frame_num;
    }
    d->top_field_order_cnt = e->top_field_order_cnt;
    d->bottom_field_order_cnt = e->bottom_field_order_cnt;
    if (e->flags & GST_V4L2_ELASTIC_H264_DPB_VALID)
      d->flags |= V4L2_H264_DPB_ENTRY_FLAG_VALID;
    if (e->flags & GST_V4L2_ELASTIC_H264_DPB_ACTIVE)
      d->flags |= V4L2_H264_DPB_ENTRY_FLAG_ACTIVE;
    if (e->flags & GST_V4L2_ELASTIC_H264_DPB_LONG_TERM)
      d->flags |= V4L2_H264_DPB_ENTRY_FLAG_LONG_TERM;
  }
  out->nal_ref_idc = nalu->ref_idc;
  out->frame_num = slice->frame_num;
  out->top_field_order_cnt = plan->top_field_order_cnt;
  out->bottom_field_order_cnt = plan->bottom_field_order_cnt;
  out->idr_pic_id = slice->idr_pic_id;
  out->pic_order_cnt_lsb = slice->pic_order_cnt_lsb;
  out->delta_pic_order_cnt_bottom = slice->delta_pic_order_cnt_bottom;
  out->delta_pic_order_cnt0 = slice->delta_pic_order_cnt[0];
  out->delta_pic_order_cnt1 = slice->delta_pic_order_cnt[1];
  out->dec_ref_pic_marking_bit_size = slice->dec_ref_pic_marking.bit_size;
  out->pic_order_cnt_bit_size = slice->pic_order_cnt_bit_size;
  out->slice_group_change_cycle = slice->slice_group_change_cycle;
  if (plan->idr)
    out->flags |= V4L2_H264_DECODE_PARAM_FLAG_IDR_PIC;
}

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

  fill_sps (&sps_ctrl, slice->pps->sequence);
  fill_pps (&pps_ctrl, slice->pps);
  fill_scaling_matrix (&matrix_ctrl, slice->pps);
  fill_decode_params (&params_ctrl, &ctx->first_nalu, slice, &plan);

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
