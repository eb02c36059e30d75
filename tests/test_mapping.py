"""Mapper and functional layer pass: exact outputs on every architecture, hand-worked
tiling and utilisation, fit errors, reprogramming rounds, pruning."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from cimsim.architecture import load_architecture  # noqa: E402
from cimsim.errors import CimsimError  # noqa: E402
from cimsim.kernels.layer import im2col, simulate_layer  # noqa: E402
from cimsim.kernels.readout import ClampedADC  # noqa: E402
from cimsim.mapping.mapper import map_layer, map_network  # noqa: E402
from cimsim.trace import export  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "arch/neurosim-rram-22nm.yaml"
ARCHS = ["arch/neurosim-rram-22nm.yaml", "arch/isaac-32nm.yaml", "arch/neurosim-sram-22nm.yaml",
         "arch/variants/neurosim-rram-22nm-differential.yaml"]


@pytest.fixture(scope="module")
def small_trace():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                      nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=4), nn.ReLU(),
                      nn.Conv2d(8, 8, 3, padding=2, dilation=2, groups=8), nn.ReLU(),
                      nn.Flatten(), nn.Linear(8 * 4 * 4, 10)).eval()
    return export(m, torch.randn(3, 3, 8, 8))


@pytest.mark.parametrize("arch_file", ARCHS)
@pytest.mark.parametrize("sets", [[], ["chip.tiles.pes.arrays.rows_active=32"],
                                  ["chip.number_format.weight_encoding=offset"],
                                  ["chip.number_format.input_bits_per_cycle=2"]])
def test_lossless_pass_equals_trace_reference(small_trace, arch_file, sets):
    arch = load_architecture(ROOT / arch_file, sets)
    nm = map_network(small_trace, arch)
    for layer, lm in zip(small_trace.layers, nm.layers):
        r = simulate_layer(layer, lm, arch)
        np.testing.assert_array_equal(r.int_output, layer.int_output.astype(np.float64))


def test_linear_tiling_and_utilisation_by_hand():
    torch.manual_seed(1)
    t = export(nn.Sequential(nn.Linear(300, 50)).eval(), torch.randn(4, 300))
    arch = load_architecture(DEFAULT)
    lm = map_layer(t.layers[0], arch)
    # 8-bit 2's complement on 2-bit cells: 5 columns per weight, 25 weights per 128 columns.
    assert lm.columns_per_weight == 5 and lm.weights_per_array_row == 25
    g = lm.groups[0]
    assert (g.row_tiles, g.col_tiles) == (3, 2)      # ceil(300/128), ceil(50/25)
    assert lm.arrays == 6
    assert lm.utilisation == pytest.approx(300 * 50 * 5 / (6 * 128 * 128))
    # Digit columns of weight n sit in column tile n // 25.
    assert g.column_tile.tolist() == list(np.repeat(np.arange(50) // 25, 5))


def test_network_that_does_not_fit_names_the_layer():
    torch.manual_seed(1)
    t = export(nn.Sequential(nn.Linear(300, 50)).eval(), torch.randn(2, 300))
    small = ["chip.tiles.count=1", "chip.tiles.pes.count=1", "chip.tiles.pes.arrays.count=2"]
    with pytest.raises(CimsimError) as e:
        map_network(t, load_architecture(DEFAULT, small))
    msg = str(e.value)
    assert "'0'" in msg and "6 arrays" in msg and "2 arrays" in msg


def test_reprogramming_maps_in_rounds():
    torch.manual_seed(1)
    t = export(nn.Sequential(nn.Linear(300, 50), nn.ReLU(), nn.Linear(50, 40)).eval(), torch.randn(2, 300))
    sets = ["chip.tiles.count=1", "chip.tiles.pes.count=2", "chip.tiles.pes.arrays.count=4"]
    with pytest.raises(CimsimError, match="reprogramming"):
        map_network(t, load_architecture(DEFAULT, sets))
    nm = map_network(t, load_architecture(DEFAULT, sets + ["chip.reprogramming=true"]))
    assert [lm.arrays for lm in nm.layers] == [6, 2] and nm.rounds == 2
    assert [lm.round for lm in nm.layers] == [0, 1]


def test_placement_fills_pes_in_order():
    torch.manual_seed(1)
    t = export(nn.Sequential(nn.Linear(300, 50), nn.ReLU(), nn.Linear(50, 40)).eval(), torch.randn(2, 300))
    nm = map_network(t, load_architecture(DEFAULT))
    # 4 arrays per PE, 16 PEs per tile: layer 0's 6 arrays on PEs 0-1, layer 1 starts on PE 2.
    assert nm.layers[0].placement == [(0, 0, 0), (0, 0, 1), (0, 0, 2), (0, 0, 3), (0, 1, 0), (0, 1, 1)]
    assert nm.layers[1].placement[0] == (0, 2, 0)


def test_pruned_filters_take_no_arrays_and_output_zero():
    torch.manual_seed(2)
    model = nn.Sequential(nn.Linear(64, 60)).eval()
    t = export(model, torch.randn(3, 64))
    layer = t.layers[0]
    arch = load_architecture(DEFAULT)
    full = map_layer(layer, arch)
    mask = np.ones(60, dtype=np.uint8)
    mask[::2] = 0                                          # prune every other filter
    layer.prune_mask, layer.prune_granularity = mask, "filter"
    layer.weight.values[mask == 0] = 0
    pruned = map_layer(layer, arch)
    assert full.groups[0].col_tiles == 3 and pruned.groups[0].col_tiles == 2   # 60 -> 30 filters
    r = simulate_layer(layer, pruned, arch)
    assert np.all(r.int_output[:, mask == 0] == 0)
    np.testing.assert_array_equal(r.int_output[:, mask == 1], layer.recompute_int_output()[:, mask == 1])


def test_reduced_adc_changes_output_and_counts_conversions(small_trace):
    arch = load_architecture(DEFAULT)
    nm = map_network(small_trace, arch)
    layer, lm = small_trace.layers[0], nm.layers[0]
    r = simulate_layer(layer, lm, arch, readout=ClampedADC(bits=3))
    assert not np.array_equal(r.int_output, layer.int_output)
    act = r.activity()
    vectors = 3 * 8 * 8                                   # samples x output pixels
    digit_cols = 8 * lm.columns_per_weight
    # conversions = vectors x input cycles x row groups x digit columns (27 rows: one group)
    assert act["conversions"] == vectors * 8 * 1 * digit_cols


def test_im2col_matches_torch_unfold():
    x = np.arange(2 * 3 * 5 * 6).reshape(2, 3, 5, 6)
    cols, oh, ow = im2col(x, (3, 2), (2, 1), (1, 0), (1, 2), pad_value=0)
    ref = torch.nn.functional.unfold(torch.tensor(x, dtype=torch.float64), (3, 2), dilation=(1, 2),
                                     padding=(1, 0), stride=(2, 1))  # [S, C*kh*kw, L]
    np.testing.assert_array_equal(cols, ref.permute(0, 2, 1).reshape(-1, ref.shape[1]).numpy())
    assert (oh, ow) == (3, 4)


def test_activity_per_array_by_hand():
    from cimsim.kernels.mvm import InputSlices

    torch.manual_seed(1)
    t = export(nn.Sequential(nn.Linear(300, 50)).eval(), torch.randn(4, 300))
    layer = t.layers[0]
    arch = load_architecture(DEFAULT)
    lm = map_layer(layer, arch)
    r = simulate_layer(layer, lm, arch, readout=ClampedADC(bits=5))
    x = layer.input.values.astype(np.int64)
    sl = InputSlices.make(x, layer.input.bits, layer.input.signed, 1).slices.astype(np.int64)  # (I, S, K)
    cycles = sl.shape[0]
    g = lm.groups[0]
    assert len(r.arrays) == 6
    for arr in r.arrays:
        rows = slice(arr.row_tile * 128, min(300, (arr.row_tile + 1) * 128))
        cols = g.column_tile == arr.col_tile
        assert arr.reads == 4 * cycles                       # one read per cycle per vector
        assert arr.conversions == 4 * cycles * 125           # 25 weights x 5 columns in each tile
        assert arr.input_levels == sl[:, :, rows].sum()
        d = g.encoded.digits[rows][:, cols].astype(np.int64)
        assert arr.column_levels == sum((sl[i][:, rows] @ d).sum() for i in range(cycles))
    act = r.activity()
    assert act["shift_add_ops"] == 6 * 4 * cycles * 125      # one per conversion
    assert act["adder_tree_ops"] == 4 * 50 * (3 - 1)         # 3 row tiles per output
    assert act["input_bits"] == 4 * 300 * layer.input.bits * 2
    assert act["output_bits"] == 4 * 50 * arch.arrays.shift_add.bits


def test_sense_amp_shift_adds_only_nonzero():
    from cimsim.kernels.readout import SenseAmp

    torch.manual_seed(1)
    t = export(nn.Sequential(nn.Linear(100, 20)).eval(), torch.randn(4, 100))
    arch = load_architecture(DEFAULT)
    lm = map_layer(t.layers[0], arch)
    r = simulate_layer(t.layers[0], lm, arch, readout=SenseAmp("ternary"))
    act = r.activity()
    assert act["shift_add_ops"] == act["nonzero_outputs"] < act["conversions"]


@pytest.mark.parametrize("enc", ["twos_complement", "offset", "differential"])
def test_novel_mapping_exact_and_tiles_by_kernel_position(enc):
    torch.manual_seed(3)
    t = export(nn.Sequential(nn.Conv2d(40, 16, 3, padding=1)).eval(), torch.randn(2, 40, 6, 6))
    layer = t.layers[0]
    sets = [f"chip.number_format.weight_encoding={enc}"]
    im2col_arch = load_architecture(DEFAULT, sets)
    novel = load_architecture(DEFAULT, sets + ["mapping.conv_unroll=novel"])
    a = map_layer(layer, im2col_arch)
    b = map_layer(layer, novel)
    # im2col: 360 rows -> 3 row tiles; novel: 9 positions x 40 channels, each on its own tile.
    assert a.groups[0].row_tiles == 3 and b.groups[0].row_tiles == 9
    assert b.cells_used == a.cells_used and b.utilisation < a.utilisation
    r = simulate_layer(layer, b, novel)
    np.testing.assert_array_equal(r.int_output, layer.int_output.astype(np.float64))
    assert r.activity()["adder_tree_ops"] == 2 * 36 * 16 * (9 - 1)


def test_map_cli_on_shipped_vgg8_trace(capsys, tmp_path):
    from cimsim.cli import main

    out = tmp_path / "map.json"
    assert main(["map", str(DEFAULT), str(ROOT / "traces/vgg8-cifar10.cimtrace"), "--json", str(out)]) == 0
    text = capsys.readouterr().out
    # classifier.0: 8192 x 1024 -> 64 row tiles x ceil(1024 / 25) = 41 column tiles.
    assert "classifier.0" in text and " 64 " in text and " 41 " in text and "2624" in text
    import json

    d = json.loads(out.read_text())
    assert d["layers"][-2]["arrays"] == 2624 and d["rounds"] == 1


def test_map_cli_does_not_fit_is_one_paragraph(capsys):
    from cimsim.cli import main

    code = main(["map", str(DEFAULT), str(ROOT / "traces/vgg8-cifar10.cimtrace"), "--set", "chip.tiles.count=8"])
    err = capsys.readouterr().err
    assert code == 2 and "does not fit" in err and "Traceback" not in err
