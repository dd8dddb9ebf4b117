/* gst-v4l2-elastic
 *
 * Plugin entry: finds the stateless decoders of this machine through the
 * media controller and registers one element per codec a decoder can
 * really do.  A machine without any decoder gets a plugin that loads and
 * registers nothing; the registry is re-scanned when /dev/media* changes.
 *
 * Rank policy (what playbin, playbin3, decodebin and gst-play-1.0 pick):
 *
 * - The device's CAPTURE queue offers VIDIOC_REMOVE_BUFS: rank
 *   GST_RANK_PRIMARY + 2, above upstream's v4l2sl*dec (PRIMARY + 1) and the
 *   software decoders (avdec_*, vp8dec, vp9dec: PRIMARY).  Here the pool
 *   grows and shrinks without STREAMOFF: the reason this plugin exists.
 * - Without REMOVE_BUFS (rkvdec, 6.1 kernels): GST_RANK_PRIMARY + 1, the
 *   rank of upstream's elements.  A hardware decoder must stay above the
 *   software ones (at PRIMARY we would tie with them, and GStreamer breaks
 *   ties by feature name: avdec_h264 would win on H.264 and we on VP9, a
 *   board decoding one codec in software for no reason).  Against
 *   upstream the tie is broken by name in our favour; there both pools
 *   drain and reallocate at a format change, and ours still keeps
 *   references unwritable and bitstream buffers growing.  An integrator
 *   who prefers upstream there sets GST_PLUGIN_FEATURE_RANK.
 *
 * GST_PLUGIN_FEATURE_RANK (e.g. v4l2elastich264dec:258 or
 * v4l2elastich264dec:none) overrides either, as for any element.
 *
 * GST_V4L2_ELASTIC_DOC=1 registers the decoder elements without any device
 * (rank none, documented caps), for gst-inspect-1.0 and documentation on
 * machines without decoders; such elements cannot decode.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-v4l2elasticfwhtdec
 * @title: v4l2elasticfwhtdec
 * @short_description: FWHT through vicodec's stateless decoder, elastic pool
 *
 * Decodes the FWHT byte stream of the kernel's vicodec driver (as its
 * stateful encoder writes it; the element frames it itself) through
 * vicodec's stateless decoder.  A size change is crossed without drain or
 * STREAMOFF where the driver accepts a new format while busy.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 filesrc location=clip.fwht ! video/x-fwht \
 *     ! v4l2elasticfwhtdec ! videoconvert ! autovideosink
 * gst-launch-1.0 -m filesrc location=clip.fwht ! video/x-fwht \
 *     ! v4l2elasticfwhtdec capture-memory-limit=8000000 ! fakesink
 * ]|
 */

/**
 * SECTION:element-v4l2elasticvp8dec
 * @title: v4l2elasticvp8dec
 * @short_description: VP8 through a V4L2 stateless decoder, elastic pool
 *
 * Decodes VP8 frames (one per buffer: ivfparse, matroskademux) through a
 * V4L2 stateless decoder (V4L2_PIX_FMT_VP8_FRAME).
 *
 * ## Example launch line
 * |[
 * gst-play-1.0 clip.webm
 * gst-launch-1.0 filesrc location=clip.webm ! matroskademux \
 *     ! v4l2elasticvp8dec ! videoconvert ! autovideosink
 * ]|
 */

/**
 * SECTION:element-v4l2elasticvp9dec
 * @title: v4l2elasticvp9dec
 * @short_description: VP9 through a V4L2 stateless decoder, elastic pool
 *
 * Decodes VP9 profile 0 (superframes split here) through a V4L2 stateless
 * decoder (V4L2_PIX_FMT_VP9_FRAME), including frame size changes on inter
 * frames where the driver accepts them while busy.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 playbin3 uri=file:///path/to/clip.mkv
 * gst-launch-1.0 filesrc location=clip.ivf ! ivfparse \
 *     ! v4l2elasticvp9dec ! videoconvert ! autovideosink
 * ]|
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>

#include "gstv4l2media.h"
#include "gstv4l2probe.h"
#include "gstv4l2elasticfwhtdec.h"
#include "gstv4l2elasticvp8dec.h"
#include "gstv4l2elasticvp9dec.h"
#include "gstv4l2elastich264dec.h"
#include "gstv4l2elastich265dec.h"
#include "gstv4l2elasticmpeg2dec.h"
#include "gstv4l2elasticalphadecodebin.h"

GST_DEBUG_CATEGORY_STATIC (gst_v4l2_elastic_debug);
#define GST_CAT_DEFAULT gst_v4l2_elastic_debug

/* Above upstream v4l2sl*dec (GST_RANK_PRIMARY + 1) where we can shrink. */
#define RANK_ELASTIC (GST_RANK_PRIMARY + 2)
/* Upstream's rank, above software, where the queue cannot remove. */
#define RANK_GROW_ONLY (GST_RANK_PRIMARY + 1)

#define DOC_ENV "GST_V4L2_ELASTIC_DOC"

static void
register_decoder (GstPlugin *plugin, const GstV4l2ElasticDecoderNode *node)
{
  GstV4l2ElasticDecoderCaps *caps;
  GError *error = NULL;
  guint i, rank;

  caps = gst_v4l2_elastic_probe_decoder (node->video_path, &error);
  if (!caps) {
    GST_WARNING ("skipping %s: %s", node->video_path, error->message);
    g_clear_error (&error);
    return;
  }

  if (!caps->stateless) {
    GST_INFO ("%s (%s) is a stateful decoder, not ours", node->video_path,
        caps->card);
    goto done;
  }

  rank = caps->capture.remove_bufs ? RANK_ELASTIC : RANK_GROW_ONLY;
  for (i = 0; i < caps->coded_formats->len; i++) {
    guint32 coded = g_array_index (caps->coded_formats, guint32, i);
    gchar *fourcc = gst_v4l2_elastic_fourcc_to_string (coded);
    gchar *name = NULL;

    GST_INFO ("%s (%s): stateless %s, CREATE_BUFS %s, REMOVE_BUFS %s, rank %u",
        node->video_path, caps->card, fourcc,
        caps->capture.create_bufs ? "yes" : "no",
        caps->capture.remove_bufs ? "yes" : "no", rank);
    g_free (fourcc);

    switch (coded) {
    case V4L2_PIX_FMT_FWHT_STATELESS:
      gst_v4l2_elastic_fwht_dec_register (plugin, node, rank);
      break;
    case V4L2_PIX_FMT_VP8_FRAME:
      if (gst_v4l2_elastic_vp8_dec_register (plugin, node, rank, &name))
        gst_v4l2_elastic_alpha_decode_bin_register (plugin, name, rank);
      break;
    case V4L2_PIX_FMT_VP9_FRAME:
      if (gst_v4l2_elastic_vp9_dec_register (plugin, node, rank, &name))
        gst_v4l2_elastic_alpha_decode_bin_register (plugin, name, rank);
      break;
    case V4L2_PIX_FMT_H264_SLICE:
      gst_v4l2_elastic_h264_dec_register (plugin, node, rank);
      break;
    case V4L2_PIX_FMT_HEVC_SLICE:
      gst_v4l2_elastic_h265_dec_register (plugin, node, rank);
      break;
    case V4L2_PIX_FMT_MPEG2_SLICE:
      gst_v4l2_elastic_mpeg2_dec_register (plugin, node, rank, NULL);
      break;
    default:
      break;
    }
    g_free (name);
  }

done:
  gst_v4l2_elastic_decoder_caps_free (caps);
}

/* Documentation mode: every element, no device, never autoplugged. */
static void
register_documentation (GstPlugin *plugin)
{
  gchar *name = NULL;

  gst_v4l2_elastic_fwht_dec_register (plugin, NULL, GST_RANK_NONE);
  gst_v4l2_elastic_h264_dec_register (plugin, NULL, GST_RANK_NONE);
  gst_v4l2_elastic_h265_dec_register (plugin, NULL, GST_RANK_NONE);
  gst_v4l2_elastic_mpeg2_dec_register (plugin, NULL, GST_RANK_NONE, NULL);
  if (gst_v4l2_elastic_vp8_dec_register (plugin, NULL, GST_RANK_NONE, &name))
    gst_v4l2_elastic_alpha_decode_bin_register (plugin, name, GST_RANK_NONE);
  g_clear_pointer (&name, g_free);
  if (gst_v4l2_elastic_vp9_dec_register (plugin, NULL, GST_RANK_NONE, &name))
    gst_v4l2_elastic_alpha_decode_bin_register (plugin, name, GST_RANK_NONE);
  g_free (name);
}

static gboolean
plugin_init (GstPlugin *plugin)
{
  static const gchar *env[] = { DOC_ENV, NULL };
  static const gchar *paths[] = { "/dev", NULL };
  static const gchar *names[] = { "media", NULL };
  const gchar *doc;
  GList *nodes, *l;

  GST_DEBUG_CATEGORY_INIT (gst_v4l2_elastic_debug, "v4l2elastic", 0,
      "V4L2 elastic stateless decoders");

  /* Re-scan the plugin when media devices appear or vanish, and when the
   * documentation mode is switched. */
  gst_plugin_add_dependency (plugin, env, paths, names,
      GST_PLUGIN_DEPENDENCY_FLAG_FILE_NAME_IS_PREFIX);

  doc = g_getenv (DOC_ENV);
  if (doc && *doc && g_strcmp0 (doc, "0") != 0) {
    GST_INFO ("%s set: registering every element without a device", DOC_ENV);
    register_documentation (plugin);
    return TRUE;
  }

  nodes = gst_v4l2_elastic_media_find_decoders ();
  for (l = nodes; l; l = l->next)
    register_decoder (plugin, l->data);
  gst_v4l2_elastic_decoder_node_list_free (nodes);

  return TRUE;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, v4l2elastic,
    "V4L2 stateless video decoders with an elastic CAPTURE pool", plugin_init,
    VERSION, GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
