/* gst-v4l2-elastic
 *
 * Benchmark (not a test): the elastic and the classic CAPTURE pool of
 * v4l2elasticfwhtdec on the same FWHT stream with resolution changes, in
 * one guest run.  Downstream reads GstVideoMeta and keeps the last K
 * frames, like a display pipeline.  Prints a timeline (CSV, for the plot)
 * and a summary with elastic/classic ratios.
 *
 *   v4l2elastic-fwht-bench STREAM.fwht [K]
 *
 * Output lines:
 *   timeline,MODE,MS,FRAME,WIDTH,HEIGHT,BUFFERS,BYTES
 *   summary,MODE,KEY,VALUE
 *   ratio,KEY,ELASTIC/CLASSIC
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gst/gst.h>
#include <gst/video/video.h>

static gboolean quiet;

typedef struct
{
  guint hold;
  GQueue held;
  GstElement *dec;
  gint64 start;
  guint frames;
  guint width, height;
  gint64 last_ms;
  GArray *gaps;                /* ms between the last frame of a size and the
                                * first of the next */
  GArray *bytes_before_change; /* pool bytes at the last frame of a size */
  guint64 bytes_now;
  const gchar *mode;
} Bench;

static GstPadProbeReturn
allocation_probe (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Bench *b = user_data;
  GstQuery *query = GST_PAD_PROBE_INFO_QUERY (info);

  if (GST_QUERY_TYPE (query) != GST_QUERY_ALLOCATION)
    return GST_PAD_PROBE_OK;
  gst_query_add_allocation_meta (query, GST_VIDEO_META_API_TYPE, NULL);
  gst_query_add_allocation_pool (query, NULL, 0, b->hold, 0);
  return GST_PAD_PROBE_HANDLED;
}

static void
pool_now (Bench *b, guint *buffers, guint64 *bytes)
{
  GstStructure *stats = NULL;

  g_object_get (b->dec, "pool-stats", &stats, NULL);
  gst_structure_get_uint (stats, "buffers", buffers);
  gst_structure_get_uint64 (stats, "bytes", bytes);
  gst_structure_free (stats);
}

static void
on_handoff (GstElement *sink, GstBuffer *buffer, GstPad *pad, gpointer data)
{
  Bench *b = data;
  GstVideoMeta *meta = gst_buffer_get_video_meta (buffer);
  gint64 ms = (g_get_monotonic_time () - b->start) / 1000;
  guint w = meta ? meta->width : 0, h = meta ? meta->height : 0;
  guint buffers = 0;
  guint64 bytes = 0;

  if (b->frames > 0 && (w != b->width || h != b->height)) {
    gint64 gap = ms - b->last_ms;

    g_array_append_val (b->gaps, gap);
    g_array_append_val (b->bytes_before_change, b->bytes_now);
  }
  b->width = w;
  b->height = h;
  b->last_ms = ms;
  b->frames++;

  g_queue_push_tail (&b->held, gst_buffer_ref (buffer));
  while (g_queue_get_length (&b->held) > b->hold)
    gst_buffer_unref (g_queue_pop_head (&b->held));

  pool_now (b, &buffers, &bytes);
  b->bytes_now = bytes;
  if (!quiet)
    printf ("timeline,%s,%" G_GINT64_FORMAT ",%u,%u,%u,%u,%" G_GUINT64_FORMAT
            "\n",
        b->mode, ms, b->frames, w, h, buffers, bytes);
}

typedef struct
{
  guint64 peak_bytes;
  guint reallocations;
  guint frames;
  gdouble max_gap_ms;
  gdouble steady_bytes; /* at the end of the stream */
  gdouble cpu_ms;
} Result;

static gboolean
run (const gchar *location, gboolean classic, guint hold, Result *res)
{
  GstElement *pipeline, *sink;
  GstBus *bus;
  GstMessage *msg;
  GstStructure *stats = NULL;
  GError *error = NULL;
  Bench b = { 0 };
  gchar *desc;
  GstPad *pad;
  guint i;
  gint64 cpu0;

  desc = g_strdup_printf (
      "filesrc location=%s ! video/x-fwht ! "
      "v4l2elasticfwhtdec name=dec classic-pool=%s ! fakesink name=sink "
      "sync=false enable-last-sample=false signal-handoffs=true",
      location, classic ? "true" : "false");
  pipeline = gst_parse_launch (desc, &error);
  g_free (desc);
  if (!pipeline) {
    g_printerr ("%s\n", error->message);
    g_clear_error (&error);
    return FALSE;
  }
  b.mode = quiet ? (classic ? "warmup-classic" : "warmup-elastic")
                 : (classic ? "classic" : "elastic");
  b.hold = hold;
  b.gaps = g_array_new (FALSE, FALSE, sizeof (gint64));
  b.bytes_before_change = g_array_new (FALSE, FALSE, sizeof (guint64));
  g_queue_init (&b.held);
  b.dec = gst_bin_get_by_name (GST_BIN (pipeline), "dec");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  g_signal_connect (sink, "handoff", G_CALLBACK (on_handoff), &b);
  pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (
      pad, GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM, allocation_probe, &b, NULL);
  gst_object_unref (pad);

  cpu0 = g_get_monotonic_time ();
  {
    struct timespec ts;

    clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
    cpu0 = ts.tv_sec * G_GINT64_CONSTANT (1000000) + ts.tv_nsec / 1000;
  }
  b.start = g_get_monotonic_time ();
  bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (
      bus, 120 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  if (!msg || GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
    g_printerr ("%s: did not reach EOS\n", b.mode);
  gst_clear_message (&msg);

  {
    struct timespec ts;

    clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
    res->cpu_ms =
        (ts.tv_sec * G_GINT64_CONSTANT (1000000) + ts.tv_nsec / 1000 - cpu0) /
        1000.0;
  }
  g_object_get (b.dec, "pool-stats", &stats, NULL);
  gst_structure_get_uint64 (stats, "peak-bytes", &res->peak_bytes);
  gst_structure_get_uint (stats, "reallocations", &res->reallocations);
  gst_structure_free (stats);
  res->frames = b.frames;
  res->steady_bytes = b.bytes_now;
  res->max_gap_ms = 0;
  for (i = 0; i < b.gaps->len; i++) {
    res->max_gap_ms = MAX (res->max_gap_ms, g_array_index (b.gaps, gint64, i));
    printf ("summary,%s,gap_ms_change_%u,%" G_GINT64_FORMAT "\n", b.mode, i + 1,
        g_array_index (b.gaps, gint64, i));
    printf ("summary,%s,bytes_before_change_%u,%" G_GUINT64_FORMAT "\n", b.mode,
        i + 1, g_array_index (b.bytes_before_change, guint64, i));
  }

  gst_element_set_state (pipeline, GST_STATE_NULL);
  while (!g_queue_is_empty (&b.held))
    gst_buffer_unref (g_queue_pop_head (&b.held));
  g_array_unref (b.gaps);
  g_array_unref (b.bytes_before_change);
  gst_object_unref (bus);
  gst_object_unref (sink);
  gst_object_unref (b.dec);
  gst_object_unref (pipeline);

  printf ("summary,%s,frames,%u\n", b.mode, res->frames);
  printf (
      "summary,%s,peak_bytes,%" G_GUINT64_FORMAT "\n", b.mode, res->peak_bytes);
  printf ("summary,%s,steady_bytes,%.0f\n", b.mode, res->steady_bytes);
  printf ("summary,%s,reallocations,%u\n", b.mode, res->reallocations);
  printf ("summary,%s,max_gap_ms,%.0f\n", b.mode, res->max_gap_ms);
  printf ("summary,%s,cpu_ms_per_frame,%.3f\n", b.mode,
      res->frames ? res->cpu_ms / res->frames : 0.0);
  return TRUE;
}

static void
ratio (const gchar *key, gdouble elastic, gdouble classic)
{
  if (classic > 0)
    printf ("ratio,%s,%.3f\n", key, elastic / classic);
  else
    printf (
        "ratio,%s,n/a (classic %.0f, elastic %.0f)\n", key, classic, elastic);
}

int
main (int argc, char **argv)
{
  Result e = { 0 }, c = { 0 };
  guint hold;

  gst_init (&argc, &argv);
  if (argc < 2) {
    g_printerr ("usage: %s STREAM.fwht [K]\n", argv[0]);
    return 2;
  }
  hold = argc > 2 ? atoi (argv[2]) : 3;

  /* A warm-up run of each first (plugin loading, first mappings), printed
   * with the mode names "warmup-*", not compared. */
  {
    Result w = { 0 };

    quiet = TRUE;
    if (!run (argv[1], FALSE, hold, &w) || !run (argv[1], TRUE, hold, &w))
      return 1;
    quiet = FALSE;
  }
  if (!run (argv[1], FALSE, hold, &e) || !run (argv[1], TRUE, hold, &c))
    return 1;

  ratio ("peak_bytes", e.peak_bytes, c.peak_bytes);
  ratio ("steady_bytes", e.steady_bytes, c.steady_bytes);
  ratio ("frames", e.frames, c.frames);
  ratio ("max_gap_ms", e.max_gap_ms, c.max_gap_ms);
  ratio ("cpu_ms_per_frame", e.frames ? e.cpu_ms / e.frames : 0,
      c.frames ? c.cpu_ms / c.frames : 0);
  printf ("summary,elastic,reallocations_vs_classic,%u/%u\n", e.reallocations,
      c.reallocations);
  return 0;
}
