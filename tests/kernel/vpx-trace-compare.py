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
        if name == "vb2_buf_done":
            # The OUTPUT buffer (type 2, or 10 multi-planar) carries the
            # request's timestamp; visl completes it first.
            m = re.search(r"type = (\d+),.*timestamp = (\d+)", " ".join(lines))
            if m and m.group(1) in ("2", "10") and r["ts"] is None:
                r["ts"] = int(m.group(2))
            continue
        if name.startswith("vb2") or name.startswith("v4l2_qbuf") or name.startswith("v4l2_dqbuf"):
            continue
        short = re.sub(r"^v4l2_(ctrl_)?(vp[89]_)?", "", name)
        r["controls"][short] = fields(lines)
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
    shared_u, _ = normalise(upstream)
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
    # Where our stream changes size at a key frame and upstream made fewer
    # requests, upstream's requests from that key frame on are its failed
    # renegotiation: compared, but their differences are reported apart.
    change = next(
        (i for i in range(1, len(ours)) if size(ours[i]) != size(ours[i - 1])), None
    )
    stopped = change is not None and len(upstream) < len(ours) and len(upstream) > change
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
                if stopped and i >= change:
                    after_change["%s.%s" % (ctrl, k)].append(line)
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
    if after_change:
        print(
            "upstream stopped %d request(s) after the size change at request %d "
            "(ours %s, upstream %s); its requests from there differ:"
            % (len(upstream) - change, change, size(ours[change]), size(upstream[change]))
        )
        for key in sorted(after_change):
            print("  %s: %s" % (key, after_change[key][0]))
    if shared_u:
        print(
            "upstream gave %d timestamp(s) to more than one request: %s"
            % (len(shared_u), sorted(shared_u.items())[:5])
        )
    print(
        "%d requests (upstream %d), %d values compared, %d differing field(s), "
        "%d ambiguous upstream reference(s), %d key/intra-only frame "
        "reference(s) not compared"
        % (
            len(ours),
            len(upstream),
            compared,
            len(diffs),
            sum(len(v) for v in ambiguous.values()),
            skipped,
        )
    )
    if not diffs:
        return 3 if ambiguous else 0
    if set(diffs) == {"requests"} and len(upstream) < len(ours) and not ambiguous:
        # Stopped early: at a size change with the old size still in its
        # controls (docs/vpx.md), or with every request identical.
        return 2
    return 1


if __name__ == "__main__":
    sys.exit(main())
