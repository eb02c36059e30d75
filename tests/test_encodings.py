"""Signed-weight encodings reconstruct the integer weights exactly, with the column counts
of Huang et al. (TODAES 2022) worked by hand."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cimsim.mapping.encodings import ENCODINGS, Differential, Offset, TwosComplement, get_encoding


@settings(max_examples=120, deadline=None)
@given(name=st.sampled_from(ENCODINGS + ("offset_digital",)), bits=st.integers(1, 12), c=st.integers(1, 4),
       k=st.integers(1, 9), n=st.integers(1, 7), seed=st.integers(0, 2**31 - 1))
def test_reconstruct_is_exact(name, bits, c, k, n, seed):
    if name.startswith("offset") and bits < 2:
        bits = 2
    enc = Offset("digital") if name == "offset_digital" else get_encoding(name)
    rng = np.random.default_rng(seed)
    w = rng.integers(-(2 ** (bits - 1)), 2 ** (bits - 1), size=(k, n))
    e = enc.encode(w, bits, c)
    assert e.digits.max(initial=0) <= 2**c - 1
    np.testing.assert_array_equal(e.reconstruct(), w)
    # Digit columns of one output are adjacent and the count is as declared.
    assert e.digits.shape[1] == n * e.columns_per_output
    np.testing.assert_array_equal(e.column_output, np.repeat(np.arange(n), e.columns_per_output))


def test_twos_complement_by_hand():
    # w = -3 with B = 4, c = 1: -3 = -8 + 4 + 1 -> magnitude bits (1, 0, 1), sign 1.
    e = TwosComplement().encode(np.array([[-3]]), 4, 1)
    assert e.digits[0].tolist() == [1, 0, 1, 1]
    assert e.column_factor.tolist() == [1, 2, 4, -8]
    # c = 2: magnitude 5 = 0b101 -> digits (1, 1) at factors (1, 4), sign column -8.
    e = TwosComplement().encode(np.array([[-3]]), 4, 2)
    assert e.digits[0].tolist() == [1, 1, 1] and e.column_factor.tolist() == [1, 4, -8]
    assert TwosComplement().columns_per_weight(8, 2) == 5


def test_differential_by_hand():
    e = Differential().encode(np.array([[5], [-6]]), 4, 2)
    # columns (+0, -0, +1, -1); 5 = 1 + 4*1; 6 = 2 + 4*1
    assert e.digits.tolist() == [[1, 0, 1, 0], [0, 2, 0, 1]]
    assert e.column_factor.tolist() == [1, -1, 4, -4]
    assert Differential().columns_per_weight(8, 1) == 14


def test_differential_most_negative_needs_extra_bit():
    e = Differential().encode(np.array([[-8]]), 4, 1)
    np.testing.assert_array_equal(e.reconstruct(), [[-8]])
    assert e.columns_per_output == 8


def test_offset_by_hand():
    e = Offset("reference_column").encode(np.array([[-3]]), 4, 2)
    # -3 + 8 = 5 = 0b0101 -> digits (1, 1); offset 8 = 0b1000 -> reference digits (0, 2).
    assert e.digits[0].tolist() == [1, 1] and e.reference_digit.tolist() == [0, 2]
    assert e.input_correction == 0
    e = Offset("digital").encode(np.array([[-3]]), 4, 2)
    assert e.reference_digit.tolist() == [0, 0] and e.input_correction == -8
    assert Offset("reference_column").reference_columns(8, 2) == 4


def test_out_of_range_weight_is_an_error():
    from cimsim.errors import CimsimError

    with pytest.raises(CimsimError, match=r"8-bit signed integers \[-128, 127\]; found range \[-3, 200\]"):
        TwosComplement().encode(np.array([[200, -3]]), 8, 2)
