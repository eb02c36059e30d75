"""Runs of identical operations, served exactly: the event-granularity device of the engine.

A *run* is ``count`` identical items (input vectors) whose k-th item becomes ready at
``start + k * interval`` (integer clock cycles). A pipeline stage with initiation interval
``ii`` and latency ``lat`` starts item k at ``s_k = max(a_k, s_(k-1) + ii)`` (``s_(-1) + ii``
being the time the stage is free) and hands it on at ``s_k + lat``. For arithmetic arrivals
this recurrence has a closed form, piecewise arithmetic in at most two pieces:

- ``interval <= ii`` (the stage is the bottleneck): ``s_k = max(a_0, free) + k * ii``;
- ``interval > ii``: the first ``m`` items queue behind the stage's earlier work,
  ``s_k = free + k * ii`` for ``k < m``, then ``s_k = a_k``, with
  ``m = ceil((free - a_0) / (interval - ii))`` (0 if the stage is free at ``a_0``).

So one event per (run, stage) gives exactly the item times a per-item model gives: the
per-vector reference model of :mod:`cimsim.engine.sim` is the same engine with runs of one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Run:
    start: int
    interval: int
    count: int

    @property
    def last(self) -> int:
        return self.start + (self.count - 1) * self.interval


def serve(runs: list[Run], ii: int, lat: int, free: int) -> tuple[list[Run], list[Run], int]:
    """Serve arithmetic runs on a stage free from ``free``.

    Returns (start times as runs, hand-off times as runs, time the stage is free again for
    the next item: last start + ii).
    """
    starts: list[Run] = []
    for r in runs:
        if r.count <= 0:
            continue
        if r.interval <= ii:
            s0 = max(r.start, free)
            starts.append(Run(s0, ii, r.count))
            free = s0 + r.count * ii
            continue
        if free <= r.start:
            m = 0
        else:
            m = min(r.count, -(-(free - r.start) // (r.interval - ii)))
        if m:
            starts.append(Run(free, ii, m))
        if m < r.count:
            starts.append(Run(r.start + m * r.interval, r.interval, r.count - m))
        last = starts[-1]
        free = last.last + ii
    done = [Run(s.start + lat, s.interval, s.count) for s in starts]
    return starts, done, free


def per_item(runs: list[Run]) -> list[int]:
    """Expand runs to item times (for tests and the per-vector model)."""
    return [r.start + k * r.interval for r in runs for k in range(r.count)]


def first(runs: list[Run]) -> int:
    return runs[0].start


def last(runs: list[Run]) -> int:
    return max(r.last for r in runs)
