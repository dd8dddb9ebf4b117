#!/bin/sh
# gst-v4l2-elastic: the real-kernel suite with GStreamer 1.26, run inside
# the QEMU guest chrooted into the Debian 13 root (tools/vm-run --root
# trixie; started by tests/kernel/trixie-suite.sh).  Emits one TAP stream.
#
#   guest-suite-trixie.sh BUILD_DIR HOST_BUILD_DIR EXPECTED_DRIVERS FWHT_PATH
#
# BUILD_DIR is our build against the root's GStreamer 1.26; HOST_BUILD_DIR
# the host's build (Debian 12, GStreamer 1.22), which holds the test
# streams encoded on the host.  FWHT_PATH (elastic|restart) is how
# v4l2elasticfwhtdec must cross a size change on vicodec here.
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -u
build=$1
host_build=$2
expect=$3
fwht_path=$4
src=$(cd "$(dirname "$0")/../.." && pwd)
. "$src/tests/kernel/tap-lib.sh"

echo "TAP version 13"
echo "# kernel $kernel ($VMRUN_KERNEL_SERIES, $VMRUN_KERNEL_VARIANT), root ${VMRUN_ROOT:-?}; expected drivers: $expect"
echo "# root: $(. /etc/os-release && echo "$PRETTY_NAME")"

# The root's GStreamer is 1.26 and our build is made against it.
version=$(gst-inspect-1.0 --version | sed -n 's/^GStreamer \([0-9.]*\).*/\1/p')
case "$version" in
  1.26.*) ok "root: GStreamer $version" ;;
  *) not_ok "root: GStreamer 1.26 (found '$version')" ;;
esac
if [ -f "$build/trixie-build.txt" ]; then
  ok "$(cat "$build/trixie-build.txt")"
else
  not_ok "our build against the root's GStreamer ($build/trixie-build.txt missing)"
fi

# The unit tests built against 1.26, run in the root on the host.
if [ -s "$build/trixie-unit.txt" ]; then
  while read -r t r; do
    if [ "$r" = OK ]; then
      ok "unit test $t against GStreamer 1.26 (host, in the root): $r"
    else
      not_ok "unit test $t against GStreamer 1.26 (host, in the root): $r"
    fi
  done <"$build/trixie-unit.txt"
else
  not_ok "unit tests against GStreamer 1.26 ran on the host ($build/trixie-unit.txt)"
fi

min=$(echo "$expect" | tr ',' '\n' | grep -c .)
if probe=$("$build/tools/v4l2elastic-probe" --min "$min" 2>&1); then
  ok "probe (1.26 build) finds $min stateless decoder(s)"
else
  not_ok "probe (1.26 build) finds $min stateless decoder(s)"
fi
echo "$probe" | sed 's/^/# /'

# The plugin loads into 1.26 and registers an element per codec and device.
export GST_PLUGIN_PATH_1_0="$build/ext/v4l2elastic"
if out=$(gst-inspect-1.0 v4l2elastic 2>&1) &&
  echo "$out" | grep -q 'Name *v4l2elastic'; then
  ok "gst-inspect-1.0 1.26 loads the v4l2elastic plugin"
else
  not_ok "gst-inspect-1.0 1.26 loads the v4l2elastic plugin"
  echo "$out" | sed 's/^/# /'
fi
want=
case ",$expect," in *,visl,*) want="$want v4l2elastich264dec v4l2elasticvp8dec v4l2elasticvp9dec" ;; esac
case ",$expect," in *,vicodec,*) want="$want v4l2elasticfwhtdec" ;; esac
for e in $want; do
  if echo "$out" | grep -q "$e"; then
    ok "1.26 registers $e"
  else
    not_ok "1.26 registers $e"
  fi
done
echo "$out" | grep -o 'v4l2elastic[a-z0-9]*dec' | sort -u | sed 's/^/# element: /'
took "version, probe and gst-inspect"

# FWHT on vicodec: streams made here by vicodec's encoder, our element
# pixel-exact against vicodec's stateful decoder.
case ",$expect," in
  *,vicodec,*)
    streams=/tmp/fwht-streams
    if gen=$(sh "$src/tests/media/fwht-streams.sh" "$streams" single 12 640x480 2>&1 &&
      sh "$src/tests/media/fwht-streams.sh" "$streams" resize 8 \
        1280x720,640x480,1280x720 2>&1); then
      ok "vicodec FWHT streams and reference decodes generated (v4l2-ctl 1.30)"
    else
      not_ok "vicodec FWHT streams and reference decodes generated (v4l2-ctl 1.30)"
      echo "$gen" | sed 's/^/# /'
    fi
    took "FWHT stream generation"
    run_tap fwht-decode "$build/tests/kernel/v4l2elastic-fwht-decode" \
      --streams "$streams" --expect-path "$fwht_path" --cycles 10
    step_start=$(date +%s)
    ;;
esac

# H.264, VP8, VP9 against avdec 1.26, and upstream 1.26 on the same streams.
case ",$expect," in
  *,visl,*)
    run_tap trixie-codecs sh "$src/tests/kernel/trixie-codecs.sh" "$build" "$host_build"
    step_start=$(date +%s)
    ;;
esac

# DMA_DRM caps (GStreamer >= 1.24): negotiated where downstream asks for
# them, system memory otherwise.
dma_fwht=
dma_h264=
case ",$expect," in *,vicodec,*) dma_fwht=/tmp/fwht-streams/single.fwht ;; esac
case ",$expect," in *,visl,*) dma_h264=$host_build/tests/h264-streams/main-b2.h264 ;; esac
run_tap dma-drm sh "$src/tests/kernel/dma-drm.sh" "$build" "$dma_fwht" "$dma_h264" \
  "$(wc -l <"$host_build/tests/h264-streams/main-b2.ref" 2>/dev/null || echo 0)"
step_start=$(date +%s)

# v4l2-compliance 1.30 on every stateless decoder node.
run_tap compliance sh "$src/tests/kernel/compliance.sh" \
  "$VMRUN_KERNEL_SERIES-$VMRUN_KERNEL_VARIANT" "$expect"

echo "# whole suite took $(($(date +%s) - suite_start)) s"
echo "1..$n"
exit "$failed"
