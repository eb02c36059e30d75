"""Flash ADC built from NeuroSim's multilevel sense amplifier, model ``neurosim_flash``."""

from __future__ import annotations

from typing import ClassVar

from cimsim.components._util import check_choice, check_int, check_positive
from cimsim.components.adc._base import ADC
from cimsim.components.base import ActionCost, Technology
from cimsim.components.registry import register
from cimsim.components.sense_amp import (
    COLUMN_TERM,
    POWER_PER_LEVEL_UW,
    TRANSISTORS_PER_LEVEL,
    column_current_power_W,
    sense_amp_energy_J,
)
from cimsim.components.technology import (
    min_transistor_area_m2,
    nearest_neurosim_node,
    neurosim_energy_at,
    neurosim_flavor,
)
from cimsim.errors import CimsimError


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
    - Column current (``column_current=True``): NeuroSim charges the cell current of the column
      being sensed to the sense amplifier, ``coeff * exp(-k * log10(R_col * 0.5 / V_read))``
      over the sensing time (``MultilevelSenseAmp.cpp``; :data:`sense_amp.COLUMN_TERM`, e.g.
      22 nm LSTP current mode 0.0631 W.ohm: 6.3 fJ for a 10 kohm column in 1 ns). The
      accounting (:mod:`cimsim.cost.energy`) adds :meth:`column_energy_J` per conversion from
      the column conductance of the data; use it with the crossbar's
      ``include_cell_current: false``, NeuroSim's accounting (both together would count the
      cell current twice, which the accounting refuses). ``read_voltage_V`` (default 0.5 V)
      rescales the resistance as NeuroSim does.
    - Area: ``(2^N - 1)`` x ``transistors_per_level`` minimum-size transistors (default
      NeuroSim V1.3's sense amplifier: 52 NMOS + 60 PMOS per level in voltage mode,
      48 + 40 + 9 + 9 in current mode). NeuroSim V1.4 (``MultilevelSenseAmp.cpp``
      ``CalculateArea``) lays out 9 minimum NMOS per level in either mode, plus one dummy
      reference column per ``levelOutput`` sense amplifiers (not modelled): pass
      ``transistors_per_level: 9`` to reproduce it.
    """

    model: ClassVar[str] = "neurosim_flash"
    source: ClassVar[str] = (
        "DNN NeuroSim V1.3 MultilevelSenseAmp.cpp (levelOutput - 1 sense amplifiers, "
        "GetColumnPower, CalculateArea, CalculateLatency)")
    valid_range: ClassVar[str] = (
        "1-16 bits (practical up to ~6 bits: comparator count doubles per bit); nodes 7-180 nm")

    def __init__(self, tech: Technology, *, bits: int, rows: int = 128,
                 sample_rate_Hz: float | None = None, sensing_time_s: float = 1e-9,
                 mode: str = "current", column_current: bool = False, read_voltage_V: float = 0.5,
                 transistors_per_level: int | None = None):
        super().__init__(tech, bits=bits, rows=rows, sample_rate_Hz=sample_rate_Hz)
        self.sensing_time_s = check_positive("sensing_time_s", sensing_time_s, self.owner)
        self.mode = check_choice("mode", mode, tuple(POWER_PER_LEVEL_UW), self.owner)
        if not isinstance(column_current, bool):
            raise CimsimError(f"{self.owner}: parameter 'column_current' must be true or false, "
                              f"got {column_current!r}")
        self.column_current = column_current
        self.read_voltage_V = check_positive("read_voltage_V", read_voltage_V, self.owner)
        flavor = neurosim_flavor(tech.flavor, self.owner)
        table = COLUMN_TERM[self.mode][flavor]
        self._col_coeff = neurosim_energy_at(tech.node_nm, flavor, {n: v[0] for n, v in table.items()},
                                             self.owner)
        self._col_k = table[nearest_neurosim_node(tech.node_nm)][1]
        self.transistors_per_level = (
            sum(TRANSISTORS_PER_LEVEL[self.mode]) if transistors_per_level is None
            else check_int("transistors_per_level", transistors_per_level, 1, None, owner=self.owner))
        self.comparators = 2 ** self.bits - 1
        self._e_sa = sense_amp_energy_J(tech, self.mode, self.sensing_time_s, self.owner)
        self._slot(self.sensing_time_s)

    def convert(self, bits_resolved: int | None = None) -> ActionCost:
        self._resolved(bits_resolved)
        return ActionCost(self.comparators * self._e_sa, self._slot(self.sensing_time_s))

    def column_energy_J(self, conductance_S: float) -> float:
        """Energy of the column current of one conversion of a column of conductance ``G``."""
        return column_current_power_W(self._col_coeff, self._col_k, conductance_S,
                                      self.read_voltage_V) * self.sensing_time_s

    @property
    def area_m2(self) -> float:
        return self.comparators * self.transistors_per_level * min_transistor_area_m2(self.tech.node_nm)
