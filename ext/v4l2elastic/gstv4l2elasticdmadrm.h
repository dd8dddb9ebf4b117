/* gst-v4l2-elastic
 *
 * DMA_DRM caps (GStreamer >= 1.24): our CAPTURE buffers are DMABufs with
 * a linear layout, so downstream that asks for
 * video/x-raw(memory:DMABuf), format=DMA_DRM, drm-format=FOURCC gets them
 * as they are.  Built against an older GStreamer these return nothing and
 * the elements offer system-memory caps only.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_V4L2_ELASTIC_DMA_DRM_H__
#define __GST_V4L2_ELASTIC_DMA_DRM_H__

#include <gst/gst.h>
#include <gst/video/video.h>

G_BEGIN_DECLS

GstCaps *gst_v4l2_elastic_dma_drm_template_caps (GstVideoFormat format);
GstCaps *gst_v4l2_elastic_dma_drm_caps (const GstVideoInfo *info);
gboolean gst_v4l2_elastic_dma_drm_wanted (GstPad *srcpad, GstCaps *drm_caps);

G_END_DECLS

#endif /* __GST_V4L2_ELASTIC_DMA_DRM_H__ */
