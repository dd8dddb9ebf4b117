/* gst-v4l2-elastic
 *
 * FWHT codec state: frame headers of vicodec's FWHT bitstream and the one
 * reference an inter frame predicts from.  No V4L2, no GstElement.
 *
 * The bitstream is a sequence of frames, each a 44-byte big-endian header
 * (two magic words, version, width, height, flags, colorspace, transfer
 * function, Y'CbCr encoding, quantization, payload size) followed by the
 * payload.  An inter frame predicts from the previous decoded frame.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_FWHT_STATE_H__
#define __GST_FWHT_STATE_H__

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_V4L2_ELASTIC_FWHT_HEADER_SIZE 44
#define GST_V4L2_ELASTIC_FWHT_MAX_VERSION 3

/* Header flag bits (the same values vicodec's V4L2 API uses). */
#define GST_V4L2_ELASTIC_FWHT_FLAG_CHROMA_FULL_HEIGHT (1u << 7)
#define GST_V4L2_ELASTIC_FWHT_FLAG_CHROMA_FULL_WIDTH (1u << 8)
#define GST_V4L2_ELASTIC_FWHT_FLAG_I_FRAME (1u << 10)
#define GST_V4L2_ELASTIC_FWHT_FLAG_COMPONENTS_SHIFT 16
#define GST_V4L2_ELASTIC_FWHT_FLAG_COMPONENTS_MASK (7u << 16)
#define GST_V4L2_ELASTIC_FWHT_FLAG_PIXENC_SHIFT 19
#define GST_V4L2_ELASTIC_FWHT_FLAG_PIXENC_MASK (3u << 19)

typedef enum
{
  GST_V4L2_ELASTIC_FWHT_PIXENC_YUV = 1,
  GST_V4L2_ELASTIC_FWHT_PIXENC_RGB = 2,
  GST_V4L2_ELASTIC_FWHT_PIXENC_HSV = 3,
} GstV4l2ElasticFwhtPixelEncoding;

typedef struct
{
  guint32 version;
  guint32 width;
  guint32 height;
  guint32 flags;
  guint32 colorspace;
  guint32 xfer_func;
  guint32 ycbcr_enc;
  guint32 quantization;
  guint32 payload_size;
} GstV4l2ElasticFwhtFrameHeader;

typedef enum
{
  GST_V4L2_ELASTIC_FWHT_PARSE_OK,
  GST_V4L2_ELASTIC_FWHT_PARSE_NEED_MORE, /* not enough bytes yet */
  GST_V4L2_ELASTIC_FWHT_PARSE_INVALID,   /* not a frame header */
} GstV4l2ElasticFwhtParseResult;

GstV4l2ElasticFwhtParseResult gst_v4l2_elastic_fwht_parse_header (
    const guint8 *data, gsize size, GstV4l2ElasticFwhtFrameHeader *header);
gssize gst_v4l2_elastic_fwht_find_sync (const guint8 *data, gsize size);
guint gst_v4l2_elastic_fwht_header_components (
    const GstV4l2ElasticFwhtFrameHeader *header);
GstV4l2ElasticFwhtPixelEncoding gst_v4l2_elastic_fwht_header_pixenc (
    const GstV4l2ElasticFwhtFrameHeader *header);
gboolean gst_v4l2_elastic_fwht_header_is_intra (
    const GstV4l2ElasticFwhtFrameHeader *header);

/* What to do with the next frame. */
typedef struct
{
  gboolean new_sequence; /* first frame, or size/layout changed */
  gboolean intra;
  gboolean has_reference;
  guint64 reference_id; /* the caller's id of the reference picture */
} GstV4l2ElasticFwhtFramePlan;

typedef enum
{
  GST_V4L2_ELASTIC_FWHT_DECODE,
  GST_V4L2_ELASTIC_FWHT_DROP, /* inter frame without a usable reference */
} GstV4l2ElasticFwhtDecision;

typedef struct
{
  GstV4l2ElasticFwhtFrameHeader sequence; /* header of the last intra frame */
  gboolean have_sequence;
  /* The reference: an opaque picture kept alive by the state. */
  gpointer reference;
  guint64 reference_id;
  GDestroyNotify reference_free;
} GstV4l2ElasticFwhtState;

void gst_v4l2_elastic_fwht_state_init (
    GstV4l2ElasticFwhtState *state, GDestroyNotify picture_free);
void gst_v4l2_elastic_fwht_state_reset (GstV4l2ElasticFwhtState *state);
GstV4l2ElasticFwhtDecision gst_v4l2_elastic_fwht_state_begin_frame (
    GstV4l2ElasticFwhtState *state, const GstV4l2ElasticFwhtFrameHeader *header,
    GstV4l2ElasticFwhtFramePlan *plan);
void gst_v4l2_elastic_fwht_state_end_frame (
    GstV4l2ElasticFwhtState *state, gpointer picture, guint64 picture_id);
guint gst_v4l2_elastic_fwht_state_references (
    const GstV4l2ElasticFwhtState *state);

G_END_DECLS

#endif /* __GST_FWHT_STATE_H__ */
