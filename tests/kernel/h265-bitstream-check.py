#!/usr/bin/env python3
# gst-v4l2-elastic: the bitstream visl received, request by request (its
# debugfs blobs bitstreamN, kept with the module parameters
# keep_bitstream_buffers=1 bitstream_trace_frame_start=0
# bitstream_trace_nframes=N), against the slice segments of the stream:
# one request per access unit (frame-based) or per slice segment
# (slice-based), each NAL unit behind a 00 00 01 start code (annex-b) or
# bare (none), nothing else (no parameter sets, SEI or end of sequence
# NAL units).  For a stream where every picture is decoded, in decoding
# order.
#
#   h265-bitstream-check.py STREAM.h265 frame-based|slice-based annex-b|none BLOB_DIR
#
# Prints one line; exit status 0 when every request matches.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "media"))
from annexb import nal_spans  # noqa: E402


def is_slice(t):
    return t <= 9 or 16 <= t <= 21


def main():
    stream, mode, start_code, blobs = sys.argv[1:5]
    prefix = b"\x00\x00\x01" if start_code == "annex-b" else b""
    pictures = []
    data = open(stream, "rb").read()
    for s, e in nal_spans(data):
        nal = data[s:e]
        t = (nal[0] >> 1) & 0x3F
        layer = ((nal[0] & 1) << 5) | (nal[1] >> 3)
        if not is_slice(t) or layer != 0:
            continue
        if nal[2] & 0x80 or not pictures:  # first_slice_segment_in_pic_flag
            pictures.append([])
        pictures[-1].append(prefix + nal)
    if mode == "frame-based":
        expected = [b"".join(p) for p in pictures]
    else:
        expected = [s for p in pictures for s in p]
    names = sorted((f for f in os.listdir(blobs) if re.match(r"bitstream\d+$", f)),
                   key=lambda f: int(f[len("bitstream"):]))
    got = [open(os.path.join(blobs, f), "rb").read() for f in names]
    bad = [i for i in range(min(len(got), len(expected))) if got[i] != expected[i]]
    print("%d requests, %d expected, %d differ%s" % (
        len(got), len(expected), len(bad),
        (" (first: request %d, %d bytes, expected %d)"
         % (bad[0], len(got[bad[0]]), len(expected[bad[0]]))) if bad else ""))
    return 0 if not bad and len(got) == len(expected) else 1


if __name__ == "__main__":
    sys.exit(main())
