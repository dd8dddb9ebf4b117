#!/usr/bin/python3
# gst-v4l2-elastic: one VP9 stream with inter-frame size changes through
# v4l2elasticvp9dec on visl, checked against avdec_vp9, the pool's own
# statistics, the kernel's log of the buffer ioctls and visl's trace of
# the frame controls.  Run by vp9-resize-visl.sh in the guest.
#
#   vp9-resize-check.py MODE VIDEO_DEV STREAM.ivf[@A-B]...
#
# MODE elastic (visl with kernel/patches/6.12/0003): every frame is
# decoded; per output frame the caps size and PTS equal avdec_vp9's; the
# frames after a size change are not key frames (read from the stream);
# the pool's stale buffers (older format generations still alive) equal,
# at every output frame, the older-size pictures that the VP9 reference
# slots or downstream still hold (simulated from refresh_frame_flags);
# the kernel log shows buffers of the new size created while old-size
# references are still in the queue, no STREAMOFF and no REQBUFS(0)
# before EOS, and only the final size alive at EOS; visl's trace shows
# the first frame of each new size naming old-size frames as references.
#
# MODE fallback (stock visl: OUTPUT S_FMT refused while busy): the frames
# from the first inter-frame size change up to the next key frame
# (@A-B: frames A to B-1 in decode order) are dropped, the rest equals
# avdec_vp9; pool-stats counts one inter-resize-fallback per refused
# change, and the element posts a warning.
#
# Downstream (fakevideosink) reads GstVideoMeta; a probe holds the last 3
# frames, as a display queue would.  Prints TAP lines (no plan: the caller numbers them).
#
# SPDX-License-Identifier: LGPL-2.1-or-later
import os
import re
import struct
import sys
import time

import gi

gi.require_version('Gst', '1.0')
from gi.repository import Gst  # noqa: E402

HOLD = 3
TRACING = '/sys/kernel/tracing'
failed = False


def tap(cond, what):
    global failed
    if not cond:
        failed = True
    print('%s - %s' % ('ok' if cond else 'not ok', what), flush=True)


def diag(text):
    for line in str(text).splitlines():
        print('# ' + line, flush=True)


# --- the stream --------------------------------------------------------------

def ivf_packets(path):
    with open(path, 'rb') as f:
        data = f.read()
    pos, out = 32, []
    while pos + 12 <= len(data):
        size = struct.unpack_from('<I', data, pos)[0]
        out.append(data[pos + 12:pos + 12 + size])
        pos += 12 + size
    return out


class Bits:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def read(self, n):
        v = 0
        for _ in range(n):
            byte = self.data[self.pos >> 3]
            v = (v << 1) | ((byte >> (7 - (self.pos & 7))) & 1)
            self.pos += 1
        return v


def vp9_header(pkt):
    """The fields of the uncompressed header (6.2) this test needs:
    frame type and the slots the frame refreshes.  Profiles 0-2, no
    superframes (the generator makes none)."""
    b = Bits(pkt)
    if b.read(2) != 2:
        raise ValueError('bad frame marker')
    profile = b.read(1) | (b.read(1) << 1)
    if profile == 3:
        b.read(1)
    if b.read(1):  # show_existing_frame
        return {'key': False, 'show_existing': True, 'refresh': 0}
    key = b.read(1) == 0
    show_frame = b.read(1)
    error_res = b.read(1)
    if key:
        return {'key': True, 'show_existing': False, 'refresh': 0xff}
    intra_only = b.read(1) if not show_frame else 0
    if not error_res:
        b.read(2)  # reset_frame_context
    if intra_only:
        b.read(24)  # frame_sync_code
        if profile > 0:
            raise ValueError('intra-only frames of profile > 0 not handled')
    refresh = b.read(8)
    return {'key': False, 'show_existing': False, 'refresh': refresh}


# --- the kernel's log of the CAPTURE buffer ioctls ---------------------------

class KernelLog:
    """visl's dev_debug log from /dev/kmsg: CREATE_BUFS (with the format),
    REMOVE_BUFS, REQBUFS and STREAMOFF on the CAPTURE queue, in order."""

    def __init__(self, video_dev):
        base = os.path.basename(video_dev)
        with open('/sys/class/video4linux/%s/dev_debug' % base, 'w') as f:
            f.write('3')
        self.prefix = base + ': '
        self.fd = os.open('/dev/kmsg', os.O_RDONLY | os.O_NONBLOCK)
        os.lseek(self.fd, 0, os.SEEK_END)
        self.events = []

    def update(self):
        while True:
            try:
                rec = os.read(self.fd, 8192).decode(errors='replace')
            except BlockingIOError:
                return
            except BrokenPipeError:
                continue
            msg = rec.split(';', 1)[-1]
            if self.prefix not in msg or ': error ' in msg:
                continue
            if 'VIDIOC_STREAMOFF' in msg:
                self.events.append(('streamoff',))
            if 'type=vid-cap' not in msg:
                continue
            field = lambda n: int(re.search(n + r'=(\d+)', msg).group(1))
            if 'VIDIOC_CREATE_BUFS:' in msg:
                self.events.append(('create', field('index'), field('count'),
                                    field('width'), field('height')))
            elif 'VIDIOC_REMOVE_BUFS:' in msg:
                self.events.append(('remove', field('index'), field('count')))
            elif 'VIDIOC_REQBUFS:' in msg:
                self.events.append(('reqbufs', field('count')))

    def close(self):
        os.close(self.fd)
        base = self.prefix[:-2]
        with open('/sys/class/video4linux/%s/dev_debug' % base, 'w') as f:
            f.write('0')


def replay(events):
    """Buffers alive per index after each event: [(event, {index: size})]."""
    alive, out = {}, []
    for e in events:
        if e[0] == 'create':
            for i in range(e[1], e[1] + e[2]):
                alive[i] = (e[3], e[4])
        elif e[0] == 'remove':
            for i in range(e[1], e[1] + e[2]):
                alive.pop(i, None)
        elif e[0] == 'reqbufs' and e[1] == 0:
            alive = {}
        out.append((e, dict(alive)))
    return out


# --- visl's trace of V4L2_CID_STATELESS_VP9_FRAME ----------------------------

def trace_start():
    if not os.path.isdir(TRACING + '/events/visl_vp9_controls'):
        os.system('mount -t tracefs nodev %s 2>/dev/null' % TRACING)
    for name, value in (('tracing_on', '0'), ('buffer_size_kb', '4096'),
                        ('trace', ''),
                        ('events/visl_vp9_controls/v4l2_ctrl_vp9_frame/enable',
                         '1'),
                        ('tracing_on', '1')):
        with open(os.path.join(TRACING, name), 'w') as f:
            f.write(value)


def trace_stop():
    with open(TRACING + '/tracing_on', 'w') as f:
        f.write('0')
    with open(TRACING + '/trace') as f:
        text = f.read()
    with open(TRACING + '/trace', 'w') as f:
        f.write('')
    frames = []
    for chunk in text.split('v4l2_ctrl_vp9_frame:')[1:]:
        get = lambda n: int(re.search(n + r' (\d+)', chunk).group(1))
        frames.append({
            'w': get('frame_width_minus_1') + 1,
            'h': get('frame_height_minus_1') + 1,
            'refs': [get('last_frame_ts'), get('golden_frame_ts'),
                     get('alt_frame_ts')],
            'key': 'KEY_FRAME' in re.search(r'\nflags ([^\n]*)',
                                             chunk).group(1),
        })
    return frames


# --- decoding ----------------------------------------------------------------

def decode(decoder, path, hold=0, want_stats=False):
    """Runs the stream through DECODER; returns per output frame its PTS,
    caps size and (want_stats) the decoder's pool-stats, plus the bus
    messages, and calls at_eos() before the pipeline is stopped."""
    # fakevideosink answers the ALLOCATION query with GstVideoMeta, so
    # our CAPTURE buffers go downstream as they are (no copy).
    pipeline = Gst.parse_launch(
        'filesrc location=%s ! ivfparse ! %s name=dec ! fakevideosink '
        'name=sink sync=false' % (path, decoder))
    dec = pipeline.get_by_name('dec')
    pad = pipeline.get_by_name('sink').get_static_pad('sink')
    frames, held, messages = [], [], []

    def on_buffer(pad, info):
        buf = info.get_buffer()
        s = pad.get_current_caps().get_structure(0)
        rec = {'pts': buf.pts, 'w': s.get_value('width'),
               'h': s.get_value('height')}
        if want_stats:
            st = dec.get_property('pool-stats')
            for k in ('buffers', 'stale-buffers', 'reallocations',
                      'inter-resizes', 'inter-resize-fallbacks'):
                rec[k] = st.get_value(k)
            rec['bytes'] = st.get_value('bytes')
        frames.append(rec)
        if hold:
            # Downstream keeps the last HOLD frames (a display queue).
            held.append(buf)
            del held[:-hold]
        return Gst.PadProbeReturn.OK

    pad.add_probe(Gst.PadProbeType.BUFFER, on_buffer)

    bus = pipeline.get_bus()
    pipeline.set_state(Gst.State.PLAYING)
    result = 'timeout'
    while True:
        msg = bus.timed_pop(120 * Gst.SECOND)
        if msg is None:
            break
        if msg.type == Gst.MessageType.EOS:
            result = 'eos'
            break
        if msg.type == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            result = 'error: %s (%s)' % (err.message, dbg)
            break
        if msg.type == Gst.MessageType.WARNING:
            err, dbg = msg.parse_warning()
            messages.append(('warning', err.message))
        if msg.type == Gst.MessageType.ELEMENT and msg.get_structure() and \
                msg.get_structure().get_name() == 'v4l2elastic-pool':
            messages.append(('pool', msg.get_structure().to_string()))
    final = None
    if want_stats:
        st = dec.get_property('pool-stats')
        final = {k: st.get_value(k) for k in
                 ('buffers', 'stale-buffers', 'reallocations', 'creates',
                  'removes', 'peak-buffers', 'peak-bytes', 'bytes',
                  'inter-resizes', 'inter-resize-fallbacks')}
    return pipeline, held, frames, messages, result, final


def stop(pipeline, held):
    del held[:]
    pipeline.set_state(Gst.State.NULL)


# --- the checks --------------------------------------------------------------

def expected_stale(headers, sizes):
    """Per shown frame (decode order = output order here): how many
    pictures of an older format generation the slots or downstream still
    hold when the frame reaches downstream."""
    gen, g = [], 0
    for i, size in enumerate(sizes):
        if i > 0 and size != sizes[i - 1]:
            g += 1
        gen.append(g)
    slots = [None] * 8
    out = []
    for i, h in enumerate(headers):
        for s in range(8):
            if h['refresh'] & (1 << s):
                slots[s] = i
        held = set(range(max(0, i - HOLD), i))
        alive = {p for p in slots if p is not None} | held
        out.append(len({p for p in alive if gen[p] < gen[i]}))
    return out


def expected_alive_at_end(headers):
    """Pictures the slots and downstream hold after the last frame."""
    slots = [None] * 8
    for i, h in enumerate(headers):
        for s in range(8):
            if h['refresh'] & (1 << s):
                slots[s] = i
    n = len(headers)
    return {p for p in slots if p is not None} | set(range(n - HOLD, n))


def check_stream(mode, video_dev, path, fallback):
    name = os.path.basename(path)

    headers = [vp9_header(p) for p in ivf_packets(path)]
    ref = decode('avdec_vp9', path)
    stop(ref[0], ref[1])
    ref_frames = ref[2]
    sizes = [(f['w'], f['h']) for f in ref_frames]
    changes = [i for i in range(1, len(sizes)) if sizes[i] != sizes[i - 1]]
    tap(ref[4] == 'eos' and len(ref_frames) == len(headers) and changes,
        '%s: avdec_vp9 decodes %d frames with %d size changes (%s)' %
        (name, len(ref_frames), len(changes),
         ' -> '.join('%dx%d' % sizes[i] for i in [0] + changes)))
    if not changes or len(ref_frames) != len(headers):
        return
    tap(all(not headers[i]['key'] for i in changes) and headers[0]['key'],
        '%s: the frames at the size changes are inter frames '
        '(frame_type bit of the uncompressed header): %s' %
        (name, ', '.join('%d %s' % (i, 'key' if headers[i]['key'] else
                                    'inter') for i in changes)))

    klog = KernelLog(video_dev)
    trace_start()
    pipeline, held, frames, messages, result, final = decode(
        'v4l2elasticvp9dec', path, hold=HOLD, want_stats=True)
    klog.update()
    at_eos = list(klog.events)
    stop(pipeline, held)
    klog.update()
    klog.close()
    trace = trace_stop()

    tap(result == 'eos', '%s: ours reaches EOS (%s)' % (name, result))
    got = [(f['pts'], f['w'], f['h']) for f in frames]
    want = [(f['pts'], f['w'], f['h']) for f in ref_frames]
    if fallback:
        a, b = fallback
        want = want[:a] + want[b:]
    same = got == want
    tap(same, '%s: %d frames, PTS and caps size per frame equal avdec_vp9%s'
        % (name, len(got), ' minus frames %d-%d (dropped up to the next key '
           'frame)' % (fallback[0], fallback[1] - 1) if fallback else ''))
    if not same:
        for i in range(max(len(got), len(want))):
            g = got[i] if i < len(got) else None
            w = want[i] if i < len(want) else None
            if g != w:
                diag('first difference at output frame %d: ours %s, '
                     'avdec_vp9 %s' % (i, g, w))
                break

    streamoffs = sum(1 for e in at_eos if e[0] == 'streamoff')
    # REQBUFS(0) on an empty queue is how capabilities are probed; only
    # one that frees buffers is a restart.
    rp = replay(at_eos)
    frees = sum(1 for k, (e, alive) in enumerate(rp)
                if e[0] == 'reqbufs' and e[1] == 0 and k > 0 and rp[k - 1][1])
    warnings = [m for m in messages if m[0] == 'warning']

    if mode == 'fallback':
        n_refused = final['inter-resize-fallbacks']
        tap(n_refused == 1 and final['inter-resizes'] == 0 and
            final['reallocations'] == 1,
            '%s: pool-stats counts the refused inter-frame size change '
            '(inter-resize-fallbacks %d, inter-resizes %d, reallocations %d)'
            % (name, n_refused, final['inter-resizes'],
               final['reallocations']))
        tap(len(warnings) == 1 and 'key frame' in warnings[0][1],
            '%s: one warning says frames are dropped up to the next key '
            'frame (%d warnings)' % (name, len(warnings)))
        tap(streamoffs >= 1 and frees >= 1,
            '%s: the kernel log shows the restart (%d STREAMOFF, %d '
            'REQBUFS(0)) that lost the references' % (name, streamoffs,
                                                       frees))
        return

    tap(final['inter-resizes'] == len(changes) and
        final['inter-resize-fallbacks'] == 0 and final['reallocations'] == 0,
        '%s: pool-stats: %d inter-resizes on the elastic path, 0 '
        'fallbacks, 0 reallocations (got %d, %d, %d)' %
        (name, len(changes), final['inter-resizes'],
         final['inter-resize-fallbacks'], final['reallocations']))

    # Stale buffers per output frame against the slot simulation.
    expect = expected_stale(headers, sizes)
    stale = [f['stale-buffers'] for f in frames]
    tap(stale == expect[:len(stale)] and len(stale) == len(expect),
        '%s: at every frame the old-format buffers alive equal the '
        'old-size pictures the slots and downstream still hold '
        '(peak %d, at EOS %d)' % (name, max(stale) if stale else -1,
                                  final['stale-buffers']))
    if stale != expect:
        diag('ours:     %s' % stale)
        diag('expected: %s' % expect)

    # The kernel's view.
    ok_order, detail = True, []
    for i in changes:
        new = sizes[i]
        first = next((k for k, (e, alive) in enumerate(rp)
                      if e[0] == 'create' and (e[3], e[4]) == new and
                      k > 0 and any(v != new for v in rp[k - 1][1].values())),
                     None)
        if first is None:
            ok_order = False
            detail.append('no CREATE_BUFS of %dx%d' % new)
            continue
        old_alive = sum(1 for v in rp[first][1].values() if v != new)
        detail.append('%dx%d created with %d older buffers in the queue' %
                      (new + (old_alive,)))
        ok_order = ok_order and old_alive > 0
    tap(ok_order, '%s: kernel log: buffers of each new size are created '
        'while old-size references are still in the queue (%s)' %
        (name, '; '.join(detail)))
    final_alive = rp[-1][1] if rp else {}
    other = sum(1 for v in final_alive.values() if v != sizes[-1])
    want_other = len({p for p in expected_alive_at_end(headers)
                      if sizes[p] != sizes[-1]})
    tap(final_alive and other == want_other,
        '%s: kernel log: at EOS %d buffers of sizes other than the final '
        '%dx%d are alive, as many as the slots and downstream still hold '
        '(%d; %s)' % (name, other, sizes[-1][0], sizes[-1][1], want_other,
                      ', '.join('%d:%dx%d' % ((k,) + v)
                                for k, v in sorted(final_alive.items()))))
    tap(streamoffs == 0 and frees == 0,
        '%s: kernel log: no STREAMOFF and no REQBUFS(0) between the first '
        'frame and EOS (%d, %d)' % (name, streamoffs, frees))

    # visl's trace: the first frame of each new size names frames of the
    # old size.  Frame n is named (n + 1) * 1000 (the element's scheme).
    ok_refs, detail = len(trace) == len(headers), []
    for i in changes:
        if i >= len(trace):
            ok_refs = False
            break
        t = trace[i]
        named = [ts // 1000 - 1 for ts in t['refs']]
        old = [j for j in named if 0 <= j < i and
               (trace[j]['w'], trace[j]['h']) != (t['w'], t['h'])]
        detail.append('frame %d (%dx%d%s) refs %s' % (
            i, t['w'], t['h'], ', key' if t['key'] else '',
            '/'.join('%d:%dx%d' % (j, trace[j]['w'], trace[j]['h'])
                     for j in named if 0 <= j < len(trace))))
        ok_refs = ok_refs and not t['key'] and named[0] == i - 1 and \
            len(old) > 0
    tap(ok_refs, "%s: visl's trace: the first frame of each new size is an "
        'inter frame whose LAST reference is the previous, old-size frame '
        '(%s)' % (name, '; '.join(detail)))

    # Numbers for docs/vp9.md: CAPTURE buffers/bytes (of them stale) as
    # downstream receives the last frame before a change, the first frame
    # after it, the peak up to the next change, and that segment's last
    # frame.
    def at(f):
        return '%d/%d (%d)' % (f['buffers'], f['bytes'], f['stale-buffers'])
    diag('table: change | frame | before | first new | peak | segment end')
    for i in changes:
        seg = frames[i:next((c for c in changes if c > i), len(frames))]
        peak = max(seg, key=lambda f: f['bytes'])
        diag('table: %dx%d -> %dx%d | %d | %s | %s | %s | %s' % (
            sizes[i - 1] + sizes[i] + (i, at(frames[i - 1]), at(frames[i]),
                                       at(peak), at(seg[-1]))))
    diag('final: %s' % final)


def main():
    mode, video_dev = sys.argv[1:3]
    Gst.init(None)
    for arg in sys.argv[3:]:
        start = time.time()
        path, _, frames = arg.partition('@')
        fallback = tuple(int(x) for x in frames.split('-')) if frames \
            else None
        check_stream(mode, video_dev, path, fallback)
        diag('%s took %d s' % (os.path.basename(path), time.time() - start))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
