/* gst-v4l2-elastic
 *
 * GstV4l2ElasticDecoder: what every stateless decoder element shares:
 * device, negotiation, the OUTPUT bitstream buffers, media requests, the
 * elastic CAPTURE pool and its format-change paths, flush/drain/teardown,
 * pool statistics and bus messages.  A codec subclass parses, keeps its
 * codec state and fills the controls of each frame.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_V4L2_ELASTIC_DECODER_H__
#define __GST_V4L2_ELASTIC_DECODER_H__

#include <gst/gst.h>
#include <gst/video/video.h>

#include "gstv4l2device.h"
#include "gstv4l2capturepool.h"
#include "gstv4l2request.h"
#include "gstv4l2media.h"

G_BEGIN_DECLS

#define GST_TYPE_V4L2_ELASTIC_DECODER (gst_v4l2_elastic_decoder_get_type ())
G_DECLARE_DERIVABLE_TYPE (GstV4l2ElasticDecoder, gst_v4l2_elastic_decoder, GST,
    V4L2_ELASTIC_DECODER, GstVideoDecoder)

/* Per-device data attached to each registered element type. */
typedef struct
{
  gchar *media_path;
  gchar *video_path;
  GstCaps *src_caps;
  GstCaps *sink_caps; /* NULL: the codec's fixed sink caps */
} GstV4l2ElasticDecoderCData;

/* How a codec element is registered for one device. */
typedef struct
{
  const gchar *codec;     /* "vp8": element v4l2elasticvp8dec */
  const gchar *type_stem; /* "Vp8": type GstV4l2ElasticVp8Dec */
  guint32 coded_fourcc;   /* OUTPUT format the CAPTURE list is for */
  /* Can this device decode the codec (controls, menus)?  NULL: yes. */
  gboolean (*check) (GstV4l2ElasticDevice *device);
  /* Sink caps for this device; NULL: the class' fixed ones. */
  GstCaps *(*probe_sink_caps) (GstV4l2ElasticDevice *device);
} GstV4l2ElasticCodecInfo;

/* A decoded picture as the codec state keeps it: a real reference on its
 * CAPTURE buffer, so that the kernel buffer is not reused while the codec
 * predicts from it, and so that downstream cannot write into it (GStreamer
 * copies on write a buffer or memory that is shared). */
typedef struct
{
  GstBuffer *buffer;    /* the CAPTURE buffer, referenced */
  guint64 timestamp_ns; /* what the driver names it by */
  /* What it shows: the visible size and layout of its sequence. */
  GstVideoFormat format;
  guint width;
  guint height;
  /* GstVideoBufferFlags the output buffer gets (interlacing, field order,
   * repeated field of the picture); 0 for progressive codecs. */
  guint video_flags;
} GstV4l2ElasticPicture;

/* What a codec asks of a new sequence. */
typedef struct
{
  guint32 coded_fourcc; /* OUTPUT pixel format */
  guint width;          /* coded size: the CAPTURE format */
  guint height;
  /* The visible rectangle inside it (the output caps); a zero width or
   * height: the whole coded picture. */
  GstVideoRectangle visible;
  /* Bytes an OUTPUT buffer should hold for the frames of the sequence;
   * 0: a first guess of half the raw picture size.  A larger frame grows
   * the buffers before it is decoded, so this is never a limit. */
  guint32 output_sizeimage;
  /* Acceptable CAPTURE layouts, in order of preference. */
  const GstVideoFormat *formats;
  guint n_formats;
  GstV4l2ElasticPoolDemand demand; /* references and reorder of the codec */
  /* Frames of the sequence may be interlaced (an MPEG-2 sequence with
   * progressive_sequence 0): the caps say interlace-mode=mixed and each
   * picture's video_flags say which are.  FALSE: the input caps' mode. */
  gboolean interlaced;
  /* The first frame of the sequence predicts from pictures of the
   * previous one (a VP9 inter frame of a new size): those CAPTURE buffers
   * must stay known to the driver. */
  gboolean keeps_references;
} GstV4l2ElasticSequence;

/* The largest coded width or height a sequence may have.  Codec states
 * refuse larger headers before anything is computed from them; the base
 * class checks again.  No V4L2 stateless driver goes beyond 8192. */
#define GST_V4L2_ELASTIC_MAX_DIMENSION 16384

/* gst_v4l2_elastic_decoder_set_sequence(): the driver refused to change
 * the format while streaming, the queues were restarted and the driver no
 * longer knows the pictures the codec keeps.  The codec must forget its
 * references and drop frames up to the next key frame. */
#define GST_V4L2_ELASTIC_FLOW_REFERENCES_LOST GST_FLOW_CUSTOM_SUCCESS

struct _GstV4l2ElasticDecoderClass
{
  GstVideoDecoderClass parent_class;

  /* The codec state forgets everything (flush, teardown). */
  void (*reset) (GstV4l2ElasticDecoder *self);
};

void gst_v4l2_elastic_decoder_class_install (GstV4l2ElasticDecoderClass *klass,
    GstV4l2ElasticDecoderCData *cdata, GstCaps *sink_caps,
    const gchar *codec_name);

gboolean gst_v4l2_elastic_decoder_register (GstPlugin *plugin,
    const GstV4l2ElasticDecoderNode *node, const GstV4l2ElasticCodecInfo *codec,
    GTypeInfo *type_info, guint rank, gchar **element_name);

GstFlowReturn gst_v4l2_elastic_decoder_set_sequence (
    GstV4l2ElasticDecoder *self, const GstV4l2ElasticSequence *sequence);

GstFlowReturn gst_v4l2_elastic_decoder_decode (GstV4l2ElasticDecoder *self,
    GstVideoCodecFrame *frame, guint64 timestamp_ns, const guint8 *bitstream,
    gsize size, struct v4l2_ext_control *controls, guint n_controls,
    GstV4l2ElasticPicture **picture);

GstFlowReturn gst_v4l2_elastic_decoder_decode_field (
    GstV4l2ElasticDecoder *self, GstVideoCodecFrame *frame,
    guint64 timestamp_ns, const guint8 *bitstream, gsize size,
    struct v4l2_ext_control *controls, guint n_controls,
    GstV4l2ElasticPicture *first, GstV4l2ElasticPicture **picture);
void gst_v4l2_elastic_decoder_release_field (GstV4l2ElasticDecoder *self);
GstFlowReturn gst_v4l2_elastic_decoder_decode_slice (
    GstV4l2ElasticDecoder *self, GstVideoCodecFrame *frame,
    guint64 timestamp_ns, const guint8 *bitstream, gsize size,
    struct v4l2_ext_control *controls, guint n_controls,
    GstV4l2ElasticPicture *into, gboolean last,
    GstV4l2ElasticPicture **picture);

GstFlowReturn gst_v4l2_elastic_decoder_output (GstV4l2ElasticDecoder *self,
    GstVideoCodecFrame *frame, GstV4l2ElasticPicture *picture);

guint64 gst_v4l2_elastic_decoder_frame_timestamp (GstVideoCodecFrame *frame);

GstV4l2ElasticPicture *gst_v4l2_elastic_picture_ref (
    GstV4l2ElasticPicture *picture);
void gst_v4l2_elastic_picture_unref (GstV4l2ElasticPicture *picture);

GstV4l2ElasticDevice *gst_v4l2_elastic_decoder_get_device (
    GstV4l2ElasticDecoder *self);

G_END_DECLS

#endif /* __GST_V4L2_ELASTIC_DECODER_H__ */
