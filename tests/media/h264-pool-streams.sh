#!/bin/sh
# gst-v4l2-elastic: the H.264 streams of the pool tests, the benchmark and
# tools/demo, encoded with x264enc (as segments concatenated at IDRs).
#
#   h264-pool-streams.sh DIR [DPB_FRAMES [RESIZE_FRAMES [STAMP]]]
#
# Meson runs it on the host when building (the target h264-pool-streams,
# tests/kernel/meson.build), so that the guest does not spend
# TCG time on x264 (720p is slow there); STAMP is touched when every
# stream is written.
#
# DIR/dpb-change.h264  320x240, ref=1 -> ref=4 -> ref=1 (no B-frames, so
#                      only the DPB changes), DPB_FRAMES (16) per segment
# DIR/dpb-reorder-change.h264  the same with B-frames in the middle:
#                      ref=1 -> ref=4 with 2 B-frames -> ref=1 (the DPB
#                      and the reorder depth change)
# DIR/resize.h264      1280x720 -> 320x240 -> 1280x720, ref=1, no
#                      B-frames, RESIZE_FRAMES (8) per segment
# DIR/latency-b.h264   320x240, 24 frames, 3 B-frames with pyramid
# DIR/latency-nob.h264 320x240, 24 frames, no B-frames
# and each segment alone as DIR/<stream>-<n>.h264.
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -eu
dir=$1
dpb_frames=${2:-16}
resize_frames=${3:-8}
stamp=${4:-}
mkdir -p "$dir"
# Building must not need x264enc: without it Meson's run writes no stream
# and the guest test makes them itself (and fails loudly if it cannot).
if [ -n "$stamp" ] && ! gst-inspect-1.0 x264enc >/dev/null 2>&1; then
  echo "h264-pool-streams.sh: no x264enc here (gstreamer1.0-plugins-ugly): no streams" >&2
  touch "$stamp"
  exit 0
fi

# encode NAME WIDTHxHEIGHT FRAMES X264ENC-OPTIONS; one IDR, at the start.
encode() {
  w=${2%x*}
  h=${2#*x}
  gst-launch-1.0 -q videotestsrc num-buffers="$3" pattern=ball \
    ! "video/x-raw,format=I420,width=$w,height=$h,framerate=30/1" \
    ! x264enc speed-preset=ultrafast key-int-max=1000 $4 \
    ! video/x-h264,profile=high ! h264parse \
    ! video/x-h264,stream-format=byte-stream,alignment=au \
    ! filesink location="$dir/$1.h264"
}

encode dpb-change-0 320x240 "$dpb_frames" "bframes=0 ref=1"
encode dpb-change-1 320x240 "$dpb_frames" "bframes=0 ref=4"
cp "$dir/dpb-change-0.h264" "$dir/dpb-change-2.h264"
cat "$dir/dpb-change-0.h264" "$dir/dpb-change-1.h264" "$dir/dpb-change-2.h264" \
  >"$dir/dpb-change.h264"

encode dpb-reorder-change-1 320x240 "$dpb_frames" "bframes=2 b-pyramid=false ref=4"
cat "$dir/dpb-change-0.h264" "$dir/dpb-reorder-change-1.h264" \
  "$dir/dpb-change-2.h264" >"$dir/dpb-reorder-change.h264"

encode resize-0 1280x720 "$resize_frames" "bframes=0 ref=1"
encode resize-1 320x240 "$resize_frames" "bframes=0 ref=1"
cp "$dir/resize-0.h264" "$dir/resize-2.h264"
cat "$dir/resize-0.h264" "$dir/resize-1.h264" "$dir/resize-2.h264" \
  >"$dir/resize.h264"

encode latency-b 320x240 24 "bframes=3 b-pyramid=true ref=4"
encode latency-nob 320x240 24 "bframes=0 ref=2"
[ -z "$stamp" ] || touch "$stamp"
