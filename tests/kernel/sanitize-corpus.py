#!/usr/bin/python3
# gst-v4l2-elastic: every corpus file of every codec through our elements in
# one process, for sanitize-visl.sh (which preloads libasan and points
# GStreamer at the sanitizer build of the plugin).
#
#   sanitize-corpus.py BUILD_DIR
#
# One process, so that the start-up of Python and GStreamer under ASan is
# paid once (one gst-launch-1.0 per file cost about 3 s each under TCG).
# Each file must end in EOS or an element error message within its time;
# a sanitizer finding aborts the process, and the file that was running is
# the last "started" line.  playbin must pick our decoder for the player
# files.
#
# Emits TAP, one result per group of files.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import glob
import os
import sys
import time

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

TIMEOUT_S = 120


def factories(bin):
    """Factory names of every element inside @bin (no gst-python here:
    Gst.Iterator is walked by hand)."""
    names = []
    it = bin.iterate_recurse()
    while True:
        res, e = it.next()
        if res == Gst.IteratorResult.RESYNC:
            it.resync()
            names = []
            continue
        if res != Gst.IteratorResult.OK:
            return names
        if e.get_factory() is not None:
            names.append(e.get_factory().get_name())


def main():
    build = os.path.abspath(sys.argv[1])
    Gst.init(None)
    k = os.path.join(build, "tests", "kernel")
    groups = [
        ("v4l2elasticfwhtdec on vicodec, fwht-corpus",
         sorted(glob.glob(os.path.join(k, "fwht-corpus", "*.fwht"))),
         "filesrc location=%s ! video/x-fwht ! v4l2elasticfwhtdec"),
        ("v4l2elastich264dec on visl, h264-streams",
         sorted(glob.glob(os.path.join(build, "tests", "h264-streams",
                                       "*.h264"))),
         "filesrc location=%s ! h264parse ! v4l2elastich264dec"),
        # main10 ends not-negotiated (Main 10 is not in the sink caps yet).
        ("v4l2elastich265dec on visl, h265-streams",
         sorted(glob.glob(os.path.join(build, "tests", "h265-streams",
                                       "*.h265"))),
         "filesrc location=%s ! h265parse ! v4l2elastich265dec"),
        ("v4l2elasticvp8dec on visl, vpx-visl-streams",
         sorted(glob.glob(os.path.join(k, "vpx-visl-streams", "vp8-*.ivf"))),
         "filesrc location=%s ! ivfparse ! v4l2elasticvp8dec"),
        ("v4l2elasticvp9dec on visl, vpx-visl-streams",
         sorted(glob.glob(os.path.join(k, "vpx-visl-streams", "vp9-*.ivf"))),
         "filesrc location=%s ! ivfparse ! vp9parse ! v4l2elasticvp9dec"),
        ("v4l2elasticmpeg2dec on visl, mpeg2-streams",
         sorted(glob.glob(os.path.join(k, "mpeg2-streams", "*.m2v"))),
         "filesrc location=%s ! mpegvideoparse ! v4l2elasticmpeg2dec"),
        # matroskademux marks these caps codec-alpha=true.
        ("v4l2elasticvp8alphadecodebin on visl, alpha-streams",
         sorted(glob.glob(os.path.join(k, "alpha-streams", "vp8-*.webm"))),
         "filesrc location=%s ! matroskademux ! v4l2elasticvp8alphadecodebin"),
        ("v4l2elasticvp9alphadecodebin on visl, alpha-streams",
         sorted(glob.glob(os.path.join(k, "alpha-streams", "vp9-*.webm"))),
         "filesrc location=%s ! matroskademux ! v4l2elasticvp9alphadecodebin"),
        ("playbin on the player files, our decoder picked",
         [os.path.join(k, "player-streams", f)
          for f in ("h264.mp4", "h265.mkv", "vp8.webm", "vp9.mkv",
                    "mpeg2.ts")],
         "playbin uri=file://%s video-sink=fakesink audio-sink=fakesink"),
    ]
    n = 0
    failed = False
    print("TAP version 13", flush=True)
    for label, files, launch in groups:
        t0 = time.monotonic()
        bad, errors = [], []
        for path in files:
            print("# started %s" % path, flush=True)
            desc = launch % path
            if not desc.startswith("playbin"):
                desc += " ! fakesink"
            p = Gst.parse_launch(desc)
            p.set_state(Gst.State.PLAYING)
            msg = p.get_bus().timed_pop_filtered(
                TIMEOUT_S * Gst.SECOND,
                Gst.MessageType.EOS | Gst.MessageType.ERROR)
            if msg is None:
                bad.append("%s: no EOS or error in %d s" % (path, TIMEOUT_S))
            elif msg.type == Gst.MessageType.ERROR:
                err, _ = msg.parse_error()
                errors.append("%s: %s" % (os.path.basename(path),
                                          err.message))
            if desc.startswith("playbin"):
                ours = [name for name in factories(p)
                        if name.startswith("v4l2elastic")]
                if not ours:
                    bad.append("%s: playbin picked no v4l2elastic decoder"
                               % path)
            msg = None
            p.set_state(Gst.State.NULL)
            p = None
        n += 1
        ok = files and not bad
        failed |= not ok
        print("%s %d - %s: %d files under ASan+UBSan, each EOS or an "
              "element error (%d errors)" % ("ok" if ok else "not ok", n,
                                             label, len(files), len(errors)))
        for line in bad + errors:
            print("#   " + line)
        print("#   took %.0f s" % (time.monotonic() - t0), flush=True)
    print("1..%d" % n)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
