/* gst-v4l2-elastic
 *
 * Registration of the decoder elements: one element type per codec and
 * device, its pad templates from the caps the device really offers, its
 * metadata and rank.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstv4l2elasticdecoder.h"
#include "gstv4l2elasticdmadrm.h"

GST_DEBUG_CATEGORY_STATIC (gst_v4l2_elastic_register_debug);
#define GST_CAT_DEFAULT gst_v4l2_elastic_register_debug

/**
 * gst_v4l2_elastic_decoder_class_install:
 *
 * Called from a registered per-device subclass' class_init: remembers the
 * device, installs the pad templates and the element metadata, which name
 * the codec (@codec_name, e.g. "VP9").
 */
void
gst_v4l2_elastic_decoder_class_install (GstV4l2ElasticDecoderClass *klass,
    GstV4l2ElasticDecoderCData *cdata, GstCaps *sink_caps,
    const gchar *codec_name)
{
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  gchar *longname, *description;

  longname = g_strdup_printf ("V4L2 elastic stateless %s decoder", codec_name);
  description = g_strdup_printf ("Decodes %s through a V4L2 stateless "
                                 "decoder with an elastic CAPTURE pool",
      codec_name);
  gst_element_class_set_metadata (element_class, longname,
      "Codec/Decoder/Video/Hardware", description,
      "gst-v4l2-elastic developers <dev@gst-v4l2-elastic.invalid>");
  g_free (longname);
  g_free (description);

  g_type_set_qdata (G_TYPE_FROM_CLASS (klass),
      g_quark_from_static_string ("v4l2elastic-cdata"), cdata);
  /* Caps probed for this device win over the codec's fixed ones. */
  if (cdata->sink_caps) {
    gst_caps_unref (sink_caps);
    sink_caps = gst_caps_ref (cdata->sink_caps);
  }
  gst_element_class_add_pad_template (element_class,
      gst_pad_template_new ("sink", GST_PAD_SINK, GST_PAD_ALWAYS, sink_caps));
  gst_element_class_add_pad_template (element_class,
      gst_pad_template_new (
          "src", GST_PAD_SRC, GST_PAD_ALWAYS, cdata->src_caps));
}

/* The raw formats the driver can write for a coded format. */
static GstCaps *
probe_src_caps (GstV4l2ElasticDevice *device, guint32 coded_fourcc)
{
  GstCaps *caps = gst_caps_new_empty (), *drm_caps;
  struct v4l2_format fmt;
  GArray *fourccs;
  guint i;

  /* The CAPTURE list depends on the OUTPUT format. */
  gst_v4l2_elastic_device_format_init (
      device, GST_V4L2_ELASTIC_QUEUE_OUTPUT, &fmt, coded_fourcc, 640, 480, 0);
  if (!gst_v4l2_elastic_device_set_format (
          device, GST_V4L2_ELASTIC_QUEUE_OUTPUT, &fmt)) {
    /* Without it the CAPTURE list would be another codec's. */
    GST_WARNING ("%s: VIDIOC_S_FMT to %" GST_FOURCC_FORMAT
                 " on OUTPUT failed: %s",
        device->video_path, GST_FOURCC_ARGS (coded_fourcc), g_strerror (errno));
    return caps;
  }
  drm_caps = gst_caps_new_empty ();
  fourccs = gst_v4l2_elastic_device_enum_formats (
      device, GST_V4L2_ELASTIC_QUEUE_CAPTURE);
  for (i = 0; i < fourccs->len; i++) {
    GstVideoFormat f = gst_v4l2_elastic_fourcc_to_video_format (
        g_array_index (fourccs, guint32, i));
    GstCaps *drm;

    if (f == GST_VIDEO_FORMAT_UNKNOWN)
      continue;
    gst_caps_append (caps,
        gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING,
            gst_video_format_to_string (f), "width", GST_TYPE_INT_RANGE, 1,
            G_MAXINT, "height", GST_TYPE_INT_RANGE, 1, G_MAXINT, NULL));
    /* The same layout as DMA_DRM (GStreamer >= 1.24), listed after the
     * system-memory ones. */
    drm = gst_v4l2_elastic_dma_drm_template_caps (f);
    if (drm)
      gst_caps_append (drm_caps, drm);
  }
  caps = gst_caps_simplify (caps);
  gst_caps_append (caps, drm_caps);
  g_array_unref (fourccs);
  return caps;
}

/* The raw formats any of our elements can write (documentation mode: the
 * real list is the device's). */
#define DOC_SRC_CAPS                                                           \
  "video/x-raw, format = (string) { NV12, I420, NV21, YV12, NV16, Y42B }, "    \
  "width = (int) [ 1, MAX ], height = (int) [ 1, MAX ]"

/**
 * gst_v4l2_elastic_decoder_register:
 * @type_info: the codec's class and instance sizes and init functions;
 *   class_data is filled here
 *
 * Registers v4l2elastic<codec>dec for the first device that can decode
 * the codec, and v4l2elastic<node><codec>dec for further ones (the node
 * is the video node's name, e.g. video3).  The device is opened once to
 * check the codec's controls and list its raw formats.  A NULL @node
 * registers v4l2elastic<codec>dec without a device, with documented caps
 * (GST_V4L2_ELASTIC_DOC).  @element_name (nullable) receives the name
 * registered, for the bins built on the element (alpha decoding).
 */
gboolean
gst_v4l2_elastic_decoder_register (GstPlugin *plugin,
    const GstV4l2ElasticDecoderNode *node, const GstV4l2ElasticCodecInfo *codec,
    GTypeInfo *type_info, guint rank, gchar **element_name)
{
  static gsize debug_once = 0;
  GstV4l2ElasticDecoderCData *cdata;
  GstV4l2ElasticDevice *device;
  GstCaps *src_caps;
  GError *error = NULL;
  gchar *type_name, *name, *basename;
  gboolean ok;
  GType type;

  if (g_once_init_enter (&debug_once)) {
    GST_DEBUG_CATEGORY_INIT (gst_v4l2_elastic_register_debug,
        "v4l2elastic-register", 0, "V4L2 elastic decoder registration");
    g_once_init_leave (&debug_once, 1);
  }

  if (!node) {
    cdata = g_new0 (GstV4l2ElasticDecoderCData, 1);
    cdata->src_caps = gst_caps_from_string (DOC_SRC_CAPS);
    GST_MINI_OBJECT_FLAG_SET (
        cdata->src_caps, GST_MINI_OBJECT_FLAG_MAY_BE_LEAKED);
    type_info->class_data = cdata;
    type_name = g_strdup_printf ("GstV4l2Elastic%sDec", codec->type_stem);
    name = g_strdup_printf ("v4l2elastic%sdec", codec->codec);
    type = g_type_from_name (type_name);
    if (!type)
      type = g_type_register_static (
          GST_TYPE_V4L2_ELASTIC_DECODER, type_name, type_info, 0);
    ok = gst_element_register (plugin, name, rank, type);
    if (ok && element_name)
      *element_name = g_strdup (name);
    g_free (name);
    g_free (type_name);
    return ok;
  }

  device = gst_v4l2_elastic_device_new (node->media_path, node->video_path);
  if (!gst_v4l2_elastic_device_open (device, &error)) {
    GST_WARNING ("%s", error->message);
    g_clear_error (&error);
    gst_object_unref (device);
    return FALSE;
  }
  if (codec->check && !codec->check (device)) {
    GST_INFO ("%s cannot decode %s for us", node->video_path, codec->codec);
    gst_object_unref (device);
    return FALSE;
  }

  src_caps = probe_src_caps (device, codec->coded_fourcc);
  if (gst_caps_is_empty (src_caps)) {
    GST_INFO ("%s writes no raw format we know for %s", node->video_path,
        codec->codec);
    gst_caps_unref (src_caps);
    gst_object_unref (device);
    return FALSE;
  }
  cdata = g_new0 (GstV4l2ElasticDecoderCData, 1);
  cdata->media_path = g_strdup (node->media_path);
  cdata->video_path = g_strdup (node->video_path);
  cdata->src_caps = src_caps;
  GST_MINI_OBJECT_FLAG_SET (
      cdata->src_caps, GST_MINI_OBJECT_FLAG_MAY_BE_LEAKED);
  if (codec->probe_sink_caps) {
    cdata->sink_caps = codec->probe_sink_caps (device);
    GST_MINI_OBJECT_FLAG_SET (
        cdata->sink_caps, GST_MINI_OBJECT_FLAG_MAY_BE_LEAKED);
  }
  gst_object_unref (device);
  type_info->class_data = cdata;

  basename = g_path_get_basename (node->video_path);
  type_name = g_strdup_printf ("GstV4l2Elastic%sDec", codec->type_stem);
  name = g_strdup_printf ("v4l2elastic%sdec", codec->codec);
  if (g_type_from_name (type_name)) {
    g_free (type_name);
    g_free (name);
    type_name =
        g_strdup_printf ("GstV4l2Elastic%s%sDec", basename, codec->type_stem);
    name = g_strdup_printf ("v4l2elastic%s%sdec", basename, codec->codec);
  }
  type = g_type_register_static (
      GST_TYPE_V4L2_ELASTIC_DECODER, type_name, type_info, 0);
  ok = gst_element_register (plugin, name, rank, type);
  if (ok && element_name)
    *element_name = g_strdup (name);
  g_free (name);
  g_free (type_name);
  g_free (basename);
  return ok;
}
