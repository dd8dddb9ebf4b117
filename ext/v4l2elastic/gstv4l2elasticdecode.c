/* gst-v4l2-elastic
 *
 * The decode path of the base class.  Decoding is one request at a time:
 * the bitstream goes into an OUTPUT buffer bound to a media request with
 * the frame's controls, one CAPTURE buffer from the elastic pool is
 * queued, the request is queued and waited for.  Output pushes a picture's
 * buffer downstream (or a copy where downstream cannot take it).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstv4l2elasticdecoderpriv.h"

#include <errno.h>
#include <string.h>

GST_DEBUG_CATEGORY_EXTERN (gst_v4l2_elastic_decoder_debug);
#define GST_CAT_DEFAULT gst_v4l2_elastic_decoder_debug

/* How long a request may take before the driver is considered hung. */
#define REQUEST_TIMEOUT_MS 5000

#define PRIV(self)                                                             \
  gst_v4l2_elastic_decoder_get_priv (GST_V4L2_ELASTIC_DECODER (self))

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
  gst_buffer_unref (picture->buffer);
}

void
gst_v4l2_elastic_picture_unref (GstV4l2ElasticPicture *picture)
{
  g_atomic_rc_box_release_full (picture, (GDestroyNotify) picture_clear);
}

/**
 * gst_v4l2_elastic_decoder_frame_timestamp:
 *
 * The V4L2 timestamp a frame is usually decoded with and referenced by:
 * its system frame number, offset by one so that no frame is named 0, in
 * microseconds (the kernel keeps a timeval).  A codec that decodes more
 * than one picture per frame (VP9 superframes) names the others itself.
 */
guint64
gst_v4l2_elastic_decoder_frame_timestamp (GstVideoCodecFrame *frame)
{
  return ((guint64) frame->system_frame_number + 1) * 1000;
}

/* --- queues -----------------------------------------------------------------
 */

gboolean
gst_v4l2_elastic_decoder_stream_on (GstV4l2ElasticDecoder *self)
{
  GstV4l2ElasticDecoderPrivate *priv = PRIV (self);

  if (!gst_v4l2_elastic_output_queue_stream_on (priv->outputs))
    return FALSE;
  if (priv->capture_streaming)
    return TRUE;
  if (!gst_v4l2_elastic_device_stream_on (
          priv->device, GST_V4L2_ELASTIC_QUEUE_CAPTURE)) {
    gint err = errno;

    gst_v4l2_elastic_output_queue_stream_off (priv->outputs);
    errno = err;
    return FALSE;
  }
  priv->capture_streaming = TRUE;
  return TRUE;
}

/* STREAMOFF returns every queued buffer to userspace: after it nothing
 * of ours is in a kernel queue. */
void
gst_v4l2_elastic_decoder_stream_off (GstV4l2ElasticDecoder *self)
{
  GstV4l2ElasticDecoderPrivate *priv = PRIV (self);

  if (priv->outputs)
    gst_v4l2_elastic_output_queue_stream_off (priv->outputs);
  if (!priv->capture_streaming)
    return;
  gst_v4l2_elastic_device_stream_off (
      priv->device, GST_V4L2_ELASTIC_QUEUE_CAPTURE);
  priv->capture_streaming = FALSE;
}

/* --- decoding ---------------------------------------------------------------
 */

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

/* One request.  @into: the picture of a first field (or first slice)
 * whose CAPTURE buffer the driver holds: this request writes into it.
 * @hold: more of the picture follows (a first field, a slice but the
 * last): its CAPTURE buffer stays with the driver
 * (V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF) and the picture returned is not
 * complete until a request without @hold names it as @into. */
static GstFlowReturn
decode_request (GstV4l2ElasticDecoder *self, GstVideoCodecFrame *frame,
    guint64 timestamp_ns, const guint8 *bitstream, gsize size,
    struct v4l2_ext_control *controls, guint n_controls,
    GstV4l2ElasticPicture *into, gboolean hold, GstV4l2ElasticPicture **picture)
{
  GstV4l2ElasticDecoderPrivate *priv = PRIV (self);
  GstV4l2ElasticRequest *request = NULL;
  GstBuffer *capture = NULL;
  GstV4l2ElasticBufferInfo done;
  GstFlowReturn ret = GST_FLOW_OK;
  guint32 bytesused = size;
  guint output_index;
  gint capture_index, err, waited;

  *picture = NULL;
  g_return_val_if_fail (priv->have_sequence, GST_FLOW_NOT_NEGOTIATED);

  /* A frame larger than the OUTPUT buffers grows them first. */
  if (!gst_v4l2_elastic_output_queue_write (
          priv->outputs, bitstream, size, &output_index)) {
    err = errno;
    GST_ELEMENT_ERROR (self, RESOURCE, NO_SPACE_LEFT,
        ("No bitstream buffer can hold a frame."),
        ("%" G_GSIZE_FORMAT " bytes: %s", size, g_strerror (err)));
    return GST_FLOW_ERROR;
  }

  request = gst_v4l2_elastic_request_pool_acquire (priv->requests);
  if (!request) {
    err = errno;
    goto device_failed;
  }

  /* Controls and bitstream first: a refusal here leaves nothing queued,
   * and re-initialising the request unbinds the OUTPUT buffer. */
  if (!gst_v4l2_elastic_device_set_controls (
          priv->device, request->fd, controls, n_controls)) {
    err = errno;
    gst_v4l2_elastic_request_pool_release (priv->requests, request);
    GST_VIDEO_DECODER_ERROR (self, 1, STREAM, DECODE,
        ("The decoder refused the frame's parameters."),
        ("%s", g_strerror (err)), ret);
    return ret;
  }
  if (!gst_v4l2_elastic_device_queue_buffer (priv->device,
          GST_V4L2_ELASTIC_QUEUE_OUTPUT, output_index, timestamp_ns, &bytesused,
          1, request->fd, hold ? V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF : 0)) {
    err = errno;
    gst_v4l2_elastic_request_pool_release (priv->requests, request);
    goto device_failed;
  }

  if (into) {
    /* The driver holds it since the first field: nothing to queue. */
    capture = gst_buffer_ref (into->buffer);
    capture_index = gst_v4l2_elastic_capture_pool_buffer_index (capture);
    goto queued;
  }
  ret = gst_buffer_pool_acquire_buffer (
      GST_BUFFER_POOL (priv->pool), &capture, NULL);
  if (ret != GST_FLOW_OK) {
    gst_v4l2_elastic_request_pool_release (priv->requests, request);
    GST_DEBUG_OBJECT (self, "no CAPTURE buffer: %s", gst_flow_get_name (ret));
    if (ret == GST_FLOW_ERROR)
      GST_ELEMENT_ERROR (self, RESOURCE, NO_SPACE_LEFT,
          ("Could not allocate a picture buffer."),
          ("the CAPTURE pool failed to create a buffer"));
    return ret;
  }
  capture_index = gst_v4l2_elastic_capture_pool_buffer_index (capture);
  if (!gst_v4l2_elastic_device_queue_buffer (priv->device,
          GST_V4L2_ELASTIC_QUEUE_CAPTURE, capture_index, 0, NULL, 0, -1, 0)) {
    err = errno;
    gst_v4l2_elastic_request_pool_release (priv->requests, request);
    gst_buffer_unref (capture);
    goto device_failed;
  }

queued:
  /* STREAMON needs buffers on each queue: an elastic CAPTURE queue has
   * none before the first one is created and queued above. */
  if (!gst_v4l2_elastic_decoder_stream_on (self)) {
    err = errno;
    gst_v4l2_elastic_decoder_stream_off (self);
    gst_v4l2_elastic_request_pool_release (priv->requests, request);
    gst_buffer_unref (capture);
    goto device_failed;
  }

  if (!gst_v4l2_elastic_request_queue (request)) {
    /* Validation failed: the frame's controls are inconsistent. */
    err = errno;
    gst_v4l2_elastic_decoder_stream_off (self);
    gst_v4l2_elastic_request_pool_release (priv->requests, request);
    gst_buffer_unref (capture);
    GST_VIDEO_DECODER_ERROR (self, 1, STREAM, DECODE,
        ("The decoder refused the frame."), ("%s", g_strerror (err)), ret);
    return ret;
  }

  waited = gst_v4l2_elastic_request_wait (request, REQUEST_TIMEOUT_MS);
  if (waited <= 0) {
    err = errno;
    gst_v4l2_elastic_decoder_stream_off (self);
    gst_v4l2_elastic_request_pool_release (priv->requests, request);
    gst_buffer_unref (capture);
    if (waited < 0)
      goto device_failed;
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
        ("The decoder did not finish a frame."),
        ("request not complete after %d ms", REQUEST_TIMEOUT_MS));
    return GST_FLOW_ERROR;
  }

  if (!dequeue_matching (
          self, GST_V4L2_ELASTIC_QUEUE_OUTPUT, output_index, &done) ||
      (!hold &&
          !dequeue_matching (
              self, GST_V4L2_ELASTIC_QUEUE_CAPTURE, capture_index, &done))) {
    err = errno;
    gst_v4l2_elastic_decoder_stream_off (self);
    gst_v4l2_elastic_request_pool_release (priv->requests, request);
    gst_buffer_unref (capture);
    goto device_failed;
  }
  gst_v4l2_elastic_request_pool_release (priv->requests, request);

  if (done.flags & V4L2_BUF_FLAG_ERROR) {
    /* A held first field's buffer is still the driver's: take it back
     * before the pool can hand it out again. */
    if (hold)
      gst_v4l2_elastic_decoder_release_field (self);
    gst_buffer_unref (capture);
    GST_VIDEO_DECODER_ERROR (self, 1, STREAM, DECODE,
        ("The decoder reported an error for a frame."),
        ("frame %u", frame->system_frame_number), ret);
    return ret;
  }

  if (into) {
    gst_buffer_unref (capture);
    *picture = gst_v4l2_elastic_picture_ref (into);
    return GST_FLOW_OK;
  }
  *picture = g_atomic_rc_box_new0 (GstV4l2ElasticPicture);
  (*picture)->buffer = capture;
  (*picture)->timestamp_ns = timestamp_ns;
  (*picture)->format = priv->out_format;
  (*picture)->width = priv->visible.w;
  (*picture)->height = priv->visible.h;
  return GST_FLOW_OK;

device_failed:
  GST_ELEMENT_ERROR (self, RESOURCE, FAILED, ("The decoder device failed."),
      ("%s", g_strerror (err)));
  return GST_FLOW_ERROR;
}

/**
 * gst_v4l2_elastic_decoder_decode:
 * @timestamp_ns: the V4L2 timestamp the picture is named by (usually
 *   gst_v4l2_elastic_decoder_frame_timestamp())
 * @controls: the frame's controls, set in its request
 * @picture: (out): the decoded picture, or %NULL when the driver reported
 *   a decode error for this frame (counted against max-errors)
 *
 * Decodes one picture of @frame and waits for it.  The picture is output
 * (if ever) with gst_v4l2_elastic_decoder_output().
 */
GstFlowReturn
gst_v4l2_elastic_decoder_decode (GstV4l2ElasticDecoder *self,
    GstVideoCodecFrame *frame, guint64 timestamp_ns, const guint8 *bitstream,
    gsize size, struct v4l2_ext_control *controls, guint n_controls,
    GstV4l2ElasticPicture **picture)
{
  return decode_request (self, frame, timestamp_ns, bitstream, size, controls,
      n_controls, NULL, FALSE, picture);
}

/**
 * gst_v4l2_elastic_decoder_decode_field:
 * @first: %NULL for the first field of a frame, else the picture its
 *   decode returned: the second field is written into its buffer
 * @picture: (out): for a first field, a picture whose CAPTURE buffer the
 *   driver keeps for the second field (never output before that, or
 *   before gst_v4l2_elastic_decoder_release_field()); for a second field,
 *   @first again, now complete; %NULL on a decode error
 *
 * Two field pictures into one CAPTURE buffer (MPEG-2 field pairs): the
 * first field's request holds the buffer (V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF),
 * the second field's, with the same @timestamp_ns, writes into it and
 * gives it back.
 */
GstFlowReturn
gst_v4l2_elastic_decoder_decode_field (GstV4l2ElasticDecoder *self,
    GstVideoCodecFrame *frame, guint64 timestamp_ns, const guint8 *bitstream,
    gsize size, struct v4l2_ext_control *controls, guint n_controls,
    GstV4l2ElasticPicture *first, GstV4l2ElasticPicture **picture)
{
  return decode_request (self, frame, timestamp_ns, bitstream, size, controls,
      n_controls, first, first == NULL, picture);
}

/**
 * gst_v4l2_elastic_decoder_decode_slice:
 * @into: %NULL for the first slice of a picture, else the picture the
 *   first slice's decode returned: this slice is written into its buffer
 * @last: the picture's last slice: the driver gives the buffer back
 * @picture: (out): @into again (referenced), or for a first slice a new
 *   picture whose CAPTURE buffer the driver keeps until the last slice;
 *   %NULL on a decode error
 *
 * One slice of a picture per request (slice-based decoders): every
 * request but the last holds the CAPTURE buffer
 * (V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF), all with the same @timestamp_ns.
 * A picture given up before its last slice is taken back with
 * gst_v4l2_elastic_decoder_release_field().
 */
GstFlowReturn
gst_v4l2_elastic_decoder_decode_slice (GstV4l2ElasticDecoder *self,
    GstVideoCodecFrame *frame, guint64 timestamp_ns, const guint8 *bitstream,
    gsize size, struct v4l2_ext_control *controls, guint n_controls,
    GstV4l2ElasticPicture *into, gboolean last, GstV4l2ElasticPicture **picture)
{
  return decode_request (self, frame, timestamp_ns, bitstream, size, controls,
      n_controls, into, !last, picture);
}

/**
 * gst_v4l2_elastic_decoder_release_field:
 *
 * A first field whose second field never comes: its CAPTURE buffer is
 * taken back from the driver (CAPTURE STREAMOFF returns it, with the one
 * field written; streaming restarts with the next decode).
 */
void
gst_v4l2_elastic_decoder_release_field (GstV4l2ElasticDecoder *self)
{
  GstV4l2ElasticDecoderPrivate *priv = PRIV (self);

  if (!priv->capture_streaming)
    return;
  GST_DEBUG_OBJECT (self, "taking a held first field back: CAPTURE STREAMOFF");
  gst_v4l2_elastic_device_stream_off (
      priv->device, GST_V4L2_ELASTIC_QUEUE_CAPTURE);
  priv->capture_streaming = FALSE;
}

/* Downstream can take our buffers as they are: it reads GstVideoMeta, or
 * the driver's layout is the default one for the caps. */
static gboolean
can_push_directly (GstV4l2ElasticDecoder *self, const GstVideoInfo *info)
{
  GstV4l2ElasticDecoderPrivate *priv = PRIV (self);
  GstVideoInfo def;
  guint p;

  /* DMA_DRM downstream reads the layout from GstVideoMeta; a copy into
   * its memory is not possible anyway. */
  if (priv->downstream_has_meta || priv->dma_drm)
    return TRUE;
  gst_video_info_set_format (&def, GST_VIDEO_INFO_FORMAT (info),
      GST_VIDEO_INFO_WIDTH (info), GST_VIDEO_INFO_HEIGHT (info));
  for (p = 0; p < GST_VIDEO_INFO_N_PLANES (&def); p++)
    if (def.stride[p] != info->stride[p] || def.offset[p] != info->offset[p])
      return FALSE;
  return TRUE;
}

/* The layout of a picture's buffer, from its GstVideoMeta (which the pool
 * set from the format the buffer was created for). */
static gboolean
picture_video_info (GstV4l2ElasticPicture *picture, GstVideoInfo *info)
{
  GstVideoMeta *meta = gst_buffer_get_video_meta (picture->buffer);
  guint p;

  if (!meta)
    return FALSE;
  gst_video_info_set_format (info, meta->format, meta->width, meta->height);
  for (p = 0; p < meta->n_planes; p++) {
    info->offset[p] = meta->offset[p];
    info->stride[p] = meta->stride[p];
  }
  return TRUE;
}

/**
 * gst_v4l2_elastic_decoder_output:
 * @picture: (transfer full): what @frame shows (its own decode, or an
 *   earlier picture); the caller's reference is taken
 *
 * Finishes @frame with @picture: the picture's buffer goes downstream.
 * While the codec state still references the picture, the buffer is
 * shared (GstVideoDecoder pushes a shallow copy, and a write downstream
 * goes to a copy of the memory); once it is not a reference any more (the
 * caller's was the last), downstream gets the pool's own writable buffer.
 * Where downstream cannot read our layout, or holds every buffer the
 * kernel queue can take, it is copied into downstream's memory.  The caps
 * follow the picture's size.
 */
GstFlowReturn
gst_v4l2_elastic_decoder_output (GstV4l2ElasticDecoder *self,
    GstVideoCodecFrame *frame, GstV4l2ElasticPicture *picture)
{
  GstV4l2ElasticDecoderPrivate *priv = PRIV (self);
  GstVideoDecoder *decoder = GST_VIDEO_DECODER (self);
  GstVideoFrame src, dst;
  GstVideoCodecState *state;
  GstVideoInfo info;
  GstFlowReturn ret;
  gboolean copied = FALSE;

  if (!gst_v4l2_elastic_decoder_negotiate_picture (self, picture)) {
    gst_v4l2_elastic_picture_unref (picture);
    gst_video_decoder_release_frame (decoder, frame);
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, ("Negotiation failed."),
        ("downstream refused %s %ux%u",
            gst_video_format_to_string (picture->format), picture->width,
            picture->height));
    return GST_FLOW_NOT_NEGOTIATED;
  }
  if (!picture_video_info (picture, &info)) {
    gst_v4l2_elastic_picture_unref (picture);
    gst_video_decoder_release_frame (decoder, frame);
    GST_ELEMENT_ERROR (
        self, CORE, FAILED, ("A picture lost its layout."), (NULL));
    return GST_FLOW_ERROR;
  }

  gst_buffer_replace (&frame->output_buffer, NULL);
  /* A full kernel queue that downstream holds gets copies (DMA_DRM caps
   * have no system-memory form to copy into). */
  if (can_push_directly (self, &info) &&
      (priv->dma_drm ||
          !gst_v4l2_elastic_capture_pool_should_copy (priv->pool))) {
    guint flags = picture->video_flags;

    frame->output_buffer = gst_buffer_ref (picture->buffer);
    gst_v4l2_elastic_picture_unref (picture);
    if (flags) {
      /* Ours alone once the codec no longer references it; a shallow
       * copy (as GstVideoDecoder makes to stamp it) while it does. */
      frame->output_buffer = gst_buffer_make_writable (frame->output_buffer);
      GST_BUFFER_FLAG_SET (frame->output_buffer, flags);
    }
    return gst_video_decoder_finish_frame (decoder, frame);
  }

  ret = gst_video_decoder_allocate_output_frame (decoder, frame);
  if (ret != GST_FLOW_OK) {
    gst_v4l2_elastic_picture_unref (picture);
    gst_video_decoder_release_frame (decoder, frame);
    return ret;
  }

  state = gst_video_decoder_get_output_state (decoder);
  if (gst_video_frame_map (&src, &info, picture->buffer, GST_MAP_READ)) {
    if (gst_video_frame_map (
            &dst, &state->info, frame->output_buffer, GST_MAP_WRITE)) {
      copied = gst_video_frame_copy (&dst, &src);
      gst_video_frame_unmap (&dst);
    }
    gst_video_frame_unmap (&src);
  }
  gst_video_codec_state_unref (state);
  GST_BUFFER_FLAG_SET (frame->output_buffer, picture->video_flags);
  gst_v4l2_elastic_picture_unref (picture);

  if (!copied) {
    gst_video_decoder_release_frame (decoder, frame);
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
        ("Cannot copy a decoded frame for downstream."), (NULL));
    return GST_FLOW_ERROR;
  }
  return gst_video_decoder_finish_frame (decoder, frame);
}
