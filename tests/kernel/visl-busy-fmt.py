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
# pixel format change still fails with EBUSY.
# refuse (stock visl): the same size change fails with EBUSY.
# Prints TAP.
#
# SPDX-License-Identifier: LGPL-2.1-or-later
import ctypes
import errno
import fcntl
import glob
import os
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
    print('1..%d' % n)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
