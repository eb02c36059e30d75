"""Suite-wide test policy.

pytest.approx adds a default absolute tolerance of 1e-12 to every comparison made without
``abs=``: with quantities in SI units (energies of fJ-pJ are 1e-15-1e-12 J, times of ns are
1e-9 s, areas of um^2 are 1e-12 m^2) that tolerance swallows the value itself, so
``e == approx(expected, rel=1e-9)`` would pass for any e. Here the default absolute tolerance
is zero: a comparison is relative unless a test states an absolute tolerance, and a value
expected to be exactly zero must be exactly zero.
"""
import pytest

type(pytest.approx(1.0)).DEFAULT_ABSOLUTE_TOLERANCE = 0.0
