"""Murmann-survey ADC fit (as in CiMLoop / Accelergy's ADC plug-in), model ``murmann``."""

from __future__ import annotations

import math
from typing import ClassVar

from cimsim.components._util import check_choice
from cimsim.components.adc._base import ADC
from cimsim.components.base import ActionCost, Technology
from cimsim.components.registry import register
from cimsim.errors import CimsimError

DEFAULT_SAMPLE_RATE_HZ = 1e9
MIN_BITS = 4


def murmann_energy_pJ(bits: float, f_Hz: float, node_nm: float) -> float:
    """Energy per conversion in pJ (cim-models.md section 4):

    ``SNDR = 6.02 N + 1.76``; ``FOMS_eff = min(213.78 - 2.872 ln f, 128.31 + 3.2205 ceil(N))``;
    ``E = 1 / (2 * 10^((FOMS_eff - SNDR)/10)) * exp(26.05 + 1.880 ln T - 2.829 ln N - 1.470)``.
    """
    sndr = 6.02 * bits + 1.76
    foms = min(213.78 - 2.872 * math.log(f_Hz), 128.31 + 3.2205 * math.ceil(bits))
    schreier = 1.0 / (2.0 * 10.0 ** ((foms - sndr) / 10.0))
    return schreier * math.exp(26.05 + 1.880 * math.log(node_nm) - 2.829 * math.log(bits) - 1.470)


def murmann_area_um2(f_Hz: float, node_nm: float, energy_pJ: float) -> float:
    """``ln A[um^2] = 1.346 + 0.993 ln T + 0.181 ln f + 0.299 ln E[pJ]``."""
    return math.exp(1.346 + 0.993 * math.log(node_nm) + 0.181 * math.log(f_Hz)
                    + 0.299 * math.log(energy_pJ))


@register
class MurmannADC(ADC):
    """Best-case ADC from a regression over B. Murmann's ADC Performance Survey, as used by
    CiMLoop (Andrulis et al., ISPASS 2024) through the Accelergy/HWComponents ADC plug-in.

    - ``f = sample_rate_Hz`` (default 1 GS/s), ``T = tech.node_nm``; energy and area from
      :func:`murmann_energy_pJ` / :func:`murmann_area_um2`. 22 nm, 1 GS/s: 0.4563 pJ (4 b),
      0.8461 pJ (8 b); the reference's "about 0.46 / 0.85 pJ".
    - The node enters the fit directly (no Stillmaker scaling).
    - Latency: ``1 / f``.
    - Below 4 bits (outside the survey fit, whose plug-in asserts N >= 4):
      ``below_min_bits="clamp"`` (default) evaluates the fit at 4 bits, so a 1-3 bit ADC costs
      what a 4-bit one does (the raw fit is not monotone below 4 bits: it would make a 1-bit
      ADC ~7x dearer than a 4-bit one); ``"extrapolate"`` evaluates the formula anyway;
      ``"error"`` raises.
    - ``convert(bits_resolved=m)``: the cost of an m-bit conversion at the same rate (same
      clamping below 4 bits).
    - Leakage: 0 (the fit is energy per conversion).
    """

    model: ClassVar[str] = "murmann"
    source: ClassVar[str] = (
        "B. Murmann, ADC Performance Survey 1997-2023; fit of the Accelergy/HWComponents ADC "
        "plug-in used by CiMLoop (Andrulis et al., ISPASS 2024); cim-models.md section 4")
    valid_range: ClassVar[str] = (
        "N >= 4 bits (clamped to 4 below by default); sample rates ~1e6-1e10 S/s; survey nodes")

    def __init__(self, tech: Technology, *, bits: int, rows: int = 128,
                 sample_rate_Hz: float | None = None, below_min_bits: str = "clamp"):
        super().__init__(tech, bits=bits, rows=rows, sample_rate_Hz=sample_rate_Hz)
        self.below_min_bits = check_choice("below_min_bits", below_min_bits,
                                           ("clamp", "extrapolate", "error"), self.owner)
        self.f_Hz = self.sample_rate_Hz if self.sample_rate_Hz is not None else DEFAULT_SAMPLE_RATE_HZ
        self._fit_bits(self.bits)

    def _fit_bits(self, n: int) -> int:
        if n >= MIN_BITS or self.below_min_bits == "extrapolate":
            return n
        if self.below_min_bits == "clamp":
            return MIN_BITS
        raise CimsimError(
            f"{self.owner}: the Murmann-survey fit is valid for N >= {MIN_BITS} bits, got {n} "
            "(set below_min_bits to 'clamp' or 'extrapolate')")

    def energy_J(self, bits: int | None = None) -> float:
        n = self._fit_bits(self.bits if bits is None else bits)
        return murmann_energy_pJ(n, self.f_Hz, self.tech.node_nm) * 1e-12

    def convert(self, bits_resolved: int | None = None) -> ActionCost:
        m = self._resolved(bits_resolved)
        return ActionCost(self.energy_J(m), 1.0 / self.f_Hz)

    @property
    def area_m2(self) -> float:
        e_pJ = self.energy_J() * 1e12
        return murmann_area_um2(self.f_Hz, self.tech.node_nm, e_pJ) * 1e-12
