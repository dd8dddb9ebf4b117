/* gst-v4l2-elastic
 *
 * H.265: the V4L2 stateless controls of a picture, from the parser's SPS,
 * PPS and slice segment headers and the codec state's plan.  Pure
 * functions, shared by the element and the fuzz target
 * (tests/fuzz/fuzz-h265.c).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstv4l2elastich265controls.h"

#include <string.h>

#define FLAG_IF(cond, flag) ((cond) ? (guint64) (flag) : 0)

void
gst_v4l2_elastic_h265_fill_sps (
    struct v4l2_ctrl_hevc_sps *out, const GstH265SPS *sps)
{
  /* The sub-layer values of the highest temporal sub-layer: we decode
   * them all. */
  guint htid = MIN (sps->max_sub_layers_minus1, GST_H265_MAX_SUB_LAYERS - 1);

  memset (out, 0, sizeof (*out));
  out->video_parameter_set_id = sps->vps_id;
  out->seq_parameter_set_id = sps->id;
  out->pic_width_in_luma_samples = sps->pic_width_in_luma_samples;
  out->pic_height_in_luma_samples = sps->pic_height_in_luma_samples;
  out->bit_depth_luma_minus8 = sps->bit_depth_luma_minus8;
  out->bit_depth_chroma_minus8 = sps->bit_depth_chroma_minus8;
  out->log2_max_pic_order_cnt_lsb_minus4 =
      sps->log2_max_pic_order_cnt_lsb_minus4;
  out->sps_max_dec_pic_buffering_minus1 =
      sps->max_dec_pic_buffering_minus1[htid];
  out->sps_max_num_reorder_pics = sps->max_num_reorder_pics[htid];
  out->sps_max_latency_increase_plus1 = sps->max_latency_increase_plus1[htid];
  out->log2_min_luma_coding_block_size_minus3 =
      sps->log2_min_luma_coding_block_size_minus3;
  out->log2_diff_max_min_luma_coding_block_size =
      sps->log2_diff_max_min_luma_coding_block_size;
  out->log2_min_luma_transform_block_size_minus2 =
      sps->log2_min_transform_block_size_minus2;
  out->log2_diff_max_min_luma_transform_block_size =
      sps->log2_diff_max_min_transform_block_size;
  out->max_transform_hierarchy_depth_inter =
      sps->max_transform_hierarchy_depth_inter;
  out->max_transform_hierarchy_depth_intra =
      sps->max_transform_hierarchy_depth_intra;
  out->pcm_sample_bit_depth_luma_minus1 = sps->pcm_sample_bit_depth_luma_minus1;
  out->pcm_sample_bit_depth_chroma_minus1 =
      sps->pcm_sample_bit_depth_chroma_minus1;
  out->log2_min_pcm_luma_coding_block_size_minus3 =
      sps->log2_min_pcm_luma_coding_block_size_minus3;
  out->log2_diff_max_min_pcm_luma_coding_block_size =
      sps->log2_diff_max_min_pcm_luma_coding_block_size;
  out->num_short_term_ref_pic_sets = sps->num_short_term_ref_pic_sets;
  out->num_long_term_ref_pics_sps = sps->num_long_term_ref_pics_sps;
  out->chroma_format_idc = sps->chroma_format_idc;
  out->sps_max_sub_layers_minus1 = sps->max_sub_layers_minus1;
  out->flags = FLAG_IF (sps->separate_colour_plane_flag,
                   V4L2_HEVC_SPS_FLAG_SEPARATE_COLOUR_PLANE) |
      FLAG_IF (sps->scaling_list_enabled_flag,
          V4L2_HEVC_SPS_FLAG_SCALING_LIST_ENABLED) |
      FLAG_IF (sps->amp_enabled_flag, V4L2_HEVC_SPS_FLAG_AMP_ENABLED) |
      FLAG_IF (sps->sample_adaptive_offset_enabled_flag,
          V4L2_HEVC_SPS_FLAG_SAMPLE_ADAPTIVE_OFFSET) |
      FLAG_IF (sps->pcm_enabled_flag, V4L2_HEVC_SPS_FLAG_PCM_ENABLED) |
      FLAG_IF (sps->pcm_loop_filter_disabled_flag,
          V4L2_HEVC_SPS_FLAG_PCM_LOOP_FILTER_DISABLED) |
      FLAG_IF (sps->long_term_ref_pics_present_flag,
          V4L2_HEVC_SPS_FLAG_LONG_TERM_REF_PICS_PRESENT) |
      FLAG_IF (sps->temporal_mvp_enabled_flag,
          V4L2_HEVC_SPS_FLAG_SPS_TEMPORAL_MVP_ENABLED) |
      FLAG_IF (sps->strong_intra_smoothing_enabled_flag,
          V4L2_HEVC_SPS_FLAG_STRONG_INTRA_SMOOTHING_ENABLED);
}

void
gst_v4l2_elastic_h265_fill_pps (
    struct v4l2_ctrl_hevc_pps *out, const GstH265PPS *pps)
{
  guint i;

  memset (out, 0, sizeof (*out));
  out->pic_parameter_set_id = pps->id;
  out->num_extra_slice_header_bits = pps->num_extra_slice_header_bits;
  out->num_ref_idx_l0_default_active_minus1 =
      pps->num_ref_idx_l0_default_active_minus1;
  out->num_ref_idx_l1_default_active_minus1 =
      pps->num_ref_idx_l1_default_active_minus1;
  out->init_qp_minus26 = pps->init_qp_minus26;
  out->diff_cu_qp_delta_depth = pps->diff_cu_qp_delta_depth;
  out->pps_cb_qp_offset = pps->cb_qp_offset;
  out->pps_cr_qp_offset = pps->cr_qp_offset;
  if (pps->tiles_enabled_flag) {
    out->num_tile_columns_minus1 = pps->num_tile_columns_minus1;
    out->num_tile_rows_minus1 = pps->num_tile_rows_minus1;
    /* With uniform spacing the parser has computed the sizes (6.5.1),
     * which drivers that do not compute them need. */
    for (i = 0; i <= pps->num_tile_columns_minus1 &&
         i < G_N_ELEMENTS (out->column_width_minus1);
         i++)
      out->column_width_minus1[i] = pps->column_width_minus1[i];
    for (i = 0; i <= pps->num_tile_rows_minus1 &&
         i < G_N_ELEMENTS (out->row_height_minus1);
         i++)
      out->row_height_minus1[i] = pps->row_height_minus1[i];
  }
  out->pps_beta_offset_div2 = pps->beta_offset_div2;
  out->pps_tc_offset_div2 = pps->tc_offset_div2;
  out->log2_parallel_merge_level_minus2 = pps->log2_parallel_merge_level_minus2;
  out->flags = FLAG_IF (pps->dependent_slice_segments_enabled_flag,
                   V4L2_HEVC_PPS_FLAG_DEPENDENT_SLICE_SEGMENT_ENABLED) |
      FLAG_IF (pps->output_flag_present_flag,
          V4L2_HEVC_PPS_FLAG_OUTPUT_FLAG_PRESENT) |
      FLAG_IF (pps->sign_data_hiding_enabled_flag,
          V4L2_HEVC_PPS_FLAG_SIGN_DATA_HIDING_ENABLED) |
      FLAG_IF (
          pps->cabac_init_present_flag, V4L2_HEVC_PPS_FLAG_CABAC_INIT_PRESENT) |
      FLAG_IF (pps->constrained_intra_pred_flag,
          V4L2_HEVC_PPS_FLAG_CONSTRAINED_INTRA_PRED) |
      FLAG_IF (pps->transform_skip_enabled_flag,
          V4L2_HEVC_PPS_FLAG_TRANSFORM_SKIP_ENABLED) |
      FLAG_IF (pps->cu_qp_delta_enabled_flag,
          V4L2_HEVC_PPS_FLAG_CU_QP_DELTA_ENABLED) |
      FLAG_IF (pps->slice_chroma_qp_offsets_present_flag,
          V4L2_HEVC_PPS_FLAG_PPS_SLICE_CHROMA_QP_OFFSETS_PRESENT) |
      FLAG_IF (pps->weighted_pred_flag, V4L2_HEVC_PPS_FLAG_WEIGHTED_PRED) |
      FLAG_IF (pps->weighted_bipred_flag, V4L2_HEVC_PPS_FLAG_WEIGHTED_BIPRED) |
      FLAG_IF (pps->transquant_bypass_enabled_flag,
          V4L2_HEVC_PPS_FLAG_TRANSQUANT_BYPASS_ENABLED) |
      FLAG_IF (pps->tiles_enabled_flag, V4L2_HEVC_PPS_FLAG_TILES_ENABLED) |
      FLAG_IF (pps->entropy_coding_sync_enabled_flag,
          V4L2_HEVC_PPS_FLAG_ENTROPY_CODING_SYNC_ENABLED) |
      FLAG_IF (pps->loop_filter_across_tiles_enabled_flag,
          V4L2_HEVC_PPS_FLAG_LOOP_FILTER_ACROSS_TILES_ENABLED) |
      FLAG_IF (pps->loop_filter_across_slices_enabled_flag,
          V4L2_HEVC_PPS_FLAG_PPS_LOOP_FILTER_ACROSS_SLICES_ENABLED) |
      FLAG_IF (pps->deblocking_filter_override_enabled_flag,
          V4L2_HEVC_PPS_FLAG_DEBLOCKING_FILTER_OVERRIDE_ENABLED) |
      FLAG_IF (pps->deblocking_filter_disabled_flag,
          V4L2_HEVC_PPS_FLAG_PPS_DISABLE_DEBLOCKING_FILTER) |
      FLAG_IF (pps->lists_modification_present_flag,
          V4L2_HEVC_PPS_FLAG_LISTS_MODIFICATION_PRESENT) |
      FLAG_IF (pps->slice_segment_header_extension_present_flag,
          V4L2_HEVC_PPS_FLAG_SLICE_SEGMENT_HEADER_EXTENSION_PRESENT) |
      FLAG_IF (pps->deblocking_filter_control_present_flag,
          V4L2_HEVC_PPS_FLAG_DEBLOCKING_FILTER_CONTROL_PRESENT) |
      FLAG_IF (pps->uniform_spacing_flag, V4L2_HEVC_PPS_FLAG_UNIFORM_SPACING);
}

/* The default 8x8 lists of Table 7-6 (also those of the 16x16 and 32x32
 * sizes before upsampling), in coded (up-right diagonal) order: intra for
 * matrixId 0-2, inter for 3-5.  The default 4x4 lists are flat 16. */
static const guint8 default_intra_8x8[64] = { 16, 16, 16, 16, 16, 16, 16, 16,
  16, 16, 17, 16, 17, 16, 17, 18, 17, 18, 18, 17, 18, 21, 19, 20, 21, 20, 19,
  21, 24, 22, 22, 24, 24, 22, 22, 24, 25, 25, 27, 30, 27, 25, 25, 29, 31, 35,
  35, 31, 29, 36, 41, 44, 41, 36, 47, 54, 54, 47, 65, 70, 65, 88, 88, 115 };
static const guint8 default_inter_8x8[64] = { 16, 16, 16, 16, 16, 16, 16, 16,
  16, 16, 17, 17, 17, 17, 17, 18, 18, 18, 18, 18, 18, 20, 20, 20, 20, 20, 20,
  20, 24, 24, 24, 24, 24, 24, 24, 24, 25, 25, 25, 25, 25, 25, 25, 28, 28, 28,
  28, 28, 28, 33, 33, 33, 33, 33, 41, 41, 41, 41, 54, 54, 54, 71, 71, 91 };

/* The lists an SPS that enables scaling lists without coding them
 * (sps_scaling_list_data_present_flag 0) stands for (7.4.3.2.1); the
 * parser leaves them zero. */
static void
default_lists (GstH265ScalingList *lists)
{
  guint i;

  memset (lists, 0, sizeof (*lists));
  for (i = 0; i < 6; i++) {
    const guint8 *list = i < 3 ? default_intra_8x8 : default_inter_8x8;

    memset (lists->scaling_lists_4x4[i], 16, 16);
    memcpy (lists->scaling_lists_8x8[i], list, 64);
    memcpy (lists->scaling_lists_16x16[i], list, 64);
    /* The DC coefficient of a default list is 16 (7.4.5). */
    lists->scaling_list_dc_coef_minus8_16x16[i] = 16 - 8;
  }
  /* sizeId 3 has matrixId 0 (intra) and 3 (inter), stored as 0 and 1. */
  memcpy (lists->scaling_lists_32x32[0], default_intra_8x8, 64);
  memcpy (lists->scaling_lists_32x32[1], default_inter_8x8, 64);
  lists->scaling_list_dc_coef_minus8_32x32[0] = 16 - 8;
  lists->scaling_list_dc_coef_minus8_32x32[1] = 16 - 8;
}

/* The lists in force for the picture: the PPS's when it carries them,
 * else the SPS's, else the defaults.  The parser keeps each list in coded
 * (up-right diagonal) order, V4L2 wants raster order.  Without scaling
 * lists the control is all zeros: the driver must not look at it (the SPS
 * flag says so). */
void
gst_v4l2_elastic_h265_fill_scaling_matrix (
    struct v4l2_ctrl_hevc_scaling_matrix *out, const GstH265PPS *pps)
{
  const GstH265SPS *sps = pps->sps;
  const GstH265ScalingList *lists;
  GstH265ScalingList defaults;
  guint i;

  memset (out, 0, sizeof (*out));
  if (!sps->scaling_list_enabled_flag)
    return;
  if (pps->scaling_list_data_present_flag) {
    lists = &pps->scaling_list;
  } else if (sps->scaling_list_data_present_flag) {
    lists = &sps->scaling_list;
  } else {
    default_lists (&defaults);
    lists = &defaults;
  }
  for (i = 0; i < 6; i++) {
    gst_h265_quant_matrix_4x4_get_raster_from_uprightdiagonal (
        out->scaling_list_4x4[i], lists->scaling_lists_4x4[i]);
    gst_h265_quant_matrix_8x8_get_raster_from_uprightdiagonal (
        out->scaling_list_8x8[i], lists->scaling_lists_8x8[i]);
    gst_h265_quant_matrix_16x16_get_raster_from_uprightdiagonal (
        out->scaling_list_16x16[i], lists->scaling_lists_16x16[i]);
    out->scaling_list_dc_coef_16x16[i] =
        lists->scaling_list_dc_coef_minus8_16x16[i] + 8;
  }
  for (i = 0; i < 2; i++) {
    gst_h265_quant_matrix_32x32_get_raster_from_uprightdiagonal (
        out->scaling_list_32x32[i], lists->scaling_lists_32x32[i]);
    out->scaling_list_dc_coef_32x32[i] =
        lists->scaling_list_dc_coef_minus8_32x32[i] + 8;
  }
}

static guint8
map_ref (const GstV4l2ElasticH265DpbMap *map, guint8 plan_index)
{
  if (plan_index >= GST_V4L2_ELASTIC_H265_DPB_MAX)
    return GST_V4L2_ELASTIC_H265_NO_REF;
  return map->index[plan_index];
}

static void
map_list (guint8 *out, guint8 *n_out, const guint8 *in, guint n_in,
    const GstV4l2ElasticH265DpbMap *map)
{
  guint i;

  *n_out = MIN (n_in, V4L2_HEVC_DPB_ENTRIES_NUM_MAX);
  for (i = 0; i < *n_out; i++)
    out[i] = map_ref (map, in[i]);
}

/* The DPB of the control: every picture of the plan that has a buffer.
 * Generated pictures (8.3.3) have none; naming no buffer would make a
 * driver fail the job or read whatever it finds, so they are left out,
 * and the element does not decode a picture that predicts from one. */
void
gst_v4l2_elastic_h265_fill_decode_params (
    struct v4l2_ctrl_hevc_decode_params *out, const GstH265SliceHdr *slice,
    const GstV4l2ElasticH265PicturePlan *plan, GstV4l2ElasticH265DpbMap *map)
{
  guint i, n = 0;

  memset (out, 0, sizeof (*out));
  /* Entries past the counts name no picture. */
  memset (out->poc_st_curr_before, 0xff, sizeof (out->poc_st_curr_before));
  memset (out->poc_st_curr_after, 0xff, sizeof (out->poc_st_curr_after));
  memset (out->poc_lt_curr, 0xff, sizeof (out->poc_lt_curr));
  memset (map->index, GST_V4L2_ELASTIC_H265_NO_REF, sizeof (map->index));
  for (i = 0; i < plan->n_dpb && i < GST_V4L2_ELASTIC_H265_DPB_MAX; i++) {
    const GstV4l2ElasticH265DpbEntry *e = &plan->dpb[i];
    struct v4l2_hevc_dpb_entry *d;

    if (e->flags & GST_V4L2_ELASTIC_H265_DPB_GENERATED)
      continue;
    d = &out->dpb[n];
    d->timestamp = e->id;
    d->pic_order_cnt_val = e->pic_order_cnt_val;
    if (e->flags & GST_V4L2_ELASTIC_H265_DPB_LONG_TERM)
      d->flags |= V4L2_HEVC_DPB_ENTRY_LONG_TERM_REFERENCE;
    map->index[i] = n++;
  }
  out->num_active_dpb_entries = n;
  out->pic_order_cnt_val = plan->pic_order_cnt_val;
  out->short_term_ref_pic_set_size = slice->short_term_ref_pic_set_size;
  out->long_term_ref_pic_set_size = slice->long_term_ref_pic_set_size;
  map_list (out->poc_st_curr_before, &out->num_poc_st_curr_before,
      plan->st_curr_before, plan->n_st_curr_before, map);
  map_list (out->poc_st_curr_after, &out->num_poc_st_curr_after,
      plan->st_curr_after, plan->n_st_curr_after, map);
  map_list (out->poc_lt_curr, &out->num_poc_lt_curr, plan->lt_curr,
      plan->n_lt_curr, map);
  /* NumDeltaPocs[RefRpsIdx]: only meaningful for an RPS coded in the
   * slice header and predicted from one of the SPS (7.4.8). */
  if (!slice->short_term_ref_pic_set_sps_flag &&
      slice->short_term_ref_pic_sets.inter_ref_pic_set_prediction_flag)
    out->num_delta_pocs_of_ref_rps_idx =
        slice->short_term_ref_pic_sets.NumDeltaPocsOfRefRpsIdx;
  out->flags = FLAG_IF (plan->irap, V4L2_HEVC_DECODE_PARAM_FLAG_IRAP_PIC) |
      FLAG_IF (plan->idr, V4L2_HEVC_DECODE_PARAM_FLAG_IDR_PIC) |
      FLAG_IF (plan->irap && slice->no_output_of_prior_pics_flag,
          V4L2_HEVC_DECODE_PARAM_FLAG_NO_OUTPUT_OF_PRIOR);
}

/* RefPicList0/1 of a P or B slice (8.3.4): the current RPS lists
 * repeated up to the list size, then picked by the modification's
 * list_entry_lX when the slice has one.  Entries are indices into the
 * control's dpb[]; entries past the active size are 0xff, as is a
 * reference without a buffer. */
static gboolean
build_ref_list (guint8 out[V4L2_HEVC_DPB_ENTRIES_NUM_MAX],
    const GstH265SliceHdr *slice, const GstV4l2ElasticH265PicturePlan *plan,
    const GstV4l2ElasticH265DpbMap *map, gboolean list1)
{
  const GstH265RefPicListModification *mod = &slice->ref_pic_list_modification;
  guint8 temp[V4L2_HEVC_DPB_ENTRIES_NUM_MAX];
  const guint8 *parts[3];
  guint n_parts[3];
  guint n_active, n_total, n_temp, r = 0, i, p;
  gboolean modified;
  const guint32 *entries;

  memset (out, 0xff, V4L2_HEVC_DPB_ENTRIES_NUM_MAX);
  n_active = 1 +
      (list1 ? slice->num_ref_idx_l1_active_minus1
             : slice->num_ref_idx_l0_active_minus1);
  n_total = plan->n_st_curr_before + plan->n_st_curr_after + plan->n_lt_curr;
  if (n_total == 0 || n_active > 15)
    return FALSE;
  parts[0] = list1 ? plan->st_curr_after : plan->st_curr_before;
  n_parts[0] = list1 ? plan->n_st_curr_after : plan->n_st_curr_before;
  parts[1] = list1 ? plan->st_curr_before : plan->st_curr_after;
  n_parts[1] = list1 ? plan->n_st_curr_before : plan->n_st_curr_after;
  parts[2] = plan->lt_curr;
  n_parts[2] = plan->n_lt_curr;
  n_temp = MIN (MAX (n_active, n_total), V4L2_HEVC_DPB_ENTRIES_NUM_MAX);
  while (r < n_temp) {
    for (p = 0; p < 3; p++)
      for (i = 0; i < n_parts[p] && r < n_temp; i++)
        temp[r++] = parts[p][i];
  }
  modified = list1 ? mod->ref_pic_list_modification_flag_l1
                   : mod->ref_pic_list_modification_flag_l0;
  entries = list1 ? mod->list_entry_l1 : mod->list_entry_l0;
  for (r = 0; r < n_active; r++) {
    guint idx = modified ? entries[r] : r;

    if (idx >= n_temp)
      return FALSE;
    out[r] = map_ref (map, temp[idx]);
  }
  return TRUE;
}

/* One slice segment.  bit_size is the size of its NAL unit and
 * data_byte_offset counts from the NAL unit's first byte to the first
 * byte of slice_segment_data() (after the NAL unit header, the slice
 * segment header with its alignment bits, and the emulation prevention
 * bytes in it): the start code in front, if any, counts in neither, as
 * upstream v4l2slh265dec and the drivers that read these fields (cedrus)
 * have it.  FALSE: the reference lists cannot be built (broken stream). */
gboolean
gst_v4l2_elastic_h265_fill_slice_params (
    struct v4l2_ctrl_hevc_slice_params *out, const GstH265NalUnit *nalu,
    const GstH265SliceHdr *slice, const GstV4l2ElasticH265PicturePlan *plan,
    const GstV4l2ElasticH265DpbMap *map)
{
  const GstH265PPS *pps = slice->pps;
  const GstH265PredWeightTable *w = &slice->pred_weight_table;
  struct v4l2_hevc_pred_weight_table *o;
  gboolean deblocking_disabled, across_slices;
  gint8 beta, tc;
  guint i;

  memset (out, 0, sizeof (*out));
  out->bit_size = 8 * nalu->size;
  out->data_byte_offset = nalu->header_bytes + (slice->header_size + 7) / 8 +
      slice->n_emulation_prevention_bytes;
  out->num_entry_point_offsets = slice->num_entry_point_offsets;
  out->nal_unit_type = nalu->type;
  out->nuh_temporal_id_plus1 = nalu->temporal_id_plus1;
  out->slice_type = slice->type;
  out->colour_plane_id = slice->colour_plane_id;
  out->slice_pic_order_cnt = plan->pic_order_cnt_val;
  out->num_ref_idx_l0_active_minus1 = slice->num_ref_idx_l0_active_minus1;
  out->num_ref_idx_l1_active_minus1 = slice->num_ref_idx_l1_active_minus1;
  out->collocated_ref_idx = slice->collocated_ref_idx;
  out->five_minus_max_num_merge_cand = slice->five_minus_max_num_merge_cand;
  out->slice_qp_delta = slice->qp_delta;
  out->slice_cb_qp_offset = slice->cb_qp_offset;
  out->slice_cr_qp_offset = slice->cr_qp_offset;
  out->slice_act_y_qp_offset = slice->slice_act_y_qp_offset;
  out->slice_act_cb_qp_offset = slice->slice_act_cb_qp_offset;
  out->slice_act_cr_qp_offset = slice->slice_act_cr_qp_offset;
  /* Without an override the slice takes the PPS's deblocking (7.4.7.1). */
  if (slice->deblocking_filter_override_flag) {
    deblocking_disabled = slice->deblocking_filter_disabled_flag;
    beta = slice->beta_offset_div2;
    tc = slice->tc_offset_div2;
  } else {
    deblocking_disabled = pps->deblocking_filter_disabled_flag;
    beta = pps->beta_offset_div2;
    tc = pps->tc_offset_div2;
  }
  /* Coded only where the PPS enables it and the slice filters at all;
   * otherwise it is the PPS's flag (7.4.7.1). */
  across_slices = pps->loop_filter_across_slices_enabled_flag;
  if (across_slices &&
      (slice->sao_luma_flag || slice->sao_chroma_flag || !deblocking_disabled))
    across_slices = slice->loop_filter_across_slices_enabled_flag;
  out->slice_beta_offset_div2 = beta;
  out->slice_tc_offset_div2 = tc;
  out->pic_struct = V4L2_HEVC_SEI_PIC_STRUCT_FRAME;
  out->slice_segment_addr = slice->segment_address;
  out->short_term_ref_pic_set_size = slice->short_term_ref_pic_set_size;
  out->long_term_ref_pic_set_size = slice->long_term_ref_pic_set_size;

  memset (out->ref_idx_l0, 0xff, sizeof (out->ref_idx_l0));
  memset (out->ref_idx_l1, 0xff, sizeof (out->ref_idx_l1));
  if (!GST_H265_IS_I_SLICE (slice) &&
      !build_ref_list (out->ref_idx_l0, slice, plan, map, FALSE))
    return FALSE;
  if (GST_H265_IS_B_SLICE (slice) &&
      !build_ref_list (out->ref_idx_l1, slice, plan, map, TRUE))
    return FALSE;

  o = &out->pred_weight_table;
  o->luma_log2_weight_denom = w->luma_log2_weight_denom;
  o->delta_chroma_log2_weight_denom = w->delta_chroma_log2_weight_denom;
  for (i = 0; i < 15; i++) {
    o->delta_luma_weight_l0[i] = w->delta_luma_weight_l0[i];
    o->luma_offset_l0[i] = w->luma_offset_l0[i];
    o->delta_chroma_weight_l0[i][0] = w->delta_chroma_weight_l0[i][0];
    o->delta_chroma_weight_l0[i][1] = w->delta_chroma_weight_l0[i][1];
    o->chroma_offset_l0[i][0] = (gint8) w->delta_chroma_offset_l0[i][0];
    o->chroma_offset_l0[i][1] = (gint8) w->delta_chroma_offset_l0[i][1];
    o->delta_luma_weight_l1[i] = w->delta_luma_weight_l1[i];
    o->luma_offset_l1[i] = w->luma_offset_l1[i];
    o->delta_chroma_weight_l1[i][0] = w->delta_chroma_weight_l1[i][0];
    o->delta_chroma_weight_l1[i][1] = w->delta_chroma_weight_l1[i][1];
    o->chroma_offset_l1[i][0] = (gint8) w->delta_chroma_offset_l1[i][0];
    o->chroma_offset_l1[i][1] = (gint8) w->delta_chroma_offset_l1[i][1];
  }

  out->flags = FLAG_IF (slice->sao_luma_flag,
                   V4L2_HEVC_SLICE_PARAMS_FLAG_SLICE_SAO_LUMA) |
      FLAG_IF (slice->sao_chroma_flag,
          V4L2_HEVC_SLICE_PARAMS_FLAG_SLICE_SAO_CHROMA) |
      FLAG_IF (slice->temporal_mvp_enabled_flag,
          V4L2_HEVC_SLICE_PARAMS_FLAG_SLICE_TEMPORAL_MVP_ENABLED) |
      FLAG_IF (
          slice->mvd_l1_zero_flag, V4L2_HEVC_SLICE_PARAMS_FLAG_MVD_L1_ZERO) |
      FLAG_IF (slice->cabac_init_flag, V4L2_HEVC_SLICE_PARAMS_FLAG_CABAC_INIT) |
      FLAG_IF (slice->collocated_from_l0_flag,
          V4L2_HEVC_SLICE_PARAMS_FLAG_COLLOCATED_FROM_L0) |
      FLAG_IF (slice->use_integer_mv_flag,
          V4L2_HEVC_SLICE_PARAMS_FLAG_USE_INTEGER_MV) |
      FLAG_IF (deblocking_disabled,
          V4L2_HEVC_SLICE_PARAMS_FLAG_SLICE_DEBLOCKING_FILTER_DISABLED) |
      FLAG_IF (across_slices,
          V4L2_HEVC_SLICE_PARAMS_FLAG_SLICE_LOOP_FILTER_ACROSS_SLICES_ENABLED) |
      FLAG_IF (slice->dependent_slice_segment_flag,
          V4L2_HEVC_SLICE_PARAMS_FLAG_DEPENDENT_SLICE_SEGMENT);
  return TRUE;
}
