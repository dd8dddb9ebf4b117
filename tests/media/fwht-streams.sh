#!/bin/sh
# gst-v4l2-elastic: FWHT test streams, made in the guest by vicodec's own
# stateful encoder (driven by v4l2-ctl), with their reference decodes from
# vicodec's stateful decoder.
#
#   fwht-streams.sh OUTDIR NAME FRAMES WxH[,WxH...] [PATTERN]
#
# Writes OUTDIR/NAME.fwht (the segments concatenated: each starts with an
# intra frame, so every size change is at an intra frame), OUTDIR/NAME.yuv
# (the reference decode, I420, frame after frame) and OUTDIR/NAME.sizes
# (one "W H" line per frame).  The reference comes from vicodec's stateful
# decoder and must equal, bit for bit, what v4l2-ctl's own stateless FWHT
# client decodes from the same frames: two independent references.  The
# encoder and decoder nodes are found by their names, never by number.
# PATTERN (a videotestsrc pattern) replaces the per-segment patterns: a
# static textured one (circular) makes vicodec's encoder code nearly every
# block of the inter frames as a delta from the reference, where flat
# areas (ball, smpte) are coded intra.
# SPDX-License-Identifier: LGPL-2.1-or-later
set -eu
out=$1 name=$2 frames=$3 sizes=$4 pattern=${5:-}

node() {
  for d in /sys/class/video4linux/video*; do
    [ "$(cat "$d/name")" = "$1" ] && { echo "/dev/${d##*/}"; return 0; }
  done
  echo "fwht-streams: no $1 node (is vicodec loaded?)" >&2
  return 1
}
enc=$(node stateful-encoder)
dec=$(node stateful-decoder)
sdec=$(node stateless-decoder)

mkdir -p "$out"
# Runs a step quietly; a failure names the step and shows its last words.
step() {
  what=$1
  shift
  if ! "$@" >"$out/.step.log" 2>&1; then
    echo "fwht-streams: $what failed: $*" >&2
    tail -n 5 "$out/.step.log" | sed 's/^/  /' >&2
    exit 1
  fi
}
: >"$out/$name.fwht"
: >"$out/$name.yuv"
: >"$out/$name.sizes"
seg=0
for s in $(echo "$sizes" | tr ',' ' '); do
  w=${s%x*} h=${s#*x}
  tmp=$out/.$name.$seg
  # A different pattern per segment, so a frame decoded from the wrong
  # segment cannot match by accident.
  step "raw $w x $h source" gst-launch-1.0 -q videotestsrc num-buffers="$frames" pattern="${pattern:-$((seg % 3 == 0 ? 18 : seg % 3 == 1 ? 0 : 1))}" \
    ! video/x-raw,format=I420,width="$w",height="$h",framerate=30/1 \
    ! filesink location="$tmp.in.yuv"
  step "stateful encode" v4l2-ctl -d "$enc" --set-fmt-video-out=width="$w",height="$h",pixelformat=YU12 \
    --stream-mmap --stream-out-mmap --stream-from="$tmp.in.yuv" \
    --stream-to="$tmp.fwht" --stream-count="$frames"
  step "stateful decode" v4l2-ctl -d "$dec" --set-fmt-video-out=pixelformat=FWHT --set-fmt-video=pixelformat=YU12 \
    --stream-mmap --stream-out-mmap --stream-from="$tmp.fwht" \
    --stream-to="$tmp.ref.yuv"
  # The same frames with v4l2-ctl's per-frame size headers, decoded by its
  # Request-API client on the stateless node.
  step "stateful encode with headers" v4l2-ctl -d "$enc" --set-fmt-video-out=width="$w",height="$h",pixelformat=YU12 \
    --stream-mmap --stream-out-mmap --stream-from="$tmp.in.yuv" \
    --stream-to-hdr="$tmp.hdr" --stream-count="$frames"
  step "stateless decode" v4l2-ctl -d "$sdec" --set-fmt-video-out=width="$w",height="$h",pixelformat=SFWH \
    --set-fmt-video=pixelformat=YU12 --stream-mmap --stream-out-mmap \
    --stream-from-hdr="$tmp.hdr" --stream-to="$tmp.sl.yuv"
  if ! cmp -s "$tmp.ref.yuv" "$tmp.sl.yuv"; then
    echo "fwht-streams: $w x $h: vicodec's stateful decoder and v4l2-ctl's stateless client disagree" >&2
    exit 1
  fi
  want=$((w * h * 3 / 2 * frames))
  got=$(stat -c %s "$tmp.ref.yuv")
  [ "$got" = "$want" ] || {
    echo "fwht-streams: reference decode of $w x $h gave $got bytes, want $want" >&2
    exit 1
  }
  cat "$tmp.fwht" >>"$out/$name.fwht"
  cat "$tmp.ref.yuv" >>"$out/$name.yuv"
  i=0
  while [ $i -lt "$frames" ]; do echo "$w $h" >>"$out/$name.sizes"; i=$((i + 1)); done
  rm -f "$tmp.in.yuv" "$tmp.fwht" "$tmp.ref.yuv" "$tmp.hdr" "$tmp.sl.yuv"
  seg=$((seg + 1))
done
