"""Architecture files: units, extends, --set, and one test per class of bad input.

Every error test asserts that the message names the file, the line (or --set), the key
path, and what was found.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from cimsim.errors import SpecError
from cimsim.spec.load import load_arch
from cimsim.spec.units import format_si, parse_quantity, to_si

ROOT = Path(__file__).resolve().parents[1]
# Architecture files only: study and sweep files (arch/sweeps/, arch/studies/*/study*.yaml) are not.
ARCH_FILES = sorted(p for p in (ROOT / "arch").rglob("*.yaml")
                    if "sweeps" not in p.parts and not p.name.startswith("study"))

BASE = textwrap.dedent(
    """\
    name: tiny
    chip:
      technology: {node: 22 nm, vdd: 0.8 V}
      clock: 1 GHz
      tiles:
        count: 2
        pes:
          count: 2
          arrays:
            count: 2
            rows: 64
            columns: 64
            bits_per_cell: 2
            device: {kind: rram, r_on: 6 kohm, r_off: 900 kohm}
            read_voltage: 0.5 V
            read_pulse: 10 ns
            readout: {model: neurosim_sar, bits: 5, columns_per_adc: 8}
    """
)


def write(tmp_path: Path, text: str, name: str = "a.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def line_of(text: str, needle: str) -> int:
    for i, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return i
    raise AssertionError(needle)


# -- units -------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text,dim,si",
    [
        ("0.5 V", "voltage", 0.5), ("10 ns", "time", 10e-9), ("1 GHz", "frequency", 1e9),
        ("6 kohm", "resistance", 6e3), ("900 kΩ", "resistance", 900e3), ("0.1 pJ", "energy", 1e-13),
        ("2 mW", "power", 2e-3), ("0.0012 mm^2", "area", 0.0012e-6), ("22 nm", "length", 22e-9),
        ("64 KiB", "bits", 64 * 1024 * 8), ("1 kB", "bits", 8000), ("256 bit", "bits", 256),
        ("3.5 uW", "power", 3.5e-6), ("100 uS", "conductance", 1e-4), ("1e-3 s", "time", 1e-3),
        ("0.7 fF", "capacitance", 0.7e-15), ("2 Mb", "bits", 2e6),
    ],
)
def test_quantities_parse_to_si(text, dim, si):
    assert to_si(text, dim) == pytest.approx(si, rel=1e-12)


@pytest.mark.parametrize(
    "value,dim,words",
    [
        (5, "frequency", "bare number"), ("5", "time", "bare number"), ("1 A", "voltage", "which is a current"),
        ("10 parsecs", "length", "unknown unit"), ("fast", "time", "expected a time"), (True, "time", "bool"),
    ],
)
def test_bad_quantities_say_what_was_expected_and_found(value, dim, words):
    from cimsim.spec.units import QuantityError

    with pytest.raises(QuantityError) as e:
        parse_quantity(value, dim)
    assert words in str(e.value)


def test_format_si():
    assert format_si(3.26e-14, "J") == "32.6 fJ"
    assert format_si(1.5e9, "Hz") == "1.5 GHz"
    assert format_si(2.5e-6, "m^2") == "2.5 mm^2"


# -- shipped files ----------------------------------------------------------------------

@pytest.mark.parametrize("path", ARCH_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_shipped_arch_file_loads(path):
    spec = load_arch(path)
    assert spec.array_count >= 1


def test_default_arch_values_resolved_in_si():
    spec = load_arch(ROOT / "arch/neurosim-rram-22nm.yaml")
    a = spec.arrays
    assert spec.chip.clock == 1e9
    assert spec.chip.technology.node == pytest.approx(22e-9)
    assert (a.rows, a.columns, a.bits_per_cell) == (128, 128, 2)
    assert a.read_pulse == pytest.approx(10e-9) and a.read_voltage == 0.5
    assert a.device.r_on == 6e3 and a.device.resolved_r_off == 900e3
    assert a.readout.bits == 5 and a.columns_per_adc == 8 and a.adc_count == 16


# -- extends and --set ------------------------------------------------------------------

def test_extends_overrides_only_what_it_names(tmp_path):
    write(tmp_path, BASE, "base.yaml")
    child = write(tmp_path, "extends: base.yaml\nname: child\nchip:\n  tiles:\n    pes:\n      arrays:\n"
                            "        readout: {bits: 4}\n", "child.yaml")
    spec = load_arch(child)
    assert spec.name == "child"
    assert spec.arrays.readout.bits == 4
    assert spec.arrays.readout.columns_per_adc == 8  # inherited sibling key kept
    assert spec.arrays.rows == 64


def test_extends_chain_and_list(tmp_path):
    write(tmp_path, BASE, "base.yaml")
    write(tmp_path, "extends: base.yaml\nchip: {clock: 500 MHz}\n", "mid.yaml")
    write(tmp_path, "chip: {technology: {vdd: 0.9 V}}\n", "mixin.yaml")
    leaf = write(tmp_path, "extends: [mid.yaml, mixin.yaml]\nname: leaf\n", "leaf.yaml")
    spec = load_arch(leaf)
    assert spec.chip.clock == 500e6 and spec.chip.technology.vdd == 0.9 and spec.name == "leaf"


def test_variant_file_in_repo_is_a_few_lines():
    spec = load_arch(ROOT / "arch/variants/neurosim-rram-22nm-adc4.yaml")
    base = load_arch(ROOT / "arch/neurosim-rram-22nm.yaml")
    assert spec.arrays.readout.bits == 4 and base.arrays.readout.bits == 5
    assert spec.chip.tiles.count == base.chip.tiles.count


def test_set_overrides(tmp_path):
    p = write(tmp_path, BASE)
    spec = load_arch(p, ["chip.tiles.pes.arrays.readout.bits=3", "chip.clock=250 MHz",
                         "chip.tiles.pes.arrays.readout.model=murmann"])
    assert spec.arrays.readout.bits == 3 and spec.chip.clock == 250e6
    assert spec.arrays.readout.model == "murmann"


def test_set_error_names_the_override(tmp_path):
    p = write(tmp_path, BASE)
    with pytest.raises(SpecError) as e:
        load_arch(p, ["chip.tiles.pes.arrays.readout.bits=17"])
    msg = str(e.value)
    assert "--set chip.tiles.pes.arrays.readout.bits=17" in msg and "from 1 to 16" in msg and "17" in msg


def test_set_without_equals(tmp_path):
    with pytest.raises(SpecError, match="expected 'path.to.key=value'"):
        load_arch(write(tmp_path, BASE), ["chip.clock"])


def test_extends_cycle(tmp_path):
    write(tmp_path, "extends: b.yaml\nname: a\n", "a.yaml")
    write(tmp_path, "extends: a.yaml\nname: b\n", "b.yaml")
    with pytest.raises(SpecError, match="cycle"):
        load_arch(tmp_path / "a.yaml")


def test_extends_missing_parent(tmp_path):
    p = write(tmp_path, "extends: nowhere.yaml\nname: a\n")
    with pytest.raises(SpecError) as e:
        load_arch(p)
    assert "nowhere.yaml" in str(e.value) and "line 1" in str(e.value)


# -- one test per class of bad input ------------------------------------------------------

def _error(tmp_path, text, sets=()):
    p = write(tmp_path, text)
    with pytest.raises(SpecError) as e:
        load_arch(p, sets)
    return str(e.value), str(p)


def test_unknown_key_suggests_closest(tmp_path):
    text = BASE.replace("columns: 64", "colums: 64")
    msg, path = _error(tmp_path, text)
    assert msg.startswith(f"{path}, line {line_of(text, 'colums')}:")
    assert "chip.tiles.pes.arrays.colums" in msg and "did you mean 'columns'" in msg


def test_wrong_type(tmp_path):
    text = BASE.replace("rows: 64", "rows: many")
    msg, path = _error(tmp_path, text)
    assert f"line {line_of(text, 'rows: many')}" in msg
    assert "chip.tiles.pes.arrays.rows" in msg and "expected an integer" in msg and "'many'" in msg


def test_missing_unit(tmp_path):
    text = BASE.replace("read_pulse: 10 ns", "read_pulse: 10")
    msg, _ = _error(tmp_path, text)
    assert f"line {line_of(text, 'read_pulse: 10')}" in msg
    assert "read_pulse" in msg and "bare number" in msg


def test_wrong_unit_dimension(tmp_path):
    text = BASE.replace("clock: 1 GHz", "clock: 1 ns")
    msg, _ = _error(tmp_path, text)
    assert "chip.clock" in msg and "frequency" in msg and "'1 ns'" in msg and "line 4" in msg


@pytest.mark.parametrize("bits", [0, 17, -2])
def test_adc_bits_out_of_range(tmp_path, bits):
    text = BASE.replace("bits: 5", f"bits: {bits}")
    msg, _ = _error(tmp_path, text)
    assert "chip.tiles.pes.arrays.readout.bits" in msg and "1 to 16" in msg and str(bits) in msg
    assert f"line {line_of(text, 'readout:')}" in msg


def test_negative_energy(tmp_path):
    text = BASE.replace("device: {kind: rram, r_on: 6 kohm, r_off: 900 kohm}",
                        "device: {kind: rram, r_on: 6 kohm, r_off: 900 kohm, write_energy: -1 pJ}")
    msg, _ = _error(tmp_path, text)
    assert "device.write_energy" in msg and "at least 0" in msg and "'-1 pJ'" in msg


def test_more_adcs_than_columns(tmp_path):
    text = BASE.replace("columns_per_adc: 8}", "count: 65}")
    msg, _ = _error(tmp_path, text)
    assert "readout.count" in msg and "64 columns" in msg and "65" in msg


def test_adcs_cannot_cover_columns(tmp_path):
    text = BASE.replace("columns_per_adc: 8}", "count: 4, columns_per_adc: 8}")
    msg, _ = _error(tmp_path, text)
    assert "readout.count" in msg and "cannot read 64 columns" in msg


def test_missing_required_key(tmp_path):
    text = BASE.replace("        rows: 64\n", "")
    msg, path = _error(tmp_path, text)
    assert "missing required key 'rows'" in msg and "chip.tiles.pes.arrays.rows" in msg
    assert f"line {line_of(text, 'arrays:')}" in msg


def test_inconsistent_hierarchy_rows_active(tmp_path):
    text = BASE.replace("rows: 64\n", "rows: 64\n        rows_active: 128\n")
    msg, _ = _error(tmp_path, text)
    assert "rows_active" in msg and "128" in msg and f"line {line_of(text, 'rows_active')}" in msg


def test_inconsistent_hierarchy_sram_device_on_crossbar(tmp_path):
    text = BASE.replace("{kind: rram, r_on: 6 kohm, r_off: 900 kohm}", "{kind: sram}")
    msg, _ = _error(tmp_path, text)
    assert "device.kind" in msg and "sram_macro" in msg


def test_inconsistent_device_resistances(tmp_path):
    text = BASE.replace("r_off: 900 kohm", "r_off: 1 kohm")
    msg, _ = _error(tmp_path, text)
    assert "device.r_off" in msg and "greater than r_on" in msg


def test_bad_literal_choice(tmp_path):
    text = BASE.replace("name: tiny\n", "name: tiny\n") + "  number_format: {weight_encoding: sign_magnitude}\n"
    msg, _ = _error(tmp_path, text)
    assert "weight_encoding" in msg and "'differential'" in msg and "'sign_magnitude'" in msg


def test_unknown_adc_model_named_with_line(tmp_path):
    from cimsim.architecture import load_architecture

    text = BASE.replace("neurosim_sar", "neurosim_sat")
    p = write(tmp_path, text)
    with pytest.raises(SpecError) as e:
        load_architecture(p)
    msg = str(e.value)
    assert f"line {line_of(text, 'readout:')}" in msg and "neurosim_sat" in msg and "neurosim_sar" in msg


def test_not_yaml(tmp_path):
    msg, path = _error(tmp_path, "name: [unclosed\nchip: 1\n")
    assert msg.startswith(path) and "not valid YAML" in msg


def test_top_level_not_mapping(tmp_path):
    msg, _ = _error(tmp_path, "- just\n- a list\n")
    assert "top level must be a mapping" in msg


def test_duplicate_key(tmp_path):
    text = BASE.replace("clock: 1 GHz\n", "clock: 1 GHz\n  clock: 2 GHz\n")
    msg, _ = _error(tmp_path, text)
    assert "appears twice" in msg and "chip.clock" in msg and "line 5" in msg


def test_missing_file():
    with pytest.raises(SpecError, match="file not found"):
        load_arch("arch/does-not-exist.yaml")


def test_error_from_inherited_file_names_that_file(tmp_path):
    write(tmp_path, BASE.replace("rows: 64", "rows: lots"), "base.yaml")
    child = write(tmp_path, "extends: base.yaml\nname: child\n", "child.yaml")
    with pytest.raises(SpecError) as e:
        load_arch(child)
    assert "base.yaml, line" in str(e.value) and "rows" in str(e.value)
