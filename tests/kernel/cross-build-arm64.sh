#!/usr/bin/env bash
# gst-v4l2-elastic: cross-build the carried kernel series for arm64 (host,
# no guest), with warnings as errors.
#
#   tests/kernel/cross-build-arm64.sh [SERIES...]      (default: 6.1 6.12)
#
# For each series: a hard-linked copy of Debian's pristine
# linux-source-SERIES (the one tools/vm/prepare-kernel unpacks; it is
# downloaded if missing) gets kernel/patches/SERIES/series applied; an
# arm64 build folder is configured from allnoconfig with only the media
# options the patched code needs (media core, videobuf2, mem2mem, vicodec,
# rkvdec, hantro with all its SoC variants), with
# CONFIG_WERROR, CONFIG_COMPAT (32-bit ioctl layer) and
# CONFIG_VIDEO_ADV_DEBUG (vb2's counters) on; then `make modules` builds
# every module of that configuration.  vmlinux is not built: the modules
# only need modules_prepare, which keeps a series to about a minute on two
# cores.  Without vmlinux, modpost cannot resolve the kernel's own symbols;
# (KBUILD_MODPOST_WARN=1 keeps that from failing the build, as 6.12
# would); instead every media symbol a module uses (v4l2_*, vb2_*, video_*,
# media_*) must be exported by one of the media modules built with it.
#
# Needs `aarch64-linux-gnu-gcc` (apt-get install gcc-aarch64-linux-gnu),
# make, bc, flex, bison and patch.  Prints TAP; exits 0 only if every check
# passed.  CROSS_BUILD_DIR=DIR keeps the build folders in DIR (default: a
# temporary folder, removed at exit); JOBS=N overrides `nproc`.
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
project=$(cd "$here/../.." && pwd)
. "$project/tools/vm/common.sh"

[ $# -gt 0 ] || set -- 6.1 6.12
cross=aarch64-linux-gnu-
jobs=${JOBS:-$(nproc)}
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $*"; }
diag() { sed 's/^/# /'; }

if [ -n "${CROSS_BUILD_DIR:-}" ]; then
  work=$CROSS_BUILD_DIR
  mkdir -p "$work"
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/cross-build-arm64.XXXXXX")
  trap 'rm -rf "$work"' EXIT
fi

echo "TAP version 13"
for tool in "${cross}gcc" make bc flex bison patch; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    not_ok "$tool is installed (apt-get install gcc-aarch64-linux-gnu make bc flex bison patch)"
    echo "1..$n"
    exit 1
  fi
done
echo "# $("${cross}gcc" --version | head -n1)"

# The options each series needs (scripts/config arguments) and the modules
# that must come out of the build.
series_config() {
  local common="-e MODULES -e COMPILE_TEST -e WERROR -e COMPAT -e PM -e OF
    -m MEDIA_SUPPORT -d MEDIA_SUPPORT_FILTER -e MEDIA_PLATFORM_SUPPORT
    -e MEDIA_TEST_SUPPORT -m VIDEO_DEV -e MEDIA_CONTROLLER
    -e MEDIA_CONTROLLER_REQUEST_API -e VIDEO_ADV_DEBUG -e V4L_PLATFORM_DRIVERS
    -e V4L_MEM2MEM_DRIVERS -e V4L_TEST_DRIVERS -m VIDEO_VICODEC
    -e STAGING -e STAGING_MEDIA -m VIDEO_ROCKCHIP_VDEC -m VIDEO_HANTRO
    -e VIDEO_HANTRO_ROCKCHIP -e VIDEO_HANTRO_IMX8M -e VIDEO_HANTRO_SUNXI
    -e VIDEO_HANTRO_SAMA5D4"
  echo "$common"
}

series_modules() {
  local common="mc videodev videobuf2-common videobuf2-v4l2 videobuf2-memops
    videobuf2-vmalloc videobuf2-dma-contig v4l2-mem2mem vicodec rockchip-vdec"
  echo "$common hantro-vpu"
}

# The unpacked pristine sources of a series (see check-patches.sh).
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

for series in "$@"; do
  if ! src=$(source_tree "$series"); then
    not_ok "$series: Debian's linux-source-$series is available"
    continue
  fi
  tree=$work/$series/src
  out=$work/$series/out
  log=$work/$series/build.log
  rm -rf "$tree"
  mkdir -p "$work/$series" "$out"
  cp -al "$src" "$tree"

  # --- the series, applied as check-patches.sh does -------------------------
  pdir=$project/kernel/patches/$series
  applied=0
  applies=1
  if [ -f "$pdir/series" ]; then
    while read -r p _; do
      case "$p" in '' | '#'*) continue ;; esac
      if ! patch -p1 -d "$tree" --forward --batch --fuzz=0 -s <"$pdir/$p" >"$log" 2>&1; then
        diag <"$log"
        applies=0
        break
      fi
      applied=$((applied + 1))
    done <"$pdir/series"
  fi
  if [ "$applies" = 1 ]; then
    ok "$series: $applied carried patch(es) applied to $(basename "$src")"
  else
    not_ok "$series: carried patches apply to $(basename "$src")"
    continue
  fi

  # --- configuration ------------------------------------------------------
  kmake() { make -C "$tree" O="$out" ARCH=arm64 CROSS_COMPILE="$cross" "$@"; }
  # shellcheck disable=SC2046
  if kmake -s allnoconfig >"$log" 2>&1 &&
    "$tree/scripts/config" --file "$out/.config" $(series_config "$series") &&
    kmake -s olddefconfig >>"$log" 2>&1; then
    missing=""
    # (6.1 still has a separate MEDIA_CONTROLLER_REQUEST_API option)
    for opt in WERROR COMPAT VIDEO_ADV_DEBUG MEDIA_CONTROLLER \
      VIDEO_DEV V4L2_MEM2MEM_DEV VIDEO_VICODEC VIDEO_ROCKCHIP_VDEC \
      $([ "$series" = 6.1 ] && echo MEDIA_CONTROLLER_REQUEST_API VIDEO_HANTRO \
        VIDEO_HANTRO_ROCKCHIP VIDEO_HANTRO_IMX8M); do
      grep -q "^CONFIG_$opt=[ym]" "$out/.config" || missing="$missing $opt"
    done
    if [ -z "$missing" ]; then
      ok "$series: arm64 configuration (allnoconfig + media, WERROR, COMPAT, VIDEO_ADV_DEBUG)"
    else
      not_ok "$series: arm64 configuration lacks:$missing"
      continue
    fi
  else
    diag <"$log"
    not_ok "$series: arm64 configuration"
    continue
  fi

  # --- build ----------------------------------------------------------------
  start=$(date +%s)
  if kmake -j"$jobs" KBUILD_MODPOST_WARN=1 modules >"$log" 2>&1; then
    ok "$series: make modules with -Werror ($(($(date +%s) - start)) s, $jobs jobs)"
  else
    grep -E 'error|Error|warning' "$log" | head -n 40 | diag
    tail -n 20 "$log" | diag
    not_ok "$series: make modules with -Werror"
    continue
  fi

  # Without vmlinux modpost cannot resolve the kernel's own symbols (it
  # warns and stops listing), but every media symbol a module needs must be
  # exported by one of the media modules built together.
  # (modpost names the file modules-only.symvers when vmlinux is missing)
  symvers=$out/modules-only.symvers
  [ -f "$symvers" ] || symvers=$out/Module.symvers
  missing_syms=""
  while read -r ko; do
    for sym in $("${cross}nm" -u "$ko" | awk '{print $NF}' |
      grep -E '^(v4l2_|__v4l2|v4l_|vb2_|video_|media_|__media)'); do
      grep -q "	$sym	" "$symvers" ||
        missing_syms="$missing_syms $sym(${ko##*/})"
    done
  done < <(find "$out/drivers" -name '*.ko')
  if [ -z "$missing_syms" ]; then
    ok "$series: every media symbol the modules use is exported by a media module"
  else
    echo "$missing_syms" | tr ' ' '\n' | diag
    not_ok "$series: every media symbol the modules use is exported by a media module"
  fi

  for m in $(series_modules "$series"); do
    ko=$(find "$out/drivers" -name "$m.ko" | head -n1)
    if [ -n "$ko" ]; then
      ok "$series: $m.ko (${ko#"$out"/})"
    else
      not_ok "$series: $m.ko was built"
    fi
  done
  [ -n "${CROSS_BUILD_DIR:-}" ] || rm -rf "$tree" "$out"
done
echo "1..$n"
exit "$failed"
