#!/bin/sh
# GST_V4L2_ELASTIC_DOC=1 registers every element without a device, with
# its properties and pad templates, at rank none; without the variable a
# machine with no stateless decoder gets none.  Emits TAP.
#
#   test-doc-mode.sh REGISTRY_DIR
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -u
dir=$1
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $*"; }
mkdir -p "$dir"

echo "TAP version 13"
out=$(GST_V4L2_ELASTIC_DOC=1 GST_REGISTRY_1_0="$dir/registry-doc.bin" \
  gst-inspect-1.0 v4l2elastic 2>&1)
for e in v4l2elasticfwhtdec v4l2elastich264dec v4l2elastich265dec v4l2elasticvp8dec \
  v4l2elasticvp9dec v4l2elasticmpeg2dec; do
  if echo "$out" | grep -q "^  $e: "; then
    ok "doc mode: gst-inspect-1.0 v4l2elastic lists $e"
  else
    not_ok "doc mode: gst-inspect-1.0 v4l2elastic lists $e"
    echo "$out" | sed 's/^/# /'
  fi
  el=$(GST_V4L2_ELASTIC_DOC=1 GST_REGISTRY_1_0="$dir/registry-doc.bin" \
    gst-inspect-1.0 "$e" 2>&1)
  missing=
  for want in "Rank *none (0)" "SINK template: 'sink'" "SRC template: 'src'" \
    "video/x-raw" "max-capture-buffers" "capture-memory-limit" "pool-stats"; do
    echo "$el" | grep -q "$want" || missing="$missing [$want]"
  done
  if [ -z "$missing" ]; then
    ok "doc mode: gst-inspect-1.0 $e shows rank none, pad templates and properties"
  else
    not_ok "doc mode: gst-inspect-1.0 $e shows rank none, pad templates and properties (missing:$missing)"
  fi
done
el=$(GST_V4L2_ELASTIC_DOC=1 GST_REGISTRY_1_0="$dir/registry-doc.bin" \
  gst-inspect-1.0 v4l2elastich264dec 2>&1)
for fmt in byte-stream avc avc3; do
  if echo "$el" | grep -q "stream-format: .*$fmt"; then
    ok "doc mode: v4l2elastich264dec sink caps take stream-format=$fmt"
  else
    not_ok "doc mode: v4l2elastich264dec sink caps take stream-format=$fmt"
  fi
done

el=$(GST_V4L2_ELASTIC_DOC=1 GST_REGISTRY_1_0="$dir/registry-doc.bin" \
  gst-inspect-1.0 v4l2elastich265dec 2>&1)
if echo "$el" | grep -q "video/x-h265" && echo "$el" | grep -q "stream-format: byte-stream" &&
  echo "$el" | grep -q "alignment: au"; then
  ok "doc mode: v4l2elastich265dec sink caps take byte-stream access units"
else
  not_ok "doc mode: v4l2elastich265dec sink caps take byte-stream access units"
fi

el=$(GST_V4L2_ELASTIC_DOC=1 GST_REGISTRY_1_0="$dir/registry-doc.bin" \
  gst-inspect-1.0 v4l2elasticmpeg2dec 2>&1)
if echo "$el" | grep -q "mpegversion: 2" && echo "$el" | grep -q "parsed: true"; then
  ok "doc mode: v4l2elasticmpeg2dec sink caps take parsed MPEG-2 video"
else
  not_ok "doc mode: v4l2elasticmpeg2dec sink caps take parsed MPEG-2 video"
fi

# The alpha bins beside the VP8/VP9 decoders: alpha caps in, A420/AV12 out.
for c in vp8 vp9; do
  e=v4l2elastic${c}alphadecodebin
  el=$(GST_V4L2_ELASTIC_DOC=1 GST_REGISTRY_1_0="$dir/registry-doc.bin" \
    gst-inspect-1.0 "$e" 2>&1)
  missing=
  for want in "Rank *none (0)" "video/x-$c" "codec-alpha: true" "A420" \
    "AV12" "with two v4l2elastic${c}dec"; do
    echo "$el" | grep -q "$want" || missing="$missing [$want]"
  done
  if [ -z "$missing" ]; then
    ok "doc mode: $e wraps v4l2elastic${c}dec, takes codec-alpha=true, writes A420/AV12"
  else
    not_ok "doc mode: $e wraps v4l2elastic${c}dec, takes codec-alpha=true, writes A420/AV12 (missing:$missing)"
    echo "$el" | sed 's/^/# /'
  fi
done

# Without the variable, on a machine without media devices: no element.
if ls /dev/media* >/dev/null 2>&1; then
  echo "ok $((n = n + 1)) - no doc mode: nothing registered # SKIP this machine has /dev/media*"
else
  out=$(GST_REGISTRY_1_0="$dir/registry-nodoc.bin" gst-inspect-1.0 v4l2elastic 2>&1)
  if echo "$out" | grep -q '^  0 features'; then
    ok "no doc mode, no decoder: the plugin registers no element"
  else
    not_ok "no doc mode, no decoder: the plugin registers no element"
    echo "$out" | tail -5 | sed 's/^/# /'
  fi
fi
echo "1..$n"
exit "$failed"
