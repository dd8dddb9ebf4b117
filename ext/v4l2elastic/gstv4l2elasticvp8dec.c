/* gst-v4l2-elastic
 *
 * v4l2elasticvp8dec: takes packetized VP8 (one frame per buffer, as
 * ivfparse, matroskademux or parsebin give it), parses each frame header
 * with GstVp8Parser, keeps the three reference slots in GstV4l2ElasticVp8State
 * and fills V4L2_CID_STATELESS_VP8_FRAME.  Hidden frames (alt-ref, show_frame
 * 0) are decoded and kept as references but not output.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstv4l2elasticvp8dec.h"
#include "gstv4l2elasticvp8controls.h"
#include "gstvp8state.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_v4l2_elastic_vp8_dec_debug);
#define GST_CAT_DEFAULT gst_v4l2_elastic_vp8_dec_debug

typedef struct
{
  GstV4l2ElasticDecoder parent;
  GstVp8Parser parser;
  GstV4l2ElasticVp8State state;
} GstV4l2ElasticVp8Dec;

typedef struct
{
  GstV4l2ElasticDecoderClass parent_class;
} GstV4l2ElasticVp8DecClass;

static GstElementClass *parent_class;

#define VP8_DEC(obj) ((GstV4l2ElasticVp8Dec *) (obj))

/* VP8 is 8-bit 4:2:0 only. */
static const GstVideoFormat yuv420_formats[] = {
  GST_VIDEO_FORMAT_NV12,
  GST_VIDEO_FORMAT_I420,
  GST_VIDEO_FORMAT_YV12,
  GST_VIDEO_FORMAT_NV21,
};

static void
picture_free (gpointer picture)
{
  gst_v4l2_elastic_picture_unref (picture);
}

static gboolean
gst_v4l2_elastic_vp8_dec_start (GstVideoDecoder *decoder)
{
  GstV4l2ElasticVp8Dec *self = VP8_DEC (decoder);

  gst_vp8_parser_init (&self->parser);
  gst_v4l2_elastic_vp8_state_init (&self->state, picture_free);
  return GST_VIDEO_DECODER_CLASS (parent_class)->start (decoder);
}

static void
gst_v4l2_elastic_vp8_dec_reset (GstV4l2ElasticDecoder *decoder)
{
  GstV4l2ElasticVp8Dec *self = VP8_DEC (decoder);

  /* The parser's probabilities and segmentation carry over from frame to
   * frame: after a flush only a key frame restores them. */
  gst_v4l2_elastic_vp8_state_reset (&self->state);
  gst_vp8_parser_init (&self->parser);
}

static GstFlowReturn
new_sequence (
    GstV4l2ElasticVp8Dec *self, const GstV4l2ElasticVp8FramePlan *plan)
{
  GstV4l2ElasticSequence seq = { 0 };

  seq.coded_fourcc = V4L2_PIX_FMT_VP8_FRAME;
  seq.width = plan->width;
  seq.height = plan->height;
  seq.formats = yuv420_formats;
  seq.n_formats = G_N_ELEMENTS (yuv420_formats);
  /* A bound, not the pictures alive now: a key frame puts one picture in
   * all three slots, and the pool only grows when every buffer is busy,
   * so the fixed bound costs nothing while it keeps the pool from
   * shrinking below what the next frames may need. */
  seq.demand.references = GST_V4L2_ELASTIC_VP8_STATE_REFERENCES;
  seq.demand.reorder = 0;
  return gst_v4l2_elastic_decoder_set_sequence (
      GST_V4L2_ELASTIC_DECODER (self), &seq);
}

static GstFlowReturn
gst_v4l2_elastic_vp8_dec_handle_frame (
    GstVideoDecoder *decoder, GstVideoCodecFrame *frame)
{
  GstV4l2ElasticVp8Dec *self = VP8_DEC (decoder);
  struct v4l2_ctrl_vp8_frame params;
  struct v4l2_ext_control control = { 0 };
  GstV4l2ElasticPicture *picture = NULL;
  GstVp8FrameHdr hdr;
  GstV4l2ElasticVp8FramePlan plan;
  GstFlowReturn ret = GST_FLOW_OK;
  GstMapInfo map;

  if (!gst_buffer_map (frame->input_buffer, &map, GST_MAP_READ)) {
    gst_video_decoder_drop_frame (decoder, frame);
    return GST_FLOW_ERROR;
  }
  /* The partitions the header describes must lie inside the frame: the
   * driver reads them. */
  if (gst_vp8_parser_parse_frame_header (
          &self->parser, &hdr, map.data, map.size) != GST_VP8_PARSER_OK ||
      !gst_v4l2_elastic_vp8_frame_layout_valid (&hdr, map.size)) {
    gst_buffer_unmap (frame->input_buffer, &map);
    /* Whatever this frame refreshed is lost: start again at a key frame. */
    gst_v4l2_elastic_vp8_state_reset (&self->state);
    GST_VIDEO_DECODER_ERROR (decoder, 1, STREAM, DECODE,
        ("Corrupt VP8 frame header."), ("frame %u", frame->system_frame_number),
        ret);
    gst_video_decoder_drop_frame (decoder, frame);
    return ret;
  }

  if (gst_v4l2_elastic_vp8_state_begin_frame (&self->state, &hdr, &plan) ==
      GST_V4L2_ELASTIC_VP8_DROP) {
    GST_DEBUG_OBJECT (self, "dropping inter frame %u: no key frame yet",
        frame->system_frame_number);
    gst_buffer_unmap (frame->input_buffer, &map);
    gst_video_decoder_drop_frame (decoder, frame);
    return GST_FLOW_OK;
  }

  if (plan.new_sequence) {
    ret = new_sequence (self, &plan);
    if (ret != GST_FLOW_OK) {
      gst_buffer_unmap (frame->input_buffer, &map);
      gst_video_decoder_drop_frame (decoder, frame);
      return ret;
    }
  }

  gst_v4l2_elastic_vp8_fill_frame (&self->parser, &hdr, &plan, &params);
  control.id = V4L2_CID_STATELESS_VP8_FRAME;
  control.size = sizeof (params);
  control.ptr = &params;

  /* The driver gets the whole frame, frame tag and header included. */
  ret = gst_v4l2_elastic_decoder_decode (GST_V4L2_ELASTIC_DECODER (self), frame,
      gst_v4l2_elastic_decoder_frame_timestamp (frame), map.data, map.size,
      &control, 1, &picture);
  gst_buffer_unmap (frame->input_buffer, &map);

  if (!picture) {
    /* The slots this frame should have refreshed would be stale. */
    gst_v4l2_elastic_vp8_state_reset (&self->state);
    gst_video_decoder_drop_frame (decoder, frame);
    return ret;
  }

  gst_v4l2_elastic_vp8_state_end_frame (&self->state, &hdr,
      gst_v4l2_elastic_picture_ref (picture), picture->timestamp_ns);

  if (!hdr.show_frame) {
    /* A hidden frame only serves as a reference. */
    gst_v4l2_elastic_picture_unref (picture);
    gst_video_decoder_release_frame (decoder, frame);
    return GST_FLOW_OK;
  }
  return gst_v4l2_elastic_decoder_output (
      GST_V4L2_ELASTIC_DECODER (self), frame, picture);
}

static void
gst_v4l2_elastic_vp8_dec_class_init (
    GstV4l2ElasticVp8DecClass *klass, gpointer class_data)
{
  GstVideoDecoderClass *decoder_class = GST_VIDEO_DECODER_CLASS (klass);
  GstV4l2ElasticDecoderClass *v4l2_class =
      GST_V4L2_ELASTIC_DECODER_CLASS (klass);

  parent_class = g_type_class_peek_parent (klass);
  gst_v4l2_elastic_decoder_class_install (
      v4l2_class, class_data, gst_caps_new_empty_simple ("video/x-vp8"), "VP8");

  decoder_class->start = gst_v4l2_elastic_vp8_dec_start;
  decoder_class->handle_frame = gst_v4l2_elastic_vp8_dec_handle_frame;
  v4l2_class->reset = gst_v4l2_elastic_vp8_dec_reset;
}

static void
gst_v4l2_elastic_vp8_dec_init (GTypeInstance *instance, gpointer g_class)
{
  /* One frame per buffer: no parse step. */
  gst_video_decoder_set_packetized (GST_VIDEO_DECODER (instance), TRUE);
}

/* The VP8 frame control must have the size our ABI has. */
static gboolean
check_device (GstV4l2ElasticDevice *device)
{
  return gst_v4l2_elastic_device_check_control_size (device,
      V4L2_CID_STATELESS_VP8_FRAME, sizeof (struct v4l2_ctrl_vp8_frame),
      "VP8 frame");
}

/**
 * gst_v4l2_elastic_vp8_dec_register:
 *
 * Registers v4l2elasticvp8dec for the first VP8 decoder found, and
 * v4l2elastic<node>vp8dec for further ones.
 */
gboolean
gst_v4l2_elastic_vp8_dec_register (GstPlugin *plugin,
    const GstV4l2ElasticDecoderNode *node, guint rank, gchar **element_name)
{
  static const GstV4l2ElasticCodecInfo codec = { "vp8", "Vp8",
    V4L2_PIX_FMT_VP8_FRAME, check_device, NULL };
  GTypeInfo info = { sizeof (GstV4l2ElasticVp8DecClass), NULL, NULL,
    (GClassInitFunc) gst_v4l2_elastic_vp8_dec_class_init, NULL, NULL,
    sizeof (GstV4l2ElasticVp8Dec), 0, gst_v4l2_elastic_vp8_dec_init, NULL };

  GST_DEBUG_CATEGORY_INIT (gst_v4l2_elastic_vp8_dec_debug, "v4l2elastic-vp8dec",
      0, "V4L2 elastic VP8 decoder");
  return gst_v4l2_elastic_decoder_register (
      plugin, node, &codec, &info, rank, element_name);
}
