#!/bin/sh
# gst-v4l2-elastic: the real-kernel suite, run inside the QEMU guest by
# tools/vm-run (one boot for the whole suite).  Emits one TAP stream; every
# line names the kernel and the driver it ran on.
#
#   guest-suite.sh BUILD_DIR EXPECTED_DRIVERS REMOVE_BUFS FWHT_PATH
#
# REMOVE_BUFS (yes|no) is whether this kernel must offer VIDIOC_REMOVE_BUFS;
# FWHT_PATH (elastic|restart) how v4l2elasticfwhtdec must cross a size
# change on vicodec here (see tests/kernel/fwht-decode.c).
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -u
build=$1
expect=$2
remove_bufs=$3
fwht_path=$4
src=$(cd "$(dirname "$0")/../.." && pwd)
. "$src/tests/kernel/tap-lib.sh"

echo "TAP version 13"
echo "# kernel $kernel ($VMRUN_KERNEL_SERIES, $VMRUN_KERNEL_VARIANT); expected drivers: $expect"
echo "# loaded: $(cut -d' ' -f1 /proc/modules | tr '\n' ' ')"

# Every expected driver shows up as a stateless decoder through the media
# controller.
min=$(echo "$expect" | tr ',' '\n' | grep -c .)
if probe=$("$build/tools/v4l2elastic-probe" --min "$min" 2>&1); then
  ok "probe finds $min stateless decoder(s)"
else
  not_ok "probe finds $min stateless decoder(s)"
fi
echo "$probe" | sed 's/^/# /'
for d in $(echo "$expect" | tr ',' ' '); do
  if echo "$probe" | awk -v d="$d" '$2 == d { f = 1 } END { exit !f }'; then
    ok "$d stateless decoder present"
  else
    not_ok "$d stateless decoder present"
  fi
done

# The plugin loads where decoders exist.
export GST_PLUGIN_PATH_1_0="$build/ext/v4l2elastic"
if out=$(gst-inspect-1.0 v4l2elastic 2>&1) &&
  echo "$out" | grep -q 'Name *v4l2elastic'; then
  ok "gst-inspect-1.0 v4l2elastic loads the plugin"
else
  not_ok "gst-inspect-1.0 v4l2elastic loads the plugin"
  echo "$out" | sed 's/^/# /'
fi
# The registry was seeded on the host, where no decoder exists: elements
# here prove that the plugin is re-scanned when /dev/media* changes.
if echo "$expect" | grep -q vicodec; then
  if echo "$out" | grep -q 'v4l2elasticfwhtdec'; then
    ok "vicodec: the re-scanned plugin registers v4l2elasticfwhtdec"
  else
    not_ok "vicodec: the re-scanned plugin registers v4l2elasticfwhtdec"
  fi
fi

took "probe and gst-inspect"
run_tap queue-semantics "$build/tests/kernel/v4l2elastic-queue-semantics" \
  --expect "$expect" --remove-bufs "$remove_bufs"
# The media core modules loaded are the ones this variant must use, and a
# seeded randomized stress of the buffer ioctls leaves the kernel clean.
run_tap core-modules "$src/tests/kernel/core-modules.sh" "$VMRUN_KERNEL_SERIES" "$VMRUN_KERNEL_VARIANT"
# Stock 6.12 vicodec can free the reference of a running job on
# REMOVE_BUFS (an oops, found by this test; fixed by
# kernel/patches/6.12/0002): the stress runs where that fix or no
# REMOVE_BUFS at all is in place.
if [ "$VMRUN_KERNEL_SERIES-$VMRUN_KERNEL_VARIANT" = 6.12-stock ]; then
  n=$((n + 1))
  echo "ok $n - $kernel stress # SKIP stock 6.12 vicodec has the REMOVE_BUFS race fixed by kernel/patches/6.12/0002"
else
  # vicodec's buffers are vmalloc memory (videobuf2-vmalloc): once every
  # stress process has closed its fds, all of it must be back.  The
  # tolerance is below one CAPTURE buffer (at least 345 kB here).
  vmalloc_before=$(awk '/^VmallocUsed/ { print $2 }' /proc/meminfo)
  # Two churn processes open, stream, decode and close contexts of their
  # own on the same device meanwhile: a removal waits for its own
  # context's job only (kernel/patches/6.12/0002, 6.1/0004).
  run_tap stress "$build/tests/kernel/v4l2elastic-stress" --seed 20261127 --duration 15 --churn 2
  sleep 1
  vmalloc_after=$(awk '/^VmallocUsed/ { print $2 }' /proc/meminfo)
  if [ $((vmalloc_after - vmalloc_before)) -lt 256 ]; then
    ok "stress: every buffer allocation is gone after close (VmallocUsed $vmalloc_before -> $vmalloc_after kB)"
  else
    not_ok "stress: every buffer allocation is gone after close (VmallocUsed $vmalloc_before -> $vmalloc_after kB)"
  fi
fi

# The same stress on visl, whose jobs complete request controls.  Stock
# visl frees a context's control handler before it waits for the
# context's job, which the churn processes (closing contexts with jobs
# queued or running) turn into an oops in visl_device_run(); fixed by
# kernel/patches/6.12/0005 (docs/kernel.md, "visl under the churn
# stress"), so it runs on the patched 6.12 boot only.
if echo "$expect" | grep -q visl; then
  if [ "$VMRUN_KERNEL_SERIES-$VMRUN_KERNEL_VARIANT" = 6.12-patched ]; then
    run_tap stress-visl "$build/tests/kernel/v4l2elastic-stress" --driver visl \
      --seed 20261127 --duration 10 --churn 2
  else
    n=$((n + 1))
    echo "ok $n - $kernel visl stress # SKIP stock visl frees a closing context's controls under its running job (fixed by kernel/patches/6.12/0005)"
  fi
fi

# A frame whose reference buffer was removed fails with an error on
# vicodec, and the kernel log stays clean (skipped without REMOVE_BUFS).
if echo "$expect" | grep -q vicodec; then
  marker="gst-v4l2-elastic removed-ref $(date +%s)"
  echo "$marker" >/dev/kmsg 2>/dev/null
  run_tap removed-ref "$build/tests/kernel/v4l2elastic-removed-ref" --driver vicodec
  klog=$(dmesg 2>/dev/null | sed -n "/$marker/,\$p" |
    grep -E 'WARNING:|BUG:|Oops|refcount_t:|KASAN|general protection|Call Trace:')
  if [ -z "$klog" ]; then
    ok "vicodec removed-ref: kernel log has no WARNING, BUG, Oops or refcount report"
  else
    not_ok "vicodec removed-ref: kernel log has no WARNING, BUG, Oops or refcount report"
    echo "$klog" | sed 's/^/# /'
  fi
fi

# The FWHT element on vicodec: streams made here by vicodec's own encoder.
if echo "$expect" | grep -q vicodec; then
  streams=/tmp/fwht-streams
  # Made by vicodec in a guest at build time (Meson target fwht-corpus,
  # tests/kernel/fwht-corpus-build.sh), else here.
  prebuilt=$build/tests/kernel/fwht-corpus
  if [ -s "$prebuilt/textured.fwht" ]; then
    rm -rf "$streams"
    cp -r "$prebuilt" "$streams"
    ok "vicodec FWHT streams and reference decodes made by the build ($prebuilt)"
    fwht_streams=$streams
  elif gen=$(sh "$src/tests/media/fwht-corpus.sh" "$streams" 2>&1); then
    echo "$gen" | sed 's/^/# /'
    ok "vicodec FWHT streams and reference decodes generated"
    fwht_streams=$streams
  else
    not_ok "vicodec FWHT streams and reference decodes generated"
    echo "$gen" | sed 's/^/# /'
  fi
  took "FWHT stream generation"
  export GST_PLUGIN_PATH_1_0="$build/ext/v4l2elastic"
  step_start=$(date +%s)
  run_tap fwht-decode "$build/tests/kernel/v4l2elastic-fwht-decode" \
    --streams "$streams" --expect-path "$fwht_path"

  step_start=$(date +%s)
  # Start/stop cycles again under the leaks tracer: nothing may stay alive.
  GST_TRACERS=leaks GST_DEBUG=GST_TRACER:7 \
    "$build/tests/kernel/v4l2elastic-fwht-decode" --streams "$streams" \
    --only-cycles --cycles 10 >/tmp/leaks.out 2>/tmp/leaks.err
  leaks=$(grep 'object-alive, type-name=' /tmp/leaks.err | grep -vc '%s')
  if [ "$leaks" = 0 ] && grep -q '^ok .*cycles: 10 of 10' /tmp/leaks.out; then
    ok "vicodec leaks tracer: 10 start/stop cycles leave no object alive"
  else
    not_ok "vicodec leaks tracer: $leaks object(s) alive after 10 cycles"
    grep 'object-alive, type-name=' /tmp/leaks.err | grep -v '%s' | head -20 | sed 's/^/# /'
  fi
  took "leaks tracer cycles"

  # Who owns a decoded buffer downstream (issue #10): a downstream that
  # writes into what it receives (pixel-exact outside what it wrote, on a
  # textured stream whose inter frames vicodec codes as deltas), an
  # application holding samples across a restart and a flushing seek
  # (kernel ioctl log), metadata on reused buffers, memory replaced
  # downstream; and our plugin next to gst-plugins-good's v4l2 device
  # provider in one process.
  # A failure injected at a middle and the last call of each
  # ioctl of an FWHT decode across two size changes (LD_PRELOAD shim,
  # tests/fault/ioctl-fault.c): EOS or an error message, pool accounting
  # equal to the kernel's log, no fd left (patched 6.12: the elastic path
  # with REMOVE_BUFS on the size changes).
  if [ "$VMRUN_KERNEL_SERIES-$VMRUN_KERNEL_VARIANT" = 6.12-patched ]; then
    step_start=$(date +%s)
    run_tap fault-inject /usr/bin/python3 "$src/tests/kernel/fault-inject.py" \
      "$build" v4l2elasticfwhtdec video/x-fwht "$streams/resize.fwht" \
      CREATE_BUFS REMOVE_BUFS DQBUF S_FMT poll
    took "fault injection"
  fi
  run_tap buffer-ownership "$build/tests/kernel/v4l2elastic-buffer-ownership" --streams "$streams"
  run_tap gtype-clash "$build/tests/kernel/v4l2elastic-gtype-clash" --streams "$streams"
fi

# vicodec's stateless decoder: resolution changes while streaming with the
# carried patch, through STREAMOFF and REQBUFS(0) without it.
case ",$expect," in
  *,vicodec,*)
    streams=/tmp/vicodec-resize-streams
    step_start=$(date +%s)
    if out=$(sh "$src/tests/kernel/make-fwht-streams.sh" "$streams" 2>&1); then
      took "vicodec-resize stream generation"
      patched=no
      [ "$VMRUN_KERNEL_VARIANT" = patched ] && patched=yes
      run_tap vicodec-resize "$build/tests/kernel/v4l2elastic-vicodec-resize" \
        --patched "$patched" --streams "$streams"
    else
      echo "$out" | sed 's/^/# /'
      not_ok "vicodec FWHT test streams made by make-fwht-streams.sh"
    fi
    ;;
esac

# The codec elements on visl, on the patched boot (with visl accepting a
# new coded size while busy, kernel/patches/6.12/0003); the stock boot
# runs the VP9 inter-frame resize test below for the fallback.
case ",$expect,$VMRUN_KERNEL_VARIANT" in
  *,visl,*patched)
    # VP8/VP9: frame count and order against avdec_vp8/avdec_vp9.
    run_tap vpx-visl sh "$src/tests/kernel/vpx-visl.sh" "$build" /tmp/vpx-visl
    # VP8/VP9: each request's controls against upstream v4l2slvp8dec /
    # v4l2slvp9dec from visl's trace events, hidden frames asserted, count
    # and order against avdec, profile 2 refused (docs/vpx.md).
    run_tap vpx-trace-compare sh "$src/tests/kernel/vpx-trace-compare.sh" "$build"
    # H.264: frame count and PTS order against avdec_h264, and each
    # request's controls against upstream v4l2slh264dec from visl's trace
    # events (a difference fails; upstream stopping early is told apart).
    run_tap h264-visl sh "$src/tests/kernel/h264-visl.sh" "$build"
    # H.264 pool: no STREAMOFF on a DPB change, CREATE_BUFS up and
    # REMOVE_BUFS down to the target, a size change keeps held frames,
    # latency = reorder delay (kernel ioctl log + element).
    run_tap h264-elastic sh "$src/tests/kernel/h264-elastic-visl.sh" "$build"
    # A failure injected at a middle and the last call of the ioctls an
    # H.264 decode issues on visl, over a DPB change (CREATE_BUFS up,
    # REMOVE_BUFS down): EOS or an error, pool accounting equal to the
    # kernel's log, no fd left (the FWHT list runs on vicodec above;
    # STREAMON and MEDIA_IOC_REQUEST_ALLOC, which it leaves out, here).
    run_tap fault-inject-h264 /usr/bin/python3 "$src/tests/kernel/fault-inject.py" \
      "$build" v4l2elastich264dec h264parse "$build/tests/h264-streams/dpb-change.h264" \
      REMOVE_BUFS S_EXT_CTRLS REQUEST_QUEUE STREAMON REQUEST_ALLOC
    # The same for VP9 and VP8 over their key-frame size changes (VP9:
    # the pool grows and shrinks through CREATE_BUFS/REMOVE_BUFS).
    run_tap fault-inject-vp9 /usr/bin/python3 "$src/tests/kernel/fault-inject.py" \
      "$build" v4l2elasticvp9dec "ivfparse ! vp9parse" "$build/tests/kernel/vpx-streams/vp9-resize.ivf" \
      CREATE_BUFS REMOVE_BUFS S_EXT_CTRLS
    run_tap fault-inject-vp8 /usr/bin/python3 "$src/tests/kernel/fault-inject.py" \
      "$build" v4l2elasticvp8dec ivfparse "$build/tests/kernel/vpx-streams/vp8-resize.ivf" \
      S_EXT_CTRLS REQUEST_QUEUE DQBUF
    # Issue #10: a downstream that makes every buffer writable and draws
    # into it (H.264 with B-frames, VP9 with key-frame size changes): every
    # frame decoded, no error; bitstream buffers that follow the stream (a
    # 320x240 -> 1080p switch, one large IDR amid small frames).
    # The software decoders' counts: avdec_h264's decode made with the
    # corpus on the host; for VP9 (superframes: one IVF packet per shown
    # frame) the IVF header's.
    run_tap scribble-h264 "$build/tests/kernel/v4l2elastic-buffer-ownership" \
      --scribble-visl h264 --expect-frames "$(wc -l <"$build/tests/h264-streams/main-b2.ref")" \
      "$build/tests/h264-streams/main-b2.h264"
    vp9=$build/tests/kernel/vpx-streams/vp9-resize.ivf
    run_tap scribble-vp9 "$build/tests/kernel/v4l2elastic-buffer-ownership" \
      --scribble-visl vp9 --expect-frames "$(od -An -tu4 -j24 -N4 "$vp9" | tr -d ' ')" "$vp9"
    run_tap bitstream-size sh "$src/tests/kernel/bitstream-size-visl.sh" "$build"
    # Players pick our elements over upstream's v4l2sl*dec (rank policy in
    # ext/v4l2elastic/plugin.c): playbin, playbin3, gst-play-1.0,
    # uridecodebin3 and parsebin on MP4/Matroska/WebM/raw H.264 files muxed
    # on the host (tests/media/player-streams.sh), every frame, seeks.
    players="$build/tests/kernel/player-streams"
    if [ ! -s "$players/frames" ]; then
      players=/tmp/player-streams
      sh "$src/tests/media/player-streams.sh" "$players" 60 >/dev/null 2>&1
    fi
    run_tap players-visl /usr/bin/python3 "$src/tests/kernel/players-visl.py" "$players" /tmp/players-visl
    # VP8/VP9 with alpha (WebM BlockAdditional) through our alpha bins:
    # frames against the software bins, players, seek, size change, holes,
    # mismatched alpha, controls against upstream's v4l2sl alpha bins.
    run_tap alpha-visl /usr/bin/python3 "$src/tests/kernel/alpha-visl.py" \
      "$build/tests/kernel/alpha-streams" yes /tmp/alpha-visl
    # 25 mutated H.264/VP8/VP9/MPEG-2 streams each (bit flips, truncations, dropped,
    # duplicated and random packets, splices into another size; seeded)
    # through the elements: EOS or an error, no crash or hang, no fd or
    # object left (leaks tracer), a clean kernel log.
    run_tap mutate-visl /usr/bin/python3 "$src/tests/kernel/mutate-visl.py" \
      "$players" "$build/tests/kernel/alpha-streams" 25 20261203
    # The life cycle of each codec element: 20 start/stop cycles (half
    # stopped mid-decode) with fds and the leaks tracer checked, seeks
    # against avdec, a downstream holding every frame, a tiny memory limit.
    run_tap lifecycle-visl /usr/bin/python3 "$src/tests/kernel/lifecycle-visl.py" \
      "$players" 20
    # The element under ASan + UBSan (the plugin as tests/sanitize built
    # it): every corpus file of every codec, the alpha bins, playbin, and
    # 6 more mutants per codec (another seed); no report, each decode EOS
    # or an element error.  Then valgrind's memcheck on one decode per
    # codec in one process: no invalid access, nothing definitely lost.
    run_tap sanitize-visl sh "$src/tests/kernel/sanitize-visl.sh" "$build" 3 20261204
    run_tap valgrind-visl sh "$src/tests/kernel/valgrind-visl.sh" "$build"
    # GstHarness element tests: negotiation, allocation, latency, flush,
    # drain, pool statistics and messages, bounds while PLAYING, garbage;
    # H.264 on visl, FWHT on vicodec when its streams were made above.
    fwht_arg=
    [ -n "${fwht_streams:-}" ] && fwht_arg="--fwht $fwht_streams"
    # shellcheck disable=SC2086
    run_tap harness "$build/tests/kernel/v4l2elastic-harness" --h264 "$players" $fwht_arg
    ;;
esac

# VP9 inter-frame size changes on visl: elastic with the carried visl
# patch (no frame lost, pool and kernel checked), the counted fallback on
# stock visl, which refuses the OUTPUT S_FMT while busy.
case ",$expect,$VMRUN_KERNEL_VARIANT" in
  *,visl,*patched) run_tap vp9-resize-visl sh "$src/tests/kernel/vp9-resize-visl.sh" "$build" elastic ;;
  *,visl,*stock)
    run_tap vp9-resize-visl sh "$src/tests/kernel/vp9-resize-visl.sh" "$build" fallback
    run_tap alpha-visl /usr/bin/python3 "$src/tests/kernel/alpha-visl.py" \
      "$build/tests/kernel/alpha-streams" no /tmp/alpha-visl
    ;;
esac

# MPEG-2 on visl (docs/mpeg2.md): every coded picture in display order,
# PTS and sizes against avdec_mpeg2video, controls against upstream
# v4l2slmpeg2dec, three size changes (elastic with the carried visl patch,
# the queues restarted on stock visl), bad input.
case ",$expect,$VMRUN_KERNEL_VARIANT" in
  *,visl,*patched)
    run_tap mpeg2-visl sh "$src/tests/kernel/mpeg2-visl.sh" "$build" elastic
    # A failure injected at a middle and the last call of the ioctls an
    # MPEG-2 decode issues over its three size changes (CREATE_BUFS up,
    # REMOVE_BUFS down on the elastic path), as for the other codecs.
    run_tap fault-inject-mpeg2 /usr/bin/python3 "$src/tests/kernel/fault-inject.py" \
      "$build" v4l2elasticmpeg2dec mpegvideoparse "$build/tests/kernel/mpeg2-streams/resize.m2v" \
      CREATE_BUFS REMOVE_BUFS S_EXT_CTRLS REQUEST_QUEUE
    ;;
  *,visl,*stock) run_tap mpeg2-visl sh "$src/tests/kernel/mpeg2-visl.sh" "$build" fallback ;;
esac

# H.265 on visl (docs/h265.md): frames, order and sizes against
# avdec_h265, controls against upstream v4l2slh265dec where it decodes,
# DPB and resolution changes elastic (patched) or restarted (stock).
case ",$expect,$VMRUN_KERNEL_VARIANT" in
  *,visl,*patched)
    run_tap h265-visl sh "$src/tests/kernel/h265-visl.sh" "$build" elastic
    # Failures injected over the three size changes (CREATE_BUFS up,
    # REMOVE_BUFS down, the controls and the request of a picture).
    run_tap fault-inject-h265 /usr/bin/python3 "$src/tests/kernel/fault-inject.py" \
      "$build" v4l2elastich265dec h265parse "$build/tests/h265-streams/resize.h265" \
      CREATE_BUFS REMOVE_BUFS S_EXT_CTRLS
    ;;
  # Stock: the restart at the size changes; the rest is the patched boot's.
  *,visl,*stock)
    H265_VISL_STREAMS="wpp-off resize" run_tap h265-visl sh "$src/tests/kernel/h265-visl.sh" "$build" fallback ;;
esac

echo "# whole suite took $(($(date +%s) - suite_start)) s"
echo "1..$n"
exit "$failed"
