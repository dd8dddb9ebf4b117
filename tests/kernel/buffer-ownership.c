/* gst-v4l2-elastic
 *
 * Who owns a decoded buffer once it has left the decoder (issue #10), in
 * the guest, on the real kernel drivers.  TAP output.
 *
 *   v4l2elastic-buffer-ownership --streams DIR [--only NAME]
 *       vicodec (v4l2elasticfwhtdec), pixel-exact against vicodec's own
 *       reference decodes of DIR/NAME.{fwht,yuv,sizes} made by
 *       tests/media/fwht-streams.sh (640x480, an intra frame, then inter
 *       frames): "single" (a moving ball) for appsink-restart,
 *       appsink-seek, metadata and replaced-memory; "textured" (the static
 *       circular pattern, whose inter frames vicodec codes as deltas from
 *       the reference almost everywhere: flat blocks are coded intra and
 *       would not carry a scribble on) for scribble
 *   v4l2elastic-buffer-ownership --scribble-visl h264|vp9 [--expect-frames N]
 *       FILE
 *       visl: the scribbling downstream on v4l2elastich264dec /
 *       v4l2elasticvp9dec; frame count against avdec_h264 / avdec_vp9 (N
 *       when given, as the suite knows it from the stream)
 *
 * What each test asserts and why:
 *
 * - scribble: a downstream element may do what GStreamer allows with a
 *   buffer it receives: gst_buffer_make_writable(), map it WRITE, draw
 *   into it.  A pad probe on the sink's pad (no tee) does exactly that, at
 *   a 64x64 block whose position depends on the frame number.  A buffer
 *   that is still the codec's reference must never be writable in place
 *   (docs/architecture: "a picture that is still a reference holds a real
 *   reference on its buffer, so downstream can never write into it"):
 *   make_writable must give a copy.  Asserted: every frame, compared
 *   outside the block drawn into that same frame, equals vicodec's
 *   reference decode bit for bit.  Where downstream writes into the
 *   kernel buffer of the reference, the next inter frame carries the
 *   previous frame's block (its position differs), which fails this.
 *   On visl (H.264 with B-frames, VP9) the same probe runs: every frame
 *   is decoded (count equals avdec's), with no error and no warning.
 * - appsink-restart / appsink-seek: an application keeps 4 samples from
 *   appsink, the pipeline goes to READY and back to PLAYING (or takes a
 *   flushing seek), decodes on, and only then lets the 4 go.  The late
 *   release belongs to the old run: it must not touch the kernel queue
 *   the new run uses.  Asserted from the kernel's own ioctl log (dev_debug
 *   with the streaming bit, so QBUF/DQBUF are logged too): the release,
 *   made while the decoder is idle (blocked on a full appsink), issues no
 *   REQBUFS, no QBUF and no REMOVE_BUFS of a buffer of the new run on
 *   CAPTURE; no REQBUFS(0) on CAPTURE from the second run's first frame to
 *   EOS; the held frames did not change while held; every frame of the
 *   second run is pixel-exact.  Where the old pool's deferred stop (the
 *   last outstanding buffer of a deactivated GstBufferPool) or its
 *   finalize call REQBUFS(0) on the device the new run streams on, this
 *   fails.
 * - metadata: metas the decoder copies from input to output
 *   (GstVideoDecoder copies untagged metas such as
 *   GstReferenceTimestampMeta) must not pile up on a reused buffer.  Each
 *   input frame carries one GstReferenceTimestampMeta (added upstream of
 *   the decoder: by the harness's source, one FWHT frame per buffer) with
 *   its frame number as timestamp.  Asserted: every output buffer carries
 *   exactly one, that of its own frame.  A pool that keeps metas across
 *   reuses gives the third use of a buffer three.
 * - replaced-memory: downstream keeps each buffer until two newer frames
 *   arrived (by then the codec no longer predicts from it) and, for one
 *   frame in three, replaces all its memory with a system-memory copy
 *   (gst_buffer_replace_all_memory) before letting it go.  Such a buffer
 *   no longer describes the kernel buffer: it must not be handed out
 *   again.  Asserted: every frame pixel-exact (checked on arrival);
 *   pool-stats "discarded" equals the number of buffers so treated; on an
 *   elastic pool the kernel log shows at least that many buffers removed
 *   (REMOVE_BUFS) and CREATE_BUFS beyond the pool's peak (replacements),
 *   and the kernel's count at EOS equals pool-stats "buffers".  Where the
 *   pool reuses the GstBuffer, the decoder writes into the kernel buffer
 *   while downstream gets the stale copy: frames mismatch.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <gst/check/gstharness.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include "ktest.h"

#define BLOCK 64

/* --- the reference stream ------------------------------------------------- */

typedef struct
{
  gchar *fwht;
  guint width, height;
  gchar *yuv; /* I420 frames, compact rows */
  gsize frame_bytes;
  guint n_frames;
  GPtrArray *md5s;
  GPtrArray *packets; /* GBytes, one FWHT frame each */
} Stream;

static Stream *
stream_load (const gchar *dir, const gchar *name)
{
  gchar *sizes_path = g_strdup_printf ("%s/%s.sizes", dir, name);
  gchar *yuv_path = g_strdup_printf ("%s/%s.yuv", dir, name);
  gchar *sizes = NULL, *data = NULL;
  gsize yuv_len = 0, len = 0, off = 0;
  Stream *s = g_new0 (Stream, 1);
  guint i;

  s->fwht = g_strdup_printf ("%s/%s.fwht", dir, name);
  s->md5s = g_ptr_array_new_with_free_func (g_free);
  s->packets = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  if (!g_file_get_contents (sizes_path, &sizes, NULL, NULL) ||
      !g_file_get_contents (yuv_path, &s->yuv, &yuv_len, NULL) ||
      !g_file_get_contents (s->fwht, &data, &len, NULL) ||
      sscanf (sizes, "%u %u", &s->width, &s->height) != 2) {
    ktest_diag ("cannot read %s, %s or %s", sizes_path, yuv_path, s->fwht);
    s->n_frames = 0;
    goto out;
  }
  s->frame_bytes = (gsize) s->width * s->height * 3 / 2;
  s->n_frames = yuv_len / s->frame_bytes;
  for (i = 0; i < s->n_frames; i++)
    g_ptr_array_add (s->md5s,
        g_compute_checksum_for_data (G_CHECKSUM_MD5,
            (const guchar *) s->yuv + i * s->frame_bytes, s->frame_bytes));
  /* FWHT frames: a 44-byte header whose last field is the payload size. */
  while (off + 44 <= len) {
    gsize n = 44 + GST_READ_UINT32_BE (data + off + 40);

    if (off + n > len)
      break;
    g_ptr_array_add (s->packets, g_bytes_new (data + off, n));
    off += n;
  }
  if (s->packets->len != s->n_frames) {
    ktest_diag ("%s: %u packets for %u reference frames", s->fwht,
        s->packets->len, s->n_frames);
    s->n_frames = 0;
  }

out:
  g_free (data);
  g_free (sizes);
  g_free (sizes_path);
  g_free (yuv_path);
  return s;
}

/* The frame in compact rows, whatever the buffer's layout. */
static gchar *
buffer_md5 (GstBuffer *buffer, const GstVideoInfo *info)
{
  GstVideoFrame frame;
  GChecksum *sum;
  gchar *md5;
  guint p, y;

  if (!gst_video_frame_map (
          &frame, (GstVideoInfo *) info, buffer, GST_MAP_READ))
    return g_strdup ("unmappable");
  sum = g_checksum_new (G_CHECKSUM_MD5);
  for (p = 0; p < GST_VIDEO_FRAME_N_PLANES (&frame); p++) {
    const guint8 *data = GST_VIDEO_FRAME_PLANE_DATA (&frame, p);
    guint stride = GST_VIDEO_FRAME_PLANE_STRIDE (&frame, p);
    guint bytes = GST_VIDEO_FRAME_COMP_WIDTH (&frame, p) *
        GST_VIDEO_FRAME_COMP_PSTRIDE (&frame, p);

    for (y = 0; y < (guint) GST_VIDEO_FRAME_COMP_HEIGHT (&frame, p); y++)
      g_checksum_update (sum, data + (gsize) y * stride, bytes);
  }
  gst_video_frame_unmap (&frame);
  md5 = g_strdup (g_checksum_get_string (sum));
  g_checksum_free (sum);
  return md5;
}

static gchar *
sample_md5 (GstSample *sample)
{
  GstVideoInfo info;

  if (!gst_video_info_from_caps (&info, gst_sample_get_caps (sample)))
    return g_strdup ("no caps");
  return buffer_md5 (gst_sample_get_buffer (sample), &info);
}

/* --- the kernel's own log of the CAPTURE queue ---------------------------- */

/* dev_debug on the video node makes the kernel log every ioctl with its
 * arguments and result (3: ioctls; 11: also QBUF/DQBUF).  Lines of the
 * CAPTURE queue are kept in order, errors included. */
typedef struct
{
  gint fd;
  gchar *prefix;
  GPtrArray *lines;
} KLog;

static void
klog_open (KLog *k, const gchar *video_path, guint level)
{
  gchar *base = g_path_get_basename (video_path);
  gchar *ctl = g_strdup_printf ("/sys/class/video4linux/%s/dev_debug", base);
  FILE *f = fopen (ctl, "w");

  if (!f || fprintf (f, "%u", level) < 0 || fclose (f) != 0)
    ktest_diag ("cannot enable %s: %s", ctl, g_strerror (errno));
  k->prefix = g_strdup_printf ("%s: ", base);
  k->lines = g_ptr_array_new_with_free_func (g_free);
  k->fd = open ("/dev/kmsg", O_RDONLY | O_NONBLOCK);
  if (k->fd >= 0)
    lseek (k->fd, 0, SEEK_END);
  else
    ktest_diag ("cannot open /dev/kmsg: %s", g_strerror (errno));
  g_free (ctl);
  g_free (base);
}

/* Reads what the kernel logged since the last call; returns how many
 * CAPTURE lines came. */
static guint
klog_read (KLog *k)
{
  gchar record[8192];
  guint before = k->lines->len;
  gssize n;

  if (k->fd < 0)
    return 0;
  while ((n = read (k->fd, record, sizeof (record) - 1)) > 0 ||
      (n < 0 && errno == EPIPE)) {
    const gchar *msg;

    if (n < 0)
      continue;
    record[n] = '\0';
    msg = strchr (record, ';');
    if (!msg || !strstr (msg, k->prefix) || !strstr (msg, "vid-cap"))
      continue;
    g_ptr_array_add (k->lines, g_strstrip (g_strdup (msg + 1)));
  }
  return k->lines->len - before;
}

static void
klog_close (KLog *k)
{
  if (k->fd >= 0)
    close (k->fd);
  g_free (k->prefix);
  g_ptr_array_unref (k->lines);
}

static guint
field (const gchar *line, const gchar *name)
{
  const gchar *p = strstr (line, name);

  return p ? (guint) g_ascii_strtoull (p + strlen (name), NULL, 10) : 0;
}

static gboolean
is_ioctl (const gchar *line, const gchar *what)
{
  gchar *key = g_strdup_printf ("VIDIOC_%s:", what);
  gboolean r = strstr (line, key) != NULL;

  g_free (key);
  return r;
}

/* Lines [from, to) naming ioctl @what (errors included). */
static guint
klog_count (KLog *k, guint from, guint to, const gchar *what)
{
  guint i, n = 0;

  for (i = from; i < to && i < k->lines->len; i++)
    if (is_ioctl (g_ptr_array_index (k->lines, i), what))
      n++;
  return n;
}

/* Sum of count= over the successful @what lines in [from, to). */
static guint
klog_sum (KLog *k, guint from, guint to, const gchar *what)
{
  guint i, n = 0;

  for (i = from; i < to && i < k->lines->len; i++) {
    const gchar *l = g_ptr_array_index (k->lines, i);

    if (is_ioctl (l, what) && !strstr (l, ": error "))
      n += field (l, "count=");
  }
  return n;
}

static void
klog_diag (KLog *k, guint from, guint to)
{
  guint i;

  for (i = from; i < to && i < k->lines->len; i++)
    ktest_diag ("  kernel: %s", (gchar *) g_ptr_array_index (k->lines, i));
}

/* Waits until the decoder has issued nothing on CAPTURE for 300 ms. */
static gboolean
klog_wait_quiet (KLog *k)
{
  guint i;

  klog_read (k);
  for (i = 0; i < 20; i++) {
    g_usleep (300 * 1000);
    if (klog_read (k) == 0)
      return TRUE;
  }
  return FALSE;
}

static gchar *
element_video_path (GstElement *dec)
{
  gchar *path = NULL;

  g_object_get (dec, "video-device", &path, NULL);
  return path;
}

static guint
stats_uint (GstStructure *s, const gchar *name, gboolean *present)
{
  guint v = 0;

  if (present)
    *present = s && gst_structure_get_uint (s, name, &v);
  else if (s)
    gst_structure_get_uint (s, name, &v);
  return v;
}

/* --- 1. scribble -----------------------------------------------------------
 */

/* The decoder's own CAPTURE buffer (not a copy, and not a buffer of the
 * copy path's pool, which GstVideoDecoder allocates from downstream). */
static gboolean
from_our_pool (GstBuffer *buffer)
{
  return buffer->pool &&
      g_str_equal (
          G_OBJECT_TYPE_NAME (buffer->pool), "GstV4l2ElasticCapturePool");
}

typedef struct
{
  const Stream *ref; /* NULL: no pixel comparison (visl) */
  guint frames;
  guint mapped_write;
  guint bad_frames;
  gint first_bad;
  guint first_bad_x, first_bad_y, first_bad_plane;
  /* visl: the memory of every fourth buffer that is the pool's own (not
   * a copy) is replaced downstream; the pool must discard those. */
  gboolean replace_pool_memory;
  guint replaced_pool;
  gint discarded; /* pool-stats at EOS, -1: unknown */
} Scribble;

/* The block drawn into frame @n: its position moves with n. */
static void
block_at (guint n, guint width, guint height, guint *x, guint *y)
{
  *x = ((n * 136) % (width - BLOCK)) & ~1u;
  *y = ((n * 72) % (height - BLOCK)) & ~1u;
}

/* Downstream, without a tee: make the buffer writable, map it WRITE, draw
 * the block; then compare everything outside the block with the
 * reference. */
static GstPadProbeReturn
scribble_probe (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Scribble *s = user_data;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  GstCaps *caps = gst_pad_get_current_caps (pad);
  GstVideoInfo vinfo;
  GstVideoFrame frame;
  guint n = s->frames++, p, x0, y0, w, h;
  gboolean bad = FALSE;

  buffer = gst_buffer_make_writable (buffer);
  GST_PAD_PROBE_INFO_DATA (info) = buffer;
  if (s->replace_pool_memory && from_our_pool (buffer) && n % 4 == 3) {
    GstMapInfo map;

    /* Memory replaced on the pool's own buffer: it must not go back into
     * the free queue as it is. */
    if (gst_buffer_map (buffer, &map, GST_MAP_READ)) {
      gpointer copy = g_memdup2 (map.data, map.size);
      GstMemory *mem =
          gst_memory_new_wrapped (0, copy, map.size, 0, map.size, copy, g_free);

      gst_buffer_unmap (buffer, &map);
      gst_buffer_replace_all_memory (buffer, mem);
      s->replaced_pool++;
    }
  }
  if (!caps || !gst_video_info_from_caps (&vinfo, caps) ||
      !gst_video_frame_map (&frame, &vinfo, buffer, GST_MAP_READWRITE)) {
    gst_clear_caps (&caps);
    return GST_PAD_PROBE_OK;
  }
  gst_caps_unref (caps);
  s->mapped_write++;
  w = GST_VIDEO_FRAME_WIDTH (&frame);
  h = GST_VIDEO_FRAME_HEIGHT (&frame);
  block_at (n, w, h, &x0, &y0);

  for (p = 0; p < GST_VIDEO_FRAME_N_PLANES (&frame); p++) {
    guint8 *data = GST_VIDEO_FRAME_PLANE_DATA (&frame, p);
    guint stride = GST_VIDEO_FRAME_PLANE_STRIDE (&frame, p);
    guint cw = GST_VIDEO_FRAME_COMP_WIDTH (&frame, p);
    guint ch = GST_VIDEO_FRAME_COMP_HEIGHT (&frame, p);
    guint ps = GST_VIDEO_FRAME_COMP_PSTRIDE (&frame, p);
    guint bx = x0 * cw / w * ps, bw = BLOCK * cw / w * ps;
    guint by = y0 * ch / h, bh = BLOCK * ch / h;
    const guint8 *ref = NULL;
    guint ref_stride = 0, y, x;

    for (y = by; y < by + bh; y++)
      memset (
          data + (gsize) y * stride + bx, (n * 53 + 17 + p * 80) & 0xff, bw);

    if (!s->ref || n >= s->ref->n_frames || bad)
      continue;
    /* The reference is I420 in compact rows. */
    ref = (const guint8 *) s->ref->yuv + (gsize) n * s->ref->frame_bytes;
    if (p == 0) {
      ref_stride = s->ref->width;
    } else {
      ref += (gsize) s->ref->width * s->ref->height;
      if (p == 2)
        ref += (gsize) (s->ref->width / 2) * (s->ref->height / 2);
      ref_stride = s->ref->width / 2;
    }
    for (y = 0; y < ch && !bad; y++) {
      const guint8 *got = data + (gsize) y * stride;
      const guint8 *want = ref + (gsize) y * ref_stride;

      for (x = 0; x < cw * ps; x++) {
        if (y >= by && y < by + bh && x >= bx && x < bx + bw)
          continue;
        if (got[x] != want[x]) {
          bad = TRUE;
          s->first_bad_x = x;
          s->first_bad_y = y;
          s->first_bad_plane = p;
          break;
        }
      }
    }
  }
  gst_video_frame_unmap (&frame);
  if (bad) {
    if (s->bad_frames == 0)
      s->first_bad = n;
    s->bad_frames++;
  }
  return GST_PAD_PROBE_OK;
}

typedef struct
{
  gboolean eos;
  gchar *error;
  guint warnings;
  gchar *warning;
} BusResult;

static void
bus_result_clear (BusResult *b)
{
  g_free (b->error);
  g_free (b->warning);
}

/* Runs to EOS or error, 60 s at most. */
static void
run_to_eos (GstElement *pipeline, BusResult *b)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  gint64 deadline = g_get_monotonic_time () + 60 * G_TIME_SPAN_SECOND;

  while (!b->eos && !b->error && g_get_monotonic_time () < deadline) {
    GstMessage *msg = gst_bus_timed_pop (bus, 20 * GST_MSECOND);
    GError *err = NULL;

    if (!msg)
      continue;
    switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_EOS:
      b->eos = TRUE;
      break;
    case GST_MESSAGE_ERROR:
      gst_message_parse_error (msg, &err, NULL);
      b->error = g_strdup (err->message);
      g_clear_error (&err);
      break;
    case GST_MESSAGE_WARNING:
      gst_message_parse_warning (msg, &err, NULL);
      if (!b->warning)
        b->warning = g_strdup (err->message);
      b->warnings++;
      g_clear_error (&err);
      break;
    default:
      break;
    }
    gst_message_unref (msg);
  }
  if (!b->eos && !b->error)
    b->error = g_strdup ("timed out");
  gst_object_unref (bus);
}

/* Decodes @desc (a pipeline ending in "fakesink name=sink") with the
 * scribbling probe on the sink's pad when @s is given; returns the frame
 * count. */
static guint
run_scribble (const gchar *desc, Scribble *s, BusResult *b)
{
  GError *error = NULL;
  GstElement *pipeline = gst_parse_launch (desc, &error), *sink;
  GstPad *pad;
  guint frames;

  if (!pipeline) {
    b->error = g_strdup_printf ("cannot build %s: %s", desc, error->message);
    g_clear_error (&error);
    return 0;
  }
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, scribble_probe, s, NULL);
  gst_object_unref (pad);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  run_to_eos (pipeline, b);
  s->discarded = -1;
  {
    GstElement *dec = gst_bin_get_by_name (GST_BIN (pipeline), "dec");
    GstStructure *stats = NULL;
    guint v;

    if (dec) {
      g_object_get (dec, "pool-stats", &stats, NULL);
      if (stats && gst_structure_get_uint (stats, "discarded", &v))
        s->discarded = v;
      if (stats)
        gst_structure_free (stats);
      gst_object_unref (dec);
    }
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  frames = s->frames;
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  return frames;
}

static void
test_scribble_vicodec (Stream *st)
{
  Scribble s = { st, 0 };
  BusResult b = { 0 };
  gchar *desc = g_strdup_printf (
      "filesrc location=%s ! video/x-fwht ! v4l2elasticfwhtdec ! "
      "fakesink name=sink sync=false enable-last-sample=false",
      st->fwht);

  run_scribble (desc, &s, &b);
  g_free (desc);
  if (b.error)
    ktest_diag ("scribble: error: %s", b.error);
  ktest_result (b.eos && !b.error && s.frames == st->n_frames &&
          s.mapped_write == s.frames,
      "scribble: downstream makes every buffer writable and draws into it: "
      "%u of %u frames to EOS, %u mapped for writing",
      s.frames, st->n_frames, s.mapped_write);
  if (s.bad_frames)
    ktest_diag ("scribble: frame %d differs from vicodec's reference outside "
                "its own block at plane %u, row %u, byte %u",
        s.first_bad, s.first_bad_plane, s.first_bad_y, s.first_bad_x);
  ktest_result (s.bad_frames == 0 && s.frames == st->n_frames,
      "scribble: every frame equals vicodec's reference outside the block "
      "drawn into it (%u of %u differ; first %d): downstream never writes "
      "into a reference",
      s.bad_frames, s.frames, s.bad_frames ? s.first_bad : -1);
  bus_result_clear (&b);
}

static void
test_scribble_visl (const gchar *codec, const gchar *file, gint expect)
{
  gboolean h264 = g_str_equal (codec, "h264");
  const gchar *parse = h264 ? "h264parse" : "ivfparse";
  gchar *ours = g_strdup_printf ("v4l2elastic%sdec", codec);
  gchar *ref = g_strdup_printf ("avdec_%s", codec);
  Scribble s = { NULL, 0 }, r = { NULL, 0 };
  BusResult b = { 0 }, rb = { 0 };
  gchar *desc;

  if (!gst_element_factory_find (ours)) {
    ktest_result (FALSE, "visl %s: %s is registered", codec, ours);
    goto done;
  }
  if (expect >= 0) {
    /* The software decoder's count, known beforehand. */
    r.frames = expect;
    rb.eos = TRUE;
  } else {
    /* The software decoder's count, with the same probe. */
    desc = g_strdup_printf ("filesrc location=%s ! %s ! %s ! fakesink "
                            "name=sink sync=false enable-last-sample=false",
        file, parse, ref);
    run_scribble (desc, &r, &rb);
    g_free (desc);
  }
  desc =
      g_strdup_printf ("filesrc location=%s ! %s ! %s name=dec ! "
                       "fakesink name=sink sync=false enable-last-sample=false",
          file, parse, ours);
  s.replace_pool_memory = TRUE;
  run_scribble (desc, &s, &b);
  g_free (desc);
  if (b.error)
    ktest_diag ("visl %s scribble: error: %s", codec, b.error);
  if (b.warning)
    ktest_diag ("visl %s scribble: warning: %s", codec, b.warning);
  ktest_result (rb.eos && r.frames > 0 && b.eos && !b.error &&
          b.warnings == 0 && s.frames == r.frames && s.mapped_write == s.frames,
      "visl %s: downstream draws into every buffer: %u frames (%s: %u), "
      "%u mapped for writing, no error, %u warnings",
      codec, s.frames, ref, r.frames, s.mapped_write, b.warnings);
  ktest_result ((gint) s.replaced_pool == s.discarded,
      "visl %s: the pool discarded every buffer of its own whose memory "
      "downstream replaced (pool-stats discarded %d == %u replaced)",
      codec, s.discarded, s.replaced_pool);

done:
  bus_result_clear (&b);
  bus_result_clear (&rb);
  g_free (ours);
  g_free (ref);
}

/* --- 3. appsink holds buffers across a restart / flushing seek ------------
 */

typedef struct
{
  GstSample *sample;
  gchar *md5;
} Held;

/* appsink 1.22 hands out, after READY -> PLAYING, one sample it had
 * queued before the restart (seen with videotestsrc alone).  Samples of
 * the second run are recognised by the order in which their buffers
 * reached appsink's pad after the restart; any other is skipped. */
static struct
{
  GMutex lock;
  gboolean active;
  GQueue buffers;
  guint skipped;
} arrivals;

static GstPadProbeReturn
arrival_probe (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  g_mutex_lock (&arrivals.lock);
  if (arrivals.active)
    g_queue_push_tail (&arrivals.buffers, GST_PAD_PROBE_INFO_BUFFER (info));
  g_mutex_unlock (&arrivals.lock);
  return GST_PAD_PROBE_OK;
}

static GstSample *
pull (GstElement *sink)
{
  GstSample *sample = NULL;

  for (;;) {
    gboolean ours;

    g_signal_emit_by_name (sink, "try-pull-sample", 20 * GST_SECOND, &sample);
    if (!sample)
      return NULL;
    g_mutex_lock (&arrivals.lock);
    ours = !arrivals.active ||
        g_queue_peek_head (&arrivals.buffers) ==
            (gpointer) gst_sample_get_buffer (sample);
    if (arrivals.active && ours)
      g_queue_pop_head (&arrivals.buffers);
    g_mutex_unlock (&arrivals.lock);
    if (ours)
      return sample;
    arrivals.skipped++;
    gst_sample_unref (sample);
  }
}

/* Pulls @n frames, checking them against the reference from frame
 * @first; returns how many matched. */
static guint
pull_checked (GstElement *sink, const Stream *st, guint first, guint n,
    GQueue *keep, guint keep_n, guint *pulled)
{
  guint i, good = 0;

  for (i = 0; i < n; i++) {
    GstSample *sample = pull (sink);
    gchar *md5;

    if (!sample)
      break;
    (*pulled)++;
    md5 = sample_md5 (sample);
    if (first + i < st->n_frames &&
        g_str_equal (md5, g_ptr_array_index (st->md5s, first + i)))
      good++;
    else {
      guint j;
      gint same = -1;

      for (j = 0; j < st->n_frames && same < 0; j++)
        if (g_str_equal (md5, g_ptr_array_index (st->md5s, j)))
          same = j;
      ktest_diag ("  frame %u differs from the reference (equals reference "
                  "frame %d)",
          first + i, same);
    }
    if (keep) {
      Held *h = g_new0 (Held, 1);

      h->sample = sample;
      h->md5 = md5;
      g_queue_push_tail (keep, h);
      while (g_queue_get_length (keep) > keep_n) {
        h = g_queue_pop_head (keep);
        gst_sample_unref (h->sample);
        g_free (h->md5);
        g_free (h);
      }
    } else {
      gst_sample_unref (sample);
      g_free (md5);
    }
  }
  return good;
}

static void
test_appsink_hold (Stream *st, gboolean restart)
{
  const gchar *name = restart ? "appsink-restart" : "appsink-seek";
  const guint hold = 4, first_run = 6, before_release = 5;
  GstElement *pipeline, *dec, *sink, *src;
  GQueue held = G_QUEUE_INIT;
  GError *error = NULL;
  gchar *desc, *video = NULL;
  KLog k = { -1 };
  guint pulled = 0, good, second_start, first_frame, win, win_end, i;
  guint changed = 0, late_reqbufs, late_qbuf, late_remove_new, eos_line;
  guint reqbufs_zero = 0, n_rest;
  GHashTable *new_indices = g_hash_table_new (NULL, NULL);
  gboolean quiet, eos;
  BusResult b = { 0 };
  GstBus *bus;
  GstMessage *msg;
  GstPad *pad;

  desc = g_strdup_printf (
      "filesrc name=src location=%s ! video/x-fwht ! "
      "v4l2elasticfwhtdec name=dec ! appsink name=sink max-buffers=1 "
      "sync=false",
      st->fwht);
  pipeline = gst_parse_launch (desc, &error);
  g_free (desc);
  if (!pipeline) {
    ktest_result (FALSE, "%s: pipeline: %s", name, error->message);
    g_clear_error (&error);
    return;
  }
  dec = gst_bin_get_by_name (GST_BIN (pipeline), "dec");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  video = element_video_path (dec);
  klog_open (&k, video, 11);
  pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, arrival_probe, NULL, NULL);
  gst_object_unref (pad);
  g_mutex_lock (&arrivals.lock);
  arrivals.active = FALSE;
  arrivals.skipped = 0;
  g_queue_clear (&arrivals.buffers);
  g_mutex_unlock (&arrivals.lock);

  /* First run: keep the last 4 of the first 6 frames. */
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  good = pull_checked (sink, st, 0, first_run, &held, hold, &pulled);
  ktest_result (good == first_run && g_queue_get_length (&held) == hold,
      "%s: first run: %u of %u frames pixel-exact, %u kept by the "
      "application",
      name, good, first_run, g_queue_get_length (&held));

  if (restart) {
    gst_element_set_state (pipeline, GST_STATE_READY);
    gst_element_get_state (pipeline, NULL, NULL, GST_CLOCK_TIME_NONE);
    klog_read (&k);
    second_start = k.lines->len;
    g_mutex_lock (&arrivals.lock);
    arrivals.active = TRUE;
    g_mutex_unlock (&arrivals.lock);
    gst_element_set_state (pipeline, GST_STATE_PLAYING);
  } else {
    klog_read (&k);
    second_start = k.lines->len;
    if (!gst_element_seek_simple (
            src, GST_FORMAT_BYTES, GST_SEEK_FLAG_FLUSH, 0))
      ktest_diag ("%s: the flushing seek was refused", name);
  }

  /* Second run: 5 frames, while the application still holds 4. */
  good = pull_checked (sink, st, 0, before_release, NULL, 0, &pulled);
  klog_read (&k);
  first_frame = k.lines->len;
  for (i = second_start; i < k.lines->len; i++) {
    const gchar *l = g_ptr_array_index (k.lines, i);
    guint j, n;

    if (!is_ioctl (l, "CREATE_BUFS") || strstr (l, ": error "))
      continue;
    n = field (l, "count=");
    for (j = 0; j < n; j++)
      g_hash_table_add (
          new_indices, GUINT_TO_POINTER (field (l, "index=") + j + 1));
  }

  /* The decoder is idle (blocked on the full appsink) when the
   * application lets go: what the kernel logs now is the release's. */
  quiet = klog_wait_quiet (&k);
  win = k.lines->len;
  while (!g_queue_is_empty (&held)) {
    Held *h = g_queue_pop_head (&held);
    gchar *md5 = sample_md5 (h->sample);

    if (!g_str_equal (md5, h->md5))
      changed++;
    g_free (md5);
    gst_sample_unref (h->sample);
    g_free (h->md5);
    g_free (h);
  }
  g_usleep (200 * 1000);
  klog_read (&k);
  win_end = k.lines->len;
  late_reqbufs = klog_count (&k, win, win_end, "REQBUFS");
  late_qbuf = klog_count (&k, win, win_end, "QBUF");
  late_remove_new = 0;
  for (i = win; i < win_end; i++) {
    const gchar *l = g_ptr_array_index (k.lines, i);
    guint j, idx = field (l, "index="), n = field (l, "count=");

    if (!is_ioctl (l, "REMOVE_BUFS"))
      continue;
    /* After a restart every CAPTURE buffer is the new run's. */
    for (j = 0; j < MAX (n, 1); j++)
      if (restart ||
          g_hash_table_contains (new_indices, GUINT_TO_POINTER (idx + j + 1)))
        late_remove_new++;
  }
  if (!quiet)
    ktest_diag ("%s: the decoder never went idle: the window may include "
                "its own ioctls",
        name);
  if (late_reqbufs + late_qbuf + late_remove_new > 0)
    klog_diag (&k, win, win_end);
  ktest_result (late_reqbufs == 0 && late_qbuf == 0 && late_remove_new == 0,
      "%s: the late release of %u held buffers issues no REQBUFS (%u), no "
      "QBUF (%u) and no REMOVE_BUFS of a buffer of the %s (%u) on CAPTURE",
      name, hold, late_reqbufs, late_qbuf,
      restart ? "new run" : "run after the seek", late_remove_new);
  ktest_result (changed == 0,
      "%s: none of the %u held frames changed while held (%u changed)", name,
      hold, changed);

  /* Decode on to EOS. */
  n_rest = st->n_frames - before_release;
  good += pull_checked (sink, st, before_release, n_rest, NULL, 0, &pulled);
  g_object_get (sink, "eos", &eos, NULL);
  for (i = 0; i < 50 && !eos; i++) {
    g_usleep (20 * 1000);
    g_object_get (sink, "eos", &eos, NULL);
  }
  klog_read (&k);
  eos_line = k.lines->len;
  bus = gst_element_get_bus (pipeline);
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR))) {
    gst_message_parse_error (msg, &error, NULL);
    if (!b.error)
      b.error = g_strdup (error->message);
    g_clear_error (&error);
    gst_message_unref (msg);
  }
  gst_object_unref (bus);
  if (b.error)
    ktest_diag ("%s: error: %s", name, b.error);
  if (arrivals.skipped)
    ktest_diag ("%s: skipped %u sample(s) appsink kept from the first run",
        name, arrivals.skipped);
  ktest_result (eos && !b.error && good == st->n_frames,
      "%s: second run to EOS: %u of %u frames pixel-exact", name, good,
      st->n_frames);
  for (i = first_frame; i < eos_line; i++) {
    const gchar *l = g_ptr_array_index (k.lines, i);

    if (is_ioctl (l, "REQBUFS") && field (l, "count=") == 0)
      reqbufs_zero++;
  }
  ktest_result (reqbufs_zero == 0,
      "%s: no REQBUFS(0) on CAPTURE from the second run's first frame to EOS "
      "(%u)",
      name, reqbufs_zero);

  gst_element_set_state (pipeline, GST_STATE_NULL);
  klog_close (&k);
  g_hash_table_unref (new_indices);
  bus_result_clear (&b);
  g_free (video);
  gst_object_unref (src);
  gst_object_unref (sink);
  gst_object_unref (dec);
  gst_object_unref (pipeline);
}

/* --- harness helpers -------------------------------------------------------
 */

static GstHarness *
fwht_harness (void)
{
  GstHarness *h = gst_harness_new ("v4l2elasticfwhtdec");

  gst_harness_set_src_caps_str (h, "video/x-fwht");
  gst_harness_play (h);
  return h;
}

static GstBuffer *
packet_buffer (Stream *st, guint n)
{
  GstBuffer *buf =
      gst_buffer_new_wrapped_bytes (g_ptr_array_index (st->packets, n));

  GST_BUFFER_PTS (buf) = n * GST_SECOND / 30;
  GST_BUFFER_DURATION (buf) = GST_SECOND / 30;
  return buf;
}

/* --- 4. metadata -------------------------------------------------------------
 */

static void
test_metadata (Stream *st)
{
  GstCaps *ref_caps = gst_caps_new_empty_simple ("timestamp/x-issue10");
  GstHarness *h = fwht_harness ();
  guint n, out = 0, exact = 0, max_metas = 0, wrong_ts = 0;
  GstBuffer *buf;

  for (n = 0; n <= st->n_frames; n++) {
    if (n < st->n_frames) {
      buf = packet_buffer (st, n);
      /* Upstream of the decoder: one meta per input frame. */
      gst_buffer_add_reference_timestamp_meta (
          buf, ref_caps, n * GST_SECOND, GST_CLOCK_TIME_NONE);
      if (gst_harness_push (h, buf) != GST_FLOW_OK)
        break;
    } else {
      gst_harness_push_event (h, gst_event_new_eos ());
    }
    /* Downstream: look, and let go at once, so buffers are reused. */
    while ((buf = gst_harness_try_pull (h))) {
      GstReferenceTimestampMeta *meta;
      gpointer state = NULL;
      guint metas = 0;
      gboolean right = FALSE;

      while ((
          meta =
              (GstReferenceTimestampMeta *) gst_buffer_iterate_meta_filtered (
                  buf, &state, GST_REFERENCE_TIMESTAMP_META_API_TYPE))) {
        metas++;
        if (meta->timestamp == out * GST_SECOND)
          right = TRUE;
      }
      if (metas == 1 && right)
        exact++;
      else if (metas == 1)
        wrong_ts++;
      if (metas != 1 && max_metas <= 1)
        ktest_diag ("metadata: output frame %u carries %u "
                    "GstReferenceTimestampMeta",
            out, metas);
      max_metas = MAX (max_metas, metas);
      out++;
      gst_buffer_unref (buf);
    }
  }
  ktest_result (out == st->n_frames && exact == out,
      "metadata: every output buffer carries exactly one "
      "GstReferenceTimestampMeta, its own frame's: %u of %u frames "
      "(at most %u on one buffer, %u with another frame's)",
      exact, st->n_frames, max_metas, wrong_ts);
  gst_harness_teardown (h);
  gst_caps_unref (ref_caps);
}

/* --- 5. memory replaced downstream -----------------------------------------
 */

static void
test_replaced_memory (Stream *st)
{
  GstHarness *h = fwht_harness ();
  GQueue keep = G_QUEUE_INIT, keep_n = G_QUEUE_INIT;
  guint n, out = 0, good = 0, replaced = 0, not_writable = 0;
  guint replaced_pool = 0;
  guint discarded, stat_buffers, peak;
  gboolean have_discarded = FALSE, elastic = FALSE;
  GstStructure *stats = NULL;
  GstVideoInfo vinfo;
  gchar *video = element_video_path (h->element);
  KLog k = { -1 };
  GstBuffer *buf;
  guint kcreates, kremoves, kreqbufs_alloc = 0, i;

  klog_open (&k, video, 3);
  for (n = 0; n <= st->n_frames; n++) {
    if (n < st->n_frames) {
      if (gst_harness_push (h, packet_buffer (st, n)) != GST_FLOW_OK)
        break;
    } else {
      gst_harness_push_event (h, gst_event_new_eos ());
    }
    while ((buf = gst_harness_try_pull (h))) {
      GstCaps *caps = gst_pad_get_current_caps (h->sinkpad);
      gchar *md5;

      if (caps && gst_video_info_from_caps (&vinfo, caps)) {
        md5 = buffer_md5 (buf, &vinfo);
        if (out < st->n_frames &&
            g_str_equal (md5, g_ptr_array_index (st->md5s, out)))
          good++;
        else
          ktest_diag (
              "replaced-memory: frame %u differs from the reference", out);
        g_free (md5);
      }
      gst_clear_caps (&caps);
      g_queue_push_tail (&keep, buf);
      g_queue_push_tail (&keep_n, GUINT_TO_POINTER (out++));
      /* Two newer frames out: the codec no longer predicts from it. */
      while (g_queue_get_length (&keep) > 2 ||
          (n == st->n_frames && !g_queue_is_empty (&keep))) {
        GstBuffer *old = g_queue_pop_head (&keep);
        guint old_n = GPOINTER_TO_UINT (g_queue_pop_head (&keep_n));

        if (old_n % 3 == 1 && n < st->n_frames) {
          if (gst_buffer_is_writable (old)) {
            GstMapInfo map;
            GstMemory *mem;
            gpointer copy;

            /* A system-memory copy of the whole buffer. */
            gst_buffer_map (old, &map, GST_MAP_READ);
            copy = g_memdup2 (map.data, map.size);
            mem = gst_memory_new_wrapped (
                0, copy, map.size, 0, map.size, copy, g_free);
            gst_buffer_unmap (old, &map);
            if (from_our_pool (old))
              replaced_pool++;
            gst_buffer_replace_all_memory (old, mem);
            replaced++;
          } else {
            not_writable++;
          }
        }
        gst_buffer_unref (old);
      }
    }
  }
  g_object_get (h->element, "pool-stats", &stats, NULL);
  klog_read (&k);
  discarded = stats_uint (stats, "discarded", &have_discarded);
  stat_buffers = stats_uint (stats, "buffers", NULL);
  peak = stats_uint (stats, "peak-buffers", NULL);
  if (stats)
    gst_structure_get_boolean (stats, "elastic", &elastic);
  kcreates = klog_sum (&k, 0, k.lines->len, "CREATE_BUFS");
  kremoves = klog_sum (&k, 0, k.lines->len, "REMOVE_BUFS");
  for (i = 0; i < k.lines->len; i++) {
    const gchar *l = g_ptr_array_index (k.lines, i);

    if (is_ioctl (l, "REQBUFS") && field (l, "count=") > 0)
      kreqbufs_alloc += field (l, "count=");
  }
  if (not_writable)
    ktest_diag ("replaced-memory: %u buffers were not writable after two "
                "newer frames",
        not_writable);
  ktest_result (out == st->n_frames && good == out && replaced >= 3,
      "replaced-memory: downstream replaced the memory of %u buffers; all "
      "%u of %u frames pixel-exact",
      replaced, good, st->n_frames);
  /* A buffer the codec still referenced when it was pushed reaches
   * downstream as a copy sharing the memory: replacing the copy's memory
   * does not touch the pool's buffer, whose memory simply comes back.
   * Only the pool's own buffers can come back tainted. */
  ktest_result (have_discarded && discarded == replaced_pool,
      "replaced-memory: pool-stats discarded %s%u == %u of the %u replaced "
      "buffers that were the pool's own (the others were copies)",
      have_discarded ? "" : "(absent) ", discarded, replaced_pool, replaced);
  if (elastic) {
    ktest_result (kremoves >= replaced_pool &&
            (replaced_pool == 0 || kcreates > peak) &&
            kcreates - kremoves == stat_buffers,
        "replaced-memory: kernel log: %u buffers removed (>= %u discarded), "
        "%u created (peak %u), %u alive == pool-stats %u",
        kremoves, replaced_pool, kcreates, peak, kcreates - kremoves,
        stat_buffers);
  } else {
    ktest_skip ("classic pool (no REMOVE_BUFS)",
        "replaced-memory: kernel log of removals and replacements (%u "
        "allocated with REQBUFS)",
        kreqbufs_alloc);
  }
  if (stats)
    gst_structure_free (stats);
  klog_close (&k);
  g_free (video);
  gst_harness_teardown (h);
}

int
main (int argc, char **argv)
{
  gchar *dir = NULL, *only = NULL, *visl = NULL;
  gint expect = -1;
  GOptionEntry entries[] = { { "streams", 0, 0, G_OPTION_ARG_STRING, &dir,
                                 "Folder made by fwht-streams.sh", "DIR" },
    { "only", 0, 0, G_OPTION_ARG_STRING, &only,
        "Run one test: scribble, appsink-restart, appsink-seek, metadata, "
        "replaced-memory",
        "NAME" },
    { "scribble-visl", 0, 0, G_OPTION_ARG_STRING, &visl,
        "The scribbling downstream on visl: h264|vp9, then the stream",
        "CODEC" },
    { "expect-frames", 0, 0, G_OPTION_ARG_INT, &expect,
        "With --scribble-visl: the software decoder's frame count (default: "
        "decode with avdec_CODEC here)",
        "N" },
    { NULL } };
  GOptionContext *ctx;
  GError *error = NULL;
  struct utsname un;
  gchar *prefix;
  Stream *st;

  ctx = g_option_context_new ("- who owns a decoded buffer (issue #10)");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || (!dir && !visl) ||
      (visl && argc < 2)) {
    g_printerr ("%s\n",
        error ? error->message : "--streams DIR or --scribble-visl CODEC FILE");
    return 2;
  }
  g_option_context_free (ctx);
  uname (&un);

  if (visl) {
    ktest_begin (un.release);
    test_scribble_visl (visl, argv[1], expect);
    return ktest_end ();
  }

  prefix = g_strdup_printf ("%s vicodec", un.release);
  ktest_begin (prefix);
  g_free (prefix);
  st = stream_load (dir, "single");
  if (st->n_frames < 10 || !gst_element_factory_find ("v4l2elasticfwhtdec")) {
    ktest_result (FALSE,
        "the stream (%u frames) and v4l2elasticfwhtdec are "
        "there",
        st->n_frames);
    return ktest_end ();
  }
#define RUN(n, call)                                                           \
  if (!only || g_str_equal (only, n))                                          \
  call
  if (!only || g_str_equal (only, "scribble")) {
    Stream *textured = stream_load (dir, "textured");

    if (textured->n_frames >= 2)
      test_scribble_vicodec (textured);
    else
      ktest_result (FALSE, "scribble: the textured stream is there");
  }
  RUN ("appsink-restart", test_appsink_hold (st, TRUE));
  RUN ("appsink-seek", test_appsink_hold (st, FALSE));
  RUN ("metadata", test_metadata (st));
  RUN ("replaced-memory", test_replaced_memory (st));
#undef RUN
  return ktest_end ();
}
