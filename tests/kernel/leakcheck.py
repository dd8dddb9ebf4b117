# gst-v4l2-elastic: reading GStreamer's leaks tracer from the Python guest
# tests (mutate-visl.py, lifecycle-visl.py).
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import re
import time


def leaks_tracer(Gst):
    """The active leaks tracer (GST_TRACERS=leaks set before Gst.init), or
    None."""
    for t in Gst.tracing_get_active_tracers():
        if t.__gtype__.name == "GstLeaksTracer":
            return t
    return None


class LiveObjects:
    """Objects created while the leaks tracer tracked activity and not yet
    freed, by address, each with the label of the step that created it.

    Checkpoints are read after every step; an object freed a little later
    (a GstTask that its pool thread still holds for a moment after the
    pipeline reached NULL) leaves the set at a later checkpoint, so only
    what is still there at the end counts.  An object whose address was
    freed and taken again between two checkpoints can hide a leak."""

    ENTRY = (r"%s, type-name=\(string\)(\w+), "
             r"address=\(string\)(0x[0-9a-f]+)")

    def __init__(self, tracer):
        self.tracer = tracer
        self.alive = {}
        tracer.emit("activity-start-tracking")

    def checkpoint(self, label):
        flat = self.tracer.emit("activity-get-checkpoint").to_string()
        flat = flat.replace("\\", "")
        made = re.findall(self.ENTRY % "objects-created", flat)
        gone = set(a for _, a in re.findall(self.ENTRY % "objects-removed",
                                            flat))
        for a in gone:
            self.alive.pop(a, None)
        for t, a in made:
            if a not in gone:
                self.alive[a] = (t, label)

    def finish(self, gc):
        """The final checkpoint, after a moment for late frees; returns
        {label: sorted type names} of what is still alive."""
        gc.collect()
        time.sleep(0.5)
        gc.collect()
        self.checkpoint("end")
        self.tracer.emit("activity-stop-tracking")
        left = {}
        for t, label in self.alive.values():
            left.setdefault(label, []).append(t)
        return {k: sorted(v) for k, v in left.items()}
