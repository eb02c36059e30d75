"""Shift-and-add accumulator (kind ``shift_add``, model ``digital``)."""

from __future__ import annotations

from typing import ClassVar

from cimsim.components._util import check_int, check_real, whole_cycles
from cimsim.components.base import ActionCost, Component, Technology
from cimsim.components.registry import register
from cimsim.components.technology import gate_library
from cimsim.errors import CimsimError


@register
class DigitalShiftAdd(Component):
    """Shift-and-add of bit-serial / bit-sliced partial sums: an accumulator register of
    ``bits`` DFFs, a ``bits``-wide ripple adder, and a fixed one-position shift (wiring).
    This is NeuroSim's ``ShiftAdd`` structure (adders + DFFs) costed with ZigZag-IMC's gates.

    - ``shift_add()``: one accumulate step: ``bits * (activity * E_FA + register_activity *
      E_DFF)``, ``E_FA = (3 C_ND2 + 2 C_XOR2) VDD^2``, ``E_DFF = 3 C_ND2 VDD^2`` (NeuroSim's
      validated mode uses 0.15 for adders and 0.5 for the DFFs; defaults 1, ZigZag-IMC).
    - Latency: the adder's ripple delay rounded up to whole clock cycles, at least one (the
      result is registered every cycle).
    - Area: ``bits * (A_FA + A_DFF)`` (DFF = 6 ND2 areas, ZigZag-IMC).
    - A variable shift (barrel shifter) is not modelled: the shift is the wiring of a fixed
      one-bit offset per step.
    - ``reconfigurable=True``: SUN's reconfigurable shift-add (Chen et al., IEEE TCAD 43(7)
      2024, "dynamic hybrid precision"), which recombines a column group either as one
      high-precision filter or as two paired low-precision filters, each at its own precision.
      Derived here (the paper's circuit is not public to us): the group's accumulator is split
      at the pair boundary by a 2:1 multiplexer per accumulator bit that selects, per
      configuration, the carry / shifted bit from its own half or from the joined word. Each
      step adds ``bits * E_MUX2`` and the area ``bits * A_MUX2``, a MUX2 counted as
      ``mux_nd2_equivalents`` NAND2 gates (default 4: three NAND2 and one as the select
      inverter; **assumption**) in capacitance and area; its delay (one ND2 per level, off
      the ripple path's critical carry) is not added.
    - ``partial_sum_bits`` (default 0: none): NeuroSim V1.4's partial-sum stage for arrays read
      in several row groups (``SubArray.cpp`` conventionalParallel, "add partial sums": when
      ``numAdd = numRow / numRowParallel > 1`` each ADC has an adder of ``adderBit - 1`` bits and
      ``adderBit`` DFFs, ``adderBit = log2(levelOutput) + ceil(log2(numAdd))``, that sum the row
      groups' conversions of a column, ``numColMuxed x (numAdd - 1)`` additions per input cycle,
      and its ShiftAdd units then shift and add once per column per input cycle, whatever
      ``numAdd``). With ``partial_sum_bits = b > 0`` the accounting charges ``shift_add()`` once
      per column per input cycle (``conversions / row_groups``) and ``partial_sum()``, ``b x
      (activity x E_FA + register_activity x E_DFF)`` (the shift-add step's structure, ``b`` bits;
      NeuroSim: ``b - 1`` adder bits and ``b`` DFFs), for each other conversion; the area adds
      ``b x (A_FA + A_DFF)``. With 0 every conversion is one shift-add step (the row groups are
      accumulated by the shift-add register itself).
    - Published figures (``energy_per_op_J``, ``unit_area_m2``): a design that publishes its
      shift-and-add unit's power and area (ISAAC Table 6: 0.2 mW and 240 um^2 for the IMA's
      4 units) gives the energy of one accumulate step and the area of one unit instead of the
      gate model's; the latency stays the gate model's.
    """

    kind: ClassVar[str] = "shift_add"
    model: ClassVar[str] = "digital"
    source: ClassVar[str] = ("DNN NeuroSim V1.3 ShiftAdd.cpp (adder + DFF structure); V1.4 SubArray.cpp "
                             "(partial sums of row groups); ZigZag-IMC gate costs (FA = 3 ND2 + 2 XOR2, "
                             "DFF 3x ND2 cap, 6x area)")
    valid_range: ClassVar[str] = "1-64 bit accumulators; nodes 7-180 nm"
    actions: ClassVar[tuple[str, ...]] = ("shift_add",)
    example_params: ClassVar[dict] = {"bits": 16}

    def __init__(self, tech: Technology, *, bits: int, activity: float = 1.0,
                 register_activity: float = 1.0, reconfigurable: bool = False,
                 mux_nd2_equivalents: float = 4.0, energy_per_op_J: float | None = None,
                 unit_area_m2: float | None = None, partial_sum_bits: int = 0):
        super().__init__(tech)
        self.bits = check_int("bits", bits, 1, 64, owner=self.owner)
        if not isinstance(reconfigurable, bool):
            raise CimsimError(f"{self.owner}: reconfigurable should be true or false, found {reconfigurable!r}")
        self.reconfigurable = reconfigurable
        self.mux_nd2_equivalents = check_real("mux_nd2_equivalents", mux_nd2_equivalents, 0.0, 100.0,
                                              owner=self.owner)
        self.activity = check_real("activity", activity, 0.0, 1.0, owner=self.owner)
        self.register_activity = check_real("register_activity", register_activity, 0.0, 1.0,
                                            owner=self.owner)
        self.partial_sum_bits = check_int("partial_sum_bits", partial_sum_bits, 0, 64, owner=self.owner)
        self.gates = gate_library(tech)
        self.energy_per_op_J = (None if energy_per_op_J is None
                                else check_real("energy_per_op_J", energy_per_op_J, 0.0, owner=self.owner))
        self.unit_area_m2 = (None if unit_area_m2 is None
                             else check_real("unit_area_m2", unit_area_m2, 0.0, owner=self.owner))

    @property
    def delay_s(self) -> float:
        return self.gates.ripple_adder_delay_s(self.bits)

    def shift_add(self) -> ActionCost:
        g = self.gates
        energy = self.bits * (self.activity * g.full_adder_energy_J
                              + self.register_activity * g.dff_energy_J)
        if self.reconfigurable:
            energy += self.bits * self.activity * self.mux_nd2_equivalents * g.nd2_energy_J
        if self.energy_per_op_J is not None:
            energy = self.energy_per_op_J
        cycles = whole_cycles(self.delay_s, self.tech.clock_Hz)
        return ActionCost(energy, cycles * self.tech.cycle_s)

    def partial_sum(self) -> ActionCost:
        """One addition of a row group's conversion into the column's partial sum (``partial_sum_bits``
        bits; zero energy when there is no partial-sum stage)."""
        g = self.gates
        b = self.partial_sum_bits
        energy = b * (self.activity * g.full_adder_energy_J + self.register_activity * g.dff_energy_J)
        cycles = whole_cycles(g.ripple_adder_delay_s(max(1, b)), self.tech.clock_Hz)
        return ActionCost(energy, cycles * self.tech.cycle_s)

    @property
    def area_m2(self) -> float:
        partial = self.partial_sum_bits * (self.gates.full_adder_area_m2 + self.gates.dff_area_m2)
        if self.unit_area_m2 is not None:
            return self.unit_area_m2 + partial
        mux = self.mux_nd2_equivalents * self.gates.nd2_area_m2 if self.reconfigurable else 0.0
        return self.bits * (self.gates.full_adder_area_m2 + self.gates.dff_area_m2 + mux) + partial
