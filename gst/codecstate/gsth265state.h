/* gst-v4l2-elastic
 *
 * H.265 codec state: parameter set activation, picture order count
 * (8.3.1), reference picture sets (8.3.2), generation of unavailable
 * reference pictures (8.3.3) and output order by the "output order DPB"
 * of C.5.2 (removal, bumping with sps_max_num_reorder_pics,
 * sps_max_latency_increase_plus1 and sps_max_dec_pic_buffering_minus1), on
 * headers parsed by gstcodecparsers.  No V4L2, no GstElement.
 *
 * Use per picture (access unit of the base layer):
 *
 *   decision = gst_v4l2_elastic_h265_state_begin_picture (state, nalu, slice,
 * plan, out); push out[] downstream (pictures bumped or flushed before this
 * one is decoded); if decision == DECODE: decode with plan->dpb and the
 * plan's RPS lists, then gst_v4l2_elastic_h265_state_end_picture (state,
 * picture, id, out); push out[].  At an end of sequence NAL unit:
 * gst_v4l2_elastic_h265_state_end_of_sequence (); at end of stream:
 * gst_v4l2_elastic_h265_state_drain ().
 *
 * SPSs must be parsed with gst_h265_parser_parse_sps (..., TRUE):
 * gst_h265_parser_parse_nal () skips the VUI and reads the extension
 * flags from the wrong bits (begin_picture refuses such an SPS).
 *
 * begin_picture takes the first slice segment of the picture only
 * (first_slice_segment_in_pic_flag = 1): every slice of a picture shares
 * the fields the state reads (nal_unit_type, POC, RPS, pic_output_flag,
 * no_output_of_prior_pics_flag).
 *
 * Pictures: end_picture takes the caller's reference.  Each picture put in
 * an output array is a reference of the caller's own: @picture_ref is
 * called when the state still keeps the picture for prediction, otherwise
 * the state's reference is handed over.  With @picture_ref NULL, pictures
 * output while still references are lent, not given: use that only with
 * a NULL @picture_free.
 *
 * Deviations from the letter of C.5.2, shared by common decoders:
 * pictures before the first IRAP picture are dropped; RASL pictures of an
 * IRAP picture with NoRaslOutputFlag = 1 are dropped, not decoded (8.1.3
 * makes their PicOutputFlag 0 anyway); a CRA picture whose SPS differs
 * from the active one is handled as a BLA picture (a splice).  And for
 * broken streams: a picture whose POC is not above the last one output in
 * its coded video sequence is decoded but not output (plan->output FALSE),
 * so output POCs always increase within a sequence (a drain excepted).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_H265_STATE_H__
#define __GST_H265_STATE_H__

#include <gst/gst.h>
#include <gst/codecparsers/gsth265parser.h>

#include "gsth265sequence.h"

G_BEGIN_DECLS

typedef enum
{
  GST_V4L2_ELASTIC_H265_DECODE,
  GST_V4L2_ELASTIC_H265_DROP,  /* skip this picture, the stream goes on (see
                                  drop_reason) */
  GST_V4L2_ELASTIC_H265_ERROR, /* unsupported or broken: see plan->message */
} GstV4l2ElasticH265Decision;

typedef enum
{
  GST_V4L2_ELASTIC_H265_DROP_NONE,
  GST_V4L2_ELASTIC_H265_DROP_NO_IRAP, /* waiting for an IRAP picture after
                                         start, flush or a cut stream */
  GST_V4L2_ELASTIC_H265_DROP_RASL,    /* RASL picture of an IRAP picture that
                                         starts decoding: its references are
                                         not there (8.1.3) */
  GST_V4L2_ELASTIC_H265_DROP_LAYER,   /* nuh_layer_id > 0: not the base layer */
  GST_V4L2_ELASTIC_H265_DROP_DPB_OVERFLOW, /* its references do not fit the
                                              DPB the SPS announced */
} GstV4l2ElasticH265DropReason;

/* Flags of a DPB entry (the values are ours, not V4L2's). */
typedef enum
{
  GST_V4L2_ELASTIC_H265_DPB_LONG_TERM = 1 << 0, /* used for long-term ref */
  GST_V4L2_ELASTIC_H265_DPB_GENERATED = 1 << 1, /* an unavailable reference
                                                   picture (8.3.3): no
                                                   picture, id 0 */
} GstV4l2ElasticH265DpbFlags;

/* One reference picture as decoder hardware needs it. */
typedef struct
{
  guint64 id;               /* the caller's id (0 for generated pictures) */
  gint32 pic_order_cnt_val; /* PicOrderCntVal */
  guint flags;              /* GstV4l2ElasticH265DpbFlags */
} GstV4l2ElasticH265DpbEntry;

/* Where an RPS list entry points: an index into plan->dpb. */
#define GST_V4L2_ELASTIC_H265_NO_REF 0xff

/* What to do with the picture begin_picture was given. */
typedef struct
{
  /* Sequence: set on the first picture and whenever what the CAPTURE
   * pool depends on changes (gsth265sequence.h).  An SPS activates only at
   * an IRAP picture with NoRaslOutputFlag = 1. */
  gboolean new_sequence;
  GstV4l2ElasticH265Sequence sequence;
  guint8 vps_id, sps_id, pps_id;

  /* This picture. */
  guint8 nal_unit_type;
  guint8 temporal_id;
  gboolean irap, idr, bla, cra;
  gboolean no_rasl_output;          /* NoRaslOutputFlag (IRAP pictures) */
  gboolean no_output_of_prior_pics; /* NoOutputOfPriorPicsFlag (C.5.2.2), as
                                       applied */
  gboolean output;                  /* PicOutputFlag */
  gint32 pic_order_cnt_val;         /* PicOrderCntVal */

  /* The reference pictures (every picture of the RPS that is in the DPB,
   * after the RPS marked the others unused), and the RPS lists of the
   * current picture as indices into dpb[]. */
  GstV4l2ElasticH265DpbEntry dpb[GST_V4L2_ELASTIC_H265_DPB_MAX];
  guint n_dpb;
  guint8 st_curr_before[16], st_curr_after[16], lt_curr[16];
  guint n_st_curr_before, n_st_curr_after, n_lt_curr;
  guint8 st_foll[16], lt_foll[16]; /* NO_REF: "no reference picture" */
  guint n_st_foll, n_lt_foll;

  /* 8.3.3: unavailable reference pictures the state generated for this
   * picture (DPB entries flagged GENERATED).  Those of a CRA or BLA picture
   * starting decoding are only followed by RASL pictures, which are
   * dropped.  Any other one is a lost reference the current picture
   * predicts from (n_generated_curr): the caller gives the hardware a
   * substitute for it, or does not decode the picture and calls
   * end_picture with a NULL picture. */
  guint n_generated;
  guint n_generated_curr;

  GstV4l2ElasticH265DropReason drop_reason;
  const gchar *message; /* why GST_V4L2_ELASTIC_H265_ERROR (static string) */
  gboolean unsupported; /* GST_V4L2_ELASTIC_H265_ERROR: valid H.265 we do not
                           decode */
} GstV4l2ElasticH265PicturePlan;

typedef struct _GstH265State GstV4l2ElasticH265State;

GstV4l2ElasticH265State *gst_v4l2_elastic_h265_state_new (
    GBoxedCopyFunc picture_ref, GDestroyNotify picture_free);
void gst_v4l2_elastic_h265_state_free (GstV4l2ElasticH265State *state);
void gst_v4l2_elastic_h265_state_reset (GstV4l2ElasticH265State *state);

GstV4l2ElasticH265Decision gst_v4l2_elastic_h265_state_begin_picture (
    GstV4l2ElasticH265State *state, const GstH265NalUnit *nalu,
    const GstH265SliceHdr *slice, GstV4l2ElasticH265PicturePlan *plan,
    GPtrArray *output);
void gst_v4l2_elastic_h265_state_end_picture (GstV4l2ElasticH265State *state,
    gpointer picture, guint64 id, GPtrArray *output);
void gst_v4l2_elastic_h265_state_end_of_sequence (
    GstV4l2ElasticH265State *state, GPtrArray *output);
void gst_v4l2_elastic_h265_state_drain (
    GstV4l2ElasticH265State *state, GPtrArray *output);

guint gst_v4l2_elastic_h265_state_held (const GstV4l2ElasticH265State *state);

G_END_DECLS

#endif /* __GST_H265_STATE_H__ */
