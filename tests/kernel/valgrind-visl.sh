#!/bin/sh
# gst-v4l2-elastic: one decode per codec under valgrind's memcheck, in the
# guest (issue #16).
#
#   valgrind-visl.sh BUILD_DIR
#
# One gst-launch-1.0 process decodes one stream of every codec side by side
# (FWHT on vicodec; H.264, VP8, VP9, MPEG-2 on visl; each branch its own
# decoder, device context and pool), so that GStreamer's start-up is paid
# once under valgrind; the smallest stream of each corpus, since memcheck
# multiplies the user-space cost of every frame.  memcheck must report no invalid access, no use of
# an uninitialised value and no definitely lost block; the suppressions
# (tests/sanitize/valgrind.supp) cover one-time allocations of GLib and
# GStreamer only, none of ours.
#
# Emits TAP.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

set -u
build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
work=/tmp/valgrind-visl
rm -rf "$work"
mkdir -p "$work"
. "$src/tests/kernel/tap-lib.sh"

echo "TAP version 13"
if ! command -v valgrind >/dev/null; then
  not_ok "valgrind is installed (tools/setup-host installs it)"
  echo "1..$n"
  exit 1
fi

export GST_PLUGIN_PATH_1_0=$build/ext/v4l2elastic
export GST_REGISTRY_1_0=$work/registry.bin
# GLib < 2.76 keeps small blocks in GSlice magazines unless told otherwise;
# gc-friendly clears pointers on free so that leaks are not hidden.
export G_SLICE=always-malloc G_DEBUG=gc-friendly
# The registry is built outside valgrind (the plugin scanner is a child
# process and would be traced too).
gst-inspect-1.0 v4l2elastic >/dev/null 2>&1

fwht=$build/tests/kernel/fwht-corpus/single.fwht
h264=$build/tests/h264-streams/cqm.h264
vp8=$build/tests/kernel/vpx-visl-streams/vp8-resilient.ivf
vp9=$build/tests/kernel/vpx-visl-streams/vp9-resilient.ivf
mpeg2=$build/tests/kernel/mpeg2-streams/matrices.m2v

t0=$(date +%s)
timeout 900 valgrind --tool=memcheck --leak-check=full \
  --errors-for-leak-kinds=definite --show-leak-kinds=definite \
  --error-exitcode=99 --num-callers=30 \
  --suppressions="$src/tests/sanitize/valgrind.supp" \
  --log-file="$work/memcheck.log" \
  gst-launch-1.0 -q \
  filesrc location="$fwht" ! video/x-fwht ! v4l2elasticfwhtdec \
  ! fakesink signal-handoffs=false name=fwht \
  filesrc location="$h264" ! h264parse ! v4l2elastich264dec ! fakesink name=h264 \
  filesrc location="$vp8" ! ivfparse ! v4l2elasticvp8dec ! fakesink name=vp8 \
  filesrc location="$vp9" ! ivfparse ! vp9parse ! v4l2elasticvp9dec ! fakesink name=vp9 \
  filesrc location="$mpeg2" ! mpegvideoparse ! v4l2elasticmpeg2dec ! fakesink name=mpeg2 \
  >"$work/launch.log" 2>&1
rc=$?
echo "# valgrind run took $(($(date +%s) - t0)) s, exit $rc"
summary=$(grep "ERROR SUMMARY" "$work/memcheck.log" | tail -n1)
if [ "$rc" -eq 0 ]; then
  ok "FWHT, H.264, VP8, VP9 and MPEG-2 decoded to EOS in one process under memcheck, no error and nothing definitely lost (${summary#*== })"
else
  not_ok "FWHT, H.264, VP8, VP9 and MPEG-2 decoded to EOS in one process under memcheck, no error and nothing definitely lost (exit $rc: ${summary#*== })"
  tail -n 5 "$work/launch.log" | sed 's/^/#   /'
  # The first errors and lost blocks, with their stacks.
  grep -A 24 "Invalid \|uninitialised\|definitely lost in" "$work/memcheck.log" |
    head -n 120 | sed 's/^/#   /'
fi
echo "1..$n"
exit "$failed"
