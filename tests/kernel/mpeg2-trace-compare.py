#!/usr/bin/env python3
# gst-v4l2-elastic: compares the MPEG-2 controls two decoders submitted to
# visl, request by request, from visl's trace events (the text of
# /sys/kernel/tracing/trace with visl_mpeg2_controls and vb2:vb2_buf_done
# enabled).
#
#   mpeg2-trace-compare.py OURS.trace UPSTREAM.trace
#
# A request is one v4l2_ctrl_mpeg2_sequence event and the picture and
# quantisation events after it; the first OUTPUT buffer-done event after
# them carries the request's own timestamp.  Each decoder names pictures by
# its own V4L2 timestamps, so a reference timestamp is replaced by the
# index of the request submitted with it ("req N"; "none" for 0 or a
# timestamp no request had, which no driver can find).  References a
# picture does not read are left out and counted: both of an I picture,
# backward_ref_ts of a P picture (7.6.3: a P picture predicts forward
# only).  Every other field of every control is compared; differences are
# printed grouped by field.  The last lines sum up.
#
# Three differences where upstream 1.22 departs from the standard and the
# V4L2 documentation are told apart, each only in its exact form
# (docs/mpeg2.md has the reasoning):
#   profile-and-level-layout: upstream packs profile << 4 | level << 1 |
#     escape, the 8-bit profile_and_level_indication of 6.3.5 is escape
#     << 7 | profile << 4 | level (ours);
#   vbv-buffer-size-in-bits: upstream sends 16384 * vbv_buffer_size (the
#     VBV size in bits), V4L2 the 18-bit vbv_buffer_size of 6.3.3 (ours);
#   zero-chroma-matrices-420: upstream leaves the chroma matrices zero,
#     ours repeat the luma ones (6.3.11: chroma uses them unless loaded);
#     V4L2 reads chroma matrices only for 4:2:2 and 4:4:4, so this is
#     told apart for chroma_format 1 only.
#
# Exit status: 0 no difference but those; 1 a difference, or nothing to
# compare.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import re
import sys
from collections import defaultdict

HEADER = re.compile(r"^ *\S.*?\[\d+\] \S+ +[\d.]+: (\w+): ?", re.M)
KEY = re.compile(r"^ *([a-z_][a-z0-9_]*):? *", re.M)
REFS = ("backward_ref_ts", "forward_ref_ts")


def fields(body):
    out = {}
    keys = list(KEY.finditer(body))
    for i, m in enumerate(keys):
        end = keys[i + 1].start() if i + 1 < len(keys) else len(body)
        out[m.group(1)] = " ".join(body[m.end() : end].split())
    return out


def parse(path):
    with open(path, errors="replace") as f:
        text = f.read()
    parts = HEADER.split(text)
    requests = []
    for name, body in zip(parts[1::2], parts[2::2]):
        if name == "v4l2_ctrl_mpeg2_sequence":
            requests.append({"ts": None, "controls": {}})
        if not requests:
            continue
        r = requests[-1]
        if name == "vb2_buf_done":
            m = re.search(r"type = (\d+),.*timestamp = (\d+)", body)
            if m and m.group(1) in ("2", "10") and r["ts"] is None:
                r["ts"] = int(m.group(2))
            continue
        if name.startswith("v4l2_ctrl_mpeg2_"):
            r["controls"][name[len("v4l2_ctrl_mpeg2_") :]] = fields(body)
    return requests


def normalise(requests):
    """Reference timestamps -> request indices; returns how many
    references were left out as unread."""
    first = {}
    for i, r in enumerate(requests):
        if r["ts"] is not None:
            first.setdefault(r["ts"], i)
    skipped = 0
    for r in requests:
        pic = r["controls"].get("picture", {})
        kind = pic.get("picture_coding_type")
        for k in REFS:
            if k not in pic:
                continue
            if kind == "1" or (kind == "2" and k == "backward_ref_ts"):
                del pic[k]
                skipped += 1
                continue
            ts = int(pic[k])
            pic[k] = "req %d" % first[ts] if ts in first else "none"
    return skipped


def main():
    ours = parse(sys.argv[1])
    upstream = parse(sys.argv[2])
    skipped = normalise(ours)
    normalise(upstream)
    diffs = defaultdict(list)
    apart = defaultdict(int)
    compared = 0
    for name, reqs in (("ours", ours), ("upstream", upstream)):
        incomplete = [
            i
            for i, r in enumerate(reqs)
            if r["ts"] is None or set(r["controls"]) != {"sequence", "picture", "quantisation"}
        ]
        if not reqs or incomplete:
            diffs["parse"].append(
                "%s: %d requests, incomplete: %s" % (name, len(reqs), incomplete[:5])
            )
    if len(ours) != len(upstream):
        diffs["requests"].append("ours %d, upstream %d" % (len(ours), len(upstream)))
    for i in range(min(len(ours), len(upstream))):
        o, u = ours[i], upstream[i]
        for ctrl in sorted(set(o["controls"]) | set(u["controls"])):
            fo, fu = o["controls"].get(ctrl, {}), u["controls"].get(ctrl, {})
            for k in sorted(set(fo) | set(fu)):
                compared += 1
                if fo.get(k) == fu.get(k):
                    continue
                why = told_apart(o, ctrl, k, fo.get(k), fu.get(k))
                if why:
                    apart[why] += 1
                else:
                    diffs["%s.%s" % (ctrl, k)].append(
                        "request %d: ours %r, upstream %r" % (i, fo.get(k), fu.get(k))
                    )
    for key in sorted(diffs):
        print("%s differs in %d request(s):" % (key, len(diffs[key])))
        for d in diffs[key][:5]:
            print("  " + d)
    print(
        "%d requests (upstream %d), %d values compared, %d field(s) differ, "
        "%d unread reference(s) not compared"
        % (len(ours), len(upstream), compared, len(diffs), skipped)
    )
    if apart:
        print(
            "told apart: "
            + ", ".join("%s (%d)" % (k, v) for k, v in sorted(apart.items()))
        )
    return 1 if diffs else 0


def told_apart(request, ctrl, key, ours, upstream):
    if ours is None or upstream is None:
        return None
    if ctrl == "sequence" and key == "profile_and_level_indication":
        v = int(ours)
        if int(upstream) == ((v >> 4) & 7) << 4 | (v & 15) << 1 | v >> 7:
            return "profile-and-level-layout"
    if ctrl == "sequence" and key == "vbv_buffer_size":
        if int(upstream) == 16384 * int(ours):
            return "vbv-buffer-size-in-bits"
    if ctrl == "quantisation" and key.startswith("chroma_"):
        seq = request["controls"].get("sequence", {})
        luma = request["controls"]["quantisation"].get(key[len("chroma_") :])
        zero = "{" + ",".join(["0x0"] * 64) + "}"
        if seq.get("chroma_format") == "1" and upstream == zero and ours == luma:
            return "zero-chroma-matrices-420"
    return None


if __name__ == "__main__":
    sys.exit(main())
