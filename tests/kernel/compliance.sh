#!/bin/sh
# gst-v4l2-elastic: v4l2-compliance on every stateless decoder node of the
# guest (visl, vicodec's stateless decoder), run in the Debian 13 root
# (v4l-utils 1.30, which tests CREATE_BUFS and REMOVE_BUFS).
#
#   compliance.sh SERIES-VARIANT DRIVERS
#
# Every test v4l2-compliance reports as FAIL must be listed for this
# kernel variant and driver in tests/kernel/compliance-expected.txt, with
# its explanation (docs/kernel.md, "v4l2-compliance 1.30"); a failure not
# listed fails, and so does a listed one that passes (the list must be
# kept true).  The totals and the CREATE_BUFS/REMOVE_BUFS results are
# reported per node.  Emits TAP.
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -u
variant=$1
drivers=$2
here=$(cd "$(dirname "$0")" && pwd)
expected=$here/compliance-expected.txt
kernel=$(uname -r)
work=${COMPLIANCE_WORK:-/tmp/compliance}
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $kernel $*"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $kernel $*"; }
mkdir -p "$work"
echo "TAP version 13"
echo "# $(v4l2-compliance --version 2>&1 | head -n1)"

node() {
  for d in /sys/class/video4linux/video*; do
    [ "$(cat "$d/name")" = "$1" ] && { echo "/dev/${d##*/}"; return 0; }
  done
  return 1
}

# known DRIVER TEST: the explanation of an expected failure, if any.
known() {
  awk -v v="$variant" -v d="$1" -v t="$2" -F '|' '
    /^#/ || NF < 4 { next }
    { for (i = 1; i <= 4; i++) gsub(/^ +| +$/, "", $i) }
    $1 == v && $2 == d && $3 == t { print $4; exit }' "$expected"
}

for drv in $(echo "$drivers" | tr ',' ' '); do
  case "$drv" in
    visl) name=visl ;;
    vicodec) name=stateless-decoder ;;
    *) continue ;;
  esac
  if ! dev=$(node "$name"); then
    not_ok "$drv: no '$name' video node"
    continue
  fi
  log=$work/$drv.log
  timeout 300 v4l2-compliance -d "$dev" >"$log" 2>&1
  rc=$?
  total=$(grep -m1 '^Total for' "$log" | sed 's/^Total for //')
  if [ -z "$total" ]; then
    not_ok "$drv: v4l2-compliance on $dev ran to its totals (exit $rc)"
    tail -n 20 "$log" | sed 's/^/# /'
    continue
  fi
  ok "$drv: v4l2-compliance: $total"
  grep -E 'CREATE_BUFS|REMOVE_BUFS' "$log" | sed 's/^[[:space:]]*/# /'
  grep -E 'test [^:]*(CREATE_BUFS|REMOVE_BUFS)[^:]*: OK' "$log" | sed 's/^[[:space:]]*test //' |
    while IFS= read -r l; do echo "ok - $kernel $drv: v4l2-compliance $l"; done >"$work/$drv.bufs"
  while IFS= read -r l; do ok "${l#ok - $kernel }"; done <"$work/$drv.bufs"
  grep ': FAIL' "$log" | sed 's/^[[:space:]]*test //; s/: FAIL.*//' >"$work/$drv.fails"
  while IFS= read -r t; do
    why=$(known "$drv" "$t")
    if [ -n "$why" ]; then
      ok "$drv: v4l2-compliance '$t' fails as expected on $variant: $why"
    else
      not_ok "$drv: v4l2-compliance '$t' fails on $variant (not in compliance-expected.txt)"
      grep -B4 "test $t: FAIL" "$log" | grep 'fail:' | sed 's/^[[:space:]]*/# /'
    fi
  done <"$work/$drv.fails"
  # Listed failures that no longer happen.
  awk -v v="$variant" -v d="$drv" -F '|' '
    /^#/ || NF < 4 { next }
    { for (i = 1; i <= 3; i++) gsub(/^ +| +$/, "", $i) }
    $1 == v && $2 == d { print $3 }' "$expected" |
    while IFS= read -r t; do
      grep -qxF "$t" "$work/$drv.fails" ||
        echo "not ok - $kernel $drv: '$t' is listed as failing on $variant but passes"
    done >"$work/$drv.stale"
  while IFS= read -r l; do
    not_ok "${l#not ok - $kernel }"
  done <"$work/$drv.stale"
done

echo "1..$n"
exit "$failed"
