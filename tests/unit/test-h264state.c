/* gst-v4l2-elastic
 *
 * H.264 codec state on hand-made SPS/PPS/slice headers: picture order
 * count, frame_num gaps, reference marking, output order and DPB sizing.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include <gst/gst.h>

#include "gsth264state.h"

/* A reference-counted test picture: its id is its POC or decode index. */
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
  GstV4l2ElasticH264State *state;
  GstH264SPS sps;
  GstH264PPS pps;
  GstV4l2ElasticH264PicturePlan plan;
  GArray *out; /* guint64 ids in output order */
  guint fed;
} Ctx;

static void
sps_init (GstH264SPS *sps, guint poc_type, guint num_ref_frames)
{
  memset (sps, 0, sizeof (*sps));
  sps->profile_idc = 100;
  sps->level_idc = 30;
  sps->chroma_format_idc = 1;
  sps->log2_max_frame_num_minus4 = 0; /* MaxFrameNum 16 */
  sps->pic_order_cnt_type = poc_type;
  sps->log2_max_pic_order_cnt_lsb_minus4 = 0; /* MaxPicOrderCntLsb 16 */
  sps->num_ref_frames = num_ref_frames;
  sps->pic_width_in_mbs_minus1 = 19; /* 320x240 */
  sps->pic_height_in_map_units_minus1 = 14;
  sps->frame_mbs_only_flag = 1;
  sps->valid = TRUE;
}

static void
sps_vui (GstH264SPS *sps, guint max_dec_frame_buffering, guint reorder)
{
  sps->vui_parameters_present_flag = 1;
  sps->vui_parameters.bitstream_restriction_flag = 1;
  sps->vui_parameters.max_dec_frame_buffering = max_dec_frame_buffering;
  sps->vui_parameters.num_reorder_frames = reorder;
}

static void
ctx_init (Ctx *ctx)
{
  memset (ctx, 0, sizeof (*ctx));
  freed = 0;
  ctx->state = gst_v4l2_elastic_h264_state_new (pic_ref, pic_unref);
  ctx->pps.sequence = &ctx->sps;
  ctx->pps.valid = TRUE;
  ctx->out = g_array_new (FALSE, FALSE, sizeof (guint64));
}

static void
ctx_clear (Ctx *ctx)
{
  gst_v4l2_elastic_h264_state_free (ctx->state);
  g_array_free (ctx->out, TRUE);
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

static guint64
out_at (Ctx *ctx, guint i)
{
  return g_array_index (ctx->out, guint64, i);
}

/* One slice header; the caller adjusts POC syntax and marking. */
static void
slice_init (Ctx *ctx, GstH264SliceHdr *slice, guint frame_num, guint poc_lsb)
{
  memset (slice, 0, sizeof (*slice));
  slice->pps = &ctx->pps;
  slice->frame_num = frame_num;
  slice->pic_order_cnt_lsb = poc_lsb;
}

/* Begins and ends one picture with id @id; returns the decision. */
static GstV4l2ElasticH264Decision
feed_slice (Ctx *ctx, gboolean idr, guint ref_idc, const GstH264SliceHdr *slice,
    guint64 id)
{
  GstH264NalUnit nalu = { 0 };
  GPtrArray *output = g_ptr_array_new ();
  GstV4l2ElasticH264Decision decision;

  nalu.type = idr ? GST_H264_NAL_SLICE_IDR : GST_H264_NAL_SLICE;
  nalu.idr_pic_flag = idr;
  nalu.ref_idc = ref_idc;
  decision = gst_v4l2_elastic_h264_state_begin_picture (
      ctx->state, &nalu, slice, &ctx->plan, output);
  collect (ctx, output);
  if (decision == GST_V4L2_ELASTIC_H264_DECODE) {
    Pic *pic = g_new0 (Pic, 1);

    pic->refs = 1;
    pic->id = id;
    gst_v4l2_elastic_h264_state_end_picture (ctx->state, pic, id, output);
    collect (ctx, output);
    ctx->fed++;
  }
  g_ptr_array_free (output, TRUE);
  return decision;
}

static GstV4l2ElasticH264Decision
feed (Ctx *ctx, gboolean idr, guint ref_idc, guint frame_num, guint poc_lsb,
    guint64 id)
{
  GstH264SliceHdr slice;

  slice_init (ctx, &slice, frame_num, poc_lsb);
  return feed_slice (ctx, idr, ref_idc, &slice, id);
}

static void
drain (Ctx *ctx)
{
  GPtrArray *output = g_ptr_array_new ();

  gst_v4l2_elastic_h264_state_drain (ctx->state, output);
  collect (ctx, output);
  g_ptr_array_free (output, TRUE);
}

/* The DPB entry of the plan for frame_num @frame_num, or NULL. */
static const GstV4l2ElasticH264DpbEntry *
dpb_find (Ctx *ctx, guint frame_num, gboolean long_term)
{
  guint i;

  for (i = 0; i < ctx->plan.n_dpb; i++) {
    const GstV4l2ElasticH264DpbEntry *e = &ctx->plan.dpb[i];

    if (!!(e->flags & GST_V4L2_ELASTIC_H264_DPB_LONG_TERM) != !!long_term)
      continue;
    if (long_term ? e->long_term_frame_idx == frame_num
                  : e->frame_num == frame_num)
      return e;
  }
  return NULL;
}

static void
test_poc_type0_wrap (void)
{
  /* MaxPicOrderCntLsb 16: lsb 0,4,8,12,0,4 is POC 0..20; then lsb 14 is
   * a step back across the wrap (POC 14), not forward to 30. */
  static const guint lsb[] = { 0, 4, 8, 12, 0, 4, 14, 2 };
  static const gint32 poc[] = { 0, 4, 8, 12, 16, 20, 14, 18 };
  Ctx ctx;
  guint i;

  ctx_init (&ctx);
  sps_init (&ctx.sps, 0, 4);
  for (i = 0; i < G_N_ELEMENTS (lsb); i++) {
    GstH264SliceHdr slice;

    slice_init (&ctx, &slice, i % 16, lsb[i]);
    slice.delta_pic_order_cnt_bottom = 1;
    g_assert_cmpint (feed_slice (&ctx, i == 0, 1, &slice, i), ==,
        GST_V4L2_ELASTIC_H264_DECODE);
    g_assert_cmpint (ctx.plan.top_field_order_cnt, ==, poc[i]);
    g_assert_cmpint (ctx.plan.bottom_field_order_cnt, ==, poc[i] + 1);
    g_assert_cmpint (ctx.plan.pic_order_cnt, ==, poc[i]);
  }
  /* A non-reference picture does not move prevPicOrderCntMsb: after it,
   * lsb 6 still counts from the last reference (POC 18 -> 22). */
  g_assert_cmpint (
      feed (&ctx, FALSE, 0, 8, 1, 100), ==, GST_V4L2_ELASTIC_H264_DECODE);
  g_assert_cmpint (ctx.plan.pic_order_cnt, ==, 17);
  g_assert_cmpint (
      feed (&ctx, FALSE, 1, 8, 6, 101), ==, GST_V4L2_ELASTIC_H264_DECODE);
  g_assert_cmpint (ctx.plan.pic_order_cnt, ==, 22);
  ctx_clear (&ctx);
}

static void
test_poc_type1 (void)
{
  Ctx ctx;
  GstH264SliceHdr slice;
  guint i;

  ctx_init (&ctx);
  sps_init (&ctx.sps, 1, 2);
  ctx.sps.num_ref_frames_in_pic_order_cnt_cycle = 2;
  ctx.sps.offset_for_ref_frame[0] = 4;
  ctx.sps.offset_for_ref_frame[1] = 6;
  ctx.sps.offset_for_non_ref_pic = -3;
  ctx.sps.offset_for_top_to_bottom_field = 1;

  slice_init (&ctx, &slice, 0, 0);
  feed_slice (&ctx, TRUE, 1, &slice, 0);
  g_assert_cmpint (ctx.plan.top_field_order_cnt, ==, 0);
  g_assert_cmpint (ctx.plan.bottom_field_order_cnt, ==, 1);

  /* Reference frame_num 1: one cycle entry, 4; frame_num 2: 4 + 6. */
  slice_init (&ctx, &slice, 1, 0);
  feed_slice (&ctx, FALSE, 1, &slice, 1);
  g_assert_cmpint (ctx.plan.top_field_order_cnt, ==, 4);
  slice_init (&ctx, &slice, 2, 0);
  slice.delta_pic_order_cnt[0] = 2;
  slice.delta_pic_order_cnt[1] = -1;
  feed_slice (&ctx, FALSE, 1, &slice, 2);
  g_assert_cmpint (ctx.plan.top_field_order_cnt, ==, 12);
  g_assert_cmpint (ctx.plan.bottom_field_order_cnt, ==, 12);
  /* Non-reference frame_num 3: absFrameNum 2 -> 10, plus -3. */
  slice_init (&ctx, &slice, 3, 0);
  feed_slice (&ctx, FALSE, 0, &slice, 3);
  g_assert_cmpint (ctx.plan.top_field_order_cnt, ==, 7);

  /* frame_num wraps at 16: FrameNumOffset carries on.  Reference
   * frame_num 3..15 then 0: absFrameNum 16 is 8 cycles of 10 = 80. */
  for (i = 3; i < 16; i++) {
    slice_init (&ctx, &slice, i, 0);
    feed_slice (&ctx, FALSE, 1, &slice, 10 + i);
  }
  slice_init (&ctx, &slice, 0, 0);
  feed_slice (&ctx, FALSE, 1, &slice, 40);
  g_assert_cmpint (ctx.plan.top_field_order_cnt, ==, 80);
  ctx_clear (&ctx);
}

static void
test_poc_type2 (void)
{
  Ctx ctx;
  guint i;

  ctx_init (&ctx);
  sps_init (&ctx.sps, 2, 1);
  feed (&ctx, TRUE, 1, 0, 0, 0);
  g_assert_cmpint (ctx.plan.pic_order_cnt, ==, 0);
  g_assert_cmpuint (ctx.plan.reorder, ==, 0);
  for (i = 1; i < 20; i++) {
    feed (&ctx, FALSE, 1, i % 16, 0, i);
    g_assert_cmpint (ctx.plan.pic_order_cnt, ==, 2 * i);
  }
  /* Non-reference: 2 * (FrameNumOffset + frame_num) - 1. */
  feed (&ctx, FALSE, 0, 20 % 16, 0, 20);
  g_assert_cmpint (ctx.plan.pic_order_cnt, ==, 39);
  /* Output order is decoding order, without delay. */
  g_assert_cmpuint (ctx.out->len, ==, 21);
  for (i = 0; i < ctx.out->len; i++)
    g_assert_cmpuint (out_at (&ctx, i), ==, i);
  ctx_clear (&ctx);
}

static void
test_frame_num_gap (void)
{
  Ctx ctx;
  const GstV4l2ElasticH264DpbEntry *e;

  ctx_init (&ctx);
  sps_init (&ctx.sps, 2, 3);
  ctx.sps.gaps_in_frame_num_value_allowed_flag = 1;
  feed (&ctx, TRUE, 1, 0, 0, 0);
  feed (&ctx, FALSE, 1, 1, 0, 1);
  /* frame_num 2, 3, 4 are missing: three non-existing frames, and the
   * sliding window (3 references) keeps exactly them. */
  g_assert_cmpint (
      feed (&ctx, FALSE, 1, 5, 0, 5), ==, GST_V4L2_ELASTIC_H264_DECODE);
  g_assert_cmpuint (ctx.plan.n_gap_frames, ==, 3);
  g_assert_cmpuint (ctx.plan.n_dpb, ==, 3);
  for (guint fn = 2; fn <= 4; fn++) {
    e = dpb_find (&ctx, fn, FALSE);
    g_assert_nonnull (e);
    g_assert_true (e->flags & GST_V4L2_ELASTIC_H264_DPB_NON_EXISTING);
    g_assert_cmpint (e->top_field_order_cnt, ==, 2 * fn);
  }
  /* The next picture predicts from frame 5 and two gap frames. */
  feed (&ctx, FALSE, 1, 6, 0, 6);
  g_assert_nonnull (dpb_find (&ctx, 5, FALSE));
  g_assert_null (dpb_find (&ctx, 2, FALSE));
  drain (&ctx);
  /* Gap frames are never output; the real ones all are. */
  g_assert_cmpuint (ctx.out->len, ==, 4);
  g_assert_cmpuint (out_at (&ctx, 2), ==, 5);
  /* Still references: frames 5 and 6 (and gap frame 4). */
  g_assert_cmpuint (gst_v4l2_elastic_h264_state_held (ctx.state), ==, 2);
  ctx_clear (&ctx);
  g_assert_cmpuint (freed, ==, 4);
}

static void
test_sliding_window (void)
{
  Ctx ctx;
  guint i;

  ctx_init (&ctx);
  sps_init (&ctx.sps, 2, 2);
  for (i = 0; i < 20; i++) {
    feed (&ctx, i == 0, 1, i % 16, 0, i);
    /* Before picture i: the two previous frames, frame_num wrapping. */
    g_assert_cmpuint (ctx.plan.n_dpb, ==, MIN (i, 2));
    if (i >= 2) {
      const GstV4l2ElasticH264DpbEntry *e =
          dpb_find (&ctx, (i - 2) % 16, FALSE);

      g_assert_nonnull (e);
      g_assert_nonnull (dpb_find (&ctx, (i - 1) % 16, FALSE));
      /* FrameNumWrap is negative for frames before the wrap. */
      g_assert_cmpint (e->frame_num_wrap, ==,
          (gint) ((i - 2) % 16) - ((i - 2) % 16 > i % 16 ? 16 : 0));
    }
  }
  g_assert_cmpuint (gst_v4l2_elastic_h264_state_held (ctx.state), ==, 2);
  ctx_clear (&ctx);
}

static void
mmco (GstH264SliceHdr *slice, guint op, guint a, guint b)
{
  GstH264DecRefPicMarking *m = &slice->dec_ref_pic_marking;
  GstH264RefPicMarking *r = &m->ref_pic_marking[m->n_ref_pic_marking++];

  m->adaptive_ref_pic_marking_mode_flag = 1;
  r->memory_management_control_operation = op;
  switch (op) {
  case 1:
    r->difference_of_pic_nums_minus1 = a;
    break;
  case 2:
    r->long_term_pic_num = a;
    break;
  case 3:
    r->difference_of_pic_nums_minus1 = a;
    r->long_term_frame_idx = b;
    break;
  case 4:
    r->max_long_term_frame_idx_plus1 = a;
    break;
  case 6:
    r->long_term_frame_idx = a;
    break;
  }
}

/* IDR frame_num 0 and P frame_num 1..n-1 (POC type 2). */
static void
feed_ps (Ctx *ctx, guint n)
{
  guint i;

  for (i = 0; i < n; i++)
    feed (ctx, i == 0, 1, i, 0, i);
}

static void
test_mmco_short_term (void)
{
  Ctx ctx;
  GstH264SliceHdr slice;

  ctx_init (&ctx);
  sps_init (&ctx.sps, 2, 4);
  feed_ps (&ctx, 3);
  /* frame_num 3 unmarks PicNum 3 - (1 + 1) = 1. */
  slice_init (&ctx, &slice, 3, 0);
  mmco (&slice, 1, 1, 0);
  feed_slice (&ctx, FALSE, 1, &slice, 3);
  g_assert_cmpuint (ctx.plan.n_dpb, ==, 3);
  feed (&ctx, FALSE, 1, 4, 0, 4);
  g_assert_cmpuint (ctx.plan.n_dpb, ==, 3);
  g_assert_nonnull (dpb_find (&ctx, 0, FALSE));
  g_assert_null (dpb_find (&ctx, 1, FALSE));
  g_assert_nonnull (dpb_find (&ctx, 2, FALSE));
  g_assert_nonnull (dpb_find (&ctx, 3, FALSE));
  ctx_clear (&ctx);
}

static void
test_mmco_long_term (void)
{
  Ctx ctx;
  GstH264SliceHdr slice;
  const GstV4l2ElasticH264DpbEntry *e;

  ctx_init (&ctx);
  sps_init (&ctx.sps, 2, 4);
  feed_ps (&ctx, 3);
  /* MMCO 4 allows indices 0..1; MMCO 3 makes frame_num 0 (PicNum
   * 3 - 3) long-term index 1. */
  slice_init (&ctx, &slice, 3, 0);
  mmco (&slice, 4, 2, 0);
  mmco (&slice, 3, 2, 1);
  feed_slice (&ctx, FALSE, 1, &slice, 3);
  feed (&ctx, FALSE, 1, 4, 0, 4);
  e = dpb_find (&ctx, 1, TRUE);
  g_assert_nonnull (e);
  g_assert_cmpuint (e->id, ==, 0);
  g_assert_null (dpb_find (&ctx, 0, FALSE));
  g_assert_cmpuint (ctx.plan.n_dpb, ==, 4);

  /* MMCO 6: the current picture takes long-term index 1, replacing
   * frame 0 there. */
  slice_init (&ctx, &slice, 5, 0);
  mmco (&slice, 1, 4, 0); /* frees a slot: PicNum 0 is long-term: no-op */
  mmco (&slice, 1, 3, 0); /* PicNum 1 */
  mmco (&slice, 6, 1, 0);
  feed_slice (&ctx, FALSE, 1, &slice, 5);
  feed (&ctx, FALSE, 1, 6, 0, 6);
  e = dpb_find (&ctx, 1, TRUE);
  g_assert_nonnull (e);
  g_assert_cmpuint (e->id, ==, 5);
  g_assert_cmpuint (ctx.plan.n_dpb, ==, 4); /* 2, 3, 4 and long-term 5 */

  /* MMCO 2 drops LongTermPicNum 1. */
  slice_init (&ctx, &slice, 7, 0);
  mmco (&slice, 2, 1, 0);
  feed_slice (&ctx, FALSE, 1, &slice, 7);
  feed (&ctx, FALSE, 0, 8, 0, 8);
  g_assert_null (dpb_find (&ctx, 1, TRUE));

  /* MMCO 3 again then MMCO 4 with 0: no long-term index at all. */
  slice_init (&ctx, &slice, 8, 0);
  mmco (&slice, 3, 0, 0); /* PicNum 7 */
  feed_slice (&ctx, FALSE, 1, &slice, 9);
  feed (&ctx, FALSE, 0, 9, 0, 10);
  g_assert_nonnull (dpb_find (&ctx, 0, TRUE));
  slice_init (&ctx, &slice, 9, 0);
  mmco (&slice, 4, 0, 0);
  feed_slice (&ctx, FALSE, 1, &slice, 11);
  feed (&ctx, FALSE, 0, 10, 0, 12);
  g_assert_null (dpb_find (&ctx, 0, TRUE));

  /* An IDR with long_term_reference_flag is long-term index 0. */
  slice_init (&ctx, &slice, 0, 0);
  slice.dec_ref_pic_marking.long_term_reference_flag = 1;
  feed_slice (&ctx, TRUE, 1, &slice, 20);
  feed (&ctx, FALSE, 1, 1, 0, 21);
  g_assert_cmpuint (ctx.plan.n_dpb, ==, 1);
  e = dpb_find (&ctx, 0, TRUE);
  g_assert_nonnull (e);
  g_assert_cmpuint (e->id, ==, 20);
  ctx_clear (&ctx);
}

static void
test_mmco5 (void)
{
  Ctx ctx;
  GstH264SliceHdr slice;

  ctx_init (&ctx);
  sps_init (&ctx.sps, 0, 4);
  sps_vui (&ctx.sps, 4, 2);
  /* POC 0, 8, 4 (lsb), then an MMCO 5 picture at lsb 12: everything
   * before it goes out first (0, 4, 8), it becomes POC 0 itself and the
   * next picture at lsb 2 follows at POC 2 with frame_num 1. */
  feed (&ctx, TRUE, 1, 0, 0, 0);
  feed (&ctx, FALSE, 1, 1, 8, 8);
  feed (&ctx, FALSE, 0, 2, 4, 4);
  slice_init (&ctx, &slice, 2, 12);
  mmco (&slice, 5, 0, 0);
  feed_slice (&ctx, FALSE, 1, &slice, 100);
  g_assert_cmpint (ctx.plan.pic_order_cnt, ==, 12);
  g_assert_cmpuint (ctx.out->len, ==, 3);
  g_assert_cmpuint (out_at (&ctx, 0), ==, 0);
  g_assert_cmpuint (out_at (&ctx, 1), ==, 4);
  g_assert_cmpuint (out_at (&ctx, 2), ==, 8);

  g_assert_cmpint (
      feed (&ctx, FALSE, 1, 1, 2, 102), ==, GST_V4L2_ELASTIC_H264_DECODE);
  g_assert_cmpuint (ctx.plan.n_gap_frames, ==, 0);
  g_assert_cmpint (ctx.plan.pic_order_cnt, ==, 2);
  g_assert_cmpuint (ctx.plan.n_dpb, ==, 1);
  g_assert_cmpint (ctx.plan.dpb[0].frame_num, ==, 0);
  g_assert_cmpint (ctx.plan.dpb[0].top_field_order_cnt, ==, 0);
  feed (&ctx, FALSE, 0, 2, 1, 101);
  drain (&ctx);
  g_assert_cmpuint (ctx.out->len, ==, 6);
  g_assert_cmpuint (out_at (&ctx, 3), ==, 100);
  g_assert_cmpuint (out_at (&ctx, 4), ==, 101);
  g_assert_cmpuint (out_at (&ctx, 5), ==, 102);
  ctx_clear (&ctx);
}

static void
test_idr_prior_pics (gconstpointer data)
{
  gboolean no_output = GPOINTER_TO_INT (data);
  Ctx ctx;
  GstH264SliceHdr slice;

  ctx_init (&ctx);
  sps_init (&ctx.sps, 0, 4);
  sps_vui (&ctx.sps, 4, 4);
  feed (&ctx, TRUE, 1, 0, 0, 0);
  feed (&ctx, FALSE, 1, 1, 8, 8);
  feed (&ctx, FALSE, 0, 2, 4, 4);
  g_assert_cmpuint (ctx.out->len, ==, 0);

  slice_init (&ctx, &slice, 0, 0);
  slice.dec_ref_pic_marking.no_output_of_prior_pics_flag = no_output;
  feed_slice (&ctx, TRUE, 1, &slice, 50);
  g_assert_false (ctx.plan.new_sequence);
  g_assert_cmpuint (ctx.plan.n_dpb, ==, 0);
  if (no_output) {
    g_assert_cmpuint (ctx.out->len, ==, 0);
    g_assert_cmpuint (freed, ==, 3);
  } else {
    g_assert_cmpuint (ctx.out->len, ==, 3);
    g_assert_cmpuint (out_at (&ctx, 0), ==, 0);
    g_assert_cmpuint (out_at (&ctx, 1), ==, 4);
    g_assert_cmpuint (out_at (&ctx, 2), ==, 8);
  }
  drain (&ctx);
  g_assert_cmpuint (out_at (&ctx, ctx.out->len - 1), ==, 50);
  ctx_clear (&ctx);
  g_assert_cmpuint (freed, ==, 4);
}

/* Groups of one reference P and @r non-reference B pictures in
 * descending POC order: the output needs exactly @r pictures of delay. */
static void
test_bumping (void)
{
  guint r;

  for (r = 0; r <= 16; r++) {
    Ctx ctx;
    guint group, k, frame_num = 0, expected = 0;
    gint32 base = 0;

    ctx_init (&ctx);
    sps_init (&ctx.sps, 0, 1);
    ctx.sps.log2_max_pic_order_cnt_lsb_minus4 = 8;
    sps_vui (&ctx.sps, 16, r);
    feed (&ctx, TRUE, 1, 0, 0, 0);
    for (group = 0; group < 4; group++) {
      gint32 anchor = base + 2 * (r + 1);

      frame_num++;
      feed (&ctx, FALSE, 1, frame_num, anchor, anchor);
      g_assert_cmpuint (ctx.plan.reorder, ==, r);
      g_assert_cmpuint (ctx.plan.dpb_size, ==, 16);
      g_assert_cmpuint (ctx.out->len, ==, ctx.fed > r ? ctx.fed - r : 0);
      for (k = r; k >= 1; k--) {
        feed (&ctx, FALSE, 0, (frame_num + 1) % 16, base + 2 * k, base + 2 * k);
        g_assert_cmpuint (ctx.out->len, ==, ctx.fed > r ? ctx.fed - r : 0);
      }
      base = anchor;
    }
    drain (&ctx);
    g_assert_cmpuint (ctx.out->len, ==, ctx.fed);
    for (k = 0; k < ctx.out->len; k++) {
      g_assert_cmpuint (out_at (&ctx, k), ==, expected);
      expected += 2;
    }
    g_assert_cmpuint (gst_v4l2_elastic_h264_state_held (ctx.state), ==, 1);
    ctx_clear (&ctx);
    g_assert_cmpuint (freed, ==, 4 * (r + 1) + 1);
  }
}

/* Without VUI, Main profile reorders as deep as the DPB: the DPB fullness
 * alone (C.4.5.3) still outputs in POC order. */
static void
test_bumping_dpb_full (void)
{
  Ctx ctx;
  guint i;

  ctx_init (&ctx);
  sps_init (&ctx.sps, 0, 1);
  ctx.sps.profile_idc = 77;
  ctx.sps.level_idc = 10; /* 396 / 300 MBs: a DPB of 1 frame */
  feed (&ctx, TRUE, 1, 0, 0, 0);
  g_assert_cmpuint (ctx.plan.dpb_size, ==, 1);
  g_assert_cmpuint (ctx.plan.reorder, ==, 1);
  feed (&ctx, FALSE, 1, 1, 4, 4);
  feed (&ctx, FALSE, 0, 2, 2, 2); /* smallest POC: straight out */
  feed (&ctx, FALSE, 1, 2, 8, 8);
  feed (&ctx, FALSE, 0, 3, 6, 6);
  drain (&ctx);
  g_assert_cmpuint (ctx.out->len, ==, 5);
  for (i = 0; i < 5; i++)
    g_assert_cmpuint (out_at (&ctx, i), ==, 2 * i);
  ctx_clear (&ctx);
}

static guint
dpb_size_of (GstH264SPS *sps)
{
  Ctx ctx;
  guint size;

  ctx_init (&ctx);
  ctx.sps = *sps;
  feed (&ctx, TRUE, 1, 0, 0, 0);
  size = ctx.plan.dpb_size;
  ctx_clear (&ctx);
  return size;
}

static guint
reorder_of (GstH264SPS *sps)
{
  Ctx ctx;
  guint reorder;

  ctx_init (&ctx);
  ctx.sps = *sps;
  feed (&ctx, TRUE, 1, 0, 0, 0);
  reorder = ctx.plan.reorder;
  ctx_clear (&ctx);
  return reorder;
}

static void
test_dpb_size (void)
{
  GstH264SPS sps;

  /* Level 3, 320x240: 8100 / 300 = 27, capped at 16. */
  sps_init (&sps, 0, 1);
  g_assert_cmpuint (dpb_size_of (&sps), ==, 16);
  /* Level 4, 1920x1088: 32768 / 8160 = 4. */
  sps.level_idc = 40;
  sps.pic_width_in_mbs_minus1 = 119;
  sps.pic_height_in_map_units_minus1 = 67;
  g_assert_cmpuint (dpb_size_of (&sps), ==, 4);
  /* Level 3.1, 1280x720: 18000 / 3600 = 5. */
  sps.level_idc = 31;
  sps.pic_width_in_mbs_minus1 = 79;
  sps.pic_height_in_map_units_minus1 = 44;
  g_assert_cmpuint (dpb_size_of (&sps), ==, 5);
  /* Interlaced 1920x1080 at level 4: 68 map units of field pairs... */
  sps.level_idc = 40;
  sps.pic_width_in_mbs_minus1 = 119;
  sps.pic_height_in_map_units_minus1 = 33;
  sps.frame_mbs_only_flag = 0;
  g_assert_cmpuint (dpb_size_of (&sps), ==, 4);
  sps.frame_mbs_only_flag = 1;
  /* Level 1b (11 with constraint_set3 in Main): 396 / 99 MBs (QCIF). */
  sps.profile_idc = 77;
  sps.level_idc = 11;
  sps.constraint_set3_flag = 1;
  sps.pic_width_in_mbs_minus1 = 10;
  sps.pic_height_in_map_units_minus1 = 8;
  g_assert_cmpuint (dpb_size_of (&sps), ==, 4);
  sps.constraint_set3_flag = 0;
  g_assert_cmpuint (dpb_size_of (&sps), ==, 9);
  /* More references than the level allows: the references win. */
  sps.num_ref_frames = 12;
  g_assert_cmpuint (dpb_size_of (&sps), ==, 12);

  /* VUI: max_dec_frame_buffering, never below num_ref_frames. */
  sps_init (&sps, 0, 2);
  sps_vui (&sps, 3, 1);
  g_assert_cmpuint (dpb_size_of (&sps), ==, 3);
  g_assert_cmpuint (reorder_of (&sps), ==, 1);
  sps_vui (&sps, 1, 1);
  g_assert_cmpuint (dpb_size_of (&sps), ==, 2);
  sps_vui (&sps, 0, 0);
  sps.num_ref_frames = 0;
  g_assert_cmpuint (dpb_size_of (&sps), ==, 1);
  g_assert_cmpuint (reorder_of (&sps), ==, 0);

  /* Reorder without VUI: the DPB, except where the profile forbids it. */
  sps_init (&sps, 0, 2);
  sps.level_idc = 31;
  sps.pic_width_in_mbs_minus1 = 79;
  sps.pic_height_in_map_units_minus1 = 44;
  g_assert_cmpuint (reorder_of (&sps), ==, 5);
  sps.profile_idc = 66;
  g_assert_cmpuint (reorder_of (&sps), ==, 0);
  sps.profile_idc = 100;
  sps.constraint_set3_flag = 1; /* High 10 Intra and friends */
  g_assert_cmpuint (reorder_of (&sps), ==, 0);
  sps.constraint_set3_flag = 0;
  sps.pic_order_cnt_type = 2;
  g_assert_cmpuint (reorder_of (&sps), ==, 0);
}

static void
test_new_sequence (void)
{
  Ctx ctx;

  ctx_init (&ctx);
  sps_init (&ctx.sps, 0, 2);
  sps_vui (&ctx.sps, 4, 2);
  feed (&ctx, TRUE, 1, 0, 0, 0);
  g_assert_true (ctx.plan.new_sequence);
  g_assert_cmpuint (ctx.plan.dpb_size, ==, 4);
  g_assert_cmpuint (ctx.plan.reorder, ==, 2);
  g_assert_cmpuint (ctx.plan.width, ==, 320);
  g_assert_cmpuint (ctx.plan.height, ==, 240);
  g_assert_cmpuint (ctx.plan.bit_depth_luma, ==, 8);
  feed (&ctx, FALSE, 1, 1, 4, 4);
  g_assert_false (ctx.plan.new_sequence);
  /* The same SPS again at an IDR: same sequence. */
  feed (&ctx, TRUE, 1, 0, 0, 10);
  g_assert_false (ctx.plan.new_sequence);

  /* A larger DPB. */
  sps_vui (&ctx.sps, 8, 2);
  ctx.sps.num_ref_frames = 6;
  feed (&ctx, TRUE, 1, 0, 0, 20);
  g_assert_true (ctx.plan.new_sequence);
  g_assert_cmpuint (ctx.plan.dpb_size, ==, 8);
  /* A smaller one. */
  sps_vui (&ctx.sps, 2, 1);
  ctx.sps.num_ref_frames = 1;
  feed (&ctx, TRUE, 1, 0, 0, 30);
  g_assert_true (ctx.plan.new_sequence);
  g_assert_cmpuint (ctx.plan.dpb_size, ==, 2);
  g_assert_cmpuint (ctx.plan.reorder, ==, 1);
  /* Another resolution with the same DPB. */
  ctx.sps.pic_width_in_mbs_minus1 = 39;
  ctx.sps.pic_height_in_map_units_minus1 = 29;
  feed (&ctx, TRUE, 1, 0, 0, 40);
  g_assert_true (ctx.plan.new_sequence);
  g_assert_cmpuint (ctx.plan.dpb_size, ==, 2);
  g_assert_cmpuint (ctx.plan.width, ==, 640);
  g_assert_cmpuint (ctx.plan.height, ==, 480);
  /* Bit depth. */
  ctx.sps.bit_depth_luma_minus8 = 2;
  ctx.sps.bit_depth_chroma_minus8 = 2;
  feed (&ctx, TRUE, 1, 0, 0, 50);
  g_assert_true (ctx.plan.new_sequence);
  g_assert_cmpuint (ctx.plan.bit_depth_luma, ==, 10);

  /* Prior pictures of each sequence came out before the next IDR. */
  drain (&ctx);
  g_assert_cmpuint (ctx.out->len, ==, 7);
  g_assert_cmpuint (out_at (&ctx, 1), ==, 4);
  g_assert_cmpuint (out_at (&ctx, 6), ==, 50);
  ctx_clear (&ctx);
}

/* Frame cropping: offsets in CropUnitX/CropUnitY (7.4.2.1.1). */
static void
test_cropping (void)
{
  Ctx ctx;

  ctx_init (&ctx);
  sps_init (&ctx.sps, 0, 2);
  /* No cropping: the coded size. */
  feed (&ctx, TRUE, 1, 0, 0, 0);
  g_assert_cmpuint (ctx.plan.visible_x, ==, 0);
  g_assert_cmpuint (ctx.plan.visible_y, ==, 0);
  g_assert_cmpuint (ctx.plan.visible_width, ==, 320);
  g_assert_cmpuint (ctx.plan.visible_height, ==, 240);

  /* 1920x1080 in 1920x1088, 4:2:0 progressive: units of 2 lines. */
  ctx.sps.pic_width_in_mbs_minus1 = 119;
  ctx.sps.pic_height_in_map_units_minus1 = 67;
  ctx.sps.level_idc = 40;
  ctx.sps.frame_cropping_flag = 1;
  ctx.sps.frame_crop_bottom_offset = 4;
  feed (&ctx, TRUE, 1, 0, 0, 10);
  g_assert_true (ctx.plan.new_sequence);
  g_assert_cmpuint (ctx.plan.width, ==, 1920);
  g_assert_cmpuint (ctx.plan.height, ==, 1088);
  g_assert_cmpuint (ctx.plan.visible_width, ==, 1920);
  g_assert_cmpuint (ctx.plan.visible_height, ==, 1080);

  /* Only the crop changes: still a new sequence (the output size). */
  ctx.sps.frame_crop_left_offset = 32;
  ctx.sps.frame_crop_top_offset = 2;
  ctx.sps.frame_crop_right_offset = 7;
  feed (&ctx, TRUE, 1, 0, 0, 20);
  g_assert_true (ctx.plan.new_sequence);
  g_assert_cmpuint (ctx.plan.visible_x, ==, 64);
  g_assert_cmpuint (ctx.plan.visible_y, ==, 4);
  g_assert_cmpuint (ctx.plan.visible_width, ==, 1920 - 64 - 14);
  g_assert_cmpuint (ctx.plan.visible_height, ==, 1088 - 4 - 8);

  /* Interlaced SPS (frame_mbs_only_flag 0): 4-line units in 4:2:0. */
  ctx.sps.frame_mbs_only_flag = 0;
  ctx.sps.pic_height_in_map_units_minus1 = 33; /* 68 MB rows */
  feed (&ctx, TRUE, 1, 0, 0, 30);
  g_assert_cmpuint (ctx.plan.height, ==, 1088);
  g_assert_cmpuint (ctx.plan.visible_y, ==, 8);
  g_assert_cmpuint (ctx.plan.visible_height, ==, 1088 - 8 - 16);

  /* 4:4:4: units of one pixel horizontally, one line (times two). */
  ctx.sps.chroma_format_idc = 3;
  feed (&ctx, TRUE, 1, 0, 0, 40);
  g_assert_cmpuint (ctx.plan.visible_x, ==, 32);
  g_assert_cmpuint (ctx.plan.visible_width, ==, 1920 - 32 - 7);
  g_assert_cmpuint (ctx.plan.visible_y, ==, 4);
  g_assert_cmpuint (ctx.plan.visible_height, ==, 1088 - 4 - 8);

  /* A crop larger than the picture is ignored, not wrapped around. */
  ctx.sps.chroma_format_idc = 1;
  ctx.sps.frame_mbs_only_flag = 1;
  ctx.sps.pic_height_in_map_units_minus1 = 67;
  ctx.sps.frame_crop_left_offset = 600;
  ctx.sps.frame_crop_right_offset = 600;
  feed (&ctx, TRUE, 1, 0, 0, 50);
  g_assert_cmpuint (ctx.plan.visible_x, ==, 0);
  g_assert_cmpuint (ctx.plan.visible_y, ==, 0);
  g_assert_cmpuint (ctx.plan.visible_width, ==, 1920);
  g_assert_cmpuint (ctx.plan.visible_height, ==, 1088);
  ctx_clear (&ctx);
}

static void
test_refused_and_dropped (void)
{
  Ctx ctx;
  GstH264SliceHdr slice;

  ctx_init (&ctx);
  sps_init (&ctx.sps, 0, 2);
  /* Nothing decodes before the first IDR. */
  g_assert_cmpint (
      feed (&ctx, FALSE, 1, 3, 0, 0), ==, GST_V4L2_ELASTIC_H264_DROP);
  g_assert_cmpint (ctx.plan.drop_reason, ==, GST_V4L2_ELASTIC_H264_DROP_NO_IDR);
  g_assert_cmpint (
      feed (&ctx, TRUE, 1, 0, 0, 0), ==, GST_V4L2_ELASTIC_H264_DECODE);
  g_assert_true (ctx.plan.new_sequence);

  /* Field pictures are refused, never decoded as frames. */
  ctx.sps.frame_mbs_only_flag = 0;
  slice_init (&ctx, &slice, 1, 2);
  slice.field_pic_flag = 1;
  g_assert_cmpint (
      feed_slice (&ctx, FALSE, 1, &slice, 1), ==, GST_V4L2_ELASTIC_H264_ERROR);
  g_assert_nonnull (strstr (ctx.plan.message, "field pictures (PAFF)"));
  g_assert_true (ctx.plan.unsupported); /* valid H.264, not a broken one */
  /* An IDR field (bottom) is refused too, before it touches the DPB. */
  slice_init (&ctx, &slice, 0, 0);
  slice.field_pic_flag = 1;
  slice.bottom_field_flag = 1;
  g_assert_cmpint (
      feed_slice (&ctx, TRUE, 1, &slice, 1), ==, GST_V4L2_ELASTIC_H264_ERROR);
  g_assert_true (ctx.plan.unsupported);
  g_assert_cmpuint (gst_v4l2_elastic_h264_state_held (ctx.state), ==, 1);

  /* MBAFF frames decode, flagged. */
  ctx.sps.mb_adaptive_frame_field_flag = 1;
  g_assert_cmpint (
      feed (&ctx, TRUE, 1, 0, 0, 2), ==, GST_V4L2_ELASTIC_H264_DECODE);
  g_assert_true (ctx.plan.mbaff);
  g_assert_true (ctx.plan.new_sequence); /* interlacing changed */

  /* Redundant pictures are dropped. */
  slice_init (&ctx, &slice, 1, 4);
  slice.redundant_pic_cnt = 1;
  g_assert_cmpint (
      feed_slice (&ctx, FALSE, 1, &slice, 3), ==, GST_V4L2_ELASTIC_H264_DROP);
  g_assert_cmpint (
      ctx.plan.drop_reason, ==, GST_V4L2_ELASTIC_H264_DROP_REDUNDANT);

  /* After a reset, the next IDR starts over. */
  gst_v4l2_elastic_h264_state_reset (ctx.state);
  g_assert_cmpuint (gst_v4l2_elastic_h264_state_held (ctx.state), ==, 0);
  g_assert_cmpint (
      feed (&ctx, FALSE, 1, 1, 4, 4), ==, GST_V4L2_ELASTIC_H264_DROP);
  g_assert_cmpint (
      feed (&ctx, TRUE, 1, 0, 0, 5), ==, GST_V4L2_ELASTIC_H264_DECODE);
  g_assert_true (ctx.plan.new_sequence);
  ctx_clear (&ctx);
  g_assert_cmpuint (freed, ==, 3);
}

/* An SPS size out of range is refused before anything computes with it:
 * PicWidthInMbs * FrameHeightInMbs of 65536 * 65536 wraps to 0 in 32
 * bits (it was a division by zero: SIGFPE), pic_width_in_mbs_minus1 + 1
 * wraps to 0 on its own (tests/fuzz/regressions/h264/sps-mbs-wrap-0.h264
 * is the first as a stream). */
static void
test_sps_size_out_of_range (void)
{
  static const struct
  {
    guint32 width_minus1, height_minus1;
    gboolean frame_mbs_only;
    gboolean ok;
  } cases[] = {
    { 65535, 65535, TRUE, FALSE },   /* 2^32 macroblocks: 0 in 32 bits */
    { G_MAXUINT32, 0, TRUE, FALSE }, /* PicWidthInMbs wraps to 0 */
    { 0, G_MAXUINT32, TRUE, FALSE }, /* so does the height */
    { 1024, 0, TRUE, FALSE },        /* 16400 pixels wide */
    { 1023, 1023, TRUE, TRUE },      /* 16384x16384: the bound */
    { 1023, 511, FALSE, TRUE },      /* 16384x16384 in field pairs */
    { 1023, 512, FALSE, FALSE },     /* 16416 high in field pairs */
  };
  Ctx ctx;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    GstV4l2ElasticH264Decision decision;

    ctx_init (&ctx);
    sps_init (&ctx.sps, 0, 2);
    ctx.sps.pic_width_in_mbs_minus1 = cases[i].width_minus1;
    ctx.sps.pic_height_in_map_units_minus1 = cases[i].height_minus1;
    ctx.sps.frame_mbs_only_flag = cases[i].frame_mbs_only;
    decision = feed (&ctx, TRUE, 1, 0, 0, 1);
    if (cases[i].ok) {
      g_assert_cmpint (decision, ==, GST_V4L2_ELASTIC_H264_DECODE);
      g_assert_cmpuint (ctx.plan.width, ==, 16384);
      g_assert_cmpuint (ctx.plan.height, ==, 16384);
      g_assert_cmpuint (ctx.plan.dpb_size, >=, 1);
    } else {
      g_assert_cmpint (decision, ==, GST_V4L2_ELASTIC_H264_ERROR);
      g_assert_false (ctx.plan.unsupported);
      g_assert_nonnull (strstr (ctx.plan.message, "out of range"));
      /* A later non-IDR picture of that SPS is refused the same way. */
      g_assert_cmpint (
          feed (&ctx, FALSE, 1, 1, 2, 2), ==, GST_V4L2_ELASTIC_H264_ERROR);
      g_assert_cmpuint (gst_v4l2_elastic_h264_state_held (ctx.state), ==, 0);
    }
    drain (&ctx);
    ctx_clear (&ctx);
  }

  /* Syntax ranges behind shifts: log2_max_frame_num_minus4 is 0..12. */
  ctx_init (&ctx);
  sps_init (&ctx.sps, 0, 2);
  ctx.sps.log2_max_frame_num_minus4 = 28;
  g_assert_cmpint (
      feed (&ctx, TRUE, 1, 0, 0, 1), ==, GST_V4L2_ELASTIC_H264_ERROR);
  ctx_clear (&ctx);
}

/* A DPB full of references (a broken stream: DPB 2, reorder 2, two
 * references waiting) and a non-reference picture whose POC lies between
 * theirs: the spec's bumping, which does not look at the current picture,
 * output POC 8 before POC 6.  Output order stays POC order
 * (tests/fuzz/regressions/h264/dpb-full-output-order.h264, found by
 * fuzz-h264). */
static void
test_dpb_full_of_references_output_order (void)
{
  Ctx ctx;

  ctx_init (&ctx);
  sps_init (&ctx.sps, 0, 2);
  sps_vui (&ctx.sps, 2, 2);
  g_assert_cmpint (
      feed (&ctx, TRUE, 1, 0, 8, 8), ==, GST_V4L2_ELASTIC_H264_DECODE);
  g_assert_cmpint (
      feed (&ctx, FALSE, 1, 1, 4, 4), ==, GST_V4L2_ELASTIC_H264_DECODE);
  g_assert_cmpuint (ctx.out->len, ==, 0);
  g_assert_cmpint (
      feed (&ctx, FALSE, 0, 2, 6, 6), ==, GST_V4L2_ELASTIC_H264_DECODE);
  drain (&ctx);
  g_assert_cmpuint (ctx.out->len, ==, 3);
  g_assert_cmpuint (out_at (&ctx, 0), ==, 4);
  g_assert_cmpuint (out_at (&ctx, 1), ==, 6);
  g_assert_cmpuint (out_at (&ctx, 2), ==, 8);
  /* The references stay; every picture is freed with the state. */
  g_assert_cmpuint (gst_v4l2_elastic_h264_state_held (ctx.state), ==, 2);
  ctx_clear (&ctx);
  g_assert_cmpuint (freed, ==, 3);
}

/* A long-term IDR in a DPB of 1, then a frame_num gap: the sliding
 * window leaves long-term references alone, so the gap frame made two
 * references in a DPB of one (tests/fuzz/regressions/h264/
 * dpb-overflow-long-term.h264, found by fuzz-h264).  The DPB never holds
 * more than its size: the reference decoded first goes. */
static void
test_dpb_overflow_long_term (void)
{
  Ctx ctx;
  GstH264SliceHdr slice;

  ctx_init (&ctx);
  sps_init (&ctx.sps, 0, 1);
  sps_vui (&ctx.sps, 1, 0);
  ctx.sps.gaps_in_frame_num_value_allowed_flag = 1;
  slice_init (&ctx, &slice, 0, 0);
  slice.dec_ref_pic_marking.long_term_reference_flag = 1;
  g_assert_cmpint (
      feed_slice (&ctx, TRUE, 1, &slice, 1), ==, GST_V4L2_ELASTIC_H264_DECODE);
  g_assert_cmpuint (ctx.plan.dpb_size, ==, 1);

  g_assert_cmpint (
      feed (&ctx, FALSE, 0, 2, 4, 2), ==, GST_V4L2_ELASTIC_H264_DECODE);
  g_assert_cmpuint (ctx.plan.n_gap_frames, ==, 1);
  g_assert_cmpuint (ctx.plan.n_dpb, <=, ctx.plan.dpb_size);
  g_assert_cmpuint (ctx.plan.n_dpb, ==, 1);
  g_assert_true (
      ctx.plan.dpb[0].flags & GST_V4L2_ELASTIC_H264_DPB_NON_EXISTING);
  g_assert_cmpuint (gst_v4l2_elastic_h264_state_held (ctx.state), <=, 1);
  drain (&ctx);
  g_assert_cmpuint (ctx.out->len, ==, 2);
  ctx_clear (&ctx);
  g_assert_cmpuint (freed, ==, 2);
}

/* POCs from 32-bit fields whose sums overflow 32 bits (undefined
 * behaviour before, found by UndefinedBehaviorSanitizer in fuzz-h264 on
 * tests/fuzz/regressions/h264/poc-type1-overflow.h264 and
 * poc-type0-overflow.h264): they saturate, so they keep their order. */
static void
test_poc_overflow (void)
{
  Ctx ctx;
  GstH264SliceHdr slice;

  /* Type 1: a cycle of two offsets of 2^31 - 1. */
  ctx_init (&ctx);
  sps_init (&ctx.sps, 1, 2);
  ctx.sps.num_ref_frames_in_pic_order_cnt_cycle = 2;
  ctx.sps.offset_for_ref_frame[0] = G_MAXINT32;
  ctx.sps.offset_for_ref_frame[1] = G_MAXINT32;
  ctx.sps.offset_for_top_to_bottom_field = G_MAXINT32;
  slice_init (&ctx, &slice, 0, 0);
  feed_slice (&ctx, TRUE, 1, &slice, 0);
  g_assert_cmpint (ctx.plan.bottom_field_order_cnt, ==, G_MAXINT32);
  slice_init (&ctx, &slice, 1, 0);
  slice.delta_pic_order_cnt[0] = G_MAXINT32;
  feed_slice (&ctx, FALSE, 1, &slice, 1);
  g_assert_cmpint (ctx.plan.top_field_order_cnt, ==, G_MAXINT32);
  /* absFrameNum 3: one cycle (2^32 - 2) and one more offset. */
  slice_init (&ctx, &slice, 2, 0);
  feed_slice (&ctx, FALSE, 1, &slice, 2);
  slice_init (&ctx, &slice, 3, 0);
  feed_slice (&ctx, FALSE, 1, &slice, 3);
  g_assert_cmpint (ctx.plan.top_field_order_cnt, ==, G_MAXINT32);
  g_assert_cmpint (ctx.plan.pic_order_cnt, ==, G_MAXINT32);
  ctx_clear (&ctx);

  /* Type 0: delta_pic_order_cnt_bottom of -(2^31 - 1) below a negative
   * top. */
  ctx_init (&ctx);
  sps_init (&ctx.sps, 0, 2);
  slice_init (&ctx, &slice, 0, 0);
  feed_slice (&ctx, TRUE, 1, &slice, 0);
  slice_init (&ctx, &slice, 1, 14); /* POC -2 */
  slice.delta_pic_order_cnt_bottom = -G_MAXINT32;
  feed_slice (&ctx, FALSE, 1, &slice, 1);
  g_assert_cmpint (ctx.plan.top_field_order_cnt, ==, -2);
  g_assert_cmpint (ctx.plan.bottom_field_order_cnt, ==, G_MININT32);
  g_assert_cmpint (ctx.plan.pic_order_cnt, ==, G_MININT32);
  ctx_clear (&ctx);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/h264state/poc-type0-wrap", test_poc_type0_wrap);
  g_test_add_func ("/h264state/poc-type1", test_poc_type1);
  g_test_add_func ("/h264state/poc-type2", test_poc_type2);
  g_test_add_func ("/h264state/frame-num-gap", test_frame_num_gap);
  g_test_add_func ("/h264state/sliding-window", test_sliding_window);
  g_test_add_func ("/h264state/mmco-short-term", test_mmco_short_term);
  g_test_add_func ("/h264state/mmco-long-term", test_mmco_long_term);
  g_test_add_func ("/h264state/mmco5", test_mmco5);
  g_test_add_data_func ("/h264state/idr-output-prior-pics",
      GINT_TO_POINTER (FALSE), test_idr_prior_pics);
  g_test_add_data_func ("/h264state/idr-no-output-of-prior-pics",
      GINT_TO_POINTER (TRUE), test_idr_prior_pics);
  g_test_add_func ("/h264state/bumping-reorder-0-16", test_bumping);
  g_test_add_func ("/h264state/bumping-dpb-full", test_bumping_dpb_full);
  g_test_add_func ("/h264state/dpb-size", test_dpb_size);
  g_test_add_func ("/h264state/new-sequence", test_new_sequence);
  g_test_add_func ("/h264state/cropping", test_cropping);
  g_test_add_func ("/h264state/refused-and-dropped", test_refused_and_dropped);
  g_test_add_func (
      "/h264state/sps-size-out-of-range", test_sps_size_out_of_range);
  g_test_add_func ("/h264state/dpb-full-of-references-output-order",
      test_dpb_full_of_references_output_order);
  g_test_add_func (
      "/h264state/dpb-overflow-long-term", test_dpb_overflow_long_term);
  g_test_add_func ("/h264state/poc-overflow", test_poc_overflow);
  return g_test_run ();
}
