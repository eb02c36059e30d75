"""SUN-style filter-wise mixed-precision packing (cimsim.mapping.packing): hand-worked layouts,
no two filters in one cell, pairing never lowers utilisation, pruned work costs nothing,
packed outputs equal the unpacked ones bit-exactly; passes under reprogramming; the
reconfigurable shift-add's cost; pruned feature-map traffic; the trace cache's recipe check."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cimsim.architecture import load_architecture
from cimsim.cost.energy import kept_channels, layer_energy
from cimsim.engine.sim import layer_timing
from cimsim.errors import CimsimError
from cimsim.kernels.layer import simulate_layer
from cimsim.kernels.readout import Ideal
from cimsim.mapping.encodings import TwosComplement, get_encoding
from cimsim.mapping.mapper import map_layer, map_network
from cimsim.mapping.packing import pack_matrix
from cimsim.trace.synthetic import make_layer

ROOT = Path(__file__).resolve().parents[1]
SRAM = ROOT / "arch/neurosim-sram-22nm.yaml"
SUN = ROOT / "arch/studies/sun"
PACKINGS = ("uniform", "mixed", "paired", "dense")


def _arch(packing: str, extra=()):
    return load_architecture(SRAM, [f"mapping.packing={packing}", *extra])


def test_layout_by_hand():
    # Six filters at 8,4,4,4,4,8 bits; 2's complement on 1-bit cells: 8 or 4 columns each;
    # arrays of 16 usable columns = two 8-column slots.
    rng = np.random.default_rng(0)
    bits = np.array([8, 4, 4, 4, 4, 8])
    w = np.stack([rng.integers(-(2 ** (b - 1)) + 1, 2 ** (b - 1), size=5) for b in bits], axis=1)
    enc = TwosComplement()
    tiles = {p: pack_matrix(w, bits, 8, enc, 1, 16, p) for p in PACKINGS}
    assert tiles["uniform"].col_tiles == 3 and tiles["mixed"].col_tiles == 3
    p = tiles["paired"]
    # slots: f0 | f1 f2 | f3 f4 | f5  -> arrays [f0, f1+f2], [f3+f4, f5]
    assert p.col_tiles == 2 and p.slot_width == 8 and p.slots_per_array == 2
    first = {int(f): (int(p.column_tile[j]), int(p.array_column[j]))
             for j, f in reversed(list(enumerate(p.encoded.column_output)))}
    assert first == {0: (0, 0), 1: (0, 8), 2: (0, 12), 3: (1, 0), 4: (1, 4), 5: (1, 8)}
    d = tiles["dense"]              # 8+4+4 | 4+4+8
    assert d.col_tiles == 2 and d.encoded.digits.shape[1] == 32
    m = tiles["mixed"]              # a 4-bit filter keeps its 4 columns only
    assert m.encoded.digits.shape[1] == 32 and tiles["uniform"].encoded.digits.shape[1] == 48
    for pk in tiles.values():       # each encodes the same weights
        np.testing.assert_array_equal(pk.encoded.reconstruct(), w)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("packing", PACKINGS)
@pytest.mark.parametrize("encoding", ["twos_complement", "differential"])
def test_no_two_filters_share_a_cell(seed, packing, encoding):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 60))
    bits = rng.choice([2, 3, 4, 5, 8], size=n)
    w = np.stack([rng.integers(-(2 ** (b - 1)) + 1, 2 ** (b - 1), size=7) for b in bits], axis=1)
    usable = int(rng.integers(16, 130))
    pk = pack_matrix(w, bits, 8, get_encoding(encoding), 1, usable, packing)
    cells = set(zip(pk.column_tile.tolist(), pk.array_column.tolist()))
    assert len(cells) == pk.encoded.digits.shape[1]                 # every digit column its own
    assert pk.array_column.min() >= 0 and pk.array_column.max() < usable
    for f in range(n):                                              # a filter: adjacent, one array
        js = np.flatnonzero(pk.encoded.column_output == f)
        assert len(set(pk.column_tile[js].tolist())) == 1
        cols = np.sort(pk.array_column[js])
        assert np.array_equal(cols, np.arange(cols[0], cols[0] + cols.size))
    np.testing.assert_array_equal(pk.encoded.reconstruct(), w)
    assert np.all(np.diff(pk.column_tile) >= 0)                     # array-major (kernel contract)


def _mixed_layers(seed: int):
    """A conv and a linear layer with per-filter 8/4 bits and structured pruning."""
    rng = np.random.default_rng(seed)
    conv_bits = rng.choice([4, 8], size=24)
    fmask = np.ones(24, bool)
    fmask[rng.choice(24, 6, replace=False)] = False
    conv = make_layer("conv", "conv2d", np.maximum(rng.normal(size=(2, 20, 6, 6)), 0),
                      rng.normal(size=(24, 20, 3, 3)), None, padding=(1, 1), wbits=conv_bits,
                      prune=("filter", fmask, None))
    lin_bits = rng.choice([4, 8], size=40)
    cmask = np.ones(150, bool)
    cmask[rng.choice(150, 30, replace=False)] = False
    x = np.maximum(rng.normal(size=(2, 150)), 0)
    x[:, ~cmask] *= 0.1              # the per-tensor input scale comes from kept channels
    lin = make_layer("fc", "linear", x, rng.normal(size=(40, 150)), None, wbits=lin_bits,
                     prune=("channel", cmask, None))
    return [conv, lin]


@pytest.mark.parametrize("seed", range(3))
def test_pairing_utilisation_at_least_mixed_and_outputs_bit_exact(seed):
    layers = _mixed_layers(seed)
    small = ["chip.tiles.pes.arrays.columns=32"]       # few slots per array: packing shows
    outs = {}
    for packing in PACKINGS:
        arch = _arch(packing, small)
        for layer in layers:
            lm = map_layer(layer, arch)
            r = simulate_layer(layer, lm, arch, readout=Ideal())
            outs[(packing, layer.name)] = (lm, r.int_output)
            np.testing.assert_array_equal(r.int_output, layer.int_output.astype(np.float64))
    for layer in layers:
        u, m, p = (outs[(k, layer.name)][0] for k in ("uniform", "mixed", "paired"))
        assert p.utilisation >= m.utilisation and p.arrays <= m.arrays == u.arrays
        assert m.cells_used < u.cells_used                       # 4-bit filters: 4 columns, not 8
        # own-precision cells: rows kept x sum of the kept filters' bits (2's complement, 1-bit cells)
        g = u.groups[0]
        own = len(g.rows_kept) * int(np.asarray(layer.weight.bits_map)[g.cols_kept].sum())
        assert u.own_precision_cells == m.own_precision_cells == p.own_precision_cells == m.cells_used == own
        assert u.utilisation_own_precision == m.utilisation < u.utilisation
        for k in ("mixed", "paired", "dense"):
            np.testing.assert_array_equal(outs[(k, layer.name)][1], outs[("uniform", layer.name)][1])


def test_pairing_utilisation_on_the_recipe_trace():
    pytest.importorskip("torch")
    from cimsim.trace.cache import workload_trace

    t = workload_trace("cnn-digits", quant="sun-mixed-pruned")
    assert any(layer.weight.bits_map is not None for layer in t.layers)
    assert any(layer.prune_mask is not None for layer in t.layers)
    nm = {k: map_network(t, _arch(k, ["chip.tiles.pes.arrays.columns=64"])) for k in ("mixed", "paired")}
    for m, p in zip(nm["mixed"].layers, nm["paired"].layers):
        assert p.utilisation >= m.utilisation


def _drop(layer_kind: str):
    """The same layer pruned by a mask (a) and with the pruned filters / channels removed (b)."""
    rng = np.random.default_rng(7)
    if layer_kind == "filter":
        w = rng.normal(size=(20, 6, 3, 3))
        bits = rng.choice([4, 8], size=20)
        keep = np.ones(20, bool)
        keep[[1, 4, 5, 11, 17]] = False
        x = np.maximum(rng.normal(size=(2, 6, 5, 5)), 0)
        a = make_layer("c", "conv2d", x, w, None, padding=(1, 1), wbits=bits, prune=("filter", keep, None))
        b = make_layer("c", "conv2d", x, w[keep], None, padding=(1, 1), wbits=bits[keep])
        return a, b
    w = rng.normal(size=(12, 40))
    keep = np.ones(40, bool)
    keep[::3] = False
    x = np.maximum(rng.normal(size=(2, 40)), 0)
    x[:, ~keep] *= 0.1
    bits = rng.choice([4, 8], size=12)
    a = make_layer("f", "linear", x, w, None, wbits=bits, prune=("channel", keep, None))
    b = make_layer("f", "linear", x[:, keep], w[:, keep], None, wbits=bits)
    return a, b


@pytest.mark.parametrize("kind", ["filter", "channel"])
@pytest.mark.parametrize("packing", ["uniform", "paired"])
def test_pruned_work_costs_zero_cycles_and_zero_dynamic_energy(kind, packing):
    a, b = _drop(kind)
    arch = load_architecture(SUN / "paired.yaml", [f"mapping.packing={packing}"])
    ea, eb, ta, tb = [], [], [], []
    for layer, e, t in ((a, ea, ta), (b, eb, tb)):
        lm = map_layer(layer, arch)
        r = simulate_layer(layer, lm, arch, readout=Ideal())
        e.append(layer_energy(arch, lm, r, layer, 2))
        timing = layer_timing(arch, layer, lm)
        t.append((lm.arrays, timing.ii, timing.lat, timing.vectors_per_sample))
    assert ta == tb
    assert ea[0].keys() == eb[0].keys()
    for k in ea[0]:
        assert ea[0][k] == pytest.approx(eb[0][k], rel=1e-12), k


def test_layer_larger_than_chip_runs_in_passes():
    rng = np.random.default_rng(1)
    layer = make_layer("fc", "linear", np.maximum(rng.normal(size=(1, 300)), 0), rng.normal(size=(50, 300)))
    tiny = ["chip.tiles.count=1", "chip.tiles.pes.count=1", "chip.tiles.pes.arrays.count=2"]
    from cimsim.trace.format import Trace

    t = Trace(name="one", layers=[layer], sample_count=1, input_shape=(300,))
    with pytest.raises(CimsimError, match="passes"):
        map_network(t, load_architecture(SRAM, tiny))
    nm = map_network(t, load_architecture(SRAM, tiny + ["chip.reprogramming=true"]))
    lm = nm.layers[0]
    # 300 rows -> 3 row tiles; 50 8-bit filters at 16 per array -> 4 column tiles: 12 arrays, 2 per pass.
    assert lm.arrays == 12 and lm.passes == 6 and nm.rounds == 6 and nm.arrays_used == 2
    big = load_architecture(SRAM, ["chip.tiles.count=1", "chip.tiles.pes.count=3", "chip.tiles.pes.arrays.count=4"])
    fits = map_network(t, big).layers[0]
    arch = load_architecture(SRAM, tiny + ["chip.reprogramming=true"])
    assert layer_timing(arch, layer, lm).ii["compute"] == 6 * layer_timing(big, layer, fits).ii["compute"]


def test_reconfigurable_shift_add_cost():
    from cimsim.components.shift_add import DigitalShiftAdd
    from cimsim.components.technology import gate_library

    plain = load_architecture(SUN / "uniform.yaml").require("array", "shift_add").model
    reconf = load_architecture(SUN / "paired.yaml").require("array", "shift_add").model
    assert isinstance(reconf, DigitalShiftAdd) and reconf.reconfigurable and not plain.reconfigurable
    g = gate_library(plain.tech)
    assert reconf.shift_add().energy_J - plain.shift_add().energy_J == pytest.approx(16 * 4 * g.nd2_energy_J)
    assert reconf.area_m2 - plain.area_m2 == pytest.approx(16 * 4 * g.nd2_area_m2)


def test_kept_channels_by_hand():
    a, _ = _drop("filter")
    assert kept_channels(a) == (1.0, 15 / 20)
    c, _ = _drop("channel")
    assert kept_channels(c) == (pytest.approx(26 / 40), 1.0)


def test_offset_encoding_cannot_mix_precisions():
    a, _ = _drop("filter")
    arch = _arch("paired", ["chip.number_format.weight_encoding=offset"])
    with pytest.raises(CimsimError, match="offset"):
        map_layer(a, arch)


def test_trace_cache_needs_the_same_recipe_definition():
    from cimsim.trace.cache import _matches
    from cimsim.trace.io import load
    from cimsim.trace.recipes import get_recipe

    t = load(ROOT / "traces/cnn-digits.cimtrace")
    q = t.provenance["quantizer"]
    t.provenance["recipe"] = get_recipe(q).to_dict()
    assert _matches(t, "cnn-digits", None, q, t.provenance.get("seed", 0))
    t.provenance["recipe"] = {**get_recipe(q).to_dict(), "prune": {"kind": "filter", "ratio": 0.5}}
    assert not _matches(t, "cnn-digits", None, q, t.provenance.get("seed", 0))


def test_reprogramming_writes_every_array_once_per_inference():
    rng = np.random.default_rng(1)
    layer = make_layer("fc", "linear", np.maximum(rng.normal(size=(2, 300)), 0), rng.normal(size=(50, 300)))
    from cimsim.trace.format import Trace

    t = Trace(name="one", layers=[layer], sample_count=2, input_shape=(300,))
    tiny = load_architecture(SRAM, ["chip.tiles.count=1", "chip.tiles.pes.count=1", "chip.tiles.pes.arrays.count=2",
                                    "chip.reprogramming=true"])
    lm = map_network(t, tiny).layers[0]
    assert lm.reprogrammed and lm.passes == 6
    r = simulate_layer(layer, lm, tiny, readout=Ideal())
    with_writes = layer_energy(tiny, lm, r, layer, 2)["array.sram_macro"]
    lm.reprogrammed = False
    without = layer_energy(tiny, lm, r, layer, 2)["array.sram_macro"]
    assert layer_timing(tiny, layer, lm).program == 0
    lm.reprogrammed = True
    row = tiny.require("array", "sram_macro").model.write()
    # 12 arrays x 128 rows, for each of the 2 samples; one row per cycle at 1 GHz, 6 passes
    assert with_writes - without == pytest.approx(2 * 12 * 128 * row.energy_J)
    assert layer_timing(tiny, layer, lm).program == 6 * 128


def test_array_wise_precisions_cannot_be_packed_per_filter():
    rng = np.random.default_rng(3)
    layer = make_layer("blocks", "linear", rng.normal(size=(1, 40)), rng.normal(size=(12, 40)),
                       wbits=np.array([[8]]), wgran="per_array")
    assert layer.weight.bits_granularity == "per_array"
    map_layer(layer, _arch("uniform"))                      # the plain mapping takes it
    with pytest.raises(CimsimError, match="layer 'blocks'.*per_channel"):
        map_layer(layer, _arch("paired"))


@pytest.mark.parametrize("dataflow", ["layer", "pipeline"])
def test_reprogramming_time_adds_to_latency(dataflow):
    from cimsim.engine.sim import simulate_timing
    from cimsim.trace.format import Trace

    rng = np.random.default_rng(2)
    l1 = make_layer("fc1", "linear", np.maximum(rng.normal(size=(1, 300)), 0), rng.normal(size=(50, 300)))
    l2 = make_layer("fc2", "linear", np.maximum(rng.normal(size=(1, 50)), 0), rng.normal(size=(10, 50)), index=1)
    t = Trace(name="two", layers=[l1, l2], sample_count=1, input_shape=(300,))
    arch = load_architecture(SRAM, ["chip.tiles.count=1", "chip.tiles.pes.count=1", "chip.tiles.pes.arrays.count=4",
                                    "chip.reprogramming=true"])
    nm = map_network(t, arch)
    assert [lm.passes for lm in nm.layers] == [3, 1] and all(lm.reprogrammed for lm in nm.layers)
    with_writes = simulate_timing(arch, t, nm, dataflow=dataflow)
    for lm in nm.layers:
        lm.reprogrammed = False
    without = simulate_timing(arch, t, nm, dataflow=dataflow)
    # layer by layer: each layer's writes (3 and 1 passes x 128 rows) delay everything after them
    assert with_writes.total_cycles - without.total_cycles == (3 + 1) * 128
    assert [lt.cycles for lt in with_writes.layers] == [lt.cycles + (3 * 128, 128)[i]
                                                          for i, lt in enumerate(without.layers)]
