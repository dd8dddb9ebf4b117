/* gst-v4l2-elastic
 *
 * v4l2elasticvp9dec: takes packetized VP9 (one packet per buffer, as
 * ivfparse, matroskademux or parsebin give it), splits superframes into
 * their frames (Annex B), parses each uncompressed header with
 * GstVp9Parser and each compressed header with gstvp9compressed, keeps the
 * eight reference slots in GstV4l2ElasticVp9State, and fills
 * V4L2_CID_STATELESS_VP9_FRAME and V4L2_CID_STATELESS_VP9_COMPRESSED_HDR.
 * Hidden frames are decoded and kept as references but not output;
 * show_existing_frame outputs a slot's picture again without decoding.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstv4l2elasticvp9dec.h"
#include "gstv4l2elasticvp9controls.h"
#include "gstvp9compressed.h"
#include "gstvp9state.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_v4l2_elastic_vp9_dec_debug);
#define GST_CAT_DEFAULT gst_v4l2_elastic_vp9_dec_debug

typedef struct
{
  GstV4l2ElasticDecoder parent;
  GstVp9Parser *parser;
  GstV4l2ElasticVp9State state;
  /* Numbers for the hidden frames of superframes; see decode_hidden(). */
  guint32 hidden_count;
} GstV4l2ElasticVp9Dec;

typedef struct
{
  GstV4l2ElasticDecoderClass parent_class;
} GstV4l2ElasticVp9DecClass;

static GstElementClass *parent_class;

#define VP9_DEC(obj) ((GstV4l2ElasticVp9Dec *) (obj))

/* Profile 0: 8-bit 4:2:0. */
static const GstVideoFormat yuv420_formats[] = {
  GST_VIDEO_FORMAT_NV12,
  GST_VIDEO_FORMAT_I420,
  GST_VIDEO_FORMAT_YV12,
  GST_VIDEO_FORMAT_NV21,
};
/* Profile 2, 10-bit 4:2:0: only where the driver writes P010. */
static const GstVideoFormat yuv420_10_formats[] = {
  GST_VIDEO_FORMAT_P010_10LE,
};

/* Hidden frames of a superframe are numbered from here: far above any
 * system frame number a stream reaches, so their V4L2 timestamps never
 * name another frame. */
#define HIDDEN_FRAME_BASE 0x80000000u

static void
picture_free (gpointer picture)
{
  gst_v4l2_elastic_picture_unref (picture);
}

static gboolean
gst_v4l2_elastic_vp9_dec_start (GstVideoDecoder *decoder)
{
  GstV4l2ElasticVp9Dec *self = VP9_DEC (decoder);

  g_clear_pointer (&self->parser, gst_vp9_parser_free);
  self->parser = gst_vp9_parser_new ();
  gst_v4l2_elastic_vp9_state_init (&self->state, picture_free);
  self->hidden_count = 0;
  return GST_VIDEO_DECODER_CLASS (parent_class)->start (decoder);
}

static void
gst_v4l2_elastic_vp9_dec_reset (GstV4l2ElasticDecoder *decoder)
{
  GstV4l2ElasticVp9Dec *self = VP9_DEC (decoder);

  gst_v4l2_elastic_vp9_state_reset (&self->state);
  /* The parser keeps reference sizes and segmentation across frames: a
   * fresh one for the key frame that must come next. */
  if (self->parser) {
    gst_vp9_parser_free (self->parser);
    self->parser = gst_vp9_parser_new ();
  }
}

static gboolean
driver_writes (GstV4l2ElasticVp9Dec *self, GstVideoFormat format)
{
  GstCaps *tmpl = gst_pad_get_pad_template_caps (
      GST_VIDEO_DECODER_SRC_PAD (GST_VIDEO_DECODER (self)));
  GstCaps *want = gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING,
      gst_video_format_to_string (format), NULL);
  gboolean ok = gst_caps_can_intersect (tmpl, want);

  gst_caps_unref (tmpl);
  gst_caps_unref (want);
  return ok;
}

static GstFlowReturn
new_sequence (GstV4l2ElasticVp9Dec *self, const GstVp9FrameHdr *hdr,
    const GstV4l2ElasticVp9FramePlan *plan)
{
  GstV4l2ElasticSequence seq = { 0 };
  gboolean is420 =
      self->parser->subsampling_x == 1 && self->parser->subsampling_y == 1;

  if (is420 && self->parser->bit_depth == 8) {
    seq.formats = yuv420_formats;
    seq.n_formats = G_N_ELEMENTS (yuv420_formats);
  } else if (is420 && self->parser->bit_depth == 10 &&
      driver_writes (self, GST_VIDEO_FORMAT_P010_10LE)) {
    seq.formats = yuv420_10_formats;
    seq.n_formats = G_N_ELEMENTS (yuv420_10_formats);
  } else {
    GST_ELEMENT_ERROR (self, STREAM, CODEC_NOT_FOUND,
        ("VP9 profile %u (%u-bit, %s) is not supported by this decoder.",
            hdr->profile, self->parser->bit_depth,
            is420 ? "4:2:0" : "not 4:2:0"),
        ("only profile 0 (8-bit 4:2:0), and 10-bit 4:2:0 where %s writes "
         "P010",
            gst_v4l2_elastic_decoder_get_device (
                GST_V4L2_ELASTIC_DECODER (self))
                ->video_path));
    return GST_FLOW_NOT_NEGOTIATED;
  }

  seq.coded_fourcc = V4L2_PIX_FMT_VP9_FRAME;
  seq.width = plan->width;
  seq.height = plan->height;
  /* A bound: any of the eight slots may be referenced.  The slots often
   * alias fewer pictures (gst_v4l2_elastic_vp9_state_distinct_pictures()), but
   * the pool only grows when every buffer is busy, so the bound costs nothing
   * while it keeps the pool from shrinking below what the next frames need. */
  seq.demand.references = GST_V4L2_ELASTIC_VP9_STATE_REFERENCES;
  seq.demand.reorder = 0;
  /* An inter frame of a new size predicts from the pictures of the old
   * size: their CAPTURE buffers stay in the queue while buffers of the
   * new size are added (the pool removes the old ones once no slot and
   * no downstream element holds them). */
  seq.keeps_references = plan->resize;
  return gst_v4l2_elastic_decoder_set_sequence (
      GST_V4L2_ELASTIC_DECODER (self), &seq);
}

/* Decodes one frame of a packet.  A decode is usually named by the
 * codec frame's system frame number; a hidden frame that shares its
 * packet (superframe) with the shown one needs a name of its own, taken
 * from a range no frame number reaches. */
static GstFlowReturn
decode_one (GstV4l2ElasticVp9Dec *self, GstVideoCodecFrame *frame,
    gboolean hidden_in_superframe, const guint8 *data, gsize size,
    struct v4l2_ext_control *controls, GstV4l2ElasticPicture **picture)
{
  guint64 timestamp = gst_v4l2_elastic_decoder_frame_timestamp (frame);

  if (hidden_in_superframe)
    timestamp = ((guint64) HIDDEN_FRAME_BASE +
                    (self->hidden_count++ & (HIDDEN_FRAME_BASE - 1)) + 1) *
        1000;
  return gst_v4l2_elastic_decoder_decode (GST_V4L2_ELASTIC_DECODER (self),
      frame, timestamp, data, size, controls, 2, picture);
}

static GstFlowReturn
gst_v4l2_elastic_vp9_dec_handle_frame (
    GstVideoDecoder *decoder, GstVideoCodecFrame *frame)
{
  GstV4l2ElasticVp9Dec *self = VP9_DEC (decoder);
  struct v4l2_ctrl_vp9_frame params;
  struct v4l2_ctrl_vp9_compressed_hdr chdr_params;
  struct v4l2_ext_control controls[2];
  GstV4l2ElasticVp9CompressedHeader chdr;
  GstVp9FrameHdr hdr;
  GstV4l2ElasticVp9FramePlan plan;
  GstV4l2ElasticVp9Frames frames;
  GstFlowReturn ret = GST_FLOW_OK;
  GstMapInfo map;
  GstV4l2ElasticPicture *shown = NULL;
  guint i;

  if (!gst_buffer_map (frame->input_buffer, &map, GST_MAP_READ)) {
    gst_video_decoder_drop_frame (decoder, frame);
    return GST_FLOW_ERROR;
  }
  if (!gst_v4l2_elastic_vp9_split_superframe (map.data, map.size, &frames)) {
    GST_VIDEO_DECODER_ERROR (decoder, 1, STREAM, DECODE,
        ("Corrupt VP9 superframe index."),
        ("frame %u", frame->system_frame_number), ret);
    goto drop;
  }

  for (i = 0; i < frames.n_frames; i++) {
    const guint8 *data = map.data + frames.offset[i];
    gsize size = frames.size[i];
    GstV4l2ElasticPicture *picture = NULL;
    GstV4l2ElasticVp9Decision decision;

    /* Our wrapper: GStreamer's parser reads past a truncated header. */
    if (gst_v4l2_elastic_vp9_parse_frame_header (
            self->parser, &hdr, data, size) != GST_VP9_PARSER_OK) {
      gst_v4l2_elastic_vp9_state_reset (&self->state);
      GST_VIDEO_DECODER_ERROR (decoder, 1, STREAM, DECODE,
          ("Corrupt VP9 frame header."),
          ("frame %u, part %u of %u", frame->system_frame_number, i,
              frames.n_frames),
          ret);
      goto drop;
    }

    decision = gst_v4l2_elastic_vp9_state_begin_frame (&self->state, &hdr,
        self->parser->bit_depth, self->parser->subsampling_x,
        self->parser->subsampling_y, &plan);
    switch (decision) {
    case GST_V4L2_ELASTIC_VP9_SHOW_EXISTING:
      /* The slot's picture is shown again, at its own size. */
      g_clear_pointer (&shown, gst_v4l2_elastic_picture_unref);
      shown = gst_v4l2_elastic_picture_ref (plan.show_picture);
      continue;
    case GST_V4L2_ELASTIC_VP9_DROP:
      GST_DEBUG_OBJECT (self, "frame %u: no reference to predict from",
          frame->system_frame_number);
      goto drop;
    case GST_V4L2_ELASTIC_VP9_DECODE:
      break;
    }

    if (plan.new_sequence) {
      ret = new_sequence (self, &hdr, &plan);
      if (ret == GST_V4L2_ELASTIC_FLOW_REFERENCES_LOST) {
        /* The driver could not keep the old-size references (the base
         * class warned and counted it): wait for a key frame.  The
         * parser keeps its state, which frame_size_with_refs needs. */
        gst_v4l2_elastic_vp9_state_reset (&self->state);
        ret = GST_FLOW_OK;
        goto drop;
      }
      if (ret != GST_FLOW_OK)
        goto drop;
    }

    if (!gst_v4l2_elastic_vp9_compressed_header_parse_frame (
            data, size, &hdr, &chdr)) {
      gst_v4l2_elastic_vp9_state_reset (&self->state);
      GST_VIDEO_DECODER_ERROR (decoder, 1, STREAM, DECODE,
          ("Corrupt VP9 compressed header."),
          ("frame %u", frame->system_frame_number), ret);
      goto drop;
    }

    gst_v4l2_elastic_vp9_fill_frame (self->parser, &hdr, &plan, &chdr, &params);
    gst_v4l2_elastic_vp9_fill_compressed (&chdr, &chdr_params);
    memset (controls, 0, sizeof (controls));
    controls[0].id = V4L2_CID_STATELESS_VP9_FRAME;
    controls[0].size = sizeof (params);
    controls[0].ptr = &params;
    controls[1].id = V4L2_CID_STATELESS_VP9_COMPRESSED_HDR;
    controls[1].size = sizeof (chdr_params);
    controls[1].ptr = &chdr_params;

    ret = decode_one (
        self, frame, i + 1 < frames.n_frames, data, size, controls, &picture);
    if (!picture) {
      gst_v4l2_elastic_vp9_state_reset (&self->state);
      goto drop;
    }
    gst_v4l2_elastic_vp9_state_end_frame (&self->state, &hdr,
        gst_v4l2_elastic_picture_ref (picture), picture->timestamp_ns);
    if (hdr.show_frame) {
      g_clear_pointer (&shown, gst_v4l2_elastic_picture_unref);
      shown = picture;
    } else {
      /* Only a reference: the slots hold it. */
      gst_v4l2_elastic_picture_unref (picture);
    }
  }
  gst_buffer_unmap (frame->input_buffer, &map);

  if (!shown) {
    gst_video_decoder_release_frame (decoder, frame);
    return GST_FLOW_OK;
  }
  return gst_v4l2_elastic_decoder_output (
      GST_V4L2_ELASTIC_DECODER (self), frame, shown);

drop:
  g_clear_pointer (&shown, gst_v4l2_elastic_picture_unref);
  gst_buffer_unmap (frame->input_buffer, &map);
  gst_video_decoder_drop_frame (decoder, frame);
  return ret;
}

static void
gst_v4l2_elastic_vp9_dec_finalize (GObject *object)
{
  GstV4l2ElasticVp9Dec *self = VP9_DEC (object);

  g_clear_pointer (&self->parser, gst_vp9_parser_free);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_v4l2_elastic_vp9_dec_class_init (
    GstV4l2ElasticVp9DecClass *klass, gpointer class_data)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstVideoDecoderClass *decoder_class = GST_VIDEO_DECODER_CLASS (klass);
  GstV4l2ElasticDecoderClass *v4l2_class =
      GST_V4L2_ELASTIC_DECODER_CLASS (klass);

  parent_class = g_type_class_peek_parent (klass);
  gst_v4l2_elastic_decoder_class_install (
      v4l2_class, class_data, gst_caps_new_empty_simple ("video/x-vp9"), "VP9");

  gobject_class->finalize = gst_v4l2_elastic_vp9_dec_finalize;
  decoder_class->start = gst_v4l2_elastic_vp9_dec_start;
  decoder_class->handle_frame = gst_v4l2_elastic_vp9_dec_handle_frame;
  v4l2_class->reset = gst_v4l2_elastic_vp9_dec_reset;
}

static void
gst_v4l2_elastic_vp9_dec_init (GTypeInstance *instance, gpointer g_class)
{
  /* One packet per buffer: no parse step. */
  gst_video_decoder_set_packetized (GST_VIDEO_DECODER (instance), TRUE);
}

/* Both VP9 controls must have the sizes our ABI has. */
static gboolean
check_device (GstV4l2ElasticDevice *device)
{
  return gst_v4l2_elastic_device_check_control_size (device,
             V4L2_CID_STATELESS_VP9_FRAME, sizeof (struct v4l2_ctrl_vp9_frame),
             "VP9 frame") &&
      gst_v4l2_elastic_device_check_control_size (device,
          V4L2_CID_STATELESS_VP9_COMPRESSED_HDR,
          sizeof (struct v4l2_ctrl_vp9_compressed_hdr),
          "VP9 compressed header");
}

/**
 * gst_v4l2_elastic_vp9_dec_register:
 *
 * Registers v4l2elasticvp9dec for the first VP9 decoder found, and
 * v4l2elastic<node>vp9dec for further ones.
 */
gboolean
gst_v4l2_elastic_vp9_dec_register (GstPlugin *plugin,
    const GstV4l2ElasticDecoderNode *node, guint rank, gchar **element_name)
{
  static const GstV4l2ElasticCodecInfo codec = { "vp9", "Vp9",
    V4L2_PIX_FMT_VP9_FRAME, check_device, NULL };
  GTypeInfo info = { sizeof (GstV4l2ElasticVp9DecClass), NULL, NULL,
    (GClassInitFunc) gst_v4l2_elastic_vp9_dec_class_init, NULL, NULL,
    sizeof (GstV4l2ElasticVp9Dec), 0, gst_v4l2_elastic_vp9_dec_init, NULL };

  GST_DEBUG_CATEGORY_INIT (gst_v4l2_elastic_vp9_dec_debug, "v4l2elastic-vp9dec",
      0, "V4L2 elastic VP9 decoder");
  return gst_v4l2_elastic_decoder_register (
      plugin, node, &codec, &info, rank, element_name);
}
