/* gst-v4l2-elastic
 *
 * VP8: the V4L2 stateless frame control (see the .c file).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_V4L2_ELASTIC_VP8_CONTROLS_H__
#define __GST_V4L2_ELASTIC_VP8_CONTROLS_H__

#include <gst/gst.h>
#include <gst/codecparsers/gstvp8parser.h>

#include "gstvp8state.h"
#include "v4l2-compat.h"

G_BEGIN_DECLS

void gst_v4l2_elastic_vp8_fill_frame (const GstVp8Parser *parser,
    const GstVp8FrameHdr *hdr, const GstV4l2ElasticVp8FramePlan *plan,
    struct v4l2_ctrl_vp8_frame *p);

G_END_DECLS

#endif /* __GST_V4L2_ELASTIC_VP8_CONTROLS_H__ */
