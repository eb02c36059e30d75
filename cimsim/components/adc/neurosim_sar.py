"""NeuroSim's SAR ADC (one per column group), kind ``adc``, model ``neurosim_sar``."""

from __future__ import annotations

from typing import ClassVar

from cimsim.components._util import check_positive, check_real
from cimsim.components.adc._base import ADC
from cimsim.components.base import ActionCost, Technology
from cimsim.components.registry import register
from cimsim.components.sense_amp import column_current_power_W
from cimsim.components.technology import (
    min_transistor_area_m2,
    nearest_neurosim_node,
    neurosim_energy_at,
    neurosim_flavor,
)
from cimsim.errors import CimsimError

#: Column power fit per node, (slope uW/bit, intercept uW, column-term coefficient W*ohm^k,
#: column-term exponent k): P = (slope*N + intercept) uW + coeff * exp(-k * log10(R_col)).
#: DNN NeuroSim V1.3, ``SarADC.cpp``, ``GetColumnPower`` (HP: deviceroadmap 1, LSTP: 2).
SAR_FIT: dict[str, dict[int, tuple[float, float, float, float]]] = {
    "HP": {
        130: (6.4806, 49.047, 0.207452, 2.367), 90: (4.3474, 31.782, 0.164900, 2.345),
        65: (2.9503, 22.047, 0.128483, 2.321), 45: (2.1843, 11.931, 0.097754, 2.296),
        32: (1.0157, 7.6286, 0.083709, 2.313), 22: (0.7213, 3.3041, 0.084273, 2.311),
        14: (0.4710, 1.9529, 0.060584, 2.311), 10: (0.3076, 1.1543, 0.049418, 2.311),
        7: (0.2008, 0.6823, 0.040310, 2.311),
    },
    "LSTP": {
        130: (8.4483, 65.243, 0.169380, 2.303), 90: (5.9869, 37.462, 0.144323, 2.303),
        65: (3.7506, 25.844, 0.121272, 2.303), 45: (2.1691, 16.693, 0.100225, 2.303),
        32: (1.1294, 8.8998, 0.079449, 2.297), 22: (0.538, 4.3753, 0.072341, 2.303),
        14: (0.3132, 2.5681, 0.061085, 2.303), 10: (0.1823, 1.5073, 0.051580, 2.303),
        7: (0.1061, 0.8847, 0.043555, 2.303),
    },
}

#: Transistor count (min-size NMOS, min-size PMOS) of an N-bit SAR ADC, NeuroSim ``SarADC.cpp``
#: ``CalculateUnitArea``: (269 + (N-1)*109) NMOS + (209 + (N-1)*73) PMOS.
SAR_NMOS = (269, 109)
SAR_PMOS = (209, 73)


@register
class NeuroSimSAR(ADC):
    """SAR ADC as modelled in DNN NeuroSim V1.3 (``SarADC.cpp``; fits from Cadence simulation).

    - Power per ADC: ``P = (a*N + b) uW`` for the node and device roadmap, e.g. 22 nm LSTP
      ``(0.538 N + 4.3753) uW``, 22 nm HP ``(0.7213 N + 3.3041) uW``, 7 nm LSTP
      ``(0.1061 N + 0.8847) uW`` (tabulated for 130, 90, 65, 45, 32, 22, 14, 10, 7 nm). Other
      nodes: the nearest tabulated node, scaled with :func:`technology.scale_energy`.
      Optional column-current term ``c * exp(-k * log10(R_col))`` with ``R_col`` rescaled by
      ``0.5 V / read_voltage_V`` as NeuroSim does; off by default because cimsim charges the
      array current to the crossbar model (``column_resistance_ohm=None``). Either a fixed
      ``column_resistance_ohm`` (in the power per conversion), or ``column_current=True``: the
      accounting (:mod:`cimsim.cost.energy`) adds :meth:`column_energy_J` per conversion from
      the column conductance of the data, over the full conversion time (for crossbars with
      ``include_cell_current: false``, NeuroSim's accounting).
      Temperature factor ``1 + 1.3e-3 * (T - 300)``. The fits are NeuroSim's circuit
      simulations at NeuroSim's own supply for the node (0.85 V at 22 nm); ``tech.vdd_V`` does
      not enter.
    - Latency: ``(N + 1) * step_time_s`` with NeuroSim's 1 ns step (node independent).
    - Energy per conversion: ``P * (N + 1) * step_time_s``: 9.83, 16.35, 23.96, 32.64, 42.39,
      53.22, 65.13, 78.11 fJ for N = 1..8 at 22 nm LSTP.
    - ``convert(bits_resolved=m)``: the N-bit converter stops after m bit cycles (early
      termination): energy ``P(N) * (m + 1) * step``, latency ``(m + 1) * step`` (or the
      fixed slot ``1/sample_rate_Hz`` when a sample rate is given).
    - Area: ``(269 + (N-1)*109)`` min NMOS + ``(209 + (N-1)*73)`` min PMOS, each of
      :func:`technology.min_transistor_area_m2` (NeuroSim's 7.6F x 28F = 212.8 F^2 bulk
      footprint, F = node; 0.103 um^2 at 22 nm; FinFET rules at <= 14 nm).
    - Leakage: 0 (NeuroSim reports none for the SAR ADC).
    """

    model: ClassVar[str] = "neurosim_sar"
    source: ClassVar[str] = (
        "DNN NeuroSim V1.3 SarADC.cpp (GetColumnPower, CalculateLatency, CalculateUnitArea); "
        "constant.h and formula.cpp CalculateGateArea for the transistor footprint")
    valid_range: ClassVar[str] = (
        "1-16 bits (fits characterised for typical 3-8 bit CIM ADCs); nodes 7-180 nm "
        "(fits at 130..7 nm, others scaled); flavors HP and LSTP")

    def __init__(self, tech: Technology, *, bits: int, rows: int = 128,
                 sample_rate_Hz: float | None = None, step_time_s: float = 1e-9,
                 column_resistance_ohm: float | None = None, read_voltage_V: float = 0.5,
                 temperature_K: float = 300.0, column_current: bool = False):
        super().__init__(tech, bits=bits, rows=rows, sample_rate_Hz=sample_rate_Hz)
        self.flavor = neurosim_flavor(tech.flavor, self.owner)
        self.step_time_s = check_positive("step_time_s", step_time_s, self.owner)
        self.column_resistance_ohm = (None if column_resistance_ohm is None else
                                      check_positive("column_resistance_ohm",
                                                     column_resistance_ohm, self.owner))
        self.read_voltage_V = check_positive("read_voltage_V", read_voltage_V, self.owner)
        self.temperature_K = check_real("temperature_K", temperature_K, 200.0, 400.0,
                                        owner=self.owner)
        if not isinstance(column_current, bool):
            raise CimsimError(f"{self.owner}: parameter 'column_current' must be true or false, "
                              f"got {column_current!r}")
        if column_current and self.column_resistance_ohm is not None:
            raise CimsimError(f"{self.owner}: give either column_resistance_ohm (a fixed column) or "
                              "column_current: true (the data's columns), not both")
        self.column_current = column_current
        fit = SAR_FIT[self.flavor]
        node = tech.node_nm
        self._col_coeff = neurosim_energy_at(node, self.flavor, {n: v[2] for n, v in fit.items()},
                                             self.owner)
        self._col_k = fit[nearest_neurosim_node(node)][3]
        slope = neurosim_energy_at(node, self.flavor, {n: v[0] for n, v in fit.items()}, self.owner)
        icpt = neurosim_energy_at(node, self.flavor, {n: v[1] for n, v in fit.items()}, self.owner)
        power = (slope * self.bits + icpt) * 1e-6
        if self.column_resistance_ohm is not None:
            power += column_current_power_W(self._col_coeff, self._col_k,
                                            1.0 / self.column_resistance_ohm, self.read_voltage_V)
        self.power_W = power * (1 + 1.3e-3 * (self.temperature_K - 300.0))
        self._slot((self.bits + 1) * self.step_time_s)  # reject impossible sample rates early

    def convert(self, bits_resolved: int | None = None) -> ActionCost:
        m = self._resolved(bits_resolved)
        t = (m + 1) * self.step_time_s
        latency = t if self.sample_rate_Hz is None else self._slot((self.bits + 1) * self.step_time_s)
        return ActionCost(self.power_W * t, latency)

    def column_energy_J(self, conductance_S: float) -> float:
        """Energy of the column current of one conversion of a column of conductance ``G``."""
        power = column_current_power_W(self._col_coeff, self._col_k, conductance_S, self.read_voltage_V)
        return power * (1 + 1.3e-3 * (self.temperature_K - 300.0)) * (self.bits + 1) * self.step_time_s

    @property
    def area_m2(self) -> float:
        n = self.bits - 1
        count = (SAR_NMOS[0] + n * SAR_NMOS[1]) + (SAR_PMOS[0] + n * SAR_PMOS[1])
        return count * min_transistor_area_m2(self.tech.node_nm)
