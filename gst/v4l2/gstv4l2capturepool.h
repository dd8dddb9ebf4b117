/* gst-v4l2-elastic
 *
 * The elastic CAPTURE pool.  Buffers are created one at a time with
 * VIDIOC_CREATE_BUFS when every buffer is busy and removed with
 * VIDIOC_REMOVE_BUFS when free buffers exceed what the stream needs, or
 * when they belong to a format that is no longer decoded.  Each kernel
 * buffer is exported as DMABuf and wrapped once; it comes back here when
 * the last GstBuffer and the last GstMemory that refer to it are gone
 * (the codec state, downstream and any copy downstream made all let go).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_V4L2_CAPTURE_POOL_H__
#define __GST_V4L2_CAPTURE_POOL_H__

#include <gst/gst.h>
#include <gst/video/video.h>

#include "gstv4l2device.h"

G_BEGIN_DECLS

#define GST_TYPE_V4L2_ELASTIC_CAPTURE_POOL                                     \
  (gst_v4l2_elastic_capture_pool_get_type ())
G_DECLARE_FINAL_TYPE (GstV4l2ElasticCapturePool, gst_v4l2_elastic_capture_pool,
    GST, V4L2_ELASTIC_CAPTURE_POOL, GstBufferPool)

/* What the stream needs at once; see gst_v4l2_elastic_pool_target(). */
typedef struct
{
  guint references; /* pictures kept for prediction */
  guint reorder;    /* pictures held for output order */
  guint downstream; /* downstream's minimum (ALLOCATION) */
  guint in_flight;  /* requests submitted, not complete */
} GstV4l2ElasticPoolDemand;

typedef enum
{
  GST_V4L2_ELASTIC_POOL_EVENT_GROW,
  GST_V4L2_ELASTIC_POOL_EVENT_SHRINK,
  GST_V4L2_ELASTIC_POOL_EVENT_REALLOCATE,
  GST_V4L2_ELASTIC_POOL_EVENT_WAIT,
} GstV4l2ElasticPoolEvent;

typedef void (*GstV4l2ElasticPoolEventFunc) (GstV4l2ElasticCapturePool *pool,
    GstV4l2ElasticPoolEvent event, guint buffers, guint64 bytes,
    gpointer user_data);

guint gst_v4l2_elastic_pool_target (const GstV4l2ElasticPoolDemand *demand);

GstV4l2ElasticCapturePool *gst_v4l2_elastic_capture_pool_new (
    GstV4l2ElasticDevice *device, gboolean elastic);

void gst_v4l2_elastic_capture_pool_set_event_func (
    GstV4l2ElasticCapturePool *self, GstV4l2ElasticPoolEventFunc func,
    gpointer user_data, GDestroyNotify notify);
void gst_v4l2_elastic_capture_pool_set_limits (
    GstV4l2ElasticCapturePool *self, guint max_buffers, guint64 memory_limit);
void gst_v4l2_elastic_capture_pool_set_demand (
    GstV4l2ElasticCapturePool *self, const GstV4l2ElasticPoolDemand *demand);
guint gst_v4l2_elastic_capture_pool_get_target (
    GstV4l2ElasticCapturePool *self);

gboolean gst_v4l2_elastic_capture_pool_set_format (
    GstV4l2ElasticCapturePool *self, const struct v4l2_format *fmt,
    const GstVideoInfo *info);
gboolean gst_v4l2_elastic_capture_pool_reallocate (
    GstV4l2ElasticCapturePool *self, const struct v4l2_format *fmt,
    const GstVideoInfo *info);
void gst_v4l2_elastic_capture_pool_orphan_all (GstV4l2ElasticCapturePool *self);
void gst_v4l2_elastic_capture_pool_detach (GstV4l2ElasticCapturePool *self);

gboolean gst_v4l2_elastic_capture_pool_is_elastic (
    GstV4l2ElasticCapturePool *self);
gboolean gst_v4l2_elastic_capture_pool_should_copy (
    GstV4l2ElasticCapturePool *self);
gint gst_v4l2_elastic_capture_pool_buffer_index (GstBuffer *buffer);
GstStructure *gst_v4l2_elastic_capture_pool_get_stats (
    GstV4l2ElasticCapturePool *self);

G_END_DECLS

#endif /* __GST_V4L2_CAPTURE_POOL_H__ */
