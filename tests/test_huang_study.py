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
