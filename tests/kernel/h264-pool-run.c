/* gst-v4l2-elastic
 *
 * One H.264, VP8 or VP9 decode through a V4L2 stateless decoder, observed
 * from three sides, for the elastic-behaviour tests
 * (tests/kernel/h264-elastic-visl.sh), the benchmarks
 * (tests/bench/run-h264-bench.sh, run-vpx-bench.sh) and tools/demo:
 *
 * - the stream: H.264: every new SPS (size, max_num_ref_frames, the VUI's
 *   max_dec_frame_buffering and max_num_reorder_frames) and how many
 *   pictures follow it, parsed here from the file with the codec parsers;
 *   VP8/VP9 (IVF): every change of the shown frame size, key or inter,
 *   and how many shown frames follow it (vpx-stream.c);
 * - the kernel: the decoder's video node logs every buffer ioctl with its
 *   arguments (dev_debug = 3, read from /dev/kmsg); replaying REQBUFS,
 *   CREATE_BUFS, REMOVE_BUFS and the CAPTURE format gives the CAPTURE
 *   buffers and bytes the kernel holds, the same way for any element;
 * - the element: its bus messages and, when it has one, `pool-stats`.
 *
 * Downstream keeps the last K frames (announcing K in the ALLOCATION
 * query); with --verify each held frame's checksum is taken again when it
 * is let go, so a buffer recycled or freed under downstream shows up.
 *
 *   v4l2elastic-h264-pool-run [--codec h264|vp8|vp9] [--decoder NAME]
 *       [--hold K] [--verify] [--label L] [--device-name visl] FILE
 *
 * FILE is an H.264 byte stream (h264parse) or an IVF file (ivfparse; for
 * VP9 then vp9parse, as upstream's v4l2slvp9dec takes only
 * alignment=frame: the same pipeline for every decoder).
 * Output frames belong to a segment by their position (H.264: all
 * pictures of a sequence come out before the next IDR's) or, for VP8/VP9,
 * by their PTS: the packet that carried it, so that a decoder that drops
 * frames does not shift the count.
 *
 * Output lines (comma separated):
 *   sps,SEGMENT,WIDTH,HEIGHT,NUM_REF_FRAMES,MAX_DEC_FRAME_BUFFERING,
 *       NUM_REORDER_FRAMES,PICTURES                  (H.264)
 *   size,SEGMENT,WIDTH,HEIGHT,key|inter,PICTURES     (VP8/VP9)
 *   frame,LABEL,N,MS,WIDTH,HEIGHT,SEGMENT,KERNEL_BUFFERS,KERNEL_BYTES,DELAY,
 *       PTS
 *   ioctl,LABEL,FRAMES_SO_FAR,MS,WHAT,DETAIL       (CAPTURE queue only)
 *   event,LABEL,FRAMES_SO_FAR,MS,EVENT,BUFFERS,BYTES,TARGET,WIDTH,HEIGHT
 *   summary,LABEL,KEY,VALUE
 * Exit status 0 when the tool itself worked (a decoder error is reported
 * as summary "error", not as the exit status); 2 on bad usage or input.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gst/codecparsers/gsth264parser.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include "vpx-stream.h"

#define MAX_SLOTS 64
#define MAX_SEGMENTS 16

/* --- the stream -------------------------------------------------------------
 */

typedef struct
{
  guint width, height;
  guint num_ref_frames;
  gint max_dec_frame_buffering; /* -1: no bitstream restriction */
  gint num_reorder_frames;      /* -1: no bitstream restriction */
  gboolean key;                 /* VP8/VP9: starts with a key frame */
  guint pictures;
} Segment;

/* A new segment starts at every SPS whose bytes differ from the one
 * before; pictures are counted as slices with first_mb_in_slice 0. */
static guint
parse_stream (const gchar *path, Segment *segs)
{
  GstH264NalParser *parser = gst_h264_nal_parser_new ();
  gchar *data = NULL;
  gsize size = 0, offset = 0;
  GBytes *last_sps = NULL;
  guint n = 0;
  GstH264NalUnit nalu;

  if (!g_file_get_contents (path, &data, &size, NULL)) {
    gst_h264_nal_parser_free (parser);
    return 0;
  }
  for (;;) {
    GstH264ParserResult res = gst_h264_parser_identify_nalu (
        parser, (guint8 *) data, offset, size, &nalu);

    if (res != GST_H264_PARSER_OK && res != GST_H264_PARSER_NO_NAL_END)
      break;
    if (nalu.type == GST_H264_NAL_SPS) {
      GstH264SPS sps;
      GBytes *bytes = g_bytes_new (nalu.data + nalu.offset, nalu.size);

      if (gst_h264_parser_parse_sps (parser, &nalu, &sps) ==
              GST_H264_PARSER_OK &&
          (!last_sps || !g_bytes_equal (bytes, last_sps)) && n < MAX_SEGMENTS) {
        Segment *s = &segs[n++];

        s->width = sps.width;
        s->height = sps.height;
        s->num_ref_frames = sps.num_ref_frames;
        s->max_dec_frame_buffering = -1;
        s->num_reorder_frames = -1;
        if (sps.vui_parameters_present_flag &&
            sps.vui_parameters.bitstream_restriction_flag) {
          s->max_dec_frame_buffering =
              sps.vui_parameters.max_dec_frame_buffering;
          s->num_reorder_frames = sps.vui_parameters.num_reorder_frames;
        }
        s->pictures = 0;
        if (last_sps)
          g_bytes_unref (last_sps);
        last_sps = bytes;
        bytes = NULL;
      }
      if (bytes)
        g_bytes_unref (bytes);
      gst_h264_sps_clear (&sps);
    } else if (nalu.type == GST_H264_NAL_PPS) {
      GstH264PPS pps;

      if (gst_h264_parser_parse_pps (parser, &nalu, &pps) == GST_H264_PARSER_OK)
        gst_h264_pps_clear (&pps);
    } else if ((nalu.type == GST_H264_NAL_SLICE ||
                   nalu.type == GST_H264_NAL_SLICE_IDR) &&
        n > 0 && nalu.size > nalu.header_bytes &&
        (nalu.data[nalu.offset + nalu.header_bytes] & 0x80)) {
      /* ue(v) 0 is the single bit 1: the first slice of a picture. */
      segs[n - 1].pictures++;
    }
    offset = nalu.offset + nalu.size;
    if (offset >= size)
      break;
  }
  if (last_sps)
    g_bytes_unref (last_sps);
  g_free (data);
  gst_h264_nal_parser_free (parser);
  return n;
}

/* VP8/VP9: a segment per change of the shown size; PACKET_SEG gets the
 * segment of each IVF packet's shown frame (-1: shows none). */
static guint
parse_ivf (
    const gchar *path, const gchar *codec, Segment *segs, GArray *packet_seg)
{
  GError *error = NULL;
  GArray *packets = vpx_stream_parse (path, codec, &error);
  guint n = 0, i;

  if (!packets) {
    g_printerr ("%s\n", error->message);
    g_clear_error (&error);
    return 0;
  }
  for (i = 0; i < packets->len; i++) {
    VpxPacket *p = &g_array_index (packets, VpxPacket, i);
    gint seg = -1;

    if (p->shows) {
      if (n == 0 || segs[n - 1].width != p->width ||
          segs[n - 1].height != p->height) {
        if (n == MAX_SEGMENTS)
          break;
        memset (&segs[n], 0, sizeof (Segment));
        segs[n].width = p->width;
        segs[n].height = p->height;
        segs[n].key = p->key;
        n++;
      }
      segs[n - 1].pictures++;
      seg = n - 1;
    }
    g_array_append_val (packet_seg, seg);
  }
  g_array_unref (packets);
  return n;
}

/* --- the kernel's account of the CAPTURE queue ------------------------------
 */

typedef struct
{
  gint fd;
  gchar *prefix; /* "videoN: " */
  gchar *ctl;    /* its dev_debug file */
  guint64 slot_bytes[MAX_SLOTS];
  guint64 cur_sizeimage; /* of the CAPTURE format last set or read */
  /* A CAPTURE format line whose "plane N:" lines are still to come. */
  enum
  {
    PENDING_NONE,
    PENDING_FMT,
    PENDING_CREATE
  } pending;
  guint pending_index, pending_count;
  guint64 pending_bytes;
  guint buffers, peak_buffers;
  guint64 bytes, peak_bytes;
  guint creates, removes, reqbufs_alloc, reqbufs_free, streamoffs;
} KernelLog;

static const gchar *label = "run";
static gint64 start_us;
static guint frames_out;

static gint64
now_ms (void)
{
  return (g_get_monotonic_time () - start_us) / 1000;
}

static guint64
field (const gchar *line, const gchar *name)
{
  const gchar *p = strstr (line, name);

  return p ? g_ascii_strtoull (p + strlen (name), NULL, 10) : 0;
}

static void
recount (KernelLog *k)
{
  guint i;

  k->buffers = 0;
  k->bytes = 0;
  for (i = 0; i < MAX_SLOTS; i++) {
    if (k->slot_bytes[i]) {
      k->buffers++;
      k->bytes += k->slot_bytes[i];
    }
  }
  k->peak_buffers = MAX (k->peak_buffers, k->buffers);
  k->peak_bytes = MAX (k->peak_bytes, k->bytes);
}

static void
finish_pending (KernelLog *k)
{
  guint i;

  if (k->pending == PENDING_FMT) {
    k->cur_sizeimage = k->pending_bytes;
  } else if (k->pending == PENDING_CREATE) {
    for (i = k->pending_index;
         i < k->pending_index + k->pending_count && i < MAX_SLOTS; i++)
      k->slot_bytes[i] = k->pending_bytes;
    recount (k);
  }
  k->pending = PENDING_NONE;
}

static gboolean
kernel_log_open (KernelLog *k, const gchar *device_name)
{
  GDir *dir = g_dir_open ("/sys/class/video4linux", 0, NULL);
  const gchar *entry;
  FILE *f;

  memset (k, 0, sizeof (*k));
  k->fd = -1;
  while (dir && (entry = g_dir_read_name (dir))) {
    gchar *name_path =
        g_strdup_printf ("/sys/class/video4linux/%s/name", entry);
    gchar *name = NULL;

    if (g_file_get_contents (name_path, &name, NULL, NULL) &&
        g_strcmp0 (g_strstrip (name), device_name) == 0 && !k->prefix) {
      k->prefix = g_strdup_printf ("%s: ", entry);
      k->ctl = g_strdup_printf ("/sys/class/video4linux/%s/dev_debug", entry);
    }
    g_free (name);
    g_free (name_path);
  }
  if (dir)
    g_dir_close (dir);
  if (!k->prefix) {
    g_printerr ("no video node named %s\n", device_name);
    return FALSE;
  }
  /* Arguments of every ioctl but QBUF/DQBUF; sysfs is written in place. */
  f = fopen (k->ctl, "w");
  if (!f || fputs ("3", f) < 0 || fclose (f) != 0) {
    g_printerr ("cannot enable %s: %s\n", k->ctl, g_strerror (errno));
    return FALSE;
  }
  k->fd = open ("/dev/kmsg", O_RDONLY | O_NONBLOCK);
  if (k->fd < 0) {
    g_printerr ("/dev/kmsg: %s\n", g_strerror (errno));
    return FALSE;
  }
  lseek (k->fd, 0, SEEK_END);
  return TRUE;
}

static void log_ioctl (const gchar *what, const gchar *fmt, ...)
    G_GNUC_PRINTF (2, 3);

static void
log_ioctl (const gchar *what, const gchar *fmt, ...)
{
  va_list ap;
  gchar *detail;

  va_start (ap, fmt);
  detail = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  printf ("ioctl,%s,%u,%" G_GINT64_FORMAT ",%s,%s\n", label, frames_out,
      now_ms (), what, detail);
  g_free (detail);
}

static void
kernel_record (KernelLog *k, const gchar *msg)
{
  gboolean cap;

  if (g_str_has_prefix (msg, "plane ")) {
    if (k->pending != PENDING_NONE)
      k->pending_bytes += field (msg, "sizeimage=");
    return;
  }
  finish_pending (k);
  if (!g_str_has_prefix (msg, k->prefix) || strstr (msg, ": error "))
    return;
  msg += strlen (k->prefix);
  cap = strstr (msg, "type=vid-cap") != NULL;
  if (!cap)
    return;

  if (g_str_has_prefix (msg, "VIDIOC_S_FMT:") ||
      g_str_has_prefix (msg, "VIDIOC_G_FMT:")) {
    k->pending = PENDING_FMT;
    k->pending_bytes = field (msg, " sizeimage=");
  } else if (g_str_has_prefix (msg, "VIDIOC_CREATE_BUFS:")) {
    guint count = field (msg, "count=");

    if (count == 0)
      return;
    k->creates += count;
    k->pending = PENDING_CREATE;
    k->pending_index = field (msg, "index=");
    k->pending_count = count;
    k->pending_bytes = field (msg, " sizeimage=");
    log_ioctl ("CREATE_BUFS", "index %u count %u", k->pending_index, count);
  } else if (g_str_has_prefix (msg, "VIDIOC_REMOVE_BUFS:")) {
    guint index = field (msg, "index="), count = field (msg, "count="), i;

    k->removes += count;
    for (i = index; i < index + count && i < MAX_SLOTS; i++)
      k->slot_bytes[i] = 0;
    recount (k);
    if (count)
      log_ioctl ("REMOVE_BUFS", "index %u count %u", index, count);
  } else if (g_str_has_prefix (msg, "VIDIOC_REQBUFS:")) {
    guint count = field (msg, "count="), i;

    /* REQBUFS(0) on an empty queue probes capabilities; only one that
     * frees buffers, or one that allocates, counts. */
    if (count == 0 && k->buffers > 0) {
      k->reqbufs_free++;
      log_ioctl ("REQBUFS", "count 0 (frees %u)", k->buffers);
    } else if (count > 0) {
      k->reqbufs_alloc++;
      log_ioctl ("REQBUFS", "count %u", count);
    }
    for (i = 0; i < MAX_SLOTS; i++)
      k->slot_bytes[i] = i < count ? k->cur_sizeimage : 0;
    recount (k);
  } else if (g_str_has_prefix (msg, "VIDIOC_STREAMOFF:")) {
    k->streamoffs++;
    log_ioctl ("STREAMOFF", "CAPTURE");
  }
}

/* Reads what the kernel logged since the last call. */
static void
kernel_log_update (KernelLog *k)
{
  gchar record[8192];
  gssize n;

  if (k->fd < 0)
    return;
  while ((n = read (k->fd, record, sizeof (record) - 1)) > 0 ||
      (n < 0 && errno == EPIPE)) {
    gchar *msg, *end;

    if (n < 0)
      continue;
    record[n] = '\0';
    msg = strchr (record, ';');
    if (!msg)
      continue;
    msg++;
    end = strchr (msg, '\n');
    if (end)
      *end = '\0';
    kernel_record (k, msg);
  }
  finish_pending (k);
}

static void
kernel_log_close (KernelLog *k)
{
  FILE *f = k->ctl ? fopen (k->ctl, "w") : NULL;

  if (f) {
    fputs ("0", f);
    fclose (f);
  }
  if (k->fd >= 0)
    close (k->fd);
  g_free (k->prefix);
  g_free (k->ctl);
}

/* --- downstream -------------------------------------------------------------
 */

typedef struct
{
  GstBuffer *buffer;
  gchar *checksum;
  guint segment;
} Held;

typedef struct
{
  KernelLog kernel;
  Segment segs[MAX_SEGMENTS];
  guint n_segs;
  guint hold;
  gboolean verify;
  GQueue held;
  GstElement *dec;
  gboolean has_stats;
  guint inputs;       /* buffers into the decoder */
  gboolean by_pts;    /* VP8/VP9: frames belong to segments by PTS */
  GArray *input_pts;  /* of each IVF packet */
  GArray *packet_seg; /* segment of each IVF packet, -1: none shown */
  guint max_delay;    /* inputs - outputs, at an output, before EOS */
  gboolean input_eos;
  guint width, height;
  gint64 last_frame_ms; /* of the last frame output */
  guint cur_seg;
  guint checksum_failures;
  guint held_across_change; /* frames let go after a newer segment began */
  guint64 seg_last_bytes[MAX_SEGMENTS], seg_peak_bytes[MAX_SEGMENTS];
  guint seg_last_buffers[MAX_SEGMENTS];
  guint seg_frames[MAX_SEGMENTS];
  gint64 gap_ms[MAX_SEGMENTS]; /* between segment i-1's last frame and i's
                                * first */
  GMutex lock;
} Run;

static gchar *
buffer_checksum (GstBuffer *buffer)
{
  GstMapInfo map;
  gchar *sum;

  if (!gst_buffer_map (buffer, &map, GST_MAP_READ))
    return g_strdup ("unmappable");
  sum = g_compute_checksum_for_data (G_CHECKSUM_MD5, map.data, map.size);
  gst_buffer_unmap (buffer, &map);
  return sum;
}

/* Returns the held buffer for the caller to unref once it has dropped
 * r->lock: the last unref returns it to the decoder's pool, which may post
 * a pool message, and on_bus() takes r->lock. */
static GstBuffer *
release_held (Run *r, Held *h)
{
  GstBuffer *buffer = h->buffer;

  if (r->verify) {
    gchar *again = buffer_checksum (h->buffer);

    if (g_strcmp0 (again, h->checksum) != 0)
      r->checksum_failures++;
    g_free (again);
  }
  if (h->segment < r->cur_seg)
    r->held_across_change++;
  g_free (h->checksum);
  g_free (h);
  return buffer;
}

static GstPadProbeReturn
allocation_probe (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Run *r = user_data;
  GstQuery *query = GST_PAD_PROBE_INFO_QUERY (info);

  if (GST_QUERY_TYPE (query) != GST_QUERY_ALLOCATION)
    return GST_PAD_PROBE_OK;
  gst_query_add_allocation_meta (query, GST_VIDEO_META_API_TYPE, NULL);
  gst_query_add_allocation_pool (query, NULL, 0, r->hold, 0);
  return GST_PAD_PROBE_HANDLED;
}

static GstPadProbeReturn
input_probe (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Run *r = user_data;

  g_mutex_lock (&r->lock);
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER)
    r->inputs++;
  else if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_EOS)
    r->input_eos = TRUE;
  g_mutex_unlock (&r->lock);
  return GST_PAD_PROBE_OK;
}

/* The PTS of each IVF packet, at ivfparse's source pad (before vp9parse,
 * which may split a superframe). */
static GstPadProbeReturn
packet_probe (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Run *r = user_data;
  GstClockTime pts = GST_BUFFER_PTS (GST_PAD_PROBE_INFO_BUFFER (info));

  g_mutex_lock (&r->lock);
  g_array_append_val (r->input_pts, pts);
  g_mutex_unlock (&r->lock);
  return GST_PAD_PROBE_OK;
}

/* Which segment the n-th output frame (from 0) belongs to: pictures of a
 * segment are all output before the next one's IDR. */
static guint
segment_of (Run *r, guint n, GstClockTime pts)
{
  guint i, sum = 0;

  /* ivfparse gives one buffer per IVF packet, in file order. */
  if (r->by_pts && GST_CLOCK_TIME_IS_VALID (pts)) {
    for (i = 0; i < r->input_pts->len && i < r->packet_seg->len; i++) {
      gint seg = g_array_index (r->packet_seg, gint, i);

      if (g_array_index (r->input_pts, GstClockTime, i) == pts && seg >= 0)
        return seg;
    }
  }

  for (i = 0; i < r->n_segs; i++) {
    sum += r->segs[i].pictures;
    if (n < sum)
      return i;
  }
  return r->n_segs ? r->n_segs - 1 : 0;
}

static void
on_handoff (GstElement *sink, GstBuffer *buffer, GstPad *pad, gpointer data)
{
  Run *r = data;
  GstVideoMeta *meta = gst_buffer_get_video_meta (buffer);
  GPtrArray *drop =
      g_ptr_array_new_with_free_func ((GDestroyNotify) gst_buffer_unref);
  gint64 ms;
  guint delay, seg;
  Held *h;

  g_mutex_lock (&r->lock);
  kernel_log_update (&r->kernel);
  ms = now_ms ();
  seg = segment_of (r, frames_out, GST_BUFFER_PTS (buffer));
  if (frames_out > 0 && seg != r->cur_seg)
    r->gap_ms[seg] = ms - r->last_frame_ms;
  r->cur_seg = seg;
  r->last_frame_ms = ms;
  if (meta) {
    r->width = meta->width;
    r->height = meta->height;
  } else {
    GstCaps *caps = gst_pad_get_current_caps (pad);
    GstVideoInfo info;

    if (caps && gst_video_info_from_caps (&info, caps)) {
      r->width = GST_VIDEO_INFO_WIDTH (&info);
      r->height = GST_VIDEO_INFO_HEIGHT (&info);
    }
    if (caps)
      gst_caps_unref (caps);
  }
  frames_out++;
  delay = r->inputs >= frames_out ? r->inputs - frames_out : 0;
  if (!r->input_eos)
    r->max_delay = MAX (r->max_delay, delay);

  h = g_new0 (Held, 1);
  h->buffer = gst_buffer_ref (buffer);
  h->checksum = r->verify ? buffer_checksum (buffer) : NULL;
  h->segment = seg;
  g_queue_push_tail (&r->held, h);
  while (g_queue_get_length (&r->held) > r->hold)
    g_ptr_array_add (drop, release_held (r, g_queue_pop_head (&r->held)));

  /* What the kernel holds once this frame is out. */
  kernel_log_update (&r->kernel);
  r->seg_frames[seg]++;
  r->seg_last_bytes[seg] = r->kernel.bytes;
  r->seg_last_buffers[seg] = r->kernel.buffers;
  r->seg_peak_bytes[seg] = MAX (r->seg_peak_bytes[seg], r->kernel.bytes);
  printf ("frame,%s,%u,%" G_GINT64_FORMAT ",%u,%u,%u,%u,%" G_GUINT64_FORMAT
          ",%u,%" G_GUINT64_FORMAT "\n",
      label, frames_out, ms, r->width, r->height, seg, r->kernel.buffers,
      r->kernel.bytes, delay, GST_BUFFER_PTS (buffer));
  g_mutex_unlock (&r->lock);
  g_ptr_array_unref (drop);
}

static GstBusSyncReply
on_bus (GstBus *bus, GstMessage *msg, gpointer data)
{
  Run *r = data;
  const GstStructure *s = gst_message_get_structure (msg);
  const gchar *event;
  guint buffers = 0, target = 0, w = 0, h = 0;
  guint64 bytes = 0;

  if (GST_MESSAGE_TYPE (msg) != GST_MESSAGE_ELEMENT || !s ||
      !gst_structure_has_name (s, "v4l2elastic-pool"))
    return GST_BUS_PASS;
  event = gst_structure_get_string (s, "event");
  gst_structure_get_uint (s, "buffers", &buffers);
  gst_structure_get_uint64 (s, "bytes", &bytes);
  gst_structure_get_uint (s, "target", &target);
  gst_structure_get_uint (s, "width", &w);
  gst_structure_get_uint (s, "height", &h);
  g_mutex_lock (&r->lock);
  kernel_log_update (&r->kernel);
  printf ("event,%s,%u,%" G_GINT64_FORMAT ",%s,%u,%" G_GUINT64_FORMAT
          ",%u,%u,%u\n",
      label, frames_out, now_ms (), event ? event : "?", buffers, bytes, target,
      w, h);
  g_mutex_unlock (&r->lock);
  return GST_BUS_PASS;
}

static gdouble
process_cpu_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

#define SUMMARY(key, fmt, ...)                                                 \
  printf ("summary,%s," key "," fmt "\n", label, __VA_ARGS__)

int
main (int argc, char **argv)
{
  gchar *codec = g_strdup ("h264");
  gchar *decoder = NULL;
  gchar *device_name = g_strdup ("visl");
  gchar *label_opt = NULL;
  gint hold = 0;
  gboolean verify = FALSE;
  GOptionEntry entries[] = {
    { "codec", 0, 0, G_OPTION_ARG_STRING, &codec,
        "h264 (byte stream), vp8 or vp9 (IVF)", "CODEC" },
    { "decoder", 0, 0, G_OPTION_ARG_STRING, &decoder, "decoder element",
        "NAME (default: v4l2elasticCODECdec)" },
    { "hold", 0, 0, G_OPTION_ARG_INT, &hold,
        "downstream keeps the last K frames", "K" },
    { "verify", 0, 0, G_OPTION_ARG_NONE, &verify,
        "checksum held frames again when they are let go", NULL },
    { "label", 0, 0, G_OPTION_ARG_STRING, &label_opt, "label of the lines",
        "L" },
    { "device-name", 0, 0, G_OPTION_ARG_STRING, &device_name,
        "the video node's name in sysfs (none: no kernel log)", "NAME" },
    { NULL },
  };
  GOptionContext *ctx = g_option_context_new ("FILE");
  GError *error = NULL;
  Run r = { 0 };
  GstElement *pipeline, *sink;
  GstBus *bus;
  GstMessage *msg;
  GstPad *pad;
  GstQuery *latency;
  gchar *desc, *err_text = NULL;
  gdouble cpu0, cpu;
  gboolean eos = FALSE, live = FALSE;
  GstClockTime min_latency = GST_CLOCK_TIME_NONE, max_latency = 0;
  GstClockTime upstream_latency = GST_CLOCK_TIME_NONE;
  GstClockTime duration = GST_CLOCK_TIME_NONE;
  guint i;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || argc != 2 ||
      hold < 0) {
    g_printerr ("%s\n", error ? error->message : "usage: see --help");
    return 2;
  }
  g_option_context_free (ctx);
  if (label_opt)
    label = label_opt;
  if (g_strcmp0 (codec, "h264") != 0 && g_strcmp0 (codec, "vp8") != 0 &&
      g_strcmp0 (codec, "vp9") != 0) {
    g_printerr ("unknown codec %s (h264, vp8, vp9)\n", codec);
    return 2;
  }
  if (!decoder)
    decoder = g_strdup_printf ("v4l2elastic%sdec", codec);
  r.input_pts = g_array_new (FALSE, FALSE, sizeof (GstClockTime));
  r.packet_seg = g_array_new (FALSE, FALSE, sizeof (gint));

  if (g_strcmp0 (codec, "h264") == 0) {
    r.n_segs = parse_stream (argv[1], r.segs);
    if (r.n_segs == 0) {
      g_printerr ("%s: no SPS found\n", argv[1]);
      return 2;
    }
    for (i = 0; i < r.n_segs; i++)
      printf ("sps,%u,%u,%u,%u,%d,%d,%u\n", i, r.segs[i].width,
          r.segs[i].height, r.segs[i].num_ref_frames,
          r.segs[i].max_dec_frame_buffering, r.segs[i].num_reorder_frames,
          r.segs[i].pictures);
    desc = g_strdup_printf ("filesrc location=\"%s\" ! h264parse ! "
                            "video/x-h264,stream-format=byte-stream,"
                            "alignment=au ! %s name=dec ! fakesink name=sink "
                            "sync=false enable-last-sample=false "
                            "signal-handoffs=true",
        argv[1], decoder);
  } else {
    r.by_pts = TRUE;
    r.n_segs = parse_ivf (argv[1], codec, r.segs, r.packet_seg);
    if (r.n_segs == 0) {
      g_printerr ("%s: no shown frame found\n", argv[1]);
      return 2;
    }
    for (i = 0; i < r.n_segs; i++)
      printf ("size,%u,%u,%u,%s,%u\n", i, r.segs[i].width, r.segs[i].height,
          r.segs[i].key ? "key" : "inter", r.segs[i].pictures);
    desc = g_strdup_printf ("filesrc location=\"%s\" ! ivfparse name=parse ! "
                            "%s %s name=dec ! fakesink name=sink "
                            "sync=false enable-last-sample=false "
                            "signal-handoffs=true",
        argv[1], g_strcmp0 (codec, "vp9") == 0 ? "vp9parse !" : "", decoder);
  }
  pipeline = gst_parse_launch (desc, &error);
  g_free (desc);
  if (!pipeline || error) {
    g_printerr ("%s\n", error->message);
    return 2;
  }
  r.hold = hold;
  r.verify = verify;
  g_mutex_init (&r.lock);
  g_queue_init (&r.held);
  r.dec = gst_bin_get_by_name (GST_BIN (pipeline), "dec");
  r.has_stats = g_object_class_find_property (
                    G_OBJECT_GET_CLASS (r.dec), "pool-stats") != NULL;
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  g_signal_connect (sink, "handoff", G_CALLBACK (on_handoff), &r);
  pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (
      pad, GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM, allocation_probe, &r, NULL);
  gst_object_unref (pad);
  pad = gst_element_get_static_pad (r.dec, "sink");
  gst_pad_add_probe (pad,
      GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      input_probe, &r, NULL);
  gst_object_unref (pad);
  if (r.by_pts) {
    GstElement *parse = gst_bin_get_by_name (GST_BIN (pipeline), "parse");

    pad = gst_element_get_static_pad (parse, "src");
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, packet_probe, &r, NULL);
    gst_object_unref (pad);
    gst_object_unref (parse);
  }

  /* "none": no kernel log (a software decoder, for comparison). */
  if (g_strcmp0 (device_name, "none") == 0) {
    memset (&r.kernel, 0, sizeof (r.kernel));
    r.kernel.fd = -1;
  } else if (!kernel_log_open (&r.kernel, device_name)) {
    return 2;
  }
  bus = gst_element_get_bus (pipeline);
  gst_bus_set_sync_handler (bus, on_bus, &r, NULL);

  cpu0 = process_cpu_ms ();
  start_us = g_get_monotonic_time ();
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (
      bus, 300 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  cpu = process_cpu_ms () - cpu0;
  if (msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS) {
    eos = TRUE;
  } else if (msg) {
    GError *e = NULL;
    gchar *dbg = NULL;

    gst_message_parse_error (msg, &e, &dbg);
    err_text = g_strdup_printf ("%s (%s)", e->message, dbg ? dbg : "");
    g_strdelimit (err_text, ",\n", ';');
    g_clear_error (&e);
    g_free (dbg);
  } else {
    err_text = g_strdup ("timeout");
  }
  gst_clear_message (&msg);

  /* The kernel's state at EOS, before teardown stops the queues. */
  g_mutex_lock (&r.lock);
  kernel_log_update (&r.kernel);
  g_mutex_unlock (&r.lock);

  /* What the decoder says its output delay is, with the stream known. */
  latency = gst_query_new_latency ();
  pad = gst_element_get_static_pad (r.dec, "src");
  if (gst_pad_query (pad, latency))
    gst_query_parse_latency (latency, &live, &min_latency, &max_latency);
  gst_object_unref (pad);
  gst_query_unref (latency);
  /* The parser upstream adds its own (h264parse: one frame); the
   * decoder's share is the difference. */
  latency = gst_query_new_latency ();
  pad = gst_element_get_static_pad (r.dec, "sink");
  if (gst_pad_peer_query (pad, latency))
    gst_query_parse_latency (latency, &live, &upstream_latency, NULL);
  gst_object_unref (pad);
  gst_query_unref (latency);
  pad = gst_element_get_static_pad (r.dec, "sink");
  {
    GstCaps *caps = gst_pad_get_current_caps (pad);
    gint fps_n = 0, fps_d = 1;

    if (caps &&
        gst_structure_get_fraction (
            gst_caps_get_structure (caps, 0), "framerate", &fps_n, &fps_d) &&
        fps_n > 0)
      duration = gst_util_uint64_scale_int (GST_SECOND, fps_d, fps_n);
    if (caps)
      gst_caps_unref (caps);
  }
  gst_object_unref (pad);

  SUMMARY ("decoder", "%s", decoder);
  SUMMARY ("frames", "%u", frames_out);
  SUMMARY ("eos", "%d", eos);
  SUMMARY ("error", "%s", err_text ? err_text : "");
  SUMMARY ("hold", "%d", hold);
  SUMMARY ("segments", "%u", r.n_segs);
  {
    guint pictures = 0;

    for (i = 0; i < r.n_segs; i++)
      pictures += r.segs[i].pictures;
    SUMMARY ("pictures", "%u", pictures);
  }
  for (i = 0; i < r.n_segs; i++) {
    if (r.by_pts) {
      SUMMARY (
          "segment_%u_size", "%ux%u", i, r.segs[i].width, r.segs[i].height);
      SUMMARY (
          "segment_%u_starts_with", "%s", i, r.segs[i].key ? "key" : "inter");
      SUMMARY ("segment_%u_pictures", "%u", i, r.segs[i].pictures);
    } else {
      SUMMARY ("segment_%u_num_ref_frames", "%u", i, r.segs[i].num_ref_frames);
    }
    SUMMARY ("segment_%u_frames", "%u", i, r.seg_frames[i]);
    SUMMARY ("segment_%u_last_buffers", "%u", i, r.seg_last_buffers[i]);
    SUMMARY (
        "segment_%u_last_bytes", "%" G_GUINT64_FORMAT, i, r.seg_last_bytes[i]);
    SUMMARY (
        "segment_%u_peak_bytes", "%" G_GUINT64_FORMAT, i, r.seg_peak_bytes[i]);
    if (i > 0 && r.seg_frames[i] > 0)
      SUMMARY ("gap_ms_%u", "%" G_GINT64_FORMAT, i, r.gap_ms[i]);
  }
  SUMMARY ("kernel_buffers_at_eos", "%u", r.kernel.buffers);
  SUMMARY ("kernel_bytes_at_eos", "%" G_GUINT64_FORMAT, r.kernel.bytes);
  SUMMARY ("kernel_peak_buffers", "%u", r.kernel.peak_buffers);
  SUMMARY ("kernel_peak_bytes", "%" G_GUINT64_FORMAT, r.kernel.peak_bytes);
  SUMMARY ("kernel_create_bufs", "%u", r.kernel.creates);
  SUMMARY ("kernel_remove_bufs", "%u", r.kernel.removes);
  SUMMARY ("kernel_reqbufs_alloc", "%u", r.kernel.reqbufs_alloc);
  SUMMARY ("kernel_reqbufs_free", "%u", r.kernel.reqbufs_free);
  SUMMARY ("kernel_streamoff", "%u", r.kernel.streamoffs);
  SUMMARY ("cpu_ms", "%.1f", cpu);
  SUMMARY ("cpu_ms_per_frame", "%.3f", frames_out ? cpu / frames_out : 0.0);
  SUMMARY ("latency_ns", "%" G_GUINT64_FORMAT, min_latency);
  SUMMARY ("upstream_latency_ns", "%" G_GUINT64_FORMAT, upstream_latency);
  if (GST_CLOCK_TIME_IS_VALID (min_latency) &&
      GST_CLOCK_TIME_IS_VALID (upstream_latency))
    SUMMARY ("decoder_latency_ns", "%" G_GINT64_FORMAT,
        (gint64) (min_latency - upstream_latency));
  SUMMARY ("frame_duration_ns", "%" G_GUINT64_FORMAT, duration);
  SUMMARY ("measured_delay_frames", "%u", r.max_delay);
  if (r.has_stats) {
    GstStructure *stats = NULL;
    guint v = 0;

    g_object_get (r.dec, "pool-stats", &stats, NULL);
    gst_structure_get_uint (stats, "buffers", &v);
    SUMMARY ("element_buffers_at_eos", "%u", v);
    gst_structure_get_uint (stats, "reallocations", &v);
    SUMMARY ("element_reallocations", "%u", v);
    v = 0;
    gst_structure_get_uint (stats, "target", &v);
    SUMMARY ("element_target_at_eos", "%u", v);
    /* VP9 (docs/vp9.md): size changes taken on the elastic path, and
     * those where the driver refused the new size while busy. */
    if (gst_structure_get_uint (stats, "inter-resizes", &v))
      SUMMARY ("element_inter_resizes", "%u", v);
    if (gst_structure_get_uint (stats, "inter-resize-fallbacks", &v))
      SUMMARY ("element_inter_resize_fallbacks", "%u", v);
    gst_structure_free (stats);
  }

  while (!g_queue_is_empty (&r.held))
    gst_buffer_unref (release_held (&r, g_queue_pop_head (&r.held)));
  SUMMARY ("checksum_failures", "%u", r.checksum_failures);
  SUMMARY ("held_across_change", "%u", r.held_across_change);

  gst_element_set_state (pipeline, GST_STATE_NULL);
  kernel_log_close (&r.kernel);
  gst_bus_set_sync_handler (bus, NULL, NULL, NULL);
  gst_object_unref (bus);
  gst_object_unref (sink);
  gst_object_unref (r.dec);
  gst_object_unref (pipeline);
  g_free (err_text);
  g_array_unref (r.input_pts);
  g_array_unref (r.packet_seg);
  return 0;
}
