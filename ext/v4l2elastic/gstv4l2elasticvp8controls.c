/* gst-v4l2-elastic
 *
 * VP8: the V4L2 stateless frame control, from the parser's persistent
 * state, the frame header and the codec state's plan.  Shared by the
 * element and the fuzz target (tests/fuzz/fuzz-vp8.c).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstv4l2elasticvp8controls.h"

#include <string.h>

G_STATIC_ASSERT (
    sizeof (((struct v4l2_ctrl_vp8_frame *) 0)->entropy.coeff_probs) ==
    sizeof (((GstVp8FrameHdr *) 0)->token_probs.prob));
G_STATIC_ASSERT (
    sizeof (((struct v4l2_ctrl_vp8_frame *) 0)->entropy.mv_probs) ==
    sizeof (((GstVp8FrameHdr *) 0)->mv_probs.prob));

void
gst_v4l2_elastic_vp8_fill_frame (const GstVp8Parser *parser,
    const GstVp8FrameHdr *hdr, const GstV4l2ElasticVp8FramePlan *plan,
    struct v4l2_ctrl_vp8_frame *p)
{
  const GstVp8Segmentation *seg = &parser->segmentation;
  const GstVp8MbLfAdjustments *lf = &parser->mb_lf_adjust;
  guint i;

  memset (p, 0, sizeof (*p));

  /* The flags mirror the parser's persistent segmentation state, also
   * while segmentation is off (drivers read none of them then): the same
   * bits as upstream v4l2slvp8dec, so the trace comparison stays exact
   * (tests/kernel/vpx-trace-compare.sh). */
  if (seg->segmentation_enabled)
    p->segment.flags |= V4L2_VP8_SEGMENT_FLAG_ENABLED;
  if (seg->update_mb_segmentation_map)
    p->segment.flags |= V4L2_VP8_SEGMENT_FLAG_UPDATE_MAP;
  if (seg->update_segment_feature_data)
    p->segment.flags |= V4L2_VP8_SEGMENT_FLAG_UPDATE_FEATURE_DATA;
  /* segment_feature_mode: 1 absolute values, 0 deltas (9.3). */
  if (!seg->segment_feature_mode)
    p->segment.flags |= V4L2_VP8_SEGMENT_FLAG_DELTA_VALUE_MODE;
  for (i = 0; i < 4; i++) {
    p->segment.quant_update[i] = seg->quantizer_update_value[i];
    p->segment.lf_update[i] = seg->lf_update_value[i];
  }
  memcpy (p->segment.segment_probs, seg->segment_prob,
      sizeof (p->segment.segment_probs));

  for (i = 0; i < 4; i++) {
    p->lf.ref_frm_delta[i] = lf->ref_frame_delta[i];
    p->lf.mb_mode_delta[i] = lf->mb_mode_delta[i];
  }
  p->lf.sharpness_level = hdr->sharpness_level;
  p->lf.level = hdr->loop_filter_level;
  if (lf->loop_filter_adj_enable)
    p->lf.flags |= V4L2_VP8_LF_ADJ_ENABLE;
  if (lf->mode_ref_lf_delta_update)
    p->lf.flags |= V4L2_VP8_LF_DELTA_UPDATE;
  if (hdr->filter_type)
    p->lf.flags |= V4L2_VP8_LF_FILTER_TYPE_SIMPLE;

  p->quant.y_ac_qi = hdr->quant_indices.y_ac_qi;
  p->quant.y_dc_delta = hdr->quant_indices.y_dc_delta;
  p->quant.y2_dc_delta = hdr->quant_indices.y2_dc_delta;
  p->quant.y2_ac_delta = hdr->quant_indices.y2_ac_delta;
  p->quant.uv_dc_delta = hdr->quant_indices.uv_dc_delta;
  p->quant.uv_ac_delta = hdr->quant_indices.uv_ac_delta;

  /* The probabilities this frame decodes with (the parser applied the
   * frame's updates to the persistent ones). */
  memcpy (p->entropy.coeff_probs, hdr->token_probs.prob,
      sizeof (p->entropy.coeff_probs));
  memcpy (p->entropy.y_mode_probs, hdr->mode_probs.y_prob,
      sizeof (p->entropy.y_mode_probs));
  memcpy (p->entropy.uv_mode_probs, hdr->mode_probs.uv_prob,
      sizeof (p->entropy.uv_mode_probs));
  memcpy (
      p->entropy.mv_probs, hdr->mv_probs.prob, sizeof (p->entropy.mv_probs));

  /* Where the parser left the boolean decoder of the first partition. */
  p->coder_state.range = hdr->rd_range;
  p->coder_state.value = hdr->rd_value;
  p->coder_state.bit_count = hdr->rd_count;

  p->width = plan->width;
  p->height = plan->height;
  p->horizontal_scale = hdr->horiz_scale_code;
  p->vertical_scale = hdr->vert_scale_code;
  p->version = hdr->version;
  p->prob_skip_false = hdr->prob_skip_false;
  p->prob_intra = hdr->prob_intra;
  p->prob_last = hdr->prob_last;
  p->prob_gf = hdr->prob_gf;
  p->num_dct_parts = 1 << hdr->log2_nbr_of_dct_partitions;
  p->first_part_size = hdr->first_part_size;
  p->first_part_header_bits = hdr->header_size;
  for (i = 0; i < p->num_dct_parts && i < 8; i++)
    p->dct_part_sizes[i] = hdr->partition_size[i];

  if (!plan->key_frame) {
    p->last_frame_ts = plan->ref_id[GST_V4L2_ELASTIC_VP8_REF_LAST];
    p->golden_frame_ts = plan->ref_id[GST_V4L2_ELASTIC_VP8_REF_GOLDEN];
    p->alt_frame_ts = plan->ref_id[GST_V4L2_ELASTIC_VP8_REF_ALTREF];
  }

  if (plan->key_frame)
    p->flags |= V4L2_VP8_FRAME_FLAG_KEY_FRAME;
  if (hdr->show_frame)
    p->flags |= V4L2_VP8_FRAME_FLAG_SHOW_FRAME;
  if (hdr->mb_no_skip_coeff)
    p->flags |= V4L2_VP8_FRAME_FLAG_MB_NO_SKIP_COEFF;
  if (plan->sign_bias_golden)
    p->flags |= V4L2_VP8_FRAME_FLAG_SIGN_BIAS_GOLDEN;
  if (plan->sign_bias_altref)
    p->flags |= V4L2_VP8_FRAME_FLAG_SIGN_BIAS_ALT;
}
