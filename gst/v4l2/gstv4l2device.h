/* gst-v4l2-elastic
 *
 * One open stateless decoder: its media node (requests) and video node
 * (formats, controls, the OUTPUT and CAPTURE queues).  Every ioctl a
 * decoder element needs goes through here; failures are logged with
 * g_strerror (errno) and errno is preserved for the caller.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_V4L2_DEVICE_H__
#define __GST_V4L2_DEVICE_H__

#include <gst/gst.h>
#include <gst/video/video.h>

#include "v4l2-compat.h"
#include "gstv4l2probe.h"

G_BEGIN_DECLS

#define GST_TYPE_V4L2_ELASTIC_DEVICE (gst_v4l2_elastic_device_get_type ())
G_DECLARE_FINAL_TYPE (GstV4l2ElasticDevice, gst_v4l2_elastic_device, GST,
    V4L2_ELASTIC_DEVICE, GstObject)

/* The queue a call is about. */
typedef enum
{
  GST_V4L2_ELASTIC_QUEUE_OUTPUT,  /* bitstream, fed with media requests */
  GST_V4L2_ELASTIC_QUEUE_CAPTURE, /* decoded pictures */
} GstV4l2ElasticQueue;

/* What the kernel said about one buffer, as far as we use it. */
typedef struct
{
  guint32 index;
  guint32 flags; /* V4L2_BUF_FLAG_* */
  guint64 timestamp_ns;
  guint32 sequence;
  guint n_planes;
  guint32 bytesused[VIDEO_MAX_PLANES];
  guint32 length[VIDEO_MAX_PLANES];
  guint32 mem_offset[VIDEO_MAX_PLANES];
} GstV4l2ElasticBufferInfo;

struct _GstV4l2ElasticDevice
{
  GstObject parent;

  gchar *media_path;
  gchar *video_path;
  gint media_fd;
  gint video_fd;

  gboolean mplane;
  guint32 output_type;
  guint32 capture_type;

  /* Probed when opened. */
  GstV4l2ElasticQueueCaps output_caps;
  GstV4l2ElasticQueueCaps capture_caps;
};

GstV4l2ElasticDevice *gst_v4l2_elastic_device_new (
    const gchar *media_path, const gchar *video_path);

gboolean gst_v4l2_elastic_device_open (
    GstV4l2ElasticDevice *self, GError **error);
void gst_v4l2_elastic_device_close (GstV4l2ElasticDevice *self);
gboolean gst_v4l2_elastic_device_is_open (GstV4l2ElasticDevice *self);

guint32 gst_v4l2_elastic_device_queue_type (
    GstV4l2ElasticDevice *self, GstV4l2ElasticQueue queue);

/* Formats */
GArray *gst_v4l2_elastic_device_enum_formats (
    GstV4l2ElasticDevice *self, GstV4l2ElasticQueue queue);
gboolean gst_v4l2_elastic_device_enum_framesizes (GstV4l2ElasticDevice *self,
    guint32 fourcc, guint *min_w, guint *max_w, guint *min_h, guint *max_h);
gboolean gst_v4l2_elastic_device_get_format (GstV4l2ElasticDevice *self,
    GstV4l2ElasticQueue queue, struct v4l2_format *fmt);
gboolean gst_v4l2_elastic_device_set_format (GstV4l2ElasticDevice *self,
    GstV4l2ElasticQueue queue, struct v4l2_format *fmt);
gboolean gst_v4l2_elastic_device_try_format (GstV4l2ElasticDevice *self,
    GstV4l2ElasticQueue queue, struct v4l2_format *fmt);
void gst_v4l2_elastic_device_format_init (GstV4l2ElasticDevice *self,
    GstV4l2ElasticQueue queue, struct v4l2_format *fmt, guint32 fourcc,
    guint width, guint height, guint32 sizeimage);
gsize gst_v4l2_elastic_format_total_size (const struct v4l2_format *fmt);
gboolean gst_v4l2_elastic_format_to_video_info (
    const struct v4l2_format *fmt, GstVideoInfo *info);
GstVideoFormat gst_v4l2_elastic_fourcc_to_video_format (guint32 fourcc);
guint32 gst_v4l2_elastic_video_format_to_fourcc (GstVideoFormat format);

/* Controls */
gboolean gst_v4l2_elastic_device_query_control (
    GstV4l2ElasticDevice *self, guint32 id, struct v4l2_query_ext_ctrl *query);
gboolean gst_v4l2_elastic_device_check_control_size (
    GstV4l2ElasticDevice *self, guint32 id, gsize size, const gchar *name);
gboolean gst_v4l2_elastic_device_set_controls (GstV4l2ElasticDevice *self,
    gint request_fd, struct v4l2_ext_control *controls, guint count);

/* Buffers */
gboolean gst_v4l2_elastic_device_request_buffers (
    GstV4l2ElasticDevice *self, GstV4l2ElasticQueue queue, guint *count);
gboolean gst_v4l2_elastic_device_create_buffers (GstV4l2ElasticDevice *self,
    GstV4l2ElasticQueue queue, const struct v4l2_format *fmt, guint count,
    guint *index, guint *created);
gboolean gst_v4l2_elastic_device_remove_buffers (GstV4l2ElasticDevice *self,
    GstV4l2ElasticQueue queue, guint index, guint count);
gboolean gst_v4l2_elastic_device_query_buffer (GstV4l2ElasticDevice *self,
    GstV4l2ElasticQueue queue, guint index, GstV4l2ElasticBufferInfo *info);
gint gst_v4l2_elastic_device_export_buffer (GstV4l2ElasticDevice *self,
    GstV4l2ElasticQueue queue, guint index, guint plane);
gboolean gst_v4l2_elastic_device_queue_buffer (GstV4l2ElasticDevice *self,
    GstV4l2ElasticQueue queue, guint index, guint64 timestamp_ns,
    const guint32 *bytesused, guint n_planes, gint request_fd, guint32 flags);
gboolean gst_v4l2_elastic_device_dequeue_buffer (GstV4l2ElasticDevice *self,
    GstV4l2ElasticQueue queue, GstV4l2ElasticBufferInfo *info);
gboolean gst_v4l2_elastic_device_stream_on (
    GstV4l2ElasticDevice *self, GstV4l2ElasticQueue queue);
gboolean gst_v4l2_elastic_device_stream_off (
    GstV4l2ElasticDevice *self, GstV4l2ElasticQueue queue);
gint gst_v4l2_elastic_device_poll (GstV4l2ElasticDevice *self, gint timeout_ms);

gpointer gst_v4l2_elastic_device_map_buffer (GstV4l2ElasticDevice *self,
    const GstV4l2ElasticBufferInfo *info, guint plane);
gboolean gst_v4l2_elastic_device_query_menu (
    GstV4l2ElasticDevice *self, guint32 id, gint64 value);

/* Media requests */
gint gst_v4l2_elastic_device_alloc_request (GstV4l2ElasticDevice *self);

G_END_DECLS

#endif /* __GST_V4L2_DEVICE_H__ */
