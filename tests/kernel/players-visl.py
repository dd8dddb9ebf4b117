#!/usr/bin/python3
# gst-v4l2-elastic: the players pick our elements (issue #11), in the guest
# on visl where upstream's v4l2sl*dec (rank PRIMARY + 1) are also present.
#
#   players-visl.py STREAMS_DIR [WORK_DIR]
#
# STREAMS_DIR holds tests/media/player-streams.sh's files (H.264 in MP4,
# VP9 in Matroska, VP8 in WebM, a raw H.264 byte stream, MPEG-2 in MPEG-TS)
# and their frame
# count.  For playbin and playbin3 on each file: the video decoder in the
# pipeline (deep-element-added, and the bin iterated recursively after
# EOS) is ours and only ours, and every frame of the file arrives at the
# video sink; on the container files a flushing accurate seek to the
# middle, a second one while paused and a third after EOS deliver exactly
# the frames from the seek position on.  gst-play-1.0 (playbin and
# --use-playbin3) on each file: every frame written by a multifilesink,
# our element in the pipeline graph it dumps.  uridecodebin3 with a caps
# restriction, and `filesrc ! parsebin ! <our element>` (H.264 as avc).
# Emits TAP.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import glob
import os
import re
import shutil
import subprocess
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

Gst.init(None)

streams = sys.argv[1]
work = sys.argv[2] if len(sys.argv) > 2 else "/tmp/players-visl"
frames = int(open(os.path.join(streams, "frames")).read())
kernel = os.uname().release
TIMEOUT = 180 * Gst.SECOND

FILES = [
    ("h264.mp4", "h264", "H264", True),
    ("h264.h264", "h264", "H264", False),
    ("h265.mkv", "h265", "H265", True),
    ("vp9.mkv", "vp9", "Vp9", True),
    ("vp8.webm", "vp8", "Vp8", True),
    # tsdemux answers a seek in this 2 s clip from its first key frame
    # (seen with avdec_mpeg2video as with ours): the frames after the seeks
    # are compared, but they are not a part of the file ("from-start").
    ("mpeg2.ts", "mpeg2", "Mpeg2", "from-start"),
]

n = 0
failed = False


def result(good, what, detail=None):
    global n, failed
    n += 1
    if not good:
        failed = True
    print(f"{'ok' if good else 'not ok'} {n} - {kernel} visl players: {what}")
    if not good and detail:
        for line in str(detail).splitlines()[:20]:
            print(f"# {line}")
    sys.stdout.flush()


def uri(name):
    return Gst.filename_to_uri(os.path.join(streams, name))


def elements_recursive(bin_):
    it = bin_.iterate_recurse()
    out = []
    while True:
        res, el = it.next()
        if res == Gst.IteratorResult.OK:
            out.append(el)
        elif res == Gst.IteratorResult.RESYNC:
            it.resync()
            out = []
        else:
            return out


def is_video_decoder(el):
    f = el.get_factory()
    if not f:
        return False
    klass = f.get_metadata("klass") or ""
    return "Decoder" in klass and "Video" in klass


def factory_name(el):
    f = el.get_factory()
    return f.get_name() if f else type(el).__name__


class Run:
    """A pipeline with a counting fakesink (or one given), the factories
    of every element added anywhere inside it, and a bus to wait on."""

    def __init__(self, pipeline, sink=None):
        self.pipeline = pipeline
        self.added = []
        self.buffers = []
        pipeline.connect("deep-element-added", self.on_added)
        if sink is None:
            sink = Gst.ElementFactory.make("fakesink", None)
        sink.set_property("sync", False)
        sink.set_property("signal-handoffs", True)
        sink.connect("handoff", self.on_handoff)
        self.sink = sink
        self.bus = pipeline.get_bus()

    def on_added(self, bin_, sub, el):
        self.added.append(factory_name(el))

    def on_handoff(self, sink, buf, pad):
        self.buffers.append((buf.pts, buf.duration))

    def wait(self, types):
        msg = self.bus.timed_pop_filtered(
            TIMEOUT, types | Gst.MessageType.ERROR)
        if msg is None:
            return "timed out"
        if msg.type == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            return f"error from {msg.src.get_name()}: {err.message} ({dbg})"
        return None

    def play(self):
        if self.pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
            return "could not go to PLAYING"
        return self.wait(Gst.MessageType.EOS)

    def preroll(self):
        if self.pipeline.set_state(Gst.State.PAUSED) == Gst.StateChangeReturn.FAILURE:
            return "could not go to PAUSED"
        return self.wait(Gst.MessageType.ASYNC_DONE)

    def seek(self, seconds):
        ok = self.pipeline.seek(1.0, Gst.Format.TIME,
                                Gst.SeekFlags.FLUSH | Gst.SeekFlags.ACCURATE,
                                Gst.SeekType.SET, int(seconds * Gst.SECOND),
                                Gst.SeekType.NONE, -1)
        if not ok:
            return "seek refused"
        return self.wait(Gst.MessageType.ASYNC_DONE)

    def decoders(self):
        return sorted({factory_name(e)
                       for e in elements_recursive(self.pipeline)
                       if is_video_decoder(e)})

    def stop(self):
        self.pipeline.set_state(Gst.State.NULL)


def added_decoders(run):
    out = set()
    for name in run.added:
        f = Gst.ElementFactory.find(name)
        if f and "Decoder" in (f.get_metadata("klass") or "") and \
                "Video" in (f.get_metadata("klass") or ""):
            out.add(name)
    return sorted(out)


def make_player(player):
    pipe = Gst.ElementFactory.make(player, None)
    if pipe is None:
        return None, None
    run = Run(pipe)
    pipe.set_property("video-sink", run.sink)
    Gst.util_set_object_arg(pipe, "flags", "video")
    return pipe, run


def hardware_ranks(rank=None):
    """The ranks of every V4L2 video decoder (ours, upstream's), set to
    @rank if given: rank none makes the players pick software."""
    saved = {}
    for f in Gst.ElementFactory.list_get_elements(
            Gst.ELEMENT_FACTORY_TYPE_DECODER |
            Gst.ELEMENT_FACTORY_TYPE_MEDIA_VIDEO, Gst.Rank.NONE):
        if f.get_name().startswith("v4l2"):
            saved[f.get_name()] = f.get_rank()
            if rank is not None:
                f.set_rank(rank)
    return saved


def seek_sequence(player, name, software):
    saved = hardware_ranks(Gst.Rank.NONE if software else None)
    pipe, run = make_player(player)
    pipe.set_property("uri", uri(name))
    out = {"middle": [], "again": [], "decoders": []}
    err = run.preroll() or run.seek(1.01) or run.seek(0.51)
    run.buffers.clear()
    err = err or run.play()
    out["middle"] = [p for p, _ in run.buffers]
    run.buffers.clear()
    err = err or run.seek(0.0) or run.wait(Gst.MessageType.EOS)
    out["again"] = [p for p, _ in run.buffers]
    out["decoders"] = run.decoders()
    out["err"] = err
    run.stop()
    for f, rank in saved.items():
        Gst.ElementFactory.find(f).set_rank(rank)
    return out


def ts(t):
    return "none" if t == Gst.CLOCK_TIME_NONE else f"{t / Gst.SECOND:.4f}"


print("TAP version 13")
print(f"# {frames} frames per file; ranks: " + ", ".join(
    f"{name} {Gst.ElementFactory.find(name).get_rank()}"
    for name in ["v4l2elastich264dec", "v4l2elastich265dec", "v4l2elasticvp8dec",
                 "v4l2elasticvp9dec", "v4l2elasticmpeg2dec", "v4l2slh264dec",
                 "v4l2slh265dec", "v4l2slvp8dec", "v4l2slvp9dec", "v4l2slmpeg2dec",
                 "avdec_h264", "avdec_h265", "vp9dec", "avdec_mpeg2video",
                 "mpeg2dec"]
    if Gst.ElementFactory.find(name)))

for player in ["playbin", "playbin3"]:
    for name, codec, stem, seekable in FILES:
        ours = f"v4l2elastic{codec}dec"
        what = f"{player} {name}"
        pipe, run = make_player(player)
        pipe.set_property("uri", uri(name))
        err = run.play()
        reference = list(run.buffers)
        added = added_decoders(run)
        present = run.decoders()
        result(err is None and added == [ours] and present == [ours],
               f"{what}: the video decoder is {ours} (added {added}, "
               f"in the bin after EOS {present})", err)
        result(err is None and len(reference) == frames,
               f"{what}: {len(reference)} frames arrive of {frames}", err)
        pts = [p for p, _ in reference]
        result(pts == sorted(pts) and len(set(pts)) == len(pts),
               f"{what}: timestamps increase", pts)
        if not seekable:
            run.stop()
            continue

        # Seek to the middle while paused, again elsewhere while still
        # paused (frames of the first seek in the decoder), play to EOS,
        # then back to the start: the same frames as with the software
        # decoder (clipping and demuxer edit lists make them differ from
        # the full playback's).
        run.stop()
        ref = seek_sequence(player, name, software=True)
        got = seek_sequence(player, name, software=False)
        result(ref["err"] is None and got["err"] is None and
               got["decoders"] == [ours] and ours not in ref["decoders"] and
               got["middle"] == ref["middle"] and
               0 < len(got["middle"]) and
               (len(got["middle"]) < frames or seekable == "from-start"),
               f"{what}: seek to 1.01 s then 0.51 s while paused, play: "
               f"{len(got['middle'])} frames from "
               f"{ts(got['middle'][0]) if got['middle'] else '-'} s, as "
               f"{'/'.join(ref['decoders'])} ({len(ref['middle'])})",
               got["err"] or ref["err"] or
               f"got {[ts(p) for p in got['middle']]}\n"
               f"ref {[ts(p) for p in ref['middle']]}")
        result(ref["err"] is None and got["err"] is None and
               got["again"] == ref["again"] and len(got["again"]) == frames,
               f"{what}: seek to 0 after EOS: {len(got['again'])} frames, as "
               f"{'/'.join(ref['decoders'])} ({len(ref['again'])})",
               got["err"] or ref["err"] or
               f"got {[ts(p) for p in got['again']]}")

# gst-play-1.0: every frame to a multifilesink; the pipeline graph it dumps
# names our element and no other video decoder.
others = re.compile(r'\\n(avdec_[a-z0-9]+|v4l2sl[a-z0-9]+dec|vp[89]dec|mpeg2dec|'
                    r'v4l2elastic(?:fwht|h264|h265|vp8|vp9|mpeg2)dec)[0-9-]*(?:\\n|")')
play = shutil.which("gst-play-1.0")
for extra in [[], ["--use-playbin3"]]:
    for name, codec, stem, seekable in FILES:
        ours = f"v4l2elastic{codec}dec"
        what = f"gst-play-1.0 {' '.join(extra + [name])}"
        if not play:
            n += 1
            print(f"ok {n} - {kernel} visl players: {what} # SKIP no gst-play-1.0 "
                  "(gstreamer1.0-plugins-base-apps)")
            continue
        out = os.path.join(work, "play", codec + "-" + name.replace(".", "-")
                           + ("-3" if extra else ""))
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(os.path.join(out, "frames"))
        os.makedirs(os.path.join(out, "dot"))
        env = dict(os.environ, GST_DEBUG_DUMP_DOT_DIR=os.path.join(out, "dot"))
        try:
            p = subprocess.run(
                [play, "--no-interactive", "-q", "--audiosink=fakesink",
                 "--videosink=multifilesink location=" +
                 os.path.join(out, "frames", "f%05d")] + extra +
                [os.path.join(streams, name)],
                env=env, stdin=subprocess.DEVNULL, capture_output=True,
                text=True, timeout=300)
            log = p.stdout + p.stderr
        except subprocess.TimeoutExpired as e:
            log = f"timed out: {e}"
        got = len(os.listdir(os.path.join(out, "frames")))
        decs = set()
        for dot in glob.glob(os.path.join(out, "dot", "*.dot")):
            for m in others.finditer(open(dot).read()):
                decs.add(m.group(1))
        decs = sorted(decs)
        result(got == frames and decs == [ours] and "ERROR" not in log,
               f"{what}: {got} frames of {frames} written, video decoders in "
               f"the dumped pipeline {decs}", log)

# uridecodebin3 told to stop at raw video.
for name, codec, stem, seekable in FILES:
    ours = f"v4l2elastic{codec}dec"
    pipe = Gst.parse_launch(
        f'uridecodebin3 name=d uri="{uri(name)}" caps=video/x-raw '
        "d. ! fakesink name=sink")
    run = Run(pipe, pipe.get_by_name("sink"))
    err = run.play()
    result(err is None and len(run.buffers) == frames and
           run.decoders() == [ours],
           f"uridecodebin3 caps=video/x-raw {name}: {len(run.buffers)} "
           f"frames of {frames}, decoders {run.decoders()}", err)
    run.stop()

# parsebin in front of our element: H.264 comes as avc with codec_data.
for name, codec, stem, seekable in FILES:
    if not seekable:
        continue
    ours = f"v4l2elastic{codec}dec"
    pipe = Gst.parse_launch(
        f'filesrc location="{os.path.join(streams, name)}" ! parsebin '
        f"! {ours} name=dec ! fakesink name=sink")
    run = Run(pipe, pipe.get_by_name("sink"))
    err = run.play()
    caps = pipe.get_by_name("dec").get_static_pad("sink").get_current_caps()
    caps = caps.to_string() if caps else "none"
    fmt_ok = codec != "h264" or "stream-format=(string)avc" in caps
    result(err is None and len(run.buffers) == frames and fmt_ok,
           f"filesrc ! parsebin ! {ours} on {name}: {len(run.buffers)} frames "
           f"of {frames}, input {caps.split(',')[0]}"
           + (", stream-format=avc" if codec == "h264" and fmt_ok else ""),
           err or caps)
    run.stop()

print(f"1..{n}")
sys.exit(1 if failed else 0)
