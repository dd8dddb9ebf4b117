/* gst-v4l2-elastic
 *
 * Media request pool.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstv4l2request.h"

#include <errno.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/media.h>

GST_DEBUG_CATEGORY_STATIC (gst_v4l2_elastic_request_debug);
#define GST_CAT_DEFAULT gst_v4l2_elastic_request_debug

struct _GstV4l2ElasticRequestPool
{
  GstV4l2ElasticDevice *device;
  GQueue free;
  guint allocated;
};

GstV4l2ElasticRequestPool *
gst_v4l2_elastic_request_pool_new (GstV4l2ElasticDevice *device)
{
  GstV4l2ElasticRequestPool *pool = g_new0 (GstV4l2ElasticRequestPool, 1);
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (gst_v4l2_elastic_request_debug,
        "v4l2elastic-request", 0, "V4L2 media requests");
    g_once_init_leave (&once, 1);
  }
  pool->device = gst_object_ref (device);
  g_queue_init (&pool->free);
  return pool;
}

static void
request_free (GstV4l2ElasticRequest *request)
{
  close (request->fd);
  g_free (request);
}

/**
 * gst_v4l2_elastic_request_pool_free:
 *
 * Every request must have been released.
 */
void
gst_v4l2_elastic_request_pool_free (GstV4l2ElasticRequestPool *pool)
{
  if (!pool)
    return;
  g_warn_if_fail (g_queue_get_length (&pool->free) == pool->allocated);
  g_queue_clear_full (&pool->free, (GDestroyNotify) request_free);
  gst_object_unref (pool->device);
  g_free (pool);
}

guint
gst_v4l2_elastic_request_pool_size (GstV4l2ElasticRequestPool *pool)
{
  return pool->allocated;
}

GstV4l2ElasticRequest *
gst_v4l2_elastic_request_pool_acquire (GstV4l2ElasticRequestPool *pool)
{
  GstV4l2ElasticRequest *request = g_queue_pop_head (&pool->free);
  gint fd;

  if (request)
    return request;

  fd = gst_v4l2_elastic_device_alloc_request (pool->device);
  if (fd < 0)
    return NULL;
  request = g_new0 (GstV4l2ElasticRequest, 1);
  request->fd = fd;
  pool->allocated++;
  GST_DEBUG ("allocated request fd %d (%u in all)", fd, pool->allocated);
  return request;
}

/**
 * gst_v4l2_elastic_request_pool_release:
 *
 * Re-initialises the request (unbinding its controls and any buffer) and
 * keeps it for reuse.  A request the kernel refuses to re-initialise is
 * closed instead.
 */
void
gst_v4l2_elastic_request_pool_release (
    GstV4l2ElasticRequestPool *pool, GstV4l2ElasticRequest *request)
{
  if (ioctl (request->fd, MEDIA_REQUEST_IOC_REINIT, NULL) < 0) {
    GST_WARNING ("MEDIA_REQUEST_IOC_REINIT on fd %d failed: %s", request->fd,
        g_strerror (errno));
    request_free (request);
    pool->allocated--;
    return;
  }
  request->queued = FALSE;
  g_queue_push_head (&pool->free, request);
}

gboolean
gst_v4l2_elastic_request_queue (GstV4l2ElasticRequest *request)
{
  if (ioctl (request->fd, MEDIA_REQUEST_IOC_QUEUE, NULL) < 0) {
    GST_ERROR ("MEDIA_REQUEST_IOC_QUEUE on fd %d failed: %s", request->fd,
        g_strerror (errno));
    return FALSE;
  }
  request->queued = TRUE;
  return TRUE;
}

/**
 * gst_v4l2_elastic_request_wait:
 *
 * Waits until the driver completed the request (POLLPRI).
 *
 * Returns: > 0 when complete, 0 on timeout, < 0 on error.
 */
gint
gst_v4l2_elastic_request_wait (GstV4l2ElasticRequest *request, gint timeout_ms)
{
  struct pollfd pfd = { 0 };
  gint ret;

  pfd.fd = request->fd;
  pfd.events = POLLPRI;
  do
    ret = poll (&pfd, 1, timeout_ms);
  while (ret < 0 && errno == EINTR);
  if (ret < 0)
    GST_ERROR (
        "poll on request fd %d failed: %s", request->fd, g_strerror (errno));
  return ret;
}
