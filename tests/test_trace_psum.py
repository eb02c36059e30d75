"""Partial-sum quantizer parameters: digits, exact partial sums, calibration, file checks."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

import cimsim.trace as ct
from cimsim.errors import CimsimError, TraceError
from cimsim.trace import psum
from cimsim.trace.check import trace_differences
from cimsim.trace.synthetic import make_layer, random_trace


def test_digits_hand_examples():
    # 5 = 0101, -3 = 1101 (4-bit two's complement); LSB first
    assert psum.digits(np.array([5, -3]), 4, 1).T.tolist() == [[1, 0, 1, 0], [1, 0, 1, 1]]
    # 2-bit digits of 0b1101 = 13: [01, 11]
    assert psum.digits(np.array([13]), 4, 2).ravel().tolist() == [1, 3]
    # offset: -3 + 8 = 5 = 0101; differential: +0 then |-3| = 0011
    assert psum.weight_digits(np.array([-3]), 4, 1, "offset").ravel().tolist() == [1, 0, 1, 0]
    assert psum.weight_digits(np.array([-3]), 4, 2, "differential").ravel().tolist() == [0, 0, 3, 0]


def _layer(signed_input: bool, seed=0, kind="linear"):
    rng = np.random.default_rng(seed)
    if kind == "linear":
        x = rng.normal(size=(3, 300)) if signed_input else np.abs(rng.normal(size=(3, 300)))
        return make_layer("fc", "linear", x, rng.normal(size=(5, 300)), array_shape=(128, 2))
    x = rng.normal(size=(2, 4, 6, 6)) if signed_input else np.abs(rng.normal(size=(2, 4, 6, 6)))
    return make_layer("cv", "conv2d", x, rng.normal(size=(6, 2, 3, 3)), groups=2, padding=(1, 1),
                      stride=(2, 1), array_shape=(8, 4))


def _recombine(layer, p, encoding):
    """Shift-add 1-bit-digit partial sums back to the integer output (zero points are 0)."""
    s_n, i_n = p.shape[3], p.shape[4]
    wk = 2.0 ** np.arange(s_n)
    if encoding == "twos_complement":
        wk[-1] = -wk[-1]  # the sign bit's column is subtracted
    else:  # differential: positive polarity slices, then negative
        half = s_n // 2
        wk = np.concatenate([2.0 ** np.arange(half), -(2.0 ** np.arange(half))])
    xi = 2.0 ** np.arange(i_n)
    if layer.input.signed:
        xi[-1] = -xi[-1]  # two's complement input: the last cycle carries the sign bit
    return np.einsum("parsi,s,i->pr", p.astype(np.float64), wk, xi)


@pytest.mark.parametrize("kind", ["linear", "conv2d"])
@pytest.mark.parametrize("signed_input", [False, True])
@pytest.mark.parametrize("encoding", ["twos_complement", "differential"])
def test_partial_sums_recombine_to_the_integer_output(kind, signed_input, encoding):
    layer = _layer(signed_input, kind=kind)
    p = psum.column_partial_sums(layer, 1, 1, encoding, max_positions=10**6)
    assert p.min() >= 0 and p.max() <= layer.array_shape[0]  # 1-bit digits: 0..rows
    y = _recombine(layer, p, encoding)
    ref = layer.int_output
    if kind == "linear":
        ref = ref.reshape(-1, ref.shape[-1])
    else:
        ref = ref.transpose(0, 2, 3, 1).reshape(-1, ref.shape[1])
    assert np.array_equal(np.rint(y).astype(np.int64), ref)


def test_offset_encoding_partial_sums():
    layer = _layer(False)
    bw = layer.weight.bits
    p = psum.column_partial_sums(layer, 2, 1, "offset", 10**6)  # 2-bit cells: 4 slices
    assert p.shape[3] == 4
    y = np.einsum("parsi,s,i->pr", p.astype(np.float64), 4.0 ** np.arange(4), 2.0 ** np.arange(p.shape[4]))
    x = layer.input.values.astype(np.int64)
    # sum (w + 2^(B-1)) x = int_output + 2^(B-1) sum x
    assert np.array_equal(np.rint(y).astype(np.int64), layer.int_output + 2 ** (bw - 1) * x.sum(axis=1)[:, None])


def test_lossless_adc_and_hand_calibration():
    layer = _layer(False)
    info, arrays = psum.calibrate(layer, {"mode": "adc", "bits": 8, "granularity": "per_array"})
    layer.psum, layer.psum_arrays = info, arrays
    assert np.all(arrays["scale"] == 1.0)  # 1-bit digits over 128 rows fit 8 bits
    p = psum.column_partial_sums(layer, 1, 1, "twos_complement")
    assert np.array_equal(psum.apply(layer, p), p)
    # a 3-bit ADC on partial sums up to m: step m / 7
    info, arrays = psum.calibrate(layer, {"mode": "adc", "bits": 3, "granularity": "per_tensor"})
    assert arrays["scale"].shape == (1, 1, 1, 1) and arrays["scale"][0, 0, 0, 0] == pytest.approx(p.max() / 7)
    # Lloyd-Max by hand: binary levels {0, 10} split at 5; ternary around the mean 5
    v = np.array([0.0, 0.0, 10.0, 10.0])
    assert psum._lloyd_binary(v) == (10.0, 5.0)
    assert psum._lloyd_ternary(np.array([0.0, 5.0, 10.0])) == (5.0, 5.0)


def test_granularity_shapes_and_round_trip(tmp_path):
    trace = random_trace(3)
    fc = trace["fc"]
    fc.array_shape = (8, 4)
    for spec, shape in [
        ({"mode": "ternary", "granularity": "per_column"}, (3, 7, 1, 1)),
        ({"mode": "binary", "granularity": "per_array", "per_slice": True}, (3, 2, 8, 8)),
        ({"mode": "adc", "bits": 4, "granularity": "per_tensor", "cell_bits": 2,
          "input_bits_per_cycle": 2, "per_slice": True}, (1, 1, 4, 4)),
    ]:
        fc.psum, fc.psum_arrays = psum.calibrate(fc, spec)
        assert all(a.shape == shape for a in fc.psum_arrays.values()), spec
        p = tmp_path / "ps.cimtrace"
        trace.save(p)
        assert trace_differences(trace, ct.load(p)) == []


def test_bad_psum_entries(tmp_path):
    trace = random_trace(4)
    fc = trace["fc"]
    fc.psum, fc.psum_arrays = psum.calibrate(fc, {"mode": "ternary", "granularity": "per_column"})
    good = tmp_path / "good.cimtrace"
    trace.save(good)
    with zipfile.ZipFile(good) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    manifest = json.loads(members["manifest.json"])
    manifest["layers"][3]["psum"]["granularity"] = "per_array"
    members["manifest.json"] = json.dumps(manifest).encode()
    bad = tmp_path / "bad.cimtrace"
    with zipfile.ZipFile(bad, "w") as zf:
        for n, d in members.items():
            zf.writestr(n, d)
    with pytest.raises(TraceError) as exc:
        ct.load(bad)
    msg = " ".join(str(exc.value).split())
    assert "layer 'fc'" in msg and "partial-sum quantizer" in msg and "grid should be" in msg
    with pytest.raises(CimsimError, match="mode should be one of"):
        psum.check_spec({"mode": "flash"})
    with pytest.raises(CimsimError, match="an adc needs bits"):
        psum.check_spec({"mode": "adc"})
