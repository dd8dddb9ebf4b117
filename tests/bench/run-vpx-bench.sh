#!/usr/bin/env bash
# gst-v4l2-elastic: the VP9 and VP8 benchmark, our v4l2elasticvp9dec and
# v4l2elasticvp8dec against upstream's v4l2slvp9dec and v4l2slvp8dec
# (gst-plugins-bad 1.22), both on visl, side by side in one guest run on
# Debian 6.12 with the carried patches (visl accepts a new OUTPUT size
# while its CAPTURE queue is busy: kernel/patches/6.12/0003).
#
#   tests/bench/run-vpx-bench.sh [--report-only] [BUILD_DIR]
#
# --report-only prints the table and draws the plot again from the
# BUILD_DIR/bench/vpx.csv of the last run, without a guest.
#
# Streams (made here on the host by v4l2elastic-vpx-resize-enc, libvpx's
# encoder API, 20 frames per size):
#   vp9-inter  352x288 -> 176x144 -> 264x216 -> 352x288, every change on
#              an inter frame (predicted from scaled references of the old
#              size; libvpx codes 176x144 -> 352x288 in one step as a key
#              frame, hence the step in between);
#   vp9-key    the same sizes, each change on a key frame;
#   vp8-key    the same sizes in VP8 (a new size always starts with a key
#              frame there).
# Every decode runs under v4l2elastic-h264-pool-run --codec vp8|vp9
# (tests/kernel/h264-pool-run.c; pipeline filesrc ! ivfparse [! vp9parse]
# ! DECODER ! fakesink): downstream keeps nothing (K = 0), the CAPTURE
# buffers and bytes are counted from the kernel's ioctl log (visl's
# dev_debug), the same way for both elements; output frames are given to
# a size segment by their PTS; CPU time is the decoding process's.  A
# warm-up decode of each element comes first and is not counted.  Five
# rounds, the elements alternating: memory and ioctl counts are from round
# 1 (the table shows the other rounds' peaks next to them), times are the
# median of the five.  GStreamer's ERROR-level log lines of each decode
# are kept in the CSV ("stderr" lines); a last, uncounted decode of the
# inter-frame stream by upstream with vp9decoder's debug log says what
# upstream's VP9 base class does with the frames it does not deliver
# ("basedebug" lines: message and how often).
#
# The U26 column: upstream 1.26's v4l2slvp9dec / v4l2slvp8dec in the same
# boot and rounds, run the same way inside the Debian 13 root
# (tools/vm/prepare-root trixie, tools/vm/root-exec) by the pool-run tool
# built against 1.26 in BUILD_DIR-trixie (tests/kernel/trixie-suite.sh
# makes both; without them the column says n/a).
#
# Writes BUILD_DIR/bench/vpx.csv, docs/bench-vpx-memory.png, and prints
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
streams=$out/vpx-streams
enc=$build/tests/media/v4l2elastic-vpx-resize-enc
frames=20
rounds=5
mkdir -p "$out"
# Upstream 1.26: the Debian 13 root and our pool-run tool built in it.
build26=${TRIXIE_BUILD_DIR:-$build-trixie}
root26=
if [ "$report_only" = no ] && [ -x "$build26/tests/kernel/v4l2elastic-h264-pool-run" ] &&
  root26=$("$src/tools/vm/prepare-root" trixie 2>/dev/null); then
  :
else
  root26=
  [ "$report_only" = yes ] || echo "run-vpx-bench: no $build26 (tests/kernel/trixie-suite.sh makes it): no U26 column" >&2
fi
if [ "$report_only" = no ]; then
  mkdir -p "$streams"
  "$enc" --log "$streams/vp9-inter.txt" "$streams/vp9-inter.ivf" \
    352x288:$frames 176x144:$frames 264x216:$frames 352x288:$frames
  "$enc" --log "$streams/vp9-key.txt" "$streams/vp9-key.ivf" \
    352x288:$frames 176x144:$frames:key 352x288:$frames:key
  "$enc" --codec vp8 --log "$streams/vp8-key.txt" "$streams/vp8-key.ivf" \
    352x288:$frames 176x144:$frames 352x288:$frames
  # The generator's own account: the changes are where they should be.
  for s in vp9-inter:inter:3 vp9-key:key:2 vp8-key:key:2; do
    name=${s%%:*} kind=${s#*:} kind=${kind%:*}
    n=$(grep -cE "^packet ($frames|$((2 * frames))|$((3 * frames))) .* $kind\$" \
      "$streams/$name.txt")
    if [ "$n" != "${s##*:}" ]; then
      echo "$name: the size changes are not $kind frames" >&2
      exit 1
    fi
  done
fi

cat >"$out/vpx-guest.sh" <<GUEST
set -e
export GST_PLUGIN_PATH_1_0=$build/ext/v4l2elastic
export GST_DEBUG='*:1' GST_DEBUG_NO_COLOR=1
s=$streams
# one LABEL CODEC DECODER STREAM: a pool-run, its ERROR log lines kept.
one() {
  $build/tests/kernel/v4l2elastic-h264-pool-run --label \$1 --codec \$2 \\
    --decoder \$3 \$s/\$4.ivf 2>/tmp/vpx-bench.err
  grep ERROR /tmp/vpx-bench.err | head -3 | tr ',' ';' |
    sed "s/^.* \\([a-z0-9_]*\\.c:[0-9]*:\\)/stderr,\$1,\\1/" || true
}
# one26 LABEL CODEC DECODER STREAM: the same with upstream 1.26, in the
# Debian 13 root, by the pool-run tool built there.
one26() {
  [ -n "$root26" ] || return 0
  GST_PLUGIN_PATH_1_0=$build26/ext/v4l2elastic GST_REGISTRY_1_0=$out/registry-1.26.bin \
    $src/tools/vm/root-exec --bind $build26 --bind $out $root26 \
    $build26/tests/kernel/v4l2elastic-h264-pool-run --label \$1 --codec \$2 \
    --decoder \$3 \$s/\$4.ivf 2>/tmp/vpx-bench.err
  grep ERROR /tmp/vpx-bench.err | head -3 | tr ',' ';' |
    sed "s/^.* \\([a-z0-9_]*\\.c:[0-9]*:\\)/stderr,\$1,\\1/" || true
}
# warm-up (plugin loading, first mappings): not counted
one warmup vp9 v4l2elasticvp9dec vp9-key >/dev/null
one warmup vp9 v4l2slvp9dec vp9-key >/dev/null
one26 warmup vp9 v4l2slvp9dec vp9-key >/dev/null
one warmup vp8 v4l2elasticvp8dec vp8-key >/dev/null
one warmup vp8 v4l2slvp8dec vp8-key >/dev/null
one26 warmup vp8 v4l2slvp8dec vp8-key >/dev/null
for r in \$(seq 1 $rounds); do
  for st in vp9-inter vp9-key vp8-key; do
    c=\${st%%-*}
    one \$st-ours-r\$r \$c v4l2elastic\${c}dec \$st
    one \$st-upstream-r\$r \$c v4l2sl\${c}dec \$st
    one26 \$st-u26-r\$r \$c v4l2sl\${c}dec \$st
  done
done
GST_DEBUG='*:1,vp9decoder:5' $build/tests/kernel/v4l2elastic-h264-pool-run \
  --label diag --codec vp9 --decoder v4l2slvp9dec \$s/vp9-inter.ivf 2>&1 >/dev/null |
  sed -n 's/.*gstvp9decoder\.c:[0-9]*:\([a-z0-9_]*\):<[^>]*> /\1: /p' | tr ',' ';' |
  sort | uniq -c | sed 's/^ *\([0-9]*\) \(.*\)/basedebug,vp9-inter-upstream,\1,\2/'
GUEST
if [ "$report_only" = no ]; then
  t0=$(date +%s)
  "$src/tools/vm-run" --kernel 6.12 --timeout 1500 -- sh "$out/vpx-guest.sh" >"$out/vpx.csv"
  echo "# guest run took $(($(date +%s) - t0)) s"
fi

csv=$out/vpx.csv
. "$src/tests/bench/bench-lib.sh"
# seg LABEL N KEY: segment N's KEY, when the decoder delivered any of it.
seg() {
  [ "$(v "$1" "segment_$2_frames")" != 0 ] && v "$1" "segment_$2_$3" || true
}
# first_bytes LABEL N: the kernel's CAPTURE bytes once the first frame of
# segment N is out.
first_bytes() {
  awk -F, -v l="$1" -v n="$2" '$1 == "frame" && $2 == l && $7 == n { print $9; exit }' "$csv"
}
stream_cpu() { # LABEL-r1 FRAMES: median CPU ms / FRAMES, if round 1 reached EOS
  [ "$(v "$1" eos)" != 1 ] || ratio "$(med "${1%-r1}" cpu_ms)" "$2"
}
others() { # LABEL-r1 KEY: KEY in rounds 2.., "a, b, ..."
  for r in $(seq 2 "$rounds"); do v "${1%-r1}-r$r" "$2"; done | paste -sd, | sed 's/,/, /g'
}
per_seg() { # LABEL KEY: KEY of every segment, "a / b / c"
  for i in $(seq 0 $(($(v "$1" segments) - 1))); do v "$1" "segment_${i}_$2"; done |
    paste -sd/ | sed 's,/, / ,g'
}
ordinal() { case $1 in 1) echo first ;; 2) echo second ;; 3) echo third ;; *) echo "${1}th" ;; esac; }

for stream in vp9-inter vp9-key vp8-key; do
  o=$stream-ours-r1
  u=$stream-upstream-r1
  w=$stream-u26-r1
  total=$(v "$o" pictures)
  echo
  nseg=$(v "$o" segments)
  case $stream in
    vp9-inter) echo "### VP9, inter-frame size changes: 352x288 -> 176x144 -> 264x216 -> 352x288, $frames frames each" ;;
    vp9-key) echo "### VP9, key-frame size changes: 352x288 -> 176x144 -> 352x288, $frames frames each" ;;
    vp8-key) echo "### VP8, key-frame size changes: 352x288 -> 176x144 -> 352x288, $frames frames each" ;;
  esac
  echo
  echo "| | ours | upstream 1.22 | upstream 1.26 (U26) | ours / 1.22 | ours / 1.26 |"
  echo "|---|---|---|---|---|---|"
  row3 "frames delivered (of $total)" "$(v "$o" frames)" "$(v "$u" frames)" "$(v "$w" frames)"
  echo "| frames delivered per size (of $(per_seg "$o" pictures)) | $(per_seg "$o" frames) | $(per_seg "$u" frames) | $(per_seg "$w" frames) | | |"
  echo "| reached EOS | $(v "$o" eos) | $(v "$u" eos) | $(v "$w" eos) | | |"
  row3 "peak CAPTURE bytes" "$(v "$o" kernel_peak_bytes)" "$(v "$u" kernel_peak_bytes)" "$(v "$w" kernel_peak_bytes)"
  echo "| peak CAPTURE bytes in rounds 2 to $rounds | $(others "$o" kernel_peak_bytes) | $(others "$u" kernel_peak_bytes) | $(others "$w" kernel_peak_bytes) | | |"
  row3 "peak CAPTURE buffers" "$(v "$o" kernel_peak_buffers)" "$(v "$u" kernel_peak_buffers)" "$(v "$w" kernel_peak_buffers)"
  for i in $(seq 0 $((nseg - 1))); do
    size=$(v "$o" "segment_${i}_size")
    [ "$i" = 0 ] ||
      row3 "bytes at the first frame after the $(ordinal "$i") change (to $size, $(v "$o" "segment_${i}_starts_with"))" \
        "$(first_bytes "$o" "$i")" "$(first_bytes "$u" "$i")" "$(first_bytes "$w" "$i")"
    row3 "bytes at the last $size frame (steady)" "$(seg "$o" "$i" last_bytes)" "$(seg "$u" "$i" last_bytes)" "$(seg "$w" "$i" last_bytes)"
  done
  echo "| STREAMOFF + freeing REQBUFS(0) on CAPTURE | $(changes "$o") | $(changes "$u") | $(changes "$w") | | |"
  echo "| CREATE_BUFS / REMOVE_BUFS buffers | $(v "$o" kernel_create_bufs) / $(v "$o" kernel_remove_bufs) | $(v "$u" kernel_create_bufs) / $(v "$u" kernel_remove_bufs) | $(v "$w" kernel_create_bufs) / $(v "$w" kernel_remove_bufs) | | |"
  echo "| REQBUFS allocations on CAPTURE | $(v "$o" kernel_reqbufs_alloc) | $(v "$u" kernel_reqbufs_alloc) | $(v "$w" kernel_reqbufs_alloc) | | |"
  [ -z "$(v "$o" element_inter_resizes)" ] ||
    echo "| inter-frame resizes / their fallbacks (ours: pool-stats) | $(v "$o" element_inter_resizes) / $(v "$o" element_inter_resize_fallbacks) | | | | |"
  for i in $(seq 1 $((nseg - 1))); do
    row3 "gap at the $(ordinal "$i") change (ms, median of $rounds)" "$(med "${o%-r1}" "gap_ms_$i")" "$(med "${u%-r1}" "gap_ms_$i")" "$(med "${w%-r1}" "gap_ms_$i")"
  done
  row3 "CPU time per frame delivered (ms, median of $rounds)" "$(med "${o%-r1}" cpu_ms_per_frame)" "$(med "${u%-r1}" cpu_ms_per_frame)" "$(med "${w%-r1}" cpu_ms_per_frame)"
  # Per frame of the stream: a decoder that drops frames still parses
  # them; one that stopped before EOS did not see the whole stream (n/a).
  row3 "CPU time per frame of the stream, when it reached EOS (ms, median of $rounds)" \
    "$(stream_cpu "$o" "$total")" "$(stream_cpu "$u" "$total")" "$(stream_cpu "$w" "$total")"
  echo "| frames delivered in rounds 2 to $rounds | $(others "$o" frames) | $(others "$u" frames) | $(others "$w" frames) | | |"
  for l in "$o" "$u" "$w"; do
    case $l in "$o") who=ours ;; "$u") who="upstream 1.22" ;; *) who="upstream 1.26" ;; esac
    err=$(v "$l" error)
    [ -z "$err" ] || echo "| $who: error | ${err//|//} | | | | |"
    awk -F, -v l="$l" '$1 == "stderr" && $2 == l { $1 = $2 = ""; print substr($0, 3) }' "$csv" |
      while IFS= read -r line; do echo "| $who: ERROR log | ${line//|//} | | | | |"; done
  done
  awk -F, -v l="$u" '$1 == "basedebug" && index(l, $2 "-r") == 1 { print $3 " x " $4 }' "$csv" |
    while IFS= read -r line; do echo "| upstream 1.22: vp9decoder debug (separate run) | | ${line//|//} | | | |"; done
done

for st in vp9-inter vp9-key vp8-key; do
  for who in ours upstream u26; do
    awk -F, -v l="$st-$who-r1" '$1 == "frame" && $2 == l { print $3, $9 }' "$csv" >"$out/$st-$who.dat"
  done
done
if command -v gnuplot >/dev/null; then
  # A stream where one element delivered no frame has an empty .dat file;
  # gnuplot skips it with a warning and the key says so.
  gnuplot 2>/dev/null <<PLOT
set terminal pngcairo size 900,1000
set output "$src/docs/bench-vpx-memory.png"
set multiplot layout 3,1
set xlabel "frame delivered"
set ylabel "CAPTURE bytes (KiB)"
set key below
set xrange [0:*]
set yrange [0:*]
set offsets 0, 0, graph 0.1, 0
set title "VP9, inter-frame size changes 352x288 -> 176x144 -> 264x216 -> 352x288 (visl, kernel ioctl log)"
plot "$out/vp9-inter-ours.dat" using 1:(\$2/1024) with steps lw 2 title "v4l2elasticvp9dec", \
     "$out/vp9-inter-upstream.dat" using 1:(\$2/1024) with steps lw 2 dt 2 title "v4l2slvp9dec 1.22 ($(v vp9-inter-upstream-r1 frames) frames)", \
     "$out/vp9-inter-u26.dat" using 1:(\$2/1024) with steps lw 2 dt 3 title "v4l2slvp9dec 1.26 ($(v vp9-inter-u26-r1 frames) frames)"
set title "VP9, key-frame size changes 352x288 -> 176x144 -> 352x288"
plot "$out/vp9-key-ours.dat" using 1:(\$2/1024) with steps lw 2 title "v4l2elasticvp9dec", \
     "$out/vp9-key-upstream.dat" using 1:(\$2/1024) with steps lw 2 dt 2 title "v4l2slvp9dec 1.22 ($(v vp9-key-upstream-r1 frames) frames)", \
     "$out/vp9-key-u26.dat" using 1:(\$2/1024) with steps lw 2 dt 3 title "v4l2slvp9dec 1.26 ($(v vp9-key-u26-r1 frames) frames)"
set title "VP8, key-frame size changes 352x288 -> 176x144 -> 352x288"
plot "$out/vp8-key-ours.dat" using 1:(\$2/1024) with steps lw 2 title "v4l2elasticvp8dec", \
     "$out/vp8-key-upstream.dat" using 1:(\$2/1024) with steps lw 2 dt 2 title "v4l2slvp8dec 1.22 ($(v vp8-key-upstream-r1 frames) frames)", \
     "$out/vp8-key-u26.dat" using 1:(\$2/1024) with steps lw 2 dt 3 title "v4l2slvp8dec 1.26 ($(v vp8-key-u26-r1 frames) frames)"
unset multiplot
PLOT
  echo
  echo "plot: docs/bench-vpx-memory.png"
else
  echo "gnuplot not installed: no plot (apt-get install gnuplot-nox)" >&2
fi
