"""The discrete-event timing engine (simpy).

Each mapped layer is a simpy process that issues its work as runs of input vectors (one run
per output row of a convolution per sample, or per sample for a linear layer) through four
pipeline stages:

=========== ============================== ================================================
stage       resource                       service per vector (clock cycles)
=========== ============================== ================================================
fetch       the layer's PE buffers         unrolled input bits / (PE buffer width x PEs)
compute     the layer's arrays (lockstep)  input cycles x row groups x array cycle, where an
                                           array cycle is ``M (t_read + t_conv)`` (NeuroSim
                                           read-out) or ``max(t_read, M t_conv)`` (sample and
                                           hold), M columns per ADC, each rounded up to cycles;
                                           with D weight copies the initiation interval is /D;
                                           a layer larger than the chip runs in P passes
                                           (``chip.reprogramming``), x P; when the network
                                           needs more than one round, the layer first re-writes
                                           its weights: P x the array's write time
reduce      shift-add + PE adder tree      1 cycle per vector, latency ceil(log2 row tiles) + 1;
            (HCiM: DCiM array + adder      with a DCiM scale-factor array: its add/subtracts per
            tree)                          vector (the busiest array's non-zero sense-amp
                                           outputs, from Activity) / (lanes x DCiM arrays) x its
                                           initiation interval, latency + its op latency
writeback   the tile's interconnect         output bits / tile link width (shared by the layers
                                           of that tile)
=========== ============================== ================================================

Where a service time depends on data the engine reads counts from Activity (``activity``,
per layer name, from :func:`cimsim.simulation.timing_activity`), never values: the DCiM's
operations per vector, and for BFP read-outs the mean ADC bits resolved per conversion, which
set the conversion time of the compute stage (``M`` conversions per ADC in sequence, each of
the mean resolved bits: throughput follows the mean, not the worst case; stated choice).

Stages are pipelined: a stage starts vector k when it has arrived and the stage's previous
vector has cleared its initiation interval; runs are served in closed form
(:mod:`cimsim.engine.runs`), one simpy event per (run, stage). ``granularity="vector"``
issues runs of one vector: the per-vector reference model (same results where no two layers
share a stage; with a shared stage, whole runs queue behind each other, whereas single
vectors interleave).

Dataflows: ``layer`` (layer by layer: a layer starts when its producers have finished) and
``pipeline`` (a run starts as soon as the producer rows it needs exist: for output row y the
producers' rows up to ``ceil((y*stride + (K-1)*dilation - padding + 1) * H_producer / H_in)``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import simpy

from cimsim.architecture import Architecture
from cimsim.engine.runs import Run, serve

STAGES = ("fetch", "compute", "reduce", "writeback")


@dataclass
class Stage:
    """One pipeline stage (a resource): when it is next free, and what it has done."""

    name: str
    track: str
    free: int = 0
    busy: int = 0


@dataclass
class LayerTiming:
    name: str
    vectors_per_sample: int
    chunks: int                     # runs per sample
    ii: dict[str, int]              # initiation interval per stage (cycles)
    lat: dict[str, int]             # latency per stage (cycles)
    start: int = 0
    end: int = 0
    row_done: list = field(default_factory=list)   # per sample, per chunk: end cycle
    busy: dict[str, int] = field(default_factory=dict)
    program: int = 0                # cycles to re-write the layer's weights before it runs
    line_buffer_rows: dict[str, int] = field(default_factory=dict)  # pipeline: producer rows held

    @property
    def cycles(self) -> int:
        return self.end - self.start

    @property
    def bound(self) -> str:
        """The stage whose work bounded the layer (largest busy time)."""
        return max(STAGES, key=lambda s: self.busy.get(s, 0))


@dataclass
class Slice:
    track: str
    name: str
    start: int
    dur: int
    args: dict


class Timeline:
    """Slices recorded during a run; ``detail`` 'row' (one per run and stage) or 'layer'."""

    def __init__(self, detail: str = "row"):
        self.detail = detail
        self.slices: list[Slice] = []

    def add(self, track: str, name: str, start: int, end: int, **args) -> None:
        if end > start:
            self.slices.append(Slice(track, name, start, end - start, args))


def _cycles(seconds: float, clock_hz: float) -> int:
    return max(1, math.ceil(seconds * clock_hz - 1e-9))


def _conversion_cycles_at(arch: Architecture, mean_bits: float) -> float:
    """Conversion time (cycles, fractional) of the array's ADC at a mean number of resolved
    bits: linear between the two neighbouring whole bit counts (exact for SAR ADCs, whose
    time is (m + 1) steps)."""
    adc = arch.require("array", "adc").model
    top = arch.arrays.readout.bits
    m = min(max(mean_bits, 1.0), float(top))
    lo, hi = int(math.floor(m)), int(math.ceil(m))
    t_lo = adc.convert(bits_resolved=lo).latency_s
    t_hi = adc.convert(bits_resolved=hi).latency_s
    return (t_lo + (m - lo) * (t_hi - t_lo)) * arch.clock_Hz


def layer_timing(arch: Architecture, layer, lm, activity: dict | None = None) -> LayerTiming:
    """Service times of one mapped layer's stages (cycles per vector). ``activity``: the
    layer's data-dependent counts (``dcim_ops_per_vector``, ``resolved_bits_per_conversion``) and,
    under an array-wise precision plan, ``compute_cycles_per_vector``
    (:func:`cimsim.mapping.precision.compute_cycles_per_vector`)."""
    activity = activity or {}
    a = arch.arrays
    f = arch.clock_Hz
    nf = arch.spec.chip.number_format
    bits = layer.input.bits
    if nf.input_encoding == "parallel":
        cycles_in = 1
    else:
        d = nf.input_bits_per_cycle
        cycles_in = (math.ceil((bits - 1) / d) + 1) if layer.input.signed else math.ceil(bits / d)
    m = a.columns_per_adc
    t_read = _cycles(arch.read_latency_s, f)
    t_conv = _cycles(arch.conversion_latency_s, f)
    array_cycle = max(t_read, m * t_conv) if a.sample_and_hold else m * (t_read + t_conv)
    rb = activity.get("resolved_bits_per_conversion")
    if rb and a.readout.kind == "adc":  # BFP: conversions stop after the bits resolved (mean)
        tc = _conversion_cycles_at(arch, rb)
        array_cycle = (max(t_read, math.ceil(m * tc - 1e-9)) if a.sample_and_hold
                       else math.ceil(m * (t_read + tc) - 1e-9))
    row_groups = math.ceil(a.rows / a.active_rows)
    compute = cycles_in * row_groups * array_cycle
    if "compute_cycles_per_vector" in activity:  # array-wise precision: the slowest array (lockstep)
        compute = int(activity["compute_cycles_per_vector"])
    compute *= lm.passes  # a layer larger than the chip runs in passes (reprogramming)
    pes = max(1, math.ceil(lm.arrays / (a.count * lm.passes)))
    k_bits = sum(len(g.rows_kept) * g.col_tiles for g in lm.groups) * bits
    pe_buf = arch.get("pe", "buffer")
    fetch = math.ceil(k_bits / (pe_buf.model.width_bits * pes)) if pe_buf is not None else 1
    out_bits = sum(len(g.cols_kept) for g in lm.groups) * bits
    link = arch.get("tile", "interconnect")
    wb = math.ceil(out_bits / link.model.width_bits) if link is not None else 1
    row_tiles = max(g.row_tiles for g in lm.groups) if lm.groups else 1
    red_lat = 1 + (math.ceil(math.log2(row_tiles)) if row_tiles > 1 else 0)
    if layer.kind == "conv2d" and arch.spec.mapping.positions == "valid":  # unpadded windows only
        from cimsim.trace.format import valid_positions

        counted = valid_positions(layer)
        per_sample, chunks = int(counted.sum()), max(1, int(counted.any(axis=1).sum()))
    elif layer.kind == "conv2d":
        per_sample = int(layer.output_shape[-2]) * int(layer.output_shape[-1])
        chunks = int(layer.output_shape[-2])
    elif layer.kind == "matmul":
        per_sample = int(np.prod(layer.output_shape[:-1]))
        chunks = 1
    else:
        per_sample = int(np.prod(layer.output_shape[:-1])) if len(layer.output_shape) > 1 else 1
        chunks = 1
    dup = max(1, lm.duplicate)
    red_ii = 1
    dcim = arch.get("array", "dcim")
    if dcim is not None:  # HCiM: the DCiM array's add/subtracts per vector (zeros skipped)
        d = dcim.model
        ops = float(activity.get("dcim_ops_per_vector", 0.0))
        red_ii = max(1, math.ceil(ops * d.initiation_cycles / (d.lanes * dcim.per_parent) - 1e-9))
        red_lat += red_ii + d.op_cycles - d.initiation_cycles
    ii = {"fetch": max(1, fetch), "compute": max(1, math.ceil(compute / dup)), "reduce": max(1, math.ceil(red_ii / dup)),
          "writeback": max(1, wb)}
    lat = {"fetch": max(1, fetch), "compute": compute, "reduce": red_lat, "writeback": max(1, wb)}
    program = 0
    if lm.reprogrammed:  # each pass's arrays written in parallel, rows in sequence
        from cimsim.cost.energy import array_program_cost

        program = lm.passes * _cycles(array_program_cost(arch).latency_s, f)
    return LayerTiming(layer.name, per_sample, chunks, ii, lat, program=program)


def _producers(trace) -> dict[str, list[str]]:
    """CIM layers whose outputs a layer reads (through pooling, adds, concatenations)."""
    names = [layer.name for layer in trace.layers]
    edges = getattr(trace, "layer_edges", None) or []
    prod: dict[str, list[str]] = {n: [] for n in names}
    for e in edges:
        src, dst = e.get("src") or e.get("from"), e.get("dst") or e.get("to")
        if src in prod and dst in prod and src not in prod[dst]:
            prod[dst].append(src)
    if not edges:
        for i in range(1, len(names)):
            prod[names[i]] = [names[i - 1]]
    return prod


def _rows_needed(layer, y: int, chunks: int, producer_rows: int) -> int:
    """Producer output rows (count) that output row y of ``layer`` needs."""
    if layer.kind != "conv2d" or chunks <= 1:
        return producer_rows
    h_in = int(layer.input_shape[-2])
    kh = layer.kernel[0]
    last_in = min(h_in - 1, y * layer.stride[0] + (kh - 1) * layer.dilation[0] - layer.padding[0])
    return min(producer_rows, max(1, math.ceil((last_in + 1) * producer_rows / h_in)))


def _first_row_needed(layer, y: int, chunks: int, producer_rows: int) -> int:
    """The first producer output row that output row y of ``layer`` still reads."""
    if layer.kind != "conv2d" or chunks <= 1:
        return 0
    h_in = int(layer.input_shape[-2])
    first_in = max(0, y * layer.stride[0] - layer.padding[0])
    return min(producer_rows - 1, (first_in * producer_rows) // h_in)


@dataclass
class TimingResult:
    layers: list[LayerTiming]
    total_cycles: int
    events: int
    timeline: Timeline | None
    dataflow: str
    granularity: str

    def stage_busy(self) -> dict[str, int]:
        return {lt.name: max(lt.busy.values()) for lt in self.layers}


def simulate_timing(arch: Architecture, trace, mapping, samples: int = 1, dataflow: str = "layer",
                    granularity: str = "row", timeline: Timeline | None = None,
                    activity: dict[str, dict] | None = None) -> TimingResult:
    """Run the timing model of ``samples`` inferences of ``trace`` as mapped on ``arch``.
    ``activity``: per layer name, the data-dependent counts :func:`layer_timing` reads.
    With ``timing: {accounting: neurosim_serial}`` the serial accounting of
    :mod:`cimsim.engine.neurosim_serial` replaces the engine."""
    if arch.spec.timing.accounting == "neurosim_serial":
        from cimsim.engine.neurosim_serial import simulate_serial

        return simulate_serial(arch, trace, mapping, samples, dataflow, granularity, timeline, activity)
    env = simpy.Environment()
    activity = activity or {}
    layers = [layer_timing(arch, layer, lm, activity.get(layer.name))
              for layer, lm in zip(trace.layers, mapping.layers)]
    by_name = {lt.name: lt for lt in layers}
    trace_layers = {layer.name: layer for layer in trace.layers}
    producers = _producers(trace)
    per_tile = arch.spec.chip.tiles.pes.count
    # Private stages per layer; the writeback link is shared by the layers of a tile.
    links: dict[int, Stage] = {}
    stages: dict[str, dict[str, Stage]] = {}
    for lt, lm in zip(layers, mapping.layers):
        tile = lm.placement[0][0] if lm.placement else 0
        link = links.setdefault(tile, Stage("writeback", f"tile {tile} link"))
        stages[lt.name] = {"fetch": Stage("fetch", f"{lt.name} / PE buffers"),
                           "compute": Stage("compute", f"{lt.name} / arrays"),
                           "reduce": Stage("reduce", f"{lt.name} / shift-add + adder tree"),
                           "writeback": link}
        lt.row_done = [[None] * lt.chunks for _ in range(samples)]
        lt.busy = {s: 0 for s in STAGES}
    row_events: dict[tuple[str, int, int], simpy.Event] = {}
    done_events = {lt.name: env.event() for lt in layers}
    counter = {"events": 0}

    def row_event(name, s, y):
        key = (name, s, y)
        if key not in row_events:
            row_events[key] = env.event()
        return row_events[key]

    def mark(lt: LayerTiming, s: int, y: int, end: int):
        if end > env.now:
            yield env.timeout(end - env.now)
        lt.row_done[s][y] = end
        row_event(lt.name, s, y).succeed()

    def process(lt: LayerTiming):
        layer = trace_layers[lt.name]
        prods = producers[lt.name]
        st = stages[lt.name]
        first_start = None
        per_chunk = [lt.vectors_per_sample // lt.chunks] * lt.chunks
        for k in range(lt.vectors_per_sample - sum(per_chunk)):
            per_chunk[k] += 1
        ready = 0
        if dataflow == "layer":
            for p in prods:
                yield done_events[p]
            ready = max([by_name[p].end for p in prods], default=0)
        prog_end = None  # weights re-written before the layer's first run (chip.reprogramming)
        markers = []
        for s in range(samples):
            for y in range(lt.chunks):
                if dataflow == "pipeline":
                    ready = 0
                    for p in prods:
                        plt = by_name[p]
                        need = _rows_needed(layer, y, lt.chunks, plt.chunks)
                        for s_p in range(s + 1):
                            last_needed = plt.chunks - 1 if s_p < s else need - 1
                            yield row_event(p, s_p, last_needed)
                            ready = max(ready, plt.row_done[s_p][last_needed])
                    if s == 0:
                        for p in prods:
                            # rows of p finished by now, minus those no longer needed
                            plt = by_name[p]
                            done = sum(1 for t in plt.row_done[0] if t is not None and t <= ready)
                            first = _first_row_needed(layer, y, lt.chunks, plt.chunks)
                            held = max(0, done - first)
                            lt.line_buffer_rows[p] = max(lt.line_buffer_rows.get(p, 0), held)
                if lt.program:
                    if prog_end is None:
                        first_start, prog_end = ready, ready + lt.program
                    ready = max(ready, prog_end)
                n = per_chunk[y]
                if granularity == "row":
                    groups = [[Run(ready, 0, n)]]
                else:
                    groups = [[Run(ready, 0, 1)] for _ in range(n)]
                end = ready
                for runs in groups:
                    for stage_name in STAGES:
                        stage = st[stage_name]
                        t0 = runs[0].start
                        if t0 > env.now:
                            yield env.timeout(t0 - env.now)
                        counter["events"] += 1
                        starts, runs, stage.free = serve(runs, lt.ii[stage_name], lt.lat[stage_name], stage.free)
                        work = sum(r.count for r in starts) * lt.ii[stage_name]
                        stage.busy += work
                        lt.busy[stage_name] += work
                        if first_start is None:
                            first_start = starts[0].start
                        if timeline is not None and timeline.detail == "row":
                            timeline.add(stage.track, f"{lt.name} row {y}" + (f" s{s}" if samples > 1 else ""),
                                         starts[0].start, max(r.last for r in starts) + lt.ii[stage_name],
                                         stage=stage_name, layer=lt.name, vectors=sum(r.count for r in starts))
                    end = max(end, max(r.last for r in runs))
                markers.append(env.process(mark(lt, s, y, end)))
        for mk in markers:
            yield mk
        lt.start = first_start or 0
        lt.end = max(max(r) for r in lt.row_done)
        if timeline is not None and timeline.detail == "layer":
            for stage_name in STAGES:
                timeline.add(f"{lt.name} / {stage_name}", lt.name, lt.start, lt.end, stage=stage_name,
                             busy_cycles=lt.busy[stage_name])
        done_events[lt.name].succeed()

    for lt in layers:
        env.process(process(lt))
    env.run()
    total = max((lt.end for lt in layers), default=0)
    return TimingResult(layers, total, counter["events"], timeline, dataflow, granularity)
