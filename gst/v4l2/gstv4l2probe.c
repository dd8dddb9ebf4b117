/* gst-v4l2-elastic
 *
 * Capability probing of a decoder video node.  Probing only reads state:
 * REQBUFS(0) and CREATE_BUFS(0) allocate nothing.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstv4l2probe.h"
#include "v4l2-compat.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <gst/gst.h>

GST_DEBUG_CATEGORY_STATIC (gst_v4l2_elastic_probe_debug);
#define GST_CAT_DEFAULT gst_v4l2_elastic_probe_debug

static void
ensure_debug_category (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (gst_v4l2_elastic_probe_debug, "v4l2elastic-probe",
        0, "V4L2 decoder capability probing");
    g_once_init_leave (&once, 1);
  }
}

static gint
xioctl (gint fd, gulong request, gpointer arg)
{
  gint ret;

  do
    ret = ioctl (fd, request, arg);
  while (ret < 0 && errno == EINTR);
  return ret;
}

static void
probe_queue (
    gint fd, const gchar *path, guint32 type, GstV4l2ElasticQueueCaps *q)
{
  struct v4l2_requestbuffers reqbufs = { 0 };
  struct gst_v4l2_elastic_create_buffers create = { 0 };

  q->type = type;

  /* REQBUFS with count 0 frees nothing on an unused queue and reports the
   * queue's capabilities. */
  reqbufs.type = type;
  reqbufs.memory = V4L2_MEMORY_MMAP;
  if (xioctl (fd, VIDIOC_REQBUFS, &reqbufs) < 0) {
    GST_WARNING ("%s: VIDIOC_REQBUFS(0) on queue %u failed: %s", path, type,
        g_strerror (errno));
    return;
  }
  q->capabilities = reqbufs.capabilities;
  q->remove_bufs = !!(reqbufs.capabilities & V4L2_BUF_CAP_SUPPORTS_REMOVE_BUFS);

  /* CREATE_BUFS with count 0 validates the call and reports
   * max_num_buffers without allocating anything. */
  create.memory = V4L2_MEMORY_MMAP;
  create.format.type = type;
  if (xioctl (fd, VIDIOC_G_FMT, &create.format) < 0) {
    GST_WARNING ("%s: VIDIOC_G_FMT on queue %u failed: %s", path, type,
        g_strerror (errno));
    return;
  }
  if (xioctl (fd, VIDIOC_CREATE_BUFS, &create) < 0) {
    GST_INFO ("%s: VIDIOC_CREATE_BUFS(0) on queue %u failed: %s", path, type,
        g_strerror (errno));
    return;
  }
  q->create_bufs = TRUE;
  if (create.capabilities & V4L2_BUF_CAP_SUPPORTS_MAX_NUM_BUFFERS)
    q->max_num_buffers = create.max_num_buffers;
}

/**
 * gst_v4l2_elastic_probe_decoder:
 * @video_path: the decoder's video node
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): what the node can do, or %NULL with
 * @error set when it cannot be opened or is not a memory-to-memory device.
 */
GstV4l2ElasticDecoderCaps *
gst_v4l2_elastic_probe_decoder (const gchar *video_path, GError **error)
{
  struct v4l2_capability cap = { 0 };
  GstV4l2ElasticDecoderCaps *caps;
  guint32 device_caps, out_type, cap_type;
  guint i;
  gint fd;

  ensure_debug_category ();

  fd = open (video_path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    gint err = errno;

    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err),
        "cannot open %s: %s", video_path, g_strerror (err));
    return NULL;
  }

  if (xioctl (fd, VIDIOC_QUERYCAP, &cap) < 0) {
    gint err = errno;

    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err),
        "VIDIOC_QUERYCAP on %s failed: %s", video_path, g_strerror (err));
    close (fd);
    return NULL;
  }

  device_caps = (cap.capabilities & V4L2_CAP_DEVICE_CAPS) ? cap.device_caps
                                                          : cap.capabilities;
  if (device_caps & V4L2_CAP_VIDEO_M2M_MPLANE) {
    out_type = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
    cap_type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
  } else if (device_caps & V4L2_CAP_VIDEO_M2M) {
    out_type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
    cap_type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
  } else {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
        "%s is not a memory-to-memory device (caps 0x%08x)", video_path,
        device_caps);
    close (fd);
    return NULL;
  }

  caps = g_new0 (GstV4l2ElasticDecoderCaps, 1);
  caps->card = g_strndup ((const gchar *) cap.card, sizeof (cap.card));
  caps->driver = g_strndup ((const gchar *) cap.driver, sizeof (cap.driver));
  caps->multiplanar = out_type == V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
  caps->coded_formats = g_array_new (FALSE, FALSE, sizeof (guint32));

  for (i = 0;; i++) {
    struct v4l2_fmtdesc desc = { .index = i, .type = out_type };

    if (xioctl (fd, VIDIOC_ENUM_FMT, &desc) < 0)
      break;
    g_array_append_val (caps->coded_formats, desc.pixelformat);
  }

  probe_queue (fd, video_path, out_type, &caps->output);
  probe_queue (fd, video_path, cap_type, &caps->capture);
  caps->stateless =
      !!(caps->output.capabilities & V4L2_BUF_CAP_SUPPORTS_REQUESTS);

  close (fd);
  return caps;
}

void
gst_v4l2_elastic_decoder_caps_free (GstV4l2ElasticDecoderCaps *caps)
{
  if (!caps)
    return;
  g_free (caps->card);
  g_free (caps->driver);
  g_array_unref (caps->coded_formats);
  g_free (caps);
}

/**
 * gst_v4l2_elastic_fourcc_to_string:
 *
 * Returns: (transfer full): the four characters of @fourcc, trailing
 * spaces removed.
 */
gchar *
gst_v4l2_elastic_fourcc_to_string (guint32 fourcc)
{
  gchar s[5];
  guint i;

  for (i = 0; i < 4; i++) {
    gchar c = (fourcc >> (8 * i)) & 0xff;

    s[i] = g_ascii_isprint (c) ? c : '?';
  }
  s[4] = '\0';
  return g_strchomp (g_strdup (s));
}
