"""Array-wise mixed precision: a precision plan assigns (input bits, weight bits, ADC bits)
to every array of a mapped network (CIM²PQ, Sun, Bai, Shi, Zhao, Kang, IEEE TCAD 43(7):
2084-2097, 2024; cim-models.md §1).

The mapping stays at full precision (the arrays, tiles and placement of
:func:`cimsim.mapping.mapper.map_network`); a plan lowers precision inside each array:

- **weight bits** ``w < B`` (B: the layer's mapped weight bits): the array's weights are
  rounded to their ``w`` most significant bits, ``round(W / 2^(B-w))``, clamped to the signed
  ``w``-bit range, and encoded at ``w`` bits: the low-order bit slices are dropped (no cells
  read, no columns converted); the result is scaled back by ``2^(B-w)`` digitally;
- **input bits** ``i < I`` (I: the layer's input code bits): the inputs driven into the array
  are rounded to their ``i`` most significant bits, ``round(x / 2^(I-i))``, clamped; the
  low-order input cycles are dropped (bit-serial: ``i`` cycles instead of ``I``);
- **ADC bits** ``b``: the array's read-out resolves ``b`` bits, with the architecture's
  read-out kind (calibrated min-max per array, or a fixed range) and the architecture's ADC
  model evaluated at ``b`` resolved bits (energy and conversion time,
  ``convert(bits_resolved=b)``; assumption: a ``b``-bit ADC of the same design).

Arrays of a layer run in lockstep, so a layer's compute time is that of its slowest array
(:func:`compute_cycles_per_vector`). Arrays are numbered per layer in mapping order: group,
then row tile, then column tile (the order of :class:`cimsim.kernels.layer.ArrayActivity`);
weight duplicates share their original's precision.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cimsim.errors import CimsimError

FIELDS = ("input_bits", "weight_bits", "adc_bits")


def array_keys(lm) -> list[tuple[int, int, int]]:
    """(group, row tile, column tile) of each array of a mapped layer, in plan order."""
    return [(gi, r, c) for gi, g in enumerate(lm.groups) for r in range(g.row_tiles) for c in range(g.col_tiles)]


@dataclass
class PrecisionPlan:
    """Per layer name, an ``(arrays, 3)`` int array of (input bits, weight bits, ADC bits)."""

    layers: dict[str, np.ndarray]

    def layer(self, name: str) -> np.ndarray | None:
        return self.layers.get(name)

    def to_dict(self) -> dict:
        return {n: {f: v[:, k].astype(int).tolist() for k, f in enumerate(FIELDS)} for n, v in self.layers.items()}

    @classmethod
    def from_dict(cls, d: dict, where: str = "precision") -> "PrecisionPlan":
        layers = {}
        for name, entry in d.items():
            try:
                cols = [np.asarray(entry[f], dtype=np.int64).reshape(-1) for f in FIELDS]
            except (KeyError, TypeError, ValueError) as e:
                raise CimsimError(f"{where}: layer '{name}': expected lists {', '.join(FIELDS)} of integers per "
                                  f"array; found {entry!r} ({e})") from None
            if len({c.size for c in cols}) != 1:
                raise CimsimError(f"{where}: layer '{name}': {', '.join(FIELDS)} must have one entry per array each; "
                                  f"found lengths {[c.size for c in cols]}")
            layers[name] = np.stack(cols, axis=1)
        return cls(layers)

    @classmethod
    def uniform(cls, mapping, input_bits: int, weight_bits: int, adc_bits: int) -> "PrecisionPlan":
        return cls({lm.name: np.tile([input_bits, weight_bits, adc_bits], (len(array_keys(lm)), 1))
                    for lm in mapping.layers})

    def check(self, trace, mapping, adc_bits_max: int) -> None:
        """Clear errors for a plan that does not fit the mapped network."""
        by = {layer.name: layer for layer in trace.layers}
        for lm in mapping.layers:
            p = self.layers.get(lm.name)
            if p is None:
                continue
            n = len(array_keys(lm))
            if p.shape != (n, 3):
                raise CimsimError(f"precision plan: layer '{lm.name}' has {n} arrays; the plan gives {p.shape[0]}")
            layer = by[lm.name]
            if layer.kind == "matmul":
                raise CimsimError(f"precision plan: layer '{lm.name}' is a matmul (weights written per sample); "
                                  "array-wise precision applies to conv2d and linear layers")
            for k, (f, top) in enumerate(zip(FIELDS, (layer.input.bits, lm.weight_bits, adc_bits_max))):
                lo = 2 if (f == "input_bits" and layer.input.signed) or f == "weight_bits" else 1
                bad = (p[:, k] < lo) | (p[:, k] > top)
                if bad.any():
                    raise CimsimError(f"precision plan: layer '{lm.name}', array {int(np.flatnonzero(bad)[0])}: "
                                      f"{f} must be in {lo}..{top}; found {int(p[bad, k][0])}")
        unknown = set(self.layers) - {lm.name for lm in mapping.layers}
        if unknown:
            raise CimsimError(f"precision plan: unknown layer(s) {', '.join(sorted(unknown))}; the network's layers "
                              f"are {', '.join(lm.name for lm in mapping.layers)}")


def round_to_bits(v: np.ndarray, bits_from: int, bits_to: int, signed: bool) -> tuple[np.ndarray, int]:
    """Integer codes of ``bits_from`` bits rounded to their ``bits_to`` most significant bits:
    ``(q, shift)`` with ``q = clamp(floor(v / 2^shift + 1/2))`` in the ``bits_to``-bit range
    and ``v ~ q * 2^shift``."""
    shift = max(0, bits_from - bits_to)
    v = np.asarray(v, dtype=np.int64)
    if shift == 0:
        return v, 0
    q = (v + (1 << (shift - 1))) >> shift
    lo, hi = (-(1 << (bits_to - 1)), (1 << (bits_to - 1)) - 1) if signed else (0, (1 << bits_to) - 1)
    return np.clip(q, lo, hi), shift


def input_cycles(bits: int, signed: bool, bits_per_cycle: int, parallel: bool) -> int:
    """Input cycles of a ``bits``-bit input (bit-serial ``d`` bits per cycle, the sign cycle of
    signed inputs apart; 1 for parallel inputs), as :func:`cimsim.engine.sim.layer_timing`."""
    if parallel:
        return 1
    return (math.ceil((bits - 1) / bits_per_cycle) + 1) if signed else math.ceil(bits / bits_per_cycle)


def array_cycle_cycles(arch, adc_bits: int, columns_converted: int, columns_full: int) -> int:
    """Clock cycles of one read of an array whose ADCs convert ``columns_converted`` of the
    ``columns_full`` digit columns it converts at full precision, at ``adc_bits`` bits:
    ``m (t_read + t_conv)`` (or ``max(t_read, m t_conv)`` with sample and hold), with
    ``m = ceil(M columns_converted / columns_full)`` conversions per ADC (M: columns per ADC,
    the engine's count at full precision; dropped weight slices are not converted)."""
    from cimsim.engine.sim import _cycles

    a = arch.arrays
    f = arch.clock_Hz
    m = max(1, math.ceil(a.columns_per_adc * columns_converted / max(1, columns_full) - 1e-9))
    t_read = _cycles(arch.read_latency_s, f)
    if a.readout.kind == "adc":
        t_conv = _cycles(arch.require("array", "adc").model.convert(bits_resolved=int(adc_bits)).latency_s, f)
    else:
        t_conv = _cycles(arch.conversion_latency_s, f)
    return max(t_read, m * t_conv) if a.sample_and_hold else m * (t_read + t_conv)


def encoded_columns(arch, weight_bits: int, outputs: int) -> int:
    """Digit columns (reference columns included) of ``outputs`` weights at ``weight_bits``."""
    enc = arch.encoding
    c = arch.arrays.bits_per_cell
    probe = enc.encode(np.zeros((1, 1), dtype=np.int64), weight_bits, c)
    return outputs * probe.columns_per_output + enc.reference_columns(weight_bits, c)


def compute_cycles_per_vector(arch, layer, lm, plan_layer: np.ndarray) -> int:
    """The layer's compute service per input vector under a plan: its slowest array
    (lockstep), ``input cycles(i) x row groups x array cycle(b, columns(w))``."""
    a = arch.arrays
    nf = arch.spec.chip.number_format
    row_groups = math.ceil(a.rows / a.active_rows)
    worst = 0
    for (gi, r, c), (ib, wb, bb) in zip(array_keys(lm), plan_layer):
        outs = array_outputs(lm.groups[gi], lm, c).size
        cyc = input_cycles(int(ib), layer.input.signed, nf.input_bits_per_cycle, nf.input_encoding == "parallel")
        worst = max(worst, cyc * row_groups * array_cycle_cycles(
            arch, int(bb), encoded_columns(arch, int(wb), outs), encoded_columns(arch, lm.weight_bits, outs)))
    return worst


def array_outputs(gm, lm, col_tile: int) -> np.ndarray:
    """Indices (into the group's kept outputs) of the weights in column tile ``col_tile``."""
    n = len(gm.cols_kept)
    return np.arange(col_tile * lm.weights_per_array_row, min(n, (col_tile + 1) * lm.weights_per_array_row))


def array_rows(gm, lm, row_tile: int) -> np.ndarray:
    """The row layout (unrolled row index, -1 padding) of row tile ``row_tile``."""
    return gm.row_layout[row_tile * lm.rows_per_array:(row_tile + 1) * lm.rows_per_array]
