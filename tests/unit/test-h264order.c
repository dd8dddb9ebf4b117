/* gst-v4l2-elastic
 *
 * H.264 codec state on real streams: x264enc encodes test patterns with
 * various GOP structures, the state decides the output order of the
 * access units (parsed here with GstH264NalParser), and avdec_h264's
 * output of the same access units is the reference: same pictures, same
 * order.  A picture is named by its PTS (videotestsrc's, unique and
 * increasing in display order).  Skipped when x264enc, h264parse or
 * avdec_h264 is missing.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include <gst/gst.h>
#include <gst/codecparsers/gsth264parser.h>

#include "gsth264state.h"

typedef struct
{
  gint refs;
  GstClockTime pts;
} Pic;

static gpointer
pic_ref (gpointer p)
{
  ((Pic *) p)->refs++;
  return p;
}

static void
pic_unref (gpointer p)
{
  Pic *pic = p;

  if (--pic->refs == 0)
    g_free (pic);
}

static gboolean
have_elements (void)
{
  static const gchar *names[] = { "videotestsrc", "x264enc", "h264parse",
    "avdec_h264", "appsrc", "appsink" };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (names); i++) {
    GstElementFactory *f = gst_element_factory_find (names[i]);

    if (!f)
      return FALSE;
    gst_object_unref (f);
  }
  return TRUE;
}

/* Fails the test with the pipeline's error, if it posted one. */
static void
check_bus (GstElement *pipeline)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);

  if (msg) {
    GError *err = NULL;

    gst_message_parse_error (msg, &err, NULL);
    g_error ("pipeline error: %s", err->message);
  }
  gst_object_unref (bus);
}

/* Pulls every buffer an appsink named "sink" receives until EOS. */
static void
pull_all (GstElement *pipeline, GPtrArray *buffers)
{
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  GstSample *sample;
  gboolean eos = FALSE;

  while (!eos) {
    g_signal_emit_by_name (sink, "try-pull-sample", 30 * GST_SECOND, &sample);
    if (sample) {
      g_ptr_array_add (
          buffers, gst_buffer_ref (gst_sample_get_buffer (sample)));
      gst_sample_unref (sample);
      continue;
    }
    check_bus (pipeline);
    g_object_get (sink, "eos", &eos, NULL);
    g_assert_true (eos); /* not EOS and no error: a timeout */
  }
  gst_object_unref (sink);
}

/* Encodes @frames frames of @width x @height with x264enc @options into
 * byte-stream access units, PTS shifted by @offset. */
static void
encode (const gchar *options, gboolean interlaced, guint frames, guint width,
    guint height, GstClockTime offset, GPtrArray *aus)
{
  /* x264enc codes MBAFF when its input caps say interleaved. */
  gchar *desc = g_strdup_printf (
      "videotestsrc num-buffers=%u pattern=ball ! "
      "video/x-raw,format=I420,width=%u,height=%u,framerate=30/1 ! %s "
      "x264enc speed-preset=ultrafast %s ! h264parse ! "
      "video/x-h264,stream-format=byte-stream,alignment=au ! "
      "appsink name=sink sync=false",
      frames, width, height,
      interlaced ? "capssetter caps=video/x-raw,interlace-mode=interleaved,"
                   "field-order=top-field-first !"
                 : "",
      options);
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  guint first = aus->len, i;

  g_assert_nonnull (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  pull_all (pipeline, aus);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  g_free (desc);

  for (i = first; i < aus->len; i++) {
    GstBuffer *buf = gst_buffer_make_writable (g_ptr_array_index (aus, i));

    GST_BUFFER_PTS (buf) += offset;
    if (GST_BUFFER_DTS_IS_VALID (buf))
      GST_BUFFER_DTS (buf) += offset;
    g_ptr_array_index (aus, i) = buf;
  }
  g_assert_cmpuint (aus->len - first, ==, frames);
}

/* avdec_h264's output PTS for the access units. */
static GArray *
reference_order (GPtrArray *aus)
{
  GstElement *pipeline = gst_parse_launch (
      "appsrc name=src format=time "
      "caps=video/x-h264,stream-format=byte-stream,alignment=au ! "
      "h264parse ! avdec_h264 ! appsink name=sink sync=false",
      NULL);
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  GPtrArray *frames =
      g_ptr_array_new_with_free_func ((GDestroyNotify) gst_buffer_unref);
  GArray *order = g_array_new (FALSE, FALSE, sizeof (GstClockTime));
  GstFlowReturn ret;
  guint i;

  g_object_set (src, "max-bytes", (guint64) 0, NULL);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  for (i = 0; i < aus->len; i++) {
    g_signal_emit_by_name (
        src, "push-buffer", g_ptr_array_index (aus, i), &ret);
    g_assert_cmpint (ret, ==, GST_FLOW_OK);
  }
  g_signal_emit_by_name (src, "end-of-stream", &ret);
  pull_all (pipeline, frames);
  gst_element_set_state (pipeline, GST_STATE_NULL);

  for (i = 0; i < frames->len; i++) {
    GstClockTime pts = GST_BUFFER_PTS (g_ptr_array_index (frames, i));

    g_array_append_val (order, pts);
  }
  g_ptr_array_free (frames, TRUE);
  gst_object_unref (src);
  gst_object_unref (pipeline);
  return order;
}

typedef struct
{
  GArray *order;
  guint new_sequences;
  guint max_dpb_size;
  guint max_reorder;
  guint mbaff;
  guint slices;
} StateResult;

static void
collect (GPtrArray *output, GArray *order)
{
  guint i;

  for (i = 0; i < output->len; i++) {
    Pic *pic = g_ptr_array_index (output, i);

    g_array_append_val (order, pic->pts);
    pic_unref (pic);
  }
  g_ptr_array_set_size (output, 0);
}

/* Runs one access unit through the state: SPS/PPS go to the parser, the
 * first slice to begin_picture. */
static void
state_decode_au (GstH264NalParser *parser, GstV4l2ElasticH264State *state,
    GstBuffer *buf, StateResult *res, GPtrArray *output)
{
  GstMapInfo map;
  GstH264NalUnit nalu;
  GstH264ParserResult pres;
  gboolean began = FALSE;
  guint offset = 0;

  g_assert_true (gst_buffer_map (buf, &map, GST_MAP_READ));
  for (;;) {
    pres = gst_h264_parser_identify_nalu (
        parser, map.data, offset, map.size, &nalu);
    if (pres == GST_H264_PARSER_NO_NAL_END)
      pres = GST_H264_PARSER_OK; /* the last NAL of the access unit */
    if (pres != GST_H264_PARSER_OK)
      break;
    offset = nalu.offset + nalu.size;

    if (nalu.type == GST_H264_NAL_SPS || nalu.type == GST_H264_NAL_PPS) {
      g_assert_cmpint (
          gst_h264_parser_parse_nal (parser, &nalu), ==, GST_H264_PARSER_OK);
    } else if (nalu.type == GST_H264_NAL_SLICE ||
        nalu.type == GST_H264_NAL_SLICE_IDR) {
      GstH264SliceHdr slice;
      GstV4l2ElasticH264PicturePlan plan;
      GstV4l2ElasticH264Decision decision;
      Pic *pic;

      g_assert_cmpint (
          gst_h264_parser_parse_slice_hdr (parser, &nalu, &slice, TRUE, TRUE),
          ==, GST_H264_PARSER_OK);
      res->slices++;
      if (began)
        continue; /* the state reads the first slice only */
      began = TRUE;
      decision = gst_v4l2_elastic_h264_state_begin_picture (
          state, &nalu, &slice, &plan, output);
      collect (output, res->order);
      g_assert_cmpint (decision, ==, GST_V4L2_ELASTIC_H264_DECODE);
      res->new_sequences += plan.new_sequence;
      res->max_dpb_size = MAX (res->max_dpb_size, plan.dpb_size);
      res->max_reorder = MAX (res->max_reorder, plan.reorder);
      res->mbaff += plan.mbaff;
      g_assert_cmpuint (plan.n_dpb, <=, plan.dpb_size);

      pic = g_new0 (Pic, 1);
      pic->refs = 1;
      pic->pts = GST_BUFFER_PTS (buf);
      gst_v4l2_elastic_h264_state_end_picture (state, pic, pic->pts, output);
      collect (output, res->order);
    }
  }
  gst_buffer_unmap (buf, &map);
  g_assert_true (began);
}

static void
state_order (GPtrArray *aus, StateResult *res)
{
  GstH264NalParser *parser = gst_h264_nal_parser_new ();
  GstV4l2ElasticH264State *state =
      gst_v4l2_elastic_h264_state_new (pic_ref, pic_unref);
  GPtrArray *output = g_ptr_array_new ();
  guint i;

  memset (res, 0, sizeof (*res));
  res->order = g_array_new (FALSE, FALSE, sizeof (GstClockTime));
  for (i = 0; i < aus->len; i++)
    state_decode_au (parser, state, g_ptr_array_index (aus, i), res, output);
  gst_v4l2_elastic_h264_state_drain (state, output);
  collect (output, res->order);

  g_ptr_array_free (output, TRUE);
  gst_v4l2_elastic_h264_state_free (state);
  gst_h264_nal_parser_free (parser);
}

typedef struct
{
  const gchar *options; /* x264enc properties */
  guint frames;
  guint width, height;
} Segment;

typedef struct
{
  const gchar *name;
  Segment segments[3];
  guint new_sequences;
  gboolean mbaff;
} OrderCase;

static const OrderCase cases[] = {
  { "ip-ref1", { { "bframes=0 ref=1", 40 } }, 1 },
  { "b2-flat-ref3", { { "bframes=2 b-pyramid=false ref=3", 60 } }, 1 },
  { "b3-pyramid-ref4", { { "bframes=3 b-pyramid=true ref=4", 60 } }, 1 },
  { "b3-pyramid-ref16-weightb",
      { { "bframes=3 b-pyramid=true ref=16 weightb=true key-int-max=25", 80 } },
      1 },
  /* Long enough for pic_order_cnt_lsb and frame_num to wrap. */
  { "b3-long-gop-wraps",
      { { "bframes=3 b-pyramid=true ref=3 key-int-max=400", 400 } }, 1 },
  { "b2-short-gop", { { "bframes=2 ref=2 key-int-max=7", 50 } }, 1 },
  { "b3-sliced-threads",
      { { "bframes=3 b-pyramid=true ref=3 sliced-threads=true threads=4",
          40 } },
      1 },
  { "mbaff-b2", { { "interlaced=true bframes=2 b-pyramid=false ref=3", 40 } },
      1, TRUE },
  { "dpb-and-size-changes",
      { { "bframes=0 ref=1", 20 }, { "bframes=3 b-pyramid=true ref=5", 30 },
          { "bframes=2 ref=2", 20, 640, 480 } },
      3 },
};

static void
test_order (gconstpointer data)
{
  const OrderCase *c = data;
  GPtrArray *aus;
  GArray *expected;
  StateResult res;
  GstClockTime offset = 0;
  guint i;

  /* tools/setup-host installs them: a missing element is a failure, not
   * a reason to skip the real-stream check. */
  if (!have_elements ())
    g_error ("x264enc, h264parse or avdec_h264 missing (install "
             "gstreamer1.0-plugins-ugly gstreamer1.0-libav)");

  aus = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_buffer_unref);
  for (i = 0; i < G_N_ELEMENTS (c->segments) && c->segments[i].options; i++) {
    const Segment *s = &c->segments[i];

    encode (s->options, c->mbaff, s->frames, s->width ? s->width : 320,
        s->height ? s->height : 240, offset, aus);
    offset +=
        s->frames * gst_util_uint64_scale (GST_SECOND, 1, 30) + GST_SECOND;
  }

  expected = reference_order (aus);
  state_order (aus, &res);
  g_test_message ("%s: %u pictures, %u slices, DPB %u, reorder %u", c->name,
      aus->len, res.slices, res.max_dpb_size, res.max_reorder);

  g_assert_cmpuint (expected->len, ==, aus->len);
  g_assert_cmpuint (res.order->len, ==, expected->len);
  for (i = 0; i < expected->len; i++)
    g_assert_cmpuint (g_array_index (res.order, GstClockTime, i), ==,
        g_array_index (expected, GstClockTime, i));
  g_assert_cmpuint (res.new_sequences, ==, c->new_sequences);
  g_assert_cmpuint (res.mbaff > 0, ==, c->mbaff);

  g_array_free (res.order, TRUE);
  g_array_free (expected, TRUE);
  g_ptr_array_free (aus, TRUE);
}

int
main (int argc, char **argv)
{
  guint i;

  /* The unit test environment hides the system plugins; this test needs
   * the encoder and the reference decoder from there. */
  g_unsetenv ("GST_PLUGIN_SYSTEM_PATH_1_0");
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    gchar *path = g_strdup_printf ("/h264order/%s", cases[i].name);

    g_test_add_data_func (path, &cases[i], test_order);
    g_free (path);
  }
  return g_test_run ();
}
