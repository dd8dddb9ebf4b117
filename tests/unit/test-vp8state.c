/* gst-v4l2-elastic
 *
 * VP8 codec state on hand-made frame headers: key frames fill every slot,
 * refresh and copy flags (copies before refreshes, altref before golden),
 * sign bias, key frame size changes, and pictures freed when no slot
 * names them.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include <gst/gst.h>

#include "gstvp8state.h"

static GList *freed;

static void
record_free (gpointer picture)
{
  freed = g_list_append (freed, picture);
}

static void
key_hdr (GstVp8FrameHdr *h, guint w, guint ht)
{
  memset (h, 0, sizeof (*h));
  h->key_frame = 1;
  h->show_frame = 1;
  h->width = w;
  h->height = ht;
  h->refresh_last = 1;
}

static void
inter_hdr (GstVp8FrameHdr *h, gboolean last, gboolean golden, gboolean alt,
    guint copy_golden, guint copy_alt)
{
  memset (h, 0, sizeof (*h));
  h->show_frame = 1;
  h->refresh_last = last;
  h->refresh_golden_frame = golden;
  h->refresh_alternate_frame = alt;
  h->copy_buffer_to_golden = copy_golden;
  h->copy_buffer_to_alternate = copy_alt;
}

#define PIC(n) GUINT_TO_POINTER (n)

static void
decode (GstV4l2ElasticVp8State *s, const GstVp8FrameHdr *h, guint n,
    GstV4l2ElasticVp8FramePlan *plan)
{
  g_assert_cmpint (gst_v4l2_elastic_vp8_state_begin_frame (s, h, plan), ==,
      GST_V4L2_ELASTIC_VP8_DECODE);
  gst_v4l2_elastic_vp8_state_end_frame (s, h, PIC (n), n * 1000);
}

static void
check_slots (GstV4l2ElasticVp8State *s, guint last, guint golden, guint alt)
{
  g_assert_cmpuint (
      gst_v4l2_elastic_vp8_state_slot_id (s, GST_V4L2_ELASTIC_VP8_REF_LAST), ==,
      last * 1000);
  g_assert_cmpuint (
      gst_v4l2_elastic_vp8_state_slot_id (s, GST_V4L2_ELASTIC_VP8_REF_GOLDEN),
      ==, golden * 1000);
  g_assert_cmpuint (
      gst_v4l2_elastic_vp8_state_slot_id (s, GST_V4L2_ELASTIC_VP8_REF_ALTREF),
      ==, alt * 1000);
}

static void
test_refresh_and_copy (void)
{
  GstV4l2ElasticVp8State s;
  GstVp8FrameHdr h;
  GstV4l2ElasticVp8FramePlan plan;

  gst_v4l2_elastic_vp8_state_init (&s, record_free);

  /* Inter before key: dropped, nothing kept. */
  inter_hdr (&h, 1, 0, 0, 0, 0);
  g_assert_cmpint (gst_v4l2_elastic_vp8_state_begin_frame (&s, &h, &plan), ==,
      GST_V4L2_ELASTIC_VP8_DROP);

  key_hdr (&h, 176, 144);
  decode (&s, &h, 1, &plan);
  g_assert_true (plan.new_sequence);
  g_assert_cmpuint (plan.width, ==, 176);
  check_slots (&s, 1, 1, 1);
  g_assert_cmpuint (gst_v4l2_elastic_vp8_state_distinct_pictures (&s), ==, 1);

  /* Plain inter frame: predicts from 1, replaces last only. */
  inter_hdr (&h, 1, 0, 0, 0, 0);
  decode (&s, &h, 2, &plan);
  g_assert_false (plan.new_sequence);
  g_assert_cmpuint (plan.width, ==, 176);
  g_assert_cmpuint (plan.ref_id[GST_V4L2_ELASTIC_VP8_REF_LAST], ==, 1000);
  g_assert_cmpuint (plan.ref_id[GST_V4L2_ELASTIC_VP8_REF_GOLDEN], ==, 1000);
  check_slots (&s, 2, 1, 1);
  g_assert_null (freed);

  /* Hidden alt-ref: refreshes altref only; picture 1 still golden. */
  inter_hdr (&h, 0, 0, 1, 0, 0);
  h.show_frame = 0;
  decode (&s, &h, 3, &plan);
  check_slots (&s, 2, 1, 3);

  /* Golden refreshed, and last copied to altref from the OLD last. */
  inter_hdr (&h, 1, 1, 0, 0, 1);
  h.sign_bias_alternate = 1;
  decode (&s, &h, 4, &plan);
  g_assert_true (plan.sign_bias_altref);
  g_assert_false (plan.sign_bias_golden);
  check_slots (&s, 4, 4, 2);
  /* 1 (golden before) and 3 (altref before) are named by nothing now. */
  g_assert_cmpuint (g_list_length (freed), ==, 2);
  g_assert_nonnull (g_list_find (freed, PIC (1)));
  g_assert_nonnull (g_list_find (freed, PIC (3)));
  g_assert_cmpuint (gst_v4l2_elastic_vp8_state_distinct_pictures (&s), ==, 2);

  /* copy golden->altref (2) and altref->golden (2) in one frame: altref
   * first, so golden takes the new altref, which is the old golden. */
  inter_hdr (&h, 1, 0, 0, 2, 2);
  decode (&s, &h, 5, &plan);
  check_slots (&s, 5, 4, 4);
  g_assert_nonnull (g_list_find (freed, PIC (2)));

  /* last -> golden copy, no refresh of last: the new frame is kept by no
   * slot and freed at once. */
  inter_hdr (&h, 0, 0, 0, 1, 0);
  decode (&s, &h, 6, &plan);
  check_slots (&s, 5, 5, 4);
  g_assert_nonnull (g_list_find (freed, PIC (6)));

  /* Sign bias is per frame: a key frame has none. */
  key_hdr (&h, 176, 144);
  decode (&s, &h, 7, &plan);
  g_assert_false (plan.new_sequence);
  g_assert_false (plan.sign_bias_altref);
  check_slots (&s, 7, 7, 7);
  g_assert_nonnull (g_list_find (freed, PIC (5)));
  g_assert_nonnull (g_list_find (freed, PIC (4)));

  /* Key frame of another size: a new sequence. */
  key_hdr (&h, 320, 240);
  decode (&s, &h, 8, &plan);
  g_assert_true (plan.new_sequence);
  inter_hdr (&h, 1, 0, 0, 0, 0);
  decode (&s, &h, 9, &plan);
  g_assert_cmpuint (plan.width, ==, 320);
  g_assert_cmpuint (plan.height, ==, 240);

  /* Reset frees everything, once. */
  gst_v4l2_elastic_vp8_state_reset (&s);
  g_assert_cmpuint (g_list_length (freed), ==, 9);
  inter_hdr (&h, 1, 0, 0, 0, 0);
  g_assert_cmpint (gst_v4l2_elastic_vp8_state_begin_frame (&s, &h, &plan), ==,
      GST_V4L2_ELASTIC_VP8_DROP);
  g_clear_pointer (&freed, g_list_free);
}

/* A key frame of width or height 0 (14-bit fields: the one value out of
 * range) is dropped and the references are forgotten: the inter frames
 * after it would predict from what it should have replaced
 * (tests/fuzz/regressions/vp8/key-width-0.ivf as a stream). */
static void
test_key_frame_size_0 (void)
{
  GstV4l2ElasticVp8State s;
  GstVp8FrameHdr h;
  GstV4l2ElasticVp8FramePlan plan;

  gst_v4l2_elastic_vp8_state_init (&s, record_free);
  key_hdr (&h, 176, 144);
  decode (&s, &h, 1, &plan);
  inter_hdr (&h, 1, 0, 0, 0, 0);
  decode (&s, &h, 2, &plan);

  key_hdr (&h, 0, 144);
  g_assert_cmpint (gst_v4l2_elastic_vp8_state_begin_frame (&s, &h, &plan), ==,
      GST_V4L2_ELASTIC_VP8_DROP);
  g_assert_cmpuint (gst_v4l2_elastic_vp8_state_distinct_pictures (&s), ==, 0);
  g_assert_nonnull (g_list_find (freed, PIC (1)));
  g_assert_nonnull (g_list_find (freed, PIC (2)));
  key_hdr (&h, 176, 0);
  g_assert_cmpint (gst_v4l2_elastic_vp8_state_begin_frame (&s, &h, &plan), ==,
      GST_V4L2_ELASTIC_VP8_DROP);
  inter_hdr (&h, 1, 0, 0, 0, 0);
  g_assert_cmpint (gst_v4l2_elastic_vp8_state_begin_frame (&s, &h, &plan), ==,
      GST_V4L2_ELASTIC_VP8_DROP);

  /* The next valid key frame starts a new sequence. */
  key_hdr (&h, 176, 144);
  decode (&s, &h, 3, &plan);
  g_assert_true (plan.new_sequence);
  gst_v4l2_elastic_vp8_state_reset (&s);
  g_list_free (freed);
  freed = NULL;
}

/* The layout the frame control describes must lie inside the frame
 * (tests/fuzz/regressions/vp8/header-beyond-first-partition.ivf: a
 * header of 3221225515 bits in a first partition of 0 bytes, as
 * GstVp8Parser 1.22 reported it). */
static void
test_frame_layout (void)
{
  GstVp8FrameHdr h;
  guint i;

  key_hdr (&h, 176, 144);
  h.first_part_size = 32;
  h.header_size = 200;
  h.partition_size[0] = 100;
  g_assert_true (gst_v4l2_elastic_vp8_frame_layout_valid (&h, 142));
  g_assert_false (gst_v4l2_elastic_vp8_frame_layout_valid (&h, 141));
  /* The header the parser read ends behind the first partition. */
  h.header_size = 32 * 8 + 1;
  g_assert_false (gst_v4l2_elastic_vp8_frame_layout_valid (&h, 1000));
  h.first_part_size = 0;
  h.header_size = 3221225515u;
  g_assert_false (gst_v4l2_elastic_vp8_frame_layout_valid (&h, 1000));

  /* Inter frame, 8 DCT partitions: 3 + 40 + 7 * 3 + 8 * 10 = 144. */
  inter_hdr (&h, 1, 0, 0, 0, 0);
  h.first_part_size = 40;
  h.header_size = 100;
  h.log2_nbr_of_dct_partitions = 3;
  for (i = 0; i < 8; i++)
    h.partition_size[i] = 10;
  g_assert_true (gst_v4l2_elastic_vp8_frame_layout_valid (&h, 144));
  g_assert_false (gst_v4l2_elastic_vp8_frame_layout_valid (&h, 143));
  h.partition_size[7] = G_MAXUINT;
  g_assert_false (gst_v4l2_elastic_vp8_frame_layout_valid (&h, 1u << 30));
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/vp8state/refresh-and-copy", test_refresh_and_copy);
  g_test_add_func ("/vp8state/key-frame-size-0", test_key_frame_size_0);
  g_test_add_func ("/vp8state/frame-layout", test_frame_layout);
  return g_test_run ();
}
