#!/usr/bin/python3
# gst-v4l2-elastic: a failure injected at every ioctl the decoder issues,
# on a real driver in the guest (issue #16, and the accounting of #10).
#
#   fault-inject.py BUILD_DIR ELEMENT CAPS FILE [NAME...]
#
# A clean decode of FILE (e.g. an FWHT stream on vicodec) first counts the
# calls of each ioctl (tests/fault/ioctl-fault.c, loaded with LD_PRELOAD);
# then, for each ioctl, its middle and last call fail in turn with
# errnos the kernel documents for it.  Every run must end in EOS or a
# GStreamer error message within its time (no crash, no hang); at that
# moment the CAPTURE buffers the pool counts in the kernel queue must
# equal what the kernel's own log of CREATE_BUFS/REMOVE_BUFS/REQBUFS says
# is allocated; after the pipeline is gone the process has the same fds as
# before.  Each run is a child process; its result comes back as JSON.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import gc
import importlib.util
import json
import os
import subprocess
import sys
import time

# The errnos each ioctl is documented to fail with (the first is used for
# the first call, the second for the second, ...).
ERRNOS = {
    'S_FMT': ['EBUSY', 'EINVAL'],
    'G_FMT': ['EINVAL'],
    'TRY_FMT': ['EINVAL'],
    'REQBUFS': ['ENOMEM', 'EBUSY'],
    'CREATE_BUFS': ['ENOMEM', 'ENOBUFS', 'EINVAL'],
    'REMOVE_BUFS': ['EBUSY', 'EINVAL'],
    'QUERYBUF': ['EINVAL'],
    'EXPBUF': ['ENOMEM', 'EINVAL'],
    'QBUF': ['EINVAL', 'EIO', 'ENOMEM'],
    'DQBUF': ['EIO', 'EINVAL', 'EPIPE'],
    'STREAMON': ['EINVAL', 'ENOMEM', 'EIO'],
    'STREAMOFF': ['EINVAL'],
    'S_EXT_CTRLS': ['EINVAL', 'ENOMEM', 'EBUSY'],
    'REQUEST_ALLOC': ['ENOMEM'],
    'REQUEST_QUEUE': ['EINVAL', 'ENOMEM', 'EBUSY'],
    'REQUEST_REINIT': ['EBUSY'],
    'poll': ['EINTR', 'ENOMEM'],
}
TIMEOUT_S = 40

n = 0
failed = False


def tap(cond, what):
    global n, failed
    n += 1
    if not cond:
        failed = True
    print('%s %d - %s' % ('ok' if cond else 'not ok', n, what), flush=True)


def diag(text):
    for line in str(text).splitlines():
        print('# ' + line, flush=True)


def child(element, caps, path):
    """One decode; prints its account as JSON on the last line."""
    here = os.path.dirname(os.path.abspath(__file__))
    spec = importlib.util.spec_from_file_location(
        'vp9check', os.path.join(here, 'vp9-resize-check.py'))
    vp9check = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(vp9check)
    Gst = vp9check.Gst
    Gst.init(None)
    fds_before = len(os.listdir('/proc/self/fd'))
    pipeline = Gst.parse_launch(
        'filesrc location=%s ! %s%s name=dec ! fakesink sync=false' %
        (path, caps + ' ! ' if caps else '', element))
    dec = pipeline.get_by_name('dec')
    klog = vp9check.KernelLog(dec.get_property('video-device'))
    res = {'eos': False, 'error': None}
    pipeline.set_state(Gst.State.PLAYING)
    bus = pipeline.get_bus()
    msg = bus.timed_pop_filtered(
        TIMEOUT_S * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
    if msg is None:
        res['error'] = 'timeout'
    elif msg.type == Gst.MessageType.EOS:
        res['eos'] = True
    else:
        res['error'] = msg.parse_error()[0].message
    # After an error the streaming thread may still be finishing the
    # frames of the buffer it had: read the kernel's log on both sides of
    # the pool's count until the three agree (or give up).
    for attempt in range(20):
        klog.update()
        before = len(vp9check.replay(klog.events)[-1][1]) \
            if klog.events else 0
        in_queue = dec.get_property('pool-stats').get_uint('in-queue')[1]
        klog.update()
        after = len(vp9check.replay(klog.events)[-1][1]) \
            if klog.events else 0
        if before == after == in_queue:
            break
        time.sleep(0.1)
    res['pool_in_queue'] = in_queue
    res['kernel_alive'] = after
    pipeline.set_state(Gst.State.NULL)
    klog.close()
    del dec, bus, msg, pipeline
    gc.collect()
    res['fds'] = [fds_before, len(os.listdir('/proc/self/fd'))]
    print(json.dumps(res), flush=True)


def run(build, element, caps, path, fault=None, count_file=None):
    env = dict(os.environ)
    env['LD_PRELOAD'] = os.path.join(
        build, 'tests', 'fault', 'libv4l2elastic-ioctl-fault.so')
    env.pop('V4L2ELASTIC_FAULT', None)
    if fault:
        env['V4L2ELASTIC_FAULT'] = fault
    if count_file:
        env['V4L2ELASTIC_FAULT_COUNT'] = count_file
    try:
        p = subprocess.run(
            ['/usr/bin/python3', os.path.abspath(__file__), '--child', element,
             caps, path], env=env, capture_output=True, text=True,
            timeout=TIMEOUT_S + 30)
    except subprocess.TimeoutExpired:
        return None, 'hung (killed after %d s)' % (TIMEOUT_S + 30)
    last = p.stdout.strip().splitlines()[-1:] or ['']
    try:
        return json.loads(last[0]), p.returncode
    except ValueError:
        return None, 'exit status %d: %s' % (
            p.returncode, (p.stderr.strip().splitlines() or [''])[-1])


def main():
    if sys.argv[1] == '--child':
        child(*sys.argv[2:5])
        return 0
    build, element, caps, path = sys.argv[1:5]
    names = sys.argv[5:] or sorted(ERRNOS)
    print('TAP version 13')
    # One registry, made before any fault: the children load the plugin
    # from it instead of probing the devices again, so the calls counted
    # are those of the decode.
    os.environ['GST_REGISTRY_1_0'] = '/tmp/ioctl-fault-registry.bin'
    subprocess.run(['gst-inspect-1.0', element], capture_output=True)
    counts_file = '/tmp/ioctl-fault-counts'
    res, rc = run(build, element, caps, path, count_file=counts_file)
    tap(res is not None and res['eos'] and not res['error'],
        '%s without faults: decodes to EOS (%s)' % (element, rc))
    counts = {}
    if os.path.exists(counts_file):
        for line in open(counts_file):
            k, v = line.split()
            counts[k] = int(v)
    diag('ioctl calls of a clean decode: %s' % ' '.join(
        '%s=%d' % kv for kv in sorted(counts.items())))
    injected = 0
    for name in names:
        calls = counts.get(name, 0)
        if calls == 0:
            diag('%s: not called by this decode' % name)
            continue
        # One call in the middle of the decode and the last one (the first
        # calls of most ioctls are the device probe at open, which the
        # unit and harness tests cover).
        for i, nth in enumerate(sorted({(calls + 1) // 2, calls})):
            err = ERRNOS[name][i % len(ERRNOS[name])]
            fault = '%s:%d:%s' % (name, nth, err)
            res, rc = run(build, element, caps, path, fault=fault)
            injected += 1
            if res is None:
                tap(False, '%s %s: the process ended cleanly (%s)' %
                    (element, fault, rc))
                continue
            ended = res['eos'] or (res['error'] and
                                   res['error'] != 'timeout')
            tap(ended and rc == 0,
                '%s %s: %s, exit %s' % (
                    element, fault,
                    'EOS' if res['eos'] else 'error "%s"' % res['error'],
                    rc))
            tap(res['pool_in_queue'] == res['kernel_alive'],
                '%s %s: the pool counts %d buffers in the kernel queue, the '
                'kernel log %d' % (element, fault, res['pool_in_queue'],
                                   res['kernel_alive']))
            tap(res['fds'][0] == res['fds'][1],
                '%s %s: fds %d -> %d' % (element, fault, *res['fds']))
    diag('%d faults injected' % injected)
    print('1..%d' % n)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
