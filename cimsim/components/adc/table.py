"""ADC given by a user table, model ``table``."""

from __future__ import annotations

from typing import ClassVar

from cimsim.components._util import check_int, check_nonneg, check_positive
from cimsim.components.adc._base import ADC
from cimsim.components.base import ActionCost, Technology
from cimsim.components.registry import register
from cimsim.errors import CimsimError

_KEYS = ("bits", "energy_J", "latency_s", "area_m2")


@register
class TableADC(ADC):
    """ADC whose cost per resolution the user supplies (e.g. from a measured macro).

    ``table``: a list of rows ``{bits, energy_J, latency_s, area_m2}`` (optional
    ``leakage_W``), one per resolution. Lookup is exact: ``bits`` (and every
    ``bits_resolved`` asked for) must be in the table; no interpolation, no node scaling
    (the numbers are taken as valid for the architecture's node).
    """

    model: ClassVar[str] = "table"
    source: ClassVar[str] = "user-supplied table (cite its origin in the architecture file)"
    valid_range: ClassVar[str] = "exactly the resolutions listed in the table"
    example_params: ClassVar[dict] = {
        "bits": 4,
        "table": [
            {"bits": 3, "energy_J": 10e-15, "latency_s": 2e-9, "area_m2": 50e-12},
            {"bits": 4, "energy_J": 20e-15, "latency_s": 3e-9, "area_m2": 100e-12},
        ],
    }

    def __init__(self, tech: Technology, *, bits: int, table: list, rows: int = 128,
                 sample_rate_Hz: float | None = None):
        super().__init__(tech, bits=bits, rows=rows, sample_rate_Hz=sample_rate_Hz)
        o = self.owner
        if not isinstance(table, (list, tuple)) or not table:
            raise CimsimError(f"{o}: parameter 'table' must be a non-empty list of rows "
                              f"with keys {', '.join(_KEYS)}")
        self.rows_by_bits: dict[int, dict[str, float]] = {}
        for i, row in enumerate(table):
            if not isinstance(row, dict):
                raise CimsimError(f"{o}: table row {i} must be a mapping, got {row!r}")
            missing = [k for k in _KEYS if k not in row]
            extra = [k for k in row if k not in _KEYS + ("leakage_W",)]
            if missing or extra:
                raise CimsimError(
                    f"{o}: table row {i} " + (f"lacks {', '.join(missing)}" if missing else "")
                    + ("; " if missing and extra else "")
                    + (f"has unknown key(s) {', '.join(extra)}" if extra else "")
                    + f" (expected {', '.join(_KEYS)}, optional leakage_W)")
            b = check_int(f"table[{i}].bits", row["bits"], 1, 16, owner=o)
            if b in self.rows_by_bits:
                raise CimsimError(f"{o}: table lists {b} bits twice")
            self.rows_by_bits[b] = {
                "energy_J": check_nonneg(f"table[{i}].energy_J", row["energy_J"], o),
                "latency_s": check_positive(f"table[{i}].latency_s", row["latency_s"], o),
                "area_m2": check_nonneg(f"table[{i}].area_m2", row["area_m2"], o),
                "leakage_W": check_nonneg(f"table[{i}].leakage_W", row.get("leakage_W", 0.0), o),
            }
        self._row(self.bits)
        self._slot(self.rows_by_bits[self.bits]["latency_s"])

    def _row(self, bits: int) -> dict[str, float]:
        if bits not in self.rows_by_bits:
            raise CimsimError(
                f"{self.owner}: no table row for {bits} bits; the table has "
                f"{', '.join(str(b) for b in sorted(self.rows_by_bits))} bits")
        return self.rows_by_bits[bits]

    def convert(self, bits_resolved: int | None = None) -> ActionCost:
        m = self._resolved(bits_resolved)
        row = self._row(m)
        latency = row["latency_s"] if self.sample_rate_Hz is None else self._slot(
            self.rows_by_bits[self.bits]["latency_s"])
        return ActionCost(row["energy_J"], latency)

    @property
    def area_m2(self) -> float:
        return self.rows_by_bits[self.bits]["area_m2"]

    @property
    def leakage_W(self) -> float:
        return self.rows_by_bits[self.bits]["leakage_W"]
