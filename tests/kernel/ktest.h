/* gst-v4l2-elastic: what the real-kernel test programs share: TAP output,
 * errno names in diagnostics, and an EINTR-safe ioctl.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __KTEST_H__
#define __KTEST_H__

#include <glib.h>
#include <linux/videodev2.h>

G_BEGIN_DECLS

/* Prints the TAP header.  Every result line then reads
 * "ok N - PREFIX description" (PREFIX NULL: no prefix). */
void ktest_begin (const gchar *prefix);

void ktest_result (gboolean ok, const gchar *format, ...) G_GNUC_PRINTF (2, 3);

/* A result that was not run here, with the reason. */
void ktest_skip (const gchar *reason, const gchar *format, ...)
    G_GNUC_PRINTF (2, 3);

/* A diagnostic, one "# " line per line of text. */
void ktest_diag (const gchar *format, ...) G_GNUC_PRINTF (1, 2);

guint ktest_count (void);
guint ktest_failures (void);

/* Prints the plan and returns the exit status: 0 when at least one test
 * ran and none failed. */
gint ktest_end (void);

const gchar *ktest_errno_name (gint err);

/* Compares an ioctl outcome (0 or an errno) with the expected one; a
 * mismatch is explained in a diagnostic. */
gboolean ktest_expect_errno (gint got, gint want, const gchar *format, ...)
    G_GNUC_PRINTF (3, 4);

/* Returns 0 or the errno of the failed call, retrying on EINTR. */
gint ktest_ioctl (gint fd, gulong request, gpointer arg);

/* Queues MMAP buffer @index of @type (single- or multi-planar, one plane)
 * with @bytesused and the timestamp @ts_ns, in request @request_fd unless
 * it is negative.  Returns 0 or the errno. */
gint ktest_qbuf (gint fd, guint32 type, guint index, guint32 bytesused,
    guint64 ts_ns, gint request_fd);

/* The FWHT parameters of the tests' crafted frames (YUV 4:2:0, Rec. 709):
 * an I-frame (@ref_ns 0) or a P-frame on the frame with timestamp
 * @ref_ns. */
void ktest_fwht_crafted_params (struct v4l2_ctrl_fwht_params *params,
    guint width, guint height, guint64 ref_ns);

/* Sets @params as the FWHT parameters of request @request_fd.  Returns 0
 * or the errno. */
gint ktest_set_fwht_params (
    gint fd, gint request_fd, const struct v4l2_ctrl_fwht_params *params);

/* The first plane's fields of a single- or multi-planar format. */
guint32 ktest_fmt_pixelformat (const struct v4l2_format *f);
guint32 ktest_fmt_width (const struct v4l2_format *f);
guint32 ktest_fmt_height (const struct v4l2_format *f);
guint32 ktest_fmt_bytesperline (const struct v4l2_format *f);
guint32 ktest_fmt_sizeimage (const struct v4l2_format *f);
guint ktest_fmt_num_planes (const struct v4l2_format *f);

/* Leaves the test through its "done" label with a diagnostic naming the
 * failed condition (helpers print the details first). */
#define KTEST_REQUIRE(cond)                                                    \
  G_STMT_START                                                                 \
  {                                                                            \
    if (G_UNLIKELY (!(cond))) {                                                \
      ktest_diag ("failed at %s:%d: %s", __FILE__, __LINE__, #cond);           \
      goto done;                                                               \
    }                                                                          \
  }                                                                            \
  G_STMT_END

G_END_DECLS

#endif /* __KTEST_H__ */
