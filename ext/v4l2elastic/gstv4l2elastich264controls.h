/* gst-v4l2-elastic
 *
 * H.264: the V4L2 stateless controls of a picture (see the .c file).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_V4L2_ELASTIC_H264_CONTROLS_H__
#define __GST_V4L2_ELASTIC_H264_CONTROLS_H__

#include <gst/gst.h>
#include <gst/codecparsers/gsth264parser.h>

#include "gsth264state.h"
#include "v4l2-compat.h"

G_BEGIN_DECLS

void gst_v4l2_elastic_h264_fill_sps (
    struct v4l2_ctrl_h264_sps *out, const GstH264SPS *sps);
void gst_v4l2_elastic_h264_fill_pps (
    struct v4l2_ctrl_h264_pps *out, const GstH264PPS *pps);
void gst_v4l2_elastic_h264_fill_scaling_matrix (
    struct v4l2_ctrl_h264_scaling_matrix *out, const GstH264PPS *pps);
void gst_v4l2_elastic_h264_fill_decode_params (
    struct v4l2_ctrl_h264_decode_params *out, const GstH264NalUnit *nalu,
    const GstH264SliceHdr *slice, const GstV4l2ElasticH264PicturePlan *plan,
    gboolean has_p, gboolean has_b);

G_END_DECLS

#endif /* __GST_V4L2_ELASTIC_H264_CONTROLS_H__ */
