#!/usr/bin/env bash
# gst-v4l2-elastic: builds the libFuzzer targets of tests/fuzz with clang
# in a build directory of their own (configured once, then reused) and
# runs each for a bounded time, seeded from tests/fuzz/corpus/<codec>/;
# every file of tests/fuzz/regressions/<codec>/ is replayed first.  A
# crash, sanitizer report, failed invariant, leak or timeout fails the
# run; libFuzzer writes the input to <build>/findings/.  The inputs a run
# keeps (<build>/corpus/<codec>/) seed the next run.
#
#   tests/fuzz/run-fuzz.sh [--build DIR] [CODEC...]
#
# CODEC: fwht h264 h265 vp8 vp9 mpeg2 (default: all).  Environment:
#   FUZZ_SECONDS  time per target (default 20)
#   FUZZ_ARGS     more libFuzzer arguments (e.g. -seed=1)
#   FUZZ_SRC      the source tree (default: this script's)
# Exits 77 (skipped) when clang or its libFuzzer runtime is missing.
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -uo pipefail
src=${FUZZ_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
build=$src/build-fuzz
if [ "${1:-}" = --build ]; then
  build=$2
  shift 2
fi
seconds=${FUZZ_SECONDS:-20}
codecs=("$@")
[ ${#codecs[@]} -gt 0 ] || codecs=(fwht h264 h265 vp8 vp9 mpeg2)

if ! command -v clang >/dev/null; then
  echo "run-fuzz: clang not found (tools/setup-host installs it): skipped"
  exit 77
fi
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n){return 0;}' \
  >"$probe/p.c"
if ! clang -fsanitize=fuzzer,address,undefined "$probe/p.c" -o "$probe/p" \
  2>"$probe/err"; then
  cat "$probe/err"
  echo "run-fuzz: clang cannot link libFuzzer (libclang-rt-14-dev): skipped"
  exit 77
fi

if [ ! -f "$build/build.ninja" ]; then
  CC=clang meson setup "$build" "$src" -Dfuzzing=enabled >"$probe/setup" 2>&1 ||
    { cat "$probe/setup"; echo "run-fuzz: meson setup failed"; exit 1; }
fi
targets=()
for c in "${codecs[@]}"; do targets+=("fuzz-$c"); done
meson compile -C "$build" "${targets[@]}" >"$probe/compile" 2>&1 ||
  { cat "$probe/compile"; echo "run-fuzz: build failed"; exit 1; }

# Every sanitizer report is fatal; a leak is a finding too.  Leaks are
# looked for in a pass of their own over every input the run kept (and
# the regressions): their suppressions (leaks inside GStreamer's parsers,
# lsan.supp) need the frames of GStreamer's libraries, which have no frame
# pointers, and unwinding them on every malloc makes fuzzing 5 times
# slower.
asan_fuzz=abort_on_error=1:detect_leaks=0
asan_leaks=abort_on_error=1:detect_leaks=1:fast_unwind_on_malloc=0
export LSAN_OPTIONS=suppressions=$src/tests/fuzz/lsan.supp
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=0
for c in "${codecs[@]}"; do
  bin=$build/tests/fuzz/fuzz-$c
  corpus=$build/corpus/$c      # what this run adds: never the checked-in one
  findings=$build/findings
  log=$build/fuzz-$c.log
  mkdir -p "$corpus" "$findings"

  regressions=("$src/tests/fuzz/regressions/$c"/*)
  if [ -e "${regressions[0]}" ]; then
    if ! ASAN_OPTIONS=$asan_leaks "$bin" -runs=1 "${regressions[@]}" \
      >"$log.regressions" 2>&1; then
      tail -n 40 "$log.regressions"
      echo "run-fuzz: $c: a regression input fails again"
      status=1
      continue
    fi
    echo "run-fuzz: $c: ${#regressions[@]} regression inputs pass"
  fi

  # shellcheck disable=SC2086
  ASAN_OPTIONS=$asan_fuzz "$bin" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -detect_leaks=0 -print_final_stats=1 \
    -artifact_prefix="$findings/$c-" ${FUZZ_ARGS:-} \
    "$corpus" "$src/tests/fuzz/corpus/$c" >"$log" 2>&1
  rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
  if [ "$rc" != 0 ]; then
    tail -n 60 "$log"
    echo "run-fuzz: $c: FINDING (exit $rc) after ${runs:-?} runs; input in $findings/"
    status=1
    continue
  fi
  kept=$(find "$corpus" "$src/tests/fuzz/corpus/$c" -type f | wc -l)
  if ! ASAN_OPTIONS=$asan_leaks "$bin" -runs=0 -artifact_prefix="$findings/$c-" \
    "$corpus" "$src/tests/fuzz/corpus/$c" >"$log.leaks" 2>&1; then
    tail -n 60 "$log.leaks"
    echo "run-fuzz: $c: FINDING in the leak pass over $kept inputs; input in $findings/"
    status=1
    continue
  fi
  echo "run-fuzz: $c: ${runs:-?} runs in ${seconds} s, ${cov:-cov: ?}," \
    "$kept inputs kept and checked for leaks, no finding"
done
exit "$status"
