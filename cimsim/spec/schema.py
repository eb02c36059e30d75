"""The architecture schema: chip -> tiles -> PEs -> arrays, with the periphery at each level.

Every physical quantity is written with its unit in the file and held in SI here (the
``_s``, ``_V``, ``_bits``... attribute names say which unit). Structure::

    name, description
    chip:
      technology: {node, vdd, flavor}
      clock
      number_format: {weight_encoding, input_encoding, input_bits_per_cycle, weight_bits, input_bits}
      buffer, interconnect, accumulator          # global level
      io: {model, count, params}                 # off-chip links (static power, area)
      tiles:
        count, buffer, interconnect, accumulator, units {role: {model, count, params}}
        pes:
          count, buffer, interconnect, accumulator, units {role: {model, count, params}}
          arrays:
            count, kind (crossbar | sram_macro), rows, columns, bits_per_cell, rows_active, charge_sharing,
            device {kind rram|pcm|fefet|sram, r_on, r_off | on_off_ratio},
            read_voltage, read_pulse,
            input_driver {model, bits}, readout {kind adc|sense_amp, model, bits, count, columns_per_adc},
            shift_add {model, bits, count}, dcim {model, bits, count}  (HCiM, sense amps only),
            periphery {row_switch_matrix, column_switch_matrix, column_mux, level_shifters}  (optional)
    mapping: {conv_unroll}
    timing: {accounting event | neurosim_serial, params}

Every mapping rejects unknown keys (suggesting the closest valid one); ranges and the
consistency of the hierarchy (ADCs vs columns, active rows vs rows, device vs array kind)
are checked here, so the engines can trust what they receive.
"""

from __future__ import annotations

import difflib
import math
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from cimsim.spec.units import QuantityError, parse_quantity, suffix_dimension


def _quantity(dimension: str):
    def parse(value: Any) -> float:
        try:
            return parse_quantity(value, dimension)[0]
        except QuantityError as exc:
            raise PydanticCustomError("quantity", str(exc)) from None

    return BeforeValidator(parse)


Length = Annotated[float, _quantity("length"), Field(gt=0)]
Time = Annotated[float, _quantity("time"), Field(gt=0)]
Frequency = Annotated[float, _quantity("frequency"), Field(gt=0)]
Voltage = Annotated[float, _quantity("voltage"), Field(gt=0)]
Resistance = Annotated[float, _quantity("resistance"), Field(gt=0)]
Energy = Annotated[float, _quantity("energy"), Field(ge=0)]
Power = Annotated[float, _quantity("power"), Field(ge=0)]
Area = Annotated[float, _quantity("area"), Field(ge=0)]
Bits = Annotated[float, _quantity("bits"), Field(gt=0)]

Count = Annotated[int, Field(ge=1, strict=True)]


def inconsistent(key: str, message: str) -> PydanticCustomError:
    """An error about one key of the model being validated (``key`` relative to it)."""
    return PydanticCustomError("inconsistent", message, {"key": key})


class Section(BaseModel):
    """Base of every mapping in an architecture file: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _unknown_keys(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        valid = set(cls.model_fields)
        for name, info in cls.model_fields.items():
            if info.alias:
                valid.add(info.alias)
        for key in data:
            if key not in valid:
                close = difflib.get_close_matches(str(key), sorted(valid), n=1, cutoff=0.5)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                raise PydanticCustomError(
                    "unknown_key",
                    "unknown key '{key}'{hint}; valid keys here: {valid}",
                    {"key": str(key), "hint": hint, "valid": ", ".join(sorted(valid))},
                )
        return data


class ComponentParams(Section):
    """Free-form keyword parameters passed to a component model's constructor.

    Keys are the model's keyword names, which end in their SI unit (``energy_per_bit_J``,
    ``latency_s``); values are written with units (``0.225 pJ``) and checked against that
    suffix. Plain numbers are allowed only for keys without a unit suffix.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _unknown_keys(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        out = {}
        for key, value in data.items():
            dim = suffix_dimension(str(key))
            if dim is None:
                out[key] = value
                continue
            try:
                out[key] = parse_quantity(value, dim)[0]
            except QuantityError as exc:
                raise inconsistent(str(key), str(exc)) from None
        return out

    def kwargs(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class Technology(Section):
    """Process and operating point. Sources per architecture file."""

    node: Length = Field(description="feature size, e.g. '22 nm'")
    vdd: Voltage = Field(description="supply voltage, e.g. '0.8 V'")
    flavor: Literal["LSTP", "HP", "LOP"] = Field(
        "LSTP", description="transistor type as NeuroSim names it (LSTP is NeuroSim's CIM default)"
    )

    @model_validator(mode="after")
    def _range(self):
        if not (5e-9 <= self.node <= 180e-9):
            raise inconsistent("node", f"expected a technology node from 5 nm to 180 nm, found {self.node * 1e9:g} nm")
        if not (0.3 <= self.vdd <= 3.3):
            raise inconsistent("vdd", f"expected a supply voltage from 0.3 V to 3.3 V, found {self.vdd:g} V")
        return self


class NumberFormat(Section):
    """How signed weights and inputs are represented (Huang et al., TODAES 2022, §3).

    weight_encoding: ``differential`` (w = w+ - w-, two column groups), ``twos_complement``
    (sign digit subtracted after read-out) or ``offset`` (shifted unsigned, w + 2^(B-1),
    cancelled by a reference column or digitally).
    input_encoding: ``bit_serial`` (d bits per cycle through 1-bit or d-bit drivers) or
    ``parallel`` (multi-level DAC, all bits in one cycle).
    weight_bits / input_bits: the nominal precision the chip is provisioned for (capacity and
    peak throughput in ``describe``); a trace may use less.
    """

    weight_encoding: Literal["differential", "twos_complement", "offset"] = "twos_complement"
    offset_correction: Literal["reference_column", "digital"] = Field(
        "reference_column", description="for offset encoding: how 2^(B-1)*sum(x) is cancelled"
    )
    input_encoding: Literal["bit_serial", "parallel"] = "bit_serial"
    input_bits_per_cycle: Count = 1
    weight_bits: Annotated[int, Field(ge=1, le=32, strict=True)] = 8
    input_bits: Annotated[int, Field(ge=1, le=32, strict=True)] = 8

    @model_validator(mode="after")
    def _check(self):
        if self.input_bits_per_cycle > self.input_bits:
            raise inconsistent(
                "input_bits_per_cycle",
                f"expected at most input_bits ({self.input_bits}) bits per cycle, found {self.input_bits_per_cycle}",
            )
        return self

    @property
    def input_cycles(self) -> int:
        """Input cycles per full-precision input vector."""
        if self.input_encoding == "parallel":
            return 1
        return math.ceil(self.input_bits / self.input_bits_per_cycle)


class Buffer(Section):
    """A buffer: SRAM or register file, with its size and port width."""

    memory: Literal["sram", "register_file"] = "sram"
    size: Bits
    width: Bits
    count: Count = 1
    params: ComponentParams = ComponentParams()

    @model_validator(mode="after")
    def _check(self):
        if self.width > self.size:
            raise inconsistent("width", f"expected a port width no larger than the size ({self.size:g} bit), found {self.width:g} bit")
        return self


class Interconnect(Section):
    """A bus, H-tree or mesh linking the children of a level."""

    model: Literal["bus", "htree", "mesh"] = "htree"
    width: Bits
    energy_per_bit: Energy | None = Field(None, description="if absent, derived from the wire model")
    params: ComponentParams = ComponentParams()


class IO(Section):
    """The chip's off-chip links (e.g. ISAAC's HyperTransport links): ``count`` links of model
    ``model`` (``fixed``: each at the published ``power_W`` and ``area_m2`` given in ``params``)."""

    model: str = "fixed"
    count: Count = 1
    params: ComponentParams = ComponentParams()


#: Role names a level's own components take (a unit under ``units`` may not reuse them).
_LEVEL_ROLES = ("buffer", "interconnect", "accumulator", "io")


class Unit(Section):
    """A published auxiliary unit of a tile or PE (kind ``unit``: e.g. ISAAC's output registers,
    sample-and-hold, sigmoid and max-pool units): ``count`` per tile / PE of model ``model``
    (``per_op``: an energy per operation counted from the activity; ``fixed``: a published power
    drawn as static power), with its figures in ``params``."""

    model: str = "per_op"
    count: Count = 1
    params: ComponentParams = ComponentParams()


def _check_units(units: dict) -> dict:
    for role in units:
        if not role.isidentifier() or role in _LEVEL_ROLES:
            raise inconsistent("units", f"a unit's name must be an identifier other than "
                                        f"{', '.join(_LEVEL_ROLES)}; found {role!r}")
    return units


class Accumulator(Section):
    """Adds partial sums from the children of a level (adder tree) or over time (shift-add)."""

    model: str = "digital"
    bits: Annotated[int, Field(ge=1, le=64, strict=True)] = 24
    count: Count = 1
    params: ComponentParams = ComponentParams()


class Device(Section):
    """The memory cell. Resistive devices take R_on and R_off (or R_on and the on/off ratio);
    NeuroSim V1.3 defaults: R_on 6 kohm, R_off 900 kohm (on/off 150)."""

    kind: Literal["rram", "pcm", "fefet", "sram"]
    r_on: Resistance | None = None
    r_off: Resistance | None = None
    on_off_ratio: Annotated[float, Field(gt=1)] | None = None
    write_energy: Energy | None = Field(None, description="energy to program one cell")
    cancel_gmin: bool = Field(
        True, description="a reference column cancels the off-state current Gmin x active rows before the "
        "read-out (cim-models.md §3); false: the read-out carries it")
    variation_sigma: Annotated[float, Field(ge=0, le=1)] = Field(
        0.0, description="relative standard deviation of each cell's conductance (seeded Gaussian); 0: none")
    variation_seed: Annotated[int, Field(ge=0, strict=True)] = 0

    @model_validator(mode="after")
    def _check(self):
        if self.kind == "sram":
            for key in ("r_on", "r_off", "on_off_ratio"):
                if getattr(self, key) is not None:
                    raise inconsistent(key, f"expected no '{key}' for an SRAM cell (it is digital), found one")
            return self
        if self.r_on is None:
            raise inconsistent("r_on", f"a {self.kind} device needs 'r_on' (e.g. '6 kohm'); found none")
        if (self.r_off is None) == (self.on_off_ratio is None):
            raise inconsistent(
                "r_off",
                "expected exactly one of 'r_off' and 'on_off_ratio'; found "
                + ("both" if self.r_off is not None else "neither"),
            )
        if self.r_off is not None and self.r_off <= self.r_on:
            raise inconsistent("r_off", f"expected r_off greater than r_on ({self.r_on:g} ohm), found {self.r_off:g} ohm")
        return self

    @property
    def resolved_r_off(self) -> float | None:
        if self.kind == "sram":
            return None
        return self.r_off if self.r_off is not None else self.r_on * self.on_off_ratio


class InputDriver(Section):
    """Row drivers / DACs: 1-bit wordline drivers for bit-serial inputs by default."""

    model: str = "wordline_driver"
    bits: Annotated[int, Field(ge=1, le=8, strict=True)] = 1
    params: ComponentParams = ComponentParams()


class BFP(Section):
    """BFP-CIM range-aware rounding at the ADC (Chang et al., ASP-DAC 2024; cim-models.md §7):
    each converted value keeps ``mantissa_bits`` from its first toggled bit, and the ``block``
    columns an ADC converts in one read (default: its ``columns_per_adc``) share the largest
    exponent. The ADC's energy and time follow the bits resolved; ``model`` (``gate``) costs the
    leading-one detection, exponent maximum, block registers, alignment shifter and rounding."""

    mantissa_bits: Annotated[int, Field(ge=1, le=8, strict=True)] = 4
    block: Annotated[int, Field(ge=1, le=256, strict=True)] | None = None
    model: str = "gate"
    params: ComponentParams = ComponentParams()


class Readout(Section):
    """Column read-out: an ADC bank (``count`` ADCs each shared over ``columns_per_adc``
    columns, read one after another) or sense amplifiers (binary: 1, ternary: 2 per column)."""

    kind: Literal["adc", "sense_amp"] = "adc"
    model: str | None = Field(None, description="ADC model name (see `cimsim describe --models`)")
    bits: Annotated[int, Field(strict=True)] | None = None
    levels: Literal["binary", "ternary"] | None = None
    count: Annotated[int, Field(strict=True)] | None = None
    columns_per_adc: Annotated[int, Field(strict=True)] | None = None
    range: Literal["fixed", "calibrated"] = Field(
        "fixed",
        description="ADC input range: 'fixed' full scale (LSB 2^(N_full - N) partial-sum units) or "
        "'calibrated' to the min-max of the partial sums (NeuroSim's Python front end)",
    )
    calibration_granularity: Literal["layer", "array", "column", "column_cycle"] = "layer"
    bfp: BFP | None = Field(None, description="BFP-CIM range-aware rounding with dynamic block floating point")
    params: ComponentParams = ComponentParams()

    @model_validator(mode="after")
    def _check(self):
        if self.kind == "adc":
            if self.bits is None:
                raise inconsistent("bits", "an ADC read-out needs 'bits' (1 to 16); found none")
            if not (1 <= self.bits <= 16):
                raise inconsistent("bits", f"expected ADC bits from 1 to 16, found {self.bits}")
            if self.levels is not None:
                raise inconsistent("levels", "'levels' applies to sense-amplifier read-out, not to an ADC")
            if self.bfp is not None and self.bfp.mantissa_bits > self.bits:
                raise inconsistent("bfp.mantissa_bits", f"expected at most the ADC's {self.bits} bits of mantissa, "
                                                        f"found {self.bfp.mantissa_bits}")
        else:
            if self.levels is None:
                raise inconsistent("levels", "a sense-amplifier read-out needs 'levels': binary or ternary; found none")
            if self.bits is not None:
                raise inconsistent("bits", "'bits' applies to an ADC; a sense amplifier has 'levels'")
            if self.bfp is not None:
                raise inconsistent("bfp", "block floating point (BFP-CIM) rounds ADC outputs; a sense amplifier has none")
        for key in ("count", "columns_per_adc"):
            v = getattr(self, key)
            if v is not None and v < 1:
                raise inconsistent(key, f"expected a positive integer, found {v}")
        return self


class ShiftAdd(Section):
    model: str = "digital"
    bits: Annotated[int, Field(ge=1, le=64, strict=True)] = 24
    count: Annotated[int, Field(ge=1, strict=True)] | None = None
    params: ComponentParams = ComponentParams()


class DCiM(Section):
    """HCiM's digital CiM scale-factor array beside each array read by sense amplifiers
    (Negi et al., arXiv 2403.13577): it stores the pre-shifted scale factors and adds or
    subtracts one into the output's accumulator for every non-zero sense-amp output, skipping
    zeros; it takes the shift-add's place. ``bits``: scale-factor / accumulator width;
    ``count``: DCiM arrays per crossbar; ``params``: the model's (``lanes``, ``pipelined``,
    ``scale_factor_words``, ...; see ``cimsim describe --models``)."""

    model: str = "sram_adder"
    bits: Annotated[int, Field(ge=4, le=64, strict=True)] = 16
    count: Count = 1
    params: ComponentParams = ComponentParams()


class PeripheryPart(Section):
    """One sub-array periphery circuit: its component ``model`` (default: the NeuroSim V1.4 model of
    its kind) and the model's ``params`` (see ``cimsim describe --models``)."""

    model: str | None = None
    params: ComponentParams = ComponentParams()


class ArrayPeriphery(Section):
    """Sub-array peripheries of a 1T1R array read in parallel that NeuroSim V1.4 models
    (``SubArray.cpp``; :mod:`cimsim.components.periphery`), each optional and absent by default:

    - ``row_switch_matrix``: per row, the gates passing the access and read voltages and a DFF
      holding the row's input bit (kind ``switch_matrix``, model ``neurosim_row``);
    - ``column_switch_matrix``: the source-line gates and DFFs used to write the array (kind
      ``switch_matrix``, model ``neurosim_column``; area and leakage only);
    - ``column_mux``: the analog column multiplexers in front of the ADCs and their decoder (kind
      ``column_mux``, model ``neurosim``; needs ADCs shared over several columns);
    - ``level_shifters``: a write level shifter on every word, bit and source line (kind
      ``level_shifter``, model ``neurosim``; NeuroSim adds them when the write voltage exceeds
      1.5 V; area only);
    - ``precharger``: an SRAM array's bit-line precharger, every column precharged at every
      multiplexer step of every row group (kind ``precharger``, model ``neurosim``).

    An SRAM array (kind ``sram_macro``) takes the ``precharger`` and a ``row_switch_matrix`` of
    model ``neurosim_row_sram`` (``SwitchMatrix.cpp`` ROW_MODE); the other models are 1T1R ones.
    """

    row_switch_matrix: PeripheryPart | None = None
    column_switch_matrix: PeripheryPart | None = None
    column_mux: PeripheryPart | None = None
    level_shifters: PeripheryPart | None = None
    precharger: PeripheryPart | None = None

    #: key -> (component kind, default model)
    PARTS: ClassVar[dict[str, tuple[str, str]]] = {"row_switch_matrix": ("switch_matrix", "neurosim_row"),
             "column_switch_matrix": ("switch_matrix", "neurosim_column"),
             "column_mux": ("column_mux", "neurosim"),
             "level_shifters": ("level_shifter", "neurosim"),
             "precharger": ("precharger", "neurosim")}

    def parts(self):
        """(key, kind, model, params) of every part present, in a fixed order."""
        for key, (kind, model) in self.PARTS.items():
            part = getattr(self, key)
            if part is not None:
                yield key, kind, part.model or model, part.params.kwargs()


class Arrays(Section):
    """The arrays of one PE: crossbars or SRAM CIM macros, all alike."""

    count: Count
    kind: Literal["crossbar", "sram_macro"] = "crossbar"
    rows: Count
    columns: Count
    bits_per_cell: Annotated[int, Field(ge=1, le=8, strict=True)] = 1
    rows_active: Annotated[int, Field(strict=True)] | None = Field(None, description="rows read at once; default all")
    device: Device
    read_voltage: Voltage | None = None
    read_pulse: Time | None = None
    cell_area_F2: Annotated[float, Field(gt=0)] | None = Field(None, description="cell area in F^2")
    sample_and_hold: bool = Field(
        False,
        description="True: the array is read once into sample-and-hold circuits and the ADCs convert "
        "while the next read proceeds (ISAAC, MICRO'16 §IV); False: every column-multiplexer step is a "
        "read followed by a conversion (NeuroSim's read-out)",
    )
    charge_sharing: bool = Field(
        False,
        description="SRAM macros only: each column holds a bits_per_cell-bit weight digit as bits_per_cell "
        "1-bit cell columns whose bitlines are merged by charge sharing on binary-weighted capacitors "
        "before one conversion (Sinangil et al., JSSC 2021); 'columns' counts the merged columns, the "
        "macro has columns x bits_per_cell bit columns",
    )
    input_driver: InputDriver | None = Field(
        None, description="row input drivers (default: 1-bit wordline drivers); none when the periphery's "
        "row switch matrix drives the rows")
    readout: Readout
    shift_add: ShiftAdd = ShiftAdd()
    dcim: DCiM | None = Field(None, description="HCiM digital CiM scale-factor array (sense-amp read-out only); "
                              "replaces the shift-add")
    periphery: ArrayPeriphery | None = Field(
        None, description="sub-array peripheries NeuroSim models (switch matrices, column multiplexer and "
        "decoder, write level shifters); absent: none")
    params: ComponentParams = ComponentParams()

    @model_validator(mode="after")
    def _check(self):
        if self.periphery is not None:
            present = [k for k, *_ in self.periphery.parts()]
            if self.periphery.row_switch_matrix is not None and self.input_driver is not None:
                raise inconsistent("input_driver", "the periphery's row switch matrix drives the rows (NeuroSim "
                                   "V1.4 SubArray.cpp: its gates pass the read and access voltages to every "
                                   "row), so a separate input driver would count the row drive twice; expected "
                                   "no input_driver with periphery.row_switch_matrix, found one")
            for key, _kind, model, _params in self.periphery.parts():
                sram_part = key == "precharger" or model == "neurosim_row_sram"
                if sram_part and self.kind != "sram_macro":
                    raise inconsistent(f"periphery.{key}", f"model '{model}' belongs to an SRAM array (NeuroSim "
                                       f"V1.4 SubArray.cpp, SRAM branch); expected kind sram_macro with it, found "
                                       f"'{self.kind}'")
                if not sram_part and self.kind != "crossbar":
                    raise inconsistent(f"periphery.{key}", f"the NeuroSim 1T1R sub-array peripheries drive a 1T1R "
                                       f"crossbar; expected kind crossbar with model '{model}', found '{self.kind}'")
            if self.periphery.column_mux is not None and (self.readout.kind != "adc" or self.columns_per_adc < 2):
                raise inconsistent("periphery.column_mux", "a column multiplexer selects one of several columns per "
                                   "ADC; expected an ADC read-out with columns_per_adc of 2 or more, found "
                                   + (f"'{self.readout.kind}' read-out" if self.readout.kind != "adc"
                                      else f"{self.columns_per_adc} column per ADC"))
        if self.dcim is not None and self.readout.kind != "sense_amp":
            raise inconsistent("dcim", f"a DCiM scale-factor array accumulates sense-amplifier outputs (HCiM); "
                                       f"expected readout.kind sense_amp with it, found '{self.readout.kind}'")
        if self.rows_active is not None and not (1 <= self.rows_active <= self.rows):
            raise inconsistent("rows_active", f"expected 1 to rows ({self.rows}) rows active at once, found {self.rows_active}")
        if self.kind == "sram_macro" and self.device.kind != "sram":
            raise inconsistent("device.kind", f"an sram_macro array needs device kind 'sram', found '{self.device.kind}'")
        if self.kind == "crossbar" and self.device.kind == "sram":
            raise inconsistent("device.kind", "a crossbar needs a resistive device (rram, pcm, fefet); found 'sram' (use kind: sram_macro)")
        if self.charge_sharing and self.kind != "sram_macro":
            raise inconsistent("charge_sharing", f"charge sharing merges the 1-bit columns of an SRAM macro; "
                                                 f"expected kind sram_macro with it, found '{self.kind}'")
        if self.device.kind == "sram" and self.bits_per_cell != 1 and not self.charge_sharing:
            raise inconsistent("bits_per_cell", f"an SRAM cell holds 1 bit, found bits_per_cell {self.bits_per_cell} "
                                                f"(a multi-bit column of 1-bit cells needs charge_sharing: true)")
        if self.kind == "crossbar":
            for key in ("read_voltage", "read_pulse"):
                if getattr(self, key) is None:
                    raise inconsistent(key, f"a crossbar needs '{key}' (e.g. '{'0.5 V' if key == 'read_voltage' else '10 ns'}'); found none")
        r = self.readout
        if r.kind == "adc":
            if r.count is not None and r.count > self.columns:
                raise inconsistent("readout.count", f"expected at most one ADC per column ({self.columns} columns), found {r.count} ADCs")
            if r.columns_per_adc is not None and r.columns_per_adc > self.columns:
                raise inconsistent("readout.columns_per_adc", f"expected at most the array's {self.columns} columns per ADC, found {r.columns_per_adc}")
            if r.count is not None and r.columns_per_adc is not None and r.count * r.columns_per_adc < self.columns:
                raise inconsistent(
                    "readout.count",
                    f"{r.count} ADCs x {r.columns_per_adc} columns each cannot read {self.columns} columns; "
                    f"expected count x columns_per_adc >= columns",
                )
        elif r.count is not None or r.columns_per_adc is not None:
            raise inconsistent("readout.count", "a sense-amplifier read-out has one set per column; 'count'/'columns_per_adc' are for ADCs")
        return self

    # Resolved values -------------------------------------------------------------------
    @property
    def row_driver(self) -> InputDriver | None:
        """The row input drivers: ``input_driver``, the default 1-bit wordline drivers when it is
        absent, none when the periphery's row switch matrix drives the rows."""
        if self.input_driver is not None:
            return self.input_driver
        if self.periphery is not None and self.periphery.row_switch_matrix is not None:
            return None
        return InputDriver()

    @property
    def active_rows(self) -> int:
        return self.rows_active or self.rows

    @property
    def adc_count(self) -> int:
        """ADCs per array (columns for sense amplifiers: one set per column)."""
        r = self.readout
        if r.kind != "adc":
            return self.columns
        if r.count is not None:
            return r.count
        return math.ceil(self.columns / (r.columns_per_adc or 1))

    @property
    def columns_per_adc(self) -> int:
        r = self.readout
        if r.kind != "adc":
            return 1
        if r.columns_per_adc is not None:
            return r.columns_per_adc
        return math.ceil(self.columns / self.adc_count)

    @property
    def bfp_block(self) -> int:
        """Columns sharing one BFP exponent: ``readout.bfp.block``, else the columns per ADC."""
        b = self.readout.bfp
        return b.block if b is not None and b.block is not None else self.columns_per_adc

    @property
    def accumulator_bits(self) -> int:
        """Width of the per-output accumulation at the array: the DCiM's when there is one."""
        return self.dcim.bits if self.dcim is not None else self.shift_add.bits

    @property
    def shift_add_count(self) -> int:
        return self.shift_add.count if self.shift_add.count is not None else self.adc_count


class PEs(Section):
    count: Count
    buffer: Buffer | None = None
    interconnect: Interconnect | None = None
    accumulator: Accumulator | None = None
    units: dict[str, Unit] = Field(default_factory=dict, description="published auxiliary units, by role name")

    @field_validator("units")
    @classmethod
    def _units(cls, v):
        return _check_units(v)
    arrays: Arrays


class Tiles(Section):
    count: Count
    buffer: Buffer | None = None
    interconnect: Interconnect | None = None
    accumulator: Accumulator | None = None
    units: dict[str, Unit] = Field(default_factory=dict, description="published auxiliary units, by role name")

    @field_validator("units")
    @classmethod
    def _units(cls, v):
        return _check_units(v)
    pes: PEs


class Chip(Section):
    technology: Technology
    clock: Frequency
    number_format: NumberFormat = NumberFormat()
    buffer: Buffer | None = None
    interconnect: Interconnect | None = None
    accumulator: Accumulator | None = None
    io: IO | None = None
    reprogramming: bool = Field(False, description="allow time-multiplexed re-programming of weights when a network does not fit")
    tiles: Tiles

    @model_validator(mode="after")
    def _check(self):
        if not (1e6 <= self.clock <= 10e9):
            raise inconsistent("clock", f"expected a clock from 1 MHz to 10 GHz, found {self.clock:g} Hz")
        return self


class Mapping(Section):
    """How layers are laid onto arrays (mapping choices that are part of a design).

    conv_unroll: ``im2col`` stacks a convolution's C x K_h x K_w weights per filter down the
    rows and tiles them by array rows; ``novel`` is NeuroSim's "novel mapping" (Peng et al.,
    IEDM 2019; NeuroSim V1.3 ``novelMapping``): each of the K_h x K_w kernel positions gets its
    own C-row sub-matrix, starting on a fresh row tile, and the positions' partial sums are
    added in the adder tree.

    packing: how filters of different weight precisions (a trace's per-filter ``bits_map``)
    share array columns (:mod:`cimsim.mapping.packing`): ``uniform`` every filter at the
    layer's widest precision; ``mixed`` each at its own precision in a slot as wide as a
    widest-precision filter; ``paired`` two low-precision filters share one slot (SUN, Chen
    et al., IEEE TCAD 2024); ``dense`` filters back to back.

    positions: which output positions of a convolution the costs and the latency count.
    ``all`` (default): every output position, as the hardware computes them. ``valid``: only
    those whose window lies wholly inside the unpadded input, ((H - k_h) / s_h + 1) x
    ((W - k_w) / s_w + 1) per sample (:func:`cimsim.trace.format.valid_positions`), the
    positions NeuroSim V1.4 simulates (its ``utee/hook.py`` unfolds each layer's unpadded input
    into that many windows, ``numInVector`` in ``ProcessingUnit.cpp`` and ``Chip.cpp``) while
    it counts a layer's operations over all of them. A reference's accounting convention for
    validation, not a hardware choice: the outputs are still computed at every position
    (accuracy is unchanged); the border positions' events, buffer and bus traffic and time are
    not counted. Array-wise precision plans do not take it.
    """

    conv_unroll: Literal["im2col", "novel"] = "im2col"
    packing: Literal["uniform", "mixed", "paired", "dense"] = "uniform"
    positions: Literal["all", "valid"] = "all"


class Timing(Section):
    """How latency is accounted (a modelling choice that is part of a design).

    accounting: ``event`` (default) is the discrete-event engine (:mod:`cimsim.engine.sim`);
    ``neurosim_serial`` adds each layer's latencies serially as NeuroSim V1.4 does
    (:mod:`cimsim.engine.neurosim_serial`, whose named parameters ``params`` sets).
    """

    accounting: Literal["event", "neurosim_serial"] = "event"
    params: ComponentParams = ComponentParams()


class ArchSpec(Section):
    """A whole architecture file."""

    name: str
    description: str = ""
    chip: Chip
    mapping: Mapping = Mapping()
    timing: Timing = Timing()

    @property
    def arrays(self) -> Arrays:
        return self.chip.tiles.pes.arrays

    @property
    def array_count(self) -> int:
        t = self.chip.tiles
        return t.count * t.pes.count * t.pes.arrays.count
