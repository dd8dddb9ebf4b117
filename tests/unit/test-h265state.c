/* gst-v4l2-elastic
 *
 * H.265 codec state on hand-made SPS/PPS/slice headers: picture order
 * count, reference picture sets (short-term from the slice and from the
 * SPS, long-term with lt_idx_sps and delta_poc_msb_present_flag), output
 * order (reorder depth, DPB fullness, latency, pic_output_flag), IRAP
 * handling (IDR, CRA first and mid-stream, BLA, end of sequence,
 * no_output_of_prior_pics_flag), unavailable reference pictures, the
 * conformance window and what is refused.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include <gst/gst.h>

#include "gsth265state.h"

#define TRAIL_N GST_H265_NAL_SLICE_TRAIL_N
#define TRAIL_R GST_H265_NAL_SLICE_TRAIL_R
#define RADL_N GST_H265_NAL_SLICE_RADL_N
#define RASL_N GST_H265_NAL_SLICE_RASL_N
#define RASL_R GST_H265_NAL_SLICE_RASL_R
#define BLA_W_LP GST_H265_NAL_SLICE_BLA_W_LP
#define IDR_W_RADL GST_H265_NAL_SLICE_IDR_W_RADL
#define IDR_N_LP GST_H265_NAL_SLICE_IDR_N_LP
#define CRA GST_H265_NAL_SLICE_CRA_NUT

#define DECODE GST_V4L2_ELASTIC_H265_DECODE
#define DROP GST_V4L2_ELASTIC_H265_DROP
#define ERROR GST_V4L2_ELASTIC_H265_ERROR

/* A reference-counted test picture. */
typedef struct
{
  gint refs;
  guint64 id;
} Pic;

static guint freed;

static gpointer
pic_ref (gpointer p)
{
  ((Pic *) p)->refs++;
  return p;
}

static void
pic_unref (gpointer p)
{
  Pic *pic = p;

  if (--pic->refs == 0) {
    freed++;
    g_free (pic);
  }
}

typedef struct
{
  GstV4l2ElasticH265State *state;
  GstH265SPS sps;
  GstH265PPS pps;
  GstV4l2ElasticH265PicturePlan plan;
  GArray *out; /* guint64 ids in output order */
  guint made;
} Ctx;

/* 320x240 4:2:0 8-bit Main, MaxPicOrderCntLsb 16, DPB of @dpb_size,
 * reorder @reorder. */
static void
sps_init (GstH265SPS *sps, guint dpb_size, guint reorder)
{
  memset (sps, 0, sizeof (*sps));
  sps->profile_tier_level.profile_idc = 1;
  sps->chroma_format_idc = 1;
  sps->pic_width_in_luma_samples = 320;
  sps->pic_height_in_luma_samples = 240;
  sps->log2_min_luma_coding_block_size_minus3 = 0;
  sps->log2_diff_max_min_luma_coding_block_size = 3; /* CTB 64 */
  sps->log2_max_pic_order_cnt_lsb_minus4 = 0;
  sps->max_dec_pic_buffering_minus1[0] = dpb_size - 1;
  sps->max_num_reorder_pics[0] = reorder;
  sps->valid = TRUE;
}

static void
ctx_init (Ctx *ctx, guint dpb_size, guint reorder)
{
  memset (ctx, 0, sizeof (*ctx));
  freed = 0;
  ctx->state = gst_v4l2_elastic_h265_state_new (pic_ref, pic_unref);
  sps_init (&ctx->sps, dpb_size, reorder);
  ctx->pps.sps = &ctx->sps;
  ctx->pps.valid = TRUE;
  ctx->out = g_array_new (FALSE, FALSE, sizeof (guint64));
}

static void
ctx_clear (Ctx *ctx)
{
  gst_v4l2_elastic_h265_state_free (ctx->state);
  g_array_free (ctx->out, TRUE);
  /* Every picture made came back. */
  g_assert_cmpuint (freed, ==, ctx->made);
}

static void
collect (Ctx *ctx, GPtrArray *output)
{
  guint i;

  for (i = 0; i < output->len; i++) {
    Pic *pic = g_ptr_array_index (output, i);

    g_array_append_val (ctx->out, pic->id);
    pic_unref (pic);
  }
  g_ptr_array_set_size (output, 0);
}

/* A short-term RPS from a list like "-1 -3f +2": a delta POC each,
 * "f" for a picture kept for later ones (not used by the current one). */
static void
rps_from_string (GstH265ShortTermRefPicSet *st, const gchar *desc)
{
  gchar **tokens = g_strsplit (desc ? desc : "", " ", -1);
  guint i;

  memset (st, 0, sizeof (*st));
  for (i = 0; tokens[i]; i++) {
    gint delta;
    gboolean foll;

    if (!*tokens[i])
      continue;
    delta = atoi (tokens[i]);
    foll = g_str_has_suffix (tokens[i], "f");
    if (delta < 0) {
      st->DeltaPocS0[st->NumNegativePics] = delta;
      st->UsedByCurrPicS0[st->NumNegativePics++] = !foll;
    } else {
      st->DeltaPocS1[st->NumPositivePics] = delta;
      st->UsedByCurrPicS1[st->NumPositivePics++] = !foll;
    }
  }
  st->NumDeltaPocs = st->NumNegativePics + st->NumPositivePics;
  g_strfreev (tokens);
}

static void
slice_init (Ctx *ctx, GstH265SliceHdr *slice, guint lsb, const gchar *rps)
{
  memset (slice, 0, sizeof (*slice));
  slice->first_slice_segment_in_pic_flag = 1;
  slice->pps = &ctx->pps;
  slice->pic_order_cnt_lsb = lsb;
  rps_from_string (&slice->short_term_ref_pic_sets, rps);
}

/* Begins and (when decoded) ends one picture named @id; returns the
 * decision. */
static GstV4l2ElasticH265Decision
feed_slice_tid (
    Ctx *ctx, guint8 type, guint tid, const GstH265SliceHdr *slice, guint64 id)
{
  GstH265NalUnit nalu = { 0 };
  GPtrArray *output = g_ptr_array_new ();
  GstV4l2ElasticH265Decision decision;

  nalu.type = type;
  nalu.temporal_id_plus1 = tid + 1;
  decision = gst_v4l2_elastic_h265_state_begin_picture (
      ctx->state, &nalu, slice, &ctx->plan, output);
  collect (ctx, output);
  if (decision == DECODE) {
    Pic *pic = g_new0 (Pic, 1);

    pic->refs = 1;
    pic->id = id;
    ctx->made++;
    gst_v4l2_elastic_h265_state_end_picture (ctx->state, pic, id, output);
    collect (ctx, output);
  }
  g_ptr_array_free (output, TRUE);
  return decision;
}

static GstV4l2ElasticH265Decision
feed_slice (Ctx *ctx, guint8 type, const GstH265SliceHdr *slice, guint64 id)
{
  return feed_slice_tid (ctx, type, 0, slice, id);
}

static GstV4l2ElasticH265Decision
feed (Ctx *ctx, guint8 type, guint lsb, const gchar *rps, guint64 id)
{
  GstH265SliceHdr slice;

  slice_init (ctx, &slice, lsb, rps);
  return feed_slice (ctx, type, &slice, id);
}

static void
drain (Ctx *ctx)
{
  GPtrArray *output = g_ptr_array_new ();

  gst_v4l2_elastic_h265_state_drain (ctx->state, output);
  collect (ctx, output);
  g_ptr_array_free (output, TRUE);
}

static void
end_of_sequence (Ctx *ctx)
{
  GPtrArray *output = g_ptr_array_new ();

  gst_v4l2_elastic_h265_state_end_of_sequence (ctx->state, output);
  collect (ctx, output);
  g_ptr_array_free (output, TRUE);
}

/* The output so far equals @ids (terminated by G_MAXUINT64). */
static void
assert_out (Ctx *ctx, const guint64 *ids)
{
  guint n = 0;

  while (ids[n] != G_MAXUINT64)
    n++;
  g_assert_cmpuint (ctx->out->len, ==, n);
  while (n-- > 0)
    g_assert_cmpuint (g_array_index (ctx->out, guint64, n), ==, ids[n]);
}

#define ASSERT_OUT(ctx, ...)                                                   \
  G_STMT_START                                                                 \
  {                                                                            \
    static const guint64 ids_[] = { __VA_ARGS__, G_MAXUINT64 };                \
    assert_out (ctx, ids_);                                                    \
  }                                                                            \
  G_STMT_END
#define ASSERT_NO_OUT(ctx) g_assert_cmpuint ((ctx)->out->len, ==, 0)

/* The DPB entry a list index names. */
static const GstV4l2ElasticH265DpbEntry *
entry (Ctx *ctx, guint8 idx)
{
  g_assert_cmpuint (idx, <, ctx->plan.n_dpb);
  return &ctx->plan.dpb[idx];
}

static void
test_poc_wrap_and_tid0 (void)
{
  /* MaxPicOrderCntLsb 16: lsb 0,6,12,2,8,14,4 is POC 0..36 by 6; lsb 13
   * after POC 36 steps back to 29. */
  static const guint lsb[] = { 0, 6, 12, 2, 8, 14, 4, 13 };
  static const gint32 poc[] = { 0, 6, 12, 18, 24, 30, 36, 29 };
  Ctx ctx;
  guint i;

  ctx_init (&ctx, 6, 5);
  for (i = 0; i < G_N_ELEMENTS (lsb); i++) {
    g_assert_cmpint (
        feed (&ctx, i == 0 ? IDR_N_LP : TRAIL_R, lsb[i], "", i), ==, DECODE);
    g_assert_cmpint (ctx.plan.pic_order_cnt_val, ==, poc[i]);
  }
  /* prevTid0Pic skips sub-layer non-reference pictures and pictures of
   * higher sub-layers: after POC 29, a TRAIL_N with lsb 5 (POC 37) and a
   * TemporalId 1 picture with lsb 3 (POC 35) do not move it, so lsb 8
   * is POC 24 (from 29), not 40 (from 37 or 35). */
  g_assert_cmpint (feed (&ctx, TRAIL_N, 5, "", 20), ==, DECODE);
  g_assert_cmpint (ctx.plan.pic_order_cnt_val, ==, 37);
  {
    GstH265SliceHdr slice;

    slice_init (&ctx, &slice, 3, "");
    g_assert_cmpint (feed_slice_tid (&ctx, TRAIL_R, 1, &slice, 21), ==, DECODE);
    g_assert_cmpint (ctx.plan.pic_order_cnt_val, ==, 35);
    g_assert_cmpuint (ctx.plan.temporal_id, ==, 1);
  }
  g_assert_cmpint (feed (&ctx, TRAIL_R, 8, "", 22), ==, DECODE);
  g_assert_cmpint (ctx.plan.pic_order_cnt_val, ==, 24);
  /* An IDR picture starts again at 0. */
  g_assert_cmpint (feed (&ctx, IDR_W_RADL, 0, "", 23), ==, DECODE);
  g_assert_cmpint (ctx.plan.pic_order_cnt_val, ==, 0);
  g_assert_true (ctx.plan.idr && ctx.plan.irap && ctx.plan.no_rasl_output);
  drain (&ctx);
  ctx_clear (&ctx);
}

static void
test_short_term_rps (void)
{
  Ctx ctx;
  const GstV4l2ElasticH265DpbEntry *e;

  ctx_init (&ctx, 5, 2);
  /* I0 P8 B4 b2 b6: the usual pyramid.  Ids are POCs + 100. */
  g_assert_cmpint (feed (&ctx, IDR_W_RADL, 0, "", 100), ==, DECODE);
  g_assert_cmpuint (ctx.plan.n_dpb, ==, 0);
  g_assert_cmpint (feed (&ctx, TRAIL_R, 8, "-8", 108), ==, DECODE);
  g_assert_cmpuint (ctx.plan.n_st_curr_before, ==, 1);
  g_assert_cmpuint (entry (&ctx, ctx.plan.st_curr_before[0])->id, ==, 100);
  g_assert_cmpint (feed (&ctx, TRAIL_R, 4, "-4 +4", 104), ==, DECODE);
  g_assert_cmpuint (ctx.plan.n_st_curr_before, ==, 1);
  g_assert_cmpuint (ctx.plan.n_st_curr_after, ==, 1);
  e = entry (&ctx, ctx.plan.st_curr_after[0]);
  g_assert_cmpuint (e->id, ==, 108);
  g_assert_cmpint (e->pic_order_cnt_val, ==, 8);
  g_assert_cmpuint (e->flags, ==, 0);
  /* b2 keeps 8 for b6 without using it: StFoll. */
  g_assert_cmpint (feed (&ctx, TRAIL_N, 2, "-2 +2 +6f", 102), ==, DECODE);
  g_assert_cmpuint (ctx.plan.n_dpb, ==, 3);
  g_assert_cmpuint (ctx.plan.n_st_foll, ==, 1);
  g_assert_cmpuint (entry (&ctx, ctx.plan.st_foll[0])->id, ==, 108);
  /* Reorder 2: POC 0 went out after POC 4, POC 2 after itself. */
  ASSERT_OUT (&ctx, 100, 102);
  g_assert_cmpuint (freed, ==, 0); /* both are still references */
  /* b6 drops 0 and 2 from the RPS: output already, they go. */
  g_assert_cmpint (feed (&ctx, TRAIL_N, 6, "-2 +2", 106), ==, DECODE);
  g_assert_cmpuint (ctx.plan.n_dpb, ==, 2);
  g_assert_cmpuint (entry (&ctx, ctx.plan.st_curr_before[0])->id, ==, 104);
  g_assert_cmpuint (entry (&ctx, ctx.plan.st_curr_after[0])->id, ==, 108);
  g_assert_cmpuint (freed, ==, 2);
  drain (&ctx);
  ASSERT_OUT (&ctx, 100, 102, 104, 106, 108);
  ctx_clear (&ctx);
}

static void
test_rps_from_sps (void)
{
  Ctx ctx;
  GstH265SliceHdr slice;

  ctx_init (&ctx, 4, 0);
  /* Set 1 as inter-RPS prediction leaves it, computed by the parser:
   * two pictures back, both used. */
  rps_from_string (&ctx.sps.short_term_ref_pic_set[0], "-1");
  rps_from_string (&ctx.sps.short_term_ref_pic_set[1], "-1 -2");
  ctx.sps.short_term_ref_pic_set[1].inter_ref_pic_set_prediction_flag = 1;
  ctx.sps.num_short_term_ref_pic_sets = 2;

  g_assert_cmpint (feed (&ctx, IDR_N_LP, 0, "", 0), ==, DECODE);
  slice_init (&ctx, &slice, 1, "-5"); /* ignored: the SPS's set counts */
  slice.short_term_ref_pic_set_sps_flag = 1;
  slice.short_term_ref_pic_set_idx = 0;
  g_assert_cmpint (feed_slice (&ctx, TRAIL_R, &slice, 1), ==, DECODE);
  g_assert_cmpuint (ctx.plan.n_st_curr_before, ==, 1);
  g_assert_cmpuint (entry (&ctx, ctx.plan.st_curr_before[0])->id, ==, 0);
  slice_init (&ctx, &slice, 2, "");
  slice.short_term_ref_pic_set_sps_flag = 1;
  slice.short_term_ref_pic_set_idx = 1;
  g_assert_cmpint (feed_slice (&ctx, TRAIL_R, &slice, 2), ==, DECODE);
  g_assert_cmpuint (ctx.plan.n_st_curr_before, ==, 2);
  g_assert_cmpuint (entry (&ctx, ctx.plan.st_curr_before[0])->id, ==, 1);
  g_assert_cmpuint (entry (&ctx, ctx.plan.st_curr_before[1])->id, ==, 0);
  /* An index beyond the SPS's sets is a broken slice header. */
  slice.short_term_ref_pic_set_idx = 2;
  g_assert_cmpint (feed_slice (&ctx, TRAIL_R, &slice, 3), ==, ERROR);
  g_assert_nonnull (ctx.plan.message);
  drain (&ctx);
  ASSERT_OUT (&ctx, 0, 1, 2);
  ctx_clear (&ctx);
}

static void
test_long_term (void)
{
  Ctx ctx;
  GstH265SliceHdr slice;
  const GstV4l2ElasticH265DpbEntry *e;
  guint i;

  ctx_init (&ctx, 5, 0);
  ctx.sps.long_term_ref_pics_present_flag = 1;
  ctx.sps.num_long_term_ref_pics_sps = 2;
  ctx.sps.lt_ref_pic_poc_lsb_sps[0] = 3;
  ctx.sps.used_by_curr_pic_lt_sps_flag[0] = 0;
  ctx.sps.lt_ref_pic_poc_lsb_sps[1] = 0;
  ctx.sps.used_by_curr_pic_lt_sps_flag[1] = 1;

  /* POC 0 (IDR) and POC 3; then POC 0 becomes long-term through the
   * SPS's table (lt_idx_sps 1: LSB 0, used) and POC 3 through the slice
   * (poc_lsb_lt 3, not used: LtFoll). */
  g_assert_cmpint (feed (&ctx, IDR_N_LP, 0, "", 0), ==, DECODE);
  g_assert_cmpint (feed (&ctx, TRAIL_R, 3, "-3", 3), ==, DECODE);
  slice_init (&ctx, &slice, 5, "");
  slice.num_long_term_sps = 1;
  slice.lt_idx_sps[0] = 1;
  slice.num_long_term_pics = 1;
  slice.poc_lsb_lt[1] = 3;
  slice.used_by_curr_pic_lt_flag[1] = 0;
  g_assert_cmpint (feed_slice (&ctx, TRAIL_R, &slice, 5), ==, DECODE);
  g_assert_cmpuint (ctx.plan.n_lt_curr, ==, 1);
  g_assert_cmpuint (ctx.plan.n_lt_foll, ==, 1);
  g_assert_cmpuint (ctx.plan.n_st_curr_before, ==, 0);
  e = entry (&ctx, ctx.plan.lt_curr[0]);
  g_assert_cmpuint (e->id, ==, 0);
  g_assert_cmpuint (e->flags, ==, GST_V4L2_ELASTIC_H265_DPB_LONG_TERM);
  g_assert_cmpuint (entry (&ctx, ctx.plan.lt_foll[0])->id, ==, 3);

  /* Pictures up to POC 16, whose LSB is 0 again: POC 0 (long-term) and
   * POC 16 both have LSB 0; delta_poc_msb_present_flag says which. */
  for (i = 6; i <= 16; i++) {
    slice_init (&ctx, &slice, i % 16, "-1");
    slice.num_long_term_pics = 1;
    slice.poc_lsb_lt[0] = 0;
    slice.used_by_curr_pic_lt_flag[0] = 1;
    if (i == 16) {
      /* POC 16 is no reference yet: LSB 0 alone still names POC 0. */
      slice.delta_poc_msb_present_flag[0] = 1;
      slice.delta_poc_msb_cycle_lt[0] = 1; /* 16 - 1 * 16 - 0 + 0 = 0 */
    }
    g_assert_cmpint (feed_slice (&ctx, TRAIL_R, &slice, i), ==, DECODE);
    g_assert_cmpuint (entry (&ctx, ctx.plan.lt_curr[0])->id, ==, 0);
  }
  /* POC 17: the short-term POC 16 and the long-term POC 0 share LSB 0;
   * with the MSB cycle 0, POC 16 is meant, and becomes long-term. */
  slice_init (&ctx, &slice, 1, "");
  slice.num_long_term_pics = 1;
  slice.poc_lsb_lt[0] = 0;
  slice.used_by_curr_pic_lt_flag[0] = 1;
  slice.delta_poc_msb_present_flag[0] = 1;
  slice.delta_poc_msb_cycle_lt[0] = 0;
  g_assert_cmpint (feed_slice (&ctx, TRAIL_R, &slice, 17), ==, DECODE);
  g_assert_cmpuint (ctx.plan.n_lt_curr, ==, 1);
  e = entry (&ctx, ctx.plan.lt_curr[0]);
  g_assert_cmpuint (e->id, ==, 16);
  g_assert_cmpint (e->pic_order_cnt_val, ==, 16);
  g_assert_true (e->flags & GST_V4L2_ELASTIC_H265_DPB_LONG_TERM);
  g_assert_cmpuint (ctx.plan.n_dpb, ==, 1); /* POC 0 is gone */

  /* lt_idx_sps beyond the SPS's table: refused as broken. */
  slice_init (&ctx, &slice, 2, "");
  slice.num_long_term_sps = 1;
  slice.lt_idx_sps[0] = 2;
  g_assert_cmpint (feed_slice (&ctx, TRAIL_R, &slice, 18), ==, ERROR);
  g_assert_false (ctx.plan.unsupported);
  drain (&ctx);
  ctx_clear (&ctx);
}

static void
test_bumping_reorder (void)
{
  Ctx ctx;

  /* Reorder 0: each picture out as soon as decoded.  A stream that
   * still reorders (broken) gets its late picture decoded, not output:
   * output POCs never go back within a sequence. */
  ctx_init (&ctx, 4, 0);
  feed (&ctx, IDR_N_LP, 0, "", 0);
  ASSERT_OUT (&ctx, 0);
  feed (&ctx, TRAIL_R, 2, "-2", 2);
  g_assert_cmpint (feed (&ctx, TRAIL_N, 1, "-1 +1", 1), ==, DECODE);
  g_assert_false (ctx.plan.output);
  feed (&ctx, TRAIL_R, 3, "-1", 3);
  ASSERT_OUT (&ctx, 0, 2, 3);
  drain (&ctx);
  ctx_clear (&ctx);

  /* Reorder 1: POC 2 waits for POC 1. */
  ctx_init (&ctx, 4, 1);
  feed (&ctx, IDR_N_LP, 0, "", 0);
  ASSERT_NO_OUT (&ctx);
  feed (&ctx, TRAIL_R, 2, "-2", 2);
  ASSERT_OUT (&ctx, 0);
  feed (&ctx, TRAIL_N, 1, "-1 +1", 1);
  ASSERT_OUT (&ctx, 0, 1);
  drain (&ctx);
  ASSERT_OUT (&ctx, 0, 1, 2);
  ctx_clear (&ctx);
}

/* Begins a picture; its output (before decoding) goes to ctx->out. */
static GstV4l2ElasticH265Decision
begin (Ctx *ctx, guint8 type, guint lsb, const gchar *rps)
{
  GstH265NalUnit nalu = { 0 };
  GstH265SliceHdr slice;
  GPtrArray *output = g_ptr_array_new ();
  GstV4l2ElasticH265Decision decision;

  nalu.type = type;
  nalu.temporal_id_plus1 = 1;
  slice_init (ctx, &slice, lsb, rps);
  decision = gst_v4l2_elastic_h265_state_begin_picture (
      ctx->state, &nalu, &slice, &ctx->plan, output);
  collect (ctx, output);
  g_ptr_array_free (output, TRUE);
  return decision;
}

static void
end (Ctx *ctx, guint64 id)
{
  GPtrArray *output = g_ptr_array_new ();
  Pic *pic = g_new0 (Pic, 1);

  pic->refs = 1;
  pic->id = id;
  ctx->made++;
  gst_v4l2_elastic_h265_state_end_picture (ctx->state, pic, id, output);
  collect (ctx, output);
  g_ptr_array_free (output, TRUE);
}

static void
test_drain_mid_sequence (void)
{
  Ctx ctx;

  /* A drain in the middle of a sequence (GstVideoDecoder drains on a caps
   * change) outputs what waits; pictures decoded after it that come
   * before in output order are still output, after. */
  ctx_init (&ctx, 5, 2);
  feed (&ctx, IDR_N_LP, 0, "", 0);
  feed (&ctx, TRAIL_R, 8, "-8", 8);
  feed (&ctx, TRAIL_R, 4, "-4 +4", 4);
  drain (&ctx);
  ASSERT_OUT (&ctx, 0, 4, 8);
  g_assert_cmpint (feed (&ctx, TRAIL_N, 6, "-2 +2", 6), ==, DECODE);
  g_assert_true (ctx.plan.output);
  g_assert_cmpuint (ctx.plan.n_dpb, ==, 2);
  feed (&ctx, TRAIL_R, 12, "-4", 12);
  drain (&ctx);
  ASSERT_OUT (&ctx, 0, 4, 8, 6, 12);
  ctx_clear (&ctx);
}

static void
test_bumping_dpb_full (void)
{
  Ctx ctx;

  /* A DPB of 3 and a reorder depth of 4 (broken: clamped to 2). */
  ctx_init (&ctx, 3, 4);
  feed (&ctx, IDR_N_LP, 0, "", 0);
  g_assert_cmpuint (ctx.plan.sequence.reorder, ==, 2);
  feed (&ctx, TRAIL_R, 8, "-8", 8);
  /* 0 8 4 wait: 0 goes out, still a reference of 4. */
  feed (&ctx, TRAIL_R, 4, "-4 +4", 4);
  ASSERT_OUT (&ctx, 0);
  /* POC 12 keeps 0 and 8: with 4 (waiting, no reference any more) the
   * DPB is full, so C.5.2.2 outputs 4 before POC 12 is decoded, though
   * only two pictures wait. */
  g_assert_cmpint (begin (&ctx, TRAIL_R, 12, "-4 -12"), ==, DECODE);
  ASSERT_OUT (&ctx, 0, 4);
  g_assert_cmpuint (ctx.plan.n_dpb, ==, 2);
  g_assert_cmpuint (gst_v4l2_elastic_h265_state_held (ctx.state), ==, 2);
  end (&ctx, 12);
  ASSERT_OUT (&ctx, 0, 4);
  drain (&ctx);
  ASSERT_OUT (&ctx, 0, 4, 8, 12);
  ctx_clear (&ctx);
}

static void
test_bumping_latency (gconstpointer data)
{
  gboolean limit = GPOINTER_TO_INT (data);
  Ctx ctx;
  GstH265SliceHdr slice;
  guint i;

  /* Reorder 2 and SpsMaxLatencyPictures 2 + 1 - 1 = 2: a picture waits
   * for at most 2 pictures decoded after it, which here are not output
   * (pic_output_flag 0) and so never make the reorder depth bump it. */
  ctx_init (&ctx, 4, 2);
  ctx.sps.max_latency_increase_plus1[0] = limit ? 1 : 0;
  ctx.pps.output_flag_present_flag = 1;
  slice_init (&ctx, &slice, 0, "");
  slice.pic_output_flag = 1;
  feed_slice (&ctx, IDR_N_LP, &slice, 0);
  g_assert_cmpuint (ctx.plan.sequence.max_latency_pictures, ==, limit ? 2 : 0);
  for (i = 1; i <= 2; i++) {
    slice_init (&ctx, &slice, i, "-1");
    slice.pic_output_flag = 0;
    feed_slice (&ctx, TRAIL_R, &slice, i);
    if (i == 1 || !limit)
      ASSERT_NO_OUT (&ctx);
  }
  if (limit)
    ASSERT_OUT (&ctx, 0);
  drain (&ctx);
  ASSERT_OUT (&ctx, 0);
  ctx_clear (&ctx);
}

static void
test_pic_output_flag (void)
{
  Ctx ctx;
  GstH265SliceHdr slice;

  ctx_init (&ctx, 4, 0);
  ctx.pps.output_flag_present_flag = 1;
  slice_init (&ctx, &slice, 0, "");
  slice.pic_output_flag = 0;
  g_assert_cmpint (feed_slice (&ctx, IDR_N_LP, &slice, 0), ==, DECODE);
  g_assert_false (ctx.plan.output);
  slice_init (&ctx, &slice, 1, "-1");
  slice.pic_output_flag = 1;
  g_assert_cmpint (feed_slice (&ctx, TRAIL_R, &slice, 1), ==, DECODE);
  /* Picture 0 is still a reference, never output. */
  g_assert_cmpuint (entry (&ctx, ctx.plan.st_curr_before[0])->id, ==, 0);
  drain (&ctx);
  ASSERT_OUT (&ctx, 1);
  ctx_clear (&ctx);
}

static void
test_prior_pics (gconstpointer data)
{
  gboolean no_output = GPOINTER_TO_INT (data);
  Ctx ctx;
  GstH265SliceHdr slice;

  ctx_init (&ctx, 4, 2);
  feed (&ctx, IDR_N_LP, 0, "", 0);
  feed (&ctx, TRAIL_R, 2, "-2", 2);
  ASSERT_NO_OUT (&ctx);
  slice_init (&ctx, &slice, 0, "");
  slice.no_output_of_prior_pics_flag = no_output;
  g_assert_cmpint (feed_slice (&ctx, IDR_W_RADL, &slice, 10), ==, DECODE);
  g_assert_cmpint (ctx.plan.no_output_of_prior_pics, ==, no_output);
  if (no_output) {
    ASSERT_NO_OUT (&ctx);
    g_assert_cmpuint (freed, ==, 2);
  } else {
    ASSERT_OUT (&ctx, 0, 2);
  }
  g_assert_false (ctx.plan.new_sequence);
  drain (&ctx);
  ctx_clear (&ctx);
}

static void
test_cra_first_and_mid_stream (void)
{
  Ctx ctx;

  ctx_init (&ctx, 5, 2);
  /* A stream that starts at a CRA picture (POC 8): its RASL pictures (POC
   * 5..7, referring to pictures before it) are dropped, its RADL picture
   * is decoded. */
  g_assert_cmpint (feed (&ctx, TRAIL_R, 4, "", 1), ==, DROP);
  g_assert_cmpint (
      ctx.plan.drop_reason, ==, GST_V4L2_ELASTIC_H265_DROP_NO_IRAP);
  g_assert_cmpint (feed (&ctx, CRA, 8, "-4f", 8), ==, DECODE);
  g_assert_true (ctx.plan.cra && ctx.plan.no_rasl_output);
  g_assert_cmpint (ctx.plan.pic_order_cnt_val, ==, 8);
  /* 8.3.3: the picture POC 4 its RASL pictures would use is generated. */
  g_assert_cmpuint (ctx.plan.n_generated, ==, 1);
  g_assert_cmpuint (ctx.plan.n_generated_curr, ==, 0);
  g_assert_cmpuint (entry (&ctx, ctx.plan.st_foll[0])->flags, ==,
      GST_V4L2_ELASTIC_H265_DPB_GENERATED);
  g_assert_cmpuint (entry (&ctx, ctx.plan.st_foll[0])->id, ==, 0);
  g_assert_cmpint (feed (&ctx, RASL_R, 6, "-2 +2", 6), ==, DROP);
  g_assert_cmpint (ctx.plan.drop_reason, ==, GST_V4L2_ELASTIC_H265_DROP_RASL);
  g_assert_cmpint (feed (&ctx, RASL_N, 5, "-1 +3", 5), ==, DROP);
  g_assert_cmpint (feed (&ctx, RADL_N, 7, "+1", 7), ==, DECODE);
  g_assert_cmpint (feed (&ctx, TRAIL_R, 12, "-4", 12), ==, DECODE);
  /* The generated picture is not in the RPS any more: gone. */
  g_assert_cmpuint (ctx.plan.n_dpb, ==, 1);
  /* A CRA picture mid-stream: NoRaslOutputFlag 0, its RASL pictures are
   * decoded and refer to pictures before it. */
  g_assert_cmpint (feed (&ctx, CRA, 0, "-4f", 16), ==, DECODE);
  g_assert_cmpint (ctx.plan.pic_order_cnt_val, ==, 16);
  g_assert_false (ctx.plan.no_rasl_output);
  g_assert_cmpuint (ctx.plan.n_st_foll, ==, 1);
  g_assert_cmpuint (entry (&ctx, ctx.plan.st_foll[0])->id, ==, 12);
  g_assert_cmpint (feed (&ctx, RASL_N, 14, "-2 +2", 14), ==, DECODE);
  g_assert_cmpint (ctx.plan.pic_order_cnt_val, ==, 14);
  g_assert_cmpuint (entry (&ctx, ctx.plan.st_curr_before[0])->id, ==, 12);
  g_assert_cmpuint (entry (&ctx, ctx.plan.st_curr_after[0])->id, ==, 16);
  drain (&ctx);
  ASSERT_OUT (&ctx, 7, 8, 12, 14, 16);
  ctx_clear (&ctx);
}

static void
test_bla (void)
{
  Ctx ctx;
  GstH265SliceHdr slice;

  ctx_init (&ctx, 5, 0);
  feed (&ctx, IDR_N_LP, 0, "", 0);
  feed (&ctx, TRAIL_R, 4, "-4", 4);
  /* A BLA picture (a spliced CRA, POC LSB 9): POC restarts at its LSB,
   * references go, RASL pictures are dropped. */

  ctx.sps.long_term_ref_pics_present_flag = 1;
  slice_init (&ctx, &slice, 9, "-1f");
  /* Its RPS also keeps a long-term picture of LSB 2 for its RASL
   * pictures: generated as a long-term one (8.3.3.1). */
  slice.num_long_term_pics = 1;
  slice.poc_lsb_lt[0] = 2;
  g_assert_cmpint (feed_slice (&ctx, BLA_W_LP, &slice, 9), ==, DECODE);
  g_assert_true (ctx.plan.bla && ctx.plan.no_rasl_output);
  g_assert_cmpint (ctx.plan.pic_order_cnt_val, ==, 9);
  g_assert_cmpuint (ctx.plan.n_generated, ==, 2);
  g_assert_cmpuint (ctx.plan.n_dpb, ==, 2);
  g_assert_cmpint (entry (&ctx, ctx.plan.st_foll[0])->pic_order_cnt_val, ==, 8);
  g_assert_cmpuint (entry (&ctx, ctx.plan.lt_foll[0])->flags, ==,
      GST_V4L2_ELASTIC_H265_DPB_GENERATED |
          GST_V4L2_ELASTIC_H265_DPB_LONG_TERM);
  g_assert_cmpint (entry (&ctx, ctx.plan.lt_foll[0])->pic_order_cnt_val, ==, 2);
  g_assert_cmpint (feed (&ctx, RASL_N, 8, "+1", 8), ==, DROP);
  g_assert_cmpint (feed (&ctx, TRAIL_R, 10, "-1", 10), ==, DECODE);
  g_assert_cmpuint (entry (&ctx, ctx.plan.st_curr_before[0])->id, ==, 9);
  g_assert_cmpuint (ctx.plan.n_dpb, ==, 1); /* the generated ones went */
  drain (&ctx);
  ASSERT_OUT (&ctx, 0, 4, 9, 10);
  ctx_clear (&ctx);
}

static void
test_end_of_sequence (void)
{
  Ctx ctx;

  ctx_init (&ctx, 5, 2);
  feed (&ctx, IDR_N_LP, 0, "", 0);
  feed (&ctx, TRAIL_R, 4, "-4", 4);
  feed (&ctx, TRAIL_R, 2, "-2 +2", 2);
  ASSERT_OUT (&ctx, 0);
  end_of_sequence (&ctx);
  ASSERT_OUT (&ctx, 0);
  /* After an end of sequence a non-IRAP picture waits for an IRAP. */
  g_assert_cmpint (feed (&ctx, TRAIL_R, 6, "-2", 6), ==, DROP);
  /* A CRA picture starts a coded video sequence: POC from its LSB alone
   * (5, not 21), RASL dropped, and the pictures that waited are
   * discarded (C.5.2.2: NoOutputOfPriorPicsFlag is 1 at a CRA). */
  g_assert_cmpint (feed (&ctx, CRA, 5, "", 105), ==, DECODE);
  g_assert_true (ctx.plan.no_rasl_output);
  g_assert_true (ctx.plan.no_output_of_prior_pics);
  g_assert_cmpint (ctx.plan.pic_order_cnt_val, ==, 5);
  g_assert_cmpint (feed (&ctx, RASL_N, 3, "+2", 103), ==, DROP);
  /* An IDR picture after an end of sequence outputs them. */
  end_of_sequence (&ctx);
  g_assert_cmpint (feed (&ctx, IDR_N_LP, 0, "", 200), ==, DECODE);
  g_assert_false (ctx.plan.no_output_of_prior_pics);
  drain (&ctx);
  ASSERT_OUT (&ctx, 0, 105, 200);
  ctx_clear (&ctx);
}

static void
test_lost_reference (void)
{
  Ctx ctx;
  GPtrArray *output = g_ptr_array_new ();
  GstH265NalUnit nalu = { 0 };
  GstH265SliceHdr slice;

  ctx_init (&ctx, 4, 0);
  feed (&ctx, IDR_N_LP, 0, "", 0);
  /* POC 1 refers to POC 0 and to POC 2, which never came. */
  g_assert_cmpint (feed (&ctx, TRAIL_R, 1, "-1 +1", 1), ==, DECODE);
  g_assert_cmpuint (ctx.plan.n_generated_curr, ==, 1);
  g_assert_cmpuint (entry (&ctx, ctx.plan.st_curr_after[0])->flags, ==,
      GST_V4L2_ELASTIC_H265_DPB_GENERATED);
  g_assert_cmpint (
      entry (&ctx, ctx.plan.st_curr_after[0])->pic_order_cnt_val, ==, 2);
  /* The caller may skip a picture: end_picture without a picture keeps
   * the RPS bookkeeping, outputs nothing. */
  nalu.type = TRAIL_R;
  nalu.temporal_id_plus1 = 1;
  slice_init (&ctx, &slice, 3, "-2");
  g_assert_cmpint (gst_v4l2_elastic_h265_state_begin_picture (
                       ctx.state, &nalu, &slice, &ctx.plan, output),
      ==, DECODE);
  gst_v4l2_elastic_h265_state_end_picture (ctx.state, NULL, 3, output);
  collect (&ctx, output);
  g_assert_cmpint (feed (&ctx, TRAIL_R, 4, "-1", 4), ==, DECODE);
  g_assert_cmpuint (entry (&ctx, ctx.plan.st_curr_before[0])->flags, ==,
      GST_V4L2_ELASTIC_H265_DPB_GENERATED);
  drain (&ctx);
  ASSERT_OUT (&ctx, 0, 1, 4);
  g_ptr_array_free (output, TRUE);
  ctx_clear (&ctx);
}

static void
test_dpb_overflow (void)
{
  Ctx ctx;

  /* A DPB of 2 holds one reference besides the current picture. */
  ctx_init (&ctx, 2, 0);
  feed (&ctx, IDR_N_LP, 0, "", 0);
  feed (&ctx, TRAIL_R, 1, "-1", 1);
  /* Two references used: they cannot fit. */
  g_assert_cmpint (feed (&ctx, TRAIL_R, 2, "-1 -2", 2), ==, DROP);
  g_assert_cmpint (
      ctx.plan.drop_reason, ==, GST_V4L2_ELASTIC_H265_DROP_DPB_OVERFLOW);
  /* One used, one kept for later: the kept one goes. */
  g_assert_cmpint (feed (&ctx, TRAIL_R, 3, "-2 -3f", 3), ==, DECODE);
  g_assert_cmpuint (ctx.plan.n_dpb, ==, 1);
  g_assert_cmpuint (entry (&ctx, ctx.plan.st_curr_before[0])->id, ==, 1);
  g_assert_cmpuint (ctx.plan.st_foll[0], ==, GST_V4L2_ELASTIC_H265_NO_REF);
  g_assert_cmpuint (gst_v4l2_elastic_h265_state_held (ctx.state), <=, 2);
  drain (&ctx);
  ASSERT_OUT (&ctx, 0, 1, 3);
  ctx_clear (&ctx);
}

static void
test_sequence (void)
{
  Ctx ctx;

  ctx_init (&ctx, 5, 2);
  /* 178x100 in CTBs of 64: coded 184x104 (multiple of MinCbSizeY 8), a
   * conformance window of 6 and 4 luma samples (3 and 2 chroma). */
  ctx.sps.pic_width_in_luma_samples = 184;
  ctx.sps.pic_height_in_luma_samples = 104;
  ctx.sps.conformance_window_flag = 1;
  ctx.sps.conf_win_left_offset = 1;
  ctx.sps.conf_win_right_offset = 2;
  ctx.sps.conf_win_bottom_offset = 2;
  g_assert_cmpint (feed (&ctx, IDR_N_LP, 0, "", 0), ==, DECODE);
  g_assert_true (ctx.plan.new_sequence);
  g_assert_cmpuint (ctx.plan.sequence.width, ==, 184);
  g_assert_cmpuint (ctx.plan.sequence.height, ==, 104);
  g_assert_cmpuint (ctx.plan.sequence.visible_x, ==, 2);
  g_assert_cmpuint (ctx.plan.sequence.visible_y, ==, 0);
  g_assert_cmpuint (ctx.plan.sequence.visible_width, ==, 178);
  g_assert_cmpuint (ctx.plan.sequence.visible_height, ==, 100);
  g_assert_cmpuint (ctx.plan.sequence.dpb_size, ==, 5);
  g_assert_cmpuint (ctx.plan.sequence.reorder, ==, 2);
  feed (&ctx, TRAIL_R, 1, "-1", 1);
  g_assert_false (ctx.plan.new_sequence);

  /* The SPS changes without an IRAP picture: cut stream, what waits goes
   * out, pictures are dropped until an IRAP one. */
  ctx.sps.pic_width_in_luma_samples = 320;
  g_assert_cmpint (feed (&ctx, TRAIL_R, 2, "-1", 2), ==, DROP);
  ASSERT_OUT (&ctx, 0, 1);
  g_assert_cmpint (feed (&ctx, TRAIL_R, 3, "", 3), ==, DROP);
  /* Main 10 decodes: the state only reports the bit depth. */
  ctx.sps.bit_depth_luma_minus8 = 2;
  ctx.sps.bit_depth_chroma_minus8 = 2;
  ctx.sps.profile_tier_level.profile_idc = 2;
  g_assert_cmpint (feed (&ctx, IDR_N_LP, 0, "", 4), ==, DECODE);
  g_assert_true (ctx.plan.new_sequence);
  g_assert_cmpuint (ctx.plan.sequence.bit_depth_luma, ==, 10);
  g_assert_cmpuint (ctx.plan.sequence.bit_depth_chroma, ==, 10);
  g_assert_cmpuint (ctx.plan.sequence.visible_width, ==, 314);
  drain (&ctx);
  ctx_clear (&ctx);
}

static void
test_refused_irap_announces_later (void)
{
  Ctx ctx;

  ctx_init (&ctx, 4, 0);
  g_assert_cmpint (feed (&ctx, IDR_N_LP, 0, "", 0), ==, DECODE);
  g_assert_true (ctx.plan.new_sequence);
  /* A CRA picture of a new size (a splice: handled as BLA) with a broken
   * POC LSB: refused, after it started the new sequence. */
  ctx.sps.pic_width_in_luma_samples = 160;
  g_assert_cmpint (feed (&ctx, CRA, 16, "", 1), ==, ERROR);
  ASSERT_OUT (&ctx, 0);
  /* What follows waits for an IRAP picture, which announces the size. */
  g_assert_cmpint (feed (&ctx, TRAIL_R, 1, "", 2), ==, DROP);
  g_assert_cmpint (feed (&ctx, CRA, 4, "", 3), ==, DECODE);
  g_assert_true (ctx.plan.new_sequence);
  g_assert_true (ctx.plan.no_rasl_output);
  g_assert_cmpuint (ctx.plan.sequence.width, ==, 160);
  g_assert_cmpint (feed (&ctx, TRAIL_R, 5, "-1", 4), ==, DECODE);
  g_assert_false (ctx.plan.new_sequence);
  drain (&ctx);
  ASSERT_OUT (&ctx, 0, 3, 4);
  ctx_clear (&ctx);
}

/* SPS changes made on a fresh Main SPS; whether the state refuses it as
 * unsupported (valid H.265) or broken. */
typedef struct
{
  const gchar *name;
  void (*change) (GstH265SPS *sps);
  GstV4l2ElasticH265Decision decision;
  gboolean unsupported;
} SpsCase;

static void
sps_422 (GstH265SPS *sps)
{
  sps->chroma_format_idc = 2;
  sps->profile_tier_level.profile_idc = 4;
}

static void
sps_444 (GstH265SPS *sps)
{
  sps->chroma_format_idc = 3;
  sps->profile_tier_level.profile_idc = 4;
}

static void
sps_mono (GstH265SPS *sps)
{
  sps->chroma_format_idc = 0;
}

static void
sps_12bit (GstH265SPS *sps)
{
  sps->bit_depth_luma_minus8 = 4;
  sps->bit_depth_chroma_minus8 = 4;
  sps->profile_tier_level.profile_idc = 4;
}

static void
sps_range_ext (GstH265SPS *sps)
{
  sps->sps_extension_flag = 1;
  sps->sps_range_extension_flag = 1;
}

static void
sps_scc (GstH265SPS *sps)
{
  sps->sps_extension_flag = 1;
  sps->sps_scc_extension_flag = 1;
  sps->profile_tier_level.profile_idc = 9;
}

static void
sps_rext_profile (GstH265SPS *sps)
{
  sps->profile_tier_level.profile_idc = 4;
}

static void
sps_rext_profile_main_compatible (GstH265SPS *sps)
{
  sps->profile_tier_level.profile_idc = 4;
  sps->profile_tier_level.profile_compatibility_flag[1] = 1;
}

static void
sps_main10 (GstH265SPS *sps)
{
  sps->bit_depth_luma_minus8 = 2;
  sps->bit_depth_chroma_minus8 = 1;
  sps->profile_tier_level.profile_idc = 2;
}

static void
sps_too_wide (GstH265SPS *sps)
{
  sps->pic_width_in_luma_samples = 16392;
}

static void
sps_zero_height (GstH265SPS *sps)
{
  sps->pic_height_in_luma_samples = 0;
}

static void
sps_not_min_cb (GstH265SPS *sps)
{
  sps->pic_width_in_luma_samples = 321;
}

static void
sps_dpb_17 (GstH265SPS *sps)
{
  sps->max_dec_pic_buffering_minus1[0] = 16;
}

static void
sps_vui_not_parsed (GstH265SPS *sps)
{
  sps->vui_parameters_present_flag = 1;
  sps->vui_params.parsed = FALSE;
}

static const SpsCase sps_cases[] = {
  { "422", sps_422, ERROR, TRUE },
  { "444", sps_444, ERROR, TRUE },
  { "monochrome", sps_mono, ERROR, TRUE },
  { "12bit", sps_12bit, ERROR, TRUE },
  { "range-extension-flag", sps_range_ext, ERROR, TRUE },
  { "scc", sps_scc, ERROR, TRUE },
  { "rext-profile", sps_rext_profile, ERROR, TRUE },
  { "rext-profile-main-compatible", sps_rext_profile_main_compatible, DECODE },
  { "main10-luma10-chroma9", sps_main10, DECODE },
  { "width-16392", sps_too_wide, ERROR, FALSE },
  { "height-0", sps_zero_height, ERROR, FALSE },
  { "width-not-min-cb", sps_not_min_cb, ERROR, FALSE },
  { "dpb-17", sps_dpb_17, ERROR, FALSE },
  { "vui-not-parsed", sps_vui_not_parsed, ERROR, FALSE },
};

static void
test_sps_refused (gconstpointer data)
{
  const SpsCase *c = data;
  Ctx ctx;

  ctx_init (&ctx, 4, 0);
  c->change (&ctx.sps);
  g_assert_cmpint (feed (&ctx, IDR_N_LP, 0, "", 0), ==, c->decision);
  if (c->decision == ERROR) {
    g_assert_nonnull (ctx.plan.message);
    g_test_message ("%s: %s", c->name, ctx.plan.message);
    g_assert_cmpint (ctx.plan.unsupported, ==, c->unsupported);
  }
  drain (&ctx);
  ctx_clear (&ctx);
}

static void
test_refused_and_dropped (void)
{
  Ctx ctx;
  GstH265SliceHdr slice;
  GstH265NalUnit nalu = { 0 };
  GPtrArray *output = g_ptr_array_new ();

  ctx_init (&ctx, 4, 0);
  slice_init (&ctx, &slice, 0, "");
  slice.first_slice_segment_in_pic_flag = 0;
  g_assert_cmpint (feed_slice (&ctx, IDR_N_LP, &slice, 0), ==, ERROR);
  slice_init (&ctx, &slice, 0, "");
  slice.pps = NULL;
  g_assert_cmpint (feed_slice (&ctx, IDR_N_LP, &slice, 0), ==, ERROR);
  slice_init (&ctx, &slice, 0, "");
  g_assert_cmpint (feed_slice (&ctx, GST_H265_NAL_SPS, &slice, 0), ==, ERROR);
  g_assert_cmpint (feed_slice (&ctx, 22, &slice, 0), ==, ERROR);

  /* A picture of another layer: dropped. */
  nalu.type = IDR_N_LP;
  nalu.layer_id = 1;
  nalu.temporal_id_plus1 = 1;
  g_assert_cmpint (gst_v4l2_elastic_h265_state_begin_picture (
                       ctx.state, &nalu, &slice, &ctx.plan, output),
      ==, DROP);
  g_assert_cmpint (ctx.plan.drop_reason, ==, GST_V4L2_ELASTIC_H265_DROP_LAYER);

  /* POC LSB beyond MaxPicOrderCntLsb. */
  feed (&ctx, IDR_N_LP, 0, "", 0);
  g_assert_cmpint (feed (&ctx, TRAIL_R, 16, "", 1), ==, ERROR);
  /* A short-term RPS of 17 pictures. */
  slice_init (&ctx, &slice, 1,
      "-1 -2 -3 -4 -5 -6 -7 -8 -9 -10 -11 -12 -13 "
      "-14 -15 -16");
  slice.short_term_ref_pic_sets.DeltaPocS1[0] = 1;
  slice.short_term_ref_pic_sets.NumPositivePics = 1;
  g_assert_cmpint (feed_slice (&ctx, TRAIL_R, &slice, 1), ==, ERROR);

  gst_v4l2_elastic_h265_state_reset (ctx.state);
  g_assert_cmpuint (gst_v4l2_elastic_h265_state_held (ctx.state), ==, 0);
  g_assert_cmpint (feed (&ctx, TRAIL_R, 1, "", 2), ==, DROP);
  g_ptr_array_free (output, TRUE);
  ctx_clear (&ctx);
}

static void
test_poc_overflow (void)
{
  Ctx ctx;
  guint i;

  /* MaxPicOrderCntLsb 2^16 and LSB steps of half of it: the MSB grows
   * past 2^31 after 2^16 pictures in a conforming stream never does;
   * here it saturates rather than wrap (no undefined behaviour under
   * UBSan, order kept). */
  ctx_init (&ctx, 2, 0);
  ctx.sps.log2_max_pic_order_cnt_lsb_minus4 = 12;
  feed (&ctx, IDR_N_LP, 0, "", 0);
  for (i = 1; i < 70000; i++) {
    g_assert_cmpint (
        feed (&ctx, TRAIL_R, (i * 32767u) % 65536, "", i), ==, DECODE);
    g_assert_cmpint (ctx.plan.pic_order_cnt_val, >=, 0);
  }
  drain (&ctx);
  ctx_clear (&ctx);
}

int
main (int argc, char **argv)
{
  guint i;

  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/h265state/poc-wrap-and-tid0", test_poc_wrap_and_tid0);
  g_test_add_func ("/h265state/short-term-rps", test_short_term_rps);
  g_test_add_func ("/h265state/rps-from-sps", test_rps_from_sps);
  g_test_add_func ("/h265state/long-term", test_long_term);
  g_test_add_func ("/h265state/bumping-reorder", test_bumping_reorder);
  g_test_add_func ("/h265state/bumping-dpb-full", test_bumping_dpb_full);
  g_test_add_func ("/h265state/drain-mid-sequence", test_drain_mid_sequence);
  g_test_add_data_func ("/h265state/bumping-latency", GINT_TO_POINTER (TRUE),
      test_bumping_latency);
  g_test_add_data_func ("/h265state/bumping-no-latency-limit",
      GINT_TO_POINTER (FALSE), test_bumping_latency);
  g_test_add_func ("/h265state/pic-output-flag", test_pic_output_flag);
  g_test_add_data_func ("/h265state/idr-output-prior-pics",
      GINT_TO_POINTER (FALSE), test_prior_pics);
  g_test_add_data_func ("/h265state/idr-no-output-of-prior-pics",
      GINT_TO_POINTER (TRUE), test_prior_pics);
  g_test_add_func (
      "/h265state/cra-first-and-mid-stream", test_cra_first_and_mid_stream);
  g_test_add_func ("/h265state/bla", test_bla);
  g_test_add_func ("/h265state/end-of-sequence", test_end_of_sequence);
  g_test_add_func ("/h265state/lost-reference", test_lost_reference);
  g_test_add_func ("/h265state/dpb-overflow", test_dpb_overflow);
  g_test_add_func ("/h265state/sequence", test_sequence);
  g_test_add_func ("/h265state/refused-irap-announces-later",
      test_refused_irap_announces_later);
  for (i = 0; i < G_N_ELEMENTS (sps_cases); i++) {
    gchar *path = g_strdup_printf ("/h265state/sps/%s", sps_cases[i].name);

    g_test_add_data_func (path, &sps_cases[i], test_sps_refused);
    g_free (path);
  }
  g_test_add_func ("/h265state/refused-and-dropped", test_refused_and_dropped);
  g_test_add_func ("/h265state/poc-overflow", test_poc_overflow);
  return g_test_run ();
}
