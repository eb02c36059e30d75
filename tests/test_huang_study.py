"""Huang et al. (TODAES 2022) study: the fidelity metrics (exact on hand cases), the `fidelity:`
study key on a cut-down grid (energy conservation per point, ranking stable across two seeds,
lossless read-outs have no read-out error), the 2's complement sign-digit effect under a
min-max calibrated ADC (the kernel against a plain numpy model), and the study files."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from cimsim.accuracy import sqnr_db, top1_agreement
from cimsim.errors import SpecError
from cimsim.studies.study import load_study_file, run_study

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "arch/studies/huang-todaes22"


def test_sqnr_of_a_known_perturbation():
    ref = np.array([[3.0, 4.0], [0.0, 0.0]])          # energy 25
    noisy = ref + np.array([[0.5, 0.0], [0.0, 0.0]])  # noise energy 0.25
    assert sqnr_db(ref, noisy) == pytest.approx(20.0, abs=1e-12)
    assert sqnr_db(ref, ref) == math.inf
    assert sqnr_db(ref, -ref) == pytest.approx(10 * math.log10(25 / 100), abs=1e-12)  # -6.02 dB
    assert sqnr_db(ref, np.zeros_like(ref)) == 0.0


def test_top1_agreement_counts_matching_argmax():
    ref = np.array([[0.1, 0.9, 0.0], [0.5, 0.2, 0.3], [0.0, 0.0, 1.0], [2.0, 1.0, 0.0]])
    sig = np.array([[0.0, 1.0, 0.0], [0.1, 0.2, 0.3], [0.0, 0.0, 5.0], [0.0, 1.0, 0.0]])
    assert top1_agreement(ref, sig) == 0.5


# ---------------------------------------------------------------------------------------
# 2's complement under a min-max calibrated ADC: the sign digit, not the kernel


def _minmax_numpy(x, enc, bits, rows):
    """Plain-numpy model of the kernel: per input bit i and row group a, the column sums
    ``p = sum_r x_(r,i) d_(r,j)``, quantized on one layer-wide grid ``lo + k (hi - lo)/(2^N - 1)``
    (round half up), recombined with ``2^i * column_factor``. Returns (quantized, ideal, error
    of the negative-factor columns alone)."""
    K, J = enc.digits.shape
    n_out = int(enc.column_output.max()) + 1
    P = np.stack([np.stack([((x[:, a:a + rows] >> i) & 1) @ enc.digits[a:a + rows].astype(np.int64)
                            for a in range(0, K, rows)]) for i in range(8)]).astype(float)
    lo, hi = P.min(), P.max()
    step = (hi - lo) / (2**bits - 1)
    Q = lo + np.clip(np.floor((P - lo) / step + 0.5), 0, 2**bits - 1) * step
    f = enc.column_factor.astype(float)
    w = (2.0 ** np.arange(8))[:, None, None, None]

    def recomb(M):
        v = (w * M).sum(axis=(0, 1)) * f  # (S, J)
        y = np.zeros((len(x), n_out))
        np.add.at(y.T, enc.column_output, v.T)
        return y

    return recomb(Q), recomb(P), recomb(np.where(f < 0, Q - P, 0.0))


def test_twos_complement_sign_digit_under_a_calibrated_adc():
    """Small weights, 4-bit cells, an 11-bit ADC calibrated to the layer's min-max: the kernel
    equals the numpy model exactly (no bug), and 2's complement loses far more than the
    differential pair: a small negative weight -k is stored as magnitude digits of 128 - k plus
    a sign digit weighted -128, so its column sums are large and its output a near-cancelling
    difference; the sign column's rounding error (LSB (max - min)/2047, not a whole level) is
    multiplied by 2^(B-1) = 128 and has no twin column to cancel it."""
    from cimsim.kernels.mvm import crossbar_mvm
    from cimsim.kernels.readout import ClampedADC, MinMaxADC
    from cimsim.mapping.encodings import get_encoding

    rng = np.random.default_rng(0)
    K, N, rows = 256, 16, 128
    w = np.clip(np.round(rng.laplace(0, 2.0, (K, N))), -127, 127).astype(np.int64)
    x = rng.integers(0, 256, (6, K)) * (rng.random((6, K)) < 0.4)  # sparse unsigned 8-bit inputs
    exact = x @ w
    sq = {}
    for name in ("twos_complement", "differential"):
        enc = get_encoding(name).encode(w, 8, 4)
        lossless = crossbar_mvm(x, enc, input_bits=8, input_signed=False, rows_active=rows,
                                readout=ClampedADC(bits=11))
        assert np.array_equal(lossless.y, exact)  # the full-precision ADC: 11 bits for 128 rows x 4-bit cells
        got = crossbar_mvm(x, enc, input_bits=8, input_signed=False, rows_active=rows,
                           readout=MinMaxADC(bits=11, granularity="layer")).y
        ref_q, ref_ideal, sign_err = _minmax_numpy(x, enc, 11, rows)
        assert np.array_equal(ref_ideal, exact)
        np.testing.assert_allclose(got, ref_q, rtol=0, atol=1e-6 * np.abs(exact).max())
        sq[name] = sqnr_db(exact, got)
        if name == "twos_complement":  # most of the error comes from the sign column
            assert np.sum(sign_err**2) > 0.5 * np.sum((got - exact) ** 2)
    assert sq["differential"] > sq["twos_complement"] + 10


# ---------------------------------------------------------------------------------------
# The study files and the `fidelity:` key

FILES = {128: HERE / "study.yaml", 64: HERE / "study-resnet18.yaml"}
SUBSET = ("differential-c1-full", "differential-c4-reduced", "twos_complement-c4-full")


def _search_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("huang_search_adc", HERE / "search_adc.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("rows", sorted(FILES))
def test_study_files_are_what_search_adc_writes_from_the_shipped_measurements(rows, tmp_path, monkeypatch):
    """Each study file is generated from its measurements CSV (no hand edits); its full-precision
    ADCs have ceil(log2(R (2^c - 1) + 1)) bits and every reduced ADC is within the drop."""
    import csv

    from cimsim.kernels.readout import full_precision_bits

    mod = _search_module()
    su = mod.SETUPS[rows]
    reduced = mod.reduced_from_csv(HERE / su["csv"], "dfp8")
    monkeypatch.setattr(mod, "HERE", tmp_path)
    mod.write_study(reduced, 0.01, "dfp8", rows)
    assert (tmp_path / su["file"]).read_text() == FILES[rows].read_text()
    study, _ = load_study_file(FILES[rows])
    assert study.fidelity == {"samples": su["fidelity_samples"], "seed": 0}
    assert load_study_file(FILES[rows], accuracy=False)[0].fidelity is None  # --no-accuracy: no fidelity runs
    with open(HERE / su["csv"], newline="") as f:
        meas = [r for r in csv.DictReader(f) if r["quantizer"] == "dfp8"]
    for v in study.variants:
        sets = {o.key.rsplit(".", 1)[-1]: o.value for o in v.overrides}
        assert sets.get("rows", 128) == rows and sets.get("rows_active", 128) == rows
        c, bits = sets["bits_per_cell"], sets["bits"]
        if v.name.endswith("-full"):
            assert bits == full_precision_bits(rows, c, 1) and sets["range"] == "fixed"
        else:
            ref = next(float(r["accuracy"]) for r in meas if r["encoding"] == sets["weight_encoding"]
                       and int(r["bits_per_cell"]) == c and r["range"] == "fixed")
            got = [float(r["accuracy"]) for r in meas if r["encoding"] == sets["weight_encoding"]
                   and int(r["bits_per_cell"]) == c and int(r["adc_bits"]) == bits]
            assert got and got[0] >= ref - 0.01


def _small(tmp) -> Path:
    """The ResNet-18 study file (64 x 64 arrays) cut to three variants, dynamic fixed point, on
    the digits CNN (fidelity of the digits CNN itself, 8 inputs) to fit the test budget."""
    import yaml

    from test_studies import cut_study

    red = next(v for v in yaml.safe_load(FILES[64].read_text())["variants"] if v["name"] == "differential-c4-reduced")
    assert red["set"]["chip.tiles.pes.arrays.readout.range"] == "calibrated"  # a lossy read-out in the subset
    return cut_study(FILES[64], SUBSET, Path(tmp) / "huang-resnet18-small.yaml", quantizers=["dfp8"],
                     workloads=["cnn-digits"], samples=2, fidelity={"samples": 8})


@pytest.fixture(scope="module")
def small_runs(tmp_path_factory):
    f = _small(tmp_path_factory.mktemp("huang-small"))
    return {seed: run_study(f, out=tmp_path_factory.mktemp(f"huang-s{seed}"), workers=1, seed=seed,
                            progress=False, plot=False) for seed in (0, 1)}


def test_fidelity_per_point_and_energy_conservation(small_runs):
    for seed, res in small_runs.items():
        assert len(res.rows) == len(SUBSET) and all(r["status"] == "done" for r in res.rows)
        for r in res.rows:
            parts = sum(q["value"] for q in r["energy_by_component"].values())
            assert parts == pytest.approx(r["energy_per_inference"]["value"], rel=1e-9)
            for k in ("fidelity_top1_agreement_with_float", "fidelity_top1_agreement_with_quantized"):
                assert r[k]["unit"] == "1" and 0.0 <= r[k]["value"] <= 1.0
            assert r["fidelity_sqnr"]["unit"] == "dB" and r["fidelity_sqnr_vs_quantized"]["unit"] == "dB"
            if r["variant"].endswith("-full"):   # a full-precision ADC loses nothing
                assert r["fidelity_sqnr_vs_quantized"]["value"] == math.inf
                assert r["fidelity_top1_agreement_with_quantized"]["value"] == 1.0
            else:  # the calibrated reduced ADC
                assert math.isfinite(r["fidelity_sqnr_vs_quantized"]["value"])
                assert r["fidelity_sqnr"]["value"] < small_runs[seed].rows[0]["fidelity_sqnr"]["value"]
        assert "SQNR read-out" in res.text and "inf dB" in res.text


def test_ranking_stable_across_two_seeds(small_runs):
    assert len(small_runs[0].ranking) == len(SUBSET)
    assert small_runs[0].ranking == small_runs[1].ranking


def test_fidelity_key_errors_name_the_key(tmp_path):
    f = tmp_path / "study.yaml"
    f.write_text(f"name: x\narch: {ROOT}/arch/neurosim-rram-22nm.yaml\nworkloads: [cnn-digits]\n"
                 "fidelity: {sample: 8}\n")
    with pytest.raises(SpecError, match=r"line 4.*fidelity\.sample.*unknown key.*did you mean 'samples'"):
        load_study_file(f)
    f.write_text(f"name: x\narch: {ROOT}/arch/neurosim-rram-22nm.yaml\nworkloads: [cnn-digits]\n"
                 "fidelity: {samples: 0}\n")
    with pytest.raises(SpecError, match=r"fidelity\.samples.*positive number"):
        load_study_file(f)
    f.write_text(f"name: x\narch: {ROOT}/arch/neurosim-rram-22nm.yaml\n"
                 f"workloads: [{ROOT}/traces/vgg8-cifar10.cimtrace]\nfidelity: true\n")
    with pytest.raises(SpecError, match=r"fidelity runs each workload's model.*is a trace"):
        load_study_file(f)
