#!/usr/bin/env python3
# gst-v4l2-elastic: visl's OUTPUT S_FMT while the CAPTURE queue is busy,
# at the ioctl level.
#
#   visl-busy-fmt.py accept|refuse
#
# accept (kernel/patches/6.12/0003 applied): with a CAPTURE buffer of
# 352x288, an OUTPUT S_FMT to 176x144 and then 321x241 (same pixel
# format) succeeds, the CAPTURE format follows each size, CREATE_BUFS
# makes a buffer of the new size, REMOVE_BUFS removes the old one, and a
# pixel format change still fails with EBUSY; a CAPTURE buffer queued
# before the format grew is returned with V4L2_BUF_FLAG_ERROR (visl must
# not render past its end) and a buffer of the new size then decodes.
# refuse (stock visl): the same size change fails with EBUSY.
# Prints TAP.
#
# SPDX-License-Identifier: LGPL-2.1-or-later
import ctypes
import errno
import fcntl
import glob
import os
import select
import struct
import sys

OUT_MPLANE, CAP_MPLANE, MMAP = 10, 9, 1
FMT_SIZE = 208  # struct v4l2_format on 64-bit
CREATE_SIZE = 256  # struct v4l2_create_buffers


def iowr(nr, size):
    return (3 << 30) | (size << 16) | (ord('V') << 8) | nr


G_FMT, S_FMT = iowr(4, FMT_SIZE), iowr(5, FMT_SIZE)
REQBUFS = iowr(8, 20)
CREATE_BUFS = iowr(92, CREATE_SIZE)
REMOVE_BUFS = iowr(104, 64)


def fourcc(s):
    return struct.unpack('<I', s.encode())[0]


def fmt_buf(typ, pixfmt=0, w=0, h=0):
    b = bytearray(FMT_SIZE)
    struct.pack_into('<I', b, 0, typ)
    struct.pack_into('<III', b, 8, w, h, pixfmt)
    return b


def fmt_fields(b):
    w, h, pix = struct.unpack_from('<III', b, 8)
    sizeimage = struct.unpack_from('<I', b, 8 + 20)[0]
    return w, h, pix, sizeimage


def ioctl(fd, req, buf):
    try:
        fcntl.ioctl(fd, req, buf, True)
        return 0
    except OSError as e:
        return e.errno


n = 0
failed = False


def check(cond, what):
    global n, failed
    n += 1
    if not cond:
        failed = True
    print('%s %d - visl %s' % ('ok' if cond else 'not ok', n, what))


def find_visl():
    for d in sorted(glob.glob('/sys/class/video4linux/video*')):
        with open(d + '/name') as f:
            if f.read().strip() == 'visl':
                return '/dev/' + os.path.basename(d)
    return None


def main():
    mode = sys.argv[1]
    print('TAP version 13')
    dev = find_visl()
    check(dev is not None, 'device found')
    if dev is None:
        print('1..%d' % n)
        return 1
    fd = os.open(dev, os.O_RDWR)
    vp9, vp8 = fourcc('VP9F'), fourcc('VP8F')

    f = fmt_buf(OUT_MPLANE, vp9, 352, 288)
    check(ioctl(fd, S_FMT, f) == 0, 'OUTPUT S_FMT VP9 352x288 while idle')
    out_sizeimage = fmt_fields(f)[3]
    req = bytearray(struct.pack('<IIIIB3x', 1, OUT_MPLANE, MMAP, 0, 0))
    check(ioctl(fd, REQBUFS, req) == 0, 'REQBUFS 1 OUTPUT buffer')
    req = bytearray(struct.pack('<IIIIB3x', 1, CAP_MPLANE, MMAP, 0, 0))
    check(ioctl(fd, REQBUFS, req) == 0, 'REQBUFS 1 CAPTURE buffer (queue busy)')

    f = fmt_buf(OUT_MPLANE, vp9, 176, 144)
    rc = ioctl(fd, S_FMT, f)
    if mode == 'refuse':
        check(rc == errno.EBUSY,
              'stock: OUTPUT S_FMT 176x144 while busy fails with EBUSY (%s)'
              % os.strerror(rc))
        os.close(fd)
        print('1..%d' % n)
        return 1 if failed else 0

    check(rc == 0, 'OUTPUT S_FMT 176x144 (same pixel format) while busy (%s)'
          % os.strerror(rc))
    check(fmt_fields(f)[3] == out_sizeimage,
          'OUTPUT sizeimage kept while OUTPUT buffers exist (%d, was %d)'
          % (fmt_fields(f)[3], out_sizeimage))
    for w, h in ((176, 144), (321, 241)):
        if (w, h) != (176, 144):
            f = fmt_buf(OUT_MPLANE, vp9, w, h)
            check(ioctl(fd, S_FMT, f) == 0, 'OUTPUT S_FMT %dx%d while busy' % (w, h))
        c = fmt_buf(CAP_MPLANE)
        ioctl(fd, G_FMT, c)
        cw, ch, _, csize = fmt_fields(c)
        check((cw, ch) == (w, h), 'CAPTURE format follows: %dx%d, sizeimage %d'
              % (cw, ch, csize))

    create = bytearray(CREATE_SIZE)
    struct.pack_into('<III', create, 0, 0, 1, MMAP)
    create[16:16 + FMT_SIZE] = c
    rc = ioctl(fd, CREATE_BUFS, create)
    index = struct.unpack_from('<I', create, 0)[0]
    check(rc == 0 and index == 1,
          'CREATE_BUFS at the new size while busy (index %d, %s)'
          % (index, os.strerror(rc)))
    remove = bytearray(struct.pack('<III52x', 0, 1, CAP_MPLANE))
    rc = ioctl(fd, REMOVE_BUFS, remove)
    check(rc == 0, 'REMOVE_BUFS of the old-size buffer (%s)' % os.strerror(rc))

    f = fmt_buf(OUT_MPLANE, vp8, 321, 241)
    rc = ioctl(fd, S_FMT, f)
    check(rc == errno.EBUSY, 'OUTPUT S_FMT to VP8 while busy fails with EBUSY (%s)'
          % os.strerror(rc))
    os.close(fd)

    too_small(dev)
    print('1..%d' % n)
    return 1 if failed else 0


BUF_SIZE = 88  # struct v4l2_buffer on 64-bit
PLANE_SIZE = 64  # struct v4l2_plane
QBUF, DQBUF = iowr(15, BUF_SIZE), iowr(17, BUF_SIZE)
STREAMON = (1 << 30) | (4 << 16) | (ord('V') << 8) | 18
FLAG_ERROR = 0x40


def buf_ioctl(fd, req, typ, index, bytesused=0):
    """QBUF/DQBUF of a one-plane MMAP buffer; returns (errno, index,
    flags, bytesused of the plane)."""
    plane = ctypes.create_string_buffer(PLANE_SIZE)
    struct.pack_into('<I', plane, 0, bytesused)
    b = bytearray(BUF_SIZE)
    struct.pack_into('<II', b, 0, index, typ)
    struct.pack_into('<I', b, 60, MMAP)
    struct.pack_into('<Q', b, 64, ctypes.addressof(plane))
    struct.pack_into('<I', b, 72, 1)
    rc = ioctl(fd, req, b)
    return (rc, struct.unpack_from('<I', b, 0)[0],
            struct.unpack_from('<I', b, 12)[0],
            struct.unpack_from('<I', plane, 0)[0])


def dqbuf_wait(fd, typ):
    p = select.poll()
    p.register(fd, select.POLLIN | select.POLLOUT)
    for _ in range(50):
        r = buf_ioctl(fd, DQBUF, typ, 0)
        if r[0] != errno.EAGAIN:
            return r
        p.poll(100)
    return (errno.ETIMEDOUT, 0, 0, 0)


def too_small(dev):
    """A CAPTURE buffer queued before the format grew: the job must fail
    it instead of rendering past its end; a buffer of the new size then
    decodes.  visl needs no request (it only supports them)."""
    fd = os.open(dev, os.O_RDWR | os.O_NONBLOCK)
    vp9 = fourcc('VP9F')
    ioctl(fd, S_FMT, fmt_buf(OUT_MPLANE, vp9, 176, 144))
    for typ in (OUT_MPLANE, CAP_MPLANE):
        ioctl(fd, REQBUFS, bytearray(struct.pack('<IIIIB3x', 1, typ, MMAP,
                                                  0, 0)))
    rc = buf_ioctl(fd, QBUF, CAP_MPLANE, 0)[0]
    check(rc == 0, 'QBUF of a 176x144 CAPTURE buffer (%s)' % os.strerror(rc))
    f = fmt_buf(OUT_MPLANE, vp9, 352, 288)
    rc = ioctl(fd, S_FMT, f)
    check(rc == 0, 'OUTPUT S_FMT 352x288 with that buffer queued (%s)'
          % os.strerror(rc))
    rc = buf_ioctl(fd, QBUF, OUT_MPLANE, 0, 64)[0]
    for typ in (OUT_MPLANE, CAP_MPLANE):
        rc = rc or ioctl(fd, STREAMON, bytearray(struct.pack('<I', typ)))
    check(rc == 0, 'QBUF OUTPUT and STREAMON (%s)' % os.strerror(rc))
    rc, index, flags, used = dqbuf_wait(fd, CAP_MPLANE)
    check(rc == 0 and flags & FLAG_ERROR,
          'the job returns the too small CAPTURE buffer with '
          'V4L2_BUF_FLAG_ERROR (%s, flags 0x%x)' % (os.strerror(rc), flags))
    dqbuf_wait(fd, OUT_MPLANE)

    c = fmt_buf(CAP_MPLANE)
    ioctl(fd, G_FMT, c)
    create = bytearray(CREATE_SIZE)
    struct.pack_into('<III', create, 0, 0, 1, MMAP)
    create[16:16 + FMT_SIZE] = c
    ioctl(fd, CREATE_BUFS, create)
    index = struct.unpack_from('<I', create, 0)[0]
    rc = buf_ioctl(fd, QBUF, CAP_MPLANE, index)[0] or \
        buf_ioctl(fd, QBUF, OUT_MPLANE, 0, 64)[0]
    got = dqbuf_wait(fd, CAP_MPLANE) if rc == 0 else (rc, 0, 0, 0)
    check(got[0] == 0 and not got[2] & FLAG_ERROR and got[1] == index and
          got[3] == fmt_fields(c)[3],
          'a new 352x288 buffer decodes: index %d, flags 0x%x, %d bytes '
          '(%s)' % (got[1], got[2], got[3], os.strerror(got[0])))
    os.close(fd)


if __name__ == '__main__':
    sys.exit(main())
