#!/bin/sh
# gst-v4l2-elastic: the H.264 part of tools/demo, run inside the guest.
# Decodes an H.264 byte stream with v4l2elastich264dec on visl, prints the
# stream's sequences, the pool timeline (the element's messages and the
# kernel's own log of the CAPTURE buffer ioctls), and a frame count and
# order verdict against avdec_h264 (visl draws a test pattern, so pixels
# are not compared).
#
#   demo-h264-guest.sh BUILD_DIR FILE.h264
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -eu
build=$1
file=$2
d=/tmp/demo-h264
mkdir -p "$d"
export GST_PLUGIN_PATH_1_0="$build/ext/v4l2elastic"
run=$build/tests/kernel/v4l2elastic-h264-pool-run

"$run" --label ours "$file" >"$d/ours.out" 2>"$d/ours.err" || {
  cat "$d/ours.err"
  exit 1
}
"$run" --label avdec --decoder avdec_h264 --device-name none "$file" \
  >"$d/avdec.out" 2>"$d/avdec.err" || {
  cat "$d/avdec.err"
  exit 1
}
v() { awk -F, -v k="$2" '$1 == "summary" && $3 == k { print $4 }' "$1"; }

echo "== v4l2elastich264dec on visl: $file =="
echo "sequences (SPS as the stream announces them):"
awk -F, '$1 == "sps" { printf "  %2d: %dx%d, %d reference frames, DPB %d, reorder %d, %d pictures\n", $2, $3, $4, $5, $6, $7, $8 }' "$d/ours.out"
echo "pool timeline (after N frames out: element message / kernel ioctl on CAPTURE):"
awk -F, '
  $1 == "event" { printf "  %4d  element  %-10s %2d buffers %9d bytes (target %d) at %dx%d\n", $3, $5, $6, $7, $8, $9, $10 }
  $1 == "ioctl" { printf "  %4d  kernel   %-11s %s\n", $3, $5, $6 }' "$d/ours.out"
echo "kernel CAPTURE buffers: peak $(v "$d/ours.out" kernel_peak_buffers) ($(v "$d/ours.out" kernel_peak_bytes) bytes), at EOS $(v "$d/ours.out" kernel_buffers_at_eos) ($(v "$d/ours.out" kernel_bytes_at_eos) bytes); STREAMOFF on CAPTURE: $(v "$d/ours.out" kernel_streamoff)"
err=$(v "$d/ours.out" error)
[ -z "$err" ] || echo "error: $err"

awk -F, '$1 == "frame" { print $11 }' "$d/ours.out" >"$d/ours.pts"
awk -F, '$1 == "frame" { print $11 }' "$d/avdec.out" >"$d/avdec.pts"
ours=$(wc -l <"$d/ours.pts")
ref=$(wc -l <"$d/avdec.pts")
if [ "$(v "$d/ours.out" eos)" = 1 ] && [ "$ours" -gt 0 ] && cmp -s "$d/ours.pts" "$d/avdec.pts"; then
  echo "verdict: $ours frames, the same count and PTS order as avdec_h264"
else
  echo "verdict: DIFFERENT from avdec_h264 (ours $ours frames, avdec_h264 $ref)"
  diff "$d/avdec.pts" "$d/ours.pts" | head -10
  exit 1
fi
