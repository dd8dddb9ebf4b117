/* gst-v4l2-elastic
 *
 * H.264: the V4L2 stateless controls of a picture, from the parser's SPS,
 * PPS and slice header and the codec state's plan.  Pure functions, shared
 * by the element and the fuzz target (tests/fuzz/fuzz-h264.c).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstv4l2elastich264controls.h"

#include <string.h>

void
gst_v4l2_elastic_h264_fill_sps (
    struct v4l2_ctrl_h264_sps *out, const GstH264SPS *sps)
{
  guint i;

  memset (out, 0, sizeof (*out));
  out->profile_idc = sps->profile_idc;
  out->constraint_set_flags =
      (sps->constraint_set0_flag ? V4L2_H264_SPS_CONSTRAINT_SET0_FLAG : 0) |
      (sps->constraint_set1_flag ? V4L2_H264_SPS_CONSTRAINT_SET1_FLAG : 0) |
      (sps->constraint_set2_flag ? V4L2_H264_SPS_CONSTRAINT_SET2_FLAG : 0) |
      (sps->constraint_set3_flag ? V4L2_H264_SPS_CONSTRAINT_SET3_FLAG : 0) |
      (sps->constraint_set4_flag ? V4L2_H264_SPS_CONSTRAINT_SET4_FLAG : 0) |
      (sps->constraint_set5_flag ? V4L2_H264_SPS_CONSTRAINT_SET5_FLAG : 0);
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
  if (sps->separate_colour_plane_flag)
    out->flags |= V4L2_H264_SPS_FLAG_SEPARATE_COLOUR_PLANE;
  if (sps->qpprime_y_zero_transform_bypass_flag)
    out->flags |= V4L2_H264_SPS_FLAG_QPPRIME_Y_ZERO_TRANSFORM_BYPASS;
  if (sps->delta_pic_order_always_zero_flag)
    out->flags |= V4L2_H264_SPS_FLAG_DELTA_PIC_ORDER_ALWAYS_ZERO;
  if (sps->gaps_in_frame_num_value_allowed_flag)
    out->flags |= V4L2_H264_SPS_FLAG_GAPS_IN_FRAME_NUM_VALUE_ALLOWED;
  if (sps->frame_mbs_only_flag)
    out->flags |= V4L2_H264_SPS_FLAG_FRAME_MBS_ONLY;
  if (sps->mb_adaptive_frame_field_flag)
    out->flags |= V4L2_H264_SPS_FLAG_MB_ADAPTIVE_FRAME_FIELD;
  if (sps->direct_8x8_inference_flag)
    out->flags |= V4L2_H264_SPS_FLAG_DIRECT_8X8_INFERENCE;
}

void
gst_v4l2_elastic_h264_fill_pps (
    struct v4l2_ctrl_h264_pps *out, const GstH264PPS *pps)
{
  const GstH264SPS *sps = pps->sequence;

  memset (out, 0, sizeof (*out));
  out->pic_parameter_set_id = pps->id;
  out->seq_parameter_set_id = sps->id;
  out->num_slice_groups_minus1 = pps->num_slice_groups_minus1;
  out->num_ref_idx_l0_default_active_minus1 = pps->num_ref_idx_l0_active_minus1;
  out->num_ref_idx_l1_default_active_minus1 = pps->num_ref_idx_l1_active_minus1;
  out->weighted_bipred_idc = pps->weighted_bipred_idc;
  out->pic_init_qp_minus26 = pps->pic_init_qp_minus26;
  out->pic_init_qs_minus26 = pps->pic_init_qs_minus26;
  out->chroma_qp_index_offset = pps->chroma_qp_index_offset;
  out->second_chroma_qp_index_offset =
      (gint8) pps->second_chroma_qp_index_offset;
  if (pps->entropy_coding_mode_flag)
    out->flags |= V4L2_H264_PPS_FLAG_ENTROPY_CODING_MODE;
  if (pps->pic_order_present_flag)
    out->flags |= V4L2_H264_PPS_FLAG_BOTTOM_FIELD_PIC_ORDER_IN_FRAME_PRESENT;
  if (pps->weighted_pred_flag)
    out->flags |= V4L2_H264_PPS_FLAG_WEIGHTED_PRED;
  if (pps->deblocking_filter_control_present_flag)
    out->flags |= V4L2_H264_PPS_FLAG_DEBLOCKING_FILTER_CONTROL_PRESENT;
  if (pps->constrained_intra_pred_flag)
    out->flags |= V4L2_H264_PPS_FLAG_CONSTRAINED_INTRA_PRED;
  if (pps->redundant_pic_cnt_present_flag)
    out->flags |= V4L2_H264_PPS_FLAG_REDUNDANT_PIC_CNT_PRESENT;
  if (pps->transform_8x8_mode_flag)
    out->flags |= V4L2_H264_PPS_FLAG_TRANSFORM_8X8_MODE;
  /* The parser has already resolved the lists (PPS, else SPS, else the
   * fall-back rules); the driver must only use them when the stream
   * carries a matrix, flat otherwise. */
  if (sps->scaling_matrix_present_flag || pps->pic_scaling_matrix_present_flag)
    out->flags |= V4L2_H264_PPS_FLAG_SCALING_MATRIX_PRESENT;
}

/* The parser keeps the lists in zigzag order; V4L2 wants raster order,
 * in the spec's list order for both sizes.  Only 4:4:4 streams carry the
 * chroma 8x8 lists (Cb and Cr, intra and inter): elsewhere the syntax
 * stops after the two luma ones.  When the stream carries matrices, the
 * absent lists are sent as zeros rather than the parser's fall-back
 * copies; without any matrix every list is Flat_8x8.  Both as upstream
 * v4l2slh264dec 1.22 does (visl traces of tests/kernel/h264-visl.sh). */
void
gst_v4l2_elastic_h264_fill_scaling_matrix (
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

void
gst_v4l2_elastic_h264_fill_decode_params (
    struct v4l2_ctrl_h264_decode_params *out, const GstH264NalUnit *nalu,
    const GstH264SliceHdr *slice, const GstV4l2ElasticH264PicturePlan *plan,
    gboolean has_p, gboolean has_b)
{
  guint i;

  memset (out, 0, sizeof (*out));
  for (i = 0; i < plan->n_dpb && i < V4L2_H264_NUM_DPB_ENTRIES; i++) {
    const GstV4l2ElasticH264DpbEntry *e = &plan->dpb[i];
    struct v4l2_h264_dpb_entry *d = &out->dpb[i];

    /* Gap frames (non-existing) have no buffer: reference_ts 0 names
     * none, the driver then predicts from whatever it substitutes. */
    d->reference_ts = e->id;
    if (e->flags & GST_V4L2_ELASTIC_H264_DPB_LONG_TERM) {
      d->pic_num = e->long_term_frame_idx;
      d->frame_num = e->long_term_frame_idx;
    } else {
      d->pic_num = (guint32) e->frame_num_wrap;
      d->frame_num = e->frame_num;
    }
    if (e->flags & GST_V4L2_ELASTIC_H264_DPB_REF_TOP)
      d->fields |= V4L2_H264_TOP_FIELD_REF;
    if (e->flags & GST_V4L2_ELASTIC_H264_DPB_REF_BOTTOM)
      d->fields |= V4L2_H264_BOTTOM_FIELD_REF;
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
  if (has_b)
    out->flags |= V4L2_H264_DECODE_PARAM_FLAG_BFRAME;
  else if (has_p)
    out->flags |= V4L2_H264_DECODE_PARAM_FLAG_PFRAME;
}
