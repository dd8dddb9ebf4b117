#!/usr/bin/env python3
# gst-v4l2-elastic: compares the H.264 controls two decoders submitted to
# visl, request by request, from visl's trace events (the text of
# /sys/kernel/tracing/trace with the visl_h264_controls events enabled).
#
#   h264-trace-compare.py OURS.trace UPSTREAM.trace
#
# Timestamps are normalised: each decoder names pictures by its own
# V4L2 timestamps (ours: (frame number + 1) * 1000 ns), so a DPB entry's
# reference_ts becomes (ts - first referenced ts) / 1000, i.e. the frame
# number relative to the stream's first reference.  DPB entries are
# compared as a set of valid entries (the order of the array carries no
# meaning for frame-based decoding).  Upstream's per-slice requests of one
# picture are merged (see merge_slices).  Prints every difference, grouped
# by field; exits 1 if there is any.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import re
import sys
from collections import defaultdict

HEADER = re.compile(r"^\s*.+?\s+\[\d+\]\s+\S+\s+[\d.]+: (\w+): ?(.*)$")


def parse(path):
    events = []
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#"):
                continue
            m = HEADER.match(line)
            if m:
                events.append([m.group(1), [m.group(2)] if m.group(2) else []])
            elif events and line.strip():
                events[-1][1].append(line.strip())
    requests = []
    for name, lines in events:
        if name == "v4l2_ctrl_h264_sps":
            requests.append({"dpb": []})
        if not requests:
            continue
        if name == "v4l2_h264_dpb_entry":
            text = " ".join(lines)
            if re.search(r"flags \S*VALID", text):
                requests[-1]["dpb"].append(text)
        else:
            requests[-1][name.replace("v4l2_ctrl_h264_", "")] = lines
    return requests


def normalise_dpb(requests):
    ts = []
    for r in requests:
        for e in r["dpb"]:
            ts.append(int(re.search(r"reference_ts (\d+)", e).group(1)))
    base = min(ts) if ts else 0
    for r in requests:
        out = []
        for e in r["dpb"]:
            e = re.sub(r"^\[\d+\]: ", "", e)
            e = re.sub(
                r"reference_ts (\d+)",
                lambda m: "frame %+d" % ((int(m.group(1)) - base) // 1000),
                e,
            )
            out.append(e)
        r["dpb"] = sorted(out)
    return base


def merge_slices(requests):
    """Upstream 1.22 leaves visl in its default, slice-based decode mode:
    a picture of N slices is N requests (HOLD_CAPTURE_BUF), each with the
    same SPS, PPS, matrix, decode parameters and DPB.  Consecutive
    identical requests are one picture (two pictures in a row always
    differ: POC, frame_num or idr_pic_id); a wrong merge would show as a
    request count difference, never hide one."""
    merged = []
    for r in requests:
        if merged and merged[-1] == r:
            continue
        merged.append(r)
    return merged


def fields(lines):
    """name -> value for 'name value' lines; other lines keyed by position."""
    out = {}
    for i, line in enumerate(lines):
        parts = line.split(None, 1)
        key = parts[0] if len(parts) == 2 and not parts[0][0].isdigit() else "#%d" % i
        if key in out:
            key = "%s#%d" % (key, i)
        out[key] = parts[1] if len(parts) == 2 else line
    return out


def main():
    ours = parse(sys.argv[1])
    upstream = parse(sys.argv[2])
    base_o = normalise_dpb(ours)
    base_u = normalise_dpb(upstream)
    n_upstream = len(upstream)
    upstream = merge_slices(upstream)
    diffs = defaultdict(list)
    compared = 0
    # An empty parse must not look like agreement.
    for name, reqs in (("ours", ours), ("upstream", upstream)):
        incomplete = [
            i
            for i, r in enumerate(reqs)
            if len(r.get("decode_params", [])) < 10 or len(r.get("sps", [])) < 10
        ]
        if not reqs or incomplete:
            diffs["parse"].append(
                "%s: %d requests, incomplete: %s" % (name, len(reqs), incomplete[:5])
            )
    if len(ours) != len(upstream):
        diffs["requests"].append("ours %d, upstream %d" % (len(ours), len(upstream)))
    for i in range(min(len(ours), len(upstream))):
        o, u = ours[i], upstream[i]
        for ctrl in ("sps", "pps", "scaling_matrix", "decode_params"):
            fo, fu = fields(o.get(ctrl, [])), fields(u.get(ctrl, []))
            compared += len(set(fo) | set(fu))
            for k in sorted(set(fo) | set(fu)):
                if fo.get(k) != fu.get(k):
                    diffs["%s.%s" % (ctrl, k)].append(
                        "request %d: ours %r, upstream %r" % (i, fo.get(k), fu.get(k))
                    )
        if o["dpb"] != u["dpb"]:
            only_o = [e for e in o["dpb"] if e not in u["dpb"]]
            only_u = [e for e in u["dpb"] if e not in o["dpb"]]
            diffs["dpb"].append(
                "request %d: only ours %s; only upstream %s" % (i, only_o, only_u)
            )
    for key in sorted(diffs):
        print("%s differs in %d request(s):" % (key, len(diffs[key])))
        for d in diffs[key][:5]:
            print("  " + d)
    print(
        "%d requests (upstream: %d before merging its slices), at most %d DPB "
        "entries, timestamps based at %d (ours) and %d (upstream), %d values "
        "compared, %d differing field(s)"
        % (
            len(ours),
            n_upstream,
            max([len(r["dpb"]) for r in ours] or [0]),
            base_o,
            base_u,
            compared,
            len(diffs),
        )
    )
    if not diffs:
        return 0
    # Upstream stopping early while every request both made is identical
    # is its own failure (see docs), told apart from a real difference.
    if set(diffs) == {"requests"} and len(upstream) < len(ours):
        return 2
    return 1


if __name__ == "__main__":
    sys.exit(main())
