#!/usr/bin/python3
# gst-v4l2-elastic: the life cycle of the H.264, VP8, VP9 and MPEG-2 elements on
# visl, in the guest (issue #16, "Lifecycle", for every codec; FWHT has
# its own in fwht-decode.c).
#
#   lifecycle-visl.py PLAYER_STREAMS CYCLES
#
# For each codec, with tests/media/player-streams.sh's files (H.264 in
# MP4, VP8 in WebM, VP9 in Matroska, MPEG-2 in MPEG-TS), in one process:
# - CYCLES pipelines NULL -> PLAYING -> NULL, every other one stopped
#   after a few frames with decoding in flight, the others to EOS with all
#   frames; afterwards the process has its fds and GStreamer's leaks
#   tracer finds no object created during the cycles still alive;
# - six flushing accurate seeks five frames apart, to frame boundaries:
#   the frames after each seek are the software decoder's (avdec_*) after
#   the same seeks, and the stream ends in EOS;
# - a downstream that holds every buffer until EOS: all frames arrive and
#   every buffer held stays valid; the pool grows to the kernel queue's
#   room and then hands out copies (pool-stats copies > 0) instead of
#   waiting forever for a buffer that never comes back;
# - capture-memory-limit far below one frame: every frame still decodes,
#   no error and no deadlock (the limit never goes below what the decode
#   needs to go on; the pool's peak and waits are printed).
#
# Emits TAP.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import gc
import os
import sys
import time

os.environ["GST_TRACERS"] = "leaks"
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from leakcheck import LiveObjects, leaks_tracer  # noqa: E402

import gi  # noqa: E402

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

Gst.init(None)

players = sys.argv[1]
cycles = int(sys.argv[2])
kernel = os.uname().release
TIMEOUT = 30 * Gst.SECOND
CODECS = {
    "h264": ("h264.mp4", "qtdemux ! h264parse", "v4l2elastich264dec",
             "avdec_h264"),
    "vp8": ("vp8.webm", "matroskademux", "v4l2elasticvp8dec", "avdec_vp8"),
    "vp9": ("vp9.mkv", "matroskademux ! vp9parse", "v4l2elasticvp9dec",
            "avdec_vp9"),
    "mpeg2": ("mpeg2.ts", "tsdemux ! mpegvideoparse", "v4l2elasticmpeg2dec",
              "avdec_mpeg2video"),
}

n = 0
failed = False


def tap(cond, what, detail=None):
    global n, failed
    n += 1
    failed |= not cond
    print("%s %d - %s %s" % ("ok" if cond else "not ok", n, kernel, what))
    if detail is not None and not cond:
        for line in str(detail).splitlines()[:20]:
            print("#   " + line)
    sys.stdout.flush()


def fds():
    return len(os.listdir("/proc/self/fd"))


class Run:
    """One pipeline: file -> demuxer/parser -> element -> appsink."""

    def __init__(self, codec, props="", element=None):
        name, front, ours, _ = CODECS[codec]
        element = element or ours
        self.pipeline = Gst.parse_launch(
            "filesrc location=%s ! %s ! %s name=dec %s ! appsink name=out "
            "sync=false max-buffers=2" % (os.path.join(players, name), front,
                                          element, props))
        self.sink = self.pipeline.get_by_name("out")
        self.bus = self.pipeline.get_bus()
        self.last = None

    def start(self, state=Gst.State.PLAYING):
        self.pipeline.set_state(state)
        return self.pipeline.get_state(TIMEOUT)[0]

    def pull(self, count=None, keep=None):
        """Pulls up to @count samples (all to EOS without); returns their
        timestamps; @keep gets the buffers themselves.  After a flushing
        seek appsink can hand out its preroll sample and then the same
        buffer again as the first rendered one: a frame with the timestamp
        of the one before it is that repeat and is left out."""
        out = []
        while count is None or len(out) < count:
            sample = self.sink.emit("try-pull-sample", TIMEOUT)
            if sample is None:
                break
            if sample.get_buffer().pts == self.last:
                continue
            self.last = sample.get_buffer().pts
            out.append(self.last)
            if keep is not None:
                keep.append(sample.get_buffer())
        return out

    def ended(self):
        """'eos', 'error: ...' or 'none' from the bus (the EOS message can
        come a little after the appsink's last sample)."""
        msg = self.bus.timed_pop_filtered(
            5 * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
        if msg is None:
            return "none"
        if msg.type == Gst.MessageType.EOS:
            return "eos"
        return "error: %s" % msg.parse_error()[0].message

    def stats(self):
        st = self.pipeline.get_by_name("dec").get_property("pool-stats")
        return {k: st.get_value(k) for k in ("creates", "removes", "waits",
                                             "peak-buffers", "copies")}

    def stop(self):
        self.pipeline.set_state(Gst.State.NULL)
        self.pipeline = self.sink = self.bus = None


tracer = leaks_tracer(Gst)
for codec in CODECS:
    element, software = CODECS[codec][2:]
    t0 = time.monotonic()

    # The reference run: every frame, and warm-up of the caches a first
    # pipeline fills (types, caps, the device probe).
    r = Run(codec)
    r.start()
    ref = r.pull()
    ref_end = r.ended()
    ref_stats = r.stats()
    r.stop()
    gc.collect()
    tap(ref_end == "eos" and len(ref) > 20,
        "%s: the file decodes to EOS (%d frames)" % (element, len(ref)),
        ref_end)
    step = ref[1] - ref[0]

    # NULL -> PLAYING -> NULL, half of them with decoding in flight.
    fds_before = fds()
    live = LiveObjects(tracer) if tracer is not None else None
    bad = []
    for i in range(cycles):
        r = Run(codec)
        r.start()
        got = r.pull(5 if i % 2 else None)
        end = r.ended() if i % 2 == 0 else "stopped"
        r.stop()
        if (i % 2 == 0 and (end != "eos" or got != ref)) or \
                (i % 2 and got != ref[:5]):
            bad.append("cycle %d: %s, %d frames" % (i, end, len(got)))
        gc.collect()
        if live is not None:
            live.checkpoint(i)
    alive = live.finish(gc) if live is not None else {"-": ["no tracer"]}
    tap(not bad, "%s: %d NULL->PLAYING->NULL cycles, every other one stopped "
        "after 5 frames, the others every frame to EOS" % (element, cycles),
        "\n".join(bad))
    tap(fds() == fds_before, "%s: %d fds before the cycles, %d after" % (
        element, fds_before, fds()))
    tap(not alive, "%s: the leaks tracer finds no object of the cycles "
        "alive" % element, "\n".join("cycle %s: %s" % (k, sorted(set(v)))
                                     for k, v in alive.items()))

    # Flushing accurate seeks five frames apart, to frame boundaries,
    # against the software decoder after the same seeks.
    targets = [len(ref) * k // 10 for k in (6, 2, 8, 1, 5, 3)]

    def seeks(decoder):
        r = Run(codec, element=decoder)
        r.start()
        frames, oks = [], []
        for t in targets:
            frames.append(r.pull(5))
            oks.append(r.pipeline.seek_simple(
                Gst.Format.TIME, Gst.SeekFlags.FLUSH |
                Gst.SeekFlags.ACCURATE, ref[t]))
            r.last = None
        frames.append(r.pull())
        end = r.ended()
        r.stop()
        return end, oks, frames

    want = seeks(software)
    got = seeks(element)
    tap(got[0] == "eos" and all(got[1]) and got == want,
        "%s: %d flushing seeks five frames apart give %s's frames after "
        "each, then EOS" % (element, len(targets), software),
        "ours %s %s\n%s %s %s" % (got[0], got[2], software, want[0],
                                   want[2]))

    # A downstream that holds every buffer until EOS.
    held = []
    r = Run(codec)
    r.start()
    got = r.pull(keep=held)
    end = r.ended()
    stats = r.stats()
    valid = all(b.get_size() > 0 and b.pts == p for b, p in zip(held, got))
    r.stop()
    del held[:]
    tap(end == "eos" and got == ref and valid and stats["copies"] > 0,
        "%s: a downstream holding every buffer gets all %d frames, each "
        "valid (pool peak %d buffers, %d copied out; %d without holding)" % (
            element, len(got), stats["peak-buffers"], stats["copies"],
            ref_stats["peak-buffers"]),
        "%s, %d frames, %s" % (end, len(got), stats))

    # capture-memory-limit far below one frame.
    r = Run(codec, "capture-memory-limit=4096")
    r.start()
    got = r.pull()
    end = r.ended()
    stats = r.stats()
    r.stop()
    tap(end == "eos" and got == ref,
        "%s: capture-memory-limit=4096 decodes all %d frames (pool peak %d "
        "buffers, %d waits; %d buffers without a limit)" % (
            element, len(got), stats["peak-buffers"], stats["waits"],
            ref_stats["peak-buffers"]),
        "%s, %d frames, %s" % (end, len(got), stats))
    print("# %s: %.1f s" % (element, time.monotonic() - t0))
    sys.stdout.flush()

print("1..%d" % n)
sys.exit(1 if failed else 0)
