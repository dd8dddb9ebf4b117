#!/bin/sh
# gst-v4l2-elastic: the H.264 test corpus, made with x264enc (and, for
# what no encoder here makes, by h264-bitstream.py).
#
#   h264-streams.sh OUT_DIR
#
# Meson makes it on the host before a guest boot (the target h264-streams,
# a dependency of the kernel tests): x264 under TCG costs minutes.
# tests/kernel/h264-visl.sh runs it in the guest when that directory is
# missing.  Exits 1 if any stream could not be made.
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -u
work=$1
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work"
mkdir -p "$work"

# encode NAME WIDTHxHEIGHT FRAMES PROFILE X264ENC-OPTIONS [RAW-CAPS]: one
# segment.  ultrafast turns CABAC, B-frames and the 8x8 transform off
# unless the options ask for them; x264enc takes interlacing from the raw
# caps (RAW-CAPS ",interlace-mode=interleaved"), not from its property.
encode() {
  w=${2%x*}
  h=${2#*x}
  gst-launch-1.0 -q videotestsrc num-buffers="$3" pattern=ball \
    ! "video/x-raw,format=I420,width=$w,height=$h,framerate=30/1${6:-}" \
    ! x264enc speed-preset=ultrafast key-int-max=12 $5 \
    ! "video/x-h264,profile=$4" ! h264parse \
    ! video/x-h264,stream-format=byte-stream,alignment=au \
    ! filesink location="$work/$1.h264" >"$work/$1.enc.log" 2>&1
}

bitstream() { python3 "$here/../kernel/h264-bitstream.py" "$@"; }

gen_ok=yes
encode baseline 320x240 24 constrained-baseline "bframes=0 cabac=false ref=1" || gen_ok=no
encode main-b2 320x240 30 main "bframes=2 b-pyramid=false ref=3" || gen_ok=no
encode high-pyramid 320x240 30 high "bframes=3 b-pyramid=true ref=4" || gen_ok=no
encode high-refs 320x240 30 high "bframes=2 b-pyramid=false ref=6 weightb=true" || gen_ok=no
encode high-nob 320x240 24 high "bframes=0 ref=5" || gen_ok=no
# A resolution change (with a different DPB size too) and back.
encode seg-a 320x240 16 main "bframes=2 ref=2" || gen_ok=no
encode seg-b 640x480 16 main "bframes=2 ref=2" || gen_ok=no
cat "$work/seg-a.h264" "$work/seg-b.h264" "$work/seg-a.h264" >"$work/resize.h264"
# Same size, other DPB and reorder depth.
encode seg-c 320x240 16 high "bframes=0 ref=1" || gen_ok=no
encode seg-d 320x240 16 high "bframes=3 b-pyramid=true ref=5" || gen_ok=no
cat "$work/seg-c.h264" "$work/seg-d.h264" "$work/seg-c.h264" >"$work/dpb-change.h264"
# Every picture an IDR.
encode idr-only 320x240 12 high "cabac=true key-int-max=1" || gen_ok=no
# 16 references at level 2.2, where 320x240 gives a DPB of 16 frames
# (MaxDpbMbs 8100 / 300 MBs), one IDR: the DPB is full from frame 17 on.
encode refs16 320x240 20 high "cabac=true bframes=0 ref=16 key-int-max=250" || gen_ok=no
# Weighted prediction of P slices, 4 slices per picture, B-frames.
encode weightp-slices 320x240 16 high \
  "cabac=true bframes=2 ref=3 option-string=weightp=2:slices=4" || gen_ok=no
# One IDR, then a long run of P and B-pyramid pictures.
encode long-gop 320x240 40 high "cabac=true bframes=3 b-pyramid=true ref=3 key-int-max=250" || gen_ok=no
# 8x8 transform and the JVT scaling matrices (scaling matrix control).
encode cqm 320x240 12 high "cabac=true bframes=2 dct8x8=true option-string=cqm=jvt" || gen_ok=no
# MBAFF: interlaced input, frame pictures with field/frame macroblock pairs.
encode mbaff 320x240 16 high "cabac=true bframes=2 ref=2" ",interlace-mode=interleaved" || gen_ok=no
# frame_mbs_only_flag 0 without MBAFF, coded as frame pictures (x264's
# fake-interlaced): 320x256 coded, cropped in units of 4 lines.
encode frame-mbs0 320x240 12 high "bframes=0 option-string=fake-interlaced=1" || gen_ok=no
# Cropping: 320x180 (coded 320x192), and left/top/right/bottom crops that
# are not macroblock multiples (the left crop is 64 because avdec_h264
# drops a left crop that would misalign its planes).
encode crop-180 320x180 12 main "cabac=true bframes=2" || gen_ok=no
encode crop-odd 320x240 12 high "option-string=crop-rect=64,4,14,10" || gen_ok=no
# SPS/PPS repeated at every IDR; then a CAVLC segment whose SPS and PPS
# have other ids (1 and 3), and the first segment again (ids 0 and 0).
encode headers-a 320x240 10 high "cabac=true bframes=2 key-int-max=5 option-string=repeat-headers=1" || gen_ok=no
encode headers-b 320x240 10 high "cabac=false bframes=1 ref=2" || gen_ok=no
bitstream renumber "$work/headers-b.h264" "$work/headers-b13.h264" 1 3 || gen_ok=no
cat "$work/headers-a.h264" "$work/headers-b13.h264" "$work/headers-a.h264" >"$work/headers.h264"
# Field pictures (PAFF): no encoder here makes them; written by hand.
bitstream paff "$work/paff.h264" || gen_ok=no
# crop-odd without its cropping: the whole coded pictures, for the pixels.
bitstream uncrop "$work/crop-odd.h264" "$work/crop-full.h264" || gen_ok=no
rm -f "$work"/seg-?.h264 "$work"/headers-?.h264 "$work"/headers-b13.h264
# What each stream has, for the coverage checks of h264-visl.sh, and
# avdec_h264's frames (PTS order) and output sizes, its reference.
. "$here/../kernel/h264-decode.sh"
for f in "$work"/*.h264; do
  name=$(basename "$f" .h264)
  bitstream info "$f" >"$work/$name.info" || gen_ok=no
  [ "$name" = paff ] || decode "$name" avdec_h264 "$work/$name.ref" || gen_ok=no
done
if [ "$gen_ok" != yes ]; then
  cat "$work"/*.enc.log | head -20 >&2
  exit 1
fi
