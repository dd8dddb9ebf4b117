/* gst-v4l2-elastic
 *
 * v4l2elastic-probe: prints, for every stateless decoder found through the
 * media controller, its coded formats and whether its queues support
 * CREATE_BUFS and REMOVE_BUFS.  Exits non-zero when fewer than --min
 * stateless decoders are found.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <sys/utsname.h>

#include <gst/gst.h>

#include "gstv4l2media.h"
#include "gstv4l2probe.h"

static gchar *
format_list (GArray *fourccs)
{
  GString *s = g_string_new (NULL);
  guint i;

  for (i = 0; i < fourccs->len; i++) {
    gchar *f =
        gst_v4l2_elastic_fourcc_to_string (g_array_index (fourccs, guint32, i));

    g_string_append_printf (s, "%s%s", i ? "," : "", f);
    g_free (f);
  }
  return g_string_free (s, FALSE);
}

static const gchar *
yes_no (gboolean v)
{
  return v ? "yes" : "no";
}

int
main (int argc, char **argv)
{
  gint min_decoders = 0;
  GOptionEntry entries[] = {
    { "min", 0, 0, G_OPTION_ARG_INT, &min_decoders,
        "Fail unless at least N stateless decoders are found", "N" },
    { NULL }
  };
  GOptionContext *ctx;
  GError *error = NULL;
  GList *nodes, *l;
  struct utsname un;
  gint found = 0;

  ctx = g_option_context_new ("- list V4L2 stateless decoders");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_printerr ("%s\n", error->message);
    return 2;
  }
  g_option_context_free (ctx);

  uname (&un);
  g_print ("kernel %s\n", un.release);
  g_print ("%-24s %-8s %-12s %-12s %-24s %-11s %-11s %s\n", "decoder", "driver",
      "media", "video", "coded formats", "CREATE_BUFS", "REMOVE_BUFS",
      "max CAPTURE");

  nodes = gst_v4l2_elastic_media_find_decoders ();
  for (l = nodes; l; l = l->next) {
    GstV4l2ElasticDecoderNode *node = l->data;
    GstV4l2ElasticDecoderCaps *caps;
    gchar *formats, *max;

    caps = gst_v4l2_elastic_probe_decoder (node->video_path, &error);
    if (!caps) {
      g_printerr ("%s: %s\n", node->video_path, error->message);
      g_clear_error (&error);
      continue;
    }
    if (!caps->stateless) {
      gst_v4l2_elastic_decoder_caps_free (caps);
      continue;
    }

    formats = format_list (caps->coded_formats);
    max = caps->capture.max_num_buffers
        ? g_strdup_printf ("%u", caps->capture.max_num_buffers)
        : g_strdup ("not reported");
    g_print ("%-24s %-8s %-12s %-12s %-24s %-11s %-11s %s\n", node->entity_name,
        node->driver, node->media_path, node->video_path, formats,
        yes_no (caps->capture.create_bufs), yes_no (caps->capture.remove_bufs),
        max);
    g_free (formats);
    g_free (max);
    gst_v4l2_elastic_decoder_caps_free (caps);
    found++;
  }
  gst_v4l2_elastic_decoder_node_list_free (nodes);

  g_print ("%d stateless decoder(s)\n", found);
  if (found < min_decoders) {
    g_printerr ("expected at least %d stateless decoder(s), found %d\n",
        min_decoders, found);
    return 1;
  }
  return 0;
}
