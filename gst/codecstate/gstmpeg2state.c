/* gst-v4l2-elastic
 *
 * MPEG-2 video codec state (see the header).  Section numbers are those of
 * ISO/IEC 13818-2.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstmpeg2state.h"
#include "gstcodeclimits.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_v4l2_elastic_mpeg2_state_debug);
#define GST_CAT_DEFAULT gst_v4l2_elastic_mpeg2_state_debug

enum
{
  Q_INTRA,
  Q_NON_INTRA,
  Q_CHROMA_INTRA,
  Q_CHROMA_NON_INTRA,
};

/* The default intra_quantiser_matrix (6.3.11), in the natural (raster)
 * order the standard prints it in; the default non-intra matrix is 16
 * everywhere. */
static const guint8 default_intra_raster[64] = {
  /* clang-format off */
  8,  16, 19, 22, 26, 27, 29, 34,
  16, 16, 22, 24, 27, 29, 34, 37,
  19, 22, 26, 27, 29, 34, 34, 38,
  22, 22, 26, 27, 29, 34, 37, 40,
  22, 26, 27, 29, 32, 35, 40, 48,
  26, 27, 29, 32, 35, 40, 48, 58,
  26, 27, 29, 34, 38, 46, 56, 69,
  27, 29, 35, 38, 46, 56, 69, 83,
  /* clang-format on */
};

void
gst_v4l2_elastic_mpeg2_state_init (GstV4l2ElasticMpeg2State *state,
    GstV4l2ElasticMpeg2Ref ref, GDestroyNotify unref)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (gst_v4l2_elastic_mpeg2_state_debug,
        "v4l2elastic-mpeg2state", 0, "MPEG-2 codec state");
    g_once_init_leave (&once, 1);
  }
  memset (state, 0, sizeof (*state));
  state->ref = ref;
  state->unref = unref;
}

static void
slot_clear (GstV4l2ElasticMpeg2State *state, GstV4l2ElasticMpeg2RefSlot *slot)
{
  if (slot->picture)
    state->unref (slot->picture);
  slot->picture = NULL;
  slot->id = 0;
}

static void
forget_pictures (GstV4l2ElasticMpeg2State *state)
{
  slot_clear (state, &state->forward);
  slot_clear (state, &state->backward);
  state->backward_shown = FALSE;
  if (state->first_field)
    state->unref (state->first_field);
  state->first_field = NULL;
  state->first_field_id = 0;
}

/* Flush and seek: no picture is kept; the headers stay, so that decoding
 * resumes at the next I picture even without a sequence header before
 * it. */
void
gst_v4l2_elastic_mpeg2_state_reset (GstV4l2ElasticMpeg2State *state)
{
  forget_pictures (state);
  state->have_pic_hdr = state->have_pic_ext = FALSE;
  state->leading = FALSE;
}

void
gst_v4l2_elastic_mpeg2_state_clear (GstV4l2ElasticMpeg2State *state)
{
  forget_pictures (state);
  state->have_seq_hdr = state->have_seq_ext = state->have_display = FALSE;
  state->have_pic_hdr = state->have_pic_ext = FALSE;
  state->active = FALSE;
}

static void
output_append (
    GstV4l2ElasticMpeg2State *state, GPtrArray *output, gpointer picture)
{
  g_ptr_array_add (output, state->ref (picture));
}

/* A frame is complete (a frame picture, or both fields of a pair). */
static void
complete_frame (GstV4l2ElasticMpeg2State *state, gpointer picture, guint64 id,
    guint8 type, GPtrArray *output)
{
  if (type == GST_MPEG_VIDEO_PICTURE_TYPE_B) {
    /* Never a reference: shown as soon as decoded (6.1.1.11: in display
     * order it comes before the newer reference frame). */
    output_append (state, output, picture);
    return;
  }
  /* A new reference frame: the newer one so far is next in display
   * order; the older one predicts nothing any more. */
  if (state->backward.picture && !state->backward_shown)
    output_append (state, output, state->backward.picture);
  slot_clear (state, &state->forward);
  state->forward = state->backward;
  state->backward.picture = state->ref (picture);
  state->backward.id = id;
  state->backward_shown = FALSE;
  /* low_delay: no B picture follows (6.3.5), nothing can come between. */
  if (state->sequence.low_delay) {
    output_append (state, output, picture);
    state->backward_shown = TRUE;
  }
}

/* A first field whose second never came: shown as the frame it is. */
void
gst_v4l2_elastic_mpeg2_state_finish_field (
    GstV4l2ElasticMpeg2State *state, GPtrArray *output)
{
  gpointer picture = state->first_field;

  if (!picture)
    return;
  GST_DEBUG (
      "field %" G_GUINT64_FORMAT " has no second field", state->first_field_id);
  complete_frame (
      state, picture, state->first_field_id, state->first_field_type, output);
  state->first_field = NULL;
  state->first_field_id = 0;
  state->unref (picture);
}

/* Everything decoded goes out; references stay for what follows. */
void
gst_v4l2_elastic_mpeg2_state_drain (
    GstV4l2ElasticMpeg2State *state, GPtrArray *output)
{
  gst_v4l2_elastic_mpeg2_state_finish_field (state, output);
  if (state->backward.picture && !state->backward_shown) {
    output_append (state, output, state->backward.picture);
    state->backward_shown = TRUE;
  }
}

static void
load_default_matrices (GstV4l2ElasticMpeg2State *state)
{
  gst_mpeg_video_quant_matrix_get_zigzag_from_raster (
      state->quant[Q_INTRA], default_intra_raster);
  memset (state->quant[Q_NON_INTRA], 16, 64);
}

/* 6.3.11: a sequence header sets both matrices, to the ones it carries
 * or to the defaults; the chroma matrices follow the luma ones until a
 * quant matrix extension loads them. */
static void
sequence_matrices (GstV4l2ElasticMpeg2State *state)
{
  const GstMpegVideoSequenceHdr *hdr = &state->seq_hdr;

  load_default_matrices (state);
  if (hdr->load_intra_quantiser_matrix)
    memcpy (state->quant[Q_INTRA], hdr->intra_quantizer_matrix, 64);
  if (hdr->load_non_intra_quantiser_matrix)
    memcpy (state->quant[Q_NON_INTRA], hdr->non_intra_quantizer_matrix, 64);
  memcpy (state->quant[Q_CHROMA_INTRA], state->quant[Q_INTRA], 64);
  memcpy (state->quant[Q_CHROMA_NON_INTRA], state->quant[Q_NON_INTRA], 64);
}

/* 6.3.11: a quant matrix extension replaces the matrices it loads; a
 * luma matrix also replaces its chroma one (which the extension may load
 * after it), the others stay. */
static void
quant_matrix_extension (
    GstV4l2ElasticMpeg2State *state, const GstMpegVideoQuantMatrixExt *q)
{
  if (q->load_intra_quantiser_matrix) {
    memcpy (state->quant[Q_INTRA], q->intra_quantiser_matrix, 64);
    memcpy (state->quant[Q_CHROMA_INTRA], q->intra_quantiser_matrix, 64);
  }
  if (q->load_non_intra_quantiser_matrix) {
    memcpy (state->quant[Q_NON_INTRA], q->non_intra_quantiser_matrix, 64);
    memcpy (
        state->quant[Q_CHROMA_NON_INTRA], q->non_intra_quantiser_matrix, 64);
  }
  if (q->load_chroma_intra_quantiser_matrix)
    memcpy (state->quant[Q_CHROMA_INTRA], q->chroma_intra_quantiser_matrix, 64);
  if (q->load_chroma_non_intra_quantiser_matrix)
    memcpy (state->quant[Q_CHROMA_NON_INTRA],
        q->chroma_non_intra_quantiser_matrix, 64);
}

/* The end of a sequence (6.2.2: sequence_end_code): every frame goes out,
 * nothing predicts across it, and only a new sequence header starts the
 * next one. */
static void
sequence_end (GstV4l2ElasticMpeg2State *state, GPtrArray *output)
{
  gst_v4l2_elastic_mpeg2_state_drain (state, output);
  forget_pictures (state);
  state->have_seq_hdr = state->have_seq_ext = state->have_display = FALSE;
  state->have_pic_hdr = state->have_pic_ext = FALSE;
  state->active = FALSE;
}

GstV4l2ElasticMpeg2Result
gst_v4l2_elastic_mpeg2_state_push_header (GstV4l2ElasticMpeg2State *state,
    const GstMpegVideoPacket *packet, GPtrArray *output)
{
  switch (packet->type) {
  case GST_MPEG_VIDEO_PACKET_SEQUENCE:
    if (!gst_mpeg_video_packet_parse_sequence_header (
            packet, &state->seq_hdr)) {
      GST_WARNING ("broken sequence header");
      state->have_seq_hdr = FALSE;
      return GST_V4L2_ELASTIC_MPEG2_ERROR;
    }
    state->have_seq_hdr = TRUE;
    state->have_seq_ext = state->have_display = FALSE;
    state->seq_dirty = TRUE;
    sequence_matrices (state);
    return GST_V4L2_ELASTIC_MPEG2_OK;
  case GST_MPEG_VIDEO_PACKET_EXTENSION: {
    guint8 code;

    if (packet->size < 1)
      return GST_V4L2_ELASTIC_MPEG2_ERROR;
    code = packet->data[packet->offset] >> 4;
    switch (code) {
    case GST_MPEG_VIDEO_PACKET_EXT_SEQUENCE:
      if (!gst_mpeg_video_packet_parse_sequence_extension (
              packet, &state->seq_ext))
        return GST_V4L2_ELASTIC_MPEG2_ERROR;
      state->have_seq_ext = TRUE;
      state->seq_dirty = TRUE;
      break;
    case GST_MPEG_VIDEO_PACKET_EXT_SEQUENCE_DISPLAY:
      if (!gst_mpeg_video_packet_parse_sequence_display_extension (
              packet, &state->display))
        return GST_V4L2_ELASTIC_MPEG2_ERROR;
      state->have_display = TRUE;
      state->seq_dirty = TRUE;
      break;
    case GST_MPEG_VIDEO_PACKET_EXT_QUANT_MATRIX: {
      GstMpegVideoQuantMatrixExt q;

      if (!gst_mpeg_video_packet_parse_quant_matrix_extension (packet, &q))
        return GST_V4L2_ELASTIC_MPEG2_ERROR;
      quant_matrix_extension (state, &q);
      break;
    }
    case GST_MPEG_VIDEO_PACKET_EXT_PICTURE:
      if (!gst_mpeg_video_packet_parse_picture_extension (
              packet, &state->pic_ext)) {
        state->have_pic_ext = FALSE;
        return GST_V4L2_ELASTIC_MPEG2_ERROR;
      }
      state->have_pic_ext = TRUE;
      break;
    default:
      /* Scalable and other extensions: not for a main profile decoder. */
      break;
    }
    return GST_V4L2_ELASTIC_MPEG2_OK;
  }
  case GST_MPEG_VIDEO_PACKET_GOP: {
    GstMpegVideoGop gop;

    if (!gst_mpeg_video_packet_parse_gop (packet, &gop))
      return GST_V4L2_ELASTIC_MPEG2_ERROR;
    state->closed_gop = gop.closed_gop;
    state->broken_link = gop.broken_link;
    /* The B pictures that follow the first I picture of the GOP (6.3.8)
     * are its leading ones. */
    state->leading = TRUE;
    state->gop_refs = 0;
    return GST_V4L2_ELASTIC_MPEG2_OK;
  }
  case GST_MPEG_VIDEO_PACKET_PICTURE:
    if (!gst_mpeg_video_packet_parse_picture_header (packet, &state->pic_hdr)) {
      state->have_pic_hdr = FALSE;
      return GST_V4L2_ELASTIC_MPEG2_ERROR;
    }
    state->have_pic_hdr = TRUE;
    state->have_pic_ext = FALSE;
    return GST_V4L2_ELASTIC_MPEG2_OK;
  case GST_MPEG_VIDEO_PACKET_SEQUENCE_END:
    sequence_end (state, output);
    return GST_V4L2_ELASTIC_MPEG2_OK;
  default:
    return GST_V4L2_ELASTIC_MPEG2_OK;
  }
}

/* The sequence the headers describe; FALSE when out of range. */
static gboolean
make_sequence (
    GstV4l2ElasticMpeg2State *state, GstV4l2ElasticMpeg2Sequence *seq)
{
  const GstMpegVideoSequenceHdr *hdr = &state->seq_hdr;
  const GstMpegVideoSequenceExt *ext = &state->seq_ext;
  GstMpegVideoSequenceHdr finalised = *hdr;
  GstMpegVideoSequenceExt ext_copy = *ext;
  GstMpegVideoSequenceDisplayExt display_copy = state->display;

  memset (seq, 0, sizeof (*seq));
  /* 6.3.3 and 6.3.5: 12 bits in the header, 2 more in the extension. */
  seq->width = (hdr->width & 0xfff) | ((guint) ext->horiz_size_ext << 12);
  seq->height = (hdr->height & 0xfff) | ((guint) ext->vert_size_ext << 12);
  if (seq->width == 0 || seq->height == 0 ||
      seq->width > GST_V4L2_ELASTIC_MAX_DIMENSION ||
      seq->height > GST_V4L2_ELASTIC_MAX_DIMENSION)
    return FALSE;
  seq->chroma_format = ext->chroma_format;
  if (seq->chroma_format == GST_MPEG_VIDEO_CHROMA_RES)
    return FALSE;
  seq->progressive = ext->progressive != 0;
  seq->low_delay = ext->low_delay != 0;
  /* 6.3.3: mb_width = (horizontal_size + 15) / 16; mb_height counts
   * frame rows of macroblock pairs (two fields) in a sequence that may
   * be interlaced. */
  seq->coded_width = GST_ROUND_UP_16 (seq->width);
  seq->coded_height = seq->progressive ? GST_ROUND_UP_16 (seq->height)
                                       : GST_ROUND_UP_32 (seq->height);
  seq->profile_and_level = (ext->profile_level_escape_bit << 7) |
      ((ext->profile & 0x7) << 4) | (ext->level & 0xf);
  seq->vbv_buffer_size = (hdr->vbv_buffer_size_value & 0x3ff) |
      ((guint32) ext->vbv_buffer_size_extension << 10);

  gst_mpeg_video_finalise_mpeg2_sequence_header (
      &finalised, &ext_copy, state->have_display ? &display_copy : NULL);
  seq->fps_n = finalised.fps_n;
  seq->fps_d = finalised.fps_d;
  seq->par_w = finalised.par_w;
  seq->par_h = finalised.par_h;
  if (state->have_display) {
    seq->have_display = TRUE;
    seq->colour_description = state->display.colour_description_flag;
    seq->colour_primaries = state->display.colour_primaries;
    seq->transfer_characteristics = state->display.transfer_characteristics;
    seq->matrix_coefficients = state->display.matrix_coefficients;
    seq->display_width = state->display.display_horizontal_size;
    seq->display_height = state->display.display_vertical_size;
  }
  return TRUE;
}

/* The sequence headers before a picture: a new size (or layout) ends the
 * old sequence, whose frames go out first; the same size only updates
 * what the next pictures are decoded with. */
static GstV4l2ElasticMpeg2Result
apply_sequence (GstV4l2ElasticMpeg2State *state,
    GstV4l2ElasticMpeg2PicturePlan *plan, GPtrArray *output)
{
  GstV4l2ElasticMpeg2Sequence seq;
  gboolean new_layout;

  if (!make_sequence (state, &seq)) {
    GST_WARNING ("sequence of %ux%u (chroma format %u) refused",
        (state->seq_hdr.width & 0xfff) | (state->seq_ext.horiz_size_ext << 12),
        (state->seq_hdr.height & 0xfff) | (state->seq_ext.vert_size_ext << 12),
        state->seq_ext.chroma_format);
    state->have_seq_hdr = FALSE;
    return GST_V4L2_ELASTIC_MPEG2_ERROR;
  }
  state->seq_dirty = FALSE;

  new_layout = !state->active || seq.width != state->sequence.width ||
      seq.height != state->sequence.height ||
      seq.chroma_format != state->sequence.chroma_format ||
      seq.progressive != state->sequence.progressive;
  if (new_layout && state->active) {
    GST_DEBUG ("new sequence %ux%u (was %ux%u): output and forget the old",
        seq.width, seq.height, state->sequence.width, state->sequence.height);
    gst_v4l2_elastic_mpeg2_state_drain (state, output);
    forget_pictures (state);
  }
  plan->new_sequence =
      new_layout || memcmp (&seq, &state->sequence, sizeof (seq)) != 0;
  state->sequence = seq;
  state->active = TRUE;
  return GST_V4L2_ELASTIC_MPEG2_OK;
}

static gboolean
is_field (guint8 structure)
{
  return structure == GST_MPEG_VIDEO_PICTURE_STRUCTURE_TOP_FIELD ||
      structure == GST_MPEG_VIDEO_PICTURE_STRUCTURE_BOTTOM_FIELD;
}

GstV4l2ElasticMpeg2Result
gst_v4l2_elastic_mpeg2_state_begin_picture (GstV4l2ElasticMpeg2State *state,
    GstV4l2ElasticMpeg2PicturePlan *plan, GPtrArray *output)
{
  const GstMpegVideoPictureHdr *hdr = &state->pic_hdr;
  const GstMpegVideoPictureExt *ext = &state->pic_ext;
  guint8 type, structure;
  gboolean second_field = FALSE;

  memset (plan, 0, sizeof (*plan));
  if (!state->have_seq_hdr && !state->active) {
    GST_DEBUG ("picture before any sequence header");
    return GST_V4L2_ELASTIC_MPEG2_DROP;
  }
  if (!state->have_pic_hdr) {
    GST_DEBUG ("slice without a picture header");
    return GST_V4L2_ELASTIC_MPEG2_DROP;
  }
  /* One picture per header: a second run of slices has none. */
  state->have_pic_hdr = FALSE;
  if (state->seq_dirty && state->have_seq_hdr && !state->have_seq_ext) {
    GST_WARNING ("sequence header without a sequence extension (MPEG-1)");
    return GST_V4L2_ELASTIC_MPEG2_ERROR;
  }
  if (!state->have_pic_ext) {
    GST_WARNING ("picture without a picture coding extension");
    return GST_V4L2_ELASTIC_MPEG2_ERROR;
  }
  if (state->seq_dirty) {
    GstV4l2ElasticMpeg2Result res = apply_sequence (state, plan, output);

    if (res != GST_V4L2_ELASTIC_MPEG2_OK)
      return res;
  }
  if (!state->active)
    return GST_V4L2_ELASTIC_MPEG2_DROP;

  type = hdr->pic_type;
  structure = ext->picture_structure;
  if (type < GST_MPEG_VIDEO_PICTURE_TYPE_I ||
      type > GST_MPEG_VIDEO_PICTURE_TYPE_B || structure == 0) {
    GST_WARNING (
        "picture coding type %u, structure %u refused", type, structure);
    return GST_V4L2_ELASTIC_MPEG2_ERROR;
  }

  /* 6.1.1.4: the second field of a frame follows the first at once, with
   * the other parity; an I field may be followed by a P field, else both
   * have the same type. */
  if (state->first_field) {
    if (is_field (structure) && structure != state->first_field_structure &&
        (type == state->first_field_type ||
            (state->first_field_type == GST_MPEG_VIDEO_PICTURE_TYPE_I &&
                type == GST_MPEG_VIDEO_PICTURE_TYPE_P)))
      second_field = TRUE;
    else
      gst_v4l2_elastic_mpeg2_state_finish_field (state, output);
  }

  switch (type) {
  case GST_MPEG_VIDEO_PICTURE_TYPE_I:
    break;
  case GST_MPEG_VIDEO_PICTURE_TYPE_P:
    if (second_field) {
      /* 7.6.3.5: the first field of this frame and the newer reference
       * frame; where there is none yet (an I/P pair at the start) the
       * first field is all it uses. */
      plan->forward_id =
          state->backward.picture ? state->backward.id : state->first_field_id;
    } else if (state->backward.picture) {
      plan->forward_id = state->backward.id;
    } else {
      GST_DEBUG ("P picture without a reference frame");
      return GST_V4L2_ELASTIC_MPEG2_DROP;
    }
    break;
  case GST_MPEG_VIDEO_PICTURE_TYPE_B:
    if (!state->backward.picture) {
      GST_DEBUG ("B picture without a reference frame");
      return GST_V4L2_ELASTIC_MPEG2_DROP;
    }
    if (state->leading && state->broken_link) {
      /* 6.3.8: its forward reference is not the one it was coded from. */
      GST_DEBUG ("leading B picture after a broken link");
      return GST_V4L2_ELASTIC_MPEG2_DROP;
    }
    if (!state->forward.picture) {
      /* 6.3.8: the leading B pictures of a closed GOP predict backward
       * only; elsewhere the forward reference is missing (a seek, or an
       * open GOP at the start of the stream). */
      if (!(state->leading && state->closed_gop)) {
        GST_DEBUG ("B picture without its forward reference");
        return GST_V4L2_ELASTIC_MPEG2_DROP;
      }
      plan->forward_id = state->backward.id;
    } else {
      plan->forward_id = state->forward.id;
    }
    plan->backward_id = state->backward.id;
    break;
  }

  plan->sequence = &state->sequence;
  plan->hdr = *hdr;
  plan->ext = *ext;
  plan->second_field = second_field;
  plan->frame_id = second_field ? state->first_field_id : 0;
  memcpy (plan->intra_quantiser_matrix, state->quant[Q_INTRA], 64);
  memcpy (plan->non_intra_quantiser_matrix, state->quant[Q_NON_INTRA], 64);
  memcpy (
      plan->chroma_intra_quantiser_matrix, state->quant[Q_CHROMA_INTRA], 64);
  memcpy (plan->chroma_non_intra_quantiser_matrix,
      state->quant[Q_CHROMA_NON_INTRA], 64);

  state->cur_type = type;
  state->cur_structure = structure;
  state->cur_second_field = second_field;
  return GST_V4L2_ELASTIC_MPEG2_OK;
}

void
gst_v4l2_elastic_mpeg2_state_end_picture (GstV4l2ElasticMpeg2State *state,
    gpointer picture, guint64 id, GPtrArray *output)
{
  if (state->cur_second_field) {
    guint8 type = state->first_field_type;
    gpointer first = state->first_field;

    state->first_field = NULL;
    state->first_field_id = 0;
    complete_frame (state, picture, id, type, output);
    if (first)
      state->unref (first);
  } else if (is_field (state->cur_structure)) {
    state->first_field = state->ref (picture);
    state->first_field_id = id;
    state->first_field_structure = state->cur_structure;
    state->first_field_type = state->cur_type;
  } else {
    complete_frame (state, picture, id, state->cur_type, output);
  }
  /* A second reference frame in the GOP ends its leading B pictures. */
  if (state->cur_type != GST_MPEG_VIDEO_PICTURE_TYPE_B &&
      !state->cur_second_field && state->leading && state->gop_refs++ > 0)
    state->leading = FALSE;
  state->cur_second_field = FALSE;
}

void
gst_v4l2_elastic_mpeg2_state_abort_picture (
    GstV4l2ElasticMpeg2State *state, GPtrArray *output)
{
  if (state->cur_second_field && state->first_field) {
    state->unref (state->first_field);
    state->first_field = NULL;
    state->first_field_id = 0;
  }
  if (state->cur_type != GST_MPEG_VIDEO_PICTURE_TYPE_B) {
    /* A lost reference: what was decoded goes out, nothing predicts from
     * what was not; decoding resumes at the next I picture. */
    gst_v4l2_elastic_mpeg2_state_drain (state, output);
    forget_pictures (state);
  }
  state->cur_second_field = FALSE;
}

guint
gst_v4l2_elastic_mpeg2_state_held_pictures (
    const GstV4l2ElasticMpeg2State *state)
{
  guint n = 0;

  if (state->forward.picture)
    n++;
  if (state->backward.picture &&
      state->backward.picture != state->forward.picture)
    n++;
  if (state->first_field)
    n++;
  return n;
}
