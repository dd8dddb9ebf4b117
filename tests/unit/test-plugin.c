/* gst-v4l2-elastic
 *
 * The plugin loads from the build tree, and registers a decoder element
 * only where a stateless decoder exists: none on a machine without one.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <gst/check/gstcheck.h>

#include "gstv4l2media.h"
#include "gstv4l2probe.h"

static guint
count_stateless_decoders (void)
{
  GList *nodes = gst_v4l2_elastic_media_find_decoders (), *l;
  guint n = 0;

  for (l = nodes; l; l = l->next) {
    GstV4l2ElasticDecoderNode *node = l->data;
    GstV4l2ElasticDecoderCaps *caps =
        gst_v4l2_elastic_probe_decoder (node->video_path, NULL);

    if (caps && caps->stateless)
      n++;
    gst_v4l2_elastic_decoder_caps_free (caps);
  }
  gst_v4l2_elastic_decoder_node_list_free (nodes);
  return n;
}

GST_START_TEST (test_plugin_loads)
{
  GstPlugin *plugin =
      gst_registry_find_plugin (gst_registry_get (), "v4l2elastic");
  GList *features;

  fail_unless (plugin != NULL, "v4l2elastic not found on GST_PLUGIN_PATH");
  fail_unless_equals_string (
      gst_plugin_get_source (plugin), "gst-v4l2-elastic");
  plugin = gst_plugin_load (plugin);
  fail_unless (plugin != NULL);
  fail_unless (gst_plugin_is_loaded (plugin));

  features = gst_registry_get_feature_list_by_plugin (
      gst_registry_get (), "v4l2elastic");
  if (count_stateless_decoders () == 0)
    fail_unless_equals_int (g_list_length (features), 0);
  gst_plugin_feature_list_free (features);
  gst_object_unref (plugin);
}
GST_END_TEST;

static Suite *
plugin_suite (void)
{
  Suite *s = suite_create ("v4l2elastic-plugin");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_plugin_loads);
  return s;
}

GST_CHECK_MAIN (plugin);
