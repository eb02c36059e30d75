"""ZigZag-IMC's analog-IMC ADC model (28 nm, silicon-calibrated), model ``zigzag_aimc``."""

from __future__ import annotations

from typing import ClassVar

from cimsim.components.adc._base import ADC
from cimsim.components.base import ActionCost, Technology
from cimsim.components.registry import register
from cimsim.components.technology import (
    ZIGZAG_NODE_NM,
    energy_factor,
    scale_area,
    scale_latency,
)


def zigzag_energy_fJ(bits: int, vdd_V: float) -> float:
    """``E[fJ] = (100 N + 0.001 * 4^N) * VDD^2`` at 28 nm."""
    return (100.0 * bits + 0.001 * 4.0 ** bits) * vdd_V ** 2


def zigzag_area_mm2(bits: int) -> float:
    """``A[mm^2] = 10^(-0.0369 N + 1.206) * 2^N * 1e-6`` at 28 nm."""
    return 10.0 ** (-0.0369 * bits + 1.206) * 2.0 ** bits * 1e-6


def zigzag_delay_ns(bits: int, rows: int) -> float:
    """``t[ns] = N * (0.00653 * rows + 0.640)`` at 28 nm."""
    return bits * (0.00653 * rows + 0.640)


@register
class ZigZagAIMCADC(ADC):
    """ADC of ZigZag-IMC's analog IMC macro model (KULeuven-MICAS ZigZag-IMC; Houshmand et al.,
    "Benchmarking and modeling of analog and digital SRAM in-memory computing architectures",
    arXiv 2305.18335, 2023; fits calibrated on published 28 nm silicon).

    - Energy: ``(100 N + 0.001 * 4^N) * VDD^2`` fJ with ``VDD = tech.vdd_V``.
    - Area: ``10^(-0.0369 N + 1.206) * 2^N * 1e-6`` mm^2.
    - Latency: ``N * (0.00653 * rows + 0.640)`` ns (``rows`` sharing the bitline).
    - Calibrated at 28 nm. Other nodes go through :mod:`cimsim.components.technology`: energy
      by Stillmaker & Baas's energy factor at the same supply (VDD^2 is already in the
      formula), area by ``scale_area``, latency by ``scale_latency``.
    - ``convert(bits_resolved=m)``: the formulas at ``m`` bits (an m-bit conversion).
    - Leakage: 0 (not in the model).
    """

    model: ClassVar[str] = "zigzag_aimc"
    source: ClassVar[str] = (
        "ZigZag-IMC (KULeuven-MICAS) AIMC ADC cost model; Houshmand et al., arXiv 2305.18335 "
        "(2023); cim-models.md section 4")
    valid_range: ClassVar[str] = "calibrated at 28 nm for 1-8 bit ADCs; other nodes 7-180 nm scaled"

    def __init__(self, tech: Technology, *, bits: int, rows: int = 128,
                 sample_rate_Hz: float | None = None):
        super().__init__(tech, bits=bits, rows=rows, sample_rate_Hz=sample_rate_Hz)
        node = tech.node_nm
        self._e_scale = (energy_factor(node, tech.vdd_V, tech.flavor)
                         / energy_factor(ZIGZAG_NODE_NM, tech.vdd_V, tech.flavor))
        self._slot(self._delay_s(self.bits))

    def _delay_s(self, bits: int) -> float:
        return scale_latency(zigzag_delay_ns(bits, self.rows) * 1e-9, ZIGZAG_NODE_NM,
                             self.tech.node_nm)

    def convert(self, bits_resolved: int | None = None) -> ActionCost:
        m = self._resolved(bits_resolved)
        energy = zigzag_energy_fJ(m, self.tech.vdd_V) * 1e-15 * self._e_scale
        latency = self._delay_s(m) if self.sample_rate_Hz is None else self._slot(self._delay_s(self.bits))
        return ActionCost(energy, latency)

    @property
    def area_m2(self) -> float:
        return scale_area(zigzag_area_mm2(self.bits) * 1e-6, ZIGZAG_NODE_NM, self.tech.node_nm)
