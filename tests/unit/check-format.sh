#!/bin/sh
# Every C file of the project must be formatted by the repo's .clang-format.
# SPDX-License-Identifier: LGPL-2.1-or-later
set -eu
src=$1
clang_format=$2
cd "$src"
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find gst ext tests tools -name '*.[ch]')
[ -n "$files" ] || { echo "no C files found in $src" >&2; exit 1; }
bad=0
for f in $files; do
  if ! "$clang_format" --style=file --dry-run --Werror "$f" >/dev/null 2>&1; then
    echo "not formatted: $f (run: clang-format -i $f)"
    bad=1
  fi
done
[ "$bad" = 0 ] && echo "$(echo "$files" | wc -w) files formatted"
exit "$bad"
