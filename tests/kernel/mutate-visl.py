#!/usr/bin/python3
# gst-v4l2-elastic: mutated streams through the whole element on visl, in
# the guest (issue #16, "Guest: the whole element").
#
#   mutate-visl.py PLAYER_STREAMS ALPHA_STREAMS COUNT SEED [CODEC,...]
#
# CODEC: h264, h265, vp8, vp9, mpeg2 (the default), vp8alpha, vp9alpha.
#
# For H.264, VP8, VP9 and MPEG-2, the packets the element gets (after the demuxer
# and parser of tests/media/player-streams.sh's files), and for the VP8/VP9
# alpha bins the WebM file in 4 KiB chunks, are mutated COUNT
# times, seeded and reproducible (SEED, case number): bit flips, packets
# truncated, dropped, duplicated or replaced by random bytes, the stream
# cut short, and the stream spliced at a random packet (not a key frame)
# into one of another size (h264-176.h264, mpeg2-176.ts, the colour
# packets of alpha-streams' *-alpha-176.webm).  Each mutant goes through
# appsrc ! v4l2elastic<codec>dec ! fakesink with the parsed stream's caps.
#
# Per codec, one child process decodes every mutant in turn and reports
# each as JSON; the checks:
# - the unmutated stream gives all its frames (the runs are meaningful);
# - every mutant ends in EOS or a GStreamer error message within its
#   time (no hang) and the child does not crash;
# - after each pipeline is gone the child has the fds it had before the
#   first (no leaked device, request or DMABUF fd) and no more mappings of
#   a V4L2 buffer or DMABUF (a mapped buffer outlives its fd in the
#   kernel);
# - GStreamer's leaks tracer: no GstObject or GstMiniObject created while a
#   mutant ran is still alive after it (activity checkpoints);
# - the kernel log gains no WARNING, BUG, Oops or refcount report.
#
# A failing case is reproduced with its codec, seed and number: the child
# mode (--child CODEC ... --only N) runs that one mutant.
#
# Emits TAP.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import gc
import json
import os
import random
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from leakcheck import LiveObjects, leaks_tracer  # noqa: E402

CODECS = {
    # codec: (file, other-size file, launch up to the packets, element)
    "h264": ("h264.h264", "h264-176.h264",
             "filesrc location=%s ! h264parse ! video/x-h264,"
             "stream-format=byte-stream,alignment=au", "v4l2elastich264dec"),
    "h265": ("h265.h265", "h265-176.h265",
             "filesrc location=%s ! h265parse ! video/x-h265,"
             "stream-format=byte-stream,alignment=au", "v4l2elastich265dec"),
    "vp8": ("vp8.webm", "vp8-alpha-176.webm",
            "filesrc location=%s ! matroskademux", "v4l2elasticvp8dec"),
    "vp9": ("vp9.mkv", "vp9-alpha-176.webm",
            "filesrc location=%s ! matroskademux ! vp9parse",
            "v4l2elasticvp9dec"),
    "mpeg2": ("mpeg2.ts", "mpeg2-176.ts",
              "filesrc location=%s ! tsdemux ! mpegvideoparse",
              "v4l2elasticmpeg2dec"),
    # The alpha bins: the colour and alpha frames travel together (alpha in
    # Matroska's BlockAdditional, a meta on the colour buffer), so the
    # mutants are made of the WebM file itself, cut into CHUNK-byte
    # "packets", and matroskademux finds its way through the damage.
    "vp8alpha": ("vp8-alpha.webm", "vp8-alpha-176.webm", None,
                 "v4l2elasticvp8alphadecodebin"),
    "vp9alpha": ("vp9-alpha.webm", "vp9-alpha-176.webm", None,
                 "v4l2elasticvp9alphadecodebin"),
}
CHUNK = 4096
# The suite runs these; the alpha bins only when named (see the usage):
# damaged WebM files make GStreamer 1.22's own software alpha bins hang,
# leak caps and fds in matroskademux/codecalphademux/alphacombine too
# (docs/robustness.md), so those runs cannot pass on 1.22 whatever our
# decoders do.
DEFAULT_CODECS = ("h264", "h265", "vp8", "vp9", "mpeg2")
# MUTATE_SOFTWARE_ALPHA=1 swaps our alpha bins for GStreamer's software
# ones (libvpx), to tell GStreamer's share of a failure from ours.
if os.environ.get("MUTATE_SOFTWARE_ALPHA") == "1":
    for _c in ("vp8alpha", "vp9alpha"):
        CODECS[_c] = CODECS[_c][:3] + (
            CODECS[_c][3].replace("v4l2elastic", ""),)
CASE_TIMEOUT_S = 20
DEVICE_MAP = re.compile(r"/dev/video|/dev/media|dmabuf")
KLOG_BAD = re.compile(r"WARNING:|BUG:|Oops|refcount_t:|KASAN|"
                      r"general protection|Call Trace:")


def mutate(rng, packets, other):
    """One mutant of @packets (a list of bytes); returns (packets, what)."""
    out = [bytearray(p) for p in packets]
    done = []
    for _ in range(rng.randint(1, 3)):
        kind = rng.choice(("flip", "flip", "truncate", "drop", "duplicate",
                           "garbage", "cut", "splice"))
        if not out:
            break
        i = rng.randrange(len(out))
        if kind == "flip":
            flips = rng.randint(1, 8)
            for _ in range(flips):
                if out[i]:
                    bit = rng.randrange(len(out[i]) * 8)
                    out[i][bit // 8] ^= 1 << (bit % 8)
            done.append("flip %d bits in %d" % (flips, i))
        elif kind == "truncate":
            keep = rng.randrange(len(out[i]) + 1)
            out[i] = out[i][:keep]
            done.append("truncate %d to %d bytes" % (i, keep))
        elif kind == "drop":
            del out[i]
            done.append("drop %d" % i)
        elif kind == "duplicate":
            out.insert(i, bytearray(out[i]))
            done.append("duplicate %d" % i)
        elif kind == "garbage":
            size = rng.randint(1, max(1, len(out[i])))
            out[i] = bytearray(rng.getrandbits(8) for _ in range(size))
            done.append("garbage %d bytes at %d" % (size, i))
        elif kind == "cut":
            keep = rng.randrange(len(out[i]) + 1)
            out = out[:i] + [out[i][:keep]]
            done.append("stream cut in %d at %d bytes" % (i, keep))
        else:
            j = rng.randrange(len(other))
            out = out[:i] + [bytearray(p) for p in other[j:]]
            done.append("splice at %d into the other size at %d" % (i, j))
    return [bytes(p) for p in out], ", ".join(done)


def device_maps():
    """Mappings of V4L2 buffers or DMABUFs in this process.

    A CAPTURE or OUTPUT buffer mapped with mmap() stays allocated in the
    kernel after its queue and even its fd are gone, so a leaked mapping is
    a leaked kernel buffer that the fd count cannot see."""
    with open("/proc/self/maps") as f:
        return sum(1 for ln in f if DEVICE_MAP.search(ln))


def child(codec, players, alphas, count, seed, only):
    os.environ["GST_TRACERS"] = "leaks"
    os.environ.setdefault("GST_DEBUG", "GST_TRACER:0")
    import gi
    gi.require_version("Gst", "1.0")
    from gi.repository import Gst

    Gst.init(None)
    name, other_name, launch, element = CODECS[codec]

    def packets_of(launch, path):
        p = Gst.parse_launch(launch % path +
                             " ! appsink name=out sync=false")
        sink = p.get_by_name("out")
        p.set_state(Gst.State.PLAYING)
        caps, data = None, []
        while True:
            sample = sink.emit("try-pull-sample", 10 * Gst.SECOND)
            if sample is None:
                break
            buf = sample.get_buffer()
            caps = sample.get_caps()
            ok, info = buf.map(Gst.MapFlags.READ)
            data.append(bytes(info.data))
            buf.unmap(info)
        p.set_state(Gst.State.NULL)
        s = caps.get_structure(0).copy()
        for field in ("codec-alpha", "codec_data"):
            s.remove_field(field)
        caps = Gst.Caps.new_empty()
        caps.append_structure(s)
        return caps, data

    def chunks_of(path):
        with open(path, "rb") as f:
            data = f.read()
        return [data[i:i + CHUNK] for i in range(0, len(data), CHUNK)]

    if launch is None:
        # Alpha: the file in chunks; the frames to expect are the
        # demuxer's video blocks.
        caps = Gst.Caps.from_string("video/webm")
        packets = chunks_of(os.path.join(alphas, name))
        other = chunks_of(os.path.join(alphas, other_name))
        expected = len(packets_of("filesrc location=%s ! matroskademux",
                                  os.path.join(alphas, name))[1])
        container = "matroskademux ! "
    else:
        caps, packets = packets_of(launch, os.path.join(players, name))
        expected = len(packets)
        container = ""
    # The WebM files with alpha are read without vp9parse: 1.22's vp9parse
    # stalls on codec-alpha caps.  Their blocks are whole frames already.
    if launch is None:
        pass
    elif codec in ("h264", "h265", "mpeg2"):
        _, other = packets_of(launch, os.path.join(players, other_name))
    else:
        _, other = packets_of("filesrc location=%s ! matroskademux",
                              os.path.join(alphas, other_name))
    step = Gst.SECOND // 30

    tracer = leaks_tracer(Gst)

    def run(bufs):
        p = Gst.parse_launch(
            "appsrc name=src format=%s ! %s%s name=dec ! "
            "fakesink name=out sync=false"
            % ("bytes" if container else "time", container, element))
        src = p.get_by_name("src")
        src.set_property("caps", caps)
        frames = [0]

        def on_handoff(sink, buf, pad):
            frames[0] += 1
        out = p.get_by_name("out")
        out.set_property("signal-handoffs", True)
        out.connect("handoff", on_handoff)
        for k, data in enumerate(bufs):
            b = Gst.Buffer.new_wrapped(data)
            if not container:
                b.pts = k * step
                b.duration = step
            src.emit("push-buffer", b)
        src.emit("end-of-stream")
        p.set_state(Gst.State.PLAYING)
        msg = p.get_bus().timed_pop_filtered(
            CASE_TIMEOUT_S * Gst.SECOND,
            Gst.MessageType.EOS | Gst.MessageType.ERROR)
        if msg is None:
            result = "timeout"
        elif msg.type == Gst.MessageType.EOS:
            result = "eos"
        else:
            err, _ = msg.parse_error()
            result = "error: %s" % err.message
        msg = None
        p.set_state(Gst.State.NULL)
        return result, frames[0]

    def report(**kw):
        print(json.dumps(kw), flush=True)

    # The unmutated stream: the sanity check, and the warm-up of every
    # cache a first pipeline fills (types, caps, the device probe).
    result, frames = run(packets)
    gc.collect()
    fds = len(os.listdir("/proc/self/fd"))
    report(case=-1, what="unmutated", result=result, frames=frames,
           packets=expected, fds=fds, maps=device_maps())
    live = LiveObjects(tracer) if tracer is not None else None
    cases = range(count) if only is None else [only]
    for k in cases:
        rng = random.Random("%s-%d-%d" % (codec, seed, k))
        bufs, what = mutate(rng, packets, other)
        report(case=k, what=what, started=True)
        t0 = time.monotonic()
        result, frames = run(bufs)
        gc.collect()
        if live is not None:
            live.checkpoint(k)
        report(case=k, what=what, result=result, frames=frames,
               fds=len(os.listdir("/proc/self/fd")), maps=device_maps(),
               seconds=round(time.monotonic() - t0, 2))
    report(leaks_tracer=live is not None,
           alive=live.finish(gc) if live is not None else {})


def main():
    if sys.argv[1] == "--child":
        only = None
        if len(sys.argv) > 8 and sys.argv[7] == "--only":
            only = int(sys.argv[8])
        child(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]),
              int(sys.argv[6]), only)
        return 0
    players, alphas, count, seed = sys.argv[1:5]
    codecs = sys.argv[5].split(",") if len(sys.argv) > 5 else DEFAULT_CODECS
    n = 0
    failed = False

    def tap(cond, what, detail=None):
        nonlocal n, failed
        n += 1
        failed |= not cond
        print("%s %d - %s" % ("ok" if cond else "not ok", n, what))
        if detail and not cond:
            for line in str(detail).splitlines()[:20]:
                print("#   " + line)
        sys.stdout.flush()

    kernel = os.uname().release
    for codec in codecs:
        marker = "gst-v4l2-elastic mutate-visl %s %d" % (codec, time.time())
        with open("/dev/kmsg", "w") as kmsg:
            kmsg.write(marker + "\n")
        t0 = time.monotonic()
        cmd = [sys.executable, os.path.abspath(__file__), "--child", codec,
               players, alphas, count, seed]
        budget = CASE_TIMEOUT_S * (int(count) + 4)
        try:
            proc = subprocess.run(cmd, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True,
                                  timeout=budget)
            rc, out, err = proc.returncode, proc.stdout, proc.stderr
        except subprocess.TimeoutExpired as e:
            rc, out, err = "killed after %d s" % budget, e.stdout or "", ""
            if isinstance(out, bytes):
                out = out.decode()
        rows = [json.loads(line) for line in out.splitlines()
                if line.startswith("{")]
        done = [r for r in rows if "result" in r and r["case"] >= 0]
        started = [r for r in rows if r.get("started")]
        base = next((r for r in rows if r.get("case") == -1), None)
        what = "%s %s" % (kernel, CODECS[codec][3])
        tap(base is not None and base["result"] == "eos" and
            base["frames"] == base["packets"],
            "%s: the unmutated stream gives all its frames" % what, base)
        last = started[-1] if started else None
        tap(rc == 0 and len(done) == int(count),
            "%s: %s mutants (seed %s) ran, the process did not crash" % (
                what, count, seed),
            "exit %s after %d of %s; last case started: %s\n%s" % (
                rc, len(done), count, last, err[-1500:]))
        bad = [r for r in done if not (r["result"] == "eos" or
                                       r["result"].startswith("error: "))]
        errors = sum(1 for r in done if r["result"] != "eos")
        tap(done and not bad,
            "%s: every mutant ends in EOS or an error message within %d s "
            "(%d errors, %d EOS)" % (what, CASE_TIMEOUT_S, errors,
                                     len(done) - errors),
            "\n".join("case %d (%s): %s" % (r["case"], r["what"], r["result"])
                      for r in bad))
        fd_bad = [r for r in done if base and r["fds"] != base["fds"]]
        tap(done and base and not fd_bad,
            "%s: the fds after every mutant are those after the first run"
            % what,
            "\n".join("case %d (%s): %d fds, %d before" % (
                r["case"], r["what"], r["fds"], base["fds"])
                for r in fd_bad))
        map_bad = [r for r in done if base and r["maps"] != base["maps"]]
        tap(done and base and not map_bad,
            "%s: no V4L2 buffer or DMABUF stays mapped after a mutant "
            "(%s mappings after the first run)"
            % (what, base["maps"] if base else "?"),
            "\n".join("case %d (%s): %d mappings" % (
                r["case"], r["what"], r["maps"]) for r in map_bad))
        final = next((r for r in rows if "leaks_tracer" in r), {})
        alive = final.get("alive", {})
        whats = dict((str(r["case"]), r["what"]) for r in done)
        tap(final.get("leaks_tracer") and done and not alive,
            "%s: the leaks tracer finds nothing a mutant left alive" % what,
            "tracer loaded: %s\n" % final.get("leaks_tracer") + "\n".join(
                "case %s (%s): %s" % (k, whats.get(k, ""), sorted(set(v)))
                for k, v in alive.items()))
        klog = subprocess.run(["dmesg"], stdout=subprocess.PIPE,
                              text=True).stdout
        marked = marker in klog
        klog = klog[klog.find(marker):] if marked else klog
        badk = [ln for ln in klog.splitlines() if KLOG_BAD.search(ln)]
        tap(marked and not badk,
            "%s: the kernel log gains no WARNING, BUG, Oops or refcount "
            "report" % what, "\n".join(badk))
        print("# %s: %d mutants in %.1f s, frames per mutant %s" % (
            what, len(done), time.monotonic() - t0,
            sorted(r["frames"] for r in done)[::max(1, len(done) // 8)]))
    print("1..%d" % n)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
