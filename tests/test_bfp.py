"""BFP-CIM (Chang et al., ASP-DAC 2024): range-aware rounding with dynamic block floating
point; ADC energy and time from the bits resolved; the gate-level range logic (cim-models.md §7)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cimsim.accuracy import default_readout
from cimsim.architecture import load_architecture
from cimsim.components import Technology, create
from cimsim.cost.energy import layer_energy
from cimsim.engine.sim import layer_timing
from cimsim.errors import SpecError
from cimsim.kernels.layer import simulate_layer
from cimsim.kernels.mvm import crossbar_mvm
from cimsim.kernels.readout import BFPReadout, rar_reference
from cimsim.mapping.encodings import get_encoding
from cimsim.mapping.mapper import map_network
from cimsim.simulation import timing_activity
from cimsim.trace import load

BFP = "arch/studies/bfp-cim"


@pytest.fixture(scope="module")
def trace():
    return load("traces/cnn-digits.cimtrace")


def test_rar_resolved_bits_follow_the_data():
    # Two blocks of 4 columns: small values (bit length 2) and one with a large value (bit length 8).
    m = 4
    small, large = [1, 2, 3, 2], [1, 2, 200, 3]
    # identity weights in 2's complement with 1-bit cells: column (j, magnitude) reads p = x_j
    w = np.eye(8, dtype=np.int64)
    enc = get_encoding("twos_complement").encode(w, 2, 1)     # digits: magnitude bit (1) + sign (0)
    x = np.asarray([small + large])
    r = crossbar_mvm(x, enc, input_bits=8, input_signed=False, bits_per_cycle=8, rows_active=8,
                     readout=BFPReadout(mantissa_bits=m, block=enc.columns_per_output * 4))
    rb = r.resolved_bits.sum(axis=0)
    per_col = rb.reshape(2, -1).sum(axis=1)                   # the two blocks
    assert per_col[0] < per_col[1]
    # by the definition: min(m, bit length of the block's largest) bits per conversion
    cols = enc.columns_per_output * 4
    assert per_col[0] == cols * min(m, 2) and per_col[1] == cols * min(m, 8)
    # and the values: the small block is exact, the large one rounded to its shared exponent
    np.testing.assert_array_equal(rar_reference(np.array(small), m, 4), small)
    assert rar_reference(np.array(large), m, 4).tolist() == [0, 0, 208, 0]


def test_adc_energy_follows_resolved_bits_exactly_for_sar(trace):
    arch = load_architecture(f"{BFP}/bfp-m4.yaml")
    nm = map_network(trace, arch)
    adc = arch.require("array", "adc").model
    logic = arch.require("array", "bfp_logic").model
    assert isinstance(default_readout(arch), BFPReadout)
    for layer, lm in list(zip(trace.layers, nm.layers))[:3]:
        res = simulate_layer(layer, lm, arch, default_readout(arch), samples=slice(0, 2))
        act = res.activity()
        assert 0 < act["resolved_bits"] <= 4 * act["conversions"]
        e = layer_energy(arch, lm, res, layer, 2)
        # SAR: each conversion costs P (m_i + 1) step, so the total is P (sum m_i + conversions) step
        want = adc.power_W * adc.step_time_s * (act["resolved_bits"] + act["conversions"])
        assert e["array.adc"] == pytest.approx(want, rel=1e-9)
        assert e["array.bfp_logic"] == pytest.approx(act["conversions"] * logic.convert_overhead().energy_J)
        full = load_architecture(f"{BFP}/adc8-full.yaml")
        ef = layer_energy(full, lm, simulate_layer(layer, lm, full, None, samples=slice(0, 2)), layer, 2)
        assert e["array.adc"] < ef["array.adc"]


def test_conversion_time_follows_the_mean_resolved_bits(trace):
    arch = load_architecture(f"{BFP}/bfp-m4.yaml")
    nm = map_network(trace, arch)
    layer, lm = trace.layers[0], nm.layers[0]
    res = simulate_layer(layer, lm, arch, default_readout(arch), samples=slice(0, 2))
    ta = timing_activity(res)
    mean = ta["resolved_bits_per_conversion"]
    assert 1 <= mean < 4
    full = layer_timing(arch, layer, lm, None).ii["compute"]
    bfp = layer_timing(arch, layer, lm, ta).ii["compute"]
    # NeuroSim SAR: (m + 1) ns per conversion; 8 columns per ADC, 10 ns read each, 8 input cycles
    cycles_in = 8
    assert full == cycles_in * 8 * (10 + 9)
    assert bfp == cycles_in * math.ceil(8 * (10 + mean + 1) - 1e-9)
    assert layer_timing(arch, layer, lm, {"resolved_bits_per_conversion": 4.0}).ii["compute"] > bfp


def test_bfp_logic_parts_and_area():
    tech = Technology(22, 0.8, 1e9, "LSTP")
    lg = create("bfp_logic", "gate", tech, bits=8, mantissa_bits=4, block=8)
    parts = lg.parts()
    assert set(parts) == {"leading_one", "exponent_max", "block_registers", "shifter", "round"}
    assert lg.convert_overhead().energy_J == pytest.approx(sum(e for e, _ in parts.values()))
    assert lg.area_m2 == pytest.approx(sum(a for _, a in parts.values()))
    g = lg.gates
    # barrel shifter: 8 x 3 mux2 of 3 ND2 each
    assert parts["shifter"][0] == pytest.approx(8 * 3 * 3 * g.nd2_energy_J)
    # leading-one detector (Oklobdzija): 4 two-bit cells x 2 ND2, 2 merge cells (1 mux + OR), 1 (2 mux + OR)
    assert parts["leading_one"][0] == pytest.approx((8 + 2 * (3 + 1.5) + (6 + 1.5)) * g.nd2_energy_J)
    wide = create("bfp_logic", "gate", tech, bits=12, mantissa_bits=4, block=16)
    assert wide.convert_overhead().energy_J > lg.convert_overhead().energy_J and wide.area_m2 > lg.area_m2
    arch = load_architecture(f"{BFP}/bfp-m4.yaml")
    inst = arch.require("array", "bfp_logic")
    assert inst.per_parent == arch.arrays.adc_count and "array.bfp_logic" in arch.area_breakdown()


def test_bfp_schema_errors(tmp_path):
    from pathlib import Path

    base = Path(BFP).resolve()
    f = tmp_path / "a.yaml"
    f.write_text(f"extends: {base}/adc4-calibrated.yaml\nname: a\nchip:\n  tiles:\n    pes:\n      arrays:\n"
                 "        readout: {bfp: {mantissa_bits: 6}}\n")
    with pytest.raises(SpecError, match="bfp.mantissa_bits.*4 bits"):
        load_architecture(f)
    f.write_text(f"extends: {Path('arch/studies/hcim').resolve()}/ternary.yaml\nname: a\nchip:\n  tiles:\n    pes:\n"
                 "      arrays:\n        readout: {bfp: {mantissa_bits: 2}}\n")
    with pytest.raises(SpecError, match="bfp"):
        load_architecture(f)
