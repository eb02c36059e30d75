"""Timing engine: exact runs, closed-form latencies, dataflows, timelines."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cimsim.architecture import load_architecture
from cimsim.engine.runs import Run, per_item, serve
from cimsim.engine.sim import Timeline, layer_timing, simulate_timing
from cimsim.engine.timeline import trace_events
from cimsim.mapping.mapper import map_network
from cimsim.trace import load
from cimsim.trace.format import Trace
from cimsim.trace.synthetic import make_layer  # numpy-only layers

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "arch/neurosim-rram-22nm.yaml"
VGG8 = ROOT / "traces/vgg8-cifar10.cimtrace"


def _brute(arrivals, ii, lat, free):
    starts, prev = [], None
    for a in arrivals:
        s = max(a, free if prev is None else prev + ii)
        starts.append(s)
        prev = s
    return starts, [s + lat for s in starts], (prev + ii if prev is not None else free)


@settings(max_examples=300, deadline=None)
@given(runs=st.lists(st.tuples(st.integers(0, 50), st.integers(0, 9), st.integers(1, 7)), min_size=1, max_size=4),
       ii=st.integers(1, 8), lat=st.integers(1, 20), free=st.integers(0, 120))
def test_runs_equal_per_item_recurrence(runs, ii, lat, free):
    rs, t = [], 0
    for gap, interval, count in runs:      # runs in arrival order
        t += gap
        rs.append(Run(t, interval, count))
        t = rs[-1].last
    starts, done, free_after = serve(rs, ii, lat, free)
    b_starts, b_done, b_free = _brute(per_item(rs), ii, lat, free)
    assert per_item(starts) == b_starts and per_item(done) == b_done and free_after == b_free


def _conv_chain(shapes, hw=6, seed=0):
    """A chain of 3x3 'same' convolutions with ReLU inputs (unsigned 8-bit codes)."""
    rng = np.random.default_rng(seed)
    layers = []
    for i, (cin, cout) in enumerate(shapes):
        x = np.maximum(rng.normal(size=(1, cin, hw, hw)), 0)
        layers.append(make_layer(f"conv{i}", "conv2d", x, rng.normal(size=(cout, cin, 3, 3)), index=i,
                                 padding=(1, 1), asigned=False))
    edges = [{"src": f"conv{i}", "dst": f"conv{i + 1}"} for i in range(len(layers) - 1)]
    return Trace(name="chain", layers=layers, sample_count=1, input_shape=(shapes[0][0], hw, hw),
                 graph=[], provenance={}, layer_edges=edges)


def _one_conv_trace():
    return _conv_chain([(4, 8)])


def test_one_layer_one_array_closed_form():
    trace = _one_conv_trace()
    layer = trace.layers[0]
    arch = load_architecture(DEFAULT)
    nm = map_network(trace, arch)
    assert nm.layers[0].arrays == 1
    r = simulate_timing(arch, trace, nm)
    lt = r.layers[0]
    pixels = 6 * 6
    cycles_in = (layer.input.bits - 1) + 1 if layer.input.signed else layer.input.bits
    t_read, t_conv, s_cols = 10, 6, 8          # 10 ns pulse, (5+1) ns SAR, 8 columns per ADC at 1 GHz
    array_cycle = s_cols * (t_read + t_conv)
    assert lt.ii["compute"] == cycles_in * array_cycle
    # fill: the first vector's fetch before compute; the last vector's reduce and writeback after
    fetch = -(-(4 * 9 * layer.input.bits) // 128)                  # PE buffer 128 bit wide, 1 PE
    wb = -(-(8 * layer.input.bits) // 256)                          # tile link 256 bit
    assert lt.lat["fetch"] == fetch and lt.lat["writeback"] == wb and lt.lat["reduce"] == 1
    assert r.total_cycles == fetch + pixels * cycles_in * array_cycle + 1 + wb
    assert lt.bound == "compute"


def test_halving_adcs_doubles_conversion_bound_latency():
    trace = _one_conv_trace()
    isaac = ROOT / "arch/isaac-32nm.yaml"        # sample-and-hold: max(t_read, M t_conv)
    fast_read = "chip.tiles.pes.arrays.read_pulse=10 ns"   # 12 cycles < 64 conversions: ADC-bound
    one = load_architecture(isaac, [fast_read, "chip.tiles.pes.arrays.readout.count=1",
                                    "chip.tiles.pes.arrays.readout.columns_per_adc=128"])
    two = load_architecture(isaac, [fast_read, "chip.tiles.pes.arrays.readout.count=2",
                                    "chip.tiles.pes.arrays.readout.columns_per_adc=64"])
    c1 = layer_timing(one, trace.layers[0], map_network(trace, one).layers[0]).ii["compute"]
    c2 = layer_timing(two, trace.layers[0], map_network(trace, two).layers[0]).ii["compute"]
    assert c1 == 2 * c2
    r1 = simulate_timing(one, trace, map_network(trace, one))
    r2 = simulate_timing(two, trace, map_network(trace, two))
    assert r1.layers[0].bound == "compute" and r1.total_cycles > 1.9 * r2.total_cycles


def test_layer_by_layer_latency_is_sum_of_layers():
    trace = load(VGG8)
    arch = load_architecture(DEFAULT)
    r = simulate_timing(arch, trace, map_network(trace, arch), dataflow="layer")
    assert r.total_cycles == sum(lt.cycles for lt in r.layers)
    for a, b in zip(r.layers, r.layers[1:]):
        assert b.start == a.end


@pytest.mark.parametrize("dataflow", ["layer", "pipeline"])
def test_runs_and_per_vector_model_agree(dataflow):
    trace = load(VGG8)
    arch = load_architecture(DEFAULT)
    nm = map_network(trace, arch)
    coarse = simulate_timing(arch, trace, nm, dataflow=dataflow, granularity="row")
    fine = simulate_timing(arch, trace, nm, dataflow=dataflow, granularity="vector")
    assert coarse.total_cycles == fine.total_cycles
    assert [lt.end for lt in coarse.layers] == [lt.end for lt in fine.layers]
    assert fine.events > 10 * coarse.events


def test_pipeline_steady_state_is_slowest_stage():
    trace = _conv_chain([(4, 8), (8, 8)], hw=8, seed=1)
    arch = load_architecture(DEFAULT)
    nm = map_network(trace, arch)
    one = simulate_timing(arch, trace, nm, samples=1, dataflow="pipeline")
    two = simulate_timing(arch, trace, nm, samples=2, dataflow="pipeline")
    three = simulate_timing(arch, trace, nm, samples=3, dataflow="pipeline")
    slowest = max(max(lt.busy.values()) for lt in one.layers)
    assert three.total_cycles - two.total_cycles == slowest
    # Pipelining overlaps the layers: shorter than layer by layer.
    lbl = simulate_timing(arch, trace, nm, samples=1, dataflow="layer")
    assert one.total_cycles < lbl.total_cycles


def test_timeline_is_valid_trace_event_json(tmp_path):
    from cimsim.engine.timeline import write_timeline

    trace = load(VGG8)
    arch = load_architecture(DEFAULT)
    tl = Timeline("row")
    simulate_timing(arch, trace, map_network(trace, arch), dataflow="pipeline", timeline=tl)
    path = tmp_path / "t.json.gz"
    write_timeline(str(path), tl, arch.clock_Hz)
    d = json.loads(gzip.decompress(path.read_bytes()))
    events = d["traceEvents"]
    names = {e["tid"]: e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
    slices = [e for e in events if e["ph"] == "X"]
    assert slices and all(e["tid"] in names for e in slices)
    assert all(e["dur"] >= 0 and e["ts"] >= 0 and "name" in e for e in slices)
    by_track: dict[int, list] = {}
    for e in slices:
        by_track.setdefault(e["tid"], []).append((e["args"]["start_cycle"], e["args"]["cycles"]))
    for spans in by_track.values():
        spans.sort()
        for (s0, d0), (s1, _) in zip(spans, spans[1:]):
            assert s0 + d0 <= s1, "overlapping slices on a single-capacity resource"


def test_trace_events_units():
    tl = Timeline()
    tl.add("arrays", "x", 10, 30)
    ev = [e for e in trace_events(tl, 1e9)["traceEvents"] if e["ph"] == "X"][0]
    assert ev["ts"] == pytest.approx(0.01) and ev["dur"] == pytest.approx(0.02)   # microseconds at 1 GHz


def test_auto_duplication_balances_pipeline():
    from cimsim.engine.balance import balance_duplication

    trace = load(VGG8)
    arch = load_architecture(DEFAULT)
    dup = balance_duplication(trace, arch)
    nm1, nmd = map_network(trace, arch), map_network(trace, arch, dup)
    assert sum(lm.arrays for lm in nmd.layers) <= arch.array_count and nmd.rounds == 1
    assert max(dup.values()) > 1 and min(dup.values()) == 1
    for lm, lmd in zip(nm1.layers, nmd.layers):
        assert lmd.arrays == dup[lm.name] * lm.arrays
    one = simulate_timing(arch, trace, nm1, dataflow="pipeline")
    bal = simulate_timing(arch, trace, nmd, dataflow="pipeline")
    slow1 = max(max(lt.busy.values()) for lt in one.layers)
    slowd = max(max(lt.busy.values()) for lt in bal.layers)
    assert slowd * 4 < slow1 and bal.total_cycles < one.total_cycles
    # a copy divides the compute initiation interval
    for lt1, ltd in zip(one.layers, bal.layers):
        assert ltd.ii["compute"] == -(-lt1.lat["compute"] // dup[lt1.name])


def test_pipeline_line_buffer_holds_the_kernel_rows():
    trace = _conv_chain([(4, 8), (8, 8)], hw=8, seed=1)
    arch = load_architecture(DEFAULT)
    r = simulate_timing(arch, trace, map_network(trace, arch), dataflow="pipeline")
    held = r.layers[1].line_buffer_rows["conv0"]
    # a 3x3 'same' conv reads 3 producer rows; the producer may run at most to the end
    assert 3 <= held <= 8
    assert r.layers[0].line_buffer_rows == {}
