#!/bin/sh
# gst-v4l2-elastic: the FWHT streams of v4l2elastic-vicodec-resize, made in
# the guest by vicodec's stateful encoder with their reference decodes by
# vicodec's stateful decoder (both driven by v4l2-ctl, see
# tests/media/fwht-streams.sh).
#
#   make-fwht-streams.sh OUTDIR
#
# Writes OUTDIR/small.fwht and OUTDIR/small.yuv (10 frames of 640x480) and
# OUTDIR/large.fwht and OUTDIR/large.yuv (10 frames of 1024x576).  Sizes
# are multiples of 16, so vicodec's coded size is the frame size.
# SPDX-License-Identifier: LGPL-2.1-or-later
set -eu
out=${1:?usage: make-fwht-streams.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
sh "$here/../media/fwht-streams.sh" "$out" small 10 640x480
sh "$here/../media/fwht-streams.sh" "$out" large 10 1024x576
