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

CRA, VPS, SPS, PPS = 21, 32, 33, 34


def nal_units(data):
    """(start, end) of each NAL unit's payload, start codes excluded."""
    starts = []
    i = 0
    while True:
        i = data.find(b"\x00\x00\x01", i)
        if i < 0:
            break
        starts.append(i + 3)
        i += 3
    for k, s in enumerate(starts):
        end = starts[k + 1] - 3 if k + 1 < len(starts) else len(data)
        while end > s and data[end - 1] == 0:
            end -= 1  # trailing zero of a 4-byte start code
        yield s, end


def main():
    src, dst, want = sys.argv[1], sys.argv[2], int(sys.argv[3])
    data = open(src, "rb").read()
    sets = {}
    seen = 0
    cut = None
    for s, e in nal_units(data):
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
