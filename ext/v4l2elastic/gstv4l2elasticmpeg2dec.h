/* gst-v4l2-elastic
 *
 * v4l2elasticmpeg2dec: MPEG-2 through a V4L2 stateless decoder.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_V4L2_ELASTIC_MPEG2_DEC_H__
#define __GST_V4L2_ELASTIC_MPEG2_DEC_H__

#include "gstv4l2elasticdecoder.h"
#include "gstv4l2media.h"

G_BEGIN_DECLS

gboolean gst_v4l2_elastic_mpeg2_dec_register (GstPlugin *plugin,
    const GstV4l2ElasticDecoderNode *node, guint rank, gchar **element_name);

G_END_DECLS

#endif /* __GST_V4L2_ELASTIC_MPEG2_DEC_H__ */
