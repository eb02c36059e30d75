"""Flash ADC built from NeuroSim's multilevel sense amplifier, model ``neurosim_flash``."""

from __future__ import annotations

from typing import ClassVar

from cimsim.components._util import check_choice, check_positive
from cimsim.components.adc._base import ADC
from cimsim.components.base import ActionCost, Technology
from cimsim.components.registry import register
from cimsim.components.sense_amp import (
    POWER_PER_LEVEL_UW,
    sense_amp_area_m2,
    sense_amp_energy_J,
)


@register
class NeuroSimFlash(ADC):
    """NeuroSim's multilevel sense amplifier used as an N-bit flash ADC.

    - ``2^N - 1`` comparators (sense amps), all deciding in parallel each conversion.
    - Energy per conversion: ``(2^N - 1) * E_SA`` with ``E_SA`` of
      :class:`~cimsim.components.sense_amp.NeuroSimSenseAmp` (per-level power x sensing time;
      NeuroSim ``MultilevelSenseAmp.cpp``: ``Column_Power = p * (levelOutput - 1)``).
    - Latency: the column sensing time ``sensing_time_s`` (NeuroSim: 1 ns at <= 22 nm).
      Column multiplexing (NeuroSim's 8 columns per ADC) is sequential conversions, counted by
      the mapper, not here.
    - ``convert(bits_resolved=m)``: a flash converter fires every comparator whatever the data
      needs, so energy and latency do not depend on ``m``.
    - Area: ``(2^N - 1)`` x the sense amp's transistors (NeuroSim: 52 NMOS + 60 PMOS per level
      in voltage mode, 48 + 40 + 9 + 9 in current mode).
    """

    model: ClassVar[str] = "neurosim_flash"
    source: ClassVar[str] = (
        "DNN NeuroSim V1.3 MultilevelSenseAmp.cpp (levelOutput - 1 sense amplifiers, "
        "GetColumnPower, CalculateArea, CalculateLatency)")
    valid_range: ClassVar[str] = (
        "1-16 bits (practical up to ~6 bits: comparator count doubles per bit); nodes 7-180 nm")

    def __init__(self, tech: Technology, *, bits: int, rows: int = 128,
                 sample_rate_Hz: float | None = None, sensing_time_s: float = 1e-9,
                 mode: str = "current"):
        super().__init__(tech, bits=bits, rows=rows, sample_rate_Hz=sample_rate_Hz)
        self.sensing_time_s = check_positive("sensing_time_s", sensing_time_s, self.owner)
        self.mode = check_choice("mode", mode, tuple(POWER_PER_LEVEL_UW), self.owner)
        self.comparators = 2 ** self.bits - 1
        self._e_sa = sense_amp_energy_J(tech, self.mode, self.sensing_time_s, self.owner)
        self._slot(self.sensing_time_s)

    def convert(self, bits_resolved: int | None = None) -> ActionCost:
        self._resolved(bits_resolved)
        return ActionCost(self.comparators * self._e_sa, self._slot(self.sensing_time_s))

    @property
    def area_m2(self) -> float:
        return self.comparators * sense_amp_area_m2(self.tech, self.mode)
