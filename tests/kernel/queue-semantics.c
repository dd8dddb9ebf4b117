/* gst-v4l2-elastic
 *
 * v4l2elastic-queue-semantics: the kernel behaviour of VIDIOC_CREATE_BUFS
 * and VIDIOC_REMOVE_BUFS that the elastic buffer pool relies on, checked on
 * both queues of every stateless decoder found through the media
 * controller.  Prints TAP version 13; exits 0 only when every test passed.
 *
 * Every test opens the video node afresh (a memory-to-memory device gives
 * each open file its own pair of queues), sets small formats, and closes
 * everything it made before the next test starts.
 *
 * Where a check follows the kernel source rather than the documentation,
 * the comment names the place (6.12 unless said otherwise).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <linux/dma-buf.h>
#include <linux/media.h>

#include <gst/gst.h>

#include "gstv4l2media.h"
#include "gstv4l2probe.h"
#include "ktest.h"
#include "v4l2-compat.h"

/* A queue that does not report max_num_buffers (kernels before 6.8) holds
 * at most VB2_MAX_FRAME buffers. */
#define LEGACY_MAX_BUFFERS 32

/* What REMOVE_BUFS needs at the least to be worth using for a pool. */
#define MIN_MAX_NUM_BUFFERS 32

/* vicodec accepts coded sizes from 640x360 up. */
#define VICODEC_WIDTH 640
#define VICODEC_HEIGHT 360

/* -------------------------------------------------------- the queues */

typedef enum
{
  EXPECT_ANY,
  EXPECT_YES,
  EXPECT_NO,
} Expectation;

/* --remove-bufs: what the queues must report. */
static Expectation expect_remove_bufs = EXPECT_ANY;

typedef struct
{
  const gchar *release; /* uname -r */
  const GstV4l2ElasticDecoderNode *node;
  const GstV4l2ElasticDecoderCaps *caps;
  const gchar *name; /* "CAPTURE" or "OUTPUT" */
  guint32 type;
  gboolean output;
  gboolean mplane;

  /* Learnt by the capabilities test, used by the others. */
  gboolean remove_bufs;
  guint max_buffers;
} Queue;

static guint32
output_type (const Queue *q)
{
  return q->mplane ? V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE
                   : V4L2_BUF_TYPE_VIDEO_OUTPUT;
}

static guint32
capture_type (const Queue *q)
{
  return q->mplane ? V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE
                   : V4L2_BUF_TYPE_VIDEO_CAPTURE;
}

/* The same direction with the other planarity: a valid buffer type that
 * names no queue of this device. */
static guint32
wrong_planarity_type (const Queue *q)
{
  if (q->output)
    return q->mplane ? V4L2_BUF_TYPE_VIDEO_OUTPUT
                     : V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
  return q->mplane ? V4L2_BUF_TYPE_VIDEO_CAPTURE
                   : V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
}

/* ------------------------------------------------------------ formats */

/* Sets pixel format and size and lets the driver derive the rest. */
static void
fmt_set (
    struct v4l2_format *f, guint32 pixelformat, guint32 width, guint32 height)
{
  if (V4L2_TYPE_IS_MULTIPLANAR (f->type)) {
    guint i;

    f->fmt.pix_mp.pixelformat = pixelformat;
    f->fmt.pix_mp.width = width;
    f->fmt.pix_mp.height = height;
    for (i = 0; i < VIDEO_MAX_PLANES; i++) {
      f->fmt.pix_mp.plane_fmt[i].sizeimage = 0;
      f->fmt.pix_mp.plane_fmt[i].bytesperline = 0;
    }
  } else {
    f->fmt.pix.pixelformat = pixelformat;
    f->fmt.pix.width = width;
    f->fmt.pix.height = height;
    f->fmt.pix.sizeimage = 0;
    f->fmt.pix.bytesperline = 0;
  }
}

static gchar *
fmt_to_string (const struct v4l2_format *f)
{
  gchar *fourcc = gst_v4l2_elastic_fourcc_to_string (ktest_fmt_pixelformat (f));
  gchar *s = g_strdup_printf ("%s %ux%u, %u plane(s), plane 0 %u bytes", fourcc,
      ktest_fmt_width (f), ktest_fmt_height (f), ktest_fmt_num_planes (f),
      ktest_fmt_sizeimage (f));

  g_free (fourcc);
  return s;
}

static gchar *
buf_caps_to_string (guint32 caps)
{
  static const struct
  {
    guint32 bit;
    const gchar *name;
  } names[] = {
    { V4L2_BUF_CAP_SUPPORTS_MMAP, "MMAP" },
    { V4L2_BUF_CAP_SUPPORTS_USERPTR, "USERPTR" },
    { V4L2_BUF_CAP_SUPPORTS_DMABUF, "DMABUF" },
    { V4L2_BUF_CAP_SUPPORTS_REQUESTS, "REQUESTS" },
    { V4L2_BUF_CAP_SUPPORTS_ORPHANED_BUFS, "ORPHANED_BUFS" },
    { V4L2_BUF_CAP_SUPPORTS_M2M_HOLD_CAPTURE_BUF, "M2M_HOLD_CAPTURE_BUF" },
    { V4L2_BUF_CAP_SUPPORTS_MMAP_CACHE_HINTS, "MMAP_CACHE_HINTS" },
    { V4L2_BUF_CAP_SUPPORTS_MAX_NUM_BUFFERS, "MAX_NUM_BUFFERS" },
    { V4L2_BUF_CAP_SUPPORTS_REMOVE_BUFS, "REMOVE_BUFS" },
  };
  GString *s = g_string_new (NULL);
  guint i;

  g_string_append_printf (s, "0x%08x", caps);
  for (i = 0; i < G_N_ELEMENTS (names); i++) {
    if (caps & names[i].bit) {
      g_string_append_printf (s, " %s", names[i].name);
      caps &= ~names[i].bit;
    }
  }
  if (caps)
    g_string_append_printf (s, " unknown:0x%08x", caps);
  return g_string_free (s, FALSE);
}

/* ------------------------------------------------------------ session */

typedef struct
{
  gpointer addr;
  gsize len;
} Mapping;

/* One open of the video node and everything made through it. */
typedef struct
{
  const Queue *q;
  gint fd;
  gint media_fd;          /* opened on first request allocation */
  struct v4l2_format fmt; /* format of the queue under test */
  GArray *fds;            /* dmabuf and request fds */
  GArray *maps;           /* Mapping */
} Session;

static gboolean
session_set_formats (Session *s)
{
  const Queue *q = s->q;
  struct v4l2_format out = { 0, }, cap = { 0, };
  gint err;

  out.type = output_type (q);
  err = ktest_ioctl (s->fd, VIDIOC_G_FMT, &out);
  if (!ktest_expect_errno (err, 0, "G_FMT(OUTPUT)"))
    return FALSE;

  /* visl keeps its default coded format (set again as read); vicodec's
   * stateless decoder gets its smallest frame size. */
  if (g_strcmp0 (q->node->driver, "vicodec") == 0)
    fmt_set (&out, V4L2_PIX_FMT_FWHT_STATELESS, VICODEC_WIDTH, VICODEC_HEIGHT);
  err = ktest_ioctl (s->fd, VIDIOC_S_FMT, &out);
  if (!ktest_expect_errno (err, 0, "S_FMT(OUTPUT)"))
    return FALSE;

  cap.type = capture_type (q);
  err = ktest_ioctl (s->fd, VIDIOC_G_FMT, &cap);
  if (!ktest_expect_errno (err, 0, "G_FMT(CAPTURE)"))
    return FALSE;

  /* visl derives the CAPTURE format from OUTPUT; vicodec as a decoder does
   * not (vidioc_s_fmt_vid_out only propagates for its encoder) and starts
   * at 1280x720, so set the decoded size to the coded size as a client
   * would. */
  if (ktest_fmt_width (&cap) != ktest_fmt_width (&out) ||
      ktest_fmt_height (&cap) != ktest_fmt_height (&out)) {
    fmt_set (&cap, ktest_fmt_pixelformat (&cap), ktest_fmt_width (&out),
        ktest_fmt_height (&out));
    err = ktest_ioctl (s->fd, VIDIOC_S_FMT, &cap);
    if (!ktest_expect_errno (err, 0, "S_FMT(CAPTURE)"))
      return FALSE;
  }

  s->fmt = q->output ? out : cap;
  return TRUE;
}

/* Always initialises @s, so session_close() may follow a failure. */
static gboolean
session_open (Session *s, const Queue *q)
{
  memset (s, 0, sizeof (*s));
  s->q = q;
  s->media_fd = -1;
  s->fds = g_array_new (FALSE, FALSE, sizeof (gint));
  s->maps = g_array_new (FALSE, FALSE, sizeof (Mapping));

  s->fd = open (q->node->video_path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (s->fd < 0) {
    ktest_diag ("cannot open %s: %s", q->node->video_path, g_strerror (errno));
    return FALSE;
  }
  return session_set_formats (s);
}

static void
session_close (Session *s)
{
  guint i;

  for (i = 0; i < s->maps->len; i++) {
    Mapping *m = &g_array_index (s->maps, Mapping, i);

    munmap (m->addr, m->len);
  }
  for (i = 0; i < s->fds->len; i++)
    close (g_array_index (s->fds, gint, i));
  g_array_unref (s->maps);
  g_array_unref (s->fds);

  if (s->media_fd >= 0)
    close (s->media_fd);
  if (s->fd >= 0)
    close (s->fd);
  memset (s, 0, sizeof (*s));
}

/* Closes one of the session's fds before the end of the test. */
static void
session_close_fd (Session *s, gint fd)
{
  guint i;

  for (i = 0; i < s->fds->len; i++) {
    if (g_array_index (s->fds, gint, i) == fd) {
      g_array_remove_index_fast (s->fds, i);
      close (fd);
      return;
    }
  }
  g_assert_not_reached ();
}

static gpointer
session_map (Session *s, gint fd, guint32 offset, gsize len)
{
  Mapping m;

  m.addr = mmap (NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, offset);
  if (m.addr == MAP_FAILED) {
    ktest_diag ("mmap of fd %d at offset 0x%08x (%" G_GSIZE_FORMAT
                " bytes) failed: %s",
        fd, offset, len, g_strerror (errno));
    return NULL;
  }
  m.len = len;
  g_array_append_val (s->maps, m);
  return m.addr;
}

/* ------------------------------------------------------- buffer calls */

static gint
create_bufs (Session *s, guint count, struct gst_v4l2_elastic_create_buffers *c)
{
  memset (c, 0, sizeof (*c));
  c->count = count;
  c->memory = V4L2_MEMORY_MMAP;
  c->format = s->fmt;
  return ktest_ioctl (s->fd, VIDIOC_CREATE_BUFS, c);
}

/* CREATE_BUFS(@count) must give exactly @count buffers from @index. */
static gboolean
create_at (Session *s, guint count, guint index)
{
  struct gst_v4l2_elastic_create_buffers c;
  gint err = create_bufs (s, count, &c);

  if (!ktest_expect_errno (err, 0, "CREATE_BUFS(%u)", count))
    return FALSE;
  if (c.index != index || c.count != count) {
    ktest_diag (
        "CREATE_BUFS(%u) gave %u buffer(s) at index %u, expected %u at %u",
        count, c.count, c.index, count, index);
    return FALSE;
  }
  return TRUE;
}

static gint
remove_bufs (Session *s, guint32 type, guint index, guint count)
{
  struct v4l2_remove_buffers r = {
    0,
  };

  r.index = index;
  r.count = count;
  r.type = type;
  return ktest_ioctl (s->fd, VIDIOC_REMOVE_BUFS, &r);
}

static gboolean
remove_expect (Session *s, guint index, guint count, gint want)
{
  return ktest_expect_errno (remove_bufs (s, s->q->type, index, count), want,
      "REMOVE_BUFS(index %u, count %u)", index, count);
}

typedef struct
{
  guint32 flags;
  guint num_planes;
  guint32 length[VIDEO_MAX_PLANES];
  guint32 offset; /* mmap cookie of plane 0 */
} BufInfo;

/* A reply that describes another buffer than asked is reported as
 * EPROTO. */
static gint
query_buf (Session *s, guint index, BufInfo *info)
{
  struct v4l2_plane planes[VIDEO_MAX_PLANES];
  struct v4l2_buffer b = {
    0,
  };
  guint i;
  gint err;

  memset (planes, 0, sizeof (planes));
  memset (info, 0, sizeof (*info));
  b.index = index;
  b.type = s->q->type;
  b.memory = V4L2_MEMORY_MMAP;
  if (s->q->mplane) {
    b.m.planes = planes;
    b.length = VIDEO_MAX_PLANES;
  }

  err = ktest_ioctl (s->fd, VIDIOC_QUERYBUF, &b);
  if (err)
    return err;
  if (b.index != index || b.type != s->q->type) {
    ktest_diag (
        "QUERYBUF(%u) described buffer %u of type %u", index, b.index, b.type);
    return EPROTO;
  }

  info->flags = b.flags;
  if (s->q->mplane) {
    info->num_planes = MIN (b.length, VIDEO_MAX_PLANES);
    for (i = 0; i < info->num_planes; i++)
      info->length[i] = planes[i].length;
    info->offset = planes[0].m.mem_offset;
  } else {
    info->num_planes = 1;
    info->length[0] = b.length;
    info->offset = b.m.offset;
  }
  return 0;
}

/* QUERYBUF works on each of @count buffers from @first, and each is a
 * dequeued MMAP buffer big enough for the format. */
static gboolean
buffers_exist (Session *s, guint first, guint count)
{
  guint i;

  for (i = first; i < first + count; i++) {
    BufInfo info;
    gint err = query_buf (s, i, &info);

    if (!ktest_expect_errno (err, 0, "QUERYBUF(%u)", i))
      return FALSE;
    if (info.length[0] < ktest_fmt_sizeimage (&s->fmt)) {
      ktest_diag ("buffer %u: plane 0 has %u bytes, the format needs %u", i,
          info.length[0], ktest_fmt_sizeimage (&s->fmt));
      return FALSE;
    }
  }
  return TRUE;
}

/* QUERYBUF fails with EINVAL on each of @count indices from @first. */
static gboolean
buffers_gone (Session *s, guint first, guint count)
{
  guint i;

  for (i = first; i < first + count; i++) {
    BufInfo info;

    if (!ktest_expect_errno (
            query_buf (s, i, &info), EINVAL, "QUERYBUF(%u)", i))
      return FALSE;
  }
  return TRUE;
}

/* The V4L2_BUF_FLAG_* state bits of buffer @index must be exactly @want
 * among QUEUED, DONE and IN_REQUEST. */
static gboolean
buffer_state_is (Session *s, guint index, guint32 want)
{
  const guint32 mask =
      V4L2_BUF_FLAG_QUEUED | V4L2_BUF_FLAG_DONE | V4L2_BUF_FLAG_IN_REQUEST;
  BufInfo info;

  if (!ktest_expect_errno (
          query_buf (s, index, &info), 0, "QUERYBUF(%u)", index))
    return FALSE;
  if ((info.flags & mask) != want) {
    ktest_diag ("buffer %u: flags 0x%08x, expected state bits 0x%08x", index,
        info.flags, want);
    return FALSE;
  }
  return TRUE;
}

static gint
alloc_request (Session *s, gint *request_fd)
{
  gint err;

  *request_fd = -1;
  if (s->media_fd < 0) {
    s->media_fd = open (s->q->node->media_path, O_RDWR | O_CLOEXEC);
    if (s->media_fd < 0)
      return errno;
  }
  err = ktest_ioctl (s->media_fd, MEDIA_IOC_REQUEST_ALLOC, request_fd);
  if (!err)
    g_array_append_val (s->fds, *request_fd);
  return err;
}

/* QBUF of buffer @index, bound to @request_fd unless it is -1.  OUTPUT
 * buffers carry their whole length as payload. */
static gint
queue_buf (Session *s, guint index, gint request_fd)
{
  struct v4l2_plane planes[VIDEO_MAX_PLANES];
  struct v4l2_buffer b = {
    0,
  };
  BufInfo info;
  guint i;
  gint err;

  err = query_buf (s, index, &info);
  if (err)
    return err;

  memset (planes, 0, sizeof (planes));
  b.index = index;
  b.type = s->q->type;
  b.memory = V4L2_MEMORY_MMAP;
  b.field = V4L2_FIELD_NONE;
  if (s->q->output)
    b.timestamp.tv_usec = index + 1;
  if (s->q->mplane) {
    b.m.planes = planes;
    b.length = info.num_planes;
    for (i = 0; i < info.num_planes; i++)
      planes[i].bytesused = s->q->output ? info.length[i] : 0;
  } else {
    b.bytesused = s->q->output ? info.length[0] : 0;
  }
  if (request_fd >= 0) {
    b.flags |= V4L2_BUF_FLAG_REQUEST_FD;
    b.request_fd = request_fd;
  }
  return ktest_ioctl (s->fd, VIDIOC_QBUF, &b);
}

/* Takes buffer @index out of the dequeued state the way a decoder does:
 * a CAPTURE buffer is queued; an OUTPUT buffer of a stateless decoder is
 * bound to a new media request that is never queued (the request fd is
 * returned in @request_fd, -1 for CAPTURE). */
static gboolean
hold_buffer (Session *s, guint index, gint *request_fd)
{
  gint err;

  *request_fd = -1;
  if (!s->q->output)
    return ktest_expect_errno (queue_buf (s, index, -1), 0, "QBUF(%u)", index);

  err = alloc_request (s, request_fd);
  if (!ktest_expect_errno (
          err, 0, "MEDIA_IOC_REQUEST_ALLOC on %s", s->q->node->media_path))
    return FALSE;
  return ktest_expect_errno (queue_buf (s, index, *request_fd), 0,
      "QBUF(%u) into request fd %d", index, *request_fd);
}

/* The state bits QUERYBUF shows for a buffer taken by hold_buffer(). */
static guint32
held_state (const Queue *q)
{
  return q->output ? V4L2_BUF_FLAG_IN_REQUEST : V4L2_BUF_FLAG_QUEUED;
}

static gboolean
stream (Session *s, gboolean on)
{
  guint32 type = s->q->type;

  return ktest_expect_errno (
      ktest_ioctl (s->fd, on ? VIDIOC_STREAMON : VIDIOC_STREAMOFF, &type), 0,
      "%s", on ? "STREAMON" : "STREAMOFF");
}

static gint
export_buf (Session *s, guint index, gint *dmabuf_fd)
{
  struct v4l2_exportbuffer e = {
    0,
  };
  gint err;

  e.type = s->q->type;
  e.index = index;
  e.plane = 0;
  e.flags = O_RDWR | O_CLOEXEC;
  err = ktest_ioctl (s->fd, VIDIOC_EXPBUF, &e);
  *dmabuf_fd = err ? -1 : e.fd;
  if (!err)
    g_array_append_val (s->fds, e.fd);
  return err;
}

/* ---------------------------------------------------- memory patterns */

static guint8
pattern_byte (guint seed, gsize i)
{
  return (guint8) (seed * 151u + i * 7u + (i >> 9));
}

/* CPU access through a dmabuf mapping is bracketed by DMA_BUF_IOCTL_SYNC;
 * @dmabuf_fd is -1 for a mapping of the video node. */
static void
dmabuf_sync (gint dmabuf_fd, guint64 flags)
{
  struct dma_buf_sync sync = {
    0,
  };

  if (dmabuf_fd < 0)
    return;
  sync.flags = flags;
  if (ktest_ioctl (dmabuf_fd, DMA_BUF_IOCTL_SYNC, &sync))
    ktest_diag ("DMA_BUF_IOCTL_SYNC(0x%llx) on fd %d failed: %s",
        (unsigned long long) flags, dmabuf_fd, g_strerror (errno));
}

static void
pattern_write (gint dmabuf_fd, guint8 *p, gsize len, guint seed)
{
  gsize i;

  dmabuf_sync (dmabuf_fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
  for (i = 0; i < len; i++)
    p[i] = pattern_byte (seed, i);
  dmabuf_sync (dmabuf_fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
}

static gboolean
pattern_check (
    gint dmabuf_fd, const guint8 *p, gsize len, guint seed, const gchar *what)
{
  gsize i;
  gboolean ok = TRUE;

  dmabuf_sync (dmabuf_fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
  for (i = 0; i < len; i++) {
    if (p[i] != pattern_byte (seed, i)) {
      ktest_diag ("%s: byte %" G_GSIZE_FORMAT
                  " is 0x%02x, pattern %u has 0x%02x",
          what, i, p[i], seed, pattern_byte (seed, i));
      ok = FALSE;
      break;
    }
  }
  dmabuf_sync (dmabuf_fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
  return ok;
}

/* -------------------------------------------------------------- tests */

/* 1. REQBUFS(0) and CREATE_BUFS(0) report what the queue can do. */
static gboolean
test_capabilities (Queue *q)
{
  const GstV4l2ElasticQueueCaps *probed =
      q->output ? &q->caps->output : &q->caps->capture;
  struct v4l2_requestbuffers rb = {
    0,
  };
  struct gst_v4l2_elastic_create_buffers c;
  gboolean ok = FALSE, create_remove;
  gchar *str, *rb_caps, *c_caps;
  Session s;

  q->remove_bufs = FALSE;
  q->max_buffers = LEGACY_MAX_BUFFERS;

  KTEST_REQUIRE (session_open (&s, q));
  str = fmt_to_string (&s.fmt);
  ktest_diag (
      "%s %s %s: %s", q->node->driver, q->node->video_path, q->name, str);
  g_free (str);

  rb.count = 0;
  rb.type = q->type;
  rb.memory = V4L2_MEMORY_MMAP;
  KTEST_REQUIRE (ktest_expect_errno (
      ktest_ioctl (s.fd, VIDIOC_REQBUFS, &rb), 0, "REQBUFS(0)"));
  q->remove_bufs = !!(rb.capabilities & V4L2_BUF_CAP_SUPPORTS_REMOVE_BUFS);

  KTEST_REQUIRE (
      ktest_expect_errno (create_bufs (&s, 0, &c), 0, "CREATE_BUFS(0)"));
  create_remove = !!(c.capabilities & V4L2_BUF_CAP_SUPPORTS_REMOVE_BUFS);

  rb_caps = buf_caps_to_string (rb.capabilities);
  c_caps = buf_caps_to_string (c.capabilities);
  ktest_diag ("REQBUFS caps %s", rb_caps);
  ktest_diag (
      "CREATE_BUFS caps %s, max_num_buffers %u", c_caps, c.max_num_buffers);
  g_free (rb_caps);
  g_free (c_caps);

  /* REQBUFS and CREATE_BUFS take the bit from the same place
   * (v4l2-ioctl.c v4l_reqbufs / v4l_create_bufs: is_valid_ioctl). */
  KTEST_REQUIRE (create_remove == q->remove_bufs);
  KTEST_REQUIRE (rb.capabilities & V4L2_BUF_CAP_SUPPORTS_MMAP);
  /* The project's probe must see the same. */
  KTEST_REQUIRE (probed->create_bufs);
  KTEST_REQUIRE (probed->remove_bufs == q->remove_bufs);
  /* The OUTPUT tests below use media requests. */
  if (q->output)
    KTEST_REQUIRE (rb.capabilities & V4L2_BUF_CAP_SUPPORTS_REQUESTS);

  if (c.capabilities & V4L2_BUF_CAP_SUPPORTS_MAX_NUM_BUFFERS)
    q->max_buffers = c.max_num_buffers;
  /* The caller knows whether this kernel must have REMOVE_BUFS (6.12,
   * 6.1 with our backport) or must not (stock 6.1): a broken backport must
   * not pass as "absent". */
  if (expect_remove_bufs == EXPECT_YES)
    KTEST_REQUIRE (q->remove_bufs);
  else if (expect_remove_bufs == EXPECT_NO)
    KTEST_REQUIRE (!q->remove_bufs);
  if (q->remove_bufs) {
    KTEST_REQUIRE (c.capabilities & V4L2_BUF_CAP_SUPPORTS_MAX_NUM_BUFFERS);
    KTEST_REQUIRE (c.max_num_buffers >= MIN_MAX_NUM_BUFFERS);
  }

  ok = TRUE;
done:
  session_close (&s);
  return ok;
}

/* 2. Indices are handed out in order; every buffer can be queried. */
static gboolean
test_create_indices (Queue *q)
{
  gboolean ok = FALSE;
  Session s;

  KTEST_REQUIRE (session_open (&s, q));
  KTEST_REQUIRE (create_at (&s, 1, 0));
  KTEST_REQUIRE (create_at (&s, 4, 1));
  KTEST_REQUIRE (buffers_exist (&s, 0, 5));
  KTEST_REQUIRE (buffers_gone (&s, 5, 1));

  ok = TRUE;
done:
  session_close (&s);
  return ok;
}

/* 3. A buffer in the middle can be removed; its neighbours stay. */
static gboolean
test_remove_middle (Queue *q)
{
  gboolean ok = FALSE;
  Session s;

  KTEST_REQUIRE (session_open (&s, q));
  KTEST_REQUIRE (create_at (&s, 5, 0));
  KTEST_REQUIRE (remove_expect (&s, 2, 1, 0));
  KTEST_REQUIRE (buffers_gone (&s, 2, 1));
  KTEST_REQUIRE (buffers_exist (&s, 0, 2));
  KTEST_REQUIRE (buffers_exist (&s, 3, 2));

  ok = TRUE;
done:
  session_close (&s);
  return ok;
}

/* Buffers 0..4 with index 2 removed. */
static gboolean
setup_hole (Session *s)
{
  return create_at (s, 5, 0) && remove_expect (s, 2, 1, 0);
}

static gboolean
hole_intact (Session *s)
{
  return buffers_exist (s, 0, 2) && buffers_gone (s, 2, 1) &&
      buffers_exist (s, 3, 2);
}

/* 4a. A removed index cannot be removed again. */
static gboolean
test_remove_hole_again (Queue *q)
{
  gboolean ok = FALSE;
  Session s;

  KTEST_REQUIRE (session_open (&s, q));
  KTEST_REQUIRE (setup_hole (&s));
  KTEST_REQUIRE (remove_expect (&s, 2, 1, EINVAL));
  KTEST_REQUIRE (hole_intact (&s));

  ok = TRUE;
done:
  session_close (&s);
  return ok;
}

/* 4b. A range over a hole fails as a whole: nothing in it is removed. */
static gboolean
test_remove_range_over_hole (Queue *q)
{
  gboolean ok = FALSE;
  Session s;

  KTEST_REQUIRE (session_open (&s, q));
  KTEST_REQUIRE (setup_hole (&s));
  KTEST_REQUIRE (remove_expect (&s, 1, 3, EINVAL));
  KTEST_REQUIRE (remove_expect (&s, 2, 2, EINVAL));
  KTEST_REQUIRE (remove_expect (&s, 0, 5, EINVAL));
  KTEST_REQUIRE (hole_intact (&s));

  ok = TRUE;
done:
  session_close (&s);
  return ok;
}

/* 4c. Ranges past the last buffer, past max_num_buffers, or whose end
 * overflows are refused, and nothing is removed. */
static gboolean
test_remove_past_end (Queue *q)
{
  gboolean ok = FALSE;
  Session s;

  KTEST_REQUIRE (session_open (&s, q));
  KTEST_REQUIRE (setup_hole (&s));
  KTEST_REQUIRE (remove_expect (&s, 5, 1, EINVAL));
  KTEST_REQUIRE (remove_expect (&s, 4, 2, EINVAL));
  KTEST_REQUIRE (remove_expect (&s, q->max_buffers - 1, 1, EINVAL));
  KTEST_REQUIRE (remove_expect (&s, q->max_buffers, 1, EINVAL));
  KTEST_REQUIRE (remove_expect (&s, G_MAXUINT32, 1, EINVAL));
  KTEST_REQUIRE (remove_expect (&s, 1, G_MAXUINT32, EINVAL));
  KTEST_REQUIRE (hole_intact (&s));

  ok = TRUE;
done:
  session_close (&s);
  return ok;
}

/* 4d. A type that names no queue of the device fails even with count 0
 * (v4l2-mem2mem.c v4l2_m2m_ioctl_remove_bufs checks the type before
 * vb2_core_remove_bufs looks at the count). */
static gboolean
test_remove_bad_type (Queue *q)
{
  const guint32 bad_types[] = { wrong_planarity_type (q), 0 };
  gboolean ok = FALSE;
  Session s;
  guint i;

  KTEST_REQUIRE (session_open (&s, q));
  KTEST_REQUIRE (setup_hole (&s));
  for (i = 0; i < G_N_ELEMENTS (bad_types); i++) {
    KTEST_REQUIRE (ktest_expect_errno (remove_bufs (&s, bad_types[i], 0, 0),
        EINVAL, "REMOVE_BUFS(type %u, index 0, count 0)", bad_types[i]));
    KTEST_REQUIRE (ktest_expect_errno (remove_bufs (&s, bad_types[i], 0, 1),
        EINVAL, "REMOVE_BUFS(type %u, index 0, count 1)", bad_types[i]));
  }
  KTEST_REQUIRE (hole_intact (&s));

  ok = TRUE;
done:
  session_close (&s);
  return ok;
}

/* 4e. Count 0 succeeds whatever the index, removes nothing, and the core
 * zeroes `reserved` (INFO_FL_CLEAR(v4l2_remove_buffers, type)). */
static gboolean
test_remove_count_zero (Queue *q)
{
  const guint indices[] = { 1, 2, 5, G_MAXUINT32 };
  gboolean ok = FALSE;
  Session s;
  guint i, j;

  KTEST_REQUIRE (session_open (&s, q));
  KTEST_REQUIRE (setup_hole (&s));
  for (i = 0; i < G_N_ELEMENTS (indices); i++) {
    struct v4l2_remove_buffers r;

    memset (&r, 0xa5, sizeof (r));
    r.index = indices[i];
    r.count = 0;
    r.type = q->type;
    KTEST_REQUIRE (
        ktest_expect_errno (ktest_ioctl (s.fd, VIDIOC_REMOVE_BUFS, &r), 0,
            "REMOVE_BUFS(index %u, count 0)", indices[i]));
    for (j = 0; j < G_N_ELEMENTS (r.reserved); j++) {
      if (r.reserved[j] != 0)
        ktest_diag (
            "reserved[%u] = 0x%08x after REMOVE_BUFS(index %u, count 0)", j,
            r.reserved[j], indices[i]);
      KTEST_REQUIRE (r.reserved[j] == 0);
    }
    KTEST_REQUIRE (r.index == indices[i] && r.count == 0 && r.type == q->type);
  }
  KTEST_REQUIRE (hole_intact (&s));

  ok = TRUE;
done:
  session_close (&s);
  return ok;
}

/* 5. A buffer that is not dequeued makes REMOVE_BUFS of any range holding
 * it fail with EBUSY, and nothing of that range is removed. */
static gboolean
test_remove_queued_busy (Queue *q)
{
  gint request_fd, reinit_fd;
  gboolean ok = FALSE;
  Session s;

  KTEST_REQUIRE (session_open (&s, q));
  KTEST_REQUIRE (create_at (&s, 4, 0));
  KTEST_REQUIRE (hold_buffer (&s, 1, &request_fd));
  KTEST_REQUIRE (buffer_state_is (&s, 1, held_state (q)));

  KTEST_REQUIRE (remove_expect (&s, 0, 3, EBUSY));
  KTEST_REQUIRE (remove_expect (&s, 1, 1, EBUSY));
  KTEST_REQUIRE (buffers_exist (&s, 0, 4));
  KTEST_REQUIRE (buffer_state_is (&s, 1, held_state (q)));

  if (q->output) {
    /* Closing the request fd does NOT release the buffer: vb2 took its own
     * reference on the request when the buffer was bound to it
     * (videobuf2-core.c vb2_core_qbuf: "media_request_get(req);
     * vb->request = req;"), so the request and the binding live on until
     * STREAMOFF, REQBUFS(0) or close of the video node. */
    session_close_fd (&s, request_fd);
    KTEST_REQUIRE (remove_expect (&s, 1, 1, EBUSY));
    KTEST_REQUIRE (buffer_state_is (&s, 1, V4L2_BUF_FLAG_IN_REQUEST));

    /* MEDIA_REQUEST_IOC_REINIT of a request that was never queued does
     * unbind its buffer (mc-request.c media_request_clean ->
     * vb2_req_release), which makes it removable while others stay busy. */
    KTEST_REQUIRE (hold_buffer (&s, 3, &reinit_fd));
    KTEST_REQUIRE (remove_expect (&s, 3, 1, EBUSY));
    KTEST_REQUIRE (ktest_expect_errno (
        ktest_ioctl (reinit_fd, MEDIA_REQUEST_IOC_REINIT, NULL), 0,
        "MEDIA_REQUEST_IOC_REINIT"));
    KTEST_REQUIRE (buffer_state_is (&s, 3, 0));
    KTEST_REQUIRE (remove_expect (&s, 3, 1, 0));
    KTEST_REQUIRE (buffers_gone (&s, 3, 1));
  }

  /* STREAMOFF returns every buffer to the dequeued state, streaming or
   * not (videobuf2-core.c vb2_core_streamoff -> __vb2_queue_cancel). */
  KTEST_REQUIRE (stream (&s, FALSE));
  KTEST_REQUIRE (buffer_state_is (&s, 1, 0));
  KTEST_REQUIRE (remove_expect (&s, 0, 3, 0));
  KTEST_REQUIRE (buffers_gone (&s, 0, 3));

  ok = TRUE;
done:
  session_close (&s);
  return ok;
}

/* 6. CREATE_BUFS takes the lowest free range that fits: after removing
 * 1..2 of 0..5, three buffers go to 6..8 and two fill 1..2; one buffer
 * fills a single hole.  (videobuf2-core.c __vb2_queue_alloc searches the
 * bitmap from 0, so the index is exact, not just ">= 6".) */
static gboolean
test_create_fills_hole (Queue *q)
{
  gboolean ok = FALSE;
  Session s;

  KTEST_REQUIRE (session_open (&s, q));
  KTEST_REQUIRE (create_at (&s, 6, 0));
  KTEST_REQUIRE (remove_expect (&s, 1, 2, 0));
  KTEST_REQUIRE (buffers_gone (&s, 1, 2));
  KTEST_REQUIRE (create_at (&s, 3, 6));
  KTEST_REQUIRE (create_at (&s, 2, 1));
  KTEST_REQUIRE (remove_expect (&s, 4, 1, 0));
  KTEST_REQUIRE (create_at (&s, 1, 4));
  KTEST_REQUIRE (buffers_exist (&s, 0, 9));
  KTEST_REQUIRE (buffers_gone (&s, 9, 1));

  ok = TRUE;
done:
  session_close (&s);
  return ok;
}

/* 7. The queue fills up to its limit, clamping each request to the room
 * left, then CREATE_BUFS fails with ENOBUFS (6.12 and 6.1
 * videobuf2-core.c vb2_core_create_bufs; the limit is max_num_buffers, or
 * VB2_MAX_FRAME on 6.1). */
static gboolean
test_enobufs_at_max (Queue *q)
{
  const guint chunk = 16;
  struct gst_v4l2_elastic_create_buffers c;
  gboolean ok = FALSE;
  guint total = 0;
  Session s;

  KTEST_REQUIRE (session_open (&s, q));
  ktest_diag ("filling the queue up to %u buffers", q->max_buffers);
  while (total < q->max_buffers) {
    guint room = q->max_buffers - total;

    KTEST_REQUIRE (ktest_expect_errno (create_bufs (&s, chunk, &c), 0,
        "CREATE_BUFS(%u) with %u buffers allocated", chunk, total));
    if (c.index != total || c.count != MIN (chunk, room))
      ktest_diag ("CREATE_BUFS(%u) with %u allocated gave %u at index %u",
          chunk, total, c.count, c.index);
    KTEST_REQUIRE (c.index == total);
    KTEST_REQUIRE (c.count == MIN (chunk, room));
    total += c.count;
  }
  KTEST_REQUIRE (buffers_exist (&s, 0, q->max_buffers));
  KTEST_REQUIRE (ktest_expect_errno (create_bufs (&s, 1, &c), ENOBUFS,
      "CREATE_BUFS(1) with %u buffers allocated", total));
  KTEST_REQUIRE (ktest_expect_errno (create_bufs (&s, chunk, &c), ENOBUFS,
      "CREATE_BUFS(%u) with %u buffers allocated", chunk, total));
  KTEST_REQUIRE (buffers_gone (&s, q->max_buffers, 1));

  ok = TRUE;
done:
  session_close (&s);
  return ok;
}

/* Every dma-buf has an inode of its own. */
static gboolean
distinct_dmabufs (gint fd_a, gint fd_b)
{
  struct stat a, b;

  if (fstat (fd_a, &a) < 0 || fstat (fd_b, &b) < 0) {
    ktest_diag ("fstat of a dmabuf fd failed: %s", g_strerror (errno));
    return FALSE;
  }
  if (a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
    ktest_diag ("dmabuf fds %d and %d are the same dma-buf", fd_a, fd_b);
    return FALSE;
  }
  return TRUE;
}

/* 8. An index given out again after REMOVE_BUFS is a new buffer: it must
 * be queried, exported and mapped afresh.  The removed buffer's memory
 * lives on for as long as its old mapping and dmabuf exist and does not
 * alias the new one. */
static gboolean
test_reused_index (Queue *q)
{
  const guint index = 2;
  guint8 *old_vmap, *old_dmap, *new_vmap, *new_dmap;
  gint old_dfd, new_dfd;
  BufInfo old_info, new_info;
  gboolean ok = FALSE;
  gsize len;
  Session s;

  KTEST_REQUIRE (session_open (&s, q));
  KTEST_REQUIRE (create_at (&s, 4, 0));

  KTEST_REQUIRE (
      ktest_expect_errno (query_buf (&s, index, &old_info), 0, "QUERYBUF"));
  len = old_info.length[0];
  KTEST_REQUIRE (
      ktest_expect_errno (export_buf (&s, index, &old_dfd), 0, "EXPBUF"));
  KTEST_REQUIRE ((old_vmap = session_map (&s, s.fd, old_info.offset, len)));
  KTEST_REQUIRE ((old_dmap = session_map (&s, old_dfd, 0, len)));
  pattern_write (-1, old_vmap, len, 1);
  KTEST_REQUIRE (pattern_check (
      old_dfd, old_dmap, len, 1, "old buffer through its dmabuf"));

  /* Mapped and exported buffers are removed all the same: their memory
   * becomes orphaned, not freed. */
  KTEST_REQUIRE (remove_expect (&s, index, 1, 0));
  KTEST_REQUIRE (buffers_gone (&s, index, 1));
  KTEST_REQUIRE (create_at (&s, 1, index));

  KTEST_REQUIRE (
      ktest_expect_errno (query_buf (&s, index, &new_info), 0, "QUERYBUF"));
  ktest_diag ("buffer %u: mmap offset 0x%08x before, 0x%08x after re-creation",
      index, old_info.offset, new_info.offset);
  KTEST_REQUIRE (new_info.length[0] == len);
  KTEST_REQUIRE (
      ktest_expect_errno (export_buf (&s, index, &new_dfd), 0, "EXPBUF"));
  KTEST_REQUIRE (distinct_dmabufs (old_dfd, new_dfd));
  KTEST_REQUIRE ((new_vmap = session_map (&s, s.fd, new_info.offset, len)));
  KTEST_REQUIRE ((new_dmap = session_map (&s, new_dfd, 0, len)));

  /* The new buffer is one piece of memory seen through both mappings. */
  pattern_write (-1, new_vmap, len, 2);
  KTEST_REQUIRE (pattern_check (
      new_dfd, new_dmap, len, 2, "new buffer through its dmabuf"));
  pattern_write (new_dfd, new_dmap, len, 3);
  KTEST_REQUIRE (pattern_check (
      -1, new_vmap, len, 3, "new buffer through the video node"));

  /* The old one kept its content through both of its old mappings. */
  KTEST_REQUIRE (pattern_check (
      -1, old_vmap, len, 1, "old buffer through its video node mapping"));
  KTEST_REQUIRE (pattern_check (
      old_dfd, old_dmap, len, 1, "old buffer through its dmabuf"));

  KTEST_REQUIRE (buffers_exist (&s, 0, 4));

  ok = TRUE;
done:
  session_close (&s);
  return ok;
}

/* 9. REMOVE_BUFS works while the queue streams, on buffers that are not
 * queued; a queued one is EBUSY until STREAMOFF. */
static gboolean
test_remove_while_streaming (Queue *q)
{
  gboolean ok = FALSE;
  gint request_fd;
  Session s;

  KTEST_REQUIRE (session_open (&s, q));
  KTEST_REQUIRE (create_at (&s, 4, 0));
  KTEST_REQUIRE (stream (&s, TRUE));
  KTEST_REQUIRE (hold_buffer (&s, 0, &request_fd));
  KTEST_REQUIRE (hold_buffer (&s, 1, &request_fd));

  KTEST_REQUIRE (remove_expect (&s, 3, 1, 0));
  KTEST_REQUIRE (buffers_gone (&s, 3, 1));
  KTEST_REQUIRE (remove_expect (&s, 1, 1, EBUSY));
  KTEST_REQUIRE (remove_expect (&s, 1, 2, EBUSY));
  KTEST_REQUIRE (buffers_exist (&s, 0, 3));
  KTEST_REQUIRE (buffer_state_is (&s, 1, held_state (q)));

  /* Still streaming: a created buffer fills the hole, and is removable. */
  KTEST_REQUIRE (create_at (&s, 1, 3));
  KTEST_REQUIRE (remove_expect (&s, 3, 1, 0));

  KTEST_REQUIRE (stream (&s, FALSE));
  KTEST_REQUIRE (remove_expect (&s, 0, 2, 0));
  KTEST_REQUIRE (buffers_gone (&s, 0, 2));
  KTEST_REQUIRE (buffers_exist (&s, 2, 1));

  ok = TRUE;
done:
  session_close (&s);
  return ok;
}

/* Without REMOVE_BUFS (stock 6.1): no report of it anywhere, before or
 * after buffers exist. */
static gboolean
test_remove_bufs_cap_absent (Queue *q)
{
  struct v4l2_requestbuffers rb = {
    0,
  };
  struct gst_v4l2_elastic_create_buffers c;
  gboolean ok = FALSE;
  Session s;

  KTEST_REQUIRE (session_open (&s, q));
  KTEST_REQUIRE (
      ktest_expect_errno (create_bufs (&s, 0, &c), 0, "CREATE_BUFS(0)"));
  KTEST_REQUIRE (!(c.capabilities & V4L2_BUF_CAP_SUPPORTS_REMOVE_BUFS));
  KTEST_REQUIRE (create_at (&s, 2, 0));
  KTEST_REQUIRE (
      ktest_expect_errno (create_bufs (&s, 1, &c), 0, "CREATE_BUFS(1)"));
  KTEST_REQUIRE (!(c.capabilities & V4L2_BUF_CAP_SUPPORTS_REMOVE_BUFS));

  rb.count = 2;
  rb.type = q->type;
  rb.memory = V4L2_MEMORY_MMAP;
  KTEST_REQUIRE (ktest_expect_errno (
      ktest_ioctl (s.fd, VIDIOC_REQBUFS, &rb), 0, "REQBUFS(2)"));
  KTEST_REQUIRE (!(rb.capabilities & V4L2_BUF_CAP_SUPPORTS_REMOVE_BUFS));

  ok = TRUE;
done:
  session_close (&s);
  return ok;
}

/* Without REMOVE_BUFS the ioctl is unknown: ENOTTY whatever the count
 * (6.1 v4l2-ioctl.c __video_do_ioctl: an ioctl outside the table goes to
 * vidioc_default, which vicodec does not have). */
static gboolean
test_remove_bufs_enotty (Queue *q)
{
  gboolean ok = FALSE;
  Session s;

  KTEST_REQUIRE (session_open (&s, q));
  KTEST_REQUIRE (create_at (&s, 2, 0));
  KTEST_REQUIRE (remove_expect (&s, 0, 0, ENOTTY));
  KTEST_REQUIRE (remove_expect (&s, 1, 1, ENOTTY));
  KTEST_REQUIRE (buffers_exist (&s, 0, 2));

  ok = TRUE;
done:
  session_close (&s);
  return ok;
}

typedef gboolean (*QueueTestFunc) (Queue *q);

typedef struct
{
  const gchar *name;
  QueueTestFunc func;
} QueueTest;

static const QueueTest common_tests[] = {
  { "capabilities", test_capabilities },
  { "create-indices", test_create_indices },
};

static const QueueTest remove_bufs_tests[] = {
  { "remove-middle", test_remove_middle },
  { "remove-hole-again", test_remove_hole_again },
  { "remove-range-over-hole", test_remove_range_over_hole },
  { "remove-past-end", test_remove_past_end },
  { "remove-bad-type", test_remove_bad_type },
  { "remove-count-zero", test_remove_count_zero },
  { "remove-queued-busy", test_remove_queued_busy },
  { "create-fills-hole", test_create_fills_hole },
  { "enobufs-at-max", test_enobufs_at_max },
  { "reused-index", test_reused_index },
  { "remove-while-streaming", test_remove_while_streaming },
};

static const QueueTest no_remove_bufs_tests[] = {
  { "remove-bufs-cap-absent", test_remove_bufs_cap_absent },
  { "remove-bufs-enotty", test_remove_bufs_enotty },
  { "enobufs-at-max", test_enobufs_at_max },
};

static void
run_tests (Queue *q, const QueueTest *tests, guint n_tests)
{
  guint i;

  for (i = 0; i < n_tests; i++) {
    gboolean ok = tests[i].func (q);

    ktest_result (
        ok, "%s %s %s %s", q->release, q->node->driver, q->name, tests[i].name);
  }
}

static void
run_queue (const gchar *release, const GstV4l2ElasticDecoderNode *node,
    const GstV4l2ElasticDecoderCaps *caps, gboolean output)
{
  Queue q = {
    0,
  };

  q.release = release;
  q.node = node;
  q.caps = caps;
  q.output = output;
  q.mplane = caps->multiplanar;
  q.name = output ? "OUTPUT" : "CAPTURE";
  q.type = output ? output_type (&q) : capture_type (&q);

  run_tests (&q, common_tests, G_N_ELEMENTS (common_tests));
  if (q.remove_bufs)
    run_tests (&q, remove_bufs_tests, G_N_ELEMENTS (remove_bufs_tests));
  else
    run_tests (&q, no_remove_bufs_tests, G_N_ELEMENTS (no_remove_bufs_tests));
}

/* --------------------------------------------------------------- main */

typedef struct
{
  GstV4l2ElasticDecoderNode *node;
  GstV4l2ElasticDecoderCaps *caps;
} Decoder;

static void
decoder_free (Decoder *d)
{
  gst_v4l2_elastic_decoder_caps_free (d->caps);
  g_free (d);
}

/* The stateless decoders among the media controller's decoders. */
static GPtrArray *
find_stateless_decoders (GList *nodes)
{
  GPtrArray *decoders =
      g_ptr_array_new_with_free_func ((GDestroyNotify) decoder_free);
  GList *l;

  for (l = nodes; l; l = l->next) {
    GstV4l2ElasticDecoderNode *node = l->data;
    GError *error = NULL;
    GstV4l2ElasticDecoderCaps *caps =
        gst_v4l2_elastic_probe_decoder (node->video_path, &error);
    Decoder *d;

    if (!caps) {
      ktest_diag ("cannot probe %s (%s, %s): %s", node->video_path,
          node->driver, node->entity_name, error->message);
      g_clear_error (&error);
      continue;
    }
    if (!caps->stateless) {
      ktest_diag ("skipping %s (%s, %s): not a stateless decoder",
          node->video_path, node->driver, node->entity_name);
      gst_v4l2_elastic_decoder_caps_free (caps);
      continue;
    }
    ktest_diag ("stateless decoder %s (%s, %s, %s) on %s, %s", node->video_path,
        node->driver, node->entity_name, caps->card, node->media_path,
        caps->multiplanar ? "multi-planar" : "single-planar");
    d = g_new0 (Decoder, 1);
    d->node = node;
    d->caps = caps;
    g_ptr_array_add (decoders, d);
  }
  return decoders;
}

static gboolean
driver_found (GPtrArray *decoders, const gchar *driver)
{
  guint i;

  for (i = 0; i < decoders->len; i++) {
    Decoder *d = g_ptr_array_index (decoders, i);

    if (g_strcmp0 (d->node->driver, driver) == 0)
      return TRUE;
  }
  return FALSE;
}

/* --expect takes comma-separated lists and may be repeated. */
static gchar **
split_expected (gchar **args)
{
  GPtrArray *names = g_ptr_array_new ();
  guint i, j;

  for (i = 0; args && args[i]; i++) {
    gchar **parts = g_strsplit (args[i], ",", -1);

    for (j = 0; parts[j]; j++) {
      g_strstrip (parts[j]);
      if (*parts[j])
        g_ptr_array_add (names, g_strdup (parts[j]));
    }
    g_strfreev (parts);
  }
  g_ptr_array_add (names, NULL);
  return (gchar **) g_ptr_array_free (names, FALSE);
}

int
main (int argc, char **argv)
{
  gchar **expect_args = NULL, **expected;
  gchar *remove_arg = NULL;
  GOptionEntry entries[] = {
    { "remove-bufs", 0, 0, G_OPTION_ARG_STRING, &remove_arg,
        "Whether every queue must report REMOVE_BUFS", "yes|no|any" },
    { "expect", 0, 0, G_OPTION_ARG_STRING_ARRAY, &expect_args,
        "Fail unless these drivers (comma-separated) have a stateless "
        "decoder",
        "DRIVER[,DRIVER...]" },
    { NULL }
  };
  GOptionContext *ctx;
  GError *error = NULL;
  GPtrArray *decoders;
  struct utsname un;
  GList *nodes;
  guint i;

  ctx = g_option_context_new (
      "- check the kernel's CREATE_BUFS and "
      "REMOVE_BUFS semantics on every stateless V4L2 decoder");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_printerr ("%s\n", error->message);
    g_clear_error (&error);
    g_option_context_free (ctx);
    return 2;
  }
  g_option_context_free (ctx);
  if (!remove_arg || g_str_equal (remove_arg, "any")) {
    expect_remove_bufs = EXPECT_ANY;
  } else if (g_str_equal (remove_arg, "yes")) {
    expect_remove_bufs = EXPECT_YES;
  } else if (g_str_equal (remove_arg, "no")) {
    expect_remove_bufs = EXPECT_NO;
  } else {
    g_printerr ("--remove-bufs takes yes, no or any\n");
    return 2;
  }
  g_free (remove_arg);
  expected = split_expected (expect_args);
  g_strfreev (expect_args);

  if (uname (&un) < 0)
    g_strlcpy (un.release, "unknown-kernel", sizeof (un.release));

  ktest_begin (NULL);
  ktest_diag ("kernel %s %s", un.release, un.version);

  nodes = gst_v4l2_elastic_media_find_decoders ();
  decoders = find_stateless_decoders (nodes);

  for (i = 0; expected[i]; i++) {
    gboolean found = driver_found (decoders, expected[i]);

    if (!found)
      ktest_diag ("no stateless decoder of driver '%s' found through the media "
                  "controller",
          expected[i]);
    ktest_result (found, "%s %s discover", un.release, expected[i]);
  }
  /* A run that checks nothing must not pass. */
  if (decoders->len == 0) {
    ktest_diag ("no stateless decoder found through the media controller");
    ktest_result (FALSE, "%s any discover", un.release);
  }

  for (i = 0; i < decoders->len; i++) {
    Decoder *d = g_ptr_array_index (decoders, i);

    run_queue (un.release, d->node, d->caps, FALSE);
    run_queue (un.release, d->node, d->caps, TRUE);
  }

  g_ptr_array_unref (decoders);
  gst_v4l2_elastic_decoder_node_list_free (nodes);
  g_strfreev (expected);

  return ktest_end ();
}
