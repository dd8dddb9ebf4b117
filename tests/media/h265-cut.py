#!/usr/bin/env python3
# gst-v4l2-elastic: cuts an H.265 Annex-B stream at a CRA picture, as a
# receiver tuning in mid-stream sees it: the last VPS, SPS and PPS before
# the cut, then every NAL unit from the N-th CRA access unit on (its
# leading RASL pictures reference pictures that are not there).
#
#   h265-cut.py IN OUT N
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import sys

from annexb import nal_spans

CRA, VPS, SPS, PPS = 21, 32, 33, 34


def main():
    src, dst, want = sys.argv[1], sys.argv[2], int(sys.argv[3])
    data = open(src, "rb").read()
    sets = {}
    seen = 0
    cut = None
    for s, e in nal_spans(data):
        t = (data[s] >> 1) & 0x3F
        if t in (VPS, SPS, PPS):
            sets[t] = data[s:e]
        first_in_pic = t < 32 and e - s > 2 and data[s + 2] & 0x80
        if t == CRA and first_in_pic:
            seen += 1
            if seen == want:
                cut = s - 3
                break
    if cut is None or len(sets) != 3:
        sys.exit("%s: no CRA picture number %d after parameter sets" % (src, want))
    with open(dst, "wb") as f:
        for t in (VPS, SPS, PPS):
            f.write(b"\x00\x00\x00\x01" + sets[t])
        f.write(data[cut:])


if __name__ == "__main__":
    main()
