/* gst-v4l2-elastic
 *
 * The OUTPUT (bitstream) queue of a stateless decoder: a few MMAP buffers,
 * mapped once, that grow with the stream.  A sequence says how large its
 * frames can be (gst_v4l2_elastic_output_queue_reserve()); a frame larger
 * than the buffers grows them before it is written.  Growth takes the
 * cheapest way the driver offers: new, larger buffers with CREATE_BUFS and
 * the old ones removed with REMOVE_BUFS while streaming; otherwise the
 * OUTPUT queue alone is stopped and reallocated between two frames (the
 * CAPTURE queue and its reference pictures are not touched).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_V4L2_OUTPUT_QUEUE_H__
#define __GST_V4L2_OUTPUT_QUEUE_H__

#include "gstv4l2device.h"

G_BEGIN_DECLS

typedef struct _GstV4l2ElasticOutputQueue GstV4l2ElasticOutputQueue;

GstV4l2ElasticOutputQueue *gst_v4l2_elastic_output_queue_new (
    GstV4l2ElasticDevice *device, guint n_buffers);
void gst_v4l2_elastic_output_queue_free (GstV4l2ElasticOutputQueue *self);

gboolean gst_v4l2_elastic_output_queue_reserve (
    GstV4l2ElasticOutputQueue *self, gsize size);
gboolean gst_v4l2_elastic_output_queue_write (GstV4l2ElasticOutputQueue *self,
    const guint8 *data, gsize size, guint *index);
void gst_v4l2_elastic_output_queue_release (GstV4l2ElasticOutputQueue *self);

gboolean gst_v4l2_elastic_output_queue_stream_on (
    GstV4l2ElasticOutputQueue *self);
void gst_v4l2_elastic_output_queue_stream_off (GstV4l2ElasticOutputQueue *self);

gsize gst_v4l2_elastic_output_queue_buffer_size (
    GstV4l2ElasticOutputQueue *self);
guint gst_v4l2_elastic_output_queue_growths (GstV4l2ElasticOutputQueue *self);

G_END_DECLS

#endif /* __GST_V4L2_OUTPUT_QUEUE_H__ */
