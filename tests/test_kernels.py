"""Functional crossbar kernels: lossless exactness, hand-worked read-outs, device effects."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cimsim.kernels.mvm import DeviceEffects, InputSlices, crossbar_mvm
from cimsim.kernels.readout import (BFPReadout, ClampedADC, LSQPartialSum, MinMaxADC, NonLinearADC, SenseAmp,
                                    full_precision_bits, rar_reference)
from cimsim.mapping.encodings import ENCODINGS, Offset, TwosComplement, get_encoding


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(ENCODINGS + ("offset_digital",)), wbits=st.integers(2, 9), c=st.integers(1, 4),
       xbits=st.integers(1, 9), signed=st.booleans(), d=st.integers(1, 3), k=st.integers(1, 150),
       n=st.integers(1, 6), s=st.integers(1, 5), rows=st.sampled_from([3, 16, 64, 100, 128]),
       seed=st.integers(0, 2**31 - 1))
def test_lossless_readout_equals_integer_matmul(name, wbits, c, xbits, signed, d, k, n, s, rows, seed):
    if signed and xbits < 2:
        xbits = 2
    d = min(d, xbits)
    rng = np.random.default_rng(seed)
    w = rng.integers(-(2 ** (wbits - 1)), 2 ** (wbits - 1), size=(k, n))
    lo, hi = (-(2 ** (xbits - 1)), 2 ** (xbits - 1)) if signed else (0, 2**xbits)
    x = rng.integers(lo, hi, size=(s, k))
    enc = Offset("digital") if name == "offset_digital" else get_encoding(name)
    e = enc.encode(w, wbits, c)
    r = crossbar_mvm(x, e, input_bits=xbits, input_signed=signed, rows_active=rows, bits_per_cycle=d)
    np.testing.assert_array_equal(r.y, (x @ w).astype(np.float64))
    # A full-precision ADC is lossless too.
    n_full = full_precision_bits(rows, c, d) + (1 if np.any(e.reference_digit) else 0)
    r2 = crossbar_mvm(x, e, input_bits=xbits, input_signed=signed, rows_active=rows, bits_per_cycle=d,
                      readout=ClampedADC(bits=min(16, n_full)))
    if n_full <= 16:
        np.testing.assert_array_equal(r2.y, r.y)
        assert r2.clipped.sum() == 0


# The 4x4 array worked on paper: 2-bit 2's complement weights on 1-bit cells, columns
# (out0 magnitude, out0 sign, out1 magnitude, out1 sign):
#   w = [[1,-1],[1,-2],[0,1],[-1,0]]  ->  D = [[1,0,1,1],[1,0,0,1],[0,0,1,0],[1,1,0,0]]
W4 = np.array([[1, -1], [1, -2], [0, 1], [-1, 0]])
D4 = [[1, 0, 1, 1], [1, 0, 0, 1], [0, 0, 1, 0], [1, 1, 0, 0]]


def _run4(x, readout):
    e = TwosComplement().encode(W4, 2, 1)
    assert e.digits.tolist() == D4 and e.column_factor.tolist() == [1, -2, 1, -2]
    return crossbar_mvm(np.array([x]), e, input_bits=1, input_signed=False, rows_active=4, readout=readout)


def test_hand_worked_ideal():
    r = _run4([1, 1, 1, 0], None)             # column sums p = (2, 0, 2, 2)
    assert r.y.tolist() == [[2.0, -2.0]]
    assert r.levels.tolist() == [[2, 0, 2, 2]] and r.ones.tolist() == [3]


def test_hand_worked_clamped_adc():
    # 1-bit ADC; lossless needs ceil(log2(4+1)) = 3 bits, so LSB = 2^(3-1) = 4, levels {0, 4}:
    # q(2) = floor(2/4 + 1/2) * 4 = 4, q(0) = 0 -> y0 = 4 - 2*0 = 4, y1 = 4 - 2*4 = -4.
    r = _run4([1, 1, 1, 0], ClampedADC(bits=1))
    assert r.y.tolist() == [[4.0, -4.0]]
    # 2-bit ADC with a fixed full scale of 3: step 1, levels 0..3; p = (3, 1, 2, 2) all in range.
    r = _run4([1, 1, 1, 1], ClampedADC(bits=2, full_scale=3.0))
    assert r.y.tolist() == [[1.0, -2.0]] and r.clipped.sum() == 0
    # Full scale 1.5: step 0.5, top level 1.5: p = 3 and 2 saturate (3 of 4 columns clip).
    r = _run4([1, 1, 1, 1], ClampedADC(bits=2, full_scale=1.5))
    assert r.clipped.tolist() == [[1, 0, 1, 1]]
    assert r.y.tolist() == [[1.5 - 2 * 1.0, 1.5 - 2 * 1.5]]


def test_hand_worked_ternary_counts_zeros():
    # alpha 1, thresholds (-0.5, 1.5): p = (2, 0, 2, 2) -> t = (+1, 0, +1, +1)
    r = _run4([1, 1, 1, 0], SenseAmp("ternary", alpha=1.0, theta_lo=-0.5, theta_hi=1.5))
    assert r.y.tolist() == [[1.0, 1.0 - 2.0]]
    assert r.nonzero.tolist() == [[1, 0, 1, 1]]
    # binary, theta 1: p = (3, 1, 2, 2) -> (1, 0, 1, 1) * alpha 2
    r = _run4([1, 1, 1, 1], SenseAmp("binary", alpha=2.0, theta=1.0))
    assert r.y.tolist() == [[2.0, 2.0 - 4.0]] and r.nonzero.tolist() == [[1, 0, 1, 1]]


def test_hand_worked_bfp():
    # p = (3, 1 | 2, 2), m = 1, blocks of 2: block 1 max bitlen 2 -> e = 1:
    # 3 -> floor(3/2 + 1/2)*2 = 4, 1 -> floor(1/2 + 1/2)*2 = 2; block 2: 2 -> 2, 2 -> 2.
    r = _run4([1, 1, 1, 1], BFPReadout(mantissa_bits=1, block=2))
    assert r.y.tolist() == [[4.0 - 2 * 2.0, 2.0 - 2 * 2.0]]
    assert rar_reference(np.array([3, 1, 2, 2]), 1, 2).tolist() == [4, 2, 2, 2]
    assert r.resolved_bits.tolist() == [[1, 1, 1, 1]]


def test_hand_worked_nonlinear_adc():
    # thresholds (0.5, 1.5, 2.5) -> values (0, 1, 3, 7): p = (3, 1, 2, 2) -> (7, 1, 3, 3)
    r = _run4([1, 1, 1, 1], NonLinearADC(thresholds=(0.5, 1.5, 2.5), values=(0.0, 1.0, 3.0, 7.0)))
    assert r.y.tolist() == [[7.0 - 2 * 1.0, 3.0 - 2 * 3.0]]


def _ideal_psums(x, e, rows, bits, signed, d=1):
    """Per read column values p[s, i, a, j] by numpy (the definition)."""
    sl = InputSlices.make(x, bits, signed, d)
    k = e.digits.shape[0]
    a_n = -(-k // rows)
    p = np.zeros((x.shape[0], len(sl.weights), a_n, e.digits.shape[1]))
    for i in range(len(sl.weights)):
        for a in range(a_n):
            xa = sl.slices[i][:, a * rows:(a + 1) * rows].astype(np.int64)
            p[:, i, a] = xa @ (e.digits[a * rows:(a + 1) * rows].astype(np.int64) - e.reference_digit[None, :])
    return p, sl.weights


@pytest.mark.parametrize("name", ENCODINGS)
@pytest.mark.parametrize("m,block", [(1, 1), (3, 4), (4, 8), (2, 5)])
def test_bfp_matches_definition_bit_for_bit(name, m, block):
    rng = np.random.default_rng(7)
    w = rng.integers(-128, 128, size=(150, 9))
    x = rng.integers(0, 256, size=(6, 150))
    e = get_encoding(name).encode(w, 8, 2)
    r = crossbar_mvm(x, e, input_bits=8, input_signed=False, rows_active=64, readout=BFPReadout(m, block))
    p, wi = _ideal_psums(x, e, 64, 8, False)
    y = np.zeros((6, 9))
    for s in range(6):
        for i in range(p.shape[1]):
            for a in range(p.shape[2]):
                q = rar_reference(p[s, i, a], m, block)
                np.add.at(y[s], e.column_output, wi[i] * e.column_factor * q)
    np.testing.assert_array_equal(r.y, y)


def test_ternary_nonzero_count_equals_definition():
    rng = np.random.default_rng(3)
    w = rng.integers(-8, 8, size=(100, 5))
    x = rng.integers(0, 16, size=(20, 100))
    e = get_encoding("differential").encode(w, 4, 1)
    ro = SenseAmp("ternary", alpha=3.0, theta_lo=10.0, theta_hi=25.0)
    r = crossbar_mvm(x, e, input_bits=4, input_signed=False, rows_active=50, readout=ro)
    p, _ = _ideal_psums(x, e, 50, 4, False)
    expected = ((p > 25.0) | (p < 10.0)).sum(axis=(0, 1))
    np.testing.assert_array_equal(r.nonzero, expected)


def test_differential_partial_sums_narrower_than_offset():
    rng = np.random.default_rng(11)
    w = np.clip(np.round(rng.normal(0, 20, size=(128, 16))), -127, 127).astype(np.int64)
    x = rng.integers(0, 256, size=(32, 128))
    ro = MinMaxADC(bits=8)  # calibrated: records the ideal partial-sum statistics
    res = {n: crossbar_mvm(x, get_encoding(n, "digital").encode(w, 8, 2), input_bits=8, input_signed=False,
                           rows_active=128, readout=ro) for n in ("differential", "offset")}
    span = {n: float(r.stats.pmax.max() - r.stats.pmin.min()) for n, r in res.items()}
    mean = {n: float(r.levels.sum() / r.levels.size / r.reads) for n, r in res.items()}
    assert span["differential"] < span["offset"]
    assert mean["differential"] < mean["offset"]


def test_gmin_error_closed_form_and_cancellation():
    rng = np.random.default_rng(5)
    w = rng.integers(-128, 128, size=(200, 4))
    x = rng.integers(0, 256, size=(3, 200))
    e = TwosComplement().encode(w, 8, 2)
    dev = DeviceEffects(r_on_ohm=6e3, r_off_ohm=900e3, cancel_gmin=False)
    g = dev.gmin_levels(2)
    assert g == pytest.approx((1 / 900e3) / ((1 / 6e3 - 1 / 900e3) / 3))
    r = crossbar_mvm(x, e, input_bits=8, input_signed=False, rows_active=128, device=dev)
    # Every digit column of an output carries Gmin * (active input levels); the recombination
    # factors of one output sum to (1 + 4 + 16 + 64) - 128 = -43 (2-bit cells, sign column),
    # so the error is -43 * Gmin * sum_r x_r for every output.
    assert e.column_factor[:5].sum() == -43
    np.testing.assert_allclose(r.y - x @ w, np.repeat(-43 * g * x.sum(axis=1, keepdims=True), 4, axis=1), rtol=1e-9)
    r = crossbar_mvm(x, e, input_bits=8, input_signed=False, rows_active=128,
                     device=DeviceEffects(cancel_gmin=True))
    np.testing.assert_array_equal(r.y, x @ w)


def test_variation_is_seeded():
    rng = np.random.default_rng(1)
    w = rng.integers(-128, 128, size=(64, 3))
    x = rng.integers(0, 256, size=(4, 64))
    e = TwosComplement().encode(w, 8, 2)
    run = lambda seed: crossbar_mvm(x, e, input_bits=8, input_signed=False, rows_active=64,
                                    device=DeviceEffects(variation_sigma=0.05, seed=seed)).y
    a, b, c = run(1), run(1), run(2)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    # Zero variation on the dense path is exact.
    np.testing.assert_allclose(crossbar_mvm(x, e, input_bits=8, input_signed=False, rows_active=64,
                                            device=DeviceEffects(variation_sigma=1e-300)).y, x @ w, atol=1e-6)


@pytest.mark.parametrize("gran", ["layer", "array", "column", "column_cycle"])
def test_minmax_adc_levels_stay_in_calibrated_range(gran):
    rng = np.random.default_rng(2)
    w = rng.integers(-128, 128, size=(130, 6))
    x = rng.integers(0, 256, size=(10, 130))
    e = TwosComplement().encode(w, 8, 1)
    tiles = np.arange(e.digits.shape[1]) // 16
    r = crossbar_mvm(x, e, input_bits=8, input_signed=False, rows_active=64,
                     readout=MinMaxADC(bits=4, granularity=gran), column_tile=tiles)
    assert r.clipped.sum() == 0  # calibrated on the same data: nothing falls outside
    r16 = crossbar_mvm(x, e, input_bits=8, input_signed=False, rows_active=64,
                       readout=MinMaxADC(bits=12, granularity=gran), column_tile=tiles)
    err4 = np.abs(r.y - x @ w).mean()
    err12 = np.abs(r16.y - x @ w).mean()
    assert err12 < err4


def test_lsq_given_scale():
    # scale 2, 2-bit unsigned: levels {0, 2, 4, 6}; p = (3, 1, 2, 2) -> (4, 2, 2, 2) (half up)
    r = _run4([1, 1, 1, 1], LSQPartialSum(bits=2, scale=2.0, signed=False))
    assert r.y.tolist() == [[4.0 - 2 * 2.0, 2.0 - 2 * 2.0]]


@pytest.mark.parametrize("rows,c,d,encoding,gmin", [
    (128, 2, 1, "twos_complement", False),   # the one-pass fast path (1-bit drives, 65..128 rows)
    (128, 1, 1, "offset", False),            # fast path, 1-bit cells, reference column (signed sums)
    (128, 2, 1, "twos_complement", True),    # fast path, Gmin not cancelled (non-integer sums)
    (64, 2, 2, "twos_complement", False),    # general path (2-bit drives, one word)
])
def test_statistics_pass_equals_partial_sums_by_definition(rows, c, d, encoding, gmin):
    """The calibration pass's per (cycle, row group, column) min, max, sum |p| and sum p are
    those of the ideal partial sums p = sum_(r in a) x_(s,r,i) (d_(r,j) - ref_j) + Gmin * ones,
    computed here with numpy over every sample."""
    from cimsim.kernels.mvm import _run
    from cimsim.kernels.readout import Ideal

    rng = np.random.default_rng(5)
    k, s = 200, 7
    w = rng.integers(-128, 128, size=(k, 3))
    x = rng.integers(0, 256, size=(s, k))
    e = get_encoding(encoding).encode(w, 8, c)
    sl = InputSlices.make(x, 8, False, d)
    dev = DeviceEffects(cancel_gmin=False) if gmin else None
    g = dev.gmin_levels(c) if gmin else 0.0
    stats = _run(sl, e, rows, Ideal().program(None, 1.0, False), dev, g, stats_axes=(True, True))
    slices = sl.slices.astype(np.float64)                      # (I, S, K)
    dig = e.digits.astype(np.float64) - e.reference_digit[None, :]
    A = -(-k // rows)
    ref_stats = [np.empty((sl.cycles, A, dig.shape[1])) for _ in range(4)]
    for a in range(A):
        r0, r1 = a * rows, min(k, (a + 1) * rows)
        p = np.einsum("isr,rj->isj", slices[:, :, r0:r1], dig[r0:r1])
        p += g * slices[:, :, r0:r1].sum(axis=2)[:, :, None]
        for out, val in zip(ref_stats, (p.min(1), p.max(1), np.abs(p).sum(1), p.sum(1))):
            out[:, a] = val
    for got, want in zip(stats, ref_stats):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-9)
    # merged over cycles and/or row groups (what a min-max ADC of coarser granularity asks
    # for): min and max exactly those of the union, the sums the sums
    for axes in ((False, False), (False, True), (True, False)):
        merged = _run(sl, e, rows, Ideal().program(None, 1.0, False), dev, g, stats_axes=axes)
        keep = tuple(ax for ax, k in zip((0, 1), axes) if not k)
        for got, want, red in zip(merged, ref_stats, (np.min, np.max, np.sum, np.sum)):
            assert got.shape == red(want, axis=keep, keepdims=True).shape
            np.testing.assert_allclose(got, red(want, axis=keep, keepdims=True), rtol=1e-12, atol=1e-9)
        np.testing.assert_array_equal(merged[0], np.min(stats[0], axis=keep, keepdims=True))
        np.testing.assert_array_equal(merged[1], np.max(stats[1], axis=keep, keepdims=True))


def test_kernels_do_not_import_scipy_linalg():
    """Numba's CPU target is built without importing scipy.linalg (cimsim.kernels.jit), numba
    still reports BLAS as scipy provides it, and compiled code that uses BLAS still works
    (numba then imports the real scipy.linalg.cython_blas)."""
    import subprocess
    import sys

    code = """
import sys
import numpy as np
from cimsim.kernels.jit import CYTHON_BLAS, cython_blas_installed
from cimsim.kernels.mvm import crossbar_mvm
from cimsim.mapping.encodings import TwosComplement
w = np.array([[1, -2], [3, 4]])
r = crossbar_mvm(np.array([[5, 6]]), TwosComplement().encode(w, 8, 2), input_bits=8, input_signed=False,
                 rows_active=128)
assert r.y.tolist() == [[23.0, 14.0]], r.y
assert "scipy.linalg" not in sys.modules and CYTHON_BLAS not in sys.modules
import numba.np.arraymath
assert numba.np.arraymath._HAVE_BLAS == cython_blas_installed()
if cython_blas_installed():
    from numba import njit
    dot = njit(lambda a, b: np.dot(a, b))
    a = np.arange(6.0).reshape(2, 3)
    assert np.array_equal(dot(a, a.T), a @ a.T)
    assert getattr(sys.modules[CYTHON_BLAS], "__file__", None), "the real module, not the placeholder"
print("ok")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]


@pytest.mark.parametrize("gran", ["layer", "array", "column", "column_cycle"])
@pytest.mark.parametrize("rows,d", [(128, 1), (64, 2)])   # one-pass fast path, general path
def test_minmax_adc_merged_statistics_give_the_same_outputs(gran, rows, d):
    """A min-max ADC asks only for the statistics axes its granularity needs (stats_axes); its
    outputs and counts equal those calibrated on the full per-(cycle, row group, column)
    statistics."""
    import dataclasses

    @dataclasses.dataclass(frozen=True)
    class FullStatsMinMax(MinMaxADC):
        @property
        def stats_axes(self):
            return True, True

    rng = np.random.default_rng(9)
    w = rng.integers(-128, 128, size=(300, 40))
    x = rng.integers(0, 256, size=(6, 300))
    e = TwosComplement().encode(w, 8, 2)
    tiles = np.arange(e.digits.shape[1]) // 64
    kw = dict(input_bits=8, input_signed=False, rows_active=rows, bits_per_cycle=d, column_tile=tiles)
    merged = crossbar_mvm(x, e, readout=MinMaxADC(bits=5, granularity=gran), **kw)
    full = crossbar_mvm(x, e, readout=FullStatsMinMax(bits=5, granularity=gran), **kw)
    assert MinMaxADC(bits=5, granularity=gran).stats_axes != (True, True) or gran == "column_cycle"
    np.testing.assert_array_equal(merged.y, full.y)
    np.testing.assert_array_equal(merged.clipped, full.clipped)
    np.testing.assert_array_equal(merged.nonzero, full.nonzero)
