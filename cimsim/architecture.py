"""The resolved architecture: a validated spec with its component models built.

:func:`load_architecture` reads an ``arch/*.yaml`` file (``extends`` and ``--set``
applied), validates it and builds one component model per kind and level. An
:class:`Architecture` answers what ``cimsim describe`` prints (component counts, weight
capacity, area breakdown, peak throughput) and is what the mapper, the functional pass and
the timing engine take.

Peak throughput (``peak_ops_per_s``) counts 2 operations per multiply-accumulate of a
full-precision weight (``number_format.weight_bits``) with a full-precision input
(``number_format.input_bits``), all arrays busy, every row and weight column used:

    t_cycle   = max(t_read, M * t_conv)          if sample_and_hold   (ISAAC)
              = M * (t_read + t_conv)            otherwise            (NeuroSim)
    t_vector  = input_cycles * row_groups * t_cycle
    ops/s     = 2 * rows * weight_columns * arrays / t_vector

with M columns per ADC, ``row_groups = ceil(rows / rows_active)`` and
``weight_columns = (columns - reference_columns) // columns_per_weight`` under the
signed-weight encoding (:mod:`cimsim.mapping.encodings`).
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from cimsim.components import base as cbase
from cimsim.errors import CimsimError, SpecError
from cimsim.spec.load import load_arch_data, validate
from cimsim.spec.loader import Origins, dotted
from cimsim.spec.schema import ArchSpec, Arrays

LEVELS = ("chip", "tile", "pe", "array")


@dataclass(frozen=True)
class Instance:
    """One kind of component at one level, with how many of it the chip has.

    Attributes:
        level: "chip", "tile", "pe" or "array" (where it sits in the hierarchy).
        role: what it does there: "crossbar", "adc", "dac", "shift_add", "buffer", ...
        model: the component model (energy/latency per action, area, leakage).
        per_parent: how many per instance of its level (e.g. ADCs per array).
        total: how many on the whole chip.
        path: the key path in the architecture file it was built from.
    """

    level: str
    role: str
    model: cbase.Component
    per_parent: int
    total: int
    path: tuple

    @property
    def name(self) -> str:
        return f"{self.level}.{self.role}"

    @property
    def area_m2(self) -> float:
        return self.model.area_m2 * self.total

    @property
    def leakage_W(self) -> float:
        return self.model.leakage_W * self.total


@dataclass
class Architecture:
    spec: ArchSpec
    origins: Origins
    tech: cbase.Technology
    instances: list[Instance] = field(default_factory=list)

    # -- lookup -------------------------------------------------------------------------
    def get(self, level: str, role: str) -> Instance | None:
        for inst in self.instances:
            if inst.level == level and inst.role == role:
                return inst
        return None

    def require(self, level: str, role: str) -> Instance:
        inst = self.get(level, role)
        if inst is None:
            raise CimsimError(
                f"{self.origins.root_file}: the architecture has no {role} at {level} level, "
                f"which this analysis needs."
            )
        return inst

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def arrays(self) -> Arrays:
        return self.spec.arrays

    @property
    def array_count(self) -> int:
        return self.spec.array_count

    @property
    def clock_Hz(self) -> float:
        return self.spec.chip.clock

    # -- capacity -----------------------------------------------------------------------
    @property
    def encoding(self):
        """The signed-weight encoding (one class per encoding, :mod:`cimsim.mapping.encodings`)."""
        from cimsim.mapping.encodings import get_encoding

        nf = self.spec.chip.number_format
        return get_encoding(nf.weight_encoding, nf.offset_correction)

    @property
    def columns_per_weight(self) -> int:
        """Physical columns one full-precision weight occupies under the encoding."""
        nf = self.spec.chip.number_format
        return self.encoding.columns_per_weight(nf.weight_bits, self.arrays.bits_per_cell)

    @property
    def reference_columns(self) -> int:
        """Columns per array reserved for offset cancellation (offset encoding, reference column)."""
        nf = self.spec.chip.number_format
        return self.encoding.reference_columns(nf.weight_bits, self.arrays.bits_per_cell)

    @property
    def weight_columns(self) -> int:
        """Full-precision signed weights per array row."""
        usable = self.arrays.columns - self.reference_columns
        return max(0, usable // self.columns_per_weight)

    @property
    def weights_per_array(self) -> int:
        return self.arrays.rows * self.weight_columns

    @property
    def weight_capacity(self) -> int:
        """Weights of ``number_format.weight_bits`` bits the chip holds."""
        return self.weights_per_array * self.array_count

    # -- timing at peak -----------------------------------------------------------------
    @property
    def read_latency_s(self) -> float:
        """One analog read (crossbar pulse) or one bit-serial compute cycle (SRAM macro)."""
        if self.arrays.kind == "crossbar":
            return self.require("array", "crossbar").model.read().latency_s
        return self.require("array", "sram_macro").model.compute().latency_s

    @property
    def conversion_latency_s(self) -> float:
        r = self.arrays.readout
        if r.kind == "adc":
            return self.require("array", "adc").model.convert().latency_s
        return self.require("array", "sense_amp").model.sense().latency_s

    @property
    def array_cycle_s(self) -> float:
        """Time for one input cycle (one input bit-slice) through one array and its read-out."""
        m = self.arrays.columns_per_adc
        t_read, t_conv = self.read_latency_s, self.conversion_latency_s
        if self.arrays.sample_and_hold:
            return max(t_read, m * t_conv)
        return m * (t_read + t_conv)

    @property
    def row_groups(self) -> int:
        return math.ceil(self.arrays.rows / self.arrays.active_rows)

    @property
    def vector_latency_s(self) -> float:
        """Time for one full-precision input vector through one array."""
        return self.spec.chip.number_format.input_cycles * self.row_groups * self.array_cycle_s

    @property
    def peak_ops_per_s(self) -> float:
        return 2.0 * self.weights_per_array * self.array_count / self.vector_latency_s

    # -- area and leakage ---------------------------------------------------------------
    def area_breakdown(self) -> dict[str, float]:
        """Area (m^2) per component instance name; sums to :attr:`area_m2`."""
        return {inst.name: inst.area_m2 for inst in self.instances}

    @property
    def area_m2(self) -> float:
        return sum(self.area_breakdown().values())

    @property
    def leakage_W(self) -> float:
        return sum(inst.leakage_W for inst in self.instances)

    def counts(self) -> dict[str, int]:
        out = {"tiles": self.spec.chip.tiles.count,
               "pes": self.spec.chip.tiles.count * self.spec.chip.tiles.pes.count,
               "arrays": self.array_count}
        for inst in self.instances:
            out[inst.name] = inst.total
        return out


# ---------------------------------------------------------------------------------------
# Building component models from the spec


def _build(arch: Architecture, kind: str, model: str, path: tuple, params: dict[str, Any]) -> cbase.Component:
    """Instantiate ``kind``/``model`` with ``params``; errors name the key path and line."""
    from cimsim.components import registry

    where = f"{arch.origins.find(path)}: {dotted(path)}"
    try:
        cls = registry.get(kind, model)
    except CimsimError as exc:
        raise SpecError(f"{where}: {exc}") from None
    sig = inspect.signature(cls.__init__)
    accepts_any = any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values())
    if not accepts_any:
        valid = [n for n in sig.parameters if n not in ("self", "tech")]
        for key in params:
            if key not in valid:
                import difflib

                close = difflib.get_close_matches(key, valid, n=1, cutoff=0.5)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                raise SpecError(
                    f"{arch.origins.find(path + ('params', key))}: {dotted(path + ('params', key))}: "
                    f"the {kind} model '{model}' has no parameter '{key}'{hint}; its parameters are: "
                    f"{', '.join(valid)}."
                )
    try:
        return cls(arch.tech, **params)
    except CimsimError as exc:
        raise SpecError(f"{where}: {exc}") from None
    except (TypeError, ValueError) as exc:
        raise SpecError(f"{where}: the {kind} model '{model}' rejected its parameters: {exc}.") from None


def _array_context(kind: str, model: str, arrays, chip) -> dict[str, Any]:
    """Facts of the array a model asks for by name (its ``array_context``): ``adc_bits``,
    ``cells_per_weight``, ``columns_per_adc``, ``input_cycles``. A parameter set in the file wins."""
    from cimsim.components import registry

    try:
        wanted = getattr(registry.get(kind, model), "array_context", ())
    except CimsimError:
        return {}   # _build reports the unknown model with its key path
    nf = chip.number_format
    facts = {"adc_bits": arrays.readout.bits if arrays.readout.kind == "adc" else None,
             "cells_per_weight": -(-nf.weight_bits // arrays.bits_per_cell),
             "columns_per_adc": arrays.columns_per_adc,
             "input_cycles": nf.input_cycles}
    return {k: facts[k] for k in wanted}


def _add(arch: Architecture, level: str, role: str, kind: str, model: str, path: tuple,
         per_parent: int, parents: int, params: dict[str, Any]) -> None:
    comp = _build(arch, kind, model, path, params)
    arch.instances.append(Instance(level, role, comp, per_parent, per_parent * parents, path))


def _level_periphery(arch: Architecture, level: str, section, path: tuple, parents: int, children: int) -> None:
    """Buffer, interconnect, accumulator and published units of one level (chip, tile or PE)."""
    if section.buffer is not None:
        b = section.buffer
        _add(arch, level, "buffer", "buffer", b.memory, path + ("buffer",), b.count, parents,
             {"size_bits": int(b.size), "width_bits": int(b.width), **b.params.kwargs()})
    if section.interconnect is not None:
        ic = section.interconnect
        # A level with one child still links it to the level's buffer: at least two endpoints.
        p = {"width_bits": int(ic.width), "endpoints": max(2, children), **ic.params.kwargs()}
        if ic.energy_per_bit is not None:
            p["energy_per_bit_J"] = ic.energy_per_bit
        _add(arch, level, "interconnect", "interconnect", ic.model, path + ("interconnect",), 1, parents, p)
    if section.accumulator is not None:
        acc = section.accumulator
        _add(arch, level, "accumulator", "adder_tree", acc.model, path + ("accumulator",), acc.count, parents,
             {"inputs": max(2, children), "bits": acc.bits, **acc.params.kwargs()})
    for role, unit in getattr(section, "units", {}).items():
        _add(arch, level, role, "unit", unit.model, path + ("units", role), unit.count, parents, unit.params.kwargs())


def build_architecture(spec: ArchSpec, origins: Origins) -> Architecture:
    chip = spec.chip
    tech = cbase.Technology(node_nm=round(chip.technology.node * 1e9, 6), vdd_V=chip.technology.vdd,
                            clock_Hz=chip.clock, flavor=chip.technology.flavor)
    arch = Architecture(spec=spec, origins=origins, tech=tech)
    tiles, pes, arrays = chip.tiles, chip.tiles.pes, chip.tiles.pes.arrays
    n_tiles = tiles.count
    n_pes = n_tiles * pes.count
    n_arrays = n_pes * arrays.count
    p_chip, p_tile = ("chip",), ("chip", "tiles")
    p_pe, p_arr = p_tile + ("pes",), p_tile + ("pes", "arrays")

    _level_periphery(arch, "chip", chip, p_chip, 1, n_tiles)
    if chip.io is not None:
        _add(arch, "chip", "io", "io", chip.io.model, p_chip + ("io",), chip.io.count, 1,
             chip.io.params.kwargs())
    _level_periphery(arch, "tile", tiles, p_tile, n_tiles, pes.count)
    _level_periphery(arch, "pe", pes, p_pe, n_pes, arrays.count)

    # The array itself.
    if arrays.kind == "crossbar":
        dev = arrays.device
        p = {"rows": arrays.rows, "columns": arrays.columns, "bits_per_cell": arrays.bits_per_cell,
             "r_on_ohm": dev.r_on, "r_off_ohm": dev.resolved_r_off,
             "read_voltage_V": arrays.read_voltage, "read_pulse_s": arrays.read_pulse}
        if arrays.cell_area_F2 is not None:
            p["cell_area_F2"] = arrays.cell_area_F2
        if dev.write_energy is not None:
            p["write_energy_J"] = dev.write_energy
        _add(arch, "array", "crossbar", "crossbar", "rram", p_arr, 1, n_arrays, {**p, **arrays.params.kwargs()})
    else:
        # Charge sharing: each merged column is bits_per_cell 1-bit bit columns (wordlines,
        # bitlines and cells are the bit columns').
        bit_columns = arrays.columns * (arrays.bits_per_cell if arrays.charge_sharing else 1)
        p = {"rows": arrays.rows, "columns": bit_columns}
        if arrays.cell_area_F2 is not None:
            p["cell_area_F2"] = arrays.cell_area_F2
        _add(arch, "array", "sram_macro", "sram_macro", "sram_cim", p_arr, 1, n_arrays, {**p, **arrays.params.kwargs()})

    # Sub-array peripheries (NeuroSim V1.4 SubArray.cpp), each only when the file asks for it.
    if arrays.periphery is not None:
        dev = arrays.device
        cell_h = math.sqrt((arrays.cell_area_F2 or 48.0) / 3.0)   # the crossbar's 1:3 cell aspect
        common = {"rows": arrays.rows, "columns": arrays.columns,
                  "cell_height_features": cell_h, "cell_width_features": 3.0 * cell_h}
        resistive = {"rows_active": arrays.active_rows, "r_on_ohm": dev.r_on, "r_off_ohm": dev.resolved_r_off}
        for key, kind, model, params in arrays.periphery.parts():
            p = dict(common)
            per_array = 1
            if kind == "level_shifter":
                p = {}
                per_array = 2 * arrays.rows + arrays.columns     # word, bit and source lines
            elif key == "row_switch_matrix" and arrays.read_voltage is not None:
                p["read_voltage_V"] = arrays.read_voltage
            elif key == "column_switch_matrix":
                p.update(resistive)
            elif key == "column_mux":
                p.update(resistive, columns_multiplexed=arrays.columns_per_adc, read_voltage_V=arrays.read_voltage)
            role = "level_shifter" if kind == "level_shifter" else key
            _add(arch, "array", role, kind, model, p_arr + ("periphery", key), per_array, n_arrays, {**p, **params})

    # Input drivers: one per row (none when the periphery's row switch matrix drives the rows).
    drv = arrays.row_driver
    if drv is not None:
        p = {"bits": drv.bits, **drv.params.kwargs()}
        if arrays.read_voltage is not None:
            p.setdefault("read_voltage_V", arrays.read_voltage)
        _add(arch, "array", "dac", "dac", drv.model, p_arr + ("input_driver",), arrays.rows, n_arrays, p)

    # Column read-out.
    r = arrays.readout
    if r.kind == "adc":
        p = {"bits": r.bits, "rows": arrays.active_rows, **r.params.kwargs()}
        _add(arch, "array", "adc", "adc", r.model or "neurosim_sar", p_arr + ("readout",), arrays.adc_count, n_arrays, p)
        if r.bfp is not None:  # BFP-CIM: range logic beside each ADC
            _add(arch, "array", "bfp_logic", "bfp_logic", r.bfp.model, p_arr + ("readout", "bfp"), arrays.adc_count,
                 n_arrays, {"bits": r.bits, "mantissa_bits": r.bfp.mantissa_bits, "block": arrays.bfp_block,
                            **r.bfp.params.kwargs()})
    else:
        per_column = 1 if r.levels == "binary" else 2
        _add(arch, "array", "sense_amp", "sense_amp", r.model or "neurosim", p_arr + ("readout",),
             arrays.columns * per_column, n_arrays, r.params.kwargs())

    if arrays.dcim is not None:
        # HCiM: the DCiM scale-factor array accumulates the sense-amp outputs (no shift-add).
        dc = arrays.dcim
        nf = chip.number_format
        p = {"bits": dc.bits, "scale_factor_words": arrays.columns * nf.input_cycles,
             "accumulator_words": max(1, arch.weight_columns), **dc.params.kwargs()}
        _add(arch, "array", "dcim", "dcim", dc.model, p_arr + ("dcim",), dc.count, n_arrays, p)
        return arch
    sa = arrays.shift_add
    _add(arch, "array", "shift_add", "shift_add", sa.model, p_arr + ("shift_add",), arrays.shift_add_count,
         n_arrays, {"bits": sa.bits, **_array_context("shift_add", sa.model, arrays, chip), **sa.params.kwargs()})
    return arch


def load_architecture(path: str | Path, sets: Iterable[str] = ()) -> Architecture:
    """Load, validate and build an architecture file (``extends`` and ``--set`` applied)."""
    data, origins = load_arch_data(path, sets)
    spec = validate(data, origins)
    return build_architecture(spec, origins)
