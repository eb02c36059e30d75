"""Registry, describe() of every model, and hand-worked costs of the non-ADC components."""

import inspect
from pathlib import Path
import math

import pytest

from cimsim.components import (
    ActionCost,
    Component,
    Technology,
    create,
    get,
    kinds,
    model_names,
    parameters,
)
from cimsim.components.adder_tree import tree_levels
from cimsim.errors import CimsimError

T22 = Technology(22, 0.8, 1e9, "LSTP")
T28 = Technology(28, 0.9, 1e9, "LSTP")

EXPECTED = {
    "adc": ["charge_sharing_flash", "linear_per_bit", "murmann", "neurosim_flash", "neurosim_mlsa_v14", "neurosim_sar", "table", "zigzag_aimc"],
    "adder": ["ripple"],
    "adder_tree": ["digital"],
    "bfp_logic": ["gate"],
    "buffer": ["register_file", "sram"],
    "column_mux": ["neurosim"],
    "crossbar": ["rram"],
    "dac": ["wordline_driver"],
    "dcim": ["sram_adder"],
    "interconnect": ["bus", "htree", "mesh"],
    "io": ["fixed"],
    "level_shifter": ["neurosim"],
    "precharger": ["neurosim"],
    "sense_amp": ["neurosim"],
    "shift_add": ["digital", "neurosim_v14"],
    "sram_macro": ["sram_cim"],
    "switch_matrix": ["neurosim_column", "neurosim_row", "neurosim_row_sram"],
    "unit": ["fixed", "per_op"],
}
ALL_MODELS = [(k, m) for k, ms in EXPECTED.items() for m in ms]


# ---------------------------------------------------------------- registry
def test_registry_contents():
    assert kinds() == sorted(EXPECTED)
    for kind, models in EXPECTED.items():
        assert model_names(kind) == models


def test_unknown_model_error_text():
    with pytest.raises(CimsimError) as err:
        get("adc", "neurosim_sra")
    msg = str(err.value)
    assert "adc" in msg and "'neurosim_sra'" in msg
    for name in EXPECTED["adc"]:
        assert name in msg
    assert "Did you mean 'neurosim_sar'?" in msg


def test_unknown_kind_error_text():
    with pytest.raises(CimsimError) as err:
        get("cross_bar", "rram")
    msg = str(err.value)
    assert "'cross_bar'" in msg and "Did you mean 'crossbar'?" in msg and "interconnect" in msg
    with pytest.raises(CimsimError):
        model_names("nope")


def test_create_checks_parameters():
    with pytest.raises(CimsimError, match=r"no parameter 'bitz'.*Did you mean 'bits'\?"):
        create("adc", "murmann", T22, bitz=4)
    with pytest.raises(CimsimError, match="needs parameter"):
        create("adc", "murmann", T22)
    assert "r_on_ohm" in parameters("crossbar", "rram")


@pytest.mark.parametrize("kind,model", ALL_MODELS)
def test_models_declare_metadata(kind, model):
    cls = get(kind, model)
    assert issubclass(cls, Component)
    assert cls.kind == kind and cls.model == model
    assert cls.source and cls.valid_range and cls.actions and cls.__doc__
    sig = inspect.signature(cls.__init__)
    assert list(sig.parameters)[:2] == ["self", "tech"]
    for name, p in list(sig.parameters.items())[2:]:
        assert p.kind == p.KEYWORD_ONLY, f"{model}.{name} must be keyword-only"


TECHS = [
    Technology(22, 0.8, 1e9, "LSTP"),
    Technology(7, 0.7, 2e9, "HP"),
    Technology(28, 0.9, 5e8, "LSTP"),
    Technology(65, 1.1, 5e8, "HP"),
    Technology(180, 1.8, 1e8, "HP"),
]


@pytest.mark.parametrize("tech", TECHS, ids=lambda t: f"{t.node_nm:g}nm-{t.flavor}")
@pytest.mark.parametrize("kind,model", ALL_MODELS)
def test_describe_every_model_with_defaults(kind, model, tech):
    cls = get(kind, model)
    nodes = getattr(cls, "supported_nodes_nm", None)
    if nodes is not None and tech.node_nm not in nodes:
        # a model carrying one node's transcribed data refuses other nodes with a clear error
        with pytest.raises(CimsimError, match=f"{tech.node_nm:g} nm"):
            create(kind, model, tech, **cls.example_params)
        return
    comp = create(kind, model, tech, **cls.example_params)
    d = comp.describe()
    assert d["area_m2"] > 0
    assert d["leakage_W"] >= 0
    for action in cls.actions:
        cost = getattr(comp, action)()
        assert isinstance(cost, ActionCost)
        assert math.isfinite(cost.energy_J) and cost.energy_J >= 0
        assert math.isfinite(cost.latency_s) and cost.latency_s > 0
        assert d[f"{action}.energy_J"] == cost.energy_J


# ---------------------------------------------------------------- crossbar
def xbar(**kw):
    base = dict(rows=2, columns=2, r_on_ohm=1e4, r_off_ohm=1e6, read_voltage_V=0.5,
                read_pulse_s=10e-9, wire_capacitance_per_cell_F=0.0,
                column_wire_capacitance_per_cell_F=0.0)
    base.update(kw)
    return create("crossbar", "rram", T22, **base)


def test_crossbar_2x2_by_hand():
    x = xbar()
    # all 4 cells on (0.1 mS each): 0.25 V^2 * 0.4 mS * 10 ns = 1 pJ
    assert x.read(active_rows=2, mean_level=1).energy_J == pytest.approx(1e-12, rel=1e-12)
    # all off (1 uS each): 0.25 * 4 uS * 10 ns = 0.01 pJ
    assert x.read(active_rows=2, mean_level=0).energy_J == pytest.approx(1e-14, rel=1e-12)
    # one row active, both cells on: 0.5 pJ
    assert x.read(active_rows=1, mean_level=1).energy_J == pytest.approx(5e-13, rel=1e-12)
    assert x.read().latency_s == 10e-9
    # data-dependent: one on + one off cell = 0.101 mS -> 0.2525 pJ
    assert x.read_columns(1.01e-4).energy_J == pytest.approx(2.525e-13, rel=1e-12)


def test_crossbar_multilevel_conductance():
    x = xbar(bits_per_cell=2)
    # G(1) = 1 uS + 1*(100 - 1) uS / 3 = 34 uS; 4 cells -> 136 uS -> 0.25*136e-6*1e-8 = 0.34 pJ
    assert x.conductance_S(1) == pytest.approx(34e-6, rel=1e-12)
    assert x.read(active_rows=2, mean_level=1).energy_J == pytest.approx(3.4e-13, rel=1e-12)
    # default mean level = 1.5 (half of 3): G = 1 + 1.5*33 = 50.5 uS
    assert x.read().energy_J == pytest.approx(0.25 * 4 * 50.5e-6 * 1e-8, rel=1e-12)
    with pytest.raises(CimsimError, match="level"):
        x.read(mean_level=4)


def test_crossbar_line_charging_by_hand():
    x = create("crossbar", "rram", T22, rows=2, columns=2, include_cell_current=False)
    # 22 nm: F = 22 nm (the node, NeuroSim's tech.featureSize for 1T1R cells); row line per
    # cell 0.2 fF/um * 12F = 0.0528 fF at VDD 0.8 V, column line per cell 0.2 fF/um * 4F =
    # 0.0176 fF at 0.5 V.
    # 1 active row: 1*2*0.0528 fF*0.64 + 2*2*0.0176 fF*0.25 = 0.067584 + 0.0176 fJ
    assert x.read(active_rows=1, mean_level=0).energy_J == pytest.approx(8.5184e-17, rel=1e-12)


def test_crossbar_area_and_write():
    x = create("crossbar", "rram", T22)  # 128 x 128, 48 F^2, F = 22 nm (1T1R: the node)
    assert x.area_m2 == pytest.approx(128 * 128 * 48 * (22e-9) ** 2, rel=1e-12)
    # a cross-point array is sized in NeuroSim's wire width (40 nm at 22 nm) when told so
    xp = create("crossbar", "rram", T22, cell_area_F2=4, feature_size_m=40e-9)
    assert xp.area_m2 == pytest.approx(128 * 128 * 4 * (40e-9) ** 2, rel=1e-12)
    w = x.write(cells=200)
    # 200 * (2 V)^2 / 6 kOhm * 10 ns; two rows of pulses
    assert w.energy_J == pytest.approx(200 * 4 / 6e3 * 1e-8, rel=1e-12)
    assert w.latency_s == pytest.approx(2e-8)
    with pytest.raises(CimsimError, match="r_off_ohm"):
        create("crossbar", "rram", T22, r_on_ohm=1e6, r_off_ohm=1e5)


# ---------------------------------------------------------------- digital blocks (28 nm, 0.9 V)
E_FA = 3.402e-15  # (3*0.7 + 2*1.05) fF * 0.81 V^2
A_FA = 4.7892e-12  # 3*0.614 + 2*1.4736 um^2
E_DFF = 1.701e-15  # 2.1 fF * 0.81
A_DFF = 3.684e-12  # 6 * 0.614 um^2
E_ND2 = 5.67e-16


@pytest.mark.parametrize("bits,cycles", [(1, 1), (8, 1), (16, 2)])
def test_ripple_adder_by_hand(bits, cycles):
    a = create("adder", "ripple", T28, bits=bits)
    assert a.full_adders == bits
    assert a.add().energy_J == pytest.approx(bits * E_FA, rel=1e-12)
    assert a.area_m2 == pytest.approx(bits * A_FA, rel=1e-12)
    # delay 2*0.11472 + (bits-1)*0.0956 ns: 0.229, 0.899, 1.663 ns
    assert a.delay_s == pytest.approx((0.22944 + (bits - 1) * 0.0956) * 1e-9, rel=1e-12)
    assert a.add().latency_s == pytest.approx(cycles * 1e-9)


@pytest.mark.parametrize("inputs,bits,levels,fas", [
    (2, 8, [(1, 8)], 8),
    (4, 4, [(2, 4), (1, 5)], 13),
    (5, 1, [(2, 1), (1, 2), (1, 3)], 7),
    (128, 1, [(64, 1), (32, 2), (16, 3), (8, 4), (4, 5), (2, 6), (1, 7)], 247),
])
def test_adder_tree_gate_counts(inputs, bits, levels, fas):
    assert tree_levels(inputs, bits) == levels
    t = create("adder_tree", "digital", T28, inputs=inputs, bits=bits)
    assert t.adders == inputs - 1
    assert t.full_adders == fas
    assert t.depth == len(levels)
    assert t.output_bits == bits + len(levels)
    assert t.add().energy_J == pytest.approx(fas * E_FA, rel=1e-12)
    assert t.area_m2 == pytest.approx(fas * A_FA, rel=1e-12)


def test_adder_tree_latency_is_depth_times_adder_delay():
    t = create("adder_tree", "digital", T28, inputs=4, bits=4)
    # level widths 4 and 5: (0.22944 + 3*0.0956) + (0.22944 + 4*0.0956) = 1.12808 ns -> 2 cycles
    assert t.delay_s == pytest.approx(1.12808e-9, rel=1e-12)
    assert t.add().latency_s == pytest.approx(2e-9)


def test_shift_add_by_hand():
    s = create("shift_add", "digital", T28, bits=16)
    assert s.shift_add().energy_J == pytest.approx(16 * (E_FA + E_DFF), rel=1e-12)
    assert s.area_m2 == pytest.approx(16 * (A_FA + A_DFF), rel=1e-12)
    half = create("shift_add", "digital", T28, bits=16, activity=0.15, register_activity=0.5)
    assert half.shift_add().energy_J == pytest.approx(16 * (0.15 * E_FA + 0.5 * E_DFF), rel=1e-12)


def test_shift_add_published_figures():
    """ISAAC Table 6: 4 shift-and-add units per IMA, 0.2 mW and 240 um^2 together, one add per
    conversion of its 8 ADCs at 1.2 GS/s: 0.2 mW / 9.6e9 /s = 0.02083 pJ; the latency stays the
    gate model's (a 16-bit ripple adder in whole cycles)."""
    gate = create("shift_add", "digital", T28, bits=16)
    pub = create("shift_add", "digital", T28, bits=16, energy_per_op_J=0.2e-3 / 9.6e9, unit_area_m2=60e-12)
    assert pub.shift_add().energy_J == pytest.approx(2.0833e-14, rel=1e-4)
    assert pub.area_m2 == pytest.approx(60e-12, rel=1e-12)
    assert pub.shift_add().latency_s == gate.shift_add().latency_s
    with pytest.raises(CimsimError, match="energy_per_op_J"):
        create("shift_add", "digital", T28, bits=16, energy_per_op_J=-1.0)


# ---------------------------------------------------------------- analog periphery
def test_sense_amp_by_hand():
    s = create("sense_amp", "neurosim", Technology(22, 0.85, 1e9, "LSTP"))
    assert s.sense().energy_J == pytest.approx(1.7e-15, rel=1e-12)  # 1.7 uW x 1 ns
    assert s.sense().latency_s == 1e-9
    assert s.area_m2 == pytest.approx(106 * 212.8 * (22e-9) ** 2, rel=1e-12)


def test_dac_isaac_reference():
    d = create("dac", "wordline_driver", Technology(32, 0.9, 1e9, "HP"))
    assert d.drive().energy_J == pytest.approx(3.5e-6 * 100e-9, rel=1e-12)  # 0.35 pJ
    assert d.area_m2 == pytest.approx(1.67e-13, rel=1e-12)  # 1.67e-7 mm^2
    d2 = create("dac", "wordline_driver", Technology(32, 0.9, 1e9, "HP"), bits=2, read_voltage_V=0.25)
    assert d2.drive().energy_J == pytest.approx(3 * 0.35e-12 / 4, rel=1e-12)
    assert create("dac", "wordline_driver", T22).drive().energy_J < d.drive().energy_J


def test_sram_macro_bitline_model_by_hand():
    m = create("sram_macro", "sram_cim", T28, rows=4, columns=4)
    # wordlines: 2 rows * 4 cols * 0.35 fF * 0.81; bitlines: 4 cols * 4 rows * 0.35 fF * 0.81
    assert m.compute(active_rows=2).energy_J == pytest.approx(24 * 0.35e-15 * 0.81, rel=1e-12)
    assert m.compute().latency_s == pytest.approx(1e-9)
    assert m.write().energy_J == pytest.approx(4 * (4 + 1) * 0.35e-15 * 0.81, rel=1e-12)
    fixed = create("sram_macro", "sram_cim", T28, rows=4, columns=4, energy_per_cell_op_J=1e-15)
    assert fixed.compute(active_rows=3).energy_J == pytest.approx(12e-15, rel=1e-12)
    # NeuroSim SRAM cell 10F x 28F, F = the 22 nm node (SubArray.cpp: tech.featureSize)
    assert create("sram_macro", "sram_cim", T22).area_m2 == pytest.approx(
        128 * 128 * 280 * (22e-9) ** 2, rel=1e-12)


def test_sram_macro_line_wires_by_hand():
    """NeuroSim's 0.2 fF/um of line wire per cell pitch on top of the device figure: a 2 x 2
    7 nm macro of 16 F x 34.43 F cells at 0.8 V, one row driven."""
    t7 = Technology(7, 0.8, 1e9, "LSTP")
    bare = create("sram_macro", "sram_cim", t7, rows=2, columns=2, cell_area_F2=551)
    wired = create("sram_macro", "sram_cim", t7, rows=2, columns=2, cell_area_F2=551,
                   wire_cap_per_um_F=0.2e-15, cell_width_features=34.43, cell_height_features=16)
    wl = 0.2e-15 * 34.43 * 7e-3       # 48.2 aF of wordline metal per cell
    bl = 0.2e-15 * 16 * 7e-3          # 22.4 aF of bitline metal per cell
    extra = (1 * 2 * wl + 2 * 2 * bl) * 0.64
    assert wired.compute(active_rows=1).energy_J - bare.compute(active_rows=1).energy_J == \
        pytest.approx(extra, rel=1e-9, abs=0)
    assert extra == pytest.approx(1.1904e-16, rel=1e-4, abs=0)
    with pytest.raises(CimsimError):
        create("sram_macro", "sram_cim", t7, cell_area_F2=551, wire_cap_per_um_F=0.2e-15)
    with pytest.raises(CimsimError):
        create("sram_macro", "sram_cim", t7, cell_area_F2=280, wire_cap_per_um_F=0.2e-15,
               cell_width_features=34.43, cell_height_features=16)


# ---------------------------------------------------------------- buffers
def test_sram_buffer_horowitz_points():
    t45 = Technology(45, 0.9, 1e9, "HP")
    kb = 1024 * 8
    assert create("buffer", "sram", t45, size_bits=8 * kb, width_bits=64).read().energy_J == \
        pytest.approx(10e-12, rel=1e-12)
    assert create("buffer", "sram", t45, size_bits=32 * kb, width_bits=64).read().energy_J == \
        pytest.approx(20e-12, rel=1e-12)
    mb = create("buffer", "sram", t45, size_bits=1024 * kb, width_bits=64).read().energy_J
    assert mb == pytest.approx(100e-12, rel=0.15)  # Horowitz 100 pJ; sqrt fit gives 113 pJ


def test_sram_buffer_area_and_leakage():
    b = create("buffer", "sram", Technology(32, 0.9, 1e9, "LSTP"), size_bits=64 * 1024 * 8,
               width_bits=256)
    assert b.area_m2 == pytest.approx(0.086e-6, rel=1e-12)  # ISAAC 64 KB, 0.086 mm^2
    # 2 x 100 pA/um x 64 nm x 0.9 V per bit
    assert b.leakage_W == pytest.approx(524288 * 2 * 1e-4 * 64e-9 * 0.9, rel=1e-12)


def test_register_file_by_hand():
    r = create("buffer", "register_file", T28, size_bits=1024, width_bits=32)
    assert r.words == 32 and r.mux_levels == 5
    assert r.read().energy_J == pytest.approx(32 * 5 * 3 * E_ND2, rel=1e-12)
    assert r.write().energy_J == pytest.approx(32 * E_DFF, rel=1e-12)
    assert r.area_m2 == pytest.approx(1024 * A_DFF + 32 * 31 * 3 * 0.614e-12, rel=1e-12)
    assert r.read().latency_s == pytest.approx(1e-9)


# ---------------------------------------------------------------- interconnect
def test_bus_by_hand():
    b = create("interconnect", "bus", T28, width_bits=64, endpoints=4, tile_pitch_m=1e-3)
    # 0.25 * 0.2 fF/um * 4 mm * 0.81 V^2 = 0.162 pJ per bit
    assert b.energy_per_bit_J == pytest.approx(1.62e-13, rel=1e-12)
    c = b.transfer(256)
    assert c.energy_J == pytest.approx(256 * 1.62e-13, rel=1e-12)
    assert c.latency_s == pytest.approx(4e-9)  # 1 hop + 3 more flits
    assert b.transfer().latency_s == pytest.approx(1e-9)


def test_htree_and_mesh_by_hand():
    h = create("interconnect", "htree", T28, width_bits=64, endpoints=16, tile_pitch_m=1e-3)
    # root-to-leaf path p (sqrt(16) - 1) = 3 mm; 4 levels
    assert h.hops == 4
    assert h.energy_per_bit_J == pytest.approx(0.25 * 0.2e-9 * 3e-3 * 0.81, rel=1e-12)
    assert h.transfer().latency_s == pytest.approx(4e-9)
    m = create("interconnect", "mesh", T28, width_bits=64, endpoints=16, tile_pitch_m=1e-3)
    # k = 4: mean distance 2*(16-1)/(3*4) = 2.5 hops -> 3
    assert m.mean_hops() == pytest.approx(2.5)
    assert m.hops == 3
    wire = 0.25 * 0.2e-9 * 2.5e-3 * 0.81
    router = 2.5 * (E_DFF + 2 * 3 * E_ND2)
    assert m.energy_per_bit_J == pytest.approx(wire + router, rel=1e-12)
    given = create("interconnect", "bus", T28, energy_per_bit_J=1e-13, width_bits=8)
    assert given.transfer(16).energy_J == pytest.approx(1.6e-12, rel=1e-12)
    assert given.transfer(0).energy_J == 0.0


# ---------------------------------------------------------------- off-chip links
def test_fixed_link_is_static_power_and_area():
    from cimsim.architecture import load_architecture
    link = create("io", "fixed", T28, power_W=2.6, area_m2=5.72e-6)
    assert link.leakage_W == 2.6 and link.area_m2 == 5.72e-6
    assert link.describe() == {"area_m2": 5.72e-6, "leakage_W": 2.6, "transfer.energy_J": 0.0,
                               "transfer.latency_s": 1 / 1.6e9}
    # 6.4 GB/s: a 64 KB buffer's contents (524288 bit) in 16384 link clocks of 0.625 ns
    assert link.transfer(524288).latency_s == pytest.approx(16384 / 1.6e9, rel=1e-12)
    assert link.transfer(33).latency_s == pytest.approx(2 / 1.6e9, rel=1e-12)
    with pytest.raises(CimsimError, match="power_W"):
        create("io", "fixed", T28, power_W=-1.0, area_m2=0.0)
    # ISAAC's 4 HyperTransport links, Table 6: 10.4 W and 22.88 mm^2 in the chip's totals.
    arch = load_architecture("arch/validation/isaac-32nm/isaac-ce.yaml")
    io = arch.require("chip", "io")
    assert io.total == 4
    assert io.leakage_W == pytest.approx(10.4, rel=1e-12)
    assert io.area_m2 == pytest.approx(22.88e-6, rel=1e-12)
    assert arch.area_breakdown()["chip.io"] == pytest.approx(22.88e-6, rel=1e-12)


# ---------------------------------------------------------------- published units
def test_per_op_unit_by_hand():
    """ISAAC's IMA output register (Table 6: 256 B, 0.23 mW, 770 um^2), updated once per
    conversion at 8 ADCs x 1.2 GS/s: 0.23e-3 / 9.6e9 = 2.3958e-14 J per update."""
    reg = create("unit", "per_op", T28, energy_per_op_J=0.23e-3 / 9.6e9, area_m2=770e-12)
    assert reg.operate().energy_J == pytest.approx(2.3958333333333333e-14, rel=1e-12)
    assert reg.operate().latency_s == pytest.approx(1e-9, rel=1e-12)       # one cycle at 1 GHz
    assert reg.area_m2 == 770e-12 and reg.leakage_W == 0.0 and reg.activity == "conversion"
    assert create("unit", "per_op", T28, energy_per_op_J=0.0, area_m2=0.0, activity="output").activity == "output"
    with pytest.raises(CimsimError, match="activity"):
        create("unit", "per_op", T28, energy_per_op_J=1e-15, area_m2=0.0, activity="read")
    with pytest.raises(CimsimError, match="energy_per_op_J"):
        create("unit", "per_op", T28, energy_per_op_J=-1e-15, area_m2=0.0)


def test_fixed_unit_is_static_power_and_area():
    """ISAAC's max-pool unit (Table 6: 0.4 mW, 0.00024 mm^2): static power, no action energy."""
    pool = create("unit", "fixed", T28, power_W=0.4e-3, area_m2=0.00024e-6)
    assert pool.describe() == {"area_m2": 2.4e-10, "leakage_W": 4e-4, "operate.energy_J": 0.0,
                               "operate.latency_s": 1e-9}


def test_unit_names_may_not_shadow_level_roles(tmp_path):
    from cimsim.architecture import load_architecture
    from cimsim.errors import SpecError
    f = tmp_path / "a.yaml"
    f.write_text("extends: %s\nchip:\n  tiles:\n    units:\n      buffer: {model: fixed, params: "
                 "{power_W: 1 mW, area_m2: 1 um^2}}\n" % (Path("arch/neurosim-rram-22nm.yaml").resolve()))
    with pytest.raises(SpecError, match="unit's name"):
        load_architecture(f)


def test_concentrated_mesh_with_published_routers_by_hand():
    """c-mesh of 168 endpoints, 4 per router (ISAAC): 42 routers on a 7 x 7 grid at 2 tile
    pitches; ISAAC's Table 6 router (0.151 mm^2, 42 mW) replaces the gate-built one."""
    m = create("interconnect", "mesh", T28, width_bits=32, endpoints=168, tile_pitch_m=610e-6,
               endpoints_per_router=4, router_area_m2=0.151e-6, router_power_W=42e-3)
    assert m.routers == 42 and m.k == 7
    assert m.router_pitch_m == pytest.approx(1220e-6, rel=1e-12)
    assert m.mean_hops() == pytest.approx(2 * 48 / 21, rel=1e-12)
    assert m.energy_per_bit_J == pytest.approx(0.25 * 0.2e-9 * (96 / 21) * 1220e-6 * 0.81, rel=1e-12)
    links = 32 * 2 * 7 * 6 * 1220e-6 * m.wire_pitch_m
    assert m.area_m2 == pytest.approx(links + 42 * 0.151e-6, rel=1e-12)
    assert m.leakage_W == pytest.approx(42 * 42e-3, rel=1e-12)
    plain = create("interconnect", "mesh", T28, width_bits=32, endpoints=168, tile_pitch_m=610e-6)
    assert plain.routers == 168 and plain.k == 13 and plain.leakage_W == 0.0


def test_crossbar_published_read_power():
    """ISAAC Table 6: 2.4 mW per 8 crossbars = 0.3 mW per array for its 100 ns read: 30 pJ per
    read pulse, in place of the cell current, line charging on top."""
    kw = dict(rows=128, columns=128, bits_per_cell=2, read_pulse_s=100e-9, include_cell_current=False)
    lines = create("crossbar", "rram", T28, **kw)
    xb = create("crossbar", "rram", T28, read_power_W=0.3e-3, **kw)
    assert xb.read().energy_J - lines.read().energy_J == pytest.approx(30e-12, rel=1e-12)
    assert xb.read_columns(1e-3).energy_J - lines.read_columns(1e-3).energy_J == pytest.approx(30e-12, rel=1e-12)
    assert (xb.activity_energy_J(3, 100, 50) - lines.activity_energy_J(3, 100, 50)
            == pytest.approx(90e-12, rel=1e-12))
    with pytest.raises(CimsimError, match="not both"):
        create("crossbar", "rram", T28, read_power_W=0.3e-3, include_cell_current=True)


def test_wordline_driver_pulse_counter_by_hand():
    """A 4-bit pulse counter per row (Sinangil macro, CiMLoop's structure): a full count 0..15
    flips 15 + 7 + 3 + 1 = 26 bits in 15 steps, each a DFF (3 ND2 caps) and an XOR2; per pulse
    (26 / 15) x (E_DFF + E_XOR2), on top of the driver's unit energy; area 4 x (A_DFF + A_XOR2)."""
    plain = create("dac", "wordline_driver", T28, bits=4)
    counted = create("dac", "wordline_driver", T28, bits=4, counter_bits=4)
    step = 26 / 15 * (E_DFF + 0.8505e-15)     # XOR2: 1.05 fF x 0.81 V^2
    assert counted.counter_step_J == pytest.approx(step, rel=1e-12)
    for v in (0, 1, 9, 15):
        assert counted.drive(levels=v).energy_J == pytest.approx(plain.drive(levels=v).energy_J + v * step, rel=1e-12)
    g = counted.gates
    assert counted.area_m2 == pytest.approx(plain.area_m2 + 4 * (g.dff_area_m2 + g.xor2_area_m2), rel=1e-12)
    assert create("dac", "wordline_driver", T28, bits=4, counter_bits=1).counter_step_J == pytest.approx(
        E_DFF + 0.8505e-15, rel=1e-12)   # a 1-bit counter flips its one bit every step
