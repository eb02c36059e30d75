"""On-chip buffers (kind ``buffer``): models ``sram`` and ``register_file``."""

from __future__ import annotations

import math
from typing import ClassVar

from cimsim.components._util import check_int, check_nonneg, check_positive, check_real
from cimsim.components.base import ActionCost, Component, Technology
from cimsim.components.registry import register
from cimsim.components.technology import (
    check_node,
    gate_library,
    leakage_per_transistor_W,
    scale_area,
    scale_energy,
)


class _Buffer(Component):
    kind: ClassVar[str] = "buffer"
    actions: ClassVar[tuple[str, ...]] = ("read", "write")
    example_params: ClassVar[dict] = {"size_bits": 64 * 1024 * 8, "width_bits": 256}

    def __init__(self, tech: Technology, *, size_bits: int, width_bits: int,
                 access_cycles: int = 1):
        super().__init__(tech)
        o = self.owner
        self.size_bits = check_int("size_bits", size_bits, 1, None, owner=o)
        self.width_bits = check_int("width_bits", width_bits, 1, self.size_bits, owner=o)
        self.access_cycles = check_int("access_cycles", access_cycles, 1, None, owner=o)

    @property
    def words(self) -> int:
        return math.ceil(self.size_bits / self.width_bits)

    @property
    def access_latency_s(self) -> float:
        return self.access_cycles * self.tech.cycle_s


@register
class SRAMBuffer(_Buffer):
    """SRAM buffer; one ``read()`` / ``write()`` moves one word of ``width_bits``.

    - Access energy (Horowitz, "Computing's energy problem", ISSCC 2014, 45 nm, 0.9 V: a 64-bit
      read costs 10 pJ from an 8 KB SRAM, 20 pJ from 32 KB, 100 pJ from 1 MB):
      ``E = reference_energy_J * (width_bits / 64) * (size_bits / 8 KB)^size_exponent`` with
      ``size_exponent = 0.5`` (reproduces 10 / 20 / 113 pJ), scaled from 45 nm at 0.9 V to
      ``tech`` (node and supply) with ``scale_energy``. Write energy = read energy x
      ``write_to_read_ratio`` (default 1, **assumption**).
    - Latency: ``access_cycles`` clock cycles (default 1).
    - Area: ``size_bits * area_per_bit_m2``; default from ISAAC's 64 KB eDRAM tile buffer,
      0.086 mm^2 at 32 nm (0.164 um^2 per bit with periphery), scaled with ``scale_area``
      (**stand-in**: an eDRAM figure for a CACTI-like per-bit SRAM area).
    - Leakage: ``size_bits * leaking_transistors_per_bit * I_off * 2F * VDD`` (NeuroSim
      off-current per width; 2 per 6T cell, **assumption**). ISAAC's 8.6 mW for 64 KB is total
      buffer power at ISAAC's access rate, not leakage, and is not used here.
    """

    model: ClassVar[str] = "sram"
    source: ClassVar[str] = (
        "M. Horowitz, ISSCC 2014 (SRAM 64-bit access 10/20/100 pJ for 8 KB/32 KB/1 MB, 45 nm); "
        "ISAAC (ISCA 2016) 64 KB eDRAM 0.086 mm^2 at 32 nm; NeuroSim V1.3 off-current")
    valid_range: ClassVar[str] = "~1 KB-16 MB; nodes 7-180 nm; HP/LSTP for the leakage"

    def __init__(self, tech: Technology, *, size_bits: int, width_bits: int,
                 access_cycles: int = 1, reference_energy_J: float = 10e-12,
                 reference_width_bits: int = 64, reference_size_bits: int = 8 * 1024 * 8,
                 reference_node_nm: float = 45.0, reference_vdd_V: float = 0.9,
                 size_exponent: float = 0.5, write_to_read_ratio: float = 1.0,
                 area_per_bit_m2: float | None = None, leaking_transistors_per_bit: float = 2.0):
        super().__init__(tech, size_bits=size_bits, width_bits=width_bits,
                         access_cycles=access_cycles)
        o = self.owner
        self.reference_energy_J = check_positive("reference_energy_J", reference_energy_J, o)
        self.reference_width_bits = check_int("reference_width_bits", reference_width_bits, 1,
                                              None, owner=o)
        self.reference_size_bits = check_int("reference_size_bits", reference_size_bits, 1,
                                             None, owner=o)
        self.reference_node_nm = check_node(reference_node_nm, f"{o}: reference_node_nm")
        self.reference_vdd_V = check_positive("reference_vdd_V", reference_vdd_V, o)
        self.size_exponent = check_real("size_exponent", size_exponent, 0.0, 1.0, owner=o)
        self.write_to_read_ratio = check_nonneg("write_to_read_ratio", write_to_read_ratio, o)
        self.area_per_bit_m2 = (
            scale_area(0.086e-6 / (64 * 1024 * 8), 32.0, tech.node_nm) if area_per_bit_m2 is None
            else check_positive("area_per_bit_m2", area_per_bit_m2, o))
        self.leaking_transistors_per_bit = check_nonneg("leaking_transistors_per_bit",
                                                        leaking_transistors_per_bit, o)
        e45 = (self.reference_energy_J * (self.width_bits / self.reference_width_bits)
               * (self.size_bits / self.reference_size_bits) ** self.size_exponent)
        self._read_J = scale_energy(e45, self.reference_node_nm, tech.node_nm,
                                    self.reference_vdd_V, tech.vdd_V, tech.flavor)

    def read(self) -> ActionCost:
        return ActionCost(self._read_J, self.access_latency_s)

    def write(self) -> ActionCost:
        return ActionCost(self._read_J * self.write_to_read_ratio, self.access_latency_s)

    @property
    def area_m2(self) -> float:
        return self.size_bits * self.area_per_bit_m2

    @property
    def leakage_W(self) -> float:
        return (self.size_bits * self.leaking_transistors_per_bit
                * leakage_per_transistor_W(self.tech, self.owner))


@register
class RegisterFileBuffer(_Buffer):
    """Register-file buffer (NeuroSim's default buffer type) built from the gate library:
    ``size_bits`` DFFs, a ``words``:1 multiplexer tree per output bit.

    - ``write()``: ``width_bits * activity * E_DFF`` (address decode not modelled).
    - ``read()``: ``width_bits * ceil(log2 words) * mux2_nd2 * activity * E_ND2``: the selected
      path through ``ceil(log2 words)`` 2:1 mux stages, each ``mux2_nd2`` ND2 equivalents
      (default 3, a NAND-NAND mux, **assumption**).
    - Latency: ``access_cycles`` clock cycles (default 1).
    - Area: ``size_bits * A_DFF + width_bits * (words - 1) * mux2_nd2 * A_ND2``.
    - Leakage: ``size_bits * leaking_transistors_per_bit * I_off * 2F * VDD``, default 12
      (**assumption**: about half of a 24-transistor DFF is off).
    Gate costs: ZigZag-IMC 28 nm library (DFF 3x ND2 capacitance, 6x ND2 area), scaled.
    """

    model: ClassVar[str] = "register_file"
    source: ClassVar[str] = ("ZigZag-IMC 28 nm gate library (ND2, DFF); NeuroSim V1.3 register-"
                             "file buffer option (Param.cpp) and off-current (Technology.cpp)")
    valid_range: ClassVar[str] = "small buffers (up to ~1 MB); nodes 7-180 nm; HP/LSTP leakage"

    def __init__(self, tech: Technology, *, size_bits: int, width_bits: int,
                 access_cycles: int = 1, activity: float = 1.0, mux2_nd2: float = 3.0,
                 leaking_transistors_per_bit: float = 12.0):
        super().__init__(tech, size_bits=size_bits, width_bits=width_bits,
                         access_cycles=access_cycles)
        o = self.owner
        self.activity = check_real("activity", activity, 0.0, 1.0, owner=o)
        self.mux2_nd2 = check_nonneg("mux2_nd2", mux2_nd2, o)
        self.leaking_transistors_per_bit = check_nonneg("leaking_transistors_per_bit",
                                                        leaking_transistors_per_bit, o)
        self.gates = gate_library(tech)

    @property
    def mux_levels(self) -> int:
        return math.ceil(math.log2(self.words)) if self.words > 1 else 0

    def read(self) -> ActionCost:
        energy = (self.width_bits * self.mux_levels * self.mux2_nd2 * self.activity
                  * self.gates.nd2_energy_J)
        return ActionCost(energy, self.access_latency_s)

    def write(self) -> ActionCost:
        return ActionCost(self.width_bits * self.activity * self.gates.dff_energy_J,
                          self.access_latency_s)

    @property
    def area_m2(self) -> float:
        g = self.gates
        return (self.size_bits * g.dff_area_m2
                + self.width_bits * (self.words - 1) * self.mux2_nd2 * g.nd2_area_m2)

    @property
    def leakage_W(self) -> float:
        return (self.size_bits * self.leaking_transistors_per_bit
                * leakage_per_transistor_W(self.tech, self.owner))
