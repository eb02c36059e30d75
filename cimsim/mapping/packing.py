"""Column packing of filter-wise mixed-precision weights (SUN's paired mapping).

SUN (Chen, Wang, Cheng, Lu, Chang, Tang, "SUN: Dynamic Hybrid-Precision SRAM-Based CIM
Accelerator With High Macro Utilization Using Structured Pruning Mixed-Precision Networks",
IEEE TCAD 43(7):2163-2176, 2024, doi 10.1109/TCAD.2024.3358583; cim-models.md §1) quantizes
each filter at its own precision (8 or 4 bits) and pairs low-precision filters so that two of
them fill the columns one high-precision filter would; a reconfigurable shift-add recombines
each column group at its own precision. Only the abstract is public to us; the layout rules
below are this module's, stated so they can be checked.

A layer's kept filters (outputs) each carry a weight precision ``b_f`` (the trace's per-filter
``bits_map``, or the layer's width). A filter at ``b`` bits takes ``w(b)`` adjacent digit
columns under the signed encoding (:mod:`cimsim.mapping.encodings`; 2's complement with
1-bit cells: ``w(b) = b``). A **slot** is ``S = w(B)`` adjacent columns, B the layer's widest
precision; an array has ``floor(usable columns / S)`` slots. Packings
(``mapping.packing``):

- ``uniform``: every filter encoded at B bits, one per slot (the plain mapping);
- ``mixed``: every filter encoded at its own ``b_f`` bits, one per slot; a low-precision
  filter leaves ``S - w(b_f)`` columns of its slot empty (not read out);
- ``paired``: as ``mixed``, but a slot holds two filters when their columns fit
  (``w(b_1) + w(b_2) <= S``): in filter order, a filter that fits beside the single filter of
  the last slot opened for pairing joins it, else it opens a new slot;
- ``dense``: filters back to back, each starting where the previous one ended, a new array
  when a filter's columns would straddle two (a bound: no slot structure at all).

Each filter's digits stay adjacent, in one array, never sharing a column (so never a cell)
with another filter; outputs are recombined per filter with that filter's own factors, so the
packed result equals the unpacked one exactly under a lossless read-out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cimsim.errors import CimsimError
from cimsim.mapping.encodings import Encoded, WeightEncoding

PACKINGS = ("uniform", "mixed", "paired", "dense")


@dataclass
class Packed:
    """One weight matrix laid out in arrays: digit columns ordered by array, then column."""

    encoded: Encoded             # digits (K x J), column_output = kept-filter index
    column_tile: np.ndarray      # (J,) array (column tile) of each digit column
    array_column: np.ndarray     # (J,) physical column inside its array
    col_tiles: int
    slot_width: int              # S columns
    slots_per_array: int
    filter_bits: np.ndarray      # (N',) precision each kept filter is stored at


def filter_bits(layer, n_outputs: int, layer_bits: int) -> np.ndarray:
    """Weight precision of each of the layer's ``n_outputs`` filters: the trace's per-filter
    ``bits_map`` (per_channel) plus any widening of the layer's bits (zero points), else
    ``layer_bits`` for all."""
    wq = layer.weight
    if wq.bits_map is None:
        return np.full(n_outputs, layer_bits, dtype=np.int64)
    if wq.bits_granularity != "per_channel":
        raise CimsimError(
            f"layer '{layer.name}': mapping.packing needs filter-wise precisions (a per_channel "
            f"bits_map), found a {wq.bits_granularity} bits_map; use mapping.packing: uniform")
    bm = np.asarray(wq.bits_map, dtype=np.int64).reshape(-1)
    if bm.size != n_outputs:
        raise CimsimError(f"layer '{layer.name}': bits_map has {bm.size} entries for {n_outputs} filters")
    return bm + (layer_bits - int(wq.bits))


def _slots(widths: np.ndarray, slot_width: int, packing: str) -> np.ndarray:
    """Global slot index of each filter (``mixed``: one per slot; ``paired``: two when they fit)."""
    if packing == "mixed":
        return np.arange(widths.size, dtype=np.int64)
    out = np.empty(widths.size, dtype=np.int64)
    n_slots = 0
    open_slot, open_room = -1, 0          # last slot opened for pairing, holding one filter
    for i, w in enumerate(widths.tolist()):
        if open_slot >= 0 and w <= open_room:
            out[i] = open_slot
            open_slot, open_room = -1, 0  # a pair: the slot is closed
            continue
        out[i] = n_slots
        if w <= slot_width // 2:          # a low-precision filter: room for a partner
            open_slot, open_room = n_slots, slot_width - w
        n_slots += 1
    return out


def pack_matrix(w: np.ndarray, bits: np.ndarray, layer_bits: int, encoding: WeightEncoding,
                bits_per_cell: int, usable_columns: int, packing: str, where: str = "") -> Packed:
    """Encode ``w`` (K x N', signed integers; filter n at ``bits[n]`` bits) and lay its digit
    columns out in arrays of ``usable_columns`` columns under ``packing`` (module docstring)."""
    if packing not in PACKINGS:
        raise CimsimError(f"{where}mapping.packing should be one of {list(PACKINGS)}, found {packing!r}")
    c = bits_per_cell
    n = w.shape[1]
    bits = np.asarray(bits, dtype=np.int64).reshape(-1)
    if bits.size != n:
        raise CimsimError(f"{where}{bits.size} filter precisions for {n} filters")
    if packing == "uniform":
        bits = np.full(n, layer_bits, dtype=np.int64)
    elif encoding.reference_columns(layer_bits, c) or encoding.name == "offset":
        raise CimsimError(
            f"{where}mapping.packing: {packing} stores filters at different precisions, which the "
            f"offset encoding cannot (its reference column and correction depend on the precision); "
            f"use twos_complement or differential, or mapping.packing: uniform")
    # Encode each precision's filters together, then gather every filter's digit columns.
    per_filter: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = [None] * n  # type: ignore[list-item]
    widths = np.zeros(n, dtype=np.int64)
    for b in np.unique(bits).tolist():
        idx = np.flatnonzero(bits == b)
        try:
            e = encoding.encode(np.ascontiguousarray(w[:, idx]), int(b), c)
        except CimsimError as exc:
            raise CimsimError(f"{where}filters stored at {b} bits: {exc}") from None
        if e.input_correction:
            raise CimsimError(f"{where}mapping.packing: an encoding with a digital input correction "
                              "cannot mix precisions")
        cpw = e.columns_per_output
        for j, f in enumerate(idx.tolist()):
            cols = slice(j * cpw, (j + 1) * cpw)
            per_filter[f] = (e.digits[:, cols], e.column_factor[cols], e.reference_digit[cols])
            widths[f] = cpw
    slot = max([encoding.columns_per_weight(layer_bits, c)] + widths.tolist())
    spa = usable_columns // slot
    if spa < 1:
        raise CimsimError(
            f"{where}a {layer_bits}-bit weight needs {slot} columns under {encoding.name} encoding with "
            f"{c}-bit cells, but an array has only {usable_columns} usable columns")
    if packing == "dense":
        tile = np.zeros(n, dtype=np.int64)
        start = np.zeros(n, dtype=np.int64)
        t = pos = 0
        for i, wd in enumerate(widths.tolist()):
            if pos + wd > usable_columns:
                t, pos = t + 1, 0
            tile[i], start[i] = t, pos
            pos += wd
    else:
        s_of = np.arange(n, dtype=np.int64) if packing == "uniform" else _slots(widths, slot, packing)
        tile = s_of // spa
        start = (s_of % spa) * slot
        # the second filter of a pair starts after the first
        order = np.lexsort((np.arange(n), s_of))
        prev_slot, fill = -1, 0
        for f in order.tolist():
            if s_of[f] != prev_slot:
                prev_slot, fill = s_of[f], 0
            start[f] += fill
            fill += widths[f]
    order = np.lexsort((start, tile))            # array-major, then column
    k = w.shape[0]
    j_tot = int(widths.sum())
    digits = np.zeros((k, j_tot), dtype=np.uint8)
    out = np.empty(j_tot, dtype=np.int64)
    fac = np.empty(j_tot, dtype=np.int64)
    ref = np.empty(j_tot, dtype=np.int64)
    col_tile = np.empty(j_tot, dtype=np.int64)
    arr_col = np.empty(j_tot, dtype=np.int64)
    p = 0
    for f in order.tolist():
        d, fc, rf = per_filter[f]
        wd = int(widths[f])
        digits[:, p:p + wd] = d
        out[p:p + wd] = f
        fac[p:p + wd] = fc
        ref[p:p + wd] = rf
        col_tile[p:p + wd] = tile[f]
        arr_col[p:p + wd] = start[f] + np.arange(wd)
        p += wd
    enc = Encoded(digits, out, fac, ref, 0, slot, c)
    col_tiles = int(tile.max()) + 1 if n else 0
    return Packed(enc, col_tile, arr_col, col_tiles, slot, spa, bits)


def passes(arrays: int, arrays_available: int) -> int:
    """Weight passes of a layer with more arrays than the chip has (re-programmed between
    passes, each pass re-streaming the layer's input vectors)."""
    return max(1, math.ceil(arrays / max(1, arrays_available)))
