#!/bin/sh
# gst-v4l2-elastic: the WebM files with alpha of tests/kernel/alpha-visl.py,
# encoded on the host by ffmpeg's libvpx encoders from yuva420p (the alpha
# plane goes to each block's BlockAdditional, as browsers write it).  The
# alpha channel is a moving gradient, different from the colour picture.
#
#   alpha-streams.sh OUT [STAMP]
#
# OUT/<codec>-alpha.webm: 320x240, 45 frames, a key frame every 15;
# OUT/<codec>-alpha-176.webm: 176x144, 15 frames (the second size of a
# size change, and an alpha plane of the wrong size).
#
# The key frames are forced: ffmpeg passes a forced key frame to both of
# libvpx's encoders (colour and alpha), while libvpx's own placement may
# put the alpha stream's key frames elsewhere; a seek then lands on an alpha
# delta frame, which every alpha bin (GStreamer's software one too) waits
# on forever.
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -eu
out=$1
stamp=${2:-}
mkdir -p "$out"

# encode FILE CODEC SIZE FRAMES
encode() {
  ffmpeg -nostdin -v error -y -f lavfi \
    -i "testsrc2=size=$3:rate=30,format=yuva420p,geq=lum='lum(X,Y)':cb='cb(X,Y)':cr='cr(X,Y)':a='mod(X+4*N,W)*255/W'" \
    -frames:v "$4" -c:v "$2" -pix_fmt yuva420p -g 15 -keyint_min 15 -force_key_frames "expr:eq(mod(n,15),0)" -b:v 400k \
    -auto-alt-ref 0 "$out/$1"
  [ -s "$out/$1" ] || { echo "alpha-streams: $1 not made" >&2; exit 1; }
}
encode vp8-alpha.webm libvpx 320x240 45
encode vp8-alpha-176.webm libvpx 176x144 15
encode vp9-alpha.webm libvpx-vp9 320x240 45
encode vp9-alpha-176.webm libvpx-vp9 176x144 15
[ -z "$stamp" ] || touch "$stamp"
