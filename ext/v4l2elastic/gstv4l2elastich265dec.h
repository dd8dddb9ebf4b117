/* gst-v4l2-elastic
 *
 * v4l2elastich265dec: H.265 through a V4L2 stateless decoder, frame- or
 * slice-based, with or without start codes.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_V4L2_ELASTIC_H265_DEC_H__
#define __GST_V4L2_ELASTIC_H265_DEC_H__

#include "gstv4l2elasticdecoder.h"
#include "gstv4l2media.h"

G_BEGIN_DECLS

gboolean gst_v4l2_elastic_h265_dec_register (
    GstPlugin *plugin, const GstV4l2ElasticDecoderNode *node, guint rank);

G_END_DECLS

#endif /* __GST_V4L2_ELASTIC_H265_DEC_H__ */
