# gst-v4l2-elastic: shared helpers of the QEMU guest tools (sourced, not run).
# SPDX-License-Identifier: LGPL-2.1-or-later

VM_TOOLS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROJECT_DIR=$(cd "$VM_TOOLS_DIR/../.." && pwd)
VM_CACHE=${GST_V4L2_ELASTIC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gst-v4l2-elastic}

vm_log() { printf 'vm: %s\n' "$*" >&2; }

# die WHAT HOW: name what failed and how to fix it.
vm_die() {
  printf 'vm: ERROR: %s\n' "$1" >&2
  [ -n "${2:-}" ] && printf 'vm: fix: %s\n' "$2" >&2
  exit 1
}

# The Debian packages behind a kernel series.  The image metapackage
# decides the ABI; headers, kbuild and sources are pinned to its version.
vm_series_meta() {
  case "$1" in
    6.12) echo linux-image-6.12-amd64 ;;
    6.1) echo linux-image-amd64 ;;
    *) vm_die "unknown kernel series '$1'" "use --kernel 6.12 or --kernel 6.1" ;;
  esac
}

vm_series_source() {
  case "$1" in
    6.12) echo linux-source-6.12 ;;
    6.1) echo linux-source-6.1 ;;
  esac
}

# Test drivers built out of tree for each series.  visl appeared in 6.2.
vm_series_drivers() {
  case "$1" in
    6.12) echo "v4l2-mem2mem vicodec visl" ;;
    6.1) echo "v4l2-mem2mem vicodec" ;;
  esac
}

# Media core modules built from the patched tree (patched variant only)
# and loaded from updates/ instead of Debian's.  The 6.1 series changes
# videobuf2 and the V4L2 core (REMOVE_BUFS backport), so every module that
# uses their structures is rebuilt with the patched headers.  6.12's own
# core already has REMOVE_BUFS; its series fixes videobuf2-core.c without
# changing a header (6.12 0006), so only videobuf2-common is rebuilt there
# and every other module stays Debian's.
vm_series_core() {
  case "$1" in
    6.1) echo "videodev videobuf2-common videobuf2-v4l2 videobuf2-memops videobuf2-vmalloc" ;;
    6.12) echo "videobuf2-common" ;;
  esac
}

# Modules the guest needs from the image, in addition to ours; modprobe
# resolves their dependencies.  Virtio PCI and 9p are modules on Debian.
vm_series_base_modules() {
  echo "virtio_pci 9pnet_virtio 9p overlay"
}

vm_need_cmd() {
  command -v "$1" >/dev/null 2>&1 || vm_die "'$1' is not installed" \
    "apt-get install $2 (tools/test installs every package it needs)"
}
