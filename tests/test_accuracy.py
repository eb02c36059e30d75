"""Accuracy under the hardware on the digits CNN (real data, trained here, seeded)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("sklearn")

from cimsim.accuracy import hardware_accuracy  # noqa: E402
from cimsim.architecture import load_architecture  # noqa: E402
from cimsim.cli import main  # noqa: E402
from cimsim.kernels.readout import ClampedADC, Ideal, full_precision_bits  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


@pytest.fixture(scope="module")
def digits():
    from workloads import get

    wl = get("cnn-digits")
    return wl, wl.prepare(10_000, seed=0)   # the whole test set


@pytest.fixture(scope="module")
def arch():
    return load_architecture(ROOT / "arch/neurosim-rram-22nm.yaml")


def _run(digits, arch, readout):
    wl, p = digits
    return hardware_accuracy(p.model, p.inputs, arch, labels=p.labels, calib=p.calib, quant=wl.default_quant,
                             readout=readout)


def test_lossless_readout_equals_quantized_model(digits, arch):
    r = _run(digits, arch, Ideal())
    s = r.summary()
    assert s["samples"] == len(digits[1].labels) >= 300
    assert s["accuracy_float"] >= 0.95
    assert s["accuracy_hardware"] == s["accuracy_quantized"]
    np.testing.assert_allclose(r.logits, r.quantized_logits, rtol=1e-9, atol=1e-9)
    # A full-precision ADC (9 bits for 128 rows x 2-bit cells x 1-bit inputs) is lossless too.
    n_full = full_precision_bits(128, 2, 1)
    assert n_full == 9
    r9 = _run(digits, arch, ClampedADC(bits=n_full))
    np.testing.assert_allclose(r9.logits, r.logits, rtol=1e-9, atol=1e-9)


def test_three_bit_adc_is_worse_and_deterministic(digits, arch):
    ideal = _run(digits, arch, Ideal()).summary()["accuracy_hardware"]
    a = _run(digits, arch, ClampedADC(bits=3))
    b = _run(digits, arch, ClampedADC(bits=3))
    assert a.summary()["accuracy_hardware"] < ideal
    np.testing.assert_array_equal(a.logits, b.logits)


def test_activity_is_recorded_per_layer(digits, arch):
    r = _run(digits, arch, ClampedADC(bits=5))
    assert len(r.layers) == 5                      # conv1-3, fc1, fc2
    n = len(digits[1].labels)
    for name, counts in r.layers.items():
        assert counts["conversions"] > 0
    # conv1 sees one input vector per output pixel (8 x 8) per image; fc2 one per image.
    vectors = sorted(c["input_vectors"] for c in r.layers.values())
    assert vectors[0] == n and vectors[-1] == n * 64


def test_accuracy_cli_writes_json(tmp_path, capsys):
    out = tmp_path / "acc.json"
    code = main(["accuracy", str(ROOT / "arch/neurosim-rram-22nm.yaml"), "cnn-digits", "-n", "60",
                 "--readout", "ideal", "--json", str(out)])
    assert code == 0
    text = capsys.readouterr().out
    assert "on the arrays" in text and "%" in text
    d = json.loads(out.read_text())
    assert d["metrics"]["accuracy_hardware"]["unit"] == "1"
    assert d["metrics"]["accuracy_hardware"]["value"] == d["metrics"]["accuracy_quantized"]["value"]
