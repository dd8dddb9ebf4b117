/* gst-v4l2-elastic
 *
 * VP9: the V4L2 stateless frame and compressed-header controls, from the
 * parser's state, the frame header, the codec state's plan and our
 * compressed-header parse.  Shared by the element and the fuzz target
 * (tests/fuzz/fuzz-vp9.c).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstv4l2elasticvp9controls.h"

#include <string.h>

static guint8
reset_frame_context (const GstVp9FrameHdr *hdr)
{
  /* reset_frame_context syntax: 0 and 1 reset nothing, 2 the context
   * frame_context_idx names, 3 all of them. */
  switch (hdr->reset_frame_context) {
  case 2:
    return V4L2_VP9_RESET_FRAME_CTX_SPEC;
  case 3:
    return V4L2_VP9_RESET_FRAME_CTX_ALL;
  default:
    return V4L2_VP9_RESET_FRAME_CTX_NONE;
  }
}

void
gst_v4l2_elastic_vp9_fill_frame (const GstVp9Parser *parser,
    const GstVp9FrameHdr *hdr, const GstV4l2ElasticVp9FramePlan *plan,
    const GstV4l2ElasticVp9CompressedHeader *chdr,
    struct v4l2_ctrl_vp9_frame *p)
{
  const GstV4l2ElasticVp9Persistent *ps = &plan->persistent;
  const GstVp9SegmentationInfo *seg = &hdr->segmentation;
  guint i;

  memset (p, 0, sizeof (*p));

  memcpy (p->lf.ref_deltas, ps->ref_deltas, sizeof (p->lf.ref_deltas));
  memcpy (p->lf.mode_deltas, ps->mode_deltas, sizeof (p->lf.mode_deltas));
  p->lf.level = hdr->loopfilter.filter_level;
  p->lf.sharpness = hdr->loopfilter.sharpness_level;
  if (hdr->loopfilter.mode_ref_delta_enabled)
    p->lf.flags |= V4L2_VP9_LOOP_FILTER_FLAG_DELTA_ENABLED;
  if (hdr->loopfilter.mode_ref_delta_update)
    p->lf.flags |= V4L2_VP9_LOOP_FILTER_FLAG_DELTA_UPDATE;

  p->quant.base_q_idx = hdr->quant_indices.y_ac_qi;
  p->quant.delta_q_y_dc = hdr->quant_indices.y_dc_delta;
  p->quant.delta_q_uv_dc = hdr->quant_indices.uv_dc_delta;
  p->quant.delta_q_uv_ac = hdr->quant_indices.uv_ac_delta;

  if (seg->enabled) {
    p->seg.flags |= V4L2_VP9_SEGMENTATION_FLAG_ENABLED;
    if (seg->update_map)
      p->seg.flags |= V4L2_VP9_SEGMENTATION_FLAG_UPDATE_MAP;
    if (seg->update_map && seg->temporal_update)
      p->seg.flags |= V4L2_VP9_SEGMENTATION_FLAG_TEMPORAL_UPDATE;
    if (seg->update_data)
      p->seg.flags |= V4L2_VP9_SEGMENTATION_FLAG_UPDATE_DATA;
  }
  if (ps->abs_delta)
    p->seg.flags |= V4L2_VP9_SEGMENTATION_FLAG_ABS_OR_DELTA_UPDATE;
  for (i = 0; i < 8; i++) {
    p->seg.feature_enabled[i] = ps->feature_enabled[i];
    memcpy (p->seg.feature_data[i], ps->feature_data[i],
        sizeof (p->seg.feature_data[i]));
  }
  memcpy (p->seg.tree_probs, ps->tree_probs, sizeof (p->seg.tree_probs));
  memcpy (p->seg.pred_probs, ps->pred_probs, sizeof (p->seg.pred_probs));

  if (hdr->frame_type == GST_VP9_KEY_FRAME)
    p->flags |= V4L2_VP9_FRAME_FLAG_KEY_FRAME;
  if (hdr->show_frame)
    p->flags |= V4L2_VP9_FRAME_FLAG_SHOW_FRAME;
  if (hdr->error_resilient_mode)
    p->flags |= V4L2_VP9_FRAME_FLAG_ERROR_RESILIENT;
  if (hdr->intra_only)
    p->flags |= V4L2_VP9_FRAME_FLAG_INTRA_ONLY;
  if (hdr->allow_high_precision_mv)
    p->flags |= V4L2_VP9_FRAME_FLAG_ALLOW_HIGH_PREC_MV;
  if (hdr->refresh_frame_context)
    p->flags |= V4L2_VP9_FRAME_FLAG_REFRESH_FRAME_CTX;
  if (hdr->frame_parallel_decoding_mode)
    p->flags |= V4L2_VP9_FRAME_FLAG_PARALLEL_DEC_MODE;
  if (parser->subsampling_x)
    p->flags |= V4L2_VP9_FRAME_FLAG_X_SUBSAMPLING;
  if (parser->subsampling_y)
    p->flags |= V4L2_VP9_FRAME_FLAG_Y_SUBSAMPLING;
  if (parser->color_range == GST_VP9_CR_FULL)
    p->flags |= V4L2_VP9_FRAME_FLAG_COLOR_RANGE_FULL_SWING;

  p->compressed_header_size = hdr->first_partition_size;
  p->uncompressed_header_size = hdr->frame_header_length_in_bytes;
  p->frame_width_minus_1 = hdr->width - 1;
  p->frame_height_minus_1 = hdr->height - 1;
  p->render_width_minus_1 =
      (hdr->display_size_enabled ? hdr->display_width : hdr->width) - 1;
  p->render_height_minus_1 =
      (hdr->display_size_enabled ? hdr->display_height : hdr->height) - 1;
  if (!plan->intra) {
    p->last_frame_ts = plan->ref_id[0];
    p->golden_frame_ts = plan->ref_id[1];
    p->alt_frame_ts = plan->ref_id[2];
    if (hdr->ref_frame_sign_bias[0])
      p->ref_frame_sign_bias |= V4L2_VP9_SIGN_BIAS_LAST;
    if (hdr->ref_frame_sign_bias[1])
      p->ref_frame_sign_bias |= V4L2_VP9_SIGN_BIAS_GOLDEN;
    if (hdr->ref_frame_sign_bias[2])
      p->ref_frame_sign_bias |= V4L2_VP9_SIGN_BIAS_ALT;
  }
  p->reset_frame_context = reset_frame_context (hdr);
  p->frame_context_idx = hdr->frame_context_idx;
  p->profile = hdr->profile;
  p->bit_depth = parser->bit_depth;
  /* GstVp9InterpolationFilter has the values of V4L2_VP9_INTERP_FILTER_*. */
  p->interpolation_filter = hdr->mcomp_filter_type;
  p->tile_cols_log2 = hdr->log2_tile_columns;
  p->tile_rows_log2 = hdr->log2_tile_rows;
  p->reference_mode = chdr->reference_mode;
}

#define COPY_FIELD(dst, src, f)                                                \
  G_STMT_START                                                                 \
  {                                                                            \
    G_STATIC_ASSERT (sizeof ((dst)->f) == sizeof ((src)->f));                  \
    memcpy (&(dst)->f, &(src)->f, sizeof ((dst)->f));                          \
  }                                                                            \
  G_STMT_END

void
gst_v4l2_elastic_vp9_fill_compressed (
    const GstV4l2ElasticVp9CompressedHeader *c,
    struct v4l2_ctrl_vp9_compressed_hdr *p)
{
  memset (p, 0, sizeof (*p));
  p->tx_mode = c->tx_mode;
  COPY_FIELD (p, c, tx8);
  COPY_FIELD (p, c, tx16);
  COPY_FIELD (p, c, tx32);
  COPY_FIELD (p, c, coef);
  COPY_FIELD (p, c, skip);
  COPY_FIELD (p, c, inter_mode);
  COPY_FIELD (p, c, interp_filter);
  COPY_FIELD (p, c, is_inter);
  COPY_FIELD (p, c, comp_mode);
  COPY_FIELD (p, c, single_ref);
  COPY_FIELD (p, c, comp_ref);
  COPY_FIELD (p, c, y_mode);
  COPY_FIELD (p, c, uv_mode);
  COPY_FIELD (p, c, partition);
  COPY_FIELD (p, c, mv.joint);
  COPY_FIELD (p, c, mv.sign);
  COPY_FIELD (p, c, mv.classes);
  COPY_FIELD (p, c, mv.class0_bit);
  COPY_FIELD (p, c, mv.bits);
  COPY_FIELD (p, c, mv.class0_fr);
  COPY_FIELD (p, c, mv.fr);
  COPY_FIELD (p, c, mv.class0_hp);
  COPY_FIELD (p, c, mv.hp);
}
