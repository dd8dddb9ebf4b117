#!/usr/bin/env python3
# gst-v4l2-elastic: what an MPEG-2 video elementary stream holds, read
# with a bit reader of its own (ISO/IEC 13818-2, 6.2), independent of the
# GStreamer parser the element uses.  Prints one KEY=VALUE per line:
#
#   pictures=N  i=N p=N b=N      picture count and coding types
#   frames=N                     frames (a field pair is one)
#   sizes=WxH,...                each new sequence size, in order
#   sequence_end=N               sequence end codes
#   gops=N closed_gop=0,1        GOP headers and the closed_gop values seen
#   progressive_sequence=0,1     values seen
#   structures=3 / 1,2,3         picture_structure values seen
#   alternate_scan= q_scale_type= intra_vlc= top_field_first=  values seen
#   repeat_first_field=N         pictures with repeat_first_field set
#   interlaced_frames=N          pictures with progressive_frame 0 in an
#                                interlaced sequence
#   tff_frames=N                 pictures with top_field_first set in an
#                                interlaced sequence
#   load_intra=N load_non_intra=N   sequence headers loading a matrix
#   quant_ext=N                  quant matrix extensions
#
#   mpeg2-stream-info.py FILE
#   mpeg2-stream-info.py --order FILE
#
# --order prints, one per line, the coded index (0 = first frame of the
# file; the two fields of a pair are one frame) of each frame in display
# order: within a GOP the order of temporal_reference (6.3.9), GOP after
# GOP.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import sys


class Bits:
    def __init__(self, data, pos):
        self.data = data
        self.bit = pos * 8

    def read(self, n):
        v = 0
        for _ in range(n):
            byte = self.data[self.bit // 8] if self.bit // 8 < len(self.data) else 0
            v = (v << 1) | ((byte >> (7 - self.bit % 8)) & 1)
            self.bit += 1
        return v


def values(s):
    return ",".join(str(v) for v in sorted(s)) if s else "none"


def main():
    order = sys.argv[1] == "--order"
    data = open(sys.argv[-1], "rb").read()
    gop = []
    display = []
    frames = 0
    pending_field = 0  # structure of a first field waiting for its pair
    pic_tr = None
    count = {"i": 0, "p": 0, "b": 0, "pictures": 0, "sequence_end": 0,
             "gops": 0, "repeat_first_field": 0, "load_intra": 0,
             "load_non_intra": 0, "quant_ext": 0, "interlaced_frames": 0,
             "tff_frames": 0}
    progressive_sequence = 1
    seen = {k: set() for k in ("closed_gop", "progressive_sequence",
                               "structures", "alternate_scan", "q_scale_type",
                               "intra_vlc", "top_field_first")}
    sizes = []
    hsize = vsize = 0
    pos = data.find(b"\x00\x00\x01")
    while pos >= 0 and pos + 4 <= len(data):
        code = data[pos + 3]
        b = Bits(data, pos + 4)
        if code == 0xB3:
            hsize, vsize = b.read(12), b.read(12)
            b.read(4 + 4 + 18 + 1 + 10 + 1)
            if b.read(1):
                count["load_intra"] += 1
                b.read(64 * 8)
            if b.read(1):
                count["load_non_intra"] += 1
        elif code == 0xB5:
            ext = b.read(4)
            if ext == 1:
                b.read(8)
                progressive_sequence = b.read(1)
                seen["progressive_sequence"].add(progressive_sequence)
                b.read(2)
                size = "%dx%d" % (hsize | b.read(2) << 12, vsize | b.read(2) << 12)
                if not sizes or sizes[-1] != size:
                    sizes.append(size)
            elif ext == 3:
                count["quant_ext"] += 1
            elif ext == 8:
                b.read(16 + 2)
                structure = b.read(2)
                seen["structures"].add(structure)
                if structure != 3 and pending_field and structure != pending_field:
                    pending_field = 0  # the second field of a pair
                else:
                    gop.append((pic_tr, frames))
                    frames += 1
                    pending_field = structure if structure != 3 else 0
                tff = b.read(1)
                seen["top_field_first"].add(tff)
                b.read(2)
                seen["q_scale_type"].add(b.read(1))
                seen["intra_vlc"].add(b.read(1))
                seen["alternate_scan"].add(b.read(1))
                count["repeat_first_field"] += b.read(1)
                b.read(1)  # chroma_420_type
                progressive_frame = b.read(1)
                if not progressive_sequence:
                    count["interlaced_frames"] += 1 - progressive_frame
                    count["tff_frames"] += tff
        elif code == 0xB8:
            display.extend(i for _, i in sorted(gop))
            gop = []
            count["gops"] += 1
            b.read(25)
            seen["closed_gop"].add(b.read(1))
        elif code == 0x00:
            pic_tr = b.read(10)
            t = b.read(3)
            count["pictures"] += 1
            if t in (1, 2, 3):
                count["ipb"[t - 1]] += 1
        elif code == 0xB7:
            count["sequence_end"] += 1
        pos = data.find(b"\x00\x00\x01", pos + 4)
    display.extend(i for _, i in sorted(gop))
    if order:
        for i in display:
            print(i)
        return
    print("pictures=%d" % count["pictures"])
    print("frames=%d" % frames)
    for k in ("i", "p", "b", "sequence_end", "gops", "repeat_first_field",
              "load_intra", "load_non_intra", "quant_ext", "interlaced_frames",
              "tff_frames"):
        print("%s=%d" % (k, count[k]))
    print("sizes=%s" % ",".join(sizes))
    for k, v in seen.items():
        print("%s=%s" % (k, values(v)))


main()
