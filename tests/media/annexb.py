# gst-v4l2-elastic: NAL units of an Annex-B byte stream (H.264, H.265),
# for the test scripts that read streams byte by byte
# (tests/media/h265-cut.py, tests/kernel/h265-bitstream-check.py).
#
# SPDX-License-Identifier: LGPL-2.1-or-later


def nal_spans(data):
    """(start, end) of each NAL unit's bytes in @data, start codes and the
    leading zero byte of a 4-byte start code excluded."""
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
            end -= 1
        yield s, end
