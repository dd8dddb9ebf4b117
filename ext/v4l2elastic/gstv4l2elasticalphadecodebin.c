/* gst-v4l2-elastic
 *
 * v4l2elastic<codec>alphadecodebin: WebM carries the alpha plane of a
 * VP8/VP9 picture as a second VP8/VP9 stream in each block's
 * BlockAdditional; matroskademux attaches it to the colour frame as
 * GstVideoCodecAlphaMeta and marks the caps codec-alpha=true.  This bin
 * splits the two (GStreamer's codecalphademux), decodes each with its own
 * instance of one of our decoders and joins them again (alphacombine):
 *
 *   sink -> codecalphademux -src---> queue -> decoder -> alphacombine -> src
 *                           \alpha-> queue -> decoder -/
 *
 * Each decoder opens the device itself: two m2m contexts, two CAPTURE
 * pools, each elastic on its own.  The queues let the demuxer hand the
 * alpha frame to its branch while the colour branch waits in alphacombine
 * for it.  A block without alpha reaches the alpha decoder as a GAP event,
 * which alphacombine answers with the previous alpha plane.
 *
 * What alphacombine does not check: that the alpha picture it appends is
 * as large as the colour picture.  A stream whose alpha plane is smaller
 * would send downstream a buffer whose alpha plane ends early, so the bin
 * checks every combined buffer and stops with an error instead.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-v4l2elasticvp9alphadecodebin
 * @title: v4l2elasticvp9alphadecodebin
 * @short_description: VP9 with alpha (WebM) through two V4L2 stateless decoders
 *
 * Registered beside v4l2elasticvp9dec (and v4l2elasticvp8alphadecodebin
 * beside v4l2elasticvp8dec), ten ranks above it, so that playbin,
 * playbin3 and decodebin pick it for streams with codec-alpha=true and the
 * plain decoder for all others.  Outputs A420 (or AV12 from NV12).
 *
 * ## Example launch line
 * |[
 * gst-play-1.0 overlay-with-alpha.webm
 * gst-launch-1.0 filesrc location=overlay-with-alpha.webm ! matroskademux \
 *     ! vp9parse ! v4l2elasticvp9alphadecodebin ! videoconvert \
 *     ! autovideosink
 * ]|
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <gst/video/video.h>

#include "gstv4l2elasticalphadecodebin.h"

GST_DEBUG_CATEGORY_STATIC (gst_v4l2_elastic_alpha_decode_bin_debug);
#define GST_CAT_DEFAULT gst_v4l2_elastic_alpha_decode_bin_debug

/* What one registered bin wraps. */
typedef struct
{
  gchar *decoder_name; /* our decoder's element name */
  GstCaps *sink_caps;
  GstCaps *src_caps;
} GstV4l2ElasticAlphaCData;

#define GST_TYPE_V4L2_ELASTIC_ALPHA_DECODE_BIN                                 \
  (gst_v4l2_elastic_alpha_decode_bin_get_type ())
G_DECLARE_DERIVABLE_TYPE (GstV4l2ElasticAlphaDecodeBin,
    gst_v4l2_elastic_alpha_decode_bin, GST, V4L2_ELASTIC_ALPHA_DECODE_BIN,
    GstBin)

struct _GstV4l2ElasticAlphaDecodeBinClass
{
  GstBinClass parent_class;
  const GstV4l2ElasticAlphaCData *cdata;
};

typedef struct
{
  /* The first element that could not be made; NULL: the bin is whole. */
  gchar *missing;
} GstV4l2ElasticAlphaDecodeBinPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (GstV4l2ElasticAlphaDecodeBin,
    gst_v4l2_elastic_alpha_decode_bin, GST_TYPE_BIN)

#define PRIV(self)                                                             \
  ((GstV4l2ElasticAlphaDecodeBinPrivate *)                                     \
          gst_v4l2_elastic_alpha_decode_bin_get_instance_private (self))

/* The alpha picture alphacombine appended to @buffer: the parent buffer
 * that owns the buffer's last memory (the colour picture is the other
 * parent). */
static GstBuffer *
find_alpha_picture (GstBuffer *buffer)
{
  guint n = gst_buffer_n_memory (buffer);
  GstMemory *last;
  gpointer state = NULL;
  GstMeta *meta;

  if (n == 0)
    return NULL;
  last = gst_buffer_peek_memory (buffer, n - 1);
  while ((meta = gst_buffer_iterate_meta_filtered (
              buffer, &state, GST_PARENT_BUFFER_META_API_TYPE))) {
    GstBuffer *parent = ((GstParentBufferMeta *) meta)->buffer;
    guint i;

    for (i = 0; i < gst_buffer_n_memory (parent); i++)
      if (gst_buffer_peek_memory (parent, i) == last)
        return parent;
  }
  return NULL;
}

/* Every combined picture: its alpha plane must cover the picture. */
static GstPadProbeReturn
check_alpha_size (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  GstElement *bin = user_data;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  GstVideoMeta *picture, *alpha_meta;
  GstBuffer *alpha;

  picture = gst_buffer_get_video_meta (buffer);
  alpha = find_alpha_picture (buffer);
  if (!picture || !alpha)
    return GST_PAD_PROBE_OK;
  alpha_meta = gst_buffer_get_video_meta (alpha);
  if (!alpha_meta ||
      (alpha_meta->width == picture->width &&
          alpha_meta->height == picture->height))
    return GST_PAD_PROBE_OK;

  GST_ELEMENT_ERROR (bin, STREAM, DECODE,
      ("The alpha stream does not match the video stream."),
      ("picture at %" GST_TIME_FORMAT " is %ux%u, its alpha plane %ux%u",
          GST_TIME_ARGS (GST_BUFFER_PTS (buffer)), picture->width,
          picture->height, alpha_meta->width, alpha_meta->height));
  gst_buffer_unref (buffer);
  GST_PAD_PROBE_INFO_DATA (info) = NULL;
  GST_PAD_PROBE_INFO_FLOW_RETURN (info) = GST_FLOW_ERROR;
  return GST_PAD_PROBE_HANDLED;
}

static GstElement *
make (
    GstV4l2ElasticAlphaDecodeBin *self, const gchar *factory, const gchar *name)
{
  GstV4l2ElasticAlphaDecodeBinPrivate *priv = PRIV (self);
  GstElement *element = gst_element_factory_make (factory, name);

  if (!element) {
    GST_WARNING_OBJECT (self, "no element %s", factory);
    if (!priv->missing)
      priv->missing = g_strdup (factory);
  }
  return element;
}

static gboolean
link_pads (GstElement *src, const gchar *src_pad, GstElement *sink,
    const gchar *sink_pad)
{
  return gst_element_link_pads (src, src_pad, sink, sink_pad);
}

static void
gst_v4l2_elastic_alpha_decode_bin_constructed (GObject *object)
{
  GstV4l2ElasticAlphaDecodeBin *self =
      GST_V4L2_ELASTIC_ALPHA_DECODE_BIN (object);
  GstV4l2ElasticAlphaDecodeBinClass *klass =
      GST_V4L2_ELASTIC_ALPHA_DECODE_BIN_GET_CLASS (self);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstV4l2ElasticAlphaDecodeBinPrivate *priv = PRIV (self);
  GstElement *demux, *colour_queue, *alpha_queue, *colour, *alpha, *combine;
  GstPad *target, *ghost;

  G_OBJECT_CLASS (gst_v4l2_elastic_alpha_decode_bin_parent_class)
      ->constructed (object);

  /* The subclass' class data is only known here, not in instance_init. */
  demux = make (self, "codecalphademux", "demux");
  colour_queue = make (self, "queue", "colour-queue");
  alpha_queue = make (self, "queue", "alpha-queue");
  colour = make (self, klass->cdata->decoder_name, "colour-decoder");
  alpha = make (self, klass->cdata->decoder_name, "alpha-decoder");
  combine = make (self, "alphacombine", "combine");

  if (priv->missing) {
    /* Reported when the bin is started: an element cannot fail here. */
    gst_clear_object (&demux);
    gst_clear_object (&colour_queue);
    gst_clear_object (&alpha_queue);
    gst_clear_object (&colour);
    gst_clear_object (&alpha);
    gst_clear_object (&combine);
    gst_element_add_pad (GST_ELEMENT (self),
        gst_ghost_pad_new_no_target_from_template ("sink",
            gst_element_class_get_pad_template (element_class, "sink")));
    gst_element_add_pad (GST_ELEMENT (self),
        gst_ghost_pad_new_no_target_from_template (
            "src", gst_element_class_get_pad_template (element_class, "src")));
    return;
  }

  gst_bin_add_many (GST_BIN (self), demux, colour_queue, alpha_queue, colour,
      alpha, combine, NULL);
  if (!link_pads (demux, "src", colour_queue, "sink") ||
      !link_pads (colour_queue, "src", colour, "sink") ||
      !link_pads (colour, "src", combine, "sink") ||
      !link_pads (demux, "alpha", alpha_queue, "sink") ||
      !link_pads (alpha_queue, "src", alpha, "sink") ||
      !link_pads (alpha, "src", combine, "alpha")) {
    priv->missing = g_strdup ("a link between codecalphademux, "
                              "the decoders and alphacombine");
    GST_ERROR_OBJECT (self, "%s failed", priv->missing);
  }

  target = gst_element_get_static_pad (demux, "sink");
  ghost = gst_ghost_pad_new_from_template ("sink", target,
      gst_element_class_get_pad_template (element_class, "sink"));
  gst_object_unref (target);
  gst_element_add_pad (GST_ELEMENT (self), ghost);

  target = gst_element_get_static_pad (combine, "src");
  gst_pad_add_probe (
      target, GST_PAD_PROBE_TYPE_BUFFER, check_alpha_size, self, NULL);
  ghost = gst_ghost_pad_new_from_template (
      "src", target, gst_element_class_get_pad_template (element_class, "src"));
  gst_object_unref (target);
  gst_element_add_pad (GST_ELEMENT (self), ghost);
}

static GstStateChangeReturn
gst_v4l2_elastic_alpha_decode_bin_change_state (
    GstElement *element, GstStateChange transition)
{
  GstV4l2ElasticAlphaDecodeBinPrivate *priv =
      PRIV (GST_V4L2_ELASTIC_ALPHA_DECODE_BIN (element));

  if (transition == GST_STATE_CHANGE_NULL_TO_READY && priv->missing) {
    GST_ELEMENT_ERROR (element, CORE, MISSING_PLUGIN,
        ("Missing element '%s': check your GStreamer installation "
         "(codecalphademux and alphacombine are in gst-plugins-bad).",
            priv->missing),
        (NULL));
    return GST_STATE_CHANGE_FAILURE;
  }
  return GST_ELEMENT_CLASS (gst_v4l2_elastic_alpha_decode_bin_parent_class)
      ->change_state (element, transition);
}

static void
gst_v4l2_elastic_alpha_decode_bin_finalize (GObject *object)
{
  g_free (PRIV (GST_V4L2_ELASTIC_ALPHA_DECODE_BIN (object))->missing);
  G_OBJECT_CLASS (gst_v4l2_elastic_alpha_decode_bin_parent_class)
      ->finalize (object);
}

static void
gst_v4l2_elastic_alpha_decode_bin_class_init (
    GstV4l2ElasticAlphaDecodeBinClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  object_class->constructed = gst_v4l2_elastic_alpha_decode_bin_constructed;
  object_class->finalize = gst_v4l2_elastic_alpha_decode_bin_finalize;
  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_v4l2_elastic_alpha_decode_bin_change_state);
}

static void
gst_v4l2_elastic_alpha_decode_bin_init (GstV4l2ElasticAlphaDecodeBin *self)
{
}

/* A registered bin's class: its decoder, pad templates and metadata. */
static void
subclass_init (gpointer g_class, gpointer class_data)
{
  GstV4l2ElasticAlphaDecodeBinClass *klass = g_class;
  GstElementClass *element_class = GST_ELEMENT_CLASS (g_class);
  const GstV4l2ElasticAlphaCData *cdata = class_data;
  gchar *description;

  klass->cdata = cdata;
  description = g_strdup_printf ("Decodes a video stream and its alpha "
                                 "stream (WebM) with two %s and combines them",
      cdata->decoder_name);
  gst_element_class_set_metadata (element_class,
      "V4L2 elastic stateless decoder with alpha",
      "Codec/Decoder/Video/Hardware", description,
      "gst-v4l2-elastic developers <dev@gst-v4l2-elastic.invalid>");
  g_free (description);
  gst_element_class_add_pad_template (element_class,
      gst_pad_template_new (
          "sink", GST_PAD_SINK, GST_PAD_ALWAYS, cdata->sink_caps));
  gst_element_class_add_pad_template (element_class,
      gst_pad_template_new (
          "src", GST_PAD_SRC, GST_PAD_ALWAYS, cdata->src_caps));
}

/* The decoder's caps with an alpha stream. */
static GstCaps *
alpha_sink_caps (GstElementFactory *factory)
{
  const GList *l;

  for (l = gst_element_factory_get_static_pad_templates (factory); l;
       l = l->next) {
    GstStaticPadTemplate *templ = l->data;

    if (templ->direction == GST_PAD_SINK) {
      GstCaps *caps = gst_static_caps_get (&templ->static_caps);

      caps = gst_caps_make_writable (caps);
      gst_caps_set_simple (caps, "codec-alpha", G_TYPE_BOOLEAN, TRUE, NULL);
      return caps;
    }
  }
  return NULL;
}

/* What alphacombine makes of the decoder's system-memory formats: A420
 * from I420, AV12 from NV12; empty when the decoder writes neither. */
static GstCaps *
alpha_src_caps (GstElementFactory *factory)
{
  GstCaps *i420_caps = gst_caps_from_string ("video/x-raw, format=I420");
  GstCaps *nv12_caps = gst_caps_from_string ("video/x-raw, format=NV12");
  gboolean i420 = FALSE, nv12 = FALSE;
  GValue formats = G_VALUE_INIT, format = G_VALUE_INIT;
  const GList *l;
  GstCaps *caps;
  guint i;

  for (l = gst_element_factory_get_static_pad_templates (factory); l;
       l = l->next) {
    GstStaticPadTemplate *templ = l->data;
    GstCaps *src;

    if (templ->direction != GST_PAD_SRC)
      continue;
    src = gst_static_caps_get (&templ->static_caps);
    for (i = 0; i < gst_caps_get_size (src); i++) {
      GstCapsFeatures *features = gst_caps_get_features (src, i);
      GstCaps *one;

      /* DMA_DRM caps: alphacombine maps system-memory layouts only. */
      if (features &&
          !gst_caps_features_is_equal (
              features, GST_CAPS_FEATURES_MEMORY_SYSTEM_MEMORY))
        continue;
      one = gst_caps_copy_nth (src, i);
      i420 |= gst_caps_can_intersect (one, i420_caps);
      nv12 |= gst_caps_can_intersect (one, nv12_caps);
      gst_caps_unref (one);
    }
    gst_caps_unref (src);
  }
  gst_caps_unref (i420_caps);
  gst_caps_unref (nv12_caps);

  caps = gst_caps_new_empty ();
  if (!i420 && !nv12)
    return caps;
  g_value_init (&formats, GST_TYPE_LIST);
  g_value_init (&format, G_TYPE_STRING);
  if (i420) {
    g_value_set_static_string (&format, "A420");
    gst_value_list_append_value (&formats, &format);
  }
  if (nv12) {
    g_value_set_static_string (&format, "AV12");
    gst_value_list_append_value (&formats, &format);
  }
  gst_caps_append_structure (caps,
      gst_structure_new ("video/x-raw", "width", GST_TYPE_INT_RANGE, 1,
          G_MAXINT, "height", GST_TYPE_INT_RANGE, 1, G_MAXINT, NULL));
  gst_caps_set_value (caps, "format", &formats);
  g_value_unset (&format);
  g_value_unset (&formats);
  return caps;
}

/* "v4l2elasticvp9dec" -> "v4l2elasticvp9alphadecodebin", and the type
 * name likewise from "...Dec". */
static gchar *
bin_name (const gchar *decoder_name, const gchar *dec, const gchar *bin)
{
  gsize len = strlen (decoder_name);

  if (!g_str_has_suffix (decoder_name, dec))
    return g_strconcat (decoder_name, bin, NULL);
  return g_strdup_printf (
      "%.*s%s", (int) (len - strlen (dec)), decoder_name, bin);
}

/**
 * gst_v4l2_elastic_alpha_decode_bin_register:
 * @decoder_name: a VP8/VP9 decoder of ours, registered already
 * @rank: the decoder's rank; the bin gets
 *   GST_V4L2_ELASTIC_ALPHA_RANK_OFFSET more (none stays none)
 *
 * Registers the alpha bin of @decoder_name, unless the decoder writes no
 * format alphacombine takes.  A bin made where GStreamer's codecalphademux
 * or alphacombine is missing fails to start with a clear error.
 */
gboolean
gst_v4l2_elastic_alpha_decode_bin_register (
    GstPlugin *plugin, const gchar *decoder_name, guint rank)
{
  static gsize debug_once = 0;
  GstV4l2ElasticAlphaCData *cdata;
  GstElementFactory *factory;
  GTypeInfo info = { sizeof (GstV4l2ElasticAlphaDecodeBinClass), NULL, NULL,
    subclass_init, NULL, NULL, sizeof (GstV4l2ElasticAlphaDecodeBin), 0, NULL,
    NULL };
  gchar *type_name, *name, *decoder_type;
  gboolean ok;
  GType type;

  if (g_once_init_enter (&debug_once)) {
    GST_DEBUG_CATEGORY_INIT (gst_v4l2_elastic_alpha_decode_bin_debug,
        "v4l2elastic-alphabin", 0, "V4L2 elastic alpha decode bins");
    g_once_init_leave (&debug_once, 1);
  }

  /* codecalphademux and alphacombine are looked for when a bin is made:
   * while the registry is scanned their plugin may not be known yet. */
  factory = gst_element_factory_find (decoder_name);
  if (!factory) {
    GST_WARNING ("no alpha bin for %s: no such element", decoder_name);
    return FALSE;
  }
  decoder_type =
      g_strdup (g_type_name (gst_element_factory_get_element_type (factory)));
  type_name = bin_name (decoder_type, "Dec", "AlphaDecodeBin");
  name = bin_name (decoder_name, "dec", "alphadecodebin");
  if (rank != GST_RANK_NONE)
    rank += GST_V4L2_ELASTIC_ALPHA_RANK_OFFSET;

  type = g_type_from_name (type_name);
  if (!type) {
    GstCaps *src_caps = alpha_src_caps (factory);

    if (gst_caps_is_empty (src_caps)) {
      GST_INFO (
          "no alpha bin for %s: it writes neither I420 nor NV12", decoder_name);
      gst_caps_unref (src_caps);
      ok = FALSE;
      goto done;
    }
    cdata = g_new0 (GstV4l2ElasticAlphaCData, 1);
    cdata->decoder_name = g_strdup (decoder_name);
    cdata->sink_caps = alpha_sink_caps (factory);
    cdata->src_caps = src_caps;
    GST_MINI_OBJECT_FLAG_SET (
        cdata->sink_caps, GST_MINI_OBJECT_FLAG_MAY_BE_LEAKED);
    GST_MINI_OBJECT_FLAG_SET (
        cdata->src_caps, GST_MINI_OBJECT_FLAG_MAY_BE_LEAKED);
    info.class_data = cdata;
    type = g_type_register_static (
        GST_TYPE_V4L2_ELASTIC_ALPHA_DECODE_BIN, type_name, &info, 0);
  }
  ok = gst_element_register (plugin, name, rank, type);
  GST_INFO ("%s (rank %u) decodes alpha streams with two %s", name, rank,
      decoder_name);

done:
  g_free (name);
  g_free (type_name);
  g_free (decoder_type);
  gst_object_unref (factory);
  return ok;
}
