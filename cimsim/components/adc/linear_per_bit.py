"""ISAAC/PUMA ADC: a reference ADC with dynamic power linear in bits, model ``linear_per_bit``."""

from __future__ import annotations

from typing import ClassVar

from cimsim.components._util import check_int, check_nonneg, check_positive
from cimsim.components.adc._base import ADC
from cimsim.components.base import ActionCost, Technology
from cimsim.components.registry import register
from cimsim.components.technology import check_node, scale_area, scale_energy
from cimsim.errors import CimsimError


@register
class LinearPerBitADC(ADC):
    """ADC scaled from ISAAC's reference point with PUMA's linear-per-bit dynamic power.

    Reference (ISAAC, Shafiee et al., ISCA 2016, Table 6; PUMA, Ankit et al., ASPLOS 2019):
    8-bit SAR ADC at 1.28 GS/s in 32 nm, 2 mW (1.8 mW dynamic + 0.2 mW leakage), 0.0012 mm^2.
    PUMA scales the dynamic power linearly with resolution, 0.225 mW per bit
    (0.225 mW x 8 = 1.8 mW).

    - Dynamic power ``P(N) = P_ref + slope * (N - N_ref)``; energy per conversion
      ``P(N) / f_ref`` (**assumption**: energy per conversion does not depend on the actual
      sample rate). ISAAC: 1.8 mW / 1.28 GS/s = 1.406 pJ; with the leakage over one
      conversion period, 2 mW / 1.28 GS/s = 1.5625 pJ (the "about 1.56 pJ").
    - Latency: ``1 / sample_rate_Hz`` (default the reference 1.28 GS/s).
    - Leakage: ``reference_leakage_W`` (not scaled with bits: PUMA scales dynamic power only).
    - Area: ``area_per_bit_m2 * N``; default ``reference_area_m2 / N_ref`` (**assumption**:
      area linear in bits like the dynamic power).
    - Node: energy and leakage by ``scale_energy`` from ``reference_node_nm`` (nominal supplies,
      ``tech.flavor``), area by ``scale_area``.
    - ``convert(bits_resolved=m)``: the dynamic energy of an m-bit conversion.
    """

    model: ClassVar[str] = "linear_per_bit"
    source: ClassVar[str] = (
        "ISAAC (Shafiee et al., ISCA 2016) ADC: 8 b, 1.28 GS/s, 2 mW, 0.0012 mm^2 at 32 nm; "
        "PUMA (Ankit et al., ASPLOS 2019) linear dynamic power 0.225 mW/bit; cim-models.md 4")
    valid_range: ClassVar[str] = "1-16 bits (reference at 8 bits); nodes 7-180 nm (reference 32 nm)"

    def __init__(self, tech: Technology, *, bits: int, rows: int = 128,
                 sample_rate_Hz: float | None = None, reference_bits: int = 8,
                 reference_sample_rate_Hz: float = 1.28e9,
                 reference_dynamic_power_W: float = 1.8e-3,
                 reference_leakage_W: float = 0.2e-3,
                 reference_area_m2: float = 0.0012e-6,
                 reference_node_nm: float = 32.0,
                 dynamic_power_per_bit_W: float = 0.225e-3,
                 area_per_bit_m2: float | None = None):
        super().__init__(tech, bits=bits, rows=rows, sample_rate_Hz=sample_rate_Hz)
        o = self.owner
        self.reference_bits = check_int("reference_bits", reference_bits, 1, 16, owner=o)
        self.reference_sample_rate_Hz = check_positive("reference_sample_rate_Hz",
                                                       reference_sample_rate_Hz, o)
        self.reference_dynamic_power_W = check_positive("reference_dynamic_power_W",
                                                        reference_dynamic_power_W, o)
        self.reference_leakage_W = check_nonneg("reference_leakage_W", reference_leakage_W, o)
        self.reference_area_m2 = check_positive("reference_area_m2", reference_area_m2, o)
        self.reference_node_nm = check_node(reference_node_nm, f"{o}: reference_node_nm")
        self.dynamic_power_per_bit_W = check_nonneg("dynamic_power_per_bit_W",
                                                    dynamic_power_per_bit_W, o)
        self.area_per_bit_m2 = (self.reference_area_m2 / self.reference_bits
                                if area_per_bit_m2 is None
                                else check_positive("area_per_bit_m2", area_per_bit_m2, o))
        if self.dynamic_power(1) <= 0:
            raise CimsimError(
                f"{o}: reference_dynamic_power_W and dynamic_power_per_bit_W give a "
                "non-positive power at 1 bit")

    def dynamic_power(self, bits: int) -> float:
        """Dynamic power (W) at the reference node and rate."""
        return self.reference_dynamic_power_W + self.dynamic_power_per_bit_W * (bits - self.reference_bits)

    def _to_node(self, energy: float) -> float:
        return scale_energy(energy, self.reference_node_nm, self.tech.node_nm,
                            flavor=self.tech.flavor)

    def convert(self, bits_resolved: int | None = None) -> ActionCost:
        m = self._resolved(bits_resolved)
        energy = self._to_node(self.dynamic_power(m) / self.reference_sample_rate_Hz)
        f = self.sample_rate_Hz if self.sample_rate_Hz is not None else self.reference_sample_rate_Hz
        return ActionCost(energy, 1.0 / f)

    @property
    def leakage_W(self) -> float:
        return self._to_node(self.reference_leakage_W)

    @property
    def area_m2(self) -> float:
        return scale_area(self.area_per_bit_m2 * self.bits, self.reference_node_nm, self.tech.node_nm)
