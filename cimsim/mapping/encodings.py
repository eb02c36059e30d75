"""Signed-weight encodings: how a signed integer weight becomes unsigned cell digits.

One class per encoding (Huang, Jiang, Yu, "Hardware-aware Quantization/Mapping Strategies
for Compute-in-Memory Accelerators", ACM TODAES 28(3) 2022, §3; cim-models.md §3). Each
turns a weight matrix ``W`` (K rows x N outputs, signed integers of ``B`` bits) into

- ``digits``: an unsigned matrix (K x J) of cell levels in ``[0, 2^c - 1]``, J digit columns;
- ``column_output``: for each digit column, the output (0..N-1) it contributes to;
- ``column_factor``: its signed recombination factor (``+-2^(c*k)``), applied in the
  digital shift-add after read-out;
- ``reference_digit``: per digit column, the level of an analog reference column whose
  current is subtracted before the read-out (offset encoding with a reference column), else 0;
- ``input_correction``: the factor of a digital correction ``factor * sum_r x_r`` added to
  every output (offset encoding corrected digitally), else 0.

so that with a lossless read-out, for every input vector x (K) and output n:

    y[n] = sum_{j: column_output[j] = n} column_factor[j] * sum_r x_r * (digits[r, j] - reference_digit[j])
           + input_correction * sum_r x_r  ==  sum_r x_r * W[r, n]

which :meth:`Encoded.reconstruct` checks. Digit columns of one output are adjacent
(output-major), digits least significant first.

Encodings:

- ``twos_complement``: ``w = -2^(B-1) b_(B-1) + sum_(j<B-1) 2^j b_j``. The B-1 magnitude
  bits are sliced into ``ceil((B-1)/c)`` cells; the sign bit occupies its own column (level 0
  or 1) whose read-out is subtracted with factor ``-2^(B-1)`` in the shift-add. For c = 1
  this is the familiar B columns with the MSB column subtracted.
- ``differential``: ``w = w+ - w-`` with ``w+ = max(w, 0)``, ``w- = max(-w, 0)``; each is
  sliced into ``ceil(M/c)`` cells, M the magnitude bits (B-1, or B when the layer holds
  -2^(B-1)); ``y = sum_k 2^(ck) (Q(col+_k) - Q(col-_k))``. Two column groups per digit.
- ``offset`` (shifted unsigned): store ``w + 2^(B-1)`` in ``ceil(B/c)`` cells; cancel
  ``2^(B-1) sum_r x_r`` either with a reference column holding the digits of ``2^(B-1)``
  whose current is subtracted before the read-out (it also cancels the off-state current
  Gmin), or digitally after it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from cimsim.errors import CimsimError


@dataclass(frozen=True)
class Encoded:
    digits: np.ndarray          # uint8 (K, J)
    column_output: np.ndarray   # int64 (J,)
    column_factor: np.ndarray   # int64 (J,)
    reference_digit: np.ndarray  # int64 (J,)
    input_correction: int
    columns_per_output: int
    bits_per_cell: int
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    def cached(self, key, make):
        """A derived array (e.g. the packed bit planes for a read size), computed once."""
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def reconstruct(self) -> np.ndarray:
        """The integer weights (K, N) this encoding represents (for checks)."""
        n_out = int(self.column_output.max()) + 1 if self.column_output.size else 0
        k = self.digits.shape[0]
        w = np.zeros((k, n_out), dtype=np.int64)
        eff = (self.digits.astype(np.int64) - self.reference_digit[None, :]) * self.column_factor[None, :]
        np.add.at(w.T, self.column_output, eff.T)
        return w + self.input_correction


class WeightEncoding:
    """Base class: see the module docstring for the contract."""

    name: ClassVar[str] = ""

    def columns_per_weight(self, weight_bits: int, bits_per_cell: int) -> int:
        raise NotImplementedError

    def reference_columns(self, weight_bits: int, bits_per_cell: int) -> int:
        """Columns per array given over to reference columns (0 for most encodings)."""
        return 0

    def encode(self, w: np.ndarray, weight_bits: int, bits_per_cell: int) -> Encoded:
        raise NotImplementedError

    @staticmethod
    def _check(w: np.ndarray, weight_bits: int, bits_per_cell: int) -> np.ndarray:
        w = np.asarray(w)
        if w.ndim != 2:
            raise CimsimError(f"weight matrix must be 2-D (rows x outputs); found shape {w.shape}")
        if not np.issubdtype(w.dtype, np.integer):
            raise CimsimError(f"weights must be integers; found dtype {w.dtype}")
        lo, hi = -(2 ** (weight_bits - 1)), 2 ** (weight_bits - 1) - 1
        if w.size and (w.min() < lo or w.max() > hi):
            raise CimsimError(
                f"weights must fit {weight_bits}-bit signed integers [{lo}, {hi}]; found range "
                f"[{int(w.min())}, {int(w.max())}]"
            )
        if not (1 <= bits_per_cell <= 8):
            raise CimsimError(f"bits per cell must be 1 to 8; found {bits_per_cell}")
        return w.astype(np.int64 if weight_bits > 30 else np.int32, copy=False)

    @staticmethod
    def _slice(u: np.ndarray, n_digits: int, c: int) -> list[np.ndarray]:
        mask = (1 << c) - 1
        if u.dtype != np.uint8 and u.size and int(u.min()) >= 0 and int(u.max()) < 256:
            u = u.astype(np.uint8)  # shifts on bytes: a quarter of the memory traffic of int32
        return [((u >> (c * k)) & mask).astype(np.uint8, copy=False) for k in range(n_digits)]

    @staticmethod
    def _interleave(groups: list[list[np.ndarray]], factors: list[list[int]], refs: list[list[int]] | None = None):
        """Stack per-output digit columns output-major: for each output n, all its columns."""
        per_out = sum(len(g) for g in groups)
        k, n = groups[0][0].shape
        # (K, N, per_out) -> (K, N * per_out): contiguous, output-major.
        digits = np.stack([d for g in groups for d in g], axis=-1).reshape(k, n * per_out)
        fac = np.asarray([f for fs in factors for f in fs], dtype=np.int64)
        ref = np.zeros(per_out, dtype=np.int64)
        if refs is not None:
            ref[:] = [r for rs in refs for r in rs]
        column_output = np.repeat(np.arange(n, dtype=np.int64), per_out)
        return digits, column_output, np.tile(fac, n), np.tile(ref, n), per_out


class TwosComplement(WeightEncoding):
    name = "twos_complement"

    def columns_per_weight(self, weight_bits: int, bits_per_cell: int) -> int:
        return math.ceil((weight_bits - 1) / bits_per_cell) + 1 if weight_bits > 1 else 1

    def encode(self, w, weight_bits, bits_per_cell):
        w = self._check(w, weight_bits, bits_per_cell)
        c, b = bits_per_cell, weight_bits
        if b == 1:  # a 1-bit signed weight is just its sign bit: values {-1, 0}
            sign = (w < 0).astype(np.uint8)
            d, o, f, r, per = self._interleave([[sign]], [[-1]])
            return Encoded(d, o, f, r, 0, per, c)
        if b <= 9:  # the word's low byte holds all magnitude bits: work on bytes (less memory traffic)
            w8 = w.astype(np.uint8)           # w mod 256: the low byte of the 2's complement word
            u = w8 & np.uint8((1 << (b - 1)) - 1)
        else:
            u = w & ((1 << (b - 1)) - 1)      # magnitude bits of the 2's complement word
        sign = (w < 0).view(np.uint8)
        n_mag = math.ceil((b - 1) / c)
        mags = self._slice(u, n_mag, c)
        d, o, f, r, per = self._interleave([mags + [sign]], [[2 ** (c * k) for k in range(n_mag)] + [-(2 ** (b - 1))]])
        return Encoded(d, o, f, r, 0, per, c)


class Differential(WeightEncoding):
    name = "differential"

    @staticmethod
    def magnitude_bits(weight_bits: int, w: np.ndarray | None = None) -> int:
        """B-1, or B when the weights reach -2^(B-1) (its magnitude needs B bits)."""
        if w is not None and w.size and int(w.min()) == -(2 ** (weight_bits - 1)):
            return weight_bits
        return max(1, weight_bits - 1)

    def columns_per_weight(self, weight_bits: int, bits_per_cell: int) -> int:
        return 2 * math.ceil(self.magnitude_bits(weight_bits) / bits_per_cell)

    def encode(self, w, weight_bits, bits_per_cell):
        w = self._check(w, weight_bits, bits_per_cell)
        c = bits_per_cell
        m = self.magnitude_bits(weight_bits, w)
        n_dig = math.ceil(m / c)
        pos, neg = np.maximum(w, 0), np.maximum(-w, 0)
        groups = [self._slice(pos, n_dig, c), self._slice(neg, n_dig, c)]
        # Pair each positive digit with its negative twin: columns (+0, -0, +1, -1, ...).
        inter = [x for k in range(n_dig) for x in (groups[0][k], groups[1][k])]
        facs = [s * 2 ** (c * k) for k in range(n_dig) for s in (1, -1)]
        d, o, f, r, per = self._interleave([inter], [facs])
        return Encoded(d, o, f, r, 0, per, c)


class Offset(WeightEncoding):
    """Shifted unsigned: ``correction`` is ``reference_column`` or ``digital``."""

    name = "offset"

    def __init__(self, correction: str = "reference_column"):
        if correction not in ("reference_column", "digital"):
            raise CimsimError(f"offset correction must be 'reference_column' or 'digital'; found {correction!r}")
        self.correction = correction

    def columns_per_weight(self, weight_bits: int, bits_per_cell: int) -> int:
        return math.ceil(weight_bits / bits_per_cell)

    def reference_columns(self, weight_bits: int, bits_per_cell: int) -> int:
        return self.columns_per_weight(weight_bits, bits_per_cell) if self.correction == "reference_column" else 0

    def encode(self, w, weight_bits, bits_per_cell):
        w = self._check(w, weight_bits, bits_per_cell)
        c, b = bits_per_cell, weight_bits
        n_dig = math.ceil(b / c)
        u = w + 2 ** (b - 1)
        digs = self._slice(u, n_dig, c)
        offset = 2 ** (b - 1)
        ref_digits = [(offset >> (c * k)) & ((1 << c) - 1) for k in range(n_dig)]
        facs = [2 ** (c * k) for k in range(n_dig)]
        if self.correction == "reference_column":
            d, o, f, r, per = self._interleave([digs], [facs], [ref_digits])
            return Encoded(d, o, f, r, 0, per, c)
        d, o, f, r, per = self._interleave([digs], [facs])
        return Encoded(d, o, f, r, -offset, per, c)


def get_encoding(name: str, offset_correction: str = "reference_column") -> WeightEncoding:
    if name == "twos_complement":
        return TwosComplement()
    if name == "differential":
        return Differential()
    if name == "offset":
        return Offset(offset_correction)
    raise CimsimError(f"unknown weight encoding {name!r}; expected twos_complement, differential or offset")


ENCODINGS = ("twos_complement", "differential", "offset")
