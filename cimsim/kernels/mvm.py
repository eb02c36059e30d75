"""Bit-serial, bit-sliced crossbar matrix-vector products, exact, with activity counts.

For one layer's unrolled weight matrix (K rows x N outputs), encoded into unsigned cell
digits (:mod:`cimsim.mapping.encodings`), and integer input vectors x (S x K) streamed
``d`` bits per cycle (cim-models.md §2):

    y[s, n] = sum_i w_i sum_a sum_{j -> n} f_j * Q_(i,a,j)( sum_{r in a} x_(s,r,i) (d_(r,j) - ref_j) + gmin * ones )
              + correction * sum_r x_(s,r)

with ``i`` the input cycle (weight ``w_i = 2^(d i)``, or ``-2^(B-1)`` for the sign cycle of
signed inputs), ``a`` the row group read at once (``rows_active`` rows), ``j`` a digit
column with recombination factor ``f_j`` and reference level ``ref_j``, ``Q`` the column
read-out (:mod:`cimsim.kernels.readout`), and ``gmin * ones`` the off-state current of the
active rows in level units when it is not cancelled.

The column sum ``sum_r x_r d_r`` is computed exactly on bit planes: inputs and cells are
split into 1-bit planes packed 64 rows per uint64 word, and
``sum_r x_r d_r = sum_e sum_b 2^(e+b) popcount(X_e & D_b)``. With a seeded conductance
variation the column sums are real-valued and a dense float path (BLAS per cycle and row
group) replaces the popcount path; both share the read-out and accumulation code.

Activity counted in the same pass (counts, not estimates): active input levels per row
group (``ones``: sum over reads of sum_r x_(r,i)), level sum per column (``sum_r x d``:
the data-dependent part of the column current), non-zero read-out outputs, saturated
conversions, and bits resolved (BFP).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import get_num_threads, njit, prange

from cimsim.errors import CimsimError
from cimsim.kernels.jit import target_ready
from cimsim.kernels.popcount import pack_rows, popcount64
from cimsim.kernels.readout import (BFP, BINARY, IDEAL, NONLINEAR, TERNARY, UNIFORM, Ideal,
                                    PartialSumStats, Program, Readout)
from cimsim.mapping.encodings import Encoded

# ----------------------------------------------------------------------------------------
# Read-out, shared by both paths


@njit(cache=True, inline="always")
def _bitlen(v):
    n = 0
    while v > 0:
        v >>= 1
        n += 1
    return n


@njit(cache=True)
def _readout(p, q, i, a, mode, prm, table, block, m, nz, clip, rbits):
    """Apply the read-out to one read's column values p (J) into q; count activity."""
    J = p.shape[0]
    pi = i if prm.shape[0] > 1 else 0
    pa = a if prm.shape[1] > 1 else 0
    pj = prm.shape[2] > 1
    if mode == IDEAL:
        for j in range(J):
            q[j] = p[j]
    elif mode == UNIFORM:
        # Branch-free so the loop vectorises: k = floor((p - lo)/step + 1/2) clamped to [0, L-1].
        if pj:
            for j in range(J):
                lo = prm[pi, pa, j, 0]
                step = prm[pi, pa, j, 1]
                top = prm[pi, pa, j, 2] - 1.0
                k = np.floor((p[j] - lo) / step + 0.5)
                clip[j] += (k < 0.0) | (k > top)
                q[j] = lo + min(max(k, 0.0), top) * step
        else:
            lo = prm[pi, pa, 0, 0]
            step = prm[pi, pa, 0, 1]
            top = prm[pi, pa, 0, 2] - 1.0
            for j in range(J):
                k = np.floor((p[j] - lo) / step + 0.5)
                clip[j] += (k < 0.0) | (k > top)
                q[j] = lo + min(max(k, 0.0), top) * step
    elif mode == NONLINEAR:
        L = int(prm[pi, pa, 0, 0])
        for j in range(J):
            k = 0
            while k < L - 1 and table[0, k] <= p[j]:
                k += 1
            q[j] = table[1, k]
    elif mode == BINARY:
        # q = center + alpha * t, t in {0, 1}; the centre (prm[..., 3]) is a per-column constant
        # pre-loaded into the accumulator, so only t != 0 is an operation (counted here).
        for j in range(J):
            jj = j if pj else 0
            if p[j] > prm[pi, pa, jj, 1]:
                q[j] = prm[pi, pa, jj, 3] + prm[pi, pa, jj, 0]
                nz[j] += 1
            else:
                q[j] = prm[pi, pa, jj, 3]
        return
    elif mode == TERNARY:
        # q = center + alpha * t, t in {-1, 0, +1}; zero t costs nothing downstream (HCiM).
        for j in range(J):
            jj = j if pj else 0
            if p[j] > prm[pi, pa, jj, 2]:
                q[j] = prm[pi, pa, jj, 3] + prm[pi, pa, jj, 0]
                nz[j] += 1
            elif p[j] < prm[pi, pa, jj, 1]:
                q[j] = prm[pi, pa, jj, 3] - prm[pi, pa, jj, 0]
                nz[j] += 1
            else:
                q[j] = prm[pi, pa, jj, 3]
        return
    elif mode == BFP:
        for b0 in range(0, J, block):
            b1 = min(J, b0 + block)
            e = 0
            blen = 0
            for j in range(b0, b1):
                v = np.int64(math.floor(p[j] + 0.5))
                u = v if v >= 0 else ~v
                bl = _bitlen(u)
                if bl > blen:
                    blen = bl
                if bl - m > e:
                    e = bl - m
            half = (np.int64(1) << e) >> 1
            for j in range(b0, b1):
                v = np.int64(math.floor(p[j] + 0.5))
                if e > 0:
                    q[j] = float(((v + half) >> e) << e)
                else:
                    q[j] = float(v)
                rbits[j] += min(m, max(blen, 1))
    for j in range(J):
        nz[j] += q[j] != 0.0


@njit(cache=True, inline="always")
def _stat_into(v, j, mn, mx, sb, sm):
    """Partial-sum statistics of column j: min, max, sum |p|, sum p."""
    mn[j] = min(mn[j], v)
    mx[j] = max(mx[j], v)
    sb[j] += abs(v)
    sm[j] += v


@njit(cache=True, inline="always")
def _stats(p, i, a, smin, smax, sabs, ssum):
    mn, mx, sb, sm = smin[i, a], smax[i, a], sabs[i, a], ssum[i, a]
    for j in range(p.shape[0]):
        _stat_into(p[j], j, mn, mx, sb, sm)


@njit(cache=True, inline="always")
def _uniform_params(prm, i, a):
    """A uniform read-out's (lo, step, 1/step, top level, step is a power of two) for cycle i
    and row group a (one parameter set for all columns)."""
    pi = i if prm.shape[0] > 1 else 0
    pa = a if prm.shape[1] > 1 else 0
    step = prm[pi, pa, 0, 1]
    return prm[pi, pa, 0, 0], step, 1.0 / step, prm[pi, pa, 0, 2] - 1.0, math.frexp(step)[0] == 0.5


@njit(cache=True, inline="always")
def _uniform_into(x, j, lo, step, inv, top, pow2, clip, nz, col, fw):
    """Clamped uniform conversion of column value ``x`` (level ``k = round((x - lo)/step)`` in
    ``[0, top]``), counting saturation and non-zero output, accumulated into ``col[j]``. With a
    power-of-two LSB, ``x * (1/step)`` is exactly ``x / step`` and avoids the divide."""
    if pow2:
        k = np.floor((x - lo) * inv + 0.5)
    else:
        k = np.floor((x - lo) / step + 0.5)
    kc = min(max(k, 0.0), top)
    clip[j] += k != kc
    v = lo + kc * step
    nz[j] += v != 0.0
    col[j] += fw[j] * v


# ----------------------------------------------------------------------------------------
# Exact popcount path


@njit(cache=True, parallel=True)
def _mvm_packed(xpk, dpk, ref, out_idx, factor, slice_w, gmin, mode, prm, table, block, m,
                n_out, n_chunks, collect, stat_cycles, stat_groups):
    """xpk: (S, I, E, A, Wd) input bit planes; dpk: (A, C, Wd, J) cell bit planes, J innermost
    so the popcount loop over columns vectorises (AVX-512 VPOPCNTQ where available).

    Ideal and uniform read-outs with one parameter set per (cycle, row group) run fused in
    the column loop; the others go through :func:`_readout`. Input and column level sums are
    not counted here: they are exact linear functions of the inputs, computed outside.

    ``collect``: the statistics pass of a calibrated read-out (ideal read-out, ``mode ==
    IDEAL``): only the partial-sum statistics ``smin, smax, sabs, ssum`` are its result; on
    the one-pass fast path ``y`` and the counters are then left at zero. They are kept per
    (thread, cycle, row group, column), merged over the cycles unless ``stat_cycles`` and
    over the row groups unless ``stat_groups`` (index 0 of that axis)."""
    S, I, E, A, Wd = xpk.shape
    C, J = dpk.shape[1], dpk.shape[3]
    y = np.zeros((S, n_out))
    nz = np.zeros((n_chunks, A, J), np.int64)
    clip = np.zeros((n_chunks, A, J), np.int64)
    rbits = np.zeros((n_chunks, A, J), np.int64)
    si = I if collect and stat_cycles else 1
    sa = A if collect and stat_groups else 1
    sj = J if collect else 1
    smin = np.full((n_chunks, si, sa, sj), np.inf)
    smax = np.full((n_chunks, si, sa, sj), -np.inf)
    sabs = np.zeros((n_chunks, si, sa, sj))
    ssum = np.zeros((n_chunks, si, sa, sj))
    fused = (mode == IDEAL or mode == UNIFORM) and prm.shape[2] == 1 and (mode == IDEAL or not collect)
    # Work items are (row group, sample) pairs, split evenly over the threads (so a layer
    # with one input vector, like a classifier, still uses every core), row-group-major so
    # that consecutive items reuse the same cell planes; each thread keeps its own output
    # rows and adds them at the end.
    n_items = S * A
    chunk = (n_items + n_chunks - 1) // n_chunks
    yt = np.zeros((n_chunks, S, n_out))
    single = E == 1 and Wd == 2 and (C == 1 or C == 2)   # the one-pass fast path applies
    # the one-pass fast path: the ideal read-out (also the statistics pass) or a uniform one
    # with one parameter set per (cycle, row group)
    one_pass = single and (mode == IDEAL or (mode == UNIFORM and prm.shape[2] == 1 and not collect))
    stats_only = one_pass and collect
    fwi = np.empty((I, J))             # recombination factor x input-cycle weight, per cycle
    for i in range(I):
        for j in range(J):
            fwi[i, j] = slice_w[i] * factor[j]
    for t in prange(n_chunks):
        p = np.empty(J)
        q = np.empty(J)
        acc = np.empty(J, np.int64)
        col = np.empty(J)
        cl = clip[t]
        yy = yt[t]
        for item in range(t * chunk, min(n_items, (t + 1) * chunk)):
            a = item // S
            s = item - a * S
            col[:] = 0.0
            for i in range(I):
                fw = fwi[i]
                ones = 0
                for e in range(E):
                    cnt = 0
                    for w in range(Wd):
                        cnt += popcount64(xpk[s, i, e, a, w])
                    ones += cnt << e
                if one_pass:
                    # 1-bit drives, 65..128 rows, 1- or 2-bit cells: popcounts, recombination
                    # and the ideal or uniform read-out in one pass over the columns
                    x0 = xpk[s, i, 0, a, 0]
                    x1 = xpk[s, i, 0, a, 1]
                    r00 = dpk[a, 0, 0]
                    r01 = dpk[a, 0, 1]
                    r10 = dpk[a, C - 1, 0]
                    r11 = dpk[a, C - 1, 1]
                    hi_w = np.int64(2 if C == 2 else 0)
                    off = gmin * ones
                    za = nz[t, a]
                    if collect:
                        # the statistics pass: only min, max, sum |p| and sum p
                        ii, aa = min(i, si - 1), min(a, sa - 1)
                        mn, mx, sb, sm = smin[t, ii, aa], smax[t, ii, aa], sabs[t, ii, aa], ssum[t, ii, aa]
                        for j in range(J):
                            lv = (np.int64(popcount64(x0 & r00[j]) + popcount64(x1 & r01[j]))
                                  + hi_w * np.int64(popcount64(x0 & r10[j]) + popcount64(x1 & r11[j])))
                            v = (lv - ref[j] * ones) + off
                            _stat_into(v, j, mn, mx, sb, sm)
                    elif mode == IDEAL:
                        for j in range(J):
                            lv = (np.int64(popcount64(x0 & r00[j]) + popcount64(x1 & r01[j]))
                                  + hi_w * np.int64(popcount64(x0 & r10[j]) + popcount64(x1 & r11[j])))
                            v = (lv - ref[j] * ones) + off
                            za[j] += v != 0.0
                            col[j] += fw[j] * v
                    else:
                        lo, step, inv, top, pow2 = _uniform_params(prm, i, a)
                        ca = cl[a]
                        for j in range(J):
                            lv = (np.int64(popcount64(x0 & r00[j]) + popcount64(x1 & r01[j]))
                                  + hi_w * np.int64(popcount64(x0 & r10[j]) + popcount64(x1 & r11[j])))
                            _uniform_into((lv - ref[j] * ones) + off, j, lo, step, inv, top, pow2, ca, za, col, fw)
                    continue
                acc[:] = 0
                if ones != 0:
                    for e in range(E):
                        if Wd == 2:  # 65..128 rows per read: both words in one pass
                            x0 = xpk[s, i, e, a, 0]
                            x1 = xpk[s, i, e, a, 1]
                            for b in range(C):
                                r0 = dpk[a, b, 0]
                                r1 = dpk[a, b, 1]
                                sh = e + b
                                for j in range(J):
                                    acc[j] += (popcount64(x0 & r0[j]) + popcount64(x1 & r1[j])) << sh
                            continue
                        for w in range(Wd):
                            xv = xpk[s, i, e, a, w]
                            if xv == 0:
                                continue
                            for b in range(C):
                                row = dpk[a, b, w]
                                sh = e + b
                                for j in range(J):
                                    acc[j] += popcount64(xv & row[j]) << sh
                off = gmin * ones
                if fused:
                    za = nz[t, a]
                    if mode == IDEAL and collect:
                        ii, aa = min(i, si - 1), min(a, sa - 1)
                        mn, mx, sb, sm = smin[t, ii, aa], smax[t, ii, aa], sabs[t, ii, aa], ssum[t, ii, aa]
                        for j in range(J):
                            v = (acc[j] - ref[j] * ones) + off
                            za[j] += v != 0.0
                            col[j] += fw[j] * v
                            _stat_into(v, j, mn, mx, sb, sm)
                    elif mode == IDEAL:
                        for j in range(J):
                            v = (acc[j] - ref[j] * ones) + off
                            za[j] += v != 0.0
                            col[j] += fw[j] * v
                    else:
                        lo, step, inv, top, pow2 = _uniform_params(prm, i, a)
                        ca = cl[a]
                        for j in range(J):
                            _uniform_into((acc[j] - ref[j] * ones) + off, j, lo, step, inv, top, pow2, ca, za, col, fw)
                    continue
                for j in range(J):
                    p[j] = (acc[j] - ref[j] * ones) + off
                if collect:
                    _stats(p, min(i, si - 1), min(a, sa - 1), smin[t], smax[t], sabs[t], ssum[t])
                _readout(p, q, i, a, mode, prm, table, block, m, nz[t, a], cl[a], rbits[t, a])
                for j in range(J):
                    col[j] += fw[j] * q[j]
            if stats_only:
                continue
            ys = yy[s]
            for j in range(J):
                ys[out_idx[j]] += col[j]
    for t in range(n_chunks):
        y += yt[t]
    return y, nz, clip, rbits, smin, smax, sabs, ssum


# ----------------------------------------------------------------------------------------
# Dense float path (conductance variation)


@njit(cache=True, parallel=True)
def _readout_dense(P, out_idx, factor, wi, i, a, mode, prm, table, block, m, y, nz, clip, rbits,
                   collect, smin, smax, sabs, ssum, n_chunks):
    S, J = P.shape
    chunk = (S + n_chunks - 1) // n_chunks
    for t in prange(n_chunks):
        q = np.empty(J)
        p = np.empty(J)
        for s in range(t * chunk, min(S, (t + 1) * chunk)):
            for j in range(J):
                p[j] = P[s, j]
            if collect:
                _stats(p, i, a, smin[t], smax[t], sabs[t], ssum[t])
            _readout(p, q, i, a, mode, prm, table, block, m, nz[t, a], clip[t, a], rbits[t, a])
            for j in range(J):
                if q[j] != 0.0:
                    y[s, out_idx[j]] += wi * factor[j] * q[j]


# ----------------------------------------------------------------------------------------
# Python API


@dataclass(frozen=True)
class DeviceEffects:
    """Analog non-idealities of resistive cells (cim-models.md §3).

    Attributes:
        r_on_ohm, r_off_ohm: on/off resistance; a cell at level d has conductance
            ``G = Gmin + d (Gmax - Gmin)/(2^c - 1)`` with Gmin = 1/r_off, Gmax = 1/r_on.
        cancel_gmin: a reference column of Gmin cells subtracts the off-state current
            ``Gmin * active rows`` before the read-out (True), or the read-out carries it (False).
        variation_sigma: relative standard deviation of each cell's conductance (Gaussian,
            multiplicative, clipped at 0); 0 disables it.
        seed: seed of the variation draw (same seed, same cells, same results).
    """

    r_on_ohm: float = 6e3
    r_off_ohm: float = 900e3
    cancel_gmin: bool = True
    variation_sigma: float = 0.0
    seed: int = 0

    def gmin_levels(self, bits_per_cell: int) -> float:
        """Gmin in level units: Gmin / ((Gmax - Gmin)/(2^c - 1))."""
        gmin, gmax = 1.0 / self.r_off_ohm, 1.0 / self.r_on_ohm
        return gmin / ((gmax - gmin) / (2**bits_per_cell - 1))


@dataclass(frozen=True)
class InputSlices:
    """Integer inputs split into bit-serial cycles.

    Unsigned B-bit inputs: ``ceil(B/d)`` cycles of d bits, weights ``2^(d i)``. Signed inputs:
    the B-1 magnitude bits of the 2's complement word in ``ceil((B-1)/d)`` cycles, then one
    sign cycle (a 1-bit drive) weighted ``-2^(B-1)``.
    """

    x: np.ndarray            # int64 (S, K), validated
    bits: int
    signed: bool
    bits_per_cycle: int
    weights: np.ndarray      # int64 (I,)

    @property
    def k(self) -> int:
        return self.x.shape[1]

    @property
    def magnitude_bits(self) -> int:
        return self.bits - 1 if self.signed else self.bits

    @property
    def magnitude_cycles(self) -> int:
        mb = self.magnitude_bits
        return math.ceil(mb / self.bits_per_cycle) if mb > 0 else 0

    @property
    def cycles(self) -> int:
        return len(self.weights)

    @property
    def slices(self) -> np.ndarray:
        """uint8 (I, S, K): the value driven in each cycle, in [0, 2^d)."""
        d, mb = self.bits_per_cycle, self.magnitude_bits
        u = self.x & ((1 << mb) - 1) if mb > 0 else np.zeros_like(self.x)
        sl = [((u >> (d * i)) & ((1 << d) - 1)).astype(np.uint8) for i in range(self.magnitude_cycles)]
        if self.signed:
            sl.append((self.x < 0).astype(np.uint8))
        return np.stack(sl)

    @classmethod
    def make(cls, x: np.ndarray, bits: int, signed: bool, bits_per_cycle: int = 1) -> "InputSlices":
        x = np.asarray(x)
        if x.ndim != 2 or not np.issubdtype(x.dtype, np.integer):
            raise CimsimError(f"inputs must be a 2-D integer array (samples x rows); found {x.dtype} {x.shape}")
        d = bits_per_cycle
        lo, hi = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2**bits - 1)
        if x.size and (x.min() < lo or x.max() > hi):
            raise CimsimError(
                f"inputs must fit {bits}-bit {'signed' if signed else 'unsigned'} integers [{lo}, {hi}]; "
                f"found range [{int(x.min())}, {int(x.max())}]"
            )
        mag_bits = bits - 1 if signed else bits
        n = math.ceil(mag_bits / d) if mag_bits > 0 else 0
        w = [1 << (d * i) for i in range(n)]
        if signed:
            w.append(-(1 << (bits - 1)))
        return cls(np.ascontiguousarray(x, dtype=np.int64), bits, signed, d, np.asarray(w, dtype=np.int64))


@dataclass
class MVMResult:
    y: np.ndarray                  # (S, N) float64; exact integers for lossless read-outs
    ones: np.ndarray               # (A,) sum over reads of active input levels per row group
    levels: np.ndarray             # (A, J) sum over reads of sum_r x d per column
    nonzero: np.ndarray            # (A, J) reads whose output was non-zero
    clipped: np.ndarray            # (A, J) conversions that saturated
    resolved_bits: np.ndarray      # (A, J) sum of ADC bits resolved (BFP)
    reads: int                     # reads per (row group, column): samples x input cycles
    input_cycles: int
    stats: PartialSumStats | None = None


def _threads() -> int:
    return max(1, get_num_threads())


_BYTE_LSBS = np.uint64(0x0101010101010101)
_GATHER8 = np.uint64(0x0102040810204080)   # sum_i (bit i of byte i) moved to bit 56 + i


@njit(cache=True, parallel=True)
def _pack_x(x, mag_bits, n_mag, signed, d, rows_active, A, Wd):
    """Integer inputs (S, K) straight to packed bit planes (S, I, E, A, Wd): cycle i < n_mag
    carries magnitude bits d*i .. d*i+d-1 (plane e = bit d*i+e); the last cycle of a signed
    input carries its sign bit in plane 0. Each 64-row word is built in registers."""
    S, K = x.shape
    I = n_mag + (1 if signed else 0)
    out = np.zeros((S, I, d, A, Wd), np.uint64)
    mask = (np.int64(1) << mag_bits) - 1
    nb = n_mag * d
    for s in prange(S):
        words = np.empty(nb + 1, np.uint64)
        for a in range(A):
            for w in range(Wd):
                r0 = a * rows_active + 64 * w
                r1 = min(a * rows_active + min(64 * (w + 1), rows_active), K)
                if r0 >= r1:
                    continue
                words[:] = 0
                r8 = r0
                if nb <= 8:
                    # 8 rows at a time: their 8-bit codes side by side in one word, then each
                    # bit plane's 8 bits gathered by one multiply (bit k of byte i -> bit i)
                    while r8 + 8 <= r1:
                        cw = np.uint64(0)
                        sw = np.uint64(0)
                        for b in range(8):
                            v = x[s, r8 + b]
                            cw |= np.uint64(v & mask) << np.uint64(8 * b)
                            if signed and v < 0:
                                sw |= np.uint64(1) << np.uint64(8 * b)
                        sh = np.uint64(r8 - r0)
                        for k in range(nb):
                            t = (cw >> np.uint64(k)) & _BYTE_LSBS
                            words[k] |= ((t * _GATHER8) >> np.uint64(56)) << sh
                        if signed:
                            words[nb] |= ((sw * _GATHER8) >> np.uint64(56)) << sh
                        r8 += 8
                for r in range(r8, r1):
                    v = x[s, r]
                    u = np.uint64(v & mask)
                    pos = np.uint64(r - r0)
                    for k in range(nb):
                        words[k] |= ((u >> np.uint64(k)) & np.uint64(1)) << pos
                    if signed and v < 0:
                        words[nb] |= np.uint64(1) << pos
                for i in range(n_mag):
                    for e in range(d):
                        out[s, i, e, a, w] = words[i * d + e]
                if signed:
                    out[s, n_mag, 0, a, w] = words[nb]
    return out


def _pack_inputs(sl: "InputSlices", rows_active: int) -> tuple[np.ndarray, int]:
    A = -(-sl.k // rows_active)
    Wd = -(-rows_active // 64)
    return _pack_x(sl.x, sl.magnitude_bits, sl.magnitude_cycles, sl.signed, sl.bits_per_cycle,
                   rows_active, A, Wd), A


@njit(cache=True, parallel=True)
def _pack_digit_planes(digits, rows_active, A, C):
    """Cell digits (K, J) -> bit planes (A, C, Wd, J): row r of row group a at bit r % 64 of
    word (r - a R) // 64 of plane b = bit b of the digit."""
    K, J = digits.shape
    Wd = (rows_active + 63) // 64
    out = np.zeros((A, C, Wd, J), np.uint64)
    for a in prange(A):
        for r in range(a * rows_active, min(K, (a + 1) * rows_active)):
            rr = r - a * rows_active
            w = rr >> 6
            bit = np.uint64(1) << np.uint64(rr & 63)
            dr = digits[r]
            for b in range(C):
                plane = out[a, b, w]
                for j in range(J):
                    if (dr[j] >> b) & 1:
                        plane[j] |= bit
    return out


def _pack_digits(enc: Encoded, rows_active: int, A: int) -> np.ndarray:
    return _pack_digit_planes(np.ascontiguousarray(enc.digits), rows_active, A, enc.bits_per_cell)


def crossbar_mvm(x: np.ndarray, enc: Encoded, *, input_bits: int, input_signed: bool,
                 rows_active: int, bits_per_cycle: int = 1, readout: Readout | None = None,
                 device: DeviceEffects | None = None, column_tile: np.ndarray | None = None) -> MVMResult:
    """Simulate one layer's arrays on input vectors ``x`` (S x K); see the module docstring.

    Args:
        x: integer inputs, one row per input vector (an output pixel of a convolution).
        enc: the encoded weights (K x J digit columns).
        input_bits, input_signed, bits_per_cycle: the input format (§2).
        rows_active: rows summed in one read (the row group; row tiles of the mapping are
            multiples of it).
        readout: the column read-out; default :class:`Ideal`.
        device: analog effects; default none (ideal cells, Gmin cancelled).
        column_tile: for each digit column, the array (column tile) it sits in; used by
            per-array read-out granularity. Default: all in one.
    """
    readout = readout or Ideal()
    sl = InputSlices.make(x, input_bits, input_signed, bits_per_cycle)
    K = enc.digits.shape[0]
    if sl.k != K:
        raise CimsimError(f"inputs have {sl.k} rows but the weights have {K}")
    J = enc.digits.shape[1]
    n_out = int(enc.column_output.max()) + 1 if J else 0
    c, d = enc.bits_per_cell, bits_per_cycle
    gmin = 0.0
    if device is not None and not device.cancel_gmin:
        gmin = device.gmin_levels(c)
    max_psum = float(rows_active * (2**c - 1) * (2**d - 1)) + gmin * rows_active * (2**d - 1)
    signed_psum = bool(np.any(enc.reference_digit != 0))
    col_tile = np.zeros(J, dtype=np.int64) if column_tile is None else np.asarray(column_tile, dtype=np.int64)
    stats = None
    if readout.needs_stats:
        axes = readout.stats_axes
        pmin, pmax, pabs, psum = _run(sl, enc, rows_active, Ideal().program(None, max_psum, signed_psum), device,
                                      gmin, stats_axes=axes)
        stats = PartialSumStats(pmin, pmax, pabs, psum, sl.x.shape[0], col_tile, cycles=sl.cycles,
                                row_groups=-(-K // rows_active))
    prog = readout.program(stats, max_psum, signed_psum)
    res = _run(sl, enc, rows_active, prog, device, gmin)
    corr = enc.input_correction
    y = res.y
    if corr:
        y = y + float(corr) * np.asarray(x, dtype=np.float64).sum(axis=1, keepdims=True)
    res.y = y
    res.stats = stats
    return res


def _run(sl: InputSlices, enc: Encoded, rows_active: int, prog: Program, device, gmin: float,
         stats_axes: tuple[bool, bool] | None = None):
    """One pass of the arrays: the :class:`MVMResult`; or, with ``stats_axes`` (the statistics
    pass of a calibrated read-out, run with the ideal read-out), the ideal partial sums' (min,
    max, sum |p|, sum p) over all samples per (cycle, row group, column), merged over the
    cycles and/or row groups where ``stats_axes`` (see :attr:`Readout.stats_axes`) says they
    need not be resolved (that axis has length 1), and nothing else."""
    target_ready()
    collect = stats_axes is not None
    cycles, groups = stats_axes or (True, True)
    I, (S, K) = sl.cycles, sl.x.shape
    J = enc.digits.shape[1]
    n_out = int(enc.column_output.max()) + 1 if J else 0
    T = min(_threads(), max(1, S * -(-K // rows_active)))
    ref = enc.reference_digit.astype(np.float64)
    out_idx = enc.column_output.astype(np.int64)
    factor = enc.column_factor.astype(np.float64)
    slice_w = sl.weights.astype(np.float64)
    prm = np.ascontiguousarray(prog.prm, dtype=np.float64)
    table = np.ascontiguousarray(prog.table, dtype=np.float64)
    if device is None or device.variation_sigma == 0.0:
        xpk, A = _pack_inputs(sl, rows_active)
        dpk = enc.cached(("packed", rows_active), lambda: _pack_digits(enc, rows_active, A))
        out = _mvm_packed(xpk, dpk, ref, out_idx, factor, slice_w, gmin, prog.mode, prm, table,
                          prog.block, prog.mantissa_bits, n_out, T, collect, cycles, groups)
        y, nz, clip, rb, smin, smax, sabs, ssum = out
        if collect:
            return _merge_stats(smin, smax, sabs, ssum, cycles, groups)
        ones, lv = _level_sums(sl, enc, rows_active, A)
        return MVMResult(y, ones, lv, nz.sum(0), clip.sum(0), rb.sum(0), S * I, I)
    res, (smin, smax, sabs, ssum) = _run_dense(sl, enc, rows_active, prog, device, gmin, collect, T,
                                               ref, out_idx, factor, slice_w, prm, table, n_out)
    if collect:
        return _merge_stats(smin, smax, sabs, ssum, cycles, groups)
    return res


def _merge_stats(smin, smax, sabs, ssum, cycles: bool, groups: bool):
    """Per-thread (T, I|1, A|1, J) statistics -> (I|1, A|1, J): merged over the threads, and
    over the cycles / row groups not to be resolved (a no-op where the kernel already did)."""
    axes = (0,) + tuple(ax for ax, keep in ((1, cycles), (2, groups)) if not keep)
    out = (smin.min(axes, keepdims=True), smax.max(axes, keepdims=True), sabs.sum(axes, keepdims=True),
           ssum.sum(axes, keepdims=True))
    return tuple(o[0] for o in out)


def _level_sums(sl: InputSlices, enc: Encoded, rows_active: int, A: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact activity sums, linear in the inputs: per row group, the driven input levels summed
    over reads (``sum_(s,i,r in a) x_(s,i,r)``), and per (row group, column) the level sum
    ``sum_(s,i) sum_(r in a) x_(s,i,r) d_(r,j)`` = (per-row input totals) . digits."""
    tot = _row_level_totals(sl.x, sl.magnitude_bits, sl.magnitude_cycles, sl.signed, sl.bits_per_cycle)
    return _group_level_sums(tot, enc.digits, rows_active, A)


@njit(cache=True)
def _group_level_sums(tot, digits, rows_active, A):
    K, J = digits.shape
    ones = np.zeros(A, np.int64)
    lv = np.zeros((A, J), np.int64)
    for r in range(K):
        t = tot[r]
        if t == 0:
            continue
        a = r // rows_active
        ones[a] += t
        la = lv[a]
        dr = digits[r]
        for j in range(J):
            la[j] += t * dr[j]
    return ones, lv


@njit(cache=True, parallel=True)
def _row_level_totals(x, mag_bits, n_mag, signed, d):
    """Per row r: sum over samples and cycles of the level driven (the slice value)."""
    S, K = x.shape
    mask = (np.int64(1) << mag_bits) - 1
    dm = (np.int64(1) << d) - 1
    T = min(S, 16)
    part = np.zeros((T, K), np.int64)
    chunk = (S + T - 1) // T
    for t in prange(T):
        pt = part[t]
        for s in range(t * chunk, min(S, (t + 1) * chunk)):
            for r in range(K):
                v = x[s, r]
                u = v & mask
                if d == 1:
                    tot = np.int64(popcount64(np.uint64(u)))
                else:
                    tot = 0
                    for i in range(n_mag):
                        tot += (u >> (d * i)) & dm
                if signed and v < 0:
                    tot += 1
                pt[r] += tot
    return part.sum(axis=0)


def _run_dense(sl, enc, rows_active, prog, device, gmin, collect, T, ref, out_idx, factor, slice_w, prm, table, n_out):
    slices = sl.slices
    I, S, K = slices.shape
    J = enc.digits.shape[1]
    A = -(-K // rows_active)
    c = enc.bits_per_cell
    rng = np.random.default_rng(device.seed)
    g_levels = device.gmin_levels(c)
    # Cell conductance in level units, with multiplicative Gaussian variation.
    g = (g_levels + enc.digits.astype(np.float64)) * np.maximum(0.0, 1.0 + device.variation_sigma * rng.standard_normal((K, J)))
    # Reference subtraction (offset encoding) and, when cancelled, the nominal Gmin.
    g -= ref[None, :] + (g_levels if device.cancel_gmin else 0.0)
    y = np.zeros((S, n_out))
    nz = np.zeros((T, A, J), np.int64)
    clip = np.zeros((T, A, J), np.int64)
    rb = np.zeros((T, A, J), np.int64)
    ones = np.zeros(A, np.int64)
    lv = np.zeros((A, J), np.int64)
    shp = (T, I, A, J) if collect else (T, 1, 1, 1)
    smin, smax = np.full(shp, np.inf), np.full(shp, -np.inf)
    sabs, ssum = np.zeros(shp), np.zeros(shp)
    digits = enc.digits.astype(np.float64)
    for i in range(I):
        xs = slices[i].astype(np.float64)
        for a in range(A):
            r0, r1 = a * rows_active, min(K, (a + 1) * rows_active)
            xa = xs[:, r0:r1]
            P = xa @ g[r0:r1]
            ones[a] += int(xa.sum())
            lv[a] += (xa @ digits[r0:r1]).sum(0).astype(np.int64)
            _readout_dense(np.ascontiguousarray(P), out_idx, factor, slice_w[i], i, a, prog.mode, prm, table,
                           prog.block, prog.mantissa_bits, y, nz, clip, rb, collect, smin, smax, sabs, ssum, T)
    res = MVMResult(y, ones, lv, nz.sum(0), clip.sum(0), rb.sum(0), S * I, I)
    return res, (smin, smax, sabs, ssum)
