"""Quantities with explicit units, parsed to SI floats.

Architecture files write every physical quantity with its unit (``0.5 V``, ``10 ns``,
``1 GHz``, ``6 kohm``, ``64 KiB``, ``0.0012 mm^2``); inside cimsim every value is SI
(J, s, m², W, Hz, V, ohm, F, S, bit). A bare number where a unit is required is an error:
"every quantity carries an explicit unit" is the rule that keeps 1 ns and 1 s apart.

Information sizes are kept in bits: ``1 KiB`` = 8192 bit, ``1 kB`` = 8000 bit.
"""

from __future__ import annotations

import re

# Dimension name -> {unit symbol: factor to the SI unit of that dimension}.
_BASE: dict[str, dict[str, float]] = {
    "length": {"m": 1.0},
    "time": {"s": 1.0},
    "frequency": {"Hz": 1.0},
    "voltage": {"V": 1.0},
    "current": {"A": 1.0},
    "resistance": {"ohm": 1.0, "Ω": 1.0, "Ohm": 1.0},
    "conductance": {"S": 1.0},
    "capacitance": {"F": 1.0},
    "energy": {"J": 1.0},
    "power": {"W": 1.0},
    "area": {"m^2": 1.0, "m2": 1.0, "m²": 1.0},
    "bits": {"bit": 1.0, "bits": 1.0, "b": 1.0},
}

_SI_PREFIX = {
    "f": 1e-15, "p": 1e-12, "n": 1e-9, "u": 1e-6, "µ": 1e-6, "μ": 1e-6, "m": 1e-3,
    "": 1.0, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12,
}

_EXAMPLE = {
    "length": "22 nm", "time": "10 ns", "frequency": "1 GHz", "voltage": "0.5 V",
    "current": "10 uA", "resistance": "6 kohm", "conductance": "100 uS",
    "capacitance": "0.7 fF", "energy": "0.1 pJ", "power": "2 mW", "area": "0.0012 mm^2",
    "bits": "64 KiB",
}


def _build_table() -> dict[str, tuple[str, float]]:
    table: dict[str, tuple[str, float]] = {}
    for dim, units in _BASE.items():
        for sym, factor in units.items():
            if dim == "bits":
                table[sym] = (dim, factor)
                continue
            for prefix, pf in _SI_PREFIX.items():
                scale = pf * pf if dim == "area" else pf  # mm^2 = (1e-3 m)^2
                table[prefix + sym] = (dim, factor * scale)
    # Information sizes: bytes and binary prefixes.
    for prefix, pf in {"": 1, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9}.items():
        table[prefix + "B"] = ("bits", 8.0 * pf)
        if prefix:
            table[prefix + "bit"] = ("bits", pf)
            table[prefix + "b"] = ("bits", pf)
    for prefix, pf in {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30}.items():
        table[prefix + "B"] = ("bits", 8.0 * pf)
        table[prefix + "bit"] = ("bits", float(pf))
        table[prefix + "b"] = ("bits", float(pf))
    table["mil"] = ("length", 25.4e-6)
    table.pop("mb", None)  # millibit is not a unit anyone means
    return table


UNITS = _build_table()
DIMENSIONS = tuple(_BASE)

_QUANTITY = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([^\s\d].*?)?\s*$")


class QuantityError(ValueError):
    """A value that is not a quantity of the expected dimension."""


def example(dimension: str) -> str:
    return _EXAMPLE[dimension]


def parse_quantity(value: object, dimension: str | None = None) -> tuple[float, str]:
    """Parse ``"0.5 V"`` into ``(0.5, "voltage")`` in SI.

    Args:
        value: a string ``"<number> <unit>"``.
        dimension: the expected dimension (a key of ``DIMENSIONS``), or None to accept any.

    Raises:
        QuantityError: with a message saying what was expected and what was found.
    """
    want = f"a {dimension} with its unit, such as '{_EXAMPLE[dimension]}'" if dimension else "a quantity with its unit"
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise QuantityError(f"expected {want}, found {type(value).__name__} {value!r}")
    if isinstance(value, (int, float)):
        raise QuantityError(f"expected {want}, found the bare number {value!r} (write the unit)")
    m = _QUANTITY.match(value)
    if not m:
        raise QuantityError(f"expected {want}, found {value!r}")
    number, unit = float(m.group(1)), (m.group(2) or "").strip()
    if not unit:
        raise QuantityError(f"expected {want}, found the bare number {value!r} (write the unit)")
    if unit not in UNITS:
        raise QuantityError(f"expected {want}, found unknown unit {unit!r} in {value!r}")
    dim, factor = UNITS[unit]
    if dimension is not None and dim != dimension:
        raise QuantityError(f"expected {want}, found {value!r}, which is a {dim}")
    return number * factor, dim


def to_si(value: object, dimension: str) -> float:
    """The SI value of a quantity string of the given dimension."""
    return parse_quantity(value, dimension)[0]


# Keyword names of component parameters end in their SI unit; this maps the suffix to the
# dimension so free-form ``params:`` entries are checked too.
SUFFIX_DIMENSION = {
    "_J": "energy", "_s": "time", "_Hz": "frequency", "_V": "voltage", "_A": "current",
    "_ohm": "resistance", "_S": "conductance", "_F": "capacitance", "_W": "power",
    "_m2": "area", "_m": "length", "_bits": "bits",
}


def suffix_dimension(name: str) -> str | None:
    for suffix, dim in SUFFIX_DIMENSION.items():
        if name.endswith(suffix):
            return dim
    return None


def format_si(value: float, unit: str) -> str:
    """``format_si(3.26e-14, 'J')`` -> ``'32.6 fJ'``: an engineering-prefixed string."""
    if value == 0 or not (abs(value) < float("inf")):
        return f"{value:g} {unit}"
    prefixes = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, ""), (1e-3, "m"),
                (1e-6, "u"), (1e-9, "n"), (1e-12, "p"), (1e-15, "f"), (1e-18, "a")]
    if unit == "m^2":
        if abs(value) >= 1e-8:  # from 0.01 mm^2 up
            return f"{value / 1e-6:.4g} mm^2"
        return f"{value / 1e-12:.4g} um^2"
    for f, p in prefixes:
        if abs(value) >= f:
            return f"{value / f:.4g} {p}{unit}"
    return f"{value / 1e-18:.4g} a{unit}"
