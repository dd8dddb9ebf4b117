#!/bin/sh
# gst-v4l2-elastic: the H.265 test corpus of tests/kernel/h265-visl.sh,
# made with x265enc, and avdec_h265's decode of each (PTS order and
# output sizes, the reference).
#
#   h265-streams.sh OUT_DIR
#
# Meson makes it on the host before a guest boot (the target h265-streams):
# x265 under TCG costs minutes.  Exits 1 if any stream could not be made.
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -u
work=$1
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work"
mkdir -p "$work"

# encode NAME WIDTHxHEIGHT FRAMES X265-OPTIONS [FORMAT]: one segment of
# videotestsrc's ball (moving, so P and B pictures predict), 30 fps.
encode() {
  w=${2%x*}
  h=${2#*x}
  gst-launch-1.0 -q videotestsrc num-buffers="$3" pattern=ball \
    ! "video/x-raw,format=${5:-I420},width=$w,height=$h,framerate=30/1" \
    ! x265enc speed-preset=ultrafast option-string="$4" ! h265parse \
    ! video/x-h265,stream-format=byte-stream,alignment=au \
    ! filesink location="$work/$1.h265" >"$work/$1.enc.log" 2>&1
}

gen_ok=yes
# x265's defaults: WPP, so every slice has entry points (upstream 1.22's
# v4l2slh265dec crashes on these).
encode defaults-wpp 320x240 24 "bframes=3" || gen_ok=no
encode wpp-off 320x240 24 "wpp=0:bframes=2" || gen_ok=no
encode pyramid 320x240 30 "wpp=0:bframes=4:b-pyramid=1:ref=4:rc-lookahead=10" || gen_ok=no
# Open GOP: CRA pictures with leading RASL pictures.
encode open-gop 320x240 30 \
  "wpp=0:open-gop=1:keyint=8:min-keyint=8:scenecut=0:bframes=3" || gen_ok=no
# The same cut at its second CRA picture: the first RASL pictures are
# dropped (8.1.3), decoding starts there.
python3 "$here/h265-cut.py" "$work/open-gop.h265" "$work/starts-at-cra.h265" 2 || gen_ok=no
# Four slices per picture, each with its WPP entry points (x265 makes
# slices only with WPP on).
encode slices4 320x240 20 "slices=4:bframes=2" || gen_ok=no
encode scaling 320x240 16 "wpp=0:scaling-list=default:bframes=2" || gen_ok=no
encode weighted 320x240 24 "wpp=0:weightp=1:weightb=1:ref=3:bframes=3" || gen_ok=no
# DPB growth and shrink at one size: 1 reference, 4 with a B-pyramid, 1.
encode seg-a 320x240 16 "wpp=0:bframes=0:ref=1" || gen_ok=no
encode seg-b 320x240 16 "wpp=0:bframes=4:b-pyramid=1:ref=4" || gen_ok=no
cat "$work/seg-a.h265" "$work/seg-b.h265" "$work/seg-a.h265" >"$work/dpb-change.h265"
# Three resolution changes; 178x100 is coded as 184x104 with a
# conformance window.
encode seg-c 178x100 12 "wpp=0:bframes=2:ref=2" || gen_ok=no
encode seg-d 352x288 12 "wpp=0:bframes=0:ref=1" || gen_ok=no
cat "$work/seg-a.h265" "$work/seg-c.h265" "$work/seg-d.h265" "$work/seg-a.h265" >"$work/resize.h265"
# Main 10: refused until the 10-bit work, with an error.
encode main10 320x240 8 "wpp=0:bframes=0" I420_10LE || gen_ok=no
rm -f "$work"/seg-?.h265

DECODE_EXT=h265
DECODE_PARSE=h265parse
. "$here/../kernel/h264-decode.sh"
for f in "$work"/*.h265; do
  name=$(basename "$f" .h265)
  [ "$name" = main10 ] || decode "$name" avdec_h265 "$work/$name.ref" || gen_ok=no
done
if [ "$gen_ok" != yes ]; then
  cat "$work"/*.enc.log | head -20 >&2
  exit 1
fi
