/* gst-v4l2-elastic
 *
 * VP9: the V4L2 stateless controls of a frame (see the .c file).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_V4L2_ELASTIC_VP9_CONTROLS_H__
#define __GST_V4L2_ELASTIC_VP9_CONTROLS_H__

#include <gst/gst.h>
#include <gst/codecparsers/gstvp9parser.h>

#include "gstvp9compressed.h"
#include "gstvp9state.h"
#include "v4l2-compat.h"

G_BEGIN_DECLS

void gst_v4l2_elastic_vp9_fill_frame (const GstVp9Parser *parser,
    const GstVp9FrameHdr *hdr, const GstV4l2ElasticVp9FramePlan *plan,
    const GstV4l2ElasticVp9CompressedHeader *chdr,
    struct v4l2_ctrl_vp9_frame *p);
void gst_v4l2_elastic_vp9_fill_compressed (
    const GstV4l2ElasticVp9CompressedHeader *c,
    struct v4l2_ctrl_vp9_compressed_hdr *p);

G_END_DECLS

#endif /* __GST_V4L2_ELASTIC_VP9_CONTROLS_H__ */
