/* gst-v4l2-elastic
 *
 * v4l2elastic-removed-ref: a frame whose reference buffer was removed with
 * VIDIOC_REMOVE_BUFS must fail, cleanly.  On vicodec's stateless FWHT
 * decoder (found through the media controller, driven through the Request
 * API):
 *
 *   1. an I-frame is decoded into CAPTURE buffer 0;
 *   2. CAPTURE buffer 0 is removed;
 *   3. a P-frame naming that I-frame as its reference is decoded into
 *      CAPTURE buffer 1: its request must complete, and both buffers come
 *      back, the CAPTURE buffer with V4L2_BUF_FLAG_ERROR;
 *   4. control: an I-frame into buffer 2 and a P-frame on it into buffer 1
 *      decode without error (so the failure in 3 was the missing
 *      reference, not P-frames as such).
 *
 * On a kernel without REMOVE_BUFS everything is skipped.  The kernel log is
 * checked by the caller (tests/kernel/guest-suite.sh) and by tools/vm-run.
 * Prints TAP version 13; exits 0 only when every test passed.
 *
 *   v4l2elastic-removed-ref [--driver NAME]     (default vicodec)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
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
#define CAPTURE_BUFFERS 3
#define REQUEST_TIMEOUT_MS 10000

/* The crafted frames of tests/kernel/stress.c: per plane one block header
 * that repeats the block 4095 times and an "all coefficients zero" word;
 * a P-frame adds zero to every block of its reference. */
#define FWHT_PFRAME_BIT 0x8000
#define FWHT_DUPS_MASK 0x1ffe
#define FWHT_ALL_ZEROS 0x000f
#define FRAME_WORDS 6

static gboolean mplane;
static gint vfd = -1, mfd = -1;

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

static gint
set_fmt (guint32 type, guint32 pixelformat)
{
  struct v4l2_format f;

  memset (&f, 0, sizeof (f));
  f.type = type;
  if (mplane) {
    f.fmt.pix_mp.pixelformat = pixelformat;
    f.fmt.pix_mp.width = WIDTH;
    f.fmt.pix_mp.height = HEIGHT;
  } else {
    f.fmt.pix.pixelformat = pixelformat;
    f.fmt.pix.width = WIDTH;
    f.fmt.pix.height = HEIGHT;
  }
  return ktest_ioctl (vfd, VIDIOC_S_FMT, &f);
}

static gint
reqbufs (guint32 type, guint count)
{
  struct v4l2_requestbuffers rb;

  memset (&rb, 0, sizeof (rb));
  rb.count = count;
  rb.type = type;
  rb.memory = V4L2_MEMORY_MMAP;
  return ktest_ioctl (vfd, VIDIOC_REQBUFS, &rb);
}

/* Writes the crafted frame into OUTPUT buffer 0. */
static gboolean
write_frame (gboolean pframe)
{
  struct v4l2_plane planes[VIDEO_MAX_PLANES];
  struct v4l2_buffer b;
  guint16 words[FRAME_WORDS];
  guint32 len, offset;
  gpointer p;
  guint i;

  memset (&b, 0, sizeof (b));
  memset (planes, 0, sizeof (planes));
  b.type = out_type ();
  b.memory = V4L2_MEMORY_MMAP;
  b.index = 0;
  if (mplane) {
    b.m.planes = planes;
    b.length = VIDEO_MAX_PLANES;
  }
  if (ktest_ioctl (vfd, VIDIOC_QUERYBUF, &b))
    return FALSE;
  len = mplane ? planes[0].length : b.length;
  offset = mplane ? planes[0].m.mem_offset : b.m.offset;
  p = mmap (NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, vfd, offset);
  if (p == MAP_FAILED)
    return FALSE;
  for (i = 0; i < FRAME_WORDS; i += 2) {
    words[i] = htons (FWHT_DUPS_MASK | (pframe ? FWHT_PFRAME_BIT : 0));
    words[i + 1] = htons (FWHT_ALL_ZEROS);
  }
  memcpy (p, words, sizeof (words));
  munmap (p, len);
  return TRUE;
}

static gint
dqbuf (guint32 type, guint *index, guint32 *flags)
{
  struct v4l2_plane planes[VIDEO_MAX_PLANES];
  struct v4l2_buffer b;
  gint err;

  memset (&b, 0, sizeof (b));
  memset (planes, 0, sizeof (planes));
  b.type = type;
  b.memory = V4L2_MEMORY_MMAP;
  if (mplane) {
    b.m.planes = planes;
    b.length = VIDEO_MAX_PLANES;
  }
  err = ktest_ioctl (vfd, VIDIOC_DQBUF, &b);
  if (!err) {
    *index = b.index;
    *flags = b.flags;
  }
  return err;
}

/* Decodes an I-frame (@ref_ns 0) or a P-frame on the frame with timestamp
 * @ref_ns into CAPTURE buffer @cap, with timestamp @ts_ns.  TRUE when the
 * request completed and both buffers came back; the CAPTURE flags are in
 * @cap_flags. */
static gboolean
decode (guint cap, guint64 ts_ns, guint64 ref_ns, guint32 *cap_flags)
{
  struct v4l2_ctrl_fwht_params params;
  struct pollfd pfd;
  gint req = -1;
  guint index;
  guint32 flags;
  gboolean ok = FALSE;

  KTEST_REQUIRE (write_frame (ref_ns != 0));
  KTEST_REQUIRE (
      ktest_expect_errno (ktest_ioctl (mfd, MEDIA_IOC_REQUEST_ALLOC, &req), 0,
          "MEDIA_IOC_REQUEST_ALLOC"));
  ktest_fwht_crafted_params (&params, WIDTH, HEIGHT, ref_ns);
  KTEST_REQUIRE (ktest_expect_errno (
      ktest_set_fwht_params (vfd, req, &params), 0, "S_EXT_CTRLS"));
  KTEST_REQUIRE (
      ktest_expect_errno (ktest_qbuf (vfd, cap_type (), cap, 0, 0, -1), 0,
          "QBUF(CAPTURE %u)", cap));
  KTEST_REQUIRE (ktest_expect_errno (
      ktest_qbuf (vfd, out_type (), 0, FRAME_WORDS * 2, ts_ns, req), 0,
      "QBUF(OUTPUT, request)"));
  KTEST_REQUIRE (
      ktest_expect_errno (ktest_ioctl (req, MEDIA_REQUEST_IOC_QUEUE, NULL), 0,
          "MEDIA_REQUEST_IOC_QUEUE"));

  pfd.fd = req;
  pfd.events = POLLPRI;
  pfd.revents = 0;
  if (poll (&pfd, 1, REQUEST_TIMEOUT_MS) != 1) {
    ktest_diag (
        "the request did not complete within %d ms", REQUEST_TIMEOUT_MS);
    goto done;
  }
  KTEST_REQUIRE (ktest_expect_errno (
      dqbuf (out_type (), &index, &flags), 0, "DQBUF(OUTPUT)"));
  KTEST_REQUIRE (ktest_expect_errno (
      dqbuf (cap_type (), &index, cap_flags), 0, "DQBUF(CAPTURE)"));
  if (index != cap) {
    ktest_diag ("DQBUF(CAPTURE) gave buffer %u, queued was %u", index, cap);
    goto done;
  }
  ok = TRUE;

done:
  if (req >= 0)
    close (req);
  return ok;
}

int
main (int argc, char **argv)
{
  gchar *opt_driver = NULL;
  GOptionEntry entries[] = {
    { "driver", 0, 0, G_OPTION_ARG_STRING, &opt_driver,
        "Driver of the stateless decoder (default vicodec)", "NAME" },
    { NULL }
  };
  GOptionContext *octx;
  GError *error = NULL;
  const GstV4l2ElasticDecoderNode *target = NULL;
  GList *nodes, *l;
  struct v4l2_remove_buffers rm;
  guint32 types[2], flags = 0;
  gboolean remove_bufs = FALSE, ok;
  guint i;

  octx = g_option_context_new ("- a frame whose reference was removed fails");
  g_option_context_add_main_entries (octx, entries, NULL);
  if (!g_option_context_parse (octx, &argc, &argv, &error)) {
    g_printerr ("%s\n", error->message);
    g_clear_error (&error);
    g_option_context_free (octx);
    return 2;
  }
  g_option_context_free (octx);
  if (!opt_driver)
    opt_driver = g_strdup ("vicodec");

  ktest_begin (opt_driver);
  nodes = gst_v4l2_elastic_media_find_decoders ();
  for (l = nodes; l && !target; l = l->next) {
    GstV4l2ElasticDecoderNode *node = l->data;
    GstV4l2ElasticDecoderCaps *caps;

    if (g_strcmp0 (node->driver, opt_driver) != 0)
      continue;
    caps = gst_v4l2_elastic_probe_decoder (node->video_path, NULL);
    if (caps && caps->stateless) {
      target = node;
      mplane = caps->multiplanar;
      remove_bufs = caps->capture.remove_bufs;
    }
    if (caps)
      gst_v4l2_elastic_decoder_caps_free (caps);
  }
  ktest_result (target != NULL, "stateless decoder found");
  KTEST_REQUIRE (target != NULL);
  if (!remove_bufs) {
    ktest_skip ("no VIDIOC_REMOVE_BUFS on this kernel",
        "a frame whose reference buffer was removed fails");
    goto done;
  }

  vfd = open (target->video_path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
  mfd = open (target->media_path, O_RDWR | O_CLOEXEC);
  KTEST_REQUIRE (vfd >= 0 && mfd >= 0);
  KTEST_REQUIRE (ktest_expect_errno (
      set_fmt (out_type (), V4L2_PIX_FMT_FWHT_STATELESS), 0, "S_FMT(OUTPUT)"));
  KTEST_REQUIRE (ktest_expect_errno (
      set_fmt (cap_type (), V4L2_PIX_FMT_YUV420), 0, "S_FMT(CAPTURE)"));
  KTEST_REQUIRE (
      ktest_expect_errno (reqbufs (out_type (), 1), 0, "REQBUFS(OUTPUT, 1)"));
  KTEST_REQUIRE (ktest_expect_errno (reqbufs (cap_type (), CAPTURE_BUFFERS), 0,
      "REQBUFS(CAPTURE, %d)", CAPTURE_BUFFERS));
  types[0] = out_type ();
  types[1] = cap_type ();
  for (i = 0; i < 2; i++)
    KTEST_REQUIRE (ktest_expect_errno (
        ktest_ioctl (vfd, VIDIOC_STREAMON, &types[i]), 0, "STREAMON"));

  /* 1. the reference */
  ok = decode (0, 1000000000ull, 0, &flags);
  ktest_result (ok && !(flags & V4L2_BUF_FLAG_ERROR),
      "I-frame decoded into CAPTURE buffer 0 (flags 0x%x)", flags);
  KTEST_REQUIRE (ok);

  /* 2. removed while streaming */
  memset (&rm, 0, sizeof (rm));
  rm.type = cap_type ();
  rm.index = 0;
  rm.count = 1;
  ktest_result (ktest_expect_errno (ktest_ioctl (vfd, VIDIOC_REMOVE_BUFS, &rm),
                    0, "REMOVE_BUFS(CAPTURE 0)"),
      "REMOVE_BUFS of the reference's CAPTURE buffer");

  /* 3. the P-frame that names it */
  flags = 0;
  ok = decode (1, 2000000000ull, 1000000000ull, &flags);
  ktest_result (ok,
      "the request of a P-frame on the removed reference "
      "completes and both buffers come back");
  ktest_result (ok && (flags & V4L2_BUF_FLAG_ERROR),
      "its CAPTURE buffer is flagged V4L2_BUF_FLAG_ERROR (flags 0x%x)", flags);
  KTEST_REQUIRE (ok);

  /* 4. control: a P-frame on a reference that exists */
  flags = 0;
  ok = decode (2, 3000000000ull, 0, &flags) && !(flags & V4L2_BUF_FLAG_ERROR);
  flags = 0;
  ok = ok && decode (1, 4000000000ull, 3000000000ull, &flags);
  ktest_result (ok && !(flags & V4L2_BUF_FLAG_ERROR),
      "a P-frame on a reference that exists decodes (flags 0x%x)", flags);

done:
  if (vfd >= 0)
    close (vfd);
  if (mfd >= 0)
    close (mfd);
  gst_v4l2_elastic_decoder_node_list_free (nodes);
  g_free (opt_driver);
  return ktest_end ();
}
