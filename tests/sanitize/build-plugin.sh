#!/bin/sh
# gst-v4l2-elastic: the plugin built with AddressSanitizer and
# UndefinedBehaviorSanitizer (gcc), for the guest's sanitizer pass
# (tests/kernel/sanitize-visl.sh, issue #16).
#
#   build-plugin.sh SOURCE_DIR PRIVATE_BUILD_DIR STAMP
#
# A Meson build of its own (b_sanitize is per build directory), tests off so
# that nothing but the plugin and its two libraries is compiled; its ninja
# is incremental, so this runs on every build and costs a second when
# nothing changed.  The guest loads PRIVATE_BUILD_DIR/ext/v4l2elastic
# (not a copy beside it: GStreamer scans plugin folders recursively and
# would find two plugins of one name).
#
# SPDX-License-Identifier: LGPL-2.1-or-later

set -eu
src=$1
dir=$2
out=$3

if [ ! -f "$dir/build.ninja" ]; then
  # -fno-sanitize-recover: UBSan aborts at the first finding instead of
  # printing and going on, so a finding cannot pass unnoticed.
  if ! meson setup "$dir" "$src" -Dtests=disabled -Dbuildtype=debugoptimized \
      -Db_sanitize=address,undefined -Db_lundef=false \
      -Dc_args=-fno-sanitize-recover=all >"$dir.setup.log" 2>&1; then
    cat "$dir.setup.log" >&2
    rm -rf "$dir"
    exit 1
  fi
fi
meson compile -C "$dir" gstv4l2elastic >"$dir.compile.log" 2>&1 ||
  { cat "$dir.compile.log" >&2; exit 1; }
test -f "$dir/ext/v4l2elastic/libgstv4l2elastic.so"
touch "$out"
