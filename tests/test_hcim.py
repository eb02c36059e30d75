"""HCiM (Negi et al., arXiv 2403.13577): ADC-less sense-amp read-out, the DCiM scale-factor
array as a component and an engine resource (cim-models.md §6)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cimsim.architecture import load_architecture
from cimsim.components import Technology, create
from cimsim.cost.energy import layer_energy
from cimsim.engine.sim import layer_timing
from cimsim.errors import CimsimError, SpecError
from cimsim.kernels.layer import simulate_layer
from cimsim.kernels.mvm import crossbar_mvm
from cimsim.kernels.readout import SenseAmp, SenseAmpTable
from cimsim.mapping.encodings import get_encoding
from cimsim.mapping.mapper import map_network
from cimsim.simulation import timing_activity
from cimsim.trace import load

HCIM = "arch/studies/hcim"
TRACE = "traces/cnn-digits.cimtrace"


@pytest.fixture(scope="module")
def trace():
    return load(TRACE)


def test_ternary_levels_carry_the_center_and_count_only_nonzero_t():
    # p = (2, 0, 2, 2) for x = (1,1,1,0) on the hand-worked 4x4 of test_kernels (differential,
    # 1-bit): centre 1.5, alpha 1, thresholds 1 / 2 -> t = (0, -1, 0, 0); q = 1.5 + alpha t.
    w = np.array([[1, -1], [1, 1], [0, -1], [1, 0]])
    e = get_encoding("differential").encode(w, 2, 1)
    x = np.array([[1, 1, 1, 0]])
    ro = SenseAmp("ternary", alpha=1.0, theta_lo=1.0, theta_hi=2.0, center=1.5)
    r = crossbar_mvm(x, e, input_bits=1, input_signed=False, rows_active=4, readout=ro)
    p = (x @ e.digits)[0]
    t = np.where(p > 2.0, 1, np.where(p < 1.0, -1, 0))
    assert r.nonzero.sum() == np.count_nonzero(t)
    q = 1.5 + t
    y = np.zeros(2)
    np.add.at(y, e.column_output, e.column_factor * q)
    np.testing.assert_allclose(r.y[0], y)


def test_dcim_ops_equal_nonzero_ternary_outputs_and_energy(trace):
    arch = load_architecture(f"{HCIM}/ternary.yaml")
    nm = map_network(trace, arch)
    dcim = arch.require("array", "dcim").model
    total_ops = 0
    for layer, lm in zip(trace.layers, nm.layers):
        res = simulate_layer(layer, lm, arch, SenseAmp("ternary"), samples=slice(0, 2))
        act = res.activity()
        nonzero = sum(r.nonzero.sum() for r in res.groups)
        assert act["shift_add_ops"] == act["nonzero_outputs"] == nonzero
        assert 0 < nonzero < act["conversions"]          # zeros exist and are skipped
        e = layer_energy(arch, lm, res, layer, 2)
        assert e["array.dcim"] == pytest.approx(nonzero * dcim.add().energy_J, rel=1e-12)
        assert "array.shift_add" not in e and "array.adc" not in e
        total_ops += nonzero
    assert total_ops > 0


def test_zero_output_columns_cost_no_dcim_energy(trace):
    arch = load_architecture(f"{HCIM}/ternary.yaml")
    layer = trace.layers[-1]                     # fc2
    nm = map_network(trace, arch)
    lm = nm.layers[-1]
    ro = SenseAmp("ternary", alpha=1.0, theta_lo=-0.5, theta_hi=0.5)
    res = simulate_layer(layer, lm, arch, ro, samples=slice(0, 2),
                         x_codes=np.zeros_like(layer.input.values[:2]))   # no input: every p = 0
    act = res.activity()
    assert act["conversions"] > 0 and act["nonzero_outputs"] == 0
    e = layer_energy(arch, lm, res, layer, 2)
    assert "array.dcim" not in e and e["array.sense_amp"] > 0
    # and per column: a column of zero weights never fires while the others do
    w = np.array([[3, 0], [-2, 0], [1, 0], [2, 0]])
    enc = get_encoding("twos_complement").encode(w, 4, 1)
    x = np.array([[3, 1, 2, 3], [1, 2, 0, 1]])
    r = crossbar_mvm(x, enc, input_bits=2, input_signed=False, rows_active=4, readout=ro)
    per_col = r.nonzero.sum(axis=0)
    assert per_col[enc.column_output == 1].sum() == 0 and per_col[enc.column_output == 0].sum() > 0


def test_adc_less_arrays_have_no_adc_energy_or_area(trace):
    for f in ("ternary", "binary"):
        arch = load_architecture(f"{HCIM}/{f}.yaml")
        area = arch.area_breakdown()
        assert not any("adc" in k for k in area)
        assert area["array.dcim"] > 0 and area["array.sense_amp"] > 0 and "array.shift_add" not in area
        from cimsim.simulation import simulate

        rep = simulate(arch, trace, samples=1).to_dict()
        assert not any("adc" in k for k in rep["energy_by_component"])
        assert rep["energy_by_component"]["array.dcim"]["value"] > 0
        assert rep["energy_by_component"]["array.dcim"]["unit"] == "J"


def test_ternary_has_twice_the_sense_amps_of_binary():
    t = load_architecture(f"{HCIM}/ternary.yaml").require("array", "sense_amp")
    b = load_architecture(f"{HCIM}/binary.yaml").require("array", "sense_amp")
    assert t.total == 2 * b.total == 2 * 128 * b.total // 128


def test_dcim_reduce_stage_follows_the_nonzero_count(trace):
    arch = load_architecture(f"{HCIM}/ternary.yaml")
    nm = map_network(trace, arch)
    d = arch.require("array", "dcim")
    layer, lm = trace.layers[1], nm.layers[1]
    res = simulate_layer(layer, lm, arch, SenseAmp("ternary"), samples=slice(0, 1))
    ta = timing_activity(res)
    lt = layer_timing(arch, layer, lm, ta)
    want = math.ceil(ta["dcim_ops_per_vector"] * d.model.initiation_cycles / (d.model.lanes * d.per_parent))
    assert lt.ii["reduce"] == want > 1
    # fewer non-zero outputs, shorter service; none at all, one cycle
    assert layer_timing(arch, layer, lm, {"dcim_ops_per_vector": ta["dcim_ops_per_vector"] / 2}).ii["reduce"] < want
    assert layer_timing(arch, layer, lm, {"dcim_ops_per_vector": 0.0}).ii["reduce"] == 1


def test_dcim_component_cost_parts():
    tech = Technology(22, 0.8, 1e9, "LSTP")
    d = create("dcim", "sram_adder", tech, bits=16, scale_factor_words=1024, accumulator_words=16)
    parts = d.energy_parts_J
    assert d.add().energy_J == pytest.approx(sum(parts.values()))
    assert parts["read"] == pytest.approx(2 * parts["write"])        # two word reads, one write
    # ripple delay of 16 bits at 22 nm rounds to 2 cycles at 1 GHz: read + add + write = 4 cycles
    assert d.op_cycles == 2 * d.access_cycles + math.ceil(d.gates.ripple_adder_delay_s(16) * 1e9 - 1e-9)
    wider = create("dcim", "sram_adder", tech, bits=32, scale_factor_words=1024, accumulator_words=16)
    assert wider.add().energy_J > d.add().energy_J and wider.area_m2 > d.area_m2
    given = create("dcim", "sram_adder", tech, bits=16, scale_factor_words=8, accumulator_words=8,
                   word_access_energy_J=1e-15)
    assert given.energy_parts_J["read"] == pytest.approx(2e-15)
    with pytest.raises(CimsimError, match="storage"):
        create("dcim", "sram_adder", tech, bits=16, scale_factor_words=8, accumulator_words=8, storage="dram")


def test_dcim_needs_a_sense_amp_readout(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text(f"extends: {Path_abs(HCIM)}/adc7.yaml\nname: bad\nchip:\n  tiles:\n    pes:\n      arrays:\n"
                 f"        dcim: {{bits: 16}}\n")
    with pytest.raises(SpecError, match="dcim.*sense_amp"):
        load_architecture(f)


def Path_abs(p):
    from pathlib import Path

    return Path(p).resolve()


def test_trained_table_readout_per_layer(trace):
    arch = load_architecture(f"{HCIM}/ternary.yaml")
    nm = map_network(trace, arch)
    layer, lm = trace.layers[0], nm.layers[0]
    base = simulate_layer(layer, lm, arch, SenseAmp("ternary", alpha=4.0, theta_lo=-2.0, theta_hi=2.0),
                          samples=slice(0, 2))
    tab = SenseAmpTable("ternary", {layer.name: (np.full((1, 1, 1), 4.0), np.zeros((1, 1, 1)))})
    r = simulate_layer(layer, lm, arch, tab, samples=slice(0, 2))
    np.testing.assert_array_equal(r.int_output, base.int_output)
    assert r.activity()["nonzero_outputs"] == base.activity()["nonzero_outputs"]
    assert "sha256=" in repr(tab)
