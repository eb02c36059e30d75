"""Column read-outs: what value leaves a column after its analog sum (cim-models.md §2, §4, §6, §7).

Each read-out is a small dataclass that turns into a numeric *program* the Numba kernel runs:
a mode code plus a parameter table ``prm[i, a, j, :]`` (input cycle i, row group a, digit
column j; any of the first three axes may have length 1 to broadcast), so that granularity
(per layer, per array, per column, per column x input bit) is only a question of the table's
shape. Read-outs that are calibrated from data (min-max, LSQ initialisation, HCiM's
thresholds) take statistics of the ideal partial sums from a first pass.

Modes (all values in partial-sum units, i.e. level units of ``sum_r x_r * d_r``):

- ``IDEAL``: ``q = p``.
- ``UNIFORM``: ``q = lo + clamp(floor((p - lo)/step + 1/2), 0, L-1) * step`` (round half up):
  the clamped N-bit ADC with a fixed range, the min-max (data-calibrated) linear ADC of
  NeuroSim's Python front end, and the learned-scale (LSQ) partial-sum quantizer are all
  this with different ``lo``, ``step`` and ``L = 2^N``.
- ``NONLINEAR``: thresholds ``t_0 < ... < t_(L-2)`` and output values ``v_0..v_(L-1)``;
  ``q = v_k`` with k the number of thresholds ``<= p``.
- ``BINARY`` (HCiM, one sense amplifier): ``t = [p > theta]``, ``q = center + alpha * t``.
- ``TERNARY`` (HCiM, two sense amplifiers): ``t = +1 if p > theta_hi, -1 if p < theta_lo,
  else 0``; ``q = center + alpha * t``. ``center`` (``prm[..., 3]``, default 0) is a per-column
  constant: its share of every output is input-independent and is pre-loaded into the
  accumulator once, so only ``t != 0`` is an operation; the kernel counts those as
  ``nonzero`` (HCiM's DCiM add/subtracts; zero outputs cost nothing downstream).
- ``BFP`` (BFP-CIM range-aware rounding with dynamic block floating point): for an integer
  ``v``, ``e(v) = max(0, bitlen(v if v >= 0 else ~v) - m)``; a block of ``block`` adjacent
  columns of one read shares ``e_blk = max e(v)``; ``q = floor(v / 2^e_blk + 1/2) * 2^e_blk``.
  The ADC resolves ``min(m, bitlen_blk)`` significant bits per conversion (counted).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from cimsim.errors import CimsimError

IDEAL, UNIFORM, NONLINEAR, BINARY, TERNARY, BFP = range(6)
N_PRM = 4
GRANULARITIES = ("layer", "array", "column", "column_cycle")


@dataclass(frozen=True)
class PartialSumStats:
    """Statistics of the ideal analog partial sums of one layer over all samples, per (input
    cycle i, row group a, column j); merged over the cycles (I|1 = 1) and/or row groups (A|1 =
    1) when the read-out said it needs them only merged (:attr:`Readout.stats_axes`)."""

    pmin: np.ndarray   # (I|1, A|1, J)
    pmax: np.ndarray   # (I|1, A|1, J)
    pabs: np.ndarray   # (I|1, A|1, J) sum of |p|
    psum: np.ndarray   # (I|1, A|1, J) sum of p
    count: int         # samples (reads per (i, a, j))
    column_tile: np.ndarray  # (J,) which array (column tile) each digit column is in
    cycles: int        # I, input cycles
    row_groups: int    # A, row groups


def _reduce(stats: PartialSumStats, granularity: str, fn: str) -> np.ndarray:
    """Reduce an (I|1, A|1, J) statistic to the (I|1, A|1, J|1) shape of a granularity."""
    arr = {"min": stats.pmin, "max": stats.pmax, "abs": stats.pabs, "sum": stats.psum}[fn]
    red = {"min": np.min, "max": np.max, "abs": np.sum, "sum": np.sum}[fn]
    if granularity == "layer":
        return red(arr, axis=(0, 1, 2), keepdims=True)
    if granularity == "array":
        out = np.empty((1,) + arr.shape[1:])
        for t in np.unique(stats.column_tile):
            cols = stats.column_tile == t
            out[0][:, cols] = red(red(arr[:, :, cols], axis=0), axis=1, keepdims=True)
        return out
    if granularity == "column":
        return red(arr, axis=0, keepdims=True)
    if granularity == "column_cycle":
        return arr.copy()
    raise CimsimError(f"unknown read-out granularity {granularity!r}; expected one of {', '.join(GRANULARITIES)}")


def _count(stats: PartialSumStats, granularity: str, shape) -> np.ndarray:
    """Number of reads behind each reduced entry."""
    i, a, j = stats.cycles, stats.row_groups, stats.pmin.shape[2]
    n = {"layer": i * a * j, "column": i, "column_cycle": 1}.get(granularity)
    if n is not None:
        return np.full(shape, float(n * stats.count))
    out = np.empty(shape)
    for t in np.unique(stats.column_tile):
        cols = stats.column_tile == t
        out[..., cols] = i * a * cols.sum() * stats.count
    return out


@dataclass(frozen=True)
class Program:
    """What the kernel runs: mode, parameter table and the optional non-linear table."""

    mode: int
    prm: np.ndarray                     # (I|1, A|1, J|1, N_PRM) float64
    table: np.ndarray = field(default_factory=lambda: np.zeros((1, 1), np.float64))  # NONLINEAR: (2, L)
    block: int = 1                      # BFP block size in columns
    mantissa_bits: int = 0              # BFP m


class Readout:
    """Base class. ``needs_stats``: calibrated from a first pass of ideal partial sums."""

    needs_stats = False
    sense_amp = False       # sense amplifiers: zero outputs are skipped downstream
    bits: int | None = None

    @property
    def stats_axes(self) -> tuple[bool, bool]:
        """Whether the calibration statistics must resolve (input cycles, row groups): both
        unless the read-out needs less. Merged statistics need less memory: VGG-8's full
        (I, A, J) accumulators (per thread, 2 threads) total 248 MiB, merged 0.9 MiB."""
        return True, True

    def program(self, stats: PartialSumStats | None, max_psum: float, signed: bool) -> Program:
        raise NotImplementedError


def _const(*values: float) -> np.ndarray:
    prm = np.zeros((1, 1, 1, N_PRM))
    prm[0, 0, 0, : len(values)] = values
    return prm


@dataclass(frozen=True)
class Ideal(Readout):
    """Lossless read-out: the exact column sum (the test every kernel must pass first)."""

    def program(self, stats, max_psum, signed):
        return Program(IDEAL, _const())


def full_precision_bits(rows: int, bits_per_cell: int, input_bits_per_cycle: int) -> int:
    """ADC bits to represent every column sum exactly: ceil(log2(R (2^c-1)(2^d-1) + 1)) (§2)."""
    return math.ceil(math.log2(rows * (2**bits_per_cell - 1) * (2**input_bits_per_cycle - 1) + 1))


@dataclass(frozen=True)
class ClampedADC(Readout):
    """N-bit ADC with a fixed full-scale range.

    Default LSB ``step = 2^(N_full - N)`` partial-sum units (the N most significant of the
    N_full bits a lossless read needs; for N = N_full, exact up to the single all-ones sum),
    range ``[0, (2^N - 1) step]``, or symmetric ``[-2^(N-1), 2^(N-1) - 1] * step`` for signed
    partial sums (reference-column subtraction). ``full_scale`` sets ``step = full_scale/(2^N-1)``.
    """

    bits: int = 8
    full_scale: float | None = None

    def program(self, stats, max_psum, signed):
        n_full = max(1, math.ceil(math.log2(max_psum + 1)))
        if self.full_scale is not None:
            step = self.full_scale / (2**self.bits - 1)
        else:
            step = float(2 ** max(0, n_full - self.bits))
        lo = -(2 ** (self.bits - 1)) * step if signed else 0.0
        return Program(UNIFORM, _const(lo, step, 2**self.bits))


@dataclass(frozen=True)
class MinMaxADC(Readout):
    """Data-calibrated linear ADC (NeuroSim Python front end, ``LinearQuantizeOut``): the
    range ``[min, max]`` of the ideal partial sums at the given granularity, split into
    2^N levels: ``step = (max - min)/(2^N - 1)``."""

    bits: int = 5
    granularity: str = "layer"
    needs_stats = True

    @property
    def stats_axes(self) -> tuple[bool, bool]:
        # min and max of a union are the same whatever the order of merging: only the
        # granularity's own axes are kept (an array's range is per row group: `_reduce`)
        return self.granularity == "column_cycle", self.granularity != "layer"

    def program(self, stats, max_psum, signed):
        lo = _reduce(stats, self.granularity, "min")
        hi = _reduce(stats, self.granularity, "max")
        step = np.where(hi > lo, (hi - lo) / (2**self.bits - 1), 1.0)
        prm = np.zeros(lo.shape + (N_PRM,))
        prm[..., 0], prm[..., 1], prm[..., 2] = lo, step, 2**self.bits
        return Program(UNIFORM, prm)


@dataclass(frozen=True)
class LSQPartialSum(Readout):
    """Learned-step-size partial-sum quantizer (Esser et al., ICLR 2020, LSQ): ``q = clamp(
    round(p/s), Qn, Qp) * s``. ``scale`` given (e.g. from a trace's partial-sum quantizer), or
    initialised from data with LSQ's rule ``s = 2 mean|p| / sqrt(Qp)``."""

    bits: int = 4
    scale: float | None = None
    granularity: str = "layer"
    signed: bool | None = None

    @property
    def needs_stats(self):  # type: ignore[override]
        return self.scale is None

    def program(self, stats, max_psum, signed):
        sgn = signed if self.signed is None else self.signed
        qn, qp = (-(2 ** (self.bits - 1)), 2 ** (self.bits - 1) - 1) if sgn else (0, 2**self.bits - 1)
        if self.scale is not None:
            s = np.full((1, 1, 1), float(self.scale))
        else:
            mean_abs = _reduce(stats, self.granularity, "abs") / _count(stats, self.granularity, _reduce(stats, self.granularity, "abs").shape)
            s = np.maximum(2 * mean_abs / math.sqrt(qp), 1e-12)
        prm = np.zeros(s.shape + (N_PRM,))
        prm[..., 0], prm[..., 1], prm[..., 2] = qn * s, s, qp - qn + 1
        return Program(UNIFORM, prm)


@dataclass(frozen=True)
class NonLinearADC(Readout):
    """ADC with given reference levels: ``thresholds`` (L-1, increasing) and output ``values`` (L)."""

    thresholds: tuple[float, ...] = ()
    values: tuple[float, ...] = ()

    def program(self, stats, max_psum, signed):
        t, v = np.asarray(self.thresholds, float), np.asarray(self.values, float)
        if v.size != t.size + 1 or v.size < 2 or np.any(np.diff(t) <= 0):
            raise CimsimError(
                f"non-linear ADC: expected L output values and L-1 increasing thresholds; found "
                f"{v.size} values and {t.size} thresholds"
            )
        table = np.zeros((2, v.size))
        table[0, : t.size], table[1] = t, v
        return Program(NONLINEAR, _const(float(v.size)), table=table)


@dataclass(frozen=True)
class SenseAmp(Readout):
    """HCiM binary / ternary sense-amplifier read-out (Negi et al., arXiv 2403.13577 §III;
    cim-models.md §6). ``alpha`` (scale factor), ``center`` and thresholds are given, or
    calibrated from the ideal partial sums at ``granularity`` (assumption, HCiM trains them;
    :mod:`workloads.digits_psq` does): centre = mean p, alpha = 2 mean|p - centre| (LSQ-style
    initialisation for one level); ternary levels centre + {-alpha, 0, +alpha} with thresholds
    centre +- alpha/2; binary levels centre +- alpha/2 with threshold centre (so ``center`` of
    the kernel's ``center + alpha t`` is centre - alpha/2). Given values: ``center`` defaults
    to 0 (the plain ``alpha * t`` of cim-models.md §6)."""

    sense_amp = True
    levels: str = "ternary"
    alpha: float | None = None
    theta: float | None = None          # binary
    theta_lo: float | None = None       # ternary
    theta_hi: float | None = None
    granularity: str = "column"
    center: float | None = None

    @property
    def needs_stats(self):  # type: ignore[override]
        return self.alpha is None or (self.levels == "binary" and self.theta is None) or (
            self.levels == "ternary" and (self.theta_lo is None or self.theta_hi is None))

    def program(self, stats, max_psum, signed):
        if self.levels not in ("binary", "ternary"):
            raise CimsimError(f"sense-amp levels must be 'binary' or 'ternary'; found {self.levels!r}")
        if self.needs_stats:
            shape = _reduce(stats, self.granularity, "sum").shape
            n = _count(stats, self.granularity, shape)
            centre = _reduce(stats, self.granularity, "sum") / n
            spread = np.maximum(_reduce(stats, self.granularity, "abs") / n - np.abs(centre), 0.0)
            alpha = np.maximum(2 * spread, 1.0)
        else:
            centre, alpha = np.zeros((1, 1, 1)), np.full((1, 1, 1), float(self.alpha))
        a = np.full(np.broadcast_shapes(centre.shape, alpha.shape), 0.0) + (alpha if self.alpha is None else self.alpha)
        prm = np.zeros(a.shape + (N_PRM,))
        prm[..., 0] = a
        calibrated_centre = self.needs_stats and self.center is None
        if self.levels == "binary":
            prm[..., 1] = centre if self.theta is None else self.theta
            prm[..., 3] = (centre - a / 2) if calibrated_centre else (self.center or 0.0)
            return Program(BINARY, prm)
        prm[..., 1] = centre - a / 2 if self.theta_lo is None else self.theta_lo
        prm[..., 2] = centre + a / 2 if self.theta_hi is None else self.theta_hi
        prm[..., 3] = centre if calibrated_centre else (self.center or 0.0)
        return Program(TERNARY, prm)


class SenseAmpTable(SenseAmp):
    """Sense-amplifier read-out with trained parameters per layer (HCiM's quantization-aware
    training, :mod:`workloads.digits_psq`): for each layer name, ``alpha`` and ``center``
    arrays broadcastable to the kernel's ``(I, A, J)`` table (input cycle, row group, digit
    column). Levels ``center + alpha t``; ternary thresholds ``center +- alpha/2``
    (``t = clamp(round((p - center)/alpha), -1, 1)``), binary threshold ``center + alpha/2``
    (``t = clamp(round((p - center)/alpha), 0, 1)``). A layer without a table is calibrated
    like :class:`SenseAmp`."""

    def __init__(self, levels: str, tables: dict, granularity: str = "column_cycle", label: str = "trained"):
        object.__setattr__(self, "levels", levels)
        for k in ("alpha", "theta", "theta_lo", "theta_hi", "center"):
            object.__setattr__(self, k, None)
        object.__setattr__(self, "granularity", granularity)
        object.__setattr__(self, "tables", {k: (np.asarray(a, float), np.asarray(c, float)) for k, (a, c) in tables.items()})
        object.__setattr__(self, "label", label)
        object.__setattr__(self, "_layer", None)

    def __repr__(self):
        import hashlib

        h = hashlib.sha256()
        for k in sorted(self.tables):
            a, c = self.tables[k]
            h.update(k.encode() + a.tobytes() + c.tobytes())
        return f"SenseAmpTable(levels={self.levels!r}, label={self.label!r}, layers={len(self.tables)}, sha256={h.hexdigest()[:16]})"

    __eq__ = object.__eq__
    __hash__ = object.__hash__

    def for_layer(self, name: str) -> "Readout":
        if name not in self.tables:
            return SenseAmp(self.levels, granularity=self.granularity)
        new = object.__new__(SenseAmpTable)
        new.__dict__.update(self.__dict__)
        object.__setattr__(new, "_layer", name)
        return new

    @property
    def needs_stats(self):  # type: ignore[override]
        return False

    def program(self, stats, max_psum, signed):
        if self._layer is None:
            raise CimsimError("SenseAmpTable: program() needs a layer (call for_layer(name) first)")
        if self.levels not in ("binary", "ternary"):
            raise CimsimError(f"sense-amp levels must be 'binary' or 'ternary'; found {self.levels!r}")
        alpha, center = self.tables[self._layer]
        shape = np.broadcast_shapes(alpha.shape, center.shape)
        if len(shape) != 3:
            raise CimsimError(f"layer '{self._layer}': trained sense-amp tables must have 3 axes (input cycle, "
                              f"row group, digit column); found shape {shape}")
        prm = np.zeros(shape + (N_PRM,))
        prm[..., 0] = alpha
        prm[..., 3] = center
        if self.levels == "binary":
            prm[..., 1] = center + alpha / 2
            return Program(BINARY, prm)
        prm[..., 1] = center - alpha / 2
        prm[..., 2] = center + alpha / 2
        return Program(TERNARY, prm)


@dataclass(frozen=True)
class BFPReadout(Readout):
    """BFP-CIM range-aware rounding with dynamic block floating point (Chang et al.,
    ASP-DAC 2024; cim-models.md §7): ``mantissa_bits`` m kept from each value's first
    toggled bit; ``block`` adjacent columns of one read share the exponent."""

    mantissa_bits: int = 4
    block: int = 8

    def program(self, stats, max_psum, signed):
        if self.mantissa_bits < 1 or self.block < 1:
            raise CimsimError(f"BFP read-out needs mantissa_bits >= 1 and block >= 1; found {self.mantissa_bits}, {self.block}")
        return Program(BFP, _const(), block=self.block, mantissa_bits=self.mantissa_bits)


def rar_reference(values: np.ndarray, m: int, block: int) -> np.ndarray:
    """Plain-Python RAR/BFP on one read's column values (the definition, for tests)."""
    out = np.empty(len(values), dtype=np.int64)
    vals = [int(round(v)) for v in values]
    for b0 in range(0, len(vals), block):
        blk = vals[b0: b0 + block]
        e = max(max(0, (v if v >= 0 else ~v).bit_length() - m) for v in blk)
        for k, v in enumerate(blk):
            out[b0 + k] = ((v + ((1 << e) >> 1)) >> e) << e if e else v
    return out
