"""Common parameters and behaviour of every ADC model (kind ``adc``)."""

from __future__ import annotations

from typing import ClassVar

from cimsim.components._util import check_int, check_positive
from cimsim.components.base import ActionCost, Component, Technology
from cimsim.components.technology import check_node
from cimsim.errors import CimsimError


class ADC(Component):
    """Base of the ADC models.

    Parameters (every model):
        bits: resolution N, 1..16.
        rows: rows summed on one column (used by models whose timing depends on it).
        sample_rate_Hz: conversions per second of one ADC. ``None`` lets the model choose
            (its intrinsic conversion time, or its reference rate). Where the model has an
            intrinsic conversion time, a given rate sets the conversion slot (latency
            ``1/sample_rate_Hz``) and must not be faster than the conversion itself.

    Action ``convert(bits_resolved=None)``: one conversion. ``bits_resolved`` (1..bits) is the
    number of bits the data needs (BFP-CIM's range-aware rounding resolves about ``m``
    significant bits); each model states how it uses it. Default: ``bits``.
    """

    kind: ClassVar[str] = "adc"
    actions: ClassVar[tuple[str, ...]] = ("convert",)
    example_params: ClassVar[dict] = {"bits": 5}

    def __init__(self, tech: Technology, *, bits: int, rows: int = 128,
                 sample_rate_Hz: float | None = None):
        super().__init__(tech)
        check_node(tech.node_nm, f"{self.owner}: technology node")
        self.bits = check_int("bits", bits, 1, 16, owner=self.owner)
        self.rows = check_int("rows", rows, 1, None, owner=self.owner)
        self.sample_rate_Hz = (None if sample_rate_Hz is None
                               else check_positive("sample_rate_Hz", sample_rate_Hz, self.owner))

    def _resolved(self, bits_resolved: int | None) -> int:
        if bits_resolved is None:
            return self.bits
        return check_int("bits_resolved", bits_resolved, 1, self.bits, owner=self.owner)

    def _slot(self, intrinsic_s: float) -> float:
        """Latency of one conversion given the model's intrinsic conversion time."""
        if self.sample_rate_Hz is None:
            return intrinsic_s
        period = 1.0 / self.sample_rate_Hz
        if period < intrinsic_s * (1 - 1e-12):
            raise CimsimError(
                f"{self.owner}: sample_rate_Hz {self.sample_rate_Hz:g} asks for a conversion every "
                f"{period:g} s but one {self.bits}-bit conversion takes {intrinsic_s:g} s")
        return period

    def convert(self, bits_resolved: int | None = None) -> ActionCost:  # pragma: no cover
        raise NotImplementedError
