#!/bin/sh
# gst-v4l2-elastic: v4l2elasticvp8dec and v4l2elasticvp9dec through visl.
#
#   vpx-visl.sh BUILD_DIR [WORK_DIR]
#
# Encodes VP8 and VP9 streams here (libvpx through vp8enc/vp9enc, IVF by
# avmux_ivf): alt-ref (hidden) frames, error-resilient, and a key frame
# size change made by concatenating IVF segments.  Decodes each with our
# element through visl and with avdec_vp8/avdec_vp9, and checks that both
# output the same number of frames with the same timestamps in the same
# order (visl draws text, not pictures: order and count are what can be
# compared).  Emits TAP.
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -u
build=$1
work=${2:-/tmp/vpx-visl}
export GST_PLUGIN_PATH_1_0="$build/ext/v4l2elastic"
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - visl $*"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - visl $*"; }

rm -rf "$work"
mkdir -p "$work"

# encode NAME ENCODER WIDTH HEIGHT FRAMES ENCODER-PROPERTIES...
encode() {
  name=$1 enc=$2 w=$3 h=$4 frames=$5
  shift 5
  gst-launch-1.0 -q videotestsrc num-buffers="$frames" pattern=ball \
    ! "video/x-raw,format=I420,width=$w,height=$h,framerate=30/1" \
    ! "$enc" "$@" ! avmux_ivf ! filesink location="$work/$name.ivf" \
    >"$work/$name.enc.log" 2>&1
}

# Packets of an IVF file, counted by walking the 12-byte frame headers
# (avmux_ivf does not write a packet count into the file header).
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

# concat OUT IN...: one IVF file, the first header kept, the frame count
# fixed.
concat() {
  out=$1
  shift
  head -c 32 "$1" >"$out"
  total=0
  for f in "$@"; do
    tail -c +33 "$f" >>"$out"
    total=$((total + $(ivf_frames "$f")))
  done
  printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $((total & 255)) \
    $(((total >> 8) & 255)) $(((total >> 16) & 255)) $((total >> 24)))" |
    dd of="$out" bs=1 seek=24 conv=notrunc 2>/dev/null
}

# decode FILE DECODER: one timestamp per output frame, in output order.
decode() {
  gst-launch-1.0 -v filesrc location="$1" ! ivfparse ! "$2" \
    ! fakesink silent=false sync=false 2>&1 |
    sed -n 's/.*chain .*pts: \([0-9:.]*\).*/\1/p'
}

# check CODEC NAME: ours against the software decoder on one stream.
check() {
  codec=$1 name=$2
  file="$work/$name.ivf"
  decode "$file" "avdec_$codec" >"$work/$name.ref"
  decode "$file" "v4l2elastic${codec}dec" >"$work/$name.out"
  frames=$(wc -l <"$work/$name.ref")
  got=$(wc -l <"$work/$name.out")
  if [ "$frames" -gt 0 ] && cmp -s "$work/$name.ref" "$work/$name.out"; then
    ok "$codec $name: $got frames, same count and order as avdec_$codec"
  else
    not_ok "$codec $name: $got frames, avdec_$codec $frames"
    diff "$work/$name.ref" "$work/$name.out" | head -10 | sed 's/^/# /'
    gst-launch-1.0 filesrc location="$file" ! ivfparse \
      ! "v4l2elastic${codec}dec" ! fakesink 2>&1 | tail -5 | sed 's/^/# /'
  fi
}

for codec in vp8 vp9; do
  if ! gst-inspect-1.0 "v4l2elastic${codec}dec" >/dev/null 2>&1; then
    not_ok "v4l2elastic${codec}dec registered"
    continue
  fi
  ok "v4l2elastic${codec}dec registered"
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
  if [ -s "$work/$codec-altref.ivf" ] && [ -s "$work/$codec-seg2.ivf" ]; then
    ok "$codec streams encoded"
  else
    not_ok "$codec streams encoded"
    cat "$work"/*.enc.log | head -10 | sed 's/^/# /'
    continue
  fi
  # Hidden frames show as more packets than frames (VP8) or as
  # superframes (VP9).  deadline=1 is libvpx's realtime mode, which makes
  # no alt-ref frames: the streams with asserted hidden frames are
  # vpx-trace-compare.sh's (two-pass ffmpeg).  Reported, not counted.
  echo "# $codec-altref: $(ivf_frames "$work/$codec-altref.ivf") packets for 40 frames"
  concat "$work/$codec-resize.ivf" "$work/$codec-seg1.ivf" \
    "$work/$codec-seg2.ivf" "$work/$codec-seg1.ivf"
  for name in altref resilient resize; do
    check "$codec" "$codec-$name"
  done
done

echo "1..$n"
exit "$failed"
