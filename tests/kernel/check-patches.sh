#!/usr/bin/env bash
# gst-v4l2-elastic: check the carried kernel patches (host, no guest).
#
#   tests/kernel/check-patches.sh [SERIES...]      (default: 6.1 6.12)
#
# For each series, on a hard-linked copy of Debian's pristine
# linux-source-SERIES (the one tools/vm/prepare-kernel unpacks; it is
# downloaded if missing):
#   - every patch named by kernel/patches/SERIES/series exists, is a
#     `git format-patch` file (From/Subject header, a commit message) and
#     applies in order with `patch -p1 --fuzz=0` (as strictly as `git am`);
#   - `perl scripts/checkpatch.pl --strict`, run from the source tree's
#     root, reports 0 errors, 0 warnings and 0 checks for it (with the
#     few message types ignored below, each only where it cannot apply).
# Prints TAP; exits 0 only if every check passed.  A series with no
# series file, or an empty one, is reported as skipped.
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
project=$(cd "$here/../.." && pwd)
. "$project/tools/vm/common.sh"

[ $# -gt 0 ] || set -- 6.1 6.12
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $*"; }
diag() { sed 's/^/# /'; }

work=$(mktemp -d "${TMPDIR:-/tmp}/check-patches.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Succeeds if PATCH adds pr_cont() or printk(KERN_CONT ...) calls and every
# one of them lies in a printer of the V4L2 ioctl table: a function
# `static void v4l_print_NAME(const void *arg, bool write_only)` of
# drivers/media/v4l2-core/v4l2-ioctl.c, the `.debug` member of an
# IOCTL_INFO() entry.  __video_do_ioctl() starts the log line with
# v4l_printk_ioctl() and the printer continues it, so such a printer cannot
# avoid the continuation that checkpatch warns about (LOGGING_CONTINUATION,
# "where feasible"); every printer of that table does the same.
continuations_only_in_ioctl_printers() {
  awk '
    /^diff --git / { file = substr($4, 3); body = 1; infn = 0; next }
    !body { next }
    /^@@ / { infn = 0; next }
    /^[-\\]/ { next }
    {
      line = substr($0, 2)
      if (line ~ /^static void v4l_print_[a-z0-9_]+\(const void \*arg, bool write_only\)$/)
        infn = 1
      else if (line ~ /^[^ \t{]/)
        infn = 0
    }
    /^\+/ && /(^|[^A-Za-z0-9_])(pr_cont[ \t]*\(|printk[ \t]*\([ \t]*KERN_CONT)/ {
      n++
      if (file != "drivers/media/v4l2-core/v4l2-ioctl.c" || !infn)
        bad++
    }
    END { exit !(n > 0 && bad == 0) }
  ' "$1"
}

# The unpacked pristine sources of a series, fetched by prepare-kernel
# (stock variant: no patches applied, only the download and unpack).
source_tree() {
  local series=$1 dir version
  dir=$VM_CACHE/kernel/$series
  version=$(sed -n 2p "$dir/current" 2>/dev/null || true)
  if [ -z "$version" ] || ! ls -d "$dir/$version"/src/linux-source-* >/dev/null 2>&1; then
    "$project/tools/vm/prepare-kernel" "$series" stock >/dev/null || return 1
    version=$(sed -n 2p "$dir/current")
  fi
  ls -d "$dir/$version"/src/linux-source-* | head -n1
}

echo "TAP version 13"
for series in "$@"; do
  pdir=$project/kernel/patches/$series
  if [ ! -s "$pdir/series" ]; then
    ok "$series: no carried patches # SKIP empty or missing series file"
    continue
  fi
  if ! src=$(source_tree "$series"); then
    not_ok "$series: Debian's linux-source-$series is available"
    continue
  fi
  echo "# $series: $(basename "$src") from $src"
  tree=$work/$series
  # Hard links are cheap; GNU patch replaces the files it changes, so the
  # pristine sources stay pristine.
  cp -al "$src" "$tree"
  applies=1
  while read -r p _; do
    case "$p" in '' | '#'*) continue ;; esac
    f=$pdir/$p
    name="$series $p"
    if [ ! -f "$f" ]; then
      not_ok "$name: listed in series and present"
      applies=0
      continue
    fi
    if head -n1 "$f" | grep -q '^From [0-9a-f]\{40\} ' && grep -q '^Subject: ' "$f" &&
      awk '/^Subject: /{s=1; next} s && /^$/{b=1; next} b && /^---$/{exit} b && NF{t++} END{exit !(t>=3)}' "$f"; then
      ok "$name: git format-patch file with a commit message"
    else
      not_ok "$name: git format-patch file with a commit message"
    fi
    if [ "$applies" = 1 ] && out=$(patch -p1 -d "$tree" --forward --batch --fuzz=0 -s <"$f" 2>&1); then
      ok "$name: applies to $(basename "$src")"
    else
      [ "$applies" = 1 ] && echo "$out" | diag
      not_ok "$name: applies to $(basename "$src")"
      applies=0
    fi
    # Debian's source package has no git history, so checkpatch cannot look
    # up the commit a `Fixes:` tag names and warns UNKNOWN_COMMIT_ID for
    # every one; the ids were checked against mainline's history instead
    # (docs/kernel.md, "Fixes: tags").  Every other check stays on.
    ignore=UNKNOWN_COMMIT_ID
    # LOGGING_CONTINUATION only for the pr_cont() of an ioctl table printer
    # (see continuations_only_in_ioctl_printers); any other continuation
    # the patch adds keeps the warning, for all of the patch.
    if continuations_only_in_ioctl_printers "$f"; then
      ignore="$ignore,LOGGING_CONTINUATION"
    fi
    # checkpatch asks "does MAINTAINERS need updating?" for every new file;
    # it does not when MAINTAINERS already lists a folder holding the file.
    new_files=$(awk '/^diff --git /{f=substr($4, 3)} /^new file mode/{print f}' "$f")
    if [ -n "$new_files" ]; then
      covered=1
      for nf in $new_files; do
        d=$(dirname "$nf")
        until grep -q "^F:[[:space:]]*$d/\?\$" "$src/MAINTAINERS" || [ "$d" = . ]; do
          d=$(dirname "$d")
        done
        [ "$d" != . ] || covered=0
      done
      [ "$covered" = 0 ] || ignore="$ignore,FILE_PATH_CHANGES"
    fi
    out=$(cd "$src" && perl scripts/checkpatch.pl --strict --no-color \
      --ignore "$ignore" "$f" 2>&1)
    if echo "$out" | grep -q '^total: 0 errors, 0 warnings, 0 checks'; then
      ok "$name: checkpatch --strict clean"
    else
      echo "$out" | diag
      not_ok "$name: checkpatch --strict clean"
    fi
  done <"$pdir/series"
  rm -rf "$tree"
done
echo "1..$n"
exit "$failed"
