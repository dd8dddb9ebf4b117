#!/bin/sh
# gst-v4l2-elastic: which media core the guest runs (run inside the guest).
#
#   core-modules.sh SERIES VARIANT
#
# On a "patched" variant, tools/vm/prepare-kernel builds the media core
# modules that the series changes from the patched tree (vm_series_core in
# tools/vm/common.sh: all five on 6.1, videobuf2-common on 6.12) and loads
# them from updates/ instead of Debian's: each of those must be loaded and
# carry the out-of-tree taint flag (O).  Every other core module, and all
# of them on a stock variant, must be Debian's own (no O).  v4l2-mem2mem
# and the test drivers are always built out of tree and are not checked
# here.  Prints TAP.
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -u
series=${1:?usage: core-modules.sh SERIES VARIANT}
variant=${2:?usage: core-modules.sh SERIES VARIANT}
n=0
failed=0

# Ours on the patched variant (module names as in /sys/module).
case "$series-$variant" in
  6.1-patched) ours="videodev videobuf2_common videobuf2_v4l2 videobuf2_memops videobuf2_vmalloc" ;;
  6.12-patched) ours="videobuf2_common" ;;
  *) ours="" ;;
esac

echo "TAP version 13"
for m in videodev videobuf2_common videobuf2_v4l2 videobuf2_memops videobuf2_vmalloc; do
  n=$((n + 1))
  case " $ours " in *" $m "*) want=ours ;; *) want=debian ;; esac
  if [ ! -d "/sys/module/$m" ]; then
    failed=1
    echo "not ok $n - $m is loaded"
    continue
  fi
  taint=$(cat "/sys/module/$m/taint" 2>/dev/null)
  case "$taint" in *O*) origin=ours ;; *) origin=debian ;; esac
  if [ "$origin" = "$want" ]; then
    echo "ok $n - $m is $want (taint '$taint')"
  else
    failed=1
    echo "not ok $n - $m is $want (taint '$taint': $origin)"
  fi
done
echo "1..$n"
exit "$failed"
