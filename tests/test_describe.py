"""`cimsim describe`: counts, capacity, peak throughput in closed form, area totals."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from cimsim.architecture import load_architecture
from cimsim.cli import main

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "arch/neurosim-rram-22nm.yaml"
# Architecture files only: study and sweep files (arch/sweeps/, arch/studies/*/study*.yaml) are not.
ARCH_FILES = sorted(p for p in (ROOT / "arch").rglob("*.yaml")
                    if "sweeps" not in p.parts and not p.name.startswith("study"))


@pytest.mark.parametrize("path", ARCH_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_area_of_whole_is_sum_of_parts(path):
    arch = load_architecture(path)
    parts = arch.area_breakdown()
    assert arch.area_m2 == pytest.approx(sum(parts.values()), rel=1e-12)
    assert all(v > 0 for v in parts.values()), parts
    # Each part is its model's area times its count.
    for inst in arch.instances:
        assert parts[inst.name] == pytest.approx(inst.model.area_m2 * inst.total, rel=1e-12)


def test_default_counts_by_hand():
    arch = load_architecture(DEFAULT)
    c = arch.counts()
    assert (c["tiles"], c["pes"], c["arrays"]) == (96, 96 * 16, 96 * 16 * 4)
    assert c["array.adc"] == 6144 * 128 // 8          # 16 ADCs per 128-column array
    assert c["array.dac"] == 6144 * 128                # one driver per row
    assert c["array.crossbar"] == 6144
    assert c["chip.buffer"] == 1 and c["tile.buffer"] == 96 and c["pe.buffer"] == 1536


def test_capacity_by_hand_for_each_encoding():
    # 8-bit 2's complement on 2-bit cells: 7 magnitude bits in 4 cells + 1 sign column = 5
    # columns per weight; 128 columns -> 25 weights per row.
    assert load_architecture(DEFAULT).weight_capacity == 6144 * 128 * 25
    # Differential pairs: 7 magnitude bits in 4 cells, twice: 8 columns -> 16 per row.
    diff = load_architecture(ROOT / "arch/variants/neurosim-rram-22nm-differential.yaml")
    assert diff.weight_capacity == 8192 * 128 * 16
    # Offset with a reference column: 4 columns (one weight's digits) reserved per array.
    off = load_architecture(DEFAULT, ["chip.number_format.weight_encoding=offset"])
    assert off.weight_capacity == 6144 * 128 * ((128 - 4) // 4)
    # ISAAC: 16-bit weights on 2-bit cells, digital offset correction: 8 cells, 16 per row.
    isaac = load_architecture(ROOT / "arch/isaac-32nm.yaml")
    assert isaac.array_count == 168 * 12 * 8
    assert isaac.weight_capacity == 168 * 12 * 8 * 128 * 16


def test_peak_throughput_closed_form_neurosim_readout():
    arch = load_architecture(DEFAULT)
    t_read = arch.require("array", "crossbar").model.read().latency_s
    t_conv = arch.require("array", "adc").model.convert().latency_s
    assert t_conv == pytest.approx(6e-9, rel=1e-9)     # NeuroSim SAR: (N+1) ns at N = 5
    cycle = 8 * (t_read + t_conv)                        # 8 columns per ADC, read then convert
    assert arch.array_cycle_s == pytest.approx(cycle, rel=1e-12)
    vector = 8 * cycle                                   # 8 input bits, 1 bit per cycle
    assert arch.peak_ops_per_s == pytest.approx(2 * 128 * 25 * 6144 / vector, rel=1e-12)


def test_peak_throughput_closed_form_sample_and_hold():
    arch = load_architecture(ROOT / "arch/isaac-32nm.yaml")
    t_conv = arch.require("array", "adc").model.convert().latency_s
    assert t_conv == pytest.approx(1 / 1.28e9, rel=1e-9)
    t_read = arch.require("array", "crossbar").model.read().latency_s
    assert arch.array_cycle_s == pytest.approx(max(t_read, 128 * t_conv), rel=1e-12)
    assert arch.vector_latency_s == pytest.approx(16 * arch.array_cycle_s)


def test_rows_active_makes_row_groups():
    full = load_architecture(DEFAULT)
    half = load_architecture(DEFAULT, ["chip.tiles.pes.arrays.rows_active=32"])
    assert half.row_groups == 4
    ratio = full.peak_ops_per_s / half.peak_ops_per_s
    # Fewer rows summed per read also shortens nothing in this read-out: 4x slower exactly,
    # up to the ADC's row-dependent latency (none for the SAR model).
    assert ratio == pytest.approx(4 * full.array_cycle_s / half.array_cycle_s, rel=1e-12)


def test_fewer_adc_bits_smaller_and_faster():
    five = load_architecture(DEFAULT)
    four = load_architecture(ROOT / "arch/variants/neurosim-rram-22nm-adc4.yaml")
    assert four.area_breakdown()["array.adc"] < five.area_breakdown()["array.adc"]
    assert four.peak_ops_per_s > five.peak_ops_per_s
    # Everything but the ADC is unchanged.
    for name, area in five.area_breakdown().items():
        if name != "array.adc":
            assert four.area_breakdown()[name] == pytest.approx(area, rel=1e-12)


def test_describe_cli_prints_and_writes_json_with_units(tmp_path, capsys):
    out = tmp_path / "d" / "describe.json"
    assert main(["describe", str(DEFAULT), "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "96 tiles x 16 PEs x 4 arrays = 6144 arrays" in text
    assert f"{6144 * 128 * 25:,} weights of 8 bit" in text
    assert "total" in text and "100.00%" in text
    d = json.loads(out.read_text())
    assert d["area_total"]["unit"] == "m^2" and d["peak_throughput"]["unit"] == "op/s"
    assert d["clock"] == {"value": 1e9, "unit": "Hz"}
    total = sum(c["area_total"]["value"] for c in d["components"])
    assert total == pytest.approx(d["area_total"]["value"], rel=1e-12)
    shares = sum(c["area_share"]["value"] for c in d["components"])
    assert shares == pytest.approx(1.0, rel=1e-12)
    for c in d["components"]:
        for v in c["actions"].values():
            assert v["unit"] in ("J", "s") and math.isfinite(v["value"]) and v["value"] >= 0
    assert not list(out.parent.glob(".*.tmp"))  # nothing half-written left behind


def test_describe_models_lists_every_adc_model(capsys):
    assert main(["describe", "--models"]) == 0
    text = capsys.readouterr().out
    for name in ("neurosim_sar", "neurosim_flash", "murmann", "zigzag_aimc", "linear_per_bit", "table"):
        assert name in text


def test_describe_with_each_adc_model(capsys):
    for model, extra in [("neurosim_sar", []), ("neurosim_flash", []), ("murmann", []),
                         ("zigzag_aimc", []), ("linear_per_bit", [])]:
        sets = [f"chip.tiles.pes.arrays.readout.model={model}", "chip.tiles.pes.arrays.readout.bits=6", *extra]
        arch = load_architecture(DEFAULT, sets)
        e = arch.require("array", "adc").model.convert().energy_J
        assert e > 0 and arch.peak_ops_per_s > 0


def test_user_table_adc_from_params(tmp_path):
    text = DEFAULT.read_text().replace(
        "model: neurosim_sar    # [CIMREF] §4 NeuroSim SAR, 22 nm LSTP",
        "model: table\n          params:\n            table:\n"
        "              - {bits: 5, energy_J: 2.0e-13, latency_s: 4.0e-9, area_m2: 1.0e-9}",
    )
    p = tmp_path / "t.yaml"
    p.write_text(text)
    arch = load_architecture(p)
    adc = arch.require("array", "adc")
    assert adc.model.convert().energy_J == 2.0e-13 and adc.model.area_m2 == 1.0e-9
    assert arch.area_breakdown()["array.adc"] == pytest.approx(1.0e-9 * 6144 * 16)
    t_read = arch.require("array", "crossbar").model.read().latency_s
    assert arch.array_cycle_s == pytest.approx(8 * (t_read + 4e-9))
