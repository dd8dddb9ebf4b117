/* gst-v4l2-elastic
 *
 * What a decoder video node can do: buffer-management capabilities of its
 * two queues (CREATE_BUFS, REMOVE_BUFS, max_num_buffers, requests) and the
 * coded formats it accepts.  Used for element registration and reporting.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_V4L2_PROBE_H__
#define __GST_V4L2_PROBE_H__

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _GstV4l2ElasticQueueCaps GstV4l2ElasticQueueCaps;
typedef struct _GstV4l2ElasticDecoderCaps GstV4l2ElasticDecoderCaps;

struct _GstV4l2ElasticQueueCaps
{
  guint32 type;            /* enum v4l2_buf_type */
  guint32 capabilities;    /* V4L2_BUF_CAP_* from REQBUFS(0) */
  gboolean create_bufs;    /* VIDIOC_CREATE_BUFS works on this queue */
  gboolean remove_bufs;    /* V4L2_BUF_CAP_SUPPORTS_REMOVE_BUFS */
  guint32 max_num_buffers; /* 0 when the kernel does not report it */
};

struct _GstV4l2ElasticDecoderCaps
{
  gchar *card;   /* v4l2_capability.card */
  gchar *driver; /* v4l2_capability.driver */
  gboolean multiplanar;
  gboolean stateless;    /* OUTPUT queue supports media requests */
  GArray *coded_formats; /* guint32 fourccs of the OUTPUT queue */
  GstV4l2ElasticQueueCaps output;
  GstV4l2ElasticQueueCaps capture;
};

GstV4l2ElasticDecoderCaps *gst_v4l2_elastic_probe_decoder (
    const gchar *video_path, GError **error);

void gst_v4l2_elastic_decoder_caps_free (GstV4l2ElasticDecoderCaps *caps);

gchar *gst_v4l2_elastic_fourcc_to_string (guint32 fourcc);

G_END_DECLS

#endif /* __GST_V4L2_PROBE_H__ */
