#!/bin/sh
# gst-v4l2-elastic: the FWHT part of tools/demo, run inside the guest.
# Generates a clip with two resolution changes with vicodec's stateful
# encoder, decodes it with v4l2elasticfwhtdec (gst-launch-1.0), prints the
# pool timeline from the element's bus messages and a per-frame MD5 verdict
# against vicodec's stateful decoder.
#
#   demo-fwht-guest.sh BUILD_DIR
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -eu
build=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
d=/tmp/demo
sh "$src/tests/media/fwht-streams.sh" "$d" clip 10 1280x720,640x480,1280x720
export GST_PLUGIN_PATH_1_0="$build/ext/v4l2elastic"

echo "== v4l2elasticfwhtdec: 1280x720 -> 640x480 -> 1280x720, 10 frames each =="
gst-launch-1.0 -m filesrc location="$d/clip.fwht" ! video/x-fwht \
  ! v4l2elasticfwhtdec name=dec ! video/x-raw,format=I420 \
  ! filesink location="$d/ours.yuv" >"$d/launch.log" 2>&1 || {
  cat "$d/launch.log"
  exit 1
}
echo "pool timeline (bus messages of the element):"
sed -n 's/.*v4l2elastic-pool, event=(string)\([a-z]*\), buffers=(uint)\([0-9]*\), bytes=(guint64)\([0-9]*\), target=(uint)\([0-9]*\), width=(uint)\([0-9]*\), height=(uint)\([0-9]*\).*/  \1 \2 \3 \4 \5 \6/p' \
  "$d/launch.log" |
  awk '{ printf "  %-10s %2d buffers %9d bytes (target %d) at %dx%d\n", $1, $2, $3, $4, $5, $6 }'

echo "per-frame MD5 against vicodec's stateful decoder:"
i=0 off=0 bad=0
while read -r w h; do
  size=$((w * h * 3 / 2))
  ref=$(dd if="$d/clip.yuv" iflag=skip_bytes,count_bytes skip=$off \
        count=$size 2>/dev/null | md5sum | cut -c1-32)
  got=$(dd if="$d/ours.yuv" iflag=skip_bytes,count_bytes skip=$off \
        count=$size 2>/dev/null | md5sum | cut -c1-32)
  if [ "$ref" = "$got" ]; then verdict=same; else verdict=DIFFERENT; bad=$((bad + 1)); fi
  printf '  frame %2d %4dx%-4d %s %s\n' "$i" "$w" "$h" "$got" "$verdict"
  i=$((i + 1)) off=$((off + size))
done <"$d/clip.sizes"
[ "$(stat -c %s "$d/ours.yuv")" = "$off" ] || { echo "  decoded size differs from the reference"; bad=$((bad + 1)); }
echo "$i frames, $bad different"
[ "$bad" = 0 ]
