#!/bin/sh
# gst-v4l2-elastic: the FWHT streams of the guest suite, made by vicodec
# (its stateful encoder, with its stateful decoder and v4l2-ctl's
# stateless client as the two reference decoders; fwht-streams.sh): run
# where vicodec is loaded, in a guest.
#
#   fwht-corpus.sh OUT_DIR
#
# OUT_DIR/single (12 frames 640x480), resize (8 frames each of 1280x720,
# 640x480, 1280x720) and textured (4 frames 640x480, a circular pattern
# that vicodec codes as deltas), each .fwht with its .yuv and .sizes.
# Under heavy TCG load the two reference decoders have been seen to
# disagree or to come up short, once in several runs: each stream gets
# three tries, every failed try is reported on stderr.  Exits non-zero
# when a stream could not be made.
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -u
out=$1
here=$(cd "$(dirname "$0")" && pwd)

# stream NAME FRAMES SIZES [PATTERN]
stream() {
  for try in 1 2 3; do
    if gen=$(sh "$here/fwht-streams.sh" "$out" "$@" 2>&1); then
      return 0
    fi
    echo "fwht-corpus: $1, try $try: $(echo "$gen" | tail -1)" >&2
  done
  echo "$gen" >&2
  return 1
}

stream single 12 640x480 &&
  stream resize 8 1280x720,640x480,1280x720 &&
  stream textured 4 640x480 circular
