/* gst-v4l2-elastic
 *
 * Moves the short-term RPSs of an x265 stream into its SPS (7.3.2.2,
 * 7.3.7), with inter-RPS prediction, and makes the slices name them.
 * Bits are rewritten on the RBSP (emulation prevention removed, then put
 * back); GstH265Parser gives what the slice header holds and where it
 * ends (header_size), this file only finds where the RPS starts.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include <gst/codecparsers/gsth265parser.h>

#include "h265-rps-rewrite.h"

/* ---- bits ---- */

typedef struct
{
  const guint8 *data;
  gsize size; /* bytes */
  gsize pos;  /* bits */
  gboolean overrun;
} BitReader;

static guint32
read_bits (BitReader *br, guint n)
{
  guint32 v = 0;

  while (n--) {
    if (br->pos >= br->size * 8) {
      br->overrun = TRUE;
      return 0;
    }
    v = (v << 1) | ((br->data[br->pos / 8] >> (7 - br->pos % 8)) & 1);
    br->pos++;
  }
  return v;
}

static guint32
read_ue (BitReader *br)
{
  guint zeros = 0;

  while (!read_bits (br, 1) && !br->overrun && zeros < 32)
    zeros++;
  return ((1u << zeros) - 1) + read_bits (br, zeros);
}

typedef struct
{
  GByteArray *bytes;
  guint nbits;
} BitWriter;

static void
write_bits (BitWriter *bw, guint32 value, guint n)
{
  while (n--) {
    if (bw->nbits % 8 == 0) {
      guint8 zero = 0;

      g_byte_array_append (bw->bytes, &zero, 1);
    }
    if ((value >> n) & 1)
      bw->bytes->data[bw->nbits / 8] |= 1 << (7 - bw->nbits % 8);
    bw->nbits++;
  }
}

static void
write_ue (BitWriter *bw, guint32 value)
{
  guint len = 0;

  while ((value + 1) >> (len + 1))
    len++;
  write_bits (bw, 0, len);
  write_bits (bw, value + 1, len + 1);
}

/* Copies bits [from, to) of @src. */
static void
copy_bits (BitWriter *bw, const guint8 *src, gsize from, gsize to)
{
  for (; from < to; from++)
    write_bits (bw, (src[from / 8] >> (7 - from % 8)) & 1, 1);
}

static guint
ue_len (guint32 value)
{
  guint len = 0;

  while ((value + 1) >> (len + 1))
    len++;
  return 2 * len + 1;
}

/* The last set bit below @end (the RBSP stop bit, or byte_alignment()'s
 * one bit). */
static gsize
last_one_before (const guint8 *d, gsize end)
{
  while (end > 0) {
    end--;
    if ((d[end / 8] >> (7 - end % 8)) & 1)
      return end;
  }
  return 0;
}

static GByteArray *
unescape (const guint8 *nal, gsize size)
{
  GByteArray *rbsp = g_byte_array_sized_new (size);
  guint zeros = 0;
  gsize i;

  for (i = 0; i < size; i++) {
    if (zeros >= 2 && nal[i] == 3) {
      zeros = 0;
      continue;
    }
    zeros = nal[i] == 0 ? zeros + 1 : 0;
    g_byte_array_append (rbsp, &nal[i], 1);
  }
  return rbsp;
}

/* Appends a 4-byte start code and @rbsp with emulation prevention. */
static void
append_nal (GByteArray *out, const GByteArray *rbsp)
{
  static const guint8 start[] = { 0, 0, 0, 1 };
  static const guint8 three = 3;
  guint zeros = 0;
  guint i;

  g_byte_array_append (out, start, sizeof (start));
  for (i = 0; i < rbsp->len; i++) {
    if (zeros >= 2 && rbsp->data[i] <= 3) {
      g_byte_array_append (out, &three, 1);
      zeros = 0;
    }
    zeros = rbsp->data[i] == 0 ? zeros + 1 : 0;
    g_byte_array_append (out, &rbsp->data[i], 1);
  }
}

/* ---- RPS sets ---- */

typedef struct
{
  guint nneg, npos;
  gint32 s0[16], s1[16];
  gboolean u0[16], u1[16];
} Rps;

static gboolean
rps_equal (const Rps *a, const Rps *b)
{
  guint i;

  if (a->nneg != b->nneg || a->npos != b->npos)
    return FALSE;
  for (i = 0; i < a->nneg; i++)
    if (a->s0[i] != b->s0[i] || !a->u0[i] != !b->u0[i])
      return FALSE;
  for (i = 0; i < a->npos; i++)
    if (a->s1[i] != b->s1[i] || !a->u1[i] != !b->u1[i])
      return FALSE;
  return TRUE;
}

static void
rps_from_parser (Rps *rps, const GstH265ShortTermRefPicSet *st)
{
  guint i;

  memset (rps, 0, sizeof (*rps));
  rps->nneg = st->NumNegativePics;
  rps->npos = st->NumPositivePics;
  for (i = 0; i < rps->nneg; i++) {
    rps->s0[i] = st->DeltaPocS0[i];
    rps->u0[i] = st->UsedByCurrPicS0[i];
  }
  for (i = 0; i < rps->npos; i++) {
    rps->s1[i] = st->DeltaPocS1[i];
    rps->u1[i] = st->UsedByCurrPicS1[i];
  }
}

/* st_ref_pic_set() without inter prediction (what x265 writes). */
static gboolean
read_explicit_rps (BitReader *br, Rps *rps)
{
  gint32 prev = 0;
  guint i;

  memset (rps, 0, sizeof (*rps));
  rps->nneg = read_ue (br);
  rps->npos = read_ue (br);
  if (rps->nneg > 16 || rps->npos > 16)
    return FALSE;
  for (i = 0; i < rps->nneg; i++) {
    prev -= (gint32) read_ue (br) + 1;
    rps->s0[i] = prev;
    rps->u0[i] = read_bits (br, 1);
  }
  prev = 0;
  for (i = 0; i < rps->npos; i++) {
    prev += (gint32) read_ue (br) + 1;
    rps->s1[i] = prev;
    rps->u1[i] = read_bits (br, 1);
  }
  return !br->overrun;
}

static void
write_explicit_rps (BitWriter *bw, const Rps *rps)
{
  gint32 prev = 0;
  guint i;

  write_ue (bw, rps->nneg);
  write_ue (bw, rps->npos);
  for (i = 0; i < rps->nneg; i++) {
    write_ue (bw, prev - rps->s0[i] - 1);
    write_bits (bw, rps->u0[i], 1);
    prev = rps->s0[i];
  }
  prev = 0;
  for (i = 0; i < rps->npos; i++) {
    write_ue (bw, rps->s1[i] - prev - 1);
    write_bits (bw, rps->u1[i], 1);
    prev = rps->s1[i];
  }
}

/* (7-61), (7-62): the set inter-RPS prediction from @ref with @d and the
 * flags gives. */
static void
derive_inter (const Rps *ref, gint32 d, const gboolean *used,
    const gboolean *use_delta, Rps *out)
{
  guint ndelta = ref->nneg + ref->npos;
  gint j;

  memset (out, 0, sizeof (*out));
  for (j = ref->npos - 1; j >= 0; j--) {
    gint32 p = ref->s1[j] + d;

    if (p < 0 && use_delta[ref->nneg + j] && out->nneg < 16) {
      out->s0[out->nneg] = p;
      out->u0[out->nneg++] = used[ref->nneg + j];
    }
  }
  if (d < 0 && use_delta[ndelta] && out->nneg < 16) {
    out->s0[out->nneg] = d;
    out->u0[out->nneg++] = used[ndelta];
  }
  for (j = 0; j < (gint) ref->nneg; j++) {
    gint32 p = ref->s0[j] + d;

    if (p < 0 && use_delta[j] && out->nneg < 16) {
      out->s0[out->nneg] = p;
      out->u0[out->nneg++] = used[j];
    }
  }
  for (j = ref->nneg - 1; j >= 0; j--) {
    gint32 p = ref->s0[j] + d;

    if (p > 0 && use_delta[j] && out->npos < 16) {
      out->s1[out->npos] = p;
      out->u1[out->npos++] = used[j];
    }
  }
  if (d > 0 && use_delta[ndelta] && out->npos < 16) {
    out->s1[out->npos] = d;
    out->u1[out->npos++] = used[ndelta];
  }
  for (j = 0; j < (gint) ref->npos; j++) {
    gint32 p = ref->s1[j] + d;

    if (p > 0 && use_delta[ref->nneg + j] && out->npos < 16) {
      out->s1[out->npos] = p;
      out->u1[out->npos++] = used[ref->nneg + j];
    }
  }
}

/* Finds deltaRps and the flags that predict @target from @ref. */
static gboolean
find_inter (const Rps *ref, const Rps *target, gint32 *d_out, gboolean *used,
    gboolean *use_delta)
{
  gint32 tvals[32], rvals[33];
  gboolean tused[32];
  guint nt = 0, nr = 0, a, b, j, k;

  for (j = 0; j < target->nneg; j++) {
    tused[nt] = target->u0[j];
    tvals[nt++] = target->s0[j];
  }
  for (j = 0; j < target->npos; j++) {
    tused[nt] = target->u1[j];
    tvals[nt++] = target->s1[j];
  }
  for (j = 0; j < ref->nneg; j++)
    rvals[nr++] = ref->s0[j];
  for (j = 0; j < ref->npos; j++)
    rvals[nr++] = ref->s1[j];
  rvals[nr] = 0; /* the entry for deltaRps itself */

  for (a = 0; a < nt; a++)
    for (b = 0; b <= nr; b++) {
      gint32 d = tvals[a] - rvals[b];
      Rps derived;

      if (d == 0 || d > 32768 || d < -32768)
        continue;
      for (j = 0; j <= nr; j++) {
        gint32 v = rvals[j] + d;

        used[j] = use_delta[j] = FALSE;
        for (k = 0; k < nt; k++)
          if (tvals[k] == v) {
            use_delta[j] = TRUE;
            used[j] = tused[k];
          }
      }
      derive_inter (ref, d, used, use_delta, &derived);
      if (rps_equal (&derived, target)) {
        *d_out = d;
        return TRUE;
      }
    }
  return FALSE;
}

/* ---- SPS ---- */

static void
skip_profile_tier_level (BitReader *br, guint max_sub_layers_minus1)
{
  gboolean profile[8], level[8];
  guint i;

  read_bits (br, 32);
  read_bits (br, 32);
  read_bits (br, 24);
  read_bits (br, 8); /* general_level_idc */
  for (i = 0; i < max_sub_layers_minus1; i++) {
    profile[i] = read_bits (br, 1);
    level[i] = read_bits (br, 1);
  }
  if (max_sub_layers_minus1 > 0)
    for (i = max_sub_layers_minus1; i < 8; i++)
      read_bits (br, 2);
  for (i = 0; i < max_sub_layers_minus1; i++) {
    if (profile[i]) {
      read_bits (br, 32);
      read_bits (br, 32);
      read_bits (br, 24);
    }
    if (level[i])
      read_bits (br, 8);
  }
}

/* The bit position of num_short_term_ref_pic_sets in an SPS RBSP, or 0. */
static gsize
sps_rps_position (const GByteArray *rbsp)
{
  BitReader br = { rbsp->data, rbsp->len, 16, FALSE };
  guint max_sub_layers_minus1, i;

  read_bits (&br, 4);
  max_sub_layers_minus1 = read_bits (&br, 3);
  read_bits (&br, 1);
  skip_profile_tier_level (&br, max_sub_layers_minus1);
  read_ue (&br); /* sps_seq_parameter_set_id */
  if (read_ue (&br) == 3)
    read_bits (&br, 1);
  read_ue (&br);
  read_ue (&br);
  if (read_bits (&br, 1))
    for (i = 0; i < 4; i++)
      read_ue (&br);
  read_ue (&br);
  read_ue (&br);
  read_ue (&br); /* log2_max_pic_order_cnt_lsb_minus4 */
  i = read_bits (&br, 1) ? 0 : max_sub_layers_minus1;
  for (; i <= max_sub_layers_minus1; i++) {
    read_ue (&br);
    read_ue (&br);
    read_ue (&br);
  }
  for (i = 0; i < 6; i++)
    read_ue (&br);
  if (read_bits (&br, 1) && read_bits (&br, 1))
    return 0;         /* scaling_list_data(): not for this rewriter */
  read_bits (&br, 2); /* amp, sao */
  if (read_bits (&br, 1))
    return 0; /* PCM */
  return br.overrun ? 0 : br.pos;
}

static gboolean
rewrite_sps (const GByteArray *rbsp, const Rps *sets, guint n_sets,
    GByteArray *out, guint *inter_sets)
{
  gsize pos = sps_rps_position (rbsp);
  gsize stop = last_one_before (rbsp->data, rbsp->len * 8);
  BitWriter bw = { g_byte_array_new (), 0 };
  BitReader br = { rbsp->data, rbsp->len, pos, FALSE };
  guint i;

  if (pos == 0 || read_ue (&br) != 0) {
    g_byte_array_unref (bw.bytes);
    return FALSE;
  }
  copy_bits (&bw, rbsp->data, 0, pos);
  write_ue (&bw, n_sets);
  *inter_sets = 0;
  for (i = 0; i < n_sets; i++) {
    gboolean used[33], use_delta[33];
    gint32 d;

    if (i > 0 && find_inter (&sets[i - 1], &sets[i], &d, used, use_delta)) {
      guint j, nref = sets[i - 1].nneg + sets[i - 1].npos;

      write_bits (&bw, 1, 1); /* inter_ref_pic_set_prediction_flag */
      write_bits (&bw, d < 0, 1);
      write_ue (&bw, ABS (d) - 1);
      for (j = 0; j <= nref; j++) {
        write_bits (&bw, used[j], 1);
        if (!used[j])
          write_bits (&bw, use_delta[j], 1);
      }
      (*inter_sets)++;
    } else {
      if (i > 0)
        write_bits (&bw, 0, 1);
      write_explicit_rps (&bw, &sets[i]);
    }
  }
  copy_bits (&bw, rbsp->data, br.pos, stop);
  write_bits (&bw, 1, 1);
  while (bw.nbits % 8)
    write_bits (&bw, 0, 1);
  g_byte_array_append (out, bw.bytes->data, bw.bytes->len);
  g_byte_array_unref (bw.bytes);
  return TRUE;
}

/* ---- slices ---- */

static guint
bits_for (guint n)
{
  guint bits = 0;

  while ((1u << bits) < n)
    bits++;
  return bits;
}

/* Where short_term_ref_pic_set_sps_flag is (7.3.6.1), for the first
 * slice segment of a non-IDR picture. */
static gsize
slice_rps_position (const GstH265NalUnit *nalu, const GstH265SliceHdr *slice)
{
  const GstH265PPS *pps = slice->pps;

  return 16 + 1 + (nalu->type >= 16 && nalu->type <= 23) + ue_len (pps->id) +
      pps->num_extra_slice_header_bits + ue_len (slice->type) +
      pps->output_flag_present_flag + 2 * pps->sps->separate_colour_plane_flag +
      pps->sps->log2_max_pic_order_cnt_lsb_minus4 + 4;
}

static gboolean
rewrite_slice (const GByteArray *rbsp, const GstH265NalUnit *nalu,
    const GstH265SliceHdr *slice, guint idx, guint n_sets, GByteArray *out,
    gchar **message)
{
  gsize pos = slice_rps_position (nalu, slice);
  BitReader br = { rbsp->data, rbsp->len, pos, FALSE };
  BitWriter bw = { g_byte_array_new (), 0 };
  gsize align, end = slice->header_size + 16;
  Rps read, parsed;

  if (read_bits (&br, 1) != 0 || !read_explicit_rps (&br, &read)) {
    *message = g_strdup ("slice RPS not where it was looked for");
    goto fail;
  }
  rps_from_parser (&parsed, &slice->short_term_ref_pic_sets);
  if (!rps_equal (&read, &parsed) ||
      br.pos - pos - 1 != slice->short_term_ref_pic_set_size) {
    *message = g_strdup_printf ("slice RPS read differs from the parser's "
                                "(%" G_GSIZE_FORMAT " bits, parser %u)",
        br.pos - pos - 1, slice->short_term_ref_pic_set_size);
    goto fail;
  }
  /* header_size counts the header through byte_alignment(), in RBSP bits
   * after the 2-byte NAL unit header (checked: the bits after the
   * alignment bit are zeros up to it, on a byte boundary). */
  align = last_one_before (rbsp->data, end);
  if (end % 8 != 0 || end > rbsp->len * 8 || align < br.pos ||
      end - align > 8 || slice->n_emulation_prevention_bytes != 0) {
    *message =
        g_strdup_printf ("slice header end not found (header_size "
                         "%" G_GSIZE_FORMAT ", alignment bit %" G_GSIZE_FORMAT
                         ", RPS end %" G_GSIZE_FORMAT ", %u bytes, %u EPB)",
            end, align, br.pos, rbsp->len, slice->n_emulation_prevention_bytes);
    goto fail;
  }
  copy_bits (&bw, rbsp->data, 0, pos);
  write_bits (&bw, 1, 1); /* short_term_ref_pic_set_sps_flag */
  write_bits (&bw, idx, bits_for (n_sets));
  copy_bits (&bw, rbsp->data, br.pos, align);
  write_bits (&bw, 1, 1);
  while (bw.nbits % 8)
    write_bits (&bw, 0, 1);
  g_byte_array_append (out, bw.bytes->data, bw.bytes->len);
  g_byte_array_append (out, rbsp->data + end / 8, rbsp->len - end / 8);
  g_byte_array_unref (bw.bytes);
  return TRUE;

fail:
  g_byte_array_unref (bw.bytes);
  return FALSE;
}

/* ---- the stream ---- */

typedef enum
{
  NAL_COPY,
  NAL_SPS,
  NAL_SLICE,
} NalAction;

/* Walks every NAL unit of @aus; with @sets NULL collects the slices' sets,
 * otherwise rewrites. */
static gboolean
walk (GPtrArray *aus, GArray *sets, gboolean rewrite,
    H265RpsRewriteStats *stats, gchar **message)
{
  GstH265Parser *parser = gst_h265_parser_new ();
  gboolean ok = TRUE;
  guint a;

  for (a = 0; a < aus->len && ok; a++) {
    GstBuffer *buf = g_ptr_array_index (aus, a);
    GByteArray *out = g_byte_array_new ();
    GstMapInfo map;
    guint offset = 0;

    g_assert_true (gst_buffer_map (buf, &map, GST_MAP_READ));
    while (ok) {
      GstH265NalUnit nalu;
      GstH265ParserResult pres = gst_h265_parser_identify_nalu (
          parser, map.data, offset, map.size, &nalu);
      GstH265SliceHdr slice;
      GByteArray *rbsp, *new_rbsp;
      guint size, idx;
      Rps rps;

      if (pres != GST_H265_PARSER_OK && pres != GST_H265_PARSER_NO_NAL_END)
        break;
      offset = nalu.offset + nalu.size;
      size = nalu.size;
      while (size > 0 && map.data[nalu.offset + size - 1] == 0)
        size--; /* trailing_zero_8bits of a 4-byte start code */
      rbsp = unescape (map.data + nalu.offset, size);
      new_rbsp = NULL;

      if (nalu.type == GST_H265_NAL_SPS) {
        GstH265SPS sps;

        gst_h265_parser_parse_sps (parser, &nalu, &sps, TRUE);
        if (rewrite) {
          new_rbsp = g_byte_array_new ();
          if (!rewrite_sps (rbsp, (Rps *) sets->data, sets->len, new_rbsp,
                  &stats->inter_sets)) {
            *message = g_strdup ("SPS not rewritable");
            ok = FALSE;
          }
        }
      } else if (nalu.type >= 32) {
        gst_h265_parser_parse_nal (parser, &nalu);
      } else if (gst_h265_parser_parse_slice_hdr (parser, &nalu, &slice) !=
          GST_H265_PARSER_OK) {
        *message = g_strdup ("slice does not parse");
        ok = FALSE;
      } else {
        if (!slice.first_slice_segment_in_pic_flag ||
            slice.num_long_term_sps + slice.num_long_term_pics > 0 ||
            slice.short_term_ref_pic_set_sps_flag) {
          *message = g_strdup ("several slices, long-term references or "
                               "SPS sets already: not for this rewriter");
          ok = FALSE;
        } else if (!GST_H265_IS_NAL_TYPE_IDR (nalu.type)) {
          rps_from_parser (&rps, &slice.short_term_ref_pic_sets);
          for (idx = 0; idx < sets->len; idx++)
            if (rps_equal (&g_array_index (sets, Rps, idx), &rps))
              break;
          if (!rewrite && idx == sets->len)
            g_array_append_val (sets, rps);
          if (rewrite) {
            new_rbsp = g_byte_array_new ();
            ok = rewrite_slice (
                rbsp, &nalu, &slice, idx, sets->len, new_rbsp, message);
            stats->slices++;
          }
        }
        gst_h265_slice_hdr_free (&slice);
      }
      append_nal (out, new_rbsp ? new_rbsp : rbsp);
      if (new_rbsp)
        g_byte_array_unref (new_rbsp);
      g_byte_array_unref (rbsp);
    }
    gst_buffer_unmap (buf, &map);

    if (rewrite && ok) {
      guint len = out->len;
      GstBuffer *nb =
          gst_buffer_new_wrapped (g_byte_array_free (out, FALSE), len);

      gst_buffer_copy_into (nb, buf, GST_BUFFER_COPY_METADATA, 0, -1);
      gst_buffer_unref (buf);
      g_ptr_array_index (aus, a) = nb;
    } else {
      g_byte_array_unref (out);
    }
  }
  gst_h265_parser_free (parser);
  return ok;
}

gboolean
h265_rps_rewrite (GPtrArray *aus, H265RpsRewriteStats *stats, gchar **message)
{
  GArray *sets = g_array_new (FALSE, FALSE, sizeof (Rps));
  gboolean ok;

  memset (stats, 0, sizeof (*stats));
  *message = NULL;
  ok = walk (aus, sets, FALSE, stats, message);
  if (ok && (sets->len == 0 || sets->len > 64)) {
    *message = g_strdup_printf ("%u sets", sets->len);
    ok = FALSE;
  }
  if (ok)
    ok = walk (aus, sets, TRUE, stats, message);
  stats->sets = sets->len;
  g_array_free (sets, TRUE);
  return ok;
}
