#!/bin/sh
# gst-v4l2-elastic: the files of tests/kernel/players-visl.py, muxed as
# players find them: H.264 in MP4 (stream-format avc, B-frames), H.265 in
# Matroska (hvc1, B-frames, x265's WPP), VP9 in Matroska, VP8 in WebM, a raw H.264 byte stream, and MPEG-2 (B pictures,
# open GOPs: ffmpeg's mpeg2video) in an MPEG transport stream as broadcast
# sends it.  Every file has
# FRAMES frames of 320x240 at 30/1 with a key frame every 15 frames;
# FRAMES is written to OUT/frames.
#
#   player-streams.sh OUT FRAMES [STAMP]
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -eu
out=$1
frames=$2
stamp=${3:-}
mkdir -p "$out"
src="videotestsrc num-buffers=$frames pattern=ball ! video/x-raw,format=I420,width=320,height=240,framerate=30/1"

gst-launch-1.0 -q $src ! x264enc bframes=2 key-int-max=15 speed-preset=ultrafast \
  ! h264parse ! mp4mux ! filesink location="$out/h264.mp4"
gst-launch-1.0 -q $src ! x264enc bframes=2 key-int-max=15 speed-preset=ultrafast \
  ! h264parse ! video/x-h264,stream-format=byte-stream,alignment=au \
  ! filesink location="$out/h264.h264"
# A second size for renegotiation (tests/kernel/harness.c): 10 frames.
gst-launch-1.0 -q videotestsrc num-buffers=10 pattern=ball \
  ! video/x-raw,format=I420,width=176,height=144,framerate=30/1 \
  ! x264enc bframes=2 key-int-max=15 speed-preset=ultrafast \
  ! h264parse ! video/x-h264,stream-format=byte-stream,alignment=au \
  ! filesink location="$out/h264-176.h264"
gst-launch-1.0 -q $src ! x265enc speed-preset=ultrafast key-int-max=15 \
  option-string=bframes=2 ! h265parse ! matroskamux \
  ! filesink location="$out/h265.mkv"
# H.265 byte streams for the mutants (tests/kernel/mutate-visl.py): the
# clip, and 10 frames of a second size to splice into.
gst-launch-1.0 -q $src ! x265enc speed-preset=ultrafast key-int-max=15 \
  option-string=bframes=2 ! h265parse \
  ! video/x-h265,stream-format=byte-stream,alignment=au \
  ! filesink location="$out/h265.h265"
gst-launch-1.0 -q videotestsrc num-buffers=10 pattern=ball \
  ! video/x-raw,format=I420,width=176,height=144,framerate=30/1 \
  ! x265enc speed-preset=ultrafast key-int-max=15 option-string=bframes=2 \
  ! h265parse ! video/x-h265,stream-format=byte-stream,alignment=au \
  ! filesink location="$out/h265-176.h265"
gst-launch-1.0 -q $src ! vp9enc keyframe-max-dist=15 deadline=1 \
  ! matroskamux ! filesink location="$out/vp9.mkv"
gst-launch-1.0 -q $src ! vp8enc keyframe-max-dist=15 deadline=1 \
  ! webmmux ! filesink location="$out/vp8.webm"
command -v ffmpeg >/dev/null || {
  echo "player-streams: ffmpeg is needed for the MPEG-2 files (tools/setup-host installs it)" >&2
  exit 1
}
mpeg2() {
  ffmpeg -nostdin -v error -y -f lavfi -i "testsrc2=size=$1:rate=30" \
    -frames:v "$2" -c:v mpeg2video -bf 2 -g 15 -b:v 1M -f "$3" "$out/$4"
}
mpeg2 320x240 "$frames" mpegts mpeg2.ts
# A second size for the spliced mutants (tests/kernel/mutate-visl.py).
mpeg2 176x144 10 mpegts mpeg2-176.ts
echo "$frames" >"$out/frames"
for f in h264.mp4 h264.h264 h264-176.h264 h265.mkv h265.h265 h265-176.h265 vp9.mkv vp8.webm mpeg2.ts mpeg2-176.ts; do
  [ -s "$out/$f" ] || { echo "player-streams: $f not made" >&2; exit 1; }
done
[ -z "$stamp" ] || touch "$stamp"
