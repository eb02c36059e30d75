"""NeuroSim V1.4 sub-array peripheries (cimsim/components/periphery.py): hand-worked areas and
energies from NeuroSim's formulas at 22 nm (F = 22 nm, LSTP, V_dd 0.85 V), the architecture keys
that opt in, and the accounting of their actions from the activity counts."""

import numpy as np
import pytest

from cimsim.architecture import load_architecture
from cimsim.components import Technology, create
from cimsim.errors import CimsimError, SpecError

T22 = Technology(22, 0.85, 1e9, "LSTP")
F2 = (22e-9) ** 2                       # m^2 per F^2
CG_PER_M = 5.245e-10 * 1.2 + 8.004e-10  # PTM 22 nm LSTP gate capacitance per width (F/m)
PN = 791.9 / 600.2                      # pnSizeRatio


# ---------------------------------------------------------------- areas
def test_row_switch_matrix_area_by_hand():
    """128 rows x 4 F = 512 F beside the array: floor(512/28) = 18 gates per column -> 8 columns ->
    16 per column, 32 F tall each. Gates 28 F / 36.9 F in a 32 F cell fold 3 times (max unfolded
    P 0.569 x (32 - 7.1) = 14.2 F): (3 + 1) x 3.8 F = 15.2 F wide. DFFs 12 x 7.6 F = 91.2 F wide,
    18 per 512 F column -> 8 columns. Width 4 x 15.2 x 8 + 8 x 91.2 = 1216 F."""
    sm = create("switch_matrix", "neurosim_row", T22)
    assert sm.tg_F[0] == pytest.approx(28.0) and sm.tg_F[1] == pytest.approx(28.0 * PN)
    assert sm.width_F == pytest.approx(1216.0)
    assert sm.area_m2 == pytest.approx(512 * 1216 * F2, rel=1e-12)          # 301.3 um^2


def test_column_switch_matrix_area_by_hand():
    """Gate target 64 rows: R_avg = 64 / (32/125k + 32/1725k) = 233.1 kohm, / 64 x 128 x 0.2 =
    93.2 kohm -> W = 48.8 kohm x 0.2 / (2 x 93.2 kohm) = 0.05 F, clamped to 1 F. 128 pairs in a
    1536 F row: floor(1536 / 15.2) = 101 per row -> 2 rows of 64 pairs, 12 F per gate -> 2 folds:
    pass gate 1/2 + 1/2 + 3.5 + 3.6 = 8.1 F tall. DFFs: floor(1536 / 91.2) = 16 per row -> 8 rows of
    28 F. Height 2 x 8.1 + 224 = 240.2 F."""
    sm = create("switch_matrix", "neurosim_column", T22, rows_active=64)
    assert sm.tg_F == (1.0, 1.0)
    assert sm.height_F == pytest.approx(240.2)
    assert sm.area_m2 == pytest.approx(1536 * 240.2 * F2, rel=1e-12)       # 178.6 um^2


def test_column_mux_area_by_hand():
    """3-bit decoder (MUX mode): 8 NORs of 2 inputs stacked, 8 x 28 F = 224 F tall; width
    INV 7.6 + NAND2 11.4 + M3 2.8 x 6 + NOR2 11.4 + enable NAND2 11.4 + 2 drivers of
    440 F / 580.5 F folded 49 times (50 x 3.8 = 190 F): 438.6 F. The multiplexers take a strip as
    tall as the decoder and as wide as the array (OVERRIDE): 224 x 1536 F."""
    mux = create("column_mux", "neurosim", T22, rows_active=64)
    assert mux.decoder_height_F == pytest.approx(224.0)
    assert mux.decoder_area_m2 == pytest.approx(224 * 438.6 * F2, rel=1e-9)
    assert mux.area_m2 == pytest.approx((224 * 438.6 + 224 * 1536) * F2, rel=1e-9)   # 214.1 um^2


def test_level_shifter_area_by_hand():
    """Validated layout, cell 70 F tall: low 60 F / 105.6 F -> 3 folds each, 15.2 F; latch 128 F /
    52.8 F -> 15.2 F; pull-up 256 F / 432.9 F -> 11 folds, 45.6 F. 70 x (15.2 + 2.5 x (2 x 15.2 +
    45.6)) x 1.44 = 20684.16 F^2 (10.0 um^2). Unvalidated, 28 F cell: low 30 / 52.8 F -> 4 folds,
    19 F; latch 64 / 26.4 F -> 5 folds, 22.8 F; pull-up 128 / 216.4 F -> 17 folds, 68.4 F:
    28 x (19 + 2 x 22.8 + 68.4) = 3724 F^2."""
    ls = create("level_shifter", "neurosim", T22)
    assert ls.area_m2 == pytest.approx(20684.16 * F2, rel=1e-9)
    plain = create("level_shifter", "neurosim", T22, validated=False)
    assert plain.area_m2 == pytest.approx(3724 * F2, rel=1e-9)


# ---------------------------------------------------------------- energies
def _cj():
    v = 0.85
    return 1e-3 / np.sqrt(1 + v / 0.9), 2.5e-10 / (1 + v / 0.9) ** 0.33, 0.5e-10 / (1 + v / 0.9) ** 0.33


def test_row_switch_matrix_energies_by_hand():
    """drive: 2 C_d 1.1^2 + 3 C_d 0.5^2 + 3 (C_gN + C_gP) 0.85^2 with C_g = (28 + 36.94) F x 1.4298
    nF/m = 2.0428 fF; C_d: both gates fold 3 times in the 32 F cell (drain 2 x 2.8 F, height 10.73 F
    N / 14.17 F P), bottom + sidewall + gate-edge = 0.1462 + 0.1771 fF. step: 128 DFFs, each
    (8 C_in + 10 C_out) 0.85^2 with C_in = 0.1459 fF, C_out = 0.0785 fF -> 1.4109 fJ."""
    sm = create("switch_matrix", "neurosim_row", T22)
    cj, csw, cdc = _cj()
    f = 22e-9

    def drain(w_F, h_F, folds):
        d = (2.8 if folds == 1 else np.ceil((folds + 1) / 2) * 2.8) * f
        h = h_F * f
        return d * h * cj + (2 * d + h) * csw + folds * h * cdc

    max_p = 28 * PN / (28 + 28 * PN) * (32 - 7.1)
    max_n = (32 - 7.1) - max_p
    c_d = drain(28, max_n, 3) + drain(28 * PN, max_p, 3)
    assert c_d == pytest.approx(0.3232e-15, rel=1e-3)
    c_g = (28 + 28 * PN) * f * CG_PER_M
    assert sm.drive().energy_J == pytest.approx(2 * c_d * 1.21 + 3 * c_d * 0.25 + 3 * c_g * 0.7225, rel=1e-9)
    assert sm.drive().energy_J == pytest.approx(5.4525e-15, rel=1e-3)
    c_in = (2 + 2 * PN) * f * CG_PER_M
    c_out = drain(2, 2, 1) + drain(2 * PN, 2 * PN, 1)
    assert sm.step().energy_J == pytest.approx(128 * (8 * c_in + 10 * c_out) * 0.7225, rel=1e-9)
    assert sm.step().energy_J / 128 == pytest.approx(1.4109e-15, rel=1e-3)


def test_column_mux_energy_by_hand():
    """Gates 26.79 F / 35.35 F (910.6 ohm target at 64 rows); per step 16 multiplexers x
    (C_gN 0.85^2 + 2 C_d 0.5^2), C_gN = 0.8427 fF, C_d = 0.4391 fF (unfolded in a cell as tall as
    both gates) -> 13.25 fJ; the decoder adds its switching x decoder_activity."""
    mux = create("column_mux", "neurosim", T22, rows_active=64, decoder_activity=0.0)
    assert mux.tg_F[0] == pytest.approx(26.79, rel=1e-3) and mux.tg_F[1] == pytest.approx(35.35, rel=1e-3)
    assert mux.switch().energy_J == pytest.approx(16 * (0.8427e-15 * 0.7225 + 2 * 0.4391e-15 * 0.25), rel=2e-3)
    full = create("column_mux", "neurosim", T22, rows_active=64, decoder_activity=1.0)
    tenth = create("column_mux", "neurosim", T22, rows_active=64, decoder_activity=0.1)
    dec = full.switch().energy_J - mux.switch().energy_J
    assert dec > 0
    assert tenth.switch().energy_J - mux.switch().energy_J == pytest.approx(0.1 * dec, rel=1e-9)


def test_fewer_parallel_rows_make_smaller_mux_gates():
    """The mux gate targets the parallel resistance of the rows read at once: half the rows, twice
    the resistance, half the width (Mux.cpp)."""
    a = create("column_mux", "neurosim", T22, rows_active=64)
    b = create("column_mux", "neurosim", T22, rows_active=32)
    assert b.tg_F[0] == pytest.approx(a.tg_F[0] / 2, rel=0.01)
    assert b.switch().energy_J < a.switch().energy_J


def test_node_scaling_moves_area_and_energy():
    """Other nodes: NeuroSim's 22 nm result moved by cimsim's scaling (Stillmaker & Baas)."""
    from cimsim.components.technology import scale_area, scale_energy

    t45 = Technology(45, 1.0, 1e9, "LSTP")
    a22 = create("switch_matrix", "neurosim_row", T22)
    a45 = create("switch_matrix", "neurosim_row", t45)
    assert a45.area_m2 == pytest.approx(scale_area(a22.area_m2, 22, 45), rel=1e-12)
    assert a45.step().energy_J == pytest.approx(
        scale_energy(a22.step().energy_J, 22, 45, from_vdd_V=0.85, to_vdd_V=1.0, flavor="LSTP"), rel=1e-12)


def test_bad_parameters_name_the_model_and_key():
    with pytest.raises(CimsimError, match=r"switch_matrix model 'neurosim_row'.*'size_ratio'"):
        create("switch_matrix", "neurosim_row", T22, size_ratio=-1)
    with pytest.raises(CimsimError, match=r"column_mux model 'neurosim'.*'columns_multiplexed'"):
        create("column_mux", "neurosim", T22, columns_multiplexed=1)
    with pytest.raises(CimsimError, match="'validated' must be true or false"):
        create("level_shifter", "neurosim", T22, validated="yes")


# ---------------------------------------------------------------- architecture keys
TINY = """name: tiny
chip:
  technology: {{node: 22 nm, vdd: 0.85 V, flavor: LSTP}}
  clock: 1 GHz
  number_format: {{weight_encoding: twos_complement, weight_bits: 8, input_bits: 8}}
  tiles:
    count: 1
    pes:
      count: 1
      arrays:
        count: 1
        kind: crossbar
        rows: 8
        columns: 8
        bits_per_cell: 1
        rows_active: {rows_active}
        device: {{kind: rram, r_on: 100 kohm, on_off_ratio: 17}}
        read_voltage: 0.5 V
        read_pulse: 1 ns
        readout: {{kind: adc, model: neurosim_flash, bits: 4, columns_per_adc: {m}}}
{extra}"""


def _arch(tmp_path, extra="", rows_active=8, m=8, name="a"):
    path = tmp_path / f"{name}.yaml"
    path.write_text(TINY.format(extra=extra, rows_active=rows_active, m=m))
    return load_architecture(path)


PERIPHERY = """        periphery:
          row_switch_matrix: {}
          column_switch_matrix: {}
          column_mux: {params: {decoder_activity: 0.05}}
          level_shifters: {}
"""


def test_default_architecture_unchanged_without_the_key(tmp_path):
    arch = _arch(tmp_path)
    roles = {i.role for i in arch.instances}
    assert "dac" in roles
    assert not roles & {"row_switch_matrix", "column_switch_matrix", "column_mux", "level_shifter"}


def test_periphery_instances_and_counts(tmp_path):
    arch = _arch(tmp_path, PERIPHERY)
    by_role = {i.role: i for i in arch.instances}
    assert "dac" not in by_role                       # the row switch matrix drives the rows
    assert by_role["level_shifter"].per_parent == 2 * 8 + 8
    assert by_role["column_mux"].model.muxes == 1
    assert arch.area_m2 == pytest.approx(sum(i.area_m2 for i in arch.instances))
    assert arch.leakage_W == pytest.approx(sum(i.leakage_W for i in arch.instances))
    assert by_role["row_switch_matrix"].leakage_W > 0


@pytest.mark.parametrize("extra,key,text", [
    ("        periphery: {row_switch_matrx: {}}\n", "periphery", "unknown key 'row_switch_matrx'"),
    ("        periphery: {column_mux: {modle: neurosim}}\n", "column_mux", "unknown key 'modle'"),
    ("        periphery: {row_switch_matrix: {}}\n        input_driver: {model: wordline_driver}\n",
     "input_driver", "count the row drive twice"),
    ("        periphery: {row_switch_matrix: {params: {size_ratioo: 3}}}\n", "size_ratioo", "no parameter"),
])
def test_bad_keys_are_named(tmp_path, extra, key, text):
    with pytest.raises(SpecError) as err:
        _arch(tmp_path, extra)
    msg = str(err.value)
    assert key in msg and text in msg


def test_column_mux_needs_shared_adcs(tmp_path):
    with pytest.raises(SpecError, match=r"periphery\.column_mux.*columns_per_adc of 2 or more"):
        _arch(tmp_path, "        periphery: {column_mux: {}}\n", m=1)


# ---------------------------------------------------------------- accounting
def _layer():
    from cimsim.trace.synthetic import make_layer

    rng = np.random.default_rng(5)
    return make_layer("fc", "linear", rng.uniform(0, 1, size=(1, 3, 8)), rng.normal(size=(1, 8)),
                      wbits=8, abits=8, wgran="per_tensor", asigned=False, array_shape=(8, 8))


def _run(arch, layer):
    from cimsim.cost.energy import layer_energy
    from cimsim.kernels.layer import simulate_layer
    from cimsim.mapping.mapper import map_layer

    lm = map_layer(layer, arch)
    res = simulate_layer(layer, lm, arch)
    return res, layer_energy(arch, lm, res, layer, 1)


@pytest.mark.parametrize("rows_active", [8, 4])
def test_periphery_actions_counted_by_hand(tmp_path, rows_active):
    """3 vectors x 8 input bits = 24 input cycles, 8 multiplexer steps each = 192 steps, whatever
    the row groups; gate drives = 8 steps x the 1s of the input bits (counted here from the codes).
    Every other component's energy is unchanged; the energy is the sum of its components."""
    layer = _layer()
    plain = _arch(tmp_path, rows_active=rows_active, name=f"plain{rows_active}")
    arch = _arch(tmp_path, PERIPHERY, rows_active=rows_active, name=f"per{rows_active}")
    res0, e0 = _run(plain, layer)
    res, e = _run(arch, layer)
    x = layer.input.values[0].astype(np.int64)                       # (3 vectors, 8 rows)
    ones = sum(int(((x >> b) & 1).sum()) for b in range(8))
    assert res.activity()["input_levels"] == ones
    rsm = arch.require("array", "row_switch_matrix").model
    mux = arch.require("array", "column_mux").model
    assert e["array.row_switch_matrix"] == pytest.approx(192 * rsm.step().energy_J + 8 * ones * rsm.drive().energy_J,
                                                         rel=1e-12)
    assert e["array.column_mux"] == pytest.approx(192 * mux.switch().energy_J, rel=1e-12)
    assert "array.dac" in e0 and "array.dac" not in e
    for name, joules in e0.items():
        if name != "array.dac":
            assert e[name] == pytest.approx(joules, rel=1e-12), name
    assert sum(e.values()) == pytest.approx(sum(e0.values()) - e0["array.dac"] + e["array.row_switch_matrix"]
                                            + e["array.column_mux"], rel=1e-12)
