#!/usr/bin/env python3
# gst-v4l2-elastic: what an IVF file of VP8 or VP9 really holds, so that a
# test meant to cover hidden frames cannot silently become vacuous.
#
#   vpx-stream-info.py FILE.ivf
#
# Prints one line of key=value pairs: codec, packets, frames (VP9:
# superframes split per Annex B), hidden (frames with show_frame = 0),
# show_existing (VP9 show_existing_frame), keyframes, superframes,
# profiles and the key frame sizes in order.  Reads only the frame tag
# (VP8, RFC 6386 9.1) and the first bits of the uncompressed header
# (VP9 spec 6.2); no decoding.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import struct
import sys


class Bits:
    def __init__(self, data):
        self.data = data
        self.pos = 0

    def read(self, n):
        v = 0
        for _ in range(n):
            byte = self.data[self.pos >> 3]
            v = (v << 1) | ((byte >> (7 - (self.pos & 7))) & 1)
            self.pos += 1
        return v


def ivf_packets(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"DKIF":
        raise SystemExit("%s: not an IVF file" % path)
    fourcc = data[8:12].decode("ascii", "replace")
    pos = struct.unpack_from("<H", data, 6)[0]
    packets = []
    while pos + 12 <= len(data):
        size = struct.unpack_from("<I", data, pos)[0]
        packets.append(data[pos + 12 : pos + 12 + size])
        pos += 12 + size
    return fourcc, packets


def vp9_split(packet):
    """The frames of a packet: a superframe index (Annex B) or one frame."""
    marker = packet[-1]
    if marker & 0xE0 == 0xC0:
        n = (marker & 7) + 1
        mag = ((marker >> 3) & 3) + 1
        index = 2 + mag * n
        if len(packet) >= index and packet[-index] == marker:
            frames, pos = [], 0
            for i in range(n):
                off = len(packet) - index + 1 + i * mag
                size = int.from_bytes(packet[off : off + mag], "little")
                frames.append(packet[pos : pos + size])
                pos += size
            return frames, True
    return [packet], False


def vp9_frame(frame, info):
    b = Bits(frame)
    if b.read(2) != 2:
        raise SystemExit("VP9 frame without frame_marker")
    profile = b.read(1) | (b.read(1) << 1)
    if profile == 3:
        b.read(1)
    info["profiles"].add(profile)
    if b.read(1):  # show_existing_frame
        info["show_existing"] += 1
        return
    frame_type = b.read(1)
    show_frame = b.read(1)
    b.read(1)  # error_resilient_mode
    if not show_frame:
        info["hidden"] += 1
    if frame_type == 0:
        info["keyframes"] += 1
        b.read(24)  # sync code
        if profile >= 2:
            b.read(1)  # ten_or_twelve_bit
        color_space = b.read(3)
        if color_space != 7:
            b.read(1)
            if profile in (1, 3):
                b.read(3)
        elif profile in (1, 3):
            b.read(1)
        w = b.read(16) + 1
        h = b.read(16) + 1
        info["sizes"].append("%dx%d" % (w, h))


def vp8_frame(frame, info):
    tag = frame[0] | (frame[1] << 8) | (frame[2] << 16)
    key = not (tag & 1)
    info["profiles"].add((tag >> 1) & 7)
    if not (tag >> 4) & 1:
        info["hidden"] += 1
    if key:
        info["keyframes"] += 1
        w, h = struct.unpack_from("<HH", frame, 6)
        info["sizes"].append("%dx%d" % (w & 0x3FFF, h & 0x3FFF))


def main():
    fourcc, packets = ivf_packets(sys.argv[1])
    info = {
        "hidden": 0,
        "show_existing": 0,
        "keyframes": 0,
        "superframes": 0,
        "frames": 0,
        "profiles": set(),
        "sizes": [],
    }
    for p in packets:
        if fourcc == "VP90":
            frames, superframe = vp9_split(p)
            info["superframes"] += superframe
            for f in frames:
                info["frames"] += 1
                vp9_frame(f, info)
        elif fourcc == "VP80":
            info["frames"] += 1
            vp8_frame(p, info)
        else:
            raise SystemExit("%s: fourcc %s is neither VP80 nor VP90" % (sys.argv[1], fourcc))
    sizes = []
    for s in info["sizes"]:
        if not sizes or sizes[-1] != s:
            sizes.append(s)
    print(
        "codec=%s packets=%d frames=%d hidden=%d show_existing=%d keyframes=%d "
        "superframes=%d profiles=%s sizes=%s"
        % (
            fourcc,
            len(packets),
            info["frames"],
            info["hidden"],
            info["show_existing"],
            info["keyframes"],
            info["superframes"],
            ",".join(str(p) for p in sorted(info["profiles"])),
            "->".join(sizes),
        )
    )


if __name__ == "__main__":
    main()
