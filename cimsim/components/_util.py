"""Small validation helpers shared by the component models.

Every check raises :class:`~cimsim.errors.CimsimError` with a message that names the
component (kind and model), the parameter, what was expected and what was found.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

from cimsim.errors import CimsimError


def _where(owner: str) -> str:
    return f"{owner}: " if owner else ""


def check_int(name: str, value, lo: int | None = None, hi: int | None = None,
              owner: str = "") -> int:
    """An integer (an integral float such as 8.0 from YAML is accepted) within [lo, hi]."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise CimsimError(f"{_where(owner)}parameter '{name}' must be an integer, got {value!r}")
    if not isinstance(value, Integral):
        if not math.isfinite(value) or value != int(value):
            raise CimsimError(f"{_where(owner)}parameter '{name}' must be an integer, got {value!r}")
        value = int(value)
    value = int(value)
    if lo is not None and value < lo or hi is not None and value > hi:
        rng = f"{lo if lo is not None else '-inf'}..{hi if hi is not None else 'inf'}"
        raise CimsimError(f"{_where(owner)}parameter '{name}' must be in {rng}, got {value}")
    return value


def check_real(name: str, value, lo: float | None = None, hi: float | None = None,
               lo_open: bool = False, owner: str = "") -> float:
    """A finite real number within [lo, hi] (or (lo, hi] when lo_open)."""
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise CimsimError(f"{_where(owner)}parameter '{name}' must be a finite number, got {value!r}")
    value = float(value)
    bad_lo = lo is not None and (value <= lo if lo_open else value < lo)
    bad_hi = hi is not None and value > hi
    if bad_lo or bad_hi:
        left = "(" if lo_open else "["
        rng = f"{left}{lo if lo is not None else '-inf'}, {hi if hi is not None else 'inf'}]"
        raise CimsimError(f"{_where(owner)}parameter '{name}' must be in {rng}, got {value}")
    return value


def check_positive(name: str, value, owner: str = "") -> float:
    return check_real(name, value, lo=0.0, lo_open=True, owner=owner)


def check_nonneg(name: str, value, owner: str = "") -> float:
    return check_real(name, value, lo=0.0, owner=owner)


def check_choice(name: str, value, choices, owner: str = "") -> str:
    if value not in choices:
        raise CimsimError(
            f"{_where(owner)}parameter '{name}' must be one of {', '.join(map(repr, choices))}, "
            f"got {value!r}")
    return value


def whole_cycles(delay_s: float, clock_Hz: float, minimum: int = 1) -> int:
    """Clock cycles a registered digital block needs for a combinational delay.

    A tolerance of 1e-9 cycles keeps exact multiples (e.g. 1 ns at 1 GHz) at one cycle.
    """
    return max(minimum, math.ceil(delay_s * clock_Hz - 1e-9))
