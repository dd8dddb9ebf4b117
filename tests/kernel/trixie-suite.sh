#!/bin/sh
# gst-v4l2-elastic: the real-kernel suite with GStreamer 1.26 (Meson test
# kernel-6.12-trixie).  On the host: makes (or reuses) the Debian 13 root
# (tools/vm/prepare-root trixie), builds the project against its GStreamer
# 1.26 in a build folder of its own by chrooting into it, and encodes an
# AV1 stream with the host's ffmpeg; then boots the guest with
# `tools/vm-run --root trixie` to run tests/kernel/guest-suite-trixie.sh.
#
#   trixie-suite.sh HOST_BUILD_DIR EXPECTED_DRIVERS FWHT_PATH [VM-RUN OPTIONS]
#
# The 1.26 build folder is HOST_BUILD_DIR-trixie (TRIXIE_BUILD_DIR
# overrides it).  Emits TAP.
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -u
host_build=$(cd "$1" && pwd)
expect=$2
fwht_path=$3
shift 3
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${TRIXIE_BUILD_DIR:-$host_build-trixie}

fail() {
  echo "TAP version 13"
  echo "not ok 1 - $1"
  [ -f "${2:-}" ] && tail -n 40 "$2" | sed 's/^/# /'
  echo "1..1"
  exit 1
}

t0=$(date +%s)
root=$("$src/tools/vm/prepare-root" trixie 2>"$host_build/trixie-root.log") ||
  fail "the Debian 13 root (tools/vm/prepare-root trixie)" "$host_build/trixie-root.log"
t_root=$(($(date +%s) - t0))

# Our build against 1.26, in the root; werror is on, and any compiler
# warning is reported.
t0=$(date +%s)
mkdir -p "$build"
log=$build/trixie-build.log
{
  if [ ! -f "$build/build.ninja" ]; then
    "$src/tools/vm/root-exec" --bind "$build" "$root" meson setup "$build" "$src" ||
      exit 1
  fi
  "$src/tools/vm/root-exec" --bind "$build" "$root" meson compile -C "$build"
} >"$log" 2>&1 || fail "meson setup/compile against GStreamer 1.26 in the root ($log)" "$log"
warnings=$(grep -c 'warning:' "$log")
gst=$("$src/tools/vm/root-exec" "$root" pkg-config --modversion gstreamer-1.0)
echo "built against GStreamer $gst in the Debian 13 root: $(grep -c 'Compiling C' "$log") files compiled by this run, $warnings compiler warnings" \
  >"$build/trixie-build.txt"
# The host unit tests, built against 1.26, run in the root (vm-run-errors
# tests tools/vm-run on the host and stays out; so does h265order, whose
# streams come from the root's x265 4.1 (libx265-215): with
# "temporal-layers=1:bframes=3" it wrote no TSA_N NAL unit, which the
# temporal-layer case asserts is there (clean-clone run of 14455e0); the
# test runs against x265 3.5 and avdec_h265 1.22 on the host).  The guest suite reports
# one line per test from trixie-unit.txt.
units=$("$src/tools/vm/root-exec" --bind "$build" "$root" meson test -C "$build" --list \
  --no-rebuild --suite unit 2>/dev/null | sed -n 's/^gst-v4l2-elastic:unit \/ //p' |
  grep -vx 'vm-run-errors\|h265order')
# shellcheck disable=SC2086 # one word per test
"$src/tools/vm/root-exec" --bind "$build" "$root" meson test -C "$build" --no-rebuild \
  $units >"$build/trixie-unit.log" 2>&1
sed -n 's/^ *[0-9]*\/[0-9]* gst-v4l2-elastic:unit \/ \([^ ]*\) *\([A-Z]*\).*/\1 \2/p' \
  "$build/trixie-unit.log" >"$build/trixie-unit.txt"
t_build=$(($(date +%s) - t0))

# avdec 1.26's decodes of the codec streams, here in the root rather than
# in the guest (tests/kernel/trixie-codecs.sh --refs).
rm -rf "$build/tests/trixie-refs"
TRIXIE_CODECS_WORK=$build/tests/trixie-refs.work \
  "$src/tools/vm/root-exec" --bind "$build" --bind "$host_build" "$root" \
  sh "$src/tests/kernel/trixie-codecs.sh" --refs "$build" "$host_build" >"$build/trixie-refs.log" 2>&1

# An AV1 stream for upstream's v4l2slav1dec (libaom on the host; there is
# no AV1 element of ours).
av1=$build/tests/av1-streams
if [ ! -f "$av1/av1.ivf.frames" ] && command -v ffmpeg >/dev/null; then
  mkdir -p "$av1"
  ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=size=320x240:rate=30 \
    -frames:v 24 -pix_fmt yuv420p -c:v libaom-av1 -cpu-used 8 -g 12 \
    -f ivf "$av1/av1.ivf" >"$av1/av1.log" 2>&1 && echo 24 >"$av1/av1.ivf.frames"
fi

echo "trixie-suite: root $t_root s ($root), 1.26 build $t_build s ($build)" >&2
exec "$src/tools/vm-run" --root trixie --bind "$build" --bind "$host_build" "$@" -- \
  "$src/tests/kernel/guest-suite-trixie.sh" "$build" "$host_build" "$expect" "$fwht_path"
