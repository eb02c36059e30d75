"""End to end: cimsim.simulate / cimsim run / compare; conservation and accounting checks."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from cimsim.architecture import load_architecture
from cimsim.cli import main
from cimsim.cost.energy import layer_energy
from cimsim.kernels.layer import simulate_layer
from cimsim.mapping.mapper import map_layer
from cimsim.simulation import simulate
from cimsim.trace import load

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "arch/neurosim-rram-22nm.yaml"
VGG8 = ROOT / "traces/vgg8-cifar10.cimtrace"


@pytest.fixture(scope="module")
def vgg8():
    return load(VGG8)


@pytest.fixture(scope="module")
def report(vgg8):
    return simulate(str(DEFAULT), vgg8, samples=1)


def test_energy_is_conserved(report):
    comp = report.energy_by_component()
    layers = sum(lr.energy_total_J for lr in report.layers)
    assert report.energy_J == pytest.approx(sum(comp.values()), rel=1e-12)
    assert report.energy_J == pytest.approx(layers + report.leakage_J, rel=1e-12)
    assert sum(report.energy_by_tile().values()) == pytest.approx(layers, rel=1e-12)
    assert report.leakage_J == pytest.approx(report.leakage_W * report.latency_s, rel=1e-12)


def test_ops_are_twice_the_trace_macs(report, vgg8):
    assert report.ops == 2 * sum(layer.macs for layer in vgg8.layers)
    assert report.tops_per_w == pytest.approx(report.ops / report.energy_J / 1e12)


def test_zero_inputs_cost_only_static_crossbar_energy(vgg8):
    arch = load_architecture(DEFAULT)
    layer = vgg8.layers[1]
    lm = map_layer(layer, arch)
    zx = int(np.asarray(layer.input.zero_point).reshape(-1)[0])
    zeros = np.full((1,) + tuple(layer.input_shape), zx, dtype=np.int64)
    r = simulate_layer(layer, lm, arch, x_codes=zeros)
    e = layer_energy(arch, lm, r, layer, 1)
    act = r.activity()
    assert act["input_levels"] == 0 and act["column_levels"] == 0
    assert "array.dac" not in e                           # no row was driven
    xb = arch.require("array", "crossbar").model
    static = act["reads"] * xb.columns * xb.rows * xb.column_wire_capacitance_per_cell_F * xb.read_voltage_V ** 2
    assert e["array.crossbar"] == pytest.approx(static, rel=1e-12)


def test_published_units_charged_per_conversion_and_per_output(vgg8, tmp_path):
    """kind unit: per_op units cost ops x energy, one op per ADC conversion (activity
    conversion) or per output element (activity output); a fixed unit costs no dynamic energy,
    its power is static."""
    f = tmp_path / "units.yaml"
    f.write_text(
        f"extends: {DEFAULT}\n"
        "chip:\n  tiles:\n    units:\n"
        "      pool: {model: fixed, count: 2, params: {power_W: 0.4 mW, area_m2: 240 um^2}}\n"
        "      act: {params: {energy_per_op_J: 3 pJ, area_m2: 1 um^2, activity: output}}\n"
        "    pes:\n      units:\n"
        "        reg: {count: 2, params: {energy_per_op_J: 0.5 fJ, area_m2: 2 um^2}}\n")
    arch = load_architecture(f)
    base = load_architecture(DEFAULT)
    layer = vgg8.layers[1]
    lm = map_layer(layer, arch)
    r = simulate_layer(layer, lm, arch)
    e = layer_energy(arch, lm, r, layer, 1)
    conversions = r.activity()["conversions"]
    assert conversions > 0
    assert e["pe.reg"] == pytest.approx(conversions * 0.5e-15, rel=1e-12)      # not x count
    assert e["tile.act"] == pytest.approx(32 * 32 * 128 * 3e-12, rel=1e-12)    # conv2: 128 x 32 x 32 outputs
    assert "tile.pool" not in e
    tiles, pes = arch.spec.chip.tiles.count, arch.spec.chip.tiles.count * arch.spec.chip.tiles.pes.count
    assert arch.leakage_W - base.leakage_W == pytest.approx(tiles * 2 * 0.4e-3, rel=1e-12)
    assert arch.area_m2 - base.area_m2 == pytest.approx(tiles * (480e-12 + 1e-12) + pes * 4e-12, rel=1e-9)
    e_base = layer_energy(base, map_layer(layer, base), simulate_layer(layer, map_layer(layer, base), base), layer, 1)
    assert {k: v for k, v in e.items() if k not in ("pe.reg", "tile.act")} == pytest.approx(e_base, rel=1e-12)


def test_run_cli_writes_report_and_csv_with_units(tmp_path, capsys):
    out = tmp_path / "o"
    tl = tmp_path / "tl.json"
    code = main(["run", str(DEFAULT), str(VGG8), "-n", "1", "-o", str(out), "--timeline", str(tl),
                 "--timeline-detail", "layer"])
    assert code == 0
    text = capsys.readouterr().out
    assert "TOPS/W" in text and "per inference" in text
    d = json.loads((out / "report.json").read_text())

    def check_units(node):
        if isinstance(node, dict):
            if "value" in node:
                assert "unit" in node, node
            for v in node.values():
                check_units(v)
        elif isinstance(node, list):
            for v in node:
                check_units(v)
    check_units(d)
    assert d["summary"]["energy_per_inference"]["unit"] == "J"
    rows = list(csv.reader((out / "layers.csv").open()))
    assert rows[0][0] == "layer" and len(rows) == 1 + 8
    assert "[J]" in rows[0][-1]
    assert json.loads(tl.read_text())["traceEvents"]
    assert not list(out.glob(".*.tmp"))


def test_compare_adc_energy_falls_with_bits_under_two_models(tmp_path, capsys):
    archs = []
    for bits in (7, 5, 4):
        p = tmp_path / f"adc{bits}.yaml"
        p.write_text(f"extends: {DEFAULT}\nname: adc{bits}\nchip:\n  tiles:\n    pes:\n      arrays:\n"
                     f"        readout: {{bits: {bits}}}\n")
        archs.append(str(p))
    for model in ("neurosim_sar", "murmann"):
        out = tmp_path / f"cmp-{model}.json"
        assert main(["compare", *archs, "--workload", str(VGG8), "-n", "1", "--adc-model", model,
                     "--json", str(out)]) == 0
        d = json.loads(out.read_text())
        adc = [d["metrics"]["E array.adc"][f"adc{b}"]["value"] for b in (7, 5, 4)]
        assert adc[0] > adc[1] > adc[2] > 0, (model, adc)
    text = capsys.readouterr().out
    assert "ratios against adc7" in text


def test_pipeline_report_throughput_from_bottleneck(vgg8):
    rep = simulate(str(DEFAULT), vgg8, samples=1, dataflow="pipeline")
    lbl = simulate(str(DEFAULT), vgg8, samples=1, dataflow="layer")
    assert rep.latency_s < lbl.latency_s
    assert rep.inferences_per_s > lbl.inferences_per_s
    assert rep.interval_cycles == max(max(lr.busy_cycles.values()) for lr in rep.layers)


def test_plot_report_and_comparison(tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["run", str(DEFAULT), str(VGG8), "-n", "1", "-o", str(out)]) == 0
    assert main(["plot", str(out / "report.json"), "-o", str(tmp_path / "r.png")]) == 0
    assert (tmp_path / "r.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    cmp_json = tmp_path / "c.json"
    assert main(["compare", str(DEFAULT), str(ROOT / "arch/variants/neurosim-rram-22nm-adc4.yaml"),
                 "--workload", str(VGG8), "-n", "1", "--json", str(cmp_json)]) == 0
    assert main(["plot", str(cmp_json), "-o", str(tmp_path / "c.svg")]) == 0
    assert b"<svg" in (tmp_path / "c.svg").read_bytes()[:400]
    bad = tmp_path / "bad.json"
    bad.write_text('{"x": 1}')
    capsys.readouterr()
    assert main(["plot", str(bad)]) == 2
    assert "not a cimsim report" in capsys.readouterr().err


def test_device_section_sets_analog_effects(vgg8):
    from cimsim.accuracy import default_device

    assert default_device(load_architecture(DEFAULT)) is None          # Gmin cancelled, no variation
    arch = load_architecture(DEFAULT, ["chip.tiles.pes.arrays.device.cancel_gmin=false",
                                       "chip.tiles.pes.arrays.device.variation_sigma=0.02",
                                       "chip.tiles.pes.arrays.device.variation_seed=7"])
    dev = default_device(arch)
    assert (dev.cancel_gmin, dev.variation_sigma, dev.seed, dev.r_on_ohm, dev.r_off_ohm) == (False, 0.02, 7, 6e3, 900e3)
    layer = vgg8.layers[-1]
    lm = map_layer(layer, arch)
    ideal = simulate_layer(layer, lm, arch, samples=slice(0, 1)).int_output
    noisy = simulate_layer(layer, lm, arch, device=dev, samples=slice(0, 1)).int_output
    again = simulate_layer(layer, lm, arch, device=dev, samples=slice(0, 1)).int_output
    assert not np.array_equal(ideal, noisy) and np.array_equal(noisy, again)


def test_run_imports_only_what_it_uses(tmp_path):
    """`cimsim run` on a trace loads no other sub-command's modules and none of the heavy
    optional packages (torch, pymoo, matplotlib, dask, rich; tqdm only on a terminal), nor
    scipy.linalg; the full parser (no command given) still lists every sub-command."""
    import subprocess
    import sys

    code = f"""
import sys
from cimsim.cli import build_parser, main
assert main(["run", {str(DEFAULT)!r}, {str(ROOT / 'traces/cnn-digits.cimtrace')!r}, "-n", "1",
             "-o", {str(tmp_path)!r}]) == 0
heavy = ("torch", "pymoo", "matplotlib", "dask", "rich", "tqdm", "scipy.linalg", "cimsim.search.cli",
         "cimsim.studies", "cimsim.validation", "cimsim.report.plot")
print(sorted(m for m in sys.modules if m in heavy or m.startswith(heavy[-4:])))
print(sorted(build_parser()._subparsers._group_actions[0].choices))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    loaded, commands = out.stdout.strip().splitlines()[-2:]
    assert loaded == "[]"
    for cmd in ("run", "compare", "describe", "export", "map", "search", "study", "sweep", "validate-refs", "plot"):
        assert f"'{cmd}'" in commands
    assert (tmp_path / "report.json").exists()


def test_program_entry_flushes_output_and_keeps_exit_status(tmp_path):
    """The `cimsim` program (cli.entry) ends without the interpreter's teardown: its piped
    output is complete, the outputs are written, and the exit status is main's (0, or 2 with
    a one-paragraph error)."""
    import subprocess
    import sys

    prog = [sys.executable, "-c", "from cimsim.cli import entry; entry()"]
    ok = subprocess.run(prog + ["run", str(DEFAULT), str(ROOT / "traces/cnn-digits.cimtrace"), "-n", "1",
                                "-o", str(tmp_path)], capture_output=True, text=True, cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr[-2000:]
    assert ok.stdout.rstrip().endswith(f"{tmp_path / 'components.csv'}")   # the last line, flushed
    assert json.loads((tmp_path / "report.json").read_text())["summary"]
    bad = subprocess.run(prog + ["run", str(tmp_path / "missing.yaml")], capture_output=True, text=True,
                         cwd=tmp_path)
    assert bad.returncode == 2 and bad.stderr.startswith("error:") and "Traceback" not in bad.stderr


def _conv_geometry(h, k, s, p, d=1):
    from types import SimpleNamespace

    out = (h + 2 * p - d * (k - 1) - 1) // s + 1
    return SimpleNamespace(kernel=(k, k), stride=(s, s), padding=(p, p), dilation=(d, d),
                           input_shape=(3, h, h), output_shape=(4, out, out), kind="conv2d")


def test_valid_positions_hand_worked():
    from cimsim.trace.format import counted_position_fraction, valid_positions

    m = valid_positions(_conv_geometry(8, 3, 1, 1))     # 8 x 8 outputs, windows off the border: 6 x 6
    assert m.shape == (8, 8) and m.sum() == 36 and m[1:7, 1:7].all() and not m[0].any() and not m[:, 7].any()
    m = valid_positions(_conv_geometry(8, 3, 2, 1))     # starts -1, 1, 3, 5: the first row/column pads
    assert m.shape == (4, 4) and m.sum() == 9 and not m[0].any() and m[1:, 1:].all()
    m = valid_positions(_conv_geometry(8, 3, 1, 2, d=2))  # dilated: starts -2..5, span 5: 0..3 valid
    assert m.shape == (8, 8) and m.sum() == 16 and m[2:6, 2:6].all()
    assert valid_positions(_conv_geometry(8, 3, 1, 0)).all()
    assert counted_position_fraction(_conv_geometry(32, 3, 1, 1), "valid") == 900 / 1024
    assert counted_position_fraction(_conv_geometry(32, 3, 1, 1), "all") == 1.0


def test_valid_positions_count_what_an_unpadded_layer_does(vgg8):
    """mapping.positions: valid counts a padded convolution's events at the windows inside the
    unpadded input, which are all the windows of the same layer without padding; the outputs are
    still computed at every position."""
    import dataclasses

    from cimsim.engine.sim import layer_timing

    arch_all = load_architecture(DEFAULT)
    arch_valid = load_architecture(DEFAULT, ["mapping.positions=valid"])
    layer = vgg8.layers[1]
    h, w = layer.output_shape[-2:]
    unpadded = dataclasses.replace(layer, padding=(0, 0), output_shape=(layer.output_shape[0], h - 2, w - 2))
    lm = map_layer(layer, arch_all)
    r_all = simulate_layer(layer, lm, arch_all, samples=slice(0, 2))
    r_valid = simulate_layer(layer, lm, arch_valid, samples=slice(0, 2))
    r_unpadded = simulate_layer(unpadded, lm, arch_all, samples=slice(0, 2))
    np.testing.assert_array_equal(r_valid.int_output, r_all.int_output)
    assert r_valid.activity() == r_unpadded.activity()
    assert r_valid.input_vectors == 2 * (h - 2) * (w - 2)
    assert r_valid.activity()["conversions"] * h * w == r_all.activity()["conversions"] * (h - 2) * (w - 2)
    assert 0 < r_valid.activity()["input_levels"] < r_all.activity()["input_levels"]
    assert layer_timing(arch_valid, layer, lm).vectors_per_sample == (h - 2) * (w - 2)
    assert layer_timing(arch_all, layer, lm).vectors_per_sample == h * w
    # feature-map traffic at tile and chip level scales with the counted positions
    e_all, e_valid = (layer_energy(a, lm, r, layer, 2) for a, r in ((arch_all, r_all), (arch_valid, r_valid)))
    for k in ("tile.buffer", "tile.interconnect", "chip.buffer", "chip.interconnect"):
        assert e_valid[k] == pytest.approx(e_all[k] * (h - 2) * (w - 2) / (h * w), rel=0.01)


def test_valid_positions_refused_with_a_precision_plan(vgg8):
    from cimsim.errors import CimsimError
    from cimsim.mapping.mapper import map_network
    from cimsim.mapping.precision import PrecisionPlan

    arch = load_architecture(DEFAULT, ["mapping.positions=valid"])
    plan = PrecisionPlan.uniform(map_network(vgg8, arch), 8, 8, arch.arrays.readout.bits)
    with pytest.raises(CimsimError, match="mapping.positions: expected 'all'"):
        simulate(arch, vgg8, samples=1, precision=plan)
