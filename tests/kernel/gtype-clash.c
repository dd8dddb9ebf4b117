/* gst-v4l2-elastic
 *
 * Our plugin and gst-plugins-good's video4linux2 plugin in one process
 * (issue #10).  Both register GTypes; the V4L2 device provider of
 * gst-plugins-good registers "GstV4l2Device", a name this project once
 * used too, and GObject refuses a second type of the same name with
 * "cannot register existing type" (after which the second plugin is
 * broken).  An application that lists cameras with a GstDeviceMonitor and
 * decodes with our element is such a process.  TAP output.
 *
 *   v4l2elastic-gtype-clash --streams DIR
 *
 * For each order of first use, in a fresh process (GTypes are per
 * process): a GstDeviceMonitor for Video/Source is started (which loads
 * the v4l2 device provider) and then v4l2elasticfwhtdec decodes
 * DIR/single.fwht (made by tests/media/fwht-streams.sh) to EOS, or the
 * other way round.  Asserted: the device provider really registered its
 * types in that process (else nothing was tested); every GstV4l2* type
 * the decode added is GstV4l2Elastic* (gst-plugins-good registers some of
 * its GstV4l2* types, GstV4l2Device among them, only when it lists a
 * device, which the memory-to-memory vicodec and visl never give it: the
 * namespace check catches what the clash itself would need a camera for);
 * no GLib warning or critical of any domain was logged (a log handler
 * counts them, and the child runs with G_DEBUG=fatal-warnings so one also
 * aborts it); the decode delivers every frame to EOS.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include <gst/gst.h>

#include "ktest.h"

static guint logged;

static void
count_log (const gchar *domain, GLogLevelFlags level, const gchar *message,
    gpointer user_data)
{
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    logged++;
  g_printerr ("LOGGED %s: %s\n", domain ? domain : "(no domain)", message);
}

static guint frames;

static void
collect_types (GType type, GHashTable *set)
{
  guint n, i;
  GType *children = g_type_children (type, &n);

  g_hash_table_add (set, (gpointer) g_type_name (type));
  for (i = 0; i < n; i++)
    collect_types (children[i], set);
  g_free (children);
}

/* Every type registered so far, by name. */
static GHashTable *
all_types (void)
{
  GHashTable *set = g_hash_table_new (g_str_hash, g_str_equal);
  guint i;

  for (i = 1; i <= G_TYPE_FUNDAMENTAL_MAX >> G_TYPE_FUNDAMENTAL_SHIFT; i++) {
    GType f = G_TYPE_MAKE_FUNDAMENTAL (i);

    if (g_type_name (f))
      collect_types (f, set);
  }
  return set;
}

static void
on_handoff (GstElement *sink, GstBuffer *buffer, GstPad *pad, gpointer data)
{
  frames++;
}

/* Decodes to EOS; returns TRUE at EOS. */
static gboolean
decode (const gchar *fwht)
{
  gchar *desc = g_strdup_printf (
      "filesrc location=%s ! video/x-fwht ! v4l2elasticfwhtdec ! "
      "fakesink name=sink sync=false signal-handoffs=true",
      fwht);
  GError *error = NULL;
  GstElement *pipeline = gst_parse_launch (desc, &error), *sink;
  GstMessage *msg;
  GstBus *bus;
  gboolean eos = FALSE;

  g_free (desc);
  if (!pipeline) {
    g_printerr ("pipeline: %s\n", error->message);
    g_clear_error (&error);
    return FALSE;
  }
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  g_signal_connect (sink, "handoff", G_CALLBACK (on_handoff), NULL);
  gst_object_unref (sink);
  bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (
      bus, 60 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  if (msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS) {
    eos = TRUE;
  } else if (msg) {
    gst_message_parse_error (msg, &error, NULL);
    g_printerr ("decode error: %s\n", error->message);
    g_clear_error (&error);
  }
  if (msg)
    gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  return eos;
}

/* Lists video sources; returns how many devices were found (-1: the
 * monitor did not start). */
static gint
monitor (void)
{
  GstDeviceMonitor *mon = gst_device_monitor_new ();
  GList *devices;
  gint n;

  gst_device_monitor_add_filter (mon, "Video/Source", NULL);
  if (!gst_device_monitor_start (mon)) {
    gst_object_unref (mon);
    return -1;
  }
  devices = gst_device_monitor_get_devices (mon);
  n = g_list_length (devices);
  g_list_free_full (devices, gst_object_unref);
  gst_device_monitor_stop (mon);
  gst_object_unref (mon);
  return n;
}

/* The child: one order, one process.  Prints one summary line. */
static gint
child (const gchar *order, const gchar *fwht)
{
  gboolean monitor_first = g_str_equal (order, "monitor-first");
  GHashTable *before, *after;
  GHashTableIter iter;
  GString *foreign = g_string_new ("");
  gpointer name;
  guint ours = 0;
  gboolean eos;
  gint devices;

  g_log_set_default_handler (count_log, NULL);
  if (monitor_first)
    devices = monitor ();
  before = all_types ();
  eos = decode (fwht);
  after = all_types ();
  if (!monitor_first)
    devices = monitor ();
  /* gst-plugins-good's v4l2 plugin names its types GstV4l2*, and registers
   * some (GstV4l2Device, its buffer pool and allocator) only once it
   * lists a device or streams, which vicodec and visl (memory-to-memory
   * devices) never make it do here: the types our plugin added must all
   * stay out of that namespace, under GstV4l2Elastic. */
  g_hash_table_iter_init (&iter, after);
  while (g_hash_table_iter_next (&iter, &name, NULL)) {
    if (g_hash_table_contains (before, name) ||
        !g_str_has_prefix (name, "GstV4l2"))
      continue;
    if (g_str_has_prefix (name, "GstV4l2Elastic"))
      ours++;
    else
      g_string_append_printf (
          foreign, "%s%s", foreign->len ? "," : "", (const gchar *) name);
  }
  g_hash_table_unref (before);
  g_hash_table_unref (after);
  /* The provider's type comes with its plugin, its device type with the
   * first device it lists. */
  printf ("summary provider-types=%s device-type=%s devices=%d eos=%d "
          "frames=%u logged=%u our-types=%u foreign-types=%s\n",
      g_type_from_name ("GstV4l2DeviceProvider") ? "yes" : "no",
      g_type_from_name ("GstV4l2Device") ? "yes" : "no", devices, eos, frames,
      logged, ours, foreign->len ? foreign->str : "none");
  ours = eos && logged == 0 ? 0 : 1;
  g_string_free (foreign, TRUE);
  return ours;
}

int
main (int argc, char **argv)
{
  gchar *dir = NULL, *order = NULL, *fwht;
  GOptionEntry entries[] = { { "streams", 0, 0, G_OPTION_ARG_STRING, &dir,
                                 "Folder made by fwht-streams.sh", "DIR" },
    { "order", 0, 0, G_OPTION_ARG_STRING, &order,
        "Run one order in this process: monitor-first|decode-first", "ORDER" },
    { NULL } };
  const gchar *orders[] = { "monitor-first", "decode-first" };
  GOptionContext *ctx;
  GError *error = NULL;
  struct utsname un;
  gchar *prefix;
  guint i;

  ctx = g_option_context_new ("- our plugin next to gst-plugins-good's v4l2");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || !dir) {
    g_printerr ("%s\n", error ? error->message : "--streams is required");
    return 2;
  }
  g_option_context_free (ctx);
  fwht = g_strdup_printf ("%s/single.fwht", dir);
  if (order)
    return child (order, fwht);

  uname (&un);
  prefix = g_strdup_printf ("%s vicodec", un.release);
  ktest_begin (prefix);
  g_free (prefix);
  for (i = 0; i < G_N_ELEMENTS (orders); i++) {
    gchar *args[] = { argv[0], "--streams", dir, "--order", (gchar *) orders[i],
      NULL };
    gchar **env =
        g_environ_setenv (g_get_environ (), "G_DEBUG", "fatal-warnings", TRUE);
    gchar *out = NULL, *err = NULL, *summary;
    gint status = -1;
    gboolean spawned, provider, clash;

    spawned = g_spawn_sync (NULL, args, env, G_SPAWN_DEFAULT, NULL, NULL, &out,
        &err, &status, &error);
    g_strfreev (env);
    if (!spawned) {
      ktest_result (
          FALSE, "gtype-clash %s: spawn: %s", orders[i], error->message);
      g_clear_error (&error);
      continue;
    }
    summary = strstr (out, "summary ");
    provider = summary && strstr (summary, "provider-types=yes");
    clash = strstr (err, "cannot register existing type") != NULL;
    if (err[0])
      ktest_diag ("%s stderr:\n%s", orders[i], g_strstrip (err));
    ktest_diag ("%s: %s", orders[i],
        summary ? g_strstrip (summary) : "no summary (the child crashed)");
    ktest_result (provider,
        "gtype-clash %s: gst-plugins-good's v4l2 device provider is loaded "
        "in the process",
        orders[i]);
    ktest_result (summary && strstr (summary, "foreign-types=none") &&
            !strstr (summary, "our-types=0 "),
        "gtype-clash %s: every GstV4l2* type the decode added is "
        "GstV4l2Elastic*, out of gst-plugins-good's namespace",
        orders[i]);
    ktest_result (g_spawn_check_wait_status (status, NULL) && summary &&
            strstr (summary, "logged=0") && strstr (summary, "eos=1") && !clash,
        "gtype-clash %s: no GLib warning or critical (%s\"cannot register "
        "existing type\"), the decode reaches EOS (exit status %d)",
        orders[i], clash ? "" : "no ", status);
    g_free (out);
    g_free (err);
  }
  g_free (fwht);
  return ktest_end ();
}
