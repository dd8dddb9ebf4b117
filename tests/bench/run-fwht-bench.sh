#!/usr/bin/env bash
# gst-v4l2-elastic: the FWHT pool benchmark (elastic vs classic pool of our
# own element, same stream, one guest run on Debian 6.12 with the carried
# patches).  Writes build/bench/fwht.csv, docs/bench-fwht-memory.png and
# prints the summary and ratios.
#
#   tests/bench/run-fwht-bench.sh [BUILD_DIR]
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$src/build}
out=$build/bench
mkdir -p "$out"

cat >"$out/guest.sh" <<GUEST
set -e
d=/tmp/bench-streams
sh $src/tests/media/fwht-streams.sh \$d resize 30 1280x720,640x480,1280x720 >&2
export GST_PLUGIN_PATH_1_0=$build/ext/v4l2elastic
$build/tests/bench/v4l2elastic-fwht-bench \$d/resize.fwht 3
GUEST
"$src/tools/vm-run" --kernel 6.12 -- sh "$out/guest.sh" >"$out/fwht.csv"

grep -v '^timeline' "$out/fwht.csv"
grep '^timeline,elastic' "$out/fwht.csv" | cut -d, -f3,8 | tr ',' ' ' >"$out/elastic.dat"
grep '^timeline,classic' "$out/fwht.csv" | cut -d, -f3,8 | tr ',' ' ' >"$out/classic.dat"
if command -v gnuplot >/dev/null; then
  gnuplot <<PLOT
set terminal pngcairo size 900,450
set output "$src/docs/bench-fwht-memory.png"
set title "CAPTURE memory, FWHT 1280x720 -> 640x480 -> 1280x720, downstream keeps 3"
set xlabel "ms since start (vicodec in QEMU/TCG)"
set ylabel "CAPTURE bytes (MiB)"
set key top left
plot "$out/elastic.dat" using 1:(\$2/1048576) with steps lw 2 title "elastic pool", \
     "$out/classic.dat" using 1:(\$2/1048576) with steps lw 2 dt 2 title "classic pool"
PLOT
  echo "plot: docs/bench-fwht-memory.png"
else
  echo "gnuplot not installed: no plot (apt-get install gnuplot-nox)" >&2
fi
