#!/bin/sh
# gst-v4l2-elastic: the VP8 and VP9 streams of tests/kernel/vpx-trace-compare.sh,
# encoded with ffmpeg's libvpx encoders (IVF).  Run on the host at build
# time (tests/kernel/meson.build), where encoding takes seconds instead of
# minutes in the TCG guest; the guest reads them from the build tree.
#
#   vpx-streams.sh OUT_DIR [STAMP]
#
# Per codec:
#   CODEC-mix.ivf     one size (176x144), segments concatenated: a two-pass
#                     long GOP (60 frames, one key frame) with hidden
#                     alt-ref frames, error-resilient realtime, (VP9)
#                     cyclic-refresh adaptive quantisation (segmentation),
#                     fixed quantizers 4 and 60;
#   CODEC-resize.ivf  key frame size changes 176x144 -> 320x240 -> 321x241
#                     -> 176x144;
#   vp9-profile2.ivf  10-bit 4:2:0 (profile 2).
# STAMP is touched when everything was written.
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -eu
out=$1
stamp=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
seg=$out/segments
rm -rf "$out"
mkdir -p "$seg"

# enc NAME CODEC FRAMES PASSES FFMPEG-OUTPUT-OPTIONS...
enc() {
  name=$1 codec=$2 frames=$3 passes=$4
  shift 4
  case $codec in
    vp8) lib=libvpx ;;
    vp9) lib=libvpx-vp9 ;;
  esac
  set -- -nostdin -v error -y -f lavfi -i testsrc2=size=320x240:rate=30 \
    -frames:v "$frames" -pix_fmt yuv420p -threads 1 -c:v "$lib" "$@"
  if [ "$passes" = 2 ]; then
    ffmpeg "$@" -pass 1 -passlogfile "$seg/$name" -f null -
    ffmpeg "$@" -pass 2 -passlogfile "$seg/$name" "$seg/$name.ivf"
  else
    ffmpeg "$@" "$seg/$name.ivf"
  fi
}

# Option lists, split into words on purpose where they are used.
small="-vf scale=176:144"
rt="-deadline realtime -cpu-used 8"
for c in vp8 vp9; do
  lag=16
  [ $c = vp9 ] && lag=25
  enc $c-altref $c 60 2 $small -auto-alt-ref 1 -lag-in-frames $lag \
    -arnr-maxframes 7 -deadline good -cpu-used 4 -b:v 200k -g 999
  enc $c-resilient $c 12 1 $small -error-resilient 1 $rt -b:v 150k
  enc $c-q4 $c 6 1 $small -qmin 4 -qmax 4 -crf 4 -b:v 2M $rt
  enc $c-q60 $c 6 1 $small -qmin 60 -qmax 60 -crf 60 -b:v 2M $rt
  enc $c-a $c 6 1 $small $rt -b:v 150k
  enc $c-b $c 6 1 $rt -b:v 300k
  enc $c-odd $c 6 1 -vf scale=321:241 $rt -b:v 300k
done
enc vp9-aq vp9 12 1 $small -aq-mode 3 $rt -b:v 150k

python3 "$here/ivf-concat.py" "$out/vp8-mix.ivf" "$seg/vp8-altref.ivf" \
  "$seg/vp8-resilient.ivf" "$seg/vp8-q4.ivf" "$seg/vp8-q60.ivf"
python3 "$here/ivf-concat.py" "$out/vp9-mix.ivf" "$seg/vp9-altref.ivf" \
  "$seg/vp9-resilient.ivf" "$seg/vp9-aq.ivf" "$seg/vp9-q4.ivf" "$seg/vp9-q60.ivf"
for c in vp8 vp9; do
  python3 "$here/ivf-concat.py" "$out/$c-resize.ivf" "$seg/$c-a.ivf" \
    "$seg/$c-b.ivf" "$seg/$c-odd.ivf" "$seg/$c-a.ivf"
done
ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=size=176x144:rate=30 \
  -frames:v 4 -pix_fmt yuv420p10le -threads 1 -c:v libvpx-vp9 $rt \
  "$out/vp9-profile2.ivf"
rm -rf "$seg"
[ -z "$stamp" ] || touch "$stamp"
