/* gst-v4l2-elastic
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_V4L2_ELASTIC_FRAME_PICTURE_H__
#define __GST_V4L2_ELASTIC_FRAME_PICTURE_H__

#include "gstv4l2elasticdecoder.h"

G_BEGIN_DECLS

/* A decoded picture as a codec state with its own output order keeps it
 * (H.264, MPEG-2): the picture and the number of the GstVideoCodecFrame it
 * belongs to, so that the state's output list can be turned back into
 * frames.  Reference counted: the state's references and its output list
 * each hold one. */
typedef struct
{
  GstV4l2ElasticPicture *picture;
  guint32 system_frame_number;
} GstV4l2ElasticFramePicture;

GstV4l2ElasticFramePicture *gst_v4l2_elastic_frame_picture_new (
    GstV4l2ElasticPicture *picture, GstVideoCodecFrame *frame);
gpointer gst_v4l2_elastic_frame_picture_ref (gpointer picture);
void gst_v4l2_elastic_frame_picture_unref (gpointer picture);

GstFlowReturn gst_v4l2_elastic_decoder_push_pictures (
    GstV4l2ElasticDecoder *self, GPtrArray *output);
void gst_v4l2_elastic_frame_pictures_clear (GPtrArray *output);

G_END_DECLS

#endif /* __GST_V4L2_ELASTIC_FRAME_PICTURE_H__ */
