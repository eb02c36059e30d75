"""Shift-and-add accumulator (kind ``shift_add``, model ``digital``)."""

from __future__ import annotations

from typing import ClassVar

from cimsim.components import neurosim_gates as g
from cimsim.components._util import check_int, check_real, whole_cycles
from cimsim.components.base import ActionCost, Component, Technology
from cimsim.components.registry import register
from cimsim.components.technology import check_node, gate_library, neurosim_flavor, scale_area, scale_energy
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


@register
class NeuroSimShiftAdd(DigitalShiftAdd):
    """NeuroSim V1.4's sub-array accumulation (kind ``shift_add``, model ``neurosim_v14``): the
    weight and input shift-adders and the row-group partial-sum adder of a 1T1R sub-array read in
    parallel, re-derived from DNN NeuroSim V1.4 (commit 9e6742cd, the one holding
    ``Data/1.4_Release_test.csv``) ``SubArray.cpp`` (RRAM ``conventionalParallel``: Initialize,
    CalculatePower), ``ShiftAdd.cpp``, ``Adder.cpp`` and ``DFF.cpp`` with the gate rules of
    :mod:`cimsim.components.neurosim_gates`; no NeuroSim code is used. One instance per ADC (one
    ``ShiftAdd`` unit of each kind per multiplexed column group, NeuroSim's ``numAdder``).

    With ``L`` = ``adc_bits`` (``log2(levelOutput)``), ``c`` = ``cells_per_weight``
    (``numCellPerSynapse``), ``M`` = ``columns_per_adc`` (``numColMuxed``), ``R`` =
    ``input_cycles`` (``numReadPulse``), ``E_add(n)`` NeuroSim's ``n``-bit adder
    (:class:`~cimsim.components.neurosim_gates.Adder`), ``E_clk`` / ``E_dat`` the clock and
    data parts of its DFF (:class:`~cimsim.components.neurosim_gates.DFF`, V1.4: minimum size,
    no ``EnlargeSize``), ``delta`` = ``activity`` and ``gamma`` = ``register_activity``
    (Param.cpp ``validated``: 0.15 and 0.5):

    - per input cycle a unit's weight shift-adder (``L``-bit adder, ``L + c`` DFFs) runs
      ``(c - 1) ceil(M / c)`` times and its input shift-adder (``L + c``-bit adder, ``L + c + R``
      DFFs) ``ceil(M / c)`` times, every DFF clocked and taking data each time; ``shift_add()``
      is that energy per column (``/ M``), the step the accounting charges once per column per
      input cycle:
      ``[(c-1) k (delta E_add(L) + gamma (L+c)(E_clk+E_dat)) + k (delta E_add(L+c) + gamma
      (L+c+R)(E_clk+E_dat))] / M``, ``k = ceil(M / c)``.
    - ``partial_sum()`` (``partial_sum_bits = b > 0``, ``numAdd > 1`` row groups): per extra row
      group's conversion of a column one ``(b - 1)``-bit addition and a clock of the ``b`` DFFs,
      of which NeuroSim charges ``L + (b - L) / 2`` as taking data (its expression
      ``log2(levelOutput) + ceil(log2(numAdd))/2``, as written):
      ``delta E_add(b-1) + gamma (b E_clk + (L + (b-L)/2) E_dat)``.
    - Area per unit: the gate areas of the three adders (9 NAND2 per bit) and their DFFs (12
      minimum inverters each; ``CalculateArea`` with the array's width: the adders' area is their
      gate area, the DFF rows divide the width evenly for 128-column arrays). Not modelled: the
      strip one cell (28 F) tall and as wide as the array that ``ShiftAdd.cpp`` adds per shift-adder
      for its INV and NAND2 (2.6 um^2 per unit at 22 nm for 128 columns 12 F wide, 3 %).
      Latency: the digital model's (whole clock cycles).

    Checked against NeuroSim V1.4 built from that commit on cimsim's VGG-8 trace (64 parallel
    rows: 22.27 fJ per column and input cycle; 32 rows: 42.60 fJ; tests/test_components.py).
    Formulas at NeuroSim's 22 nm PTM data, moved to other nodes by cimsim's scaling.
    """

    model: ClassVar[str] = "neurosim_v14"
    source: ClassVar[str] = ("DNN NeuroSim V1.4 @9e6742cd SubArray.cpp (conventionalParallel accumulation), "
                             "ShiftAdd.cpp, Adder.cpp, DFF.cpp (no EnlargeSize in V1.4), formula.cpp; "
                             "Param.cpp delta 0.15, gamma 0.5")
    valid_range: ClassVar[str] = "1-8 bit ADCs, 1-16 cells per weight; NeuroSim's 22 nm rules, nodes 7-180 nm by scaling"
    actions: ClassVar[tuple[str, ...]] = ("shift_add", "partial_sum")
    #: Facts of the array the architecture supplies (``cimsim.architecture``) unless set in params.
    array_context: ClassVar[tuple[str, ...]] = ("adc_bits", "cells_per_weight", "columns_per_adc",
                                                "input_cycles")
    example_params: ClassVar[dict] = {"bits": 16, "adc_bits": 4, "cells_per_weight": 8, "columns_per_adc": 8,
                                      "input_cycles": 8, "partial_sum_bits": 5}

    def __init__(self, tech: Technology, *, bits: int, adc_bits: int | None = None, cells_per_weight: int = 8,
                 columns_per_adc: int = 8, input_cycles: int = 8, activity: float = 0.15,
                 register_activity: float = 0.5, partial_sum_bits: int = 0):
        super().__init__(tech, bits=bits, activity=activity, register_activity=register_activity,
                         partial_sum_bits=partial_sum_bits)
        o = self.owner
        if adc_bits is None:
            raise CimsimError(f"{o}: the neurosim_v14 shift-add needs the ADC's bits (adc_bits: log2 of "
                              f"NeuroSim's levelOutput); found none (is the read-out an ADC?)")
        self.adc_bits = check_int("adc_bits", adc_bits, 1, 8, owner=o)
        self.cells_per_weight = check_int("cells_per_weight", cells_per_weight, 1, 16, owner=o)
        self.columns_per_adc = check_int("columns_per_adc", columns_per_adc, 1, 1024, owner=o)
        self.input_cycles = check_int("input_cycles", input_cycles, 1, 64, owner=o)
        if self.partial_sum_bits and self.partial_sum_bits <= self.adc_bits:
            raise CimsimError(f"{o}: partial_sum_bits should exceed adc_bits ({self.adc_bits}: the row-group "
                              f"sum of log2(levelOutput) + ceil(log2(numAdd)) bits); found {self.partial_sum_bits}")
        check_node(tech.node_nm, f"{o}: technology node")
        self.flavor = neurosim_flavor(tech.flavor, o)
        self._adder, self._dff = g.Adder(self.flavor), g.DFF(self.flavor)

    def _to_node_energy(self, energy_J: float) -> float:
        return scale_energy(energy_J, g.REFERENCE_NODE_NM, self.tech.node_nm,
                            from_vdd_V=g.PTM_22NM[self.flavor]["vdd"], to_vdd_V=self.tech.vdd_V,
                            flavor=self.tech.flavor)

    def _register_J(self, dffs: float, data_dffs: float) -> float:
        return self.register_activity * (dffs * self._dff.clock_energy_J + data_dffs * self._dff.data_energy_J)

    def shift_add(self) -> ActionCost:
        L, c, M, R = self.adc_bits, self.cells_per_weight, self.columns_per_adc, self.input_cycles
        k = -(-M // c)
        weight = self.activity * self._adder.energy_J(L) + self._register_J(L + c, L + c)
        inputs = self.activity * self._adder.energy_J(L + c) + self._register_J(L + c + R, L + c + R)
        per_column = ((c - 1) * k * weight + k * inputs) / M
        cycles = whole_cycles(self.delay_s, self.tech.clock_Hz)
        return ActionCost(self._to_node_energy(per_column), cycles * self.tech.cycle_s)

    def partial_sum(self) -> ActionCost:
        b, L = self.partial_sum_bits, self.adc_bits
        if not b:
            return ActionCost(0.0, 0.0)
        energy = self.activity * self._adder.energy_J(b - 1) + self._register_J(b, L + (b - L) / 2)
        cycles = whole_cycles(self.gates.ripple_adder_delay_s(b), self.tech.clock_Hz)
        return ActionCost(self._to_node_energy(energy), cycles * self.tech.cycle_s)

    @property
    def area_m2(self) -> float:
        L, c, R, b = self.adc_bits, self.cells_per_weight, self.input_cycles, self.partial_sum_bits
        h_dff, w_dff = self._dff.size_F
        a_dff = h_dff * w_dff
        area_F2 = 0.0
        for adder_bits, dffs in ((L, L + c), (L + c, L + c + R)):      # weight and input shift-adders
            area_F2 += self._adder.area_F2(adder_bits) + dffs * a_dff
        if b:
            area_F2 += self._adder.area_F2(b - 1) + b * a_dff
        f = g.REFERENCE_NODE_NM * 1e-9
        return scale_area(area_F2 * f * f, g.REFERENCE_NODE_NM, self.tech.node_nm)
