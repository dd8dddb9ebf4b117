/* gst-v4l2-elastic: TAP output and ioctl helpers of the real-kernel tests.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "ktest.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

static gchar *result_prefix;
static guint count;
static guint failures;

void
ktest_begin (const gchar *prefix)
{
  g_free (result_prefix);
  result_prefix = prefix ? g_strdup_printf ("%s ", prefix) : g_strdup ("");
  printf ("TAP version 13\n");
  fflush (stdout);
}

static void
result_line (
    gboolean ok, const gchar *directive, const gchar *format, va_list args)
{
  gchar *desc = g_strdup_vprintf (format, args);

  count++;
  if (!ok)
    failures++;
  printf ("%s %u - %s%s%s%s\n", ok ? "ok" : "not ok", count,
      result_prefix ? result_prefix : "", desc, directive ? " # " : "",
      directive ? directive : "");
  fflush (stdout);
  g_free (desc);
}

void
ktest_result (gboolean ok, const gchar *format, ...)
{
  va_list args;

  va_start (args, format);
  result_line (ok, NULL, format, args);
  va_end (args);
}

void
ktest_skip (const gchar *reason, const gchar *format, ...)
{
  gchar *directive = g_strdup_printf ("SKIP %s", reason);
  va_list args;

  va_start (args, format);
  result_line (TRUE, directive, format, args);
  va_end (args);
  g_free (directive);
}

void
ktest_diag (const gchar *format, ...)
{
  va_list args;
  gchar *text, **lines;
  guint i;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);

  lines = g_strsplit (text, "\n", -1);
  for (i = 0; lines[i]; i++)
    printf ("# %s\n", lines[i]);
  fflush (stdout);
  g_strfreev (lines);
  g_free (text);
}

guint
ktest_count (void)
{
  return count;
}

guint
ktest_failures (void)
{
  return failures;
}

gint
ktest_end (void)
{
  printf ("1..%u\n", count);
  ktest_diag ("%u of %u tests failed", failures, count);
  g_clear_pointer (&result_prefix, g_free);
  return failures == 0 && count > 0 ? 0 : 1;
}

const gchar *
ktest_errno_name (gint err)
{
  switch (err) {
  case 0:
    return "success";
  case EINVAL:
    return "EINVAL";
  case EBUSY:
    return "EBUSY";
  case ENOBUFS:
    return "ENOBUFS";
  case ENOTTY:
    return "ENOTTY";
  case ENOMEM:
    return "ENOMEM";
  case EBADR:
    return "EBADR";
  case EPERM:
    return "EPERM";
  case ENOENT:
    return "ENOENT";
  case EACCES:
    return "EACCES";
  case EPROTO:
    return "EPROTO";
  case ETIMEDOUT:
    return "ETIMEDOUT";
  default:
    return g_strerror (err);
  }
}

gboolean
ktest_expect_errno (gint got, gint want, const gchar *format, ...)
{
  va_list args;
  gchar *what;

  if (got == want)
    return TRUE;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  ktest_diag ("%s: got %s (%s), expected %s", what, ktest_errno_name (got),
      got ? g_strerror (got) : "no error", ktest_errno_name (want));
  g_free (what);
  return FALSE;
}

gint
ktest_ioctl (gint fd, gulong request, gpointer arg)
{
  gint ret;

  do
    ret = ioctl (fd, request, arg);
  while (ret < 0 && errno == EINTR);
  return ret < 0 ? errno : 0;
}

guint32
ktest_fmt_pixelformat (const struct v4l2_format *f)
{
  return V4L2_TYPE_IS_MULTIPLANAR (f->type) ? f->fmt.pix_mp.pixelformat
                                            : f->fmt.pix.pixelformat;
}

guint32
ktest_fmt_width (const struct v4l2_format *f)
{
  return V4L2_TYPE_IS_MULTIPLANAR (f->type) ? f->fmt.pix_mp.width
                                            : f->fmt.pix.width;
}

guint32
ktest_fmt_height (const struct v4l2_format *f)
{
  return V4L2_TYPE_IS_MULTIPLANAR (f->type) ? f->fmt.pix_mp.height
                                            : f->fmt.pix.height;
}

guint32
ktest_fmt_bytesperline (const struct v4l2_format *f)
{
  return V4L2_TYPE_IS_MULTIPLANAR (f->type)
      ? f->fmt.pix_mp.plane_fmt[0].bytesperline
      : f->fmt.pix.bytesperline;
}

guint32
ktest_fmt_sizeimage (const struct v4l2_format *f)
{
  return V4L2_TYPE_IS_MULTIPLANAR (f->type)
      ? f->fmt.pix_mp.plane_fmt[0].sizeimage
      : f->fmt.pix.sizeimage;
}

guint
ktest_fmt_num_planes (const struct v4l2_format *f)
{
  return V4L2_TYPE_IS_MULTIPLANAR (f->type) ? f->fmt.pix_mp.num_planes : 1;
}

gint
ktest_qbuf (gint fd, guint32 type, guint index, guint32 bytesused,
    guint64 ts_ns, gint request_fd)
{
  struct v4l2_plane planes[VIDEO_MAX_PLANES];
  struct v4l2_buffer b;

  memset (&b, 0, sizeof (b));
  memset (planes, 0, sizeof (planes));
  b.index = index;
  b.type = type;
  b.memory = V4L2_MEMORY_MMAP;
  b.field = V4L2_FIELD_NONE;
  b.timestamp.tv_sec = ts_ns / G_GUINT64_CONSTANT (1000000000);
  b.timestamp.tv_usec = ts_ns % G_GUINT64_CONSTANT (1000000000) / 1000;
  if (V4L2_TYPE_IS_MULTIPLANAR (type)) {
    b.m.planes = planes;
    b.length = 1;
    planes[0].bytesused = bytesused;
  } else {
    b.bytesused = bytesused;
  }
  if (request_fd >= 0) {
    b.flags = V4L2_BUF_FLAG_REQUEST_FD;
    b.request_fd = request_fd;
  }
  return ktest_ioctl (fd, VIDIOC_QBUF, &b);
}

void
ktest_fwht_crafted_params (struct v4l2_ctrl_fwht_params *params, guint width,
    guint height, guint64 ref_ns)
{
  memset (params, 0, sizeof (*params));
  params->backward_ref_ts = ref_ns;
  params->version = V4L2_FWHT_VERSION;
  params->width = width;
  params->height = height;
  params->flags = V4L2_FWHT_FL_PIXENC_YUV |
      (2 << V4L2_FWHT_FL_COMPONENTS_NUM_OFFSET) |
      (ref_ns ? 0 : V4L2_FWHT_FL_I_FRAME);
  params->colorspace = V4L2_COLORSPACE_REC709;
}

gint
ktest_set_fwht_params (
    gint fd, gint request_fd, const struct v4l2_ctrl_fwht_params *params)
{
  struct v4l2_ctrl_fwht_params copy = *params;
  struct v4l2_ext_control ctrl;
  struct v4l2_ext_controls ctrls;

  memset (&ctrl, 0, sizeof (ctrl));
  ctrl.id = V4L2_CID_STATELESS_FWHT_PARAMS;
  ctrl.size = sizeof (copy);
  ctrl.ptr = &copy;
  memset (&ctrls, 0, sizeof (ctrls));
  ctrls.which = V4L2_CTRL_WHICH_REQUEST_VAL;
  ctrls.count = 1;
  ctrls.controls = &ctrl;
  ctrls.request_fd = request_fd;
  return ktest_ioctl (fd, VIDIOC_S_EXT_CTRLS, &ctrls);
}
