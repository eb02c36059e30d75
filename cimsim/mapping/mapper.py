"""Layers onto arrays: unrolling, bit slicing, signed encoding, tiling, placement.

A layer's unrolled integer weight matrix (K rows x N outputs, per group for grouped
convolutions; see :mod:`cimsim.trace.format`) is encoded into unsigned cell digits
(:mod:`cimsim.mapping.encodings`), each weight taking ``columns_per_weight`` adjacent
columns. The matrix is then cut into arrays:

- **row tiling**: ``ceil(K' / rows)`` row tiles; their partial sums are added in the PE's
  adder tree (K' = rows left after pruned input channels are skipped);
- **column tiling**: ``floor((columns - reference_columns) / columns_per_weight)`` whole weights
  per array, so a weight's digits never straddle two arrays; ``ceil(N' / that)`` column tiles
  (N' = filters left after pruned filters are skipped);
- **duplication**: ``duplicate`` copies of the layer's arrays (to balance a pipeline);
- **placement**: arrays fill PEs in order, each layer starting on a fresh PE (a PE's adder
  tree serves one layer), PEs fill tiles in order.

Filters of different precisions (a trace's per-filter ``bits_map``) share columns as
``mapping.packing`` says (:mod:`cimsim.mapping.packing`; SUN's pairing).

It reports arrays used and utilisation (cells holding weight digits / cells of the arrays
used; and, for filter-wise mixed precision, the cells each filter needs at its own precision
/ cells of the arrays used, which does not count a low-precision filter's sign extension
under a uniform mapping), and fails with a clear error when the network does not fit, naming
the layer, what it needs and what the chip has, unless the architecture allows
time-multiplexed reprogramming (``chip.reprogramming: true``), in which case layers are
mapped in rounds, and a layer larger than the whole chip in passes of the whole chip.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from cimsim.architecture import Architecture
from cimsim.errors import CimsimError
from cimsim.mapping.encodings import Encoded, WeightEncoding
from cimsim.mapping.packing import filter_bits, pack_matrix, passes


@dataclass
class GroupMapping:
    """One independent weight matrix of a layer (the whole layer unless grouped)."""

    rows_kept: np.ndarray       # indices of unrolled rows mapped (not pruned)
    cols_kept: np.ndarray       # indices of outputs mapped (not pruned)
    encoded: Encoded            # digits of the mapped rows (row_layout order) x cols_kept
    row_tiles: int
    col_tiles: int
    column_tile: np.ndarray     # (J,) column tile of each digit column
    row_layout: np.ndarray      # array row -> unrolled row index, -1 for an unused (padding) row
    weight_colsum: np.ndarray   # (outputs kept,) sum of the mapped weights per output (zero-point term)
    array_column: np.ndarray | None = None   # (J,) physical column of each digit column in its array
    filter_bits: np.ndarray | None = None    # (outputs kept,) precision each filter is stored at


@dataclass
class LayerMapping:
    name: str
    kind: str
    weight_bits: int
    groups: list[GroupMapping]
    rows_per_array: int
    columns_per_array: int
    columns_per_weight: int
    weights_per_array_row: int
    duplicate: int = 1
    round: int = 0                                   # reprogramming round (0 if it fits)
    passes: int = 1                                  # weight passes of a layer larger than the chip
    reprogrammed: bool = False                       # weights re-written per inference (rounds > 1)
    own_precision_cells: int | None = None           # cells the kept filters need at their own precision
    placement: list[tuple[int, int, int]] = field(default_factory=list)  # (tile, pe, array)
    dynamic: bool = False                            # matmul: operand written per sample

    @property
    def arrays(self) -> int:
        """Arrays used, duplicates included."""
        return self.duplicate * sum(g.row_tiles * g.col_tiles for g in self.groups)

    @property
    def cells_used(self) -> int:
        """Cells holding digits of real weights (padding rows of the novel mapping excluded)."""
        return self.duplicate * sum(len(g.rows_kept) * g.encoded.digits.shape[1] for g in self.groups)

    @property
    def utilisation(self) -> float:
        """Cells holding weight digits / cells of the arrays used."""
        cap = self.arrays * self.rows_per_array * self.columns_per_array
        return self.cells_used / cap if cap else 0.0

    @property
    def utilisation_own_precision(self) -> float:
        """Cells the kept filters need, each at its own precision (the trace's per-filter bits),
        / cells of the arrays used (equals ``utilisation`` without filter-wise precisions)."""
        if self.own_precision_cells is None:
            return self.utilisation
        cap = self.arrays * self.rows_per_array * self.columns_per_array
        return self.own_precision_cells / cap if cap else 0.0


def _kept(mask_rows: np.ndarray | None, n: int) -> np.ndarray:
    return np.arange(n) if mask_rows is None else np.flatnonzero(mask_rows)


def map_matrix(w: np.ndarray, encoding: WeightEncoding, weight_bits: int, arch: Architecture,
               row_keep: np.ndarray | None = None, col_keep: np.ndarray | None = None,
               row_blocks: list[np.ndarray] | None = None, filter_bits: np.ndarray | None = None,
               where: str = "") -> GroupMapping:
    """Map one integer weight matrix (K x N) onto arrays of ``arch``.

    ``row_blocks``: groups of unrolled row indices that each start on a fresh row tile (the
    novel mapping's kernel positions); default one block of all rows in order.
    ``filter_bits``: the precision of each of the N filters, laid out under
    ``mapping.packing`` (:mod:`cimsim.mapping.packing`) unless it is ``uniform``.
    """
    a = arch.arrays
    rows_kept = _kept(row_keep, w.shape[0])
    cols_kept = _kept(col_keep, w.shape[1])
    if row_blocks is None:
        row_layout = rows_kept
    else:
        keep = set(rows_kept.tolist())
        parts = []
        for blk in row_blocks:
            blk = np.asarray([r for r in blk if r in keep], dtype=np.int64)
            if blk.size:
                pad = (-blk.size) % a.rows
                parts.append(np.concatenate([blk, np.full(pad, -1, dtype=np.int64)]))
        row_layout = np.concatenate(parts) if parts else np.zeros(0, np.int64)
        while row_layout.size and row_layout[-1] == -1:
            row_layout = row_layout[:-1]
    if row_blocks is None and row_keep is None and col_keep is None:
        sub = w                                   # nothing skipped or reordered: no copy
    else:
        sub = np.zeros((len(row_layout), len(cols_kept)), dtype=w.dtype)
        real = row_layout >= 0
        sub[real] = w[np.ix_(row_layout[real], cols_kept)]
    usable = a.columns - encoding.reference_columns(weight_bits, a.bits_per_cell)
    row_tiles = max(1, math.ceil(len(row_layout) / a.rows)) if len(rows_kept) else 0
    packing = arch.spec.mapping.packing
    if packing != "uniform" and filter_bits is not None:
        pk = pack_matrix(sub, np.asarray(filter_bits)[cols_kept], weight_bits, encoding, a.bits_per_cell,
                         usable, packing, where)
        return GroupMapping(rows_kept, cols_kept, pk.encoded, row_tiles, pk.col_tiles, pk.column_tile,
                            row_layout, sub.sum(axis=0, dtype=np.int64), pk.array_column, pk.filter_bits)
    enc = encoding.encode(sub, weight_bits, a.bits_per_cell)
    cpw = enc.columns_per_output
    per_array = usable // cpw
    if per_array < 1:
        raise CimsimError(
            f"a {weight_bits}-bit weight needs {cpw} columns under {encoding.name} encoding with "
            f"{a.bits_per_cell}-bit cells, but an array has only {usable} usable columns"
        )
    col_tiles = math.ceil(len(cols_kept) / per_array) if len(cols_kept) else 0
    column_tile = np.repeat(np.arange(len(cols_kept)) // per_array, cpw)
    array_column = np.arange(column_tile.size) % (per_array * cpw)
    return GroupMapping(rows_kept, cols_kept, enc, row_tiles, col_tiles, column_tile, row_layout,
                        sub.sum(axis=0, dtype=np.int64), array_column,
                        np.full(len(cols_kept), weight_bits, dtype=np.int64))


def _layer_keep(layer) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Unrolled rows and outputs that survive structured pruning (None: all)."""
    if layer.prune_mask is None:
        return None, None
    from cimsim.trace.format import expand_prune_mask

    mask = expand_prune_mask(layer)                       # weight-shaped, 0 = pruned
    m2 = mask.reshape(mask.shape[0], -1).T != 0           # unrolled (K, N)
    row_keep = m2.any(axis=1)
    col_keep = m2.any(axis=0)
    return row_keep, col_keep


def map_layer(layer, arch: Architecture, duplicate: int = 1) -> LayerMapping:
    """Map one trace layer (conv2d, linear, or matmul) onto ``arch``'s arrays."""
    enc = arch.encoding
    a = arch.arrays
    if layer.kind == "matmul":
        # The dynamic operand B (K x N per sample) is written into arrays for each sample.
        k, n = int(layer.input_b_shape[-2]), int(layer.input_b_shape[-1])
        bits = layer.input_b.bits
        probe = np.zeros((k, n), dtype=np.int64)
        g = map_matrix(probe, enc, bits, arch)
        return LayerMapping(layer.name, layer.kind, bits, [g], a.rows, a.columns, g.encoded.columns_per_output,
                            (a.columns - enc.reference_columns(bits, a.bits_per_cell)) // g.encoded.columns_per_output,
                            duplicate, dynamic=True)
    w = centred_weight_matrix(layer)
    bits = layer.weight.bits
    lo = int(w.min()) if w.size else 0
    hi = int(w.max()) if w.size else 0
    while lo < -(2 ** (bits - 1)) or hi > 2 ** (bits - 1) - 1:  # zero-point shift widened the range
        bits += 1
    row_keep, col_keep = _layer_keep(layer)
    per_filter = layer.weight.bits_map is not None and layer.weight.bits_granularity == "per_channel"
    fbits = filter_bits(layer, w.shape[1], bits) if arch.spec.mapping.packing != "uniform" or per_filter else None
    groups = []
    g_n = layer.groups if layer.kind == "conv2d" else 1
    n_per = w.shape[1] // g_n
    blocks = None
    if layer.kind == "conv2d" and arch.spec.mapping.conv_unroll == "novel":
        # Unrolled rows are ordered (channel, kernel row, kernel column): position p's rows are
        # p, p + KK, p + 2 KK, ... (one per input channel).
        kk = layer.kernel[0] * layer.kernel[1]
        blocks = [np.arange(p, w.shape[0], kk) for p in range(kk)]
    for gi in range(g_n):
        cols = slice(gi * n_per, (gi + 1) * n_per)
        groups.append(map_matrix(w[:, cols], enc, bits, arch,
                                 None if row_keep is None else _group_rows(layer, row_keep, gi),
                                 None if col_keep is None else col_keep[cols], blocks,
                                 None if fbits is None else fbits[cols], f"layer '{layer.name}': "))
    cpw = groups[0].encoded.columns_per_output
    per_array = (a.columns - enc.reference_columns(bits, a.bits_per_cell)) // cpw
    lm = LayerMapping(layer.name, layer.kind, bits, groups, a.rows, a.columns, cpw, per_array, duplicate)
    if per_filter:
        own = [enc.columns_per_weight(int(b), a.bits_per_cell) for b in range(int(fbits.max()) + 1)]
        lm.own_precision_cells = duplicate * sum(
            len(g.rows_kept) * sum(own[int(b)] for b in fbits[gi * n_per:(gi + 1) * n_per][g.cols_kept])
            for gi, g in enumerate(groups))
    return lm


def centred_weight_matrix(layer) -> np.ndarray:
    """The unrolled weight matrix (K x N) minus its zero points (int32, or int64 with zero points)."""
    from cimsim.trace.format import expand_param

    wq = layer.weight
    if not np.any(np.asarray(wq.zero_point)):
        v = wq.values
        # transpose in the stored (narrow) dtype, then widen: fewer bytes moved by the strided copy
        return np.ascontiguousarray(v.reshape(v.shape[0], -1).T).astype(np.int32, copy=False)
    w = wq.values.astype(np.int64) - expand_param(layer, wq.zero_point, wq.granularity).astype(np.int64)
    return np.ascontiguousarray(w.reshape(w.shape[0], -1).T)


def _group_rows(layer, row_keep_any: np.ndarray, gi: int) -> np.ndarray:
    """Rows kept for group gi (the unrolled rows are shared by index across groups)."""
    from cimsim.trace.format import expand_prune_mask

    mask = expand_prune_mask(layer)
    n_per = mask.shape[0] // layer.groups
    m2 = mask[gi * n_per:(gi + 1) * n_per].reshape(n_per, -1).T != 0
    return m2.any(axis=1)


@dataclass
class NetworkMapping:
    layers: list[LayerMapping]
    arrays_available: int
    rounds: int

    @property
    def arrays_used(self) -> int:
        """Arrays in use at the busiest round."""
        per_round = [0] * self.rounds
        for lm in self.layers:
            per_round[lm.round] += min(lm.arrays, self.arrays_available)
        return max(per_round) if per_round else 0

    def table(self) -> list[dict]:
        return [{"layer": lm.name, "kind": lm.kind, "arrays": lm.arrays, "utilisation": lm.utilisation,
                 "utilisation_own_precision": lm.utilisation_own_precision,
                 "row_tiles": sum(g.row_tiles for g in lm.groups), "col_tiles": sum(g.col_tiles for g in lm.groups),
                 "groups": len(lm.groups), "round": lm.round, "passes": lm.passes,
                 "duplicate": lm.duplicate} for lm in self.layers]


def map_network(trace, arch: Architecture, duplicate: dict[str, int] | None = None) -> NetworkMapping:
    """Map every layer of a trace; place arrays on PEs and tiles; check that it fits."""
    duplicate = duplicate or {}
    apes = arch.arrays.count
    n_pes = arch.spec.chip.tiles.count * arch.spec.chip.tiles.pes.count
    pes_per_tile = arch.spec.chip.tiles.pes.count
    layers = [map_layer(layer, arch, duplicate.get(layer.name, 1)) for layer in trace.layers]
    pe_next = 0
    rnd = 0
    for lm in layers:
        need_pes = math.ceil(lm.arrays / apes)
        if need_pes > n_pes:
            if not arch.spec.chip.reprogramming:
                raise CimsimError(
                    f"layer '{lm.name}' does not fit: it needs {lm.arrays} arrays ({need_pes} PEs of {apes} "
                    f"arrays) and the chip has {arch.array_count} arrays ({n_pes} PEs) in all; use larger "
                    f"arrays, more tiles, or fewer bits, or set chip.reprogramming: true to run it in passes"
                )
            # Larger than the chip: whole-chip passes, re-programmed in between (own rounds).
            rnd += 1 if pe_next else 0
            lm.round = rnd
            lm.passes = passes(lm.arrays, n_pes * apes)
            lm.placement = []
            for k in range(lm.arrays):
                pe = (k // apes) % n_pes
                lm.placement.append((pe // pes_per_tile, pe % pes_per_tile, k % apes))
            rnd += lm.passes - 1
            pe_next = n_pes
            continue
        if pe_next + need_pes > n_pes:
            if not arch.spec.chip.reprogramming:
                used = sum(x.arrays for x in layers if x is not lm and x.placement)
                raise CimsimError(
                    f"the network does not fit: layer '{lm.name}' needs {lm.arrays} arrays ({need_pes} PEs), "
                    f"but only {n_pes - pe_next} of the chip's {n_pes} PEs are free after the earlier layers "
                    f"({used} arrays); set chip.reprogramming: true to map layers in rounds, or use a larger chip"
                )
            rnd += 1
            pe_next = 0
        lm.round = rnd
        lm.placement = []
        for k in range(lm.arrays):
            pe = pe_next + k // apes
            lm.placement.append((pe // pes_per_tile, pe % pes_per_tile, k % apes))
        pe_next += need_pes
    for lm in layers:
        lm.reprogrammed = rnd > 0
    return NetworkMapping(layers, arch.array_count, rnd + 1)
