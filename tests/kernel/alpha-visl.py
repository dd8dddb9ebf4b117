#!/usr/bin/python3
# gst-v4l2-elastic: v4l2elasticvp8alphadecodebin and
# v4l2elasticvp9alphadecodebin on visl (issue #19), in the guest.
#
#   alpha-visl.py STREAMS_DIR REMOVE_BUFS(yes|no) [WORK_DIR]
#
# STREAMS_DIR holds tests/media/alpha-streams.sh's WebM files (libvpx
# from yuva420p: the alpha plane in BlockAdditional).  For VP8 and VP9:
#
# - the file through matroskademux and our bin gives the frames of
#   GStreamer's software alpha bin (vp8alphadecodebin/vp9alphadecodebin on
#   libvpx): count, timestamps in order, size; ours writes A420 or AV12
#   with the alpha plane in the buffer's GstVideoMeta;
# - playbin and playbin3 pick our bin for the file, and all its frames
#   arrive at the sink;
# - a flushing accurate seek to a key frame in the middle gives the
#   software bin's frames from there;
# - a size change (the 320x240 file followed by the 176x144 one, fed
#   through appsrc) gives the software bin's frames and sizes; with
#   REMOVE_BUFS both decoders of the bin cross it without a reallocation
#   and remove buffers (each pool elastic on its own), without it each
#   falls back to one counted reallocation;
# - blocks without alpha (the meta taken off three frames) give the
#   software bin's frames; a stream whose first block has no alpha, and
#   one whose alpha stream has another size than its colour stream, end in
#   a clear error, within the timeout (the two branches never wait on each
#   other forever);
# - visl's trace: the requests of our bin's two decoders carry the same
#   frame controls as those of upstream's v4l2sl<codec>alphadecodebin,
#   compared as a multiset (the two contexts interleave differently from
#   run to run; reference timestamps are left out, they are compared for
#   the plain elements by vpx-trace-compare).
#
# Emits TAP.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import importlib.util
import os
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstVideo", "1.0")
from gi.repository import Gst, GstVideo  # noqa: E402

Gst.init(None)

streams = sys.argv[1]
remove_bufs = sys.argv[2] == "yes"
work = sys.argv[3] if len(sys.argv) > 3 else "/tmp/alpha-visl"
os.makedirs(work, exist_ok=True)
kernel = os.uname().release
TIMEOUT = 60 * Gst.SECOND
TRACING = "/sys/kernel/tracing"
CODECS = ("vp8", "vp9")
PARSER = {"vp8": "identity", "vp9": "vp9parse"}

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location(
    "vpx_trace_compare", os.path.join(here, "vpx-trace-compare.py"))
vtc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(vtc)

n = 0
failed = False


def check(cond, what, detail=None):
    global n, failed
    n += 1
    print("%s %d - %s visl %s" % ("ok" if cond else "not ok", n, kernel, what))
    if not cond:
        failed = True
        if detail:
            for line in str(detail).splitlines()[:12]:
                print("# " + line)
    sys.stdout.flush()
    return cond


def ours(codec):
    return "v4l2elastic%salphadecodebin" % codec


def software(codec):
    return "%salphadecodebin" % codec


def collect(path):
    """The frames of a WebM file as (colour, alpha) buffers, split by
    codecalphademux (alpha None where a block has none), and the caps."""
    p = Gst.parse_launch(
        "filesrc location=%s ! matroskademux ! codecalphademux name=d "
        "d.src ! appsink name=c sync=false async=false "
        "d.alpha ! appsink name=a sync=false async=false" % path)
    colour, alpha = p.get_by_name("c"), p.get_by_name("a")
    p.set_state(Gst.State.PLAYING)
    # An appsink holds its EOS until its samples are pulled: pull the
    # colour frames to the end, then the alpha ones.
    frames, caps = [], None
    while True:
        sample = colour.emit("try-pull-sample", TIMEOUT)
        if sample is None:
            break
        caps = sample.get_caps().copy()
        frames.append([sample.get_buffer(), None])
    i = 0
    while True:
        sample = alpha.emit("try-pull-sample", TIMEOUT)
        if sample is None:
            break
        buf = sample.get_buffer()
        while i < len(frames) and frames[i][0].pts != buf.pts:
            i += 1
        if i < len(frames):
            frames[i][1] = buf
    p.set_state(Gst.State.NULL)
    caps.set_value("codec-alpha", True)
    return caps, frames


def rebuild(frame, pts, alpha="keep"):
    """A demuxed frame again, at @pts, with its own alpha ("keep"), none
    (None) or another frame's alpha buffer."""
    buf = frame[0]
    out = Gst.Buffer.new_wrapped(buf.extract_dup(0, buf.get_size()))
    out.pts = pts
    out.dts = Gst.CLOCK_TIME_NONE
    out.duration = buf.duration
    if buf.has_flags(Gst.BufferFlags.DELTA_UNIT):
        out.set_flags(Gst.BufferFlags.DELTA_UNIT)
    a = frame[1] if alpha == "keep" else alpha
    if a is not None:
        GstVideo.buffer_add_video_codec_alpha_meta(out, a)
    return out


def run(launch, feed=None, seek=None, bin_stats=None):
    """Runs @launch (ending in appsink name=out); returns (result, frames,
    stats).  @feed: buffers for an appsrc named src; @seek: a position for
    a flushing accurate seek once prerolled; @bin_stats: a bin whose two
    decoders' pool-stats are read at the end."""
    pipeline = Gst.parse_launch(launch)
    sink = pipeline.get_by_name("out")
    frames = []

    def on_sample(appsink):
        sample = appsink.emit("pull-sample")
        buf = sample.get_buffer()
        s = sample.get_caps().get_structure(0)
        meta = GstVideo.buffer_get_video_meta(buf)
        frames.append((buf.pts, s.get_value("width"), s.get_value("height"),
                       s.get_value("format"), meta.n_planes if meta else 0))
        return Gst.FlowReturn.OK

    sink.set_property("emit-signals", True)
    sink.connect("new-sample", on_sample)
    if feed is not None:
        src = pipeline.get_by_name("src")
        caps, bufs = feed
        src.set_property("caps", caps)
        src.set_property("format", Gst.Format.TIME)
        for b in bufs:
            src.emit("push-buffer", b)
        src.emit("end-of-stream")
    bus = pipeline.get_bus()
    if seek is not None:
        pipeline.set_state(Gst.State.PAUSED)
        pipeline.get_state(TIMEOUT)
        del frames[:]
        pipeline.seek_simple(Gst.Format.TIME, Gst.SeekFlags.FLUSH |
                             Gst.SeekFlags.ACCURATE, seek)
        pipeline.get_state(TIMEOUT)
    pipeline.set_state(Gst.State.PLAYING)
    result = "timeout"
    while True:
        msg = bus.timed_pop_filtered(
            TIMEOUT, Gst.MessageType.EOS | Gst.MessageType.ERROR)
        if msg is None:
            break
        if msg.type == Gst.MessageType.EOS:
            result = "eos"
        else:
            err, dbg = msg.parse_error()
            result = "error: %s (%s)" % (err.message, dbg)
        break
    stats = []
    if bin_stats is not None:
        b = pipeline.get_by_name(bin_stats)
        for name in ("colour-decoder", "alpha-decoder"):
            st = b.get_by_name(name).get_property("pool-stats")
            stats.append({k: st.get_value(k) for k in
                          ("creates", "removes", "reallocations",
                           "peak-buffers")})
    pipeline.set_state(Gst.State.NULL)
    return result, frames, stats


def file_launch(path, codec, decoder, name="dec"):
    return ("filesrc location=%s ! matroskademux ! %s ! %s name=%s "
            "! appsink name=out sync=false" % (path, PARSER[codec], decoder,
                                              name))


def src_launch(codec, decoder, name="dec"):
    return "appsrc name=src ! %s ! %s name=%s ! appsink name=out sync=false" % (
        PARSER[codec], decoder, name)


def pts_sizes(frames):
    return [(f[0], f[1], f[2]) for f in frames]


def alpha_layout_ok(frames):
    """A420: four planes; AV12: three (NV12's two and the alpha plane)."""
    want = {"A420": 4, "AV12": 3}
    return all(f[3] in want and f[4] == want[f[3]] for f in frames)


def play(uri, element):
    """playbin/playbin3: the decoders in the pipeline, frames at the sink."""
    pipeline = Gst.ElementFactory.make(element)
    pipeline.set_property("uri", uri)
    sink = Gst.ElementFactory.make("fakesink")
    sink.set_property("sync", False)
    pipeline.set_property("video-sink", sink)
    pipeline.set_property("audio-sink", Gst.ElementFactory.make("fakesink"))
    seen = []
    count = [0]

    def on_added(bin_, sub, element):
        f = element.get_factory()
        if f and "Decoder" in (f.get_metadata("klass") or ""):
            seen.append(f.get_name())

    def on_buffer(pad, info):
        count[0] += 1
        return Gst.PadProbeReturn.OK

    pipeline.connect("deep-element-added", on_added)
    sink.get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, on_buffer)
    pipeline.set_state(Gst.State.PLAYING)
    msg = pipeline.get_bus().timed_pop_filtered(
        TIMEOUT, Gst.MessageType.EOS | Gst.MessageType.ERROR)
    result = "timeout" if msg is None else (
        "eos" if msg.type == Gst.MessageType.EOS else
        "error: %s" % msg.parse_error()[0].message)
    pipeline.set_state(Gst.State.NULL)
    return result, seen, count[0]


def trace(codec, on):
    ev = os.path.join(TRACING, "events", "visl_%s_controls" % codec, "enable")
    with open(os.path.join(TRACING, "tracing_on"), "w") as f:
        f.write("0")
    if on:
        with open(os.path.join(TRACING, "buffer_size_kb"), "w") as f:
            f.write("32768")
        open(os.path.join(TRACING, "trace"), "w").close()
        with open(ev, "w") as f:
            f.write("1")
        with open(os.path.join(TRACING, "tracing_on"), "w") as f:
            f.write("1")
        return None
    with open(os.path.join(TRACING, "trace")) as f:
        text = f.read()
    with open(ev, "w") as f:
        f.write("0")
    return text


def control_multiset(path):
    """Each request's frame controls without the reference timestamps and
    the segmentation probabilities a frame does not use."""
    out = []
    for r in vtc.parse(path):
        frame = dict(r["controls"].get("frame", {}))
        for k in list(frame):
            if k in vtc.TS_FIELDS or vtc.unused_seg_probs(frame, k):
                del frame[k]
        rest = {c: v for c, v in r["controls"].items() if c != "frame"}
        out.append(repr(sorted(frame.items())) + repr(sorted(
            (c, sorted(v.items())) for c, v in rest.items())))
    return sorted(out)


print("TAP version 13")
for codec in CODECS:
    path = os.path.join(streams, "%s-alpha.webm" % codec)
    small = os.path.join(streams, "%s-alpha-176.webm" % codec)
    if not check(os.path.exists(path) and os.path.exists(small),
                 "%s: alpha streams made at build time" % codec, streams):
        continue
    if not check(Gst.ElementFactory.find(ours(codec)) is not None,
                 "%s is registered beside v4l2elastic%sdec" % (ours(codec),
                                                               codec)):
        continue

    # The file, ours against the software alpha bin.
    ref = run(file_launch(path, codec, software(codec)))
    got = run(file_launch(path, codec, ours(codec)))
    check(ref[0] == "eos" and got[0] == "eos" and len(ref[1]) > 0 and
          pts_sizes(got[1]) == pts_sizes(ref[1]),
          "%s: %d frames, timestamps and sizes equal %s's" % (
              ours(codec), len(got[1]), software(codec)),
          "ours %s %s\nsoftware %s %s" % (got[0], pts_sizes(got[1])[:4],
                                          ref[0], pts_sizes(ref[1])[:4]))
    check(got[1] and alpha_layout_ok(got[1]),
          "%s: writes A420/AV12 with the alpha plane in GstVideoMeta (%s)" % (
              ours(codec), sorted(set(f[3] for f in got[1]))),
          got[1][:3])
    frames = len(ref[1])

    # The players.
    for player in ("playbin", "playbin3"):
        result, seen, count = play(Gst.filename_to_uri(path), player)
        check(result == "eos" and ours(codec) in seen and
              software(codec) not in seen and count == frames,
              "%s picks %s for an alpha WebM, %d of %d frames" % (
                  player, ours(codec), count, frames),
              "%s, decoders %s" % (result, seen))

    # A flushing accurate seek to the key frame in the middle.
    position = 15 * Gst.SECOND // 30
    ref_seek = run(file_launch(path, codec, software(codec)), seek=position)
    got_seek = run(file_launch(path, codec, ours(codec)), seek=position)
    check(got_seek[0] == "eos" and len(ref_seek[1]) > 0 and
          pts_sizes(got_seek[1]) == pts_sizes(ref_seek[1]),
          "%s: a flushing seek gives %s's %d frames from there" % (
              ours(codec), software(codec), len(ref_seek[1])),
          "ours %s %s\nsoftware %s" % (got_seek[0], pts_sizes(got_seek[1])[:3],
                                       pts_sizes(ref_seek[1])[:3]))

    caps, big = collect(path)
    _, little = collect(small)
    step = big[1][0].pts - big[0][0].pts

    # A size change at a key frame: 320x240 then 176x144.
    def resized():
        bufs = [rebuild(b, b[0].pts) for b in big]
        end = big[-1][0].pts + step
        bufs += [rebuild(b, end + b[0].pts) for b in little]
        return caps, bufs

    ref_rs = run(src_launch(codec, software(codec)), feed=resized())
    got_rs = run(src_launch(codec, ours(codec)), feed=resized(),
                 bin_stats="dec")
    sizes = sorted(set((f[1], f[2]) for f in got_rs[1]))
    check(got_rs[0] == "eos" and len(sizes) == 2 and
          pts_sizes(got_rs[1]) == pts_sizes(ref_rs[1]),
          "%s: a size change, %d frames at %s equal %s's" % (
              ours(codec), len(got_rs[1]), sizes, software(codec)),
          "ours %s, software %s, %d/%d frames" % (
              got_rs[0], ref_rs[0], len(got_rs[1]), len(ref_rs[1])))
    print("# %s pool-stats after the size change (colour, alpha): %s" % (
        ours(codec), got_rs[2]))
    if remove_bufs:
        check(len(got_rs[2]) == 2 and all(
            s["removes"] > 0 and s["reallocations"] == 0 for s in got_rs[2]),
            "%s: both decoders cross the size change by removing buffers, "
            "no reallocation" % ours(codec), got_rs[2])
    else:
        check(len(got_rs[2]) == 2 and all(
            s["removes"] == 0 and s["reallocations"] == 1 for s in got_rs[2]),
            "%s: without VIDIOC_REMOVE_BUFS each decoder falls back to one "
            "counted reallocation" % ours(codec), got_rs[2])

    # Blocks without alpha: the previous alpha plane is used again.
    def holes():
        return caps, [rebuild(b, b[0].pts, None if i in (5, 6, 20) else "keep")
                      for i, b in enumerate(big)]

    ref_h = run(src_launch(codec, software(codec)), feed=holes())
    got_h = run(src_launch(codec, ours(codec)), feed=holes())
    check(got_h[0] == "eos" and len(ref_h[1]) > 0 and
          pts_sizes(got_h[1]) == pts_sizes(ref_h[1]),
          "%s: three blocks without alpha, %d frames as %s's" % (
              ours(codec), len(got_h[1]), software(codec)),
          "ours %s %d, software %s %d" % (got_h[0], len(got_h[1]), ref_h[0],
                                          len(ref_h[1])))

    # No alpha in the first block: a clear error, no hang.
    first = (caps, [rebuild(b, b[0].pts, None if i == 0 else "keep")
                    for i, b in enumerate(big)])
    got_f = run(src_launch(codec, ours(codec)), feed=first)
    check(got_f[0].startswith("error"),
          "%s: no alpha in the first block ends in an error, no hang" %
          ours(codec), got_f[0])

    # An alpha stream of another size than the colour stream.
    wrong = (caps, [rebuild(big[i], big[i][0].pts, little[i][1])
                    for i in range(len(little))])
    got_w = run(src_launch(codec, ours(codec)), feed=wrong)
    check(got_w[0].startswith("error") and "alpha" in got_w[0] and
          not got_w[1],
          "%s: a 176x144 alpha stream under 320x240 pictures is an error, "
          "no frame pushed" % ours(codec), "%s, %d frames" % (got_w[0],
                                                             len(got_w[1])))

    # visl's trace: our two decoders' requests against upstream's bin.
    upstream = "v4l2sl%salphadecodebin" % codec
    if not check(os.path.isdir(os.path.join(TRACING, "events",
                                            "visl_%s_controls" % codec)),
                 "%s: visl trace events available" % codec):
        continue
    if not check(Gst.ElementFactory.find(upstream) is not None,
                 "%s is present to compare with" % upstream):
        continue
    files = {}
    for who, element in (("ours", ours(codec)), ("upstream", upstream)):
        trace(codec, True)
        res = run(file_launch(path, codec, element))
        files[who] = os.path.join(work, "%s-%s.trace" % (codec, who))
        with open(files[who], "w") as f:
            f.write(trace(codec, False))
        print("# %s: %s, %d frames" % (element, res[0], len(res[1])))
    mine = control_multiset(files["ours"])
    theirs = control_multiset(files["upstream"])
    check(len(mine) == 2 * frames and mine == theirs,
          "%s: %d requests (colour and alpha) carry the frame controls of "
          "%s's" % (ours(codec), len(mine), upstream),
          "ours %d requests, upstream %d; first difference: %s" % (
              len(mine), len(theirs),
              next(((a, b) for a, b in zip(mine, theirs) if a != b), None)))

print("1..%d" % n)
sys.exit(1 if failed else 0)
