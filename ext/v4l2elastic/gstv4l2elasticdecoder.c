/* gst-v4l2-elastic
 *
 * The common stateless decoder.  Decoding is one request at a time: the
 * bitstream goes into an OUTPUT buffer bound to a media request with the
 * frame's controls, one CAPTURE buffer from the elastic pool is queued,
 * the request is queued and waited for.  The codec subclass decides what
 * to decode with which references and in which order to output.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstv4l2elasticdecoder.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

GST_DEBUG_CATEGORY_STATIC (gst_v4l2_elastic_decoder_debug);
#define GST_CAT_DEFAULT gst_v4l2_elastic_decoder_debug

/* Bitstream buffers: one in use while decoding synchronously, one spare
 * so the next frame can be copied while the driver still returns the
 * previous one. */
#define N_OUTPUT_BUFFERS 2
/* How long a request may take before the driver is considered hung. */
#define REQUEST_TIMEOUT_MS 5000
/* Requests submitted and not yet complete (this decoder is synchronous). */
#define REQUESTS_IN_FLIGHT 1

enum
{
  PROP_0,
  PROP_MEDIA_DEVICE,
  PROP_VIDEO_DEVICE,
  PROP_MAX_CAPTURE_BUFFERS,
  PROP_CAPTURE_MEMORY_LIMIT,
  PROP_CLASSIC_POOL,
  PROP_POOL_STATS,
};

typedef struct
{
  guint index;
  guint8 *data;
  gsize length;
} OutputBuffer;

typedef struct
{
  GstV4l2ElasticDevice *device;
  GstV4l2ElasticRequestPool *requests;
  GstV4l2ElasticCapturePool *pool;

  OutputBuffer outputs[N_OUTPUT_BUFFERS];
  guint n_outputs;
  guint next_output;
  gboolean streaming;

  /* The current sequence. */
  gboolean have_sequence;
  guint32 coded_fourcc;
  guint width, height;
  GstVideoRectangle visible; /* what downstream sees of width x height */
  GstV4l2ElasticPoolDemand codec_demand;
  struct v4l2_format output_fmt;
  struct v4l2_format capture_fmt;
  GstVideoInfo capture_info; /* visible rectangle, driver's layout */
  GstVideoFormat out_format;

  GstVideoCodecState *input_state;
  gboolean downstream_has_meta;
  guint downstream_min;
  gboolean use_classic; /* effective: property or no REMOVE_BUFS */
  gboolean warned_bound;

  /* Sequences whose first frame predicts from the previous sequence's
   * pictures: changed while streaming, and refused (references lost). */
  guint inter_resizes;
  guint inter_resize_fallbacks;

  /* Properties. */
  guint max_capture_buffers;
  guint64 capture_memory_limit;
  gboolean classic_pool;
} GstV4l2ElasticDecoderPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_CODE (
    GstV4l2ElasticDecoder, gst_v4l2_elastic_decoder, GST_TYPE_VIDEO_DECODER,
    G_ADD_PRIVATE (GstV4l2ElasticDecoder);
    GST_DEBUG_CATEGORY_INIT (gst_v4l2_elastic_decoder_debug,
        "v4l2elastic-decoder", 0, "V4L2 elastic stateless decoder"));

#define PRIV(self)                                                             \
  ((GstV4l2ElasticDecoderPrivate *)                                            \
          gst_v4l2_elastic_decoder_get_instance_private (                      \
              GST_V4L2_ELASTIC_DECODER (self)))

static GstV4l2ElasticDecoderCData *
class_cdata (GstV4l2ElasticDecoder *self)
{
  return g_type_get_qdata (
      G_OBJECT_TYPE (self), g_quark_from_static_string ("v4l2elastic-cdata"));
}

/* --- pictures ---------------------------------------------------------------
 */

GstV4l2ElasticPicture *
gst_v4l2_elastic_picture_ref (GstV4l2ElasticPicture *picture)
{
  return g_atomic_rc_box_acquire (picture);
}

static void
picture_clear (GstV4l2ElasticPicture *picture)
{
  gst_v4l2_elastic_capture_pool_unhold (picture->pool, picture->buffer);
  gst_object_unref (picture->pool);
}

void
gst_v4l2_elastic_picture_unref (GstV4l2ElasticPicture *picture)
{
  g_atomic_rc_box_release_full (picture, (GDestroyNotify) picture_clear);
}

/**
 * gst_v4l2_elastic_decoder_frame_timestamp:
 *
 * The V4L2 timestamp a frame is decoded with and referenced by: its
 * system frame number, offset by one so that no frame is named 0, in
 * microseconds (the kernel keeps a timeval).
 */
guint64
gst_v4l2_elastic_decoder_frame_timestamp (GstVideoCodecFrame *frame)
{
  return ((guint64) frame->system_frame_number + 1) * 1000;
}

GstV4l2ElasticDevice *
gst_v4l2_elastic_decoder_get_device (GstV4l2ElasticDecoder *self)
{
  return PRIV (self)->device;
}

/* --- pool events ------------------------------------------------------------
 */

static const gchar *
pool_event_name (GstV4l2ElasticPoolEvent event)
{
  switch (event) {
  case GST_V4L2_ELASTIC_POOL_EVENT_GROW:
    return "grow";
  case GST_V4L2_ELASTIC_POOL_EVENT_SHRINK:
    return "shrink";
  case GST_V4L2_ELASTIC_POOL_EVENT_REALLOCATE:
    return "reallocate";
  case GST_V4L2_ELASTIC_POOL_EVENT_WAIT:
    return "wait";
  }
  return "unknown";
}

/* Every grow, shrink and reallocation is an element message, so that
 * applications and tests can follow the pool; the first wait at a bound
 * is also a warning. */
static void
on_pool_event (GstV4l2ElasticCapturePool *pool, GstV4l2ElasticPoolEvent event,
    guint buffers, guint64 bytes, gpointer user_data)
{
  GstV4l2ElasticDecoder *self = user_data;
  GstV4l2ElasticDecoderPrivate *priv = PRIV (self);
  GstStructure *s;

  s = gst_structure_new ("v4l2elastic-pool", "event", G_TYPE_STRING,
      pool_event_name (event), "buffers", G_TYPE_UINT, buffers, "bytes",
      G_TYPE_UINT64, bytes, "target", G_TYPE_UINT,
      gst_v4l2_elastic_capture_pool_get_target (pool), "width", G_TYPE_UINT,
      priv->width, "height", G_TYPE_UINT, priv->height, NULL);
  gst_element_post_message (
      GST_ELEMENT (self), gst_message_new_element (GST_OBJECT (self), s));

  if (event == GST_V4L2_ELASTIC_POOL_EVENT_WAIT && !priv->warned_bound) {
    priv->warned_bound = TRUE;
    GST_ELEMENT_WARNING (self, RESOURCE, NO_SPACE_LEFT,
        ("The CAPTURE pool reached its bound; decoding waits for buffers."),
        ("%u buffers, %" G_GUINT64_FORMAT " bytes (max-capture-buffers %u, "
         "capture-memory-limit %" G_GUINT64_FORMAT ")",
            buffers, bytes, priv->max_capture_buffers,
            priv->capture_memory_limit));
  }
}

static void
update_demand (GstV4l2ElasticDecoder *self)
{
  GstV4l2ElasticDecoderPrivate *priv = PRIV (self);
  GstV4l2ElasticPoolDemand demand = priv->codec_demand;

  if (!priv->pool)
    return;
  demand.downstream = priv->downstream_has_meta ? priv->downstream_min : 0;
  demand.in_flight = REQUESTS_IN_FLIGHT;
  gst_v4l2_elastic_capture_pool_set_demand (priv->pool, &demand);
}

/* --- OUTPUT (bitstream) buffers ----------------------------------------------
 */

static void
free_output_buffers (GstV4l2ElasticDecoder *self)
{
  GstV4l2ElasticDecoderPrivate *priv = PRIV (self);
  guint i, zero = 0;

  for (i = 0; i < priv->n_outputs; i++)
    munmap (priv->outputs[i].data, priv->outputs[i].length);
  priv->n_outputs = 0;
  if (priv->device && gst_v4l2_elastic_device_is_open (priv->device))
    gst_v4l2_elastic_device_request_buffers (
        priv->device, GST_V4L2_ELASTIC_QUEUE_OUTPUT, &zero);
}

static gboolean
alloc_output_buffers (GstV4l2ElasticDecoder *self)
{
  GstV4l2ElasticDecoderPrivate *priv = PRIV (self);
  guint count = N_OUTPUT_BUFFERS, i;

  if (!gst_v4l2_elastic_device_request_buffers (
          priv->device, GST_V4L2_ELASTIC_QUEUE_OUTPUT, &count) ||
      count == 0)
    return FALSE;

  for (i = 0; i < count; i++) {
    GstV4l2ElasticBufferInfo info;
    gpointer data;

    if (!gst_v4l2_elastic_device_query_buffer (
            priv->device, GST_V4L2_ELASTIC_QUEUE_OUTPUT, i, &info))
      goto failed;
    data = mmap (NULL, info.length[0], PROT_READ | PROT_WRITE, MAP_SHARED,
        priv->device->video_fd, info.mem_offset[0]);
    if (data == MAP_FAILED) {
      GST_ERROR_OBJECT (
          self, "mmap of OUTPUT buffer %u failed: %s", i, g_strerror (errno));
      goto failed;
    }
    priv->outputs[i].index = i;
    priv->outputs[i].data = data;
    priv->outputs[i].length = info.length[0];
    priv->n_outputs++;
  }
  return TRUE;

failed:
  free_output_buffers (self);
  return FALSE;
}

/* --- queues
 * ------------------------------------------------------------------- */

static gboolean
ensure_streaming (GstV4l2ElasticDecoder *self)
{
  GstV4l2ElasticDecoderPrivate *priv = PRIV (self);

  if (priv->streaming)
    return TRUE;
  if (!gst_v4l2_elastic_device_stream_on (
          priv->device, GST_V4L2_ELASTIC_QUEUE_OUTPUT))
    return FALSE;
  if (!gst_v4l2_elastic_device_stream_on (
          priv->device, GST_V4L2_ELASTIC_QUEUE_CAPTURE)) {
    gst_v4l2_elastic_device_stream_off (
        priv->device, GST_V4L2_ELASTIC_QUEUE_OUTPUT);
    return FALSE;
  }
  priv->streaming = TRUE;
  return TRUE;
}

/* STREAMOFF returns every queued buffer to userspace: after it nothing
 * of ours is in a kernel queue. */
static void
stop_streaming (GstV4l2ElasticDecoder *self)
{
  GstV4l2ElasticDecoderPrivate *priv = PRIV (self);

  if (!priv->streaming)
    return;
  gst_v4l2_elastic_device_stream_off (
      priv->device, GST_V4L2_ELASTIC_QUEUE_OUTPUT);
  gst_v4l2_elastic_device_stream_off (
      priv->device, GST_V4L2_ELASTIC_QUEUE_CAPTURE);
  priv->streaming = FALSE;
}

/* --- sequences and the format-change paths -----------------------------------
 */

static gboolean
driver_has_format (GArray *fourccs, guint32 fourcc)
{
  guint i;

  for (i = 0; i < fourccs->len; i++)
    if (g_array_index (fourccs, guint32, i) == fourcc)
      return TRUE;
  return FALSE;
}

/* The first of the codec's acceptable layouts that the driver offers and
 * downstream accepts. */
static GstVideoFormat
choose_output_format (
    GstV4l2ElasticDecoder *self, const GstV4l2ElasticSequence *sequence)
{
  GstV4l2ElasticDecoderPrivate *priv = PRIV (self);
  GstPad *srcpad = GST_VIDEO_DECODER_SRC_PAD (self);
  GstVideoFormat chosen = GST_VIDEO_FORMAT_UNKNOWN;
  GArray *fourccs;
  GstCaps *peer;
  guint i;

  fourccs = gst_v4l2_elastic_device_enum_formats (
      priv->device, GST_V4L2_ELASTIC_QUEUE_CAPTURE);
  peer = gst_pad_peer_query_caps (srcpad, NULL);

  for (i = 0; i < sequence->n_formats && chosen == GST_VIDEO_FORMAT_UNKNOWN;
       i++) {
    GstVideoFormat f = sequence->formats[i];
    guint32 fourcc = gst_v4l2_elastic_video_format_to_fourcc (f);
    GstCaps *caps;

    if (!fourcc || !driver_has_format (fourccs, fourcc))
      continue;
    caps = gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING,
        gst_video_format_to_string (f), NULL);
    if (!peer || gst_caps_can_intersect (caps, peer))
      chosen = f;
    gst_caps_unref (caps);
  }

  gst_clear_caps (&peer);
  g_array_unref (fourccs);
  return chosen;
}

static gboolean
set_output_format (
    GstV4l2ElasticDecoder *self, const GstV4l2ElasticSequence *sequence)
{
  GstV4l2ElasticDecoderPrivate *priv = PRIV (self);
  struct v4l2_format fmt;

  gst_v4l2_elastic_device_format_init (priv->device,
      GST_V4L2_ELASTIC_QUEUE_OUTPUT, &fmt, sequence->coded_fourcc,
      sequence->width, sequence->height, sequence->output_sizeimage);
  if (!gst_v4l2_elastic_device_set_format (
          priv->device, GST_V4L2_ELASTIC_QUEUE_OUTPUT, &fmt))
    return FALSE;
  priv->output_fmt = fmt;
  return TRUE;
}

static void
format_size (
    const struct v4l2_format *fmt, guint32 *fourcc, guint *width, guint *height)
{
  if (V4L2_TYPE_IS_MULTIPLANAR (fmt->type)) {
    *fourcc = fmt->fmt.pix_mp.pixelformat;
    *width = fmt->fmt.pix_mp.width;
    *height = fmt->fmt.pix_mp.height;
  } else {
    *fourcc = fmt->fmt.pix.pixelformat;
    *width = fmt->fmt.pix.width;
    *height = fmt->fmt.pix.height;
  }
}

/* Narrows @info (a layout at the coded size) to the visible rectangle:
 * the plane offsets move to its top-left corner, the strides stay.  Buffers
 * carry this in their GstVideoMeta, so downstream reads only the visible
 * part, and a copy copies only that. */
static gboolean
crop_video_info (GstVideoInfo *info, const GstVideoRectangle *visible)
{
  const GstVideoFormatInfo *finfo = info->finfo;
  guint p, c;

  if (visible->x < 0 || visible->y < 0 ||
      visible->x + visible->w > GST_VIDEO_INFO_WIDTH (info) ||
      visible->y + visible->h > GST_VIDEO_INFO_HEIGHT (info))
    return FALSE;
  for (p = 0; p < GST_VIDEO_INFO_N_PLANES (info); p++) {
    /* The first component of the plane gives its subsampling. */
    for (c = 0; c < GST_VIDEO_FORMAT_INFO_N_COMPONENTS (finfo); c++)
      if (GST_VIDEO_FORMAT_INFO_PLANE (finfo, c) == p)
        break;
    if (c == GST_VIDEO_FORMAT_INFO_N_COMPONENTS (finfo))
      return FALSE;
    /* A chroma plane cannot start between two samples. */
    if ((visible->x % (1 << GST_VIDEO_FORMAT_INFO_W_SUB (finfo, c))) ||
        (visible->y % (1 << GST_VIDEO_FORMAT_INFO_H_SUB (finfo, c))))
      return FALSE;
    info->offset[p] +=
        (gsize) GST_VIDEO_FORMAT_INFO_SCALE_HEIGHT (finfo, c, visible->y) *
            info->stride[p] +
        (gsize) GST_VIDEO_FORMAT_INFO_SCALE_WIDTH (finfo, c, visible->x) *
            GST_VIDEO_FORMAT_INFO_PSTRIDE (finfo, c);
  }
  info->width = visible->w;
  info->height = visible->h;
  return TRUE;
}

/* Sets the CAPTURE format for a picture size, unless the driver already
 * derived exactly that from the OUTPUT format.  Returns FALSE with errno
 * EBUSY when the driver refuses the change while its queue is busy. */
static gboolean
set_capture_format (GstV4l2ElasticDecoder *self, GstVideoFormat format,
    guint width, guint height)
{
  GstV4l2ElasticDecoderPrivate *priv = PRIV (self);
  guint32 fourcc = gst_v4l2_elastic_video_format_to_fourcc (format);
  guint32 want_fourcc, cur_fourcc;
  guint want_w, want_h, cur_w, cur_h;
  struct v4l2_format want, cur;

  gst_v4l2_elastic_device_format_init (priv->device,
      GST_V4L2_ELASTIC_QUEUE_CAPTURE, &want, fourcc, width, height, 0);
  if (!gst_v4l2_elastic_device_try_format (
          priv->device, GST_V4L2_ELASTIC_QUEUE_CAPTURE, &want))
    return FALSE;
  format_size (&want, &want_fourcc, &want_w, &want_h);
  if (want_fourcc != fourcc || want_w < width || want_h < height) {
    GST_ERROR_OBJECT (self, "the driver cannot write %ux%u %s", width, height,
        gst_video_format_to_string (format));
    errno = EINVAL;
    return FALSE;
  }

  if (!gst_v4l2_elastic_device_get_format (
          priv->device, GST_V4L2_ELASTIC_QUEUE_CAPTURE, &cur))
    return FALSE;
  format_size (&cur, &cur_fourcc, &cur_w, &cur_h);
  if (cur_fourcc != want_fourcc || cur_w != want_w || cur_h != want_h) {
    cur = want;
    if (!gst_v4l2_elastic_device_set_format (
            priv->device, GST_V4L2_ELASTIC_QUEUE_CAPTURE, &cur))
      return FALSE;
  }

  if (!gst_v4l2_elastic_format_to_video_info (&cur, &priv->capture_info)) {
    GST_ERROR_OBJECT (self, "unsupported CAPTURE layout");
    errno = EINVAL;
    return FALSE;
  }
  /* Buffers are laid out at the coded size; downstream sees the visible
   * rectangle, with the driver's strides and plane offsets (moved to its
   * corner) in GstVideoMeta. */
  priv->capture_info.width = width;
  priv->capture_info.height = height;
  if (!crop_video_info (&priv->capture_info, &priv->visible)) {
    GST_ERROR_OBJECT (self, "cannot show %dx%d at %d,%d of %ux%u %s",
        priv->visible.w, priv->visible.h, priv->visible.x, priv->visible.y,
        width, height, gst_video_format_to_string (format));
    errno = EINVAL;
    return FALSE;
  }
  priv->capture_fmt = cur;
  return TRUE;
}

/* The smallest correct sequence where the driver refuses a format change
 * while busy: stop, give every buffer back (REQBUFS(0): CAPTURE buffers
 * that downstream or the codec still hold live on as orphans), set the
 * formats, and start again.  The classic pool allocates its whole target
 * here; the elastic one creates buffers on demand again. */
static gboolean
restart_queues (GstV4l2ElasticDecoder *self,
    const GstV4l2ElasticSequence *sequence, GstVideoFormat format)
{
  GstV4l2ElasticDecoderPrivate *priv = PRIV (self);

  stop_streaming (self);
  free_output_buffers (self);
  gst_v4l2_elastic_capture_pool_orphan_all (priv->pool);

  if (!set_output_format (self, sequence) ||
      !set_capture_format (self, format, sequence->width, sequence->height))
    return FALSE;
  if (!alloc_output_buffers (self))
    return FALSE;
  return gst_v4l2_elastic_capture_pool_reallocate (
      priv->pool, &priv->capture_fmt, &priv->capture_info);
}

static gboolean
negotiate_output (GstV4l2ElasticDecoder *self, GstVideoFormat format,
    guint width, guint height)
{
  GstV4l2ElasticDecoderPrivate *priv = PRIV (self);
  GstVideoCodecState *state;

  state = gst_video_decoder_set_output_state (
      GST_VIDEO_DECODER (self), format, width, height, priv->input_state);
  gst_video_codec_state_unref (state);
  return gst_video_decoder_negotiate (GST_VIDEO_DECODER (self));
}

static void
ensure_pool (GstV4l2ElasticDecoder *self)
{
  GstV4l2ElasticDecoderPrivate *priv = PRIV (self);

  if (priv->pool)
    return;
  priv->use_classic = priv->classic_pool ||
      !priv->device->capture_caps.remove_bufs ||
      !priv->device->capture_caps.create_bufs;
  if (priv->use_classic && !priv->classic_pool)
    GST_INFO_OBJECT (self,
        "%s has no VIDIOC_REMOVE_BUFS: using the classic "
        "CAPTURE pool (drain, STREAMOFF and full reallocation at every "
        "format change)",
        priv->device->video_path);
  priv->pool =
      gst_v4l2_elastic_capture_pool_new (priv->device, !priv->use_classic);
  gst_v4l2_elastic_capture_pool_set_event_func (
      priv->pool, on_pool_event, gst_object_ref (self), gst_object_unref);
  gst_v4l2_elastic_capture_pool_set_limits (
      priv->pool, priv->max_capture_buffers, priv->capture_memory_limit);
  if (!gst_buffer_pool_set_active (GST_BUFFER_POOL (priv->pool), TRUE))
    GST_WARNING_OBJECT (self, "could not activate the CAPTURE pool");
}

/**
 * gst_v4l2_elastic_decoder_set_sequence:
 *
 * Called by the codec before the first frame of a new sequence (size,
 * layout or reference needs changed).  The codec has already output what
 * its output order requires.  Takes the cheapest path the driver allows:
 * the same sizes need nothing; a new size is set while streaming where
 * the driver accepts it (elastic: new buffers are created on demand and
 * old ones removed as they come back); otherwise the queues restart.
 */
GstFlowReturn
gst_v4l2_elastic_decoder_set_sequence (
    GstV4l2ElasticDecoder *self, const GstV4l2ElasticSequence *sequence)
{
  GstV4l2ElasticDecoderPrivate *priv = PRIV (self);
  GstVideoRectangle visible = sequence->visible;
  gboolean same_size, references_lost = FALSE;
  guint old_width = priv->width, old_height = priv->height;
  GstVideoFormat format;

  ensure_pool (self);

  if (visible.w <= 0 || visible.h <= 0) {
    visible.x = visible.y = 0;
    visible.w = sequence->width;
    visible.h = sequence->height;
  }
  /* A new visible rectangle in the same coded size changes the buffers'
   * GstVideoMeta and the caps: it takes the format-change path too. */
  same_size = priv->have_sequence &&
      priv->coded_fourcc == sequence->coded_fourcc &&
      priv->width == sequence->width && priv->height == sequence->height &&
      memcmp (&priv->visible, &visible, sizeof (visible)) == 0;
  priv->codec_demand = sequence->demand;

  if (same_size) {
    /* Only the reference needs changed: the pool follows its target. */
    update_demand (self);
    return GST_FLOW_OK;
  }

  GST_DEBUG_OBJECT (self, "sequence %ux%u, visible %dx%d at %d,%d (was %ux%u)",
      sequence->width, sequence->height, visible.w, visible.h, visible.x,
      visible.y, priv->width, priv->height);
  priv->width = sequence->width;
  priv->height = sequence->height;
  priv->visible = visible;

  if (!priv->have_sequence) {
    /* Formats must be set before CAPTURE formats can be listed. */
    if (!set_output_format (self, sequence))
      goto output_format_failed;
  }
  format = choose_output_format (self, sequence);
  if (format == GST_VIDEO_FORMAT_UNKNOWN)
    goto no_format;

  if (!priv->have_sequence) {
    if (!set_capture_format (self, format, sequence->width, sequence->height) ||
        !alloc_output_buffers (self))
      goto failed;
    /* The classic pool allocates its whole target below, once the
     * downstream minimum is known; the elastic one creates on demand. */
    if (!priv->use_classic)
      gst_v4l2_elastic_capture_pool_set_format (
          priv->pool, &priv->capture_fmt, &priv->capture_info);
  } else if (priv->use_classic) {
    GST_DEBUG_OBJECT (self, "classic path: drain done, reallocating");
    if (!restart_queues (self, sequence, format))
      goto failed;
    references_lost = sequence->keeps_references;
  } else if (set_output_format (self, sequence) &&
      set_capture_format (self, format, sequence->width, sequence->height)) {
    GST_DEBUG_OBJECT (self, "elastic path: format changed while streaming%s",
        sequence->keeps_references ? ", references of the old size kept" : "");
    gst_v4l2_elastic_capture_pool_set_format (
        priv->pool, &priv->capture_fmt, &priv->capture_info);
    if (sequence->keeps_references)
      priv->inter_resizes++;
  } else if (errno == EBUSY) {
    GST_INFO_OBJECT (self,
        "%s refuses the format change while busy: "
        "restarting the queues",
        priv->device->video_path);
    if (!restart_queues (self, sequence, format))
      goto failed;
    references_lost = sequence->keeps_references;
  } else {
    goto failed;
  }

  if (references_lost) {
    /* REQBUFS(0) took the reference pictures out of the driver's queue:
     * the frames up to the next key frame cannot be decoded. */
    priv->inter_resize_fallbacks++;
    GST_ELEMENT_WARNING (self, STREAM, DECODE,
        ("The decoder cannot change the frame size while keeping its "
         "reference frames; frames up to the next key frame are dropped."),
        ("%s: %ux%u -> %ux%u on an inter frame: the queues were restarted "
         "(%s)",
            priv->device->video_path, old_width, old_height, sequence->width,
            sequence->height,
            priv->use_classic
                ? "classic pool"
                : "the driver refused the format change while streaming"));
  }

  priv->have_sequence = TRUE;
  priv->coded_fourcc = sequence->coded_fourcc;
  priv->out_format = format;

  if (!negotiate_output (self, format, visible.w, visible.h))
    goto not_negotiated;
  update_demand (self);

  if (priv->use_classic &&
      gst_v4l2_elastic_capture_pool_get_target (priv->pool) > 0 &&
      !gst_v4l2_elastic_capture_pool_is_elastic (priv->pool)) {
    GstStructure *stats = gst_v4l2_elastic_capture_pool_get_stats (priv->pool);
    guint buffers = 0;

    gst_structure_get_uint (stats, "buffers", &buffers);
    gst_structure_free (stats);
    /* First sequence of a classic pool: allocate it whole now. */
    if (buffers == 0 &&
        !gst_v4l2_elastic_capture_pool_reallocate (
            priv->pool, &priv->capture_fmt, &priv->capture_info))
      goto failed;
  }
  return references_lost ? GST_V4L2_ELASTIC_FLOW_REFERENCES_LOST : GST_FLOW_OK;

output_format_failed:
  GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
      ("The decoder does not accept this stream format."),
      ("VIDIOC_S_FMT on OUTPUT (%ux%u) failed: %s", sequence->width,
          sequence->height, g_strerror (errno)));
  return GST_FLOW_NOT_NEGOTIATED;
no_format:
  GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
      ("No output format supported by both the decoder and downstream."),
      ("the stream needs one of %u layouts", sequence->n_formats));
  return GST_FLOW_NOT_NEGOTIATED;
not_negotiated:
  GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, ("Negotiation failed."),
      ("downstream refused %s %dx%d", gst_video_format_to_string (format),
          visible.w, visible.h));
  return GST_FLOW_NOT_NEGOTIATED;
failed:
  GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
      ("Could not configure the decoder for %ux%u.", sequence->width,
          sequence->height),
      ("%s", g_strerror (errno)));
  return GST_FLOW_ERROR;
}

/* --- decoding
 * ------------------------------------------------------------------ */

static gboolean
dequeue_matching (GstV4l2ElasticDecoder *self, GstV4l2ElasticQueue queue,
    guint index, GstV4l2ElasticBufferInfo *info)
{
  GstV4l2ElasticDecoderPrivate *priv = PRIV (self);
  gint64 deadline = g_get_monotonic_time () + REQUEST_TIMEOUT_MS * 1000;

  for (;;) {
    if (gst_v4l2_elastic_device_dequeue_buffer (priv->device, queue, info)) {
      if (info->index == index)
        return TRUE;
      GST_WARNING_OBJECT (
          self, "dequeued buffer %u, expected %u", info->index, index);
      continue;
    }
    if (errno != EAGAIN)
      return FALSE;
    if (g_get_monotonic_time () > deadline) {
      errno = ETIMEDOUT;
      return FALSE;
    }
    if (gst_v4l2_elastic_device_poll (priv->device, 100) < 0)
      return FALSE;
  }
}

/**
 * gst_v4l2_elastic_decoder_decode:
 * @controls: the frame's controls, set in its request
 * @picture: (out): the decoded picture, or %NULL when the driver reported
 *   a decode error for this frame (counted against max-errors)
 *
 * Decodes one frame and waits for it.
 */
GstFlowReturn
gst_v4l2_elastic_decoder_decode (GstV4l2ElasticDecoder *self,
    GstVideoCodecFrame *frame, const guint8 *bitstream, gsize size,
    struct v4l2_ext_control *controls, guint n_controls,
    GstV4l2ElasticPicture **picture)
{
  GstV4l2ElasticDecoderPrivate *priv = PRIV (self);
  guint64 timestamp = gst_v4l2_elastic_decoder_frame_timestamp (frame);
  GstV4l2ElasticRequest *request = NULL;
  GstBuffer *capture = NULL;
  GstV4l2ElasticBufferInfo done;
  GstFlowReturn ret = GST_FLOW_OK;
  OutputBuffer *out;
  guint32 bytesused = size;
  gint capture_index;

  *picture = NULL;
  g_return_val_if_fail (priv->have_sequence, GST_FLOW_NOT_NEGOTIATED);

  out = &priv->outputs[priv->next_output];
  priv->next_output = (priv->next_output + 1) % priv->n_outputs;
  if (size > out->length) {
    GST_VIDEO_DECODER_ERROR (self, 1, STREAM, DECODE,
        ("Frame too large for the decoder."),
        ("%" G_GSIZE_FORMAT " bytes, OUTPUT buffers hold %" G_GSIZE_FORMAT,
            size, out->length),
        ret);
    return ret;
  }
  memcpy (out->data, bitstream, size);

  request = gst_v4l2_elastic_request_pool_acquire (priv->requests);
  if (!request)
    goto device_failed;

  /* Controls and bitstream first: a refusal here leaves nothing queued,
   * and re-initialising the request unbinds the OUTPUT buffer. */
  if (!gst_v4l2_elastic_device_set_controls (
          priv->device, request->fd, controls, n_controls)) {
    gst_v4l2_elastic_request_pool_release (priv->requests, request);
    GST_VIDEO_DECODER_ERROR (self, 1, STREAM, DECODE,
        ("The decoder refused the frame's parameters."),
        ("%s", g_strerror (errno)), ret);
    return ret;
  }
  if (!gst_v4l2_elastic_device_queue_buffer (priv->device,
          GST_V4L2_ELASTIC_QUEUE_OUTPUT, out->index, timestamp, &bytesused, 1,
          request->fd, 0)) {
    gst_v4l2_elastic_request_pool_release (priv->requests, request);
    goto device_failed;
  }

  ret = gst_buffer_pool_acquire_buffer (
      GST_BUFFER_POOL (priv->pool), &capture, NULL);
  if (ret != GST_FLOW_OK) {
    gst_v4l2_elastic_request_pool_release (priv->requests, request);
    GST_DEBUG_OBJECT (self, "no CAPTURE buffer: %s", gst_flow_get_name (ret));
    return ret;
  }
  capture_index = gst_v4l2_elastic_capture_pool_buffer_index (capture);
  if (!gst_v4l2_elastic_device_queue_buffer (priv->device,
          GST_V4L2_ELASTIC_QUEUE_CAPTURE, capture_index, 0, NULL, 0, -1, 0)) {
    gst_v4l2_elastic_request_pool_release (priv->requests, request);
    gst_buffer_unref (capture);
    goto device_failed;
  }

  /* STREAMON needs buffers on each queue: an elastic CAPTURE queue has
   * none before the first one is created and queued above. */
  if (!ensure_streaming (self)) {
    gst_v4l2_elastic_request_pool_release (priv->requests, request);
    gst_buffer_unref (capture);
    goto device_failed;
  }

  if (!gst_v4l2_elastic_request_queue (request)) {
    /* Validation failed: the frame's controls are inconsistent. */
    gint err = errno;

    stop_streaming (self);
    gst_v4l2_elastic_request_pool_release (priv->requests, request);
    gst_buffer_unref (capture);
    GST_VIDEO_DECODER_ERROR (self, 1, STREAM, DECODE,
        ("The decoder refused the frame."), ("%s", g_strerror (err)), ret);
    return ret;
  }

  if (gst_v4l2_elastic_request_wait (request, REQUEST_TIMEOUT_MS) <= 0) {
    stop_streaming (self);
    gst_v4l2_elastic_request_pool_release (priv->requests, request);
    gst_buffer_unref (capture);
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
        ("The decoder did not finish a frame."),
        ("request not complete after %d ms", REQUEST_TIMEOUT_MS));
    return GST_FLOW_ERROR;
  }

  if (!dequeue_matching (
          self, GST_V4L2_ELASTIC_QUEUE_OUTPUT, out->index, &done) ||
      !dequeue_matching (
          self, GST_V4L2_ELASTIC_QUEUE_CAPTURE, capture_index, &done)) {
    stop_streaming (self);
    gst_v4l2_elastic_request_pool_release (priv->requests, request);
    gst_buffer_unref (capture);
    goto device_failed;
  }
  gst_v4l2_elastic_request_pool_release (priv->requests, request);

  if (done.flags & V4L2_BUF_FLAG_ERROR) {
    gst_buffer_unref (capture);
    GST_VIDEO_DECODER_ERROR (self, 1, STREAM, DECODE,
        ("The decoder reported an error for a frame."),
        ("frame %u", frame->system_frame_number), ret);
    return ret;
  }

  *picture = g_atomic_rc_box_new0 (GstV4l2ElasticPicture);
  (*picture)->pool = gst_object_ref (priv->pool);
  (*picture)->buffer = capture;
  (*picture)->timestamp_ns = timestamp;
  gst_v4l2_elastic_capture_pool_hold (priv->pool, capture);
  gst_buffer_replace (&frame->output_buffer, NULL);
  frame->output_buffer = capture;
  return GST_FLOW_OK;

device_failed:
  GST_ELEMENT_ERROR (self, RESOURCE, FAILED, ("The decoder device failed."),
      ("%s", g_strerror (errno)));
  return GST_FLOW_ERROR;
}

/* Downstream can take our buffers as they are: it reads GstVideoMeta, or
 * the driver's layout is the default one for the caps. */
static gboolean
can_push_directly (GstV4l2ElasticDecoder *self)
{
  GstV4l2ElasticDecoderPrivate *priv = PRIV (self);
  GstVideoInfo def;
  guint p;

  if (priv->downstream_has_meta)
    return TRUE;
  gst_video_info_set_format (&def, GST_VIDEO_INFO_FORMAT (&priv->capture_info),
      GST_VIDEO_INFO_WIDTH (&priv->capture_info),
      GST_VIDEO_INFO_HEIGHT (&priv->capture_info));
  for (p = 0; p < GST_VIDEO_INFO_N_PLANES (&def); p++)
    if (def.stride[p] != priv->capture_info.stride[p] ||
        def.offset[p] != priv->capture_info.offset[p])
      return FALSE;
  return TRUE;
}

/**
 * gst_v4l2_elastic_decoder_output:
 *
 * Finishes a decoded @frame: its CAPTURE buffer goes downstream as it is
 * where downstream can take it, else it is copied into downstream's
 * memory (and the CAPTURE buffer comes back to the pool at once).
 */
GstFlowReturn
gst_v4l2_elastic_decoder_output (
    GstV4l2ElasticDecoder *self, GstVideoCodecFrame *frame)
{
  GstV4l2ElasticDecoderPrivate *priv = PRIV (self);
  GstVideoDecoder *decoder = GST_VIDEO_DECODER (self);
  GstVideoFrame src, dst;
  GstVideoCodecState *state;
  GstBuffer *capture;
  GstFlowReturn ret;
  gboolean copied = FALSE;

  if (can_push_directly (self))
    return gst_video_decoder_finish_frame (decoder, frame);

  capture = frame->output_buffer;
  frame->output_buffer = NULL;
  ret = gst_video_decoder_allocate_output_frame (decoder, frame);
  if (ret != GST_FLOW_OK) {
    gst_buffer_unref (capture);
    gst_video_decoder_release_frame (decoder, frame);
    return ret;
  }

  state = gst_video_decoder_get_output_state (decoder);
  if (gst_video_frame_map (&src, &priv->capture_info, capture, GST_MAP_READ)) {
    if (gst_video_frame_map (
            &dst, &state->info, frame->output_buffer, GST_MAP_WRITE)) {
      copied = gst_video_frame_copy (&dst, &src);
      gst_video_frame_unmap (&dst);
    }
    gst_video_frame_unmap (&src);
  }
  gst_video_codec_state_unref (state);
  gst_buffer_unref (capture);

  if (!copied) {
    gst_video_decoder_release_frame (decoder, frame);
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
        ("Cannot copy a decoded frame for downstream."), (NULL));
    return GST_FLOW_ERROR;
  }
  return gst_video_decoder_finish_frame (decoder, frame);
}

/* --- GstVideoDecoder
 * ------------------------------------------------------------ */

static gboolean
gst_v4l2_elastic_decoder_open (GstVideoDecoder *decoder)
{
  GstV4l2ElasticDecoderPrivate *priv = PRIV (decoder);
  GError *error = NULL;

  if (!gst_v4l2_elastic_device_open (priv->device, &error)) {
    GST_ELEMENT_ERROR (decoder, RESOURCE, OPEN_READ_WRITE,
        ("Could not open the decoder %s.", priv->device->video_path),
        ("%s", error->message));
    g_clear_error (&error);
    return FALSE;
  }
  return TRUE;
}

static gboolean
gst_v4l2_elastic_decoder_close (GstVideoDecoder *decoder)
{
  gst_v4l2_elastic_device_close (PRIV (decoder)->device);
  return TRUE;
}

static gboolean
gst_v4l2_elastic_decoder_start (GstVideoDecoder *decoder)
{
  GstV4l2ElasticDecoderPrivate *priv = PRIV (decoder);

  priv->requests = gst_v4l2_elastic_request_pool_new (priv->device);
  priv->warned_bound = FALSE;
  priv->inter_resizes = priv->inter_resize_fallbacks = 0;
  return TRUE;
}

static void
reset_codec (GstV4l2ElasticDecoder *self)
{
  GstV4l2ElasticDecoderClass *klass = GST_V4L2_ELASTIC_DECODER_GET_CLASS (self);

  if (klass->reset)
    klass->reset (self);
}

/* Teardown leaves nothing behind: queues stopped, the codec's references
 * dropped, every CAPTURE buffer out of the kernel queue (held ones are
 * orphans until downstream lets go), OUTPUT buffers unmapped and freed,
 * requests closed. */
static gboolean
gst_v4l2_elastic_decoder_stop (GstVideoDecoder *decoder)
{
  GstV4l2ElasticDecoder *self = GST_V4L2_ELASTIC_DECODER (decoder);
  GstV4l2ElasticDecoderPrivate *priv = PRIV (self);

  stop_streaming (self);
  reset_codec (self);
  if (priv->pool) {
    gst_buffer_pool_set_active (GST_BUFFER_POOL (priv->pool), FALSE);
    gst_v4l2_elastic_capture_pool_orphan_all (priv->pool);
    gst_clear_object (&priv->pool);
  }
  free_output_buffers (self);
  g_clear_pointer (&priv->requests, gst_v4l2_elastic_request_pool_free);
  g_clear_pointer (&priv->input_state, gst_video_codec_state_unref);
  priv->have_sequence = FALSE;
  priv->width = priv->height = 0;
  memset (&priv->visible, 0, sizeof (priv->visible));
  return TRUE;
}

static gboolean
gst_v4l2_elastic_decoder_set_format (
    GstVideoDecoder *decoder, GstVideoCodecState *state)
{
  GstV4l2ElasticDecoderPrivate *priv = PRIV (decoder);

  g_clear_pointer (&priv->input_state, gst_video_codec_state_unref);
  priv->input_state = gst_video_codec_state_ref (state);
  return TRUE;
}

static gboolean
gst_v4l2_elastic_decoder_flush (GstVideoDecoder *decoder)
{
  GstV4l2ElasticDecoder *self = GST_V4L2_ELASTIC_DECODER (decoder);
  GstV4l2ElasticDecoderPrivate *priv = PRIV (self);

  GST_DEBUG_OBJECT (self, "flush");
  stop_streaming (self);
  reset_codec (self);
  if (priv->pool)
    gst_buffer_pool_set_flushing (GST_BUFFER_POOL (priv->pool), FALSE);
  return TRUE;
}

static gboolean
gst_v4l2_elastic_decoder_sink_event (GstVideoDecoder *decoder, GstEvent *event)
{
  GstV4l2ElasticDecoderPrivate *priv = PRIV (decoder);

  /* Wake a decode waiting for a CAPTURE buffer before the base class
   * takes the stream lock. */
  if (GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_START && priv->pool)
    gst_buffer_pool_set_flushing (GST_BUFFER_POOL (priv->pool), TRUE);
  return GST_VIDEO_DECODER_CLASS (gst_v4l2_elastic_decoder_parent_class)
      ->sink_event (decoder, event);
}

/* The input caps do not depend on the output size: answer with the
 * template instead of proxying downstream's width and height into the
 * bitstream caps (which a byte-stream source could not fixate). */
static GstCaps *
gst_v4l2_elastic_decoder_getcaps (GstVideoDecoder *decoder, GstCaps *filter)
{
  GstCaps *caps =
      gst_pad_get_pad_template_caps (GST_VIDEO_DECODER_SINK_PAD (decoder));

  if (filter) {
    GstCaps *tmp =
        gst_caps_intersect_full (filter, caps, GST_CAPS_INTERSECT_FIRST);

    gst_caps_unref (caps);
    caps = tmp;
  }
  return caps;
}

static gboolean
gst_v4l2_elastic_decoder_decide_allocation (
    GstVideoDecoder *decoder, GstQuery *query)
{
  GstV4l2ElasticDecoder *self = GST_V4L2_ELASTIC_DECODER (decoder);
  GstV4l2ElasticDecoderPrivate *priv = PRIV (self);
  guint min = 0;

  priv->downstream_has_meta =
      gst_query_find_allocation_meta (query, GST_VIDEO_META_API_TYPE, NULL);
  if (gst_query_get_n_allocation_pools (query) > 0)
    gst_query_parse_nth_allocation_pool (query, 0, NULL, NULL, &min, NULL);
  priv->downstream_min = min;
  GST_DEBUG_OBJECT (self, "downstream: VideoMeta %s, min %u buffers",
      priv->downstream_has_meta ? "yes" : "no", min);
  update_demand (self);

  /* The base class keeps a pool for the copy path. */
  return GST_VIDEO_DECODER_CLASS (gst_v4l2_elastic_decoder_parent_class)
      ->decide_allocation (decoder, query);
}

static GstStateChangeReturn
gst_v4l2_elastic_decoder_change_state (
    GstElement *element, GstStateChange transition)
{
  GstV4l2ElasticDecoderPrivate *priv = PRIV (element);

  /* A decode waiting for a buffer must not hold up the state change. */
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY && priv->pool)
    gst_buffer_pool_set_flushing (GST_BUFFER_POOL (priv->pool), TRUE);
  return GST_ELEMENT_CLASS (gst_v4l2_elastic_decoder_parent_class)
      ->change_state (element, transition);
}

/* --- GObject
 * --------------------------------------------------------------------- */

static void
gst_v4l2_elastic_decoder_set_property (
    GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  GstV4l2ElasticDecoderPrivate *priv = PRIV (object);

  GST_OBJECT_LOCK (object);
  switch (prop_id) {
  case PROP_MAX_CAPTURE_BUFFERS:
    priv->max_capture_buffers = g_value_get_uint (value);
    break;
  case PROP_CAPTURE_MEMORY_LIMIT:
    priv->capture_memory_limit = g_value_get_uint64 (value);
    break;
  case PROP_CLASSIC_POOL:
    priv->classic_pool = g_value_get_boolean (value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
  GST_OBJECT_UNLOCK (object);
  if (priv->pool)
    gst_v4l2_elastic_capture_pool_set_limits (
        priv->pool, priv->max_capture_buffers, priv->capture_memory_limit);
}

static GstStructure *
empty_stats (void)
{
  return gst_structure_new ("v4l2elastic-pool-stats", "buffers", G_TYPE_UINT, 0,
      "bytes", G_TYPE_UINT64, G_GUINT64_CONSTANT (0), "peak-buffers",
      G_TYPE_UINT, 0, "peak-bytes", G_TYPE_UINT64, G_GUINT64_CONSTANT (0),
      "creates", G_TYPE_UINT, 0, "removes", G_TYPE_UINT, 0, "reallocations",
      G_TYPE_UINT, 0, "waits", G_TYPE_UINT, 0, "stale-buffers", G_TYPE_UINT, 0,
      "stale-bytes", G_TYPE_UINT64, G_GUINT64_CONSTANT (0), NULL);
}

static void
gst_v4l2_elastic_decoder_get_property (
    GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GstV4l2ElasticDecoder *self = GST_V4L2_ELASTIC_DECODER (object);
  GstV4l2ElasticDecoderPrivate *priv = PRIV (self);
  GstV4l2ElasticDecoderCData *cdata = class_cdata (self);
  GstV4l2ElasticCapturePool *pool;
  GstStructure *stats;

  switch (prop_id) {
  case PROP_MEDIA_DEVICE:
    g_value_set_string (value, cdata->media_path);
    break;
  case PROP_VIDEO_DEVICE:
    g_value_set_string (value, cdata->video_path);
    break;
  case PROP_MAX_CAPTURE_BUFFERS:
    g_value_set_uint (value, priv->max_capture_buffers);
    break;
  case PROP_CAPTURE_MEMORY_LIMIT:
    g_value_set_uint64 (value, priv->capture_memory_limit);
    break;
  case PROP_CLASSIC_POOL:
    g_value_set_boolean (value, priv->classic_pool);
    break;
  case PROP_POOL_STATS:
    GST_OBJECT_LOCK (self);
    pool = priv->pool ? gst_object_ref (priv->pool) : NULL;
    GST_OBJECT_UNLOCK (self);
    stats =
        pool ? gst_v4l2_elastic_capture_pool_get_stats (pool) : empty_stats ();
    /* The codec's side of format changes, next to the pool's. */
    gst_structure_set (stats, "inter-resizes", G_TYPE_UINT,
        g_atomic_int_get (&priv->inter_resizes), "inter-resize-fallbacks",
        G_TYPE_UINT, g_atomic_int_get (&priv->inter_resize_fallbacks), NULL);
    g_value_take_boxed (value, stats);
    gst_clear_object (&pool);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void
gst_v4l2_elastic_decoder_finalize (GObject *object)
{
  GstV4l2ElasticDecoderPrivate *priv = PRIV (object);

  gst_clear_object (&priv->device);
  G_OBJECT_CLASS (gst_v4l2_elastic_decoder_parent_class)->finalize (object);
}

/* The device comes from the registered subclass, which is only known
 * once the instance is complete (during the base's instance init the
 * instance still has the base's class). */
static void
gst_v4l2_elastic_decoder_constructed (GObject *object)
{
  GstV4l2ElasticDecoderPrivate *priv = PRIV (object);
  GstV4l2ElasticDecoderCData *cdata =
      class_cdata (GST_V4L2_ELASTIC_DECODER (object));

  G_OBJECT_CLASS (gst_v4l2_elastic_decoder_parent_class)->constructed (object);
  priv->device =
      gst_v4l2_elastic_device_new (cdata->media_path, cdata->video_path);
}

static void
gst_v4l2_elastic_decoder_init (GstV4l2ElasticDecoder *self)
{
  gst_video_decoder_set_packetized (GST_VIDEO_DECODER (self), FALSE);
  gst_video_decoder_set_needs_format (GST_VIDEO_DECODER (self), TRUE);
}

static void
gst_v4l2_elastic_decoder_class_init (GstV4l2ElasticDecoderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstVideoDecoderClass *decoder_class = GST_VIDEO_DECODER_CLASS (klass);

  object_class->set_property = gst_v4l2_elastic_decoder_set_property;
  object_class->get_property = gst_v4l2_elastic_decoder_get_property;
  object_class->finalize = gst_v4l2_elastic_decoder_finalize;
  object_class->constructed = gst_v4l2_elastic_decoder_constructed;
  element_class->change_state = gst_v4l2_elastic_decoder_change_state;

  decoder_class->open = gst_v4l2_elastic_decoder_open;
  decoder_class->close = gst_v4l2_elastic_decoder_close;
  decoder_class->start = gst_v4l2_elastic_decoder_start;
  decoder_class->stop = gst_v4l2_elastic_decoder_stop;
  decoder_class->set_format = gst_v4l2_elastic_decoder_set_format;
  decoder_class->flush = gst_v4l2_elastic_decoder_flush;
  decoder_class->sink_event = gst_v4l2_elastic_decoder_sink_event;
  decoder_class->decide_allocation = gst_v4l2_elastic_decoder_decide_allocation;
  decoder_class->getcaps = gst_v4l2_elastic_decoder_getcaps;

  g_object_class_install_property (object_class, PROP_MEDIA_DEVICE,
      g_param_spec_string ("media-device", "Media device",
          "The media controller node of the decoder", NULL,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (object_class, PROP_VIDEO_DEVICE,
      g_param_spec_string ("video-device", "Video device",
          "The video node of the decoder", NULL,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (object_class, PROP_MAX_CAPTURE_BUFFERS,
      g_param_spec_uint ("max-capture-buffers", "Max CAPTURE buffers",
          "Upper bound of the CAPTURE pool; at the bound decoding waits for "
          "a buffer to come back (0: the queue's max_num_buffers)",
          0, G_MAXUINT, 0,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
              GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (object_class, PROP_CAPTURE_MEMORY_LIMIT,
      g_param_spec_uint64 ("capture-memory-limit", "CAPTURE memory limit",
          "Upper bound in bytes of all CAPTURE buffers; at the bound decoding "
          "waits for a buffer to come back (0: no limit). Never below what "
          "one decode step needs.",
          0, G_MAXUINT64, 0,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
              GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (object_class, PROP_CLASSIC_POOL,
      g_param_spec_boolean ("classic-pool", "Classic pool",
          "Use the classic CAPTURE pool (whole allocation, drain, STREAMOFF "
          "and reallocation at every format change) even where the kernel "
          "has VIDIOC_REMOVE_BUFS; taken at the next start",
          FALSE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
              GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (object_class, PROP_POOL_STATS,
      g_param_spec_boxed ("pool-stats", "Pool statistics",
          "The CAPTURE pool now: buffers, bytes, peak-buffers, peak-bytes, "
          "creates, removes, reallocations, waits, target",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
}
