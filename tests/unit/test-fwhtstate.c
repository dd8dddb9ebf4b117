/* gst-v4l2-elastic
 *
 * FWHT codec state on hand-made headers: parsing, resynchronisation, and
 * which frames decode with which reference.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include <gst/gst.h>

#include "gstfwhtstate.h"

static guint freed;

static void
count_free (gpointer picture)
{
  freed++;
}

static void
make_header (
    guint8 *h, guint32 width, guint32 height, guint32 flags, guint32 payload)
{
  memset (h, 0, GST_V4L2_ELASTIC_FWHT_HEADER_SIZE);
  GST_WRITE_UINT32_BE (h, 0x4f4f4f4f);
  GST_WRITE_UINT32_BE (h + 4, 0xffffffff);
  GST_WRITE_UINT32_BE (h + 8, 3);
  GST_WRITE_UINT32_BE (h + 12, width);
  GST_WRITE_UINT32_BE (h + 16, height);
  GST_WRITE_UINT32_BE (h + 20, flags);
  GST_WRITE_UINT32_BE (h + 40, payload);
}

/* YUV 4:2:0, 3 components, as vicodec's encoder writes it. */
#define YUV420                                                                 \
  ((2u << GST_V4L2_ELASTIC_FWHT_FLAG_COMPONENTS_SHIFT) |                       \
      (GST_V4L2_ELASTIC_FWHT_PIXENC_YUV                                        \
          << GST_V4L2_ELASTIC_FWHT_FLAG_PIXENC_SHIFT))

static void
test_parse (void)
{
  guint8 h[GST_V4L2_ELASTIC_FWHT_HEADER_SIZE + 8];
  GstV4l2ElasticFwhtFrameHeader hdr;

  make_header (h, 640, 480, YUV420 | GST_V4L2_ELASTIC_FWHT_FLAG_I_FRAME, 1234);
  g_assert_cmpint (gst_v4l2_elastic_fwht_parse_header (h, sizeof (h), &hdr), ==,
      GST_V4L2_ELASTIC_FWHT_PARSE_OK);
  g_assert_cmpuint (hdr.width, ==, 640);
  g_assert_cmpuint (hdr.height, ==, 480);
  g_assert_cmpuint (hdr.payload_size, ==, 1234);
  g_assert_cmpuint (gst_v4l2_elastic_fwht_header_components (&hdr), ==, 3);
  g_assert_cmpint (gst_v4l2_elastic_fwht_header_pixenc (&hdr), ==,
      GST_V4L2_ELASTIC_FWHT_PIXENC_YUV);
  g_assert_true (gst_v4l2_elastic_fwht_header_is_intra (&hdr));

  /* Too short: more data may complete it. */
  g_assert_cmpint (gst_v4l2_elastic_fwht_parse_header (h, 20, &hdr), ==,
      GST_V4L2_ELASTIC_FWHT_PARSE_NEED_MORE);
  /* Version 0, zero size, absurd payload: not a header. */
  GST_WRITE_UINT32_BE (h + 8, 0);
  g_assert_cmpint (gst_v4l2_elastic_fwht_parse_header (h, sizeof (h), &hdr), ==,
      GST_V4L2_ELASTIC_FWHT_PARSE_INVALID);
  make_header (h, 0, 480, YUV420, 10);
  g_assert_cmpint (gst_v4l2_elastic_fwht_parse_header (h, sizeof (h), &hdr), ==,
      GST_V4L2_ELASTIC_FWHT_PARSE_INVALID);
  make_header (h, 640, 480, YUV420, 0x7fffffff);
  g_assert_cmpint (gst_v4l2_elastic_fwht_parse_header (h, sizeof (h), &hdr), ==,
      GST_V4L2_ELASTIC_FWHT_PARSE_INVALID);
  /* Bad magic, even when short. */
  make_header (h, 640, 480, YUV420, 10);
  h[2] = 0;
  g_assert_cmpint (gst_v4l2_elastic_fwht_parse_header (h, 12, &hdr), ==,
      GST_V4L2_ELASTIC_FWHT_PARSE_INVALID);
}

static void
test_find_sync (void)
{
  guint8 buf[100] = { 0 };

  make_header (buf + 37, 640, 480, YUV420, 0);
  g_assert_cmpint (gst_v4l2_elastic_fwht_find_sync (buf, sizeof (buf)), ==, 37);
  g_assert_cmpint (gst_v4l2_elastic_fwht_find_sync (buf, 37 + 7), ==, -1);
  g_assert_cmpint (gst_v4l2_elastic_fwht_find_sync (buf, 20), ==, -1);
}

static void
test_references (void)
{
  guint8 h[GST_V4L2_ELASTIC_FWHT_HEADER_SIZE];
  GstV4l2ElasticFwhtFrameHeader intra, inter, other;
  GstV4l2ElasticFwhtFramePlan plan;
  GstV4l2ElasticFwhtState state;
  gint pic1, pic2, pic3;

  make_header (h, 640, 480, YUV420 | GST_V4L2_ELASTIC_FWHT_FLAG_I_FRAME, 0);
  gst_v4l2_elastic_fwht_parse_header (h, sizeof (h), &intra);
  make_header (h, 640, 480, YUV420, 0);
  gst_v4l2_elastic_fwht_parse_header (h, sizeof (h), &inter);
  make_header (h, 1280, 720, YUV420 | GST_V4L2_ELASTIC_FWHT_FLAG_I_FRAME, 0);
  gst_v4l2_elastic_fwht_parse_header (h, sizeof (h), &other);

  freed = 0;
  gst_v4l2_elastic_fwht_state_init (&state, count_free);
  g_assert_cmpuint (gst_v4l2_elastic_fwht_state_references (&state), ==, 1);

  /* An inter frame first: nothing to predict from. */
  g_assert_cmpint (
      gst_v4l2_elastic_fwht_state_begin_frame (&state, &inter, &plan), ==,
      GST_V4L2_ELASTIC_FWHT_DROP);

  /* The first intra frame starts a sequence. */
  g_assert_cmpint (
      gst_v4l2_elastic_fwht_state_begin_frame (&state, &intra, &plan), ==,
      GST_V4L2_ELASTIC_FWHT_DECODE);
  g_assert_true (plan.new_sequence && plan.intra && !plan.has_reference);
  gst_v4l2_elastic_fwht_state_end_frame (&state, &pic1, 1000);

  /* An inter frame predicts from the previous picture. */
  g_assert_cmpint (
      gst_v4l2_elastic_fwht_state_begin_frame (&state, &inter, &plan), ==,
      GST_V4L2_ELASTIC_FWHT_DECODE);
  g_assert_true (!plan.new_sequence && plan.has_reference);
  g_assert_cmpuint (plan.reference_id, ==, 1000);
  gst_v4l2_elastic_fwht_state_end_frame (&state, &pic2, 2000);
  g_assert_cmpuint (freed, ==, 1);

  /* Another intra frame of the same size: no new sequence. */
  g_assert_cmpint (
      gst_v4l2_elastic_fwht_state_begin_frame (&state, &intra, &plan), ==,
      GST_V4L2_ELASTIC_FWHT_DECODE);
  g_assert_false (plan.new_sequence);
  g_assert_cmpuint (freed, ==, 1);

  /* A new size at an intra frame: new sequence, the old reference goes at
   * once (nothing predicts across it). */
  g_assert_cmpint (
      gst_v4l2_elastic_fwht_state_begin_frame (&state, &other, &plan), ==,
      GST_V4L2_ELASTIC_FWHT_DECODE);
  g_assert_true (plan.new_sequence);
  g_assert_cmpuint (freed, ==, 2);
  gst_v4l2_elastic_fwht_state_end_frame (&state, &pic3, 3000);

  /* An inter frame of the old size cannot use the new reference. */
  g_assert_cmpint (
      gst_v4l2_elastic_fwht_state_begin_frame (&state, &inter, &plan), ==,
      GST_V4L2_ELASTIC_FWHT_DROP);

  gst_v4l2_elastic_fwht_state_reset (&state);
  g_assert_cmpuint (freed, ==, 3);
  g_assert_cmpint (
      gst_v4l2_elastic_fwht_state_begin_frame (&state, &intra, &plan), ==,
      GST_V4L2_ELASTIC_FWHT_DECODE);
  g_assert_true (plan.new_sequence);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/fwht/parse", test_parse);
  g_test_add_func ("/fwht/find-sync", test_find_sync);
  g_test_add_func ("/fwht/references", test_references);
  return g_test_run ();
}
