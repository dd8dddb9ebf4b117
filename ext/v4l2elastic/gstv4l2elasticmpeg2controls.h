/* gst-v4l2-elastic
 *
 * MPEG-2: the V4L2 stateless sequence, picture and quantisation controls
 * (see the .c file).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_V4L2_ELASTIC_MPEG2_CONTROLS_H__
#define __GST_V4L2_ELASTIC_MPEG2_CONTROLS_H__

#include <gst/gst.h>

#include "gstmpeg2state.h"
#include "v4l2-compat.h"

G_BEGIN_DECLS

void gst_v4l2_elastic_mpeg2_fill_sequence (
    const GstV4l2ElasticMpeg2PicturePlan *plan,
    struct v4l2_ctrl_mpeg2_sequence *s);
void gst_v4l2_elastic_mpeg2_fill_picture (
    const GstV4l2ElasticMpeg2PicturePlan *plan,
    struct v4l2_ctrl_mpeg2_picture *p);
void gst_v4l2_elastic_mpeg2_fill_quantisation (
    const GstV4l2ElasticMpeg2PicturePlan *plan,
    struct v4l2_ctrl_mpeg2_quantisation *q);

G_END_DECLS

#endif /* __GST_V4L2_ELASTIC_MPEG2_CONTROLS_H__ */
