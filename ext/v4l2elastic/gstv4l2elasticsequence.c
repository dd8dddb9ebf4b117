/* gst-v4l2-elastic
 *
 * Sequences: what the base class does when a codec starts decoding at a
 * new size, visible rectangle, layout or reference need.  It takes the
 * cheapest path the driver allows (docs/pool.md, "Format changes"):
 * nothing, a new pool demand, a new format while streaming (elastic), or
 * the queues restarted (classic, or a driver that refuses while busy).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstv4l2elasticdecoderpriv.h"
#include "gstv4l2elasticdmadrm.h"

#include <errno.h>
#include <string.h>

GST_DEBUG_CATEGORY_EXTERN (gst_v4l2_elastic_decoder_debug);
#define GST_CAT_DEFAULT gst_v4l2_elastic_decoder_debug

#define PRIV(self)                                                             \
  gst_v4l2_elastic_decoder_get_priv (GST_V4L2_ELASTIC_DECODER (self))

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
    /* Or the same layout as DMA_DRM, for a downstream that only takes
     * DMABufs. */
    caps = gst_v4l2_elastic_dma_drm_template_caps (f);
    if (chosen == GST_VIDEO_FORMAT_UNKNOWN && caps && peer &&
        gst_caps_can_intersect (caps, peer))
      chosen = f;
    gst_clear_caps (&caps);
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
  return gst_v4l2_elastic_device_set_format (
      priv->device, GST_V4L2_ELASTIC_QUEUE_OUTPUT, &fmt);
}

/* What an OUTPUT buffer should hold for a frame of @sequence. */
static gsize
output_size (const GstV4l2ElasticSequence *sequence)
{
  if (sequence->output_sizeimage)
    return sequence->output_sizeimage;
  /* Half the raw 4:2:0 picture, plus room for headers. */
  return (gsize) sequence->width * sequence->height * 3 / 4 + 4096;
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

  gst_v4l2_elastic_decoder_stream_off (self);
  gst_v4l2_elastic_output_queue_release (priv->outputs);
  gst_v4l2_elastic_capture_pool_orphan_all (priv->pool);

  if (!set_output_format (self, sequence) ||
      !set_capture_format (self, format, sequence->width, sequence->height))
    return FALSE;
  if (!gst_v4l2_elastic_output_queue_reserve (
          priv->outputs, output_size (sequence)))
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

  GstCaps *drm_caps;

  state = gst_video_decoder_set_output_state (
      GST_VIDEO_DECODER (self), format, width, height, priv->input_state);
  if (priv->interlaced)
    GST_VIDEO_INFO_INTERLACE_MODE (&state->info) =
        GST_VIDEO_INTERLACE_MODE_MIXED;
  /* DMA_DRM where downstream asks for it: our buffers are linear DMABufs
   * already, with their layout in GstVideoMeta. */
  drm_caps = gst_v4l2_elastic_dma_drm_caps (&state->info);
  priv->dma_drm = gst_v4l2_elastic_dma_drm_wanted (
      GST_VIDEO_DECODER_SRC_PAD (self), drm_caps);
  if (priv->dma_drm) {
    GST_DEBUG_OBJECT (self, "output as DMA_DRM: %" GST_PTR_FORMAT, drm_caps);
    gst_caps_replace (&state->caps, drm_caps);
  }
  gst_clear_caps (&drm_caps);
  gst_video_codec_state_unref (state);
  return gst_video_decoder_negotiate (GST_VIDEO_DECODER (self));
}

/* A picture shown under the caps of another sequence (a VP9
 * show_existing_frame of a slot decoded before an inter-frame size
 * change, or the first picture after it): the output caps follow the
 * picture.  The pool's buffers carry the GstVideoMeta of their own size. */
gboolean
gst_v4l2_elastic_decoder_negotiate_picture (
    GstV4l2ElasticDecoder *self, const GstV4l2ElasticPicture *picture)
{
  GstVideoCodecState *state =
      gst_video_decoder_get_output_state (GST_VIDEO_DECODER (self));
  gboolean same = state &&
      GST_VIDEO_INFO_FORMAT (&state->info) == picture->format &&
      GST_VIDEO_INFO_WIDTH (&state->info) == (gint) picture->width &&
      GST_VIDEO_INFO_HEIGHT (&state->info) == (gint) picture->height;

  if (state)
    gst_video_codec_state_unref (state);
  if (same)
    return TRUE;
  GST_DEBUG_OBJECT (self, "output caps follow a %ux%u %s picture",
      picture->width, picture->height,
      gst_video_format_to_string (picture->format));
  return negotiate_output (
      self, picture->format, picture->width, picture->height);
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
  gint err = 0;

  /* Every size below was range-checked by the codec state; this bound
   * keeps the size arithmetic here (buffer sizes, crop offsets) from
   * overflowing whatever a state lets through. */
  if (sequence->width == 0 || sequence->height == 0 ||
      sequence->width > GST_V4L2_ELASTIC_MAX_DIMENSION ||
      sequence->height > GST_V4L2_ELASTIC_MAX_DIMENSION) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("The stream's frame size is not supported."),
        ("%ux%u (at most %ux%u)", sequence->width, sequence->height,
            GST_V4L2_ELASTIC_MAX_DIMENSION, GST_V4L2_ELASTIC_MAX_DIMENSION));
    return GST_FLOW_NOT_NEGOTIATED;
  }
  gst_v4l2_elastic_decoder_ensure_pool (self);

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
    gst_v4l2_elastic_decoder_update_demand (self);
    if (!priv->interlaced != !sequence->interlaced) {
      /* The same buffers, other caps (interlace-mode). */
      priv->interlaced = sequence->interlaced;
      if (!negotiate_output (self, priv->out_format, visible.w, visible.h)) {
        GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, ("Negotiation failed."),
            ("downstream refused interlace-mode %s",
                sequence->interlaced ? "mixed" : "progressive"));
        return GST_FLOW_NOT_NEGOTIATED;
      }
    }
    return GST_FLOW_OK;
  }
  priv->interlaced = sequence->interlaced;

  GST_DEBUG_OBJECT (self, "sequence %ux%u, visible %dx%d at %d,%d (was %ux%u)",
      sequence->width, sequence->height, visible.w, visible.h, visible.x,
      visible.y, priv->width, priv->height);
  priv->width = sequence->width;
  priv->height = sequence->height;
  priv->visible = visible;

  if (!priv->have_sequence) {
    /* Formats must be set before CAPTURE formats can be listed. */
    if (!set_output_format (self, sequence)) {
      err = errno;
      goto output_format_failed;
    }
  }
  format = choose_output_format (self, sequence);
  if (format == GST_VIDEO_FORMAT_UNKNOWN)
    goto no_format;

  if (!priv->have_sequence) {
    if (!set_capture_format (self, format, sequence->width, sequence->height) ||
        !gst_v4l2_elastic_output_queue_reserve (
            priv->outputs, output_size (sequence))) {
      err = errno;
      goto failed;
    }
    /* The classic pool allocates its whole target below, once the
     * downstream minimum is known; the elastic one creates on demand. */
    if (!priv->use_classic)
      gst_v4l2_elastic_capture_pool_set_format (
          priv->pool, &priv->capture_fmt, &priv->capture_info);
  } else if (priv->use_classic) {
    GST_DEBUG_OBJECT (self, "classic path: drain done, reallocating");
    if (!restart_queues (self, sequence, format)) {
      err = errno;
      goto failed;
    }
    references_lost = sequence->keeps_references;
  } else if (set_output_format (self, sequence) &&
      set_capture_format (self, format, sequence->width, sequence->height)) {
    GST_DEBUG_OBJECT (self, "elastic path: format changed while streaming%s",
        sequence->keeps_references ? ", references of the old size kept" : "");
    gst_v4l2_elastic_capture_pool_set_format (
        priv->pool, &priv->capture_fmt, &priv->capture_info);
    if (!gst_v4l2_elastic_output_queue_reserve (
            priv->outputs, output_size (sequence))) {
      err = errno;
      goto failed;
    }
    if (sequence->keeps_references)
      g_atomic_int_inc (&priv->inter_resizes);
  } else if ((err = errno) == EBUSY) {
    GST_INFO_OBJECT (self,
        "%s refuses the format change while busy: "
        "restarting the queues",
        priv->device->video_path);
    if (!restart_queues (self, sequence, format)) {
      err = errno;
      goto failed;
    }
    references_lost = sequence->keeps_references;
  } else {
    goto failed;
  }

  if (references_lost) {
    /* REQBUFS(0) took the reference pictures out of the driver's queue:
     * the frames up to the next key frame cannot be decoded. */
    g_atomic_int_inc (&priv->inter_resize_fallbacks);
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
  gst_v4l2_elastic_decoder_update_demand (self);

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
            priv->pool, &priv->capture_fmt, &priv->capture_info)) {
      err = errno;
      goto failed;
    }
  }
  return references_lost ? GST_V4L2_ELASTIC_FLOW_REFERENCES_LOST : GST_FLOW_OK;

output_format_failed:
  GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
      ("The decoder does not accept this stream format."),
      ("VIDIOC_S_FMT on OUTPUT (%ux%u) failed: %s", sequence->width,
          sequence->height, g_strerror (err)));
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
      ("%s", g_strerror (err)));
  return GST_FLOW_ERROR;
}
