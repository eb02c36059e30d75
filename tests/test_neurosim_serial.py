"""NeuroSim V1.4's serial latency accounting (cimsim/engine/neurosim_serial.py): a hand-worked
one-layer case against the closed form of NeuroSim's composition, the default engine untouched,
and bad parameters."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from cimsim.architecture import load_architecture
from cimsim.engine.neurosim_serial import SerialParams, layer_parts
from cimsim.engine.sim import simulate_timing
from cimsim.errors import CimsimError
from cimsim.mapping.mapper import map_network
from cimsim.trace.format import Trace
from cimsim.trace.synthetic import make_layer

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "arch/neurosim-rram-22nm.yaml"
SERIAL = "timing.accounting=neurosim_serial"


def _one_conv():
    """conv 4 -> 8 channels, 3x3 'same' on 6x6, unsigned 8-bit inputs: 36 vectors of 36 rows."""
    rng = np.random.default_rng(0)
    x = np.maximum(rng.normal(size=(1, 4, 6, 6)), 0)
    layer = make_layer("conv0", "conv2d", x, rng.normal(size=(8, 4, 3, 3)), index=0, padding=(1, 1),
                       asigned=False)
    return Trace(name="one", layers=[layer], sample_count=1, input_shape=(4, 6, 6), graph=[], provenance={})


def _flit(arch, level):
    """One flit's traversal (cycles) from the interconnect model: the per-action latency."""
    return max(1.0, arch.get(level, "interconnect").model.transfer().latency_s * arch.clock_Hz)


def test_one_layer_latency_equals_neurosim_closed_form():
    trace = _one_conv()
    arch = load_architecture(DEFAULT, [SERIAL])
    nm = map_network(trace, arch)
    assert nm.layers[0].arrays == 1
    layer = trace.layers[0]
    assert layer.input.bits == 8 and not layer.input.signed
    v, b, rows, outs = 36, 8, 36, 8
    t_read, t_conv, muxed = 10, 6, 8             # 10 ns pulse, (5+1) ns SAR, 8 columns per ADC, 1 GHz
    step = t_read + t_conv                        # NeuroSim's synchronous clock period, in cycles
    compute = b * muxed * (t_read + t_conv) * v   # 8 bit-serial cycles x 8 column steps x 36 vectors
    accumulation = 1 * v * step                   # tile adder tree: one add per output vector
    in_pe, out_pe = rows * b * v, outs * 24 * v   # PE: input rows x bits; partial sums at 24 bit
    pe_buffer = (in_pe + out_pe) / 128 * 0.5 * step          # 128-bit register file, half a cycle a line
    pe_ic = (math.ceil(in_pe / 128) + math.ceil(out_pe / 128)) * _flit(arch, "pe") * step
    in_tile, out_tile = rows * b * v, outs * 28 * v          # tile: partial sums at 28 bit (Tile.cpp)
    tile_buffer = (in_tile + out_tile) / 256 * 0.5 * step     # 256-bit tile buffer, 256-bit H-tree: 1 port
    tile_ic = math.ceil((in_tile + out_tile) / 256) * _flit(arch, "tile") * step
    in_chip, out_chip = rows * b * v, outs * b * v            # global: activations in and out (Chip.cpp)
    chip_buffer = (in_chip + out_chip) / 1024 * 0.5 * step
    chip_ic = (math.ceil(in_chip / 1024) + math.ceil(out_chip / 1024)) * _flit(arch, "chip") * step
    expected = {"compute": compute, "accumulation": accumulation, "pe_buffer": pe_buffer,
                "pe_interconnect": pe_ic, "tile_buffer": tile_buffer, "tile_interconnect": tile_ic,
                "chip_buffer": chip_buffer, "chip_interconnect": chip_ic}
    _, parts = layer_parts(arch, layer, nm.layers[0], params=SerialParams.from_spec(arch))
    assert parts == pytest.approx(expected, rel=1e-12)
    total = sum(expected.values())
    for dataflow in ("layer", "pipeline"):
        r = simulate_timing(arch, trace, nm, dataflow=dataflow)
        assert r.total_cycles == math.ceil(total)
        assert r.layers[0].busy == {"serial": math.ceil(total)}
    assert r.layers[0].bound == max(expected, key=expected.get)


def test_copies_divide_compute_and_pe_traffic_only():
    """NeuroSim's speed-up divides the PE's latency, never the tile's and chip's buffers."""
    trace = _one_conv()
    arch = load_architecture(DEFAULT, [SERIAL])
    one = layer_parts(arch, trace.layers[0], map_network(trace, arch).layers[0])[1]
    four = layer_parts(arch, trace.layers[0], map_network(trace, arch, {"conv0": 4}).layers[0])[1]
    for k in ("compute", "pe_buffer", "pe_interconnect"):
        assert four[k] == pytest.approx(one[k] / 4)
    for k in ("accumulation", "tile_buffer", "tile_interconnect", "chip_buffer", "chip_interconnect"):
        assert four[k] == pytest.approx(one[k])


def test_default_accounting_is_the_event_engine():
    trace = _one_conv()
    base = load_architecture(DEFAULT)
    explicit = load_architecture(DEFAULT, ["timing.accounting=event"])
    assert base.spec.timing.accounting == "event"
    r0 = simulate_timing(base, trace, map_network(trace, base))
    r1 = simulate_timing(explicit, trace, map_network(trace, explicit))
    assert r0.total_cycles == r1.total_cycles and r0.layers[0].busy == r1.layers[0].busy
    assert set(r0.layers[0].busy) == {"fetch", "compute", "reduce", "writeback"}


def test_unknown_serial_parameter_is_a_clear_error():
    arch = load_architecture(DEFAULT, [SERIAL, "timing.params.buffer_acess_cycles=1"])
    with pytest.raises(CimsimError, match="buffer_acess_cycles.*buffer_access_cycles"):
        SerialParams.from_spec(arch)
    bad = load_architecture(DEFAULT, [SERIAL, "timing.params.buffer_access_cycles=0"])
    with pytest.raises(CimsimError, match="positive"):
        SerialParams.from_spec(bad)
    not_bool = load_architecture(DEFAULT, [SERIAL, "timing.params.interconnect_pipelined=maybe"])
    with pytest.raises(CimsimError, match="interconnect_pipelined: expected true or false"):
        SerialParams.from_spec(not_bool)
    ok = load_architecture(DEFAULT, [SERIAL, "timing.params.interconnect_pipelined=true"])
    assert SerialParams.from_spec(ok).interconnect_pipelined is True


def test_unknown_accounting_is_rejected_by_the_schema():
    with pytest.raises(CimsimError, match="neurosim_serial"):
        load_architecture(DEFAULT, ["timing.accounting=neurosim"])
