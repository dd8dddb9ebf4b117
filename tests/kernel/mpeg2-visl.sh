#!/bin/sh
# gst-v4l2-elastic: v4l2elasticmpeg2dec through visl, run in the QEMU guest.
#
#   mpeg2-visl.sh BUILD_DIR [elastic|fallback] [WORK_DIR]
#
# Takes the corpus tests/media/mpeg2-streams.sh made on the host at build
# time (ffmpeg's mpeg2video and mpeg2enc: I only, IP, IBBP with open and
# closed GOPs, interlaced frame pictures, alternate scan with intra_vlc
# and q_scale_type, loaded matrices with 3:2 pull-down, three size changes
# at sequence headers), with avdec_mpeg2video's decode of each and an
# independent reader's summary (mpeg2-stream-info.py), which must show
# what each stream is in the corpus for.  For each stream our element must
# output every coded picture, in display order (temporal_reference, read
# by the reader), with avdec_mpeg2video's PTS and sizes (visl draws text,
# not pictures), and the interlace flags the reader counts; the controls of every
# request, from visl's trace events, are compared with upstream
# v4l2slmpeg2dec's (mpeg2-trace-compare.py).  The kernel's ioctl log
# (dev_debug) of the size-change decode must show every decoded CAPTURE
# buffer dequeued without V4L2_BUF_FLAG_ERROR, one per output frame, and
#   elastic  (patched visl): no STREAMOFF beyond the teardown's (as many
#            as for a stream without a size change), CAPTURE buffers of
#            the new sizes created while streaming;
#   fallback (stock visl): the queues restarted at the size changes, and
#            still every frame output.
# Bad input: slices before any sequence header and pictures split across
# buffers (no parser), a truncated file, the leading B pictures of an
# open GOP without their forward reference (as after a seek), a size of
# 16383x16383: an error or dropped pictures, never a crash or a hang.
# Field pairs (the interlaced stream rewritten as field pictures: no
# Debian 12 encoder writes them): one frame per pair, both fields written
# into one CAPTURE buffer (the first field's request holds it), in display
# order, controls equal upstream's.  Emits TAP.
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -u
build=$1
mode=${2:-elastic}
work=${3:-/tmp/mpeg2-visl}
here=$(cd "$(dirname "$0")" && pwd)
tracing=/sys/kernel/tracing
kernel=$(uname -r)
export GST_PLUGIN_PATH_1_0="$build/ext/v4l2elastic"
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $kernel visl mpeg2: $*"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $kernel visl mpeg2: $*"; }

rm -rf "$work"
mkdir -p "$work"
echo "TAP version 13"
t0=$(date +%s)
took() { echo "# $1 took $(($(date +%s) - t0)) s"; t0=$(date +%s); }

if ! gst-inspect-1.0 v4l2elasticmpeg2dec >/dev/null 2>&1; then
  not_ok "v4l2elasticmpeg2dec is registered for visl"
  echo "1..$n"
  exit 1
fi
ok "v4l2elasticmpeg2dec is registered for visl"

video=
for d in /sys/class/video4linux/video*; do
  [ "$(cat "$d/name" 2>/dev/null)" = visl ] && video=${d##*/}
done

# The corpus: made on the host by Meson, else here.
corpus="$build/tests/kernel/mpeg2-streams"
if [ ! -f "$corpus.stamp" ]; then
  corpus=$work/streams
  if sh "$here/../media/mpeg2-streams.sh" "$corpus" >"$work/streams.log" 2>&1; then
    ok "MPEG-2 corpus made in the guest"
  else
    not_ok "MPEG-2 corpus made in the guest"
    head -10 "$work/streams.log" | sed 's/^/# /'
  fi
fi

# covers STREAM KEY=VALUE...: the summary has each line.
covers() {
  s=$1
  shift
  missing=
  for want in "$@"; do
    grep -qx "$want" "$corpus/$s.info" 2>/dev/null || missing="$missing $want"
  done
  if [ -z "$missing" ]; then
    ok "$s: the stream has $*"
  else
    not_ok "$s: the stream has $* (missing:$missing)"
  fi
}
covers ionly pictures=8 i=8
covers ip p=10 b=0
covers ibbp-open b=12 closed_gop=0,1
covers ibbp-closed b=10 closed_gop=1
covers interlaced progressive_sequence=0 structures=3 top_field_first=1
covers altscan alternate_scan=1 intra_vlc=1 q_scale_type=1
covers matrices load_intra=1 load_non_intra=1 repeat_first_field=6 top_field_first=0,1
covers resize sizes=176x144,352x288,320x240,176x144 sequence_end=1
covers seek-open pictures=16 closed_gop=0
covers fields structures=1,2 pictures=24 frames=12

# decode FILE DECODER OUT [PARSER]: the PTS of every buffer reaching the
# sink, one per line; OUT.size: the sizes its caps took, in order.
decode() {
  # shellcheck disable=SC2086
  timeout 120 gst-launch-1.0 -v filesrc location="$1" ! ${4:-mpegvideoparse} \
    ! "$2" ! fakesink silent=false >"$3.log" 2>&1
  rc=$?
  grep 'last-message = chain' "$3.log" | sed 's/.*pts: \([^,]*\),.*/\1/' >"$3"
  grep 'fakesink0.GstPad:sink: caps = ' "$3.log" |
    sed -n 's/.*width=(int)\([0-9]*\), height=(int)\([0-9]*\).*/\1x\2/p' |
    uniq >"$3.size"
  return $rc
}

trace_start() {
  echo 0 >"$tracing/tracing_on"
  echo 8192 >"$tracing/buffer_size_kb"
  echo >"$tracing/trace"
  echo 1 >"$tracing/events/visl_mpeg2_controls/enable"
  echo 1 >"$tracing/events/vb2/vb2_buf_done/enable"
  echo 1 >"$tracing/tracing_on"
}

trace_stop() {
  echo 0 >"$tracing/tracing_on"
  cat "$tracing/trace" >"$1"
  echo >"$tracing/trace"
  echo 0 >"$tracing/events/enable"
}

# The kernel's log of every ioctl on visl (QBUF/DQBUF included).
klog_start() {
  dmesg -C 2>/dev/null
  echo 11 >"/sys/class/video4linux/$video/dev_debug"
}

klog_stop() {
  echo 0 >"/sys/class/video4linux/$video/dev_debug"
  dmesg | grep "$video: " >"$1"
}

[ -d "$tracing/events/visl_mpeg2_controls" ] || mount -t tracefs nodev "$tracing" 2>/dev/null
can_trace=no
[ -d "$tracing/events/visl_mpeg2_controls" ] && can_trace=yes
have_upstream=no
gst-inspect-1.0 v4l2slmpeg2dec >/dev/null 2>&1 && have_upstream=yes
took "setup"

# One decode per stream in the TCG guest: mix holds the six single-feature
# streams one after the other.
for s in mix matrices resize; do
  f=$corpus/$s.m2v
  [ "$can_trace" = yes ] && trace_start
  case $s in mix | resize) [ -n "$video" ] && klog_start ;; esac
  GST_DEBUG=v4l2elastic-mpeg2dec:5,v4l2elastic-decoder:5 decode "$f" v4l2elasticmpeg2dec "$work/$s.ours"
  rc=$?
  case $s in mix | resize) [ -n "$video" ] && klog_stop "$work/$s.klog" ;; esac
  [ "$can_trace" = yes ] && trace_stop "$work/$s.ours.trace"
  refs=$(wc -l <"$corpus/$s.ref")
  ours=$(wc -l <"$work/$s.ours")
  pictures=$(sed -n 's/^pictures=//p' "$corpus/$s.info")
  # Every coded picture is output (the independent reader's count) ...
  if [ "$rc" -eq 0 ] && [ "$ours" -eq "$pictures" ]; then
    ok "$s: every one of the $pictures coded pictures output (avdec_mpeg2video: $refs)"
  else
    not_ok "$s: every coded picture output (ours $ours, $pictures coded, avdec_mpeg2video $refs, exit $rc)"
    grep -E 'ERROR|WARN' "$work/$s.ours.log" | head -5 | sed 's/^/# /'
  fi
  # ... as avdec_mpeg2video does, but where FFmpeg loses the last picture
  # of a sequence whose progressive_sequence changes (docs/mpeg2.md).
  case $s in
    mix)
      if [ "$refs" -eq $((pictures - 1)) ] && [ "$ours" -eq $((refs + 1)) ]; then
        ok "$s: one frame more than avdec_mpeg2video, which drops the last picture before the progressive -> interlaced sequence change"
      else
        not_ok "$s: ours $ours frames, avdec_mpeg2video $refs, $pictures coded"
      fi ;;
    *)
      if cmp -s "$corpus/$s.ref" "$work/$s.ours"; then
        ok "$s: $ours frames with avdec_mpeg2video's PTS, in its order"
      else
        not_ok "$s: frames and PTS equal avdec_mpeg2video's (ours $ours, avdec $refs)"
        diff "$corpus/$s.ref" "$work/$s.ours" | head -10 | sed 's/^/# /'
      fi ;;
  esac
  # Display order: the coded index of each output frame (the base
  # class's debug log, gst_v4l2_elastic_decoder_push_pictures())
  # against temporal_reference order, GOP by GOP (the reader).
  grep -o 'output frame [0-9]*' "$work/$s.ours.log" | sed 's/.* //' >"$work/$s.order"
  /usr/bin/python3 "$here/../media/mpeg2-stream-info.py" --order "$f" >"$work/$s.order.ref"
  if [ -s "$work/$s.order" ] && cmp -s "$work/$s.order.ref" "$work/$s.order"; then
    ok "$s: frames output in display (temporal_reference) order"
  else
    not_ok "$s: frames output in display (temporal_reference) order"
    diff "$work/$s.order.ref" "$work/$s.order" | head -6 | sed 's/^/# /'
  fi
  sizes=$(echo $(cat "$work/$s.ours.size"))
  if cmp -s "$corpus/$s.ref.size" "$work/$s.ours.size"; then
    ok "$s: output sizes $sizes equal avdec_mpeg2video's"
  else
    not_ok "$s: output sizes equal avdec_mpeg2video's (ours $sizes, avdec $(echo $(cat "$corpus/$s.ref.size")))"
  fi
  # Interlaced content: mixed caps, and per buffer the INTERLACED, TFF and
  # RFF flags (0x100000, 0x200000, 0x400000) as many times as the reader
  # counts progressive_frame 0, top_field_first and repeat_first_field.
  flags() {
    grep 'last-message = chain' "$work/$s.ours.log" |
      sed -n 's/.*flags: \([0-9a-f]*\).*/\1/p' |
      while read -r fl; do [ $((0x$fl & $1)) -ne 0 ] && echo x; done | wc -l
  }
  want() { sed -n "s/^$1=//p" "$corpus/$s.info"; }
  if [ "$(want progressive_sequence)" != 1 ]; then
    got="$(flags 0x100000) $(flags 0x200000) $(flags 0x400000)"
    exp="$(want interlaced_frames) $(want tff_frames) $(want repeat_first_field)"
    if grep -q 'fakesink0.GstPad:sink: caps = .*interlace-mode=(string)mixed' "$work/$s.ours.log" &&
      [ "$got" = "$exp" ]; then
      ok "$s: interlace-mode=mixed, INTERLACED/TFF/RFF buffers: $got"
    else
      not_ok "$s: interlace-mode=mixed, INTERLACED/TFF/RFF buffers: $got, want $exp"
    fi
  fi
  if [ "$can_trace" = yes ] && [ "$have_upstream" = yes ]; then
    trace_start
    decode "$f" v4l2slmpeg2dec "$work/$s.upstream"
    trace_stop "$work/$s.upstream.trace"
    echo "# $s: v4l2slmpeg2dec output $(wc -l <"$work/$s.upstream") frames"
    out=$(/usr/bin/python3 "$here/mpeg2-trace-compare.py" \
      "$work/$s.ours.trace" "$work/$s.upstream.trace" 2>&1)
    if [ $? -eq 0 ]; then
      ok "$s: controls per request equal v4l2slmpeg2dec's ($(echo "$out" | tail -2 | tr '\n' ' '))"
    else
      not_ok "$s: controls per request equal v4l2slmpeg2dec's"
    fi
    echo "$out" | grep -v '^  request' | sed 's/^/# /'
  fi
  took "$s"
done

# Field pairs: no pixels to compare (the slice data is not a field's), so
# the reader's frame count and display order, the interlace flags, the
# kernel's log (the second field's request queues no CAPTURE buffer) and
# upstream's controls.
s=fields
f=$corpus/$s.m2v
[ "$can_trace" = yes ] && trace_start
[ -n "$video" ] && klog_start
GST_DEBUG=v4l2elastic-mpeg2dec:5,v4l2elastic-decoder:5 decode "$f" v4l2elasticmpeg2dec "$work/$s.ours"
rc=$?
[ -n "$video" ] && klog_stop "$work/$s.klog"
[ "$can_trace" = yes ] && trace_stop "$work/$s.ours.trace"
frames=$(sed -n 's/^frames=//p' "$corpus/$s.info")
ours=$(wc -l <"$work/$s.ours")
grep -o 'output frame [0-9]*' "$work/$s.ours.log" | sed 's/.* //' >"$work/$s.order"
/usr/bin/python3 "$here/../media/mpeg2-stream-info.py" --order "$f" >"$work/$s.order.ref"
if [ "$rc" -eq 0 ] && [ "$ours" -eq "$frames" ] && cmp -s "$work/$s.order.ref" "$work/$s.order"; then
  ok "$s: $frames frames of two fields each, in display order"
else
  not_ok "$s: $frames frames of two fields each, in display order (ours $ours, exit $rc)"
  grep -E 'ERROR|WARN' "$work/$s.ours.log" | head -5 | sed 's/^/# /'
fi
s_flags() {
  grep 'last-message = chain' "$work/$s.ours.log" |
    sed -n 's/.*flags: \([0-9a-f]*\).*/\1/p' |
    while read -r fl; do [ $((0x$fl & $1)) -ne 0 ] && echo x; done | wc -l
}
got="$(s_flags 0x100000) $(s_flags 0x200000)"
if [ "$got" = "$frames $frames" ]; then
  ok "$s: every frame INTERLACED and TFF (top field first)"
else
  not_ok "$s: every frame INTERLACED and TFF ($got of $frames)"
fi
if [ -n "$video" ]; then
  qcap=$(grep -c 'VIDIOC_QBUF: [0-9:.]* index=.*type=vid-cap' "$work/$s.klog")
  dq=$(grep 'VIDIOC_DQBUF: [0-9:.]* index=.*type=vid-cap' "$work/$s.klog" | grep -vc ': error ')
  qout=$(grep 'VIDIOC_QBUF: [0-9:.]* index=.*type=vid-out' "$work/$s.klog" | grep -c 'flags=0x.....[2367abef]..')
  if [ "$qcap" -eq "$frames" ] && [ "$dq" -eq "$frames" ] && [ "$qout" -eq "$frames" ]; then
    ok "$s: kernel log: $qcap CAPTURE buffers queued and dequeued for $((frames * 2)) field requests, $qout with HOLD_CAPTURE_BUF"
  else
    not_ok "$s: kernel log: one CAPTURE buffer per pair ($qcap queued, $dq dequeued, $qout OUTPUT with HOLD_CAPTURE_BUF, $frames pairs)"
  fi
fi
if [ "$can_trace" = yes ] && [ "$have_upstream" = yes ]; then
  trace_start
  decode "$f" v4l2slmpeg2dec "$work/$s.upstream"
  trace_stop "$work/$s.upstream.trace"
  echo "# $s: v4l2slmpeg2dec output $(wc -l <"$work/$s.upstream") frames"
  out=$(/usr/bin/python3 "$here/mpeg2-trace-compare.py" \
    "$work/$s.ours.trace" "$work/$s.upstream.trace" 2>&1)
  if [ $? -eq 0 ]; then
    ok "$s: controls per request equal v4l2slmpeg2dec's ($(echo "$out" | tail -2 | tr '\n' ' '))"
  else
    not_ok "$s: controls per request equal v4l2slmpeg2dec's"
  fi
  echo "$out" | grep -v '^  request' | sed 's/^/# /'
  echo "$out" | grep '^  request' | head -12 | sed 's/^/# /'
fi
took "$s"

# The pool across the three size changes, from the kernel's ioctl log.
if [ -n "$video" ] && [ -s "$work/resize.klog" ]; then
  cap_dq() { grep 'VIDIOC_DQBUF: [0-9:.]* index=.*type=vid-cap' "$1" | grep -v ': error '; }
  bad=$(cap_dq "$work/resize.klog" | sed -n 's/.*flags=0x\([0-9a-f]*\).*/\1/p' |
    while read -r fl; do [ $((0x$fl & 0x40)) -ne 0 ] && echo x; done | wc -l)
  dq=$(cap_dq "$work/resize.klog" | wc -l)
  ours=$(wc -l <"$work/resize.ours")
  if [ "$bad" -eq 0 ] && [ "$dq" -eq "$ours" ] && [ "$ours" -gt 0 ]; then
    ok "resize: $dq CAPTURE buffers dequeued, none with the ERROR flag, one per output frame ($ours)"
  else
    not_ok "resize: CAPTURE buffers dequeued without ERROR, one per frame ($dq dequeued, $bad with ERROR, $ours frames)"
  fi
  off_base=$(grep -c 'VIDIOC_STREAMOFF' "$work/mix.klog")
  off=$(grep -c 'VIDIOC_STREAMOFF' "$work/resize.klog")
  big=$(grep 'VIDIOC_CREATE_BUFS:.*type=vid-cap' "$work/resize.klog" | grep -c 'width=352')
  case $mode in
    elastic)
      if [ "$off" -eq "$off_base" ] && [ "$big" -ge 1 ]; then
        ok "resize: no STREAMOFF at the size changes ($off, as many as the mix decode's teardown), 352x288 CAPTURE buffers created while streaming"
      else
        not_ok "resize: no STREAMOFF at the size changes ($off STREAMOFF, $off_base without a size change; $big CREATE_BUFS at 352x288)"
      fi ;;
    fallback)
      if [ "$off" -gt "$off_base" ]; then
        ok "resize: the queues restarted at the size changes ($off STREAMOFF, mix $off_base), every frame output"
      else
        not_ok "resize: the queues restarted at the size changes ($off STREAMOFF, $off_base without one)"
      fi ;;
  esac
else
  not_ok "resize: kernel ioctl log of the visl node"
fi
took "pool checks"

# --- bad input ---------------------------------------------------------------

# finishes NAME RC LOG: no crash, no hang, and an error names our element.
finishes() {
  case $2 in
    0) ok "$1: ends at EOS" ;;
    1)
      if grep -q 'ERROR: from element .*v4l2elasticmpeg2dec' "$3"; then
        ok "$1: stops with an error from v4l2elasticmpeg2dec"
      else
        not_ok "$1: stops with an error from v4l2elasticmpeg2dec"
        grep -m3 ERROR "$3" | sed 's/^/# /'
      fi ;;
    *)
      not_ok "$1: ends without a crash or a hang (exit $2)"
      tail -5 "$3" | sed 's/^/# /' ;;
  esac
}

# No parser: buffers of 3000 bytes, the first without a sequence header
# (cut at the first picture), pictures split across buffers.
/usr/bin/python3 -c "
import sys
d = open(sys.argv[1], 'rb').read()
open(sys.argv[2], 'wb').write(d[d.find(b'\x00\x00\x01\x00'):])
" "$corpus/ibbp-open.m2v" "$work/noheader.m2v"
decode "$work/noheader.m2v" v4l2elasticmpeg2dec "$work/noheader" \
  "video/mpeg,mpegversion=2,systemstream=false,parsed=true"
finishes "slices before a sequence header, pictures split across buffers" $? "$work/noheader.log"

# A truncated file: what is whole decodes.
size=$(wc -c <"$corpus/ibbp-open.m2v")
head -c $((size * 2 / 3)) "$corpus/ibbp-open.m2v" >"$work/truncated.m2v"
decode "$work/truncated.m2v" v4l2elasticmpeg2dec "$work/truncated"
rc=$?
got=$(wc -l <"$work/truncated")
if [ "$rc" -eq 0 ] && [ "$got" -gt 0 ] && [ "$got" -lt "$(wc -l <"$corpus/ibbp-open.ref")" ]; then
  ok "truncated: EOS after $got of $(wc -l <"$corpus/ibbp-open.ref") frames"
else
  not_ok "truncated: EOS after some frames (exit $rc, $got frames)"
fi

# The leading B pictures of an open GOP without their forward reference:
# dropped, as avdec_mpeg2video drops them; the rest decodes.
decode "$corpus/seek-open.m2v" v4l2elasticmpeg2dec "$work/seek-open"
rc=$?
got=$(wc -l <"$work/seek-open")
if [ "$rc" -eq 0 ] && [ "$got" -eq 14 ] && cmp -s "$corpus/seek-open.ref" "$work/seek-open"; then
  ok "seek-open: the 2 B pictures without a forward reference dropped, 14 of 16 frames in avdec_mpeg2video's order"
else
  not_ok "seek-open: 14 of 16 frames in avdec_mpeg2video's order (exit $rc, $got frames)"
  diff "$corpus/seek-open.ref" "$work/seek-open" | head -5 | sed 's/^/# /'
fi

# A size mpegvideoparse refuses, straight into the element (4 KiB
# buffers); a width of 0 is refused by the codec state (unit test).
for s in absurd; do
  bytes=$(wc -c <"$corpus/$s.m2v")
  decode "$corpus/$s.m2v" v4l2elasticmpeg2dec "$work/$s" \
    "video/mpeg,mpegversion=2,systemstream=false,parsed=true"
  rc=$?
  got=$(wc -l <"$work/$s")
  finishes "$s size: no frame ($got)" "$rc" "$work/$s.log"
  [ "$got" -eq 0 ] || not_ok "$s size: no frame output ($got)"
done

took "bad input"

echo "1..$n"
exit "$failed"
