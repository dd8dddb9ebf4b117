#!/bin/sh
# gst-v4l2-elastic: v4l2elasticvp8dec and v4l2elasticvp9dec through visl.
#
#   vpx-visl.sh BUILD_DIR [WORK_DIR]
#
# Takes the VP8 and VP9 streams of tests/media/vpx-visl-streams.sh (made
# on the host by the Meson target vpx-visl-streams; here when the build
# has none): alt-ref (hidden) frames, error-resilient, and a key frame
# size change.  Decodes each with our element through visl and checks
# that it outputs the same number of frames with the same timestamps in
# the same order as avdec_vp8/avdec_vp9 (visl draws text, not pictures:
# order and count are what can be compared).  Emits TAP.
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -u
build=$1
work=${2:-/tmp/vpx-visl}
export GST_PLUGIN_PATH_1_0="$build/ext/v4l2elastic"
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - visl $*"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - visl $*"; }

rm -rf "$work"
mkdir -p "$work"
streams=$build/tests/kernel/vpx-visl-streams
if [ ! -f "$streams/vp9-resize.ref" ]; then
  streams=$work/streams
  sh "$(dirname "$0")/../media/vpx-visl-streams.sh" "$streams" >"$work/streams.log" 2>&1 ||
    { sed 's/^/# /' "$work/streams.log" | tail -10; }
fi

# decode FILE DECODER: one timestamp per output frame, in output order.
decode() {
  gst-launch-1.0 -v filesrc location="$1" ! ivfparse ! "$2" \
    ! fakesink silent=false sync=false 2>&1 |
    sed -n 's/.*chain .*pts: \([0-9:.]*\).*/\1/p'
}

for codec in vp8 vp9; do
  if ! gst-inspect-1.0 "v4l2elastic${codec}dec" >/dev/null 2>&1; then
    not_ok "v4l2elastic${codec}dec registered"
    continue
  fi
  ok "v4l2elastic${codec}dec registered"
  if [ -s "$streams/$codec-altref.ref" ] && [ -s "$streams/$codec-resize.ref" ]; then
    ok "$codec streams encoded ($streams)"
  else
    not_ok "$codec streams encoded ($streams)"
    continue
  fi
  echo "# $codec-altref: $(cat "$streams/$codec-altref.packets")"
  for name in altref resilient resize; do
    file="$streams/$codec-$name.ivf"
    decode "$file" "v4l2elastic${codec}dec" >"$work/$codec-$name.out"
    frames=$(wc -l <"$streams/$codec-$name.ref")
    got=$(wc -l <"$work/$codec-$name.out")
    if [ "$frames" -gt 0 ] && cmp -s "$streams/$codec-$name.ref" "$work/$codec-$name.out"; then
      ok "$codec $codec-$name: $got frames, same count and order as avdec_$codec"
    else
      not_ok "$codec $codec-$name: $got frames, avdec_$codec $frames"
      diff "$streams/$codec-$name.ref" "$work/$codec-$name.out" | head -10 | sed 's/^/# /'
      gst-launch-1.0 filesrc location="$file" ! ivfparse \
        ! "v4l2elastic${codec}dec" ! fakesink 2>&1 | tail -5 | sed 's/^/# /'
    fi
  done
done

echo "1..$n"
exit "$failed"
