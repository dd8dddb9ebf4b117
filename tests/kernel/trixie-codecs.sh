#!/bin/sh
# gst-v4l2-elastic: our codec elements and upstream's on visl with
# GStreamer 1.26, run in the QEMU guest inside the Debian 13 root
# (tools/vm-run --root trixie).
#
#   trixie-codecs.sh [--refs] BUILD_DIR HOST_BUILD_DIR
#
# BUILD_DIR is our build against 1.26 (made in the root); HOST_BUILD_DIR
# the host's build, whose streams were encoded on the host at build time
# (H.264 corpus: tests/media/h264-streams.sh; VP8/VP9 with hidden frames
# and key frame size changes: tests/media/vpx-streams.sh; VP9 inter-frame
# size changes: tests/media/vpx-resize-enc.c) plus an AV1 stream made by
# tests/kernel/trixie-suite.sh.  For every stream: our element's output
# must be avdec's (1.26, in the root) frame for frame, by count and PTS
# order (visl draws text, so order and count are what can be compared);
# upstream 1.26's v4l2slh264dec / v4l2slvp8dec / v4l2slvp9dec /
# v4l2slav1dec decodes the same stream and what it delivers (frames,
# whether in avdec's order, its first error) is recorded, not judged.
# Emits TAP.  With --refs it only makes the avdec references, into
# BUILD_DIR/tests/trixie-refs (tests/kernel/trixie-suite.sh runs that on
# the host in the root: the same avdec 1.26, a third of the guest time
# saved); the guest run uses them when they are there.
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -u
refs_only=no
if [ "$1" = --refs ]; then
  refs_only=yes
  shift
fi
build=$1
host_build=$2
work=${TRIXIE_CODECS_WORK:-/tmp/trixie-codecs}
refs=$build/tests/trixie-refs
kernel=$(uname -r)
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $kernel visl 1.26 $*"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $kernel visl 1.26 $*"; }

export GST_PLUGIN_PATH_1_0="$build/ext/v4l2elastic"
rm -rf "$work"
mkdir -p "$work"
echo "TAP version 13"

# decode FILE DECODER OUT: one PTS per frame reaching the sink, in order;
# OUT.log keeps gst-launch's output.  DECODER may be "parser ! decoder".
decode() {
  parse=ivfparse
  case "$1" in *.h264) parse=h264parse ;; esac
  # shellcheck disable=SC2086 # $2 may be "parser ! decoder"
  timeout 120 gst-launch-1.0 -v filesrc location="$1" ! $parse ! $2 \
    ! fakesink silent=false sync=false >"$3.log" 2>&1
  rc=$?
  grep 'last-message = chain' "$3.log" | sed 's/.*pts: \([^,]*\),.*/\1/' >"$3"
  return $rc
}

# First error or warning of a run, one line.
first_error() {
  grep -m1 -E '^(ERROR|WARNING)|: ERROR|Additional debug info' "$1" | cut -c1-200
}

# The element of "parser ! decoder" is registered.
have() { gst-inspect-1.0 "${1##* }" >/dev/null 2>&1; }

# check STREAM OURS UPSTREAM REFERENCE: OURS may be "-" (no element of
# ours for this codec); REFERENCE is a software decoder, or "count:N" for
# a frame count made on the host.  Upstream's VP9 and AV1 decoders take
# frames, so vp9parse/av1parse split the superframes and temporal units
# for them (ours splits VP9 superframes itself).
check() {
  file=$1 ours=$2 upstream=$3 ref=$4
  s=$(basename "$file")
  case "$ref" in
    count:*) want=${ref#count:}; : >"$work/$s.ref" ;;
    *)
      if [ "$refs_only" = yes ]; then
        mkdir -p "$refs"
        decode "$file" "$ref" "$refs/$s.ref" || echo "$s: $ref failed" >&2
        return
      fi
      if [ -s "$refs/$s.ref" ]; then
        cp "$refs/$s.ref" "$work/$s.ref"
      else
        decode "$file" "$ref" "$work/$s.ref"
      fi
      want=$(wc -l <"$work/$s.ref")
      ;;
  esac
  [ "$refs_only" = no ] || return 0
  t0=$(date +%s)
  if [ "$ours" != - ]; then
    decode "$file" "$ours" "$work/$s.ours"
    rc=$?
    got=$(wc -l <"$work/$s.ours")
    if [ "$rc" -eq 0 ] && [ "$want" -gt 0 ] && cmp -s "$work/$s.ref" "$work/$s.ours"; then
      ok "$s: $ours gives $got frames in $ref's order"
    else
      not_ok "$s: $ours gives $ref's frames in its order (ours $got, $ref $want, exit $rc)"
      diff "$work/$s.ref" "$work/$s.ours" | head -6 | sed 's/^/# /'
      first_error "$work/$s.ours.log" | sed 's/^/# /'
    fi
  fi
  if have "$upstream"; then
    decode "$file" "$upstream" "$work/$s.up"
    rc=$?
    got=$(wc -l <"$work/$s.up")
    order=different
    if [ -s "$work/$s.ref" ]; then
      cmp -s "$work/$s.ref" "$work/$s.up" && order=same
    else
      order="not compared"
    fi
    err=$(first_error "$work/$s.up.log")
    echo "# $s: our and upstream's decodes took $(($(date +%s) - t0)) s"
    ok "$s: upstream ${upstream##* } delivers $got of $want frames (order: $order; exit $rc)${err:+; first error: $err}"
    echo "# UPSTREAM126 $s ${upstream##* } frames=$got of=$want order=$order exit=$rc"
  else
    ok "$s: upstream ${upstream##* } not registered here # SKIP"
  fi
}

echo "# $(gst-inspect-1.0 --version | sed -n 2p)"

# A subset of what the 1.22 suite decodes, for guest time (under four
# minutes for the boot): B-frames, a 16-frame DPB, a resolution change
# and a DPB change in H.264; hidden frames in VP8 and VP9, a key frame
# size change in VP8, inter-frame size changes in VP9.
h264=$host_build/tests/h264-streams
for s in main-b2 refs16 resize dpb-change; do
  if [ -f "$h264/$s.h264" ]; then
    check "$h264/$s.h264" v4l2elastich264dec v4l2slh264dec avdec_h264
  else
    not_ok "H.264 corpus stream $s.h264 in $h264"
  fi
done

# VP8/VP9: hidden frames, key frame size changes, inter-frame size changes.
vpx=$host_build/tests/kernel/vpx-streams
resize=$host_build/tests/media
for f in "$vpx/vp8-mix.ivf" "$vpx/vp8-resize.ivf" "$vpx/vp9-mix.ivf" \
  "$resize/vp9-updown.ivf"; do
  c=vp8
  case "$f" in */vp9*) c=vp9 ;; esac
  if [ -f "$f" ]; then
    up="v4l2sl${c}dec"
    [ "$c" = vp9 ] && up="vp9parse ! $up"
    check "$f" "v4l2elastic${c}dec" "$up" "avdec_$c"
  else
    not_ok "stream $f made on the host"
  fi
done

# AV1: upstream only (no element of ours); the count comes from the host.
av1=$build/tests/av1-streams/av1.ivf
if [ -f "$av1" ]; then
  check "$av1" - "av1parse ! v4l2slav1dec" "count:$(cat "$av1.frames")"
else
  not_ok "AV1 stream $av1 made on the host"
fi

echo "1..$n"
exit "$failed"
