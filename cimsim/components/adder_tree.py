"""Adder tree (kind ``adder_tree``, model ``digital``)."""

from __future__ import annotations

from typing import ClassVar

from cimsim.components._util import check_int, check_real
from cimsim.components.adder import FullAdderCircuit
from cimsim.components.base import Technology
from cimsim.components.registry import register
from cimsim.components.technology import gate_library


def tree_levels(inputs: int, bits: int) -> list[tuple[int, int]]:
    """(adders, adder width) per level of a binary reduction tree of ``inputs`` operands of
    ``bits`` bits: level l adds pairs of (bits + l - 1)-bit values; an odd operand passes to
    the next level unchanged. The adder counts sum to ``inputs - 1``."""
    levels = []
    n, width = inputs, bits
    while n > 1:
        levels.append((n // 2, width))
        n = (n + 1) // 2
        width += 1
    return levels


@register
class DigitalAdderTree(FullAdderCircuit):
    """Binary tree of ripple-carry adders reducing ``inputs`` operands of ``bits`` bits.

    - ``inputs - 1`` adders; level l (1-based) has ``floor(n_l / 2)`` adders of
      ``bits + l - 1`` bits (the width grows one bit per level); built from the gate library
      (full adder = 3 ND2 + 2 XOR2, ZigZag-IMC).
    - ``add()``: one full reduction: ``sum over levels of adders * width * activity * E_FA``.
    - Latency: the sum over the ``ceil(log2 inputs)`` levels of each level's ripple delay
      (depth x adder delay), rounded up to whole clock cycles (the tree is registered at its
      output), at least one.
    - Area: total full adders x full-adder area.
    - Output width: ``bits + ceil(log2 inputs)``.
    """

    kind: ClassVar[str] = "adder_tree"
    model: ClassVar[str] = "digital"
    source: ClassVar[str] = ("ZigZag-IMC adder-tree model (ImcUnit: 1-b full adder = 3 ND2 + "
                             "2 XOR2, width growing per level); cim-models.md section 5")
    valid_range: ClassVar[str] = "2-65536 inputs of 1-64 bits; nodes 7-180 nm"
    actions: ClassVar[tuple[str, ...]] = ("add",)
    example_params: ClassVar[dict] = {"inputs": 128, "bits": 8}

    def __init__(self, tech: Technology, *, inputs: int, bits: int, activity: float = 1.0):
        super().__init__(tech)
        self.inputs = check_int("inputs", inputs, 2, 65536, owner=self.owner)
        self.bits = check_int("bits", bits, 1, 64, owner=self.owner)
        self.activity = check_real("activity", activity, 0.0, 1.0, owner=self.owner)
        self.gates = gate_library(tech)
        self.levels = tree_levels(self.inputs, self.bits)

    @property
    def adders(self) -> int:
        return sum(a for a, _ in self.levels)

    @property
    def full_adders(self) -> int:
        return sum(a * w for a, w in self.levels)

    @property
    def depth(self) -> int:
        return len(self.levels)

    @property
    def output_bits(self) -> int:
        return self.bits + self.depth

    @property
    def delay_s(self) -> float:
        return sum(self.gates.ripple_adder_delay_s(w) for _, w in self.levels)
