/* gst-v4l2-elastic
 *
 * v4l2elasticfwhtdec on vicodec, in the guest: pixel-exact decode against
 * vicodec's stateful decoder, the pool following its target with a
 * downstream that holds K buffers (read from pool-stats and, independently,
 * from the kernel's own ioctl log), the memory bound, flushing seeks,
 * start/stop cycles and bad input.  TAP output.
 *
 *   v4l2elastic-fwht-decode --streams DIR --expect-path elastic|restart
 *
 * DIR holds NAME.fwht, NAME.yuv (reference, I420) and NAME.sizes made by
 * tests/media/fwht-streams.sh for the streams "single" (640x480) and
 * "resize" (1280x720, 640x480, 1280x720).  --expect-path says how the
 * elastic pool must cross a size change on this kernel: "elastic" (the
 * driver accepts the new format while streaming: no reallocation) or
 * "restart" (stock vicodec refuses it: the queues restart, counted).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <gst/gst.h>
#include <gst/video/video.h>

#include "ktest.h"

/* --- reference streams ---------------------------------------------------- */

typedef struct
{
  gchar *fwht;
  GPtrArray *md5s; /* per reference frame */
  GArray *widths, *heights;
  guint changes; /* size changes inside the stream */
  gsize max_frame_bytes;
} Stream;

static void
stream_free (Stream *s)
{
  g_free (s->fwht);
  g_ptr_array_unref (s->md5s);
  g_array_unref (s->widths);
  g_array_unref (s->heights);
  g_free (s);
}

static Stream *
stream_load (const gchar *dir, const gchar *name)
{
  gchar *sizes_path = g_strdup_printf ("%s/%s.sizes", dir, name);
  gchar *yuv_path = g_strdup_printf ("%s/%s.yuv", dir, name);
  gchar *sizes = NULL, *yuv = NULL, **lines;
  gsize yuv_len = 0, offset = 0;
  Stream *s = NULL;
  guint i;

  if (!g_file_get_contents (sizes_path, &sizes, NULL, NULL) ||
      !g_file_get_contents (yuv_path, &yuv, &yuv_len, NULL)) {
    ktest_diag ("cannot read %s or %s", sizes_path, yuv_path);
    goto out;
  }

  s = g_new0 (Stream, 1);
  s->fwht = g_strdup_printf ("%s/%s.fwht", dir, name);
  s->md5s = g_ptr_array_new_with_free_func (g_free);
  s->widths = g_array_new (FALSE, FALSE, sizeof (guint));
  s->heights = g_array_new (FALSE, FALSE, sizeof (guint));
  lines = g_strsplit (g_strstrip (sizes), "\n", -1);
  for (i = 0; lines[i]; i++) {
    guint w, h;
    gsize frame;

    if (sscanf (lines[i], "%u %u", &w, &h) != 2)
      continue;
    frame = (gsize) w * h * 3 / 2;
    if (offset + frame > yuv_len) {
      ktest_diag ("reference %s is short", yuv_path);
      break;
    }
    if (s->widths->len > 0 &&
        (g_array_index (s->widths, guint, s->widths->len - 1) != w ||
            g_array_index (s->heights, guint, s->heights->len - 1) != h))
      s->changes++;
    g_array_append_val (s->widths, w);
    g_array_append_val (s->heights, h);
    g_ptr_array_add (s->md5s,
        g_compute_checksum_for_data (
            G_CHECKSUM_MD5, (const guchar *) yuv + offset, frame));
    s->max_frame_bytes = MAX (s->max_frame_bytes, frame);
    offset += frame;
  }
  g_strfreev (lines);
  /* An empty stream would let every per-frame check pass vacuously. */
  if (s->md5s->len == 0) {
    ktest_diag ("%s has no frames", sizes_path);
    stream_free (s);
    s = NULL;
  }

out:
  g_free (sizes);
  g_free (yuv);
  g_free (sizes_path);
  g_free (yuv_path);
  return s;
}

/* --- the kernel's own account of the CAPTURE queue -------------------------
 */

/* With dev_debug set on the video node, the kernel logs every buffer
 * ioctl with its result; replaying CREATE_BUFS, REMOVE_BUFS and REQBUFS on
 * the CAPTURE queue gives the buffers the kernel holds, independently of
 * what the element says. */
typedef struct
{
  gint fd;
  gchar *prefix; /* "videoN: " */
  guint count;
  guint peak;
  guint creates, removes, reqbufs_zero;
} KernelLog;

static void
kernel_log_open (KernelLog *k, const gchar *video_path)
{
  gchar *base = g_path_get_basename (video_path);
  gchar *ctl = g_strdup_printf ("/sys/class/video4linux/%s/dev_debug", base);

  FILE *f;

  memset (k, 0, sizeof (*k));
  /* sysfs: write in place (g_file_set_contents would rename a file). */
  f = fopen (ctl, "w");
  if (!f || fputs ("3", f) < 0 || fclose (f) != 0)
    ktest_diag ("cannot enable %s: %s", ctl, g_strerror (errno));
  k->prefix = g_strdup_printf ("%s: ", base);
  k->fd = open ("/dev/kmsg", O_RDONLY | O_NONBLOCK);
  if (k->fd >= 0)
    lseek (k->fd, 0, SEEK_END);
  g_free (ctl);
  g_free (base);
}

static guint
field (const gchar *line, const gchar *name)
{
  const gchar *p = strstr (line, name);

  return p ? (guint) g_ascii_strtoull (p + strlen (name), NULL, 10) : 0;
}

/* Reads what the kernel logged since the last call. */
static void
kernel_log_update (KernelLog *k)
{
  gchar record[8192];
  gssize n;

  if (k->fd < 0)
    return;
  while ((n = read (k->fd, record, sizeof (record) - 1)) > 0 ||
      (n < 0 && errno == EPIPE)) {
    const gchar *msg;

    if (n < 0)
      continue;
    record[n] = '\0';
    msg = strchr (record, ';');
    if (!msg || !strstr (msg, k->prefix) || strstr (msg, ": error ") ||
        !strstr (msg, "type=vid-cap"))
      continue;
    if (strstr (msg, "VIDIOC_CREATE_BUFS:")) {
      guint c = field (msg, "count=");

      k->count += c;
      k->creates += c;
    } else if (strstr (msg, "VIDIOC_REMOVE_BUFS:")) {
      guint c = field (msg, "count=");

      k->count -= MIN (c, k->count);
      k->removes += c;
    } else if (strstr (msg, "VIDIOC_REQBUFS:")) {
      guint c = field (msg, "count=");

      /* REQBUFS(0) on an empty queue is how capabilities are probed;
       * only one that frees buffers is a reallocation. */
      if (c == 0 && k->count > 0)
        k->reqbufs_zero++;
      k->count = c;
    }
    k->peak = MAX (k->peak, k->count);
  }
}

static void
kernel_log_close (KernelLog *k)
{
  if (k->fd >= 0)
    close (k->fd);
  g_free (k->prefix);
}

static guint
count_fds (void)
{
  GDir *dir = g_dir_open ("/proc/self/fd", 0, NULL);
  guint n = 0;

  while (dir && g_dir_read_name (dir))
    n++;
  if (dir)
    g_dir_close (dir);
  return n;
}

/* --- one decode -------------------------------------------------------------
 */

typedef enum
{
  HOLD_LAST,    /* keep the last K samples */
  HOLD_DELAYED, /* release each sample after a delay */
} HoldPolicy;

typedef struct
{
  /* configuration */
  const gchar *location;
  gboolean classic;
  gboolean meta; /* downstream reads GstVideoMeta */
  guint hold;    /* K */
  HoldPolicy policy;
  guint delay_ms;
  guint64 memory_limit;
  guint seek_after; /* flushing seek to 0 after N frames */

  /* results */
  GPtrArray *md5s;
  GArray *widths, *heights;
  GstStructure *stats; /* pool-stats at EOS */
  guint grows, shrinks, reallocs;
  guint warnings;
  gboolean eos;
  gchar *error;
  gchar *video_path;
  KernelLog klog;
  guint kernel_at_eos;
  guint reqbufs_zero_at_eos; /* REQBUFS(0) that freed buffers, before EOS */
  guint kernel_after_stop;
  guint overwritten; /* held frames changed before release */

  GMutex lock; /* the streaming thread and the test */
  GQueue held;
} Run;

typedef struct
{
  GstSample *sample;
  gchar *md5; /* when it arrived */
  gint64 release_at;
} Held;

/* Downstream announces GstVideoMeta and a minimum of K buffers. */
static GstPadProbeReturn
allocation_probe (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Run *r = user_data;
  GstQuery *query = GST_PAD_PROBE_INFO_QUERY (info);

  if (GST_QUERY_TYPE (query) != GST_QUERY_ALLOCATION)
    return GST_PAD_PROBE_OK;
  gst_query_add_allocation_meta (query, GST_VIDEO_META_API_TYPE, NULL);
  gst_query_add_allocation_pool (query, NULL, 0, r->hold, 0);
  return GST_PAD_PROBE_HANDLED;
}

/* The frame in compact rows, whatever the buffer's layout. */
static gchar *
frame_md5 (GstSample *sample, guint *width, guint *height)
{
  GstVideoInfo info;
  GstVideoFrame frame;
  GChecksum *sum;
  gchar *md5;
  guint p, y;

  if (!gst_video_info_from_caps (&info, gst_sample_get_caps (sample)) ||
      !gst_video_frame_map (
          &frame, &info, gst_sample_get_buffer (sample), GST_MAP_READ))
    return g_strdup ("unmappable");
  sum = g_checksum_new (G_CHECKSUM_MD5);
  for (p = 0; p < GST_VIDEO_FRAME_N_PLANES (&frame); p++) {
    const guint8 *data = GST_VIDEO_FRAME_PLANE_DATA (&frame, p);
    guint stride = GST_VIDEO_FRAME_PLANE_STRIDE (&frame, p);
    guint rows = GST_VIDEO_FRAME_COMP_HEIGHT (&frame, p);
    guint bytes = GST_VIDEO_FRAME_COMP_WIDTH (&frame, p) *
        GST_VIDEO_FRAME_COMP_PSTRIDE (&frame, p);

    for (y = 0; y < rows; y++)
      g_checksum_update (sum, data + (gsize) y * stride, bytes);
  }
  *width = GST_VIDEO_FRAME_WIDTH (&frame);
  *height = GST_VIDEO_FRAME_HEIGHT (&frame);
  gst_video_frame_unmap (&frame);
  md5 = g_strdup (g_checksum_get_string (sum));
  g_checksum_free (sum);
  return md5;
}

static void
handle_message (Run *r, GstMessage *msg)
{
  const GstStructure *s;
  const gchar *event;
  GError *err = NULL;

  switch (GST_MESSAGE_TYPE (msg)) {
  case GST_MESSAGE_ERROR:
    gst_message_parse_error (msg, &err, NULL);
    if (!r->error)
      r->error = g_strdup (err->message);
    g_clear_error (&err);
    break;
  case GST_MESSAGE_WARNING:
    r->warnings++;
    break;
  case GST_MESSAGE_EOS:
    r->eos = TRUE;
    break;
  case GST_MESSAGE_ELEMENT:
    s = gst_message_get_structure (msg);
    if (!gst_structure_has_name (s, "v4l2elastic-pool"))
      break;
    event = gst_structure_get_string (s, "event");
    if (g_strcmp0 (event, "grow") == 0)
      r->grows++;
    else if (g_strcmp0 (event, "shrink") == 0)
      r->shrinks++;
    else if (g_strcmp0 (event, "reallocate") == 0)
      r->reallocs++;
    break;
  default:
    break;
  }
}

/* With r->lock held: let go of what downstream no longer keeps, checking
 * that none of it changed while it was held. */
static void
release_due (Run *r, gboolean all)
{
  gint64 now = g_get_monotonic_time ();

  while (!g_queue_is_empty (&r->held)) {
    Held *h = g_queue_peek_head (&r->held);
    gboolean due = r->policy == HOLD_LAST
        ? g_queue_get_length (&r->held) > r->hold
        : now >= h->release_at;
    guint w, hgt;
    gchar *now_md5;

    if (!all && !due)
      break;
    g_queue_pop_head (&r->held);
    now_md5 = frame_md5 (h->sample, &w, &hgt);
    if (g_strcmp0 (now_md5, h->md5) != 0)
      r->overwritten++;
    g_free (now_md5);
    gst_sample_unref (h->sample);
    g_free (h->md5);
    g_free (h);
  }
}

/* Downstream, in the streaming thread: every frame is checked and kept as
 * the policy says before the decoder gets control back, so that what it
 * holds at each decode is exactly known. */
static void
on_handoff (GstElement *sink, GstBuffer *buffer, GstPad *pad, gpointer data)
{
  Run *r = data;
  GstCaps *caps = gst_pad_get_current_caps (pad);
  GstSample *sample = gst_sample_new (buffer, caps, NULL, NULL);
  Held *h = g_new0 (Held, 1);
  guint w = 0, hgt = 0;

  gst_caps_unref (caps);
  h->sample = sample;
  h->md5 = frame_md5 (sample, &w, &hgt);
  h->release_at = g_get_monotonic_time () + r->delay_ms * 1000;

  g_mutex_lock (&r->lock);
  g_ptr_array_add (r->md5s, g_strdup (h->md5));
  g_array_append_val (r->widths, w);
  g_array_append_val (r->heights, hgt);
  g_queue_push_tail (&r->held, h);
  release_due (r, FALSE);
  g_mutex_unlock (&r->lock);
}

/* Runs one pipeline to EOS or error (bounded in time); returns FALSE if it
 * could not even be built. */
static gboolean
run_decode (Run *r)
{
  GstElement *pipeline, *dec, *sink, *src;
  GstBus *bus;
  GError *error = NULL;
  gchar *desc;
  gint64 deadline = g_get_monotonic_time () + 60 * G_TIME_SPAN_SECOND;
  gboolean seeked = FALSE;
  GstPad *pad;

  g_mutex_init (&r->lock);
  g_queue_init (&r->held);
  r->md5s = g_ptr_array_new_with_free_func (g_free);
  r->widths = g_array_new (FALSE, FALSE, sizeof (guint));
  r->heights = g_array_new (FALSE, FALSE, sizeof (guint));

  desc = g_strdup_printf ("filesrc name=src location=%s ! video/x-fwht ! "
                          "v4l2elasticfwhtdec name=dec classic-pool=%s "
                          "capture-memory-limit=%" G_GUINT64_FORMAT
                          " ! fakesink name=sink sync=false "
                          "enable-last-sample=false signal-handoffs=true",
      r->location, r->classic ? "true" : "false", r->memory_limit);
  pipeline = gst_parse_launch (desc, &error);
  g_free (desc);
  if (!pipeline) {
    ktest_diag ("cannot build the pipeline: %s", error->message);
    g_clear_error (&error);
    return FALSE;
  }
  dec = gst_bin_get_by_name (GST_BIN (pipeline), "dec");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  g_object_get (dec, "video-device", &r->video_path, NULL);
  kernel_log_open (&r->klog, r->video_path);

  g_signal_connect (sink, "handoff", G_CALLBACK (on_handoff), r);
  if (r->meta) {
    pad = gst_element_get_static_pad (sink, "sink");
    gst_pad_add_probe (
        pad, GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM, allocation_probe, r, NULL);
    gst_object_unref (pad);
  }

  bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);

  while (!r->eos && !r->error && g_get_monotonic_time () < deadline) {
    GstMessage *msg = gst_bus_timed_pop (bus, 5 * GST_MSECOND);
    guint arrived;

    if (msg) {
      handle_message (r, msg);
      gst_message_unref (msg);
    }
    g_mutex_lock (&r->lock);
    release_due (r, FALSE);
    arrived = r->md5s->len;
    if (r->seek_after && !seeked && arrived >= r->seek_after) {
      seeked = TRUE;
      /* Only what comes after the seek is compared. */
      g_ptr_array_set_size (r->md5s, 0);
      g_array_set_size (r->widths, 0);
      g_array_set_size (r->heights, 0);
      g_mutex_unlock (&r->lock);
      if (!gst_element_seek_simple (
              src, GST_FORMAT_BYTES, GST_SEEK_FLAG_FLUSH, 0))
        ktest_diag ("flushing seek refused");
      /* Frames decoded before the flush took effect are not compared. */
      g_mutex_lock (&r->lock);
      g_ptr_array_set_size (r->md5s, 0);
      g_array_set_size (r->widths, 0);
      g_array_set_size (r->heights, 0);
    }
    g_mutex_unlock (&r->lock);
    kernel_log_update (&r->klog);
  }
  if (!r->eos && !r->error)
    r->error = g_strdup ("timed out");

  /* At EOS the codec still holds its reference: read the pool first. */
  g_mutex_lock (&r->lock);
  release_due (r, TRUE);
  g_mutex_unlock (&r->lock);
  g_object_get (dec, "pool-stats", &r->stats, NULL);
  kernel_log_update (&r->klog);
  r->kernel_at_eos = r->klog.count;
  r->reqbufs_zero_at_eos = r->klog.reqbufs_zero;

  gst_element_set_state (pipeline, GST_STATE_NULL);
  kernel_log_update (&r->klog);
  r->kernel_after_stop = r->klog.count;

  gst_object_unref (bus);
  gst_object_unref (src);
  gst_object_unref (sink);
  gst_object_unref (dec);
  gst_object_unref (pipeline);
  return TRUE;
}

static void
run_clear (Run *r)
{
  g_mutex_lock (&r->lock);
  release_due (r, TRUE);
  g_mutex_unlock (&r->lock);
  g_mutex_clear (&r->lock);
  g_clear_pointer (&r->md5s, g_ptr_array_unref);
  g_clear_pointer (&r->widths, g_array_unref);
  g_clear_pointer (&r->heights, g_array_unref);
  g_clear_pointer (&r->stats, gst_structure_free);
  g_clear_pointer (&r->error, g_free);
  g_clear_pointer (&r->video_path, g_free);
  kernel_log_close (&r->klog);
}

static guint
stat_uint (Run *r, const gchar *name)
{
  guint v = 0;

  if (r->stats)
    gst_structure_get_uint (r->stats, name, &v);
  return v;
}

static guint64
stat_uint64 (Run *r, const gchar *name)
{
  guint64 v = 0;

  if (r->stats)
    gst_structure_get_uint64 (r->stats, name, &v);
  return v;
}

/* Frames equal to the reference, from reference frame @first on. */
static gboolean
matches_reference (Run *r, Stream *s, guint first, guint *bad)
{
  guint i;

  *bad = G_MAXUINT;
  if (r->md5s->len != s->md5s->len - first)
    return FALSE;
  for (i = 0; i < r->md5s->len; i++)
    if (g_strcmp0 (g_ptr_array_index (r->md5s, i),
            g_ptr_array_index (s->md5s, first + i)) != 0) {
      *bad = i;
      return FALSE;
    }
  return TRUE;
}

/* --- the tests ------------------------------------------------------------ */

static const gchar *expect_path = "elastic";

static void
test_pixel_exact (Stream *s, const gchar *name, gboolean classic)
{
  const gchar *mode = classic ? "classic" : "elastic";
  Run r = { 0 };
  guint bad = G_MAXUINT;
  gboolean same;

  r.location = s->fwht;
  r.classic = classic;
  if (!run_decode (&r)) {
    ktest_result (FALSE, "%s %s decodes", name, mode);
    return;
  }
  if (r.error)
    ktest_diag ("error: %s", r.error);
  ktest_result (r.eos && !r.error, "%s %s decodes to EOS", name, mode);
  same = matches_reference (&r, s, 0, &bad);
  ktest_result (same, "%s %s pixel-exact: %u of %u frames, first mismatch %d",
      name, mode, r.md5s->len, s->md5s->len,
      bad == G_MAXUINT ? -1 : (gint) bad);

  /* How the pool crossed the size changes. */
  if (classic || g_str_equal (expect_path, "restart"))
    ktest_result (stat_uint (&r, "reallocations") == s->changes,
        "%s %s: %u reallocations for %u size changes", name, mode,
        stat_uint (&r, "reallocations"), s->changes);
  else
    ktest_result (
        stat_uint (&r, "reallocations") == 0 && r.reqbufs_zero_at_eos == 0,
        "%s %s: no reallocation, no REQBUFS(0) across %u size changes "
        "(%u reallocations, %u REQBUFS(0))",
        name, mode, s->changes, stat_uint (&r, "reallocations"),
        r.reqbufs_zero_at_eos);

  /* The kernel's log and pool-stats tell the same story. */
  ktest_result (r.klog.peak == stat_uint (&r, "peak-buffers") &&
          r.kernel_at_eos == stat_uint (&r, "buffers"),
      "%s %s: kernel log peak %u, at EOS %u == pool-stats %u, %u", name, mode,
      r.klog.peak, r.kernel_at_eos, stat_uint (&r, "peak-buffers"),
      stat_uint (&r, "buffers"));
  ktest_result (r.kernel_after_stop == 0,
      "%s %s: no CAPTURE buffer left in the kernel after stop (%u)", name, mode,
      r.kernel_after_stop);
  run_clear (&r);
}

/* Downstream reads GstVideoMeta, announces K buffers and holds K: the pool
 * needs the K held (the newest of which is also the codec's reference)
 * plus the one being decoded, and never more than its target. */
static void
test_hold (Stream *single, guint k)
{
  guint frame_bytes = 640 * 480 * 3 / 2;
  guint expect, grows;
  gboolean elastic = FALSE;
  Run r = { 0 };
  guint bad = G_MAXUINT;
  gboolean same;

  r.location = single->fwht;
  r.meta = TRUE;
  r.hold = k;
  r.policy = HOLD_LAST;
  if (!run_decode (&r)) {
    ktest_result (FALSE, "hold K=%u decodes", k);
    return;
  }
  if (r.stats)
    gst_structure_get_boolean (r.stats, "elastic", &elastic);
  /* Elastic: the K held (the newest is also the reference) and the one
   * being decoded, created one at a time.  Classic (a kernel without
   * REMOVE_BUFS): the whole target, allocated at once. */
  expect = elastic ? MAX (k, 1) + 1 : k + 2;
  grows = elastic ? expect : 1;
  ktest_diag ("hold K=%u: %s pool", k, elastic ? "elastic" : "classic");

  same = r.eos && !r.error && matches_reference (&r, single, 0, &bad);
  ktest_result (same && r.overwritten == 0,
      "hold K=%u: every frame pixel-exact through GstVideoMeta, none "
      "changed while held (%u changed)",
      k, r.overwritten);
  ktest_result (stat_uint (&r, "peak-buffers") == expect &&
          stat_uint (&r, "target") == k + 2 &&
          stat_uint (&r, "peak-buffers") <= stat_uint (&r, "target"),
      "hold K=%u: peak %u buffers (expected %u), target %u (expected %u)", k,
      stat_uint (&r, "peak-buffers"), expect, stat_uint (&r, "target"), k + 2);
  ktest_result (
      stat_uint64 (&r, "peak-bytes") == (guint64) expect * frame_bytes,
      "hold K=%u: peak %" G_GUINT64_FORMAT " bytes == %u x %u", k,
      stat_uint64 (&r, "peak-bytes"), expect, frame_bytes);
  ktest_result (
      r.klog.peak == expect && r.klog.creates == (elastic ? expect : 0),
      "hold K=%u: kernel log shows %u buffers at peak, %u created one by "
      "one",
      k, r.klog.peak, r.klog.creates);
  ktest_result (r.grows == grows && stat_uint (&r, "waits") == 0,
      "hold K=%u: %u grow messages (expected %u), %u waits", k, r.grows, grows,
      stat_uint (&r, "waits"));
  run_clear (&r);
}

/* Across size changes with downstream holding K: no frame lost, and at the
 * end only buffers of the last size remain. */
static void
test_hold_resize (Stream *resize, guint k)
{
  guint last_bytes = 1280 * 720 * 3 / 2;
  Run r = { 0 };
  guint bad = G_MAXUINT;
  gboolean same;

  r.location = resize->fwht;
  r.meta = TRUE;
  r.hold = k;
  r.policy = HOLD_LAST;
  if (!run_decode (&r)) {
    ktest_result (FALSE, "resize hold K=%u decodes", k);
    return;
  }
  same = r.eos && !r.error && matches_reference (&r, resize, 0, &bad);
  ktest_result (same && r.overwritten == 0,
      "resize hold K=%u: %u of %u frames, pixel-exact, none changed while "
      "held",
      k, r.md5s->len, resize->md5s->len);
  ktest_result (stat_uint64 (&r, "bytes") ==
          (guint64) stat_uint (&r, "buffers") * last_bytes,
      "resize hold K=%u: at the end %u buffers, %" G_GUINT64_FORMAT
      " bytes, all of the last size",
      k, stat_uint (&r, "buffers"), stat_uint64 (&r, "bytes"));
  run_clear (&r);
}

/* A memory bound below the natural need: slower, warned once, never above
 * the bound, and complete. */
static void
test_memory_bound (Stream *single)
{
  guint frame_bytes = 640 * 480 * 3 / 2;
  guint64 limit = (guint64) frame_bytes * 3;
  Run free_run = { 0 }, r = { 0 };
  guint bad = G_MAXUINT;
  gboolean same;

  free_run.location = r.location = single->fwht;
  free_run.meta = r.meta = TRUE;
  free_run.policy = r.policy = HOLD_DELAYED;
  /* Long enough that the natural need stays above the bound even when
   * the guest takes about as long to decode a frame (a busy TCG host). */
  free_run.delay_ms = r.delay_ms = 200;
  if (!run_decode (&free_run)) {
    ktest_result (FALSE, "bound: unbounded run");
    return;
  }
  ktest_diag (
      "downstream holding each frame 200 ms: %u buffers at peak unbounded",
      stat_uint (&free_run, "peak-buffers"));
  ktest_result (stat_uint64 (&free_run, "peak-bytes") > limit,
      "bound: the natural need (%" G_GUINT64_FORMAT " bytes) is above the "
      "bound (%" G_GUINT64_FORMAT ")",
      stat_uint64 (&free_run, "peak-bytes"), limit);

  r.memory_limit = limit;
  if (!run_decode (&r)) {
    ktest_result (FALSE, "bound: bounded run");
    run_clear (&free_run);
    return;
  }
  same = r.eos && !r.error && matches_reference (&r, single, 0, &bad);
  ktest_result (same && r.overwritten == 0,
      "bound: the decode completes, pixel-exact, none changed while held");
  ktest_result (stat_uint64 (&r, "peak-bytes") <= limit,
      "bound: peak %" G_GUINT64_FORMAT " <= %" G_GUINT64_FORMAT " bytes",
      stat_uint64 (&r, "peak-bytes"), limit);
  ktest_result (stat_uint (&r, "waits") >= 1 && r.warnings == 1,
      "bound: waited %u times, %u warning message(s)", stat_uint (&r, "waits"),
      r.warnings);
  run_clear (&free_run);
  run_clear (&r);
}

static void
test_seek (Stream *single)
{
  Run r = { 0 };
  guint bad = G_MAXUINT;
  gboolean same;

  r.location = single->fwht;
  r.seek_after = 5;
  if (!run_decode (&r)) {
    ktest_result (FALSE, "seek: decodes");
    return;
  }
  same = r.eos && !r.error && matches_reference (&r, single, 0, &bad);
  ktest_result (same,
      "seek: flushing seek to the start after 5 frames, then all "
      "%u frames pixel-exact (got %u, first mismatch %d)",
      single->md5s->len, r.md5s->len, bad == G_MAXUINT ? -1 : (gint) bad);
  ktest_result (r.kernel_after_stop == 0, "seek: nothing left in the kernel");
  run_clear (&r);
}

static void
test_cycles (Stream *single, guint cycles)
{
  guint fds_before, i, ok = 0;

  /* One warm-up: the first run loads the plugin and opens its fds. */
  {
    Run r = { 0 };

    r.location = single->fwht;
    run_decode (&r);
    run_clear (&r);
  }
  fds_before = count_fds ();
  for (i = 0; i < cycles; i++) {
    Run r = { 0 };

    r.location = single->fwht;
    r.classic = i % 2;
    if (run_decode (&r) && r.eos && !r.error &&
        r.md5s->len == single->md5s->len && r.kernel_after_stop == 0)
      ok++;
    run_clear (&r);
  }
  ktest_result (ok == cycles,
      "cycles: %u of %u NULL->PLAYING->EOS->NULL runs "
      "complete with nothing left in the kernel",
      ok, cycles);
  ktest_result (count_fds () == fds_before, "cycles: %u fds before, %u after",
      fds_before, count_fds ());
}

/* --- bad input -------------------------------------------------------------
 */

static gchar *
write_variant (const gchar *name, const guint8 *data, gsize len)
{
  gchar *path = g_strdup_printf ("/tmp/fwht-bad-%s.fwht", name);

  g_file_set_contents (path, (const gchar *) data, len, NULL);
  return path;
}

/* Offsets of the frames of a stream. */
static GArray *
frame_offsets (const guint8 *data, gsize len)
{
  GArray *offsets = g_array_new (FALSE, FALSE, sizeof (gsize));
  gsize off = 0;

  while (off + 44 <= len) {
    g_array_append_val (offsets, off);
    off += 44 + GST_READ_UINT32_BE (data + off + 40);
  }
  return offsets;
}

static void
bad_input (const gchar *name, const guint8 *data, gsize len, guint min_frames,
    guint max_frames, gboolean error_ok)
{
  gchar *path = write_variant (name, data, len);
  guint fds = count_fds (), fds_after, frames, left;
  gboolean ended;
  Run r = { 0 };

  r.location = path;
  if (!run_decode (&r)) {
    ktest_result (FALSE, "bad input %s: pipeline", name);
    g_free (path);
    return;
  }
  if (r.error)
    ktest_diag ("bad input %s: error \"%s\"", name, r.error);
  ended = r.eos || (error_ok && r.error && !g_str_equal (r.error, "timed out"));
  frames = r.md5s->len;
  left = r.kernel_after_stop;
  run_clear (&r);
  fds_after = count_fds ();
  ktest_result (ended && frames >= min_frames && frames <= max_frames &&
          left == 0 && fds_after == fds,
      "bad input %s: ended cleanly, %u frames (expected %u..%u), %u buffers "
      "left in the kernel, fds %u -> %u",
      name, frames, min_frames, max_frames, left, fds, fds_after);
  unlink (path);
  g_free (path);
}

static void
test_bad_input (Stream *single)
{
  gchar *contents;
  gsize len;
  GArray *off;
  guint8 *copy;
  guint n;

  if (!g_file_get_contents (single->fwht, &contents, &len, NULL)) {
    ktest_result (FALSE, "bad input: cannot read the stream");
    return;
  }
  off = frame_offsets ((const guint8 *) contents, len);
  n = off->len;
  ktest_diag ("bad input from a %u-frame stream", n);

#define OFF(i) g_array_index (off, gsize, (i))
  /* Cut in the middle of frame 7: frames 0..6 decode, the rest is a
   * truncated frame dropped with a warning. */
  bad_input ("truncated", (guint8 *) contents, OFF (7) + 100, 7, 7, FALSE);

  /* A header cut short at the very end. */
  bad_input (
      "truncated-header", (guint8 *) contents, OFF (7) + 20, 7, 7, FALSE);

  /* Frame 3 with a corrupt header (version 0): it is skipped, and the
   * inter frames after it, which would predict from a frame that was never
   * decoded, are dropped until the next intra frame. */
  copy = g_memdup2 (contents, len);
  GST_WRITE_UINT32_BE (copy + OFF (3) + 8, 0);
  bad_input ("corrupt-header", copy, len, 3, n - 1, FALSE);
  g_free (copy);

  /* Frame 4 claims a payload larger than the whole file. */
  copy = g_memdup2 (contents, len);
  GST_WRITE_UINT32_BE (copy + OFF (4) + 40, (guint32) len * 4);
  bad_input ("size-too-large", copy, len, 4, n - 1, FALSE);
  g_free (copy);

  /* Frame 5 claims a different size than its sequence: its reference
   * cannot be used. */
  copy = g_memdup2 (contents, len);
  GST_WRITE_UINT32_BE (copy + OFF (5) + 12, 800);
  bad_input ("size-mismatch", copy, len, 5, n - 1, TRUE);
  g_free (copy);

  /* The stream starts with an inter frame: its reference is missing. */
  bad_input ("missing-reference", (guint8 *) contents + OFF (1), len - OFF (1),
      0, n - 2, FALSE);

  /* Garbage payload inside a valid header. */
  copy = g_memdup2 (contents, len);
  memset (
      copy + OFF (2) + 44, 0xa5, MIN ((gsize) 4096, OFF (3) - OFF (2) - 44));
  bad_input ("garbage-payload", copy, len, 2, n, TRUE);
  g_free (copy);

  /* No stream at all. */
  copy = g_malloc (65536);
  memset (copy, 0x5a, 65536);
  bad_input ("noise", copy, 65536, 0, 0, TRUE);
  g_free (copy);
#undef OFF

  g_array_unref (off);
  g_free (contents);
}

int
main (int argc, char **argv)
{
  gchar *dir = NULL, *path = NULL;
  gint cycles = 50;
  gboolean only_cycles = FALSE;
  GOptionEntry entries[] = { { "streams", 0, 0, G_OPTION_ARG_STRING, &dir,
                                 "Folder made by fwht-streams.sh", "DIR" },
    { "expect-path", 0, 0, G_OPTION_ARG_STRING, &path,
        "How the elastic pool crosses a size change: elastic|restart", "PATH" },
    { "cycles", 0, 0, G_OPTION_ARG_INT, &cycles, "Start/stop cycles", "N" },
    { "only-cycles", 0, 0, G_OPTION_ARG_NONE, &only_cycles,
        "Run only the start/stop cycles (for the leaks tracer)", NULL },
    { NULL } };
  GOptionContext *ctx;
  GError *error = NULL;
  Stream *single, *resize;
  struct utsname un;
  gchar *prefix;
  gint status;

  ctx = g_option_context_new ("- v4l2elasticfwhtdec on vicodec");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || !dir) {
    g_printerr ("%s\n", error ? error->message : "--streams is required");
    return 2;
  }
  g_option_context_free (ctx);
  if (path)
    expect_path = path;
  uname (&un);
  prefix = g_strdup_printf ("%s vicodec", un.release);
  ktest_begin (prefix);
  g_free (prefix);
  single = stream_load (dir, "single");
  resize = stream_load (dir, "resize");
  if (!single || !resize || !gst_element_factory_find ("v4l2elasticfwhtdec")) {
    ktest_result (
        FALSE, "streams and the v4l2elasticfwhtdec element are there");
    return ktest_end ();
  }
  ktest_diag ("expected path across size changes: %s", expect_path);

  if (!only_cycles) {
    test_pixel_exact (single, "single", FALSE);
    test_pixel_exact (single, "single", TRUE);
    test_pixel_exact (resize, "resize", FALSE);
    test_pixel_exact (resize, "resize", TRUE);
    test_hold (single, 0);
    test_hold (single, 3);
    test_hold (single, 8);
    test_hold_resize (resize, 3);
    test_memory_bound (single);
    test_seek (single);
    test_bad_input (single);
  }
  test_cycles (single, cycles);

  status = ktest_end ();
  /* Lets the leaks tracer report what is still alive. */
  gst_deinit ();
  return status;
}
