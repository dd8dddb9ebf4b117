#!/bin/sh
# gst-v4l2-elastic: tools/demo FILE as a newcomer runs it, on files of the
# player tests (MP4 with H.264, MPEG-TS with MPEG-2): the codec found,
# playbin3 choosing our element in the 6.12 guest, and the frame count and
# order verdict against the software decoder.  One TAP line per file.
#
#   demo-file.sh SOURCE_DIR BUILD_DIR FILE...
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -u
src=$1
build=$2
shift 2
n=0
failed=0
echo "TAP version 13"
for f in "$@"; do
  n=$((n + 1))
  out=$(BUILD_DIR=$build "$src/tools/demo" "$f" 2>&1)
  rc=$?
  echo "$out" | grep -i 'verdict\|chose\|codec' | sed 's/^/# /'
  if [ "$rc" = 0 ] && echo "$out" | grep -q 'verdict: .* the same count and PTS order'; then
    echo "ok $n - tools/demo $(basename "$f"): same frame count and order as the software decoder"
  else
    failed=1
    echo "not ok $n - tools/demo $(basename "$f"): exit $rc"
    echo "$out" | tail -15 | sed 's/^/# /'
  fi
done
echo "1..$n"
exit "$failed"
