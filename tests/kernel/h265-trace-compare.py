#!/usr/bin/env python3
# gst-v4l2-elastic: compares the HEVC controls two decoders submitted to
# visl, request by request, from visl's trace events (the text of
# /sys/kernel/tracing/trace with visl_hevc_controls and vb2:vb2_buf_done
# enabled).
#
#   h265-trace-compare.py OURS.trace UPSTREAM.trace
#
# A request is one v4l2_ctrl_hevc_sps event and the PPS, slice parameter
# (visl traces the first slice of a request), prediction weight, scaling
# matrix, decode parameter and 16 DPB entry events after it; the first
# OUTPUT buffer-done event after them carries the request's own timestamp.
# Each decoder names pictures by its own V4L2 timestamps, so a DPB
# timestamp is replaced by the index of the request that decoded into it
# ("req N"; "none" for a timestamp no request had).  DPB entries past
# num_active_dpb_entries are not compared (no driver reads them).  Every
# other field is compared; differences are printed grouped by field.
#
# One difference where upstream 1.22 departs from the stream is told
# apart, only in its exact form: upstream-stale-sps: an SPS that changes
# in a stream without a new size (the DPB change: same id, other
# sps_max_dec_pic_buffering_minus1) reaches upstream's requests late or
# never; ours carry the active SPS, so upstream's SPS of such a request
# equals ours of an earlier request, not ours of this one.
#
# Exit status: 0 no difference; 1 a difference, or nothing to compare;
# 2 the requests upstream made are all equal to ours but it made fewer
# (it stopped or crashed).
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import re
import sys
from collections import defaultdict

HEADER = re.compile(r"^ *\S.*?\[\d+\] \S+ +[\d.]+: (\w+): ?", re.M)
KEY = re.compile(r"^ *([a-z_][a-z0-9_]*):? *", re.M)
CONTROLS = {"sps", "pps", "slice_params", "pred_weight_table", "scaling_matrix",
            "decode_params"}


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
        if name == "v4l2_ctrl_hevc_sps":
            requests.append({"ts": None, "controls": {}, "dpb": []})
        if not requests:
            continue
        r = requests[-1]
        if name == "vb2_buf_done":
            m = re.search(r"type = (\d+),.*timestamp = (\d+)", body)
            if m and m.group(1) in ("2", "10") and r["ts"] is None:
                r["ts"] = int(m.group(2))
        elif name == "v4l2_hevc_dpb_entry":
            r["dpb"].append(fields(body))
        elif name.startswith("v4l2_ctrl_hevc_"):
            r["controls"][name[len("v4l2_ctrl_hevc_") :]] = fields(body)
        elif name.startswith("v4l2_hevc_"):
            r["controls"][name[len("v4l2_hevc_") :]] = fields(body)
    return requests


def normalise(requests):
    """Active DPB entries become controls dpb0..dpbN with request indices
    for timestamps."""
    first = {}
    for i, r in enumerate(requests):
        if r["ts"] is not None:
            first.setdefault(r["ts"], i)
    for r in requests:
        n = int(r["controls"].get("decode_params", {}).get("num_active_dpb_entries", 0))
        for k, e in enumerate(r["dpb"][:n]):
            e = dict(e)
            ts = int(e.get("timestamp", 0))
            e["timestamp"] = "req %d" % first[ts] if ts in first else "none"
            r["controls"]["dpb%d" % k] = e


def main():
    ours = parse(sys.argv[1])
    upstream = parse(sys.argv[2])
    normalise(ours)
    normalise(upstream)
    diffs = defaultdict(list)
    apart = defaultdict(int)
    compared = 0
    for name, reqs in (("ours", ours), ("upstream", upstream)):
        incomplete = [
            i
            for i, r in enumerate(reqs)
            if r["ts"] is None or not CONTROLS <= set(r["controls"])
        ]
        if not reqs or incomplete:
            diffs["parse"].append(
                "%s: %d requests, incomplete: %s" % (name, len(reqs), incomplete[:5])
            )
    for i in range(min(len(ours), len(upstream))):
        o, u = ours[i], upstream[i]
        for ctrl in sorted(set(o["controls"]) | set(u["controls"])):
            fo, fu = o["controls"].get(ctrl, {}), u["controls"].get(ctrl, {})
            for k in sorted(set(fo) | set(fu)):
                compared += 1
                if fo.get(k) == fu.get(k):
                    continue
                if ctrl == "sps" and stale_sps(ours, upstream, i):
                    apart["upstream-stale-sps"] += 1
                    continue
                diffs["%s.%s" % (ctrl, k)].append(
                    "request %d: ours %r, upstream %r" % (i, fo.get(k), fu.get(k))
                )
    for key in sorted(diffs):
        print("%s differs in %d request(s):" % (key, len(diffs[key])))
        for d in diffs[key][:5]:
            print("  " + d)
    print(
        "%d requests (upstream %d), %d values compared, %d field(s) differ"
        % (len(ours), len(upstream), compared, len(diffs))
    )
    if apart:
        print(
            "told apart: "
            + ", ".join("%s (%d)" % (k, v) for k, v in sorted(apart.items()))
        )
    if diffs:
        return 1
    if len(upstream) < len(ours):
        return 2
    return 0 if len(upstream) == len(ours) else 1


def stale_sps(ours, upstream, i):
    theirs = upstream[i]["controls"].get("sps")
    mine = ours[i]["controls"].get("sps")
    return any(
        ours[j]["controls"].get("sps") == theirs and ours[j]["controls"].get("sps") != mine
        for j in range(i)
    )


if __name__ == "__main__":
    sys.exit(main())
