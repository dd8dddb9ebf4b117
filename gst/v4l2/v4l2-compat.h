/* gst-v4l2-elastic
 *
 * V4L2 definitions that older system headers (Debian 12 ships the 6.1
 * linux-libc-dev) do not have yet.  Every definition is guarded so that a
 * newer <linux/videodev2.h> wins, and every structure is checked against
 * the ABI sizes the kernel documents.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_V4L2_COMPAT_H__
#define __GST_V4L2_COMPAT_H__

#include <stddef.h>
#include <linux/types.h>
#include <linux/ioctl.h>
#include <linux/videodev2.h>

/* Capabilities reported by REQBUFS and CREATE_BUFS (kernel >= 6.10). */
#ifndef V4L2_BUF_CAP_SUPPORTS_MAX_NUM_BUFFERS
#define V4L2_BUF_CAP_SUPPORTS_MAX_NUM_BUFFERS (1 << 7)
#endif

#ifndef V4L2_BUF_CAP_SUPPORTS_REMOVE_BUFS
#define V4L2_BUF_CAP_SUPPORTS_REMOVE_BUFS (1 << 8)
#endif

/* VIDIOC_REMOVE_BUFS (kernel >= 6.10; posted as VIDIOC_DELETE_BUFS). */
#ifndef VIDIOC_REMOVE_BUFS
struct v4l2_remove_buffers
{
  __u32 index;
  __u32 count;
  __u32 type;
  __u32 reserved[13];
};

#define VIDIOC_REMOVE_BUFS _IOWR ('V', 104, struct v4l2_remove_buffers)
#endif

_Static_assert(sizeof (struct v4l2_remove_buffers) == 64,
    "struct v4l2_remove_buffers must be 64 bytes");
_Static_assert(VIDIOC_REMOVE_BUFS == 0xc0405668,
    "VIDIOC_REMOVE_BUFS must be _IOWR('V', 104, 64 bytes)");

/* struct v4l2_create_buffers gained max_num_buffers (taken from the
 * reserved area) in 6.10.  We always use our own view of the structure so
 * the field can be read on any header version; it has exactly the size of
 * the system's structure, so VIDIOC_CREATE_BUFS (whose number encodes the
 * size) is unchanged. */
struct gst_v4l2_elastic_create_buffers
{
  __u32 index;
  __u32 count;
  __u32 memory;
  struct v4l2_format format;
  __u32 capabilities;
  __u32 flags;
  __u32 max_num_buffers;
  __u32 reserved[5];
};

_Static_assert(sizeof (struct gst_v4l2_elastic_create_buffers) ==
        sizeof (struct v4l2_create_buffers),
    "our v4l2_create_buffers view must match the system ABI");
_Static_assert(
    offsetof (struct gst_v4l2_elastic_create_buffers, capabilities) ==
        offsetof (struct v4l2_create_buffers, capabilities),
    "capabilities must be where the system header puts it");
_Static_assert(
    offsetof (struct gst_v4l2_elastic_create_buffers, max_num_buffers) ==
        offsetof (struct v4l2_create_buffers, flags) + sizeof (__u32),
    "max_num_buffers follows flags");

#endif /* __GST_V4L2_COMPAT_H__ */
