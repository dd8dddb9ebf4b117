/* gst-v4l2-elastic
 *
 * v4l2elastic-stress: a seeded, time-bounded randomized stress test of the
 * kernel's buffer management on vicodec's stateless decoder.  Several
 * processes, each with several threads, share open files of the decoder and
 * do CREATE_BUFS, REMOVE_BUFS, QBUF, DQBUF, STREAMON/OFF, REQBUFS(0),
 * EXPBUF, mmap/munmap, media requests (queued or re-initialised) and
 * close/reopen in random order, while real decode jobs run: every OUTPUT
 * buffer carries a valid FWHT frame, and P-frames name as reference the
 * timestamp of a frame decoded before, which other threads may remove at
 * any time.  The frames are crafted so that a P-frame reads its whole
 * reference buffer.
 *
 * Every ioctl result must be one the API allows for that call; the kernel
 * log must not show a WARNING, BUG, Oops or refcount report afterwards.
 * Prints TAP version 13; exits 0 only when every check passed.
 *
 *   v4l2elastic-stress [--seed N] [--duration SECONDS] [--processes N]
 *                      [--threads N] [--driver NAME] [--churn N]
 *
 * --churn N adds N processes that each open the decoder, set it up,
 * stream, decode an I-frame and close it again, over and over, so that
 * contexts of other files start and end (and their jobs run) while the
 * other processes remove buffers: the removal must wait for its own
 * context's job only, and never touch a context that is gone.  Every
 * other cycle closes the file while the frame's job may still be queued
 * or running.
 *
 * The interleaving of the threads is not reproducible, but each thread's
 * sequence of operations is a function of the seed.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/media.h>
#include <linux/v4l2-controls.h>

#include <glib.h>

#include "gstv4l2media.h"
#include "gstv4l2probe.h"
#include "ktest.h"
#include "v4l2-compat.h"

#define WIDTH 640
#define HEIGHT 360

/* FWHT bitstream (drivers/media/test-drivers/vicodec/codec-fwht.c): each
 * plane is a run of 8x8 blocks; a block starts with a 16-bit header whose
 * bit 15 marks a P-block and whose bits 1..12 repeat the block that many
 * more times; the coefficient word 0x000f means "all remaining
 * coefficients are zero".  One block repeated 4095 times covers every plane
 * up to 4096 blocks (640x360 luma has 3600), so a frame is 3 x 2 words: an
 * all-zero intra block for an I-frame, or an all-zero delta for a P-frame,
 * which the decoder adds to every block of its reference buffer. */
#define FWHT_PFRAME_BIT 0x8000
#define FWHT_DUPS_MASK 0x1ffe
#define FWHT_ALL_ZEROS 0x000f
#define FRAME_WORDS 6

#define RECENT_TS 8

/* ------------------------------------------------------------ results */

typedef enum
{
  OP_CREATE,
  OP_REMOVE,
  OP_QBUF_CAPTURE,
  OP_DECODE,
  OP_DQBUF,
  OP_STREAMON,
  OP_STREAMOFF,
  OP_REQBUFS0,
  OP_EXPBUF,
  OP_MMAP,
  OP_MUNMAP,
  OP_REOPEN,
  N_OPS
} Op;

static const gchar *op_names[N_OPS] = {
  "CREATE_BUFS",
  "REMOVE_BUFS",
  "QBUF(CAPTURE)",
  "decode request",
  "DQBUF",
  "STREAMON",
  "STREAMOFF",
  "REQBUFS(0)",
  "EXPBUF+mmap",
  "QUERYBUF+mmap",
  "munmap/close",
  "close+reopen",
};

/* Relative frequency of each operation. */
static const guint op_weights[N_OPS] = {
  10,
  10,
  14,
  14,
  16,
  5,
  1,
  1,
  4,
  5,
  4,
  1,
};

#define MAX_ERRNO 160

/* Shared between the processes (anonymous shared mapping). */
typedef struct
{
  gint calls[N_OPS];
  gint ok[N_OPS];
  gint errnos[N_OPS][MAX_ERRNO];
  gint unexpected;
  gint frames_done;      /* CAPTURE buffers dequeued without ERROR */
  gint frames_error;     /* CAPTURE buffers dequeued with ERROR */
  gint pframes;          /* P-frames submitted */
  gint mapped_reads;     /* reads through mappings of removed buffers */
  gint removed_buffers;  /* buffers removed by REMOVE_BUFS */
  gint churn_cycles;     /* open, stream, decode, close cycles completed */
  gint churn_frames;     /* frames the churn processes got back */
  gint churn_unexpected; /* churn steps that failed */
} Stats;

static Stats *stats;

/* ------------------------------------------------------------ options */

static guint opt_seed;
static guint opt_duration = 20;
static guint opt_processes = 3;
static guint opt_threads = 3;
static gchar *opt_driver;
static guint opt_churn;

static const GstV4l2ElasticDecoderNode *target;
static gboolean mplane;
static gboolean have_remove_bufs;
static guint max_buffers = 32;

/* ---------------------------------------------------------- utilities */

static guint32
out_type (void)
{
  return mplane ? V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE
                : V4L2_BUF_TYPE_VIDEO_OUTPUT;
}

static guint32
cap_type (void)
{
  return mplane ? V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE
                : V4L2_BUF_TYPE_VIDEO_CAPTURE;
}

/* Errors the API allows for each operation on a queue that other threads
 * change at the same time.  ENOTTY is allowed for REMOVE_BUFS only when the
 * kernel does not have it. */
static gboolean
errno_allowed (Op op, gint err)
{
  switch (err) {
  case 0:
  case EINVAL: /* no such buffer, wrong state, not streaming */
  case EBUSY:  /* buffer not dequeued, queue in the other mode, owner */
    return TRUE;
  case EAGAIN: /* nothing to dequeue */
  case EPIPE:  /* last buffer dequeued */
    return op == OP_DQBUF;
  case ENOBUFS: /* queue full */
    return op == OP_CREATE;
  case EBADR: /* a request-only queue got QBUF without request */
    return op == OP_QBUF_CAPTURE || op == OP_DECODE;
  case ENOENT: /* request without buffer or control */
  case EACCES:
    return op == OP_DECODE;
  case ENOMEM:
    return op == OP_CREATE || op == OP_STREAMON || op == OP_DECODE ||
        op == OP_MMAP || op == OP_EXPBUF;
  case EIO: /* queue in error state */
    return op == OP_DQBUF || op == OP_QBUF_CAPTURE || op == OP_DECODE;
  case ENOTTY:
    return op == OP_REMOVE && !have_remove_bufs;
  default:
    return FALSE;
  }
}

static void
record (Op op, gint err, const gchar *what)
{
  g_atomic_int_inc (&stats->calls[op]);
  if (!err)
    g_atomic_int_inc (&stats->ok[op]);
  if (err >= 0 && err < MAX_ERRNO)
    g_atomic_int_inc (&stats->errnos[op][err]);
  if (!errno_allowed (op, err)) {
    if (g_atomic_int_add (&stats->unexpected, 1) < 20)
      printf ("# unexpected: %s (%s) failed with %s\n", op_names[op], what,
          g_strerror (err));
    fflush (stdout);
  }
}

/* --------------------------------------------------------- the session */

typedef struct
{
  gpointer addr;
  gsize len;
  gint dmabuf_fd; /* -1 for a mapping of the video node */
} Mapping;

/* One process's open file of the decoder, shared by its threads.  The
 * lock is taken for reading around every use of the file descriptors and
 * for writing by close+reopen, so that no thread uses a number that was
 * closed (or reused by another open).  The kernel side of close (the
 * release of the context while buffers are mapped, exported or decoding)
 * happens all the same. */
typedef struct
{
  GRWLock lock;
  gint fd;
  gint media_fd;

  GMutex ts_lock;
  guint64 next_ts; /* microseconds */
  guint64 recent[RECENT_TS];
  guint n_recent;
} Session;

static gboolean
set_formats (gint fd)
{
  struct v4l2_format f = {
    0,
  };

  f.type = out_type ();
  if (mplane) {
    f.fmt.pix_mp.pixelformat = V4L2_PIX_FMT_FWHT_STATELESS;
    f.fmt.pix_mp.width = WIDTH;
    f.fmt.pix_mp.height = HEIGHT;
  } else {
    f.fmt.pix.pixelformat = V4L2_PIX_FMT_FWHT_STATELESS;
    f.fmt.pix.width = WIDTH;
    f.fmt.pix.height = HEIGHT;
  }
  if (ktest_ioctl (fd, VIDIOC_S_FMT, &f))
    return FALSE;

  memset (&f, 0, sizeof (f));
  f.type = cap_type ();
  if (mplane) {
    f.fmt.pix_mp.pixelformat = V4L2_PIX_FMT_YUV420;
    f.fmt.pix_mp.width = WIDTH;
    f.fmt.pix_mp.height = HEIGHT;
  } else {
    f.fmt.pix.pixelformat = V4L2_PIX_FMT_YUV420;
    f.fmt.pix.width = WIDTH;
    f.fmt.pix.height = HEIGHT;
  }
  return ktest_ioctl (fd, VIDIOC_S_FMT, &f) == 0;
}

/* Opens the video node with both formats set; -1 on failure. */
static gint
open_decoder (void)
{
  gint fd = open (target->video_path, O_RDWR | O_NONBLOCK | O_CLOEXEC);

  if (fd < 0)
    return -1;
  if (!set_formats (fd)) {
    close (fd);
    return -1;
  }
  return fd;
}

/* ------------------------------------------------------------ threads */

typedef struct
{
  Session *s;
  GRand *rand;
  GArray *maps; /* Mapping */
  gint64 deadline;
  guint proc, thread;
} Worker;

static guint32
pick_type (Worker *w)
{
  return g_rand_boolean (w->rand) ? out_type () : cap_type ();
}

/* A buffer index: mostly among the first ones, sometimes anywhere up to
 * past the limit. */
static guint
pick_index (Worker *w)
{
  if (g_rand_int_range (w->rand, 0, 8) == 0)
    return g_rand_int_range (w->rand, 0, max_buffers + 2);
  return g_rand_int_range (w->rand, 0, 12);
}

static gint
query (gint fd, guint32 type, guint index, struct v4l2_buffer *b,
    struct v4l2_plane *planes)
{
  memset (b, 0, sizeof (*b));
  b->index = index;
  b->type = type;
  b->memory = V4L2_MEMORY_MMAP;
  if (mplane) {
    memset (planes, 0, sizeof (*planes) * VIDEO_MAX_PLANES);
    b->m.planes = planes;
    b->length = VIDEO_MAX_PLANES;
  }
  return ktest_ioctl (fd, VIDIOC_QUERYBUF, b);
}

static guint32
buf_offset (const struct v4l2_buffer *b)
{
  return mplane ? b->m.planes[0].m.mem_offset : b->m.offset;
}

static guint32
buf_length (const struct v4l2_buffer *b)
{
  return mplane ? b->m.planes[0].length : b->length;
}

static void
op_create (Worker *w, gint fd)
{
  struct gst_v4l2_elastic_create_buffers c;
  gint err;

  memset (&c, 0, sizeof (c));
  c.count = g_rand_int_range (w->rand, 1, 5);
  c.memory = V4L2_MEMORY_MMAP;
  c.format.type = pick_type (w);
  err = ktest_ioctl (fd, VIDIOC_G_FMT, &c.format);
  if (!err)
    err = ktest_ioctl (fd, VIDIOC_CREATE_BUFS, &c);
  record (OP_CREATE, err, "");
}

static void
op_remove (Worker *w, gint fd)
{
  struct v4l2_remove_buffers r;
  gint err;

  memset (&r, 0, sizeof (r));
  r.type = pick_type (w);
  r.index = pick_index (w);
  r.count =
      g_rand_int_range (w->rand, 0, 8) ? 1 : g_rand_int_range (w->rand, 0, 4);
  err = ktest_ioctl (fd, VIDIOC_REMOVE_BUFS, &r);
  if (!err)
    g_atomic_int_add (&stats->removed_buffers, r.count);
  record (OP_REMOVE, err, "");
}

static void
op_qbuf_capture (Worker *w, gint fd)
{
  record (OP_QBUF_CAPTURE,
      ktest_qbuf (fd, cap_type (), pick_index (w), 0, 0, -1), "");
}

/* Writes a crafted frame into OUTPUT buffer @index through a temporary
 * mapping; FALSE if the buffer cannot be mapped (removed meanwhile). */
static gboolean
write_frame (gint fd, guint index, gboolean pframe)
{
  struct v4l2_plane planes[VIDEO_MAX_PLANES];
  struct v4l2_buffer b;
  guint16 words[FRAME_WORDS];
  gpointer p;
  guint i;

  if (query (fd, out_type (), index, &b, planes))
    return FALSE;
  p = mmap (NULL, buf_length (&b), PROT_READ | PROT_WRITE, MAP_SHARED, fd,
      buf_offset (&b));
  if (p == MAP_FAILED)
    return FALSE;
  for (i = 0; i < FRAME_WORDS; i += 2) {
    words[i] = htons (FWHT_DUPS_MASK | (pframe ? FWHT_PFRAME_BIT : 0));
    words[i + 1] = htons (FWHT_ALL_ZEROS);
  }
  memcpy (p, words, sizeof (words));
  munmap (p, buf_length (&b));
  return TRUE;
}

/* Allocates a media request (*req, -1 if that failed) and binds OUTPUT
 * buffer @index to it with the FWHT parameters of a crafted I-frame (@ref
 * 0) or of a P-frame on the frame with timestamp @ref (µs).  Returns 0 or
 * the errno; the caller queues or re-initialises the request. */
static gint
bind_frame_request (
    gint fd, gint media_fd, guint index, guint64 ts, guint64 ref, gint *req)
{
  struct v4l2_ctrl_fwht_params params;
  gint err;

  *req = -1;
  err = ktest_ioctl (media_fd, MEDIA_IOC_REQUEST_ALLOC, req);
  if (err)
    return err;

  ktest_fwht_crafted_params (&params, WIDTH, HEIGHT, ref * 1000);
  err = ktest_set_fwht_params (fd, *req, &params);
  if (!err)
    err = ktest_qbuf (fd, out_type (), index, FRAME_WORDS * 2, ts * 1000, *req);
  return err;
}

/* One decode: an OUTPUT buffer with a crafted I- or P-frame, bound to a
 * media request with its FWHT parameters; the request is queued, or
 * sometimes re-initialised instead (which unbinds the buffer without the
 * queue lock). */
static void
op_decode (Worker *w, gint fd, gint media_fd)
{
  Session *s = w->s;
  guint index = pick_index (w);
  gboolean pframe;
  guint64 ts, ref = 0;
  gint req = -1, err;

  g_mutex_lock (&s->ts_lock);
  ts = ++s->next_ts;
  pframe = s->n_recent > 0 && g_rand_int_range (w->rand, 0, 4) != 0;
  if (pframe)
    ref =
        s->recent[g_rand_int_range (w->rand, 0, MIN (s->n_recent, RECENT_TS))];
  g_mutex_unlock (&s->ts_lock);

  if (!write_frame (fd, index, pframe)) {
    record (OP_DECODE, EINVAL, "no such OUTPUT buffer");
    return;
  }

  err = bind_frame_request (fd, media_fd, index, ts, pframe ? ref : 0, &req);
  if (req < 0) {
    record (OP_DECODE, err, "MEDIA_IOC_REQUEST_ALLOC");
    return;
  }
  if (!err) {
    if (g_rand_int_range (w->rand, 0, 6) == 0) {
      err = ktest_ioctl (req, MEDIA_REQUEST_IOC_REINIT, NULL);
    } else {
      err = ktest_ioctl (req, MEDIA_REQUEST_IOC_QUEUE, NULL);
      if (!err && pframe)
        g_atomic_int_inc (&stats->pframes);
    }
  }
  record (OP_DECODE, err, "");
  close (req);
}

static void
op_dqbuf (Worker *w, gint fd)
{
  struct v4l2_plane planes[VIDEO_MAX_PLANES];
  struct v4l2_buffer b;
  gboolean capture = g_rand_int_range (w->rand, 0, 3) != 0;
  gint err;

  memset (&b, 0, sizeof (b));
  memset (planes, 0, sizeof (planes));
  b.type = capture ? cap_type () : out_type ();
  b.memory = V4L2_MEMORY_MMAP;
  if (mplane) {
    b.m.planes = planes;
    b.length = VIDEO_MAX_PLANES;
  }
  err = ktest_ioctl (fd, VIDIOC_DQBUF, &b);
  if (!err && capture) {
    if (b.flags & V4L2_BUF_FLAG_ERROR) {
      g_atomic_int_inc (&stats->frames_error);
    } else {
      Session *s = w->s;
      guint64 ts =
          (guint64) b.timestamp.tv_sec * G_USEC_PER_SEC + b.timestamp.tv_usec;

      g_atomic_int_inc (&stats->frames_done);
      g_mutex_lock (&s->ts_lock);
      s->recent[s->n_recent++ % RECENT_TS] = ts;
      g_mutex_unlock (&s->ts_lock);
    }
  }
  record (OP_DQBUF, err, "");
}

static void
op_stream (Worker *w, gint fd, gboolean on)
{
  guint32 type = pick_type (w);

  record (on ? OP_STREAMON : OP_STREAMOFF,
      ktest_ioctl (fd, on ? VIDIOC_STREAMON : VIDIOC_STREAMOFF, &type), "");
}

static void
op_reqbufs0 (Worker *w, gint fd)
{
  struct v4l2_requestbuffers rb = {
    0,
  };

  rb.type = pick_type (w);
  rb.memory = V4L2_MEMORY_MMAP;
  record (OP_REQBUFS0, ktest_ioctl (fd, VIDIOC_REQBUFS, &rb), "");
}

/* Reads every page of a mapping: SIGBUS or SIGSEGV here would mean the
 * kernel freed memory that is still mapped. */
static guint8
touch (const Mapping *m)
{
  const volatile guint8 *p = m->addr;
  guint8 sum = 0;
  gsize i;

  for (i = 0; i < m->len; i += 4096)
    sum += p[i];
  return sum;
}

static void
keep_mapping (Worker *w, gpointer addr, gsize len, gint dmabuf_fd)
{
  Mapping m = { addr, len, dmabuf_fd };

  touch (&m);
  g_array_append_val (w->maps, m);
}

static void
op_expbuf (Worker *w, gint fd)
{
  struct v4l2_exportbuffer e = {
    0,
  };
  gpointer p;
  gint err;

  e.type = pick_type (w);
  e.index = pick_index (w);
  e.flags = O_RDWR | O_CLOEXEC;
  err = ktest_ioctl (fd, VIDIOC_EXPBUF, &e);
  if (!err) {
    off_t len = lseek (e.fd, 0, SEEK_END);

    p = len > 0 ? mmap (NULL, len, PROT_READ, MAP_SHARED, e.fd, 0) : MAP_FAILED;
    if (p == MAP_FAILED) {
      err = errno ? errno : EINVAL;
      close (e.fd);
    } else {
      keep_mapping (w, p, len, e.fd);
    }
  }
  record (OP_EXPBUF, err, "");
}

static void
op_mmap (Worker *w, gint fd)
{
  struct v4l2_plane planes[VIDEO_MAX_PLANES];
  struct v4l2_buffer b;
  gboolean output = g_rand_boolean (w->rand);
  gint err;

  err = query (
      fd, output ? out_type () : cap_type (), pick_index (w), &b, planes);
  if (!err) {
    /* OUTPUT mappings need write access, CAPTURE ones read access. */
    gpointer p = mmap (NULL, buf_length (&b),
        output ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd,
        buf_offset (&b));

    if (p == MAP_FAILED)
      err = errno;
    else
      keep_mapping (w, p, buf_length (&b), -1);
  }
  record (OP_MMAP, err, "");
}

/* Reads an old mapping (its buffer may have been removed or the file
 * closed since) and drops it. */
static void
op_munmap (Worker *w)
{
  Mapping m;
  guint i;

  if (w->maps->len == 0) {
    record (OP_MUNMAP, 0, "");
    return;
  }
  i = g_rand_int_range (w->rand, 0, w->maps->len);
  m = g_array_index (w->maps, Mapping, i);
  g_array_remove_index_fast (w->maps, i);
  touch (&m);
  g_atomic_int_inc (&stats->mapped_reads);
  munmap (m.addr, m.len);
  if (m.dmabuf_fd >= 0)
    close (m.dmabuf_fd);
  record (OP_MUNMAP, 0, "");
}

static void
op_reopen (Worker *w)
{
  Session *s = w->s;
  gint fd = open_decoder ();

  g_rw_lock_writer_lock (&s->lock);
  if (fd >= 0) {
    close (s->fd);
    s->fd = fd;
  }
  g_mutex_lock (&s->ts_lock);
  s->n_recent = 0;
  g_mutex_unlock (&s->ts_lock);
  g_rw_lock_writer_unlock (&s->lock);
  record (OP_REOPEN, fd >= 0 ? 0 : EINVAL, "open");
}

static Op
pick_op (Worker *w)
{
  guint total = 0, i, r;

  for (i = 0; i < N_OPS; i++)
    total += op_weights[i];
  r = g_rand_int_range (w->rand, 0, total);
  for (i = 0; i < N_OPS; i++) {
    if (r < op_weights[i])
      return i;
    r -= op_weights[i];
  }
  return OP_DQBUF;
}

static gpointer
worker_main (gpointer data)
{
  Worker *w = data;

  while (g_get_monotonic_time () < w->deadline) {
    Op op = pick_op (w);
    gint fd, media_fd;

    if (op == OP_REOPEN) {
      op_reopen (w);
      continue;
    }
    if (op == OP_MUNMAP) {
      op_munmap (w);
      continue;
    }

    g_rw_lock_reader_lock (&w->s->lock);
    fd = w->s->fd;
    media_fd = w->s->media_fd;
    switch (op) {
    case OP_CREATE:
      op_create (w, fd);
      break;
    case OP_REMOVE:
      op_remove (w, fd);
      break;
    case OP_QBUF_CAPTURE:
      op_qbuf_capture (w, fd);
      break;
    case OP_DECODE:
      op_decode (w, fd, media_fd);
      break;
    case OP_DQBUF:
      op_dqbuf (w, fd);
      break;
    case OP_STREAMON:
      op_stream (w, fd, TRUE);
      break;
    case OP_STREAMOFF:
      op_stream (w, fd, FALSE);
      break;
    case OP_REQBUFS0:
      op_reqbufs0 (w, fd);
      break;
    case OP_EXPBUF:
      op_expbuf (w, fd);
      break;
    case OP_MMAP:
      op_mmap (w, fd);
      break;
    default:
      break;
    }
    g_rw_lock_reader_unlock (&w->s->lock);
  }

  while (w->maps->len)
    op_munmap (w);
  return NULL;
}

/* One process: a session shared by its threads. */
static gint
run_process (guint proc, gint64 deadline)
{
  Session s;
  GThread **threads;
  Worker *workers;
  guint t;

  memset (&s, 0, sizeof (s));
  g_rw_lock_init (&s.lock);
  g_mutex_init (&s.ts_lock);
  s.next_ts = (guint64) (proc + 1) * 1000000000ull;
  s.fd = open_decoder ();
  s.media_fd = open (target->media_path, O_RDWR | O_CLOEXEC);
  if (s.fd < 0 || s.media_fd < 0) {
    printf ("# process %u: cannot open %s or %s\n", proc, target->video_path,
        target->media_path);
    fflush (stdout);
    return 2;
  }

  threads = g_new0 (GThread *, opt_threads);
  workers = g_new0 (Worker, opt_threads);
  for (t = 0; t < opt_threads; t++) {
    Worker *w = &workers[t];

    w->s = &s;
    w->proc = proc;
    w->thread = t;
    w->deadline = deadline;
    w->maps = g_array_new (FALSE, FALSE, sizeof (Mapping));
    /* Each thread's sequence of operations follows from the seed. */
    w->rand = g_rand_new_with_seed (opt_seed ^ (proc * 7919u + t * 104729u));
    threads[t] = g_thread_new ("stress", worker_main, w);
  }
  for (t = 0; t < opt_threads; t++) {
    g_thread_join (threads[t]);
    g_rand_free (workers[t].rand);
    g_array_unref (workers[t].maps);
  }
  g_free (threads);
  g_free (workers);

  close (s.fd);
  close (s.media_fd);
  fflush (stdout);
  return 0;
}

/* ------------------------------------------------------- kernel log */

#define LOG_MARKER "v4l2elastic-stress: start"

/* Writes a marker into the kernel log; FALSE if not allowed (not root). */
static gboolean
kernel_log_mark (void)
{
  gchar *line = g_strdup_printf ("<6>" LOG_MARKER " seed=%u\n", opt_seed);
  gint fd = open ("/dev/kmsg", O_WRONLY | O_CLOEXEC);
  gboolean ok = fd >= 0 && write (fd, line, strlen (line)) > 0;

  if (fd >= 0)
    close (fd);
  g_free (line);
  return ok;
}

/* The kernel log after the last marker, or NULL. */
static gchar *
kernel_log_since_mark (void)
{
  gint size = klogctl (10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
  gchar *buf, *mark, *since;
  gint len;

  if (size <= 0)
    return NULL;
  buf = g_malloc (size + 1);
  len = klogctl (3 /* SYSLOG_ACTION_READ_ALL */, buf, size);
  if (len < 0) {
    g_free (buf);
    return NULL;
  }
  buf[len] = '\0';
  mark = g_strrstr (buf, LOG_MARKER);
  since = g_strdup (mark ? mark : buf);
  g_free (buf);
  return since;
}

static gboolean
kernel_log_clean (const gchar *log)
{
  static const gchar *const bad[] = {
    "WARNING:",
    "BUG:",
    "Oops",
    "refcount_t:",
    "KASAN",
    "general protection",
    "Call Trace:",
  };
  gchar **lines = g_strsplit (log, "\n", -1);
  gboolean clean = TRUE;
  guint i, j;

  for (i = 0; lines[i]; i++) {
    for (j = 0; j < G_N_ELEMENTS (bad); j++) {
      if (strstr (lines[i], bad[j])) {
        printf ("# kernel: %s\n", lines[i]);
        clean = FALSE;
        break;
      }
    }
  }
  g_strfreev (lines);
  return clean;
}
/* A churn step failed: count it and say which. */
static void
churn_fail (guint proc, const gchar *what, gint err)
{
  g_atomic_int_inc (&stats->churn_unexpected);
  printf ("# churn process %u: %s: %s\n", proc, what, ktest_errno_name (err));
  fflush (stdout);
}

/* One churn process: a context of its own that is opened, set up with two
 * buffers per queue, streamed, given one I-frame to decode and closed,
 * until the deadline.  Every other cycle closes the file without waiting
 * for the frame, after a delay of 0 to 3 ms that changes from cycle to
 * cycle, so that the context is released while its job is queued or
 * running (the driver must wait for the job before it frees what the job
 * uses). */
static gint
run_churn (guint proc, gint64 deadline)
{
  gint media_fd = open (target->media_path, O_RDWR | O_CLOEXEC);
  guint64 ts = (guint64) (100 + proc) * 1000000000ull;
  guint cycle = 0;

  if (media_fd < 0)
    return 2;
  while (g_get_monotonic_time () < deadline) {
    struct v4l2_requestbuffers rb;
    struct v4l2_plane planes[VIDEO_MAX_PLANES];
    struct v4l2_buffer b;
    guint32 types[2] = { out_type (), cap_type () };
    gint fd = open_decoder (), req = -1, err = 0, i, tries;
    gboolean wait_frame = cycle++ % 2 == 0;

    if (fd < 0) {
      churn_fail (proc, "open and S_FMT", errno);
      g_usleep (10000);
      continue;
    }
    for (i = 0; i < 2 && !err; i++) {
      memset (&rb, 0, sizeof (rb));
      rb.count = 2;
      rb.type = types[i];
      rb.memory = V4L2_MEMORY_MMAP;
      err = ktest_ioctl (fd, VIDIOC_REQBUFS, &rb);
      if (!err)
        err = ktest_ioctl (fd, VIDIOC_STREAMON, &types[i]);
    }
    if (!err)
      err = ktest_qbuf (fd, cap_type (), 0, 0, 0, -1);
    if (err) {
      churn_fail (proc, "REQBUFS, STREAMON or QBUF", err);
    } else if (!write_frame (fd, 0, FALSE)) {
      churn_fail (proc, "mmap of the OUTPUT buffer", errno);
    } else {
      err = bind_frame_request (fd, media_fd, 0, ++ts, 0, &req);
      if (!err)
        err = ktest_ioctl (req, MEDIA_REQUEST_IOC_QUEUE, NULL);
      if (err)
        churn_fail (proc, "decode request", err);
    }
    if (!err && !wait_frame)
      g_usleep ((cycle * 397) % 3000);
    /* The frame, if it comes within 2 s (TCG is slow); closing with the
     * job still queued or running is part of the test either way. */
    for (tries = 0; !err && wait_frame && tries < 200; tries++) {
      memset (&b, 0, sizeof (b));
      memset (planes, 0, sizeof (planes));
      b.type = cap_type ();
      b.memory = V4L2_MEMORY_MMAP;
      if (mplane) {
        b.m.planes = planes;
        b.length = VIDEO_MAX_PLANES;
      }
      if (ktest_ioctl (fd, VIDIOC_DQBUF, &b) == 0) {
        g_atomic_int_inc (&stats->churn_frames);
        break;
      }
      g_usleep (10000);
    }
    if (req >= 0)
      close (req);
    close (fd);
    g_atomic_int_inc (&stats->churn_cycles);
  }
  close (media_fd);
  return 0;
}

/* --------------------------------------------------------------- main */

static const GstV4l2ElasticDecoderNode *
find_target (GList *nodes)
{
  GList *l;

  for (l = nodes; l; l = l->next) {
    GstV4l2ElasticDecoderNode *node = l->data;
    GstV4l2ElasticDecoderCaps *caps;

    if (g_strcmp0 (node->driver, opt_driver) != 0)
      continue;
    caps = gst_v4l2_elastic_probe_decoder (node->video_path, NULL);
    if (caps && caps->stateless) {
      mplane = caps->multiplanar;
      have_remove_bufs = caps->capture.remove_bufs && caps->output.remove_bufs;
      if (caps->capture.max_num_buffers)
        max_buffers =
            MAX (caps->capture.max_num_buffers, caps->output.max_num_buffers);
      gst_v4l2_elastic_decoder_caps_free (caps);
      return node;
    }
    if (caps)
      gst_v4l2_elastic_decoder_caps_free (caps);
  }
  return NULL;
}

static void
print_stats (void)
{
  guint op, e;

  for (op = 0; op < N_OPS; op++) {
    GString *line = g_string_new (NULL);

    g_string_append_printf (line, "# %-16s %6d calls, %6d ok", op_names[op],
        stats->calls[op], stats->ok[op]);
    for (e = 1; e < MAX_ERRNO; e++)
      if (stats->errnos[op][e])
        g_string_append_printf (
            line, ", %d %s", stats->errnos[op][e], g_strerror (e));
    printf ("%s\n", line->str);
    g_string_free (line, TRUE);
  }
  printf ("# frames decoded %d, failed %d; P-frames queued %d; buffers "
          "removed %d; reads of old mappings %d\n",
      stats->frames_done, stats->frames_error, stats->pframes,
      stats->removed_buffers, stats->mapped_reads);
}

int
main (int argc, char **argv)
{
  GOptionEntry entries[] = {
    { "seed", 0, 0, G_OPTION_ARG_INT, &opt_seed,
        "Seed of the random sequences (default: from the clock)", "N" },
    { "duration", 0, 0, G_OPTION_ARG_INT, &opt_duration,
        "Seconds to run (default 20)", "SECONDS" },
    { "processes", 0, 0, G_OPTION_ARG_INT, &opt_processes,
        "Processes, each with its own open file (default 3)", "N" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &opt_threads,
        "Threads per process sharing its file (default 3)", "N" },
    { "driver", 0, 0, G_OPTION_ARG_STRING, &opt_driver,
        "Driver of the stateless decoder (default vicodec)", "NAME" },
    { "churn", 0, 0, G_OPTION_ARG_INT, &opt_churn,
        "Processes that open, stream, decode and close contexts of their "
        "own meanwhile (default 0)",
        "N" },
    { NULL }
  };
  GOptionContext *ctx;
  GError *error = NULL;
  GList *nodes;
  pid_t *pids;
  gint64 deadline;
  gboolean marked, all_exited = TRUE, children_ok = TRUE;
  gchar *log;
  guint p, op;
  gint unexpected_total;

  ctx = g_option_context_new ("- randomized REMOVE_BUFS stress test");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_printerr ("%s\n", error->message);
    g_clear_error (&error);
    g_option_context_free (ctx);
    return 2;
  }
  g_option_context_free (ctx);
  if (!opt_driver)
    opt_driver = g_strdup ("vicodec");
  if (!opt_seed)
    opt_seed = (guint) (g_get_real_time () & 0x7fffffff);
  opt_processes = CLAMP (opt_processes, 1, 32);
  opt_threads = CLAMP (opt_threads, 1, 32);
  opt_churn = MIN (opt_churn, 8);

  ktest_begin (NULL);
  printf ("# seed %u, %u s, %u processes x %u threads, %u churn processes "
          "(reproduce with --seed %u)\n",
      opt_seed, opt_duration, opt_processes, opt_threads, opt_churn, opt_seed);
  fflush (stdout);

  nodes = gst_v4l2_elastic_media_find_decoders ();
  target = find_target (nodes);
  ktest_result (target != NULL, "%s stateless decoder found", opt_driver);
  if (!target)
    return ktest_end ();
  printf ("# %s on %s, %s, REMOVE_BUFS %s, up to %u buffers\n",
      target->video_path, target->media_path,
      mplane ? "multi-planar" : "single-planar",
      have_remove_bufs ? "supported" : "not supported", max_buffers);

  stats = mmap (NULL, sizeof (Stats), PROT_READ | PROT_WRITE,
      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  g_assert (stats != MAP_FAILED);
  memset (stats, 0, sizeof (Stats));

  marked = kernel_log_mark ();
  fflush (stdout);
  deadline = g_get_monotonic_time () + (gint64) opt_duration * G_USEC_PER_SEC;
  pids = g_new0 (pid_t, opt_processes + opt_churn);
  for (p = 0; p < opt_processes + opt_churn; p++) {
    pids[p] = fork ();
    if (pids[p] == 0)
      _exit (p < opt_processes ? run_process (p, deadline)
                               : run_churn (p - opt_processes, deadline));
    if (pids[p] < 0) {
      printf ("# fork failed: %s\n", g_strerror (errno));
      children_ok = FALSE;
    }
  }

  /* A process stuck in the kernel counts as a failure; 30 s of grace
   * after the deadline covers a job that finishes late. */
  for (p = 0; p < opt_processes + opt_churn; p++) {
    gint status;

    if (pids[p] <= 0)
      continue;
    for (;;) {
      pid_t r = waitpid (pids[p], &status, WNOHANG);

      if (r == pids[p])
        break;
      if (g_get_monotonic_time () > deadline + 30 * G_USEC_PER_SEC) {
        printf ("# process %u did not finish\n", p);
        kill (pids[p], SIGKILL);
        all_exited = FALSE;
        status = -1;
        break;
      }
      g_usleep (100000);
    }
    if (status != -1 && !(WIFEXITED (status) && WEXITSTATUS (status) == 0)) {
      if (WIFSIGNALED (status))
        printf ("# process %u killed by signal %d (%s)\n", p, WTERMSIG (status),
            g_strsignal (WTERMSIG (status)));
      else
        printf ("# process %u exited with %d\n", p, WEXITSTATUS (status));
      children_ok = FALSE;
    }
  }
  g_free (pids);

  print_stats ();
  ktest_result (all_exited && children_ok,
      "%u processes x %u threads ran %u s and exited normally", opt_processes,
      opt_threads, opt_duration);

  unexpected_total = g_atomic_int_get (&stats->unexpected);
  ktest_result (unexpected_total == 0,
      "every ioctl result is one the API allows (%d unexpected)",
      unexpected_total);

  /* A run that exercised nothing must not pass. */
  for (op = 0; op < N_OPS; op++) {
    if (op == OP_REMOVE && !have_remove_bufs)
      continue;
    if (op == OP_STREAMOFF || op == OP_REQBUFS0 || op == OP_REOPEN)
      continue;
    if (stats->ok[op] == 0) {
      printf ("# %s never succeeded\n", op_names[op]);
      break;
    }
  }
  ktest_result (op == N_OPS, "every main operation succeeded at least once");
  ktest_result (stats->frames_done > 0, "frames were decoded");
  if (opt_churn) {
    printf ("# churn: %d open/stream/decode/close cycles, %d frames back\n",
        stats->churn_cycles, stats->churn_frames);
    ktest_result (stats->churn_cycles > 0 && stats->churn_frames > 0 &&
            stats->churn_unexpected == 0,
        "%u churn processes opened, streamed, decoded and closed contexts "
        "of their own meanwhile (%d cycles, %d frames, %d failed steps)",
        opt_churn, stats->churn_cycles, stats->churn_frames,
        stats->churn_unexpected);
  }
  if (have_remove_bufs)
    ktest_result (stats->removed_buffers > 0 && stats->pframes > 0,
        "buffers were removed while P-frames referenced others");
  else
    ktest_skip ("no REMOVE_BUFS", "buffers were removed");

  log = marked ? kernel_log_since_mark () : NULL;
  if (log) {
    ktest_result (kernel_log_clean (log),
        "kernel log has no WARNING, BUG, Oops or refcount report");
    g_free (log);
  } else {
    ktest_skip (
        "cannot read or mark the kernel log (not root?)", "kernel log checked");
  }

  gst_v4l2_elastic_decoder_node_list_free (nodes);
  g_free (opt_driver);
  return ktest_end ();
}
