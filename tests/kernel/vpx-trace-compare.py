#!/usr/bin/env python3
# gst-v4l2-elastic: compares the VP8 or VP9 controls two decoders submitted
# to visl, request by request, from visl's trace events (the text of
# /sys/kernel/tracing/trace with visl_vp8_controls or visl_vp9_controls and
# v4l2:vb2_v4l2_buf_done enabled).
#
#   vpx-trace-compare.py OURS.trace UPSTREAM.trace
#
# A request is one v4l2_ctrl_vp8_frame / v4l2_ctrl_vp9_frame event and the
# events after it (VP8 entropy; VP9 compressed header, coefficients, MV
# probabilities).  visl's control events do not print the request's own
# timestamp: the first buffer-done event after them does (visl completes
# the OUTPUT buffer first, in the same job).  Each decoder names pictures
# by its own V4L2 timestamps, so every timestamp is replaced by the index
# of the first request submitted with it ("req N"); 0 stays "none", a
# timestamp no request had becomes "unknown".  Then every field of every
# control is compared.  Prints every difference, grouped by field.
#
# Exit status: 0 equal; 1 a real difference; 2 upstream submitted fewer
# requests and every request both made is identical (it stopped early);
# 3 the only differences are references to a timestamp upstream gave to
# more than one request (see docs/vpx.md: such a reference is ambiguous
# on upstream's side, and the request it names first is the one ours
# names, or the difference is only the alias).
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import re
import sys
from collections import defaultdict

HEADER = re.compile(r"^\s*.+?\s+\[\d+\]\s+\S+\s+[\d.]+: (\w+): ?(.*)$")
KEY = re.compile(r"^([a-z_][a-z0-9_.]*)(?:\s+(.*))?$")
HEXBYTE = re.compile(r"^[0-9a-f]{2}$")
FRAME_EVENTS = ("v4l2_ctrl_vp8_frame", "v4l2_ctrl_vp9_frame")
TS_FIELDS = ("last_frame_ts", "golden_frame_ts", "alt_frame_ts")


def fields(lines):
    """key -> value; hex dump rows and closing braces continue the key."""
    out = {}
    key = None
    for line in lines:
        m = KEY.match(line)
        if m and not HEXBYTE.match(m.group(1)):
            key = m.group(1)
            while key in out:
                key += "'"
            out[key] = m.group(2) or ""
        elif key is not None:
            out[key] += " " + line
        else:
            out.setdefault("#", "")
            out["#"] += " " + line
    return out


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
        if name in FRAME_EVENTS:
            requests.append({"ts": None, "controls": {}})
        if not requests:
            continue
        r = requests[-1]
        if name == "vb2_v4l2_buf_done":
            m = re.search(r"timestamp = (\d+)", " ".join(lines))
            if m and r["ts"] is None:
                r["ts"] = int(m.group(1))
            continue
        if name.startswith("vb2") or name.startswith("v4l2_qbuf") or name.startswith("v4l2_dqbuf"):
            continue
        short = re.sub(r"^v4l2_(ctrl_)?(vp[89]_)?", "", name)
        r["controls"][short] = fields(lines)
    return requests


def normalise(requests):
    """Own timestamps -> first-submitted index; returns {ts: [indices]}."""
    first = {}
    owners = defaultdict(list)
    for i, r in enumerate(requests):
        if r["ts"] is not None:
            first.setdefault(r["ts"], i)
            owners[r["ts"]].append(i)
    for r in requests:
        frame = r["controls"].get("frame", {})
        for k in TS_FIELDS:
            if k not in frame:
                continue
            ts = int(frame[k])
            r.setdefault("raw", {})[k] = ts
            if ts == 0:
                frame[k] = "none"
            elif ts in first:
                frame[k] = "req %d" % first[ts]
            else:
                frame[k] = "unknown"
    return {ts: idx for ts, idx in owners.items() if len(idx) > 1}


def main():
    ours = parse(sys.argv[1])
    upstream = parse(sys.argv[2])
    shared_o = normalise(ours)
    shared_u = normalise(upstream)
    diffs = defaultdict(list)
    ambiguous = defaultdict(list)
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
    for i in range(min(len(ours), len(upstream))):
        o, u = ours[i], upstream[i]
        for ctrl in sorted(set(o["controls"]) | set(u["controls"])):
            fo, fu = o["controls"].get(ctrl, {}), u["controls"].get(ctrl, {})
            compared += len(set(fo) | set(fu))
            for k in sorted(set(fo) | set(fu)):
                if fo.get(k) == fu.get(k):
                    continue
                line = "request %d: ours %r, upstream %r" % (i, fo.get(k), fu.get(k))
                raw = u.get("raw", {}).get(k)
                if ctrl == "frame" and k in TS_FIELDS and raw in shared_u:
                    # Upstream named two requests alike: the reference
                    # can mean either of them.
                    line += " (upstream timestamp %d is shared by requests %s)" % (
                        raw,
                        shared_u[raw],
                    )
                    if fo.get(k) in ["req %d" % j for j in shared_u[raw]]:
                        ambiguous["%s.%s" % (ctrl, k)].append(line)
                        continue
                diffs["%s.%s" % (ctrl, k)].append(line)
    for key in sorted(diffs):
        print("%s differs in %d request(s):" % (key, len(diffs[key])))
        for d in diffs[key][:5]:
            print("  " + d)
    for key in sorted(ambiguous):
        print(
            "%s: %d reference(s) to a timestamp upstream shares between requests:"
            % (key, len(ambiguous[key]))
        )
        for d in ambiguous[key][:3]:
            print("  " + d)
    if shared_u:
        print(
            "upstream gave %d timestamp(s) to more than one request: %s"
            % (len(shared_u), sorted(shared_u.items())[:5])
        )
    print(
        "%d requests (upstream %d), %d values compared, %d differing field(s), "
        "%d ambiguous upstream reference(s)"
        % (
            len(ours),
            len(upstream),
            compared,
            len(diffs),
            sum(len(v) for v in ambiguous.values()),
        )
    )
    if not diffs:
        return 3 if ambiguous else 0
    if set(diffs) == {"requests"} and len(upstream) < len(ours) and not ambiguous:
        return 2
    return 1


if __name__ == "__main__":
    sys.exit(main())
