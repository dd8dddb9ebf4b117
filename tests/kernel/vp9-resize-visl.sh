#!/bin/sh
# gst-v4l2-elastic: VP9 inter-frame size changes (and a VP8 key-frame
# size change) through visl.
#
#   vp9-resize-visl.sh BUILD_DIR elastic|fallback [WORK_DIR]
#
# Takes the streams v4l2elastic-vpx-resize-enc made at build time
# (libvpx's encoder API: g_w/g_h changed mid-stream without a key frame,
# tests/media/meson.build), checks visl's OUTPUT S_FMT while busy at the
# ioctl level (visl-busy-fmt.py), and runs the VP9 streams through
# vp9-resize-check.py:
#   elastic  (Debian 6.12 + kernel/patches/6.12): no frame dropped, the
#            pool, kernel log and visl trace checks described there;
#   fallback (Debian 6.12 stock visl refuses the S_FMT): the frames up to
#            the next key frame are dropped, counted and warned about.
# Emits TAP.
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -u
build=$1
mode=$2
work=${3:-/tmp/vp9-resize}
here=$(cd "$(dirname "$0")" && pwd)
export GST_PLUGIN_PATH_1_0="$build/ext/v4l2elastic"
enc=$build/tests/media/v4l2elastic-vpx-resize-enc
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $*"; }

rm -rf "$work"
mkdir -p "$work"

video=
for d in /sys/class/video4linux/video*; do
  [ "$(cat "$d/name" 2>/dev/null)" = visl ] && video=/dev/${d##*/}
done
if [ -z "$video" ]; then
  not_ok "visl device found"
  echo "1..$n"
  exit 1
fi

# Results of a TAP-printing helper, renumbered into ours.
collect() {
  "$@" >"$work/sub.out" 2>"$work/sub.err"
  rc=$?
  while IFS= read -r line; do
    text=${line#*- }
    case "$line" in
    "ok "*) ok "$text" ;;
    "not ok "*) not_ok "$text" ;;
    "#"*) echo "$line" ;;
    esac
  done <"$work/sub.out"
  if [ "$rc" != 0 ] && ! grep -q '^not ok' "$work/sub.out"; then
    not_ok "$(basename "$2") exited with $rc"
  fi
  [ "$rc" = 0 ] || tail -5 "$work/sub.err" | sed 's/^/# /'
}

# --- visl at the ioctl level -----------------------------------------------
if [ "$mode" = elastic ]; then
  collect /usr/bin/python3 "$here/visl-busy-fmt.py" accept
else
  collect /usr/bin/python3 "$here/visl-busy-fmt.py" refuse
fi

# --- streams (made on the host at build time: tests/media/meson.build) --------
media=$build/tests/media
# The generator's own account (libvpx's VPX_FRAME_IS_KEY); the check
# script reads the frame type from the stream itself.
inter=$(grep -c ' inter$' "$media/vp9-updown.txt")
if [ "$(grep -c key "$media/vp9-updown.txt")" = 1 ] &&
  grep -q '^packet 12 .* 192x160 inter$' "$media/vp9-updown.txt" &&
  [ "$(grep -c key "$media/vp9-half.txt")" = 1 ] &&
  grep -q '^packet 8 .* 176x144 key$' "$media/vp8-resize.txt"; then
  ok "streams encoded by libvpx: VP9 size changes on inter frames ($inter inter frames, 1 key frame), VP8 starts the new size with a key frame"
else
  not_ok "streams encoded by libvpx (rebuild: meson compile -C $build)"
  head -3 "$media"/vp9-updown.txt | sed 's/^/# /'
fi

# --- VP9 ---------------------------------------------------------------------
t0=$(date +%s)
check=$here/vp9-resize-check.py
if [ "$mode" = elastic ]; then
  collect /usr/bin/python3 "$check" elastic "$video" "$media/vp9-updown.ivf" \
    "$media/vp9-half.ivf" "$media/vp9-resilient.ivf" "$media/vp9-recover.ivf"
else
  # vp9-updown has no key frame after the first change: everything after
  # it is lost; in vp9-recover the key frame at 20 ends the loss.
  collect /usr/bin/python3 "$check" fallback "$video" \
    "$media/vp9-updown.ivf@12-48" "$media/vp9-recover.ivf@10-20"
fi
echo "# VP9 resize checks took $(($(date +%s) - t0)) s"

# --- VP8: a key-frame size change, count and order --------------------------
decode() {
  gst-launch-1.0 -v filesrc location="$1" ! ivfparse ! "$2" \
    ! fakesink silent=false sync=false 2>&1 |
    sed -n 's/.*chain .*pts: \([0-9:.]*\).*/\1/p'
}
t0=$(date +%s)
decode "$media/vp8-resize.ivf" avdec_vp8 >"$work/vp8.ref"
decode "$media/vp8-resize.ivf" v4l2elasticvp8dec >"$work/vp8.out"
if [ "$(wc -l <"$work/vp8.ref")" = 16 ] && cmp -s "$work/vp8.ref" "$work/vp8.out"; then
  ok "vp8 key-frame size change: 16 frames, same PTS order as avdec_vp8"
else
  not_ok "vp8 key-frame size change: $(wc -l <"$work/vp8.out") frames, avdec_vp8 $(wc -l <"$work/vp8.ref")"
fi
echo "# VP8 resize check took $(($(date +%s) - t0)) s"

echo "1..$n"
exit "$failed"
