# gst-v4l2-elastic: the TAP helpers of the guest suites (guest-suite.sh,
# guest-suite-trixie.sh), sourced.  Every result names the kernel it ran
# on; programs that speak TAP themselves are renumbered into one stream
# (their SKIP directives stay in the description).
#
# SPDX-License-Identifier: LGPL-2.1-or-later

kernel=$(uname -r)
n=0
failed=0

label() { case "$*" in "$kernel"*) echo "$*" ;; *) echo "$kernel $*" ;; esac; }
ok() { n=$((n + 1)); echo "ok $n - $(label "$@")"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $(label "$@")"; }

# Run a TAP-speaking program and renumber its results into ours.
run_tap() {
  name=$1
  shift
  t0=$(date +%s)
  out=$("$@" 2>&1)
  rc=$?
  echo "# $name took $(($(date +%s) - t0)) s"
  echo "$out" | grep -v '^ok \|^not ok \|^1\.\.\|^TAP version' | sed 's/^/# /'
  tap=$(echo "$out" | grep '^ok \|^not ok ')
  if [ -z "$tap" ]; then
    not_ok "$name produced no results (exit $rc)"
    return
  fi
  while IFS= read -r line; do
    case "$line" in
      "not ok "*) not_ok "$(echo "$line" | sed 's/^not ok [0-9]* *-* *//')" ;;
      *) ok "$(echo "$line" | sed 's/^ok [0-9]* *-* *//')" ;;
    esac
  done <<TAP
$tap
TAP
  [ "$rc" -eq 0 ] || not_ok "$name exited with status $rc"
}

suite_start=$(date +%s)
step_start=$suite_start
# Prints how long the step since the last call took.
took() {
  now=$(date +%s)
  echo "# $1 took $((now - step_start)) s"
  step_start=$now
}
