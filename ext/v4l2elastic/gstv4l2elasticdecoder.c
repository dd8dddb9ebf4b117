/* gst-v4l2-elastic
 *
 * The common stateless decoder element: GObject and GstVideoDecoder
 * boilerplate, properties, the lifetime of the device, the request pool,
 * the OUTPUT queue and the CAPTURE pool, flushing and teardown.  The decode
 * path is in gstv4l2elasticdecode.c, sequence changes in
 * gstv4l2elasticsequence.c, registration in gstv4l2elasticregister.c.
 * A codec subclass decides what to decode with which references and in
 * which order to output.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstv4l2elasticdecoderpriv.h"

#include <string.h>

GST_DEBUG_CATEGORY (gst_v4l2_elastic_decoder_debug);
#define GST_CAT_DEFAULT gst_v4l2_elastic_decoder_debug

/* Bitstream buffers: one in use while decoding synchronously, one spare
 * so the next frame can be copied while the driver still returns the
 * previous one. */
#define N_OUTPUT_BUFFERS 2

enum
{
  PROP_0,
  PROP_MEDIA_DEVICE,
  PROP_VIDEO_DEVICE,
  PROP_MAX_CAPTURE_BUFFERS,
  PROP_CAPTURE_MEMORY_LIMIT,
  PROP_CLASSIC_POOL,
  PROP_POOL_STATS,
};

G_DEFINE_ABSTRACT_TYPE_WITH_CODE (
    GstV4l2ElasticDecoder, gst_v4l2_elastic_decoder, GST_TYPE_VIDEO_DECODER,
    G_ADD_PRIVATE (GstV4l2ElasticDecoder);
    GST_DEBUG_CATEGORY_INIT (gst_v4l2_elastic_decoder_debug,
        "v4l2elastic-decoder", 0, "V4L2 elastic stateless decoder"));

GstV4l2ElasticDecoderPrivate *
gst_v4l2_elastic_decoder_get_priv (GstV4l2ElasticDecoder *self)
{
  return gst_v4l2_elastic_decoder_get_instance_private (self);
}

#define PRIV(self)                                                             \
  gst_v4l2_elastic_decoder_get_priv (GST_V4L2_ELASTIC_DECODER (self))

static GstV4l2ElasticDecoderCData *
class_cdata (GstV4l2ElasticDecoder *self)
{
  return g_type_get_qdata (
      G_OBJECT_TYPE (self), g_quark_from_static_string ("v4l2elastic-cdata"));
}

GstV4l2ElasticDevice *
gst_v4l2_elastic_decoder_get_device (GstV4l2ElasticDecoder *self)
{
  return PRIV (self)->device;
}

/* --- pool events ------------------------------------------------------------
 */

static const gchar *
pool_event_name (GstV4l2ElasticPoolEvent event)
{
  switch (event) {
  case GST_V4L2_ELASTIC_POOL_EVENT_GROW:
    return "grow";
  case GST_V4L2_ELASTIC_POOL_EVENT_SHRINK:
    return "shrink";
  case GST_V4L2_ELASTIC_POOL_EVENT_REALLOCATE:
    return "reallocate";
  case GST_V4L2_ELASTIC_POOL_EVENT_WAIT:
    return "wait";
  }
  return "unknown";
}

/* Every grow, shrink and reallocation is an element message, so that
 * applications and tests can follow the pool; the first wait at a bound
 * is also a warning. */
static void
on_pool_event (GstV4l2ElasticCapturePool *pool, GstV4l2ElasticPoolEvent event,
    guint buffers, guint64 bytes, gpointer user_data)
{
  GstV4l2ElasticDecoder *self = user_data;
  GstV4l2ElasticDecoderPrivate *priv = PRIV (self);
  GstStructure *s;

  s = gst_structure_new ("v4l2elastic-pool", "event", G_TYPE_STRING,
      pool_event_name (event), "buffers", G_TYPE_UINT, buffers, "bytes",
      G_TYPE_UINT64, bytes, "target", G_TYPE_UINT,
      gst_v4l2_elastic_capture_pool_get_target (pool), "width", G_TYPE_UINT,
      priv->width, "height", G_TYPE_UINT, priv->height, NULL);
  gst_element_post_message (
      GST_ELEMENT (self), gst_message_new_element (GST_OBJECT (self), s));

  if (event == GST_V4L2_ELASTIC_POOL_EVENT_WAIT && !priv->warned_bound) {
    priv->warned_bound = TRUE;
    GST_ELEMENT_WARNING (self, RESOURCE, NO_SPACE_LEFT,
        ("The CAPTURE pool reached its bound; decoding waits for buffers."),
        ("%u buffers, %" G_GUINT64_FORMAT " bytes (max-capture-buffers %u, "
         "capture-memory-limit %" G_GUINT64_FORMAT ")",
            buffers, bytes, priv->max_capture_buffers,
            priv->capture_memory_limit));
  }
}

void
gst_v4l2_elastic_decoder_update_demand (GstV4l2ElasticDecoder *self)
{
  GstV4l2ElasticDecoderPrivate *priv = PRIV (self);
  GstV4l2ElasticPoolDemand demand = priv->codec_demand;

  if (!priv->pool)
    return;
  demand.downstream = priv->downstream_has_meta ? priv->downstream_min : 0;
  demand.in_flight = GST_V4L2_ELASTIC_REQUESTS_IN_FLIGHT;
  gst_v4l2_elastic_capture_pool_set_demand (priv->pool, &demand);
}

/* The pool, for threads other than the streaming thread (events, state
 * changes, properties): a reference taken under the object lock. */
static GstV4l2ElasticCapturePool *
get_pool (GstV4l2ElasticDecoder *self)
{
  GstV4l2ElasticDecoderPrivate *priv = PRIV (self);
  GstV4l2ElasticCapturePool *pool;

  GST_OBJECT_LOCK (self);
  pool = priv->pool ? gst_object_ref (priv->pool) : NULL;
  GST_OBJECT_UNLOCK (self);
  return pool;
}

static void
set_pool_flushing (GstV4l2ElasticDecoder *self, gboolean flushing)
{
  GstV4l2ElasticCapturePool *pool = get_pool (self);

  if (pool) {
    gst_buffer_pool_set_flushing (GST_BUFFER_POOL (pool), flushing);
    gst_object_unref (pool);
  }
}

/* The CAPTURE pool of this start: elastic unless the kernel lacks
 * REMOVE_BUFS or the application asked for the classic one. */
void
gst_v4l2_elastic_decoder_ensure_pool (GstV4l2ElasticDecoder *self)
{
  GstV4l2ElasticDecoderPrivate *priv = PRIV (self);
  GstV4l2ElasticCapturePool *pool;
  guint max_buffers;
  guint64 memory_limit;
  gboolean classic;

  if (priv->pool)
    return;
  GST_OBJECT_LOCK (self);
  classic = priv->classic_pool;
  max_buffers = priv->max_capture_buffers;
  memory_limit = priv->capture_memory_limit;
  GST_OBJECT_UNLOCK (self);

  priv->use_classic = classic || !priv->device->capture_caps.remove_bufs ||
      !priv->device->capture_caps.create_bufs;
  if (priv->use_classic && !classic)
    GST_INFO_OBJECT (self,
        "%s has no VIDIOC_REMOVE_BUFS: using the classic "
        "CAPTURE pool (drain, STREAMOFF and full reallocation at every "
        "format change)",
        priv->device->video_path);
  pool = gst_v4l2_elastic_capture_pool_new (priv->device, !priv->use_classic);
  gst_v4l2_elastic_capture_pool_set_event_func (
      pool, on_pool_event, gst_object_ref (self), gst_object_unref);
  gst_v4l2_elastic_capture_pool_set_limits (pool, max_buffers, memory_limit);
  if (!gst_buffer_pool_set_active (GST_BUFFER_POOL (pool), TRUE))
    GST_WARNING_OBJECT (self, "could not activate the CAPTURE pool");
  GST_OBJECT_LOCK (self);
  priv->pool = pool;
  GST_OBJECT_UNLOCK (self);
}

/* --- GstVideoDecoder
 * ------------------------------------------------------------ */

static gboolean
gst_v4l2_elastic_decoder_open (GstVideoDecoder *decoder)
{
  GstV4l2ElasticDecoderPrivate *priv = PRIV (decoder);
  GError *error = NULL;

  if (!gst_v4l2_elastic_device_open (priv->device, &error)) {
    GST_ELEMENT_ERROR (decoder, RESOURCE, OPEN_READ_WRITE,
        ("Could not open the decoder %s.", priv->device->video_path),
        ("%s", error->message));
    g_clear_error (&error);
    return FALSE;
  }
  return TRUE;
}

static gboolean
gst_v4l2_elastic_decoder_close (GstVideoDecoder *decoder)
{
  gst_v4l2_elastic_device_close (PRIV (decoder)->device);
  return TRUE;
}

static gboolean
gst_v4l2_elastic_decoder_start (GstVideoDecoder *decoder)
{
  GstV4l2ElasticDecoderPrivate *priv = PRIV (decoder);

  priv->requests = gst_v4l2_elastic_request_pool_new (priv->device);
  priv->outputs =
      gst_v4l2_elastic_output_queue_new (priv->device, N_OUTPUT_BUFFERS);
  priv->warned_bound = FALSE;
  g_atomic_int_set (&priv->inter_resizes, 0);
  g_atomic_int_set (&priv->inter_resize_fallbacks, 0);
  return TRUE;
}

static void
reset_codec (GstV4l2ElasticDecoder *self)
{
  GstV4l2ElasticDecoderClass *klass = GST_V4L2_ELASTIC_DECODER_GET_CLASS (self);

  if (klass->reset)
    klass->reset (self);
}

/* Teardown leaves nothing behind: queues stopped, the codec's references
 * dropped, the CAPTURE pool detached from the queue (buffers an
 * application still holds are orphans: freed when it lets go, with no
 * ioctl on the queue the next start will use), OUTPUT buffers unmapped
 * and freed, requests closed. */
static gboolean
gst_v4l2_elastic_decoder_stop (GstVideoDecoder *decoder)
{
  GstV4l2ElasticDecoder *self = GST_V4L2_ELASTIC_DECODER (decoder);
  GstV4l2ElasticDecoderPrivate *priv = PRIV (self);
  GstV4l2ElasticCapturePool *pool;

  gst_v4l2_elastic_decoder_stream_off (self);
  reset_codec (self);
  GST_OBJECT_LOCK (self);
  pool = priv->pool;
  priv->pool = NULL;
  GST_OBJECT_UNLOCK (self);
  if (pool) {
    gst_v4l2_elastic_capture_pool_detach (pool);
    gst_buffer_pool_set_active (GST_BUFFER_POOL (pool), FALSE);
    gst_object_unref (pool);
  }
  g_clear_pointer (&priv->outputs, gst_v4l2_elastic_output_queue_free);
  g_clear_pointer (&priv->requests, gst_v4l2_elastic_request_pool_free);
  g_clear_pointer (&priv->input_state, gst_video_codec_state_unref);
  priv->have_sequence = FALSE;
  priv->width = priv->height = 0;
  memset (&priv->visible, 0, sizeof (priv->visible));
  return TRUE;
}

static gboolean
gst_v4l2_elastic_decoder_set_format (
    GstVideoDecoder *decoder, GstVideoCodecState *state)
{
  GstV4l2ElasticDecoderPrivate *priv = PRIV (decoder);

  g_clear_pointer (&priv->input_state, gst_video_codec_state_unref);
  priv->input_state = gst_video_codec_state_ref (state);
  return TRUE;
}

static gboolean
gst_v4l2_elastic_decoder_flush (GstVideoDecoder *decoder)
{
  GstV4l2ElasticDecoder *self = GST_V4L2_ELASTIC_DECODER (decoder);
  GstV4l2ElasticDecoderPrivate *priv = PRIV (self);

  GST_DEBUG_OBJECT (self, "flush");
  gst_v4l2_elastic_decoder_stream_off (self);
  reset_codec (self);
  if (priv->pool)
    gst_buffer_pool_set_flushing (GST_BUFFER_POOL (priv->pool), FALSE);
  return TRUE;
}

static gboolean
gst_v4l2_elastic_decoder_sink_event (GstVideoDecoder *decoder, GstEvent *event)
{
  /* Wake a decode waiting for a CAPTURE buffer before the base class
   * takes the stream lock. */
  if (GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_START)
    set_pool_flushing (GST_V4L2_ELASTIC_DECODER (decoder), TRUE);
  return GST_VIDEO_DECODER_CLASS (gst_v4l2_elastic_decoder_parent_class)
      ->sink_event (decoder, event);
}

/* The input caps do not depend on the output size: answer with the
 * template instead of proxying downstream's width and height into the
 * bitstream caps (which a byte-stream source could not fixate). */
static GstCaps *
gst_v4l2_elastic_decoder_getcaps (GstVideoDecoder *decoder, GstCaps *filter)
{
  GstCaps *caps =
      gst_pad_get_pad_template_caps (GST_VIDEO_DECODER_SINK_PAD (decoder));

  if (filter) {
    GstCaps *tmp =
        gst_caps_intersect_full (filter, caps, GST_CAPS_INTERSECT_FIRST);

    gst_caps_unref (caps);
    caps = tmp;
  }
  return caps;
}

static gboolean
gst_v4l2_elastic_decoder_decide_allocation (
    GstVideoDecoder *decoder, GstQuery *query)
{
  GstV4l2ElasticDecoder *self = GST_V4L2_ELASTIC_DECODER (decoder);
  GstV4l2ElasticDecoderPrivate *priv = PRIV (self);
  guint min = 0;

  priv->downstream_has_meta =
      gst_query_find_allocation_meta (query, GST_VIDEO_META_API_TYPE, NULL);
  if (gst_query_get_n_allocation_pools (query) > 0)
    gst_query_parse_nth_allocation_pool (query, 0, NULL, NULL, &min, NULL);
  priv->downstream_min = min;
  GST_DEBUG_OBJECT (self, "downstream: VideoMeta %s, min %u buffers",
      priv->downstream_has_meta ? "yes" : "no", min);
  gst_v4l2_elastic_decoder_update_demand (self);

  if (priv->dma_drm) {
    /* Our own buffers go downstream; GstVideoDecoder still wants a pool
     * in the answer, which it never uses here (no copy path): an empty
     * generic one where downstream offered none. */
    if (gst_query_get_n_allocation_pools (query) == 0) {
      GstBufferPool *pool = gst_buffer_pool_new ();
      GstStructure *config = gst_buffer_pool_get_config (pool);

      gst_buffer_pool_config_set_params (config, NULL, 1, 0, 0);
      gst_buffer_pool_set_config (pool, config);
      gst_query_add_allocation_pool (query, pool, 1, 0, 0);
      gst_object_unref (pool);
    }
    return TRUE;
  }

  /* The base class keeps a pool for the copy path. */
  return GST_VIDEO_DECODER_CLASS (gst_v4l2_elastic_decoder_parent_class)
      ->decide_allocation (decoder, query);
}

static GstStateChangeReturn
gst_v4l2_elastic_decoder_change_state (
    GstElement *element, GstStateChange transition)
{
  /* A decode waiting for a buffer must not hold up the state change. */
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    set_pool_flushing (GST_V4L2_ELASTIC_DECODER (element), TRUE);
  return GST_ELEMENT_CLASS (gst_v4l2_elastic_decoder_parent_class)
      ->change_state (element, transition);
}

/* --- GObject
 * --------------------------------------------------------------------- */

static void
gst_v4l2_elastic_decoder_set_property (
    GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  GstV4l2ElasticDecoderPrivate *priv = PRIV (object);
  GstV4l2ElasticCapturePool *pool;
  guint max_buffers;
  guint64 memory_limit;

  GST_OBJECT_LOCK (object);
  switch (prop_id) {
  case PROP_MAX_CAPTURE_BUFFERS:
    priv->max_capture_buffers = g_value_get_uint (value);
    break;
  case PROP_CAPTURE_MEMORY_LIMIT:
    priv->capture_memory_limit = g_value_get_uint64 (value);
    break;
  case PROP_CLASSIC_POOL:
    priv->classic_pool = g_value_get_boolean (value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
  max_buffers = priv->max_capture_buffers;
  memory_limit = priv->capture_memory_limit;
  GST_OBJECT_UNLOCK (object);
  pool = get_pool (GST_V4L2_ELASTIC_DECODER (object));
  if (pool) {
    gst_v4l2_elastic_capture_pool_set_limits (pool, max_buffers, memory_limit);
    gst_object_unref (pool);
  }
}

static GstStructure *
empty_stats (void)
{
  return gst_structure_new ("v4l2elastic-pool-stats", "buffers", G_TYPE_UINT, 0,
      "bytes", G_TYPE_UINT64, G_GUINT64_CONSTANT (0), "peak-buffers",
      G_TYPE_UINT, 0, "peak-bytes", G_TYPE_UINT64, G_GUINT64_CONSTANT (0),
      "creates", G_TYPE_UINT, 0, "removes", G_TYPE_UINT, 0, "reallocations",
      G_TYPE_UINT, 0, "waits", G_TYPE_UINT, 0, "stale-buffers", G_TYPE_UINT, 0,
      "stale-bytes", G_TYPE_UINT64, G_GUINT64_CONSTANT (0), "discarded",
      G_TYPE_UINT, 0, "remove-failures", G_TYPE_UINT, 0, "in-queue",
      G_TYPE_UINT, 0, "copies", G_TYPE_UINT, 0, NULL);
}

static void
gst_v4l2_elastic_decoder_get_property (
    GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GstV4l2ElasticDecoder *self = GST_V4L2_ELASTIC_DECODER (object);
  GstV4l2ElasticDecoderPrivate *priv = PRIV (self);
  GstV4l2ElasticDecoderCData *cdata = class_cdata (self);
  GstV4l2ElasticCapturePool *pool;
  GstStructure *stats;

  switch (prop_id) {
  case PROP_MEDIA_DEVICE:
    g_value_set_string (value, cdata->media_path);
    break;
  case PROP_VIDEO_DEVICE:
    g_value_set_string (value, cdata->video_path);
    break;
  case PROP_MAX_CAPTURE_BUFFERS:
    g_value_set_uint (value, priv->max_capture_buffers);
    break;
  case PROP_CAPTURE_MEMORY_LIMIT:
    g_value_set_uint64 (value, priv->capture_memory_limit);
    break;
  case PROP_CLASSIC_POOL:
    g_value_set_boolean (value, priv->classic_pool);
    break;
  case PROP_POOL_STATS:
    GST_OBJECT_LOCK (self);
    pool = priv->pool ? gst_object_ref (priv->pool) : NULL;
    GST_OBJECT_UNLOCK (self);
    stats =
        pool ? gst_v4l2_elastic_capture_pool_get_stats (pool) : empty_stats ();
    /* The codec's side of format changes, next to the pool's. */
    gst_structure_set (stats, "inter-resizes", G_TYPE_UINT,
        g_atomic_int_get (&priv->inter_resizes), "inter-resize-fallbacks",
        G_TYPE_UINT, g_atomic_int_get (&priv->inter_resize_fallbacks), NULL);
    g_value_take_boxed (value, stats);
    gst_clear_object (&pool);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void
gst_v4l2_elastic_decoder_finalize (GObject *object)
{
  GstV4l2ElasticDecoderPrivate *priv = PRIV (object);

  gst_clear_object (&priv->device);
  G_OBJECT_CLASS (gst_v4l2_elastic_decoder_parent_class)->finalize (object);
}

/* The device comes from the registered subclass, which is only known
 * once the instance is complete (during the base's instance init the
 * instance still has the base's class). */
static void
gst_v4l2_elastic_decoder_constructed (GObject *object)
{
  GstV4l2ElasticDecoderPrivate *priv = PRIV (object);
  GstV4l2ElasticDecoderCData *cdata =
      class_cdata (GST_V4L2_ELASTIC_DECODER (object));

  G_OBJECT_CLASS (gst_v4l2_elastic_decoder_parent_class)->constructed (object);
  priv->device =
      gst_v4l2_elastic_device_new (cdata->media_path, cdata->video_path);
}

static void
gst_v4l2_elastic_decoder_init (GstV4l2ElasticDecoder *self)
{
  gst_video_decoder_set_packetized (GST_VIDEO_DECODER (self), FALSE);
  gst_video_decoder_set_needs_format (GST_VIDEO_DECODER (self), TRUE);
}

static void
gst_v4l2_elastic_decoder_class_init (GstV4l2ElasticDecoderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstVideoDecoderClass *decoder_class = GST_VIDEO_DECODER_CLASS (klass);

  object_class->set_property = gst_v4l2_elastic_decoder_set_property;
  object_class->get_property = gst_v4l2_elastic_decoder_get_property;
  object_class->finalize = gst_v4l2_elastic_decoder_finalize;
  object_class->constructed = gst_v4l2_elastic_decoder_constructed;
  element_class->change_state = gst_v4l2_elastic_decoder_change_state;

  decoder_class->open = gst_v4l2_elastic_decoder_open;
  decoder_class->close = gst_v4l2_elastic_decoder_close;
  decoder_class->start = gst_v4l2_elastic_decoder_start;
  decoder_class->stop = gst_v4l2_elastic_decoder_stop;
  decoder_class->set_format = gst_v4l2_elastic_decoder_set_format;
  decoder_class->flush = gst_v4l2_elastic_decoder_flush;
  decoder_class->sink_event = gst_v4l2_elastic_decoder_sink_event;
  decoder_class->decide_allocation = gst_v4l2_elastic_decoder_decide_allocation;
  decoder_class->getcaps = gst_v4l2_elastic_decoder_getcaps;

  g_object_class_install_property (object_class, PROP_MEDIA_DEVICE,
      g_param_spec_string ("media-device", "Media device",
          "The media controller node of the decoder", NULL,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (object_class, PROP_VIDEO_DEVICE,
      g_param_spec_string ("video-device", "Video device",
          "The video node of the decoder", NULL,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (object_class, PROP_MAX_CAPTURE_BUFFERS,
      g_param_spec_uint ("max-capture-buffers", "Max CAPTURE buffers",
          "Upper bound of the CAPTURE pool; at the bound decoding waits for "
          "a buffer to come back (0: the queue's max_num_buffers)",
          0, G_MAXUINT, 0,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
              GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (object_class, PROP_CAPTURE_MEMORY_LIMIT,
      g_param_spec_uint64 ("capture-memory-limit", "CAPTURE memory limit",
          "Upper bound in bytes of all CAPTURE buffers; at the bound decoding "
          "waits for a buffer to come back (0: no limit). Never below what "
          "one decode step needs.",
          0, G_MAXUINT64, 0,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
              GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (object_class, PROP_CLASSIC_POOL,
      g_param_spec_boolean ("classic-pool", "Classic pool",
          "Use the classic CAPTURE pool (whole allocation, drain, STREAMOFF "
          "and reallocation at every format change) even where the kernel "
          "has VIDIOC_REMOVE_BUFS; taken at the next start",
          FALSE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
              GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (object_class, PROP_POOL_STATS,
      g_param_spec_boxed ("pool-stats", "Pool statistics",
          "The CAPTURE pool now: buffers, bytes, peak-buffers, peak-bytes, "
          "creates, removes, reallocations, waits, target",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
}
