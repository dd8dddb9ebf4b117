/* gst-v4l2-elastic
 *
 * v4l2elasticmpeg2dec: MPEG-2 video (one picture per buffer, as
 * mpegvideoparse gives it) through a V4L2 stateless decoder
 * (V4L2_PIX_FMT_MPEG2_SLICE).  The headers go to the MPEG-2 codec state
 * (gstmpeg2state), which decides references and output order; this file
 * gathers the slices of each picture and turns the state's plan into the
 * sequence, picture and quantisation controls.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-v4l2elasticmpeg2dec
 * @title: v4l2elasticmpeg2dec
 * @short_description: MPEG-2 through a V4L2 stateless decoder, elastic pool
 *
 * Decodes MPEG-2 video (main profile: frame pictures and field pairs,
 * progressive or interlaced; 4:2:2 where the driver writes such a layout)
 * through a V4L2 stateless decoder.  The two fields of a pair (in one
 * input buffer, as mpegvideoparse gives them) are written into one
 * CAPTURE buffer.  A new frame size at a sequence header outputs the last
 * picture of the old sequence, then changes the format without STREAMOFF
 * where the driver allows it.
 *
 * ## Example launch line
 * |[
 * gst-play-1.0 clip.mpg
 * gst-launch-1.0 filesrc location=clip.m2v ! mpegvideoparse \
 *     ! v4l2elasticmpeg2dec ! videoconvert ! autovideosink
 * ]|
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstv4l2elasticmpeg2dec.h"
#include "gstv4l2elasticframepicture.h"
#include "gstv4l2elasticmpeg2controls.h"
#include "gstmpeg2state.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_v4l2_elastic_mpeg2_dec_debug);
#define GST_CAT_DEFAULT gst_v4l2_elastic_mpeg2_dec_debug

#define SINK_CAPS                                                              \
  "video/mpeg, mpegversion = (int) 2, systemstream = (boolean) false, "        \
  "parsed = (boolean) true"

typedef struct
{
  GstV4l2ElasticDecoder parent;

  GstV4l2ElasticMpeg2State state;
  GPtrArray *output;     /* GstV4l2ElasticFramePicture, filled by the state */
  GByteArray *bitstream; /* the slices of the picture being gathered */
  /* A first field whose CAPTURE buffer the driver holds for the second. */
  gpointer held;
} GstV4l2ElasticMpeg2Dec;

typedef struct
{
  GstV4l2ElasticDecoderClass parent_class;
} GstV4l2ElasticMpeg2DecClass;

static GstElementClass *parent_class;

#define MPEG2_DEC(obj) ((GstV4l2ElasticMpeg2Dec *) (obj))

static const GstVideoFormat yuv420_formats[] = {
  GST_VIDEO_FORMAT_NV12,
  GST_VIDEO_FORMAT_I420,
  GST_VIDEO_FORMAT_YV12,
  GST_VIDEO_FORMAT_NV21,
};
static const GstVideoFormat yuv422_formats[] = {
  GST_VIDEO_FORMAT_NV16,
  GST_VIDEO_FORMAT_Y42B,
};

/* Pushes what the codec state put in self->output, in that order. */
static GstFlowReturn
push_output (GstV4l2ElasticMpeg2Dec *self)
{
  return gst_v4l2_elastic_decoder_push_pictures (
      GST_V4L2_ELASTIC_DECODER (self), self->output);
}

/* A first field whose second field does not come: its buffer back from
 * the driver, then its frame completed as the one field it has. */
static void
release_held (GstV4l2ElasticMpeg2Dec *self)
{
  if (!self->held)
    return;
  gst_v4l2_elastic_decoder_release_field (GST_V4L2_ELASTIC_DECODER (self));
  g_clear_pointer (&self->held, gst_v4l2_elastic_frame_picture_unref);
  gst_v4l2_elastic_mpeg2_state_finish_field (&self->state, self->output);
}

/* --- GstVideoDecoder ---------------------------------------------------------
 */

static gboolean
gst_v4l2_elastic_mpeg2_dec_start (GstVideoDecoder *decoder)
{
  GstV4l2ElasticMpeg2Dec *self = MPEG2_DEC (decoder);

  /* Headers of an earlier stream must not leak into this one. */
  gst_v4l2_elastic_mpeg2_state_clear (&self->state);
  return GST_VIDEO_DECODER_CLASS (parent_class)->start (decoder);
}

static void
gst_v4l2_elastic_mpeg2_dec_reset (GstV4l2ElasticDecoder *decoder)
{
  GstV4l2ElasticMpeg2Dec *self = MPEG2_DEC (decoder);

  gst_v4l2_elastic_mpeg2_state_reset (&self->state);
  g_clear_pointer (&self->held, gst_v4l2_elastic_frame_picture_unref);
  gst_v4l2_elastic_frame_pictures_clear (self->output);
}

static GstFlowReturn
gst_v4l2_elastic_mpeg2_dec_drain (GstVideoDecoder *decoder)
{
  GstV4l2ElasticMpeg2Dec *self = MPEG2_DEC (decoder);

  release_held (self);
  gst_v4l2_elastic_mpeg2_state_drain (&self->state, self->output);
  return push_output (self);
}

static gboolean
driver_writes (GstV4l2ElasticMpeg2Dec *self, const GstVideoFormat *formats,
    guint n_formats)
{
  GstV4l2ElasticDevice *device =
      gst_v4l2_elastic_decoder_get_device (GST_V4L2_ELASTIC_DECODER (self));
  GArray *fourccs = gst_v4l2_elastic_device_enum_formats (
      device, GST_V4L2_ELASTIC_QUEUE_CAPTURE);
  gboolean found = FALSE;
  guint i, j;

  for (i = 0; fourccs && i < fourccs->len && !found; i++)
    for (j = 0; j < n_formats && !found; j++)
      found = g_array_index (fourccs, guint32, i) ==
          gst_v4l2_elastic_video_format_to_fourcc (formats[j]);
  if (fourccs)
    g_array_unref (fourccs);
  return found;
}

static GstFlowReturn
new_sequence (
    GstV4l2ElasticMpeg2Dec *self, const GstV4l2ElasticMpeg2Sequence *s)
{
  GstV4l2ElasticSequence seq = { 0 };

  if (s->chroma_format == GST_MPEG_VIDEO_CHROMA_420) {
    seq.formats = yuv420_formats;
    seq.n_formats = G_N_ELEMENTS (yuv420_formats);
  } else if (s->chroma_format == GST_MPEG_VIDEO_CHROMA_422 &&
      driver_writes (self, yuv422_formats, G_N_ELEMENTS (yuv422_formats))) {
    seq.formats = yuv422_formats;
    seq.n_formats = G_N_ELEMENTS (yuv422_formats);
  } else {
    GST_ELEMENT_ERROR (self, STREAM, NOT_IMPLEMENTED,
        ("This MPEG-2 chroma format is not supported by the decoder."),
        ("chroma_format %u (%s); the driver writes no such layout",
            s->chroma_format,
            s->chroma_format == GST_MPEG_VIDEO_CHROMA_422 ? "4:2:2, 422 profile"
                                                          : "4:4:4"));
    return GST_FLOW_NOT_NEGOTIATED;
  }

  seq.coded_fourcc = V4L2_PIX_FMT_MPEG2_SLICE;
  seq.width = s->coded_width;
  seq.height = s->coded_height;
  seq.visible.x = seq.visible.y = 0;
  seq.visible.w = s->width;
  seq.visible.h = s->height;
  seq.interlaced = !s->progressive;
  seq.demand.references = GST_V4L2_ELASTIC_MPEG2_STATE_REFERENCES;
  seq.demand.reorder = s->low_delay ? 0 : GST_V4L2_ELASTIC_MPEG2_STATE_REORDER;
  GST_DEBUG_OBJECT (self,
      "new sequence: %ux%u (coded %ux%u), %s, chroma %u, low_delay %d",
      s->width, s->height, s->coded_width, s->coded_height,
      s->progressive ? "progressive" : "interlaced", s->chroma_format,
      s->low_delay);
  return gst_v4l2_elastic_decoder_set_sequence (
      GST_V4L2_ELASTIC_DECODER (self), &seq);
}

static guint
video_flags (const GstV4l2ElasticMpeg2PicturePlan *plan)
{
  guint flags = 0;

  /* 6.3.10: in an interlaced sequence a frame is made of two fields,
   * shown top first or bottom first; repeat_first_field shows the first
   * one again (3:2 pull-down). */
  if (!plan->sequence->progressive) {
    if (!plan->ext.progressive_frame)
      flags |= GST_VIDEO_BUFFER_FLAG_INTERLACED;
    if (plan->ext.top_field_first)
      flags |= GST_VIDEO_BUFFER_FLAG_TFF;
  }
  if (plan->ext.picture_structure != GST_MPEG_VIDEO_PICTURE_STRUCTURE_FRAME) {
    /* A field pair: the first field decides the order. */
    flags = GST_VIDEO_BUFFER_FLAG_INTERLACED;
    if (plan->ext.picture_structure ==
        GST_MPEG_VIDEO_PICTURE_STRUCTURE_TOP_FIELD)
      flags |= GST_VIDEO_BUFFER_FLAG_TFF;
    return flags;
  }
  if (plan->ext.repeat_first_field)
    flags |= GST_VIDEO_BUFFER_FLAG_RFF;
  return flags;
}

/* Decodes the picture whose slices were gathered, and pushes what the
 * state puts out. */
static GstFlowReturn
decode_picture (GstV4l2ElasticMpeg2Dec *self, GstVideoCodecFrame *frame,
    const GstV4l2ElasticMpeg2PicturePlan *plan, gboolean pair_follows,
    gboolean *decoded)
{
  gboolean field =
      plan->ext.picture_structure != GST_MPEG_VIDEO_PICTURE_STRUCTURE_FRAME;
  gboolean hold = field && !plan->second_field && pair_follows;
  struct v4l2_ctrl_mpeg2_sequence seq_ctrl;
  struct v4l2_ctrl_mpeg2_picture pic_ctrl;
  struct v4l2_ctrl_mpeg2_quantisation quant_ctrl;
  struct v4l2_ext_control controls[3] = { { 0 } };
  GstV4l2ElasticPicture *picture = NULL;
  GstV4l2ElasticFramePicture *pic;
  GstFlowReturn ret;

  gst_v4l2_elastic_mpeg2_fill_sequence (plan, &seq_ctrl);
  gst_v4l2_elastic_mpeg2_fill_picture (plan, &pic_ctrl);
  gst_v4l2_elastic_mpeg2_fill_quantisation (plan, &quant_ctrl);
  controls[0].id = V4L2_CID_STATELESS_MPEG2_SEQUENCE;
  controls[0].size = sizeof (seq_ctrl);
  controls[0].ptr = &seq_ctrl;
  controls[1].id = V4L2_CID_STATELESS_MPEG2_PICTURE;
  controls[1].size = sizeof (pic_ctrl);
  controls[1].ptr = &pic_ctrl;
  controls[2].id = V4L2_CID_STATELESS_MPEG2_QUANTISATION;
  controls[2].size = sizeof (quant_ctrl);
  controls[2].ptr = &quant_ctrl;

  if (plan->second_field || hold) {
    /* Both fields of a pair into one CAPTURE buffer, under one
     * timestamp (the frame's: both come in one buffer). */
    GstV4l2ElasticFramePicture *first = plan->second_field ? self->held : NULL;

    ret =
        gst_v4l2_elastic_decoder_decode_field (GST_V4L2_ELASTIC_DECODER (self),
            frame, gst_v4l2_elastic_decoder_frame_timestamp (frame),
            self->bitstream->data, self->bitstream->len, controls,
            G_N_ELEMENTS (controls), first ? first->picture : NULL, &picture);
  } else {
    ret = gst_v4l2_elastic_decoder_decode (GST_V4L2_ELASTIC_DECODER (self),
        frame, gst_v4l2_elastic_decoder_frame_timestamp (frame),
        self->bitstream->data, self->bitstream->len, controls,
        G_N_ELEMENTS (controls), &picture);
  }
  if (plan->second_field) {
    /* The pair's buffer is back from the driver, decoded or not. */
    GstV4l2ElasticFramePicture *first = self->held;

    self->held = NULL;
    if (picture) {
      gst_v4l2_elastic_picture_unref (picture);
      gst_v4l2_elastic_mpeg2_state_end_picture (
          &self->state, first, first->picture->timestamp_ns, self->output);
      gst_v4l2_elastic_frame_picture_unref (first);
      *decoded = TRUE;
      return push_output (self);
    }
    /* The frame of the pair shows nothing: the base class drops it. */
    gst_v4l2_elastic_frame_picture_unref (first);
    *decoded = FALSE;
  }
  if (!picture) {
    /* What predicts from it cannot be decoded: the state drops it up to
     * the next I picture, and outputs what was decoded before. */
    gst_v4l2_elastic_mpeg2_state_abort_picture (&self->state, self->output);
    if (ret == GST_FLOW_OK)
      return push_output (self);
    gst_v4l2_elastic_mpeg2_dec_reset (GST_V4L2_ELASTIC_DECODER (self));
    return ret;
  }

  picture->video_flags = video_flags (plan);
  pic = gst_v4l2_elastic_frame_picture_new (picture, frame);
  gst_v4l2_elastic_mpeg2_state_end_picture (
      &self->state, pic, picture->timestamp_ns, self->output);
  *decoded = TRUE;
  if (hold) {
    /* Not output before its second field is in. */
    self->held = pic;
    return GST_FLOW_OK;
  }
  gst_v4l2_elastic_frame_picture_unref (pic);
  if (field) {
    /* No second field in this buffer to write into the same CAPTURE
     * buffer: the field is a frame of its own. */
    gst_v4l2_elastic_mpeg2_state_finish_field (&self->state, self->output);
  }
  return push_output (self);
}

static gboolean
has_start_code (const guint8 *data, gsize size, const guint8 *code)
{
  gsize i;

  for (i = 0; i + 4 <= size; i++)
    if (memcmp (data + i, code, 4) == 0)
      return TRUE;
  return FALSE;
}

static GstFlowReturn
header_error (
    GstV4l2ElasticMpeg2Dec *self, GstVideoCodecFrame *frame, const gchar *what)
{
  GstFlowReturn ret = GST_FLOW_OK;

  GST_VIDEO_DECODER_ERROR (self, 1, STREAM, DECODE, ("Corrupt MPEG-2 stream."),
      ("%s in frame %u", what, frame->system_frame_number), ret);
  return ret;
}

/* At the first slice of a picture: what the state says of it.  @skip:
 * the picture is not decoded, its slices are passed over. */
static GstFlowReturn
begin_picture (GstV4l2ElasticMpeg2Dec *self, GstVideoCodecFrame *frame,
    GstV4l2ElasticMpeg2PicturePlan *plan, gboolean *skip)
{
  GstV4l2ElasticMpeg2Result res;
  GstFlowReturn ret;

  res = gst_v4l2_elastic_mpeg2_state_begin_picture (
      &self->state, plan, self->output);
  /* A held first field whose pair this is not: back from the driver
   * before anything of it can be output. */
  if (self->held && !(res == GST_V4L2_ELASTIC_MPEG2_OK && plan->second_field))
    release_held (self);
  /* The old sequence's frames go out in the old format first. */
  ret = push_output (self);
  if (ret != GST_FLOW_OK)
    return ret;
  *skip = TRUE;
  if (res == GST_V4L2_ELASTIC_MPEG2_DROP) {
    GST_DEBUG_OBJECT (self,
        "frame %u: picture dropped (no sequence or no "
        "references)",
        frame->system_frame_number);
    return GST_FLOW_OK;
  }
  if (res == GST_V4L2_ELASTIC_MPEG2_ERROR)
    return header_error (self, frame, "unsupported or broken headers");
  if (plan->new_sequence) {
    ret = new_sequence (self, plan->sequence);
    if (ret != GST_FLOW_OK) {
      gst_v4l2_elastic_mpeg2_state_abort_picture (&self->state, self->output);
      gst_v4l2_elastic_mpeg2_dec_reset (GST_V4L2_ELASTIC_DECODER (self));
      return ret;
    }
  }
  *skip = FALSE;
  g_byte_array_set_size (self->bitstream, 0);
  return GST_FLOW_OK;
}

static GstFlowReturn
gst_v4l2_elastic_mpeg2_dec_handle_frame (
    GstVideoDecoder *decoder, GstVideoCodecFrame *frame)
{
  GstV4l2ElasticMpeg2Dec *self = MPEG2_DEC (decoder);
  GstV4l2ElasticMpeg2PicturePlan plan;
  GstMpegVideoPacket packet;
  GstFlowReturn ret = GST_FLOW_OK;
  gboolean in_picture = FALSE, skip = FALSE, decoded = FALSE;
  gboolean pair_follows = FALSE;
  GstMapInfo map;
  guint offset = 0;

  if (!gst_buffer_map (frame->input_buffer, &map, GST_MAP_READ)) {
    gst_video_decoder_drop_frame (decoder, frame);
    return GST_FLOW_ERROR;
  }

  /* The frame stays with the base class until the state outputs it. */
  while (ret == GST_FLOW_OK && offset + 4 <= map.size &&
      gst_mpeg_video_parse (&packet, map.data, map.size, offset)) {
    if (packet.size < 0)
      packet.size = map.size - packet.offset;
    offset = packet.offset + packet.size;

    if (GST_MPEG_VIDEO_PACKET_IS_SLICE (packet.type)) {
      if (!in_picture) {
        static const guint8 picture_start[4] = { 0, 0, 1, 0 };

        in_picture = TRUE;
        /* Another picture in this buffer: a field's pair can be. */
        pair_follows = has_start_code (
            map.data + offset, map.size - offset, picture_start);
        ret = begin_picture (self, frame, &plan, &skip);
      }
      /* Each slice with its start code: the driver finds slices by it. */
      if (!skip)
        g_byte_array_append (
            self->bitstream, packet.data + packet.offset - 4, packet.size + 4);
      continue;
    }

    if (in_picture && !skip) {
      ret = decode_picture (self, frame, &plan, pair_follows, &decoded);
      if (ret != GST_FLOW_OK)
        break;
    }
    in_picture = FALSE;
    if (gst_v4l2_elastic_mpeg2_state_push_header (
            &self->state, &packet, self->output) != GST_V4L2_ELASTIC_MPEG2_OK)
      ret = header_error (self, frame, "unreadable header");
    /* A sequence end code outputs the last reference. */
    if (ret == GST_FLOW_OK)
      ret = push_output (self);
  }
  if (ret == GST_FLOW_OK && in_picture && !skip)
    ret = decode_picture (self, frame, &plan, FALSE, &decoded);
  gst_buffer_unmap (frame->input_buffer, &map);

  if (!decoded) {
    /* Nothing of it will be output (headers only, or dropped). */
    gst_video_decoder_drop_frame (decoder, frame);
    return ret;
  }
  gst_video_codec_frame_unref (frame);
  return ret;
}

static void
gst_v4l2_elastic_mpeg2_dec_finalize (GObject *object)
{
  GstV4l2ElasticMpeg2Dec *self = MPEG2_DEC (object);

  gst_v4l2_elastic_mpeg2_dec_reset (GST_V4L2_ELASTIC_DECODER (self));
  gst_v4l2_elastic_mpeg2_state_clear (&self->state);
  g_ptr_array_unref (self->output);
  g_byte_array_unref (self->bitstream);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_v4l2_elastic_mpeg2_dec_class_init (
    GstV4l2ElasticMpeg2DecClass *klass, gpointer class_data)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstVideoDecoderClass *decoder_class = GST_VIDEO_DECODER_CLASS (klass);
  GstV4l2ElasticDecoderClass *v4l2_class =
      GST_V4L2_ELASTIC_DECODER_CLASS (klass);

  parent_class = g_type_class_peek_parent (klass);
  gst_v4l2_elastic_decoder_class_install (
      v4l2_class, class_data, gst_caps_from_string (SINK_CAPS), "MPEG-2");

  object_class->finalize = gst_v4l2_elastic_mpeg2_dec_finalize;
  decoder_class->start = gst_v4l2_elastic_mpeg2_dec_start;
  decoder_class->handle_frame = gst_v4l2_elastic_mpeg2_dec_handle_frame;
  decoder_class->drain = gst_v4l2_elastic_mpeg2_dec_drain;
  decoder_class->finish = gst_v4l2_elastic_mpeg2_dec_drain;
  v4l2_class->reset = gst_v4l2_elastic_mpeg2_dec_reset;
}

static void
gst_v4l2_elastic_mpeg2_dec_init (GTypeInstance *instance, gpointer g_class)
{
  GstV4l2ElasticMpeg2Dec *self = MPEG2_DEC (instance);

  /* mpegvideoparse hands over one picture per buffer. */
  gst_video_decoder_set_packetized (GST_VIDEO_DECODER (self), TRUE);
  gst_v4l2_elastic_mpeg2_state_init (&self->state,
      gst_v4l2_elastic_frame_picture_ref, gst_v4l2_elastic_frame_picture_unref);
  self->output = g_ptr_array_new ();
  self->bitstream = g_byte_array_new ();
}

/* The three controls must have the sizes of our ABI. */
static gboolean
check_device (GstV4l2ElasticDevice *device)
{
  return gst_v4l2_elastic_device_check_control_size (device,
             V4L2_CID_STATELESS_MPEG2_SEQUENCE,
             sizeof (struct v4l2_ctrl_mpeg2_sequence), "MPEG-2 sequence") &&
      gst_v4l2_elastic_device_check_control_size (device,
          V4L2_CID_STATELESS_MPEG2_PICTURE,
          sizeof (struct v4l2_ctrl_mpeg2_picture), "MPEG-2 picture") &&
      gst_v4l2_elastic_device_check_control_size (device,
          V4L2_CID_STATELESS_MPEG2_QUANTISATION,
          sizeof (struct v4l2_ctrl_mpeg2_quantisation), "MPEG-2 quantisation");
}

/**
 * gst_v4l2_elastic_mpeg2_dec_register:
 *
 * Registers v4l2elasticmpeg2dec for the first MPEG-2 decoder found, and
 * v4l2elastic<node>mpeg2dec for further ones.
 */
gboolean
gst_v4l2_elastic_mpeg2_dec_register (GstPlugin *plugin,
    const GstV4l2ElasticDecoderNode *node, guint rank, gchar **element_name)
{
  static const GstV4l2ElasticCodecInfo codec = { "mpeg2", "Mpeg2",
    V4L2_PIX_FMT_MPEG2_SLICE, check_device, NULL };
  GTypeInfo info = { sizeof (GstV4l2ElasticMpeg2DecClass), NULL, NULL,
    (GClassInitFunc) gst_v4l2_elastic_mpeg2_dec_class_init, NULL, NULL,
    sizeof (GstV4l2ElasticMpeg2Dec), 0, gst_v4l2_elastic_mpeg2_dec_init, NULL };

  GST_DEBUG_CATEGORY_INIT (gst_v4l2_elastic_mpeg2_dec_debug,
      "v4l2elastic-mpeg2dec", 0, "V4L2 elastic MPEG-2 decoder");
  return gst_v4l2_elastic_decoder_register (
      plugin, node, &codec, &info, rank, element_name);
}
