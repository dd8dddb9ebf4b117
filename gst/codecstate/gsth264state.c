/* gst-v4l2-elastic
 *
 * H.264 codec state, written from ITU-T H.264: 8.2.1 (picture order
 * count), 8.2.5 (decoded reference picture marking, frame_num gaps), C.4
 * (DPB operation and output order), A.3.1 (level limits).
 *
 * The DPB here is the spec's: every frame that is a reference or waits for
 * output, at most dpb_size of them.  Pictures are the caller's opaque
 * pointers; a frame leaves the DPB (and the state drops its pointer) when
 * it is neither a reference nor waiting for output.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gsth264state.h"
#include "gstcodeclimits.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_v4l2_elastic_h264_state_debug);
#define GST_CAT_DEFAULT gst_v4l2_elastic_h264_state_debug

/* A frame of the DPB. */
typedef struct
{
  gpointer picture; /* NULL for non-existing frames */
  guint64 id;
  guint32 frame_num;
  guint32 long_term_frame_idx;
  gint32 top_poc;
  gint32 bottom_poc;
  gboolean short_term; /* "used for short-term reference" */
  gboolean long_term;  /* "used for long-term reference" */
  gboolean needed_for_output;
  gboolean non_existing;
} H264Frame;

/* The picture between begin_picture and end_picture. */
typedef struct
{
  gboolean active;
  gboolean idr;
  gboolean reference;
  guint32 frame_num;
  gint32 frame_num_offset; /* FrameNumOffset (POC types 1 and 2) */
  gint32 poc_msb;          /* PicOrderCntMsb (POC type 0) */
  guint32 poc_lsb;
  gint32 top_poc;
  gint32 bottom_poc;
  GstH264DecRefPicMarking marking;
} H264Current;

struct _GstH264State
{
  GBoxedCopyFunc picture_ref;
  GDestroyNotify picture_free;

  /* The active SPS (a shallow copy: the MVC extension is not kept). */
  GstH264SPS sps;
  gboolean have_sps;
  guint dpb_size;
  guint reorder;

  GPtrArray *dpb; /* H264Frame, in insertion order */
  gboolean have_idr;
  gint max_long_term_frame_idx; /* -1: "no long-term frame indices" */

  /* What 8.2.1 calls the previous (reference) picture. */
  gint32 prev_poc_msb;
  guint32 prev_poc_lsb;
  gint32 prev_frame_num_offset;
  guint32 prev_frame_num;
  guint32 prev_ref_frame_num;

  H264Current cur;
};

static void
h264_frame_free (GstV4l2ElasticH264State *state, H264Frame *frame)
{
  if (frame->picture && state->picture_free)
    state->picture_free (frame->picture);
  g_free (frame);
}

static gboolean
frame_is_reference (const H264Frame *frame)
{
  return frame->short_term || frame->long_term;
}

static guint32
max_frame_num (const GstH264SPS *sps)
{
  return 1u << (sps->log2_max_frame_num_minus4 + 4);
}

static gint32
frame_poc (const H264Frame *frame)
{
  return MIN (frame->top_poc, frame->bottom_poc);
}

/* Drops frames that are neither references nor waiting for output. */
static void
remove_unused (GstV4l2ElasticH264State *state)
{
  guint i = 0;

  while (i < state->dpb->len) {
    H264Frame *frame = g_ptr_array_index (state->dpb, i);

    if (!frame_is_reference (frame) && !frame->needed_for_output) {
      g_ptr_array_remove_index (state->dpb, i);
      h264_frame_free (state, frame);
    } else {
      i++;
    }
  }
}

static void
clear_dpb (GstV4l2ElasticH264State *state)
{
  guint i;

  for (i = 0; i < state->dpb->len; i++)
    h264_frame_free (state, g_ptr_array_index (state->dpb, i));
  g_ptr_array_set_size (state->dpb, 0);
}

GstV4l2ElasticH264State *
gst_v4l2_elastic_h264_state_new (
    GBoxedCopyFunc picture_ref, GDestroyNotify picture_free)
{
  static gsize once = 0;
  GstV4l2ElasticH264State *state;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (gst_v4l2_elastic_h264_state_debug,
        "v4l2elastic-h264state", 0, "H.264 codec state");
    g_once_init_leave (&once, 1);
  }
  state = g_new0 (GstV4l2ElasticH264State, 1);
  state->picture_ref = picture_ref;
  state->picture_free = picture_free;
  state->dpb = g_ptr_array_new ();
  state->max_long_term_frame_idx = -1;
  return state;
}

void
gst_v4l2_elastic_h264_state_free (GstV4l2ElasticH264State *state)
{
  if (!state)
    return;
  clear_dpb (state);
  g_ptr_array_free (state->dpb, TRUE);
  g_free (state);
}

/**
 * gst_v4l2_elastic_h264_state_reset:
 *
 * Forgets every picture without output, the sequence and the POC history
 * (flush, seek, teardown).  Decoding resumes at the next IDR.
 */
void
gst_v4l2_elastic_h264_state_reset (GstV4l2ElasticH264State *state)
{
  clear_dpb (state);
  state->have_sps = FALSE;
  state->have_idr = FALSE;
  state->dpb_size = 0;
  state->reorder = 0;
  state->max_long_term_frame_idx = -1;
  memset (&state->cur, 0, sizeof (state->cur));
}

/**
 * gst_v4l2_elastic_h264_state_held:
 *
 * Returns: how many caller pictures the state holds (references and
 * pictures waiting for output; non-existing frames do not count).
 */
guint
gst_v4l2_elastic_h264_state_held (const GstV4l2ElasticH264State *state)
{
  guint i, n = 0;

  for (i = 0; i < state->dpb->len; i++)
    if (((H264Frame *) g_ptr_array_index (state->dpb, i))->picture)
      n++;
  return n;
}

/* ---- Sequence: DPB size and output delay (A.3.1, E.2.1) ---- */

/* MaxDpbMbs of Table A-1. */
static guint
max_dpb_mbs (const GstH264SPS *sps)
{
  /* Level 1b is level_idc 9, or 11 with constraint_set3_flag in the
   * Baseline, Main and Extended profiles. */
  if (sps->level_idc == 11 && sps->constraint_set3_flag &&
      (sps->profile_idc == 66 || sps->profile_idc == 77 ||
          sps->profile_idc == 88))
    return 396;

  switch (sps->level_idc) {
  case 9:
  case 10:
    return 396;
  case 11:
    return 900;
  case 12:
  case 13:
  case 20:
    return 2376;
  case 21:
    return 4752;
  case 22:
  case 30:
    return 8100;
  case 31:
    return 18000;
  case 32:
    return 20480;
  case 40:
  case 41:
    return 32768;
  case 42:
    return 34816;
  case 50:
    return 110400;
  case 51:
  case 52:
    return 184320;
  default:
    /* Levels 6 to 6.2, and anything unknown: the largest. */
    return 696320;
  }
}

static guint
width_in_mbs (const GstH264SPS *sps)
{
  return sps->pic_width_in_mbs_minus1 + 1;
}

static guint
frame_height_in_mbs (const GstH264SPS *sps)
{
  return (2 - sps->frame_mbs_only_flag) *
      (sps->pic_height_in_map_units_minus1 + 1);
}

/* Frame cropping (7.4.2.1.1): the offsets count in units of
 * CropUnitX/CropUnitY, which follow the chroma subsampling and, vertically,
 * frame_mbs_only_flag.  A rectangle that does not fit the coded picture
 * (a broken SPS) is ignored: the whole picture is shown. */
static void
sequence_visible (
    const GstH264SPS *sps, guint *x, guint *y, guint *width, guint *height)
{
  guint coded_w = width_in_mbs (sps) * 16;
  guint coded_h = frame_height_in_mbs (sps) * 16;
  guint chroma =
      sps->separate_colour_plane_flag ? 0 : (guint) sps->chroma_format_idc;
  guint unit_x = 1, unit_y = 2 - sps->frame_mbs_only_flag;
  guint64 left, right, top, bottom;

  *x = *y = 0;
  *width = coded_w;
  *height = coded_h;
  if (!sps->frame_cropping_flag)
    return;
  if (chroma == 1 || chroma == 2)
    unit_x = 2; /* SubWidthC */
  if (chroma == 1)
    unit_y *= 2; /* SubHeightC */
  left = (guint64) sps->frame_crop_left_offset * unit_x;
  right = (guint64) sps->frame_crop_right_offset * unit_x;
  top = (guint64) sps->frame_crop_top_offset * unit_y;
  bottom = (guint64) sps->frame_crop_bottom_offset * unit_y;
  if (left + right >= coded_w || top + bottom >= coded_h) {
    GST_WARNING ("frame cropping %" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT
                 ",%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT
                 " does not fit %ux%u: ignored",
        left, right, top, bottom, coded_w, coded_h);
    return;
  }
  *x = left;
  *y = top;
  *width = coded_w - left - right;
  *height = coded_h - top - bottom;
}

static guint
sequence_dpb_size (const GstH264SPS *sps)
{
  guint size;

  if (sps->vui_parameters_present_flag &&
      sps->vui_parameters.bitstream_restriction_flag) {
    size = sps->vui_parameters.max_dec_frame_buffering;
  } else {
    size = max_dpb_mbs (sps) / (width_in_mbs (sps) * frame_height_in_mbs (sps));
  }
  /* A stream that keeps more references than it announces still needs
   * them; a DPB of 0 still passes each picture through one slot. */
  size = MAX (size, sps->num_ref_frames);
  return CLAMP (size, 1, GST_V4L2_ELASTIC_H264_DPB_MAX_FRAMES);
}

/* Profiles in which output order is decoding order: no B slices
 * (Baseline, Constrained Baseline) or intra-only (the High intra profiles
 * are constraint_set3_flag with High, High 10, 4:2:2, 4:4:4; CAVLC 4:4:4
 * Intra is profile 44). */
static gboolean
profile_never_reorders (const GstH264SPS *sps)
{
  if (sps->profile_idc == 66 || sps->profile_idc == 44)
    return TRUE;
  if (sps->constraint_set3_flag &&
      (sps->profile_idc == 100 || sps->profile_idc == 110 ||
          sps->profile_idc == 122 || sps->profile_idc == 244))
    return TRUE;
  return FALSE;
}

static guint
sequence_reorder (const GstH264SPS *sps, guint dpb_size)
{
  if (sps->vui_parameters_present_flag &&
      sps->vui_parameters.bitstream_restriction_flag)
    return MIN (sps->vui_parameters.num_reorder_frames, dpb_size);
  /* POC type 2 makes output order decoding order (8.2.1.3). */
  if (profile_never_reorders (sps) || sps->pic_order_cnt_type == 2)
    return 0;
  return dpb_size;
}

/* ---- Output: the bumping process (C.4.5.3) ---- */

static void
output_frame (
    GstV4l2ElasticH264State *state, H264Frame *frame, GPtrArray *output)
{
  frame->needed_for_output = FALSE;
  if (!output)
    return;
  /* The caller gets its own reference; when the frame leaves the DPB now,
   * the state's reference is handed over instead. */
  if (!frame_is_reference (frame)) {
    g_ptr_array_add (output, frame->picture);
    frame->picture = NULL;
  } else {
    g_ptr_array_add (output,
        state->picture_ref ? state->picture_ref (frame->picture)
                           : frame->picture);
  }
}

/* The frame with the smallest POC that waits for output, or NULL. */
static H264Frame *
next_output (GstV4l2ElasticH264State *state)
{
  H264Frame *best = NULL;
  guint i;

  for (i = 0; i < state->dpb->len; i++) {
    H264Frame *frame = g_ptr_array_index (state->dpb, i);

    if (frame->needed_for_output &&
        (!best || frame_poc (frame) < frame_poc (best)))
      best = frame;
  }
  return best;
}

/* Outputs the frame with the smallest POC that waits for output. */
static gboolean
bump (GstV4l2ElasticH264State *state, GPtrArray *output)
{
  H264Frame *best = next_output (state);

  if (!best)
    return FALSE;
  GST_LOG ("output POC %d id %" G_GUINT64_FORMAT, frame_poc (best), best->id);
  output_frame (state, best, output);
  remove_unused (state);
  return TRUE;
}

static guint
waiting_for_output (const GstV4l2ElasticH264State *state)
{
  guint i, n = 0;

  for (i = 0; i < state->dpb->len; i++)
    if (((H264Frame *) g_ptr_array_index (state->dpb, i))->needed_for_output)
      n++;
  return n;
}

/* Empties the DPB: outputs everything (or, with no_output_of_prior_pics,
 * nothing) and forgets all references (IDR, MMCO 5, new sequence). */
static void
flush_dpb (
    GstV4l2ElasticH264State *state, gboolean no_output, GPtrArray *output)
{
  guint i;

  for (i = 0; i < state->dpb->len; i++) {
    H264Frame *frame = g_ptr_array_index (state->dpb, i);

    frame->short_term = frame->long_term = FALSE;
  }
  if (!no_output)
    while (bump (state, output))
      ;
  clear_dpb (state);
}

/**
 * gst_v4l2_elastic_h264_state_drain:
 * @output: (element-type gpointer): receives every picture still waiting,
 *   in output order
 *
 * At end of stream.  References stay (a stream may go on after a drain
 * without an IDR, e.g. GstVideoDecoder's drain on caps renegotiation).
 */
void
gst_v4l2_elastic_h264_state_drain (
    GstV4l2ElasticH264State *state, GPtrArray *output)
{
  while (bump (state, output))
    ;
}

/* ---- Picture order count (8.2.1) ---- */

/* POC arithmetic is done in 64 bits and saturated to 32: the SPS and
 * slice fields behind it are 32-bit each (offset_for_ref_frame,
 * delta_pic_order_cnt...), so a broken stream overflows 32-bit sums
 * (undefined behaviour in C).  A conforming stream keeps every POC in
 * range (8.2.1), where this changes nothing; a broken one gets POCs that
 * at least keep their order. */
static gint32
poc_clamp (gint64 value)
{
  return (gint32) CLAMP (value, G_MININT32, G_MAXINT32);
}

static void
poc_type0 (GstV4l2ElasticH264State *state, const GstH264SliceHdr *slice,
    H264Current *cur)
{
  const GstH264SPS *sps = &state->sps;
  gint32 max_lsb = 1 << (sps->log2_max_pic_order_cnt_lsb_minus4 + 4);
  gint32 lsb = slice->pic_order_cnt_lsb;
  gint32 prev_msb = cur->idr ? 0 : state->prev_poc_msb;
  gint32 prev_lsb = cur->idr ? 0 : (gint32) state->prev_poc_lsb;

  if (lsb < prev_lsb && prev_lsb - lsb >= max_lsb / 2)
    cur->poc_msb = poc_clamp ((gint64) prev_msb + max_lsb);
  else if (lsb > prev_lsb && lsb - prev_lsb > max_lsb / 2)
    cur->poc_msb = poc_clamp ((gint64) prev_msb - max_lsb);
  else
    cur->poc_msb = prev_msb;
  cur->poc_lsb = lsb;
  cur->top_poc = poc_clamp ((gint64) cur->poc_msb + lsb);
  cur->bottom_poc =
      poc_clamp ((gint64) cur->top_poc + slice->delta_pic_order_cnt_bottom);
}

static gint32
frame_num_offset (
    const GstV4l2ElasticH264State *state, gboolean idr, guint32 frame_num)
{
  if (idr)
    return 0;
  if (state->prev_frame_num > frame_num)
    return poc_clamp (
        (gint64) state->prev_frame_num_offset + max_frame_num (&state->sps));
  return state->prev_frame_num_offset;
}

/* Type 1 for a frame: the expected POC from the cycle of reference
 * offsets, and the two deltas. */
static void
poc_type1 (const GstV4l2ElasticH264State *state, gboolean reference,
    const gint32 *delta, H264Current *cur)
{
  const GstH264SPS *sps = &state->sps;
  guint n = sps->num_ref_frames_in_pic_order_cnt_cycle;
  gint64 abs_frame_num = 0, expected = 0;
  guint i;

  if (n != 0)
    abs_frame_num = (gint64) cur->frame_num_offset + cur->frame_num;
  if (!reference && abs_frame_num > 0)
    abs_frame_num--;

  if (abs_frame_num > 0) {
    /* At most 2^31 + 2^16 cycles of at most 2^31: fits 64 bits. */
    gint64 cycle = (abs_frame_num - 1) / n;
    guint in_cycle = (abs_frame_num - 1) % n;
    gint64 per_cycle = 0;

    for (i = 0; i < n; i++)
      per_cycle += sps->offset_for_ref_frame[i];
    expected = cycle * poc_clamp (per_cycle);
    for (i = 0; i <= in_cycle; i++)
      expected += sps->offset_for_ref_frame[i];
  }
  if (!reference)
    expected += sps->offset_for_non_ref_pic;

  cur->top_poc = poc_clamp (expected + delta[0]);
  cur->bottom_poc = poc_clamp (
      (gint64) cur->top_poc + sps->offset_for_top_to_bottom_field + delta[1]);
}

static void
poc_type2 (gboolean reference, H264Current *cur)
{
  gint64 temp = 0;

  if (!cur->idr) {
    temp = 2 * ((gint64) cur->frame_num_offset + cur->frame_num);
    if (!reference)
      temp--;
  }
  cur->top_poc = cur->bottom_poc = poc_clamp (temp);
}

static void
compute_poc (GstV4l2ElasticH264State *state, const GstH264SliceHdr *slice,
    H264Current *cur)
{
  static const gint32 no_delta[2] = { 0, 0 };

  cur->frame_num_offset = frame_num_offset (state, cur->idr, cur->frame_num);
  switch (state->sps.pic_order_cnt_type) {
  case 0:
    /* Non-existing frames (no slice) have no POC: never output. */
    if (slice)
      poc_type0 (state, slice, cur);
    break;
  case 1:
    poc_type1 (state, cur->reference,
        slice ? slice->delta_pic_order_cnt : no_delta, cur);
    break;
  default:
    poc_type2 (cur->reference, cur);
    break;
  }
}

/* ---- Reference marking (8.2.5) ---- */

static gint32
frame_num_wrap (const GstV4l2ElasticH264State *state, const H264Frame *frame,
    guint32 current_frame_num)
{
  if (frame->frame_num > current_frame_num)
    return (gint32) frame->frame_num - (gint32) max_frame_num (&state->sps);
  return frame->frame_num;
}

static guint
count_references (const GstV4l2ElasticH264State *state)
{
  guint i, n = 0;

  for (i = 0; i < state->dpb->len; i++)
    if (frame_is_reference (g_ptr_array_index (state->dpb, i)))
      n++;
  return n;
}

/* 8.2.5.3: when the references fill max_num_ref_frames, the short-term
 * frame with the smallest FrameNumWrap stops being a reference. */
static void
sliding_window (GstV4l2ElasticH264State *state, guint32 current_frame_num)
{
  guint max_refs = MAX (state->sps.num_ref_frames, 1);

  while (count_references (state) >= max_refs) {
    H264Frame *oldest = NULL;
    guint i;

    for (i = 0; i < state->dpb->len; i++) {
      H264Frame *frame = g_ptr_array_index (state->dpb, i);

      if (frame->short_term &&
          (!oldest ||
              frame_num_wrap (state, frame, current_frame_num) <
                  frame_num_wrap (state, oldest, current_frame_num)))
        oldest = frame;
    }
    if (!oldest)
      break; /* only long-term references: the stream is broken */
    GST_LOG ("sliding window: frame_num %u unused", oldest->frame_num);
    oldest->short_term = FALSE;
  }
  remove_unused (state);
}

static H264Frame *
find_short_term (GstV4l2ElasticH264State *state, gint32 pic_num)
{
  guint i;

  for (i = 0; i < state->dpb->len; i++) {
    H264Frame *frame = g_ptr_array_index (state->dpb, i);

    if (frame->short_term &&
        frame_num_wrap (state, frame, state->cur.frame_num) == pic_num)
      return frame;
  }
  return NULL;
}

static H264Frame *
find_long_term (GstV4l2ElasticH264State *state, guint32 long_term_frame_idx)
{
  guint i;

  for (i = 0; i < state->dpb->len; i++) {
    H264Frame *frame = g_ptr_array_index (state->dpb, i);

    if (frame->long_term && frame->long_term_frame_idx == long_term_frame_idx)
      return frame;
  }
  return NULL;
}

/* Applies one memory_management_control_operation (8.2.5.4) to the DPB;
 * returns TRUE when it marks the current picture long-term (MMCO 6). */
static gboolean
apply_mmco (GstV4l2ElasticH264State *state, const GstH264RefPicMarking *op,
    guint32 *current_long_term_frame_idx)
{
  /* For frames, CurrPicNum is frame_num and PicNum is FrameNumWrap. */
  gint32 pic_num_x = (gint32) state->cur.frame_num -
      ((gint32) op->difference_of_pic_nums_minus1 + 1);
  H264Frame *frame;
  guint i;

  switch (op->memory_management_control_operation) {
  case 1:
    if ((frame = find_short_term (state, pic_num_x)))
      frame->short_term = FALSE;
    else
      GST_WARNING ("MMCO 1: no short-term PicNum %d", pic_num_x);
    break;
  case 2:
    if ((frame = find_long_term (state, op->long_term_pic_num)))
      frame->long_term = FALSE;
    else
      GST_WARNING ("MMCO 2: no LongTermPicNum %u", op->long_term_pic_num);
    break;
  case 3:
    frame = find_short_term (state, pic_num_x);
    if (!frame) {
      GST_WARNING ("MMCO 3: no short-term PicNum %d", pic_num_x);
      break;
    }
    {
      H264Frame *old = find_long_term (state, op->long_term_frame_idx);

      if (old && old != frame)
        old->long_term = FALSE;
    }
    frame->short_term = FALSE;
    frame->long_term = TRUE;
    frame->long_term_frame_idx = op->long_term_frame_idx;
    break;
  case 4:
    state->max_long_term_frame_idx =
        (gint) op->max_long_term_frame_idx_plus1 - 1;
    for (i = 0; i < state->dpb->len; i++) {
      frame = g_ptr_array_index (state->dpb, i);
      if (frame->long_term &&
          (gint) frame->long_term_frame_idx > state->max_long_term_frame_idx)
        frame->long_term = FALSE;
    }
    break;
  case 5:
    for (i = 0; i < state->dpb->len; i++) {
      frame = g_ptr_array_index (state->dpb, i);
      frame->short_term = frame->long_term = FALSE;
    }
    state->max_long_term_frame_idx = -1;
    break;
  case 6:
    if ((frame = find_long_term (state, op->long_term_frame_idx)))
      frame->long_term = FALSE;
    *current_long_term_frame_idx = op->long_term_frame_idx;
    return TRUE;
  default:
    break;
  }
  return FALSE;
}

static gboolean
has_mmco5 (const GstH264DecRefPicMarking *marking)
{
  guint i;

  if (!marking->adaptive_ref_pic_marking_mode_flag)
    return FALSE;
  for (i = 0; i < marking->n_ref_pic_marking; i++)
    if (marking->ref_pic_marking[i].memory_management_control_operation == 5)
      return TRUE;
  return FALSE;
}

/* ---- Frame insertion (C.4.4, C.4.5) ---- */

/* C.4.5.1, C.4.5.2: bumps until a frame buffer is free for @frame, then
 * stores it.  The spec's bumping looks at the DPB only, without @frame:
 * for a conforming stream that never outputs a picture after one with a
 * larger POC, but a broken one (a DPB full of references, a reorder depth
 * too small) would get its output order wrong.  So when @frame waits for
 * output and comes no later than the next picture waiting, @frame goes
 * out first: a non-reference picture straight out and gone (C.4.5.2
 * does that much), a reference one stays as a reference only.
 *
 * A DPB of references only is a broken stream (more references than
 * max_num_ref_frames allows, e.g. long-term ones the sliding window does
 * not touch, or an SPS announcing more than 16): the reference decoded
 * first stops being one, so that the DPB never holds more than dpb_size
 * frames, which is what the CAPTURE pool and the driver were promised. */
static void
store_frame (
    GstV4l2ElasticH264State *state, H264Frame *frame, GPtrArray *output)
{
  while (state->dpb->len >= state->dpb_size) {
    H264Frame *next = next_output (state);

    if (frame->needed_for_output &&
        (!next || frame_poc (frame) <= frame_poc (next))) {
      output_frame (state, frame, output);
      if (!frame_is_reference (frame)) {
        h264_frame_free (state, frame);
        return;
      }
      continue;
    }
    if (!next) {
      H264Frame *oldest = g_ptr_array_index (state->dpb, 0);

      GST_WARNING ("DPB overflow: %u references in a DPB of %u, frame_num "
                   "%u dropped",
          count_references (state), state->dpb_size, oldest->frame_num);
      oldest->short_term = oldest->long_term = FALSE;
      remove_unused (state);
      continue;
    }
    bump (state, output);
  }
  g_ptr_array_add (state->dpb, frame);
}

/* 8.2.5.2: one "non-existing" frame per missing frame_num, marked by the
 * sliding window like a decoded frame, never output. */
static void
fill_frame_num_gap (GstV4l2ElasticH264State *state, guint32 frame_num,
    GstV4l2ElasticH264PicturePlan *plan, GPtrArray *output)
{
  guint32 max = max_frame_num (&state->sps);
  guint32 unused = (state->prev_ref_frame_num + 1) % max;

  if (!state->sps.gaps_in_frame_num_value_allowed_flag)
    GST_WARNING ("frame_num gap %u -> %u: lost pictures",
        state->prev_ref_frame_num, frame_num);

  for (; unused != frame_num; unused = (unused + 1) % max) {
    H264Current gap = { 0 };
    H264Frame *frame;

    gap.reference = TRUE;
    gap.frame_num = unused;
    compute_poc (state, NULL, &gap);

    sliding_window (state, unused);
    frame = g_new0 (H264Frame, 1);
    frame->frame_num = unused;
    frame->top_poc = gap.top_poc;
    frame->bottom_poc = gap.bottom_poc;
    frame->short_term = TRUE;
    frame->non_existing = TRUE;
    store_frame (state, frame, output);

    state->prev_frame_num_offset = gap.frame_num_offset;
    state->prev_frame_num = unused;
    state->prev_ref_frame_num = unused;
    plan->n_gap_frames++;
  }
}

static void
fill_plan_dpb (
    GstV4l2ElasticH264State *state, GstV4l2ElasticH264PicturePlan *plan)
{
  guint i;

  plan->n_dpb = 0;
  for (i = 0; i < state->dpb->len &&
       plan->n_dpb < GST_V4L2_ELASTIC_H264_DPB_MAX_FRAMES;
       i++) {
    H264Frame *frame = g_ptr_array_index (state->dpb, i);
    GstV4l2ElasticH264DpbEntry *entry;

    if (!frame_is_reference (frame))
      continue;
    entry = &plan->dpb[plan->n_dpb++];
    entry->id = frame->id;
    entry->frame_num = frame->frame_num;
    entry->frame_num_wrap = frame_num_wrap (state, frame, plan->frame_num);
    entry->long_term_frame_idx = frame->long_term_frame_idx;
    entry->top_field_order_cnt = frame->top_poc;
    entry->bottom_field_order_cnt = frame->bottom_poc;
    entry->flags = GST_V4L2_ELASTIC_H264_DPB_VALID |
        GST_V4L2_ELASTIC_H264_DPB_ACTIVE | GST_V4L2_ELASTIC_H264_DPB_REF_FRAME;
    if (frame->long_term)
      entry->flags |= GST_V4L2_ELASTIC_H264_DPB_LONG_TERM;
    if (frame->non_existing)
      entry->flags |= GST_V4L2_ELASTIC_H264_DPB_NON_EXISTING;
  }
}

/* ---- begin / end ---- */

static gboolean
same_sequence (const GstV4l2ElasticH264State *state, const GstH264SPS *sps,
    guint dpb_size, guint reorder)
{
  const GstH264SPS *old = &state->sps;

  return state->have_sps && width_in_mbs (old) == width_in_mbs (sps) &&
      frame_height_in_mbs (old) == frame_height_in_mbs (sps) &&
      old->bit_depth_luma_minus8 == sps->bit_depth_luma_minus8 &&
      old->bit_depth_chroma_minus8 == sps->bit_depth_chroma_minus8 &&
      old->chroma_format_idc == sps->chroma_format_idc &&
      old->frame_mbs_only_flag == sps->frame_mbs_only_flag &&
      old->separate_colour_plane_flag == sps->separate_colour_plane_flag &&
      old->frame_cropping_flag == sps->frame_cropping_flag &&
      old->frame_crop_left_offset == sps->frame_crop_left_offset &&
      old->frame_crop_right_offset == sps->frame_crop_right_offset &&
      old->frame_crop_top_offset == sps->frame_crop_top_offset &&
      old->frame_crop_bottom_offset == sps->frame_crop_bottom_offset &&
      state->dpb_size == dpb_size && state->reorder == reorder;
}

static void
fill_plan_sequence (
    const GstV4l2ElasticH264State *state, GstV4l2ElasticH264PicturePlan *plan)
{
  const GstH264SPS *sps = &state->sps;

  plan->width = width_in_mbs (sps) * 16;
  plan->height = frame_height_in_mbs (sps) * 16;
  sequence_visible (sps, &plan->visible_x, &plan->visible_y,
      &plan->visible_width, &plan->visible_height);
  plan->bit_depth_luma = sps->bit_depth_luma_minus8 + 8;
  plan->bit_depth_chroma = sps->bit_depth_chroma_minus8 + 8;
  plan->chroma_format_idc = sps->chroma_format_idc;
  plan->frame_mbs_only = sps->frame_mbs_only_flag;
  plan->dpb_size = state->dpb_size;
  plan->reorder = state->reorder;
}

static GstV4l2ElasticH264Decision
refuse (GstV4l2ElasticH264PicturePlan *plan, const gchar *message)
{
  GST_WARNING ("%s", message);
  plan->message = message;
  return GST_V4L2_ELASTIC_H264_ERROR;
}

/* A valid stream this state cannot decode (not a broken one). */
static GstV4l2ElasticH264Decision
refuse_unsupported (GstV4l2ElasticH264PicturePlan *plan, const gchar *message)
{
  plan->unsupported = TRUE;
  return refuse (plan, message);
}

static GstV4l2ElasticH264Decision
drop (GstV4l2ElasticH264PicturePlan *plan, GstV4l2ElasticH264DropReason reason)
{
  plan->drop_reason = reason;
  return GST_V4L2_ELASTIC_H264_DROP;
}

/* What the rest of the state computes with, in range: the picture size
 * (gstcodeclimits.h; pic_width_in_mbs_minus1 + 1 can wrap to 0 and
 * PicWidthInMbs * FrameHeightInMbs to 0, a division by zero in
 * sequence_dpb_size()), and the syntax ranges of 7.4.2.1.1 behind
 * shifts.  NULL, or why not. */
static const gchar *
sps_out_of_range (const GstH264SPS *sps)
{
  guint64 width = ((guint64) sps->pic_width_in_mbs_minus1 + 1) * 16;
  guint64 height = ((guint64) sps->pic_height_in_map_units_minus1 + 1) *
      (2 - !!sps->frame_mbs_only_flag) * 16;

  if (width > GST_V4L2_ELASTIC_MAX_DIMENSION ||
      height > GST_V4L2_ELASTIC_MAX_DIMENSION)
    return "SPS picture size out of range (more than 16384 pixels)";
  if (sps->log2_max_frame_num_minus4 > 12 ||
      sps->log2_max_pic_order_cnt_lsb_minus4 > 12)
    return "SPS field out of its syntax range";
  return NULL;
}

/* Activates the SPS of an IDR; returns whether the sequence changed. */
static gboolean
activate_sps (GstV4l2ElasticH264State *state, const GstH264SPS *sps)
{
  guint dpb_size = sequence_dpb_size (sps);
  guint reorder = sequence_reorder (sps, dpb_size);
  gboolean changed = !same_sequence (state, sps, dpb_size, reorder);

  state->sps = *sps;
  memset (&state->sps.extension, 0, sizeof (state->sps.extension));
  state->have_sps = TRUE;
  state->dpb_size = dpb_size;
  state->reorder = reorder;
  if (changed)
    GST_DEBUG ("new sequence %ux%u MBs, DPB %u, reorder %u", width_in_mbs (sps),
        frame_height_in_mbs (sps), dpb_size, reorder);
  return changed;
}

/**
 * gst_v4l2_elastic_h264_state_begin_picture:
 * @nalu: the NAL unit of @slice (nal_ref_idc, IDR)
 * @slice: the first slice header of the picture
 * @plan: (out): what to decode and with which references
 * @output: (nullable): receives pictures to output before this one: the
 *   prior pictures an IDR flushes, and pictures bumped to make room for
 *   non-existing frames
 *
 * Returns: whether to decode the picture.  After GST_V4L2_ELASTIC_H264_DECODE
 * the caller must call gst_v4l2_elastic_h264_state_end_picture() before the
 * next picture.
 */
GstV4l2ElasticH264Decision
gst_v4l2_elastic_h264_state_begin_picture (GstV4l2ElasticH264State *state,
    const GstH264NalUnit *nalu, const GstH264SliceHdr *slice,
    GstV4l2ElasticH264PicturePlan *plan, GPtrArray *output)
{
  const GstH264SPS *sps;
  H264Current *cur = &state->cur;
  gboolean idr = nalu->type == GST_H264_NAL_SLICE_IDR;
  const gchar *message;

  memset (plan, 0, sizeof (*plan));
  memset (cur, 0, sizeof (*cur));

  if (nalu->type != GST_H264_NAL_SLICE && !idr)
    return refuse (plan, "not a slice of a primary coded picture");
  if (!slice->pps || !slice->pps->sequence)
    return refuse (plan, "slice without a PPS or SPS");
  sps = slice->pps->sequence;
  if ((message = sps_out_of_range (sps)))
    return refuse (plan, message);
  if (slice->field_pic_flag)
    return refuse_unsupported (plan, "field pictures (PAFF) are not supported");
  if (slice->redundant_pic_cnt > 0)
    return drop (plan, GST_V4L2_ELASTIC_H264_DROP_REDUNDANT);
  if (!idr && !state->have_idr)
    return drop (plan, GST_V4L2_ELASTIC_H264_DROP_NO_IDR);

  if (idr) {
    gboolean no_output =
        slice->dec_ref_pic_marking.no_output_of_prior_pics_flag;

    /* C.4.4: an IDR empties the DPB before it is decoded; the prior
     * pictures are output first unless the stream says not to. */
    flush_dpb (state, no_output, output);
    plan->new_sequence = activate_sps (state, sps);
    state->have_idr = TRUE;
    state->max_long_term_frame_idx = -1;
  } else if (!same_sequence (state, sps, sequence_dpb_size (sps),
                 sequence_reorder (sps, sequence_dpb_size (sps)))) {
    /* An SPS only activates at an IDR: the stream was cut. */
    flush_dpb (state, FALSE, output);
    state->have_idr = FALSE;
    return drop (plan, GST_V4L2_ELASTIC_H264_DROP_NO_IDR);
  }

  cur->idr = idr;
  cur->reference = nalu->ref_idc != 0;
  cur->frame_num = slice->frame_num;
  cur->marking = slice->dec_ref_pic_marking;

  if (!idr && cur->frame_num != state->prev_ref_frame_num &&
      cur->frame_num !=
          (state->prev_ref_frame_num + 1) % max_frame_num (&state->sps))
    fill_frame_num_gap (state, cur->frame_num, plan, output);

  compute_poc (state, slice, cur);
  cur->active = TRUE;

  fill_plan_sequence (state, plan);
  plan->idr = idr;
  plan->reference = cur->reference;
  plan->mbaff = sps->mb_adaptive_frame_field_flag && !slice->field_pic_flag;
  plan->frame_num = cur->frame_num;
  plan->top_field_order_cnt = cur->top_poc;
  plan->bottom_field_order_cnt = cur->bottom_poc;
  plan->pic_order_cnt = MIN (cur->top_poc, cur->bottom_poc);
  fill_plan_dpb (state, plan);
  return GST_V4L2_ELASTIC_H264_DECODE;
}

/* Marks the current picture and the DPB after decoding (8.2.5.1). */
static void
mark_references (
    GstV4l2ElasticH264State *state, H264Frame *frame, GPtrArray *output)
{
  H264Current *cur = &state->cur;
  const GstH264DecRefPicMarking *marking = &cur->marking;
  gboolean long_term = FALSE;
  guint32 long_term_frame_idx = 0;
  guint i;

  if (cur->idr) {
    if (marking->long_term_reference_flag) {
      long_term = TRUE;
      state->max_long_term_frame_idx = 0;
    } else {
      state->max_long_term_frame_idx = -1;
    }
  } else if (marking->adaptive_ref_pic_marking_mode_flag) {
    for (i = 0; i < marking->n_ref_pic_marking; i++)
      if (apply_mmco (
              state, &marking->ref_pic_marking[i], &long_term_frame_idx))
        long_term = TRUE;
    if (has_mmco5 (marking)) {
      /* C.4.4/C.4.5.3: everything before the MMCO 5 picture goes out
       * first; it then starts again at POC 0 and frame_num 0. */
      gint32 temp = MIN (cur->top_poc, cur->bottom_poc);

      flush_dpb (state, marking->no_output_of_prior_pics_flag, output);
      cur->top_poc = poc_clamp ((gint64) cur->top_poc - temp);
      cur->bottom_poc = poc_clamp ((gint64) cur->bottom_poc - temp);
      cur->frame_num = 0;
    }
    /* A broken stream may still overflow max_num_ref_frames. */
    if (!long_term)
      sliding_window (state, cur->frame_num);
    remove_unused (state);
  } else {
    sliding_window (state, cur->frame_num);
  }

  frame->short_term = !long_term;
  frame->long_term = long_term;
  frame->long_term_frame_idx = long_term_frame_idx;
}

/* Remembers what 8.2.1 needs of this picture for the next ones. */
static void
update_prev (GstV4l2ElasticH264State *state, gboolean mmco5)
{
  H264Current *cur = &state->cur;

  state->prev_frame_num_offset = mmco5 ? 0 : cur->frame_num_offset;
  state->prev_frame_num = cur->frame_num;
  if (!cur->reference)
    return;
  state->prev_ref_frame_num = cur->frame_num;
  if (mmco5) {
    state->prev_poc_msb = 0;
    state->prev_poc_lsb = cur->top_poc;
  } else {
    state->prev_poc_msb = cur->poc_msb;
    state->prev_poc_lsb = cur->poc_lsb;
  }
}

/**
 * gst_v4l2_elastic_h264_state_end_picture:
 * @picture: (transfer full): the decoded picture
 * @id: the caller's name for it (what later DPB entries carry)
 * @output: (nullable): receives pictures ready for output, in output order,
 *   each a reference of the caller's own (@picture_ref, or the state's
 *   reference handed over when the picture leaves the DPB)
 *
 * Reference marking, then storage of the picture and the bumping process.
 */
void
gst_v4l2_elastic_h264_state_end_picture (GstV4l2ElasticH264State *state,
    gpointer picture, guint64 id, GPtrArray *output)
{
  H264Current *cur = &state->cur;
  H264Frame *frame;
  gboolean mmco5;

  g_return_if_fail (cur->active);
  cur->active = FALSE;

  frame = g_new0 (H264Frame, 1);
  frame->picture = picture;
  frame->id = id;
  frame->needed_for_output = TRUE;

  mmco5 = cur->reference && !cur->idr && has_mmco5 (&cur->marking);
  if (cur->reference)
    mark_references (state, frame, output);

  frame->frame_num = cur->frame_num;
  frame->top_poc = cur->top_poc;
  frame->bottom_poc = cur->bottom_poc;
  update_prev (state, mmco5);

  store_frame (state, frame, output);

  while (waiting_for_output (state) > state->reorder)
    bump (state, output);
}
