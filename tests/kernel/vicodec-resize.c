/* gst-v4l2-elastic
 *
 * v4l2elastic-vicodec-resize: resolution changes on vicodec's stateless
 * FWHT decoder, found through the media controller and driven through the
 * Request API.  Prints TAP version 13; exits 0 only when every test passed.
 *
 *   v4l2elastic-vicodec-resize --patched yes|no --streams DIR
 *
 * DIR holds small.fwht and large.fwht (FWHT streams as vicodec's stateful
 * encoder writes them: frames one after the other, each starting with its
 * frame header, each stream starting with an intra frame) and small.yuv
 * and large.yuv (their decodes by vicodec's stateful decoder, I420 frames
 * one after the other); tests/kernel/make-fwht-streams.sh writes them.
 *
 * With --patched yes the kernel carries
 * kernel/patches/<series>/...-media-vicodec-stateless-accept-resolution-...:
 * an OUTPUT S_FMT that keeps the pixel format is accepted while streaming,
 * CAPTURE buffers of the new size are added with CREATE_BUFS, old ones are
 * removed with REMOVE_BUFS, and buffers and references are checked against
 * each frame.  With --patched no (Debian's vicodec) that S_FMT fails with
 * EBUSY and the resolution changes through STREAMOFF and REQBUFS(0), which
 * is checked on both.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <linux/media.h>

#include <gst/gst.h>

#include "gstv4l2media.h"
#include "gstv4l2probe.h"
#include "ktest.h"
#include "v4l2-compat.h"

/* Frame header of the FWHT format (struct fwht_cframe_hdr in the kernel's
 * drivers/media/test-drivers/vicodec/codec-fwht.h): two magic words, then
 * big-endian version, width, height, flags, colorspace, xfer_func,
 * ycbcr_enc, quantization and the size of the compressed data that
 * follows the header. */
#define FWHT_HEADER_SIZE (11 * 4)
static const guint8 fwht_magic[8] = { 0x4f, 0x4f, 0x4f, 0x4f, 0xff, 0xff, 0xff,
  0xff };

#define MAX_BUFFERS 64
#define OUTPUT_BUFFERS 2
#define CAPTURE_BUFFERS 3
#define REQUEST_TIMEOUT_MS 10000

/* ------------------------------------------------------------ streams */

typedef struct
{
  const guint8 *data; /* compressed data, after the header */
  guint32 size;
  guint32 version;
  guint32 width;
  guint32 height;
  guint32 flags;
  guint32 colorspace;
  guint32 xfer_func;
  guint32 ycbcr_enc;
  guint32 quantization;
} Frame;

typedef struct
{
  const gchar *name;
  gchar *fwht;
  gsize fwht_len;
  GArray *frames; /* Frame */
  gchar *ref;     /* reference decode, I420 */
  gsize ref_len;
  guint width;
  guint height;
  gsize frame_size; /* bytes of one decoded I420 frame */
} Stream;

static guint32
read_be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) |
      ((guint32) p[2] << 8) | p[3];
}

static void
stream_clear (Stream *s)
{
  g_free (s->fwht);
  g_free (s->ref);
  if (s->frames)
    g_array_unref (s->frames);
  memset (s, 0, sizeof (*s));
}

/* Splits DIR/NAME.fwht into frames and loads DIR/NAME.yuv.  All frames of
 * a stream have one size, a multiple of 16 so that the decoder fills the
 * whole I420 frame and frames compare with memcmp(). */
static gboolean
stream_load (Stream *s, const gchar *dir, const gchar *name)
{
  gchar *path;
  GError *error = NULL;
  gsize off = 0;

  memset (s, 0, sizeof (*s));
  s->name = name;
  s->frames = g_array_new (FALSE, TRUE, sizeof (Frame));

  path = g_strdup_printf ("%s/%s.fwht", dir, name);
  if (!g_file_get_contents (path, &s->fwht, &s->fwht_len, &error))
    goto fail;
  g_free (path);
  path = g_strdup_printf ("%s/%s.yuv", dir, name);
  if (!g_file_get_contents (path, &s->ref, &s->ref_len, &error))
    goto fail;

  while (off < s->fwht_len) {
    const guint8 *p = (const guint8 *) s->fwht + off;
    Frame f;

    if (s->fwht_len - off < FWHT_HEADER_SIZE ||
        memcmp (p, fwht_magic, sizeof (fwht_magic)) != 0) {
      ktest_diag (
          "%s.fwht: no frame header at offset %" G_GSIZE_FORMAT, name, off);
      goto fail_quiet;
    }
    f.version = read_be32 (p + 8);
    f.width = read_be32 (p + 12);
    f.height = read_be32 (p + 16);
    f.flags = read_be32 (p + 20);
    f.colorspace = read_be32 (p + 24);
    f.xfer_func = read_be32 (p + 28);
    f.ycbcr_enc = read_be32 (p + 32);
    f.quantization = read_be32 (p + 36);
    f.size = read_be32 (p + 40);
    f.data = p + FWHT_HEADER_SIZE;
    if (f.size > s->fwht_len - off - FWHT_HEADER_SIZE) {
      ktest_diag ("%s.fwht: frame %u at offset %" G_GSIZE_FORMAT
                  " is cut short",
          name, s->frames->len, off);
      goto fail_quiet;
    }
    if (s->frames->len == 0) {
      s->width = f.width;
      s->height = f.height;
    } else if (f.width != s->width || f.height != s->height) {
      ktest_diag ("%s.fwht: frame %u is %ux%u, the stream is %ux%u", name,
          s->frames->len, f.width, f.height, s->width, s->height);
      goto fail_quiet;
    }
    g_array_append_val (s->frames, f);
    off += FWHT_HEADER_SIZE + f.size;
  }

  if (s->frames->len < 10 || s->width % 16 || s->height % 16) {
    ktest_diag (
        "%s.fwht: want at least 10 frames of a size in multiples of 16, "
        "got %u of %ux%u",
        name, s->frames->len, s->width, s->height);
    goto fail_quiet;
  }
  if (!(g_array_index (s->frames, Frame, 0).flags & V4L2_FWHT_FL_I_FRAME)) {
    ktest_diag ("%s.fwht: does not start with an intra frame", name);
    goto fail_quiet;
  }
  s->frame_size = (gsize) s->width * s->height * 3 / 2;
  if (s->ref_len != s->frame_size * s->frames->len) {
    ktest_diag ("%s.yuv: %" G_GSIZE_FORMAT
                " bytes, want %u frames of %" G_GSIZE_FORMAT,
        name, s->ref_len, s->frames->len, s->frame_size);
    goto fail_quiet;
  }
  ktest_diag (
      "%s: %u frames of %ux%u", name, s->frames->len, s->width, s->height);
  g_free (path);
  return TRUE;

fail:
  ktest_diag ("%s", error->message);
  g_clear_error (&error);
fail_quiet:
  g_free (path);
  return FALSE;
}

static const Frame *
stream_frame (const Stream *s, guint i)
{
  return &g_array_index (s->frames, Frame, i);
}

/* ------------------------------------------------------------ decoder */

typedef struct
{
  gpointer addr;
  gsize len;
} Buffer;

typedef struct
{
  const GstV4l2ElasticDecoderNode *node;
  gboolean mplane;
  gint fd;
  gint media_fd;
  guint32 out_type;
  guint32 cap_type;
  gboolean remove_bufs; /* the CAPTURE queue supports REMOVE_BUFS */
  Buffer out[MAX_BUFFERS];
  Buffer cap[MAX_BUFFERS];
  guint64 next_ts; /* in seconds; timestamps are unique per session */
} Decoder;

typedef struct
{
  gint err;          /* 0, or the errno of the failed step */
  guint32 flags;     /* of the dequeued CAPTURE buffer */
  guint32 bytesused; /* of the dequeued CAPTURE buffer */
  guint64 ts;        /* timestamp given to the frame, in ns */
} Result;

static guint64
ts_ns (guint64 seconds)
{
  return seconds * G_GUINT64_CONSTANT (1000000000);
}

static void
fmt_set (struct v4l2_format *f, guint32 type, guint32 pixelformat,
    guint32 width, guint32 height)
{
  memset (f, 0, sizeof (*f));
  f->type = type;
  if (V4L2_TYPE_IS_MULTIPLANAR (type)) {
    f->fmt.pix_mp.pixelformat = pixelformat;
    f->fmt.pix_mp.width = width;
    f->fmt.pix_mp.height = height;
    f->fmt.pix_mp.num_planes = 1;
  } else {
    f->fmt.pix.pixelformat = pixelformat;
    f->fmt.pix.width = width;
    f->fmt.pix.height = height;
  }
}

static void
diag_fmt (const gchar *what, const struct v4l2_format *f)
{
  gchar *fourcc = gst_v4l2_elastic_fourcc_to_string (ktest_fmt_pixelformat (f));

  ktest_diag ("%s: %s %ux%u, bytesperline %u, sizeimage %u", what, fourcc,
      ktest_fmt_width (f), ktest_fmt_height (f), ktest_fmt_bytesperline (f),
      ktest_fmt_sizeimage (f));
  g_free (fourcc);
}

/* S_FMT (or TRY_FMT, G_FMT) of @type; returns 0 or the errno. */
static gint
dec_fmt (Decoder *d, gulong request, guint32 type, guint32 pixelformat,
    guint32 width, guint32 height, struct v4l2_format *f)
{
  if (request == VIDIOC_G_FMT) {
    memset (f, 0, sizeof (*f));
    f->type = type;
  } else {
    fmt_set (f, type, pixelformat, width, height);
  }
  return ktest_ioctl (d->fd, request, f);
}

/* Coded format on OUTPUT, I420 of the same size on CAPTURE, as a client
 * that follows the stateless decoder interface sets them. */
static gboolean
dec_set_formats (Decoder *d, guint width, guint height)
{
  struct v4l2_format f;

  if (!ktest_expect_errno (dec_fmt (d, VIDIOC_S_FMT, d->out_type,
                               V4L2_PIX_FMT_FWHT_STATELESS, width, height, &f),
          0, "S_FMT(OUTPUT, SFWH %ux%u)", width, height))
    return FALSE;
  if (!ktest_expect_errno (dec_fmt (d, VIDIOC_S_FMT, d->cap_type,
                               V4L2_PIX_FMT_YUV420, width, height, &f),
          0, "S_FMT(CAPTURE, YU12 %ux%u)", width, height))
    return FALSE;
  if (ktest_fmt_width (&f) != width || ktest_fmt_height (&f) != height) {
    diag_fmt ("S_FMT(CAPTURE) gave", &f);
    return FALSE;
  }
  return TRUE;
}

static gint
dec_querybuf (
    Decoder *d, guint32 type, guint index, guint32 *offset, guint32 *length)
{
  struct v4l2_plane planes[VIDEO_MAX_PLANES];
  struct v4l2_buffer b;
  gint err;

  memset (&b, 0, sizeof (b));
  memset (planes, 0, sizeof (planes));
  b.type = type;
  b.memory = V4L2_MEMORY_MMAP;
  b.index = index;
  if (d->mplane) {
    b.m.planes = planes;
    b.length = VIDEO_MAX_PLANES;
  }
  err = ktest_ioctl (d->fd, VIDIOC_QUERYBUF, &b);
  if (err)
    return err;
  *offset = d->mplane ? planes[0].m.mem_offset : b.m.offset;
  *length = d->mplane ? planes[0].length : b.length;
  return 0;
}

static gboolean
dec_map (Decoder *d, guint32 type, guint first, guint count)
{
  Buffer *bufs = V4L2_TYPE_IS_OUTPUT (type) ? d->out : d->cap;
  guint i;

  for (i = first; i < first + count; i++) {
    guint32 offset, length;

    if (!ktest_expect_errno (dec_querybuf (d, type, i, &offset, &length), 0,
            "QUERYBUF(%s %u)",
            V4L2_TYPE_IS_OUTPUT (type) ? "OUTPUT" : "CAPTURE", i))
      return FALSE;
    bufs[i].addr =
        mmap (NULL, length, PROT_READ | PROT_WRITE, MAP_SHARED, d->fd, offset);
    if (bufs[i].addr == MAP_FAILED) {
      bufs[i].addr = NULL;
      ktest_diag ("mmap of buffer %u failed: %s", i, g_strerror (errno));
      return FALSE;
    }
    bufs[i].len = length;
  }
  return TRUE;
}

static void
dec_unmap (Decoder *d, guint32 type, guint first, guint count)
{
  Buffer *bufs = V4L2_TYPE_IS_OUTPUT (type) ? d->out : d->cap;
  guint i;

  for (i = first; i < first + count && i < MAX_BUFFERS; i++) {
    if (bufs[i].addr)
      munmap (bufs[i].addr, bufs[i].len);
    bufs[i].addr = NULL;
    bufs[i].len = 0;
  }
}

/* REQBUFS(@count) with MMAP memory, mapping what it allocates. */
static gboolean
dec_reqbufs (Decoder *d, guint32 type, guint count)
{
  struct v4l2_requestbuffers r;

  dec_unmap (d, type, 0, MAX_BUFFERS);
  memset (&r, 0, sizeof (r));
  r.type = type;
  r.memory = V4L2_MEMORY_MMAP;
  r.count = count;
  if (!ktest_expect_errno (ktest_ioctl (d->fd, VIDIOC_REQBUFS, &r), 0,
          "REQBUFS(%s, %u)", V4L2_TYPE_IS_OUTPUT (type) ? "OUTPUT" : "CAPTURE",
          count))
    return FALSE;
  if (r.count != count) {
    ktest_diag ("REQBUFS(%u) gave %u buffers", count, r.count);
    return FALSE;
  }
  if (!V4L2_TYPE_IS_OUTPUT (type))
    d->remove_bufs = (r.capabilities & V4L2_BUF_CAP_SUPPORTS_REMOVE_BUFS) != 0;
  return dec_map (d, type, 0, count);
}

static gboolean
dec_stream (Decoder *d, gboolean on)
{
  guint32 types[2] = { d->out_type, d->cap_type };
  guint i;

  for (i = 0; i < 2; i++) {
    if (!ktest_expect_errno (
            ktest_ioctl (
                d->fd, on ? VIDIOC_STREAMON : VIDIOC_STREAMOFF, &types[i]),
            0, "%s(%s)", on ? "STREAMON" : "STREAMOFF",
            i ? "CAPTURE" : "OUTPUT"))
      return FALSE;
  }
  return TRUE;
}

/* A new session at @width x @height: formats, buffers, STREAMON. */
static gboolean
dec_open (Decoder *d, const GstV4l2ElasticDecoderNode *node, gboolean mplane,
    guint width, guint height)
{
  memset (d, 0, sizeof (*d));
  d->node = node;
  d->mplane = mplane;
  d->out_type =
      mplane ? V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE : V4L2_BUF_TYPE_VIDEO_OUTPUT;
  d->cap_type =
      mplane ? V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE : V4L2_BUF_TYPE_VIDEO_CAPTURE;
  d->next_ts = 1;
  d->media_fd = open (node->media_path, O_RDWR | O_CLOEXEC);
  d->fd = open (node->video_path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (d->fd < 0 || d->media_fd < 0) {
    ktest_diag ("cannot open %s and %s: %s", node->video_path, node->media_path,
        g_strerror (errno));
    return FALSE;
  }
  return dec_set_formats (d, width, height) &&
      dec_reqbufs (d, d->out_type, OUTPUT_BUFFERS) &&
      dec_reqbufs (d, d->cap_type, CAPTURE_BUFFERS) && dec_stream (d, TRUE);
}

static void
dec_close (Decoder *d)
{
  dec_unmap (d, d->out_type, 0, MAX_BUFFERS);
  dec_unmap (d, d->cap_type, 0, MAX_BUFFERS);
  if (d->fd >= 0)
    close (d->fd);
  if (d->media_fd >= 0)
    close (d->media_fd);
  d->fd = d->media_fd = -1;
}

static gint
dec_dqbuf (
    Decoder *d, guint32 type, guint *index, guint32 *flags, guint32 *bytesused)
{
  struct v4l2_plane planes[VIDEO_MAX_PLANES];
  struct v4l2_buffer b;
  gint err;

  memset (&b, 0, sizeof (b));
  memset (planes, 0, sizeof (planes));
  b.type = type;
  b.memory = V4L2_MEMORY_MMAP;
  if (d->mplane) {
    b.m.planes = planes;
    b.length = VIDEO_MAX_PLANES;
  }
  err = ktest_ioctl (d->fd, VIDIOC_DQBUF, &b);
  if (err)
    return err;
  *index = b.index;
  *flags = b.flags;
  *bytesused = d->mplane ? planes[0].bytesused : b.bytesused;
  return 0;
}

/* Decodes @f into CAPTURE buffer @cap, P frames against the frame with
 * timestamp @ref_ns, through one media request; waits for both buffers to
 * come back.  Returns FALSE when the exchange itself failed (an ioctl, a
 * timeout, another buffer), leaving the session unusable; the outcome of
 * the decode is in @res. */
static gboolean
dec_frame (Decoder *d, const Frame *f, guint cap, guint64 ref_ns, Result *res)
{
  struct v4l2_ctrl_fwht_params params;
  struct pollfd pfd;
  gint request_fd = -1;
  guint index;
  guint32 flags, bytesused;
  guint64 ts = d->next_ts++;
  gboolean ok = FALSE;

  memset (res, 0, sizeof (*res));
  res->ts = ts_ns (ts);
  KTEST_REQUIRE (d->out[0].addr && f->size <= d->out[0].len);
  KTEST_REQUIRE (cap < MAX_BUFFERS && d->cap[cap].addr);

  res->err = ktest_ioctl (d->media_fd, MEDIA_IOC_REQUEST_ALLOC, &request_fd);
  KTEST_REQUIRE (ktest_expect_errno (res->err, 0, "MEDIA_IOC_REQUEST_ALLOC"));

  memset (&params, 0, sizeof (params));
  params.backward_ref_ts = ref_ns;
  params.version = f->version;
  params.width = f->width;
  params.height = f->height;
  params.flags = f->flags;
  params.colorspace = f->colorspace;
  params.xfer_func = f->xfer_func;
  params.ycbcr_enc = f->ycbcr_enc;
  params.quantization = f->quantization;
  res->err = ktest_set_fwht_params (d->fd, request_fd, &params);
  KTEST_REQUIRE (ktest_expect_errno (
      res->err, 0, "S_EXT_CTRLS(FWHT_PARAMS %ux%u)", f->width, f->height));

  memcpy (d->out[0].addr, f->data, f->size);
  res->err = ktest_qbuf (d->fd, d->cap_type, cap, 0, 0, -1);
  KTEST_REQUIRE (ktest_expect_errno (res->err, 0, "QBUF(CAPTURE %u)", cap));
  res->err =
      ktest_qbuf (d->fd, d->out_type, 0, f->size, ts_ns (ts), request_fd);
  KTEST_REQUIRE (ktest_expect_errno (res->err, 0, "QBUF(OUTPUT 0, request)"));
  res->err = ktest_ioctl (request_fd, MEDIA_REQUEST_IOC_QUEUE, NULL);
  KTEST_REQUIRE (ktest_expect_errno (res->err, 0, "MEDIA_REQUEST_IOC_QUEUE"));

  pfd.fd = request_fd;
  pfd.events = POLLPRI;
  pfd.revents = 0;
  if (poll (&pfd, 1, REQUEST_TIMEOUT_MS) != 1) {
    res->err = ETIMEDOUT;
    ktest_diag (
        "the request did not complete within %d ms", REQUEST_TIMEOUT_MS);
    goto done;
  }

  res->err = dec_dqbuf (d, d->out_type, &index, &flags, &bytesused);
  KTEST_REQUIRE (ktest_expect_errno (res->err, 0, "DQBUF(OUTPUT)"));
  KTEST_REQUIRE (index == 0);
  res->err = dec_dqbuf (d, d->cap_type, &index, &res->flags, &res->bytesused);
  KTEST_REQUIRE (ktest_expect_errno (res->err, 0, "DQBUF(CAPTURE)"));
  if (index != cap) {
    ktest_diag ("DQBUF(CAPTURE) gave buffer %u, queued was %u", index, cap);
    goto done;
  }
  ok = TRUE;

done:
  if (request_fd >= 0)
    close (request_fd);
  return ok;
}

/* Decodes frame @i of @s into @cap and compares it with the reference
 * decode. */
static gboolean
decode_exact (Decoder *d, const Stream *s, guint i, guint cap, guint64 ref_ns,
    Result *res)
{
  const Frame *f = stream_frame (s, i);

  if (!dec_frame (d, f, cap, ref_ns, res))
    return FALSE;
  if (res->flags & V4L2_BUF_FLAG_ERROR) {
    ktest_diag ("%s frame %u (%s) into buffer %u came back with "
                "V4L2_BUF_FLAG_ERROR",
        s->name, i, f->flags & V4L2_FWHT_FL_I_FRAME ? "I" : "P", cap);
    return FALSE;
  }
  if (res->bytesused != s->frame_size) {
    ktest_diag ("%s frame %u: bytesused %u, want %" G_GSIZE_FORMAT, s->name, i,
        res->bytesused, s->frame_size);
    return FALSE;
  }
  if (memcmp (d->cap[cap].addr, s->ref + i * s->frame_size, s->frame_size)) {
    ktest_diag ("%s frame %u in buffer %u differs from the reference decode",
        s->name, i, cap);
    return FALSE;
  }
  return TRUE;
}

/* Decodes frames @first .. @last of @s pixel-exact, rotating over the
 * CAPTURE buffers @caps[0 .. @n_caps - 1]; every P frame references the
 * frame before it (timestamp in *@ref_ns, updated). */
static gboolean
decode_run (Decoder *d, const Stream *s, guint first, guint last,
    const guint *caps, guint n_caps, guint64 *ref_ns)
{
  guint i;

  for (i = first; i <= last; i++) {
    Result res;

    if (!decode_exact (d, s, i, caps[(i - first) % n_caps], *ref_ns, &res))
      return FALSE;
    *ref_ns = res.ts;
  }
  return TRUE;
}

/* Decodes @f into @cap and wants it back with V4L2_BUF_FLAG_ERROR. */
static gboolean
decode_fails (Decoder *d, const Stream *s, guint i, guint cap, guint64 ref_ns)
{
  Result res;

  if (!dec_frame (d, stream_frame (s, i), cap, ref_ns, &res))
    return FALSE;
  if (!(res.flags & V4L2_BUF_FLAG_ERROR)) {
    ktest_diag (
        "%s frame %u into buffer %u: flags 0x%08x, bytesused %u; expected "
        "V4L2_BUF_FLAG_ERROR",
        s->name, i, cap, res.flags, res.bytesused);
    return FALSE;
  }
  return TRUE;
}

/* ---------------------------------------------------------------- tests */

typedef struct
{
  const GstV4l2ElasticDecoderNode *node;
  gboolean mplane;
  gboolean patched;
  const Stream *small;
  const Stream *large;
} Env;

/* Both kernels: a pixel-format change on busy queues fails with EBUSY. */
static gboolean
check_pixelformat_busy (Decoder *d, const Stream *s)
{
  struct v4l2_format f;

  return ktest_expect_errno (dec_fmt (d, VIDIOC_S_FMT, d->out_type,
                                 V4L2_PIX_FMT_YUV420, s->width, s->height, &f),
             EBUSY, "S_FMT(OUTPUT, YU12) while streaming") &&
      ktest_expect_errno (dec_fmt (d, VIDIOC_S_FMT, d->cap_type,
                              V4L2_PIX_FMT_NV12, s->width, s->height, &f),
          EBUSY, "S_FMT(CAPTURE, NV12) while streaming");
}

/* Both kernels: the resolution changes the classic way: STREAMOFF both,
 * REQBUFS(0) both, S_FMT at the new size, reallocate, STREAMON, and the
 * new stream decodes pixel-exact. */
static gboolean
check_reqbufs0_path (Decoder *d, const Stream *s)
{
  static const guint caps[] = { 0, 1, 2 };
  guint64 ref_ns = 0;

  return dec_stream (d, FALSE) && dec_reqbufs (d, d->out_type, 0) &&
      dec_reqbufs (d, d->cap_type, 0) &&
      dec_set_formats (d, s->width, s->height) &&
      dec_reqbufs (d, d->out_type, OUTPUT_BUFFERS) &&
      dec_reqbufs (d, d->cap_type, CAPTURE_BUFFERS) && dec_stream (d, TRUE) &&
      decode_run (
          d, s, 0, s->frames->len - 1, caps, G_N_ELEMENTS (caps), &ref_ns);
}

static void
run_stock (const Env *env)
{
  const Stream *small = env->small, *large = env->large;
  static const guint caps[] = { 0, 1, 2 };
  struct v4l2_format f;
  guint64 ref_ns = 0;
  Decoder d;
  gint err;

  if (!dec_open (&d, env->node, env->mplane, small->width, small->height)) {
    ktest_result (FALSE, "session at %ux%u", small->width, small->height);
    goto done;
  }
  ktest_result (decode_run (&d, small, 0, small->frames->len - 1, caps,
                    G_N_ELEMENTS (caps), &ref_ns),
      "%ux%u stream decodes pixel-exact", small->width, small->height);

  err = dec_fmt (&d, VIDIOC_S_FMT, d.out_type, V4L2_PIX_FMT_FWHT_STATELESS,
      large->width, large->height, &f);
  ktest_result (ktest_expect_errno (err, EBUSY, "S_FMT(OUTPUT, SFWH %ux%u)",
                    large->width, large->height),
      "stock: OUTPUT S_FMT to %ux%u while streaming returns EBUSY",
      large->width, large->height);

  ktest_result (check_pixelformat_busy (&d, small),
      "pixel-format change while busy returns EBUSY");

  ktest_result (check_reqbufs0_path (&d, large),
      "REQBUFS(0) path to %ux%u: STREAMOFF, REQBUFS(0), S_FMT, reallocate, "
      "decode pixel-exact",
      large->width, large->height);
done:
  dec_close (&d);
}

static void
run_patched (const Env *env)
{
  const Stream *small = env->small, *large = env->large;
  static const guint old_caps[] = { 0, 1, 2 };
  struct gst_v4l2_elastic_create_buffers c;
  struct v4l2_format f, cap_fmt;
  guint64 small_ref = 0, large_ref = 0, ts_small_last;
  guint new_caps[CAPTURE_BUFFERS];
  guint i, n = small->frames->len, last_small_buf;
  gboolean ok;
  Result res;
  Decoder d;
  gint err;

  if (!dec_open (&d, env->node, env->mplane, small->width, small->height)) {
    ktest_result (FALSE, "session at %ux%u", small->width, small->height);
    goto done;
  }

  /* Frames 0 .. n-3 of the small stream; frame n-2 comes after the
   * switch, into an old buffer. */
  ok = decode_run (
      &d, small, 0, n - 3, old_caps, G_N_ELEMENTS (old_caps), &small_ref);
  ktest_result (ok, "%ux%u intra and P frames decode pixel-exact", small->width,
      small->height);
  if (!ok)
    goto done;
  last_small_buf = old_caps[(n - 3) % G_N_ELEMENTS (old_caps)];

  /* The switch, with the small buffers still in the CAPTURE queue. */
  err = dec_fmt (&d, VIDIOC_S_FMT, d.out_type, V4L2_PIX_FMT_FWHT_STATELESS,
      large->width, large->height, &f);
  ok = ktest_expect_errno (
      err, 0, "S_FMT(OUTPUT, SFWH %ux%u)", large->width, large->height);
  if (ok &&
      (ktest_fmt_width (&f) != large->width ||
          ktest_fmt_height (&f) != large->height ||
          ktest_fmt_pixelformat (&f) != V4L2_PIX_FMT_FWHT_STATELESS)) {
    diag_fmt ("S_FMT(OUTPUT) gave", &f);
    ok = FALSE;
  }
  ktest_result (ok, "OUTPUT S_FMT to %ux%u while streaming succeeds",
      large->width, large->height);
  if (!ok)
    goto done;

  err = dec_fmt (&d, VIDIOC_G_FMT, d.cap_type, 0, 0, 0, &cap_fmt);
  ok = ktest_expect_errno (err, 0, "G_FMT(CAPTURE)");
  if (ok) {
    diag_fmt ("G_FMT(CAPTURE)", &cap_fmt);
    ok = ktest_fmt_pixelformat (&cap_fmt) == V4L2_PIX_FMT_YUV420 &&
        ktest_fmt_width (&cap_fmt) == large->width &&
        ktest_fmt_height (&cap_fmt) == large->height &&
        ktest_fmt_bytesperline (&cap_fmt) == large->width &&
        ktest_fmt_sizeimage (&cap_fmt) == large->frame_size;
  }
  err = dec_fmt (&d, VIDIOC_TRY_FMT, d.cap_type, V4L2_PIX_FMT_YUV420,
      large->width, large->height, &f);
  ok = ktest_expect_errno (err, 0, "TRY_FMT(CAPTURE)") && ok;
  if (!err && ktest_fmt_sizeimage (&f) != large->frame_size) {
    diag_fmt ("TRY_FMT(CAPTURE)", &f);
    ok = FALSE;
  }
  ktest_result (ok,
      "CAPTURE G_FMT and TRY_FMT give YU12 %ux%u after the OUTPUT S_FMT",
      large->width, large->height);

  memset (&c, 0, sizeof (c));
  c.count = CAPTURE_BUFFERS;
  c.memory = V4L2_MEMORY_MMAP;
  c.format = cap_fmt;
  err = ktest_ioctl (d.fd, VIDIOC_CREATE_BUFS, &c);
  ok = ktest_expect_errno (err, 0, "CREATE_BUFS(%u, %ux%u)", CAPTURE_BUFFERS,
      large->width, large->height);
  if (ok && (c.index != CAPTURE_BUFFERS || c.count != CAPTURE_BUFFERS)) {
    ktest_diag ("CREATE_BUFS gave %u buffers at index %u", c.count, c.index);
    ok = FALSE;
  }
  ok = ok && dec_map (&d, d.cap_type, c.index, c.count);
  for (i = 0; ok && i < CAPTURE_BUFFERS; i++) {
    new_caps[i] = c.index + i;
    if (d.cap[new_caps[i]].len < large->frame_size) {
      ktest_diag ("new buffer %u has %" G_GSIZE_FORMAT " bytes", new_caps[i],
          d.cap[new_caps[i]].len);
      ok = FALSE;
    }
  }
  ktest_result (ok, "CREATE_BUFS at %ux%u while the %ux%u buffers exist",
      large->width, large->height, small->width, small->height);
  if (!ok)
    goto done;

  ktest_result (check_pixelformat_busy (&d, small),
      "pixel-format change while busy returns EBUSY");

  /* An old buffer keeps working for a frame of its own size, decoded
   * against an old reference. */
  ok = decode_exact (&d, small, n - 2,
      old_caps[(last_small_buf + 1) % G_N_ELEMENTS (old_caps)], small_ref,
      &res);
  if (ok) {
    small_ref = res.ts;
    last_small_buf = old_caps[(last_small_buf + 1) % G_N_ELEMENTS (old_caps)];
  }
  ktest_result (ok,
      "after the switch a %ux%u P frame still decodes pixel-exact into an "
      "old buffer",
      small->width, small->height);
  if (!ok)
    goto done;
  ts_small_last = small_ref;

  /* A large frame does not fit into a small buffer. */
  ok = decode_fails (&d, large, 0, old_caps[0] == last_small_buf ? 1 : 0, 0);
  ktest_result (ok,
      "a %ux%u frame into a %ux%u CAPTURE buffer returns with "
      "V4L2_BUF_FLAG_ERROR",
      large->width, large->height, small->width, small->height);

  ok = decode_exact (&d, large, 0, new_caps[0], 0, &res);
  ktest_result (ok,
      "%ux%u intra frame decodes pixel-exact into a new "
      "buffer",
      large->width, large->height);
  if (!ok)
    goto done;
  large_ref = res.ts;

  /* P frames against a reference of the other size, or against none. */
  ok = decode_fails (&d, large, 1, new_caps[1], ts_small_last);
  ktest_result (ok,
      "a %ux%u P frame whose reference buffer holds a %ux%u frame returns "
      "with V4L2_BUF_FLAG_ERROR",
      large->width, large->height, small->width, small->height);
  ok = decode_fails (&d, small, n - 1, new_caps[1], large_ref);
  ktest_result (ok,
      "a %ux%u P frame whose reference buffer holds a %ux%u frame returns "
      "with V4L2_BUF_FLAG_ERROR",
      small->width, small->height, large->width, large->height);
  ok = decode_fails (&d, large, 1, new_caps[1], ts_ns (d.next_ts + 1000));
  ktest_result (ok,
      "a P frame whose reference is missing returns with V4L2_BUF_FLAG_ERROR");

  /* The old buffers go once dequeued (they all are). */
  if (!d.remove_bufs) {
    ktest_skip ("the CAPTURE queue does not support REMOVE_BUFS",
        "REMOVE_BUFS of the %ux%u buffers", small->width, small->height);
  } else {
    struct v4l2_remove_buffers r;
    guint32 offset, length;

    dec_unmap (&d, d.cap_type, 0, CAPTURE_BUFFERS);
    memset (&r, 0, sizeof (r));
    r.index = 0;
    r.count = CAPTURE_BUFFERS;
    r.type = d.cap_type;
    err = ktest_ioctl (d.fd, VIDIOC_REMOVE_BUFS, &r);
    ok = ktest_expect_errno (err, 0, "REMOVE_BUFS(0, %u)", CAPTURE_BUFFERS) &&
        ktest_expect_errno (dec_querybuf (&d, d.cap_type, 0, &offset, &length),
            EINVAL, "QUERYBUF(0) after REMOVE_BUFS");
    ktest_result (ok, "REMOVE_BUFS of the dequeued %ux%u buffers", small->width,
        small->height);
  }

  /* The rest of the large stream, against the intra frame decoded above,
   * after the failed frames. */
  ok = decode_run (&d, large, 1, large->frames->len - 1, new_caps + 1,
      G_N_ELEMENTS (new_caps) - 1, &large_ref);
  ktest_result (ok, "%ux%u P frames decode pixel-exact into the new buffers",
      large->width, large->height);

  ktest_result (check_reqbufs0_path (&d, small),
      "REQBUFS(0) path to %ux%u: STREAMOFF, REQBUFS(0), S_FMT, reallocate, "
      "decode pixel-exact",
      small->width, small->height);
done:
  dec_close (&d);
}

/* ------------------------------------------------------------------ main */

static GstV4l2ElasticDecoderNode *
find_vicodec_stateless (GList *nodes, gboolean *mplane)
{
  GList *l;

  for (l = nodes; l; l = l->next) {
    GstV4l2ElasticDecoderNode *node = l->data;
    GstV4l2ElasticDecoderCaps *caps;
    GError *error = NULL;
    gboolean stateless;

    if (g_strcmp0 (node->driver, "vicodec") != 0)
      continue;
    caps = gst_v4l2_elastic_probe_decoder (node->video_path, &error);
    if (!caps) {
      ktest_diag ("cannot probe %s: %s", node->video_path, error->message);
      g_clear_error (&error);
      continue;
    }
    stateless = caps->stateless;
    *mplane = caps->multiplanar;
    gst_v4l2_elastic_decoder_caps_free (caps);
    if (stateless) {
      ktest_diag ("vicodec stateless decoder: %s (%s) on %s, %s",
          node->video_path, node->entity_name, node->media_path,
          *mplane ? "multi-planar" : "single-planar");
      return node;
    }
  }
  return NULL;
}

int
main (int argc, char **argv)
{
  gchar *patched_arg = NULL, *streams_dir = NULL;
  GOptionEntry entries[] = {
    { "patched", 0, 0, G_OPTION_ARG_STRING, &patched_arg,
        "Whether the kernel carries the vicodec resolution-change patch",
        "yes|no" },
    { "streams", 0, 0, G_OPTION_ARG_FILENAME, &streams_dir,
        "Folder with small.fwht, small.yuv, large.fwht and large.yuv", "DIR" },
    { NULL }
  };
  GOptionContext *ctx;
  GError *error = NULL;
  Stream small = { 0 }, large = { 0 };
  struct utsname un;
  gchar *prefix;
  gint status;
  GList *nodes;
  Env env;

  ctx = g_option_context_new (
      "- resolution changes on vicodec's stateless decoder");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_printerr ("%s\n", error->message);
    g_clear_error (&error);
    g_option_context_free (ctx);
    return 2;
  }
  g_option_context_free (ctx);
  if (!streams_dir ||
      (g_strcmp0 (patched_arg, "yes") != 0 &&
          g_strcmp0 (patched_arg, "no") != 0)) {
    g_printerr ("usage: %s --patched yes|no --streams DIR\n", argv[0]);
    return 2;
  }

  if (uname (&un) < 0)
    g_strlcpy (un.release, "unknown-kernel", sizeof (un.release));
  prefix = g_strdup_printf ("%s vicodec", un.release);
  ktest_begin (prefix);
  g_free (prefix);
  ktest_diag ("kernel %s %s; vicodec %s", un.release, un.version,
      g_strcmp0 (patched_arg, "yes") == 0 ? "patched" : "stock");

  memset (&env, 0, sizeof (env));
  env.patched = g_strcmp0 (patched_arg, "yes") == 0;
  nodes = gst_v4l2_elastic_media_find_decoders ();
  env.node = find_vicodec_stateless (nodes, &env.mplane);
  ktest_result (
      env.node != NULL, "stateless decoder found through the media controller");

  if (stream_load (&small, streams_dir, "small") &&
      stream_load (&large, streams_dir, "large") &&
      small.frame_size < large.frame_size) {
    ktest_result (TRUE, "streams %ux%u and %ux%u loaded", small.width,
        small.height, large.width, large.height);
    env.small = &small;
    env.large = &large;
    if (env.node && env.patched)
      run_patched (&env);
    else if (env.node)
      run_stock (&env);
  } else {
    ktest_result (FALSE,
        "streams loaded from %s (small smaller than "
        "large)",
        streams_dir);
  }

  status = ktest_end ();

  stream_clear (&small);
  stream_clear (&large);
  gst_v4l2_elastic_decoder_node_list_free (nodes);
  g_free (patched_arg);
  g_free (streams_dir);
  return status;
}
