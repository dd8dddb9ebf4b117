/* gst-v4l2-elastic
 *
 * Discovery of memory-to-memory video decoders through the media
 * controller: each decoder is a MEDIA_ENT_F_PROC_VIDEO_DECODER entity
 * whose I/O entities are exposed by one V4L2 video interface.  Devices are
 * never found by /dev/videoN number.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_V4L2_MEDIA_H__
#define __GST_V4L2_MEDIA_H__

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _GstV4l2ElasticDecoderNode GstV4l2ElasticDecoderNode;

struct _GstV4l2ElasticDecoderNode
{
  gchar *media_path;  /* /dev/mediaN */
  gchar *video_path;  /* /dev/videoN */
  gchar *driver;      /* media_device_info.driver, e.g. "visl" */
  gchar *model;       /* media_device_info.model */
  gchar *entity_name; /* name of the decoder (proc) entity */
};

GList *gst_v4l2_elastic_media_find_decoders (void);

GList *gst_v4l2_elastic_media_find_decoders_in (
    const gchar *media_path, GError **error);

void gst_v4l2_elastic_decoder_node_free (GstV4l2ElasticDecoderNode *node);

void gst_v4l2_elastic_decoder_node_list_free (GList *nodes);

G_END_DECLS

#endif /* __GST_V4L2_MEDIA_H__ */
