/* gst-v4l2-elastic
 *
 * The avcC reader and the length-prefixed to Annex-B converter
 * (gsth264avc): records and access units as mp4mux and matroskamux write
 * them, every NAL length size, and malformed input refused without
 * reading past the end (run under valgrind or ASan to be sure).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <gst/check/gstcheck.h>

#include "gsth264avc.h"

/* A Baseline SPS and a PPS as x264enc writes them for 320x240. */
static const guint8 sps[] = { 0x67, 0x42, 0xc0, 0x0d, 0xd9, 0x01, 0x41, 0xfb,
  0x01, 0x10, 0x00, 0x00, 0x03, 0x00, 0x10, 0x00, 0x00, 0x03, 0x03, 0xc0, 0xf1,
  0x42, 0xa4, 0x80 };
static const guint8 pps[] = { 0x68, 0xcb, 0x83, 0xcb, 0x20 };

static GByteArray *
make_avcc (guint length_size, guint n_sps, guint n_pps)
{
  GByteArray *a = g_byte_array_new ();
  guint8 head[5] = { 1, 0x42, 0xc0, 0x0d, 0xfc | (length_size - 1) };
  guint8 b;
  guint i;

  g_byte_array_append (a, head, 5);
  b = 0xe0 | n_sps;
  g_byte_array_append (a, &b, 1);
  for (i = 0; i < n_sps; i++) {
    guint8 len[2] = { 0, sizeof (sps) };
    g_byte_array_append (a, len, 2);
    g_byte_array_append (a, sps, sizeof (sps));
  }
  b = n_pps;
  g_byte_array_append (a, &b, 1);
  for (i = 0; i < n_pps; i++) {
    guint8 len[2] = { 0, sizeof (pps) };
    g_byte_array_append (a, len, 2);
    g_byte_array_append (a, pps, sizeof (pps));
  }
  return a;
}

/* Appends one NAL unit behind a big-endian length of @ls bytes. */
static void
append_prefixed (GByteArray *a, guint ls, const guint8 *nal, gsize size)
{
  guint8 len[4];
  guint i;

  for (i = 0; i < ls; i++)
    len[i] = (size >> (8 * (ls - 1 - i))) & 0xff;
  g_byte_array_append (a, len, ls);
  g_byte_array_append (a, nal, size);
}

GST_START_TEST (test_avcc_parameter_sets)
{
  static const guint sizes[] = { 1, 2, 4 };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (sizes); i++) {
    GByteArray *avcc = make_avcc (sizes[i], 1, 1);
    GByteArray *ps = g_byte_array_new ();
    GstV4l2ElasticH264AvcConfig config;
    GError *error = NULL;

    fail_unless (gst_v4l2_elastic_h264_avcc_parse (
        avcc->data, avcc->len, &config, ps, &error));
    fail_unless (error == NULL);
    fail_unless_equals_int (config.nal_length_size, sizes[i]);
    fail_unless_equals_int (config.profile_idc, 0x42);
    fail_unless_equals_int (config.level_idc, 0x0d);
    fail_unless_equals_int (config.n_sps, 1);
    fail_unless_equals_int (config.n_pps, 1);
    fail_unless_equals_int (ps->len, 3 + sizeof (sps) + 3 + sizeof (pps));
    fail_unless (memcmp (ps->data, "\0\0\1", 3) == 0);
    fail_unless (memcmp (ps->data + 3, sps, sizeof (sps)) == 0);
    fail_unless (memcmp (ps->data + 3 + sizeof (sps), "\0\0\1", 3) == 0);
    fail_unless (memcmp (ps->data + 6 + sizeof (sps), pps, sizeof (pps)) == 0);
    g_byte_array_unref (ps);
    g_byte_array_unref (avcc);
  }
}
GST_END_TEST;

/* avc3 records may carry no parameter set at all; several are kept in
 * order; the High profile extension after the PPS list is ignored. */
GST_START_TEST (test_avcc_counts)
{
  GByteArray *avcc = make_avcc (4, 0, 0), *ps = g_byte_array_new ();
  GstV4l2ElasticH264AvcConfig config;
  static const guint8 ext[4] = { 0xfd, 0xf8, 0xf8, 0x00 };

  fail_unless (gst_v4l2_elastic_h264_avcc_parse (
      avcc->data, avcc->len, &config, ps, NULL));
  fail_unless_equals_int (config.n_sps + config.n_pps, 0);
  fail_unless_equals_int (ps->len, 0);
  g_byte_array_unref (avcc);

  avcc = make_avcc (4, 2, 3);
  g_byte_array_append (avcc, ext, sizeof (ext));
  fail_unless (gst_v4l2_elastic_h264_avcc_parse (
      avcc->data, avcc->len, &config, ps, NULL));
  fail_unless_equals_int (config.n_sps, 2);
  fail_unless_equals_int (config.n_pps, 3);
  fail_unless_equals_int (
      ps->len, 2 * (3 + sizeof (sps)) + 3 * (3 + sizeof (pps)));
  /* NULL output: only the record is read. */
  fail_unless (gst_v4l2_elastic_h264_avcc_parse (
      avcc->data, avcc->len, &config, NULL, NULL));
  g_byte_array_unref (ps);
  g_byte_array_unref (avcc);
}
GST_END_TEST;

GST_START_TEST (test_avcc_malformed)
{
  GByteArray *avcc = make_avcc (4, 1, 1), *ps = g_byte_array_new ();
  GstV4l2ElasticH264AvcConfig config;
  GError *error = NULL;
  guint8 *copy;
  guint cut;

  /* Every truncation is refused and leaves the output as it was. */
  g_byte_array_append (ps, (const guint8 *) "x", 1);
  for (cut = 0; cut < avcc->len; cut++) {
    copy = g_memdup2 (avcc->data, cut);
    fail_if (gst_v4l2_elastic_h264_avcc_parse (copy, cut, &config, ps, &error),
        "a record cut at %u bytes was accepted", cut);
    fail_unless (error != NULL);
    g_clear_error (&error);
    fail_unless_equals_int (ps->len, 1);
    g_free (copy);
  }
  fail_if (gst_v4l2_elastic_h264_avcc_parse (NULL, 0, &config, ps, NULL));

  /* Version 0, length size 3, an SPS that is a PPS, a zero length. */
  avcc->data[0] = 0;
  fail_if (gst_v4l2_elastic_h264_avcc_parse (
      avcc->data, avcc->len, &config, ps, NULL));
  avcc->data[0] = 1;
  avcc->data[4] = 0xfe;
  fail_if (gst_v4l2_elastic_h264_avcc_parse (
      avcc->data, avcc->len, &config, ps, &error));
  fail_unless (strstr (error->message, "size 3") != NULL);
  g_clear_error (&error);
  avcc->data[4] = 0xff;
  avcc->data[8] = 0x68;
  fail_if (gst_v4l2_elastic_h264_avcc_parse (
      avcc->data, avcc->len, &config, ps, NULL));
  avcc->data[8] = 0x67;
  avcc->data[7] = 0;
  fail_if (gst_v4l2_elastic_h264_avcc_parse (
      avcc->data, avcc->len, &config, ps, NULL));
  avcc->data[7] = sizeof (sps);
  fail_unless (gst_v4l2_elastic_h264_avcc_parse (
      avcc->data, avcc->len, &config, ps, NULL));
  g_byte_array_unref (ps);
  g_byte_array_unref (avcc);
}
GST_END_TEST;

GST_START_TEST (test_avc_to_annexb)
{
  static const guint8 idr[] = { 0x65, 0x88, 0x84, 0x00, 0x00, 0x03, 0x01,
    0xff };
  static const guint sizes[] = { 1, 2, 4 };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (sizes); i++) {
    GByteArray *in = g_byte_array_new (), *out = g_byte_array_new ();
    GByteArray *want = g_byte_array_new ();

    append_prefixed (in, sizes[i], sps, sizeof (sps));
    append_prefixed (in, sizes[i], pps, sizeof (pps));
    append_prefixed (in, sizes[i], idr, sizeof (idr));
    g_byte_array_append (want, (const guint8 *) "\0\0\1", 3);
    g_byte_array_append (want, sps, sizeof (sps));
    g_byte_array_append (want, (const guint8 *) "\0\0\1", 3);
    g_byte_array_append (want, pps, sizeof (pps));
    g_byte_array_append (want, (const guint8 *) "\0\0\1", 3);
    g_byte_array_append (want, idr, sizeof (idr));
    fail_unless (gst_v4l2_elastic_h264_avc_to_annexb (
        in->data, in->len, sizes[i], out, NULL));
    fail_unless_equals_int (out->len, want->len);
    fail_unless (memcmp (out->data, want->data, want->len) == 0);
    /* An empty access unit is nothing, not an error. */
    fail_unless (
        gst_v4l2_elastic_h264_avc_to_annexb (in->data, 0, sizes[i], out, NULL));
    fail_unless_equals_int (out->len, want->len);
    g_byte_array_unref (in);
    g_byte_array_unref (out);
    g_byte_array_unref (want);
  }
}
GST_END_TEST;

/* A NAL unit of 256 bytes and more needs every byte of a 2- and 4-byte
 * length; 1-byte lengths cannot say it. */
GST_START_TEST (test_avc_long_nal)
{
  GByteArray *in = g_byte_array_new (), *out = g_byte_array_new ();
  guint8 *nal = g_malloc0 (70000);

  nal[0] = 0x41;
  memset (nal + 1, 0x5a, 70000 - 1);
  append_prefixed (in, 4, nal, 70000);
  fail_unless (
      gst_v4l2_elastic_h264_avc_to_annexb (in->data, in->len, 4, out, NULL));
  fail_unless_equals_int (out->len, 3 + 70000);
  fail_unless (memcmp (out->data + 3, nal, 70000) == 0);
  g_byte_array_set_size (in, 0);
  g_byte_array_set_size (out, 0);
  append_prefixed (in, 2, nal, 300);
  fail_unless (
      gst_v4l2_elastic_h264_avc_to_annexb (in->data, in->len, 2, out, NULL));
  fail_unless_equals_int (out->len, 303);
  g_free (nal);
  g_byte_array_unref (in);
  g_byte_array_unref (out);
}
GST_END_TEST;

GST_START_TEST (test_avc_malformed)
{
  static const guint8 idr[] = { 0x65, 0x88, 0x84, 0x00 };
  GByteArray *in = g_byte_array_new (), *out = g_byte_array_new ();
  GError *error = NULL;
  guint cut;

  append_prefixed (in, 4, pps, sizeof (pps));
  append_prefixed (in, 4, idr, sizeof (idr));
  g_byte_array_append (out, (const guint8 *) "keep", 4);
  /* Cut anywhere but between NAL units: refused, output untouched. */
  for (cut = 1; cut < in->len; cut++) {
    guint8 *copy;

    if (cut == 4 + sizeof (pps))
      continue;
    copy = g_memdup2 (in->data, cut);
    fail_if (gst_v4l2_elastic_h264_avc_to_annexb (copy, cut, 4, out, &error),
        "an access unit cut at %u bytes was accepted", cut);
    fail_unless (error != NULL);
    g_clear_error (&error);
    fail_unless_equals_int (out->len, 4);
    g_free (copy);
  }
  /* A zero length, a length size of 3 or 0. */
  in->data[3] = 0;
  fail_if (
      gst_v4l2_elastic_h264_avc_to_annexb (in->data, in->len, 4, out, NULL));
  fail_if (
      gst_v4l2_elastic_h264_avc_to_annexb (in->data, in->len, 3, out, NULL));
  fail_if (
      gst_v4l2_elastic_h264_avc_to_annexb (in->data, in->len, 0, out, NULL));
  fail_unless_equals_int (out->len, 4);
  /* A length of 2^32 - 1 does not wrap around. */
  memset (in->data, 0xff, 4);
  fail_if (
      gst_v4l2_elastic_h264_avc_to_annexb (in->data, in->len, 4, out, NULL));
  g_byte_array_unref (in);
  g_byte_array_unref (out);
}
GST_END_TEST;

static Suite *
h264avc_suite (void)
{
  Suite *s = suite_create ("v4l2elastic-h264avc");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_avcc_parameter_sets);
  tcase_add_test (tc, test_avcc_counts);
  tcase_add_test (tc, test_avcc_malformed);
  tcase_add_test (tc, test_avc_to_annexb);
  tcase_add_test (tc, test_avc_long_nal);
  tcase_add_test (tc, test_avc_malformed);
  return s;
}

GST_CHECK_MAIN (h264avc);
