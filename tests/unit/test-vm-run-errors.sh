#!/bin/sh
# tools/vm-run must refuse what it cannot do with a message that names the
# problem and the fix, and a non-zero exit status.
# SPDX-License-Identifier: LGPL-2.1-or-later
set -u
src=$1
fail=0

expect() {
  name=$1 pattern=$2
  shift 2
  out=$("$@" 2>&1)
  rc=$?
  if [ "$rc" -ne 0 ] && echo "$out" | grep -q -- "$pattern"; then
    echo "ok - $name"
  else
    echo "not ok - $name (rc=$rc): $out"
    fail=1
  fi
}

expect "unknown kernel series" "unknown kernel series '5.10'" \
  "$src/tools/vm-run" --kernel 5.10 -- true
expect "unknown option" "unknown option --bogus" \
  "$src/tools/vm-run" --bogus -- true
expect "unknown root" "unknown root 'sid'" \
  "$src/tools/vm-run" --root sid -- true
expect "no command" "usage\|Usage\|COMMAND" \
  "$src/tools/vm-run" --kernel 6.12
# A PATH with the shell utilities vm-run needs before its qemu check, and
# no qemu.
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
for t in dirname readlink; do ln -s "$(command -v $t)" "$bin/$t"; done
expect "missing qemu is named" "qemu-system-x86_64' is not installed" \
  env PATH="$bin" /bin/bash "$src/tools/vm-run" -- true
exit "$fail"
