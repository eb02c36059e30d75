"""``cimsim.simulate(arch, trace) -> Report``: functional pass, timing, energy, area.

The data flow is the one the layout shows: the trace's layers are mapped onto the
architecture (:mod:`cimsim.mapping`), run through the Numba kernels for exact outputs and
activity counts (:mod:`cimsim.kernels`), timed by the discrete-event engine
(:mod:`cimsim.engine`), costed (:mod:`cimsim.cost`), and gathered into one
:class:`~cimsim.report.report.Report`.

Energy = dynamic energy from activity (per component, per layer) + leakage x latency.
All energies and latencies are per inference (the functional pass runs on the trace's
recorded samples; dynamic energy is divided by their number).
"""

from __future__ import annotations

import time

import numpy as np
from typing import Iterable

from cimsim.architecture import Architecture, load_architecture
from cimsim.cost.energy import layer_energy
from cimsim.errors import CimsimError
from cimsim.engine.sim import Timeline, simulate_timing
from cimsim.kernels.layer import simulate_layer
from cimsim.kernels.readout import Readout
from cimsim.mapping.mapper import map_network
from cimsim.report.report import LayerReport, Report


def simulate(arch: Architecture | str, trace, *, readout: Readout | None = None, device=None,
             dataflow: str = "layer", samples: int | None = None, timeline: Timeline | None = None,
             granularity: str = "row", sets: Iterable[str] = (), progress=None,
             duplicate: dict[str, int] | str | None = None, precision=None) -> Report:
    """Simulate ``trace`` (a :class:`cimsim.trace.Trace`) on ``arch`` (file or Architecture).

    ``duplicate``: weight copies per layer name, or ``"auto"`` to balance a pipeline
    (:func:`cimsim.engine.balance.balance_duplication`). ``precision``: an array-wise
    :class:`cimsim.mapping.precision.PrecisionPlan` (layers it names run under it); default the
    plan the trace carries (``cimsim search`` exports one), if any.
    """
    from cimsim.accuracy import default_device, default_readout

    if isinstance(arch, str) or not isinstance(arch, Architecture):
        arch = load_architecture(arch, sets)
    readout = readout if readout is not None else default_readout(arch)
    device = device if device is not None else default_device(arch)
    if samples is not None and samples < 1:
        raise CimsimError(f"samples: expected at least 1 sample to simulate; found {samples}")
    n = min(samples or trace.sample_count, trace.sample_count)
    t0 = time.perf_counter()
    if duplicate == "auto":
        from cimsim.engine.balance import balance_duplication

        duplicate = balance_duplication(trace, arch)
    mapping = map_network(trace, arch, duplicate)
    if precision is None:  # a trace exported with a precision plan (format 1.1) carries it
        from cimsim.trace.format import precision_plan

        precision = precision_plan(trace)
    if precision is not None:
        precision.check(trace, mapping, arch.arrays.readout.bits or 1)
        if arch.spec.mapping.positions != "all":
            raise CimsimError(f"{arch.origins.root_file}: mapping.positions: expected 'all' with an "
                              f"array-wise precision plan; found '{arch.spec.mapping.positions}' (the planned "
                              f"pass counts every position)")
    t_map = time.perf_counter() - t0
    layers: list[LayerReport] = []
    timing_act: dict[str, dict] = {}
    t1 = time.perf_counter()
    for layer, lm in zip(trace.layers, mapping.layers):
        plan = precision.layer(layer.name) if precision is not None else None
        if plan is None:
            res = simulate_layer(layer, lm, arch, readout, device, samples=slice(0, n))
            timing_act[layer.name] = timing_activity(res)
        else:
            from cimsim.kernels.planned import simulate_layer_planned
            from cimsim.mapping.precision import compute_cycles_per_vector

            res = simulate_layer_planned(layer, lm, arch, plan, readout, device, samples=slice(0, n))
            timing_act[layer.name] = {k: v for k, v in timing_activity(res).items()
                                      if k != "resolved_bits_per_conversion"}
            timing_act[layer.name]["compute_cycles_per_vector"] = compute_cycles_per_vector(arch, layer, lm, plan)
        energy = {k: v / n for k, v in layer_energy(arch, lm, res, layer, n).items()}
        act = {k: v / n for k, v in res.activity().items()}
        layers.append(LayerReport(name=layer.name, kind=layer.kind, macs=layer.macs, arrays=lm.arrays,
                                  utilisation=lm.utilisation, energy_J=energy, activity=act,
                                  tiles=sorted({p[0] for p in lm.placement}), round=lm.round))
        if progress is not None:
            progress(layer.name)
    t_func = time.perf_counter() - t1
    t2 = time.perf_counter()
    timing = simulate_timing(arch, trace, mapping, samples=1, dataflow=dataflow, granularity=granularity,
                             timeline=timeline, activity=timing_act)
    t_time = time.perf_counter() - t2
    by_name = {layer.name: layer for layer in trace.layers}
    for lr, lt in zip(layers, timing.layers):
        lr.start_cycle, lr.end_cycle = lt.start, lt.end
        lr.bound = lt.bound
        lr.busy_cycles = dict(lt.busy)
        # line buffer: producer output rows held x the producer's row size in activation codes
        for p, rows in lt.line_buffer_rows.items():
            prod = by_name[p]
            shape = prod.output_shape
            row_elems = int(shape[0]) * int(shape[-1]) if prod.kind == "conv2d" else int(np.prod(shape))
            lr.line_buffer_bits += rows * row_elems * by_name[lt.name].input.bits
    return Report.build(arch, trace, layers, timing, readout=repr(readout), dataflow=dataflow, samples=n,
                        wall={"map_s": t_map, "functional_s": t_func, "timing_s": t_time,
                              "events": timing.events})


def timing_activity(res) -> dict[str, float]:
    """The data-dependent counts the timing engine reads (:func:`cimsim.engine.sim.layer_timing`):

    - ``dcim_ops_per_vector``: the busiest array's non-zero sense-amp outputs per input vector
      (arrays of a layer run in lockstep, so the busiest DCiM array bounds the reduce stage);
    - ``resolved_bits_per_conversion``: mean ADC bits resolved per conversion (BFP read-out;
      absent otherwise)."""
    out: dict[str, float] = {}
    per_array: dict[tuple, int] = {}
    for arr in res.arrays:
        key = (arr.group, arr.row_tile, arr.col_tile)
        per_array[key] = per_array.get(key, 0) + arr.nonzero_outputs
    groups = max(1, len({k[0] for k in per_array}))
    vectors = res.input_vectors / groups
    if per_array and vectors:
        out["dcim_ops_per_vector"] = max(per_array.values()) / vectors
    act = res.activity()
    if act["resolved_bits"] and act["conversions"]:
        out["resolved_bits_per_conversion"] = act["resolved_bits"] / act["conversions"]
    return out


def leakage_energy(arch: Architecture, seconds: float) -> dict[str, float]:
    return {inst.name: inst.leakage_W * seconds for inst in arch.instances if inst.leakage_W}

