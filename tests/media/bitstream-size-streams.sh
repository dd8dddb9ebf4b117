#!/bin/sh
# gst-v4l2-elastic: H.264 streams whose access units outgrow the bitstream
# (OUTPUT) buffers sized for the stream's first sequence (issue #10),
# encoded with x264enc as segments concatenated at IDRs, with
# avdec_h264's frame count for each.
#
#   bitstream-size-streams.sh DIR [STAMP]
#
# Meson runs it on the host when building (tests/kernel/meson.build): x264
# at 1080p is slow in the TCG guest.  STAMP is touched when every stream
# is written.
#
# DIR/switch.h264  320x240 (4 frames) -> 1920x1080 at an IDR with a new
#                  SPS: first a noise IDR at quantizer 20 (about 1.9 MB,
#                  more than the 1 MiB the 320x240 sequence's bitstream
#                  buffers hold, less than a raw 1080p frame), then a
#                  frame of a ball (few frames: 1080p is slow in visl
#                  under TCG)
# DIR/spike.h264   1280x720, 3 frames of a moving ball, one noise IDR at
#                  quantizer 1 (about 1.5 MB: larger than a raw 1280x720
#                  frame, 1382400 bytes, the size the sequence gives its
#                  bitstream buffers), the 3 frames of the ball again
# DIR/NAME.frames  frames avdec_h264 outputs
# DIR/NAME.largest bytes of the largest access unit (the noise IDR's
#                  segment)
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -eu
dir=$1
stamp=${2:-}
mkdir -p "$dir"
if [ -n "$stamp" ] && ! gst-inspect-1.0 x264enc >/dev/null 2>&1; then
  echo "bitstream-size-streams.sh: no x264enc here: no streams" >&2
  touch "$stamp"
  exit 0
fi

# encode NAME WIDTHxHEIGHT FRAMES PATTERN X264ENC-OPTIONS; one IDR, first.
encode() {
  w=${2%x*}
  h=${2#*x}
  gst-launch-1.0 -q videotestsrc num-buffers="$3" pattern="$4" \
    ! "video/x-raw,format=I420,width=$w,height=$h,framerate=30/1" \
    ! x264enc speed-preset=ultrafast key-int-max=1000 bframes=0 $5 \
    ! video/x-h264,profile=high ! h264parse \
    ! video/x-h264,stream-format=byte-stream,alignment=au \
    ! filesink location="$dir/$1.h264"
}

# frames FILE: avdec_h264's output frame count.
frames() {
  gst-launch-1.0 -v filesrc location="$1" ! h264parse ! avdec_h264 \
    ! fakesink silent=false sync=false 2>&1 | grep -c 'chain '
}

encode switch-0 320x240 4 ball ""
encode switch-1 1920x1080 1 snow "pass=quant quantizer=20"
encode switch-2 1920x1080 1 ball ""
cat "$dir/switch-0.h264" "$dir/switch-1.h264" "$dir/switch-2.h264" >"$dir/switch.h264"
stat -c %s "$dir/switch-1.h264" >"$dir/switch.largest"

encode spike-0 1280x720 3 ball ""
encode spike-1 1280x720 1 snow "pass=quant quantizer=1"
cat "$dir/spike-0.h264" "$dir/spike-1.h264" "$dir/spike-0.h264" >"$dir/spike.h264"
stat -c %s "$dir/spike-1.h264" >"$dir/spike.largest"

for s in switch spike; do
  frames "$dir/$s.h264" >"$dir/$s.frames"
done
rm -f "$dir"/switch-?.h264 "$dir"/spike-?.h264
[ -z "$stamp" ] || touch "$stamp"
