/* gst-v4l2-elastic
 *
 * One open stateless decoder: thin, logged wrappers around the ioctls of
 * its video node and media node.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstv4l2device.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/media.h>

GST_DEBUG_CATEGORY_STATIC (gst_v4l2_elastic_device_debug);
#define GST_CAT_DEFAULT gst_v4l2_elastic_device_debug

G_DEFINE_TYPE_WITH_CODE (GstV4l2ElasticDevice, gst_v4l2_elastic_device,
    GST_TYPE_OBJECT,
    GST_DEBUG_CATEGORY_INIT (gst_v4l2_elastic_device_debug,
        "v4l2elastic-device", 0, "V4L2 stateless decoder device"));

static const gchar *
queue_name (GstV4l2ElasticQueue queue)
{
  return queue == GST_V4L2_ELASTIC_QUEUE_OUTPUT ? "OUTPUT" : "CAPTURE";
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

/* Log a failed ioctl at a level fit for the errno, keeping errno. */
#define LOG_IOCTL_FAILURE(self, level, what, queue)                            \
  G_STMT_START                                                                 \
  {                                                                            \
    gint err_ = errno;                                                         \
    GST_CAT_LEVEL_LOG (GST_CAT_DEFAULT, level, self, "%s on %s failed: %s",    \
        what, queue_name (queue), g_strerror (err_));                          \
    errno = err_;                                                              \
  }                                                                            \
  G_STMT_END

static void
gst_v4l2_elastic_device_finalize (GObject *object)
{
  GstV4l2ElasticDevice *self = GST_V4L2_ELASTIC_DEVICE (object);

  gst_v4l2_elastic_device_close (self);
  g_free (self->media_path);
  g_free (self->video_path);
  G_OBJECT_CLASS (gst_v4l2_elastic_device_parent_class)->finalize (object);
}

static void
gst_v4l2_elastic_device_class_init (GstV4l2ElasticDeviceClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = gst_v4l2_elastic_device_finalize;
}

static void
gst_v4l2_elastic_device_init (GstV4l2ElasticDevice *self)
{
  self->media_fd = -1;
  self->video_fd = -1;
}

GstV4l2ElasticDevice *
gst_v4l2_elastic_device_new (const gchar *media_path, const gchar *video_path)
{
  GstV4l2ElasticDevice *self =
      g_object_new (GST_TYPE_V4L2_ELASTIC_DEVICE, NULL);

  gst_object_ref_sink (self);
  self->media_path = g_strdup (media_path);
  self->video_path = g_strdup (video_path);
  return self;
}

gboolean
gst_v4l2_elastic_device_is_open (GstV4l2ElasticDevice *self)
{
  return self->video_fd >= 0;
}

/**
 * gst_v4l2_elastic_device_open:
 *
 * Opens both nodes and probes the queues' buffer capabilities.
 */
gboolean
gst_v4l2_elastic_device_open (GstV4l2ElasticDevice *self, GError **error)
{
  GstV4l2ElasticDecoderCaps *caps;
  gint err;

  if (gst_v4l2_elastic_device_is_open (self))
    return TRUE;

  caps = gst_v4l2_elastic_probe_decoder (self->video_path, error);
  if (!caps)
    return FALSE;
  self->mplane = caps->multiplanar;
  self->output_caps = caps->output;
  self->capture_caps = caps->capture;
  gst_v4l2_elastic_decoder_caps_free (caps);

  self->output_type = self->mplane ? V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE
                                   : V4L2_BUF_TYPE_VIDEO_OUTPUT;
  self->capture_type = self->mplane ? V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE
                                    : V4L2_BUF_TYPE_VIDEO_CAPTURE;

  self->video_fd = open (self->video_path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (self->video_fd < 0) {
    err = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err),
        "cannot open %s: %s", self->video_path, g_strerror (err));
    return FALSE;
  }

  self->media_fd = open (self->media_path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (self->media_fd < 0) {
    err = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err),
        "cannot open %s: %s", self->media_path, g_strerror (err));
    close (self->video_fd);
    self->video_fd = -1;
    return FALSE;
  }

  GST_INFO_OBJECT (self, "opened %s (%s-planar) and %s", self->video_path,
      self->mplane ? "multi" : "single", self->media_path);
  return TRUE;
}

void
gst_v4l2_elastic_device_close (GstV4l2ElasticDevice *self)
{
  if (self->video_fd >= 0)
    close (self->video_fd);
  if (self->media_fd >= 0)
    close (self->media_fd);
  self->video_fd = -1;
  self->media_fd = -1;
}

guint32
gst_v4l2_elastic_device_queue_type (
    GstV4l2ElasticDevice *self, GstV4l2ElasticQueue queue)
{
  return queue == GST_V4L2_ELASTIC_QUEUE_OUTPUT ? self->output_type
                                                : self->capture_type;
}

/* ------------------------------------------------------------------ */
/* Formats                                                             */

/**
 * gst_v4l2_elastic_device_enum_formats:
 *
 * Returns: (transfer full): the fourccs the queue offers now (the CAPTURE
 * list depends on the OUTPUT format).
 */
GArray *
gst_v4l2_elastic_device_enum_formats (
    GstV4l2ElasticDevice *self, GstV4l2ElasticQueue queue)
{
  GArray *fourccs = g_array_new (FALSE, FALSE, sizeof (guint32));
  guint i;

  for (i = 0;; i++) {
    struct v4l2_fmtdesc desc = { 0 };

    desc.index = i;
    desc.type = gst_v4l2_elastic_device_queue_type (self, queue);
    if (xioctl (self->video_fd, VIDIOC_ENUM_FMT, &desc) < 0)
      break;
    g_array_append_val (fourccs, desc.pixelformat);
  }
  return fourccs;
}

gboolean
gst_v4l2_elastic_device_enum_framesizes (GstV4l2ElasticDevice *self,
    guint32 fourcc, guint *min_w, guint *max_w, guint *min_h, guint *max_h)
{
  struct v4l2_frmsizeenum size = { 0 };

  size.pixel_format = fourcc;
  if (xioctl (self->video_fd, VIDIOC_ENUM_FRAMESIZES, &size) < 0) {
    GST_DEBUG_OBJECT (
        self, "VIDIOC_ENUM_FRAMESIZES failed: %s", g_strerror (errno));
    return FALSE;
  }

  if (size.type == V4L2_FRMSIZE_TYPE_DISCRETE) {
    *min_w = *max_w = size.discrete.width;
    *min_h = *max_h = size.discrete.height;
  } else {
    *min_w = size.stepwise.min_width;
    *max_w = size.stepwise.max_width;
    *min_h = size.stepwise.min_height;
    *max_h = size.stepwise.max_height;
  }
  return TRUE;
}

void
gst_v4l2_elastic_device_format_init (GstV4l2ElasticDevice *self,
    GstV4l2ElasticQueue queue, struct v4l2_format *fmt, guint32 fourcc,
    guint width, guint height, guint32 sizeimage)
{
  memset (fmt, 0, sizeof (*fmt));
  fmt->type = gst_v4l2_elastic_device_queue_type (self, queue);
  if (self->mplane) {
    fmt->fmt.pix_mp.pixelformat = fourcc;
    fmt->fmt.pix_mp.width = width;
    fmt->fmt.pix_mp.height = height;
    fmt->fmt.pix_mp.num_planes = 1;
    fmt->fmt.pix_mp.plane_fmt[0].sizeimage = sizeimage;
  } else {
    fmt->fmt.pix.pixelformat = fourcc;
    fmt->fmt.pix.width = width;
    fmt->fmt.pix.height = height;
    fmt->fmt.pix.sizeimage = sizeimage;
  }
}

gboolean
gst_v4l2_elastic_device_get_format (GstV4l2ElasticDevice *self,
    GstV4l2ElasticQueue queue, struct v4l2_format *fmt)
{
  memset (fmt, 0, sizeof (*fmt));
  fmt->type = gst_v4l2_elastic_device_queue_type (self, queue);
  if (xioctl (self->video_fd, VIDIOC_G_FMT, fmt) < 0) {
    LOG_IOCTL_FAILURE (self, GST_LEVEL_ERROR, "VIDIOC_G_FMT", queue);
    return FALSE;
  }
  return TRUE;
}

gboolean
gst_v4l2_elastic_device_set_format (GstV4l2ElasticDevice *self,
    GstV4l2ElasticQueue queue, struct v4l2_format *fmt)
{
  if (xioctl (self->video_fd, VIDIOC_S_FMT, fmt) < 0) {
    /* EBUSY is an answer, not an error: the caller may take another
     * path to change the format. */
    LOG_IOCTL_FAILURE (self, errno == EBUSY ? GST_LEVEL_INFO : GST_LEVEL_ERROR,
        "VIDIOC_S_FMT", queue);
    return FALSE;
  }
  return TRUE;
}

gboolean
gst_v4l2_elastic_device_try_format (GstV4l2ElasticDevice *self,
    GstV4l2ElasticQueue queue, struct v4l2_format *fmt)
{
  if (xioctl (self->video_fd, VIDIOC_TRY_FMT, fmt) < 0) {
    LOG_IOCTL_FAILURE (self, GST_LEVEL_DEBUG, "VIDIOC_TRY_FMT", queue);
    return FALSE;
  }
  return TRUE;
}

gsize
gst_v4l2_elastic_format_total_size (const struct v4l2_format *fmt)
{
  gsize size = 0;
  guint i;

  if (!V4L2_TYPE_IS_MULTIPLANAR (fmt->type))
    return fmt->fmt.pix.sizeimage;
  for (i = 0; i < fmt->fmt.pix_mp.num_planes; i++)
    size += fmt->fmt.pix_mp.plane_fmt[i].sizeimage;
  return size;
}

static const struct
{
  guint32 fourcc;
  GstVideoFormat format;
} format_map[] = {
  { V4L2_PIX_FMT_YUV420, GST_VIDEO_FORMAT_I420 },
  { V4L2_PIX_FMT_YVU420, GST_VIDEO_FORMAT_YV12 },
  { V4L2_PIX_FMT_NV12, GST_VIDEO_FORMAT_NV12 },
  { V4L2_PIX_FMT_NV21, GST_VIDEO_FORMAT_NV21 },
  { V4L2_PIX_FMT_YUV422P, GST_VIDEO_FORMAT_Y42B },
  { V4L2_PIX_FMT_NV16, GST_VIDEO_FORMAT_NV16 },
  { V4L2_PIX_FMT_NV61, GST_VIDEO_FORMAT_NV61 },
  { V4L2_PIX_FMT_YUYV, GST_VIDEO_FORMAT_YUY2 },
  { V4L2_PIX_FMT_YVYU, GST_VIDEO_FORMAT_YVYU },
  { V4L2_PIX_FMT_UYVY, GST_VIDEO_FORMAT_UYVY },
  { V4L2_PIX_FMT_GREY, GST_VIDEO_FORMAT_GRAY8 },
  { V4L2_PIX_FMT_RGB24, GST_VIDEO_FORMAT_RGB },
  { V4L2_PIX_FMT_BGR24, GST_VIDEO_FORMAT_BGR },
  { V4L2_PIX_FMT_P010, GST_VIDEO_FORMAT_P010_10LE },
};

GstVideoFormat
gst_v4l2_elastic_fourcc_to_video_format (guint32 fourcc)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (format_map); i++)
    if (format_map[i].fourcc == fourcc)
      return format_map[i].format;
  return GST_VIDEO_FORMAT_UNKNOWN;
}

guint32
gst_v4l2_elastic_video_format_to_fourcc (GstVideoFormat format)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (format_map); i++)
    if (format_map[i].format == format)
      return format_map[i].fourcc;
  return 0;
}

/**
 * gst_v4l2_elastic_format_to_video_info:
 *
 * Describes a CAPTURE format as a #GstVideoInfo with the driver's strides
 * and plane offsets (single-buffer layouts only: one memory plane).
 */
gboolean
gst_v4l2_elastic_format_to_video_info (
    const struct v4l2_format *fmt, GstVideoInfo *info)
{
  GstVideoFormat vformat;
  guint32 fourcc, width, height, stride, sizeimage;
  guint p;
  gsize offset = 0;

  if (V4L2_TYPE_IS_MULTIPLANAR (fmt->type)) {
    if (fmt->fmt.pix_mp.num_planes != 1)
      return FALSE;
    fourcc = fmt->fmt.pix_mp.pixelformat;
    width = fmt->fmt.pix_mp.width;
    height = fmt->fmt.pix_mp.height;
    stride = fmt->fmt.pix_mp.plane_fmt[0].bytesperline;
    sizeimage = fmt->fmt.pix_mp.plane_fmt[0].sizeimage;
  } else {
    fourcc = fmt->fmt.pix.pixelformat;
    width = fmt->fmt.pix.width;
    height = fmt->fmt.pix.height;
    stride = fmt->fmt.pix.bytesperline;
    sizeimage = fmt->fmt.pix.sizeimage;
  }

  vformat = gst_v4l2_elastic_fourcc_to_video_format (fourcc);
  if (vformat == GST_VIDEO_FORMAT_UNKNOWN)
    return FALSE;
  if (!gst_video_info_set_format (info, vformat, width, height))
    return FALSE;

  /* V4L2 single-buffer formats: planes follow each other, the chroma
   * strides derived from the luma stride, the heights from the (possibly
   * padded) height the driver reported. */
  for (p = 0; p < GST_VIDEO_INFO_N_PLANES (info); p++) {
    const GstVideoFormatInfo *finfo = info->finfo;
    /* Plane p holds component p first (Y, U or UV, V) for every format
     * of the map above; subsampling is the same for U and V. */
    guint comp = p;
    guint pstride, pheight;

    /* Bytes per line of plane p: the luma stride scaled by the plane's
     * pixel stride and its horizontal subsampling (I420 chroma: half,
     * NV12 interleaved chroma: same as luma). */
    pstride = ((guint64) stride * GST_VIDEO_FORMAT_INFO_PSTRIDE (finfo, comp) /
                  GST_VIDEO_FORMAT_INFO_PSTRIDE (finfo, 0)) >>
        GST_VIDEO_FORMAT_INFO_W_SUB (finfo, comp);
    pheight = GST_VIDEO_FORMAT_INFO_SCALE_HEIGHT (finfo, comp, height);
    info->stride[p] = pstride;
    info->offset[p] = offset;
    offset += (gsize) pstride * pheight;
  }
  info->size = MAX (offset, sizeimage);
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Controls                                                            */

gboolean
gst_v4l2_elastic_device_query_control (
    GstV4l2ElasticDevice *self, guint32 id, struct v4l2_query_ext_ctrl *query)
{
  memset (query, 0, sizeof (*query));
  query->id = id;
  if (xioctl (self->video_fd, VIDIOC_QUERY_EXT_CTRL, query) < 0) {
    GST_DEBUG_OBJECT (self, "VIDIOC_QUERY_EXT_CTRL 0x%08x failed: %s", id,
        g_strerror (errno));
    return FALSE;
  }
  return TRUE;
}

/**
 * gst_v4l2_elastic_device_check_control_size:
 *
 * The ABI check made before a codec is offered: the driver has the
 * control and its element size is the size of our structure.
 */
gboolean
gst_v4l2_elastic_device_check_control_size (
    GstV4l2ElasticDevice *self, guint32 id, gsize size, const gchar *name)
{
  struct v4l2_query_ext_ctrl query;

  if (!gst_v4l2_elastic_device_query_control (self, id, &query)) {
    GST_INFO_OBJECT (self, "%s: no %s control", self->video_path, name);
    return FALSE;
  }
  if (query.elem_size != size) {
    GST_WARNING_OBJECT (self,
        "%s: %s control is %u bytes, we know %" G_GSIZE_FORMAT,
        self->video_path, name, query.elem_size, size);
    return FALSE;
  }
  return TRUE;
}

/**
 * gst_v4l2_elastic_device_set_controls:
 * @request_fd: the media request the values belong to, or -1 for the
 *   current values
 */
gboolean
gst_v4l2_elastic_device_set_controls (GstV4l2ElasticDevice *self,
    gint request_fd, struct v4l2_ext_control *controls, guint count)
{
  struct v4l2_ext_controls ctrls = { 0 };

  ctrls.count = count;
  ctrls.controls = controls;
  if (request_fd >= 0) {
    ctrls.which = V4L2_CTRL_WHICH_REQUEST_VAL;
    ctrls.request_fd = request_fd;
  }
  if (xioctl (self->video_fd, VIDIOC_S_EXT_CTRLS, &ctrls) < 0) {
    gint err = errno;

    GST_ERROR_OBJECT (self,
        "VIDIOC_S_EXT_CTRLS (%u controls, error at %u) "
        "failed: %s",
        count, ctrls.error_idx, g_strerror (err));
    errno = err;
    return FALSE;
  }
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Buffers                                                             */

/**
 * gst_v4l2_elastic_device_request_buffers:
 * @count: (inout): wanted, then allocated; 0 frees every buffer (memory
 *   still exported or mapped lives on where the driver has orphaned
 *   buffers)
 */
gboolean
gst_v4l2_elastic_device_request_buffers (
    GstV4l2ElasticDevice *self, GstV4l2ElasticQueue queue, guint *count)
{
  struct v4l2_requestbuffers req = { 0 };

  req.count = *count;
  req.type = gst_v4l2_elastic_device_queue_type (self, queue);
  req.memory = V4L2_MEMORY_MMAP;
  if (xioctl (self->video_fd, VIDIOC_REQBUFS, &req) < 0) {
    LOG_IOCTL_FAILURE (self, GST_LEVEL_ERROR, "VIDIOC_REQBUFS", queue);
    return FALSE;
  }
  GST_DEBUG_OBJECT (
      self, "REQBUFS(%u) on %s: %u", *count, queue_name (queue), req.count);
  *count = req.count;
  return TRUE;
}

/**
 * gst_v4l2_elastic_device_create_buffers:
 * @fmt: the format the buffers are sized for
 * @index: (out): first index created
 * @created: (out): how many were created (the kernel may give fewer)
 *
 * On failure errno tells why: ENOBUFS at the queue's max_num_buffers,
 * ENOMEM when memory ran out.
 */
gboolean
gst_v4l2_elastic_device_create_buffers (GstV4l2ElasticDevice *self,
    GstV4l2ElasticQueue queue, const struct v4l2_format *fmt, guint count,
    guint *index, guint *created)
{
  struct gst_v4l2_elastic_create_buffers create = { 0 };

  create.count = count;
  create.memory = V4L2_MEMORY_MMAP;
  create.format = *fmt;
  if (xioctl (self->video_fd, VIDIOC_CREATE_BUFS, &create) < 0) {
    LOG_IOCTL_FAILURE (self,
        errno == ENOBUFS || errno == ENOMEM ? GST_LEVEL_WARNING
                                            : GST_LEVEL_ERROR,
        "VIDIOC_CREATE_BUFS", queue);
    return FALSE;
  }
  if (create.count == 0 && count > 0) {
    GST_WARNING_OBJECT (
        self, "VIDIOC_CREATE_BUFS on %s created nothing", queue_name (queue));
    errno = ENOBUFS;
    return FALSE;
  }
  GST_DEBUG_OBJECT (self, "CREATE_BUFS(%u) on %s: %u at index %u", count,
      queue_name (queue), create.count, create.index);
  *index = create.index;
  *created = create.count;
  return TRUE;
}

/**
 * gst_v4l2_elastic_device_remove_buffers:
 *
 * Frees buffers @index .. @index + @count - 1 (all or nothing).  errno is
 * EBUSY if one is still queued, EINVAL for a hole, ENOTTY without kernel
 * support.
 */
gboolean
gst_v4l2_elastic_device_remove_buffers (GstV4l2ElasticDevice *self,
    GstV4l2ElasticQueue queue, guint index, guint count)
{
  struct v4l2_remove_buffers remove = { 0 };

  remove.index = index;
  remove.count = count;
  remove.type = gst_v4l2_elastic_device_queue_type (self, queue);
  if (xioctl (self->video_fd, VIDIOC_REMOVE_BUFS, &remove) < 0) {
    LOG_IOCTL_FAILURE (self, GST_LEVEL_ERROR, "VIDIOC_REMOVE_BUFS", queue);
    return FALSE;
  }
  GST_DEBUG_OBJECT (self, "REMOVE_BUFS %u..%u on %s", index, index + count - 1,
      queue_name (queue));
  return TRUE;
}

static void
buffer_info_from_v4l2 (GstV4l2ElasticDevice *self,
    const struct v4l2_buffer *buf, const struct v4l2_plane *planes,
    GstV4l2ElasticBufferInfo *info)
{
  guint i;

  memset (info, 0, sizeof (*info));
  info->index = buf->index;
  info->flags = buf->flags;
  info->sequence = buf->sequence;
  info->timestamp_ns =
      (guint64) buf->timestamp.tv_sec * G_GUINT64_CONSTANT (1000000000) +
      (guint64) buf->timestamp.tv_usec * 1000;
  if (self->mplane) {
    info->n_planes = buf->length;
    for (i = 0; i < buf->length && i < VIDEO_MAX_PLANES; i++) {
      info->bytesused[i] = planes[i].bytesused;
      info->length[i] = planes[i].length;
      info->mem_offset[i] = planes[i].m.mem_offset;
    }
  } else {
    info->n_planes = 1;
    info->bytesused[0] = buf->bytesused;
    info->length[0] = buf->length;
    info->mem_offset[0] = buf->m.offset;
  }
}

gboolean
gst_v4l2_elastic_device_query_buffer (GstV4l2ElasticDevice *self,
    GstV4l2ElasticQueue queue, guint index, GstV4l2ElasticBufferInfo *info)
{
  struct v4l2_plane planes[VIDEO_MAX_PLANES] = { 0 };
  struct v4l2_buffer buf = { 0 };

  buf.index = index;
  buf.type = gst_v4l2_elastic_device_queue_type (self, queue);
  buf.memory = V4L2_MEMORY_MMAP;
  if (self->mplane) {
    buf.length = VIDEO_MAX_PLANES;
    buf.m.planes = planes;
  }
  if (xioctl (self->video_fd, VIDIOC_QUERYBUF, &buf) < 0) {
    LOG_IOCTL_FAILURE (self, GST_LEVEL_DEBUG, "VIDIOC_QUERYBUF", queue);
    return FALSE;
  }
  buffer_info_from_v4l2 (self, &buf, planes, info);
  return TRUE;
}

/**
 * gst_v4l2_elastic_device_export_buffer:
 *
 * Returns: a new DMABuf fd for one plane of a buffer, or -1.
 */
gint
gst_v4l2_elastic_device_export_buffer (GstV4l2ElasticDevice *self,
    GstV4l2ElasticQueue queue, guint index, guint plane)
{
  struct v4l2_exportbuffer expbuf = { 0 };

  expbuf.type = gst_v4l2_elastic_device_queue_type (self, queue);
  expbuf.index = index;
  expbuf.plane = plane;
  expbuf.flags = O_CLOEXEC | O_RDWR;
  if (xioctl (self->video_fd, VIDIOC_EXPBUF, &expbuf) < 0) {
    LOG_IOCTL_FAILURE (self, GST_LEVEL_ERROR, "VIDIOC_EXPBUF", queue);
    return -1;
  }
  return expbuf.fd;
}

/**
 * gst_v4l2_elastic_device_queue_buffer:
 * @request_fd: the media request to bind the buffer to, or -1
 */
gboolean
gst_v4l2_elastic_device_queue_buffer (GstV4l2ElasticDevice *self,
    GstV4l2ElasticQueue queue, guint index, guint64 timestamp_ns,
    const guint32 *bytesused, guint n_planes, gint request_fd, guint32 flags)
{
  struct v4l2_plane planes[VIDEO_MAX_PLANES] = { 0 };
  struct v4l2_buffer buf = { 0 };
  guint i;

  buf.index = index;
  buf.type = gst_v4l2_elastic_device_queue_type (self, queue);
  buf.memory = V4L2_MEMORY_MMAP;
  buf.flags = flags;
  buf.field = V4L2_FIELD_NONE;
  buf.timestamp.tv_sec = timestamp_ns / G_GUINT64_CONSTANT (1000000000);
  buf.timestamp.tv_usec =
      (timestamp_ns % G_GUINT64_CONSTANT (1000000000)) / 1000;
  if (request_fd >= 0) {
    buf.flags |= V4L2_BUF_FLAG_REQUEST_FD;
    buf.request_fd = request_fd;
  }
  if (self->mplane) {
    buf.length = MAX (n_planes, 1);
    buf.m.planes = planes;
    for (i = 0; i < n_planes && bytesused; i++)
      planes[i].bytesused = bytesused[i];
  } else if (bytesused) {
    buf.bytesused = bytesused[0];
  }

  if (xioctl (self->video_fd, VIDIOC_QBUF, &buf) < 0) {
    LOG_IOCTL_FAILURE (self, GST_LEVEL_ERROR, "VIDIOC_QBUF", queue);
    return FALSE;
  }
  return TRUE;
}

/**
 * gst_v4l2_elastic_device_dequeue_buffer:
 *
 * Non-blocking: errno is EAGAIN when nothing is ready.
 */
gboolean
gst_v4l2_elastic_device_dequeue_buffer (GstV4l2ElasticDevice *self,
    GstV4l2ElasticQueue queue, GstV4l2ElasticBufferInfo *info)
{
  struct v4l2_plane planes[VIDEO_MAX_PLANES] = { 0 };
  struct v4l2_buffer buf = { 0 };

  buf.type = gst_v4l2_elastic_device_queue_type (self, queue);
  buf.memory = V4L2_MEMORY_MMAP;
  if (self->mplane) {
    buf.length = VIDEO_MAX_PLANES;
    buf.m.planes = planes;
  }
  if (xioctl (self->video_fd, VIDIOC_DQBUF, &buf) < 0) {
    if (errno != EAGAIN)
      LOG_IOCTL_FAILURE (self, GST_LEVEL_ERROR, "VIDIOC_DQBUF", queue);
    return FALSE;
  }
  buffer_info_from_v4l2 (self, &buf, planes, info);
  return TRUE;
}

gboolean
gst_v4l2_elastic_device_stream_on (
    GstV4l2ElasticDevice *self, GstV4l2ElasticQueue queue)
{
  guint32 type = gst_v4l2_elastic_device_queue_type (self, queue);

  if (xioctl (self->video_fd, VIDIOC_STREAMON, &type) < 0) {
    LOG_IOCTL_FAILURE (self, GST_LEVEL_ERROR, "VIDIOC_STREAMON", queue);
    return FALSE;
  }
  GST_DEBUG_OBJECT (self, "STREAMON %s", queue_name (queue));
  return TRUE;
}

gboolean
gst_v4l2_elastic_device_stream_off (
    GstV4l2ElasticDevice *self, GstV4l2ElasticQueue queue)
{
  guint32 type = gst_v4l2_elastic_device_queue_type (self, queue);

  if (xioctl (self->video_fd, VIDIOC_STREAMOFF, &type) < 0) {
    LOG_IOCTL_FAILURE (self, GST_LEVEL_ERROR, "VIDIOC_STREAMOFF", queue);
    return FALSE;
  }
  GST_DEBUG_OBJECT (self, "STREAMOFF %s", queue_name (queue));
  return TRUE;
}

/**
 * gst_v4l2_elastic_device_poll:
 *
 * Waits until a buffer can be dequeued on either queue.
 *
 * Returns: > 0 when ready, 0 on timeout, < 0 on error (errno set).
 */
gint
gst_v4l2_elastic_device_poll (GstV4l2ElasticDevice *self, gint timeout_ms)
{
  struct pollfd pfd = { 0 };
  gint ret;

  pfd.fd = self->video_fd;
  pfd.events = POLLIN | POLLOUT | POLLERR;
  do
    ret = poll (&pfd, 1, timeout_ms);
  while (ret < 0 && errno == EINTR);
  if (ret < 0)
    GST_ERROR_OBJECT (self, "poll failed: %s", g_strerror (errno));
  else if (ret > 0 && (pfd.revents & POLLERR))
    GST_DEBUG_OBJECT (self, "poll: POLLERR (queue not streaming or empty)");
  return ret;
}

/* ------------------------------------------------------------------ */
/* Media requests                                                      */

gint
gst_v4l2_elastic_device_alloc_request (GstV4l2ElasticDevice *self)
{
  gint fd = -1;

  if (xioctl (self->media_fd, MEDIA_IOC_REQUEST_ALLOC, &fd) < 0) {
    GST_ERROR_OBJECT (
        self, "MEDIA_IOC_REQUEST_ALLOC failed: %s", g_strerror (errno));
    return -1;
  }
  return fd;
}

/**
 * gst_v4l2_elastic_device_query_menu:
 *
 * Whether the device has a menu control @id that offers @value: the
 * control exists, is a menu, @value lies in its range and VIDIOC_QUERYMENU
 * names it (a menu can skip values inside its range).
 */
gboolean
gst_v4l2_elastic_device_query_menu (
    GstV4l2ElasticDevice *self, guint32 id, gint64 value)
{
  struct v4l2_query_ext_ctrl query;
  struct v4l2_querymenu menu = { 0 };

  if (!gst_v4l2_elastic_device_query_control (self, id, &query) ||
      query.type != V4L2_CTRL_TYPE_MENU || value < query.minimum ||
      value > query.maximum)
    return FALSE;
  menu.id = id;
  menu.index = (guint32) value;
  if (xioctl (self->video_fd, VIDIOC_QUERYMENU, &menu) < 0) {
    gint err = errno;

    GST_DEBUG_OBJECT (self, "VIDIOC_QUERYMENU 0x%x[%" G_GINT64_FORMAT "]: %s",
        id, value, g_strerror (err));
    errno = err;
    return FALSE;
  }
  return TRUE;
}

/**
 * gst_v4l2_elastic_device_map_buffer:
 *
 * Maps one plane of an MMAP buffer (as VIDIOC_QUERYBUF described it) for
 * reading and writing.  Returns %NULL with errno set on failure.
 */
gpointer
gst_v4l2_elastic_device_map_buffer (GstV4l2ElasticDevice *self,
    const GstV4l2ElasticBufferInfo *info, guint plane)
{
  gpointer data = mmap (NULL, info->length[plane], PROT_READ | PROT_WRITE,
      MAP_SHARED, self->video_fd, info->mem_offset[plane]);

  if (data == MAP_FAILED) {
    gint err = errno;

    GST_ERROR_OBJECT (self, "mmap of buffer %u plane %u failed: %s",
        info->index, plane, g_strerror (err));
    errno = err;
    return NULL;
  }
  return data;
}
