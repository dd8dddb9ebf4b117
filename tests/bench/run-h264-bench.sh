#!/usr/bin/env bash
# gst-v4l2-elastic: the H.264 pool benchmark, our v4l2elastich264dec against
# upstream's v4l2slh264dec (gst-plugins-bad 1.22), both on visl, side by
# side in one guest run on Debian 6.12 with the carried patches.
#
#   tests/bench/run-h264-bench.sh [--report-only] [BUILD_DIR]
#
# --report-only prints the table and draws the plot again from the
# BUILD_DIR/bench/h264.csv of the last run, without a guest.
#
# Streams (made here on the host by tests/media/h264-pool-streams.sh): the DPB
# change 320x240 ref=1 -> ref=4 -> ref=1 (30 frames each) and the
# resolution change 1280x720 -> 320x240 -> 1280x720 (15 frames each), and
# the DPB change with B-frames in the ref=4 segment (the reorder depth
# changes too), where upstream 1.22 stops (docs/h264.md).  Upstream also
# decodes each DPB segment alone, for a memory comparison at each DPB.  Every decode runs
# under v4l2elastic-h264-pool-run (tests/kernel/h264-pool-run.c):
# downstream keeps nothing (K = 0), the CAPTURE buffers and bytes are
# counted from the kernel's ioctl log (visl's dev_debug: REQBUFS,
# CREATE_BUFS, REMOVE_BUFS with the CAPTURE sizeimage), the same way for
# both elements; CPU time is the decoding process's (user + sys).  A
# warm-up decode of each element comes first and is not counted.
#
# Writes BUILD_DIR/bench/h264.csv, docs/bench-h264-memory.png, and prints
# the table (markdown) with the ratios ours / upstream 1.22 and ours /
# upstream 1.26.
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
report_only=no
if [ "${1:-}" = --report-only ]; then
  report_only=yes
  shift
fi
build=${1:-$src/build}
out=$build/bench
streams=$out/h264-pool-streams
mkdir -p "$out"
# The U26 column: upstream 1.26's v4l2slh264dec in the same boot and
# rounds, run inside the Debian 13 root (tools/vm/prepare-root trixie,
# tools/vm/root-exec) by the pool-run tool built against 1.26 in
# BUILD_DIR-trixie (tests/kernel/trixie-suite.sh makes both; without them
# the column says n/a).
build26=${TRIXIE_BUILD_DIR:-$build-trixie}
root26=
if [ "$report_only" = no ] && [ -x "$build26/tests/kernel/v4l2elastic-h264-pool-run" ] &&
  root26=$("$src/tools/vm/prepare-root" trixie 2>/dev/null); then
  :
else
  root26=
  [ "$report_only" = yes ] || echo "run-h264-bench: no $build26 (tests/kernel/trixie-suite.sh makes it): no U26 column" >&2
fi
[ "$report_only" = yes ] || sh "$src/tests/media/h264-pool-streams.sh" "$streams" 30 15 >/dev/null

cat >"$out/h264-guest.sh" <<GUEST
set -e
export GST_PLUGIN_PATH_1_0=$build/ext/v4l2elastic
run=$build/tests/kernel/v4l2elastic-h264-pool-run
s=$streams
# run26 ARGS...: the pool-run tool built against 1.26, in the Debian 13 root.
run26() {
  [ -n "$root26" ] || return 0
  GST_PLUGIN_PATH_1_0=$build26/ext/v4l2elastic GST_REGISTRY_1_0=$out/registry-1.26.bin \\
    $src/tools/vm/root-exec --bind $build26 --bind $out $root26 \\
    $build26/tests/kernel/v4l2elastic-h264-pool-run "\$@"
}
# warm-up (plugin loading, first mappings): not counted
\$run --label warmup --decoder v4l2elastich264dec \$s/dpb-change-0.h264 >/dev/null
\$run --label warmup --decoder v4l2slh264dec \$s/dpb-change-0.h264 >/dev/null
run26 --label warmup --decoder v4l2slh264dec \$s/dpb-change-0.h264 >/dev/null
# Three rounds, the elements alternating: memory and ioctl counts are
# from round 1 (the table shows rounds 2 and 3's peaks next to them),
# times are the median of the three.
for r in 1 2 3; do
  for st in dpb:dpb-change dpbb:dpb-reorder-change resize:resize; do
    \$run --label \${st%%:*}-ours-r\$r --decoder v4l2elastich264dec \$s/\${st#*:}.h264
    \$run --label \${st%%:*}-upstream-r\$r --decoder v4l2slh264dec \$s/\${st#*:}.h264
    run26 --label \${st%%:*}-u26-r\$r --decoder v4l2slh264dec \$s/\${st#*:}.h264
  done
done
for i in 0 1 2; do
  \$run --label dpb-ours-seg\$i --decoder v4l2elastich264dec \$s/dpb-change-\$i.h264
  \$run --label dpb-upstream-seg\$i --decoder v4l2slh264dec \$s/dpb-change-\$i.h264
  run26 --label dpb-u26-seg\$i --decoder v4l2slh264dec \$s/dpb-change-\$i.h264
done
GUEST
[ "$report_only" = yes ] ||
  "$src/tools/vm-run" --kernel 6.12 --timeout 1500 -- sh "$out/h264-guest.sh" >"$out/h264.csv"

csv=$out/h264.csv
. "$src/tests/bench/bench-lib.sh"
# The kernel's CAPTURE bytes at the last frame of segment N, when the
# decoder got that far.
seg_bytes() {
  [ "$(v "$1" "segment_$2_frames")" != 0 ] && v "$1" "segment_$2_last_bytes" || true
}
for stream in dpb dpbb resize; do
  o=$stream-ours-r1
  u=$stream-upstream-r1
  w=$stream-u26-r1
  total=$(v "$o" pictures)
  echo
  case $stream in
    dpb) echo "### DPB change: 320x240, ref=1 -> ref=4 -> ref=1, 30 frames each" ;;
    dpbb) echo "### DPB and reorder change: 320x240, ref=1 -> ref=4 with 2 B-frames -> ref=1, 30 frames each" ;;
    resize) echo "### Resolution change: 1280x720 -> 320x240 -> 1280x720, 15 frames each" ;;
  esac
  echo
  echo "| | ours | upstream 1.22 | upstream 1.26 (U26) | ours / 1.22 | ours / 1.26 |"
  echo "|---|---|---|---|---|---|"
  row3 "frames delivered (of $total)" "$(v "$o" frames)" "$(v "$u" frames)" "$(v "$w" frames)"
  echo "| reached EOS | $(v "$o" eos) | $(v "$u" eos) | $(v "$w" eos) | | |"
  row3 "peak CAPTURE bytes" "$(v "$o" kernel_peak_bytes)" "$(v "$u" kernel_peak_bytes)" "$(v "$w" kernel_peak_bytes)"
  echo "| peak CAPTURE bytes in rounds 2 and 3 | $(v "${o%-r1}-r2" kernel_peak_bytes), $(v "${o%-r1}-r3" kernel_peak_bytes) | $(v "${u%-r1}-r2" kernel_peak_bytes), $(v "${u%-r1}-r3" kernel_peak_bytes) | $(v "${w%-r1}-r2" kernel_peak_bytes), $(v "${w%-r1}-r3" kernel_peak_bytes) | | |"
  row3 "peak CAPTURE buffers" "$(v "$o" kernel_peak_buffers)" "$(v "$u" kernel_peak_buffers)" "$(v "$w" kernel_peak_buffers)"
  row3 "bytes at the last frame before the first change" "$(seg_bytes "$o" 0)" "$(seg_bytes "$u" 0)" "$(seg_bytes "$w" 0)"
  row3 "bytes at the last frame before the second change" "$(seg_bytes "$o" 1)" "$(seg_bytes "$u" 1)" "$(seg_bytes "$w" 1)"
  row3 "bytes at the last frame" "$(seg_bytes "$o" 2)" "$(seg_bytes "$u" 2)" "$(seg_bytes "$w" 2)"
  echo "| STREAMOFF + freeing REQBUFS(0) on CAPTURE | $(changes "$o") | $(changes "$u") | $(changes "$w") | | |"
  echo "| CREATE_BUFS / REMOVE_BUFS buffers | $(v "$o" kernel_create_bufs) / $(v "$o" kernel_remove_bufs) | $(v "$u" kernel_create_bufs) / $(v "$u" kernel_remove_bufs) | $(v "$w" kernel_create_bufs) / $(v "$w" kernel_remove_bufs) | | |"
  echo "| REQBUFS allocations on CAPTURE | $(v "$o" kernel_reqbufs_alloc) | $(v "$u" kernel_reqbufs_alloc) | $(v "$w" kernel_reqbufs_alloc) | | |"
  row3 "gap at the first change (ms, median of 3)" "$(med "${o%-r1}" gap_ms_1)" "$(med "${u%-r1}" gap_ms_1)" "$(med "${w%-r1}" gap_ms_1)"
  row3 "gap at the second change (ms, median of 3)" "$(med "${o%-r1}" gap_ms_2)" "$(med "${u%-r1}" gap_ms_2)" "$(med "${w%-r1}" gap_ms_2)"
  row3 "CPU time per frame (ms, median of 3)" "$(med "${o%-r1}" cpu_ms_per_frame)" "$(med "${u%-r1}" cpu_ms_per_frame)" "$(med "${w%-r1}" cpu_ms_per_frame)"
  echo "| frames delivered in rounds 2 and 3 | $(v "${o%-r1}-r2" frames), $(v "${o%-r1}-r3" frames) | $(v "${u%-r1}-r2" frames), $(v "${u%-r1}-r3" frames) | $(v "${w%-r1}-r2" frames), $(v "${w%-r1}-r3" frames) | | |"
  err=$(v "$u" error)
  [ -z "$err" ] || echo "| upstream 1.22's error | | ${err//|//} | | | |"
  err=$(v "$w" error)
  [ -z "$err" ] || echo "| upstream 1.26's error | | | ${err//|//} | | |"
done

echo
echo "### Each DPB segment decoded alone"
echo
echo "| segment | ours: buffers / bytes at the end | upstream 1.22: buffers / bytes at the end | upstream 1.26: buffers / bytes at the end | bytes ours / 1.22 | bytes ours / 1.26 |"
echo "|---|---|---|---|---|---|"
for i in 0 1 2; do
  o=dpb-ours-seg$i
  u=dpb-upstream-seg$i
  w=dpb-u26-seg$i
  refs=$(v "$o" segment_0_num_ref_frames)
  printf '| %s (ref=%s) | %s / %s | %s / %s | %s / %s | %s | %s |\n' "$i" "$refs" \
    "$(v "$o" kernel_buffers_at_eos)" "$(v "$o" kernel_bytes_at_eos)" \
    "$(v "$u" kernel_buffers_at_eos)" "$(v "$u" kernel_bytes_at_eos)" \
    "$(v "$w" kernel_buffers_at_eos)" "$(v "$w" kernel_bytes_at_eos)" \
    "$(ratio "$(v "$o" kernel_bytes_at_eos)" "$(v "$u" kernel_bytes_at_eos)")" \
    "$(ratio "$(v "$o" kernel_bytes_at_eos)" "$(v "$w" kernel_bytes_at_eos)")"
done

for l in dpb-ours dpb-upstream dpb-u26 resize-ours resize-upstream resize-u26; do
  awk -F, -v l="$l-r1" '$1 == "frame" && $2 == l { print $3, $9 }' "$csv" >"$out/$l.dat"
done
if command -v gnuplot >/dev/null; then
  gnuplot <<PLOT
set terminal pngcairo size 900,700
set output "$src/docs/bench-h264-memory.png"
set multiplot layout 2,1
set xlabel "decoded frame"
set ylabel "CAPTURE bytes (MiB)"
set key top right
set title "H.264 DPB change 320x240, ref=1 -> 4 -> 1 (visl, kernel ioctl log)"
plot "$out/dpb-ours.dat" using 1:(\$2/1048576) with steps lw 2 title "v4l2elastich264dec", \
     "$out/dpb-upstream.dat" using 1:(\$2/1048576) with steps lw 2 dt 2 title "v4l2slh264dec 1.22", \
     "$out/dpb-u26.dat" using 1:(\$2/1048576) with steps lw 2 dt 3 title "v4l2slh264dec 1.26"
set title "H.264 resolution change 1280x720 -> 320x240 -> 1280x720"
plot "$out/resize-ours.dat" using 1:(\$2/1048576) with steps lw 2 title "v4l2elastich264dec", \
     "$out/resize-upstream.dat" using 1:(\$2/1048576) with steps lw 2 dt 2 title "v4l2slh264dec 1.22", \
     "$out/resize-u26.dat" using 1:(\$2/1048576) with steps lw 2 dt 3 title "v4l2slh264dec 1.26"
unset multiplot
PLOT
  echo
  echo "plot: docs/bench-h264-memory.png"
else
  echo "gnuplot not installed: no plot (apt-get install gnuplot-nox)" >&2
fi
