/* gst-v4l2-elastic
 *
 * v4l2elastic<codec>alphadecodebin: VP8/VP9 with an alpha stream, decoded
 * by two instances of one of our decoders.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_V4L2_ELASTIC_ALPHA_DECODE_BIN_H__
#define __GST_V4L2_ELASTIC_ALPHA_DECODE_BIN_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/* WebM's alpha bins (ours and GStreamer's software ones, at PRIMARY + 10)
 * rank this far above the decoder they wrap, so that an alpha stream goes
 * to the bin of the best decoder and every other stream to the decoder. */
#define GST_V4L2_ELASTIC_ALPHA_RANK_OFFSET 10

gboolean gst_v4l2_elastic_alpha_decode_bin_register (
    GstPlugin *plugin, const gchar *decoder_name, guint rank);

G_END_DECLS

#endif /* __GST_V4L2_ELASTIC_ALPHA_DECODE_BIN_H__ */
