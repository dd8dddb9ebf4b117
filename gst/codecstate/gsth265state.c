/* gst-v4l2-elastic
 *
 * H.265 codec state, written from ITU-T H.265: 8.1.3 (NoRaslOutputFlag,
 * RASL pictures), 8.3.1 (picture order count), 8.3.2 (reference picture
 * set), 8.3.3 (unavailable reference pictures), C.5.2 (the output order
 * DPB: removal before decoding, bumping, storage).
 *
 * The DPB here is the spec's: every picture that is a reference or waits
 * for output, at most sps_max_dec_pic_buffering_minus1 of them before the
 * current picture is decoded, so that the current one fits.  Pictures are
 * the caller's opaque pointers; a picture leaves the DPB (and the state
 * drops its pointer) when it is neither a reference nor waiting for
 * output.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gsth265state.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_v4l2_elastic_h265_state_debug);
#define GST_CAT_DEFAULT gst_v4l2_elastic_h265_state_debug

/* A picture of the DPB. */
typedef struct
{
  gpointer picture; /* NULL: generated (8.3.3), or skipped by the caller */
  guint64 id;
  gint32 poc;          /* PicOrderCntVal */
  gboolean short_term; /* "used for short-term reference" */
  gboolean long_term;  /* "used for long-term reference" */
  gboolean needed_for_output;
  guint latency_count; /* PicLatencyCount (C.5.2.3) */
  gboolean generated;
} H265Pic;

/* The picture between begin_picture and end_picture. */
typedef struct
{
  gboolean active;
  gint32 poc;
  gboolean output; /* PicOutputFlag */
} H265Current;

/* The RPS of the current picture (8.3.2): the POCs the slice header
 * names, and the DPB pictures they name (NULL: "no reference picture"). */
typedef struct
{
  gint32 poc_st_curr_before[16], poc_st_curr_after[16], poc_st_foll[16];
  gint32 poc_lt_curr[16], poc_lt_foll[16];
  gboolean msb_lt_curr[16], msb_lt_foll[16]; /* delta_poc_msb_present_flag */
  guint n_st_curr_before, n_st_curr_after, n_st_foll, n_lt_curr, n_lt_foll;
  H265Pic *st_curr_before[16], *st_curr_after[16], *st_foll[16];
  H265Pic *lt_curr[16], *lt_foll[16];
} H265Rps;

struct _GstH265State
{
  GBoxedCopyFunc picture_ref;
  GDestroyNotify picture_free;

  /* The active sequence. */
  gboolean have_sequence;
  GstV4l2ElasticH265Sequence seq;
  /* The sequence changed and no plan to decode said so yet (the picture
   * that changed it may have been refused or dropped). */
  gboolean announce_sequence;
  guint log2_max_poc_lsb;

  GPtrArray *dpb; /* H265Pic, in decoding order */
  /* No IRAP picture since start, flush, a cut or an end of sequence:
   * what follows until one is dropped. */
  gboolean waiting_irap;
  /* The next IRAP picture starts a coded video sequence: NoRaslOutputFlag
   * is 1 even for a CRA picture (8.1.3: the first picture of the
   * bitstream, or the first after an end of sequence NAL unit). */
  gboolean start_of_cvs;
  /* NoRaslOutputFlag of the IRAP picture the next RASL pictures belong
   * to. */
  gboolean irap_no_rasl_output;
  /* PicOrderCntVal of prevTid0Pic (8.3.1). */
  gint32 prev_tid0_poc;
  /* The POC last output in this coded video sequence. */
  gboolean have_last_output;
  gint32 last_output_poc;

  H265Current cur;
};

static void
h265_pic_free (GstV4l2ElasticH265State *state, H265Pic *pic)
{
  if (pic->picture && state->picture_free)
    state->picture_free (pic->picture);
  g_free (pic);
}

static gboolean
pic_is_reference (const H265Pic *pic)
{
  return pic->short_term || pic->long_term;
}

/* Drops pictures that are neither references nor waiting for output. */
static void
remove_unused (GstV4l2ElasticH265State *state)
{
  guint i = 0;

  while (i < state->dpb->len) {
    H265Pic *pic = g_ptr_array_index (state->dpb, i);

    if (!pic_is_reference (pic) && !pic->needed_for_output) {
      g_ptr_array_remove_index (state->dpb, i);
      h265_pic_free (state, pic);
    } else {
      i++;
    }
  }
}

static void
clear_dpb (GstV4l2ElasticH265State *state)
{
  guint i;

  for (i = 0; i < state->dpb->len; i++)
    h265_pic_free (state, g_ptr_array_index (state->dpb, i));
  g_ptr_array_set_size (state->dpb, 0);
}

GstV4l2ElasticH265State *
gst_v4l2_elastic_h265_state_new (
    GBoxedCopyFunc picture_ref, GDestroyNotify picture_free)
{
  static gsize once = 0;
  GstV4l2ElasticH265State *state;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (gst_v4l2_elastic_h265_state_debug,
        "v4l2elastic-h265state", 0, "H.265 codec state");
    g_once_init_leave (&once, 1);
  }
  state = g_new0 (GstV4l2ElasticH265State, 1);
  state->picture_ref = picture_ref;
  state->picture_free = picture_free;
  state->dpb = g_ptr_array_new ();
  state->waiting_irap = TRUE;
  state->start_of_cvs = TRUE;
  return state;
}

void
gst_v4l2_elastic_h265_state_free (GstV4l2ElasticH265State *state)
{
  if (!state)
    return;
  clear_dpb (state);
  g_ptr_array_free (state->dpb, TRUE);
  g_free (state);
}

/**
 * gst_v4l2_elastic_h265_state_reset:
 *
 * Forgets every picture without output, the sequence and the POC history
 * (flush, seek, teardown).  Decoding resumes at the next IRAP picture,
 * which starts a coded video sequence (a CRA picture's RASL pictures are
 * dropped).
 */
void
gst_v4l2_elastic_h265_state_reset (GstV4l2ElasticH265State *state)
{
  clear_dpb (state);
  state->have_sequence = FALSE;
  state->waiting_irap = TRUE;
  state->start_of_cvs = TRUE;
  state->irap_no_rasl_output = FALSE;
  state->prev_tid0_poc = 0;
  state->have_last_output = FALSE;
  memset (&state->cur, 0, sizeof (state->cur));
}

/**
 * gst_v4l2_elastic_h265_state_held:
 *
 * Returns: how many caller pictures the state holds (references and
 * pictures waiting for output; generated pictures do not count).
 */
guint
gst_v4l2_elastic_h265_state_held (const GstV4l2ElasticH265State *state)
{
  guint i, n = 0;

  for (i = 0; i < state->dpb->len; i++)
    if (((H265Pic *) g_ptr_array_index (state->dpb, i))->picture)
      n++;
  return n;
}

/* ---- Output: the bumping process (C.5.2.4) ---- */

static void
output_pic (GstV4l2ElasticH265State *state, H265Pic *pic, GPtrArray *output)
{
  pic->needed_for_output = FALSE;
  /* begin_picture keeps late pictures and a second picture of one POC
   * from output: this is only a safety net. */
  if (state->have_last_output && pic->poc <= state->last_output_poc) {
    GST_WARNING ("POC %d waited after POC %d was output: not output", pic->poc,
        state->last_output_poc);
    return;
  }
  state->have_last_output = TRUE;
  state->last_output_poc = pic->poc;
  if (!output || !pic->picture)
    return;
  /* The caller gets its own reference; when the picture leaves the DPB
   * now, the state's reference is handed over instead. */
  if (!pic_is_reference (pic)) {
    g_ptr_array_add (output, pic->picture);
    pic->picture = NULL;
  } else {
    g_ptr_array_add (output,
        state->picture_ref ? state->picture_ref (pic->picture) : pic->picture);
  }
}

/* Outputs the picture with the smallest POC that waits for output, then
 * empties its buffer if it is no reference. */
static gboolean
bump (GstV4l2ElasticH265State *state, GPtrArray *output)
{
  H265Pic *best = NULL;
  guint i;

  for (i = 0; i < state->dpb->len; i++) {
    H265Pic *pic = g_ptr_array_index (state->dpb, i);

    if (pic->needed_for_output && (!best || pic->poc < best->poc))
      best = pic;
  }
  if (!best)
    return FALSE;
  GST_LOG ("output POC %d id %" G_GUINT64_FORMAT, best->poc, best->id);
  output_pic (state, best, output);
  remove_unused (state);
  return TRUE;
}

static guint
waiting_for_output (const GstV4l2ElasticH265State *state)
{
  guint i, n = 0;

  for (i = 0; i < state->dpb->len; i++)
    if (((H265Pic *) g_ptr_array_index (state->dpb, i))->needed_for_output)
      n++;
  return n;
}

static gboolean
waiting_with_poc (const GstV4l2ElasticH265State *state, gint32 poc)
{
  guint i;

  for (i = 0; i < state->dpb->len; i++) {
    H265Pic *pic = g_ptr_array_index (state->dpb, i);

    if (pic->needed_for_output && pic->poc == poc)
      return TRUE;
  }
  return FALSE;
}

/* The conditions of C.5.2.2 and C.5.2.3 other than DPB fullness: more
 * pictures waiting than sps_max_num_reorder_pics, or one that waited
 * SpsMaxLatencyPictures pictures. */
static gboolean
output_due (const GstV4l2ElasticH265State *state)
{
  guint i;

  if (waiting_for_output (state) > state->seq.reorder)
    return TRUE;
  if (state->seq.max_latency_pictures == 0)
    return FALSE;
  for (i = 0; i < state->dpb->len; i++) {
    H265Pic *pic = g_ptr_array_index (state->dpb, i);

    if (pic->needed_for_output &&
        pic->latency_count >= state->seq.max_latency_pictures)
      return TRUE;
  }
  return FALSE;
}

static void
mark_all_unused (GstV4l2ElasticH265State *state)
{
  guint i;

  for (i = 0; i < state->dpb->len; i++) {
    H265Pic *pic = g_ptr_array_index (state->dpb, i);

    pic->short_term = pic->long_term = FALSE;
  }
}

/* Empties the DPB: outputs everything waiting (or, with @no_output,
 * nothing) and forgets all references. */
static void
flush_dpb (
    GstV4l2ElasticH265State *state, gboolean no_output, GPtrArray *output)
{
  mark_all_unused (state);
  if (!no_output)
    while (bump (state, output))
      ;
  clear_dpb (state);
}

/**
 * gst_v4l2_elastic_h265_state_drain:
 * @output: (element-type gpointer): receives every picture still waiting,
 *   in output order
 *
 * At end of stream.  References stay (a stream may go on after a drain,
 * e.g. GstVideoDecoder's drain on caps renegotiation).
 */
void
gst_v4l2_elastic_h265_state_drain (
    GstV4l2ElasticH265State *state, GPtrArray *output)
{
  while (bump (state, output))
    ;
  /* What follows a drain in the same sequence may come before what the
   * drain output: it is output all the same. */
  state->have_last_output = FALSE;
}

/**
 * gst_v4l2_elastic_h265_state_end_of_sequence:
 * @output: (element-type gpointer) (nullable): unused: nothing is output
 *   at an end of sequence
 *
 * At an end of sequence NAL unit: the next picture is an IRAP picture that
 * starts a coded video sequence (8.1.3: NoRaslOutputFlag = 1 even for a
 * CRA picture, so its RASL pictures are dropped and its POC restarts).
 * The pictures still waiting for output stay: C.5.2.2 outputs them at an
 * IDR or BLA picture (unless no_output_of_prior_pics_flag) and discards
 * them at a CRA picture (NoOutputOfPriorPicsFlag = 1), as avdec_h265
 * does; at end of stream gst_v4l2_elastic_h265_state_drain() outputs
 * them.
 */
void
gst_v4l2_elastic_h265_state_end_of_sequence (
    GstV4l2ElasticH265State *state, GPtrArray *output)
{
  state->start_of_cvs = TRUE;
  state->waiting_irap = TRUE;
}

/* ---- Picture order count (8.3.1) ---- */

/* A conforming stream keeps PicOrderCntVal in 32 bits (8.3.1); a broken
 * one could push the MSB past it, undefined behaviour in C.  Sums are
 * done in 64 bits and saturated, which keeps the order at least. */
static gint32
poc_clamp (gint64 value)
{
  return (gint32) CLAMP (value, G_MININT32, G_MAXINT32);
}

static gint32
compute_poc (
    const GstV4l2ElasticH265State *state, guint32 lsb, gboolean irap_no_rasl)
{
  gint64 max_lsb = (gint64) 1 << state->log2_max_poc_lsb;
  gint64 prev_lsb, prev_msb, msb;

  if (irap_no_rasl)
    return (gint32) lsb;
  prev_lsb = state->prev_tid0_poc & (max_lsb - 1);
  prev_msb = (gint64) state->prev_tid0_poc - prev_lsb;
  if ((gint64) lsb < prev_lsb && prev_lsb - lsb >= max_lsb / 2)
    msb = prev_msb + max_lsb;
  else if ((gint64) lsb > prev_lsb && lsb - prev_lsb > max_lsb / 2)
    msb = prev_msb - max_lsb;
  else
    msb = prev_msb;
  return poc_clamp (msb + lsb);
}

/* Sub-layer non-reference pictures: the even nal_unit_types below 16
 * (TRAIL_N, TSA_N, STSA_N, RADL_N, RASL_N and the reserved ones). */
static gboolean
is_sub_layer_non_reference (guint8 type)
{
  return type < 16 && type % 2 == 0;
}

/* ---- Reference picture set (8.3.2) ---- */

static H265Pic *
find_reference (GstV4l2ElasticH265State *state, gint32 poc, gboolean lsb_only,
    gboolean short_term_only)
{
  guint32 mask = (1u << state->log2_max_poc_lsb) - 1;
  guint i;

  for (i = 0; i < state->dpb->len; i++) {
    H265Pic *pic = g_ptr_array_index (state->dpb, i);

    if (short_term_only ? !pic->short_term : !pic_is_reference (pic))
      continue;
    if (lsb_only ? ((guint32) pic->poc & mask) == (guint32) poc
                 : pic->poc == poc)
      return pic;
  }
  return NULL;
}

/* The POC lists of the RPS, (8-5) with (7-52) for DeltaPocMsbCycleLt;
 * NULL, or why the slice header is out of range. */
static const gchar *
rps_pocs (const GstV4l2ElasticH265State *state, const GstH265SPS *sps,
    const GstH265SliceHdr *slice, gint32 poc, H265Rps *rps)
{
  const GstH265ShortTermRefPicSet *st;
  gint64 max_lsb = (gint64) 1 << state->log2_max_poc_lsb;
  guint n_lt = slice->num_long_term_sps + slice->num_long_term_pics;
  gint64 delta_msb_cycle = 0;
  guint i;

  if (slice->short_term_ref_pic_set_sps_flag) {
    if (slice->short_term_ref_pic_set_idx >= sps->num_short_term_ref_pic_sets)
      return "short_term_ref_pic_set_idx beyond the SPS's sets";
    st = &sps->short_term_ref_pic_set[slice->short_term_ref_pic_set_idx];
  } else {
    st = &slice->short_term_ref_pic_sets;
  }
  if (st->NumNegativePics > 16 || st->NumPositivePics > 16 ||
      st->NumNegativePics + st->NumPositivePics > 16)
    return "short-term RPS of more than 16 pictures";
  if (n_lt > 16 || (n_lt > 0 && !sps->long_term_ref_pics_present_flag))
    return "long-term RPS out of range";

  for (i = 0; i < st->NumNegativePics; i++) {
    gint32 p = poc_clamp ((gint64) poc + st->DeltaPocS0[i]);

    if (st->UsedByCurrPicS0[i])
      rps->poc_st_curr_before[rps->n_st_curr_before++] = p;
    else
      rps->poc_st_foll[rps->n_st_foll++] = p;
  }
  for (i = 0; i < st->NumPositivePics; i++) {
    gint32 p = poc_clamp ((gint64) poc + st->DeltaPocS1[i]);

    if (st->UsedByCurrPicS1[i])
      rps->poc_st_curr_after[rps->n_st_curr_after++] = p;
    else
      rps->poc_st_foll[rps->n_st_foll++] = p;
  }

  for (i = 0; i < n_lt; i++) {
    guint32 lsb_lt;
    gboolean used;
    gint64 p;

    if (i < slice->num_long_term_sps) {
      guint idx = slice->lt_idx_sps[i];

      if (idx >= sps->num_long_term_ref_pics_sps || idx >= 32)
        return "lt_idx_sps beyond the SPS's long-term pictures";
      lsb_lt = sps->lt_ref_pic_poc_lsb_sps[idx];
      used = sps->used_by_curr_pic_lt_sps_flag[idx];
    } else {
      lsb_lt = slice->poc_lsb_lt[i];
      used = slice->used_by_curr_pic_lt_flag[i];
    }
    if (lsb_lt >= max_lsb)
      return "long-term POC LSB beyond MaxPicOrderCntLsb";
    /* (7-52): the cycles accumulate within the SPS entries and within
     * the slice entries, each from its first. */
    if (i == 0 || i == slice->num_long_term_sps)
      delta_msb_cycle = slice->delta_poc_msb_cycle_lt[i];
    else
      delta_msb_cycle += slice->delta_poc_msb_cycle_lt[i];

    p = lsb_lt;
    if (slice->delta_poc_msb_present_flag[i])
      p += (gint64) poc - delta_msb_cycle * max_lsb - (poc & (max_lsb - 1));
    if (used) {
      rps->msb_lt_curr[rps->n_lt_curr] = slice->delta_poc_msb_present_flag[i];
      rps->poc_lt_curr[rps->n_lt_curr++] = poc_clamp (p);
    } else {
      rps->msb_lt_foll[rps->n_lt_foll] = slice->delta_poc_msb_present_flag[i];
      rps->poc_lt_foll[rps->n_lt_foll++] = poc_clamp (p);
    }
  }
  return NULL;
}

static gboolean
rps_curr_contains (const H265Rps *rps, const H265Pic *pic)
{
  guint i;

  for (i = 0; i < rps->n_st_curr_before; i++)
    if (rps->st_curr_before[i] == pic)
      return TRUE;
  for (i = 0; i < rps->n_st_curr_after; i++)
    if (rps->st_curr_after[i] == pic)
      return TRUE;
  for (i = 0; i < rps->n_lt_curr; i++)
    if (rps->lt_curr[i] == pic)
      return TRUE;
  return FALSE;
}

/* Any of the five lists: the current ones or the Foll ones. */
static gboolean
rps_contains (const H265Rps *rps, const H265Pic *pic)
{
  guint i;

  if (rps_curr_contains (rps, pic))
    return TRUE;
  for (i = 0; i < rps->n_st_foll; i++)
    if (rps->st_foll[i] == pic)
      return TRUE;
  for (i = 0; i < rps->n_lt_foll; i++)
    if (rps->lt_foll[i] == pic)
      return TRUE;
  return FALSE;
}

/* (8-6)..(8-8): finds the pictures the POC lists name, marks the
 * long-term ones, and every other reference unused. */
static void
rps_mark (GstV4l2ElasticH265State *state, H265Rps *rps)
{
  guint i;

  /* Long-term first: any reference may become one; then the short-term
   * ones among those still short-term. */
  for (i = 0; i < rps->n_lt_curr; i++)
    rps->lt_curr[i] = find_reference (
        state, rps->poc_lt_curr[i], !rps->msb_lt_curr[i], FALSE);
  for (i = 0; i < rps->n_lt_foll; i++)
    rps->lt_foll[i] = find_reference (
        state, rps->poc_lt_foll[i], !rps->msb_lt_foll[i], FALSE);
  for (i = 0; i < rps->n_lt_curr; i++)
    if (rps->lt_curr[i]) {
      rps->lt_curr[i]->short_term = FALSE;
      rps->lt_curr[i]->long_term = TRUE;
    }
  for (i = 0; i < rps->n_lt_foll; i++)
    if (rps->lt_foll[i]) {
      rps->lt_foll[i]->short_term = FALSE;
      rps->lt_foll[i]->long_term = TRUE;
    }

  for (i = 0; i < rps->n_st_curr_before; i++)
    rps->st_curr_before[i] =
        find_reference (state, rps->poc_st_curr_before[i], FALSE, TRUE);
  for (i = 0; i < rps->n_st_curr_after; i++)
    rps->st_curr_after[i] =
        find_reference (state, rps->poc_st_curr_after[i], FALSE, TRUE);
  for (i = 0; i < rps->n_st_foll; i++)
    rps->st_foll[i] = find_reference (state, rps->poc_st_foll[i], FALSE, TRUE);

  for (i = 0; i < state->dpb->len; i++) {
    H265Pic *pic = g_ptr_array_index (state->dpb, i);

    if (pic_is_reference (pic) && !rps_contains (rps, pic))
      pic->short_term = pic->long_term = FALSE;
  }
  remove_unused (state);
}

/* ---- Unavailable reference pictures (8.3.3) ---- */

static H265Pic *
generate (GstV4l2ElasticH265State *state, gint32 poc, gboolean long_term)
{
  H265Pic *pic = g_new0 (H265Pic, 1);

  /* 8.3.3.2: PicOutputFlag 0; the sample values do not matter to a
   * conforming stream, which never predicts from it in a picture that is
   * output. */
  pic->poc = poc;
  pic->long_term = long_term;
  pic->short_term = !long_term;
  pic->generated = TRUE;
  g_ptr_array_add (state->dpb, pic);
  GST_DEBUG ("generated %s reference POC %d",
      long_term ? "long-term" : "short-term", poc);
  return pic;
}

/* 8.3.3.1 for the Foll lists of a CRA or BLA picture that starts
 * decoding; the Curr lists of any picture are generated too (a lost
 * reference: 8.3.2 calls it an unintentional picture loss), so that
 * every list entry of the plan names a DPB entry the caller can act on. */
static void
generate_missing (GstV4l2ElasticH265State *state, H265Rps *rps,
    gboolean foll_too, GstV4l2ElasticH265PicturePlan *plan)
{
  guint i;

  for (i = 0; i < rps->n_st_curr_before; i++)
    if (!rps->st_curr_before[i]) {
      rps->st_curr_before[i] =
          generate (state, rps->poc_st_curr_before[i], FALSE);
      plan->n_generated_curr++;
    }
  for (i = 0; i < rps->n_st_curr_after; i++)
    if (!rps->st_curr_after[i]) {
      rps->st_curr_after[i] =
          generate (state, rps->poc_st_curr_after[i], FALSE);
      plan->n_generated_curr++;
    }
  for (i = 0; i < rps->n_lt_curr; i++)
    if (!rps->lt_curr[i]) {
      rps->lt_curr[i] = generate (state, rps->poc_lt_curr[i], TRUE);
      plan->n_generated_curr++;
    }
  plan->n_generated += plan->n_generated_curr;
  if (!foll_too)
    return;
  for (i = 0; i < rps->n_st_foll; i++)
    if (!rps->st_foll[i]) {
      rps->st_foll[i] = generate (state, rps->poc_st_foll[i], FALSE);
      plan->n_generated++;
    }
  for (i = 0; i < rps->n_lt_foll; i++)
    if (!rps->lt_foll[i]) {
      rps->lt_foll[i] = generate (state, rps->poc_lt_foll[i], TRUE);
      plan->n_generated++;
    }
}

/* ---- Removal before decoding (C.5.2.2) ---- */

static void
rps_forget (H265Rps *rps, const H265Pic *pic)
{
  guint i;

  for (i = 0; i < rps->n_st_foll; i++)
    if (rps->st_foll[i] == pic)
      rps->st_foll[i] = NULL;
  for (i = 0; i < rps->n_lt_foll; i++)
    if (rps->lt_foll[i] == pic)
      rps->lt_foll[i] = NULL;
}

/* Bumps until the current picture fits (C.5.2.2): while more pictures
 * wait than the reorder depth allows, one waited too long, or the DPB is
 * full.  A DPB full of references only is a broken stream (an RPS larger
 * than sps_max_dec_pic_buffering_minus1): the references the current
 * picture does not predict from go first, generated ones before decoded
 * ones, so that the DPB never holds more than dpb_size pictures, which is
 * what the CAPTURE pool and the driver were promised.  FALSE when even the
 * current picture's own references do not fit. */
static gboolean
make_room (GstV4l2ElasticH265State *state, H265Rps *rps, GPtrArray *output)
{
  while (output_due (state) || state->dpb->len >= state->seq.dpb_size) {
    H265Pic *victim = NULL;
    guint i;

    if (bump (state, output))
      continue;
    if (state->dpb->len < state->seq.dpb_size)
      break; /* output_due with nothing to output: cannot be */
    for (i = 0; i < state->dpb->len; i++) {
      H265Pic *pic = g_ptr_array_index (state->dpb, i);

      if (rps_curr_contains (rps, pic))
        continue;
      if (!victim || (pic->generated && !victim->generated))
        victim = pic;
    }
    if (!victim)
      return FALSE;
    GST_WARNING ("DPB overflow: %u pictures in a DPB of %u, reference POC %d "
                 "dropped",
        state->dpb->len, state->seq.dpb_size, victim->poc);
    rps_forget (rps, victim);
    victim->short_term = victim->long_term = FALSE;
    remove_unused (state);
  }
  return TRUE;
}

/* ---- The plan ---- */

static guint8
dpb_index (
    const GstV4l2ElasticH265State *state, const H265Pic *pic, GPtrArray *refs)
{
  guint i;

  if (!pic)
    return GST_V4L2_ELASTIC_H265_NO_REF;
  for (i = 0; i < refs->len; i++)
    if (g_ptr_array_index (refs, i) == pic)
      return i;
  return GST_V4L2_ELASTIC_H265_NO_REF;
}

static void
fill_plan_refs (GstV4l2ElasticH265State *state, const H265Rps *rps,
    GstV4l2ElasticH265PicturePlan *plan)
{
  GPtrArray *refs = g_ptr_array_new ();
  guint i;

  for (i = 0; i < state->dpb->len; i++) {
    H265Pic *pic = g_ptr_array_index (state->dpb, i);
    GstV4l2ElasticH265DpbEntry *entry;

    if (!pic_is_reference (pic) || refs->len >= GST_V4L2_ELASTIC_H265_DPB_MAX)
      continue;
    entry = &plan->dpb[refs->len];
    g_ptr_array_add (refs, pic);
    entry->id = pic->generated ? 0 : pic->id;
    entry->pic_order_cnt_val = pic->poc;
    entry->flags = 0;
    if (pic->long_term)
      entry->flags |= GST_V4L2_ELASTIC_H265_DPB_LONG_TERM;
    if (pic->generated)
      entry->flags |= GST_V4L2_ELASTIC_H265_DPB_GENERATED;
  }
  plan->n_dpb = refs->len;

#define FILL(list)                                                             \
  G_STMT_START                                                                 \
  {                                                                            \
    plan->n_##list = rps->n_##list;                                            \
    for (i = 0; i < rps->n_##list; i++)                                        \
      plan->list[i] = dpb_index (state, rps->list[i], refs);                   \
  }                                                                            \
  G_STMT_END
  FILL (st_curr_before);
  FILL (st_curr_after);
  FILL (lt_curr);
  FILL (st_foll);
  FILL (lt_foll);
#undef FILL
  g_ptr_array_free (refs, TRUE);
}

static GstV4l2ElasticH265Decision
refuse (GstV4l2ElasticH265PicturePlan *plan, const gchar *message)
{
  GST_WARNING ("%s", message);
  plan->message = message;
  return GST_V4L2_ELASTIC_H265_ERROR;
}

static GstV4l2ElasticH265Decision
drop (GstV4l2ElasticH265PicturePlan *plan, GstV4l2ElasticH265DropReason reason)
{
  GST_DEBUG ("picture dropped (reason %d)", reason);
  plan->drop_reason = reason;
  return GST_V4L2_ELASTIC_H265_DROP;
}

/* A picture that started a coded video sequence and is not decoded
 * leaves nothing for what follows to predict from: the state waits for
 * the next IRAP picture again (which announces the new sequence, if the
 * refused one changed it). */
static GstV4l2ElasticH265Decision
abandon (GstV4l2ElasticH265State *state, gboolean started_cvs,
    GstV4l2ElasticH265Decision decision)
{
  if (started_cvs)
    state->waiting_irap = state->start_of_cvs = TRUE;
  return decision;
}

static gboolean
is_vcl_type (guint8 type)
{
  return type <= GST_H265_NAL_SLICE_RASL_R ||
      (type >= GST_H265_NAL_SLICE_BLA_W_LP &&
          type <= GST_H265_NAL_SLICE_CRA_NUT);
}

/* Starts a coded video sequence at an IRAP picture with
 * NoRaslOutputFlag = 1: C.5.2.2 empties the DPB (outputting the prior
 * pictures unless NoOutputOfPriorPicsFlag), the SPS activates. */
static void
start_cvs (GstV4l2ElasticH265State *state, const GstH265SliceHdr *slice,
    gboolean cra, const GstV4l2ElasticH265Sequence *seq,
    GstV4l2ElasticH265PicturePlan *plan, GPtrArray *output)
{
  const GstH265SPS *sps = slice->pps->sps;
  /* C.5.2.2: a CRA picture discards the prior pictures whatever its
   * flag says; the size of the pictures changing lets a decoder do so
   * too ("may but should not"): this one does not. */
  gboolean no_output = cra || slice->no_output_of_prior_pics_flag;
  gboolean changed = !state->have_sequence ||
      !gst_v4l2_elastic_h265_sequence_equal (&state->seq, seq);

  if (state->dpb->len > 0) {
    plan->no_output_of_prior_pics = no_output;
    flush_dpb (state, no_output, output);
  }
  if (changed)
    GST_DEBUG ("new sequence %ux%u, DPB %u, reorder %u, latency %u", seq->width,
        seq->height, seq->dpb_size, seq->reorder, seq->max_latency_pictures);
  state->announce_sequence |= changed;
  state->seq = *seq;
  state->have_sequence = TRUE;
  state->log2_max_poc_lsb = sps->log2_max_pic_order_cnt_lsb_minus4 + 4;
  state->waiting_irap = FALSE;
  state->start_of_cvs = FALSE;
  state->have_last_output = FALSE;
}

/**
 * gst_v4l2_elastic_h265_state_begin_picture:
 * @nalu: the NAL unit of @slice
 * @slice: the first slice segment header of the picture
 * @plan: (out): what to decode and with which references
 * @output: (nullable): receives pictures to output before this one: the
 *   prior pictures an IRAP picture flushes, and those bumped to make room
 *
 * Returns: whether to decode the picture.  After
 * GST_V4L2_ELASTIC_H265_DECODE the caller must call
 * gst_v4l2_elastic_h265_state_end_picture() before the next picture.
 */
GstV4l2ElasticH265Decision
gst_v4l2_elastic_h265_state_begin_picture (GstV4l2ElasticH265State *state,
    const GstH265NalUnit *nalu, const GstH265SliceHdr *slice,
    GstV4l2ElasticH265PicturePlan *plan, GPtrArray *output)
{
  const GstH265SPS *sps;
  GstV4l2ElasticH265Sequence seq;
  H265Current *cur = &state->cur;
  H265Rps rps;
  guint8 type = nalu->type;
  gboolean irap, no_rasl = FALSE, unsupported;
  const gchar *message;
  guint32 lsb;

  memset (plan, 0, sizeof (*plan));
  memset (cur, 0, sizeof (*cur));
  memset (&rps, 0, sizeof (rps));

  if (nalu->layer_id > 0)
    return drop (plan, GST_V4L2_ELASTIC_H265_DROP_LAYER);
  if (!is_vcl_type (type))
    return refuse (plan, "not a slice of a coded picture");
  if (!slice->first_slice_segment_in_pic_flag)
    return refuse (plan, "not the first slice segment of a picture");
  if (!slice->pps || !slice->pps->sps)
    return refuse (plan, "slice without a PPS or SPS");
  sps = slice->pps->sps;
  if ((message = gst_v4l2_elastic_h265_sequence_check (sps, &unsupported))) {
    plan->unsupported = unsupported;
    return refuse (plan, message);
  }
  gst_v4l2_elastic_h265_sequence_from_sps (&seq, sps);

  irap = GST_H265_IS_NAL_TYPE_IRAP (type);
  if (!irap && state->waiting_irap)
    return drop (plan, GST_V4L2_ELASTIC_H265_DROP_NO_IRAP);
  if (!irap &&
      (!gst_v4l2_elastic_h265_sequence_equal (&state->seq, &seq) ||
          state->log2_max_poc_lsb !=
              sps->log2_max_pic_order_cnt_lsb_minus4 + 4u)) {
    /* An SPS only activates at the start of a coded video sequence: the
     * stream was cut.  What waits goes out, then the next IRAP. */
    GST_WARNING ("SPS changed on a non-IRAP picture: waiting for an IRAP");
    flush_dpb (state, FALSE, output);
    state->waiting_irap = state->start_of_cvs = TRUE;
    return drop (plan, GST_V4L2_ELASTIC_H265_DROP_NO_IRAP);
  }

  if (irap) {
    gboolean cra = GST_H265_IS_NAL_TYPE_CRA (type);

    /* 8.1.3.  A CRA picture with another SPS than the active one (a
     * splice) is handled as a BLA picture (HandleCraAsBlaFlag). */
    no_rasl = !cra || state->start_of_cvs || !state->have_sequence ||
        !gst_v4l2_elastic_h265_sequence_equal (&state->seq, &seq) ||
        state->log2_max_poc_lsb != sps->log2_max_pic_order_cnt_lsb_minus4 + 4u;
    state->irap_no_rasl_output = no_rasl;
    if (no_rasl)
      start_cvs (state, slice, cra, &seq, plan, output);
  } else if (GST_H265_IS_NAL_TYPE_RASL (type) && state->irap_no_rasl_output) {
    return drop (plan, GST_V4L2_ELASTIC_H265_DROP_RASL);
  }

  /* 8.3.1 */
  lsb = GST_H265_IS_NAL_TYPE_IDR (type) ? 0 : slice->pic_order_cnt_lsb;
  if (lsb >= (1u << state->log2_max_poc_lsb))
    return abandon (state, irap && no_rasl,
        refuse (plan, "slice_pic_order_cnt_lsb beyond MaxPicOrderCntLsb"));
  cur->poc = compute_poc (state, lsb, irap && no_rasl);
  if (nalu->temporal_id_plus1 == 1 && !GST_H265_IS_NAL_TYPE_RADL (type) &&
      !GST_H265_IS_NAL_TYPE_RASL (type) && !is_sub_layer_non_reference (type))
    state->prev_tid0_poc = cur->poc;

  /* 8.3.2: an IDR picture has an empty RPS; an IRAP picture with
   * NoRaslOutputFlag found the DPB emptied by start_cvs(). */
  if (!GST_H265_IS_NAL_TYPE_IDR (type)) {
    if ((message = rps_pocs (state, sps, slice, cur->poc, &rps)))
      return abandon (state, irap && no_rasl, refuse (plan, message));
  }
  rps_mark (state, &rps);
  generate_missing (state, &rps,
      no_rasl &&
          (GST_H265_IS_NAL_TYPE_CRA (type) || GST_H265_IS_NAL_TYPE_BLA (type)),
      plan);

  /* C.5.2.2 */
  if (!make_room (state, &rps, output)) {
    GST_WARNING ("%u references in a DPB of %u",
        rps.n_st_curr_before + rps.n_st_curr_after + rps.n_lt_curr,
        state->seq.dpb_size);
    return abandon (state, irap && no_rasl,
        drop (plan, GST_V4L2_ELASTIC_H265_DROP_DPB_OVERFLOW));
  }

  cur->output =
      slice->pps->output_flag_present_flag ? slice->pic_output_flag : TRUE;
  /* C.5.2 outputs a conforming stream in increasing POC order within a
   * coded video sequence.  A broken one may bring a picture whose POC
   * is not above one already output: it is decoded (later pictures may
   * predict from it) but not output, so that downstream never sees time
   * go backwards within a sequence. */
  if (cur->output && state->have_last_output &&
      cur->poc <= state->last_output_poc) {
    GST_WARNING ("POC %d after POC %d was output: not output", cur->poc,
        state->last_output_poc);
    cur->output = FALSE;
  }
  if (cur->output && waiting_with_poc (state, cur->poc)) {
    GST_WARNING ("POC %d twice: the second is not output", cur->poc);
    cur->output = FALSE;
  }
  cur->active = TRUE;

  plan->new_sequence = state->announce_sequence;
  state->announce_sequence = FALSE;
  plan->sequence = state->seq;
  plan->vps_id = sps->vps_id;
  plan->sps_id = sps->id;
  plan->pps_id = slice->pps->id;
  plan->nal_unit_type = type;
  plan->temporal_id = nalu->temporal_id_plus1 ? nalu->temporal_id_plus1 - 1 : 0;
  plan->irap = irap;
  plan->idr = GST_H265_IS_NAL_TYPE_IDR (type);
  plan->bla = GST_H265_IS_NAL_TYPE_BLA (type);
  plan->cra = GST_H265_IS_NAL_TYPE_CRA (type);
  plan->no_rasl_output = irap && no_rasl;
  plan->output = cur->output;
  plan->pic_order_cnt_val = cur->poc;
  fill_plan_refs (state, &rps, plan);
  return GST_V4L2_ELASTIC_H265_DECODE;
}

/**
 * gst_v4l2_elastic_h265_state_end_picture:
 * @picture: (transfer full) (nullable): the decoded picture, or NULL when
 *   the caller did not decode it (then it stays a reference the RPS of
 *   later pictures can name, generated, never output)
 * @id: the caller's name for it (what later DPB entries carry)
 * @output: (nullable): receives pictures ready for output, in output order,
 *   each a reference of the caller's own (@picture_ref, or the state's
 *   reference handed over when the picture leaves the DPB)
 *
 * Storage of the current picture and the additional bumping of C.5.2.3.
 */
void
gst_v4l2_elastic_h265_state_end_picture (GstV4l2ElasticH265State *state,
    gpointer picture, guint64 id, GPtrArray *output)
{
  H265Current *cur = &state->cur;
  H265Pic *pic;
  guint i;

  g_return_if_fail (cur->active);
  cur->active = FALSE;

  for (i = 0; i < state->dpb->len; i++) {
    H265Pic *other = g_ptr_array_index (state->dpb, i);

    if (other->needed_for_output)
      other->latency_count++;
  }

  pic = g_new0 (H265Pic, 1);
  pic->picture = picture;
  pic->id = id;
  pic->poc = cur->poc;
  pic->short_term = TRUE; /* until the RPS of a later picture says */
  pic->generated = picture == NULL;
  pic->needed_for_output = cur->output && picture != NULL;
  g_ptr_array_add (state->dpb, pic);

  while (output_due (state))
    if (!bump (state, output))
      break;
}
