#!/bin/sh
# gst-v4l2-elastic: v4l2elastich264dec's pool across DPB and resolution
# changes, and its latency, through visl.  Run in the QEMU guest on 6.12.
#
#   h264-elastic-visl.sh BUILD_DIR [WORK_DIR]
#
# Every decode runs under v4l2elastic-h264-pool-run, which reads the SPSs
# of the file itself, follows the CAPTURE queue in the kernel's own ioctl
# log (visl's dev_debug) and the element's messages and pool-stats:
#
# - DPB change (x264 ref=1 -> ref=4 -> ref=1, one size, no B-frames): no
#   STREAMOFF and no freeing REQBUFS between the first frame and EOS;
#   CREATE_BUFS while the ref=4 segment is out, up to its target; after
#   the decrease REMOVE_BUFS down to gst_v4l2_pool_target() for the last
#   SPS (docs/pool.md): max_dec_frame_buffering + num_reorder_frames +
#   downstream (0 here) + 1 in flight, in the kernel's count and the
#   element's.
# - Resolution change (1280x720 -> 320x240 -> 1280x720 at IDRs):
#   downstream keeps its last 2 frames; each is checksummed again when let
#   go, after the change.  With our visl patch (kernel/patches/6.12/0003)
#   the size changes while streaming: no STREAMOFF, no REQBUFS, no
#   reallocation; buffers of the new size are created with CREATE_BUFS and
#   the old ones removed with REMOVE_BUFS as they come back, seen in both
#   the element's count and the kernel's.
# - Latency: the answer to a latency query equals num_reorder_frames x the
#   frame duration and the output delay measured in frames, for a
#   B-frame stream and for one without reordering (0).
#
# Emits TAP.  SPDX-License-Identifier: LGPL-2.1-or-later
set -u
build=$1
work=${2:-/tmp/h264-elastic}
run=$build/tests/kernel/v4l2elastic-h264-pool-run
kernel=$(uname -r)
n=0
failed=0

ok() { n=$((n + 1)); echo "ok $n - $kernel visl h264 elastic: $*"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $kernel visl h264 elastic: $*"; }
# check STATUS DESCRIPTION: after a condition, `cond; check $? "..."`.
check() { if [ "$1" = 0 ]; then ok "$2"; else not_ok "$2"; fi; }

export GST_PLUGIN_PATH_1_0="$build/ext/v4l2elastic"
rm -rf "$work"
mkdir -p "$work"
echo "TAP version 13"

# The streams are made on the host when building (the Meson target
# h264-pool-streams, tests/kernel/meson.build); without them (no x264enc on the
# build host) they are made here, in TCG (about a minute).
streams=$build/tests/kernel/h264-pool-streams
if [ -f "$streams/dpb-change.h264" ] && [ -f "$streams/latency-nob.h264" ]; then
  ok "x264enc streams made on the host ($streams)"
else
  t0=$(date +%s)
  streams=$work/streams
  if sh "$(dirname "$0")/../media/h264-pool-streams.sh" "$streams" >"$work/gen.log" 2>&1; then
    ok "x264enc streams generated ($(($(date +%s) - t0)) s)"
  else
    not_ok "x264enc streams generated"
    tail -5 "$work/gen.log" | sed 's/^/# /'
    echo "1..$n"
    exit 1
  fi
fi

# sum FILE KEY: a summary value of a pool-run output.
sum() { awk -F, -v k="$2" '$1 == "summary" && $3 == k { print $4 }' "$1"; }
# sps FILE SEGMENT FIELD: 3 width, 4 height, 5 num_ref_frames,
# 6 max_dec_frame_buffering, 7 num_reorder_frames, 8 pictures.
sps() { awk -F, -v s="$2" -v f="$3" '$1 == "sps" && $2 == s { print $f }' "$1"; }
# ioctls FILE WHAT FROM TO: CAPTURE ioctls logged while FROM <= frames
# output < TO.
ioctls() {
  awk -F, -v w="$2" -v a="$3" -v b="$4" \
    '$1 == "ioctl" && $5 == w && $3 >= a && $3 < b { c++ } END { print c + 0 }' "$1"
}
events() {
  awk -F, -v w="$2" -v a="$3" -v b="$4" \
    '$1 == "event" && $5 == w && $3 >= a && $3 < b { c++ } END { print c + 0 }' "$1"
}
# The pool target of gst_v4l2_pool_target() for a segment's SPS, with
# the DPB size and reorder depth as the VUI announces them.
target() {
  dpb=$(sps "$1" "$2" 6)
  nref=$(sps "$1" "$2" 5)
  [ "$dpb" -ge "$nref" ] || dpb=$nref
  echo $((dpb + $(sps "$1" "$2" 7) + $3 + 1))
}

# --- DPB change ---------------------------------------------------------------
t0=$(date +%s)
out=$work/dpb.out
"$run" --label dpb "$streams/dpb-change.h264" >"$out" 2>"$work/dpb.err"
echo "# dpb-change decode took $(($(date +%s) - t0)) s"
grep '^sps' "$out" | sed 's/^/# /'
p0=$(sps "$out" 0 8)
p1=$(sps "$out" 1 8)
p2=$(sps "$out" 2 8)
total=$((p0 + p1 + p2))
frames=$(sum "$out" frames)
if [ "$(sum "$out" segments)" = 3 ] && [ "$(sps "$out" 0 6)" = 1 ] &&
  [ "$(sps "$out" 1 6)" = 4 ] && [ "$(sps "$out" 2 6)" = 1 ]; then
  ok "dpb-change: the stream's SPSs announce DPB 1 -> 4 -> 1"
else
  not_ok "dpb-change: the stream's SPSs announce DPB 1 -> 4 -> 1"
fi
[ "$(sum "$out" eos)" = 1 ] && [ "$frames" = "$total" ]
check $? "dpb-change: all $total frames decoded to EOS (got $frames)"
# From start to EOS, which covers "between the first frame and EOS".
so=$(sum "$out" kernel_streamoff)
rq=$(($(sum "$out" kernel_reqbufs_free) + $(sum "$out" kernel_reqbufs_alloc)))
[ "$so" = 0 ] && [ "$rq" = 0 ]
check $? "dpb-change: kernel log: no STREAMOFF and no REQBUFS on CAPTURE from start to EOS (STREAMOFF $so, REQBUFS $rq)"
[ "$(sum "$out" element_reallocations)" = 0 ]
check $? "dpb-change: element: no reallocation ($(sum "$out" element_reallocations))"
t1=$(target "$out" 1 0)
grow_k=$(ioctls "$out" CREATE_BUFS "$p0" $((p0 + p1)))
grow_e=$(events "$out" grow "$p0" $((p0 + p1)))
b0=$(sum "$out" segment_0_last_buffers)
b1=$(sum "$out" segment_1_last_buffers)
[ "$grow_k" -gt 0 ] && [ "$grow_e" -gt 0 ] && [ "$b1" = "$t1" ]
check $? "dpb-change: at the increase the CAPTURE pool grows with CREATE_BUFS ($grow_k in the kernel log, $grow_e grow messages) from $b0 to the ref=4 target $t1 (kernel: $b1)"
t2=$(target "$out" 2 0)
rm_k=$(ioctls "$out" REMOVE_BUFS $((p0 + p1)) 100000)
rm_e=$(events "$out" shrink $((p0 + p1)) 100000)
b2=$(sum "$out" segment_2_last_buffers)
e2=$(sum "$out" element_buffers_at_eos)
[ "$rm_k" -gt 0 ] && [ "$rm_e" -gt 0 ] && [ "$b2" = "$t2" ] && [ "$e2" = "$t2" ]
check $? "dpb-change: after the decrease REMOVE_BUFS ($rm_k in the kernel log, $rm_e shrink messages) brings the pool to the target $t2 (kernel: $b2 buffers at the last frame, element: $e2 at EOS)"
if [ "$failed" = 1 ]; then
  grep -E '^(ioctl|event|summary)' "$out" | sed 's/^/# /'
  head -5 "$work/dpb.err" | sed 's/^/# /'
fi

# --- resolution change ------------------------------------------------------
t0=$(date +%s)
out=$work/resize.out
"$run" --label resize --hold 2 --verify "$streams/resize.h264" >"$out" 2>"$work/resize.err"
echo "# resize decode took $(($(date +%s) - t0)) s"
grep '^sps' "$out" | sed 's/^/# /'
total=$(awk -F, '$1 == "sps" { s += $8 } END { print s + 0 }' "$out")
frames=$(sum "$out" frames)
[ "$(sum "$out" eos)" = 1 ] && [ "$frames" = "$total" ] && [ "$(sum "$out" segments)" = 3 ]
check $? "resize: all $total frames of 1280x720 -> 320x240 -> 1280x720 decoded to EOS (got $frames)"
held=$(sum "$out" held_across_change)
bad=$(sum "$out" checksum_failures)
[ "$held" -ge 4 ] && [ "$bad" = 0 ]
check $? "resize: downstream keeps the frames it holds across both changes ($held held frames let go after a change, $bad changed under it)"
# Patched visl takes the new size while streaming: the elastic path.
re=$(sum "$out" element_reallocations)
so=$(sum "$out" kernel_streamoff)
fr=$(sum "$out" kernel_reqbufs_free)
ev=$(events "$out" reallocate 0 100000)
rm=$(sum "$out" kernel_remove_bufs)
[ "$re" = 0 ] && [ "$ev" = 0 ] && [ "$so" = 0 ] && [ "$fr" = 0 ] && [ "$rm" -ge 2 ]
check $? "resize: the elastic path at each change (element: $re reallocations, $ev messages; kernel: $so STREAMOFF, $fr freeing REQBUFS(0), $rm REMOVE_BUFS on CAPTURE)"

# --- latency ------------------------------------------------------------------
for s in latency-b latency-nob; do
  out=$work/$s.out
  "$run" --label "$s" "$streams/$s.h264" >"$out" 2>"$work/$s.err"
  reorder=$(sps "$out" 0 7)
  dur=$(sum "$out" frame_duration_ns)
  lat=$(sum "$out" decoder_latency_ns)
  delay=$(sum "$out" measured_delay_frames)
  [ "$(sum "$out" eos)" = 1 ] && [ -n "$reorder" ] && [ "$reorder" -ge 0 ] && [ "$lat" = $((reorder * dur)) ] && [ "$lat" = $((delay * dur)) ]
  check $? "$s: latency query: the decoder adds ${lat} ns = num_reorder_frames $reorder x $dur ns = measured output delay $delay frames"
done
[ "$(sps "$work/latency-b.out" 0 7)" -gt 0 ]
check $? "latency-b: the B-frame stream reorders (num_reorder_frames $(sps "$work/latency-b.out" 0 7))"

echo "1..$n"
exit "$failed"
