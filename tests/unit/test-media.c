/* gst-v4l2-elastic
 *
 * Media-controller discovery must fail cleanly (an error, no crash, no fd
 * left open) on paths that are not media devices, and find nothing on a
 * machine without decoders.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <dirent.h>
#include <gst/gst.h>

#include "gstv4l2media.h"
#include "gstv4l2probe.h"

static guint
count_fds (void)
{
  GDir *dir = g_dir_open ("/proc/self/fd", 0, NULL);
  guint n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir))
    n++;
  g_dir_close (dir);
  return n;
}

static void
test_missing_node (void)
{
  GError *error = NULL;
  guint fds = count_fds ();
  GList *nodes;

  nodes = gst_v4l2_elastic_media_find_decoders_in (
      "/dev/media-does-not-exist", &error);
  g_assert_null (nodes);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "media-does-not-exist"));
  g_clear_error (&error);
  g_assert_cmpuint (count_fds (), ==, fds);
}

static void
test_not_a_media_device (void)
{
  GError *error = NULL;
  guint fds = count_fds ();
  GList *nodes;

  /* /dev/null opens fine but answers no media ioctl. */
  nodes = gst_v4l2_elastic_media_find_decoders_in ("/dev/null", &error);
  g_assert_null (nodes);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "MEDIA_IOC_DEVICE_INFO"));
  g_clear_error (&error);
  g_assert_cmpuint (count_fds (), ==, fds);
}

static void
test_probe_not_a_video_device (void)
{
  GError *error = NULL;
  guint fds = count_fds ();

  g_assert_null (gst_v4l2_elastic_probe_decoder ("/dev/null", &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "VIDIOC_QUERYCAP"));
  g_clear_error (&error);
  g_assert_null (
      gst_v4l2_elastic_probe_decoder ("/dev/video-does-not-exist", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_cmpuint (count_fds (), ==, fds);
}

static void
test_enumeration_matches_sysfs (void)
{
  GList *nodes = gst_v4l2_elastic_media_find_decoders ();
  GList *l;

  /* Whatever is found is complete; where there is no media device at all
   * (the build machine), nothing can be found. */
  for (l = nodes; l; l = l->next) {
    GstV4l2ElasticDecoderNode *node = l->data;

    g_assert_true (g_str_has_prefix (node->media_path, "/dev/media"));
    g_assert_true (g_str_has_prefix (node->video_path, "/dev/video"));
    g_assert_nonnull (node->driver);
  }
  if (!g_file_test ("/sys/bus/media", G_FILE_TEST_IS_DIR) ||
      !g_file_test ("/dev/media0", G_FILE_TEST_EXISTS))
    g_assert_null (nodes);
  gst_v4l2_elastic_decoder_node_list_free (nodes);
}

static void
test_fourcc_to_string (void)
{
  gchar *s = gst_v4l2_elastic_fourcc_to_string (0x48574653); /* "SFWH" */

  g_assert_cmpstr (s, ==, "SFWH");
  g_free (s);
  s = gst_v4l2_elastic_fourcc_to_string (0x20203456); /* "V4" + two spaces */
  g_assert_cmpstr (s, ==, "V4");
  g_free (s);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/media/missing-node", test_missing_node);
  g_test_add_func ("/media/not-a-media-device", test_not_a_media_device);
  g_test_add_func ("/probe/not-a-video-device", test_probe_not_a_video_device);
  g_test_add_func ("/media/enumeration", test_enumeration_matches_sysfs);
  g_test_add_func ("/probe/fourcc-to-string", test_fourcc_to_string);
  return g_test_run ();
}
