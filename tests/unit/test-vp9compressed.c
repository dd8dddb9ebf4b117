/* gst-v4l2-elastic
 *
 * VP9 compressed header: the boolean decoder on hand-built bytes, the
 * probability update helpers at their edges, a round trip through a
 * boolean encoder written here from the decoder's arithmetic, truncated
 * and corrupt headers, and every frame of streams that vp9enc writes at
 * test time.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include <glib/gstdio.h>
#include <gst/gst.h>

#include "gstvp9compressed.h"

/* ------------------------------------------------------------------ */
/* Boolean decoder on hand-built bytes                                  */
/* ------------------------------------------------------------------ */

/* A copy of exactly @size bytes on the heap, so that valgrind (or ASan)
 * sees any read past the end. */
static G_GNUC_NO_INLINE guint8 *
exact_copy (const guint8 *data, gsize size)
{
  return size ? g_memdup2 (data, size) : NULL;
}

static void
test_bool_marker (void)
{
  GstV4l2ElasticVp9BoolDecoder bd;
  guint8 *d;

  /* Empty data: no decoder. */
  g_assert_false (
      gst_v4l2_elastic_vp9_bool_decoder_init (&bd, (const guint8 *) "", 0));

  /* 0x80: BoolValue 128; the marker's split is 1 + ((255 - 1) * 128 >> 8)
   * = 128, so the marker bit is 1: not a valid start. */
  d = exact_copy ((const guint8 *) "\x80", 1);
  g_assert_false (gst_v4l2_elastic_vp9_bool_decoder_init (&bd, d, 1));
  g_free (d);

  /* 0x00: marker 0, BoolRange 128.  Every later read_bool (128) splits at
   * 1 + (127 * 128 >> 8) = 64 > 0: zeros, each shifting in a zero bit from
   * past the end (all 8 bits were taken at init). */
  d = exact_copy ((const guint8 *) "\x00", 1);
  g_assert_true (gst_v4l2_elastic_vp9_bool_decoder_init (&bd, d, 1));
  g_assert_cmpuint (bd.range, ==, 128);
  g_assert_cmpuint (
      gst_v4l2_elastic_vp9_bool_decoder_read_literal (&bd, 8), ==, 0);
  g_assert_cmpuint (bd.overrun, ==, 8);
  g_assert_true (gst_v4l2_elastic_vp9_bool_decoder_exit (&bd));
  g_free (d);
}

/* After a 0 marker the range is 128 and stays 128 under read_bool (128):
 * the split is 64, a 1 subtracts 64 and the shift restores 128.  So L(n)
 * returns the raw bits that follow the marker bit, the 8-bit window
 * running 7 bits ahead. */
static void
test_bool_literal (void)
{
  GstV4l2ElasticVp9BoolDecoder bd;
  guint8 *d;

  /* 0x7f = 0111 1111: marker 0, then seven 1s, then zeros from past the
   * end: 1111 1110.  Worked out step by step: BoolValue 127 -> 63 -> 126
   * (shift) -> 62 -> 124 ... -> 64 -> 0, range 128 throughout. */
  d = exact_copy ((const guint8 *) "\x7f", 1);
  g_assert_true (gst_v4l2_elastic_vp9_bool_decoder_init (&bd, d, 1));
  g_assert_cmphex (
      gst_v4l2_elastic_vp9_bool_decoder_read_literal (&bd, 8), ==, 0xfe);
  g_free (d);

  /* 0101 1010 1100 0011 0000 0000: marker 0, L(15) = 101 1010 1100 0011.
   * The 15 reads shift in bits 8..22, so the third byte's last bit is
   * the padding: 0 passes, 1 fails. */
  d = exact_copy ((const guint8 *) "\x5a\xc3\x00", 3);
  g_assert_true (gst_v4l2_elastic_vp9_bool_decoder_init (&bd, d, 3));
  g_assert_cmphex (
      gst_v4l2_elastic_vp9_bool_decoder_read_literal (&bd, 15), ==, 0x5ac3);
  g_assert_cmpuint (bd.pos, ==, 23);
  g_assert_cmpuint (bd.overrun, ==, 0);
  g_assert_true (gst_v4l2_elastic_vp9_bool_decoder_exit (&bd));
  g_free (d);

  d = exact_copy ((const guint8 *) "\x5a\xc3\x01", 3);
  g_assert_true (gst_v4l2_elastic_vp9_bool_decoder_init (&bd, d, 3));
  g_assert_cmphex (
      gst_v4l2_elastic_vp9_bool_decoder_read_literal (&bd, 15), ==, 0x5ac3);
  g_assert_false (gst_v4l2_elastic_vp9_bool_decoder_exit (&bd));
  g_free (d);

  /* Padding further out: whole bytes after the partial one. */
  d = exact_copy ((const guint8 *) "\x5a\xc3\x00\x00\x10", 5);
  g_assert_true (gst_v4l2_elastic_vp9_bool_decoder_init (&bd, d, 5));
  g_assert_cmphex (
      gst_v4l2_elastic_vp9_bool_decoder_read_literal (&bd, 15), ==, 0x5ac3);
  g_assert_false (gst_v4l2_elastic_vp9_bool_decoder_exit (&bd));
  g_free (d);
}

static void
test_bool_probabilities (void)
{
  GstV4l2ElasticVp9BoolDecoder bd;
  guint8 *d;

  /* 0x20 0x00: BoolValue 32, marker 0 (32 < 128), range 128.
   *   read_bool (252): split 1 + (127 * 252 >> 8) = 126; 32 < 126: 0,
   *     range 126 -> shift once: value 64, range 252.
   *   read_bool (252): split 1 + (251 * 252 >> 8) = 248; 64 < 248: 0,
   *     range 248.
   *   read_bool (1): split 1 + (247 >> 8) = 1; 64 >= 1: 1, range 247,
   *     value 63.
   *   read_bool (128): split 1 + (246 * 128 >> 8) = 124; 63 < 124: 0,
   *     range 124 -> shift once: value 126, range 248.
   *   read_bool (200): split 1 + (247 * 200 >> 8) = 193; 126 < 193: 0. */
  d = exact_copy ((const guint8 *) "\x20\x00", 2);
  g_assert_true (gst_v4l2_elastic_vp9_bool_decoder_init (&bd, d, 2));
  g_assert_cmpuint (
      gst_v4l2_elastic_vp9_bool_decoder_read_bool (&bd, 252), ==, 0);
  g_assert_cmpuint (bd.value, ==, 64);
  g_assert_cmpuint (bd.range, ==, 252);
  g_assert_cmpuint (
      gst_v4l2_elastic_vp9_bool_decoder_read_bool (&bd, 252), ==, 0);
  g_assert_cmpuint (bd.range, ==, 248);
  g_assert_cmpuint (
      gst_v4l2_elastic_vp9_bool_decoder_read_bool (&bd, 1), ==, 1);
  g_assert_cmpuint (bd.value, ==, 63);
  g_assert_cmpuint (bd.range, ==, 247);
  g_assert_cmpuint (
      gst_v4l2_elastic_vp9_bool_decoder_read_bool (&bd, 128), ==, 0);
  g_assert_cmpuint (bd.value, ==, 126);
  g_assert_cmpuint (bd.range, ==, 248);
  g_assert_cmpuint (
      gst_v4l2_elastic_vp9_bool_decoder_read_bool (&bd, 200), ==, 0);
  g_assert_cmpuint (bd.range, ==, 193);
  g_assert_cmpuint (bd.pos, ==, 10);
  g_free (d);

  /* 0x7f 0xff: BoolValue 127, marker 0, range 128.
   *   read_bool (252): split 126; 127 >= 126: 1, range 2, value 1 -> six
   *     shifts of 1 bits (8..13): value 127, range 128.
   *   read_bool (252): 1 again, range 2, value 1 -> bits 14, 15 (1, 1)
   *     then four zeros from past the end: value 112, range 128.
   *   read_bool (128): split 64; 112 >= 64: 1, value 48 -> 96. */
  d = exact_copy ((const guint8 *) "\x7f\xff", 2);
  g_assert_true (gst_v4l2_elastic_vp9_bool_decoder_init (&bd, d, 2));
  g_assert_cmpuint (
      gst_v4l2_elastic_vp9_bool_decoder_read_bool (&bd, 252), ==, 1);
  g_assert_cmpuint (bd.value, ==, 127);
  g_assert_cmpuint (bd.range, ==, 128);
  g_assert_cmpuint (
      gst_v4l2_elastic_vp9_bool_decoder_read_bool (&bd, 252), ==, 1);
  g_assert_cmpuint (bd.value, ==, 112);
  g_assert_cmpuint (bd.overrun, ==, 4);
  g_assert_cmpuint (
      gst_v4l2_elastic_vp9_bool_decoder_read_bool (&bd, 128), ==, 1);
  g_assert_cmpuint (bd.value, ==, 96);
  g_assert_cmpuint (bd.overrun, ==, 5);
  g_assert_cmpuint (bd.pos, ==, 16);
  g_free (d);
}

/* Bytes for a marker bit 0, then @bits (a string of '0' and '1', read by
 * L() as raw bits, see test_bool_literal), then zero padding to cover the
 * 7-bit window and the byte boundary. */
static guint8 *
raw_bits (const gchar *bits, gsize *size)
{
  gsize n = 1 + strlen (bits) + 7;
  guint8 *d;
  gsize i;

  *size = (n + 7) / 8;
  d = g_malloc0 (*size);
  for (i = 0; bits[i]; i++)
    if (bits[i] == '1')
      d[(i + 1) / 8] |= 0x80 >> ((i + 1) % 8);
  return d;
}

static void
test_term_subexp (void)
{
  static const struct
  {
    const gchar *bits;
    guint value;
  } cases[] = {
    { "0"
      "0000",
        0 },
    { "0"
      "1111",
        15 },
    { "10"
      "0000",
        16 },
    { "10"
      "1111",
        31 },
    { "110"
      "00000",
        32 },
    { "110"
      "11111",
        63 },
    { "111"
      "0000000",
        64 }, /* v = 0 < 65: v + 64 */
    { "111"
      "1000000",
        128 }, /* v = 64 */
    { "111"
      "1000001"
      "0",
        129 }, /* v = 65: (65 << 1) - 1 + 0 */
    { "111"
      "1000001"
      "1",
        130 },
    { "111"
      "1111111"
      "0",
        253 },
    { "111"
      "1111111"
      "1",
        254 },
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    GstV4l2ElasticVp9BoolDecoder bd;
    gsize size;
    guint8 *d = raw_bits (cases[i].bits, &size);

    g_assert_true (gst_v4l2_elastic_vp9_bool_decoder_init (&bd, d, size));
    g_assert_cmpuint (
        gst_v4l2_elastic_vp9_decode_term_subexp (&bd), ==, cases[i].value);
    g_assert_cmpuint (bd.overrun, ==, 0);
    g_assert_true (gst_v4l2_elastic_vp9_bool_decoder_exit (&bd));
    g_free (d);
  }
}

static void
test_inv_map (void)
{
  gboolean seen[256] = { FALSE };
  guint d, p, v;

  /* The coarse grid first, then the rest in order, 253 twice at the end. */
  g_assert_cmpuint (gst_v4l2_elastic_vp9_inv_map_delta (0), ==, 7);
  g_assert_cmpuint (gst_v4l2_elastic_vp9_inv_map_delta (1), ==, 20);
  g_assert_cmpuint (gst_v4l2_elastic_vp9_inv_map_delta (19), ==, 254);
  g_assert_cmpuint (gst_v4l2_elastic_vp9_inv_map_delta (20), ==, 1);
  g_assert_cmpuint (gst_v4l2_elastic_vp9_inv_map_delta (25), ==, 6);
  g_assert_cmpuint (gst_v4l2_elastic_vp9_inv_map_delta (26), ==, 8);
  g_assert_cmpuint (gst_v4l2_elastic_vp9_inv_map_delta (37), ==, 19);
  g_assert_cmpuint (gst_v4l2_elastic_vp9_inv_map_delta (38), ==, 21);
  g_assert_cmpuint (gst_v4l2_elastic_vp9_inv_map_delta (253), ==, 253);
  g_assert_cmpuint (gst_v4l2_elastic_vp9_inv_map_delta (254), ==, 253);

  /* Indices 0..253 are a permutation of 1..254: never 0, the value V4L2
   * reserves for "no update". */
  for (d = 0; d < 254; d++) {
    v = gst_v4l2_elastic_vp9_inv_map_delta (d);
    g_assert_cmpuint (v, >=, 1);
    g_assert_cmpuint (v, <=, 254);
    g_assert_false (seen[v]);
    seen[v] = TRUE;
  }

  /* inv_remap_prob at its edges, worked out by hand:
   * prob 1:   1 + inv_recenter_nonneg (v, 0) = 1 + v
   * prob 128: 1 + inv_recenter_nonneg (v, 127): v = 1 -> 127 - 1 = 126,
   *           v = 2 -> 127 + 1 = 128
   * prob 129: 255 - inv_recenter_nonneg (v, 126): v = 1 -> 255 - 125
   * prob 255: 255 - inv_recenter_nonneg (v, 0) = 255 - v */
  g_assert_cmpuint (
      gst_v4l2_elastic_vp9_inv_remap_prob (20, 1), ==, 2); /* v = 1 */
  g_assert_cmpuint (
      gst_v4l2_elastic_vp9_inv_remap_prob (19, 1), ==, 255); /* v = 254 */
  g_assert_cmpuint (gst_v4l2_elastic_vp9_inv_remap_prob (20, 128), ==, 127);
  g_assert_cmpuint (gst_v4l2_elastic_vp9_inv_remap_prob (21, 128), ==, 129);
  g_assert_cmpuint (gst_v4l2_elastic_vp9_inv_remap_prob (20, 129), ==, 130);
  g_assert_cmpuint (gst_v4l2_elastic_vp9_inv_remap_prob (21, 129), ==, 128);
  g_assert_cmpuint (gst_v4l2_elastic_vp9_inv_remap_prob (20, 255), ==, 254);
  g_assert_cmpuint (gst_v4l2_elastic_vp9_inv_remap_prob (19, 255), ==, 1);
  /* Beyond 2 m the value is taken as is: prob 10, m = 9, v = 7 (d = 0)
   * is within (odd: 9 - 4 = 5, new prob 6); v = 20 (d = 1) is not. */
  g_assert_cmpuint (gst_v4l2_elastic_vp9_inv_remap_prob (0, 10), ==, 6);
  g_assert_cmpuint (gst_v4l2_elastic_vp9_inv_remap_prob (1, 10), ==, 21);
  /* 0 means no update. */
  g_assert_cmpuint (gst_v4l2_elastic_vp9_apply_prob_update (0, 77), ==, 77);

  /* For every old probability, the 254 updates reach every other
   * probability exactly once: the remapping loses nothing. */
  for (p = 1; p <= 255; p++) {
    gboolean got[256] = { FALSE };

    for (v = 1; v <= 254; v++) {
      guint n = gst_v4l2_elastic_vp9_apply_prob_update (v, p);

      g_assert_cmpuint (n, >=, 1);
      g_assert_cmpuint (n, <=, 255);
      g_assert_cmpuint (n, !=, p);
      g_assert_false (got[n]);
      got[n] = TRUE;
    }
  }
}

/* ------------------------------------------------------------------ */
/* A boolean encoder for round trips                                    */
/* ------------------------------------------------------------------ */

/* The encoder keeps the low end of the interval as a bit string (one bit
 * per byte, most significant first), 8 bits longer than the number of
 * renormalising shifts so far: exactly the bits the decoder will have
 * taken.  Adding split to the last 8 bits with carry is the encoder's
 * side of "BoolValue -= split"; emitting the low end itself keeps the
 * decoder's BoolValue at 0 <= value < range at every step because later
 * intervals nest inside earlier ones. */
typedef struct
{
  guint8 *bits;
  gsize len, alloc;
  guint range;
} BoolEncoder;

static void
enc_init (BoolEncoder *e)
{
  e->alloc = 1 << 16;
  e->bits = g_malloc0 (e->alloc);
  e->len = 8;
  e->range = 255;
}

static void
enc_bool (BoolEncoder *e, guint prob, guint bit)
{
  guint split = 1 + (((e->range - 1) * prob) >> 8);

  if (bit) {
    guint carry = 0;
    gsize i;

    for (i = 0; i < e->len; i++) {
      gsize at = e->len - 1 - i;
      guint add = i < 8 ? (split >> i) & 1 : 0;
      guint sum = e->bits[at] + add + carry;

      e->bits[at] = sum & 1;
      carry = sum >> 1;
      if (i >= 8 && !carry)
        break;
    }
    /* The interval never extends past the top. */
    g_assert_cmpuint (carry, ==, 0);
    e->range -= split;
  } else {
    e->range = split;
  }
  while (e->range < 128) {
    g_assert_cmpuint (e->len, <, e->alloc);
    e->bits[e->len++] = 0;
    e->range <<= 1;
  }
}

static void
enc_literal (BoolEncoder *e, guint n, guint32 v)
{
  while (n--)
    enc_bool (e, 128, (v >> n) & 1);
}

/* The bytes, with @extra zero bytes of padding after the byte boundary. */
static guint8 *
enc_finish (BoolEncoder *e, gsize extra, gsize *size)
{
  gsize i;
  guint8 *d;

  *size = (e->len + 7) / 8 + extra;
  d = g_malloc0 (*size);
  for (i = 0; i < e->len; i++)
    if (e->bits[i])
      d[i / 8] |= 0x80 >> (i % 8);
  g_free (e->bits);
  return d;
}

static void
enc_term_subexp (BoolEncoder *e, guint v)
{
  if (v < 16) {
    enc_literal (e, 1, 0);
    enc_literal (e, 4, v);
  } else if (v < 32) {
    enc_literal (e, 2, 2);
    enc_literal (e, 4, v - 16);
  } else if (v < 64) {
    enc_literal (e, 3, 6);
    enc_literal (e, 5, v - 32);
  } else if (v <= 128) {
    enc_literal (e, 3, 7);
    enc_literal (e, 7, v - 64);
  } else {
    enc_literal (e, 3, 7);
    enc_literal (e, 7, (v + 1) >> 1);
    enc_literal (e, 1, (v + 1) & 1);
  }
}

static void
enc_diff_update (BoolEncoder *e, guint8 mapped)
{
  guint d;

  enc_bool (e, 252, mapped != 0);
  if (!mapped)
    return;
  for (d = 0; gst_v4l2_elastic_vp9_inv_map_delta (d) != mapped; d++)
    g_assert_cmpuint (d, <, 254);
  enc_term_subexp (e, d);
}

static void
enc_diff_updates (BoolEncoder *e, const guint8 *p, guint n)
{
  while (n--)
    enc_diff_update (e, *p++);
}

static void
enc_mv_updates (BoolEncoder *e, const guint8 *p, guint n)
{
  for (; n--; p++) {
    enc_bool (e, 252, *p != 0);
    if (*p)
      enc_literal (e, 7, *p >> 1);
  }
}

static void
test_encoder_term_subexp (void)
{
  guint v;

  /* Every deltaProb through the encoder and back, behind a marker, with a
   * run of skewed bools in between so that the range is not 128. */
  for (v = 0; v <= 254; v++) {
    BoolEncoder e;
    GstV4l2ElasticVp9BoolDecoder bd;
    guint8 *d;
    gsize size;

    enc_init (&e);
    enc_bool (&e, 128, 0);
    enc_bool (&e, 252, v & 1);
    enc_bool (&e, 3, (v >> 1) & 1);
    enc_term_subexp (&e, v);
    d = enc_finish (&e, 0, &size);

    g_assert_true (gst_v4l2_elastic_vp9_bool_decoder_init (&bd, d, size));
    g_assert_cmpuint (
        gst_v4l2_elastic_vp9_bool_decoder_read_bool (&bd, 252), ==, v & 1);
    g_assert_cmpuint (
        gst_v4l2_elastic_vp9_bool_decoder_read_bool (&bd, 3), ==, (v >> 1) & 1);
    g_assert_cmpuint (gst_v4l2_elastic_vp9_decode_term_subexp (&bd), ==, v);
    g_assert_cmpuint (bd.overrun, ==, 0);
    g_assert_true (gst_v4l2_elastic_vp9_bool_decoder_exit (&bd));
    g_free (d);
  }
}

/* A random header that obeys @in, ~1 update in @one_in. */
static void
random_header (GRand *rand, const GstV4l2ElasticVp9CompressedParseInput *in,
    guint one_in, GstV4l2ElasticVp9CompressedHeader *h)
{
  guint8 *p = (guint8 *) h;
  gsize i;

  memset (h, 0, sizeof (*h));
  /* Every update field is a guint8, from tx8 up to the end of mv. */
  for (i = G_STRUCT_OFFSET (GstV4l2ElasticVp9CompressedHeader, tx8);
       i < G_STRUCT_OFFSET (GstV4l2ElasticVp9CompressedHeader, mv) +
           sizeof (GstV4l2ElasticVp9CompressedMvProbs);
       i++)
    if (g_rand_int_range (rand, 0, one_in) == 0)
      p[i] = g_rand_int_range (rand, 1, 255);
  memset (h->uv_mode, 0, sizeof (h->uv_mode));
  for (i = 0; i < sizeof (h->mv); i++)
    if (((guint8 *) &h->mv)[i])
      ((guint8 *) &h->mv)[i] |= 1;

  h->tx_mode = in->lossless ? 0 : g_rand_int_range (rand, 0, 5);
  if (h->tx_mode != GST_V4L2_ELASTIC_VP9_COMPRESSED_TX_MODE_SELECT) {
    memset (h->tx8, 0, sizeof (h->tx8));
    memset (h->tx16, 0, sizeof (h->tx16));
    memset (h->tx32, 0, sizeof (h->tx32));
  }
  /* Only the sizes up to the tx_mode's largest; band 0 has 3 contexts. */
  for (i = MIN (h->tx_mode, 3) + 1; i < 4; i++)
    memset (h->coef[i], 0, sizeof (h->coef[i]));
  for (i = 0; i < 4; i++) {
    guint j, k;

    for (j = 0; j < 2; j++)
      for (k = 0; k < 2; k++)
        memset (h->coef[i][j][k][0][3], 0, 3 * 3);
    /* A size's updates are all or nothing behind its flag, but within
     * them any may be 0: nothing to fix. */
  }

  h->reference_mode = GST_V4L2_ELASTIC_VP9_COMPRESSED_REFERENCE_MODE_SINGLE;
  if (in->frame_is_intra) {
    memset (&h->inter_mode, 0,
        G_STRUCT_OFFSET (GstV4l2ElasticVp9CompressedHeader, reference_mode) -
            G_STRUCT_OFFSET (GstV4l2ElasticVp9CompressedHeader, inter_mode));
    return;
  }
  if (!in->interp_filter_switchable)
    memset (h->interp_filter, 0, sizeof (h->interp_filter));
  if (in->ref_frame_sign_bias[1] != in->ref_frame_sign_bias[0] ||
      in->ref_frame_sign_bias[2] != in->ref_frame_sign_bias[0])
    h->reference_mode = g_rand_int_range (rand, 0, 3);
  if (h->reference_mode !=
      GST_V4L2_ELASTIC_VP9_COMPRESSED_REFERENCE_MODE_SELECT)
    memset (h->comp_mode, 0, sizeof (h->comp_mode));
  if (h->reference_mode ==
      GST_V4L2_ELASTIC_VP9_COMPRESSED_REFERENCE_MODE_COMPOUND)
    memset (h->single_ref, 0, sizeof (h->single_ref));
  if (h->reference_mode ==
      GST_V4L2_ELASTIC_VP9_COMPRESSED_REFERENCE_MODE_SINGLE)
    memset (h->comp_ref, 0, sizeof (h->comp_ref));
  if (!in->allow_high_precision_mv) {
    memset (h->mv.class0_hp, 0, sizeof (h->mv.class0_hp));
    memset (h->mv.hp, 0, sizeof (h->mv.hp));
  }
}

/* compressed_header (6.3) on the encoder's side, from the specification's
 * syntax tables. */
static guint8 *
encode_header (const GstV4l2ElasticVp9CompressedParseInput *in,
    const GstV4l2ElasticVp9CompressedHeader *h, gsize extra, gsize *size)
{
  BoolEncoder e;
  guint i, j, k, l;
  gboolean compound;

  enc_init (&e);
  enc_bool (&e, 128, 0); /* marker */
  if (!in->lossless) {
    enc_literal (&e, 2, MIN (h->tx_mode, 3));
    if (h->tx_mode >= 3)
      enc_literal (&e, 1, h->tx_mode == 4);
  }
  if (h->tx_mode == 4) {
    for (i = 0; i < 2; i++)
      enc_diff_updates (&e, h->tx8[i], 1);
    for (i = 0; i < 2; i++)
      enc_diff_updates (&e, h->tx16[i], 2);
    for (i = 0; i < 2; i++)
      enc_diff_updates (&e, h->tx32[i], 3);
  }
  for (i = 0; i <= MIN (h->tx_mode, 3u); i++) {
    gboolean any = FALSE;
    const guint8 *c = &h->coef[i][0][0][0][0][0];

    for (j = 0; j < sizeof (h->coef[i]); j++)
      any |= c[j] != 0;
    enc_literal (&e, 1, any);
    if (!any)
      continue;
    for (j = 0; j < 2; j++)
      for (k = 0; k < 2; k++)
        for (l = 0; l < 6; l++)
          enc_diff_updates (&e, &h->coef[i][j][k][l][0][0], (l ? 6 : 3) * 3);
  }
  enc_diff_updates (&e, h->skip, 3);
  if (!in->frame_is_intra) {
    enc_diff_updates (&e, &h->inter_mode[0][0], 7 * 3);
    if (in->interp_filter_switchable)
      enc_diff_updates (&e, &h->interp_filter[0][0], 4 * 2);
    enc_diff_updates (&e, h->is_inter, 4);
    compound = in->ref_frame_sign_bias[1] != in->ref_frame_sign_bias[0] ||
        in->ref_frame_sign_bias[2] != in->ref_frame_sign_bias[0];
    if (compound) {
      enc_literal (&e, 1, h->reference_mode != 0);
      if (h->reference_mode != 0)
        enc_literal (&e, 1, h->reference_mode == 2);
    }
    if (h->reference_mode == 2)
      enc_diff_updates (&e, h->comp_mode, 5);
    if (h->reference_mode != 1)
      enc_diff_updates (&e, &h->single_ref[0][0], 5 * 2);
    if (h->reference_mode != 0)
      enc_diff_updates (&e, h->comp_ref, 5);
    enc_diff_updates (&e, &h->y_mode[0][0], 4 * 9);
    enc_diff_updates (&e, &h->partition[0][0], 16 * 3);
    enc_mv_updates (&e, h->mv.joint, 3);
    for (i = 0; i < 2; i++) {
      enc_mv_updates (&e, &h->mv.sign[i], 1);
      enc_mv_updates (&e, h->mv.classes[i], 10);
      enc_mv_updates (&e, &h->mv.class0_bit[i], 1);
      enc_mv_updates (&e, h->mv.bits[i], 10);
    }
    for (i = 0; i < 2; i++) {
      enc_mv_updates (&e, &h->mv.class0_fr[i][0][0], 2 * 3);
      enc_mv_updates (&e, h->mv.fr[i], 3);
    }
    if (in->allow_high_precision_mv)
      for (i = 0; i < 2; i++) {
        enc_mv_updates (&e, &h->mv.class0_hp[i], 1);
        enc_mv_updates (&e, &h->mv.hp[i], 1);
      }
  }
  return enc_finish (&e, extra, size);
}

static gboolean
same_updates (const GstV4l2ElasticVp9CompressedHeader *a,
    const GstV4l2ElasticVp9CompressedHeader *b)
{
  return memcmp (a, b,
             G_STRUCT_OFFSET (GstV4l2ElasticVp9CompressedHeader, bits_used)) ==
      0;
}

static void
random_input (GRand *rand, GstV4l2ElasticVp9CompressedParseInput *in)
{
  guint i;

  memset (in, 0, sizeof (*in));
  in->lossless = g_rand_int_range (rand, 0, 4) == 0;
  in->frame_is_intra = g_rand_int_range (rand, 0, 3) == 0;
  in->interp_filter_switchable = g_rand_boolean (rand);
  in->allow_high_precision_mv = g_rand_boolean (rand);
  for (i = 0; i < 3; i++)
    in->ref_frame_sign_bias[i] = g_rand_int_range (rand, 0, 3) == 0;
}

static void
test_round_trip (void)
{
  GRand *rand = g_rand_new_with_seed (9);
  guint n;

  for (n = 0; n < 400; n++) {
    GstV4l2ElasticVp9CompressedParseInput in;
    GstV4l2ElasticVp9CompressedHeader h, got;
    guint one_in = 1 + n % 40;
    gsize size, extra = n % 3;
    guint8 *d;

    random_input (rand, &in);
    random_header (rand, &in, one_in, &h);
    d = encode_header (&in, &h, extra, &size);
    g_assert_true (
        gst_v4l2_elastic_vp9_compressed_header_parse (d, size, &in, &got));
    g_assert_true (same_updates (&h, &got));
    g_assert_cmpuint (got.bits_used + got.padding_bits, ==, 8 * size);
    g_assert_cmpuint (got.padding_bits, >=, 8 * extra);
    g_free (d);
  }
  g_rand_free (rand);
}

/* Cutting a header short either fails or cuts off only padding, which
 * changes nothing; most flipped bits fail.  Every copy is exactly sized, so any
 * overread shows in valgrind. */
static void
test_truncated_and_corrupt (void)
{
  GRand *rand = g_rand_new_with_seed (11);
  guint n, accepted_flips = 0, flips = 0;

  for (n = 0; n < 60; n++) {
    GstV4l2ElasticVp9CompressedParseInput in;
    GstV4l2ElasticVp9CompressedHeader h, got;
    gsize size, cut, bit;
    guint8 *d;

    random_input (rand, &in);
    random_header (rand, &in, 4, &h);
    d = encode_header (&in, &h, n % 4, &size);
    g_assert_cmpuint (size, >, n % 4);

    for (cut = 0; cut < size; cut++) {
      guint8 *t = exact_copy (d, cut);

      if (gst_v4l2_elastic_vp9_compressed_header_parse (t, cut, &in, &got))
        g_assert_true (same_updates (&h, &got));
      g_free (t);
    }
    /* Nothing useful is ever cut off: the encoder emits no bit the
     * decoder does not take, so only the byte rounding and the extra
     * padding bytes may go. */
    {
      gsize short_size = size - n % 4 - 1;
      guint8 *t = exact_copy (d, short_size);

      g_assert_false (gst_v4l2_elastic_vp9_compressed_header_parse (
          t, short_size, &in, &got));
      g_free (t);
    }

    for (bit = 0; bit < 8 * size; bit += 1 + bit / 16) {
      guint8 *t = exact_copy (d, size);

      t[bit / 8] ^= 0x80 >> (bit % 8);
      flips++;
      /* A flip low in the last bits the decoder takes may stay inside the
       * final interval and decode the same: no assertion on the values. */
      if (gst_v4l2_elastic_vp9_compressed_header_parse (t, size, &in, &got))
        accepted_flips++;
      g_free (t);
    }
    g_free (d);
  }
  /* Most corruption is caught (marker, padding, running off the end). */
  g_test_message ("%u of %u bit flips parsed", accepted_flips, flips);
  g_assert_cmpuint (accepted_flips, <, flips / 2);

  /* Random bytes: no crash, no overread, whatever the answer. */
  for (n = 0; n < 2000; n++) {
    GstV4l2ElasticVp9CompressedParseInput in;
    GstV4l2ElasticVp9CompressedHeader got;
    gsize size = g_rand_int_range (rand, 1, 64), i;
    guint8 *t = g_malloc (size);

    for (i = 0; i < size; i++)
      t[i] = g_rand_int_range (rand, 0, 256);
    random_input (rand, &in);
    gst_v4l2_elastic_vp9_compressed_header_parse (t, size, &in, &got);
    g_free (t);
  }
  g_rand_free (rand);
}

/* ------------------------------------------------------------------ */
/* Real streams: vp9enc at test time                                    */
/* ------------------------------------------------------------------ */

typedef struct
{
  const gchar *name;
  const gchar *format; /* raw video format fed to vp9enc */
  guint width, height, frames;
  const gchar *options; /* vp9enc properties */
  /* What the settings imply, checked on every frame. */
  gboolean lossless;
  gboolean error_resilient;
  gboolean hidden_frames; /* alt-ref: superframes with a hidden frame */
  guint profile;
} StreamCase;

static const StreamCase stream_cases[] = {
  { "basic", "I420", 320, 240, 30, "deadline=1 cpu-used=8 lag-in-frames=0",
      FALSE, FALSE, FALSE, 0 },
  { "alt-ref", "I420", 320, 240, 30,
      "deadline=2 cpu-used=5 auto-alt-ref=true lag-in-frames=12 "
      "keyframe-max-dist=20",
      FALSE, FALSE, TRUE, 0 },
  { "lossless", "I420", 176, 144, 10,
      "deadline=1 cpu-used=8 lag-in-frames=0 end-usage=cq cq-level=0 "
      "min-quantizer=0 "
      "max-quantizer=0",
      TRUE, FALSE, FALSE, 0 },
  { "error-resilient", "I420", 352, 288, 20,
      "deadline=1 cpu-used=8 lag-in-frames=0 error-resilient=default", FALSE,
      TRUE, FALSE, 0 },
  { "10bit", "I420_10LE", 320, 240, 20, "deadline=1 cpu-used=8 lag-in-frames=0",
      FALSE, FALSE, FALSE, 2 },
  { "10bit-lossless", "I420_10LE", 64, 64, 6,
      "deadline=1 cpu-used=8 lag-in-frames=0 end-usage=cq cq-level=0 "
      "min-quantizer=0 "
      "max-quantizer=0",
      TRUE, FALSE, FALSE, 2 },
  { "tiny", "I420", 8, 8, 8, "deadline=1 cpu-used=8 lag-in-frames=0", FALSE,
      FALSE, FALSE, 0 },
  { "odd-size", "I420", 202, 118, 12, "deadline=2 cpu-used=5 lag-in-frames=0",
      FALSE, FALSE, FALSE, 0 },
  { "wide-tiles", "I420", 1280, 96, 8,
      "deadline=1 cpu-used=8 lag-in-frames=0 tile-columns=2", FALSE, FALSE,
      FALSE, 0 },
};

/* Runs a program with the system's GStreamer plugins (the test
 * environment hides them) in a registry of its own next to the test's. */
static gboolean
run_gst_tool (gchar **argv, gchar **out)
{
  gchar **env = g_get_environ ();
  const gchar *reg = g_environ_getenv (env, "GST_REGISTRY_1_0");
  gchar *own_reg = NULL;
  gint status = 1;
  gboolean ok;
  GError *error = NULL;

  env = g_environ_unsetenv (env, "GST_PLUGIN_SYSTEM_PATH_1_0");
  env = g_environ_unsetenv (env, "GST_PLUGIN_PATH_1_0");
  env = g_environ_unsetenv (env, "GST_PLUGIN_SYSTEM_PATH");
  env = g_environ_unsetenv (env, "GST_PLUGIN_PATH");
  if (reg) {
    own_reg = g_strconcat (reg, ".system", NULL);
    env = g_environ_setenv (env, "GST_REGISTRY_1_0", own_reg, TRUE);
  }
  ok = g_spawn_sync (NULL, argv, env, G_SPAWN_SEARCH_PATH, NULL, NULL, out,
      NULL, &status, &error);
  if (!ok) {
    g_test_message ("%s: %s", argv[0], error->message);
    g_clear_error (&error);
  }
  g_free (own_reg);
  g_strfreev (env);
  return ok && g_spawn_check_wait_status (status, NULL);
}

static gboolean
have_element (const gchar *name)
{
  gchar *argv[] = { "gst-inspect-1.0", "--exists", (gchar *) name, NULL };

  return run_gst_tool (argv, NULL);
}

static gboolean
encode_stream (const StreamCase *c, const gchar *path)
{
  gchar *pipeline = g_strdup_printf (
      "gst-launch-1.0 -q videotestsrc num-buffers=%u pattern=smpte "
      "! video/x-raw,format=%s,width=%u,height=%u,framerate=30/1 "
      "! vp9enc threads=1 %s "
      "! avmux_ivf ! filesink location=\"%s\"",
      c->frames, c->format, c->width, c->height, c->options, path);
  gchar **argv = NULL;
  gboolean ok = g_shell_parse_argv (pipeline, NULL, &argv, NULL) &&
      run_gst_tool (argv, NULL);

  if (!ok)
    g_test_message ("failed: %s", pipeline);
  g_strfreev (argv);
  g_free (pipeline);
  return ok;
}

typedef struct
{
  guint frames;      /* frames with a compressed header */
  guint shown;       /* shown frames, show_existing_frame included */
  guint hidden;      /* frames decoded but not shown */
  guint superframes; /* packets holding more than one frame */
  guint lossless;
  guint error_resilient;
  guint compound_allowed; /* inter frames whose sign biases differ */
  guint tx_modes[5];
  guint reference_modes[3];
  guint updates; /* non-zero update fields */
  guint max_used_bytes;
} StreamStats;

static guint
count_updates (const GstV4l2ElasticVp9CompressedHeader *h)
{
  const guint8 *p = (const guint8 *) h;
  gsize i,
      end = G_STRUCT_OFFSET (GstV4l2ElasticVp9CompressedHeader, mv) +
      sizeof (GstV4l2ElasticVp9CompressedMvProbs);
  guint n = 0;

  for (i = G_STRUCT_OFFSET (GstV4l2ElasticVp9CompressedHeader, tx8); i < end;
       i++)
    n += p[i] != 0;
  return n;
}

static void
check_frame (GstVp9Parser *parser, const StreamCase *c, const guint8 *data,
    gsize size, StreamStats *st)
{
  GstVp9FrameHdr hdr;
  GstV4l2ElasticVp9CompressedParseInput in;
  GstV4l2ElasticVp9CompressedHeader ch;
  gsize end;

  g_assert_cmpint (gst_vp9_parser_parse_frame_header (parser, &hdr, data, size),
      ==, GST_VP9_PARSER_OK);
  g_assert_cmpuint (hdr.profile, ==, c->profile);
  if (hdr.show_existing_frame) {
    st->shown++;
    g_assert_false (gst_v4l2_elastic_vp9_compressed_header_parse_frame (
        data, size, &hdr, &ch));
    return;
  }
  st->frames++;
  if (hdr.show_frame)
    st->shown++;
  else
    st->hidden++;
  g_assert_cmpuint (hdr.width, ==, c->width);
  g_assert_cmpuint (hdr.height, ==, c->height);

  /* The compressed header lies within the frame, tile data behind it. */
  end = (gsize) hdr.frame_header_length_in_bytes + hdr.first_partition_size;
  g_assert_cmpuint (hdr.first_partition_size, >, 0);
  g_assert_cmpuint (end, <, size);

  /* It parses: marker 0, no bit needed past its declared size, and the
   * rest of it zero padding. */
  g_assert_true (gst_v4l2_elastic_vp9_compressed_header_parse_frame (
      data, size, &hdr, &ch));
  g_assert_cmpuint (
      ch.bits_used + ch.padding_bits, ==, 8 * (gsize) hdr.first_partition_size);
  st->max_used_bytes = MAX (st->max_used_bytes, (ch.bits_used + 7) / 8);

  /* The frame cut inside the compressed header does not parse. */
  g_assert_false (gst_v4l2_elastic_vp9_compressed_header_parse_frame (
      data, end - 1, &hdr, &ch));
  g_assert_true (gst_v4l2_elastic_vp9_compressed_header_parse_frame (
      data, end, &hdr, &ch));

  gst_v4l2_elastic_vp9_compressed_parse_input_from_frame_hdr (&hdr, &in);
  g_assert_cmpint (in.lossless, ==, hdr.lossless_flag != 0);
  st->lossless += in.lossless;
  st->error_resilient += hdr.error_resilient_mode != 0;
  st->tx_modes[ch.tx_mode]++;
  st->reference_modes[ch.reference_mode]++;
  st->updates += count_updates (&ch);

  /* libvpx codes lossless frames with the 4x4 Walsh-Hadamard transform
   * only (and has to: the mode is not even coded), and never restricts
   * other frames to 4x4. */
  if (in.lossless)
    g_assert_cmpuint (
        ch.tx_mode, ==, GST_V4L2_ELASTIC_VP9_COMPRESSED_TX_MODE_ONLY_4X4);
  else
    g_assert_cmpuint (
        ch.tx_mode, !=, GST_V4L2_ELASTIC_VP9_COMPRESSED_TX_MODE_ONLY_4X4);

  /* Intra frames and inter frames whose references all lie on the same
   * side code no reference mode: single reference. */
  if (in.frame_is_intra) {
    g_assert_cmpuint (ch.reference_mode, ==,
        GST_V4L2_ELASTIC_VP9_COMPRESSED_REFERENCE_MODE_SINGLE);
  } else if (in.ref_frame_sign_bias[0] != in.ref_frame_sign_bias[1] ||
      in.ref_frame_sign_bias[0] != in.ref_frame_sign_bias[2]) {
    st->compound_allowed++;
  } else {
    g_assert_cmpuint (ch.reference_mode, ==,
        GST_V4L2_ELASTIC_VP9_COMPRESSED_REFERENCE_MODE_SINGLE);
  }
}

/* Annex B: a superframe index at the end of a packet is a marker byte
 * 110s sfff (s + 1 bytes per size, f + 1 frames), the little-endian
 * sizes, and the marker byte again. */
static gboolean
superframe_sizes (const guint8 *data, gsize size, guint32 *sizes,
    guint *n_frames, gsize *index_size)
{
  guint8 marker;
  guint bytes, frames, i, j;
  gsize total;

  if (size == 0)
    return FALSE;
  marker = data[size - 1];
  if ((marker & 0xe0) != 0xc0)
    return FALSE;
  bytes = ((marker >> 3) & 3) + 1;
  frames = (marker & 7) + 1;
  total = 2 + (gsize) bytes * frames;
  if (size < total || data[size - total] != marker)
    return FALSE;
  for (i = 0; i < frames; i++) {
    sizes[i] = 0;
    for (j = 0; j < bytes; j++)
      sizes[i] |= (guint32) data[size - total + 1 + i * bytes + j] << (8 * j);
  }
  *n_frames = frames;
  *index_size = total;
  return TRUE;
}

static void
check_packet (GstVp9Parser *parser, const StreamCase *c, const guint8 *data,
    gsize size, StreamStats *st)
{
  guint32 sizes[8];
  guint n, i;
  gsize index_size, offset = 0;
  GstVp9SuperframeInfo info;

  g_assert_cmpint (
      gst_vp9_parser_parse_superframe_info (parser, &info, data, size), ==,
      GST_VP9_PARSER_OK);
  if (!superframe_sizes (data, size, sizes, &n, &index_size)) {
    g_assert_cmpuint (info.frames_in_superframe, <=, 1);
    check_frame (parser, c, data, size, st);
    return;
  }
  /* Our reading of annex B agrees with GstVp9Parser's. */
  g_assert_cmpuint (info.frames_in_superframe, ==, n);
  g_assert_cmpuint (info.superframe_index_size, ==, index_size);
  st->superframes++;
  for (i = 0; i < n; i++) {
    g_assert_cmpuint (info.frame_sizes[i], ==, sizes[i]);
    g_assert_cmpuint (sizes[i], <=, size - index_size - offset);
    check_frame (parser, c, data + offset, sizes[i], st);
    offset += sizes[i];
  }
}

static void
check_ivf (const StreamCase *c, const gchar *path, StreamStats *st)
{
  GstVp9Parser *parser = gst_vp9_parser_new ();
  gchar *contents;
  gsize length, pos;
  GError *error = NULL;

  g_assert_true (g_file_get_contents (path, &contents, &length, &error));
  g_assert_no_error (error);
  /* IVF: a 32-byte file header (DKIF, version, header size, fourcc, ...),
   * then per frame a 12-byte header (little-endian size, timestamp). */
  g_assert_cmpuint (length, >=, 32);
  g_assert_cmpmem (contents, 4, "DKIF", 4);
  g_assert_cmpmem (contents + 8, 4, "VP90", 4);
  pos = GST_READ_UINT16_LE (contents + 6);
  while (pos < length) {
    guint32 frame_size;

    g_assert_cmpuint (length - pos, >=, 12);
    frame_size = GST_READ_UINT32_LE (contents + pos);
    pos += 12;
    g_assert_cmpuint (frame_size, <=, length - pos);
    check_packet (parser, c, (const guint8 *) contents + pos, frame_size, st);
    pos += frame_size;
  }
  g_free (contents);
  gst_vp9_parser_free (parser);
}

static void
test_streams (gconstpointer data)
{
  const StreamCase *c = data;
  StreamStats st = { 0 };
  gchar *dir, *path;

  if (!g_find_program_in_path ("gst-launch-1.0") || !have_element ("vp9enc") ||
      !have_element ("avmux_ivf")) {
    /* tools/setup-host installs them: missing is a failure, not a skip. */
    g_error ("needs gst-launch-1.0, vp9enc (gstreamer1.0-plugins-good) "
             "and avmux_ivf (gstreamer1.0-libav)");
  }
  dir = g_dir_make_tmp ("vp9compressed-XXXXXX", NULL);
  g_assert_nonnull (dir);
  path = g_build_filename (dir, "stream.ivf", NULL);
  g_assert_true (encode_stream (c, path));
  check_ivf (c, path, &st);
  g_unlink (path);
  g_rmdir (dir);

  g_test_message ("%s: %u frames (%u shown, %u hidden, %u superframes), "
                  "%u lossless, %u error-resilient, tx_mode "
                  "%u/%u/%u/%u/%u, reference_mode %u/%u/%u (%u could be "
                  "compound), %u updates, compressed header <= %u bytes",
      c->name, st.frames, st.shown, st.hidden, st.superframes, st.lossless,
      st.error_resilient, st.tx_modes[0], st.tx_modes[1], st.tx_modes[2],
      st.tx_modes[3], st.tx_modes[4], st.reference_modes[0],
      st.reference_modes[1], st.reference_modes[2], st.compound_allowed,
      st.updates, st.max_used_bytes);

  g_assert_cmpuint (st.shown, ==, c->frames);
  g_assert_cmpuint (st.lossless, ==, c->lossless ? st.frames : 0);
  g_assert_cmpuint (st.error_resilient, ==, c->error_resilient ? st.frames : 0);
  /* One-pass libvpx keeps every sign bias 0, so compound prediction is
   * never possible in these streams (the round trip covers its syntax). */
  g_assert_cmpuint (st.compound_allowed, ==, 0);
  if (c->hidden_frames) {
    g_assert_cmpuint (st.hidden, >, 0);
    g_assert_cmpuint (st.superframes, >, 0);
  } else {
    g_assert_cmpuint (st.hidden, ==, 0);
  }
  /* The encoder does update probabilities (not for an 8x8 picture, whose
   * few symbols are not worth it): the headers are not empty. */
  if (c->width * c->height >= 64 * 64)
    g_assert_cmpuint (st.updates, >, 0);
  g_free (path);
  g_free (dir);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/vp9compressed/bool/marker", test_bool_marker);
  g_test_add_func ("/vp9compressed/bool/literal", test_bool_literal);
  g_test_add_func (
      "/vp9compressed/bool/probabilities", test_bool_probabilities);
  g_test_add_func ("/vp9compressed/term-subexp", test_term_subexp);
  g_test_add_func ("/vp9compressed/inv-map", test_inv_map);
  g_test_add_func (
      "/vp9compressed/encoder-term-subexp", test_encoder_term_subexp);
  g_test_add_func ("/vp9compressed/round-trip", test_round_trip);
  g_test_add_func (
      "/vp9compressed/truncated-corrupt", test_truncated_and_corrupt);
  for (guint i = 0; i < G_N_ELEMENTS (stream_cases); i++) {
    gchar *name =
        g_strdup_printf ("/vp9compressed/stream/%s", stream_cases[i].name);

    g_test_add_data_func (name, &stream_cases[i], test_streams);
    g_free (name);
  }
  return g_test_run ();
}
