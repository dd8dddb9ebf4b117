/* gst-v4l2-elastic
 *
 * H.264 in ISO/IEC 14496-15 form (stream-format avc and avc3, as MP4 and
 * Matroska carry it): the AVCDecoderConfigurationRecord (avcC, the caps'
 * codec_data) and length-prefixed NAL units, read with bounds checks and
 * turned into an Annex-B byte stream (start codes), which is what the
 * H.264 element parses and feeds the driver.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_H264_AVC_H__
#define __GST_H264_AVC_H__

#include <glib.h>

G_BEGIN_DECLS

/* What an avcC record says. */
typedef struct
{
  guint8 profile_idc;
  guint8 profile_compatibility;
  guint8 level_idc;
  guint nal_length_size; /* 1, 2 or 4 bytes */
  guint n_sps;
  guint n_pps;
} GstV4l2ElasticH264AvcConfig;

gboolean gst_v4l2_elastic_h264_avcc_parse (const guint8 *data, gsize size,
    GstV4l2ElasticH264AvcConfig *config, GByteArray *parameter_sets,
    GError **error);

gboolean gst_v4l2_elastic_h264_avc_to_annexb (const guint8 *data, gsize size,
    guint nal_length_size, GByteArray *out, GError **error);

G_END_DECLS

#endif /* __GST_H264_AVC_H__ */
