/* gst-v4l2-elastic
 *
 * VP9 compressed header: the boolean decoder (VP9 bitstream specification
 * v0.6, 9.2) and the compressed header syntax (6.3) that carries the
 * frame's transform mode, reference mode and probability updates.
 * No V4L2, no GstElement.
 *
 * gstreamer-codecparsers 1.22 parses only the uncompressed header
 * (GstVp9Parser); stateless V4L2 decoders that cannot parse the compressed
 * header themselves want its probability updates in
 * V4L2_CID_STATELESS_VP9_COMPRESSED_HDR.  GstV4l2ElasticVp9CompressedHeader
 * holds the same fields with the same meaning, in the same order, so that the
 * element copies it field by field:
 *
 *   - every probability field is 0 when the bitstream does not update that
 *     probability;
 *   - the non-motion-vector fields hold the update as the kernel's
 *     v4l2_vp9_fw_update_probs() consumes it: inv_map_table[deltaProb]
 *     (6.3.5), which is never 0; the new probability is
 *     gst_v4l2_elastic_vp9_apply_prob_update() of it and the old one;
 *   - the motion vector fields hold the new probability itself,
 *     (mv_prob << 1) | 1 (6.3.17), which is never 0 either.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_VP9_COMPRESSED_H__
#define __GST_VP9_COMPRESSED_H__

#include <gst/codecparsers/gstvp9parser.h>
#include <gst/gst.h>

G_BEGIN_DECLS

/* tx_mode (7.3.1); the values of V4L2_VP9_TX_MODE_*. */
typedef enum
{
  GST_V4L2_ELASTIC_VP9_COMPRESSED_TX_MODE_ONLY_4X4 = 0,
  GST_V4L2_ELASTIC_VP9_COMPRESSED_TX_MODE_ALLOW_8X8 = 1,
  GST_V4L2_ELASTIC_VP9_COMPRESSED_TX_MODE_ALLOW_16X16 = 2,
  GST_V4L2_ELASTIC_VP9_COMPRESSED_TX_MODE_ALLOW_32X32 = 3,
  GST_V4L2_ELASTIC_VP9_COMPRESSED_TX_MODE_SELECT = 4,
} GstV4l2ElasticVp9CompressedTxMode;

/* reference_mode (6.3.12); the values of V4L2_VP9_REFERENCE_MODE_*. */
typedef enum
{
  GST_V4L2_ELASTIC_VP9_COMPRESSED_REFERENCE_MODE_SINGLE = 0,
  GST_V4L2_ELASTIC_VP9_COMPRESSED_REFERENCE_MODE_COMPOUND = 1,
  GST_V4L2_ELASTIC_VP9_COMPRESSED_REFERENCE_MODE_SELECT = 2,
} GstV4l2ElasticVp9CompressedReferenceMode;

/* The boolean (arithmetic) decoder of 9.2, one bit at a time as the
 * specification describes it: the compressed header is at most a few
 * hundred bytes, so clarity wins over speed.  Reads never go past
 * data + size: once the BoolMaxBits bits are used up, zero bits are fed in
 * (as 9.2.2 says) and counted in @overrun. */
typedef struct
{
  const guint8 *data;
  gsize size;
  gsize pos;      /* bits taken from data so far */
  guint value;    /* BoolValue */
  guint range;    /* BoolRange */
  gsize max_bits; /* BoolMaxBits: bits of data not yet taken */
  gsize overrun;  /* zero bits fed in after data ran out */
} GstV4l2ElasticVp9BoolDecoder;

gboolean gst_v4l2_elastic_vp9_bool_decoder_init (
    GstV4l2ElasticVp9BoolDecoder *bd, const guint8 *data, gsize size);
guint gst_v4l2_elastic_vp9_bool_decoder_read_bool (
    GstV4l2ElasticVp9BoolDecoder *bd, guint8 prob);
guint32 gst_v4l2_elastic_vp9_bool_decoder_read_literal (
    GstV4l2ElasticVp9BoolDecoder *bd, guint n);
gboolean gst_v4l2_elastic_vp9_bool_decoder_exit (
    GstV4l2ElasticVp9BoolDecoder *bd);

/* The probability update helpers of 6.3.5 / 6.3.6 / 9.3. */
guint gst_v4l2_elastic_vp9_decode_term_subexp (
    GstV4l2ElasticVp9BoolDecoder *bd);
guint8 gst_v4l2_elastic_vp9_inv_map_delta (guint delta_prob);
guint8 gst_v4l2_elastic_vp9_apply_prob_update (
    guint8 mapped_delta, guint8 prob);
guint8 gst_v4l2_elastic_vp9_inv_remap_prob (guint delta_prob, guint8 prob);

typedef struct
{
  guint8 joint[3];
  guint8 sign[2];
  guint8 classes[2][10];
  guint8 class0_bit[2];
  guint8 bits[2][10];
  guint8 class0_fr[2][2][3];
  guint8 fr[2][3];
  guint8 class0_hp[2];
  guint8 hp[2];
} GstV4l2ElasticVp9CompressedMvProbs;

typedef struct
{
  /* The fields of struct v4l2_ctrl_vp9_compressed_hdr, in its order. */
  guint8 tx_mode; /* GstV4l2ElasticVp9CompressedTxMode */
  guint8 tx8[2][1];
  guint8 tx16[2][2];
  guint8 tx32[2][3];
  guint8 coef[4][2][2][6][6][3];
  guint8 skip[3];
  guint8 inter_mode[7][3];
  guint8 interp_filter[4][2];
  guint8 is_inter[4];
  guint8 comp_mode[5];
  guint8 single_ref[5][2];
  guint8 comp_ref[5];
  guint8 y_mode[4][9];
  guint8 uv_mode[10][9]; /* never coded in VP9's compressed header: 0 */
  guint8 partition[16][3];
  GstV4l2ElasticVp9CompressedMvProbs mv;

  /* Also read from the compressed header; V4L2 wants it in
   * struct v4l2_ctrl_vp9_frame's reference_mode.  SINGLE on intra frames. */
  guint8 reference_mode; /* GstV4l2ElasticVp9CompressedReferenceMode */

  /* How the boolean decoder ended: bits of the header it took (its 8-bit
   * window included) and the zero padding behind them. */
  gsize bits_used;
  gsize padding_bits;
} GstV4l2ElasticVp9CompressedHeader;

/* What the compressed header's syntax depends on from the uncompressed
 * header. */
typedef struct
{
  gboolean lossless;       /* Lossless: base_q_idx and the deltas all 0 */
  gboolean frame_is_intra; /* key frame or intra_only */
  gboolean interp_filter_switchable;
  gboolean allow_high_precision_mv;
  /* ref_frame_sign_bias[] of LAST, GOLDEN and ALTREF: compound prediction
   * is only coded when they are not all the same (6.3.12). */
  gboolean ref_frame_sign_bias[3];
} GstV4l2ElasticVp9CompressedParseInput;

gboolean gst_v4l2_elastic_vp9_compressed_header_parse (const guint8 *data,
    gsize size, const GstV4l2ElasticVp9CompressedParseInput *in,
    GstV4l2ElasticVp9CompressedHeader *out);

void gst_v4l2_elastic_vp9_compressed_parse_input_from_frame_hdr (
    const GstVp9FrameHdr *frame_hdr, GstV4l2ElasticVp9CompressedParseInput *in);
gboolean gst_v4l2_elastic_vp9_compressed_header_parse_frame (
    const guint8 *frame, gsize frame_size, const GstVp9FrameHdr *frame_hdr,
    GstV4l2ElasticVp9CompressedHeader *out);

G_END_DECLS

#endif /* __GST_VP9_COMPRESSED_H__ */
