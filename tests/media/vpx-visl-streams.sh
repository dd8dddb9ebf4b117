#!/bin/sh
# gst-v4l2-elastic: the VP8/VP9 streams of tests/kernel/vpx-visl.sh, made
# on the host at build time (tests/kernel/meson.build): libvpx through
# vp8enc/vp9enc, IVF by avmux_ivf.  Per codec: alt-ref (hidden) frames,
# error-resilient, and a key frame size change made by concatenating IVF
# segments; with avdec_vp8/avdec_vp9's output timestamps of each
# (CODEC-NAME.ivf, CODEC-NAME.ref).  Encoding under TCG cost the guest a
# minute.
#
#   vpx-visl-streams.sh OUT_DIR [STAMP]
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -eu
out=$1
stamp=${2:-}
rm -rf "$out"
mkdir -p "$out"

# encode NAME ENCODER WIDTH HEIGHT FRAMES ENCODER-PROPERTIES...
encode() {
  name=$1 enc=$2 w=$3 h=$4 frames=$5
  shift 5
  gst-launch-1.0 -q videotestsrc num-buffers="$frames" pattern=ball \
    ! "video/x-raw,format=I420,width=$w,height=$h,framerate=30/1" \
    ! "$enc" "$@" ! avmux_ivf ! filesink location="$out/$name.ivf"
}

# The packets of an IVF file (each: a 12-byte header with its size).
ivf_frames() {
  size=$(wc -c <"$1")
  pos=32
  count=0
  while [ $((pos + 12)) -le "$size" ]; do
    len=$(od -An -tu4 -j"$pos" -N4 "$1" | tr -d ' ')
    pos=$((pos + 12 + len))
    count=$((count + 1))
  done
  echo "$count"
}

# concat OUT IN...: one IVF file of the packets of each, the first header
# with the total frame count.
concat() {
  dst=$1
  shift
  head -c 32 "$1" >"$dst"
  total=0
  for f in "$@"; do
    tail -c +33 "$f" >>"$dst"
    total=$((total + $(ivf_frames "$f")))
  done
  printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $((total & 255)) \
    $(((total >> 8) & 255)) $(((total >> 16) & 255)) $((total >> 24)))" |
    dd of="$dst" bs=1 seek=24 conv=notrunc 2>/dev/null
}

for codec in vp8 vp9; do
  enc=${codec}enc
  # Hidden alt-ref frames (VP9: superframes), several GF groups.
  encode "$codec-altref" "$enc" 320 240 40 auto-alt-ref=true \
    lag-in-frames=16 keyframe-max-dist=20 deadline=1
  encode "$codec-resilient" "$enc" 320 240 20 error-resilient=default \
    deadline=1
  encode "$codec-seg1" "$enc" 320 240 12 auto-alt-ref=true lag-in-frames=8 \
    deadline=1
  encode "$codec-seg2" "$enc" 176 144 12 auto-alt-ref=true lag-in-frames=8 \
    deadline=1
  concat "$out/$codec-resize.ivf" "$out/$codec-seg1.ivf" \
    "$out/$codec-seg2.ivf" "$out/$codec-seg1.ivf"
  rm -f "$out/$codec-seg1.ivf" "$out/$codec-seg2.ivf"
  # Hidden frames show as more packets than frames (VP8) or as
  # superframes (VP9).  deadline=1 is libvpx's realtime mode, which makes
  # no alt-ref frames: the streams with asserted hidden frames are
  # vpx-trace-compare.sh's (two-pass ffmpeg).  Reported, not counted.
  echo "$(ivf_frames "$out/$codec-altref.ivf") packets for 40 frames" >"$out/$codec-altref.packets"
  for name in altref resilient resize; do
    f=$out/$codec-$name
    gst-launch-1.0 -v filesrc location="$f.ivf" ! ivfparse ! "avdec_$codec" \
      ! fakesink silent=false sync=false 2>&1 |
      sed -n 's/.*chain .*pts: \([0-9:.]*\).*/\1/p' >"$f.ref"
    [ -s "$f.ref" ] || { echo "vpx-visl-streams: no avdec_$codec frames for $f.ivf" >&2; exit 1; }
  done
done
[ -z "$stamp" ] || touch "$stamp"
