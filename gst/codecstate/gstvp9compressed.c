/* gst-v4l2-elastic
 *
 * VP9 compressed header parser, written from the VP9 Bitstream & Decoding
 * Process Specification v0.6 (9.2 boolean decoder, 6.3 compressed header
 * syntax) and the kernel's documentation of
 * V4L2_CID_STATELESS_VP9_COMPRESSED_HDR.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstvp9compressed.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_vp9_compressed_debug);
#define GST_CAT_DEFAULT gst_vp9_compressed_debug

static void
ensure_debug_category (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (gst_vp9_compressed_debug,
        "v4l2elastic-vp9compressed", 0, "VP9 compressed header parser");
    g_once_init_leave (&once, 1);
  }
}

/* ------------------------------------------------------------------ */
/* Boolean decoder (9.2)                                                */
/* ------------------------------------------------------------------ */

static guint
take_bit (GstV4l2ElasticVp9BoolDecoder *bd)
{
  guint bit;

  /* Past BoolMaxBits the specification shifts in zeros; the data itself is
   * never touched beyond size. */
  if (bd->max_bits == 0) {
    bd->overrun++;
    return 0;
  }
  bit = (bd->data[bd->pos >> 3] >> (7 - (bd->pos & 7))) & 1;
  bd->pos++;
  bd->max_bits--;
  return bit;
}

/**
 * gst_v4l2_elastic_vp9_bool_decoder_init:
 *
 * init_bool (9.2.1): loads the first byte and reads the marker bit.
 *
 * Returns: FALSE when @size is 0 or the marker bit is not 0 (a
 * requirement of bitstream conformance).
 */
gboolean
gst_v4l2_elastic_vp9_bool_decoder_init (
    GstV4l2ElasticVp9BoolDecoder *bd, const guint8 *data, gsize size)
{
  guint i;

  ensure_debug_category ();
  memset (bd, 0, sizeof (*bd));
  if (size < 1 || data == NULL)
    return FALSE;
  /* BoolMaxBits counts bits and must not wrap. */
  if (size > G_MAXSIZE / 8)
    return FALSE;

  bd->data = data;
  bd->size = size;
  bd->max_bits = 8 * size;
  for (i = 0; i < 8; i++)
    bd->value = (bd->value << 1) | take_bit (bd);
  bd->range = 255;

  if (gst_v4l2_elastic_vp9_bool_decoder_read_bool (bd, 128) != 0) {
    GST_DEBUG ("boolean decoder marker bit is 1");
    return FALSE;
  }
  return TRUE;
}

/**
 * gst_v4l2_elastic_vp9_bool_decoder_read_bool:
 * @prob: probability (out of 256) that the bit is 0
 *
 * read_bool (9.2.2).
 */
guint
gst_v4l2_elastic_vp9_bool_decoder_read_bool (
    GstV4l2ElasticVp9BoolDecoder *bd, guint8 prob)
{
  guint split = 1 + (((bd->range - 1) * prob) >> 8);
  guint bit;

  if (bd->value < split) {
    bd->range = split;
    bit = 0;
  } else {
    bd->range -= split;
    bd->value -= split;
    bit = 1;
  }
  /* Renormalise: keep BoolRange in [128, 255]. */
  while (bd->range < 128) {
    bd->value = (bd->value << 1) | take_bit (bd);
    bd->range <<= 1;
  }
  return bit;
}

/**
 * gst_v4l2_elastic_vp9_bool_decoder_read_literal:
 * @n: number of bits, at most 32
 *
 * L(n) (9.2.4): @n equiprobable bits, most significant first.
 */
guint32
gst_v4l2_elastic_vp9_bool_decoder_read_literal (
    GstV4l2ElasticVp9BoolDecoder *bd, guint n)
{
  guint32 x = 0;
  guint i;

  g_return_val_if_fail (n <= 32, 0);
  for (i = 0; i < n; i++)
    x = (x << 1) | gst_v4l2_elastic_vp9_bool_decoder_read_bool (bd, 128);
  return x;
}

/**
 * gst_v4l2_elastic_vp9_bool_decoder_exit:
 *
 * exit_bool (9.2.3): the BoolMaxBits bits left are padding, which the
 * specification requires to be 0.  The check is what catches a wrong
 * header size or corrupt data, since the arithmetic decoder itself accepts
 * any bit string.
 *
 * Returns: TRUE when the padding is all zero.
 */
gboolean
gst_v4l2_elastic_vp9_bool_decoder_exit (GstV4l2ElasticVp9BoolDecoder *bd)
{
  gsize pos = bd->pos;
  gsize end = 8 * bd->size;

  /* Bits up to the next byte boundary, then whole bytes. */
  while (pos < end && (pos & 7) != 0) {
    if ((bd->data[pos >> 3] >> (7 - (pos & 7))) & 1)
      return FALSE;
    pos++;
  }
  for (; pos < end; pos += 8)
    if (bd->data[pos >> 3] != 0)
      return FALSE;
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Probability updates (6.3.5, 6.3.6, 9.3)                              */
/* ------------------------------------------------------------------ */

/**
 * gst_v4l2_elastic_vp9_decode_term_subexp:
 *
 * decode_term_subexp (6.3.5): a deltaProb in [0, 254].  Short codes for
 * small values (4 bits for 0..15, 4 for 16..31, 5 for 32..63), 7 bits for
 * 64..128 and 8 bits for 129..254.
 */
guint
gst_v4l2_elastic_vp9_decode_term_subexp (GstV4l2ElasticVp9BoolDecoder *bd)
{
  guint v;

  if (!gst_v4l2_elastic_vp9_bool_decoder_read_literal (bd, 1))
    return gst_v4l2_elastic_vp9_bool_decoder_read_literal (bd, 4);
  if (!gst_v4l2_elastic_vp9_bool_decoder_read_literal (bd, 1))
    return gst_v4l2_elastic_vp9_bool_decoder_read_literal (bd, 4) + 16;
  if (!gst_v4l2_elastic_vp9_bool_decoder_read_literal (bd, 1))
    return gst_v4l2_elastic_vp9_bool_decoder_read_literal (bd, 5) + 32;
  v = gst_v4l2_elastic_vp9_bool_decoder_read_literal (bd, 7);
  if (v < 65)
    return v + 64;
  return (v << 1) - 1 + gst_v4l2_elastic_vp9_bool_decoder_read_literal (bd, 1);
}

/**
 * gst_v4l2_elastic_vp9_inv_map_delta:
 * @delta_prob: a value of decode_term_subexp, 0..254
 *
 * inv_map_table[delta_prob] (6.3.5).  The table is a permutation of
 * 1..254 (plus a repeated 253 for index 254): its first 20 entries are the
 * coarse grid 7 + 13 k, so that the cheapest codes reach across the whole
 * range, and the remaining entries are every other value in ascending
 * order.  Computed rather than tabulated; never 0, which is what lets V4L2
 * use 0 for "no update".
 */
guint8
gst_v4l2_elastic_vp9_inv_map_delta (guint delta_prob)
{
  guint j;

  g_return_val_if_fail (delta_prob <= 254, 0);
  if (delta_prob < 20)
    return 7 + 13 * delta_prob;
  if (delta_prob == 254)
    return 253;
  j = delta_prob - 20;
  /* 1..6 come before the first grid value 7; after that, every run of 13
   * values holds 12 that are not on the grid. */
  if (j < 6)
    return j + 1;
  j -= 6;
  return 8 + 13 * (j / 12) + j % 12;
}

/* inv_recenter_nonneg (6.3.6): values up to 2 m alternate around m. */
static guint
inv_recenter_nonneg (guint v, guint m)
{
  if (v > 2 * m)
    return v;
  if (v & 1)
    return m - ((v + 1) >> 1);
  return m + (v >> 1);
}

/**
 * gst_v4l2_elastic_vp9_apply_prob_update:
 * @mapped_delta: inv_map_table[deltaProb], or 0 for no update
 *
 * The second half of inv_remap_prob (6.3.5), the half that a V4L2 driver
 * does with the values of GstV4l2ElasticVp9CompressedHeader: recentre the
 * update around the old probability, on the side that has more room.
 */
guint8
gst_v4l2_elastic_vp9_apply_prob_update (guint8 mapped_delta, guint8 prob)
{
  if (mapped_delta == 0)
    return prob;
  if (prob <= 128)
    return 1 + inv_recenter_nonneg (mapped_delta, prob - 1);
  return 255 - inv_recenter_nonneg (mapped_delta, 255 - prob);
}

/**
 * gst_v4l2_elastic_vp9_inv_remap_prob:
 *
 * inv_remap_prob (6.3.5): the new probability for @delta_prob (a value of
 * decode_term_subexp) and the old probability @prob (1..255).
 */
guint8
gst_v4l2_elastic_vp9_inv_remap_prob (guint delta_prob, guint8 prob)
{
  return gst_v4l2_elastic_vp9_apply_prob_update (
      gst_v4l2_elastic_vp9_inv_map_delta (delta_prob), prob);
}

/* ------------------------------------------------------------------ */
/* Compressed header syntax (6.3)                                       */
/* ------------------------------------------------------------------ */

/* The probability of "an update follows" for diff_update_prob and
 * update_mv_prob (6.3.4, 6.3.17). */
#define UPDATE_PROB 252

/* diff_update_prob (6.3.4), keeping the update in the form V4L2 wants. */
static guint8
read_diff_update (GstV4l2ElasticVp9BoolDecoder *bd)
{
  if (!gst_v4l2_elastic_vp9_bool_decoder_read_bool (bd, UPDATE_PROB))
    return 0;
  return gst_v4l2_elastic_vp9_inv_map_delta (
      gst_v4l2_elastic_vp9_decode_term_subexp (bd));
}

static void
read_diff_updates (GstV4l2ElasticVp9BoolDecoder *bd, guint8 *p, guint n)
{
  guint i;

  for (i = 0; i < n; i++)
    p[i] = read_diff_update (bd);
}

/* update_mv_prob (6.3.17): a motion vector probability is sent whole, 7
 * bits for an odd value. */
static guint8
read_mv_update (GstV4l2ElasticVp9BoolDecoder *bd)
{
  if (!gst_v4l2_elastic_vp9_bool_decoder_read_bool (bd, UPDATE_PROB))
    return 0;
  return (gst_v4l2_elastic_vp9_bool_decoder_read_literal (bd, 7) << 1) | 1;
}

static void
read_mv_updates (GstV4l2ElasticVp9BoolDecoder *bd, guint8 *p, guint n)
{
  guint i;

  for (i = 0; i < n; i++)
    p[i] = read_mv_update (bd);
}

/* read_tx_mode (6.3.1) and tx_mode_probs (6.3.2). */
static void
read_tx_mode (GstV4l2ElasticVp9BoolDecoder *bd,
    const GstV4l2ElasticVp9CompressedParseInput *in,
    GstV4l2ElasticVp9CompressedHeader *out)
{
  guint i;

  /* Lossless frames use the 4x4 Walsh-Hadamard transform only, so the
   * mode is implied and not coded. */
  if (in->lossless) {
    out->tx_mode = GST_V4L2_ELASTIC_VP9_COMPRESSED_TX_MODE_ONLY_4X4;
    return;
  }
  out->tx_mode = gst_v4l2_elastic_vp9_bool_decoder_read_literal (bd, 2);
  if (out->tx_mode == GST_V4L2_ELASTIC_VP9_COMPRESSED_TX_MODE_ALLOW_32X32)
    out->tx_mode += gst_v4l2_elastic_vp9_bool_decoder_read_literal (bd, 1);

  if (out->tx_mode != GST_V4L2_ELASTIC_VP9_COMPRESSED_TX_MODE_SELECT)
    return;
  /* All 8x8 contexts, then all 16x16, then all 32x32. */
  for (i = 0; i < 2; i++)
    read_diff_updates (bd, out->tx8[i], 1);
  for (i = 0; i < 2; i++)
    read_diff_updates (bd, out->tx16[i], 2);
  for (i = 0; i < 2; i++)
    read_diff_updates (bd, out->tx32[i], 3);
}

/* read_coef_probs (6.3.7): one update_probs flag per transform size up to
 * the largest the tx_mode allows. */
static void
read_coef_probs (
    GstV4l2ElasticVp9BoolDecoder *bd, GstV4l2ElasticVp9CompressedHeader *out)
{
  /* tx_mode_to_biggest_tx_size: SELECT allows 32x32 too. */
  guint max_tx_size = MIN (out->tx_mode, 3);
  guint tx_size, i, j, k, l;

  for (tx_size = 0; tx_size <= max_tx_size; tx_size++) {
    if (!gst_v4l2_elastic_vp9_bool_decoder_read_literal (bd, 1))
      continue;
    for (i = 0; i < 2; i++)
      for (j = 0; j < 2; j++)
        for (k = 0; k < 6; k++)
          /* Band 0 has only 3 contexts. */
          for (l = 0; l < (k == 0 ? 3u : 6u); l++)
            read_diff_updates (bd, out->coef[tx_size][i][j][k][l], 3);
  }
}

/* frame_reference_mode (6.3.12). */
static void
read_frame_reference_mode (GstV4l2ElasticVp9BoolDecoder *bd,
    const GstV4l2ElasticVp9CompressedParseInput *in,
    GstV4l2ElasticVp9CompressedHeader *out)
{
  gboolean compound_allowed = FALSE;
  guint i;

  /* Compound prediction averages a forward and a backward reference: it
   * is only possible when some reference's sign bias differs from LAST's. */
  for (i = 1; i < 3; i++)
    if (!in->ref_frame_sign_bias[i] != !in->ref_frame_sign_bias[0])
      compound_allowed = TRUE;

  out->reference_mode = GST_V4L2_ELASTIC_VP9_COMPRESSED_REFERENCE_MODE_SINGLE;
  if (!compound_allowed)
    return;
  if (!gst_v4l2_elastic_vp9_bool_decoder_read_literal (
          bd, 1)) /* non_single_reference */
    return;
  out->reference_mode = gst_v4l2_elastic_vp9_bool_decoder_read_literal (bd, 1)
      ? GST_V4L2_ELASTIC_VP9_COMPRESSED_REFERENCE_MODE_SELECT
      : GST_V4L2_ELASTIC_VP9_COMPRESSED_REFERENCE_MODE_COMPOUND;
}

/* frame_reference_mode_probs (6.3.13). */
static void
read_frame_reference_mode_probs (
    GstV4l2ElasticVp9BoolDecoder *bd, GstV4l2ElasticVp9CompressedHeader *out)
{
  guint i;

  if (out->reference_mode ==
      GST_V4L2_ELASTIC_VP9_COMPRESSED_REFERENCE_MODE_SELECT)
    read_diff_updates (bd, out->comp_mode, 5);
  if (out->reference_mode !=
      GST_V4L2_ELASTIC_VP9_COMPRESSED_REFERENCE_MODE_COMPOUND)
    for (i = 0; i < 5; i++)
      read_diff_updates (bd, out->single_ref[i], 2);
  if (out->reference_mode !=
      GST_V4L2_ELASTIC_VP9_COMPRESSED_REFERENCE_MODE_SINGLE)
    read_diff_updates (bd, out->comp_ref, 5);
}

/* mv_probs (6.3.16). */
static void
read_mv_probs (GstV4l2ElasticVp9BoolDecoder *bd,
    const GstV4l2ElasticVp9CompressedParseInput *in,
    GstV4l2ElasticVp9CompressedMvProbs *mv)
{
  guint i, j;

  read_mv_updates (bd, mv->joint, 3);
  for (i = 0; i < 2; i++) {
    read_mv_updates (bd, &mv->sign[i], 1);
    read_mv_updates (bd, mv->classes[i], 10);
    read_mv_updates (bd, &mv->class0_bit[i], 1);
    read_mv_updates (bd, mv->bits[i], 10);
  }
  for (i = 0; i < 2; i++) {
    for (j = 0; j < 2; j++)
      read_mv_updates (bd, mv->class0_fr[i][j], 3);
    read_mv_updates (bd, mv->fr[i], 3);
  }
  if (!in->allow_high_precision_mv)
    return;
  for (i = 0; i < 2; i++) {
    read_mv_updates (bd, &mv->class0_hp[i], 1);
    read_mv_updates (bd, &mv->hp[i], 1);
  }
}

/**
 * gst_v4l2_elastic_vp9_compressed_header_parse:
 * @data: the compressed header, which follows the uncompressed header
 * @size: its size, header_size_in_bytes of the uncompressed header
 * @in: what the syntax depends on from the uncompressed header
 * @out: (out): the header; all updates 0 where the bitstream has none
 *
 * compressed_header (6.3), between init_bool and exit_bool.
 *
 * Returns: FALSE on an empty header, a marker bit of 1, a header that
 * needs bits beyond @size, or padding that is not zero: a header size that
 * does not match the data, truncated or corrupt data.  Never reads outside
 * @data + @size.
 */
gboolean
gst_v4l2_elastic_vp9_compressed_header_parse (const guint8 *data, gsize size,
    const GstV4l2ElasticVp9CompressedParseInput *in,
    GstV4l2ElasticVp9CompressedHeader *out)
{
  GstV4l2ElasticVp9BoolDecoder bd;
  guint i;

  ensure_debug_category ();
  memset (out, 0, sizeof (*out));

  if (!gst_v4l2_elastic_vp9_bool_decoder_init (&bd, data, size)) {
    GST_DEBUG ("no compressed header in %" G_GSIZE_FORMAT " bytes", size);
    return FALSE;
  }

  read_tx_mode (&bd, in, out);
  read_coef_probs (&bd, out);
  read_diff_updates (&bd, out->skip, 3);

  /* Intra frames have no inter modes, references or motion vectors, and
   * code their intra modes with fixed probabilities. */
  if (!in->frame_is_intra) {
    for (i = 0; i < 7; i++)
      read_diff_updates (&bd, out->inter_mode[i], 3);
    if (in->interp_filter_switchable)
      for (i = 0; i < 4; i++)
        read_diff_updates (&bd, out->interp_filter[i], 2);
    read_diff_updates (&bd, out->is_inter, 4);
    read_frame_reference_mode (&bd, in, out);
    read_frame_reference_mode_probs (&bd, out);
    for (i = 0; i < 4; i++)
      read_diff_updates (&bd, out->y_mode[i], 9);
    for (i = 0; i < 16; i++)
      read_diff_updates (&bd, out->partition[i], 3);
    read_mv_probs (&bd, in, &out->mv);
  }

  out->bits_used = bd.pos;
  out->padding_bits = 8 * size - bd.pos;
  /* 9.2.2 lets the decoder shift in zeros past the end, but a header that
   * needs them has lost its tail: an encoder flushes its whole state and
   * then pads with zeros (libvpx writes 32 zero bits).  Refusing it is what
   * makes a truncated header fail instead of decoding into different
   * probabilities; cutting off only padding changes nothing. */
  if (bd.overrun) {
    GST_DEBUG ("compressed header needs %" G_GSIZE_FORMAT
               " bits beyond its %" G_GSIZE_FORMAT " bytes",
        bd.overrun, size);
    return FALSE;
  }
  if (!gst_v4l2_elastic_vp9_bool_decoder_exit (&bd)) {
    GST_DEBUG ("compressed header padding is not zero (%" G_GSIZE_FORMAT
               " of %" G_GSIZE_FORMAT " bits used)",
        bd.pos, 8 * size);
    return FALSE;
  }
  GST_LOG ("tx_mode %u reference_mode %u, %" G_GSIZE_FORMAT
           " of %" G_GSIZE_FORMAT " bits used",
      out->tx_mode, out->reference_mode, bd.pos, 8 * size);
  return TRUE;
}

/**
 * gst_v4l2_elastic_vp9_compressed_parse_input_from_frame_hdr:
 *
 * Fills @in from an uncompressed header parsed by GstVp9Parser.  Nothing
 * of the parser's state across frames is needed: the header carries it all.
 */
void
gst_v4l2_elastic_vp9_compressed_parse_input_from_frame_hdr (
    const GstVp9FrameHdr *frame_hdr, GstV4l2ElasticVp9CompressedParseInput *in)
{
  const GstVp9QuantIndices *q = &frame_hdr->quant_indices;
  guint i;

  memset (in, 0, sizeof (*in));
  /* Lossless is a frame property: base_q_idx and the three deltas,
   * whatever segmentation does. */
  in->lossless = q->y_ac_qi == 0 && q->y_dc_delta == 0 && q->uv_dc_delta == 0 &&
      q->uv_ac_delta == 0;
  in->frame_is_intra =
      frame_hdr->frame_type == GST_VP9_KEY_FRAME || frame_hdr->intra_only;
  if (in->frame_is_intra)
    return;
  in->interp_filter_switchable =
      frame_hdr->mcomp_filter_type == GST_VP9_INTERPOLATION_FILTER_SWITCHABLE;
  in->allow_high_precision_mv = frame_hdr->allow_high_precision_mv != 0;
  for (i = 0; i < 3; i++)
    in->ref_frame_sign_bias[i] = frame_hdr->ref_frame_sign_bias[i] != 0;
}

/**
 * gst_v4l2_elastic_vp9_compressed_header_parse_frame:
 * @frame: one frame (not a superframe) as GstVp9Parser parsed it
 * @frame_hdr: its uncompressed header
 *
 * Finds the compressed header behind the uncompressed one and parses it.
 *
 * Returns: FALSE for a frame without a compressed header
 * (show_existing_frame), a compressed header that does not fit in @frame,
 * or one that does not parse.
 */
gboolean
gst_v4l2_elastic_vp9_compressed_header_parse_frame (const guint8 *frame,
    gsize frame_size, const GstVp9FrameHdr *frame_hdr,
    GstV4l2ElasticVp9CompressedHeader *out)
{
  GstV4l2ElasticVp9CompressedParseInput in;
  gsize offset = frame_hdr->frame_header_length_in_bytes;
  gsize size = frame_hdr->first_partition_size;

  ensure_debug_category ();
  memset (out, 0, sizeof (*out));
  if (frame_hdr->show_existing_frame) {
    GST_DEBUG ("show_existing_frame has no compressed header");
    return FALSE;
  }
  if (offset > frame_size || size > frame_size - offset) {
    GST_DEBUG ("compressed header %" G_GSIZE_FORMAT " + %" G_GSIZE_FORMAT
               " beyond the frame's %" G_GSIZE_FORMAT " bytes",
        offset, size, frame_size);
    return FALSE;
  }
  gst_v4l2_elastic_vp9_compressed_parse_input_from_frame_hdr (frame_hdr, &in);
  return gst_v4l2_elastic_vp9_compressed_header_parse (
      frame + offset, size, &in, out);
}
