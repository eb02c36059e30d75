"""The suite's pytest.approx policy (tests/conftest.py): no hidden absolute tolerance."""
import pytest


def test_small_si_values_are_compared_relatively():
    assert 1e-15 != pytest.approx(5e-15, rel=1e-6)  # 1 fJ is not 5 fJ
    assert 1e-15 != pytest.approx(5e-15)
    assert 1e-15 * (1 + 1e-9) == pytest.approx(1e-15, rel=1e-6)
    assert 3e-13 == pytest.approx(0.0, abs=1e-12)  # a stated absolute tolerance still applies
