#!/usr/bin/env python3
# gst-v4l2-elastic: concatenates IVF files into one stream.
#
#   ivf-concat.py OUT IN...
#
# The first file's 32-byte header is kept (codec, size of the first
# segment, time base) with the frame count summed; each later segment's
# packet timestamps are shifted to follow the previous segment's last one,
# so the stream's timestamps keep increasing (every segment of an encoder
# starts at 0; a decoder would otherwise see time jump back).
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import struct
import sys


def packets(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"DKIF":
        raise SystemExit("%s: not an IVF file" % path)
    pos = struct.unpack_from("<H", data, 6)[0]
    out = []
    while pos + 12 <= len(data):
        size, pts = struct.unpack_from("<IQ", data, pos)
        out.append((pts, data[pos + 12 : pos + 12 + size]))
        pos += 12 + size
    return data[:32], out


def main():
    header, _ = packets(sys.argv[2])
    body = bytearray()
    count = 0
    offset = 0
    for path in sys.argv[2:]:
        _, segment = packets(path)
        if not segment:
            raise SystemExit("%s: no packets" % path)
        base = segment[0][0]
        for pts, payload in segment:
            body += struct.pack("<IQ", len(payload), offset + pts - base)
            body += payload
            count += 1
        offset += segment[-1][0] - base + 1
    header = bytearray(header)
    struct.pack_into("<I", header, 24, count)
    with open(sys.argv[1], "wb") as f:
        f.write(header + body)


if __name__ == "__main__":
    main()
