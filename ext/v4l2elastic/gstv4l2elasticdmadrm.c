/* gst-v4l2-elastic
 *
 * DMA_DRM caps.  See gstv4l2elasticdmadrm.h.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstv4l2elasticdmadrm.h"

#if GST_CHECK_VERSION(1, 24, 0)
#include <gst/allocators/allocators.h>
#include <gst/video/video-info-dma.h>

/* DRM_FORMAT_MOD_LINEAR: the drivers we serve write linear pictures
 * (tiled layouts come with the 10-bit/tiled work). */
#define MODIFIER_LINEAR G_GUINT64_CONSTANT (0)

/**
 * gst_v4l2_elastic_dma_drm_template_caps:
 *
 * Returns: (transfer full) (nullable): the DMA_DRM caps of @format at any
 * size, for a pad template; %NULL when @format has no DRM fourcc or this
 * GStreamer has no DMA_DRM.
 */
GstCaps *
gst_v4l2_elastic_dma_drm_template_caps (GstVideoFormat format)
{
  guint32 fourcc = gst_video_dma_drm_fourcc_from_format (format);
  gchar *drm_format;
  GstCaps *caps;

  if (fourcc == 0)
    return NULL;
  drm_format = gst_video_dma_drm_fourcc_to_string (fourcc, MODIFIER_LINEAR);
  caps = gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING, "DMA_DRM",
      "drm-format", G_TYPE_STRING, drm_format, "width", GST_TYPE_INT_RANGE, 1,
      G_MAXINT, "height", GST_TYPE_INT_RANGE, 1, G_MAXINT, NULL);
  gst_caps_set_features_simple (
      caps, gst_caps_features_new_single (GST_CAPS_FEATURE_MEMORY_DMABUF));
  g_free (drm_format);
  return caps;
}

/**
 * gst_v4l2_elastic_dma_drm_caps:
 * @info: the visible size and layout of the output
 *
 * Returns: (transfer full) (nullable): the fixed DMA_DRM caps of @info.
 */
GstCaps *
gst_v4l2_elastic_dma_drm_caps (const GstVideoInfo *info)
{
  GstVideoInfoDmaDrm drm;

  gst_video_info_dma_drm_init (&drm);
  if (!gst_video_info_dma_drm_from_video_info (&drm, info, MODIFIER_LINEAR))
    return NULL;
  return gst_video_info_dma_drm_to_caps (&drm);
}

/**
 * gst_v4l2_elastic_dma_drm_wanted:
 *
 * Whether downstream asks for DMA_DRM: its caps name the DMABuf feature
 * and accept @drm_caps.  A downstream that takes anything (ANY caps, e.g.
 * fakesink or an appsink without caps) keeps system-memory caps, which
 * every application can read.
 */
gboolean
gst_v4l2_elastic_dma_drm_wanted (GstPad *srcpad, GstCaps *drm_caps)
{
  GstCaps *peer;
  gboolean wanted;

  if (!drm_caps)
    return FALSE;
  peer = gst_pad_peer_query_caps (srcpad, NULL);
  wanted = peer && !gst_caps_is_any (peer) &&
      gst_caps_can_intersect (peer, drm_caps);
  gst_clear_caps (&peer);
  return wanted;
}

#else

GstCaps *
gst_v4l2_elastic_dma_drm_template_caps (GstVideoFormat format)
{
  return NULL;
}

GstCaps *
gst_v4l2_elastic_dma_drm_caps (const GstVideoInfo *info)
{
  return NULL;
}

gboolean
gst_v4l2_elastic_dma_drm_wanted (GstPad *srcpad, GstCaps *drm_caps)
{
  return FALSE;
}

#endif
