#!/bin/sh
# gst-v4l2-elastic: v4l2elastich265dec through visl, run in the QEMU guest.
#
#   h265-visl.sh BUILD_DIR [elastic|fallback] [WORK_DIR]
#
# Takes the H.265 corpus made on the host by tests/media/h265-streams.sh
# (Meson target h265-streams; made here when the build has none): x265enc
# streams with WPP (entry points), without, a B-pyramid, an open GOP with
# RASL pictures and the same cut at a CRA picture, four slices per
# picture, scaling lists, weighted prediction, a DPB change and three
# resolution changes (one to an odd size with a conformance window), and
# avdec_h265's decode of each.  For every stream our element must output
# the same frames as avdec_h265, in the same PTS order, at the same sizes;
# visl renders a test pattern, so instead of pixels the controls of every
# request, as visl's trace events print them, are compared with upstream
# v4l2slh265dec's where upstream decodes the stream (1.22 hangs on visl
# at slices with entry points, without a frame: reported, not compared).
# From the
# kernel's ioctl log: a DPB change and the resolution changes go without
# STREAMOFF (elastic: patched visl) or restart the queues (fallback:
# stock visl), and the pool grows and shrinks.  A Main 10 stream is
# refused at caps (not-negotiated), so that playbin3 plays it with a
# software decoder instead.  Emits TAP.  H265_VISL_STREAMS: the streams
# (default: all); H265_VISL_UPSTREAM=no: no upstream comparison.
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -u
build=$1
mode=${2:-elastic}
work=${3:-/tmp/h265-visl}
here=$(cd "$(dirname "$0")" && pwd)
tracing=/sys/kernel/tracing
kernel=$(uname -r)
n=0
failed=0

ok() { n=$((n + 1)); echo "ok $n - $kernel visl h265: $*"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $kernel visl h265: $*"; }
t0=$(date +%s)
took() { echo "# $1 took $(($(date +%s) - t0)) s"; t0=$(date +%s); }

export GST_PLUGIN_PATH_1_0="$build/ext/v4l2elastic"
rm -rf "$work"
mkdir -p "$work"

echo "TAP version 13"
if ! gst-inspect-1.0 v4l2elastich265dec >/dev/null 2>&1; then
  not_ok "v4l2elastich265dec is registered for visl"
  echo "1..$n"
  exit 1
fi
ok "v4l2elastich265dec is registered for visl"

video=
for d in /sys/class/video4linux/video*; do
  [ "$(cat "$d/name" 2>/dev/null)" = visl ] && video=${d##*/}
done

prebuilt="$build/tests/h265-streams"
if [ -f "$prebuilt/resize.ref" ]; then
  cp "$prebuilt"/*.h265 "$prebuilt"/*.ref "$prebuilt"/*.ref.size "$work"/
  ok "H.265 corpus and avdec_h265 references made on the host ($prebuilt)"
elif sh "$here/../media/h265-streams.sh" "$work" >"$work.gen.log" 2>&1; then
  ok "H.265 corpus made in the guest"
else
  not_ok "H.265 corpus made in the guest"
  sed 's/^/# /' "$work.gen.log" | head -20
fi
took "corpus"

DECODE_EXT=h265
DECODE_PARSE=h265parse
. "$here/h264-decode.sh"

trace_start() {
  echo 0 >"$tracing/tracing_on"
  echo 16384 >"$tracing/buffer_size_kb"
  echo >"$tracing/trace"
  echo 1 >"$tracing/events/visl_hevc_controls/enable"
  echo 1 >"$tracing/events/vb2/vb2_buf_done/enable"
  echo 1 >"$tracing/tracing_on"
}

trace_stop() {
  echo 0 >"$tracing/tracing_on"
  cat "$tracing/trace" >"$1"
  echo >"$tracing/trace"
  echo 0 >"$tracing/events/enable"
}

# The kernel's log of every ioctl on visl.
klog_start() {
  dmesg -C 2>/dev/null
  [ -n "$video" ] && echo 11 >"/sys/class/video4linux/$video/dev_debug"
}

klog_stop() {
  [ -n "$video" ] && echo 0 >"/sys/class/video4linux/$video/dev_debug"
  dmesg | grep "$video: " >"$1"
}

[ -d "$tracing/events/visl_hevc_controls" ] || mount -t tracefs nodev "$tracing" 2>/dev/null
can_trace=no
[ -d "$tracing/events/visl_hevc_controls" ] && can_trace=yes
have_upstream=no
[ "${H265_VISL_UPSTREAM:-yes}" = yes ] && gst-inspect-1.0 v4l2slh265dec >/dev/null 2>&1 &&
  have_upstream=yes
echo "# trace events: $can_trace, upstream v4l2slh265dec: $have_upstream, visl node: ${video:-none}"

streams=${H265_VISL_STREAMS:-"wpp-off defaults-wpp pyramid open-gop starts-at-cra slices4 scaling weighted dpb-change resize"}
for s in $streams; do
  [ -f "$work/$s.h265" ] || { not_ok "$s: stream in the corpus"; continue; }
  [ "$can_trace" = yes ] && trace_start
  klog_start
  decode "$s" v4l2elastich265dec "$work/$s.ours"
  rc=$?
  klog_stop "$work/$s.klog"
  [ "$can_trace" = yes ] && trace_stop "$work/$s.ours.trace"
  refs=$(wc -l <"$work/$s.ref")
  ours=$(wc -l <"$work/$s.ours")
  uniq=$(sort "$work/$s.ref" | uniq | wc -l)
  if [ "$rc" -eq 0 ] && [ "$refs" -gt 0 ] && [ "$uniq" -eq "$refs" ] &&
    cmp -s "$work/$s.ref" "$work/$s.ours"; then
    ok "$s: $ours frames in avdec_h265's PTS order"
  else
    not_ok "$s: frames and PTS order equal avdec_h265's (ours $ours, avdec_h265 $refs, $uniq distinct, exit $rc)"
    diff "$work/$s.ref" "$work/$s.ours" | head -10 | sed 's/^/# /'
    grep -E 'ERROR|WARN|error' "$work/$s.ours.log" | head -5 | sed 's/^/# /'
  fi
  sizes=$(echo $(cat "$work/$s.ours.size"))
  if [ -s "$work/$s.ref.size" ] && cmp -s "$work/$s.ref.size" "$work/$s.ours.size"; then
    ok "$s: output sizes $sizes equal avdec_h265's"
  else
    not_ok "$s: output sizes equal avdec_h265's (ours $sizes, avdec_h265 $(echo $(cat "$work/$s.ref.size")))"
  fi
  # No CAPTURE buffer came back with the ERROR flag (a request the
  # driver refused, e.g. for a control it could not take).
  bad=$(grep 'VIDIOC_DQBUF: [0-9:.]* index=.*type=vid-cap' "$work/$s.klog" |
    sed -n 's/.*flags=0x\([0-9a-f]*\).*/\1/p' |
    while read -r fl; do [ $((0x$fl & 0x40)) -ne 0 ] && echo x; done | wc -l)
  [ "$bad" -eq 0 ] && ok "$s: no CAPTURE buffer with the ERROR flag" ||
    not_ok "$s: no CAPTURE buffer with the ERROR flag ($bad)"

  # Upstream 1.22 hangs on entry points (defaults-wpp: no frame in 30 s,
  # 2026-12-03, docs/h265.md): not run on those streams.
  upstream=$have_upstream
  case $s in defaults-wpp | slices4) upstream=no ;; esac
  if [ "$can_trace" = yes ] && [ "$upstream" = yes ]; then
    trace_start
    DECODE_TIMEOUT=120
    [ "$s" = defaults-wpp ] && DECODE_TIMEOUT=30
    decode "$s" v4l2slh265dec "$work/$s.upstream"
    urc=$?
    DECODE_TIMEOUT=600
    trace_stop "$work/$s.upstream.trace"
    out=$(python3 "$here/h265-trace-compare.py" "$work/$s.ours.trace" \
      "$work/$s.upstream.trace" 2>&1)
    crc=$?
    case $s in
      defaults-wpp | slices4)
        # Upstream 1.22 crashes on entry points: say what it did.
        echo "# $s: v4l2slh265dec exit $urc (124: stopped after 30 s), $(wc -l <"$work/$s.upstream" 2>/dev/null || echo 0) frames"
        if [ "$urc" -eq 0 ] && [ "$crc" -ne 0 ]; then
          not_ok "$s: controls per request equal v4l2slh265dec's (it decoded this stream)"
          echo "$out" | head -30 | sed 's/^/# /'
        fi ;;
      *)
        if [ "$crc" -eq 0 ]; then
          ok "$s: controls per request equal v4l2slh265dec's ($(echo "$out" | tail -2 | tr '\n' ' '))"
        else
          not_ok "$s: controls per request equal v4l2slh265dec's (upstream exit $urc)"
          echo "$out" | head -40 | sed 's/^/# /'
        fi ;;
    esac
  fi
  took "$s"
done

# The four ways of submitting a picture visl offers (decode-mode x
# start-code), on the stream with four slices per picture (and their entry
# points): the same frames, no request refused, and as many requests as
# pictures (frame-based) or slice segments (slice-based), counted in
# visl's trace.  (One slice per picture, slice-based, gave the same 30
# requests as frame-based on the pyramid stream by hand, 2026-12-03.)
# And the bytes of every request: visl is reloaded (tools/vm/guest-init
# binds the boot's modules at /vm-modules) to keep each request's
# bitstream in debugfs, which h265-bitstream-check.py compares with the
# stream's slice segments.
debugfs=/sys/kernel/debug
reload_visl() {
  rmmod visl 2>/dev/null
  insmod /vm-modules/visl.ko "$@" || return 1
  video=
  for d in /sys/class/video4linux/video*; do
    [ "$(cat "$d/name" 2>/dev/null)" = visl ] && video=${d##*/}
  done
  [ -n "$video" ]
}
if [ "$mode" = elastic ]; then
  [ -d "$debugfs/visl" ] || mount -t debugfs nodev "$debugfs" 2>/dev/null
  for s in slices4; do
    [ -f "$work/$s.h265" ] || continue
    for dm in frame-based slice-based; do
      for sc in annex-b none; do
        if reload_visl keep_bitstream_buffers=1 bitstream_trace_frame_start=0 \
          bitstream_trace_nframes=100000; then
          kept=yes
        else
          kept=no
          not_ok "$s $dm $sc: visl reloaded to keep the bitstream of each request"
        fi
        [ "$can_trace" = yes ] && trace_start
        klog_start
        decode "$s" "v4l2elastich265dec decode-mode=$dm start-code=$sc" "$work/$s.$dm.$sc"
        rc=$?
        klog_stop "$work/$s.$dm.$sc.klog"
        [ "$can_trace" = yes ] && trace_stop "$work/$s.$dm.$sc.trace"
        requests=$(grep -c 'v4l2_ctrl_hevc_sps:' "$work/$s.$dm.$sc.trace" 2>/dev/null)
        pictures=$(wc -l <"$work/$s.ref")
        want=$pictures
        [ "$s" = slices4 ] && [ "$dm" = slice-based ] && want=$((pictures * 4))
        bad=$(grep 'VIDIOC_DQBUF: [0-9:.]* index=.*type=vid-cap' "$work/$s.$dm.$sc.klog" |
          sed -n 's/.*flags=0x\([0-9a-f]*\).*/\1/p' |
          while read -r fl; do [ $((0x$fl & 0x40)) -ne 0 ] && echo x; done | wc -l)
        if [ "$rc" -eq 0 ] && cmp -s "$work/$s.ref" "$work/$s.$dm.$sc" &&
          [ "$bad" -eq 0 ] && [ "$requests" -eq "$want" ]; then
          ok "$s $dm $sc: $pictures frames in avdec_h265's order, $requests requests, none refused"
        else
          not_ok "$s $dm $sc: frames in avdec_h265's order, $want requests, none refused (exit $rc, $(wc -l <"$work/$s.$dm.$sc") frames, $requests requests, $bad with ERROR)"
          grep -E 'ERROR|WARN' "$work/$s.$dm.$sc.log" | head -4 | sed 's/^/# /'
        fi
        if [ "$kept" = yes ]; then
          out=$(python3 "$here/h265-bitstream-check.py" "$work/$s.h265" "$dm" "$sc" \
            "$debugfs/visl/bitstream" 2>&1)
          if [ $? -eq 0 ]; then
            ok "$s $dm $sc: visl received each request's slice segments, $sc ($out)"
          else
            not_ok "$s $dm $sc: visl received each request's slice segments, $sc ($out)"
          fi
        fi
      done
    done
  done
  # Back to the module as booted, for what follows.
  reload_visl || not_ok "visl reloaded without parameters"
  took "decode modes"
fi

# The pool, from the kernel's ioctl log: the wpp-off decode's STREAMOFFs
# are the teardown's.
if [ -n "$video" ] && [ -s "$work/wpp-off.klog" ] && [ -s "$work/resize.klog" ]; then
  base=$(grep -c 'VIDIOC_STREAMOFF' "$work/wpp-off.klog")
  for s in dpb-change resize; do
    [ -s "$work/$s.klog" ] || continue
    off=$(grep -c 'VIDIOC_STREAMOFF' "$work/$s.klog")
    created=$(grep 'VIDIOC_CREATE_BUFS:.*type=vid-cap' "$work/$s.klog" | grep -vc ': error ')
    removed=$(grep -c 'VIDIOC_REMOVE_BUFS' "$work/$s.klog")
    big=$(grep 'VIDIOC_CREATE_BUFS:.*type=vid-cap' "$work/$s.klog" | grep -c 'width=352')
    what="$off STREAMOFF ($base at teardown), $created CREATE_BUFS, $removed REMOVE_BUFS"
    if [ "$s" = resize ] && [ "$mode" = fallback ]; then
      [ "$off" -gt "$base" ] && ok "$s: the queues restart at the size changes ($what)" ||
        not_ok "$s: the queues restart at the size changes ($what)"
      continue
    fi
    if [ "$off" -eq "$base" ] && [ "$removed" -ge 1 ] &&
      { [ "$s" = dpb-change ] || [ "$big" -ge 1 ]; }; then
      ok "$s: no STREAMOFF before teardown, the pool grows and shrinks ($what)"
    else
      not_ok "$s: no STREAMOFF before teardown, the pool grows and shrinks ($what, $big at 352 wide)"
    fi
  done
else
  not_ok "kernel ioctl log of the visl node"
fi
took "pool checks"

# Main 10 is not in our sink caps until the 10-bit work: linked by hand
# the pipeline stops not-negotiated, and playbin3 decodes the file with
# software (upstream's v4l2slh265dec ranked out: on visl it takes the
# stream and fails).
timeout 120 gst-launch-1.0 filesrc location="$work/main10.h265" ! h265parse \
  ! v4l2elastich265dec ! fakesink >"$work/main10.log" 2>&1
rc=$?
if [ "$rc" -eq 1 ] && grep -q 'not-negotiated' "$work/main10.log"; then
  ok "main10: refused at caps (not-negotiated) when linked by hand"
else
  not_ok "main10: refused at caps (not-negotiated) when linked by hand (exit $rc)"
  grep -E 'ERROR|debug info|reason' "$work/main10.log" | head -4 | sed 's/^/# /'
fi
GST_PLUGIN_FEATURE_RANK=v4l2slh265dec:none \
  timeout 300 gst-launch-1.0 -v playbin3 uri="file://$work/main10.h265" flags=video \
  video-sink="fakesink silent=false" >"$work/main10-play.log" 2>&1
rc=$?
frames=$(grep -c 'last-message = chain' "$work/main10-play.log")
if [ "$rc" -eq 0 ] && [ "$frames" -eq 8 ] &&
  ! grep -q 'v4l2elastich265dec' "$work/main10-play.log"; then
  ok "main10: playbin3 plays its 8 frames with another decoder"
else
  not_ok "main10: playbin3 plays its 8 frames with another decoder (exit $rc, $frames frames)"
  grep -E 'ERROR|debug info|reason' "$work/main10-play.log" | head -4 | sed 's/^/# /'
fi

# Bad input: a truncated stream and one whose parameter sets are missing.
head -c 9000 "$work/pyramid.h265" >"$work/truncated.h265"
tail -c +200 "$work/wpp-off.h265" >"$work/noheaders.h265"
for s in truncated noheaders; do
  timeout 120 gst-launch-1.0 filesrc location="$work/$s.h265" ! h265parse \
    ! v4l2elastich265dec ! fakesink >"$work/$s.log" 2>&1
  rc=$?
  if [ "$rc" -le 1 ] && ! grep -q 'CRITICAL\|Segmentation' "$work/$s.log"; then
    ok "$s: ends (exit $rc) without a crash or a hang"
  else
    not_ok "$s: ends without a crash or a hang (exit $rc)"
    tail -5 "$work/$s.log" | sed 's/^/# /'
  fi
done
took "bad input"

echo "1..$n"
exit "$failed"
