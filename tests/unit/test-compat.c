/* gst-v4l2-elastic
 *
 * The V4L2 definitions of v4l2-compat.h must have the kernel's ABI values,
 * whichever system header is installed.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stddef.h>
#include <stdio.h>

#include "v4l2-compat.h"

static int failures;

#define CHECK_EQ(what, got, want)                                              \
  do {                                                                         \
    unsigned long long g_ = (got), w_ = (want);                                \
    if (g_ != w_) {                                                            \
      printf ("not ok - %s: 0x%llx, expected 0x%llx\n", what, g_, w_);         \
      failures++;                                                              \
    } else {                                                                   \
      printf ("ok - %s\n", what);                                              \
    }                                                                          \
  } while (0)

int
main (void)
{
  /* _IOWR('V', 104, 64 bytes): direction 3, size 64, type 'V', nr 104. */
  CHECK_EQ ("VIDIOC_REMOVE_BUFS", VIDIOC_REMOVE_BUFS,
      (3u << 30) | (64u << 16) | ('V' << 8) | 104u);
  CHECK_EQ (
      "sizeof v4l2_remove_buffers", sizeof (struct v4l2_remove_buffers), 64);
  CHECK_EQ ("v4l2_remove_buffers.type offset",
      offsetof (struct v4l2_remove_buffers, type), 8);
  CHECK_EQ ("V4L2_BUF_CAP_SUPPORTS_MAX_NUM_BUFFERS",
      V4L2_BUF_CAP_SUPPORTS_MAX_NUM_BUFFERS, 1u << 7);
  CHECK_EQ ("V4L2_BUF_CAP_SUPPORTS_REMOVE_BUFS",
      V4L2_BUF_CAP_SUPPORTS_REMOVE_BUFS, 1u << 8);
  CHECK_EQ ("create_buffers size matches the system header",
      sizeof (struct gst_v4l2_elastic_create_buffers),
      sizeof (struct v4l2_create_buffers));
  /* max_num_buffers follows capabilities and flags after the format. */
  CHECK_EQ ("max_num_buffers offset",
      offsetof (struct gst_v4l2_elastic_create_buffers, max_num_buffers),
      offsetof (struct v4l2_create_buffers, format) +
          sizeof (struct v4l2_format) + 2 * sizeof (__u32));
  CHECK_EQ ("VIDIOC_CREATE_BUFS encodes our structure's size",
      _IOC_SIZE (VIDIOC_CREATE_BUFS),
      sizeof (struct gst_v4l2_elastic_create_buffers));

  printf ("%d failure(s)\n", failures);
  return failures ? 1 : 0;
}
