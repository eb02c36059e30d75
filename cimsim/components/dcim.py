"""HCiM's digital CiM scale-factor array (kind ``dcim``, model ``sram_adder``).

HCiM (Negi, Saxena, Sharma, Roy, "HCiM: ADC-Less Hybrid Analog-Digital Compute in Memory
Accelerator for Deep Learning Workloads", arXiv 2403.13577, ASP-DAC 2025) reads each crossbar
column with one (binary) or two (ternary) sense amplifiers and hands the decision ``t`` to a
digital compute-in-memory array that stores the *pre-shifted* scale factors
``2^(c k + d i) alpha`` and adds or subtracts the selected one into the output's accumulator,
in the memory, for every non-zero ``t``; zero ternary outputs are skipped (cim-models.md §6).
The abstract gives neither the circuit nor its cost, so this model is built, and every
choice is a named parameter:

- **Storage** (an SRAM array): ``scale_factor_words`` words of ``bits`` bits (default, set by
  the architecture: columns x input cycles, one pre-shifted scale factor per column and input
  bit, which holds per-column and per-column-and-input-bit scale factors alike) plus
  ``accumulator_words`` accumulators of ``bits`` bits (default: the weights an array row
  holds, one per output).
- **One operation** (add or subtract one scale factor into one accumulator), in the style of
  bit-line compute SRAMs that activate two word lines and add with per-bit-line logic
  (Neural Cache, Eckert et al., ISCA 2018; X-SRAM, Agrawal et al., IEEE TCAS-I 2018):
  read the scale-factor word and the accumulator word (``reads_per_op`` = 2 word reads), a
  ``bits``-wide ripple-carry add with an XOR2 per bit for the conditional inversion that
  makes it a subtraction (2's complement: invert and carry-in 1), and one word written back.
  Word read/write energy: ``storage: sram`` (default) the SRAM model of
  :mod:`cimsim.components.buffer` (Horowitz ISSCC 2014, scaled) for an array of this size and
  a ``bits``-bit port; ``storage: register_file`` the gate-level register-file model of the
  same module (DFFs and a mux tree, ZigZag-IMC gates), a lower bound for small arrays; or a
  given ``word_access_energy_J``. Adder and XOR gates: ZigZag-IMC's gate library (full adder
  = 3 ND2 + 2 XOR2), like every digital block here.
- **Latency** of one operation: one access (read), the ripple-carry delay, one access
  (write back), each rounded up to whole clock cycles; ``lanes`` operations proceed at once
  (independent word ports / sub-arrays; default 1, a single-ported array: **assumption**,
  HCiM's abstract does not say); ``pipelined`` lets a lane start an operation every cycle.
- **Area**: the SRAM cells (buffer model's per-bit area) + ``lanes`` x (``bits`` full adders
  and XOR2 gates).
- **Leakage**: the SRAM model's leakage for the bits stored.

The timing engine turns the count of non-zero outputs per input vector into this array's
service time (``ops_per_vector / lanes x op cycles``), :mod:`cimsim.engine.sim`.
"""

from __future__ import annotations

from typing import ClassVar

from cimsim.components._util import check_choice, check_int, check_real, whole_cycles
from cimsim.components.base import ActionCost, Component, Technology
from cimsim.components.buffer import RegisterFileBuffer, SRAMBuffer
from cimsim.components.registry import register
from cimsim.components.technology import gate_library


@register
class SRAMAdderDCiM(Component):
    """HCiM's digital CiM scale-factor array: SRAM storage + in-memory add/subtract (see the
    module docstring for every modelling choice and its source).

    - ``add()``: one add or subtract of a pre-shifted scale factor into an accumulator:
      ``reads_per_op * E_read(word) + E_write(word) + bits * (activity * E_FA + E_XOR2)``.
    - Latency: ``access_cycles + whole_cycles(ripple delay) + access_cycles`` clock cycles;
      :attr:`initiation_cycles` is 1 when ``pipelined``, else the latency.
    - Area: the storage model's area for ``(scale_factor_words + accumulator_words) * bits``
      bits + ``lanes * bits * (A_FA + A_XOR2)``.
    """

    kind: ClassVar[str] = "dcim"
    model: ClassVar[str] = "sram_adder"
    source: ClassVar[str] = (
        "Negi et al., HCiM, arXiv 2403.13577 (pre-shifted scale factors, in-memory add/subtract, "
        "zero skipping); bit-line compute after Neural Cache (ISCA 2018) / X-SRAM (TCAS-I 2018); "
        "SRAM word energy and area: Horowitz ISSCC 2014 via the buffer model; adder: ZigZag-IMC gates")
    valid_range: ClassVar[str] = "4-64 bit words; 1 word to ~1 M words; nodes 7-180 nm"
    actions: ClassVar[tuple[str, ...]] = ("add",)
    example_params: ClassVar[dict] = {"bits": 16, "scale_factor_words": 1024, "accumulator_words": 128}

    def __init__(self, tech: Technology, *, bits: int, scale_factor_words: int, accumulator_words: int,
                 lanes: int = 1, reads_per_op: int = 2, access_cycles: int = 1, pipelined: bool = False,
                 activity: float = 1.0, storage: str = "sram", word_access_energy_J: float | None = None):
        super().__init__(tech)
        o = self.owner
        self.bits = check_int("bits", bits, 4, 64, owner=o)
        self.scale_factor_words = check_int("scale_factor_words", scale_factor_words, 1, None, owner=o)
        self.accumulator_words = check_int("accumulator_words", accumulator_words, 1, None, owner=o)
        self.lanes = check_int("lanes", lanes, 1, 4096, owner=o)
        self.reads_per_op = check_int("reads_per_op", reads_per_op, 1, 4, owner=o)
        self.access_cycles = check_int("access_cycles", access_cycles, 1, 16, owner=o)
        if not isinstance(pipelined, bool):
            from cimsim.errors import CimsimError

            raise CimsimError(f"{o}: parameter 'pipelined' must be true or false, got {pipelined!r}")
        self.pipelined = pipelined
        self.activity = check_real("activity", activity, 0.0, 1.0, owner=o)
        self.gates = gate_library(tech)
        self.storage_bits = (self.scale_factor_words + self.accumulator_words) * self.bits
        self.storage = check_choice("storage", storage, ("sram", "register_file"), o)
        cls = SRAMBuffer if self.storage == "sram" else RegisterFileBuffer
        self.sram = cls(tech, size_bits=max(self.storage_bits, self.bits), width_bits=self.bits,
                        access_cycles=self.access_cycles)
        self.word_access_energy_J = (None if word_access_energy_J is None
                                     else check_real("word_access_energy_J", word_access_energy_J, 0.0, None, owner=o))

    @property
    def op_cycles(self) -> int:
        """Clock cycles of one add/subtract: read access, ripple-carry add, write access."""
        add = whole_cycles(self.gates.ripple_adder_delay_s(self.bits), self.tech.clock_Hz)
        return 2 * self.access_cycles + add

    @property
    def initiation_cycles(self) -> int:
        """Cycles between operations of one lane."""
        return 1 if self.pipelined else self.op_cycles

    @property
    def energy_parts_J(self) -> dict[str, float]:
        g = self.gates
        rd = self.sram.read().energy_J if self.word_access_energy_J is None else self.word_access_energy_J
        wr = self.sram.write().energy_J if self.word_access_energy_J is None else self.word_access_energy_J
        return {"read": self.reads_per_op * rd,
                "write": wr,
                "add": self.bits * (self.activity * g.full_adder_energy_J + g.xor2_energy_J)}

    def add(self) -> ActionCost:
        return ActionCost(sum(self.energy_parts_J.values()), self.op_cycles * self.tech.cycle_s)

    @property
    def area_m2(self) -> float:
        g = self.gates
        return self.sram.area_m2 + self.lanes * self.bits * (g.full_adder_area_m2 + g.xor2_area_m2)

    @property
    def leakage_W(self) -> float:
        return self.sram.leakage_W
