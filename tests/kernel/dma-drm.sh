#!/bin/sh
# gst-v4l2-elastic: DMA_DRM caps with GStreamer >= 1.24 (run in the Debian
# 13 root by guest-suite-trixie.sh).  A downstream that asks for
# video/x-raw(memory:DMABuf), format=DMA_DRM gets our buffers with the
# drm-format of the driver's layout, every frame; one that asks for system
# memory, or takes anything (fakesink alone), gets video/x-raw as before.
#
#   dma-drm.sh BUILD_DIR FWHT_STREAM H264_STREAM H264_FRAMES
#
# An empty stream argument skips that codec (its driver is not there).
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -u
build=$1
fwht=$2
h264=$3
h264_frames=$4
export GST_PLUGIN_PATH_1_0="$build/ext/v4l2elastic"
n=0
failed=0
tap() {
  n=$((n + 1))
  if [ "$1" = 0 ]; then echo "ok $n - $2"; else failed=1; echo "not ok $n - $2"; fi
}

# decode NAME SOURCE DOWNSTREAM_CAPS: the decoder's src caps and the
# frames fakesink received.
decode() {
  out=$(gst-launch-1.0 -v $2 ${3:+! "$3"} ! fakesink silent=false 2>&1)
  rc=$?
  caps=$(echo "$out" | sed -n 's/.*GstV4l2Elastic[A-Za-z0-9]*Dec:[a-z0-9]*\.GstPad:src: caps = //p' | tail -1)
  frames=$(echo "$out" | grep -c 'chain   \*\*\*')
  echo "# $1: exit $rc, $frames frames, caps $(echo "$caps" | cut -c1-120)"
}

echo "TAP version 13"
if [ -n "$fwht" ]; then
  src="filesrc location=$fwht ! video/x-fwht ! v4l2elasticfwhtdec"
  decode "fwht dma-drm" "$src" "video/x-raw(memory:DMABuf),format=DMA_DRM"
  case "$caps" in *"(memory:DMABuf), format=(string)DMA_DRM"*"drm-format=(string)YU12"*) c=0 ;; *) c=1 ;; esac
  [ "$rc" = 0 ] && [ "$frames" = 12 ] && [ "$c" = 0 ]
  tap $? "vicodec FWHT: a DMA_DRM downstream negotiates drm-format YU12 and gets all 12 frames (exit $rc, $frames frames)"
  decode "fwht system" "$src" "video/x-raw"
  case "$caps" in "video/x-raw, format=(string)I420"*) c=0 ;; *) c=1 ;; esac
  [ "$rc" = 0 ] && [ "$frames" = 12 ] && [ "$c" = 0 ]
  tap $? "vicodec FWHT: a system-memory downstream gets video/x-raw I420, all 12 frames (exit $rc, $frames frames)"
  decode "fwht any" "$src" ""
  case "$caps" in "video/x-raw, format=(string)I420"*) c=0 ;; *) c=1 ;; esac
  [ "$rc" = 0 ] && [ "$frames" = 12 ] && [ "$c" = 0 ]
  tap $? "vicodec FWHT: a downstream that takes anything keeps system-memory caps (exit $rc, $frames frames)"
fi
if [ -n "$h264" ]; then
  src="filesrc location=$h264 ! h264parse ! v4l2elastich264dec"
  decode "h264 dma-drm" "$src" "video/x-raw(memory:DMABuf),format=DMA_DRM"
  case "$caps" in *"(memory:DMABuf), format=(string)DMA_DRM"*"drm-format=(string)NV12"*) c=0 ;; *) c=1 ;; esac
  [ "$rc" = 0 ] && [ "$frames" = "$h264_frames" ] && [ "$c" = 0 ]
  tap $? "visl H.264: a DMA_DRM downstream negotiates drm-format NV12 and gets all $h264_frames frames (exit $rc, $frames frames)"
fi
echo "1..$n"
exit "$failed"
