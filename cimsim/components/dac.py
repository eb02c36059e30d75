"""Input DAC / wordline driver (kind ``dac``, model ``wordline_driver``)."""

from __future__ import annotations

from typing import ClassVar

from cimsim.components._util import check_int, check_positive
from cimsim.components.base import ActionCost, Component, Technology
from cimsim.components.registry import register
from cimsim.components.technology import check_node, gate_library, scale_area, scale_energy


@register
class WordlineDriver(Component):
    """Row input driver (a 1-bit DAC in ISAAC's terms), one per row.

    Reference: ISAAC (Shafiee et al., ISCA 2016, Table 6) 1-bit DAC, 3.5 uW and
    1.67e-7 mm^2 at 32 nm (cim-models.md section 5), active for ISAAC's 100 ns crossbar read
    cycle.

    - ``drive(levels=None)``: one row driven for one input cycle at ``levels`` unit levels
      (default full scale ``2^bits - 1``): ``reference_power_W * reference_period_s``
      (0.35 pJ at 32 nm) per unit level (**assumption**: a multi-bit driver is a unary array
      of ``2^bits - 1`` 1-bit units, or one unit pulsed ``levels`` times, so an input digit of
      value v drives v units, not all of them) times
      ``(read_voltage_V / reference_read_voltage_V)^2`` (**assumption**: ISAAC's figure taken
      at a 0.5 V read voltage), scaled from 32 nm with ``scale_energy``. Latency
      ``drive_time_s``, default one clock cycle (the input register loads on a clock edge; the
      pulse itself overlaps the array read).
    - Pulse counter (``counter_bits`` c > 0, for pulse-count inputs): a c-bit counter per row
      turns the digital input into its number of read-wordline pulses, stepping once per pulse
      (the structure of CiMLoop's model of the Sinangil JSSC'21 macro: an ``aladdin_counter``
      of the DAC's width per row, its energy scaled by the input value). Each step flips on
      average ``t = (2^(c+1) - c - 2) / (2^c - 1)`` bits (a full count 0 .. 2^c - 1; 26 flips
      in 15 steps at c = 4), each a DFF and its incrementer XOR2 (ZigZag-IMC gates):
      ``t * (E_DFF + E_XOR2)`` per unit level, added to ``drive``; area ``c * (A_DFF + A_XOR2)``
      per driver. Default 0 (no counter).
    - Area: ``reference_area_m2 * (2^bits - 1)`` scaled with ``scale_area``.
    - Leakage: 0 (ISAAC gives one power figure, charged here as dynamic).
    """

    kind: ClassVar[str] = "dac"
    model: ClassVar[str] = "wordline_driver"
    source: ClassVar[str] = ("ISAAC (Shafiee et al., ISCA 2016) 1-bit DAC: 3.5 uW, 1.67e-7 mm^2 "
                             "at 32 nm, 100 ns read cycle; cim-models.md section 5")
    valid_range: ClassVar[str] = "1-bit drivers as published; >1 bit by the unary assumption"
    actions: ClassVar[tuple[str, ...]] = ("drive",)

    def __init__(self, tech: Technology, *, bits: int = 1, read_voltage_V: float = 0.5,
                 reference_power_W: float = 3.5e-6, reference_period_s: float = 100e-9,
                 reference_area_m2: float = 1.67e-13, reference_node_nm: float = 32.0,
                 reference_read_voltage_V: float = 0.5, drive_time_s: float | None = None,
                 counter_bits: int = 0):
        super().__init__(tech)
        o = self.owner
        self.bits = check_int("bits", bits, 1, 8, owner=o)
        self.read_voltage_V = check_positive("read_voltage_V", read_voltage_V, o)
        self.reference_power_W = check_positive("reference_power_W", reference_power_W, o)
        self.reference_period_s = check_positive("reference_period_s", reference_period_s, o)
        self.reference_area_m2 = check_positive("reference_area_m2", reference_area_m2, o)
        self.reference_node_nm = check_node(reference_node_nm, f"{o}: reference_node_nm")
        self.reference_read_voltage_V = check_positive("reference_read_voltage_V",
                                                       reference_read_voltage_V, o)
        self.drive_time_s = (tech.cycle_s if drive_time_s is None
                             else check_positive("drive_time_s", drive_time_s, o))
        self.units = 2 ** self.bits - 1
        self.counter_bits = check_int("counter_bits", counter_bits, 0, 8, owner=o)
        self.gates = gate_library(tech)

    @property
    def counter_step_J(self) -> float:
        """Energy of one pulse counter step (0 without a counter)."""
        c = self.counter_bits
        if c == 0:
            return 0.0
        flips = (2 ** (c + 1) - c - 2) / (2 ** c - 1)
        return flips * (self.gates.dff_energy_J + self.gates.xor2_energy_J)

    def drive(self, levels: int | None = None) -> ActionCost:
        n = self.units if levels is None else check_int("levels", levels, 0, self.units, owner=self.owner)
        e_ref = (self.reference_power_W * self.reference_period_s * n
                 * (self.read_voltage_V / self.reference_read_voltage_V) ** 2)
        energy = scale_energy(e_ref, self.reference_node_nm, self.tech.node_nm, flavor=self.tech.flavor)
        return ActionCost(energy + n * self.counter_step_J, self.drive_time_s)

    @property
    def area_m2(self) -> float:
        counter = self.counter_bits * (self.gates.dff_area_m2 + self.gates.xor2_area_m2)
        return scale_area(self.reference_area_m2 * self.units, self.reference_node_nm,
                          self.tech.node_nm) + counter
