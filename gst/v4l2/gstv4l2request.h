/* gst-v4l2-elastic
 *
 * A pool of media requests.  Requests are allocated once and reused with
 * MEDIA_REQUEST_IOC_REINIT, which also unbinds a buffer from a request
 * that was never queued (closing the fd would not).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_V4L2_REQUEST_H__
#define __GST_V4L2_REQUEST_H__

#include "gstv4l2device.h"

G_BEGIN_DECLS

typedef struct _GstV4l2ElasticRequestPool GstV4l2ElasticRequestPool;
typedef struct _GstV4l2ElasticRequest GstV4l2ElasticRequest;

struct _GstV4l2ElasticRequest
{
  gint fd;
  gboolean queued; /* MEDIA_REQUEST_IOC_QUEUE done */
};

GstV4l2ElasticRequestPool *gst_v4l2_elastic_request_pool_new (
    GstV4l2ElasticDevice *device);
void gst_v4l2_elastic_request_pool_free (GstV4l2ElasticRequestPool *pool);

GstV4l2ElasticRequest *gst_v4l2_elastic_request_pool_acquire (
    GstV4l2ElasticRequestPool *pool);
void gst_v4l2_elastic_request_pool_release (
    GstV4l2ElasticRequestPool *pool, GstV4l2ElasticRequest *request);
guint gst_v4l2_elastic_request_pool_size (GstV4l2ElasticRequestPool *pool);

gboolean gst_v4l2_elastic_request_queue (GstV4l2ElasticRequest *request);
gint gst_v4l2_elastic_request_wait (
    GstV4l2ElasticRequest *request, gint timeout_ms);

G_END_DECLS

#endif /* __GST_V4L2_REQUEST_H__ */
