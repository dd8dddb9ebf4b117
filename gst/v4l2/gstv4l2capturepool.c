/* gst-v4l2-elastic
 *
 * The elastic CAPTURE pool.  See gstv4l2capturepool.h and docs/pool.md.
 *
 * Life of a buffer ("slot", one per kernel index):
 *   created (CREATE_BUFS, EXPBUF, wrapped once) -> free
 *   free -> out (acquired: queued in the driver, held by the codec state
 *          or downstream, in any mix, counted as one)
 *   out -> free (last holder let go, same format, pool not above its floor)
 *   out/free -> removed (REMOVE_BUFS: surplus, or an older format)
 *   any -> orphaned (REQBUFS(0) on a format change the driver refuses
 *          while busy, or teardown: memory lives until the last holder)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstv4l2capturepool.h"

#include <errno.h>
#include <gst/allocators/allocators.h>

GST_DEBUG_CATEGORY_STATIC (gst_v4l2_elastic_capture_pool_debug);
#define GST_CAT_DEFAULT gst_v4l2_elastic_capture_pool_debug

/* Acquisitions over which the peak number of busy buffers is remembered,
 * so that a downstream that holds more than it announced does not make
 * the pool create and remove a buffer on every frame. */
#define DEMAND_WINDOW 30

typedef struct
{
  guint index;
  guint epoch;       /* format generation it was created for */
  gsize size;        /* bytes of all planes */
  GstBuffer *buffer; /* wrapped once; owned by the pool when free */
  gboolean free;
  gboolean orphaned; /* no longer in the kernel queue */
  /* Codec references (see gst_v4l2_elastic_capture_pool_hold()): a slot whose
   * buffer came back is only settled once no reference holds it. */
  guint holds;
  gboolean returned;
} Slot;

struct _GstV4l2ElasticCapturePool
{
  GstBufferPool parent;

  GstV4l2ElasticDevice *device;
  GstAllocator *allocator;
  gboolean elastic;

  GMutex lock;
  GCond cond;
  gboolean flushing;

  /* Current format. */
  guint epoch;
  struct v4l2_format format;
  GstVideoInfo info;
  gboolean have_format;

  GPtrArray *slots; /* Slot*, indexed by kernel index */
  GQueue free;      /* Slot* of the current epoch */
  GList *orphans;   /* Slot* out of the queue, still held */
  GList *lingering; /* returned, memory still shared by a copy */

  GstV4l2ElasticPoolDemand demand;
  guint target;
  guint max_buffers;
  guint64 memory_limit;
  gboolean warned_at_bound;

  guint window_count;
  guint window_peak;
  guint last_window_peak;

  /* Statistics. */
  guint buffers;
  guint64 bytes;
  guint peak_buffers;
  guint64 peak_bytes;
  guint creates;
  guint removes;
  guint reallocations;
  guint waits;

  GArray *pending_events; /* events to emit once unlocked */
  GstV4l2ElasticPoolEventFunc event_func;
  gpointer event_data;
  GDestroyNotify event_notify;
};

typedef struct
{
  GstV4l2ElasticPoolEvent event;
  guint buffers;
  guint64 bytes;
} PendingEvent;

G_DEFINE_TYPE_WITH_CODE (GstV4l2ElasticCapturePool,
    gst_v4l2_elastic_capture_pool, GST_TYPE_BUFFER_POOL,
    GST_DEBUG_CATEGORY_INIT (gst_v4l2_elastic_capture_pool_debug,
        "v4l2elastic-pool", 0, "elastic V4L2 CAPTURE pool"));

static GQuark slot_quark;

static void collect_lingering (GstV4l2ElasticCapturePool *self);

/**
 * gst_v4l2_elastic_pool_target:
 *
 * The pool's target size, in one place:
 *
 *   target = references + reorder + downstream + in_flight
 *
 * references: pictures the codec state keeps for prediction (DPB, VP9
 * slots); reorder: pictures waiting for their turn in output order;
 * downstream: the minimum downstream announced in the ALLOCATION query;
 * in_flight: decode requests submitted and not yet complete (each owns the
 * CAPTURE buffer it writes).  It is a bound, not a reservation: buffers
 * are created only when every buffer is busy, so a buffer that is both a
 * reference and held downstream counts once and the pool often stays
 * below it.  Free buffers above it are removed.
 */
guint
gst_v4l2_elastic_pool_target (const GstV4l2ElasticPoolDemand *demand)
{
  return demand->references + demand->reorder + demand->downstream +
      demand->in_flight;
}

/* --- helpers, called with the lock held ---------------------------------- */

static void
queue_event (GstV4l2ElasticCapturePool *self, GstV4l2ElasticPoolEvent event)
{
  PendingEvent e = { event, self->buffers, self->bytes };

  g_array_append_val (self->pending_events, e);
}

/* Emit what happened while locked, now that the lock is free: an
 * application's bus sync handler may query the pool's statistics. */
static void
flush_events (GstV4l2ElasticCapturePool *self)
{
  GArray *events;
  guint i;

  g_mutex_lock (&self->lock);
  events = self->pending_events;
  self->pending_events = g_array_new (FALSE, FALSE, sizeof (PendingEvent));
  g_mutex_unlock (&self->lock);

  for (i = 0; i < events->len && self->event_func; i++) {
    PendingEvent *e = &g_array_index (events, PendingEvent, i);

    self->event_func (self, e->event, e->buffers, e->bytes, self->event_data);
  }
  g_array_unref (events);
}

static void
account_add (GstV4l2ElasticCapturePool *self, Slot *slot)
{
  self->buffers++;
  self->bytes += slot->size;
  self->peak_buffers = MAX (self->peak_buffers, self->buffers);
  self->peak_bytes = MAX (self->peak_bytes, self->bytes);
}

static void
account_remove (GstV4l2ElasticCapturePool *self, Slot *slot)
{
  self->buffers--;
  self->bytes -= slot->size;
}

/* Slots of the current format that the kernel still holds. */
static guint
count_live (GstV4l2ElasticCapturePool *self)
{
  guint i, n = 0;

  for (i = 0; i < self->slots->len; i++) {
    Slot *slot = g_ptr_array_index (self->slots, i);

    if (slot && slot->epoch == self->epoch)
      n++;
  }
  return n;
}

/* Slots the kernel queue holds, of any format generation. */
static guint
count_in_queue (GstV4l2ElasticCapturePool *self)
{
  guint i, n = 0;

  for (i = 0; i < self->slots->len; i++)
    if (g_ptr_array_index (self->slots, i))
      n++;
  return n;
}

static void
slot_free (Slot *slot)
{
  /* Dropping the buffer closes its DMABuf fds: that frees the memory of
   * removed and orphaned buffers. */
  gst_mini_object_set_qdata (
      GST_MINI_OBJECT (slot->buffer), slot_quark, NULL, NULL);
  gst_buffer_unref (slot->buffer);
  g_free (slot);
}

static Slot *
slot_wrap (GstV4l2ElasticCapturePool *self, guint index, GError **error)
{
  GstV4l2ElasticBufferInfo binfo;
  GstVideoMeta *vmeta;
  GstBuffer *buffer;
  Slot *slot;
  guint p;

  if (!gst_v4l2_elastic_device_query_buffer (
          self->device, GST_V4L2_ELASTIC_QUEUE_CAPTURE, index, &binfo)) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_FAILED,
        "VIDIOC_QUERYBUF of CAPTURE buffer %u failed: %s", index,
        g_strerror (errno));
    return NULL;
  }

  buffer = gst_buffer_new ();
  slot = g_new0 (Slot, 1);
  slot->index = index;
  slot->epoch = self->epoch;
  for (p = 0; p < binfo.n_planes; p++) {
    gint fd = gst_v4l2_elastic_device_export_buffer (
        self->device, GST_V4L2_ELASTIC_QUEUE_CAPTURE, index, p);

    if (fd < 0) {
      g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_FAILED,
          "VIDIOC_EXPBUF of CAPTURE buffer %u failed: %s", index,
          g_strerror (errno));
      gst_buffer_unref (buffer);
      g_free (slot);
      return NULL;
    }
    gst_buffer_append_memory (buffer,
        gst_dmabuf_allocator_alloc (self->allocator, fd, binfo.length[p]));
    slot->size += binfo.length[p];
  }

  vmeta = gst_buffer_add_video_meta_full (buffer, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_INFO_FORMAT (&self->info), GST_VIDEO_INFO_WIDTH (&self->info),
      GST_VIDEO_INFO_HEIGHT (&self->info),
      GST_VIDEO_INFO_N_PLANES (&self->info), self->info.offset,
      self->info.stride);
  /* Kept across returns to the pool: it describes the memory. */
  GST_META_FLAG_SET (vmeta, GST_META_FLAG_POOLED);
  GST_META_FLAG_SET (vmeta, GST_META_FLAG_LOCKED);

  slot->buffer = buffer;
  gst_mini_object_set_qdata (GST_MINI_OBJECT (buffer), slot_quark, slot, NULL);
  if (self->slots->len <= index)
    g_ptr_array_set_size (self->slots, index + 1);
  g_ptr_array_index (self->slots, index) = slot;
  account_add (self, slot);
  return slot;
}

static gboolean
create_one (GstV4l2ElasticCapturePool *self, Slot **out, GError **error)
{
  guint index, created;

  if (!gst_v4l2_elastic_device_create_buffers (self->device,
          GST_V4L2_ELASTIC_QUEUE_CAPTURE, &self->format, 1, &index, &created)) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NO_SPACE_LEFT,
        "VIDIOC_CREATE_BUFS failed: %s", g_strerror (errno));
    return FALSE;
  }
  *out = slot_wrap (self, index, error);
  if (!*out)
    return FALSE;
  self->creates++;
  GST_DEBUG_OBJECT (self,
      "created buffer %u (%" G_GSIZE_FORMAT " bytes): "
      "%u buffers, %" G_GUINT64_FORMAT " bytes",
      index, (*out)->size, self->buffers, self->bytes);
  queue_event (self, GST_V4L2_ELASTIC_POOL_EVENT_GROW);
  return TRUE;
}

/* Remove slots from the kernel queue, in as few REMOVE_BUFS calls as
 * contiguous indices allow.  Slots must be dequeued (free or returned). */
static void
remove_slots (GstV4l2ElasticCapturePool *self, GPtrArray *victims)
{
  guint i = 0;

  while (i < victims->len) {
    Slot *first = g_ptr_array_index (victims, i);
    guint n = 1, k;

    while (i + n < victims->len &&
        ((Slot *) g_ptr_array_index (victims, i + n))->index ==
            first->index + n)
      n++;

    if (!gst_v4l2_elastic_device_remove_buffers (
            self->device, GST_V4L2_ELASTIC_QUEUE_CAPTURE, first->index, n)) {
      /* The kernel keeps them: keep them as orphans so that their memory
       * is still accounted and freed with the queue. */
      GST_WARNING_OBJECT (self, "could not remove buffers %u..%u: %s",
          first->index, first->index + n - 1, g_strerror (errno));
    }
    for (k = 0; k < n; k++) {
      Slot *slot = g_ptr_array_index (victims, i + k);

      g_ptr_array_index (self->slots, slot->index) = NULL;
      account_remove (self, slot);
      self->removes++;
      slot_free (slot);
    }
    i += n;
  }
  if (victims->len > 0) {
    GST_DEBUG_OBJECT (self,
        "removed %u buffers: %u buffers, %" G_GUINT64_FORMAT " bytes",
        victims->len, self->buffers, self->bytes);
    queue_event (self, GST_V4L2_ELASTIC_POOL_EVENT_SHRINK);
  }
}

/* Below this many buffers of the current format, free ones are kept. */
static guint
shrink_floor (GstV4l2ElasticCapturePool *self)
{
  return MAX (self->target, MAX (self->window_peak, self->last_window_peak));
}

static gint
compare_slot_index (gconstpointer a, gconstpointer b)
{
  const Slot *sa = *(const Slot **) a, *sb = *(const Slot **) b;

  return (gint) sa->index - (gint) sb->index;
}

static void
shrink_to_floor (GstV4l2ElasticCapturePool *self)
{
  guint live, floor;
  GPtrArray *victims;

  if (!self->elastic || !self->device->capture_caps.remove_bufs)
    return;

  live = count_live (self);
  floor = shrink_floor (self);
  if (live <= floor || g_queue_is_empty (&self->free))
    return;

  victims = g_ptr_array_new ();
  /* The highest indices go first: it keeps the index range compact. */
  while (live > floor && !g_queue_is_empty (&self->free)) {
    GList *l, *best = NULL;

    for (l = self->free.head; l; l = l->next)
      if (!best || ((Slot *) l->data)->index > ((Slot *) best->data)->index)
        best = l;
    g_ptr_array_add (victims, best->data);
    g_queue_delete_link (&self->free, best);
    live--;
  }
  g_ptr_array_sort (victims, compare_slot_index);
  remove_slots (self, victims);
  g_ptr_array_unref (victims);
}

static void
note_busy (GstV4l2ElasticCapturePool *self)
{
  guint busy = count_live (self) - g_queue_get_length (&self->free);

  self->window_peak = MAX (self->window_peak, busy);
  if (++self->window_count >= DEMAND_WINDOW) {
    self->last_window_peak = self->window_peak;
    self->window_peak = busy;
    self->window_count = 0;
  }
}

/* A decode step needs its references and one picture to write. */
static gboolean
below_progress_floor (GstV4l2ElasticCapturePool *self)
{
  return count_live (self) < self->demand.references + 1;
}

static gboolean
may_grow (GstV4l2ElasticCapturePool *self)
{
  gsize next = self->have_format
      ? gst_v4l2_elastic_format_total_size (&self->format)
      : 0;

  if (below_progress_floor (self))
    return TRUE;
  /* max_buffers bounds the kernel queue (orphans have left it);
   * memory_limit all CAPTURE memory still alive (orphans included). */
  if (self->max_buffers && count_in_queue (self) >= self->max_buffers)
    return FALSE;
  if (self->memory_limit && self->bytes + next > self->memory_limit)
    return FALSE;
  return TRUE;
}

static void
reset_buffer_state (GstBuffer *buffer)
{
  GST_BUFFER_PTS (buffer) = GST_CLOCK_TIME_NONE;
  GST_BUFFER_DTS (buffer) = GST_CLOCK_TIME_NONE;
  GST_BUFFER_DURATION (buffer) = GST_CLOCK_TIME_NONE;
  GST_BUFFER_OFFSET (buffer) = GST_BUFFER_OFFSET_NONE;
  GST_BUFFER_OFFSET_END (buffer) = GST_BUFFER_OFFSET_NONE;
  GST_BUFFER_FLAGS (buffer) = 0;
}

/* Memory replaced or added by someone downstream: the buffer no longer
 * describes the kernel buffer. */
static gboolean
slot_is_tainted (Slot *slot)
{
  return GST_BUFFER_FLAG_IS_SET (slot->buffer, GST_BUFFER_FLAG_TAG_MEMORY);
}

/* --- GstBufferPool ------------------------------------------------------- */

static GstFlowReturn
gst_v4l2_elastic_capture_pool_acquire_buffer (
    GstBufferPool *pool, GstBuffer **buffer, GstBufferPoolAcquireParams *params)
{
  GstV4l2ElasticCapturePool *self = GST_V4L2_ELASTIC_CAPTURE_POOL (pool);
  GstFlowReturn ret = GST_FLOW_OK;
  gboolean waited = FALSE;
  GError *error = NULL;
  Slot *slot = NULL;

  g_mutex_lock (&self->lock);
  while (!slot) {
    if (self->flushing) {
      ret = GST_FLOW_FLUSHING;
      break;
    }
    if (!self->have_format) {
      ret = GST_FLOW_NOT_NEGOTIATED;
      break;
    }

    if (self->lingering)
      collect_lingering (self);
    slot = g_queue_pop_head (&self->free);
    if (slot)
      break;

    if (may_grow (self)) {
      if (create_one (self, &slot, &error))
        break;
      if (!g_error_matches (
              error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NO_SPACE_LEFT) ||
          below_progress_floor (self)) {
        GST_ERROR_OBJECT (self, "%s", error->message);
        g_clear_error (&error);
        ret = GST_FLOW_ERROR;
        break;
      }
      /* The queue is full (max_num_buffers) or out of memory: wait. */
      g_clear_error (&error);
    }

    if (params && (params->flags & GST_BUFFER_POOL_ACQUIRE_FLAG_DONTWAIT)) {
      ret = GST_FLOW_EOS;
      break;
    }
    if (!waited) {
      self->waits++;
      waited = TRUE;
      GST_INFO_OBJECT (self,
          "at a bound (%u buffers, %" G_GUINT64_FORMAT
          " bytes): waiting for a buffer",
          self->buffers, self->bytes);
      queue_event (self, GST_V4L2_ELASTIC_POOL_EVENT_WAIT);
      g_mutex_unlock (&self->lock);
      flush_events (self);
      g_mutex_lock (&self->lock);
      continue;
    }
    if (self->lingering)
      /* Copies do not call back when they die: look again soon. */
      g_cond_wait_until (&self->cond, &self->lock,
          g_get_monotonic_time () + 5 * G_TIME_SPAN_MILLISECOND);
    else
      g_cond_wait (&self->cond, &self->lock);
  }

  if (slot) {
    slot->free = FALSE;
    *buffer = slot->buffer;
    note_busy (self);
  }
  g_mutex_unlock (&self->lock);
  flush_events (self);
  return ret;
}

static void
gst_v4l2_elastic_capture_pool_reset_buffer (
    GstBufferPool *pool, GstBuffer *buffer)
{
  reset_buffer_state (buffer);
}

/* Some other buffer (a downstream copy) still shares the memory. */
static gboolean
memory_is_shared (Slot *slot)
{
  guint i, n = gst_buffer_n_memory (slot->buffer);

  for (i = 0; i < n; i++)
    if (GST_MINI_OBJECT_REFCOUNT_VALUE (
            gst_buffer_peek_memory (slot->buffer, i)) > 1)
      return TRUE;
  return FALSE;
}

/* With the lock held: the buffer came back and nothing holds it. */
static void
settle_slot (GstV4l2ElasticCapturePool *self, Slot *slot)
{
  slot->returned = FALSE;
  if (slot->orphaned) {
    self->orphans = g_list_remove (self->orphans, slot);
    account_remove (self, slot);
    slot_free (slot);
  } else if (slot->epoch != self->epoch || slot_is_tainted (slot)) {
    GPtrArray *victims = g_ptr_array_new ();

    GST_DEBUG_OBJECT (
        self, "buffer %u is of an older format: removing", slot->index);
    g_ptr_array_add (victims, slot);
    remove_slots (self, victims);
    g_ptr_array_unref (victims);
  } else if (memory_is_shared (slot)) {
    /* A copy made downstream still reads this memory: not free yet. */
    GST_DEBUG_OBJECT (self, "buffer %u still shared by a copy", slot->index);
    self->lingering = g_list_prepend (self->lingering, slot);
  } else {
    reset_buffer_state (slot->buffer);
    slot->free = TRUE;
    g_queue_push_tail (&self->free, slot);
    shrink_to_floor (self);
  }
  g_cond_broadcast (&self->cond);
}

/* With the lock held: lingering slots whose copies are gone become free. */
static void
collect_lingering (GstV4l2ElasticCapturePool *self)
{
  GList *l = self->lingering;

  while (l) {
    GList *next = l->next;
    Slot *slot = l->data;

    if (!memory_is_shared (slot)) {
      self->lingering = g_list_delete_link (self->lingering, l);
      settle_slot (self, slot);
    }
    l = next;
  }
}

static void
gst_v4l2_elastic_capture_pool_release_buffer (
    GstBufferPool *pool, GstBuffer *buffer)
{
  GstV4l2ElasticCapturePool *self = GST_V4L2_ELASTIC_CAPTURE_POOL (pool);
  Slot *slot = gst_mini_object_get_qdata (GST_MINI_OBJECT (buffer), slot_quark);

  if (!slot) {
    gst_buffer_unref (buffer);
    return;
  }

  g_mutex_lock (&self->lock);
  slot->returned = TRUE;
  if (slot->holds == 0)
    settle_slot (self, slot);
  g_mutex_unlock (&self->lock);
  flush_events (self);
}

/**
 * gst_v4l2_elastic_capture_pool_hold:
 *
 * The codec keeps @buffer as a reference: even once every GstBuffer
 * reference is gone (it was pushed and released downstream), the kernel
 * buffer is not reused until gst_v4l2_elastic_capture_pool_unhold().  This
 * keeps the buffer handed downstream writable (no copy by the base class) while
 * the codec still predicts from it.
 */
void
gst_v4l2_elastic_capture_pool_hold (
    GstV4l2ElasticCapturePool *self, GstBuffer *buffer)
{
  Slot *slot = gst_mini_object_get_qdata (GST_MINI_OBJECT (buffer), slot_quark);

  g_return_if_fail (slot != NULL);
  g_mutex_lock (&self->lock);
  slot->holds++;
  g_mutex_unlock (&self->lock);
}

void
gst_v4l2_elastic_capture_pool_unhold (
    GstV4l2ElasticCapturePool *self, GstBuffer *buffer)
{
  Slot *slot = gst_mini_object_get_qdata (GST_MINI_OBJECT (buffer), slot_quark);

  g_return_if_fail (slot != NULL && slot->holds > 0);
  g_mutex_lock (&self->lock);
  if (--slot->holds == 0 && slot->returned)
    settle_slot (self, slot);
  g_mutex_unlock (&self->lock);
  flush_events (self);
}

static void
gst_v4l2_elastic_capture_pool_flush_start (GstBufferPool *pool)
{
  GstV4l2ElasticCapturePool *self = GST_V4L2_ELASTIC_CAPTURE_POOL (pool);

  g_mutex_lock (&self->lock);
  self->flushing = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

static void
gst_v4l2_elastic_capture_pool_flush_stop (GstBufferPool *pool)
{
  GstV4l2ElasticCapturePool *self = GST_V4L2_ELASTIC_CAPTURE_POOL (pool);

  g_mutex_lock (&self->lock);
  self->flushing = FALSE;
  g_mutex_unlock (&self->lock);
}

static gboolean
gst_v4l2_elastic_capture_pool_start (GstBufferPool *pool)
{
  GstV4l2ElasticCapturePool *self = GST_V4L2_ELASTIC_CAPTURE_POOL (pool);

  g_mutex_lock (&self->lock);
  self->flushing = FALSE;
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static gboolean
gst_v4l2_elastic_capture_pool_stop (GstBufferPool *pool)
{
  GstV4l2ElasticCapturePool *self = GST_V4L2_ELASTIC_CAPTURE_POOL (pool);

  gst_v4l2_elastic_capture_pool_orphan_all (self);
  return TRUE;
}

static void
gst_v4l2_elastic_capture_pool_finalize (GObject *object)
{
  GstV4l2ElasticCapturePool *self = GST_V4L2_ELASTIC_CAPTURE_POOL (object);

  gst_v4l2_elastic_capture_pool_orphan_all (self);
  if (self->event_notify)
    self->event_notify (self->event_data);
  g_array_unref (self->pending_events);
  g_ptr_array_unref (self->slots);
  gst_object_unref (self->allocator);
  gst_object_unref (self->device);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  G_OBJECT_CLASS (gst_v4l2_elastic_capture_pool_parent_class)
      ->finalize (object);
}

static void
gst_v4l2_elastic_capture_pool_class_init (GstV4l2ElasticCapturePoolClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstBufferPoolClass *pool_class = GST_BUFFER_POOL_CLASS (klass);

  slot_quark = g_quark_from_static_string ("GstV4l2ElasticCapturePoolSlot");
  object_class->finalize = gst_v4l2_elastic_capture_pool_finalize;
  pool_class->acquire_buffer = gst_v4l2_elastic_capture_pool_acquire_buffer;
  pool_class->release_buffer = gst_v4l2_elastic_capture_pool_release_buffer;
  pool_class->reset_buffer = gst_v4l2_elastic_capture_pool_reset_buffer;
  pool_class->flush_start = gst_v4l2_elastic_capture_pool_flush_start;
  pool_class->flush_stop = gst_v4l2_elastic_capture_pool_flush_stop;
  pool_class->start = gst_v4l2_elastic_capture_pool_start;
  pool_class->stop = gst_v4l2_elastic_capture_pool_stop;
}

static void
gst_v4l2_elastic_capture_pool_init (GstV4l2ElasticCapturePool *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->slots = g_ptr_array_new ();
  g_queue_init (&self->free);
  self->pending_events = g_array_new (FALSE, FALSE, sizeof (PendingEvent));
}

/* --- public API ---------------------------------------------------------- */

/**
 * gst_v4l2_elastic_capture_pool_new:
 * @elastic: grow with CREATE_BUFS and shrink with REMOVE_BUFS; %FALSE is
 *   the classic pool: allocated whole with REQBUFS at each format, never
 *   shrunk, reallocated on every format change.
 */
GstV4l2ElasticCapturePool *
gst_v4l2_elastic_capture_pool_new (
    GstV4l2ElasticDevice *device, gboolean elastic)
{
  GstV4l2ElasticCapturePool *self =
      g_object_new (GST_TYPE_V4L2_ELASTIC_CAPTURE_POOL, NULL);
  GstStructure *config;

  gst_object_ref_sink (self);
  /* GstBufferPool activates only a configured pool, and only an active
   * pool forwards flushing to flush_start(), which wakes a thread waiting
   * for a buffer.  Sizes and counts are the pool's own business (they
   * change with the stream), so the configuration carries none. */
  config = gst_buffer_pool_get_config (GST_BUFFER_POOL (self));
  gst_buffer_pool_config_set_params (config, NULL, 0, 0, 0);
  gst_buffer_pool_set_config (GST_BUFFER_POOL (self), config);
  self->device = gst_object_ref (device);
  self->allocator = gst_dmabuf_allocator_new ();
  self->elastic = elastic;
  self->max_buffers = device->capture_caps.max_num_buffers
      ? device->capture_caps.max_num_buffers
      : 32;
  return self;
}

void
gst_v4l2_elastic_capture_pool_set_event_func (GstV4l2ElasticCapturePool *self,
    GstV4l2ElasticPoolEventFunc func, gpointer user_data, GDestroyNotify notify)
{
  if (self->event_notify)
    self->event_notify (self->event_data);
  self->event_func = func;
  self->event_data = user_data;
  self->event_notify = notify;
}

gboolean
gst_v4l2_elastic_capture_pool_is_elastic (GstV4l2ElasticCapturePool *self)
{
  return self->elastic;
}

/**
 * gst_v4l2_elastic_capture_pool_set_limits:
 * @max_buffers: at most this many CAPTURE buffers (0: the queue's
 *   max_num_buffers)
 * @memory_limit: at most this many bytes of CAPTURE memory (0: no limit)
 *
 * At a bound the pool waits for a buffer to come back instead of growing.
 * The bounds never go below what one decode step needs (its references
 * and one picture to write): that floor wins, so a decode never
 * deadlocks on its own references.
 */
void
gst_v4l2_elastic_capture_pool_set_limits (
    GstV4l2ElasticCapturePool *self, guint max_buffers, guint64 memory_limit)
{
  guint queue_max = self->device->capture_caps.max_num_buffers
      ? self->device->capture_caps.max_num_buffers
      : 32;

  g_mutex_lock (&self->lock);
  self->max_buffers = max_buffers ? MIN (max_buffers, queue_max) : queue_max;
  self->memory_limit = memory_limit;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

/**
 * gst_v4l2_elastic_capture_pool_set_demand:
 *
 * Sets what the stream needs; free buffers above the new target are
 * removed at once, busy ones as they come back.
 */
void
gst_v4l2_elastic_capture_pool_set_demand (
    GstV4l2ElasticCapturePool *self, const GstV4l2ElasticPoolDemand *demand)
{
  g_mutex_lock (&self->lock);
  self->demand = *demand;
  self->target = gst_v4l2_elastic_pool_target (demand);
  /* Peaks seen under the old demand say nothing about the new one. */
  self->window_peak = self->last_window_peak = 0;
  self->window_count = 0;
  GST_DEBUG_OBJECT (self,
      "demand: %u references + %u reorder + %u "
      "downstream + %u in flight = target %u",
      demand->references, demand->reorder, demand->downstream,
      demand->in_flight, self->target);
  shrink_to_floor (self);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  flush_events (self);
}

guint
gst_v4l2_elastic_capture_pool_get_target (GstV4l2ElasticCapturePool *self)
{
  guint target;

  g_mutex_lock (&self->lock);
  target = self->target;
  g_mutex_unlock (&self->lock);
  return target;
}

/**
 * gst_v4l2_elastic_capture_pool_set_format:
 *
 * Starts a new format generation (the caller has set it on the CAPTURE
 * queue).  Free buffers of the old format are removed now, busy ones when
 * their last holder lets go; they are never handed out again.  Elastic
 * only: a classic pool reallocates instead.
 */
gboolean
gst_v4l2_elastic_capture_pool_set_format (GstV4l2ElasticCapturePool *self,
    const struct v4l2_format *fmt, const GstVideoInfo *info)
{
  GPtrArray *victims = g_ptr_array_new ();
  Slot *slot;

  g_mutex_lock (&self->lock);
  self->epoch++;
  self->format = *fmt;
  self->info = *info;
  self->have_format = TRUE;
  while ((slot = g_queue_pop_head (&self->free)))
    g_ptr_array_add (victims, slot);
  g_ptr_array_sort (victims, compare_slot_index);
  remove_slots (self, victims);
  g_ptr_array_unref (victims);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  flush_events (self);
  return TRUE;
}

/* With the lock held: take every buffer out of the kernel's hands. */
static void
orphan_all_locked (GstV4l2ElasticCapturePool *self)
{
  guint i, zero = 0;
  Slot *slot;

  /* The free ones go now (and lingering ones: their memory lives on in
   * the copies that share it); the others live until their holders let
   * go. */
  while ((slot = g_queue_pop_head (&self->free))) {
    g_ptr_array_index (self->slots, slot->index) = NULL;
    account_remove (self, slot);
    slot_free (slot);
  }
  while (self->lingering) {
    slot = self->lingering->data;
    self->lingering = g_list_delete_link (self->lingering, self->lingering);
    g_ptr_array_index (self->slots, slot->index) = NULL;
    account_remove (self, slot);
    slot_free (slot);
  }
  for (i = 0; i < self->slots->len; i++) {
    slot = g_ptr_array_index (self->slots, i);
    if (!slot)
      continue;
    slot->orphaned = TRUE;
    self->orphans = g_list_prepend (self->orphans, slot);
    g_ptr_array_index (self->slots, i) = NULL;
  }
  g_ptr_array_set_size (self->slots, 0);

  if (gst_v4l2_elastic_device_is_open (self->device))
    gst_v4l2_elastic_device_request_buffers (
        self->device, GST_V4L2_ELASTIC_QUEUE_CAPTURE, &zero);
}

/**
 * gst_v4l2_elastic_capture_pool_orphan_all:
 *
 * REQBUFS(0) on the CAPTURE queue (the caller stopped it): buffers that
 * are still held stay valid (the driver's orphaned buffers) and are freed
 * when their last holder lets go.
 */
void
gst_v4l2_elastic_capture_pool_orphan_all (GstV4l2ElasticCapturePool *self)
{
  g_mutex_lock (&self->lock);
  orphan_all_locked (self);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

/**
 * gst_v4l2_elastic_capture_pool_reallocate:
 *
 * The whole-pool path: every buffer is orphaned with REQBUFS(0), the new
 * format is taken, and (classic pool) the target is allocated at once with
 * REQBUFS, or (elastic pool, where the driver refused the format change
 * while busy) buffers are created on demand again.  The caller has stopped
 * the CAPTURE queue and set the new format.
 */
gboolean
gst_v4l2_elastic_capture_pool_reallocate (GstV4l2ElasticCapturePool *self,
    const struct v4l2_format *fmt, const GstVideoInfo *info)
{
  gboolean ret = TRUE, initial;
  guint count, i;

  g_mutex_lock (&self->lock);
  /* The first allocation of a classic pool is not a reallocation. */
  initial = !self->have_format;
  orphan_all_locked (self);
  self->epoch++;
  self->format = *fmt;
  self->info = *info;
  self->have_format = TRUE;
  if (!initial)
    self->reallocations++;

  if (!self->elastic) {
    count = MAX (self->target, self->demand.references + 1);
    if (self->max_buffers)
      count = MIN (count, self->max_buffers);
    if (!gst_v4l2_elastic_device_request_buffers (
            self->device, GST_V4L2_ELASTIC_QUEUE_CAPTURE, &count) ||
        count == 0) {
      ret = FALSE;
    } else {
      for (i = 0; i < count; i++) {
        GError *error = NULL;
        Slot *slot = slot_wrap (self, i, &error);

        if (!slot) {
          GST_ERROR_OBJECT (self, "%s", error->message);
          g_clear_error (&error);
          ret = FALSE;
          break;
        }
        self->creates++;
        slot->free = TRUE;
        g_queue_push_tail (&self->free, slot);
      }
    }
  }
  GST_INFO_OBJECT (self, "reallocated: %u buffers, %" G_GUINT64_FORMAT " bytes",
      self->buffers, self->bytes);
  queue_event (self,
      initial ? GST_V4L2_ELASTIC_POOL_EVENT_GROW
              : GST_V4L2_ELASTIC_POOL_EVENT_REALLOCATE);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  flush_events (self);
  return ret;
}

/**
 * gst_v4l2_elastic_capture_pool_buffer_index:
 *
 * Returns: the kernel index of a buffer of this pool, or -1.
 */
gint
gst_v4l2_elastic_capture_pool_buffer_index (GstBuffer *buffer)
{
  Slot *slot = gst_mini_object_get_qdata (GST_MINI_OBJECT (buffer), slot_quark);

  return slot && !slot->orphaned ? (gint) slot->index : -1;
}

/**
 * gst_v4l2_elastic_capture_pool_get_stats:
 *
 * Returns: (transfer full): buffers and bytes alive now (including
 * orphaned ones still held), their peaks, counts of creates, removes,
 * reallocations and waits, and the buffers and bytes of older formats
 * (stale) still alive.
 */
GstStructure *
gst_v4l2_elastic_capture_pool_get_stats (GstV4l2ElasticCapturePool *self)
{
  GstStructure *s;
  guint stale_buffers = 0, i;
  guint64 stale_bytes = 0;
  GList *l;

  g_mutex_lock (&self->lock);
  /* Buffers of an older format still alive: held by the codec or
   * downstream, they go when the last holder lets go. */
  for (i = 0; i < self->slots->len; i++) {
    Slot *slot = g_ptr_array_index (self->slots, i);

    if (slot && slot->epoch != self->epoch) {
      stale_buffers++;
      stale_bytes += slot->size;
    }
  }
  for (l = self->orphans; l; l = l->next) {
    stale_buffers++;
    stale_bytes += ((Slot *) l->data)->size;
  }
  s = gst_structure_new ("v4l2elastic-pool-stats", "buffers", G_TYPE_UINT,
      self->buffers, "bytes", G_TYPE_UINT64, self->bytes, "peak-buffers",
      G_TYPE_UINT, self->peak_buffers, "peak-bytes", G_TYPE_UINT64,
      self->peak_bytes, "creates", G_TYPE_UINT, self->creates, "removes",
      G_TYPE_UINT, self->removes, "reallocations", G_TYPE_UINT,
      self->reallocations, "waits", G_TYPE_UINT, self->waits, "target",
      G_TYPE_UINT, self->target, "elastic", G_TYPE_BOOLEAN, self->elastic,
      "stale-buffers", G_TYPE_UINT, stale_buffers, "stale-bytes", G_TYPE_UINT64,
      stale_bytes, NULL);
  g_mutex_unlock (&self->lock);
  return s;
}
