#!/bin/sh
# gst-v4l2-elastic: the real-kernel suite, run inside the QEMU guest by
# tools/vm-run (one boot for the whole suite).  Emits one TAP stream; every
# line names the kernel and the driver it ran on.
#
#   guest-suite.sh BUILD_DIR EXPECTED_DRIVERS REMOVE_BUFS
#
# REMOVE_BUFS (yes|no) is whether this kernel must offer VIDIOC_REMOVE_BUFS.
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -u
build=$1
expect=$2
remove_bufs=$3
kernel=$(uname -r)
n=0
failed=0

# Results name the kernel; programs that print it themselves keep theirs.
label() { case "$*" in "$kernel"*) echo "$*" ;; *) echo "$kernel $*" ;; esac; }
ok() { n=$((n + 1)); echo "ok $n - $(label "$@")"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $(label "$@")"; }

# Run a TAP-speaking program and renumber its results into ours.
run_tap() {
  name=$1
  shift
  out=$("$@" 2>&1)
  rc=$?
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

echo "TAP version 13"
echo "# kernel $kernel ($VMRUN_KERNEL_SERIES, $VMRUN_KERNEL_VARIANT); expected drivers: $expect"
echo "# loaded: $(cut -d' ' -f1 /proc/modules | tr '\n' ' ')"

# Every expected driver shows up as a stateless decoder through the media
# controller.
min=$(echo "$expect" | tr ',' '\n' | grep -c .)
if probe=$("$build/tools/v4l2elastic-probe" --min "$min" 2>&1); then
  ok "probe finds $min stateless decoder(s)"
else
  not_ok "probe finds $min stateless decoder(s)"
fi
echo "$probe" | sed 's/^/# /'
for d in $(echo "$expect" | tr ',' ' '); do
  if echo "$probe" | awk -v d="$d" '$2 == d { f = 1 } END { exit !f }'; then
    ok "$d stateless decoder present"
  else
    not_ok "$d stateless decoder present"
  fi
done

# The plugin loads where decoders exist.
if out=$(GST_PLUGIN_PATH_1_0="$build/ext/v4l2elastic" GST_PLUGIN_SYSTEM_PATH_1_0= \
    gst-inspect-1.0 v4l2elastic 2>&1) && echo "$out" | grep -q 'Name *v4l2elastic'; then
  ok "gst-inspect-1.0 v4l2elastic loads the plugin"
else
  not_ok "gst-inspect-1.0 v4l2elastic loads the plugin"
  echo "$out" | sed 's/^/# /'
fi

run_tap queue-semantics "$build/tests/kernel/v4l2elastic-queue-semantics" \
  --expect "$expect" --remove-bufs "$remove_bufs"

echo "1..$n"
exit "$failed"
