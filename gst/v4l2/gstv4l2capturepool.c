/* gst-v4l2-elastic
 *
 * The elastic CAPTURE pool.  See gstv4l2capturepool.h and docs/pool.md.
 *
 * Life of a buffer ("slot", one per kernel index):
 *   created (CREATE_BUFS, EXPBUF, wrapped once) -> free
 *   free -> out (acquired: queued in the driver, then referenced by the
 *          codec state, downstream and copies downstream made, in any mix)
 *   out -> free (the GstBuffer came back to the pool AND every GstMemory
 *          of the slot lost its last outside reference; same format, not
 *          above the floor, memory not replaced downstream)
 *   out/free -> removed (REMOVE_BUFS: surplus, an older format, or memory
 *          replaced downstream)
 *   any -> orphaned (REQBUFS(0) on a format change the driver refuses
 *          while busy, or detach: the memory lives until the last user)
 *
 * Ownership: while a slot is free, the pool owns its memories.  Acquiring
 * moves them into the slot's GstBuffer; from then on GStreamer's own
 * reference counts decide.  Each memory's mini-object dispose hook brings
 * it back here when its last reference drops (a copy made downstream
 * shares the memory, so it keeps it out), so release is noticed when it
 * happens, without polling.  A memory that is shared is not writable, so
 * a downstream write into a frame the codec still references goes to a
 * copy (GStreamer's own copy-on-write).
 *
 * Every ioctl the pool issues happens with its lock held and never after
 * gst_v4l2_elastic_capture_pool_detach(): a pool released late by an
 * application cannot touch a queue that a newer pool now uses.
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

typedef struct _Slot Slot;

struct _Slot
{
  GstV4l2ElasticCapturePool *pool; /* a reference while out */
  guint index;
  guint epoch; /* format generation it was created for */
  gsize size;  /* bytes of all planes */
  /* The wrapper handed out; it carries the memories only while out. */
  GstBuffer *buffer;
  GstMemory *mems[GST_VIDEO_MAX_PLANES];
  guint n_mems;

  gboolean out;        /* acquired and not settled yet */
  gboolean buffer_out; /* the GstBuffer has not come back */
  guint mems_out;      /* memories someone outside still refers to */
  gboolean free;       /* in the free queue */
  gboolean orphaned;   /* no longer in the kernel queue */
  gboolean tainted;    /* downstream replaced or added memory */
  gboolean doomed;     /* to be removed; REMOVE_BUFS has failed so far */
};

struct _GstV4l2ElasticCapturePool
{
  GstBufferPool parent;

  GstV4l2ElasticDevice *device;
  GstAllocator *allocator;
  gboolean elastic;
  gboolean detached;

  GMutex lock;
  GCond cond;
  gboolean flushing;

  /* Current format. */
  guint epoch;
  struct v4l2_format format;
  GstVideoInfo info;
  gboolean have_format;

  GPtrArray *slots; /* Slot*, indexed by kernel index; the kernel has them */
  GQueue free;      /* Slot* of the current epoch */
  GList *orphans;   /* Slot* out of the queue, still referenced */
  GList *doomed;    /* Slot* whose REMOVE_BUFS failed: retried */

  GstV4l2ElasticPoolDemand demand;
  guint target;
  guint max_buffers;
  guint64 memory_limit;

  guint window_count;
  guint window_peak;
  guint last_window_peak;

  /* Statistics: buffers and bytes are what the kernel has allocated for
   * us and not yet freed (orphans included). */
  guint buffers;
  guint64 bytes;
  guint peak_buffers;
  guint64 peak_bytes;
  guint creates;
  guint removes;
  guint reallocations;
  guint waits;
  guint discarded;
  guint remove_failures;
  guint copies;

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

/* Slots of the current format that the kernel still holds and that are
 * not on their way out. */
static guint
count_live (GstV4l2ElasticCapturePool *self)
{
  guint i, n = 0;

  for (i = 0; i < self->slots->len; i++) {
    Slot *slot = g_ptr_array_index (self->slots, i);

    if (slot && slot->epoch == self->epoch && !slot->doomed)
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

/* Returns to the pool a memory whose last outside reference dropped.
 * Runs in whatever thread let go; the memory is revived (its mapping and
 * fd stay), owned by the slot again. */
static gboolean slot_memory_dispose (GstMiniObject *obj);

/* Frees a slot that nobody outside refers to: its memories (closing
 * their DMABuf fds frees an orphaned or removed kernel buffer) and the
 * wrapper.  No ioctl. */
static void
slot_free (Slot *slot)
{
  guint i;

  for (i = 0; i < slot->n_mems; i++) {
    GstMiniObject *obj = GST_MINI_OBJECT_CAST (slot->mems[i]);

    gst_mini_object_set_qdata (obj, slot_quark, NULL, NULL);
    obj->dispose = NULL;
    gst_memory_unref (slot->mems[i]);
  }
  gst_mini_object_set_qdata (
      GST_MINI_OBJECT (slot->buffer), slot_quark, NULL, NULL);
  gst_buffer_unref (slot->buffer);
  g_free (slot);
}

/* Forgets a slot the kernel no longer has (removed, or freed by
 * REQBUFS(0) with no exported fd left). */
static void
slot_drop (GstV4l2ElasticCapturePool *self, Slot *slot)
{
  if (!slot->orphaned && slot->index < self->slots->len &&
      g_ptr_array_index (self->slots, slot->index) == slot)
    g_ptr_array_index (self->slots, slot->index) = NULL;
  account_remove (self, slot);
  slot_free (slot);
}

/* Removes slots from the kernel queue, in as few REMOVE_BUFS calls as
 * contiguous indices allow.  Slots must be dequeued and referenced by
 * nobody outside.  A range the kernel refuses to remove stays allocated:
 * its slots stay accounted, doomed, and are tried again later. */
static void
remove_slots (GstV4l2ElasticCapturePool *self, GPtrArray *victims)
{
  guint i = 0, removed = 0;

  while (i < victims->len) {
    Slot *first = g_ptr_array_index (victims, i);
    guint n = 1, k;
    gboolean ok;

    while (i + n < victims->len &&
        ((Slot *) g_ptr_array_index (victims, i + n))->index ==
            first->index + n)
      n++;

    ok = self->detached ||
        gst_v4l2_elastic_device_remove_buffers (
            self->device, GST_V4L2_ELASTIC_QUEUE_CAPTURE, first->index, n);
    if (!ok) {
      GST_WARNING_OBJECT (self,
          "could not remove buffers %u..%u: %s; they stay allocated and "
          "are tried again later",
          first->index, first->index + n - 1, g_strerror (errno));
      self->remove_failures++;
    }
    for (k = 0; k < n; k++) {
      Slot *slot = g_ptr_array_index (victims, i + k);

      if (ok) {
        if (slot->doomed)
          self->doomed = g_list_remove (self->doomed, slot);
        slot_drop (self, slot);
        self->removes++;
        removed++;
      } else if (!slot->doomed) {
        slot->doomed = TRUE;
        self->doomed = g_list_prepend (self->doomed, slot);
      }
    }
    i += n;
  }
  if (removed > 0) {
    GST_DEBUG_OBJECT (self,
        "removed %u buffers: %u buffers, %" G_GUINT64_FORMAT " bytes", removed,
        self->buffers, self->bytes);
    queue_event (self, GST_V4L2_ELASTIC_POOL_EVENT_SHRINK);
  }
}

static gint
compare_slot_index (gconstpointer a, gconstpointer b)
{
  const Slot *sa = *(const Slot **) a, *sb = *(const Slot **) b;

  return (gint) sa->index - (gint) sb->index;
}

static void
remove_one (GstV4l2ElasticCapturePool *self, Slot *slot)
{
  GPtrArray *victims = g_ptr_array_new ();

  g_ptr_array_add (victims, slot);
  remove_slots (self, victims);
  g_ptr_array_unref (victims);
}

/* Doomed slots whose removal failed before: try again. */
static void
retry_doomed (GstV4l2ElasticCapturePool *self)
{
  GPtrArray *victims;
  GList *l;

  if (!self->doomed)
    return;
  victims = g_ptr_array_new ();
  for (l = self->doomed; l; l = l->next)
    g_ptr_array_add (victims, l->data);
  g_ptr_array_sort (victims, compare_slot_index);
  remove_slots (self, victims);
  g_ptr_array_unref (victims);
}

/* The buffers without which the decode cannot go on by itself: its
 * references, the pictures waiting for their turn in output order (they
 * leave only once later pictures are decoded), and one to write.  No
 * bound goes below this. */
static guint
progress_need (GstV4l2ElasticCapturePool *self)
{
  return self->demand.references + self->demand.reorder + 1;
}

/* Below this many buffers of the current format, free ones are kept. */
static guint
shrink_floor (GstV4l2ElasticCapturePool *self)
{
  return MAX (self->target, MAX (self->window_peak, self->last_window_peak));
}

static void
shrink_to_floor (GstV4l2ElasticCapturePool *self)
{
  guint live, floor;
  GPtrArray *victims;

  if (!self->elastic || self->detached ||
      !self->device->capture_caps.remove_bufs)
    return;

  retry_doomed (self);
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
    ((Slot *) best->data)->free = FALSE;
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

/* A new kernel buffer at @index: queried, exported plane by plane and
 * wrapped.  On failure the kernel buffer is removed again (or, if even
 * that fails, kept accounted and doomed), so that the accounting always
 * equals what the kernel has. */
static Slot *
slot_wrap (GstV4l2ElasticCapturePool *self, guint index, GError **error)
{
  GstV4l2ElasticBufferInfo binfo;
  GstVideoMeta *vmeta;
  Slot *slot;
  guint p;

  slot = g_new0 (Slot, 1);
  slot->index = index;
  slot->epoch = self->epoch;
  slot->buffer = gst_buffer_new ();
  gst_mini_object_set_qdata (
      GST_MINI_OBJECT (slot->buffer), slot_quark, slot, NULL);
  if (self->slots->len <= index)
    g_ptr_array_set_size (self->slots, index + 1);
  g_ptr_array_index (self->slots, index) = slot;

  if (!gst_v4l2_elastic_device_query_buffer (
          self->device, GST_V4L2_ELASTIC_QUEUE_CAPTURE, index, &binfo)) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_FAILED,
        "VIDIOC_QUERYBUF of CAPTURE buffer %u failed: %s", index,
        g_strerror (errno));
    slot->size = gst_v4l2_elastic_format_total_size (&self->format);
    goto failed;
  }
  for (p = 0; p < binfo.n_planes; p++)
    slot->size += binfo.length[p];

  for (p = 0; p < binfo.n_planes; p++) {
    gint fd = gst_v4l2_elastic_device_export_buffer (
        self->device, GST_V4L2_ELASTIC_QUEUE_CAPTURE, index, p);
    GstMemory *mem;

    if (fd < 0) {
      g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_FAILED,
          "VIDIOC_EXPBUF of CAPTURE buffer %u failed: %s", index,
          g_strerror (errno));
      goto failed;
    }
    mem = gst_dmabuf_allocator_alloc (self->allocator, fd, binfo.length[p]);
    gst_mini_object_set_qdata (GST_MINI_OBJECT (mem), slot_quark, slot, NULL);
    GST_MINI_OBJECT_CAST (mem)->dispose = slot_memory_dispose;
    slot->mems[slot->n_mems++] = mem;
  }

  vmeta = gst_buffer_add_video_meta_full (slot->buffer,
      GST_VIDEO_FRAME_FLAG_NONE, GST_VIDEO_INFO_FORMAT (&self->info),
      GST_VIDEO_INFO_WIDTH (&self->info), GST_VIDEO_INFO_HEIGHT (&self->info),
      GST_VIDEO_INFO_N_PLANES (&self->info), self->info.offset,
      self->info.stride);
  /* Kept across returns to the pool: it describes the memory. */
  GST_META_FLAG_SET (vmeta, GST_META_FLAG_POOLED);
  GST_META_FLAG_SET (vmeta, GST_META_FLAG_LOCKED);
  account_add (self, slot);
  return slot;

failed:
  account_add (self, slot);
  remove_one (self, slot);
  return NULL;
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
  self->creates++;
  *out = slot_wrap (self, index, error);
  if (!*out)
    return FALSE;
  GST_DEBUG_OBJECT (self,
      "created buffer %u (%" G_GSIZE_FORMAT " bytes): "
      "%u buffers, %" G_GUINT64_FORMAT " bytes",
      index, (*out)->size, self->buffers, self->bytes);
  queue_event (self, GST_V4L2_ELASTIC_POOL_EVENT_GROW);
  return TRUE;
}

static gboolean
below_progress_floor (GstV4l2ElasticCapturePool *self)
{
  return count_live (self) < progress_need (self);
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

/* Everything outside let go of a slot: back to the free queue, or out of
 * the kernel queue.  Returns TRUE when it settled the slot now: the caller
 * then drops the pool reference the slot held while out, once unlocked. */
static gboolean
maybe_settle (GstV4l2ElasticCapturePool *self, Slot *slot)
{
  if (!slot->out || slot->buffer_out || slot->mems_out > 0)
    return FALSE;
  slot->out = FALSE;

  if (slot->orphaned) {
    self->orphans = g_list_remove (self->orphans, slot);
    account_remove (self, slot);
    slot_free (slot);
  } else if (slot->doomed) {
    /* Its removal is pending since a failed REMOVE_BUFS. */
    retry_doomed (self);
  } else if (slot->tainted) {
    GST_INFO_OBJECT (self,
        "buffer %u came back with memory replaced or added downstream: "
        "removing it",
        slot->index);
    self->discarded++;
    remove_one (self, slot);
  } else if (slot->epoch != self->epoch) {
    GST_DEBUG_OBJECT (
        self, "buffer %u is of an older format: removing", slot->index);
    remove_one (self, slot);
  } else {
    slot->free = TRUE;
    g_queue_push_tail (&self->free, slot);
    shrink_to_floor (self);
  }
  g_cond_broadcast (&self->cond);
  return TRUE;
}

static gboolean
slot_memory_dispose (GstMiniObject *obj)
{
  Slot *slot = gst_mini_object_get_qdata (obj, slot_quark);
  GstV4l2ElasticCapturePool *self;
  gboolean settled;

  if (!slot)
    return TRUE;
  /* The slot owns it again: reviving keeps the fd and any mapping. */
  gst_memory_ref (GST_MEMORY_CAST (obj));
  self = slot->pool;
  g_mutex_lock (&self->lock);
  slot->mems_out--;
  settled = maybe_settle (self, slot);
  g_mutex_unlock (&self->lock);
  flush_events (self);
  if (settled)
    gst_object_unref (self);
  return FALSE;
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
  guint i;

  g_mutex_lock (&self->lock);
  while (!slot) {
    if (self->flushing) {
      ret = GST_FLOW_FLUSHING;
      break;
    }
    if (!self->have_format || self->detached) {
      ret = GST_FLOW_NOT_NEGOTIATED;
      break;
    }

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
    /* A buffer or memory coming back, a flush or new limits wake us. */
    g_cond_wait (&self->cond, &self->lock);
  }

  if (slot) {
    slot->free = FALSE;
    slot->out = TRUE;
    slot->buffer_out = TRUE;
    slot->mems_out = slot->n_mems;
    slot->pool = gst_object_ref (self);
    /* The memories go into the buffer with the pool's reference, whole
     * again if someone downstream resized them. */
    for (i = 0; i < slot->n_mems; i++) {
      GstMemory *mem = slot->mems[i];

      if (mem->offset != 0 || mem->size != mem->maxsize)
        gst_memory_resize (mem, -(gssize) mem->offset, mem->maxsize);
      gst_buffer_append_memory (slot->buffer, mem);
    }
    GST_BUFFER_FLAG_UNSET (slot->buffer, GST_BUFFER_FLAG_TAG_MEMORY);
    *buffer = slot->buffer;
    note_busy (self);
  }
  g_mutex_unlock (&self->lock);
  flush_events (self);
  return ret;
}

/* Runs before release_buffer: notes whether downstream changed the
 * memories, takes ours out of the buffer (they come back through their
 * dispose hook as their last reference drops: now, or when a copy made
 * downstream dies), then lets GstBufferPool reset the rest: timestamps,
 * flags, and every meta not marked POOLED (GstVideoDecoder copies the
 * input's metas onto output frames; they must not pile up on a reused
 * buffer).  The memories leave first because GstBufferPool also resizes
 * the buffer to its configured size, which is none here. */
static void
gst_v4l2_elastic_capture_pool_reset_buffer (
    GstBufferPool *pool, GstBuffer *buffer)
{
  GstV4l2ElasticCapturePool *self = GST_V4L2_ELASTIC_CAPTURE_POOL (pool);
  Slot *slot = gst_mini_object_get_qdata (GST_MINI_OBJECT (buffer), slot_quark);
  gboolean tainted;
  guint i;

  if (slot) {
    tainted = GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_TAG_MEMORY) ||
        gst_buffer_n_memory (buffer) != slot->n_mems;
    for (i = 0; !tainted && i < slot->n_mems; i++)
      tainted = gst_buffer_peek_memory (buffer, i) != slot->mems[i];
    if (tainted) {
      g_mutex_lock (&self->lock);
      slot->tainted = TRUE;
      g_mutex_unlock (&self->lock);
    }
    gst_buffer_remove_all_memory (buffer);
    GST_BUFFER_FLAG_UNSET (buffer, GST_BUFFER_FLAG_TAG_MEMORY);
  }
  GST_BUFFER_POOL_CLASS (gst_v4l2_elastic_capture_pool_parent_class)
      ->reset_buffer (pool, buffer);
}

static void
gst_v4l2_elastic_capture_pool_release_buffer (
    GstBufferPool *pool, GstBuffer *buffer)
{
  GstV4l2ElasticCapturePool *self = GST_V4L2_ELASTIC_CAPTURE_POOL (pool);
  Slot *slot = gst_mini_object_get_qdata (GST_MINI_OBJECT (buffer), slot_quark);
  gboolean settled;

  if (!slot) {
    gst_buffer_unref (buffer);
    return;
  }

  g_mutex_lock (&self->lock);
  slot->buffer_out = FALSE;
  settled = maybe_settle (self, slot);
  g_mutex_unlock (&self->lock);
  flush_events (self);
  if (settled)
    gst_object_unref (self);
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

/* Deactivation may complete late (when an application releases the last
 * buffer): the kernel side is handled by detach, never here. */
static gboolean
gst_v4l2_elastic_capture_pool_stop (GstBufferPool *pool)
{
  return TRUE;
}

/* Only slots nobody refers to are left (an out slot holds a reference on
 * the pool).  No ioctl: the queue may belong to another pool by now. */
static void
gst_v4l2_elastic_capture_pool_finalize (GObject *object)
{
  GstV4l2ElasticCapturePool *self = GST_V4L2_ELASTIC_CAPTURE_POOL (object);
  guint i;

  if (!self->detached && self->slots->len > 0)
    GST_DEBUG_OBJECT (self,
        "finalized without detach: the kernel buffers "
        "are freed when the device is closed");
  for (i = 0; i < self->slots->len; i++) {
    Slot *slot = g_ptr_array_index (self->slots, i);

    if (slot)
      slot_free (slot);
  }
  g_queue_clear (&self->free);
  g_list_free (self->doomed);
  g_warn_if_fail (self->orphans == NULL);
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

static guint
queue_max (GstV4l2ElasticCapturePool *self)
{
  return self->device->capture_caps.max_num_buffers
      ? self->device->capture_caps.max_num_buffers
      : 32;
}

/**
 * gst_v4l2_elastic_capture_pool_should_copy:
 *
 * TRUE when the room left in the kernel queue (free buffers and the
 * buffers it can still take up to max_num_buffers) is no more than what
 * the decode needs to go on by itself (its references, the pictures
 * waiting in output order, one to write).  Every further buffer handed
 * out might never come back: a downstream that keeps every frame it gets
 * (an application queueing samples, a thumbnailer) would stop the decode
 * for good, and references shared with downstream before that point do
 * not come back either.  The decoder then hands out copies in system
 * memory, and each CAPTURE buffer returns as soon as the codec lets go of
 * it.  A stream whose own needs nearly fill the queue is copied from the
 * start: a sink holding even two frames could stop it otherwise.  The
 * bounds an application sets (max-capture-buffers, capture-memory-limit)
 * are not this: at those the decode waits, as documented.  Counts the
 * copy in the statistics when it answers TRUE.
 */
gboolean
gst_v4l2_elastic_capture_pool_should_copy (GstV4l2ElasticCapturePool *self)
{
  guint in_queue, room;
  gboolean copy;

  g_mutex_lock (&self->lock);
  in_queue = count_in_queue (self);
  room = g_queue_get_length (&self->free) +
      (in_queue < queue_max (self) ? queue_max (self) - in_queue : 0);
  copy = room <= progress_need (self);
  if (copy) {
    if (self->copies == 0)
      GST_INFO_OBJECT (self,
          "%u of %u buffers in the kernel queue, %u free, the decode needs "
          "%u: copying frames out",
          in_queue, queue_max (self), g_queue_get_length (&self->free),
          progress_need (self));
    self->copies++;
  }
  g_mutex_unlock (&self->lock);
  return copy;
}

/**
 * gst_v4l2_elastic_capture_pool_set_limits:
 * @max_buffers: at most this many CAPTURE buffers (0: the queue's
 *   max_num_buffers)
 * @memory_limit: at most this many bytes of CAPTURE memory (0: no limit)
 *
 * At a bound the pool waits for a buffer to come back instead of growing.
 * The bounds never go below what the decode needs to go on by itself (its
 * references, the pictures waiting in output order, one to write): that
 * floor wins, so a decode never deadlocks on its own pictures.  A bound
 * lowered while playing stops growth; it does not remove buffers the
 * pool has (a downstream that holds frames while the decode waits would
 * deadlock).
 */
void
gst_v4l2_elastic_capture_pool_set_limits (
    GstV4l2ElasticCapturePool *self, guint max_buffers, guint64 memory_limit)
{
  guint kernel_max = queue_max (self);

  g_mutex_lock (&self->lock);
  self->max_buffers = max_buffers ? MIN (max_buffers, kernel_max) : kernel_max;
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
  while ((slot = g_queue_pop_head (&self->free))) {
    slot->free = FALSE;
    g_ptr_array_add (victims, slot);
  }
  g_ptr_array_sort (victims, compare_slot_index);
  remove_slots (self, victims);
  g_ptr_array_unref (victims);
  retry_doomed (self);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  flush_events (self);
  return TRUE;
}

/* With the lock held: take every buffer out of the kernel's hands.  Free
 * and doomed slots go now; out ones live on as orphans until the last
 * reference is gone.  REQBUFS(0) unless detached. */
static void
orphan_all_locked (GstV4l2ElasticCapturePool *self)
{
  guint i, zero = 0;
  Slot *slot;

  while ((slot = g_queue_pop_head (&self->free)))
    slot_drop (self, slot);
  while (self->doomed) {
    slot = self->doomed->data;
    self->doomed = g_list_delete_link (self->doomed, self->doomed);
    if (!slot->out)
      slot_drop (self, slot);
  }
  for (i = 0; i < self->slots->len; i++) {
    slot = g_ptr_array_index (self->slots, i);
    if (!slot)
      continue;
    slot->orphaned = TRUE;
    slot->doomed = FALSE;
    self->orphans = g_list_prepend (self->orphans, slot);
    g_ptr_array_index (self->slots, i) = NULL;
  }
  g_ptr_array_set_size (self->slots, 0);

  if (!self->detached && gst_v4l2_elastic_device_is_open (self->device))
    gst_v4l2_elastic_device_request_buffers (
        self->device, GST_V4L2_ELASTIC_QUEUE_CAPTURE, &zero);
}

/**
 * gst_v4l2_elastic_capture_pool_orphan_all:
 *
 * REQBUFS(0) on the CAPTURE queue (the caller stopped it): buffers that
 * are still referenced stay valid (the driver's orphaned buffers) and are
 * freed when their last user lets go.  The pool goes on with new buffers.
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
 * gst_v4l2_elastic_capture_pool_detach:
 *
 * The decoder is done with this pool (stop, or a new pool replaces it):
 * every buffer leaves the kernel queue with one REQBUFS(0), and from now
 * on the pool issues no ioctl at all.  Buffers released later (an
 * application holding frames across a restart or a seek) are freed as
 * orphans.  Only the first call does anything.
 */
void
gst_v4l2_elastic_capture_pool_detach (GstV4l2ElasticCapturePool *self)
{
  g_mutex_lock (&self->lock);
  if (!self->detached) {
    orphan_all_locked (self);
    self->detached = TRUE;
    self->have_format = FALSE;
    GST_DEBUG_OBJECT (self, "detached: %u buffers still referenced",
        g_list_length (self->orphans));
  }
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
  if (self->detached) {
    g_mutex_unlock (&self->lock);
    return FALSE;
  }
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
    count = MAX (self->target, progress_need (self));
    if (self->max_buffers)
      count = MIN (count, self->max_buffers);
    if (!gst_v4l2_elastic_device_request_buffers (
            self->device, GST_V4L2_ELASTIC_QUEUE_CAPTURE, &count) ||
        count == 0) {
      ret = FALSE;
    } else {
      for (i = 0; i < count; i++) {
        GError *error = NULL;
        Slot *slot;

        self->creates++;
        slot = slot_wrap (self, i, &error);
        if (!slot) {
          GST_ERROR_OBJECT (self, "%s", error->message);
          g_clear_error (&error);
          ret = FALSE;
          continue;
        }
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
 * reallocations and waits, buffers discarded because downstream replaced
 * their memory, failed removals, the buffers and bytes of older formats
 * (stale) still alive, and the frames copied out at a full kernel queue.
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
      stale_bytes, "discarded", G_TYPE_UINT, self->discarded, "remove-failures",
      G_TYPE_UINT, self->remove_failures, "in-queue", G_TYPE_UINT,
      count_in_queue (self), "copies", G_TYPE_UINT, self->copies, NULL);
  g_mutex_unlock (&self->lock);
  return s;
}
