/* gst-v4l2-elastic
 *
 * H.265: the V4L2 stateless controls of a picture (see the .c file).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_V4L2_ELASTIC_H265_CONTROLS_H__
#define __GST_V4L2_ELASTIC_H265_CONTROLS_H__

#include <gst/gst.h>
#include <gst/codecparsers/gsth265parser.h>

#include "gsth265state.h"
#include "v4l2-compat.h"

G_BEGIN_DECLS

/* Where each entry of the plan's DPB went in the control's dpb[] (or
 * GST_V4L2_ELASTIC_H265_NO_REF: a generated picture, which has no buffer
 * and is left out). */
typedef struct
{
  guint8 index[GST_V4L2_ELASTIC_H265_DPB_MAX];
} GstV4l2ElasticH265DpbMap;

void gst_v4l2_elastic_h265_fill_sps (
    struct v4l2_ctrl_hevc_sps *out, const GstH265SPS *sps);
void gst_v4l2_elastic_h265_fill_pps (
    struct v4l2_ctrl_hevc_pps *out, const GstH265PPS *pps);
void gst_v4l2_elastic_h265_fill_scaling_matrix (
    struct v4l2_ctrl_hevc_scaling_matrix *out, const GstH265PPS *pps);
void gst_v4l2_elastic_h265_fill_decode_params (
    struct v4l2_ctrl_hevc_decode_params *out, const GstH265SliceHdr *slice,
    const GstV4l2ElasticH265PicturePlan *plan, GstV4l2ElasticH265DpbMap *map);
gboolean gst_v4l2_elastic_h265_fill_slice_params (
    struct v4l2_ctrl_hevc_slice_params *out, const GstH265NalUnit *nalu,
    const GstH265SliceHdr *slice, const GstV4l2ElasticH265PicturePlan *plan,
    const GstV4l2ElasticH265DpbMap *map);

G_END_DECLS

#endif /* __GST_V4L2_ELASTIC_H265_CONTROLS_H__ */
