/* gst-v4l2-elastic
 *
 * The OUTPUT (bitstream) queue.  See gstv4l2outputqueue.h.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstv4l2outputqueue.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

GST_DEBUG_CATEGORY_STATIC (gst_v4l2_elastic_output_queue_debug);
#define GST_CAT_DEFAULT gst_v4l2_elastic_output_queue_debug

/* One decode in flight and one being filled is all a synchronous decoder
 * uses; more would only cost memory. */
#define MAX_OUTPUT_BUFFERS 4

typedef struct
{
  guint index;
  guint8 *data;
  gsize length;
} OutputBuffer;

struct _GstV4l2ElasticOutputQueue
{
  GstV4l2ElasticDevice *device;
  guint n_wanted;
  OutputBuffer bufs[MAX_OUTPUT_BUFFERS];
  guint n_bufs;
  guint next;
  gboolean streaming;
  guint growths;
};

GstV4l2ElasticOutputQueue *
gst_v4l2_elastic_output_queue_new (
    GstV4l2ElasticDevice *device, guint n_buffers)
{
  static gsize debug_once = 0;
  GstV4l2ElasticOutputQueue *self;

  if (g_once_init_enter (&debug_once)) {
    GST_DEBUG_CATEGORY_INIT (gst_v4l2_elastic_output_queue_debug,
        "v4l2elastic-output", 0, "V4L2 OUTPUT (bitstream) queue");
    g_once_init_leave (&debug_once, 1);
  }
  self = g_new0 (GstV4l2ElasticOutputQueue, 1);
  self->device = gst_object_ref (device);
  self->n_wanted = CLAMP (n_buffers, 1, MAX_OUTPUT_BUFFERS);
  return self;
}

static void
unmap_buffer (OutputBuffer *buf)
{
  if (buf->data)
    munmap (buf->data, buf->length);
  buf->data = NULL;
}

/* Every buffer unmapped and given back with REQBUFS(0); the queue must be
 * stopped. */
static void
release_all (GstV4l2ElasticOutputQueue *self)
{
  guint i, zero = 0;

  for (i = 0; i < self->n_bufs; i++)
    unmap_buffer (&self->bufs[i]);
  self->n_bufs = 0;
  self->next = 0;
  if (gst_v4l2_elastic_device_is_open (self->device))
    gst_v4l2_elastic_device_request_buffers (
        self->device, GST_V4L2_ELASTIC_QUEUE_OUTPUT, &zero);
}

void
gst_v4l2_elastic_output_queue_release (GstV4l2ElasticOutputQueue *self)
{
  gst_v4l2_elastic_output_queue_stream_off (self);
  release_all (self);
}

void
gst_v4l2_elastic_output_queue_free (GstV4l2ElasticOutputQueue *self)
{
  if (!self)
    return;
  gst_v4l2_elastic_output_queue_release (self);
  gst_object_unref (self->device);
  g_free (self);
}

/* The queue's format with room for frames of @size bytes: what
 * CREATE_BUFS (or S_FMT and REQBUFS) sizes new buffers by. */
static gboolean
format_for_size (
    GstV4l2ElasticOutputQueue *self, gsize size, struct v4l2_format *fmt)
{
  if (!gst_v4l2_elastic_device_get_format (
          self->device, GST_V4L2_ELASTIC_QUEUE_OUTPUT, fmt))
    return FALSE;
  if (V4L2_TYPE_IS_MULTIPLANAR (fmt->type))
    fmt->fmt.pix_mp.plane_fmt[0].sizeimage =
        MAX (fmt->fmt.pix_mp.plane_fmt[0].sizeimage, size);
  else
    fmt->fmt.pix.sizeimage = MAX (fmt->fmt.pix.sizeimage, size);
  return TRUE;
}

/* Maps buffers @first .. @first + @count - 1 into @into. */
static gboolean
map_buffers (GstV4l2ElasticOutputQueue *self, guint first, guint count,
    OutputBuffer *into)
{
  guint i;

  for (i = 0; i < count; i++) {
    GstV4l2ElasticBufferInfo info;

    into[i].index = first + i;
    into[i].data = NULL;
    if (!gst_v4l2_elastic_device_query_buffer (
            self->device, GST_V4L2_ELASTIC_QUEUE_OUTPUT, first + i, &info))
      return FALSE;
    into[i].length = info.length[0];
    into[i].data = gst_v4l2_elastic_device_map_buffer (self->device, &info, 0);
    if (!into[i].data)
      return FALSE;
  }
  return TRUE;
}

/* Allocates the buffers of an empty queue, each at least @size bytes.
 * CREATE_BUFS takes the size with it and needs no S_FMT (which some
 * drivers refuse while their CAPTURE queue is busy); REQBUFS takes the
 * size of the format. */
static gboolean
allocate (GstV4l2ElasticOutputQueue *self, gsize size)
{
  struct v4l2_format fmt;
  guint first = 0, count = self->n_wanted, i;

  if (!format_for_size (self, size, &fmt))
    return FALSE;
  if (self->device->output_caps.create_bufs) {
    if (!gst_v4l2_elastic_device_create_buffers (self->device,
            GST_V4L2_ELASTIC_QUEUE_OUTPUT, &fmt, count, &first, &count))
      return FALSE;
  } else {
    if (!gst_v4l2_elastic_device_set_format (
            self->device, GST_V4L2_ELASTIC_QUEUE_OUTPUT, &fmt) ||
        !gst_v4l2_elastic_device_request_buffers (
            self->device, GST_V4L2_ELASTIC_QUEUE_OUTPUT, &count))
      return FALSE;
  }
  count = MIN (count, MAX_OUTPUT_BUFFERS);
  if (count == 0) {
    errno = ENOBUFS;
    return FALSE;
  }
  self->n_bufs = count;
  self->next = 0;
  if (!map_buffers (self, first, count, self->bufs))
    goto failed;
  for (i = 0; i < count; i++)
    if (self->bufs[i].length < size) {
      GST_ERROR ("the driver gives OUTPUT buffers of %" G_GSIZE_FORMAT
                 " bytes, %" G_GSIZE_FORMAT " needed",
          self->bufs[i].length, size);
      errno = ENOSPC;
      goto failed;
    }
  GST_DEBUG ("%u OUTPUT buffers of %" G_GSIZE_FORMAT " bytes", count,
      self->bufs[0].length);
  return TRUE;

failed : {
  gint err = errno;

  release_all (self);
  errno = err;
  return FALSE;
}
}

/* Grows a queue in use while it streams: new buffers first, then the old
 * ones removed, so that a failure leaves the old ones usable. */
static gboolean
grow_while_streaming (GstV4l2ElasticOutputQueue *self, gsize size)
{
  OutputBuffer fresh[MAX_OUTPUT_BUFFERS] = { 0 };
  struct v4l2_format fmt;
  guint first, count = self->n_bufs, i;

  if (!format_for_size (self, size, &fmt))
    return FALSE;
  if (!gst_v4l2_elastic_device_create_buffers (self->device,
          GST_V4L2_ELASTIC_QUEUE_OUTPUT, &fmt, count, &first, &count))
    return FALSE;
  if (!map_buffers (self, first, count, fresh) || fresh[0].length < size) {
    gint err = errno ? errno : ENOSPC;

    for (i = 0; i < count; i++)
      unmap_buffer (&fresh[i]);
    gst_v4l2_elastic_device_remove_buffers (
        self->device, GST_V4L2_ELASTIC_QUEUE_OUTPUT, first, count);
    errno = err;
    return FALSE;
  }
  for (i = 0; i < self->n_bufs; i++) {
    unmap_buffer (&self->bufs[i]);
    gst_v4l2_elastic_device_remove_buffers (
        self->device, GST_V4L2_ELASTIC_QUEUE_OUTPUT, self->bufs[i].index, 1);
  }
  memcpy (self->bufs, fresh, sizeof (OutputBuffer) * count);
  self->n_bufs = count;
  self->next = 0;
  return TRUE;
}

/**
 * gst_v4l2_elastic_output_queue_reserve:
 *
 * Makes every buffer hold at least @size bytes: allocates the queue the
 * first time, grows it between two frames later.  Nothing may be queued
 * on it (the decoder is synchronous: between frames nothing is).
 */
gboolean
gst_v4l2_elastic_output_queue_reserve (
    GstV4l2ElasticOutputQueue *self, gsize size)
{
  gboolean was_streaming = self->streaming;
  GstV4l2ElasticQueueCaps *caps = &self->device->output_caps;
  guint i;

  if (self->n_bufs > 0) {
    for (i = 0; i < self->n_bufs; i++)
      if (self->bufs[i].length < size)
        break;
    if (i == self->n_bufs)
      return TRUE;
  }
  if (self->n_bufs == 0)
    return allocate (self, size);

  /* Some headroom, so that a stream whose frames grow slowly does not
   * reallocate at every frame. */
  size += size / 4;
  self->growths++;
  GST_INFO ("growing the OUTPUT buffers from %" G_GSIZE_FORMAT
            " to %" G_GSIZE_FORMAT " bytes",
      self->bufs[0].length, size);
  if (caps->create_bufs && caps->remove_bufs &&
      grow_while_streaming (self, size))
    return TRUE;

  /* Only the OUTPUT queue restarts: CAPTURE and its references stay. */
  gst_v4l2_elastic_output_queue_stream_off (self);
  release_all (self);
  if (!allocate (self, size))
    return FALSE;
  return !was_streaming || gst_v4l2_elastic_output_queue_stream_on (self);
}

/**
 * gst_v4l2_elastic_output_queue_write:
 * @index: (out): the buffer to queue
 *
 * Copies one frame's bitstream into the next buffer, growing the queue
 * first when the frame does not fit.
 */
gboolean
gst_v4l2_elastic_output_queue_write (GstV4l2ElasticOutputQueue *self,
    const guint8 *data, gsize size, guint *index)
{
  OutputBuffer *buf;

  if (!gst_v4l2_elastic_output_queue_reserve (self, size))
    return FALSE;
  buf = &self->bufs[self->next];
  self->next = (self->next + 1) % self->n_bufs;
  memcpy (buf->data, data, size);
  *index = buf->index;
  return TRUE;
}

gboolean
gst_v4l2_elastic_output_queue_stream_on (GstV4l2ElasticOutputQueue *self)
{
  if (self->streaming)
    return TRUE;
  if (!gst_v4l2_elastic_device_stream_on (
          self->device, GST_V4L2_ELASTIC_QUEUE_OUTPUT))
    return FALSE;
  self->streaming = TRUE;
  return TRUE;
}

void
gst_v4l2_elastic_output_queue_stream_off (GstV4l2ElasticOutputQueue *self)
{
  if (!self->streaming)
    return;
  if (gst_v4l2_elastic_device_is_open (self->device))
    gst_v4l2_elastic_device_stream_off (
        self->device, GST_V4L2_ELASTIC_QUEUE_OUTPUT);
  self->streaming = FALSE;
}

gsize
gst_v4l2_elastic_output_queue_buffer_size (GstV4l2ElasticOutputQueue *self)
{
  return self->n_bufs ? self->bufs[0].length : 0;
}

guint
gst_v4l2_elastic_output_queue_growths (GstV4l2ElasticOutputQueue *self)
{
  return self->growths;
}
