#!/bin/sh
# gst-v4l2-elastic: (re)makes the seed corpus of the fuzz targets,
# tests/fuzz/corpus/<codec>/, from the encoders of GStreamer (x264enc,
# x265enc, vp8enc, vp9enc, raw I420 forced) and hand-made FWHT headers.
# Run once by hand; the files are checked in (keep them small: a few
# frames of 64x48 or so each).
#
#   tests/fuzz/make-corpus.sh [CODEC...]   (default: all of them)
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$here/corpus
mkdir -p "$out/h264" "$out/h265" "$out/vp8" "$out/vp9" "$out/fwht" \
  "$out/mpeg2"
codecs=" ${*:-fwht h264 h265 vp8 vp9 mpeg2} "
want() { case $codecs in *" $1 "*) return 0 ;; esac; return 1; }

raw() { # WIDTH HEIGHT FRAMES PATTERN
  echo "videotestsrc num-buffers=$3 pattern=$4 !" \
    "video/x-raw,format=I420,width=$1,height=$2,framerate=30/1"
}

if want h264; then
# H.264 (Annex B): the shapes the state has to deal with.
h264() { # NAME WIDTH HEIGHT FRAMES PROFILE X264ENC-PROPERTIES...
  name=$1 w=$2 h=$3 n=$4 profile=$5
  shift 5
  # shellcheck disable=SC2046
  gst-launch-1.0 -q $(raw "$w" "$h" "$n" ball) ! x264enc "$@" ! \
    "video/x-h264,stream-format=byte-stream,alignment=au,profile=$profile" ! \
    filesink location="$out/h264/$name.h264"
}
h264 baseline 64 48 8 constrained-baseline speed-preset=ultrafast \
  key-int-max=4
h264 bframes 64 48 12 high speed-preset=medium bframes=3 b-pyramid=true ref=4 \
  key-int-max=12
h264 cropped 72 40 6 high speed-preset=fast bframes=1 ref=2 key-int-max=3
h264 cavlc-weighted 48 32 10 main speed-preset=medium bframes=2 cabac=false \
  weightb=true ref=3 option-string="weightp=2"
h264 mbaff 64 64 6 high speed-preset=fast interlaced=true bframes=1
h264 intra-refresh 64 48 10 high speed-preset=fast intra-refresh=true \
  key-int-max=5 bframes=0
h264 refs16 48 32 20 high speed-preset=slow ref=16 bframes=3 \
  key-int-max=20
# What x264 never writes: POC type 1, adaptive marking, long-term refs.
python3 "$here/h264-craft.py" "$out/h264"
fi

if want h265; then
# H.265 (Annex B, x265enc): WPP (x265's default), B-pyramid, open GOPs
# with CRA and RASL pictures, slices, sub-layers, a POC LSB that wraps,
# an odd size with a conformance window; then made with Python from
# those: a size change, a stream cut at a CRA picture, an end of
# sequence NAL unit.
h265() { # NAME WIDTH HEIGHT FRAMES X265-OPTION-STRING
  # shellcheck disable=SC2046
  gst-launch-1.0 -q $(raw "$2" "$3" "$4" ball) ! \
    x265enc speed-preset=ultrafast option-string="$5" ! \
    video/x-h265,stream-format=byte-stream,alignment=au ! \
    filesink location="$out/h265/$1.h265"
}
h265 wpp 64 48 8 "bframes=2"
h265 pyramid 64 48 12 "bframes=4:b-pyramid=1:ref=4:wpp=0"
h265 open-gop 64 48 12 \
  "open-gop=1:keyint=4:min-keyint=4:scenecut=0:bframes=2:repeat-headers=1"
h265 slices 64 64 4 "slices=3:bframes=1"
h265 temporal 64 48 8 "temporal-layers=1:bframes=3"
h265 poc-wrap 32 32 24 \
  "log2-max-poc-lsb=4:bframes=3:keyint=100:min-keyint=100:scenecut=0"
h265 odd-size 50 34 4 "bframes=1"
python3 - "$out/h265" <<'PY'
import sys
out = sys.argv[1]
def units(d):
    pos = [i for i in range(len(d) - 2) if d[i:i + 3] == b"\x00\x00\x01"]
    return [d[a:b] for a, b in zip(pos, pos[1:] + [len(d)])]
def nal_type(u):
    return (u[3] >> 1) & 0x3f
# x265's SEI (its version and options, kilobytes) says nothing to the
# state: out, to keep the seeds small.
for name in ("wpp", "pyramid", "open-gop", "slices", "temporal",
             "poc-wrap", "odd-size"):
    path = out + "/" + name + ".h265"
    d = open(path, "rb").read()
    open(path, "wb").write(b"".join(
        u for u in units(d) if nal_type(u) not in (39, 40)))
og = open(out + "/open-gop.h265", "rb").read()
odd = open(out + "/odd-size.h265", "rb").read()
us = units(og)
# Cut before the VPS that precedes the second IRAP picture.
iraps = [i for i, u in enumerate(us) if 16 <= nal_type(u) <= 21]
start = iraps[1]
while start > 0 and nal_type(us[start - 1]) >= 32:
    start -= 1
cut = b"".join(us[start:])
open(out + "/starts-at-cra.h265", "wb").write(cut)
eos = b"\x00\x00\x01\x48\x01"
open(out + "/eos-cra.h265", "wb").write(og + eos + cut)
open(out + "/size-change.h265", "wb").write(og + odd)
PY
rm "$out/h265/odd-size.h265"
# RPSs in the SPS with inter-RPS prediction (which x265 never writes):
# test-h265order's rewritten stream, when a build has the test.
rewriter=${BUILD:-$here/../../build}/tests/unit/test-h265order
if [ -x "$rewriter" ]; then
  H265_REWRITE_DUMP="$out/h265/rps-in-sps.h265" "$rewriter" \
    -p /h265order/rps-in-sps-inter-predicted >/dev/null
else
  echo "make-corpus: no $rewriter: rps-in-sps.h265 not remade" >&2
fi
fi

if want vp8 || want vp9; then

# VP8 and VP9 in IVF (avmux_ivf), the format the targets read.
vpx() { # CODEC NAME WIDTH HEIGHT FRAMES ENCODER-PROPERTIES...
  codec=$1 name=$2 w=$3 h=$4 n=$5
  shift 5
  # shellcheck disable=SC2046
  gst-launch-1.0 -q $(raw "$w" "$h" "$n" ball) ! "${codec}enc" "$@" ! \
    avmux_ivf ! filesink location="$out/$codec/$name.ivf"
}
for c in vp8 vp9; do
  vpx $c keyint 64 48 8 keyframe-max-dist=4 deadline=1 cpu-used=8
  vpx $c altref 64 48 16 auto-alt-ref=true lag-in-frames=8 deadline=0 \
    cpu-used=8 end-usage=vbr
  vpx $c resilient 48 32 6 error-resilient=default deadline=1 cpu-used=8 \
    token-partitions=2
done
vpx vp9 lossless 32 32 3 min-quantizer=0 max-quantizer=0 deadline=1 \
  cpu-used=8
fi

if want fwht; then
# FWHT: hand-made frames (header + payload) of vicodec's format: an intra
# frame, an inter frame, an intra frame of another size, and a gray one.
python3 - "$out/fwht" <<'PY'
import os, struct, sys
out = sys.argv[1]
MAGIC = b"\x4f\x4f\x4f\x4f\xff\xff\xff\xff"
I_FRAME = 1 << 10
def frame(w, h, flags, payload, version=3):
    return MAGIC + struct.pack(">9I", version, w, h, flags, 8, 2, 1, 1,
                               len(payload)) + payload
yuv = (3 - 1) << 16 | 1 << 19            # 3 components, YUV
gray = 0 << 16 | 1 << 19
with open(os.path.join(out, "intra-inter.fwht"), "wb") as f:
    f.write(frame(64, 48, yuv | I_FRAME, bytes(range(64))))
    f.write(frame(64, 48, yuv, bytes(32)))
    f.write(frame(64, 48, yuv, bytes(16)))
with open(os.path.join(out, "size-change.fwht"), "wb") as f:
    f.write(frame(64, 48, yuv | I_FRAME, bytes(40)))
    f.write(frame(32, 32, yuv, bytes(8)))
    f.write(frame(32, 32, yuv | I_FRAME | 1 << 7, bytes(40)))
    f.write(frame(32, 32, yuv | 1 << 7, bytes(8)))
with open(os.path.join(out, "gray-v1.fwht"), "wb") as f:
    f.write(b"junk" + frame(16, 16, gray | I_FRAME, bytes(20)))
    f.write(frame(16, 16, I_FRAME, bytes(20), version=1))
    f.write(frame(16, 16, 0, bytes(4), version=1))
PY
fi

if want mpeg2; then
# MPEG-2 elementary streams (ffmpeg's mpeg2video, 64x48): IBBP with open
# GOPs, interlaced frame pictures with alternate scan, a size change, and
# the interlaced one with every picture rewritten as a top field (lone
# fields; the fuzzer finds pairs from there).
m2v() { # NAME SIZE FRAMES FFMPEG-OPTIONS...
  name=$1 size=$2 frames=$3
  shift 3
  ffmpeg -nostdin -v error -y -f lavfi -i "testsrc2=size=$size:rate=25" \
    -frames:v "$frames" -pix_fmt yuv420p -c:v mpeg2video -b:v 100k "$@" \
    -f mpeg2video "$out/mpeg2/$name.m2v"
}
m2v ibbp 64x48 8 -bf 2 -g 4
m2v interlaced 64x48 6 -bf 1 -g 3 -flags +ildct+ilme -alternate_scan 1 \
  -intra_vlc 1
m2v small 32x32 3 -bf 0 -g 3
cat "$out/mpeg2/ibbp.m2v" "$out/mpeg2/small.m2v" >"$out/mpeg2/resize.m2v"
rm "$out/mpeg2/small.m2v"
python3 - "$out/mpeg2" <<'PY'
import sys
out = sys.argv[1]
d = open(out + "/interlaced.m2v", "rb").read()
pos = [i for i in range(len(d) - 3) if d[i:i + 3] == b"\x00\x00\x01"]
units = [d[a:b] for a, b in zip(pos, pos[1:] + [len(d)])]
fields = bytearray()
for u in units:
    if u[3] == 0xB5 and u[4] >> 4 == 8:
        u = bytearray(u)
        u[6] = (u[6] & 0xFC) | 1  # picture_structure: top field
    fields += u
open(out + "/fields-top.m2v", "wb").write(fields)
PY
fi
du -sh "$out"
