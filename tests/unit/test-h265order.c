/* gst-v4l2-elastic
 *
 * H.265 codec state on real streams: x265enc encodes test patterns with
 * various GOP structures (WPP, B-pyramids, open GOPs with CRA and RASL
 * pictures, RADL pictures, slices, temporal sub-layers, POC LSB wraps,
 * size changes with a conformance window, a stream cut at a CRA picture,
 * an end of sequence NAL unit, Main 10, weighted prediction, and one
 * rewritten with its RPSs in the SPS by h265-rps-rewrite.c), the state
 * decides the output order of the access units (parsed here with
 * GstH265Parser), and avdec_h265's output of the same access units is the
 * reference: same pictures, same order.  A picture is named by its PTS
 * (videotestsrc's, unique and increasing in display order).  A 4:4:4
 * stream must be refused.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdio.h>
#include <string.h>

#include <gst/gst.h>
#include <gst/codecparsers/gsth265parser.h>

#include "gsth265state.h"
#include "h265-rps-rewrite.h"

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
  static const gchar *names[] = { "videotestsrc", "x265enc", "h265parse",
    "avdec_h265", "appsrc", "appsink" };
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
    g_signal_emit_by_name (sink, "try-pull-sample", 60 * GST_SECOND, &sample);
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

/* The nal_unit_type of the first VCL NAL unit of an access unit, or -1. */
static gint
first_vcl_type (GstBuffer *buf)
{
  GstH265Parser *parser = gst_h265_parser_new ();
  GstH265NalUnit nalu;
  GstMapInfo map;
  guint offset = 0;
  gint type = -1;

  g_assert_true (gst_buffer_map (buf, &map, GST_MAP_READ));
  for (;;) {
    GstH265ParserResult pres = gst_h265_parser_identify_nalu (
        parser, map.data, offset, map.size, &nalu);

    if (pres == GST_H265_PARSER_NO_NAL_END)
      pres = GST_H265_PARSER_OK;
    if (pres != GST_H265_PARSER_OK)
      break;
    offset = nalu.offset + nalu.size;
    if (nalu.type < 32) {
      type = nalu.type;
      break;
    }
  }
  gst_buffer_unmap (buf, &map);
  gst_h265_parser_free (parser);
  return type;
}

typedef struct
{
  const gchar *options; /* x265enc option-string */
  guint frames;
  guint width, height;
  gboolean default_preset; /* x265's own preset (medium), not ultrafast */
  guint start_at_irap;     /* drop access units before the n-th IRAP */
  gboolean eos;            /* an end of sequence NAL unit after it */
  const gchar *format;     /* raw input format (default I420) */
} Segment;

/* Encodes a segment into byte-stream access units, PTS shifted by
 * @offset. */
static void
encode (const Segment *s, GstClockTime offset, GPtrArray *aus)
{
  gchar *desc = g_strdup_printf (
      "videotestsrc num-buffers=%u pattern=ball ! "
      "video/x-raw,format=%s,width=%u,height=%u,framerate=30/1 ! "
      "x265enc %s option-string=\"%s\" ! h265parse ! "
      "video/x-h265,stream-format=byte-stream,alignment=au ! "
      "appsink name=sink sync=false",
      s->frames, s->format ? s->format : "I420", s->width ? s->width : 320,
      s->height ? s->height : 240,
      s->default_preset ? "" : "speed-preset=ultrafast",
      s->options ? s->options : "");
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  GPtrArray *seg =
      g_ptr_array_new_with_free_func ((GDestroyNotify) gst_buffer_unref);
  guint i, iraps = 0;

  g_assert_nonnull (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  pull_all (pipeline, seg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  g_free (desc);
  g_assert_cmpuint (seg->len, ==, s->frames);

  for (i = 0; i < seg->len; i++) {
    GstBuffer *buf = g_ptr_array_index (seg, i);
    gint type = first_vcl_type (buf);

    if (type >= 16 && type <= 23)
      iraps++;
    if (iraps < s->start_at_irap)
      continue;
    buf = gst_buffer_copy_deep (buf);
    GST_BUFFER_PTS (buf) += offset;
    if (GST_BUFFER_DTS_IS_VALID (buf))
      GST_BUFFER_DTS (buf) += offset;
    if (s->eos && i == seg->len - 1) {
      static const guint8 eos_nal[] = { 0, 0, 0, 1, 36 << 1, 1 };

      gst_buffer_append_memory (buf,
          gst_memory_new_wrapped (GST_MEMORY_FLAG_READONLY, (gpointer) eos_nal,
              sizeof (eos_nal), 0, sizeof (eos_nal), NULL, NULL));
    }
    g_ptr_array_add (aus, buf);
  }
  g_ptr_array_free (seg, TRUE);
}

/* avdec_h265's output PTS for the access units; with @sums, the MD5 of
 * each decoded picture too. */
static GArray *
reference_order (GPtrArray *aus, GPtrArray *sums)
{
  GstElement *pipeline = gst_parse_launch (
      "appsrc name=src format=time "
      "caps=video/x-h265,stream-format=byte-stream,alignment=au ! "
      "h265parse ! avdec_h265 ! appsink name=sink sync=false",
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
    GstBuffer *frame = g_ptr_array_index (frames, i);
    GstClockTime pts = GST_BUFFER_PTS (frame);

    g_array_append_val (order, pts);
    if (sums) {
      GstMapInfo map;

      g_assert_true (gst_buffer_map (frame, &map, GST_MAP_READ));
      g_ptr_array_add (sums,
          g_compute_checksum_for_data (G_CHECKSUM_MD5, map.data, map.size));
      gst_buffer_unmap (frame, &map);
    }
  }
  g_ptr_array_free (frames, TRUE);
  gst_object_unref (src);
  gst_object_unref (pipeline);
  return order;
}

typedef struct
{
  GArray *order;
  guint pictures, slices, dropped_rasl;
  guint new_sequences;
  guint max_dpb_size, max_reorder, max_refs;
  guint bit_depth;
  guint sps_rps_slices; /* slices naming a short-term RPS of the SPS */
  guint nal_types;      /* bit per nal_unit_type decoded */
  guint visible[4][2];
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

/* What every plan of a conforming stream must satisfy. */
static void
check_plan (const GstV4l2ElasticH265PicturePlan *plan)
{
  const guint8 *lists[] = { plan->st_curr_before, plan->st_curr_after,
    plan->lt_curr };
  const guint counts[] = { plan->n_st_curr_before, plan->n_st_curr_after,
    plan->n_lt_curr };
  guint l, i;

  g_assert_cmpuint (plan->n_dpb, <, plan->sequence.dpb_size);
  g_assert_cmpuint (plan->n_generated_curr, ==, 0);
  if (plan->idr)
    g_assert_cmpuint (plan->n_dpb, ==, 0);
  for (l = 0; l < G_N_ELEMENTS (lists); l++)
    for (i = 0; i < counts[l]; i++) {
      guint idx = lists[l][i];

      g_assert_cmpuint (idx, <, plan->n_dpb);
      g_assert_cmpuint (plan->dpb[idx].id, !=, 0);
      g_assert_false (
          plan->dpb[idx].flags & GST_V4L2_ELASTIC_H265_DPB_GENERATED);
      /* Before: smaller POC; after: larger. */
      if (l == 0)
        g_assert_cmpint (
            plan->dpb[idx].pic_order_cnt_val, <, plan->pic_order_cnt_val);
      if (l == 1)
        g_assert_cmpint (
            plan->dpb[idx].pic_order_cnt_val, >, plan->pic_order_cnt_val);
    }
}

/* Runs one access unit through the state: parameter sets to the parser,
 * the first slice segment to begin_picture, an end of sequence NAL unit
 * to end_of_sequence. */
static void
state_decode_au (GstH265Parser *parser, GstV4l2ElasticH265State *state,
    GstBuffer *buf, StateResult *res, GPtrArray *output)
{
  GstMapInfo map;
  GstH265NalUnit nalu;
  GstH265ParserResult pres;
  guint offset = 0;

  g_assert_true (gst_buffer_map (buf, &map, GST_MAP_READ));
  for (;;) {
    pres = gst_h265_parser_identify_nalu (
        parser, map.data, offset, map.size, &nalu);
    if (pres == GST_H265_PARSER_NO_NAL_END)
      pres = GST_H265_PARSER_OK; /* the last NAL of the access unit */
    if (pres != GST_H265_PARSER_OK)
      break;
    offset = nalu.offset + nalu.size;

    if (nalu.type == GST_H265_NAL_SPS) {
      GstH265SPS sps;

      /* Not gst_h265_parser_parse_nal (): it skips the VUI. */
      g_assert_cmpint (gst_h265_parser_parse_sps (parser, &nalu, &sps, TRUE),
          ==, GST_H265_PARSER_OK);
    } else if (nalu.type == GST_H265_NAL_VPS || nalu.type == GST_H265_NAL_PPS) {
      g_assert_cmpint (
          gst_h265_parser_parse_nal (parser, &nalu), ==, GST_H265_PARSER_OK);
    } else if (nalu.type == GST_H265_NAL_EOS) {
      gst_v4l2_elastic_h265_state_end_of_sequence (state, output);
      collect (output, res->order);
    } else if (nalu.type < 32) {
      GstH265SliceHdr slice;
      GstV4l2ElasticH265PicturePlan plan;
      GstV4l2ElasticH265Decision decision;
      Pic *pic;

      g_assert_cmpint (gst_h265_parser_parse_slice_hdr (parser, &nalu, &slice),
          ==, GST_H265_PARSER_OK);
      res->slices++;
      res->sps_rps_slices += slice.short_term_ref_pic_set_sps_flag;
      if (!slice.first_slice_segment_in_pic_flag) {
        gst_h265_slice_hdr_free (&slice);
        continue; /* the state reads the first slice segment only */
      }
      decision = gst_v4l2_elastic_h265_state_begin_picture (
          state, &nalu, &slice, &plan, output);
      gst_h265_slice_hdr_free (&slice);
      collect (output, res->order);
      if (decision == GST_V4L2_ELASTIC_H265_DROP) {
        g_assert_cmpint (plan.drop_reason, ==, GST_V4L2_ELASTIC_H265_DROP_RASL);
        res->dropped_rasl++;
        continue;
      }
      g_assert_cmpint (decision, ==, GST_V4L2_ELASTIC_H265_DECODE);
      check_plan (&plan);
      if (plan.new_sequence && res->new_sequences < 4) {
        res->visible[res->new_sequences][0] = plan.sequence.visible_width;
        res->visible[res->new_sequences][1] = plan.sequence.visible_height;
      }
      res->new_sequences += plan.new_sequence;
      res->pictures++;
      res->nal_types |= 1u << plan.nal_unit_type;
      res->max_dpb_size = MAX (res->max_dpb_size, plan.sequence.dpb_size);
      res->max_reorder = MAX (res->max_reorder, plan.sequence.reorder);
      res->max_refs = MAX (res->max_refs, plan.n_dpb);
      res->bit_depth = MAX (res->bit_depth, plan.sequence.bit_depth_luma);
      g_assert_cmpuint (
          plan.sequence.bit_depth_chroma, ==, plan.sequence.bit_depth_luma);

      pic = g_new0 (Pic, 1);
      pic->refs = 1;
      pic->pts = GST_BUFFER_PTS (buf);
      gst_v4l2_elastic_h265_state_end_picture (state, pic, pic->pts, output);
      collect (output, res->order);
    }
  }
  gst_buffer_unmap (buf, &map);
}

static void
state_order (GPtrArray *aus, StateResult *res)
{
  GstH265Parser *parser = gst_h265_parser_new ();
  GstV4l2ElasticH265State *state =
      gst_v4l2_elastic_h265_state_new (pic_ref, pic_unref);
  GPtrArray *output = g_ptr_array_new ();
  guint i;

  memset (res, 0, sizeof (*res));
  res->order = g_array_new (FALSE, FALSE, sizeof (GstClockTime));
  for (i = 0; i < aus->len; i++)
    state_decode_au (parser, state, g_ptr_array_index (aus, i), res, output);
  gst_v4l2_elastic_h265_state_drain (state, output);
  collect (output, res->order);

  g_ptr_array_free (output, TRUE);
  gst_v4l2_elastic_h265_state_free (state);
  gst_h265_parser_free (parser);
}

typedef struct
{
  const gchar *name;
  Segment segments[3];
  guint new_sequences;
  guint nal_types; /* these nal_unit_types must have been decoded */
  gboolean rasl_dropped;
  gboolean discards;   /* a CRA after an end of sequence discards pictures */
  guint visible[3][2]; /* visible size per sequence, where checked */
  guint bit_depth;     /* 8 unless given */
  gboolean rps_in_sps; /* h265-rps-rewrite.c moves the RPSs to the SPS */
} OrderCase;

#define T(type) (1u << GST_H265_NAL_SLICE_##type)

static const OrderCase cases[] = {
  /* x265's own preset: WPP, B-pyramid, 4 B frames, open GOP. */
  { "defaults-wpp", { { NULL, 60, .default_preset = TRUE } }, 1, T (IDR_N_LP) },
  { "wpp-off", { { "wpp=0:bframes=2", 40 } }, 1, T (IDR_N_LP) },
  { "b4-pyramid-ref4",
      { { "bframes=4:b-pyramid=1:ref=4:rc-lookahead=10", 60 } }, 1,
      T (IDR_N_LP) | T (TRAIL_N) },
  { "open-gop-cra8",
      { { "open-gop=1:keyint=8:min-keyint=8:scenecut=0:bframes=3:"
          "repeat-headers=1",
          60 } },
      1, T (CRA_NUT) | T (RASL_N) | T (RASL_R) },
  { "radl",
      { { "radl=2:open-gop=0:keyint=10:min-keyint=10:scenecut=0:bframes=3",
          40 } },
      1, T (IDR_W_RADL) | T (RADL_N) },
  { "slices4", { { "slices=4:bframes=2", 30 } }, 1, T (IDR_N_LP) },
  { "temporal-layers", { { "temporal-layers=1:bframes=3", 40 } }, 1,
      T (TSA_N) },
  /* MaxPicOrderCntLsb 16: the POC LSB wraps every 16 pictures. */
  { "poc-lsb-wrap",
      { { "log2-max-poc-lsb=4:bframes=3:b-pyramid=1:keyint=200:"
          "min-keyint=200:scenecut=0",
          100 } },
      1, T (TRAIL_R) },
  /* Three sizes, the second odd (a conformance window). */
  { "size-changes",
      { { "bframes=3", 20 }, { "bframes=2:ref=2", 20, 178, 100 },
          { "bframes=0:ref=1", 10, 352, 288 } },
      3, T (IDR_N_LP), FALSE, FALSE,
      { { 320, 240 }, { 178, 100 }, { 352, 288 } } },
  /* The stream starts at a CRA picture: its RASL pictures go. */
  { "starts-at-cra",
      { { "open-gop=1:keyint=8:min-keyint=8:scenecut=0:bframes=3:"
          "repeat-headers=1",
          40, .start_at_irap = 2 } },
      1, T (CRA_NUT), TRUE },
  /* Main 10: the state reports the bit depth, refuses nothing. */
  { "main10", { { "bframes=3:b-pyramid=1", 30, .format = "I420_10LE" } }, 1,
      T (IDR_N_LP), .bit_depth = 10 },
  /* The RPSs moved into the SPS, inter-RPS predicted (what x265 never
   * writes), the slices naming them by index. */
  { "rps-in-sps-inter-predicted",
      { { "bframes=3:b-pyramid=1:ref=3:wpp=0:open-gop=1:keyint=12:"
          "min-keyint=12:scenecut=0:repeat-headers=1",
          40 } },
      1, T (CRA_NUT), .rps_in_sps = TRUE },
  /* Weighted prediction, more references, B-frames as references. */
  { "weightp-ref5",
      { { "weightp=1:weightb=1:ref=5:bframes=3:b-pyramid=1", 40 } }, 1,
      T (TRAIL_R) },
  /* An end of sequence, then a stream cut at a CRA picture: C.5.2.2
   * discards the pictures that still wait (NoOutputOfPriorPicsFlag is 1
   * at a CRA picture), and so does avdec_h265. */
  { "eos-then-cra",
      { { "open-gop=1:keyint=8:min-keyint=8:scenecut=0:bframes=3", 20,
            .eos = TRUE },
          { "open-gop=1:keyint=8:min-keyint=8:scenecut=0:bframes=3:"
            "repeat-headers=1",
              30, .start_at_irap = 2 } },
      1, T (CRA_NUT), TRUE, TRUE },
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
    g_error ("x265enc, h265parse or avdec_h265 missing (install "
             "gstreamer1.0-plugins-bad gstreamer1.0-libav)");

  aus = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_buffer_unref);
  for (i = 0; i < G_N_ELEMENTS (c->segments) && c->segments[i].frames; i++) {
    encode (&c->segments[i], offset, aus);
    offset +=
        c->segments[i].frames * gst_util_uint64_scale (GST_SECOND, 1, 30) +
        GST_SECOND;
  }

  if (c->rps_in_sps) {
    H265RpsRewriteStats stats;
    gchar *message;
    GPtrArray *before = g_ptr_array_new_with_free_func (g_free);
    GPtrArray *after = g_ptr_array_new_with_free_func (g_free);
    GArray *order;

    /* The rewritten stream must decode to the same pictures. */
    g_array_free (reference_order (aus, before), TRUE);
    if (!h265_rps_rewrite (aus, &stats, &message))
      g_error ("RPS rewrite: %s", message);
    g_test_message ("%s: %u RPSs in the SPS, %u of them inter-predicted, "
                    "%u slices name one",
        c->name, stats.sets, stats.inter_sets, stats.slices);
    g_assert_cmpuint (stats.inter_sets, >, 0);
    g_assert_cmpuint (stats.slices, >, 0);
    order = reference_order (aus, after);
    g_array_free (order, TRUE);
    g_assert_cmpuint (after->len, ==, before->len);
    for (i = 0; i < before->len; i++)
      g_assert_cmpstr (
          g_ptr_array_index (after, i), ==, g_ptr_array_index (before, i));
    g_ptr_array_free (before, TRUE);
    g_ptr_array_free (after, TRUE);
    if (g_getenv ("H265_REWRITE_DUMP")) {
      /* For a look at the rewritten stream with other tools. */
      FILE *f = fopen (g_getenv ("H265_REWRITE_DUMP"), "wb");

      for (i = 0; i < aus->len; i++) {
        GstMapInfo map;

        gst_buffer_map (g_ptr_array_index (aus, i), &map, GST_MAP_READ);
        fwrite (map.data, 1, map.size, f);
        gst_buffer_unmap (g_ptr_array_index (aus, i), &map);
      }
      fclose (f);
    }
  }

  expected = reference_order (aus, NULL);
  state_order (aus, &res);
  g_test_message ("%s: %u access units, %u pictures, %u slices, %u RASL "
                  "dropped, DPB %u, reorder %u, at most %u references",
      c->name, aus->len, res.pictures, res.slices, res.dropped_rasl,
      res.max_dpb_size, res.max_reorder, res.max_refs);

  g_assert_cmpuint (res.order->len, ==, expected->len);
  for (i = 0; i < expected->len; i++)
    g_assert_cmpuint (g_array_index (res.order, GstClockTime, i), ==,
        g_array_index (expected, GstClockTime, i));
  /* Every decoded picture is output, but those C.5.2.2 discards. */
  if (c->discards)
    g_assert_cmpuint (res.order->len, <, res.pictures);
  else
    g_assert_cmpuint (res.order->len, ==, res.pictures);
  g_assert_cmpuint (res.new_sequences, ==, c->new_sequences);
  g_assert_cmpuint (res.nal_types & c->nal_types, ==, c->nal_types);
  g_assert_cmpuint (res.dropped_rasl > 0, ==, c->rasl_dropped);
  g_assert_cmpuint (res.bit_depth, ==, c->bit_depth ? c->bit_depth : 8);
  if (c->rps_in_sps)
    g_assert_cmpuint (res.sps_rps_slices, >, 0);
  else
    g_assert_cmpuint (res.sps_rps_slices, ==, 0);
  for (i = 0; i < G_N_ELEMENTS (c->visible) && c->visible[i][0]; i++) {
    g_assert_cmpuint (res.visible[i][0], ==, c->visible[i][0]);
    g_assert_cmpuint (res.visible[i][1], ==, c->visible[i][1]);
  }

  g_array_free (res.order, TRUE);
  g_array_free (expected, TRUE);
  g_ptr_array_free (aus, TRUE);
}

/* A 4:4:4 stream (x265's Main 4:4:4, a range extensions profile): every
 * picture refused as unsupported, with a message. */
static void
test_refused_444 (void)
{
  static const Segment seg = { "bframes=0", 3, 64, 48, .format = "Y444" };
  GstH265Parser *parser = gst_h265_parser_new ();
  GstV4l2ElasticH265State *state =
      gst_v4l2_elastic_h265_state_new (pic_ref, pic_unref);
  GPtrArray *aus =
      g_ptr_array_new_with_free_func ((GDestroyNotify) gst_buffer_unref);
  guint i, refused = 0;

  if (!have_elements ())
    g_error ("x265enc, h265parse or avdec_h265 missing");
  encode (&seg, 0, aus);
  for (i = 0; i < aus->len; i++) {
    GstBuffer *buf = g_ptr_array_index (aus, i);
    GstMapInfo map;
    GstH265NalUnit nalu;
    guint offset = 0;

    g_assert_true (gst_buffer_map (buf, &map, GST_MAP_READ));
    for (;;) {
      GstH265ParserResult pres = gst_h265_parser_identify_nalu (
          parser, map.data, offset, map.size, &nalu);
      GstH265SliceHdr slice;
      GstV4l2ElasticH265PicturePlan plan;

      if (pres != GST_H265_PARSER_OK && pres != GST_H265_PARSER_NO_NAL_END)
        break;
      offset = nalu.offset + nalu.size;
      if (nalu.type == GST_H265_NAL_SPS) {
        GstH265SPS sps;

        gst_h265_parser_parse_sps (parser, &nalu, &sps, TRUE);
      } else if (nalu.type == GST_H265_NAL_VPS ||
          nalu.type == GST_H265_NAL_PPS) {
        gst_h265_parser_parse_nal (parser, &nalu);
      } else if (nalu.type < 32) {
        g_assert_cmpint (
            gst_h265_parser_parse_slice_hdr (parser, &nalu, &slice), ==,
            GST_H265_PARSER_OK);
        g_assert_cmpint (gst_v4l2_elastic_h265_state_begin_picture (
                             state, &nalu, &slice, &plan, NULL),
            ==, GST_V4L2_ELASTIC_H265_ERROR);
        g_assert_true (plan.unsupported);
        g_test_message ("refused: %s", plan.message);
        gst_h265_slice_hdr_free (&slice);
        refused++;
      }
    }
    gst_buffer_unmap (buf, &map);
  }
  g_assert_cmpuint (refused, ==, 3);
  g_ptr_array_free (aus, TRUE);
  gst_v4l2_elastic_h265_state_free (state);
  gst_h265_parser_free (parser);
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
    gchar *path = g_strdup_printf ("/h265order/%s", cases[i].name);

    g_test_add_data_func (path, &cases[i], test_order);
    g_free (path);
  }
  g_test_add_func ("/h265order/refused-444", test_refused_444);
  return g_test_run ();
}
