/* gst-v4l2-elastic
 *
 * What the parts of the base class share: its private state and the
 * functions one part calls in another (sequence changes, the decode path,
 * the element itself).  Not for codec subclasses.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_V4L2_ELASTIC_DECODER_PRIV_H__
#define __GST_V4L2_ELASTIC_DECODER_PRIV_H__

#include "gstv4l2elasticdecoder.h"
#include "gstv4l2outputqueue.h"

G_BEGIN_DECLS

/* Requests submitted and not yet complete (this decoder is synchronous). */
#define GST_V4L2_ELASTIC_REQUESTS_IN_FLIGHT 1

typedef struct
{
  GstV4l2ElasticDevice *device;
  GstV4l2ElasticRequestPool *requests;
  GstV4l2ElasticOutputQueue *outputs;
  /* Replaced only with the object lock held; the streaming thread reads
   * it without (it is the only writer besides stop()). */
  GstV4l2ElasticCapturePool *pool;
  gboolean capture_streaming;

  /* The current sequence, the one place that says what is decoded: the
   * coded size (the CAPTURE format), the visible rectangle downstream
   * sees, and the layout.  The pool keeps a copy of the format of each
   * generation of buffers it creates. */
  gboolean have_sequence;
  guint32 coded_fourcc;
  guint width, height;
  GstVideoRectangle visible;
  GstVideoFormat out_format;
  gboolean interlaced; /* the sequence's frames may be interlaced */
  struct v4l2_format capture_fmt;
  GstVideoInfo capture_info; /* visible rectangle, driver's layout */
  GstV4l2ElasticPoolDemand codec_demand;

  GstVideoCodecState *input_state;
  gboolean dma_drm; /* the output caps are DMA_DRM (GStreamer >= 1.24) */
  gboolean downstream_has_meta;
  guint downstream_min;
  gboolean use_classic; /* effective: property or no REMOVE_BUFS */
  gboolean warned_bound;

  /* Sequences whose first frame predicts from the previous sequence's
   * pictures: changed while streaming, and refused (references lost).
   * Atomic: read by pool-stats from any thread. */
  gint inter_resizes;
  gint inter_resize_fallbacks;

  /* Properties, under the object lock. */
  guint max_capture_buffers;
  guint64 capture_memory_limit;
  gboolean classic_pool;
} GstV4l2ElasticDecoderPrivate;

GstV4l2ElasticDecoderPrivate *gst_v4l2_elastic_decoder_get_priv (
    GstV4l2ElasticDecoder *self);

/* gstv4l2elasticdecoder.c */
void gst_v4l2_elastic_decoder_update_demand (GstV4l2ElasticDecoder *self);
void gst_v4l2_elastic_decoder_ensure_pool (GstV4l2ElasticDecoder *self);

/* gstv4l2elasticdecode.c */
gboolean gst_v4l2_elastic_decoder_stream_on (GstV4l2ElasticDecoder *self);
void gst_v4l2_elastic_decoder_stream_off (GstV4l2ElasticDecoder *self);

/* gstv4l2elasticsequence.c */
gboolean gst_v4l2_elastic_decoder_negotiate_picture (
    GstV4l2ElasticDecoder *self, const GstV4l2ElasticPicture *picture);

G_END_DECLS

#endif /* __GST_V4L2_ELASTIC_DECODER_PRIV_H__ */
