"""Sense amplifier (kind ``sense_amp``, model ``neurosim``): one comparator level of
NeuroSim's multilevel sense amplifier, also the building block of the flash ADC."""

from __future__ import annotations

import math
from typing import ClassVar

from cimsim.components._util import check_choice, check_positive
from cimsim.components.base import ActionCost, Component, Technology
from cimsim.components.registry import register
from cimsim.components.technology import (
    min_transistor_area_m2,
    neurosim_energy_at,
    neurosim_flavor,
)

#: Power per comparator level (uW), DNN NeuroSim V1.3 ``MultilevelSenseAmp.cpp``
#: ``GetColumnPower``: ``Column_Power = p * (levelOutput - 1) uW`` (+ a column-current term
#: cimsim charges to the crossbar). "current": current-mode sense amp (NeuroSim V1.3 default,
#: ``currentMode = true``); "voltage": voltage sense amp.
POWER_PER_LEVEL_UW: dict[str, dict[str, dict[int, float]]] = {
    "current": {
        "HP": {130: 19.898, 90: 13.09, 65: 9.9579, 45: 7.7017, 32: 3.9648, 22: 1.8939,
               14: 1.2, 10: 0.8, 7: 0.5},
        "LSTP": {130: 18.09, 90: 12.612, 65: 8.4147, 45: 6.3162, 32: 3.0875, 22: 1.7,
                 14: 1.0, 10: 0.55, 7: 0.35},
    },
    "voltage": {
        "HP": {130: 27.84, 90: 22.2, 65: 13.058, 45: 8.162, 32: 4.76, 22: 2.373,
               14: 1.467, 10: 0.9077, 7: 0.5614},
        "LSTP": {130: 23.4, 90: 14.42, 65: 10.18, 45: 7.062, 32: 3.692, 22: 1.866,
                 14: 1.126, 10: 0.6917, 7: 0.4211},
    },
}

#: Column-current term of the multilevel sense amplifier's power, per mode, flavor and node:
#: (coefficient, exponent k) of ``coeff * exp(-k * log10(R_col))`` W, ``R_col`` the column's
#: resistance rescaled to NeuroSim's 0.5 V characterisation (``R * 0.5 / V_read``); DNN NeuroSim
#: V1.3 ``MultilevelSenseAmp.cpp`` ``GetColumnPower`` (added to the per-level power, once per
#: column). With k close to ln 10 the term is about ``coeff * G_col``: the cell current of the
#: column that the sense amplifier draws while it senses.
COLUMN_TERM: dict[str, dict[str, dict[int, tuple[float, float]]]] = {
    "current": {
        "HP": {130: (0.17452, 2.367), 90: (0.14900, 2.345), 65: (0.1083, 2.321), 45: (0.0754, 2.296),
               32: (0.079, 2.313), 22: (0.073, 2.311), 14: (0.0584, 2.311), 10: (0.0318, 2.311),
               7: (0.0210, 2.311)},
        "LSTP": {130: (0.1380, 2.303), 90: (0.1023, 2.303), 65: (0.0972, 2.303), 45: (0.075, 2.303),
                 32: (0.0649, 2.297), 22: (0.0631, 2.303), 14: (0.0508, 2.303), 10: (0.0315, 2.303),
                 7: (0.0235, 2.303)},
    },
    "voltage": {
        "HP": {130: (0.207452, 2.367), 90: (0.164900, 2.345), 65: (0.128483, 2.321),
               45: (0.097754, 2.296), 32: (0.083709, 2.313), 22: (0.084273, 2.311),
               14: (0.060584, 2.311), 10: (0.049418, 2.311), 7: (0.040310, 2.311)},
        "LSTP": {130: (0.169380, 2.303), 90: (0.144323, 2.303), 65: (0.121272, 2.303),
                 45: (0.100225, 2.303), 32: (0.079449, 2.297), 22: (0.072341, 2.303),
                 14: (0.061085, 2.303), 10: (0.051580, 2.303), 7: (0.043555, 2.303)},
    },
}


def column_current_power_W(coeff_W: float, k: float, conductance_S: float, read_voltage_V: float) -> float:
    """NeuroSim's column-current power term ``coeff * exp(-k * log10(R * 0.5 / V_read))`` for a
    column of conductance ``G = 1/R`` (0 W for a column that carries no current)."""
    if conductance_S <= 0.0:
        return 0.0
    r = (1.0 / conductance_S) * 0.5 / read_voltage_V
    return coeff_W * math.exp(-k * math.log10(r))


#: Transistors (min NMOS, min PMOS) per comparator level. Current mode: the current sense amp
#: unit (``CurrentSenseAmp.cpp``: 48 NMOS + 40 PMOS) plus the per-level reference of the
#: multilevel sense amp (``MultilevelSenseAmp.cpp``: 9 + 9). Voltage mode: 52 + 60
#: (``MultilevelSenseAmp.cpp``).
TRANSISTORS_PER_LEVEL: dict[str, tuple[int, int]] = {"current": (57, 49), "voltage": (52, 60)}


def sense_amp_energy_J(tech: Technology, mode: str, sensing_time_s: float, owner: str = "") -> float:
    """Energy of one comparator decision: NeuroSim's per-level power times the sensing time."""
    flavor = neurosim_flavor(tech.flavor, owner)
    p_uW = neurosim_energy_at(tech.node_nm, flavor, POWER_PER_LEVEL_UW[mode][flavor], owner)
    return p_uW * 1e-6 * sensing_time_s


def sense_amp_area_m2(tech: Technology, mode: str) -> float:
    n, p = TRANSISTORS_PER_LEVEL[mode]
    return (n + p) * min_transistor_area_m2(tech.node_nm)


@register
class NeuroSimSenseAmp(Component):
    """One sense amplifier (comparator against one reference), NeuroSim V1.3 figures.

    - Energy per ``sense()``: ``P_level * sensing_time_s``; ``P_level`` from NeuroSim's
      multilevel sense amp power fit (e.g. 22 nm LSTP: 1.7 uW current mode, 1.866 uW voltage
      mode), so 1.7 fJ per decision at 22 nm LSTP with the 1 ns default. Off-table nodes:
      nearest NeuroSim node scaled with :func:`technology.scale_energy`.
    - Latency: ``sensing_time_s``, NeuroSim's 1 ns for nodes <= 22 nm (its larger-node LSTP
      fits depend on the column resistance; set the parameter to use them).
    - Area: 57 NMOS + 49 PMOS (current mode) or 52 + 60 (voltage mode) minimum transistors.
    - Leakage: 0 (NeuroSim reports none for the multilevel sense amp).
    - The fits are at NeuroSim's supply for the node; ``tech.vdd_V`` does not enter.

    HCiM's binary read-out uses one, its ternary read-out two of these per column.
    """

    kind: ClassVar[str] = "sense_amp"
    model: ClassVar[str] = "neurosim"
    source: ClassVar[str] = (
        "DNN NeuroSim V1.3 MultilevelSenseAmp.cpp (GetColumnPower, CalculateArea, "
        "GetColumnLatency), CurrentSenseAmp.cpp (CalculateUnitArea)")
    valid_range: ClassVar[str] = "nodes 7-180 nm (fits at 130..7 nm, others scaled); HP, LSTP"
    actions: ClassVar[tuple[str, ...]] = ("sense",)

    def __init__(self, tech: Technology, *, mode: str = "current", sensing_time_s: float = 1e-9):
        super().__init__(tech)
        self.mode = check_choice("mode", mode, tuple(POWER_PER_LEVEL_UW), self.owner)
        self.sensing_time_s = check_positive("sensing_time_s", sensing_time_s, self.owner)
        self._energy = sense_amp_energy_J(tech, self.mode, self.sensing_time_s, self.owner)

    def sense(self) -> ActionCost:
        return ActionCost(self._energy, self.sensing_time_s)

    @property
    def area_m2(self) -> float:
        return sense_amp_area_m2(self.tech, self.mode)
