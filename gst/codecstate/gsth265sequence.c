/* gst-v4l2-elastic
 *
 * H.265 sequence parameters, written from ITU-T H.265: 7.4.3.2.1 (SPS
 * semantics, conformance window), A.3 (profiles), A.4.2 (MaxDpbSize),
 * C.5.2 (the SPS values the output order DPB uses).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gsth265sequence.h"
#include "gstcodeclimits.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_v4l2_elastic_h265_sequence_debug);
#define GST_CAT_DEFAULT gst_v4l2_elastic_h265_sequence_debug

static void
debug_init (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (gst_v4l2_elastic_h265_sequence_debug,
        "v4l2elastic-h265sequence", 0, "H.265 sequence parameters");
    g_once_init_leave (&once, 1);
  }
}

/* HighestTid: the state decodes every sub-layer, so the values that count
 * are those of the highest one, which the SPS always codes (7.3.2.2: the
 * loop starts there when sub_layer_ordering_info_present_flag is 0). */
static guint
highest_tid (const GstH265SPS *sps)
{
  return MIN (sps->max_sub_layers_minus1, GST_H265_MAX_SUB_LAYERS - 1);
}

/* Profiles a Main or Main 10 decoder decodes (A.3.2, A.3.3, A.3.4): the
 * general_profile_idc, or a compatibility flag for one of them (a
 * stream of a higher profile that restricts itself, 7.4.4). */
static gboolean
profile_is_main (const GstH265ProfileTierLevel *ptl)
{
  guint i;

  if (ptl->profile_idc >= 1 && ptl->profile_idc <= 3)
    return TRUE;
  for (i = 1; i <= 3; i++)
    if (ptl->profile_compatibility_flag[i])
      return TRUE;
  /* Profile 0 is not assigned; streams that leave it 0 exist and say
   * nothing more: the SPS checks below decide. */
  return ptl->profile_idc == 0;
}

/**
 * gst_v4l2_elastic_h265_sequence_check:
 * @unsupported: (out): TRUE when the SPS is valid H.265 that a stateless
 *   decoder does not decode, FALSE when it is broken
 *
 * Returns: (nullable): why the SPS cannot be decoded (a static string),
 * or NULL.  Bit depths up to 10 pass: whether the driver has a 10-bit
 * CAPTURE format is the element's question.
 */
const gchar *
gst_v4l2_elastic_h265_sequence_check (
    const GstH265SPS *sps, gboolean *unsupported)
{
  guint min_cb_log2, ctb_log2, tid = highest_tid (sps);

  debug_init ();
  *unsupported = FALSE;

  /* gst_h265_parser_parse_nal() parses an SPS without its VUI: the bits
   * after it (sps_extension_flag and the extension flags) are then read
   * from the VUI's.  Callers parse SPSs with gst_h265_parser_parse_sps
   * (..., TRUE). */
  if (sps->vui_parameters_present_flag && !sps->vui_params.parsed)
    return "SPS parsed without its VUI: its extension flags are not known";

  /* Broken: what the arithmetic of the state relies on. */
  if (sps->pic_width_in_luma_samples == 0 ||
      sps->pic_height_in_luma_samples == 0)
    return "SPS picture size of 0";
  if (sps->pic_width_in_luma_samples > GST_V4L2_ELASTIC_MAX_DIMENSION ||
      sps->pic_height_in_luma_samples > GST_V4L2_ELASTIC_MAX_DIMENSION)
    return "SPS picture size out of range (more than 16384 pixels)";
  min_cb_log2 = sps->log2_min_luma_coding_block_size_minus3 + 3;
  ctb_log2 = min_cb_log2 + sps->log2_diff_max_min_luma_coding_block_size;
  if (ctb_log2 > 6 ||
      sps->pic_width_in_luma_samples % (1u << min_cb_log2) != 0 ||
      sps->pic_height_in_luma_samples % (1u << min_cb_log2) != 0)
    return "SPS coding block sizes out of their range";
  if (sps->log2_max_pic_order_cnt_lsb_minus4 > 12)
    return "SPS log2_max_pic_order_cnt_lsb_minus4 out of its range";
  if (sps->max_dec_pic_buffering_minus1[tid] >= GST_V4L2_ELASTIC_H265_DPB_MAX)
    return "SPS sps_max_dec_pic_buffering_minus1 beyond MaxDpbSize";

  /* Valid, but not for the hardware this project drives: the V4L2
   * stateless HEVC API has no controls for the range and screen content
   * extensions, and its drivers decode 4:2:0 only. */
  *unsupported = TRUE;
  if (sps->chroma_format_idc != 1)
    return "only 4:2:0 is supported (chroma_format_idc is not 1: 4:0:0, "
           "4:2:2 or 4:4:4 of the range extensions)";
  if (sps->bit_depth_luma_minus8 > 2 || sps->bit_depth_chroma_minus8 > 2)
    return "bit depths above 10 (range extensions) are not supported";
  if (sps->sps_range_extension_flag)
    return "range extension tools (sps_range_extension_flag) are not "
           "supported";
  if (sps->sps_scc_extension_flag)
    return "screen content coding (sps_scc_extension_flag) is not supported";
  if (sps->sps_multilayer_extension_flag || sps->sps_3d_extension_flag)
    return "multi-layer and 3D extensions are not supported";
  if (!profile_is_main (&sps->profile_tier_level))
    return "only the Main, Main 10 and Main Still Picture profiles are "
           "supported";
  *unsupported = FALSE;
  return NULL;
}

/* The conformance window (7.4.3.2.1) counts in chroma samples: SubWidthC
 * and SubHeightC are 2 for 4:2:0, the one format that passes the check.
 * A window that does not fit the picture (a broken SPS) is ignored: the
 * whole picture is shown. */
static void
conformance_window (const GstH265SPS *sps, GstV4l2ElasticH265Sequence *seq)
{
  guint64 left, right, top, bottom;

  seq->visible_x = seq->visible_y = 0;
  seq->visible_width = seq->width;
  seq->visible_height = seq->height;
  if (!sps->conformance_window_flag)
    return;
  left = (guint64) sps->conf_win_left_offset * 2;
  right = (guint64) sps->conf_win_right_offset * 2;
  top = (guint64) sps->conf_win_top_offset * 2;
  bottom = (guint64) sps->conf_win_bottom_offset * 2;
  if (left + right >= seq->width || top + bottom >= seq->height) {
    GST_WARNING ("conformance window %" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT
                 ",%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT
                 " does not fit %ux%u: ignored",
        left, right, top, bottom, seq->width, seq->height);
    return;
  }
  seq->visible_x = left;
  seq->visible_y = top;
  seq->visible_width = seq->width - left - right;
  seq->visible_height = seq->height - top - bottom;
}

/**
 * gst_v4l2_elastic_h265_sequence_from_sps:
 *
 * Fills @seq from an SPS that passed gst_v4l2_elastic_h265_sequence_check().
 */
void
gst_v4l2_elastic_h265_sequence_from_sps (
    GstV4l2ElasticH265Sequence *seq, const GstH265SPS *sps)
{
  guint tid = highest_tid (sps);
  guint latency_plus1 = sps->max_latency_increase_plus1[tid];

  debug_init ();
  memset (seq, 0, sizeof (*seq));
  seq->width = sps->pic_width_in_luma_samples;
  seq->height = sps->pic_height_in_luma_samples;
  conformance_window (sps, seq);
  seq->bit_depth_luma = sps->bit_depth_luma_minus8 + 8;
  seq->bit_depth_chroma = sps->bit_depth_chroma_minus8 + 8;
  seq->chroma_format_idc = sps->chroma_format_idc;
  seq->dpb_size = sps->max_dec_pic_buffering_minus1[tid] + 1;
  /* 7.4.3.2.1 bounds sps_max_num_reorder_pics by
   * sps_max_dec_pic_buffering_minus1: a broken SPS that asks more would
   * wait for pictures the DPB cannot hold. */
  seq->reorder = MIN (sps->max_num_reorder_pics[tid], seq->dpb_size - 1);
  /* (7-9) SpsMaxLatencyPictures */
  if (latency_plus1 != 0)
    seq->max_latency_pictures = seq->reorder + latency_plus1 - 1;
}

gboolean
gst_v4l2_elastic_h265_sequence_equal (
    const GstV4l2ElasticH265Sequence *a, const GstV4l2ElasticH265Sequence *b)
{
  return a->width == b->width && a->height == b->height &&
      a->visible_x == b->visible_x && a->visible_y == b->visible_y &&
      a->visible_width == b->visible_width &&
      a->visible_height == b->visible_height &&
      a->bit_depth_luma == b->bit_depth_luma &&
      a->bit_depth_chroma == b->bit_depth_chroma &&
      a->chroma_format_idc == b->chroma_format_idc &&
      a->dpb_size == b->dpb_size && a->reorder == b->reorder &&
      a->max_latency_pictures == b->max_latency_pictures;
}
