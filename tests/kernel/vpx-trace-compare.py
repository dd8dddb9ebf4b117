#!/usr/bin/env python3
# gst-v4l2-elastic: compares the VP8 or VP9 controls two decoders submitted
# to visl, request by request, from visl's trace events (the text of
# /sys/kernel/tracing/trace with visl_vp8_controls or visl_vp9_controls and
# vb2:vb2_buf_done enabled).
#
#   vpx-trace-compare.py OURS.trace UPSTREAM.trace
#
# A request is one v4l2_ctrl_vp8_frame / v4l2_ctrl_vp9_frame event and the
# events after it (VP8 entropy; VP9 compressed header, coefficients, MV
# probabilities).  visl's control events do not print the request's own
# timestamp: the first buffer-done event after them does (visl completes
# the OUTPUT buffer first, in the same job).  Each decoder names pictures
# by its own V4L2 timestamps, so every timestamp is replaced by the index
# of the first request submitted with it ("req N"); 0 that names no
# request is "none", any other timestamp no request had is "unknown".
# References of key frames and intra-only frames (read by no decoder) are
# left out and counted.  Then every field of every control is compared.
# Prints every difference, grouped by field.
#
# Differences of two kinds are told apart from real ones and reported on
# a line "told apart: ..." (docs/vpx.md has the evidence for both):
#   stale-segmentation-probs: VP9 seg.tree_probs on a frame without
#     UPDATE_MAP, seg.pred_probs without TEMPORAL_UPDATE: no decoder reads
#     them there; upstream sends whatever its parser last read (zeros at
#     first, an earlier frame's values later, even after a key frame),
#     ours the spec's 255 for "not coded";
#   upstream-stopped-at-size-change: upstream made fewer requests, it
#     submitted our first key frame of a new size with the old size, and
#     every difference is in its requests from there on.
# A third case, as for H.264: upstream made fewer requests and every one
# it made is identical ("upstream-stopped-early").
# Exit status: 0 no real difference; 1 a real difference (or nothing to
# compare).
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import re
import sys
from collections import defaultdict

# An event header line: "TASK-PID [CPU] FLAGS SECONDS: event_name: ...".
HEADER = re.compile(r"^ *\S.*?\[\d+\] \S+ +[\d.]+: (\w+): ?", re.M)
# A "key value" line of an event; hex dump rows (two hex digits first) and
# closing braces continue the previous key.
KEY = re.compile(r"^ *(?![0-9a-f]{2}(?: |$))([a-z_][a-z0-9_.]*)\b *", re.M)
FRAME_EVENTS = ("v4l2_ctrl_vp8_frame", "v4l2_ctrl_vp9_frame")
TS_FIELDS = ("last_frame_ts", "golden_frame_ts", "alt_frame_ts")


def fields(body):
    """key -> value (whitespace folded) of one event's text."""
    out = {}
    keys = list(KEY.finditer(body))
    for i, m in enumerate(keys):
        end = keys[i + 1].start() if i + 1 < len(keys) else len(body)
        key = m.group(1)
        while key in out:
            key += "'"
        out[key] = " ".join(body[m.end() : end].split())
    return out


def parse(path):
    """The requests of a trace, in the order visl ran them.  Whole-text
    regular expressions: the guest runs this under TCG, where a Python
    loop over every line of a VP9 trace takes many seconds."""
    with open(path, errors="replace") as f:
        text = f.read()
    parts = HEADER.split(text)
    requests = []
    for name, body in zip(parts[1::2], parts[2::2]):
        if name in FRAME_EVENTS:
            requests.append({"ts": None, "controls": {}})
        if not requests:
            continue
        r = requests[-1]
        if name == "vb2_buf_done":
            # The OUTPUT buffer (type 2, or 10 multi-planar) carries the
            # request's timestamp; visl completes it first.
            m = re.search(r"type = (\d+),.*timestamp = (\d+)", body)
            if m and m.group(1) in ("2", "10") and r["ts"] is None:
                r["ts"] = int(m.group(2))
            continue
        if name.startswith("vb2") or name.startswith("v4l2_qbuf") or name.startswith("v4l2_dqbuf"):
            continue
        short = re.sub(r"^v4l2_(ctrl_)?(vp[89]_)?", "", name)
        r["controls"][short] = fields(body)
    return requests


def intra(request):
    """Key frames and VP9 intra-only frames predict from no reference."""
    flags = request["controls"].get("frame", {}).get("flags", "")
    return bool(re.search(r"\b(KEY_FRAME|INTRA_ONLY)\b", flags))


def size(request):
    f = request["controls"].get("frame", {})
    if "width" in f:
        return (f["width"], f.get("height"))
    return (f.get("frame_width_minus_1"), f.get("frame_height_minus_1"))


def normalise(requests):
    """Own timestamps -> first-submitted index; returns {ts: [indices]}.

    A decoder may name its first picture 0 (upstream does), so a
    timestamp is looked up among the requests before 0 means "none".  The
    references of a key frame or an intra-only frame are not read by any
    decoder; they are dropped from the comparison and counted."""
    first = {}
    owners = defaultdict(list)
    for i, r in enumerate(requests):
        if r["ts"] is not None:
            first.setdefault(r["ts"], i)
            owners[r["ts"]].append(i)
    skipped = 0
    for r in requests:
        frame = r["controls"].get("frame", {})
        for k in TS_FIELDS:
            if k not in frame:
                continue
            if intra(r):
                del frame[k]
                skipped += 1
                continue
            ts = int(frame[k])
            r.setdefault("raw", {})[k] = ts
            if ts in first:
                frame[k] = "req %d" % first[ts]
            elif ts == 0:
                frame[k] = "none"
            else:
                frame[k] = "unknown"
    return {ts: idx for ts, idx in owners.items() if len(idx) > 1}, skipped


def main():
    ours = parse(sys.argv[1])
    upstream = parse(sys.argv[2])
    shared_o, skipped = normalise(ours)
    normalise(upstream)
    diffs = defaultdict(list)
    apart = defaultdict(list)
    compared = 0
    for name, reqs in (("ours", ours), ("upstream", upstream)):
        incomplete = [
            i
            for i, r in enumerate(reqs)
            if r["ts"] is None or len(r["controls"].get("frame", {})) < 20
        ]
        if not reqs or incomplete:
            diffs["parse"].append(
                "%s: %d requests, incomplete: %s" % (name, len(reqs), incomplete[:5])
            )
    # Our own timestamps must name one request each.
    if shared_o:
        diffs["ours.timestamps"].append(
            "timestamps given to several requests: %s" % sorted(shared_o.items())[:5]
        )
    if len(ours) != len(upstream):
        diffs["requests"].append("ours %d, upstream %d" % (len(ours), len(upstream)))
    # Where our stream changes size at a key frame and upstream made fewer
    # requests, upstream's requests from that key frame on are its failed
    # renegotiation: compared, but their differences are reported apart.
    change = next(
        (i for i in range(1, len(ours)) if size(ours[i]) != size(ours[i - 1])), None
    )
    stopped = (
        change is not None
        and change < len(upstream) < len(ours)
        and size(upstream[change]) == size(ours[change - 1])
    )
    after_change = defaultdict(list)
    for i in range(min(len(ours), len(upstream))):
        o, u = ours[i], upstream[i]
        for ctrl in sorted(set(o["controls"]) | set(u["controls"])):
            fo, fu = o["controls"].get(ctrl, {}), u["controls"].get(ctrl, {})
            compared += len(set(fo) | set(fu))
            for k in sorted(set(fo) | set(fu)):
                if fo.get(k) == fu.get(k):
                    continue
                line = "request %d: ours %r, upstream %r" % (i, fo.get(k), fu.get(k))
                if stopped and i >= change:
                    after_change["%s.%s" % (ctrl, k)].append(line)
                    continue
                if ctrl == "frame" and unused_seg_probs(fo, k):
                    apart["%s.%s" % (ctrl, k)].append(line)
                    continue
                diffs["%s.%s" % (ctrl, k)].append(line)
    for key in sorted(diffs):
        print("%s differs in %d request(s):" % (key, len(diffs[key])))
        for d in diffs[key][:5]:
            print("  " + d)
    told_apart = []
    for key in sorted(apart):
        print(
            "%s differs in %d request(s) where the frame does not use it:"
            % (key, len(apart[key]))
        )
        for d in apart[key][:3]:
            print("  " + d)
    if apart:
        told_apart.append("stale-segmentation-probs")
    if after_change:
        print(
            "upstream stopped %d request(s) after the size change at request %d "
            "(ours %s, upstream %s); its requests from there differ:"
            % (len(upstream) - change, change, size(ours[change]), size(upstream[change]))
        )
        for key in sorted(after_change):
            print("  %s: %s" % (key, after_change[key][0]))
    if after_change or (stopped and set(diffs) == {"requests"}):
        told_apart.append("upstream-stopped-at-size-change")
        del diffs["requests"]
    elif set(diffs) == {"requests"} and len(upstream) < len(ours):
        # Every request upstream made is identical; it made fewer.
        told_apart.append("upstream-stopped-early")
        del diffs["requests"]
    print(
        "%d requests (upstream %d), %d values compared, %d real difference(s), "
        "%d key/intra-only frame reference(s) not compared"
        % (len(ours), len(upstream), compared, len(diffs), skipped)
    )
    if told_apart:
        print("told apart: " + ", ".join(told_apart))
    return 1 if diffs else 0


def unused_seg_probs(frame, key):
    """VP9 segmentation probabilities a frame does not code or read."""
    flags = frame.get("seg.flags", "")
    if key == "seg.tree_probs":
        return "UPDATE_MAP" not in flags
    if key == "seg.pred_probs":
        return "TEMPORAL_UPDATE" not in flags
    return False


if __name__ == "__main__":
    sys.exit(main())
