/* gst-v4l2-elastic
 *
 * MPEG-2 codec state on headers written bit by bit here (ISO/IEC 13818-2
 * syntax): pictures before a sequence header, references and output order
 * of I/P/B frames in open and closed GOPs, broken links, field pairs,
 * quantiser matrices (default, loaded in the sequence header, quant
 * matrix extension), size changes, sequence end codes, low_delay, seeks,
 * absurd sizes, and every picture freed once nothing holds it.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include <gst/gst.h>

#include "gstmpeg2state.h"

/* --- pictures with a reference count ---------------------------------------
 */

typedef struct
{
  gint refs;
  guint64 id;
} Pic;

static gint alive;

static Pic *
pic_new (guint64 id)
{
  Pic *p = g_new0 (Pic, 1);

  p->refs = 1;
  p->id = id;
  alive++;
  return p;
}

static gpointer
pic_ref (gpointer p)
{
  ((Pic *) p)->refs++;
  return p;
}

static void
pic_unref (gpointer p)
{
  if (--((Pic *) p)->refs == 0) {
    alive--;
    g_free (p);
  }
}

/* --- a bit writer for headers ------------------------------------------------
 */

typedef struct
{
  guint8 data[512];
  guint bits;
} Bits;

static void
put (Bits *b, guint value, guint n)
{
  while (n--) {
    guint bit = (value >> n) & 1;

    g_assert_cmpuint (b->bits / 8, <, sizeof (b->data));
    if (bit)
      b->data[b->bits / 8] |= 0x80 >> (b->bits % 8);
    b->bits++;
  }
}

static void
start (Bits *b, guint8 code)
{
  memset (b, 0, sizeof (*b));
  put (b, 0x000001, 24);
  put (b, code, 8);
}

/* Pushes what @b holds as one packet (with stuffing after it). */
static GstV4l2ElasticMpeg2Result
push (GstV4l2ElasticMpeg2State *s, Bits *b, GPtrArray *out)
{
  GstMpegVideoPacket packet;

  packet.data = b->data;
  packet.type = b->data[3];
  packet.offset = 4;
  packet.size = (b->bits + 7) / 8 + 8 - 4;
  return gst_v4l2_elastic_mpeg2_state_push_header (s, &packet, out);
}

static void
sequence (GstV4l2ElasticMpeg2State *s, guint w, guint h, gboolean progressive,
    gboolean low_delay, const guint8 *intra, GPtrArray *out)
{
  Bits b;
  guint i;

  start (&b, 0xb3);
  put (&b, w & 0xfff, 12);
  put (&b, h & 0xfff, 12);
  put (&b, 1, 4); /* square pixels */
  put (&b, 3, 4); /* 25 Hz */
  put (&b, 1000, 18);
  put (&b, 1, 1);
  put (&b, 112, 10);
  put (&b, 0, 1);
  put (&b, intra != NULL, 1);
  for (i = 0; intra && i < 64; i++)
    put (&b, intra[i], 8);
  put (&b, 0, 1);
  g_assert_cmpint (push (s, &b, out), ==, GST_V4L2_ELASTIC_MPEG2_OK);

  start (&b, 0xb5);
  put (&b, 1, 4);
  put (&b, 0x48, 8); /* main profile, main level */
  put (&b, progressive, 1);
  put (&b, 1, 2); /* 4:2:0 */
  put (&b, w >> 12, 2);
  put (&b, h >> 12, 2);
  put (&b, 0, 12);
  put (&b, 1, 1);
  put (&b, 0, 8);
  put (&b, low_delay, 1);
  put (&b, 0, 2);
  put (&b, 0, 5);
  g_assert_cmpint (push (s, &b, out), ==, GST_V4L2_ELASTIC_MPEG2_OK);
}

static void
gop (GstV4l2ElasticMpeg2State *s, gboolean closed, gboolean broken,
    GPtrArray *out)
{
  Bits b;

  start (&b, 0xb8);
  put (&b, 0, 1);
  put (&b, 0, 5);
  put (&b, 0, 6);
  put (&b, 1, 1);
  put (&b, 0, 6);
  put (&b, 0, 6);
  put (&b, closed, 1);
  put (&b, broken, 1);
  g_assert_cmpint (push (s, &b, out), ==, GST_V4L2_ELASTIC_MPEG2_OK);
}

enum
{
  I = 1,
  P = 2,
  B = 3
};
enum
{
  TOP = 1,
  BOTTOM = 2,
  FRAME = 3
};

static void
picture (
    GstV4l2ElasticMpeg2State *s, guint type, guint structure, GPtrArray *out)
{
  Bits b;

  start (&b, 0x00);
  put (&b, 0, 10);
  put (&b, type, 3);
  put (&b, 0xffff, 16);
  if (type == P || type == B)
    put (&b, 0x7, 4);
  if (type == B)
    put (&b, 0x7, 4);
  put (&b, 0, 1);
  g_assert_cmpint (push (s, &b, out), ==, GST_V4L2_ELASTIC_MPEG2_OK);

  start (&b, 0xb5);
  put (&b, 8, 4);
  put (&b, type == I ? 15 : 2, 4);
  put (&b, type == I ? 15 : 2, 4);
  put (&b, type == B ? 3 : 15, 4);
  put (&b, type == B ? 3 : 15, 4);
  put (&b, 1, 2); /* intra_dc_precision 9 bits */
  put (&b, structure, 2);
  put (&b, 1, 1); /* top_field_first */
  put (&b, structure == FRAME, 1);
  put (&b, 0, 1);
  put (&b, 1, 1); /* q_scale_type */
  put (&b, 0, 1);
  put (&b, 1, 1); /* alternate_scan */
  put (&b, 0, 1);
  put (&b, 1, 1);
  put (&b, structure == FRAME, 1);
  put (&b, 0, 1);
  g_assert_cmpint (push (s, &b, out), ==, GST_V4L2_ELASTIC_MPEG2_OK);
}

static void
sequence_end (GstV4l2ElasticMpeg2State *s, GPtrArray *out)
{
  Bits b;

  start (&b, 0xb7);
  g_assert_cmpint (push (s, &b, out), ==, GST_V4L2_ELASTIC_MPEG2_OK);
}

/* Decodes the picture whose headers were pushed: picture @id (a new one,
 * or for a second field the frame of the first). */
static void
decode (GstV4l2ElasticMpeg2State *s, guint64 id,
    GstV4l2ElasticMpeg2PicturePlan *plan, GPtrArray *out)
{
  Pic *p;

  g_assert_cmpint (gst_v4l2_elastic_mpeg2_state_begin_picture (s, plan, out),
      ==, GST_V4L2_ELASTIC_MPEG2_OK);
  p = pic_new (plan->second_field ? plan->frame_id : id);
  gst_v4l2_elastic_mpeg2_state_end_picture (s, p, p->id, out);
  pic_unref (p);
}

static void
expect_drop (GstV4l2ElasticMpeg2State *s, GPtrArray *out)
{
  GstV4l2ElasticMpeg2PicturePlan plan;

  g_assert_cmpint (gst_v4l2_elastic_mpeg2_state_begin_picture (s, &plan, out),
      ==, GST_V4L2_ELASTIC_MPEG2_DROP);
}

/* The ids @out holds, in order, as "1 2 3"; @out is emptied. */
static gchar *
take_output (GPtrArray *out)
{
  GString *str = g_string_new (NULL);
  guint i;

  for (i = 0; i < out->len; i++) {
    Pic *p = g_ptr_array_index (out, i);

    g_string_append_printf (str, "%s%" G_GUINT64_FORMAT, i ? " " : "", p->id);
    pic_unref (p);
  }
  g_ptr_array_set_size (out, 0);
  return g_string_free (str, FALSE);
}

#define ASSERT_OUTPUT(out, expected)                                           \
  G_STMT_START                                                                 \
  {                                                                            \
    gchar *got_ = take_output (out);                                           \
    g_assert_cmpstr (got_, ==, expected);                                      \
    g_free (got_);                                                             \
  }                                                                            \
  G_STMT_END

/* --- tests ------------------------------------------------------------------
 */

static void
test_open_gop (void)
{
  GstV4l2ElasticMpeg2State s;
  GstV4l2ElasticMpeg2PicturePlan plan;
  GPtrArray *out = g_ptr_array_new ();

  gst_v4l2_elastic_mpeg2_state_init (&s, pic_ref, pic_unref);

  /* No sequence yet: nothing decodes. */
  picture (&s, I, FRAME, out);
  expect_drop (&s, out);

  sequence (&s, 720, 576, FALSE, FALSE, NULL, out);
  gop (&s, FALSE, FALSE, out);
  picture (&s, I, FRAME, out);
  decode (&s, 1, &plan, out);
  g_assert_true (plan.new_sequence);
  g_assert_cmpuint (plan.sequence->width, ==, 720);
  g_assert_cmpuint (plan.sequence->coded_height, ==, 576);
  g_assert_cmpuint (plan.sequence->profile_and_level, ==, 0x48);
  g_assert_cmpuint (plan.sequence->fps_n, ==, 25);
  g_assert_false (plan.sequence->progressive);
  g_assert_cmpuint (plan.forward_id, ==, 0);
  g_assert_cmpuint (plan.backward_id, ==, 0);
  g_assert_true (plan.ext.alternate_scan);
  g_assert_true (plan.ext.q_scale_type);
  ASSERT_OUTPUT (out, "");

  /* The leading B pictures of an open GOP at the start: their forward
   * reference was never decoded. */
  picture (&s, B, FRAME, out);
  expect_drop (&s, out);
  picture (&s, B, FRAME, out);
  expect_drop (&s, out);

  picture (&s, P, FRAME, out);
  decode (&s, 4, &plan, out);
  g_assert_false (plan.new_sequence);
  g_assert_cmpuint (plan.forward_id, ==, 1);
  ASSERT_OUTPUT (out, "1");

  picture (&s, B, FRAME, out);
  decode (&s, 2, &plan, out);
  g_assert_cmpuint (plan.forward_id, ==, 1);
  g_assert_cmpuint (plan.backward_id, ==, 4);
  g_assert_cmpuint (plan.hdr.pic_type, ==, B);
  ASSERT_OUTPUT (out, "2");
  picture (&s, B, FRAME, out);
  decode (&s, 3, &plan, out);
  ASSERT_OUTPUT (out, "3");

  /* A repeated sequence header of the same size: references kept. */
  sequence (&s, 720, 576, FALSE, FALSE, NULL, out);
  gop (&s, FALSE, FALSE, out);
  picture (&s, I, FRAME, out);
  decode (&s, 7, &plan, out);
  g_assert_false (plan.new_sequence);
  ASSERT_OUTPUT (out, "4");
  g_assert_cmpuint (gst_v4l2_elastic_mpeg2_state_held_pictures (&s), ==, 2);
  /* Open GOP, not at the start: the leading B predicts from both. */
  picture (&s, B, FRAME, out);
  decode (&s, 5, &plan, out);
  g_assert_cmpuint (plan.forward_id, ==, 4);
  g_assert_cmpuint (plan.backward_id, ==, 7);
  ASSERT_OUTPUT (out, "5");

  sequence_end (&s, out);
  ASSERT_OUTPUT (out, "7");
  g_assert_cmpint (alive, ==, 0);

  /* After the end code, only a new sequence header starts decoding. */
  picture (&s, I, FRAME, out);
  expect_drop (&s, out);
  ASSERT_OUTPUT (out, "");

  gst_v4l2_elastic_mpeg2_state_clear (&s);
  g_assert_cmpint (alive, ==, 0);
  g_ptr_array_unref (out);
}

static void
test_closed_gop_and_broken_link (void)
{
  GstV4l2ElasticMpeg2State s;
  GstV4l2ElasticMpeg2PicturePlan plan;
  GPtrArray *out = g_ptr_array_new ();

  gst_v4l2_elastic_mpeg2_state_init (&s, pic_ref, pic_unref);
  sequence (&s, 352, 288, TRUE, FALSE, NULL, out);
  gop (&s, TRUE, FALSE, out);
  picture (&s, I, FRAME, out);
  decode (&s, 3, &plan, out);
  g_assert_cmpuint (plan.sequence->coded_height, ==, 288);
  /* Closed GOP: the leading B pictures predict backward only. */
  picture (&s, B, FRAME, out);
  decode (&s, 1, &plan, out);
  g_assert_cmpuint (plan.backward_id, ==, 3);
  g_assert_cmpuint (plan.forward_id, ==, 3);
  ASSERT_OUTPUT (out, "1");
  picture (&s, B, FRAME, out);
  decode (&s, 2, &plan, out);
  ASSERT_OUTPUT (out, "2");
  picture (&s, P, FRAME, out);
  decode (&s, 6, &plan, out);
  ASSERT_OUTPUT (out, "3");
  /* Past the leading ones a B needs both references. */
  picture (&s, B, FRAME, out);
  decode (&s, 4, &plan, out);
  g_assert_cmpuint (plan.forward_id, ==, 3);
  g_assert_cmpuint (plan.backward_id, ==, 6);
  ASSERT_OUTPUT (out, "4");

  /* Broken link: the leading B pictures of the next GOP are dropped,
   * the ones after its second reference frame decode. */
  gop (&s, FALSE, TRUE, out);
  picture (&s, I, FRAME, out);
  decode (&s, 9, &plan, out);
  ASSERT_OUTPUT (out, "6");
  picture (&s, B, FRAME, out);
  expect_drop (&s, out);
  picture (&s, P, FRAME, out);
  decode (&s, 12, &plan, out);
  ASSERT_OUTPUT (out, "9");
  picture (&s, B, FRAME, out);
  decode (&s, 10, &plan, out);
  g_assert_cmpuint (plan.forward_id, ==, 9);
  ASSERT_OUTPUT (out, "10");

  /* A seek: B and P pictures wait for an I picture; the headers stay. */
  gst_v4l2_elastic_mpeg2_state_reset (&s);
  g_assert_cmpint (alive, ==, 0);
  picture (&s, B, FRAME, out);
  expect_drop (&s, out);
  picture (&s, P, FRAME, out);
  expect_drop (&s, out);
  picture (&s, I, FRAME, out);
  decode (&s, 20, &plan, out);
  g_assert_false (plan.new_sequence);
  gst_v4l2_elastic_mpeg2_state_drain (&s, out);
  ASSERT_OUTPUT (out, "20");
  /* Drained, not forgotten: a P still predicts from it, and it is not
   * output twice. */
  picture (&s, P, FRAME, out);
  decode (&s, 21, &plan, out);
  g_assert_cmpuint (plan.forward_id, ==, 20);
  ASSERT_OUTPUT (out, "");
  gst_v4l2_elastic_mpeg2_state_drain (&s, out);
  ASSERT_OUTPUT (out, "21");

  gst_v4l2_elastic_mpeg2_state_clear (&s);
  g_assert_cmpint (alive, ==, 0);
  g_ptr_array_unref (out);
}

static void
test_fields (void)
{
  GstV4l2ElasticMpeg2State s;
  GstV4l2ElasticMpeg2PicturePlan plan;
  GPtrArray *out = g_ptr_array_new ();

  gst_v4l2_elastic_mpeg2_state_init (&s, pic_ref, pic_unref);
  sequence (&s, 720, 480, FALSE, FALSE, NULL, out);
  g_assert_cmpint (alive, ==, 0);

  /* I top field then P bottom field: one frame; the P field predicts
   * from the first field only, as there is no older frame. */
  picture (&s, I, TOP, out);
  decode (&s, 1, &plan, out);
  g_assert_false (plan.second_field);
  g_assert_cmpuint (plan.sequence->coded_height, ==, 480);
  g_assert_cmpuint (gst_v4l2_elastic_mpeg2_state_held_pictures (&s), ==, 1);
  picture (&s, P, BOTTOM, out);
  decode (&s, 99, &plan, out);
  g_assert_true (plan.second_field);
  g_assert_cmpuint (plan.frame_id, ==, 1);
  g_assert_cmpuint (plan.forward_id, ==, 1);
  ASSERT_OUTPUT (out, "");
  g_assert_cmpuint (gst_v4l2_elastic_mpeg2_state_held_pictures (&s), ==, 1);

  /* A P field pair: both fields predict from the frame before. */
  picture (&s, P, TOP, out);
  decode (&s, 4, &plan, out);
  g_assert_cmpuint (plan.forward_id, ==, 1);
  ASSERT_OUTPUT (out, "");
  picture (&s, P, BOTTOM, out);
  decode (&s, 99, &plan, out);
  g_assert_true (plan.second_field);
  g_assert_cmpuint (plan.frame_id, ==, 4);
  g_assert_cmpuint (plan.forward_id, ==, 1);
  ASSERT_OUTPUT (out, "1");

  /* A B field pair: out once both fields are decoded. */
  picture (&s, B, TOP, out);
  decode (&s, 2, &plan, out);
  g_assert_cmpuint (plan.forward_id, ==, 1);
  g_assert_cmpuint (plan.backward_id, ==, 4);
  ASSERT_OUTPUT (out, "");
  picture (&s, B, BOTTOM, out);
  decode (&s, 99, &plan, out);
  g_assert_cmpuint (plan.forward_id, ==, 1);
  g_assert_cmpuint (plan.backward_id, ==, 4);
  ASSERT_OUTPUT (out, "2");

  /* A field of the same parity twice: the first stands alone. */
  picture (&s, I, TOP, out);
  decode (&s, 7, &plan, out);
  picture (&s, I, TOP, out);
  decode (&s, 10, &plan, out);
  g_assert_false (plan.second_field);
  ASSERT_OUTPUT (out, "4");
  /* A frame picture after a lone field: the field goes first. */
  picture (&s, P, FRAME, out);
  decode (&s, 13, &plan, out);
  g_assert_cmpuint (plan.forward_id, ==, 10);
  ASSERT_OUTPUT (out, "7 10");

  /* A first field the caller cannot pair (no second field in the same
   * buffer): finished at once as a frame of its own. */
  picture (&s, P, TOP, out);
  decode (&s, 16, &plan, out);
  g_assert_nonnull (GST_V4L2_ELASTIC_MPEG2_STATE_PENDING_FIELD (&s));
  gst_v4l2_elastic_mpeg2_state_finish_field (&s, out);
  g_assert_null (GST_V4L2_ELASTIC_MPEG2_STATE_PENDING_FIELD (&s));
  ASSERT_OUTPUT (out, "13");
  picture (&s, P, BOTTOM, out);
  decode (&s, 19, &plan, out);
  g_assert_false (plan.second_field);
  g_assert_cmpuint (plan.forward_id, ==, 16);

  gst_v4l2_elastic_mpeg2_state_drain (&s, out);
  ASSERT_OUTPUT (out, "16 19");
  gst_v4l2_elastic_mpeg2_state_clear (&s);
  g_assert_cmpint (alive, ==, 0);
  g_ptr_array_unref (out);
}

static void
test_matrices (void)
{
  GstV4l2ElasticMpeg2State s;
  GstV4l2ElasticMpeg2PicturePlan plan;
  GPtrArray *out = g_ptr_array_new ();
  guint8 loaded[64], other[64];
  Bits b;
  guint i;

  for (i = 0; i < 64; i++) {
    loaded[i] = 10 + i;
    other[i] = 200 - i;
  }
  gst_v4l2_elastic_mpeg2_state_init (&s, pic_ref, pic_unref);

  /* Defaults, in zigzag order: the natural-order table's first row is
   * 8 16 19 22, its second starts 16 16. */
  sequence (&s, 352, 288, TRUE, FALSE, NULL, out);
  picture (&s, I, FRAME, out);
  decode (&s, 1, &plan, out);
  g_assert_cmpuint (plan.intra_quantiser_matrix[0], ==, 8);
  g_assert_cmpuint (plan.intra_quantiser_matrix[1], ==, 16);
  g_assert_cmpuint (plan.intra_quantiser_matrix[2], ==, 16);
  g_assert_cmpuint (plan.intra_quantiser_matrix[3], ==, 19);
  g_assert_cmpuint (plan.intra_quantiser_matrix[63], ==, 83);
  g_assert_cmpuint (plan.non_intra_quantiser_matrix[17], ==, 16);
  g_assert_cmpmem (
      plan.chroma_intra_quantiser_matrix, 64, plan.intra_quantiser_matrix, 64);

  /* Loaded in the sequence header, as coded. */
  sequence (&s, 352, 288, TRUE, FALSE, loaded, out);
  picture (&s, P, FRAME, out);
  decode (&s, 2, &plan, out);
  g_assert_cmpmem (plan.intra_quantiser_matrix, 64, loaded, 64);
  g_assert_cmpmem (plan.chroma_intra_quantiser_matrix, 64, loaded, 64);
  g_assert_cmpuint (plan.non_intra_quantiser_matrix[0], ==, 16);

  /* A quant matrix extension: the non-intra matrix (and its chroma
   * twin), then the chroma intra one alone; it lasts across pictures. */
  start (&b, 0xb5);
  put (&b, 3, 4);
  put (&b, 0, 1);
  put (&b, 1, 1);
  for (i = 0; i < 64; i++)
    put (&b, other[i], 8);
  put (&b, 0, 1);
  put (&b, 0, 1);
  g_assert_cmpint (push (&s, &b, out), ==, GST_V4L2_ELASTIC_MPEG2_OK);
  picture (&s, P, FRAME, out);
  decode (&s, 3, &plan, out);
  g_assert_cmpmem (plan.intra_quantiser_matrix, 64, loaded, 64);
  g_assert_cmpmem (plan.non_intra_quantiser_matrix, 64, other, 64);
  g_assert_cmpmem (plan.chroma_non_intra_quantiser_matrix, 64, other, 64);
  picture (&s, P, FRAME, out);
  decode (&s, 4, &plan, out);
  g_assert_cmpmem (plan.non_intra_quantiser_matrix, 64, other, 64);

  start (&b, 0xb5);
  put (&b, 3, 4);
  put (&b, 0, 1);
  put (&b, 0, 1);
  put (&b, 1, 1);
  for (i = 0; i < 64; i++)
    put (&b, other[i], 8);
  put (&b, 0, 1);
  g_assert_cmpint (push (&s, &b, out), ==, GST_V4L2_ELASTIC_MPEG2_OK);
  picture (&s, P, FRAME, out);
  decode (&s, 5, &plan, out);
  g_assert_cmpmem (plan.intra_quantiser_matrix, 64, loaded, 64);
  g_assert_cmpmem (plan.chroma_intra_quantiser_matrix, 64, other, 64);

  /* The next sequence header sets everything back. */
  sequence (&s, 352, 288, TRUE, FALSE, NULL, out);
  picture (&s, P, FRAME, out);
  decode (&s, 6, &plan, out);
  g_assert_cmpuint (plan.intra_quantiser_matrix[0], ==, 8);
  g_assert_cmpuint (plan.non_intra_quantiser_matrix[0], ==, 16);
  g_assert_cmpuint (plan.chroma_intra_quantiser_matrix[63], ==, 83);

  gst_v4l2_elastic_mpeg2_state_clear (&s);
  /* Each P frame put the one before it out. */
  ASSERT_OUTPUT (out, "1 2 3 4 5");
  g_assert_cmpint (alive, ==, 0);
  g_ptr_array_unref (out);
}

static void
test_size_change (void)
{
  GstV4l2ElasticMpeg2State s;
  GstV4l2ElasticMpeg2PicturePlan plan;
  GPtrArray *out = g_ptr_array_new ();
  Bits b;

  gst_v4l2_elastic_mpeg2_state_init (&s, pic_ref, pic_unref);
  sequence (&s, 352, 288, TRUE, FALSE, NULL, out);
  picture (&s, I, FRAME, out);
  decode (&s, 1, &plan, out);
  picture (&s, P, FRAME, out);
  decode (&s, 2, &plan, out);
  ASSERT_OUTPUT (out, "1");

  /* A new size without an end code: the last reference of the old
   * sequence goes out before the first picture of the new one. */
  sequence (&s, 640, 480, TRUE, FALSE, NULL, out);
  ASSERT_OUTPUT (out, "");
  picture (&s, I, FRAME, out);
  g_assert_cmpint (gst_v4l2_elastic_mpeg2_state_begin_picture (&s, &plan, out),
      ==, GST_V4L2_ELASTIC_MPEG2_OK);
  g_assert_true (plan.new_sequence);
  g_assert_cmpuint (plan.sequence->width, ==, 640);
  ASSERT_OUTPUT (out, "2");
  g_assert_cmpuint (gst_v4l2_elastic_mpeg2_state_held_pictures (&s), ==, 0);
  g_assert_cmpint (alive, ==, 0);
  {
    Pic *p = pic_new (3);

    gst_v4l2_elastic_mpeg2_state_end_picture (&s, p, 3, out);
    pic_unref (p);
  }

  /* Past 12 bits: the extension's bits count (6.3.5). */
  sequence (&s, 4096 + 16, 2160, TRUE, FALSE, NULL, out);
  picture (&s, I, FRAME, out);
  decode (&s, 4, &plan, out);
  g_assert_true (plan.new_sequence);
  g_assert_cmpuint (plan.sequence->width, ==, 4112);
  g_assert_cmpuint (plan.sequence->height, ==, 2160);
  g_assert_cmpuint (plan.sequence->coded_height, ==, 2160);
  ASSERT_OUTPUT (out, "3");

  /* low_delay (no B pictures): a reference goes out at once. */
  sequence (&s, 4112, 2160, TRUE, TRUE, NULL, out);
  picture (&s, P, FRAME, out);
  decode (&s, 5, &plan, out);
  g_assert_true (plan.new_sequence);
  g_assert_true (plan.sequence->low_delay);
  ASSERT_OUTPUT (out, "4 5");

  /* A size of 0: refused, and nothing decodes until a valid header. */
  sequence (&s, 0, 480, TRUE, FALSE, NULL, out);
  picture (&s, I, FRAME, out);
  g_assert_cmpint (gst_v4l2_elastic_mpeg2_state_begin_picture (&s, &plan, out),
      ==, GST_V4L2_ELASTIC_MPEG2_ERROR);

  /* MPEG-1: a sequence header without an extension. */
  start (&b, 0xb3);
  put (&b, 352, 12);
  put (&b, 288, 12);
  put (&b, 1, 4);
  put (&b, 3, 4);
  put (&b, 1000, 18);
  put (&b, 1, 1);
  put (&b, 20, 10);
  put (&b, 0, 3);
  g_assert_cmpint (push (&s, &b, out), ==, GST_V4L2_ELASTIC_MPEG2_OK);
  picture (&s, I, FRAME, out);
  g_assert_cmpint (gst_v4l2_elastic_mpeg2_state_begin_picture (&s, &plan, out),
      ==, GST_V4L2_ELASTIC_MPEG2_ERROR);

  gst_v4l2_elastic_mpeg2_state_clear (&s);
  ASSERT_OUTPUT (out, "");
  g_assert_cmpint (alive, ==, 0);
  g_ptr_array_unref (out);
}

static void
test_abort (void)
{
  GstV4l2ElasticMpeg2State s;
  GstV4l2ElasticMpeg2PicturePlan plan;
  GPtrArray *out = g_ptr_array_new ();

  gst_v4l2_elastic_mpeg2_state_init (&s, pic_ref, pic_unref);
  sequence (&s, 352, 288, TRUE, FALSE, NULL, out);
  picture (&s, I, FRAME, out);
  decode (&s, 1, &plan, out);
  /* A reference that failed to decode: the one before goes out, the B
   * and P pictures after it wait for an I picture. */
  picture (&s, P, FRAME, out);
  g_assert_cmpint (gst_v4l2_elastic_mpeg2_state_begin_picture (&s, &plan, out),
      ==, GST_V4L2_ELASTIC_MPEG2_OK);
  gst_v4l2_elastic_mpeg2_state_abort_picture (&s, out);
  ASSERT_OUTPUT (out, "1");
  g_assert_cmpint (alive, ==, 0);
  picture (&s, B, FRAME, out);
  expect_drop (&s, out);
  picture (&s, P, FRAME, out);
  expect_drop (&s, out);
  /* Slices with no picture header since the last picture. */
  expect_drop (&s, out);

  gst_v4l2_elastic_mpeg2_state_clear (&s);
  g_ptr_array_unref (out);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/mpeg2state/open-gop", test_open_gop);
  g_test_add_func (
      "/mpeg2state/closed-gop-broken-link", test_closed_gop_and_broken_link);
  g_test_add_func ("/mpeg2state/fields", test_fields);
  g_test_add_func ("/mpeg2state/matrices", test_matrices);
  g_test_add_func ("/mpeg2state/size-change", test_size_change);
  g_test_add_func ("/mpeg2state/abort", test_abort);
  return g_test_run ();
}
