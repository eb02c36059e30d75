"""BFP-CIM's range logic beside each ADC (kind ``bfp_logic``, model ``gate``).

BFP-CIM (Chang, Huang, Chuang, Chou, Wu, "BFP-CIM: Data-Free Quantization with Dynamic
Block-Floating-Point Arithmetic for Energy-Efficient Computing-In-Memory-based Accelerator",
ASP-DAC 2024, pp. 545-550) reads each column with range-aware rounding (RAR): a value's first
toggled bit from the MSB sets its range, ``m`` bits are kept from there, and a block of
values shares the largest exponent (dynamic block floating point; cim-models.md §7). Beside
the ADC this needs, per converted value, a leading-one detector, a running exponent maximum
over the block, the value held until its block's exponent is known, an alignment shifter and
a rounding incrementer. The paper's circuit costs are not public in its abstract, so this
model builds them from ZigZag-IMC's gate library (ND2 / XOR2 / DFF, energy ``C VDD^2``,
every gate switching once per use unless ``activity`` says otherwise), with the structures
named below (N = ``bits``, the ADC's full resolution; E = ceil(log2(N + 1)) exponent bits):

- **Leading-one detector** (Oklobdzija, "An algorithmic and new design of a leading zero
  detector circuit", IEEE TVLSI 2(1) 1994): a tree of N/2 two-bit cells (2 ND2-equivalents
  each) and, at level l = 2..log2 N, N/2^l merge cells of (l - 1) 2:1 muxes and one OR
  (a mux2 = ``mux2_nd2`` ND2-equivalents, an OR = 1.5 ND2).
- **Exponent maximum** over the block, sequentially as the ADC converts its columns: one
  E-bit comparator (E full adders as a subtractor) and E mux2 per value, an E-bit register.
- **Holding the block**: ``block`` x N-bit registers per ADC (each value written and read
  once: N DFF writes + N mux2 reads of the register file).
- **Alignment shifter** (logarithmic barrel shifter, Weste & Harris, "CMOS VLSI Design",
  4th ed., §11.8): N x ceil(log2 N) mux2 per value.
- **Round half up** on the shifted-out bit: an m-bit incrementer, m half adders
  (XOR2 + ND2 each).

``convert_overhead()`` is the energy of all of that per converted value (every value passes
each stage once); its latency (the critical path in whole cycles) is hidden behind the ADC's
next conversion (pipelined), so the timing engine adds none.
Area: one set per ADC (``per_parent`` = ADCs per array, set by the architecture).
"""

from __future__ import annotations

import math
from typing import ClassVar

from cimsim.components._util import check_int, check_real, whole_cycles
from cimsim.components.base import ActionCost, Component, Technology
from cimsim.components.registry import register
from cimsim.components.technology import gate_library


@register
class GateBFPLogic(Component):
    """Leading-one detection, exponent maximum, block registers, alignment shifter and
    rounding for BFP-CIM's range-aware rounding at one ADC (see the module docstring)."""

    kind: ClassVar[str] = "bfp_logic"
    model: ClassVar[str] = "gate"
    source: ClassVar[str] = (
        "Chang et al., BFP-CIM, ASP-DAC 2024 (RAR, dynamic BFP); structures: Oklobdzija TVLSI 1994 "
        "(leading-zero detector), Weste & Harris CMOS VLSI Design §11.8 (barrel shifter); gates: ZigZag-IMC "
        "28 nm library (ND2, XOR2, DFF), scaled")
    valid_range: ClassVar[str] = "2-16 bit values, 1-8 bit mantissas, blocks of 1-256 values; nodes 7-180 nm"
    actions: ClassVar[tuple[str, ...]] = ("convert_overhead",)
    example_params: ClassVar[dict] = {"bits": 8, "mantissa_bits": 4, "block": 8}

    def __init__(self, tech: Technology, *, bits: int, mantissa_bits: int, block: int,
                 mux2_nd2: float = 3.0, or2_nd2: float = 1.5, activity: float = 1.0):
        super().__init__(tech)
        o = self.owner
        self.bits = check_int("bits", bits, 2, 16, owner=o)
        self.mantissa_bits = check_int("mantissa_bits", mantissa_bits, 1, 8, owner=o)
        self.block = check_int("block", block, 1, 256, owner=o)
        self.mux2_nd2 = check_real("mux2_nd2", mux2_nd2, 0.0, None, owner=o)
        self.or2_nd2 = check_real("or2_nd2", or2_nd2, 0.0, None, owner=o)
        self.activity = check_real("activity", activity, 0.0, 1.0, owner=o)
        self.gates = gate_library(tech)

    @property
    def exponent_bits(self) -> int:
        return math.ceil(math.log2(self.bits + 1))

    # -- structures in ND2-equivalents (capacitance) and areas ----------------------------------
    def _lod_nd2(self) -> float:
        n = 2 ** math.ceil(math.log2(self.bits))
        levels = int(math.log2(n))
        total = (n / 2) * 2.0
        for lvl in range(2, levels + 1):
            total += (n / 2 ** lvl) * ((lvl - 1) * self.mux2_nd2 + self.or2_nd2)
        return total

    def _shifter_mux2(self) -> int:
        return self.bits * max(1, math.ceil(math.log2(self.bits)))

    def parts(self) -> dict[str, tuple[float, float]]:
        """(energy J, area m^2) per part: energy per converted value, area per ADC."""
        g = self.gates
        e_nd2, a_nd2 = g.nd2_energy_J, g.nd2_area_m2
        e_fa, a_fa = g.full_adder_energy_J, g.full_adder_area_m2
        E, N, m = self.exponent_bits, self.bits, self.mantissa_bits
        act = self.activity
        mux_e, mux_a = self.mux2_nd2 * e_nd2, self.mux2_nd2 * a_nd2
        lod = self._lod_nd2()
        return {
            "leading_one": (act * lod * e_nd2, lod * a_nd2),
            "exponent_max": (act * (E * e_fa + E * mux_e) + E * g.dff_energy_J * act,
                             E * a_fa + E * mux_a + E * g.dff_area_m2),
            "block_registers": (act * N * (g.dff_energy_J + mux_e * max(1, math.ceil(math.log2(self.block)))),
                                self.block * N * g.dff_area_m2 + N * (self.block - 1) * mux_a),
            "shifter": (act * self._shifter_mux2() * mux_e, self._shifter_mux2() * mux_a),
            "round": (act * m * (g.xor2_energy_J + e_nd2), m * (g.xor2_area_m2 + a_nd2)),
        }

    @property
    def delay_s(self) -> float:
        """Critical path of one value: the leading-one tree and the shifter's log2 N levels of
        2:1 muxes (2 ND2 delays each), then the m-bit incrementer's XOR2 ripple."""
        g = self.gates
        levels = max(1, math.ceil(math.log2(self.bits)))
        return 2 * levels * 2 * g.nd2_delay_s + self.mantissa_bits * g.xor2_delay_s

    def convert_overhead(self) -> ActionCost:
        """Energy per converted value; latency: the critical path in whole clock cycles (the
        logic is pipelined behind the ADC's next conversion, so the timing engine adds none)."""
        return ActionCost(sum(e for e, _ in self.parts().values()),
                          whole_cycles(self.delay_s, self.tech.clock_Hz) * self.tech.cycle_s)

    @property
    def area_m2(self) -> float:
        return sum(a for _, a in self.parts().values())
