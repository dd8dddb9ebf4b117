#!/bin/sh
# gst-v4l2-elastic: the Meson target fwht-corpus.  Boots the patched 6.12
# guest once to make the FWHT streams with vicodec
# (tests/media/fwht-corpus.sh) and copies them out to OUT_DIR, so that
# each boot of the guest suite reads them instead of making them again
# under TCG (about a minute per boot).  The FWHT bitstream and vicodec's
# decoders are the same on every kernel series we boot: the 6.1 boots
# decode 6.12's streams against 6.12's reference decodes.
#
#   fwht-corpus-build.sh SOURCE_DIR OUT_DIR STAMP
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -eu
src=$1
out=$2
stamp=$3
rm -rf "$out"
"$src/tools/vm-run" --kernel 6.12 --timeout 900 --export "$out" -- \
  sh "$src/tests/media/fwht-corpus.sh" /vm-results/export
for f in single resize textured; do
  [ -s "$out/$f.fwht" ] && [ -s "$out/$f.yuv" ] && [ -s "$out/$f.sizes" ] ||
    { echo "fwht-corpus: $out/$f.* missing" >&2; exit 1; }
done
touch "$stamp"
