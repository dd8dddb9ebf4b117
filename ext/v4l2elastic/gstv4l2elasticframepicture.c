/* gst-v4l2-elastic
 *
 * Pictures in a codec state's output order: the link between what the
 * state outputs and the GstVideoCodecFrames of the base class, and the
 * loop that pushes them, shared by the codecs that reorder.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstv4l2elasticframepicture.h"

GST_DEBUG_CATEGORY_EXTERN (gst_v4l2_elastic_decoder_debug);
#define GST_CAT_DEFAULT gst_v4l2_elastic_decoder_debug

/**
 * gst_v4l2_elastic_frame_picture_new:
 * @picture: (transfer full): the decode of @frame
 * @frame: (transfer none): the frame it shows
 */
GstV4l2ElasticFramePicture *
gst_v4l2_elastic_frame_picture_new (
    GstV4l2ElasticPicture *picture, GstVideoCodecFrame *frame)
{
  GstV4l2ElasticFramePicture *pic =
      g_atomic_rc_box_new0 (GstV4l2ElasticFramePicture);

  pic->picture = picture;
  pic->system_frame_number = frame->system_frame_number;
  return pic;
}

/* Typed as gpointer: these are the codec states' ref/unref callbacks. */
gpointer
gst_v4l2_elastic_frame_picture_ref (gpointer picture)
{
  return g_atomic_rc_box_acquire (picture);
}

static void
frame_picture_clear (GstV4l2ElasticFramePicture *pic)
{
  gst_v4l2_elastic_picture_unref (pic->picture);
}

void
gst_v4l2_elastic_frame_picture_unref (gpointer picture)
{
  g_atomic_rc_box_release_full (picture, (GDestroyNotify) frame_picture_clear);
}

/**
 * gst_v4l2_elastic_decoder_push_pictures:
 * @output: GstV4l2ElasticFramePicture the codec state put out, in output
 *   order; their references are taken and @output is emptied
 *
 * Finishes each picture's frame in order.  After a flow error the rest
 * are released without being pushed, and the first error is returned.
 */
GstFlowReturn
gst_v4l2_elastic_decoder_push_pictures (
    GstV4l2ElasticDecoder *self, GPtrArray *output)
{
  GstVideoDecoder *decoder = GST_VIDEO_DECODER (self);
  GstFlowReturn ret = GST_FLOW_OK;
  guint i;

  for (i = 0; i < output->len; i++) {
    GstV4l2ElasticFramePicture *pic = g_ptr_array_index (output, i);
    guint32 number = pic->system_frame_number;
    GstVideoCodecFrame *frame = gst_video_decoder_get_frame (decoder, number);
    GstV4l2ElasticPicture *picture =
        gst_v4l2_elastic_picture_ref (pic->picture);

    /* Once the state no longer keeps it, ours is the last reference: the
     * buffer goes downstream writable. */
    gst_v4l2_elastic_frame_picture_unref (pic);

    if (!frame) {
      /* Flushed by the base class meanwhile: nothing left to show. */
      GST_DEBUG_OBJECT (self, "frame %u is gone, not output", number);
      gst_v4l2_elastic_picture_unref (picture);
    } else if (ret == GST_FLOW_OK) {
      GST_DEBUG_OBJECT (self, "output frame %u", number);
      ret = gst_v4l2_elastic_decoder_output (self, frame, picture);
    } else {
      /* Downstream stopped: release the rest without pushing. */
      gst_v4l2_elastic_picture_unref (picture);
      gst_video_decoder_release_frame (decoder, frame);
    }
  }
  g_ptr_array_set_size (output, 0);
  return ret;
}

/* Drops what the state put out without showing it (flush, teardown). */
void
gst_v4l2_elastic_frame_pictures_clear (GPtrArray *output)
{
  guint i;

  for (i = 0; i < output->len; i++)
    gst_v4l2_elastic_frame_picture_unref (g_ptr_array_index (output, i));
  g_ptr_array_set_size (output, 0);
}
