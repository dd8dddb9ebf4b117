/* gst-v4l2-elastic
 *
 * VP9 codec state on hand-made headers: superframe split (Annex B),
 * refresh_frame_flags, show_existing_frame (also parsed from a hand-made
 * one-byte frame by GstVp9Parser), intra-only frames, persistent loop
 * filter deltas and segmentation, and inter frames of another size.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gst/gst.h>

#include "gstvp9state.h"

static guint n_freed;

static void
count_free (gpointer picture)
{
  n_freed++;
}

#define PIC(n) GUINT_TO_POINTER (n)

static void
test_superframe (void)
{
  GstV4l2ElasticVp9Frames f;
  /* Two frames of 3 and 2 bytes, 1 byte per size: marker 0b11000001. */
  static const guint8 sf[] = { 1, 2, 3, 4, 5, 0xc1, 3, 2, 0xc1 };
  /* Two frames, 2 bytes per size (0b11001001): 0x0102 would not fit. */
  static const guint8 bad[] = { 1, 2, 3, 0xc9, 0x02, 0x01, 0x01, 0x00, 0xc9 };
  /* The last byte looks like a marker, the first index byte does not. */
  static const guint8 plain[] = { 0x82, 0x49, 0x83, 0x42, 0xc1 };
  /* Three frames, the middle one empty. */
  static const guint8 holey[] = { 7, 8, 9, 0xc2, 1, 0, 2, 0xc2 };

  g_assert_true (gst_v4l2_elastic_vp9_split_superframe (sf, sizeof (sf), &f));
  g_assert_cmpuint (f.n_frames, ==, 2);
  g_assert_cmpuint (f.offset[0], ==, 0);
  g_assert_cmpuint (f.size[0], ==, 3);
  g_assert_cmpuint (f.offset[1], ==, 3);
  g_assert_cmpuint (f.size[1], ==, 2);

  g_assert_false (
      gst_v4l2_elastic_vp9_split_superframe (bad, sizeof (bad), &f));

  g_assert_true (
      gst_v4l2_elastic_vp9_split_superframe (plain, sizeof (plain), &f));
  g_assert_cmpuint (f.n_frames, ==, 1);
  g_assert_cmpuint (f.size[0], ==, sizeof (plain));

  g_assert_true (
      gst_v4l2_elastic_vp9_split_superframe (holey, sizeof (holey), &f));
  g_assert_cmpuint (f.n_frames, ==, 2);
  g_assert_cmpuint (f.offset[1], ==, 1);
  g_assert_cmpuint (f.size[1], ==, 2);
}

static void
key_hdr (GstVp9FrameHdr *h, guint w, guint ht)
{
  memset (h, 0, sizeof (*h));
  h->frame_type = GST_VP9_KEY_FRAME;
  h->show_frame = 1;
  h->width = w;
  h->height = ht;
  h->loopfilter.mode_ref_delta_enabled = 1;
}

static void
inter_hdr (GstVp9FrameHdr *h, guint w, guint ht, guint8 refresh, gint last,
    gint golden, gint alt)
{
  memset (h, 0, sizeof (*h));
  h->frame_type = GST_VP9_INTER_FRAME;
  h->show_frame = 1;
  h->width = w;
  h->height = ht;
  h->refresh_frame_flags = refresh;
  h->ref_frame_indices[0] = last;
  h->ref_frame_indices[1] = golden;
  h->ref_frame_indices[2] = alt;
  h->loopfilter.mode_ref_delta_enabled = 1;
}

static void
decode (GstV4l2ElasticVp9State *s, const GstVp9FrameHdr *h, guint n,
    GstV4l2ElasticVp9FramePlan *plan)
{
  g_assert_cmpint (gst_v4l2_elastic_vp9_state_begin_frame (s, h, 8, 1, 1, plan),
      ==, GST_V4L2_ELASTIC_VP9_DECODE);
  gst_v4l2_elastic_vp9_state_end_frame (s, h, PIC (n), n * 1000);
}

static void
test_slots (void)
{
  GstV4l2ElasticVp9State s;
  GstVp9FrameHdr h;
  GstV4l2ElasticVp9FramePlan plan;
  guint i;

  gst_v4l2_elastic_vp9_state_init (&s, count_free);

  inter_hdr (&h, 64, 64, 1, 0, 1, 2);
  g_assert_cmpint (
      gst_v4l2_elastic_vp9_state_begin_frame (&s, &h, 8, 1, 1, &plan), ==,
      GST_V4L2_ELASTIC_VP9_DROP);

  key_hdr (&h, 64, 64);
  decode (&s, &h, 1, &plan);
  g_assert_true (plan.new_sequence);
  g_assert_true (plan.intra);
  g_assert_cmphex (plan.refresh_frame_flags, ==, 0xff);
  for (i = 0; i < 8; i++)
    g_assert_cmpuint (gst_v4l2_elastic_vp9_state_slot_id (&s, i), ==, 1000);
  g_assert_cmpuint (gst_v4l2_elastic_vp9_state_distinct_pictures (&s), ==, 1);

  /* Hidden alt-ref into slot 2, then a shown frame into slot 0. */
  inter_hdr (&h, 64, 64, 1 << 2, 0, 1, 2);
  h.show_frame = 0;
  decode (&s, &h, 2, &plan);
  g_assert_cmpuint (plan.ref_id[2], ==, 1000);
  inter_hdr (&h, 64, 64, 1 << 0, 0, 1, 2);
  decode (&s, &h, 3, &plan);
  g_assert_cmpuint (plan.ref_id[0], ==, 1000);
  g_assert_cmpuint (plan.ref_id[2], ==, 2000);
  g_assert_cmpuint (gst_v4l2_elastic_vp9_state_slot_id (&s, 0), ==, 3000);
  g_assert_cmpuint (gst_v4l2_elastic_vp9_state_slot_id (&s, 2), ==, 2000);
  g_assert_cmpuint (gst_v4l2_elastic_vp9_state_distinct_pictures (&s), ==, 3);
  g_assert_cmpuint (n_freed, ==, 0);

  /* A frame refreshing nothing is freed at once. */
  inter_hdr (&h, 64, 64, 0, 0, 1, 2);
  decode (&s, &h, 4, &plan);
  g_assert_cmpuint (n_freed, ==, 1);

  /* show_existing_frame of slot 2: the hidden alt-ref, nothing decoded,
   * no slot changes. */
  memset (&h, 0, sizeof (h));
  h.show_existing_frame = 1;
  h.frame_to_show = 2;
  g_assert_cmpint (
      gst_v4l2_elastic_vp9_state_begin_frame (&s, &h, 8, 1, 1, &plan), ==,
      GST_V4L2_ELASTIC_VP9_SHOW_EXISTING);
  g_assert_true (plan.show_picture == PIC (2));
  g_assert_cmpuint (plan.show_id, ==, 2000);
  g_assert_cmpuint (gst_v4l2_elastic_vp9_state_distinct_pictures (&s), ==, 3);

  /* Intra-only: no references used, refreshes what it says. */
  inter_hdr (&h, 64, 64, 0xf0, 7, 7, 7);
  h.intra_only = 1;
  decode (&s, &h, 5, &plan);
  g_assert_true (plan.intra);
  g_assert_false (plan.new_sequence);
  g_assert_cmpuint (plan.ref_id[0], ==, 0);
  for (i = 4; i < 8; i++)
    g_assert_cmpuint (gst_v4l2_elastic_vp9_state_slot_id (&s, i), ==, 5000);
  g_assert_cmpuint (gst_v4l2_elastic_vp9_state_slot_id (&s, 0), ==, 3000);

  /* An inter frame of another size predicts from the pictures of the old
   * size, scaled: a new sequence that keeps the references. */
  inter_hdr (&h, 32, 32, 1, 0, 1, 2);
  decode (&s, &h, 6, &plan);
  g_assert_true (plan.new_sequence);
  g_assert_true (plan.resize);
  g_assert_false (plan.intra);
  g_assert_cmpuint (plan.ref_id[0], ==, 3000);
  g_assert_cmpuint (plan.ref_id[1], ==, 1000);
  g_assert_cmpuint (plan.ref_id[2], ==, 2000);
  /* 3 left slot 0 for 6. */
  g_assert_cmpuint (n_freed, ==, 2);

  /* The next frame of that size, with references of both sizes, is no
   * new sequence. */
  inter_hdr (&h, 32, 32, 1 << 1, 0, 1, 2);
  decode (&s, &h, 7, &plan);
  g_assert_false (plan.new_sequence);
  g_assert_false (plan.resize);
  g_assert_cmpuint (plan.ref_id[0], ==, 6000);
  g_assert_cmpuint (plan.ref_id[1], ==, 1000);
  /* 1 is still in slot 3. */
  g_assert_cmpuint (n_freed, ==, 2);

  /* A reference more than twice the frame size is out of VP9's scaling
   * range: dropped, the state untouched. */
  inter_hdr (&h, 16, 16, 1, 0, 1, 2);
  g_assert_cmpint (
      gst_v4l2_elastic_vp9_state_begin_frame (&s, &h, 8, 1, 1, &plan), ==,
      GST_V4L2_ELASTIC_VP9_DROP);
  g_assert_cmpuint (gst_v4l2_elastic_vp9_state_slot_id (&s, 0), ==, 6000);
  g_assert_cmpuint (gst_v4l2_elastic_vp9_state_distinct_pictures (&s), ==, 5);

  /* A key frame of the current size is no new sequence; of another depth
   * it is. */
  key_hdr (&h, 32, 32);
  decode (&s, &h, 8, &plan);
  g_assert_false (plan.new_sequence);
  /* 1, 2, 5, 6 and 7 left their slots. */
  g_assert_cmpuint (n_freed, ==, 7);
  key_hdr (&h, 32, 32);
  g_assert_cmpint (
      gst_v4l2_elastic_vp9_state_begin_frame (&s, &h, 10, 1, 1, &plan), ==,
      GST_V4L2_ELASTIC_VP9_DECODE);
  g_assert_true (plan.new_sequence);
  gst_v4l2_elastic_vp9_state_end_frame (&s, &h, PIC (9), 9000);
  g_assert_cmpuint (n_freed, ==, 8);

  gst_v4l2_elastic_vp9_state_reset (&s);
  g_assert_cmpuint (n_freed, ==, 9);
}

static void
test_persistent (void)
{
  GstV4l2ElasticVp9State s;
  GstVp9FrameHdr h;
  GstV4l2ElasticVp9FramePlan plan;

  gst_v4l2_elastic_vp9_state_init (&s, count_free);

  key_hdr (&h, 64, 64);
  decode (&s, &h, 1, &plan);
  g_assert_cmpint (plan.persistent.ref_deltas[0], ==, 1);
  g_assert_cmpint (plan.persistent.ref_deltas[2], ==, -1);
  g_assert_cmpint (plan.persistent.ref_deltas[3], ==, -1);

  /* Update one ref delta and the segmentation features. */
  inter_hdr (&h, 64, 64, 1, 0, 0, 0);
  h.loopfilter.mode_ref_delta_update = 1;
  h.loopfilter.update_ref_deltas[1] = 1;
  h.loopfilter.ref_deltas[1] = 5;
  h.loopfilter.ref_deltas[2] = 33; /* not flagged: ignored */
  h.loopfilter.update_mode_deltas[0] = 1;
  h.loopfilter.mode_deltas[0] = -2;
  h.segmentation.enabled = 1;
  h.segmentation.update_map = 1;
  h.segmentation.update_tree_probs[0] = 1;
  h.segmentation.tree_probs[0] = 17;
  h.segmentation.update_data = 1;
  h.segmentation.data[3].alternate_quantizer_enabled = 1;
  h.segmentation.data[3].alternate_quantizer = -20;
  h.segmentation.data[5].reference_skip = 1;
  decode (&s, &h, 2, &plan);
  g_assert_cmpint (plan.persistent.ref_deltas[1], ==, 5);
  g_assert_cmpint (plan.persistent.ref_deltas[2], ==, -1);
  g_assert_cmpint (plan.persistent.mode_deltas[0], ==, -2);
  g_assert_cmpuint (plan.persistent.tree_probs[0], ==, 17);
  g_assert_cmpuint (plan.persistent.tree_probs[1], ==, 255);
  g_assert_cmpuint (plan.persistent.feature_enabled[3], ==, 1);
  g_assert_cmpint (plan.persistent.feature_data[3][0], ==, -20);
  g_assert_cmpuint (plan.persistent.feature_enabled[5], ==, 1 << 3);

  /* The next frame codes no update: the values persist. */
  inter_hdr (&h, 64, 64, 1, 0, 0, 0);
  h.segmentation.enabled = 1;
  decode (&s, &h, 3, &plan);
  g_assert_cmpint (plan.persistent.ref_deltas[1], ==, 5);
  g_assert_cmpint (plan.persistent.mode_deltas[0], ==, -2);
  g_assert_cmpint (plan.persistent.feature_data[3][0], ==, -20);
  g_assert_cmpuint (plan.persistent.feature_enabled[5], ==, 1 << 3);

  /* A new update_data clears the features it does not set again. */
  inter_hdr (&h, 64, 64, 1, 0, 0, 0);
  h.segmentation.enabled = 1;
  h.segmentation.update_data = 1;
  h.segmentation.data[1].alternate_loop_filter_enabled = 1;
  h.segmentation.data[1].alternate_loop_filter = 9;
  decode (&s, &h, 4, &plan);
  g_assert_cmpuint (plan.persistent.feature_enabled[3], ==, 0);
  g_assert_cmpuint (plan.persistent.feature_enabled[1], ==, 1 << 1);
  g_assert_cmpint (plan.persistent.feature_data[1][1], ==, 9);

  /* Error resilience resets everything to the defaults. */
  inter_hdr (&h, 64, 64, 1, 0, 0, 0);
  h.error_resilient_mode = 1;
  decode (&s, &h, 5, &plan);
  g_assert_cmpint (plan.persistent.ref_deltas[1], ==, 0);
  g_assert_cmpint (plan.persistent.mode_deltas[0], ==, 0);
  g_assert_cmpuint (plan.persistent.feature_enabled[1], ==, 0);
  gst_v4l2_elastic_vp9_state_reset (&s);
}

/* GstVp9Parser on a hand-made show_existing_frame: frame_marker 0b10,
 * profile 0, show_existing_frame 1, frame_to_show_map_idx 5. */
static void
test_parse_show_existing (void)
{
  static const guint8 data[] = { 0x88 | 5 };
  GstVp9Parser *parser = gst_vp9_parser_new ();
  GstVp9FrameHdr hdr;

  g_assert_cmpint (
      gst_vp9_parser_parse_frame_header (parser, &hdr, data, sizeof (data)), ==,
      GST_VP9_PARSER_OK);
  g_assert_true (hdr.show_existing_frame);
  g_assert_cmpint (hdr.frame_to_show, ==, 5);
  gst_vp9_parser_free (parser);
}

/* VP9 codes sizes up to 65536: beyond GST_V4L2_ELASTIC_MAX_DIMENSION a
 * frame is dropped and the references are forgotten
 * (tests/fuzz/regressions/vp9/key-width-65536.ivf as a stream). */
static void
test_size_out_of_range (void)
{
  GstV4l2ElasticVp9State s;
  GstVp9FrameHdr h;
  GstV4l2ElasticVp9FramePlan plan;

  n_freed = 0;
  gst_v4l2_elastic_vp9_state_init (&s, count_free);
  key_hdr (&h, 65536, 48);
  g_assert_cmpint (
      gst_v4l2_elastic_vp9_state_begin_frame (&s, &h, 8, 1, 1, &plan), ==,
      GST_V4L2_ELASTIC_VP9_DROP);
  key_hdr (&h, 16384, 16384); /* the bound itself is fine */
  decode (&s, &h, 1, &plan);
  g_assert_true (plan.new_sequence);

  /* An inter frame of a size out of range (VP9 lets inter frames change
   * the size): dropped, and the slots emptied. */
  inter_hdr (&h, 16385, 16384, 1, 0, 1, 2);
  g_assert_cmpint (
      gst_v4l2_elastic_vp9_state_begin_frame (&s, &h, 8, 1, 1, &plan), ==,
      GST_V4L2_ELASTIC_VP9_DROP);
  g_assert_cmpuint (gst_v4l2_elastic_vp9_state_distinct_pictures (&s), ==, 0);
  g_assert_cmpuint (n_freed, ==, 1);
  inter_hdr (&h, 16384, 16384, 1, 0, 1, 2);
  g_assert_cmpint (
      gst_v4l2_elastic_vp9_state_begin_frame (&s, &h, 8, 1, 1, &plan), ==,
      GST_V4L2_ELASTIC_VP9_DROP);
  key_hdr (&h, 64, 0);
  g_assert_cmpint (
      gst_v4l2_elastic_vp9_state_begin_frame (&s, &h, 8, 1, 1, &plan), ==,
      GST_V4L2_ELASTIC_VP9_DROP);
  gst_v4l2_elastic_vp9_state_reset (&s);
}

/* GstVp9Parser 1.22 reads up to 7 bytes past a frame that ends inside
 * its uncompressed header; gst_v4l2_elastic_vp9_parse_frame_header()
 * does not.  The frame (of tests/fuzz/regressions/vp9/
 * truncated-header-overread.ivf, found by fuzz-vp9) is put right before
 * an inaccessible page: reading past it is a SIGSEGV. */
static void
test_parse_truncated_header (void)
{
  static const guint8 frame[] = { 0x82, 0x49, 0x83, 0x42, 0x20, 0x03, 0xf0,
    0x02, 0xf6, 0x06, 0x34, 0x24, 0x1c, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xb8, 0x32 };
  long page = sysconf (_SC_PAGESIZE);
  guint8 *area = mmap (NULL, 2 * page, PROT_READ | PROT_WRITE,
      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  guint8 *data = area + page - sizeof (frame);
  GstVp9Parser *parser = gst_vp9_parser_new ();
  GstVp9FrameHdr hdr;
  gsize n;

  g_assert_true (area != MAP_FAILED);
  g_assert_cmpint (mprotect (area + page, page, PROT_NONE), ==, 0);
  memcpy (data, frame, sizeof (frame));
  g_assert_cmpint (gst_v4l2_elastic_vp9_parse_frame_header (
                       parser, &hdr, data, sizeof (frame)),
      !=, GST_VP9_PARSER_OK);
  /* Every shorter cut of it too. */
  for (n = 0; n < sizeof (frame); n++) {
    memmove (area + page - n, frame, n);
    gst_v4l2_elastic_vp9_parse_frame_header (parser, &hdr, area + page - n, n);
  }
  gst_vp9_parser_free (parser);
  munmap (area, 2 * page);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/vp9state/superframe", test_superframe);
  g_test_add_func ("/vp9state/slots", test_slots);
  g_test_add_func ("/vp9state/persistent", test_persistent);
  g_test_add_func ("/vp9state/parse-show-existing", test_parse_show_existing);
  g_test_add_func ("/vp9state/size-out-of-range", test_size_out_of_range);
  g_test_add_func (
      "/vp9state/parse-truncated-header", test_parse_truncated_header);
  return g_test_run ();
}
