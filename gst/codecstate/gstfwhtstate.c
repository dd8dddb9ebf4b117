/* gst-v4l2-elastic
 *
 * FWHT codec state.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstfwhtstate.h"
#include "gstcodeclimits.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_v4l2_elastic_fwht_state_debug);
#define GST_CAT_DEFAULT gst_v4l2_elastic_fwht_state_debug

static const guint8 fwht_magic[8] = { 0x4f, 0x4f, 0x4f, 0x4f, 0xff, 0xff, 0xff,
  0xff };

/* The largest frame vicodec handles is 4096x2160 4:4:4 with alpha,
 * uncompressed: anything bigger is a corrupt size field. */
#define FWHT_MAX_PAYLOAD (4096u * 2160u * 4u + 4096u)
#define FWHT_MAX_DIMENSION GST_V4L2_ELASTIC_MAX_DIMENSION

/**
 * gst_v4l2_elastic_fwht_find_sync:
 *
 * Returns: the offset of the first frame header's magic in @data, or -1.
 * A partial magic at the end counts as not found.
 */
gssize
gst_v4l2_elastic_fwht_find_sync (const guint8 *data, gsize size)
{
  gsize i;

  for (i = 0; i + sizeof (fwht_magic) <= size; i++)
    if (data[i] == fwht_magic[0] &&
        memcmp (data + i, fwht_magic, sizeof (fwht_magic)) == 0)
      return i;
  return -1;
}

/* A big-endian 32-bit field at any alignment.  GST_READ_UINT32_BE loads
 * a whole guint32 through a cast pointer where the CPU allows unaligned
 * access, which C leaves undefined (UBSan's "misaligned address" on a
 * frame that starts at an odd offset of its GstBuffer). */
static guint32
read_be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) |
      ((guint32) p[2] << 8) | (guint32) p[3];
}

/**
 * gst_v4l2_elastic_fwht_parse_header:
 *
 * Reads and validates one frame header at the start of @data.
 */
GstV4l2ElasticFwhtParseResult
gst_v4l2_elastic_fwht_parse_header (
    const guint8 *data, gsize size, GstV4l2ElasticFwhtFrameHeader *header)
{
  if (size < GST_V4L2_ELASTIC_FWHT_HEADER_SIZE)
    return size >= sizeof (fwht_magic) &&
            memcmp (data, fwht_magic, sizeof (fwht_magic)) != 0
        ? GST_V4L2_ELASTIC_FWHT_PARSE_INVALID
        : GST_V4L2_ELASTIC_FWHT_PARSE_NEED_MORE;
  if (memcmp (data, fwht_magic, sizeof (fwht_magic)) != 0)
    return GST_V4L2_ELASTIC_FWHT_PARSE_INVALID;

  header->version = read_be32 (data + 8);
  header->width = read_be32 (data + 12);
  header->height = read_be32 (data + 16);
  header->flags = read_be32 (data + 20);
  header->colorspace = read_be32 (data + 24);
  header->xfer_func = read_be32 (data + 28);
  header->ycbcr_enc = read_be32 (data + 32);
  header->quantization = read_be32 (data + 36);
  header->payload_size = read_be32 (data + 40);

  if (header->version == 0 ||
      header->version > GST_V4L2_ELASTIC_FWHT_MAX_VERSION ||
      header->width == 0 || header->height == 0 ||
      header->width > FWHT_MAX_DIMENSION ||
      header->height > FWHT_MAX_DIMENSION ||
      header->payload_size > FWHT_MAX_PAYLOAD)
    return GST_V4L2_ELASTIC_FWHT_PARSE_INVALID;
  return GST_V4L2_ELASTIC_FWHT_PARSE_OK;
}

guint
gst_v4l2_elastic_fwht_header_components (
    const GstV4l2ElasticFwhtFrameHeader *header)
{
  /* Version 1 streams carry no component count: they are 3-component. */
  if (header->version < 2)
    return 3;
  return 1 +
      ((header->flags & GST_V4L2_ELASTIC_FWHT_FLAG_COMPONENTS_MASK) >>
          GST_V4L2_ELASTIC_FWHT_FLAG_COMPONENTS_SHIFT);
}

GstV4l2ElasticFwhtPixelEncoding
gst_v4l2_elastic_fwht_header_pixenc (
    const GstV4l2ElasticFwhtFrameHeader *header)
{
  if (header->version < 2)
    return GST_V4L2_ELASTIC_FWHT_PIXENC_YUV;
  return (header->flags & GST_V4L2_ELASTIC_FWHT_FLAG_PIXENC_MASK) >>
      GST_V4L2_ELASTIC_FWHT_FLAG_PIXENC_SHIFT;
}

gboolean
gst_v4l2_elastic_fwht_header_is_intra (
    const GstV4l2ElasticFwhtFrameHeader *header)
{
  return (header->flags & GST_V4L2_ELASTIC_FWHT_FLAG_I_FRAME) != 0;
}

void
gst_v4l2_elastic_fwht_state_init (
    GstV4l2ElasticFwhtState *state, GDestroyNotify picture_free)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (gst_v4l2_elastic_fwht_state_debug,
        "v4l2elastic-fwhtstate", 0, "FWHT codec state");
    g_once_init_leave (&once, 1);
  }
  memset (state, 0, sizeof (*state));
  state->reference_free = picture_free;
}

static void
drop_reference (GstV4l2ElasticFwhtState *state)
{
  if (state->reference && state->reference_free)
    state->reference_free (state->reference);
  state->reference = NULL;
  state->reference_id = 0;
}

/**
 * gst_v4l2_elastic_fwht_state_reset:
 *
 * Forgets the sequence and the reference (flush, seek, teardown).
 */
void
gst_v4l2_elastic_fwht_state_reset (GstV4l2ElasticFwhtState *state)
{
  drop_reference (state);
  state->have_sequence = FALSE;
}

/* Sequence-level properties: what the CAPTURE format depends on. */
static gboolean
same_layout (const GstV4l2ElasticFwhtFrameHeader *a,
    const GstV4l2ElasticFwhtFrameHeader *b)
{
  const guint32 layout = GST_V4L2_ELASTIC_FWHT_FLAG_CHROMA_FULL_HEIGHT |
      GST_V4L2_ELASTIC_FWHT_FLAG_CHROMA_FULL_WIDTH |
      GST_V4L2_ELASTIC_FWHT_FLAG_COMPONENTS_MASK |
      GST_V4L2_ELASTIC_FWHT_FLAG_PIXENC_MASK;

  return a->width == b->width && a->height == b->height &&
      (a->flags & layout) == (b->flags & layout);
}

/**
 * gst_v4l2_elastic_fwht_state_begin_frame:
 *
 * Decides how to decode the next frame: an intra frame may start a new
 * sequence (size or layout changed) and needs no reference; an inter frame
 * needs the previous picture of the same sequence, or is dropped.
 */
GstV4l2ElasticFwhtDecision
gst_v4l2_elastic_fwht_state_begin_frame (GstV4l2ElasticFwhtState *state,
    const GstV4l2ElasticFwhtFrameHeader *header,
    GstV4l2ElasticFwhtFramePlan *plan)
{
  memset (plan, 0, sizeof (*plan));
  plan->intra = gst_v4l2_elastic_fwht_header_is_intra (header);

  if (plan->intra) {
    plan->new_sequence =
        !state->have_sequence || !same_layout (&state->sequence, header);
    if (plan->new_sequence) {
      GST_DEBUG ("new sequence %ux%u flags 0x%08x", header->width,
          header->height, header->flags);
      /* Nothing predicts across an intra frame: let the old size go. */
      drop_reference (state);
    }
    state->sequence = *header;
    state->have_sequence = TRUE;
    return GST_V4L2_ELASTIC_FWHT_DECODE;
  }

  if (!state->have_sequence || !state->reference ||
      !same_layout (&state->sequence, header)) {
    GST_DEBUG ("inter frame without a usable reference");
    return GST_V4L2_ELASTIC_FWHT_DROP;
  }
  plan->has_reference = TRUE;
  plan->reference_id = state->reference_id;
  return GST_V4L2_ELASTIC_FWHT_DECODE;
}

/**
 * gst_v4l2_elastic_fwht_state_end_frame:
 * @picture: (transfer full): the decoded picture, kept as the reference
 *
 * The decoded frame becomes the reference of the next inter frame.
 */
void
gst_v4l2_elastic_fwht_state_end_frame (
    GstV4l2ElasticFwhtState *state, gpointer picture, guint64 picture_id)
{
  drop_reference (state);
  state->reference = picture;
  state->reference_id = picture_id;
}

/**
 * gst_v4l2_elastic_fwht_state_references:
 *
 * Returns: how many pictures the state keeps for prediction (always 1:
 * every inter frame predicts from the previous one).
 */
guint
gst_v4l2_elastic_fwht_state_references (const GstV4l2ElasticFwhtState *state)
{
  return 1;
}
