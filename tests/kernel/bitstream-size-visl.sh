#!/bin/sh
# gst-v4l2-elastic: bitstream (OUTPUT) buffers follow the stream (issue
# #10): v4l2elastich264dec through visl, run in the QEMU guest on 6.12.
#
#   bitstream-size-visl.sh BUILD_DIR [WORK_DIR]
#
# Streams from tests/media/bitstream-size-streams.sh (made on the host when
# building; here when the build has none):
# - switch: 320x240, then a new SPS at an IDR switches to 1920x1080, whose
#   first access unit (1.9 MB) is larger than the bitstream buffers the
#   320x240 sequence was given (1 MiB);
# - spike: 1280x720 at a low bitrate with one noise IDR in the middle
#   (1.5 MB), larger than a raw frame of the sequence (1382400 bytes).
# Asserted, per stream: the stream has such an access unit (else nothing
# is tested); our element outputs as many frames as avdec_h264; the
# pipeline posts no error and no warning (a frame dropped as "too large
# for the decoder" is a warning).  An element that sizes its bitstream
# buffers once per sequence from the frame size, and keeps them across an
# elastic size change, drops those access units.  Emits TAP.
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -u
build=$1
work=${2:-/tmp/bitstream-size}
kernel=$(uname -r)
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $kernel visl h264 bitstream size: $*"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $kernel visl h264 bitstream size: $*"; }

export GST_PLUGIN_PATH_1_0="$build/ext/v4l2elastic"
echo "TAP version 13"
streams=$build/tests/kernel/bitstream-size-streams
if [ ! -f "$streams/spike.frames" ]; then
  streams=$work
  rm -rf "$work"
  t0=$(date +%s)
  if sh "$(dirname "$0")/../media/bitstream-size-streams.sh" "$work" >"$work.log" 2>&1; then
    ok "streams made in the guest ($(($(date +%s) - t0)) s)"
  else
    not_ok "streams made in the guest"
    tail -5 "$work.log" | sed 's/^/# /'
  fi
fi
mkdir -p "$work"

# NAME:BYTES: the size the stream's largest access unit must exceed.
for s in switch:1048576 spike:1382400; do
  name=${s%:*} bound=${s#*:}
  file=$streams/$name.h264
  largest=$(cat "$streams/$name.largest" 2>/dev/null || echo 0)
  want=$(cat "$streams/$name.frames" 2>/dev/null || echo 0)
  if [ "$largest" -gt "$bound" ]; then
    ok "$name: its largest access unit ($largest bytes) exceeds $bound bytes"
  else
    not_ok "$name: its largest access unit ($largest bytes) exceeds $bound bytes"
  fi
  t0=$(date +%s)
  GST_DEBUG='videodecoder:2,v4l2elastic*:2' GST_DEBUG_NO_COLOR=1 gst-launch-1.0 -v filesrc location="$file" ! h264parse ! v4l2elastich264dec \
    ! fakesink silent=false sync=false >"$work/$name.log" 2>&1
  rc=$?
  echo "# $name decode took $(($(date +%s) - t0)) s"
  got=$(grep -c 'last-message = chain' "$work/$name.log")
  msgs=$(grep -E '^(ERROR|WARNING)|^Additional debug info' -A1 "$work/$name.log" | head -8)
  if [ "$want" -gt 0 ] && [ "$got" = "$want" ] && [ "$rc" = 0 ] && [ -z "$msgs" ]; then
    ok "$name: all $got frames decoded (avdec_h264: $want), no error or warning"
  else
    not_ok "$name: $got frames decoded (avdec_h264: $want), exit status $rc, no error or warning"
    [ -z "$msgs" ] || echo "$msgs" | sed 's/^/# /'
    # What the decoder logged about the frames it did not output.
    grep -E ' (WARN|ERROR) ' "$work/$name.log" | sed 's/^.*\(WARN\|ERROR\) *//' | head -5 | sed 's/^/# /'
  fi
done
echo "1..$n"
exit "$failed"
