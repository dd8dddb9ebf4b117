#!/bin/sh
# gst-v4l2-elastic: the element under AddressSanitizer and
# UndefinedBehaviorSanitizer in the guest (issue #16).
#
#   sanitize-visl.sh BUILD_DIR MUTANTS SEED
#
# Loads the plugin that tests/sanitize built with -fsanitize=address,undefined
# (gcc, -fno-sanitize-recover: the first finding aborts) and runs, with
# libasan preloaded into Python (the program itself is not
# instrumented):
# - every file of each codec's corpus once (sanitize-corpus.py, one
#   process): FWHT on vicodec, H.264, VP8, VP9 and MPEG-2 on visl, the
#   VP8/VP9 alpha bins on the alpha WebM files, and playbin on the player
#   files (checked to pick our decoder);
# - mutate-visl.py's mutants (MUTANTS per codec, SEED) through the same
#   plugin.
# A decode must end in EOS or a GStreamer error message (some corpus files
# are refused on purpose, e.g. PAFF) and leave no sanitizer report behind.  Leak detection is off
# here (GStreamer keeps one-time allocations until exit); leaks are the
# job of valgrind (valgrind-visl.sh), the leaks tracer and the fd checks.
#
# Emits TAP.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

set -u
build=$(cd "$1" && pwd)
mutants=$2
seed=$3
src=$(cd "$(dirname "$0")/../.." && pwd)
work=/tmp/sanitize-visl
rm -rf "$work"
mkdir -p "$work/reports"

. "$src/tests/kernel/tap-lib.sh"
check() { if [ "$1" -eq 0 ]; then shift; ok "$@"; else shift; not_ok "$@"; fi; }

echo "TAP version 13"
plugin_dir=$build/tests/sanitize/plugin-build/ext/v4l2elastic
plugin=$plugin_dir/libgstv4l2elastic.so
asan=$(ldd "$plugin" 2>/dev/null | awk '/libasan/ { print $3 }')
if [ -z "$asan" ] || [ ! -f "$asan" ]; then
  not_ok "the sanitizer build of the plugin is there and links libasan ($plugin; built by the sanitize-plugin target)"
  echo "1..$n"
  exit 1
fi

export GST_PLUGIN_PATH_1_0=$plugin_dir
export GST_REGISTRY_1_0=$work/registry.bin
export LD_PRELOAD=$asan
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:log_path=$work/reports/asan
export UBSAN_OPTIONS=print_stacktrace=1:log_path=$work/reports/ubsan

file=$(gst-inspect-1.0 v4l2elastich264dec 2>&1 | sed -n 's/^ *Filename *//p')
[ "$file" = "$plugin" ]
check $? "gst-inspect-1.0 loads the sanitizer build with libasan preloaded (${file:-not loaded})"

SANITIZER_REPORT='ERROR: AddressSanitizer\|runtime error:\|SUMMARY: .*Sanitizer'
reports() { ls "$work/reports" 2>/dev/null | wc -l; }

# Every corpus file in one process (tests/kernel/sanitize-corpus.py);
# its results are renumbered into ours.
t0=$(date +%s)
/usr/bin/python3 "$src/tests/kernel/sanitize-corpus.py" "$build" \
  >"$work/corpus.log" 2>&1
rc=$?
while IFS= read -r line; do
  case "$line" in
    "ok "*) ok "$(echo "$line" | sed 's/^ok [0-9]* - //')" ;;
    "not ok "*) not_ok "$(echo "$line" | sed 's/^not ok [0-9]* - //')" ;;
    "#   "*) echo "$line" ;;
  esac
done <"$work/corpus.log"
# UBSan, loaded through libasan, writes to stderr despite log_path.
if [ "$rc" -eq 0 ] && [ "$(reports)" -eq 0 ] &&
  ! grep -q "$SANITIZER_REPORT" "$work/corpus.log"; then
  ok "the corpus pass ended without a sanitizer report or crash"
else
  not_ok "the corpus pass ended without a sanitizer report or crash (exit $rc; last $(grep '^# started' "$work/corpus.log" | tail -n1))"
  grep -A12 "$SANITIZER_REPORT" "$work/corpus.log" | head -n 30 | sed 's/^/#   /'
  tail -n 5 "$work/corpus.log" | sed 's/^/#   /'
fi
echo "# corpus pass took $(($(date +%s) - t0)) s"

# The mutants of mutate-visl.py through the sanitizer build.
t0=$(date +%s)
before=$(reports)
players=$build/tests/kernel/player-streams
out=$(/usr/bin/python3 "$src/tests/kernel/mutate-visl.py" "$players" \
  "$build/tests/kernel/alpha-streams" "$mutants" "$seed" 2>&1)
rc=$?
bad=$(echo "$out" | grep -c '^not ok ')
[ "$rc" -eq 0 ] && [ "$bad" -eq 0 ] && [ "$(reports)" = "$before" ] &&
  ! echo "$out" | grep -q "$SANITIZER_REPORT"
check $? "$mutants mutants per codec (seed $seed) under ASan+UBSan: mutate-visl's checks hold, no sanitizer report"
echo "$out" | grep -v '^ok ' | sed 's/^/#   /'
echo "# mutants took $(($(date +%s) - t0)) s"

for r in "$work"/reports/*; do
  [ -f "$r" ] || continue
  echo "# $r:"
  head -n 40 "$r" | sed 's/^/#   /'
done
echo "1..$n"
exit "$failed"
