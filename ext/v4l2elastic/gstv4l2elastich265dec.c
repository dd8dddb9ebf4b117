/* gst-v4l2-elastic
 *
 * v4l2elastich265dec: H.265 access units (one AU per buffer, as h265parse
 * gives them, stream-format byte-stream) decoded picture by picture
 * through a V4L2 stateless decoder, frame-based or slice by slice, with or
 * without Annex-B start codes, as the driver offers.  The H.265 codec state
 * (gsth265state) decides references and output order; this file turns its plan
 * and the parsed headers into the V4L2 HEVC controls
 * (gstv4l2elastich265controls).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-v4l2elastich265dec
 * @title: v4l2elastich265dec
 * @short_description: H.265 through a V4L2 stateless decoder, elastic pool
 *
 * Decodes H.265/HEVC (Main and Main Still Picture: 8-bit 4:2:0) through a
 * V4L2 stateless decoder: frame-based (every slice segment of a picture,
 * with its entry points for WPP and tiles where the driver takes them, in
 * one request) where the driver offers it, else slice-based (a request per
 * slice segment, all writing one CAPTURE buffer); with Annex-B start codes
 * where the driver takes them (see decode-mode and start-code).  The input is
 * one access unit per buffer in stream-format byte-stream, as h265parse gives
 * it (also from hvc1/hev1 in MP4 and Matroska).  The CAPTURE pool grows with
 * CREATE_BUFS and shrinks with REMOVE_BUFS as the DPB and downstream need.
 *
 * ## Example launch line
 * |[
 * gst-play-1.0 clip.mkv
 * gst-launch-1.0 filesrc location=clip.h265 ! h265parse ! v4l2elastich265dec \
 *     ! videoconvert ! autovideosink
 * ]|
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstv4l2elastich265dec.h"
#include "gstv4l2elasticframepicture.h"
#include "gstv4l2elastich265controls.h"
#include "gsth265state.h"

#include <errno.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_v4l2_elastic_h265_dec_debug);
#define GST_CAT_DEFAULT gst_v4l2_elastic_h265_dec_debug

#define SINK_CAPS                                                              \
  "video/x-h265, stream-format = (string) byte-stream, "                       \
  "alignment = (string) au"

/* Slice segments of one picture, before the codec state has planned it. */
typedef struct
{
  GstH265NalUnit nalu;
  GstH265SliceHdr header;  /* entry points moved to self->entry_points */
  guint entry_point_first; /* its first one there */
} H265Slice;

/* How pictures reach the driver (properties decode-mode, start-code). */
typedef enum
{
  GST_V4L2_ELASTIC_H265_DECODE_MODE_AUTO,
  GST_V4L2_ELASTIC_H265_DECODE_MODE_FRAME_BASED,
  GST_V4L2_ELASTIC_H265_DECODE_MODE_SLICE_BASED,
} GstV4l2ElasticH265DecodeMode;

typedef enum
{
  GST_V4L2_ELASTIC_H265_START_CODE_AUTO,
  GST_V4L2_ELASTIC_H265_START_CODE_ANNEX_B,
  GST_V4L2_ELASTIC_H265_START_CODE_NONE,
} GstV4l2ElasticH265StartCode;

enum
{
  PROP_0,
  PROP_DECODE_MODE,
  PROP_START_CODE,
};

typedef struct
{
  GstV4l2ElasticDecoder parent;

  GstH265Parser *parser;
  GstV4l2ElasticH265State *state;
  GPtrArray *output; /* GstV4l2ElasticFramePicture, filled by the state */
  GByteArray *bitstream;
  GArray *slices;       /* H265Slice */
  GArray *slice_params; /* struct v4l2_ctrl_hevc_slice_params */
  GArray *entry_points; /* guint32, every slice's, in order */

  /* What the driver takes per request (queried at open). */
  guint max_slices;       /* SLICE_PARAMS array size; 0: no such control */
  guint max_entry_points; /* 0: no ENTRY_POINT_OFFSETS control */

  /* Asked for (properties) and chosen at open. */
  GstV4l2ElasticH265DecodeMode decode_mode;
  GstV4l2ElasticH265StartCode start_code;
  gboolean slice_based;
  gboolean start_codes;

  gint fps_n, fps_d;
  guint reorder;
} GstV4l2ElasticH265Dec;

typedef struct
{
  GstV4l2ElasticDecoderClass parent_class;
} GstV4l2ElasticH265DecClass;

static GstElementClass *parent_class;

#define H265_DEC(obj) ((GstV4l2ElasticH265Dec *) (obj))

static const GstVideoFormat yuv420_formats[] = {
  GST_VIDEO_FORMAT_NV12,
  GST_VIDEO_FORMAT_I420,
  GST_VIDEO_FORMAT_NV21,
  GST_VIDEO_FORMAT_YV12,
};

static GstFlowReturn
push_output (GstV4l2ElasticH265Dec *self)
{
  return gst_v4l2_elastic_decoder_push_pictures (
      GST_V4L2_ELASTIC_DECODER (self), self->output);
}

static void
update_latency (GstV4l2ElasticH265Dec *self)
{
  GstClockTime latency;

  if (self->fps_n <= 0 || self->fps_d <= 0)
    return;
  latency = gst_util_uint64_scale_int (
      (guint64) self->reorder * GST_SECOND, self->fps_d, self->fps_n);
  gst_video_decoder_set_latency (GST_VIDEO_DECODER (self), latency, latency);
}

/* --- GstVideoDecoder ---------------------------------------------------------
 */

static guint
array_size (GstV4l2ElasticDevice *device, guint32 id)
{
  struct v4l2_query_ext_ctrl query;

  if (!gst_v4l2_elastic_device_query_control (device, id, &query))
    return 0;
  if (query.nr_of_dims == 0)
    return 1;
  return query.dims[0];
}

/* The decode mode and start codes: what the properties ask for, else
 * frame-based (one request per picture) and Annex B where the driver
 * offers them. */
static gboolean
choose_mode (GstV4l2ElasticH265Dec *self, GstV4l2ElasticDevice *device)
{
  gboolean frame = gst_v4l2_elastic_device_query_menu (device,
      V4L2_CID_STATELESS_HEVC_DECODE_MODE,
      V4L2_STATELESS_HEVC_DECODE_MODE_FRAME_BASED);
  gboolean slice = gst_v4l2_elastic_device_query_menu (device,
      V4L2_CID_STATELESS_HEVC_DECODE_MODE,
      V4L2_STATELESS_HEVC_DECODE_MODE_SLICE_BASED);
  gboolean annexb = gst_v4l2_elastic_device_query_menu (device,
      V4L2_CID_STATELESS_HEVC_START_CODE,
      V4L2_STATELESS_HEVC_START_CODE_ANNEX_B);
  gboolean none = gst_v4l2_elastic_device_query_menu (device,
      V4L2_CID_STATELESS_HEVC_START_CODE, V4L2_STATELESS_HEVC_START_CODE_NONE);

  switch (self->decode_mode) {
  case GST_V4L2_ELASTIC_H265_DECODE_MODE_FRAME_BASED:
    slice = FALSE;
    break;
  case GST_V4L2_ELASTIC_H265_DECODE_MODE_SLICE_BASED:
    frame = FALSE;
    break;
  default:
    break;
  }
  switch (self->start_code) {
  case GST_V4L2_ELASTIC_H265_START_CODE_ANNEX_B:
    none = FALSE;
    break;
  case GST_V4L2_ELASTIC_H265_START_CODE_NONE:
    annexb = FALSE;
    break;
  default:
    break;
  }
  if ((!frame && !slice) || (!annexb && !none))
    return FALSE;
  self->slice_based = !frame;
  self->start_codes = annexb;
  return TRUE;
}

static gboolean
gst_v4l2_elastic_h265_dec_open (GstVideoDecoder *decoder)
{
  GstV4l2ElasticH265Dec *self = H265_DEC (decoder);
  GstV4l2ElasticDevice *device;
  struct v4l2_ext_control controls[2] = { { 0 } };

  if (!GST_VIDEO_DECODER_CLASS (parent_class)->open (decoder))
    return FALSE;
  device =
      gst_v4l2_elastic_decoder_get_device (GST_V4L2_ELASTIC_DECODER (self));
  if (!choose_mode (self, device)) {
    GST_ELEMENT_ERROR (decoder, RESOURCE, SETTINGS,
        ("The decoder does not offer the HEVC decode mode or start code "
         "asked for."),
        ("decode-mode %d, start-code %d", self->decode_mode, self->start_code));
    return FALSE;
  }
  controls[0].id = V4L2_CID_STATELESS_HEVC_DECODE_MODE;
  controls[0].value = self->slice_based
      ? V4L2_STATELESS_HEVC_DECODE_MODE_SLICE_BASED
      : V4L2_STATELESS_HEVC_DECODE_MODE_FRAME_BASED;
  controls[1].id = V4L2_CID_STATELESS_HEVC_START_CODE;
  controls[1].value = self->start_codes ? V4L2_STATELESS_HEVC_START_CODE_ANNEX_B
                                        : V4L2_STATELESS_HEVC_START_CODE_NONE;
  if (!gst_v4l2_elastic_device_set_controls (device, -1, controls, 2)) {
    GST_ELEMENT_ERROR (decoder, RESOURCE, SETTINGS,
        ("The decoder refused its own HEVC decode mode."),
        ("%s", g_strerror (errno)));
    return FALSE;
  }
  self->max_slices = array_size (device, V4L2_CID_STATELESS_HEVC_SLICE_PARAMS);
  self->max_entry_points =
      array_size (device, V4L2_CID_STATELESS_HEVC_ENTRY_POINT_OFFSETS);
  GST_INFO_OBJECT (self,
      "%s, %s start codes; up to %u slice parameters, %u entry points",
      self->slice_based ? "slice-based" : "frame-based",
      self->start_codes ? "Annex-B" : "no", self->max_slices,
      self->max_entry_points);
  return TRUE;
}

static gboolean
gst_v4l2_elastic_h265_dec_start (GstVideoDecoder *decoder)
{
  GstV4l2ElasticH265Dec *self = H265_DEC (decoder);

  /* Parameter sets of an earlier stream must not leak into this one. */
  g_clear_pointer (&self->parser, gst_h265_parser_free);
  self->parser = gst_h265_parser_new ();
  gst_v4l2_elastic_h265_state_reset (self->state);
  self->reorder = 0;
  return GST_VIDEO_DECODER_CLASS (parent_class)->start (decoder);
}

static gboolean
gst_v4l2_elastic_h265_dec_set_format (
    GstVideoDecoder *decoder, GstVideoCodecState *state)
{
  GstV4l2ElasticH265Dec *self = H265_DEC (decoder);

  self->fps_n = GST_VIDEO_INFO_FPS_N (&state->info);
  self->fps_d = GST_VIDEO_INFO_FPS_D (&state->info);
  update_latency (self);
  return GST_VIDEO_DECODER_CLASS (parent_class)->set_format (decoder, state);
}

static void
gst_v4l2_elastic_h265_dec_reset (GstV4l2ElasticDecoder *decoder)
{
  GstV4l2ElasticH265Dec *self = H265_DEC (decoder);

  gst_v4l2_elastic_h265_state_reset (self->state);
  gst_v4l2_elastic_frame_pictures_clear (self->output);
}

static GstFlowReturn
gst_v4l2_elastic_h265_dec_drain (GstVideoDecoder *decoder)
{
  GstV4l2ElasticH265Dec *self = H265_DEC (decoder);

  gst_v4l2_elastic_h265_state_drain (self->state, self->output);
  return push_output (self);
}

static GstFlowReturn
new_sequence (
    GstV4l2ElasticH265Dec *self, const GstV4l2ElasticH265PicturePlan *plan)
{
  const GstV4l2ElasticH265Sequence *s = &plan->sequence;
  GstV4l2ElasticSequence seq = { 0 };

  /* The state accepts Main 10; the CAPTURE formats for it come with the
   * 10-bit work.  Until then say so instead of writing 8-bit frames. */
  if (s->bit_depth_luma != 8 || s->bit_depth_chroma != 8) {
    GST_ELEMENT_ERROR (self, STREAM, NOT_IMPLEMENTED,
        ("H.265 streams of more than 8 bits are not supported yet."),
        ("luma %u, chroma %u bits", s->bit_depth_luma, s->bit_depth_chroma));
    return GST_FLOW_NOT_NEGOTIATED;
  }
  seq.formats = yuv420_formats;
  seq.n_formats = G_N_ELEMENTS (yuv420_formats);
  seq.coded_fourcc = V4L2_PIX_FMT_HEVC_SLICE;
  seq.width = s->width;
  seq.height = s->height;
  seq.visible.x = s->visible_x;
  seq.visible.y = s->visible_y;
  seq.visible.w = s->visible_width;
  seq.visible.h = s->visible_height;
  seq.output_sizeimage = 0;
  /* The HEVC DPB (C.5.2.2) holds references and pictures waiting for
   * output alike, and before a picture is decoded at most dpb_size - 1 of
   * them (sps_max_dec_pic_buffering counts the current picture): that is
   * the whole of what the decode keeps, so no reorder term on top (unlike
   * H.264's max_dec_frame_buffering + num_reorder_frames). */
  seq.demand.references = s->dpb_size > 1 ? s->dpb_size - 1 : 1;
  seq.demand.reorder = 0;
  GST_DEBUG_OBJECT (self,
      "new sequence: %ux%u (visible %ux%u at %u,%u), DPB %u, reorder %u",
      s->width, s->height, s->visible_width, s->visible_height, s->visible_x,
      s->visible_y, s->dpb_size, s->reorder);
  self->reorder = s->reorder;
  update_latency (self);
  return gst_v4l2_elastic_decoder_set_sequence (
      GST_V4L2_ELASTIC_DECODER (self), &seq);
}

static GstFlowReturn
decode_error (GstV4l2ElasticH265Dec *self, GstVideoCodecFrame *frame,
    const gchar *what, GstH265ParserResult pres)
{
  GstFlowReturn ret = GST_FLOW_OK;

  GST_VIDEO_DECODER_ERROR (self, 1, STREAM, DECODE, ("Corrupt H.265 stream."),
      ("%s in frame %u (parser result %d)", what, frame->system_frame_number,
          pres),
      ret);
  gst_video_decoder_drop_frame (GST_VIDEO_DECODER (self), frame);
  return ret;
}

static gboolean
is_slice (guint8 type)
{
  /* VCL types the spec defines: 0-9 and the IRAP types 16-21. */
  return type <= GST_H265_NAL_SLICE_RASL_R ||
      (type >= GST_H265_NAL_SLICE_BLA_W_LP &&
          type <= GST_H265_NAL_SLICE_CRA_NUT);
}

static void
clear_slices (GstV4l2ElasticH265Dec *self)
{
  g_array_set_size (self->slices, 0);
  g_array_set_size (self->entry_points, 0);
}

/* Parses one slice segment NAL unit into self->slices.  A dependent slice
 * segment has only its address and entry points coded: the rest comes
 * from the independent slice segment before it (7.4.7.1). */
static GstH265ParserResult
add_slice (GstV4l2ElasticH265Dec *self, GstH265NalUnit *nalu)
{
  H265Slice slice = { 0 };
  GstH265ParserResult pres;
  guint i;

  slice.nalu = *nalu;
  pres = gst_h265_parser_parse_slice_hdr (self->parser, nalu, &slice.header);
  if (pres != GST_H265_PARSER_OK) {
    g_free (slice.header.entry_point_offset_minus1);
    return pres;
  }
  slice.entry_point_first = self->entry_points->len;
  for (i = 0; i < slice.header.num_entry_point_offsets; i++) {
    guint32 offset = slice.header.entry_point_offset_minus1[i] + 1;

    g_array_append_val (self->entry_points, offset);
  }
  g_clear_pointer (&slice.header.entry_point_offset_minus1, g_free);

  if (slice.header.dependent_slice_segment_flag) {
    GstH265SliceHdr coded = slice.header;

    if (self->slices->len == 0)
      return GST_H265_PARSER_BROKEN_LINK;
    slice.header =
        g_array_index (self->slices, H265Slice, self->slices->len - 1).header;
    slice.header.first_slice_segment_in_pic_flag = 0;
    slice.header.dependent_slice_segment_flag = 1;
    slice.header.segment_address = coded.segment_address;
    slice.header.num_entry_point_offsets = coded.num_entry_point_offsets;
    slice.header.offset_len_minus1 = coded.offset_len_minus1;
    slice.header.header_size = coded.header_size;
    slice.header.n_emulation_prevention_bytes =
        coded.n_emulation_prevention_bytes;
  }
  g_array_append_val (self->slices, slice);
  return GST_H265_PARSER_OK;
}

/* Reads the access unit: parameter sets go to the parser, slice segments
 * of the base layer into self->slices.  *eos: the unit ends a coded video
 * sequence (end of sequence or bitstream NAL unit).  FALSE: broken, *what
 * and *pres say how (the caller drops the frame, after unmapping it). */
static gboolean
parse_access_unit (GstV4l2ElasticH265Dec *self, GstVideoCodecFrame *frame,
    const guint8 *data, gsize size, gboolean *eos, const gchar **what,
    GstH265ParserResult *pres_out)
{
  GstH265ParserResult pres;
  GstH265NalUnit nalu;
  guint offset = 0;

  *eos = FALSE;
  clear_slices (self);
  while (offset < size) {
    pres =
        gst_h265_parser_identify_nalu (self->parser, data, offset, size, &nalu);
    if (pres == GST_H265_PARSER_NO_NAL_END)
      pres = GST_H265_PARSER_OK; /* the last NAL of the access unit */
    if (pres == GST_H265_PARSER_NO_NAL)
      break;
    if (pres != GST_H265_PARSER_OK) {
      *what = "unreadable NAL unit";
      *pres_out = pres;
      return FALSE;
    }
    offset = nalu.offset + nalu.size;
    /* Layers above the base layer (multi-layer extensions) are not
     * decoded, and their parameter sets must not replace ours. */
    if (nalu.layer_id > 0)
      continue;

    switch (nalu.type) {
    case GST_H265_NAL_VPS: {
      GstH265VPS vps;

      pres = gst_h265_parser_parse_vps (self->parser, &nalu, &vps);
      break;
    }
    case GST_H265_NAL_SPS: {
      GstH265SPS sps;

      /* With the VUI: parse_nal() skips it and misreads what follows. */
      pres = gst_h265_parser_parse_sps (self->parser, &nalu, &sps, TRUE);
      break;
    }
    case GST_H265_NAL_PPS: {
      GstH265PPS pps;

      pres = gst_h265_parser_parse_pps (self->parser, &nalu, &pps);
      break;
    }
    case GST_H265_NAL_EOS:
    case GST_H265_NAL_EOB:
      *eos = TRUE;
      break;
    default:
      if (!is_slice (nalu.type))
        break;
      /* A second picture in one buffer is not an access unit: keep the
       * first. */
      if (self->slices->len > 0 && nalu.size >= 3 &&
          (nalu.data[nalu.offset + 2] & 0x80)) {
        GST_WARNING_OBJECT (self, "frame %u holds more than one picture",
            frame->system_frame_number);
        offset = size;
        break;
      }
      pres = add_slice (self, &nalu);
      if (pres != GST_H265_PARSER_OK) {
        *what = "broken slice segment header";
        *pres_out = pres;
        return FALSE;
      }
      break;
    }
    if (pres != GST_H265_PARSER_OK) {
      *what = "broken parameter set";
      *pres_out = pres;
      return FALSE;
    }
  }
  return TRUE;
}

/* The bitstream (every slice segment behind a start code) and the slice
 * parameters of the request.  FALSE: broken reference lists. */
/* The bitstream of slices [first, first + count): each NAL unit, behind a
 * start code when the driver takes them, and their slice parameters.
 * FALSE: broken reference lists. */
static gboolean
build_slices (GstV4l2ElasticH265Dec *self,
    const GstV4l2ElasticH265PicturePlan *plan,
    const GstV4l2ElasticH265DpbMap *map, guint first, guint count)
{
  static const guint8 start_code[3] = { 0, 0, 1 };
  guint i;

  g_byte_array_set_size (self->bitstream, 0);
  g_array_set_size (self->slice_params, count);
  for (i = 0; i < count; i++) {
    H265Slice *s = &g_array_index (self->slices, H265Slice, first + i);

    if (self->start_codes)
      g_byte_array_append (self->bitstream, start_code, sizeof (start_code));
    g_byte_array_append (
        self->bitstream, s->nalu.data + s->nalu.offset, s->nalu.size);
    if (!gst_v4l2_elastic_h265_fill_slice_params (
            &g_array_index (
                self->slice_params, struct v4l2_ctrl_hevc_slice_params, i),
            &s->nalu, &s->header, plan, map))
      return FALSE;
  }
  return TRUE;
}

/* Decodes the picture in self->slices: one request with every slice
 * (frame-based), or one per slice into the same CAPTURE buffer
 * (slice-based).  *picture: NULL when it was not decoded. */
static GstFlowReturn
decode_picture (GstV4l2ElasticH265Dec *self, GstVideoCodecFrame *frame,
    const GstV4l2ElasticH265PicturePlan *plan, GstV4l2ElasticH265DpbMap *map,
    GstV4l2ElasticPicture **picture)
{
  GstV4l2ElasticDecoder *decoder = GST_V4L2_ELASTIC_DECODER (self);
  const GstH265SliceHdr *first =
      &g_array_index (self->slices, H265Slice, 0).header;
  struct v4l2_ctrl_hevc_sps sps_ctrl;
  struct v4l2_ctrl_hevc_pps pps_ctrl;
  struct v4l2_ctrl_hevc_scaling_matrix matrix_ctrl;
  struct v4l2_ctrl_hevc_decode_params params_ctrl;
  struct v4l2_ext_control controls[6] = { { 0 } };
  guint64 timestamp = gst_v4l2_elastic_decoder_frame_timestamp (frame);
  guint n_slices = self->slices->len;
  guint per_request = self->slice_based ? 1 : n_slices;
  GstV4l2ElasticPicture *held = NULL;
  GstFlowReturn ret = GST_FLOW_OK;
  guint i;

  *picture = NULL;
  gst_v4l2_elastic_h265_fill_decode_params (&params_ctrl, first, plan, map);
  gst_v4l2_elastic_h265_fill_sps (&sps_ctrl, first->pps->sps);
  gst_v4l2_elastic_h265_fill_pps (&pps_ctrl, first->pps);
  gst_v4l2_elastic_h265_fill_scaling_matrix (&matrix_ctrl, first->pps);
  controls[0].id = V4L2_CID_STATELESS_HEVC_SPS;
  controls[0].size = sizeof (sps_ctrl);
  controls[0].ptr = &sps_ctrl;
  controls[1].id = V4L2_CID_STATELESS_HEVC_PPS;
  controls[1].size = sizeof (pps_ctrl);
  controls[1].ptr = &pps_ctrl;
  controls[2].id = V4L2_CID_STATELESS_HEVC_SCALING_MATRIX;
  controls[2].size = sizeof (matrix_ctrl);
  controls[2].ptr = &matrix_ctrl;
  controls[3].id = V4L2_CID_STATELESS_HEVC_DECODE_PARAMS;
  controls[3].size = sizeof (params_ctrl);
  controls[3].ptr = &params_ctrl;

  for (i = 0; i < n_slices; i += per_request) {
    H265Slice *s = &g_array_index (self->slices, H265Slice, i);
    guint n_controls = 4, n_params, n_entry_points = 0, k;
    gboolean last = i + per_request >= n_slices;
    GstV4l2ElasticPicture *done = NULL;

    if (!build_slices (self, plan, map, i, per_request)) {
      GST_WARNING_OBJECT (
          self, "frame %u: broken reference lists", frame->system_frame_number);
      ret = GST_FLOW_OK;
      goto failed;
    }
    /* Frame-based drivers find the slices in the bitstream themselves;
     * the parameters of those that do not fit the driver's array are not
     * sent. */
    n_params = MIN (self->slice_params->len, self->max_slices);
    if (n_params > 0) {
      controls[n_controls].id = V4L2_CID_STATELESS_HEVC_SLICE_PARAMS;
      controls[n_controls].size =
          n_params * sizeof (struct v4l2_ctrl_hevc_slice_params);
      controls[n_controls++].ptr = self->slice_params->data;
    }
    for (k = 0; k < n_params; k++)
      n_entry_points += g_array_index (
          self->slice_params, struct v4l2_ctrl_hevc_slice_params, k)
                            .num_entry_point_offsets;
    if (n_entry_points > 0 && self->max_entry_points > 0) {
      if (n_entry_points > self->max_entry_points) {
        GST_ELEMENT_ERROR (self, STREAM, NOT_IMPLEMENTED,
            ("This H.265 stream has more entry points per picture than the "
             "decoder takes."),
            ("%u entry points, the driver takes %u", n_entry_points,
                self->max_entry_points));
        ret = GST_FLOW_ERROR;
        goto failed;
      }
      controls[n_controls].id = V4L2_CID_STATELESS_HEVC_ENTRY_POINT_OFFSETS;
      controls[n_controls].size = n_entry_points * sizeof (guint32);
      controls[n_controls++].ptr =
          &g_array_index (self->entry_points, guint32, s->entry_point_first);
    }

    if (per_request == n_slices)
      ret = gst_v4l2_elastic_decoder_decode (decoder, frame, timestamp,
          self->bitstream->data, self->bitstream->len, controls, n_controls,
          &done);
    else
      ret = gst_v4l2_elastic_decoder_decode_slice (decoder, frame, timestamp,
          self->bitstream->data, self->bitstream->len, controls, n_controls,
          held, last, &done);
    if (!done)
      goto failed;
    if (held)
      gst_v4l2_elastic_picture_unref (done);
    else
      held = done;
  }
  *picture = held;
  return ret;

failed:
  /* A picture given up after a slice that held its buffer: take it back
   * from the driver before the pool hands it out again. */
  if (held) {
    gst_v4l2_elastic_decoder_release_field (decoder);
    gst_v4l2_elastic_picture_unref (held);
  }
  return ret;
}

static GstFlowReturn
gst_v4l2_elastic_h265_dec_handle_frame (
    GstVideoDecoder *decoder, GstVideoCodecFrame *frame)
{
  GstV4l2ElasticH265Dec *self = H265_DEC (decoder);
  GstV4l2ElasticH265PicturePlan plan;
  GstV4l2ElasticH265DpbMap map;
  GstV4l2ElasticH265Decision decision;
  GstV4l2ElasticPicture *picture = NULL;
  GstV4l2ElasticFramePicture *pic;
  const GstH265SliceHdr *first;
  const GstH265NalUnit *first_nalu;
  gboolean eos;
  GstFlowReturn ret;
  GstMapInfo map_info;
  const gchar *what = NULL;
  GstH265ParserResult pres = GST_H265_PARSER_OK;

  if (!gst_buffer_map (frame->input_buffer, &map_info, GST_MAP_READ)) {
    gst_video_decoder_drop_frame (decoder, frame);
    return GST_FLOW_ERROR;
  }
  if (!parse_access_unit (
          self, frame, map_info.data, map_info.size, &eos, &what, &pres)) {
    /* Unmapped before the frame (and its buffer) is dropped. */
    gst_buffer_unmap (frame->input_buffer, &map_info);
    clear_slices (self);
    return decode_error (self, frame, what, pres);
  }
  if (self->slices->len == 0) {
    GST_DEBUG_OBJECT (
        self, "frame %u has no picture", frame->system_frame_number);
    gst_buffer_unmap (frame->input_buffer, &map_info);
    clear_slices (self);
    gst_video_decoder_drop_frame (decoder, frame);
    ret = GST_FLOW_OK;
    if (eos) {
      gst_v4l2_elastic_h265_state_end_of_sequence (self->state, self->output);
      ret = push_output (self);
    }
    return ret;
  }

  first = &g_array_index (self->slices, H265Slice, 0).header;
  first_nalu = &g_array_index (self->slices, H265Slice, 0).nalu;
  if (!first->first_slice_segment_in_pic_flag) {
    /* The picture's first segment was lost: nothing to start from. */
    gst_buffer_unmap (frame->input_buffer, &map_info);
    clear_slices (self);
    return decode_error (
        self, frame, "picture without its first slice segment", 0);
  }

  decision = gst_v4l2_elastic_h265_state_begin_picture (
      self->state, first_nalu, first, &plan, self->output);
  /* Pictures bumped before this one go out first, in the old format. */
  ret = push_output (self);
  if (ret != GST_FLOW_OK || decision != GST_V4L2_ELASTIC_H265_DECODE) {
    gst_buffer_unmap (frame->input_buffer, &map_info);
    clear_slices (self);
    if (ret == GST_FLOW_OK && decision == GST_V4L2_ELASTIC_H265_ERROR) {
      if (plan.unsupported)
        GST_ELEMENT_ERROR (self, STREAM, NOT_IMPLEMENTED,
            ("This H.265 stream is not supported: %s.", plan.message),
            ("frame %u", frame->system_frame_number));
      else
        GST_ELEMENT_ERROR (self, STREAM, DECODE,
            ("Unsupported or broken H.265 stream."),
            ("frame %u: %s", frame->system_frame_number,
                plan.message ? plan.message : "codec state error"));
      ret = GST_FLOW_ERROR;
    } else if (ret == GST_FLOW_OK) {
      GST_DEBUG_OBJECT (self, "dropping frame %u (reason %d)",
          frame->system_frame_number, plan.drop_reason);
    }
    gst_video_decoder_drop_frame (decoder, frame);
    return ret;
  }

  if (plan.new_sequence) {
    ret = new_sequence (self, &plan);
    if (ret != GST_FLOW_OK) {
      gst_buffer_unmap (frame->input_buffer, &map_info);
      clear_slices (self);
      gst_video_decoder_drop_frame (decoder, frame);
      return ret;
    }
  }

  if (plan.n_generated_curr > 0) {
    /* A lost reference (8.3.3): not decoded; the state keeps a generated
     * picture in its place. */
    GST_WARNING_OBJECT (self,
        "frame %u (POC %d) not decoded: a reference "
        "is missing",
        frame->system_frame_number, plan.pic_order_cnt_val);
    gst_buffer_unmap (frame->input_buffer, &map_info);
    clear_slices (self);
    gst_video_decoder_drop_frame (decoder, frame);
    gst_v4l2_elastic_h265_state_end_picture (
        self->state, NULL, 0, self->output);
    return push_output (self);
  }

  ret = decode_picture (self, frame, &plan, &map, &picture);
  gst_buffer_unmap (frame->input_buffer, &map_info);
  clear_slices (self);
  if (!picture) {
    /* Output what was decoded before, then forget everything: decoding
     * resumes at the next IRAP picture. */
    gst_video_decoder_drop_frame (decoder, frame);
    gst_v4l2_elastic_h265_state_drain (self->state, self->output);
    gst_v4l2_elastic_h265_state_reset (self->state);
    if (ret == GST_FLOW_OK)
      ret = push_output (self);
    else
      gst_v4l2_elastic_h265_dec_reset (GST_V4L2_ELASTIC_DECODER (self));
    return ret;
  }

  pic = gst_v4l2_elastic_frame_picture_new (picture, frame);
  gst_video_codec_frame_unref (frame);
  gst_v4l2_elastic_h265_state_end_picture (
      self->state, pic, picture->timestamp_ns, self->output);
  if (eos)
    gst_v4l2_elastic_h265_state_end_of_sequence (self->state, self->output);
  return push_output (self);
}

static GType
decode_mode_get_type (void)
{
  static const GEnumValue values[] = {
    { GST_V4L2_ELASTIC_H265_DECODE_MODE_AUTO,
        "Frame-based where the driver offers it", "auto" },
    { GST_V4L2_ELASTIC_H265_DECODE_MODE_FRAME_BASED, "One request per picture",
        "frame-based" },
    { GST_V4L2_ELASTIC_H265_DECODE_MODE_SLICE_BASED,
        "One request per slice segment", "slice-based" },
    { 0, NULL, NULL },
  };
  static GType type = 0;

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstV4l2ElasticH265DecodeMode", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

static GType
start_code_get_type (void)
{
  static const GEnumValue values[] = {
    { GST_V4L2_ELASTIC_H265_START_CODE_AUTO,
        "Annex-B start codes where the driver takes them", "auto" },
    { GST_V4L2_ELASTIC_H265_START_CODE_ANNEX_B,
        "Each NAL unit behind a 00 00 01 start code", "annex-b" },
    { GST_V4L2_ELASTIC_H265_START_CODE_NONE, "NAL units without start codes",
        "none" },
    { 0, NULL, NULL },
  };
  static GType type = 0;

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstV4l2ElasticH265StartCode", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

static void
gst_v4l2_elastic_h265_dec_set_property (
    GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  GstV4l2ElasticH265Dec *self = H265_DEC (object);

  switch (prop_id) {
  case PROP_DECODE_MODE:
    self->decode_mode = g_value_get_enum (value);
    break;
  case PROP_START_CODE:
    self->start_code = g_value_get_enum (value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void
gst_v4l2_elastic_h265_dec_get_property (
    GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GstV4l2ElasticH265Dec *self = H265_DEC (object);

  switch (prop_id) {
  case PROP_DECODE_MODE:
    g_value_set_enum (value, self->decode_mode);
    break;
  case PROP_START_CODE:
    g_value_set_enum (value, self->start_code);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void
gst_v4l2_elastic_h265_dec_finalize (GObject *object)
{
  GstV4l2ElasticH265Dec *self = H265_DEC (object);

  g_clear_pointer (&self->parser, gst_h265_parser_free);
  gst_v4l2_elastic_h265_state_free (self->state);
  g_ptr_array_unref (self->output);
  g_byte_array_unref (self->bitstream);
  g_array_unref (self->slices);
  g_array_unref (self->slice_params);
  g_array_unref (self->entry_points);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_v4l2_elastic_h265_dec_class_init (
    GstV4l2ElasticH265DecClass *klass, gpointer class_data)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstVideoDecoderClass *decoder_class = GST_VIDEO_DECODER_CLASS (klass);
  GstV4l2ElasticDecoderClass *v4l2_class =
      GST_V4L2_ELASTIC_DECODER_CLASS (klass);
  parent_class = g_type_class_peek_parent (klass);
  gst_v4l2_elastic_decoder_class_install (
      v4l2_class, class_data, gst_caps_from_string (SINK_CAPS), "H.265");

  object_class->finalize = gst_v4l2_elastic_h265_dec_finalize;
  object_class->set_property = gst_v4l2_elastic_h265_dec_set_property;
  object_class->get_property = gst_v4l2_elastic_h265_dec_get_property;
  /* For drivers that offer several modes, and for testing them all. */
  g_object_class_install_property (object_class, PROP_DECODE_MODE,
      g_param_spec_enum ("decode-mode", "Decode mode",
          "How pictures are submitted: a request per picture or per slice "
          "segment (auto: per picture where the driver offers it); taken "
          "when the device opens",
          decode_mode_get_type (), GST_V4L2_ELASTIC_H265_DECODE_MODE_AUTO,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
              GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (object_class, PROP_START_CODE,
      g_param_spec_enum ("start-code", "Start code",
          "Whether NAL units reach the driver behind Annex-B start codes "
          "(auto: with them where the driver takes them); taken when the "
          "device opens",
          start_code_get_type (), GST_V4L2_ELASTIC_H265_START_CODE_AUTO,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
              GST_PARAM_MUTABLE_READY));
  decoder_class->open = gst_v4l2_elastic_h265_dec_open;
  decoder_class->start = gst_v4l2_elastic_h265_dec_start;
  decoder_class->set_format = gst_v4l2_elastic_h265_dec_set_format;
  decoder_class->handle_frame = gst_v4l2_elastic_h265_dec_handle_frame;
  decoder_class->drain = gst_v4l2_elastic_h265_dec_drain;
  decoder_class->finish = gst_v4l2_elastic_h265_dec_drain;
  v4l2_class->reset = gst_v4l2_elastic_h265_dec_reset;
}

static void
gst_v4l2_elastic_h265_dec_init (GTypeInstance *instance, gpointer g_class)
{
  GstV4l2ElasticH265Dec *self = H265_DEC (instance);

  gst_video_decoder_set_packetized (GST_VIDEO_DECODER (self), TRUE);
  self->parser = gst_h265_parser_new ();
  self->state = gst_v4l2_elastic_h265_state_new (
      gst_v4l2_elastic_frame_picture_ref, gst_v4l2_elastic_frame_picture_unref);
  self->output = g_ptr_array_new ();
  self->bitstream = g_byte_array_new ();
  self->slices = g_array_new (FALSE, TRUE, sizeof (H265Slice));
  self->slice_params =
      g_array_new (FALSE, TRUE, sizeof (struct v4l2_ctrl_hevc_slice_params));
  self->entry_points = g_array_new (FALSE, TRUE, sizeof (guint32));
}

/* --- registration ------------------------------------------------------------
 */

/* The controls must have the sizes of our ABI; any decode mode and start
 * code will do (choose_mode() picks them at open). */
static gboolean
check_controls (GstV4l2ElasticDevice *device)
{
  struct v4l2_query_ext_ctrl query;

  if (!gst_v4l2_elastic_device_check_control_size (device,
          V4L2_CID_STATELESS_HEVC_SPS, sizeof (struct v4l2_ctrl_hevc_sps),
          "HEVC SPS") ||
      !gst_v4l2_elastic_device_check_control_size (device,
          V4L2_CID_STATELESS_HEVC_PPS, sizeof (struct v4l2_ctrl_hevc_pps),
          "HEVC PPS") ||
      !gst_v4l2_elastic_device_check_control_size (device,
          V4L2_CID_STATELESS_HEVC_SCALING_MATRIX,
          sizeof (struct v4l2_ctrl_hevc_scaling_matrix),
          "HEVC scaling matrix") ||
      !gst_v4l2_elastic_device_check_control_size (device,
          V4L2_CID_STATELESS_HEVC_DECODE_PARAMS,
          sizeof (struct v4l2_ctrl_hevc_decode_params),
          "HEVC decode parameters"))
    return FALSE;
  /* Optional for frame-based drivers, but of our size where present. */
  if (gst_v4l2_elastic_device_query_control (
          device, V4L2_CID_STATELESS_HEVC_SLICE_PARAMS, &query) &&
      query.elem_size != sizeof (struct v4l2_ctrl_hevc_slice_params)) {
    GST_WARNING ("%s: HEVC slice parameters are %u bytes, we know %zu",
        device->video_path, query.elem_size,
        sizeof (struct v4l2_ctrl_hevc_slice_params));
    return FALSE;
  }
  if (!gst_v4l2_elastic_device_query_menu (device,
          V4L2_CID_STATELESS_HEVC_DECODE_MODE,
          V4L2_STATELESS_HEVC_DECODE_MODE_FRAME_BASED) &&
      !gst_v4l2_elastic_device_query_menu (device,
          V4L2_CID_STATELESS_HEVC_DECODE_MODE,
          V4L2_STATELESS_HEVC_DECODE_MODE_SLICE_BASED)) {
    GST_INFO ("%s: no HEVC decode mode", device->video_path);
    return FALSE;
  }
  if (!gst_v4l2_elastic_device_query_menu (device,
          V4L2_CID_STATELESS_HEVC_START_CODE,
          V4L2_STATELESS_HEVC_START_CODE_ANNEX_B) &&
      !gst_v4l2_elastic_device_query_menu (device,
          V4L2_CID_STATELESS_HEVC_START_CODE,
          V4L2_STATELESS_HEVC_START_CODE_NONE)) {
    GST_INFO ("%s: no HEVC start code mode", device->video_path);
    return FALSE;
  }
  return TRUE;
}

/* 8-bit 4:2:0 profiles: what this element outputs.  The driver's profile
 * menu narrows them where it has one (visl has none). */
static GstCaps *
probe_sink_caps (GstV4l2ElasticDevice *device)
{
  static const struct
  {
    gint v4l2;
    const gchar *caps;
  } profiles[] = {
    { V4L2_MPEG_VIDEO_HEVC_PROFILE_MAIN, "main" },
    { V4L2_MPEG_VIDEO_HEVC_PROFILE_MAIN_STILL_PICTURE, "main-still-picture" },
  };
  GValue list = G_VALUE_INIT, item = G_VALUE_INIT;
  struct v4l2_query_ext_ctrl query;
  gboolean have_menu;
  GstCaps *caps;
  guint i;

  have_menu = gst_v4l2_elastic_device_query_control (
      device, V4L2_CID_MPEG_VIDEO_HEVC_PROFILE, &query);
  g_value_init (&list, GST_TYPE_LIST);
  g_value_init (&item, G_TYPE_STRING);
  for (i = 0; i < G_N_ELEMENTS (profiles); i++) {
    if (have_menu &&
        !gst_v4l2_elastic_device_query_menu (
            device, V4L2_CID_MPEG_VIDEO_HEVC_PROFILE, profiles[i].v4l2))
      continue;
    g_value_set_static_string (&item, profiles[i].caps);
    gst_value_list_append_value (&list, &item);
  }
  caps = gst_caps_from_string (SINK_CAPS);
  if (gst_value_list_get_size (&list) > 0)
    gst_caps_set_value (caps, "profile", &list);
  g_value_unset (&item);
  g_value_unset (&list);
  return caps;
}

/**
 * gst_v4l2_elastic_h265_dec_register:
 *
 * Registers v4l2elastich265dec for the first HEVC decoder found (frame
 * based, Annex B), and v4l2elastic<node>h265dec for further ones.
 */
gboolean
gst_v4l2_elastic_h265_dec_register (
    GstPlugin *plugin, const GstV4l2ElasticDecoderNode *node, guint rank)
{
  static const GstV4l2ElasticCodecInfo codec = { "h265", "H265",
    V4L2_PIX_FMT_HEVC_SLICE, check_controls, probe_sink_caps };
  GTypeInfo info = { sizeof (GstV4l2ElasticH265DecClass), NULL, NULL,
    (GClassInitFunc) gst_v4l2_elastic_h265_dec_class_init, NULL, NULL,
    sizeof (GstV4l2ElasticH265Dec), 0, gst_v4l2_elastic_h265_dec_init, NULL };

  GST_DEBUG_CATEGORY_INIT (gst_v4l2_elastic_h265_dec_debug,
      "v4l2elastic-h265dec", 0, "V4L2 elastic H.265 decoder");
  return gst_v4l2_elastic_decoder_register (
      plugin, node, &codec, &info, rank, NULL);
}
