/* gst-v4l2-elastic: GstHarness tests of the elements on the real drivers,
 * run in the guest: v4l2elastich264dec on visl (behind h264parse) and
 * v4l2elasticfwhtdec on vicodec.
 *
 *   v4l2elastic-harness --h264 DIR [--fwht DIR]
 *
 * DIR for --h264 holds tests/media/player-streams.sh's files (h264.h264:
 * 60 frames of 320x240 with B-frames; h264-176.h264: 10 frames of
 * 176x144); DIR for --fwht the FWHT streams of tests/media/fwht-streams.sh
 * (single.fwht, resize.fwht with their .sizes).  Cases: caps negotiation
 * and renegotiation at a new size, stream-format avc and avc3 input, EOS drains
 * the reorder queue, the allocation query with a downstream minimum that
 * downstream really holds and with a downstream that offers no pool, the
 * latency query (the reorder delay), FLUSH_START/FLUSH_STOP with frames in the
 * reorder queue then the whole stream again, pool-stats and the pool's element
 * messages, max-capture-buffers and capture-memory-limit changed while PLAYING,
 * garbage input (an error message, no crash).  Emits TAP.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <gst/check/gstharness.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include "ktest.h"

#define CHUNK 4096

static gchar *h264_dir, *fwht_dir;

static GBytes *
load (const gchar *dir, const gchar *name)
{
  gchar *path = g_build_filename (dir, name, NULL);
  gchar *data;
  gsize size;
  GBytes *bytes = NULL;

  if (g_file_get_contents (path, &data, &size, NULL))
    bytes = g_bytes_new_take (data, size);
  else
    ktest_diag ("cannot read %s", path);
  g_free (path);
  return bytes;
}

/* What reached the sink: output buffers are counted, their sizes kept,
 * and released at once (held, they would keep CAPTURE buffers from the
 * decoder, which then waits for them). */
typedef struct
{
  guint n;
  GArray *sizes;
} Collect;

/* Pulls what is there without waiting; returns how many. */
static guint
drain_available (GstHarness *h, Collect *c)
{
  GstBuffer *b;
  guint n = 0;

  while ((b = gst_harness_try_pull (h))) {
    if (c) {
      gsize size = gst_buffer_get_size (b);

      c->n++;
      if (c->sizes)
        g_array_append_val (c->sizes, size);
    }
    gst_buffer_unref (b);
    n++;
  }
  return n;
}

/* Pushes @bytes from @from to @to in CHUNK-sized buffers, taking the
 * output after each into @c (NULL: another thread pulls). */
static GstFlowReturn
push_range (GstHarness *h, GBytes *bytes, gsize from, gsize to, Collect *c)
{
  const guint8 *data = g_bytes_get_data (bytes, NULL);
  GstFlowReturn ret = GST_FLOW_OK;

  while (from < to && ret == GST_FLOW_OK) {
    gsize n = MIN (CHUNK, to - from);

    ret = gst_harness_push (h, gst_buffer_new_memdup (data + from, n));
    if (c)
      drain_available (h, c);
    from += n;
  }
  return ret;
}

static GstFlowReturn
push_all (GstHarness *h, GBytes *bytes, Collect *c)
{
  return push_range (h, bytes, 0, g_bytes_get_size (bytes), c);
}

/* Every case runs under a watchdog: a decoder that waits forever is a
 * failed result, not a hung guest. */
static const gchar *current_case = "";

static void
on_alarm (int sig)
{
  printf ("not ok %u - harness %s: timed out (hung)\n", ktest_count () + 1,
      current_case);
  printf ("1..%u\n", ktest_count () + 1);
  fflush (stdout);
  _exit (1);
}

static void
watch (const gchar *name)
{
  current_case = name;
  alarm (90);
}

typedef struct
{
  GstHarness *h;
  GstElement *dec;
  GstBus *bus;
} Fixture;

static void
fixture_init (Fixture *f, const gchar *launch, const gchar *caps)
{
  f->h = gst_harness_new_parse (launch);
  f->dec = gst_bin_get_by_name (GST_BIN (f->h->element), "dec");
  f->bus = gst_bus_new ();
  gst_element_set_bus (f->h->element, f->bus);
  gst_harness_set_src_caps_str (f->h, caps);
  gst_harness_play (f->h);
}

static void
fixture_clear (Fixture *f)
{
  gst_harness_teardown (f->h);
  gst_object_unref (f->dec);
  gst_bus_set_flushing (f->bus, TRUE);
  gst_object_unref (f->bus);
}

static void
h264_fixture (Fixture *f)
{
  fixture_init (f, "h264parse ! v4l2elastich264dec name=dec",
      "video/x-h264,stream-format=byte-stream");
}

/* The first error message on the bus, if any (its text in @text). */
static gboolean
bus_error (GstBus *bus, gchar **text)
{
  GstMessage *msg;
  gboolean found = FALSE;

  while ((msg = gst_bus_pop (bus))) {
    if (!found && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
      GError *err;
      gchar *dbg;

      gst_message_parse_error (msg, &err, &dbg);
      if (text)
        *text = g_strdup_printf ("%s (%s)", err->message, dbg);
      g_error_free (err);
      g_free (dbg);
      found = TRUE;
    }
    gst_message_unref (msg);
  }
  return found;
}

static void
caps_size (GstCaps *caps, gint *w, gint *h, const gchar **format)
{
  GstStructure *s = gst_caps_get_structure (caps, 0);

  *w = *h = 0;
  gst_structure_get_int (s, "width", w);
  gst_structure_get_int (s, "height", h);
  if (format)
    *format = gst_structure_get_string (s, "format");
}

/* The caps events that reached the sink, in order, as "WxH" strings. */
static gchar *
caps_sequence (GstHarness *h)
{
  GString *seq = g_string_new (NULL);
  GstEvent *ev;

  while ((ev = gst_harness_try_pull_event (h))) {
    if (GST_EVENT_TYPE (ev) == GST_EVENT_CAPS) {
      GstCaps *caps;
      gint w, hh;

      gst_event_parse_caps (ev, &caps);
      caps_size (caps, &w, &hh, NULL);
      g_string_append_printf (seq, "%s%dx%d", seq->len ? "," : "", w, hh);
    }
    gst_event_unref (ev);
  }
  return g_string_free (seq, FALSE);
}

static guint
stats_uint (GstElement *dec, const gchar *field)
{
  GstStructure *s = NULL;
  guint v = 0;

  g_object_get (dec, "pool-stats", &s, NULL);
  if (s) {
    gst_structure_get_uint (s, field, &v);
    gst_structure_free (s);
  }
  return v;
}

/* --- H.264 on visl -----------------------------------------------------------
 */

/* Negotiation, EOS drain, renegotiation at a new size, pool messages. */
static void
test_h264_negotiation (GBytes *big, GBytes *small)
{
  Fixture f;
  GstCaps *caps;
  const gchar *format = NULL;
  guint before_eos, total, messages = 0, small_frames = 0, i;
  gint w, h;
  gchar *seq, *err = NULL;
  Collect out = { 0, g_array_new (FALSE, FALSE, sizeof (gsize)) };
  GstMessage *msg;
  GstStructure *stats = NULL;

  h264_fixture (&f);
  watch ("h264 negotiation");
  push_all (f.h, big, &out);
  before_eos = out.n;
  caps = gst_pad_get_current_caps (f.h->sinkpad);
  w = h = 0;
  if (caps)
    caps_size (caps, &w, &h, &format);
  ktest_result (caps && w == 320 && h == 240 && format,
      "h264: output caps negotiated for 320x240 (%s)",
      caps ? gst_caps_to_string (caps) : "none");
  gst_clear_caps (&caps);

  /* A new SPS of another size in the same stream: new caps. */
  push_all (f.h, small, &out);
  gst_harness_push_event (f.h, gst_event_new_eos ());
  drain_available (f.h, &out);
  total = out.n;
  ktest_result (before_eos < 60 && total == 70,
      "h264: EOS drains the decoder: %u frames before EOS, %u of 70 after",
      before_eos, total);
  seq = caps_sequence (f.h);
  for (i = 0; i < out.sizes->len; i++)
    if (g_array_index (out.sizes, gsize, i) < 320 * 240)
      small_frames++;
  ktest_result (g_str_has_suffix (seq, "320x240,176x144") &&
          small_frames == 10 && out.n == 70,
      "h264: renegotiation at a new SPS size: caps %s, %u small frames at "
      "the end",
      seq, small_frames);
  for (i = 60; i < out.sizes->len; i++)
    if (g_array_index (out.sizes, gsize, i) >= 320 * 240)
      ktest_diag ("frame %u is large", i);
  g_free (seq);

  while ((msg = gst_bus_pop_filtered (f.bus, GST_MESSAGE_ELEMENT))) {
    if (gst_message_has_name (msg, "v4l2elastic-pool"))
      messages++;
    gst_message_unref (msg);
  }
  g_object_get (f.dec, "pool-stats", &stats, NULL);
  ktest_result (messages > 0 && stats &&
          gst_structure_has_name (stats, "v4l2elastic-pool-stats") &&
          stats_uint (f.dec, "peak-buffers") > 0 &&
          stats_uint (f.dec, "creates") > 0,
      "h264: %u v4l2elastic-pool bus messages; pool-stats %s", messages,
      stats ? gst_structure_to_string (stats) : "none");
  if (stats)
    gst_structure_free (stats);
  ktest_result (!bus_error (f.bus, &err), "h264: no error message (%s)",
      err ? err : "none");
  g_free (err);
  g_array_unref (out.sizes);
  fixture_clear (&f);
}

typedef struct
{
  guint min;
  gboolean no_pool;
} Allocation;

static GstPadProbeReturn
allocation_probe (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Allocation *a = user_data;
  GstQuery *query = GST_PAD_PROBE_INFO_QUERY (info);

  if (GST_QUERY_TYPE (query) != GST_QUERY_ALLOCATION)
    return GST_PAD_PROBE_OK;
  if (!a->no_pool) {
    gst_query_add_allocation_meta (query, GST_VIDEO_META_API_TYPE, NULL);
    gst_query_add_allocation_pool (query, NULL, 0, a->min, 0);
  }
  return GST_PAD_PROBE_HANDLED;
}

typedef struct
{
  GstHarness *h;
  GBytes *bytes;
} Pusher;

static gpointer
push_thread (gpointer data)
{
  Pusher *p = data;

  push_all (p->h, p->bytes, NULL);
  gst_harness_push_event (p->h, gst_event_new_eos ());
  return NULL;
}

/* Downstream says it needs @min buffers and really holds that many:
 * decoding must not stall.  @no_pool: the query is answered empty. */
static void
test_h264_allocation (GBytes *big, guint min, gboolean no_pool)
{
  Allocation a = { min, no_pool };
  Pusher p;
  Fixture f;
  GQueue held = G_QUEUE_INIT;
  GThread *thread;
  guint got = 0, peak;
  GstBuffer *b;
  gchar *err = NULL;

  watch (no_pool ? "h264 no pool" : "h264 downstream minimum");
  h264_fixture (&f);
  gst_pad_add_probe (f.h->sinkpad, GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM,
      allocation_probe, &a, NULL);
  p.h = f.h;
  p.bytes = big;
  thread = g_thread_new ("push", push_thread, &p);
  while (got < 60 && (b = gst_harness_pull (f.h))) {
    got++;
    g_queue_push_tail (&held, b);
    if (g_queue_get_length (&held) > min)
      gst_buffer_unref (g_queue_pop_head (&held));
  }
  g_queue_clear_full (&held, (GDestroyNotify) gst_buffer_unref);
  /* Stalled or not, the pushing thread ends once nothing is held. */
  g_thread_join (thread);
  drain_available (f.h, NULL);
  peak = stats_uint (f.dec, "peak-buffers");
  if (no_pool)
    ktest_result (got == 60 && !bus_error (f.bus, &err),
        "h264: downstream offers no pool and no meta: %u of 60 frames (%s)",
        got, err ? err : "no error");
  else
    ktest_result (got == 60 && peak >= min + 1 && !bus_error (f.bus, &err),
        "h264: downstream minimum %u held by downstream: %u of 60 frames, "
        "pool peak %u buffers (%s)",
        min, got, peak, err ? err : "no error");
  g_free (err);
  fixture_clear (&f);
}

/* The latency is the reorder delay in frames at the stream's rate. */
static void
test_h264_latency (GBytes *big)
{
  Fixture f;
  GstQuery *q = gst_query_new_latency ();
  GstPad *src;
  GstClockTime min = 0, max = 0, frame = GST_SECOND / 30, rest;
  gboolean live = FALSE, ok;

  Collect c = { 0 };

  watch ("h264 latency");
  h264_fixture (&f);
  push_range (f.h, big, 0, g_bytes_get_size (big) / 2, &c);
  src = gst_element_get_static_pad (f.dec, "src");
  ok = gst_pad_query (src, q);
  if (ok)
    gst_query_parse_latency (q, &live, &min, &max);
  rest = min % frame;
  ktest_result (ok && min > 0 && min <= 16 * frame + 16 && max >= min &&
          (rest < 1000 || frame - rest < 1000),
      "h264: latency query answers the reorder delay: min %" GST_TIME_FORMAT
      " max %" GST_TIME_FORMAT " (%.2f frames at 30/1)",
      GST_TIME_ARGS (min), GST_TIME_ARGS (max), (double) min / frame);
  gst_query_unref (q);
  gst_object_unref (src);
  drain_available (f.h, NULL);
  fixture_clear (&f);
}

/* FLUSH_START/FLUSH_STOP with pictures in the reorder queue, then the
 * whole stream again: exactly its frames come out. */
static void
test_h264_flush (GBytes *big)
{
  Fixture f;
  GstSegment seg;
  guint before, after = 0, held;
  gchar *err = NULL;

  Collect c = { 0 }, c2 = { 0 };

  watch ("h264 flush");
  h264_fixture (&f);
  push_range (f.h, big, 0, g_bytes_get_size (big) / 3, &c);
  before = c.n;
  held = stats_uint (f.dec, "buffers");
  gst_harness_push_event (f.h, gst_event_new_flush_start ());
  gst_harness_push_event (f.h, gst_event_new_flush_stop (TRUE));
  gst_segment_init (&seg, GST_FORMAT_TIME);
  gst_harness_push_event (f.h, gst_event_new_segment (&seg));
  push_all (f.h, big, &c2);
  gst_harness_push_event (f.h, gst_event_new_eos ());
  drain_available (f.h, &c2);
  after = c2.n;
  ktest_result (after == 60 && !bus_error (f.bus, &err),
      "h264: flush with %u frames out and the reorder queue filled (%u "
      "CAPTURE buffers), then the stream again: %u of 60 frames (%s)",
      before, held, after, err ? err : "no error");
  g_free (err);
  fixture_clear (&f);
}

/* Bounds changed while PLAYING: decoding goes on and ends. */
static void
test_h264_limits_playing (GBytes *big)
{
  Fixture f;
  guint got, buffers_mid, max_after;
  gsize size = g_bytes_get_size (big);
  gchar *err = NULL;

  Collect c = { 0 };

  watch ("h264 limits while playing");
  h264_fixture (&f);
  push_range (f.h, big, 0, size / 3, &c);
  buffers_mid = stats_uint (f.dec, "buffers");
  g_object_set (f.dec, "max-capture-buffers", 6, NULL);
  push_range (f.h, big, size / 3, 2 * size / 3, &c);
  max_after = stats_uint (f.dec, "buffers");
  g_object_set (f.dec, "max-capture-buffers", 0, "capture-memory-limit",
      (guint64) 8 * 320 * 240 * 3 / 2, NULL);
  push_range (f.h, big, 2 * size / 3, size, &c);
  gst_harness_push_event (f.h, gst_event_new_eos ());
  drain_available (f.h, &c);
  got = c.n;
  ktest_result (got == 60 && !bus_error (f.bus, &err),
      "h264: max-capture-buffers 6 then capture-memory-limit of 8 frames set "
      "while PLAYING: %u of 60 frames (pool %u buffers before, %u after the "
      "first bound, stats at the end: %u buffers, %u waits) (%s)",
      got, buffers_mid, max_after, stats_uint (f.dec, "buffers"),
      stats_uint (f.dec, "waits"), err ? err : "no error");
  g_free (err);
  fixture_clear (&f);
}

/* Random NAL units straight into the element, and noise slices after a
 * good start: an error message (max-errors 0), never a crash; then a new
 * element decodes a good stream. */
static void
test_h264_garbage (GBytes *big)
{
  Fixture f;
  GRand *rand = g_rand_new_with_seed (20261202);
  GstFlowReturn last = GST_FLOW_OK;
  gchar *err = NULL;
  gboolean errored;
  guint i, j, out;
  Collect good = { 0 }, bad = { 0 };

  watch ("h264 garbage");
  /* The sink template lists profiles: caps without one are refused. */
  fixture_init (&f, "v4l2elastich264dec name=dec max-errors=0",
      "video/x-h264,stream-format=byte-stream,alignment=au,profile=main");
  for (i = 0; i < 40 && last == GST_FLOW_OK; i++) {
    guint8 au[600];

    for (j = 0; j < sizeof (au); j++)
      au[j] = g_rand_int_range (rand, 0, 256);
    /* Start codes in front of NAL headers of every type. */
    for (j = 0; j + 4 < sizeof (au); j += 100) {
      au[j] = au[j + 1] = 0;
      au[j + 2] = 1;
      au[j + 3] = (au[j + 3] & 0xe0) | (1 + (i + j / 100) % 8);
    }
    last = gst_harness_push (f.h, gst_buffer_new_memdup (au, sizeof (au)));
    drain_available (f.h, &bad);
  }
  drain_available (f.h, &bad);
  out = bad.n;
  errored = bus_error (f.bus, &err);
  {
    GstPad *pad = gst_element_get_static_pad (f.dec, "sink");
    GstCaps *caps = gst_pad_get_current_caps (pad);
    gchar *str = caps ? gst_caps_to_string (caps) : g_strdup ("none");

    ktest_result (errored,
        "h264: garbage NAL units straight into the element: %s, last flow "
        "%s, %u frames out, no crash (sink caps %s)",
        errored ? err : "no error message", gst_flow_get_name (last), out, str);
    g_free (str);
    gst_clear_caps (&caps);
    gst_object_unref (pad);
  }
  g_free (err);
  err = NULL;
  fixture_clear (&f);

  /* A good start (parameter sets, the first pictures), then slices whose
   * headers are noise behind valid NAL headers: h264parse passes them on
   * as access units, the element must refuse them with an error message
   * (max-errors 0) and not crash. */
  fixture_init (&f, "h264parse ! v4l2elastich264dec name=dec max-errors=0",
      "video/x-h264,stream-format=byte-stream");
  bad.n = 0;
  last = push_range (f.h, big, 0, g_bytes_get_size (big) / 4, &bad);
  for (i = 0; i < 40 && last == GST_FLOW_OK; i++) {
    guint8 au[800];

    for (j = 0; j < sizeof (au); j++)
      au[j] = g_rand_int_range (rand, 1, 256);
    /* An access unit delimiter, then a slice (non-IDR, reference). */
    au[0] = au[1] = au[2] = 0;
    au[3] = 1;
    au[4] = 0x09;
    au[5] = 0xf0;
    au[6] = au[7] = 0;
    au[8] = 1;
    au[9] = 0x41;
    last = gst_harness_push (f.h, gst_buffer_new_memdup (au, sizeof (au)));
    drain_available (f.h, &bad);
  }
  gst_harness_push_event (f.h, gst_event_new_eos ());
  drain_available (f.h, &bad);
  errored = bus_error (f.bus, &err);
  ktest_result (errored,
      "h264: noise slices after a good start: %s, last flow %s, %u frames "
      "out, no crash",
      errored ? err : "no error message", gst_flow_get_name (last), bad.n);
  g_free (err);
  g_rand_free (rand);
  fixture_clear (&f);

  h264_fixture (&f);
  push_all (f.h, big, &good);
  gst_harness_push_event (f.h, gst_event_new_eos ());
  drain_available (f.h, &good);
  out = good.n;
  ktest_result (out == 60,
      "h264: a new element decodes after the garbage: "
      "%u of 60 frames",
      out);
  fixture_clear (&f);
}

/* The same stream as stream-format avc (parameter sets only in
 * codec_data: h264parse moves them there) and avc3 (in the stream):
 * every frame, in the same order as from the byte stream. */
static void
test_h264_stream_format (GBytes *big, const gchar *format)
{
  Fixture f;
  Collect c = { 0 };
  gchar *launch, *err = NULL;
  GstCaps *caps;
  GstPad *sink;
  const gchar *got = NULL;

  watch ("h264 stream-format");
  launch = g_strdup_printf ("h264parse ! video/x-h264,stream-format=%s,"
                            "alignment=au ! v4l2elastich264dec name=dec",
      format);
  fixture_init (&f, launch, "video/x-h264,stream-format=byte-stream");
  push_all (f.h, big, &c);
  gst_harness_push_event (f.h, gst_event_new_eos ());
  drain_available (f.h, &c);
  sink = gst_element_get_static_pad (f.dec, "sink");
  caps = gst_pad_get_current_caps (sink);
  if (caps)
    got = gst_structure_get_string (
        gst_caps_get_structure (caps, 0), "stream-format");
  ktest_result (
      c.n == 60 && g_strcmp0 (got, format) == 0 && !bus_error (f.bus, &err),
      "h264: stream-format %s input (%s): %u of 60 frames (%s)", format,
      got ? got : "no caps", c.n, err ? err : "no error");
  gst_clear_caps (&caps);
  gst_object_unref (sink);
  g_free (err);
  g_free (launch);
  fixture_clear (&f);
}

/* --- FWHT on vicodec ---------------------------------------------------------
 */

/* The frame count of a .sizes file ("W H" per frame), and the sizes in
 * order without repeats, as "WxH,WxH". */
static guint
read_sizes (const gchar *dir, const gchar *name, gchar **sequence)
{
  gchar *path = g_build_filename (dir, name, NULL), *text = NULL, **lines;
  GString *seq = g_string_new (NULL);
  gchar last[32] = "";
  guint n = 0, i;

  g_file_get_contents (path, &text, NULL, NULL);
  lines = g_strsplit (text ? text : "", "\n", -1);
  for (i = 0; lines[i]; i++) {
    guint w, h;
    gchar now[32];

    if (sscanf (lines[i], "%u %u", &w, &h) != 2)
      continue;
    n++;
    g_snprintf (now, sizeof (now), "%ux%u", w, h);
    if (strcmp (now, last) != 0)
      g_string_append_printf (seq, "%s%s", seq->len ? "," : "", now);
    g_strlcpy (last, now, sizeof (last));
  }
  g_strfreev (lines);
  g_free (text);
  g_free (path);
  *sequence = g_string_free (seq, FALSE);
  return n;
}

static void
test_fwht (void)
{
  GBytes *single = load (fwht_dir, "single.fwht");
  GBytes *resize = load (fwht_dir, "resize.fwht");
  gchar *want_single, *want_resize;
  guint n_single = read_sizes (fwht_dir, "single.sizes", &want_single);
  guint n_resize = read_sizes (fwht_dir, "resize.sizes", &want_resize);
  Fixture f;
  GRand *rand;
  guint out, i, j;
  gchar *seq, *err = NULL;
  GstFlowReturn last = GST_FLOW_OK;
  gboolean errored;
  Collect c1 = { 0 }, c2 = { 0 }, c3 = { 0 };

  if (!single || !resize || g_bytes_get_size (single) == 0 ||
      g_bytes_get_size (resize) == 0 || n_single == 0 || n_resize == 0) {
    ktest_result (FALSE, "fwht: non-empty streams in %s", fwht_dir);
    g_clear_pointer (&single, g_bytes_unref);
    g_clear_pointer (&resize, g_bytes_unref);
    g_free (want_single);
    g_free (want_resize);
    return;
  }
  watch ("fwht");
  fixture_init (&f, "v4l2elasticfwhtdec name=dec", "video/x-fwht");
  push_all (f.h, single, &c1);
  gst_harness_push_event (f.h, gst_event_new_eos ());
  drain_available (f.h, &c1);
  out = c1.n;
  seq = caps_sequence (f.h);
  ktest_result (
      out == n_single && n_single > 0 && g_strcmp0 (seq, want_single) == 0,
      "fwht: %u of %u frames, caps %s (stream %s)", out, n_single, seq,
      want_single);
  g_free (seq);
  fixture_clear (&f);

  fixture_init (&f, "v4l2elasticfwhtdec name=dec", "video/x-fwht");
  push_all (f.h, resize, &c2);
  gst_harness_push_event (f.h, gst_event_new_eos ());
  drain_available (f.h, &c2);
  out = c2.n;
  seq = caps_sequence (f.h);
  ktest_result (out == n_resize && strchr (want_resize, ',') &&
          g_strcmp0 (seq, want_resize) == 0,
      "fwht: renegotiation at each size change: %u of %u frames, caps %s "
      "(stream %s)",
      out, n_resize, seq, want_resize);
  g_free (seq);
  fixture_clear (&f);

  /* Garbage: random bytes, then a valid stream's header with its payload
   * overwritten. */
  rand = g_rand_new_with_seed (20261202);
  fixture_init (&f, "v4l2elasticfwhtdec name=dec max-errors=0", "video/x-fwht");
  for (i = 0; i < 20 && last == GST_FLOW_OK; i++) {
    guint8 junk[4096];

    for (j = 0; j < sizeof (junk); j++)
      junk[j] = g_rand_int_range (rand, 0, 256);
    last = gst_harness_push (f.h, gst_buffer_new_memdup (junk, sizeof (junk)));
    drain_available (f.h, &c3);
  }
  if (last == GST_FLOW_OK) {
    gsize n;
    const guint8 *data = g_bytes_get_data (single, &n);
    guint8 *copy = g_memdup2 (data, n);

    for (j = 64; j < n; j++)
      copy[j] = g_rand_int_range (rand, 0, 256);
    last = gst_harness_push (f.h, gst_buffer_new_wrapped (copy, n));
  }
  gst_harness_push_event (f.h, gst_event_new_eos ());
  drain_available (f.h, &c3);
  out = c3.n;
  errored = bus_error (f.bus, &err);
  ktest_result (TRUE,
      "fwht: garbage input: %s, last flow %s, %u frames out, no crash",
      errored ? err : "no error message", gst_flow_get_name (last), out);
  g_free (err);
  g_rand_free (rand);
  fixture_clear (&f);
  g_bytes_unref (single);
  g_bytes_unref (resize);
  g_free (want_single);
  g_free (want_resize);
}

int
main (int argc, char **argv)
{
  GOptionEntry entries[] = { { "h264", 0, 0, G_OPTION_ARG_FILENAME, &h264_dir,
                                 "player-streams.sh output (H.264 on visl)",
                                 "DIR" },
    { "fwht", 0, 0, G_OPTION_ARG_FILENAME, &fwht_dir,
        "fwht-streams.sh output (FWHT on vicodec)", "DIR" },
    { NULL } };
  GOptionContext *ctx = g_option_context_new ("- GstHarness element tests");
  GError *error = NULL;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_printerr ("%s\n", error->message);
    return 2;
  }
  g_option_context_free (ctx);

  signal (SIGALRM, on_alarm);
  ktest_begin ("harness");
  if (h264_dir) {
    GBytes *big = load (h264_dir, "h264.h264");
    GBytes *small = load (h264_dir, "h264-176.h264");

    if (!gst_element_factory_find ("v4l2elastich264dec")) {
      ktest_result (FALSE, "h264: v4l2elastich264dec registered");
    } else if (!big || !small) {
      ktest_result (FALSE, "h264: streams in %s", h264_dir);
    } else {
      test_h264_negotiation (big, small);
      test_h264_stream_format (big, "avc");
      test_h264_stream_format (big, "avc3");
      test_h264_allocation (big, 6, FALSE);
      test_h264_allocation (big, 0, TRUE);
      test_h264_latency (big);
      test_h264_flush (big);
      test_h264_limits_playing (big);
      test_h264_garbage (big);
    }
    if (big)
      g_bytes_unref (big);
    if (small)
      g_bytes_unref (small);
  }
  if (fwht_dir) {
    if (!gst_element_factory_find ("v4l2elasticfwhtdec"))
      ktest_result (FALSE, "fwht: v4l2elasticfwhtdec registered");
    else
      test_fwht ();
  }
  return ktest_end ();
}
