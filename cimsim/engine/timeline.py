"""Timelines as Chrome trace-event JSON (opens in Perfetto / chrome://tracing).

One track (thread) per resource: a layer's PE buffers, arrays, shift-add/adder tree, and
each tile's interconnect link; one complete-event slice ("ph": "X") per run of vectors on a
stage (detail ``row``) or per layer and stage (detail ``layer``). Timestamps are in
microseconds of simulated time ("displayTimeUnit": "ns"); cycles are kept in ``args``.
Written gzip-compressed when the file name ends in ``.gz``.
"""

from __future__ import annotations

import gzip
import json

from cimsim.engine.sim import Timeline
from cimsim.report.files import atomic_write_bytes


def trace_events(timeline: Timeline, clock_hz: float, process_name: str = "cimsim") -> dict:
    tracks: dict[str, int] = {}
    events = [{"name": "process_name", "ph": "M", "pid": 1, "tid": 0, "args": {"name": process_name}}]
    us_per_cycle = 1e6 / clock_hz
    for sl in timeline.slices:
        if sl.track not in tracks:
            tracks[sl.track] = len(tracks) + 1
            events.append({"name": "thread_name", "ph": "M", "pid": 1, "tid": tracks[sl.track],
                           "args": {"name": sl.track}})
            events.append({"name": "thread_sort_index", "ph": "M", "pid": 1, "tid": tracks[sl.track],
                           "args": {"sort_index": tracks[sl.track]}})
        events.append({"name": sl.name, "cat": sl.args.get("stage", ""), "ph": "X", "pid": 1,
                       "tid": tracks[sl.track], "ts": sl.start * us_per_cycle, "dur": sl.dur * us_per_cycle,
                       "args": {"start_cycle": sl.start, "cycles": sl.dur, **sl.args}})
    return {"traceEvents": events, "displayTimeUnit": "ns",
            "otherData": {"clock_Hz": clock_hz, "time_unit": "us"}}


def write_timeline(path: str, timeline: Timeline, clock_hz: float, process_name: str = "cimsim") -> str:
    data = json.dumps(trace_events(timeline, clock_hz, process_name)).encode()
    if str(path).endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    atomic_write_bytes(path, data)
    return str(path)
