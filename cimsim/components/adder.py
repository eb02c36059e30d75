"""Ripple-carry adder from the gate library (kind ``adder``, model ``ripple``)."""

from __future__ import annotations

from typing import ClassVar

from cimsim.components._util import check_int, check_real, whole_cycles
from cimsim.components.base import ActionCost, Component, Technology
from cimsim.components.registry import register
from cimsim.components.technology import gate_library


class FullAdderCircuit(Component):
    """Base of the circuits built of full adders (3 ND2 + 2 XOR2 each, ZigZag-IMC): a
    subclass gives ``full_adders``, ``delay_s``, ``activity`` and ``gates``; one ``add()``
    charges every full adder ``activity`` times ``E_FA`` and takes the delay rounded up to
    whole clock cycles (a registered result), at least one; the area is the full adders'."""

    full_adders: int
    delay_s: float
    activity: float

    def add(self) -> ActionCost:
        energy = self.full_adders * self.activity * self.gates.full_adder_energy_J
        cycles = whole_cycles(self.delay_s, self.tech.clock_Hz)
        return ActionCost(energy, cycles * self.tech.cycle_s)

    @property
    def area_m2(self) -> float:
        return self.full_adders * self.gates.full_adder_area_m2


@register
class RippleAdder(FullAdderCircuit):
    """n-bit ripple-carry adder of n full adders, each 3 ND2 + 2 XOR2 (ZigZag-IMC convention).

    - ``add()``: ``bits * activity * C_FA * VDD^2``, ``C_FA = 3 C_ND2 + 2 C_XOR2``
      (4.2 fF at 28 nm); ZigZag-IMC charges every gate once per operation (``activity = 1``;
      NeuroSim uses 0.15 for adders: set ``activity`` to compare).
    - Delay: ``2 t_XOR2 + (bits - 1) * 2 t_ND2`` (XOR2 into the carry chain, two ND2 per carry
      stage, XOR2 out); latency: that delay rounded up to whole clock cycles (a registered
      adder), at least one.
    - Area: ``bits * (3 A_ND2 + 2 A_XOR2)`` (4.789 um^2 per bit at 28 nm).
    - Leakage: 0 (not in the gate library).
    """

    kind: ClassVar[str] = "adder"
    model: ClassVar[str] = "ripple"
    source: ClassVar[str] = ("ZigZag-IMC ImcUnit (1-b full adder = 3 ND2 + 2 XOR2; 28 nm gate "
                             "cap/area/delay); cim-models.md section 5")
    valid_range: ClassVar[str] = "1-64 bits; nodes 7-180 nm (gate library scaled from 28 nm)"
    actions: ClassVar[tuple[str, ...]] = ("add",)
    example_params: ClassVar[dict] = {"bits": 8}

    def __init__(self, tech: Technology, *, bits: int, activity: float = 1.0):
        super().__init__(tech)
        self.bits = check_int("bits", bits, 1, 64, owner=self.owner)
        self.activity = check_real("activity", activity, 0.0, 1.0, owner=self.owner)
        self.gates = gate_library(tech)

    @property
    def full_adders(self) -> int:
        return self.bits

    @property
    def delay_s(self) -> float:
        return self.gates.ripple_adder_delay_s(self.bits)
