/* gst-v4l2-elastic
 *
 * v4l2elasticfwhtdec: frames an FWHT byte stream (as vicodec's stateful
 * encoder writes it), keeps the FWHT codec state, and fills
 * V4L2_CID_STATELESS_FWHT_PARAMS for each frame.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstv4l2elasticfwhtdec.h"
#include "gstfwhtstate.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_v4l2_elastic_fwht_dec_debug);
#define GST_CAT_DEFAULT gst_v4l2_elastic_fwht_dec_debug

typedef struct
{
  GstV4l2ElasticDecoder parent;
  GstV4l2ElasticFwhtState state;
  /* Bytes were skipped between frames: whatever was lost may have been
   * the reference of the next inter frames. */
  gboolean lost_sync;
} GstV4l2ElasticFwhtDec;

typedef struct
{
  GstV4l2ElasticDecoderClass parent_class;
} GstV4l2ElasticFwhtDecClass;

static GstElementClass *parent_class;

#define FWHT_DEC(obj) ((GstV4l2ElasticFwhtDec *) (obj))

/* CAPTURE layouts that can hold each kind of FWHT frame, preferred first. */
static const GstVideoFormat yuv420_formats[] = {
  GST_VIDEO_FORMAT_I420,
  GST_VIDEO_FORMAT_NV12,
  GST_VIDEO_FORMAT_YV12,
  GST_VIDEO_FORMAT_NV21,
};
static const GstVideoFormat yuv422_formats[] = {
  GST_VIDEO_FORMAT_Y42B,
  GST_VIDEO_FORMAT_NV16,
  GST_VIDEO_FORMAT_YUY2,
  GST_VIDEO_FORMAT_NV61,
  GST_VIDEO_FORMAT_YVYU,
  GST_VIDEO_FORMAT_UYVY,
};
static const GstVideoFormat gray_formats[] = { GST_VIDEO_FORMAT_GRAY8 };
static const GstVideoFormat rgb_formats[] = {
  GST_VIDEO_FORMAT_RGB,
  GST_VIDEO_FORMAT_BGR,
};

static gboolean
formats_for_header (const GstV4l2ElasticFwhtFrameHeader *header,
    const GstVideoFormat **formats, guint *n_formats)
{
  guint components = gst_v4l2_elastic_fwht_header_components (header);
  GstV4l2ElasticFwhtPixelEncoding pixenc =
      gst_v4l2_elastic_fwht_header_pixenc (header);
  gboolean full_w =
      header->flags & GST_V4L2_ELASTIC_FWHT_FLAG_CHROMA_FULL_WIDTH;
  gboolean full_h =
      header->flags & GST_V4L2_ELASTIC_FWHT_FLAG_CHROMA_FULL_HEIGHT;

  if (components == 1) {
    *formats = gray_formats;
    *n_formats = G_N_ELEMENTS (gray_formats);
  } else if (components == 3 && pixenc == GST_V4L2_ELASTIC_FWHT_PIXENC_YUV &&
      !full_w && !full_h) {
    *formats = yuv420_formats;
    *n_formats = G_N_ELEMENTS (yuv420_formats);
  } else if (components == 3 && pixenc == GST_V4L2_ELASTIC_FWHT_PIXENC_YUV &&
      !full_w && full_h) {
    *formats = yuv422_formats;
    *n_formats = G_N_ELEMENTS (yuv422_formats);
  } else if (components == 3 && pixenc == GST_V4L2_ELASTIC_FWHT_PIXENC_RGB &&
      full_w && full_h) {
    *formats = rgb_formats;
    *n_formats = G_N_ELEMENTS (rgb_formats);
  } else {
    return FALSE;
  }
  return TRUE;
}

static void
picture_free (gpointer picture)
{
  gst_v4l2_elastic_picture_unref (picture);
}

static gboolean
gst_v4l2_elastic_fwht_dec_start (GstVideoDecoder *decoder)
{
  gst_v4l2_elastic_fwht_state_init (&FWHT_DEC (decoder)->state, picture_free);
  return GST_VIDEO_DECODER_CLASS (parent_class)->start (decoder);
}

static void
gst_v4l2_elastic_fwht_dec_reset (GstV4l2ElasticDecoder *decoder)
{
  gst_v4l2_elastic_fwht_state_reset (&FWHT_DEC (decoder)->state);
  FWHT_DEC (decoder)->lost_sync = FALSE;
}

/* Finds frames in the byte stream: skips anything before a frame header,
 * and drops a truncated last frame with a warning. */
static GstFlowReturn
gst_v4l2_elastic_fwht_dec_parse (GstVideoDecoder *decoder,
    GstVideoCodecFrame *frame, GstAdapter *adapter, gboolean at_eos)
{
  GstV4l2ElasticFwhtFrameHeader header;
  gsize avail = gst_adapter_available (adapter);
  const guint8 *data;
  gssize sync;
  gsize frame_size;

  if (avail < GST_V4L2_ELASTIC_FWHT_HEADER_SIZE && !at_eos)
    return GST_VIDEO_DECODER_FLOW_NEED_DATA;

  data = gst_adapter_map (adapter, avail);
  sync = gst_v4l2_elastic_fwht_find_sync (data, avail);
  if (sync != 0) {
    /* Keep a possible partial magic at the end. */
    gsize skip = sync > 0 ? (gsize) sync : (avail > 7 ? avail - 7 : 0);

    gst_adapter_unmap (adapter);
    if (at_eos && sync < 0)
      skip = avail;
    if (skip) {
      GST_DEBUG_OBJECT (decoder, "skipping %" G_GSIZE_FORMAT " bytes", skip);
      gst_adapter_flush (adapter, skip);
      FWHT_DEC (decoder)->lost_sync = TRUE;
    }
    return GST_VIDEO_DECODER_FLOW_NEED_DATA;
  }

  switch (gst_v4l2_elastic_fwht_parse_header (data, avail, &header)) {
  case GST_V4L2_ELASTIC_FWHT_PARSE_NEED_MORE:
    gst_adapter_unmap (adapter);
    if (at_eos) {
      GST_ELEMENT_WARNING (decoder, STREAM, DECODE,
          ("Truncated frame header at the end of the stream."), (NULL));
      gst_adapter_flush (adapter, avail);
    }
    return GST_VIDEO_DECODER_FLOW_NEED_DATA;
  case GST_V4L2_ELASTIC_FWHT_PARSE_INVALID:
    gst_adapter_unmap (adapter);
    GST_DEBUG_OBJECT (decoder, "invalid header, resyncing");
    gst_adapter_flush (adapter, 1);
    return GST_VIDEO_DECODER_FLOW_NEED_DATA;
  case GST_V4L2_ELASTIC_FWHT_PARSE_OK:
    break;
  }
  gst_adapter_unmap (adapter);

  frame_size = GST_V4L2_ELASTIC_FWHT_HEADER_SIZE + (gsize) header.payload_size;
  if (avail < frame_size) {
    if (at_eos) {
      GST_ELEMENT_WARNING (decoder, STREAM, DECODE,
          ("Truncated frame at the end of the stream: dropped."),
          ("%" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " bytes", avail,
              frame_size));
      gst_adapter_flush (adapter, avail);
    }
    return GST_VIDEO_DECODER_FLOW_NEED_DATA;
  }

  gst_video_decoder_add_to_frame (decoder, frame_size);
  return gst_video_decoder_have_frame (decoder);
}

static GstFlowReturn
new_sequence (
    GstV4l2ElasticFwhtDec *self, const GstV4l2ElasticFwhtFrameHeader *header)
{
  GstV4l2ElasticSequence seq = { 0 };

  if (!formats_for_header (header, &seq.formats, &seq.n_formats)) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT, ("Unsupported FWHT pixel layout."),
        ("flags 0x%08x, %u components", header->flags,
            gst_v4l2_elastic_fwht_header_components (header)));
    return GST_FLOW_NOT_NEGOTIATED;
  }
  seq.coded_fourcc = V4L2_PIX_FMT_FWHT_STATELESS;
  seq.width = header->width;
  seq.height = header->height;
  seq.demand.references = gst_v4l2_elastic_fwht_state_references (&self->state);
  seq.demand.reorder = 0;
  return gst_v4l2_elastic_decoder_set_sequence (
      GST_V4L2_ELASTIC_DECODER (self), &seq);
}

static GstFlowReturn
gst_v4l2_elastic_fwht_dec_handle_frame (
    GstVideoDecoder *decoder, GstVideoCodecFrame *frame)
{
  GstV4l2ElasticFwhtDec *self = FWHT_DEC (decoder);
  struct v4l2_ctrl_fwht_params params = { 0 };
  struct v4l2_ext_control control = { 0 };
  GstV4l2ElasticPicture *picture = NULL;
  GstV4l2ElasticFwhtFrameHeader header;
  GstV4l2ElasticFwhtFramePlan plan;
  GstFlowReturn ret;
  GstMapInfo map;

  if (!gst_buffer_map (frame->input_buffer, &map, GST_MAP_READ)) {
    gst_video_decoder_drop_frame (decoder, frame);
    return GST_FLOW_ERROR;
  }
  if (gst_v4l2_elastic_fwht_parse_header (map.data, map.size, &header) !=
          GST_V4L2_ELASTIC_FWHT_PARSE_OK ||
      map.size <
          GST_V4L2_ELASTIC_FWHT_HEADER_SIZE + (gsize) header.payload_size) {
    gst_buffer_unmap (frame->input_buffer, &map);
    ret = GST_FLOW_OK;
    GST_VIDEO_DECODER_ERROR (decoder, 1, STREAM, DECODE,
        ("Corrupt FWHT frame."), ("frame %u", frame->system_frame_number), ret);
    gst_video_decoder_drop_frame (decoder, frame);
    return ret;
  }

  if (self->lost_sync) {
    /* Never predict across lost data: wait for the next intra frame. */
    GST_DEBUG_OBJECT (self, "lost sync before frame %u: dropping references",
        frame->system_frame_number);
    gst_v4l2_elastic_fwht_state_reset (&self->state);
    self->lost_sync = FALSE;
  }

  if (gst_v4l2_elastic_fwht_state_begin_frame (&self->state, &header, &plan) ==
      GST_V4L2_ELASTIC_FWHT_DROP) {
    GST_DEBUG_OBJECT (self, "dropping inter frame %u: no reference",
        frame->system_frame_number);
    gst_buffer_unmap (frame->input_buffer, &map);
    gst_video_decoder_drop_frame (decoder, frame);
    return GST_FLOW_OK;
  }

  if (plan.new_sequence) {
    ret = new_sequence (self, &header);
    if (ret != GST_FLOW_OK) {
      gst_buffer_unmap (frame->input_buffer, &map);
      gst_video_decoder_drop_frame (decoder, frame);
      return ret;
    }
  }

  params.backward_ref_ts = plan.has_reference ? plan.reference_id : 0;
  params.version = header.version;
  params.width = header.width;
  params.height = header.height;
  params.flags = header.flags;
  params.colorspace = header.colorspace;
  params.xfer_func = header.xfer_func;
  params.ycbcr_enc = header.ycbcr_enc;
  params.quantization = header.quantization;
  control.id = V4L2_CID_STATELESS_FWHT_PARAMS;
  control.size = sizeof (params);
  control.ptr = &params;

  ret = gst_v4l2_elastic_decoder_decode (GST_V4L2_ELASTIC_DECODER (self), frame,
      gst_v4l2_elastic_decoder_frame_timestamp (frame),
      map.data + GST_V4L2_ELASTIC_FWHT_HEADER_SIZE, header.payload_size,
      &control, 1, &picture);
  gst_buffer_unmap (frame->input_buffer, &map);

  if (!picture) {
    gst_video_decoder_drop_frame (decoder, frame);
    return ret;
  }

  gst_v4l2_elastic_fwht_state_end_frame (&self->state,
      gst_v4l2_elastic_picture_ref (picture), picture->timestamp_ns);
  return gst_v4l2_elastic_decoder_output (
      GST_V4L2_ELASTIC_DECODER (self), frame, picture);
}

static void
gst_v4l2_elastic_fwht_dec_class_init (
    GstV4l2ElasticFwhtDecClass *klass, gpointer class_data)
{
  GstVideoDecoderClass *decoder_class = GST_VIDEO_DECODER_CLASS (klass);
  GstV4l2ElasticDecoderClass *v4l2_class =
      GST_V4L2_ELASTIC_DECODER_CLASS (klass);
  GstV4l2ElasticDecoderCData *cdata = class_data;

  parent_class = g_type_class_peek_parent (klass);
  gst_v4l2_elastic_decoder_class_install (
      v4l2_class, cdata, gst_caps_new_empty_simple ("video/x-fwht"), "FWHT");

  decoder_class->start = gst_v4l2_elastic_fwht_dec_start;
  decoder_class->parse = gst_v4l2_elastic_fwht_dec_parse;
  decoder_class->handle_frame = gst_v4l2_elastic_fwht_dec_handle_frame;
  v4l2_class->reset = gst_v4l2_elastic_fwht_dec_reset;
}

static void
gst_v4l2_elastic_fwht_dec_init (GTypeInstance *instance, gpointer g_class)
{
}

/* The FWHT parameters control must have the size our ABI has. */
static gboolean
check_device (GstV4l2ElasticDevice *device)
{
  return gst_v4l2_elastic_device_check_control_size (device,
      V4L2_CID_STATELESS_FWHT_PARAMS, sizeof (struct v4l2_ctrl_fwht_params),
      "FWHT parameters");
}

/**
 * gst_v4l2_elastic_fwht_dec_register:
 *
 * Registers v4l2elasticfwhtdec for the first FWHT decoder found, and
 * v4l2elastic<node>fwhtdec for further ones.
 */
gboolean
gst_v4l2_elastic_fwht_dec_register (
    GstPlugin *plugin, const GstV4l2ElasticDecoderNode *node, guint rank)
{
  static const GstV4l2ElasticCodecInfo codec = { "fwht", "Fwht",
    V4L2_PIX_FMT_FWHT_STATELESS, check_device, NULL };
  GTypeInfo info = { sizeof (GstV4l2ElasticFwhtDecClass), NULL, NULL,
    (GClassInitFunc) gst_v4l2_elastic_fwht_dec_class_init, NULL, NULL,
    sizeof (GstV4l2ElasticFwhtDec), 0, gst_v4l2_elastic_fwht_dec_init, NULL };

  GST_DEBUG_CATEGORY_INIT (gst_v4l2_elastic_fwht_dec_debug,
      "v4l2elastic-fwhtdec", 0, "V4L2 elastic FWHT decoder");
  return gst_v4l2_elastic_decoder_register (
      plugin, node, &codec, &info, rank, NULL);
}
