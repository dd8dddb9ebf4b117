/* gst-v4l2-elastic
 *
 * v4l2elastich264dec: H.264 access units (one AU per buffer, as h264parse
 * gives them; stream-format byte-stream, or avc/avc3 as MP4 and Matroska
 * carry it, which is turned into Annex B here by gsth264avc) decoded frame
 * by frame through a V4L2 stateless decoder with Annex-B start codes.  The
 * H.264 codec state (gsth264state) decides references and output order; this
 * file only turns its plan and the parsed headers into the V4L2 H.264 controls.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-v4l2elastich264dec
 * @title: v4l2elastich264dec
 * @short_description: H.264 through a V4L2 stateless decoder, elastic pool
 *
 * Decodes H.264 (8-bit 4:2:0 and 4:2:2 frame pictures; field pictures are
 * refused with an error) through a V4L2 stateless decoder in frame-based,
 * Annex-B mode.  The input is one access unit per buffer, as h264parse
 * gives it: stream-format byte-stream, avc (SPS/PPS in the caps'
 * codec_data, e.g. from qtdemux or matroskademux) or avc3; avc is turned
 * into Annex B inside the element, not by a second parser.  The CAPTURE
 * pool grows with CREATE_BUFS and shrinks with REMOVE_BUFS as the DPB and
 * downstream need (see max-capture-buffers, capture-memory-limit,
 * pool-stats and the element messages).
 *
 * Registered as v4l2elastich264dec for the first decoder found, and
 * v4l2elastic<node>h264dec for further ones; rank PRIMARY + 2 where the
 * CAPTURE queue has VIDIOC_REMOVE_BUFS, PRIMARY otherwise.
 *
 * ## Example launch line
 * |[
 * gst-play-1.0 clip.mp4
 * gst-launch-1.0 playbin3 uri=file:///path/to/clip.mp4
 * gst-launch-1.0 filesrc location=clip.mp4 ! parsebin ! v4l2elastich264dec \
 *     ! videoconvert ! autovideosink
 * gst-launch-1.0 filesrc location=clip.h264 ! h264parse ! v4l2elastich264dec \
 *     ! videoconvert ! autovideosink
 * ]|
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstv4l2elastich264dec.h"
#include "gstv4l2elasticframepicture.h"
#include "gstv4l2elastich264controls.h"
#include "gsth264state.h"
#include "gsth264avc.h"

#include <errno.h>
#include <string.h>

#include <gst/codecparsers/gsth264parser.h>

GST_DEBUG_CATEGORY_STATIC (gst_v4l2_elastic_h264_dec_debug);
#define GST_CAT_DEFAULT gst_v4l2_elastic_h264_dec_debug

/* Byte-stream first: h264parse keeps avc input as avc when we take it, and
 * converts anything else to what we list first. */
#define SINK_CAPS                                                              \
  "video/x-h264, stream-format = (string) { byte-stream, avc, avc3 }, "        \
  "alignment = (string) au"

typedef struct
{
  GstV4l2ElasticDecoder parent;

  GstH264NalParser *parser;
  GstV4l2ElasticH264State *state;
  GPtrArray *output; /* GstV4l2ElasticFramePicture, filled by the state */
  GByteArray *bitstream;

  /* stream-format avc/avc3: the NAL length size (else 0) and each access
   * unit turned into Annex B. */
  guint nal_length_size;
  GByteArray *annexb;

  /* From the input caps, for the latency. */
  gint fps_n, fps_d;
  guint reorder;
} GstV4l2ElasticH264Dec;

typedef struct
{
  GstV4l2ElasticDecoderClass parent_class;
} GstV4l2ElasticH264DecClass;

static GstElementClass *parent_class;

#define H264_DEC(obj) ((GstV4l2ElasticH264Dec *) (obj))

/* CAPTURE layouts for 8-bit pictures, preferred first. */
static const GstVideoFormat yuv420_formats[] = {
  GST_VIDEO_FORMAT_NV12,
  GST_VIDEO_FORMAT_I420,
  GST_VIDEO_FORMAT_NV21,
  GST_VIDEO_FORMAT_YV12,
};
static const GstVideoFormat yuv422_formats[] = {
  GST_VIDEO_FORMAT_NV16,
  GST_VIDEO_FORMAT_Y42B,
};

/* --- output ------------------------------------------------------------------
 */

/* Pushes what the codec state put in self->output, in that order. */
static GstFlowReturn
push_output (GstV4l2ElasticH264Dec *self)
{
  return gst_v4l2_elastic_decoder_push_pictures (
      GST_V4L2_ELASTIC_DECODER (self), self->output);
}

static void
update_latency (GstV4l2ElasticH264Dec *self)
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

/* Frame-based decoding of whole access units with start codes: the
 * driver's default is slice-based without start codes. */
static gboolean
set_decode_mode (GstV4l2ElasticH264Dec *self)
{
  GstV4l2ElasticDevice *device =
      gst_v4l2_elastic_decoder_get_device (GST_V4L2_ELASTIC_DECODER (self));
  struct v4l2_ext_control controls[2] = { { 0 } };

  controls[0].id = V4L2_CID_STATELESS_H264_DECODE_MODE;
  controls[0].value = V4L2_STATELESS_H264_DECODE_MODE_FRAME_BASED;
  controls[1].id = V4L2_CID_STATELESS_H264_START_CODE;
  controls[1].value = V4L2_STATELESS_H264_START_CODE_ANNEX_B;
  return gst_v4l2_elastic_device_set_controls (device, -1, controls, 2);
}

static gboolean
gst_v4l2_elastic_h264_dec_open (GstVideoDecoder *decoder)
{
  if (!GST_VIDEO_DECODER_CLASS (parent_class)->open (decoder))
    return FALSE;
  if (!set_decode_mode (H264_DEC (decoder))) {
    GST_ELEMENT_ERROR (decoder, RESOURCE, SETTINGS,
        ("The decoder refused frame-based decoding with Annex-B start "
         "codes."),
        ("%s", g_strerror (errno)));
    return FALSE;
  }
  return TRUE;
}

static gboolean
gst_v4l2_elastic_h264_dec_start (GstVideoDecoder *decoder)
{
  GstV4l2ElasticH264Dec *self = H264_DEC (decoder);

  /* Parameter sets of an earlier stream must not leak into this one. */
  g_clear_pointer (&self->parser, gst_h264_nal_parser_free);
  self->parser = gst_h264_nal_parser_new ();
  gst_v4l2_elastic_h264_state_reset (self->state);
  self->reorder = 0;
  return GST_VIDEO_DECODER_CLASS (parent_class)->start (decoder);
}

/* Parameter sets in Annex B (from an avcC record) go to the parser, as
 * the same NAL units in the stream would. */
static gboolean
parse_parameter_sets (
    GstV4l2ElasticH264Dec *self, const guint8 *data, gsize size)
{
  GstH264ParserResult pres;
  GstH264NalUnit nalu;
  guint offset = 0;

  while (offset < size) {
    pres =
        gst_h264_parser_identify_nalu (self->parser, data, offset, size, &nalu);
    if (pres == GST_H264_PARSER_NO_NAL_END)
      pres = GST_H264_PARSER_OK;
    if (pres == GST_H264_PARSER_NO_NAL)
      break;
    if (pres != GST_H264_PARSER_OK)
      return FALSE;
    offset = nalu.offset + nalu.size;
    if (gst_h264_parser_parse_nal (self->parser, &nalu) != GST_H264_PARSER_OK)
      return FALSE;
  }
  return TRUE;
}

/* stream-format avc (parameter sets in codec_data) or avc3 (in the
 * stream, codec_data optional): the record's NAL length size for every
 * access unit, its SPS and PPS to the parser. */
static gboolean
set_stream_format (GstV4l2ElasticH264Dec *self, GstCaps *caps)
{
  GstStructure *s = gst_caps_get_structure (caps, 0);
  const gchar *format = gst_structure_get_string (s, "stream-format");
  const GValue *value = gst_structure_get_value (s, "codec_data");
  GstV4l2ElasticH264AvcConfig config;
  GByteArray *sets;
  GError *error = NULL;
  GstMapInfo map;
  gboolean ok;

  self->nal_length_size = 0;
  if (g_strcmp0 (format, "avc") != 0 && g_strcmp0 (format, "avc3") != 0)
    return TRUE;
  if (!value || !GST_VALUE_HOLDS_BUFFER (value)) {
    if (g_strcmp0 (format, "avc") == 0) {
      GST_ELEMENT_ERROR (self, STREAM, FORMAT,
          ("H.264 stream-format avc without codec_data."), (NULL));
      return FALSE;
    }
    /* avc3 without a record: 4-byte lengths, as every muxer writes. */
    self->nal_length_size = 4;
    return TRUE;
  }

  if (!gst_buffer_map (gst_value_get_buffer (value), &map, GST_MAP_READ))
    return FALSE;
  sets = g_byte_array_new ();
  ok = gst_v4l2_elastic_h264_avcc_parse (
      map.data, map.size, &config, sets, &error);
  gst_buffer_unmap (gst_value_get_buffer (value), &map);
  if (!ok) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("Invalid H.264 codec_data (avcC)."), ("%s", error->message));
    g_clear_error (&error);
    g_byte_array_unref (sets);
    return FALSE;
  }
  GST_DEBUG_OBJECT (self,
      "%s: NAL length size %u, %u SPS, %u PPS, profile_idc %u, level_idc %u",
      format, config.nal_length_size, config.n_sps, config.n_pps,
      config.profile_idc, config.level_idc);
  if (!parse_parameter_sets (self, sets->data, sets->len)) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("Invalid H.264 parameter set in codec_data."), (NULL));
    g_byte_array_unref (sets);
    return FALSE;
  }
  g_byte_array_unref (sets);
  self->nal_length_size = config.nal_length_size;
  return TRUE;
}

static gboolean
gst_v4l2_elastic_h264_dec_set_format (
    GstVideoDecoder *decoder, GstVideoCodecState *state)
{
  GstV4l2ElasticH264Dec *self = H264_DEC (decoder);

  if (!state->caps || !set_stream_format (self, state->caps))
    return FALSE;
  self->fps_n = GST_VIDEO_INFO_FPS_N (&state->info);
  self->fps_d = GST_VIDEO_INFO_FPS_D (&state->info);
  update_latency (self);
  return GST_VIDEO_DECODER_CLASS (parent_class)->set_format (decoder, state);
}

/* Flush and teardown: pictures waiting for output belong to frames the
 * base class discards. */
static void
gst_v4l2_elastic_h264_dec_reset (GstV4l2ElasticDecoder *decoder)
{
  GstV4l2ElasticH264Dec *self = H264_DEC (decoder);

  gst_v4l2_elastic_h264_state_reset (self->state);
  gst_v4l2_elastic_frame_pictures_clear (self->output);
}

static GstFlowReturn
gst_v4l2_elastic_h264_dec_drain (GstVideoDecoder *decoder)
{
  GstV4l2ElasticH264Dec *self = H264_DEC (decoder);

  gst_v4l2_elastic_h264_state_drain (self->state, self->output);
  return push_output (self);
}

static GstFlowReturn
new_sequence (GstV4l2ElasticH264Dec *self, const GstH264SPS *sps,
    const GstV4l2ElasticH264PicturePlan *plan)
{
  GstV4l2ElasticSequence seq = { 0 };

  if (plan->bit_depth_luma != 8 || plan->bit_depth_chroma != 8) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT, ("Unsupported H.264 bit depth."),
        ("luma %u, chroma %u bits", plan->bit_depth_luma,
            plan->bit_depth_chroma));
    return GST_FLOW_NOT_NEGOTIATED;
  }
  if (plan->chroma_format_idc <= 1) {
    /* Monochrome pictures are written as 4:2:0 with neutral chroma. */
    seq.formats = yuv420_formats;
    seq.n_formats = G_N_ELEMENTS (yuv420_formats);
  } else if (plan->chroma_format_idc == 2) {
    seq.formats = yuv422_formats;
    seq.n_formats = G_N_ELEMENTS (yuv422_formats);
  } else {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("Unsupported H.264 chroma format."),
        ("chroma_format_idc %u", plan->chroma_format_idc));
    return GST_FLOW_NOT_NEGOTIATED;
  }

  seq.coded_fourcc = V4L2_PIX_FMT_H264_SLICE;
  seq.width = plan->width;
  seq.height = plan->height;
  /* The CAPTURE format stays the coded size; the caps get the SPS crop. */
  seq.visible.x = plan->visible_x;
  seq.visible.y = plan->visible_y;
  seq.visible.w = plan->visible_width;
  seq.visible.h = plan->visible_height;
  /* Bitstream buffers: the base class' first guess from the coded size;
   * a larger access unit grows them. */
  seq.output_sizeimage = 0;
  seq.demand.references = plan->dpb_size;
  seq.demand.reorder = plan->reorder;
  GST_DEBUG_OBJECT (self,
      "new sequence: %ux%u (visible %ux%u at %u,%u), profile_idc %u, DPB %u, "
      "reorder %u",
      plan->width, plan->height, plan->visible_width, plan->visible_height,
      plan->visible_x, plan->visible_y, sps->profile_idc, plan->dpb_size,
      plan->reorder);

  self->reorder = plan->reorder;
  update_latency (self);
  return gst_v4l2_elastic_decoder_set_sequence (
      GST_V4L2_ELASTIC_DECODER (self), &seq);
}

static void
append_nal (GByteArray *bitstream, const GstH264NalUnit *nalu)
{
  static const guint8 start_code[3] = { 0, 0, 1 };

  g_byte_array_append (bitstream, start_code, sizeof (start_code));
  g_byte_array_append (bitstream, nalu->data + nalu->offset, nalu->size);
}

static GstFlowReturn
decode_error (GstV4l2ElasticH264Dec *self, GstVideoCodecFrame *frame,
    const gchar *what, GstH264ParserResult pres)
{
  GstFlowReturn ret = GST_FLOW_OK;

  GST_VIDEO_DECODER_ERROR (self, 1, STREAM, DECODE, ("Corrupt H.264 stream."),
      ("%s in frame %u (parser result %d)", what, frame->system_frame_number,
          pres),
      ret);
  gst_video_decoder_drop_frame (GST_VIDEO_DECODER (self), frame);
  return ret;
}

static GstFlowReturn
gst_v4l2_elastic_h264_dec_handle_frame (
    GstVideoDecoder *decoder, GstVideoCodecFrame *frame)
{
  GstV4l2ElasticH264Dec *self = H264_DEC (decoder);
  struct v4l2_ctrl_h264_sps sps_ctrl;
  struct v4l2_ctrl_h264_pps pps_ctrl;
  struct v4l2_ctrl_h264_scaling_matrix matrix_ctrl;
  struct v4l2_ctrl_h264_decode_params params_ctrl;
  struct v4l2_ext_control controls[4] = { { 0 } };
  GstH264NalUnit nalu, first_nalu = { 0 };
  GstH264SliceHdr slice, first_slice = { 0 };
  GstV4l2ElasticH264PicturePlan plan;
  GstV4l2ElasticH264Decision decision;
  GstH264ParserResult pres;
  GstV4l2ElasticPicture *picture = NULL;
  GstV4l2ElasticFramePicture *pic;
  gboolean have_slice = FALSE, has_p = FALSE, has_b = FALSE;
  GstFlowReturn ret;
  GstMapInfo map;
  const guint8 *data;
  gsize size;
  guint offset = 0;

  if (!gst_buffer_map (frame->input_buffer, &map, GST_MAP_READ)) {
    gst_video_decoder_drop_frame (decoder, frame);
    return GST_FLOW_ERROR;
  }
  data = map.data;
  size = map.size;
  if (self->nal_length_size) {
    GError *error = NULL;

    g_byte_array_set_size (self->annexb, 0);
    if (!gst_v4l2_elastic_h264_avc_to_annexb (
            map.data, map.size, self->nal_length_size, self->annexb, &error)) {
      GST_WARNING_OBJECT (
          self, "frame %u: %s", frame->system_frame_number, error->message);
      g_clear_error (&error);
      gst_buffer_unmap (frame->input_buffer, &map);
      return decode_error (
          self, frame, "broken NAL unit length", GST_H264_PARSER_ERROR);
    }
    data = self->annexb->data;
    size = self->annexb->len;
  }

  /* Parameter sets go to the parser; the slices of the primary picture
   * go into the bitstream, each behind a start code. */
  g_byte_array_set_size (self->bitstream, 0);
  while (offset < size) {
    pres =
        gst_h264_parser_identify_nalu (self->parser, data, offset, size, &nalu);
    if (pres == GST_H264_PARSER_NO_NAL_END)
      pres = GST_H264_PARSER_OK; /* the last NAL of the access unit */
    if (pres == GST_H264_PARSER_NO_NAL)
      break;
    if (pres != GST_H264_PARSER_OK) {
      gst_buffer_unmap (frame->input_buffer, &map);
      return decode_error (self, frame, "unreadable NAL unit", pres);
    }
    offset = nalu.offset + nalu.size;

    switch (nalu.type) {
    case GST_H264_NAL_SPS:
    case GST_H264_NAL_PPS:
      pres = gst_h264_parser_parse_nal (self->parser, &nalu);
      if (pres != GST_H264_PARSER_OK) {
        gst_buffer_unmap (frame->input_buffer, &map);
        return decode_error (self, frame, "broken parameter set", pres);
      }
      break;
    case GST_H264_NAL_SLICE:
    case GST_H264_NAL_SLICE_IDR:
      pres = gst_h264_parser_parse_slice_hdr (
          self->parser, &nalu, &slice, TRUE, TRUE);
      if (pres != GST_H264_PARSER_OK) {
        gst_buffer_unmap (frame->input_buffer, &map);
        return decode_error (self, frame, "broken slice header", pres);
      }
      /* Redundant slices repeat the primary picture: never decoded. */
      if (slice.redundant_pic_cnt > 0)
        break;
      if (!have_slice) {
        have_slice = TRUE;
        first_nalu = nalu;
        first_slice = slice;
      }
      if (GST_H264_IS_B_SLICE (&slice))
        has_b = TRUE;
      else if (GST_H264_IS_P_SLICE (&slice) || GST_H264_IS_SP_SLICE (&slice))
        has_p = TRUE;
      append_nal (self->bitstream, &nalu);
      break;
    default:
      break;
    }
  }
  gst_buffer_unmap (frame->input_buffer, &map);

  if (!have_slice) {
    GST_DEBUG_OBJECT (
        self, "frame %u has no picture", frame->system_frame_number);
    gst_video_decoder_drop_frame (decoder, frame);
    return GST_FLOW_OK;
  }

  decision = gst_v4l2_elastic_h264_state_begin_picture (
      self->state, &first_nalu, &first_slice, &plan, self->output);
  /* Pictures before this one (IDR, new sequence, frame_num gap) go out
   * first, in the old format. */
  ret = push_output (self);
  if (ret != GST_FLOW_OK) {
    gst_video_decoder_drop_frame (decoder, frame);
    return ret;
  }
  if (decision == GST_V4L2_ELASTIC_H264_DROP) {
    GST_DEBUG_OBJECT (self, "dropping frame %u (reason %d)",
        frame->system_frame_number, plan.drop_reason);
    gst_video_decoder_drop_frame (decoder, frame);
    return GST_FLOW_OK;
  }
  if (decision == GST_V4L2_ELASTIC_H264_ERROR && plan.unsupported) {
    /* Valid H.264 that would be decoded wrong: stop rather than show
     * garbage (field pictures). */
    GST_ELEMENT_ERROR (self, STREAM, NOT_IMPLEMENTED,
        ("This H.264 stream is not supported: %s.", plan.message),
        ("frame %u", frame->system_frame_number));
    gst_video_decoder_drop_frame (decoder, frame);
    return GST_FLOW_ERROR;
  }
  if (decision == GST_V4L2_ELASTIC_H264_ERROR) {
    GST_ELEMENT_ERROR (self, STREAM, DECODE,
        ("Unsupported or broken H.264 stream."),
        ("frame %u: %s", frame->system_frame_number,
            plan.message ? plan.message : "codec state error"));
    gst_video_decoder_drop_frame (decoder, frame);
    return GST_FLOW_ERROR;
  }

  if (plan.new_sequence) {
    ret = new_sequence (self, first_slice.pps->sequence, &plan);
    if (ret != GST_FLOW_OK) {
      gst_video_decoder_drop_frame (decoder, frame);
      return ret;
    }
  }

  gst_v4l2_elastic_h264_fill_sps (&sps_ctrl, first_slice.pps->sequence);
  gst_v4l2_elastic_h264_fill_pps (&pps_ctrl, first_slice.pps);
  gst_v4l2_elastic_h264_fill_scaling_matrix (&matrix_ctrl, first_slice.pps);
  gst_v4l2_elastic_h264_fill_decode_params (
      &params_ctrl, &first_nalu, &first_slice, &plan, has_p, has_b);
  controls[0].id = V4L2_CID_STATELESS_H264_SPS;
  controls[0].size = sizeof (sps_ctrl);
  controls[0].ptr = &sps_ctrl;
  controls[1].id = V4L2_CID_STATELESS_H264_PPS;
  controls[1].size = sizeof (pps_ctrl);
  controls[1].ptr = &pps_ctrl;
  controls[2].id = V4L2_CID_STATELESS_H264_SCALING_MATRIX;
  controls[2].size = sizeof (matrix_ctrl);
  controls[2].ptr = &matrix_ctrl;
  controls[3].id = V4L2_CID_STATELESS_H264_DECODE_PARAMS;
  controls[3].size = sizeof (params_ctrl);
  controls[3].ptr = &params_ctrl;

  ret = gst_v4l2_elastic_decoder_decode (GST_V4L2_ELASTIC_DECODER (self), frame,
      gst_v4l2_elastic_decoder_frame_timestamp (frame), self->bitstream->data,
      self->bitstream->len, controls, G_N_ELEMENTS (controls), &picture);
  if (!picture) {
    /* The state planned this picture as decoded: output what was decoded
     * before it, then forget everything so that nothing predicts from a
     * picture that does not exist; decoding resumes at the next IDR. */
    gst_video_decoder_drop_frame (decoder, frame);
    gst_v4l2_elastic_h264_state_drain (self->state, self->output);
    gst_v4l2_elastic_h264_state_reset (self->state);
    if (ret == GST_FLOW_OK)
      ret = push_output (self);
    else
      gst_v4l2_elastic_h264_dec_reset (GST_V4L2_ELASTIC_DECODER (self));
    return ret;
  }

  pic = gst_v4l2_elastic_frame_picture_new (picture, frame);
  /* The base class keeps the frame until the state says it is its turn;
   * the picture keeps its CAPTURE buffer. */
  gst_video_codec_frame_unref (frame);
  gst_v4l2_elastic_h264_state_end_picture (
      self->state, pic, picture->timestamp_ns, self->output);
  return push_output (self);
}

static void
gst_v4l2_elastic_h264_dec_finalize (GObject *object)
{
  GstV4l2ElasticH264Dec *self = H264_DEC (object);

  g_clear_pointer (&self->parser, gst_h264_nal_parser_free);
  gst_v4l2_elastic_h264_state_free (self->state);
  g_ptr_array_unref (self->output);
  g_byte_array_unref (self->bitstream);
  g_byte_array_unref (self->annexb);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_v4l2_elastic_h264_dec_class_init (
    GstV4l2ElasticH264DecClass *klass, gpointer class_data)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstVideoDecoderClass *decoder_class = GST_VIDEO_DECODER_CLASS (klass);
  GstV4l2ElasticDecoderClass *v4l2_class =
      GST_V4L2_ELASTIC_DECODER_CLASS (klass);
  parent_class = g_type_class_peek_parent (klass);
  /* The probed sink caps (profiles of this device) replace these. */
  gst_v4l2_elastic_decoder_class_install (
      v4l2_class, class_data, gst_caps_from_string (SINK_CAPS), "H.264");

  object_class->finalize = gst_v4l2_elastic_h264_dec_finalize;
  decoder_class->open = gst_v4l2_elastic_h264_dec_open;
  decoder_class->start = gst_v4l2_elastic_h264_dec_start;
  decoder_class->set_format = gst_v4l2_elastic_h264_dec_set_format;
  decoder_class->handle_frame = gst_v4l2_elastic_h264_dec_handle_frame;
  decoder_class->drain = gst_v4l2_elastic_h264_dec_drain;
  decoder_class->finish = gst_v4l2_elastic_h264_dec_drain;
  v4l2_class->reset = gst_v4l2_elastic_h264_dec_reset;
}

static void
gst_v4l2_elastic_h264_dec_init (GTypeInstance *instance, gpointer g_class)
{
  GstV4l2ElasticH264Dec *self = H264_DEC (instance);

  /* h264parse hands over one access unit per buffer (alignment=au). */
  gst_video_decoder_set_packetized (GST_VIDEO_DECODER (self), TRUE);
  self->parser = gst_h264_nal_parser_new ();
  self->state = gst_v4l2_elastic_h264_state_new (
      gst_v4l2_elastic_frame_picture_ref, gst_v4l2_elastic_frame_picture_unref);
  self->output = g_ptr_array_new ();
  self->bitstream = g_byte_array_new ();
  self->annexb = g_byte_array_new ();
}

/* --- registration ------------------------------------------------------------
 */

/* The controls must have the sizes of our ABI, and the driver must decode
 * whole frames with start codes: that is the only mode we feed. */
static gboolean
check_controls (GstV4l2ElasticDevice *device)
{
  if (!gst_v4l2_elastic_device_check_control_size (device,
          V4L2_CID_STATELESS_H264_SPS, sizeof (struct v4l2_ctrl_h264_sps),
          "H.264 SPS") ||
      !gst_v4l2_elastic_device_check_control_size (device,
          V4L2_CID_STATELESS_H264_PPS, sizeof (struct v4l2_ctrl_h264_pps),
          "H.264 PPS") ||
      !gst_v4l2_elastic_device_check_control_size (device,
          V4L2_CID_STATELESS_H264_SCALING_MATRIX,
          sizeof (struct v4l2_ctrl_h264_scaling_matrix),
          "H.264 scaling matrix") ||
      !gst_v4l2_elastic_device_check_control_size (device,
          V4L2_CID_STATELESS_H264_DECODE_PARAMS,
          sizeof (struct v4l2_ctrl_h264_decode_params),
          "H.264 decode parameters"))
    return FALSE;
  if (!gst_v4l2_elastic_device_query_menu (device,
          V4L2_CID_STATELESS_H264_DECODE_MODE,
          V4L2_STATELESS_H264_DECODE_MODE_FRAME_BASED)) {
    GST_INFO ("%s: no frame-based H.264 decoding", device->video_path);
    return FALSE;
  }
  if (!gst_v4l2_elastic_device_query_menu (device,
          V4L2_CID_STATELESS_H264_START_CODE,
          V4L2_STATELESS_H264_START_CODE_ANNEX_B)) {
    GST_INFO ("%s: no Annex-B start codes for H.264", device->video_path);
    return FALSE;
  }
  return TRUE;
}

static const struct
{
  gint v4l2;
  const gchar *caps;
} profiles[] = {
  { V4L2_MPEG_VIDEO_H264_PROFILE_BASELINE, "baseline" },
  { V4L2_MPEG_VIDEO_H264_PROFILE_CONSTRAINED_BASELINE, "constrained-baseline" },
  { V4L2_MPEG_VIDEO_H264_PROFILE_MAIN, "main" },
  { V4L2_MPEG_VIDEO_H264_PROFILE_EXTENDED, "extended" },
  { V4L2_MPEG_VIDEO_H264_PROFILE_HIGH, "high" },
  { V4L2_MPEG_VIDEO_H264_PROFILE_HIGH_10, "high-10" },
  { V4L2_MPEG_VIDEO_H264_PROFILE_HIGH_422, "high-4:2:2" },
  { V4L2_MPEG_VIDEO_H264_PROFILE_HIGH_444_PREDICTIVE, "high-4:4:4" },
  { V4L2_MPEG_VIDEO_H264_PROFILE_HIGH_10_INTRA, "high-10-intra" },
  { V4L2_MPEG_VIDEO_H264_PROFILE_HIGH_422_INTRA, "high-4:2:2-intra" },
  { V4L2_MPEG_VIDEO_H264_PROFILE_HIGH_444_INTRA, "high-4:4:4-intra" },
  { V4L2_MPEG_VIDEO_H264_PROFILE_CAVLC_444_INTRA, "cavlc-4:4:4-intra" },
  { V4L2_MPEG_VIDEO_H264_PROFILE_SCALABLE_BASELINE, "scalable-baseline" },
  { V4L2_MPEG_VIDEO_H264_PROFILE_SCALABLE_HIGH, "scalable-high" },
  { V4L2_MPEG_VIDEO_H264_PROFILE_STEREO_HIGH, "stereo-high" },
  { V4L2_MPEG_VIDEO_H264_PROFILE_MULTIVIEW_HIGH, "multiview-high" },
  { V4L2_MPEG_VIDEO_H264_PROFILE_CONSTRAINED_HIGH, "constrained-high" },
};

/* The profiles the driver's profile menu lists; a driver without that
 * control (visl) gets the 8-bit 4:2:0 profiles every stateless H.264
 * decoder does, which is also all this element can output. */
static GstCaps *
probe_sink_caps (GstV4l2ElasticDevice *device)
{
  static const gchar *fallback[] = { "constrained-baseline", "baseline", "main",
    "high" };
  GValue list = G_VALUE_INIT, item = G_VALUE_INIT;
  GstCaps *caps;
  guint i;

  g_value_init (&list, GST_TYPE_LIST);
  g_value_init (&item, G_TYPE_STRING);
  for (i = 0; i < G_N_ELEMENTS (profiles); i++) {
    if (!gst_v4l2_elastic_device_query_menu (
            device, V4L2_CID_MPEG_VIDEO_H264_PROFILE, profiles[i].v4l2))
      continue;
    g_value_set_static_string (&item, profiles[i].caps);
    gst_value_list_append_value (&list, &item);
    /* Constrained baseline streams are baseline streams. */
    if (profiles[i].v4l2 == V4L2_MPEG_VIDEO_H264_PROFILE_BASELINE &&
        !gst_v4l2_elastic_device_query_menu (device,
            V4L2_CID_MPEG_VIDEO_H264_PROFILE,
            V4L2_MPEG_VIDEO_H264_PROFILE_CONSTRAINED_BASELINE)) {
      g_value_set_static_string (&item, "constrained-baseline");
      gst_value_list_append_value (&list, &item);
    }
  }
  if (gst_value_list_get_size (&list) == 0) {
    for (i = 0; i < G_N_ELEMENTS (fallback); i++) {
      g_value_set_static_string (&item, fallback[i]);
      gst_value_list_append_value (&list, &item);
    }
  }
  caps = gst_caps_from_string (SINK_CAPS);
  gst_caps_set_value (caps, "profile", &list);
  g_value_unset (&item);
  g_value_unset (&list);
  return caps;
}

/**
 * gst_v4l2_elastic_h264_dec_register:
 *
 * Registers v4l2elastich264dec for the first H.264 decoder found (frame
 * based, Annex B), and v4l2elastic<node>h264dec for further ones.
 */
gboolean
gst_v4l2_elastic_h264_dec_register (
    GstPlugin *plugin, const GstV4l2ElasticDecoderNode *node, guint rank)
{
  static const GstV4l2ElasticCodecInfo codec = { "h264", "H264",
    V4L2_PIX_FMT_H264_SLICE, check_controls, probe_sink_caps };
  GTypeInfo info = { sizeof (GstV4l2ElasticH264DecClass), NULL, NULL,
    (GClassInitFunc) gst_v4l2_elastic_h264_dec_class_init, NULL, NULL,
    sizeof (GstV4l2ElasticH264Dec), 0, gst_v4l2_elastic_h264_dec_init, NULL };

  GST_DEBUG_CATEGORY_INIT (gst_v4l2_elastic_h264_dec_debug,
      "v4l2elastic-h264dec", 0, "V4L2 elastic H.264 decoder");
  return gst_v4l2_elastic_decoder_register (
      plugin, node, &codec, &info, rank, NULL);
}
