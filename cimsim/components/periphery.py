"""Sub-array peripheries of a 1T1R array read in parallel, re-derived from DNN NeuroSim V1.4:
the row (word-line / bit-line) switch matrix, the column (source-line) switch matrix, the analog
column multiplexer with its decoder, and the write level shifters.

NeuroSim V1.4 ``SubArray.cpp`` (RRAM / FeFET, 1T1R, ``conventionalParallel``) builds them as
``wlNewSwitchMatrix`` (``NewSwitchMatrix.cpp``), ``slSwitchMatrix`` (``SwitchMatrix.cpp``,
column mode), ``mux`` (``Mux.cpp``, analog) with ``muxDecoder`` (``RowDecoder.cpp``, MUX mode,
``log2(numColMuxed)`` address bits) and, when the write voltage exceeds 1.5 V, ``wllevelshifter``,
``bllevelshifter`` and ``sllevelshifter`` (``LevelShifter.cpp``); it books all of them as the
sub-array's "other" area and energy. This module re-derives their sizing, area, energy per action
and leakage in cimsim's terms (no NeuroSim code is used), with the gate rules of
:mod:`cimsim.components.neurosim_gates`; every number cites its line of origin.

Node: the formulas are evaluated with NeuroSim's 22 nm PTM data and layout rules (F = 22 nm,
V_dd 0.85 V) and moved to the technology's node and supply with
:func:`~cimsim.components.technology.scale_area` and
:func:`~cimsim.components.technology.scale_energy` (identity at 22 nm, 0.85 V).
"""

from __future__ import annotations

import math
from typing import ClassVar

from cimsim.components import neurosim_gates as g
from cimsim.components._util import check_int, check_nonneg, check_positive
from cimsim.components.base import ActionCost, Component, Technology
from cimsim.components.registry import register
from cimsim.components.technology import (
    NEUROSIM_IOFF_A_PER_M,
    WIRE_CAP_F_PER_M,
    check_node,
    neurosim_flavor,
    scale_area,
    scale_energy,
    scale_latency,
)

_F_REF = g.REFERENCE_NODE_NM * 1e-9

#: NeuroSim ``constant.h``: the access transistor's share of the on-resistance
#: (IR_DROP_TOLERANCE) and the linear-region sizing ratio (LINEAR_REGION_RATIO).
IR_DROP_TOLERANCE = 0.25
LINEAR_REGION_RATIO = 0.20
#: NeuroSim ``constant.h`` metal pitches (F) used by the decoder's layout.
M3_PITCH_F = 2.8


class _NeuroSimPeriphery(Component):
    """Shared parts: the array geometry (1T1R cells ``cell_height_features`` x
    ``cell_width_features`` F, NeuroSim Param.cpp ``heightInFeatureSize1T1R`` 4,
    ``widthInFeatureSize1T1R`` 12), the node scaling and the DFF leakage."""

    def _setup(self, tech: Technology, rows: int, columns: int, cell_height_features: float,
               cell_width_features: float) -> None:
        o = self.owner
        check_node(tech.node_nm, f"{o}: technology node")
        self.flavor = neurosim_flavor(tech.flavor, o)
        self.rows = check_int("rows", rows, 1, None, owner=o)
        self.columns = check_int("columns", columns, 1, None, owner=o)
        self.array_height_F = self.rows * check_positive("cell_height_features", cell_height_features, o)
        self.array_width_F = self.columns * check_positive("cell_width_features", cell_width_features, o)
        self.vdd = g.PTM_22NM[self.flavor]["vdd"]

    def _area(self, area_F2: float) -> float:
        return scale_area(area_F2 * _F_REF * _F_REF, g.REFERENCE_NODE_NM, self.tech.node_nm)

    def _energy(self, energy_J: float) -> float:
        return scale_energy(energy_J, g.REFERENCE_NODE_NM, self.tech.node_nm, from_vdd_V=self.vdd,
                            to_vdd_V=self.tech.vdd_V, flavor=self.tech.flavor)

    def _dff_leakage_W(self, count: int) -> float:
        """``DFF.cpp``: 8 inverters per DFF, each leaking ``(W_N + W_P) I_off / 2`` at ``V_dd``
        (``CalculateGateLeakage``, INV), with cimsim's NeuroSim off-current per width."""
        wn, wp = g.DFF(self.flavor).widths_F
        i_off = NEUROSIM_IOFF_A_PER_M[self.flavor]
        per_inv = (wn + wp) * _F_REF * i_off / 2 * self.vdd
        return self._energy(per_inv * 8 * count)


class _RowSwitchMatrix(_NeuroSimPeriphery):
    """Shared parts of NeuroSim's row switch matrices: the gates in columns as tall as the array
    (``CalculateArea``: ``floor(H / 28 F)`` per column, ``ceil(rows / that)`` columns, re-spread
    to cells ``H / ceil(rows / columns)`` tall, ``gates_per_row`` gate widths per column), the
    ``rows`` DFFs stacked beside them, a ``step()`` that clocks the DFF register once with every DFF
    passing its bit, a ``drive()`` per driven row (its energy set by the subclass), a Horowitz
    delay for both and the DFFs' leakage."""

    actions: ClassVar[tuple[str, ...]] = ("step", "drive")

    def _layout(self, tg_F: tuple[float, float], gates_per_row: int) -> float:
        """Lay out the gates and DFFs; returns the gates' drain capacitance in their cells."""
        self.tg_F = tg_F
        h = self.array_height_F
        per_col = max(1, int(h / g.CELL_HEIGHT_F))
        cols = math.ceil(self.rows / per_col)
        per_col = math.ceil(self.rows / cols)
        self.tg_height_F = h / per_col
        _, w_tg = g.inverter_area_F(*tg_F, self.tg_height_F)
        dff = g.DFF(self.flavor)
        _, dff_w = g.dff_block_F(self.rows, h, dff.size_F, "height")
        self.width_F = gates_per_row * w_tg * cols + dff_w
        self._area_F2 = h * self.width_F
        self.step_energy_ref_J = dff.energy_J * self.rows
        return g.inverter_drain_cap_F(*tg_F, self.tg_height_F, self.flavor)

    def _latency(self) -> float:
        return scale_latency(self.delay_ref_s, g.REFERENCE_NODE_NM, self.tech.node_nm)

    def step(self) -> ActionCost:
        return ActionCost(self._energy(self.step_energy_ref_J), self._latency())

    def drive(self) -> ActionCost:
        return ActionCost(self._energy(self.drive_energy_ref_J), self._latency())

    @property
    def area_m2(self) -> float:
        return self._area(self._area_F2)

    @property
    def leakage_W(self) -> float:
        return self._dff_leakage_W(self.rows)


@register
class NeuroSimRowSwitchMatrix(_RowSwitchMatrix):
    """NeuroSim V1.4's row switch matrix of a 1T1R array read in parallel (``NewSwitchMatrix.cpp``,
    ``SubArray.cpp`` wlNewSwitchMatrix): per row, transmission gates that pass the access voltage
    to the word line and the read voltage to the bit line, and a DFF holding the row's input bit.

    - Transmission gates: NMOS ``2 F x size_ratio``, PMOS ``pnSizeRatio`` times that
      (``newswitchmatrixsizeratio``, 14 at 22 nm in Param.cpp).
    - Layout (``CalculateArea`` beside an array ``rows x cell_height_features`` F tall):
      ``n = floor(H / 28 F)`` gates fit in a column, ``ceil(rows / n)`` columns, re-spread to
      ``ceil(rows / columns)`` per column of height ``H / that``; each gate in a cell that tall
      (folded as ``CalculateGateArea`` folds), 4 gate widths per column; the ``rows`` DFFs
      (12 minimum inverters wide, 28 F tall) stacked in columns as tall as the array. Area:
      ``H x (4 w_TG columns + DFF columns)``.
    - ``step()``: one column-multiplexer step: the DFF register of ``rows`` DFFs clocks once
      (``dff.CalculatePower(numRead, numOutput)``, every DFF passing its bit, not scaled by
      NeuroSim's gamma). NeuroSim charges it ``numColMuxed`` times per input cycle
      (``wlNewSwitchMatrix.CalculatePower(numColMuxed, ...)``), whatever the row groups.
    - ``drive()``: one driven row in one step: ``2 C_d V_acc^2`` (the gate passing the access
      voltage), ``3 C_d V_rd^2`` (the read voltage to the bit line) and ``3 (C_gN + C_gP) V_dd^2``
      (three gates opened), ``C_d`` the gate's drain capacitance in its cell, ``C_g`` its gate
      capacitances. NeuroSim charges it for ``numRow x activityRowRead`` rows per step.
    - Latency of both actions: the gates' step response ``horowitz(R_tg (2 C_d + (C_gN + C_gP)/2 +
      C_load))`` (``CalculateLatency``), ``R_tg`` the two gates in parallel at NeuroSim's normal
      on-resistance (both taken as NMOS, as ``Initialize`` does), ``C_load`` the row line
      (``row_load_F``; default its wire, ``columns x cell_width_features F x 0.2 fF/um``; the
      access transistors' gates and the line resistance are not included).
    - Leakage: the DFFs'.
    """

    kind: ClassVar[str] = "switch_matrix"
    model: ClassVar[str] = "neurosim_row"
    source: ClassVar[str] = (
        "DNN NeuroSim V1.4 NewSwitchMatrix.cpp (Initialize, CalculateArea, CalculatePower), DFF.cpp, "
        "SubArray.cpp (wlNewSwitchMatrix for 1T1R conventionalParallel), Param.cpp "
        "(newswitchmatrixsizeratio 14 at 22 nm, accessVoltage 1.1 V), formula.cpp")
    valid_range: ClassVar[str] = "1T1R arrays; NeuroSim 22 nm bulk rules, other nodes by cimsim's scaling"

    def __init__(self, tech: Technology, *, rows: int = 128, columns: int = 128,
                 cell_height_features: float = 4.0, cell_width_features: float = 12.0,
                 size_ratio: float = 14.0, access_voltage_V: float = 1.1, read_voltage_V: float = 0.5,
                 row_load_F: float | None = None):
        super().__init__(tech)
        self._setup(tech, rows, columns, cell_height_features, cell_width_features)
        o = self.owner
        self.size_ratio = check_positive("size_ratio", size_ratio, o)
        self.access_voltage_V = check_positive("access_voltage_V", access_voltage_V, o)
        self.read_voltage_V = check_positive("read_voltage_V", read_voltage_V, o)
        pn = g.PTM_22NM[self.flavor]["pn_ratio"]
        c_d = self._layout((g.MIN_NMOS_F * self.size_ratio, pn * g.MIN_NMOS_F * self.size_ratio), 4)
        c_gn, c_gp = (g.gate_cap_F(w, self.flavor) for w in self.tg_F)
        self.drive_energy_ref_J = (2 * c_d * self.access_voltage_V ** 2 + 3 * c_d * self.read_voltage_V ** 2
                                   + 3 * (c_gn + c_gp) * self.vdd ** 2)
        load = (self.array_width_F * _F_REF * WIRE_CAP_F_PER_M if row_load_F is None
                else check_nonneg("row_load_F", row_load_F, o))
        r_tg = 1.0 / sum(1.0 / g.on_resistance_ohm(w, True, self.flavor) for w in self.tg_F)
        self.delay_ref_s = g.horowitz_s(r_tg * (2 * c_d + (c_gn + c_gp) / 2 + load))[0]


def parallel_cell_resistance_ohm(r_on_ohm: float, r_off_ohm: float, rows_active: int) -> float:
    """NeuroSim V1.4 ``SubArray.cpp`` ``resMemCellAvg`` (1T1R): half the ``rows_active`` cells on and
    half off, each in series with its access transistor (``IR_DROP_TOLERANCE x R_on``), taken in
    parallel and multiplied back by ``rows_active``."""
    r_acc = r_on_ohm * IR_DROP_TOLERANCE
    half = rows_active / 2.0
    return rows_active / (half / (r_on_ohm + r_acc) + half / (r_off_ohm + r_acc))


@register
class NeuroSimColumnSwitchMatrix(_NeuroSimPeriphery):
    """NeuroSim V1.4's column (source-line) switch matrix (``SwitchMatrix.cpp``, COL_MODE;
    ``SubArray.cpp`` slSwitchMatrix): a pair of transmission gates per column and a DFF per column,
    used to write the array.

    - Gate sizing (``Initialize``): a target resistance ``R_tg = R_avg / rows_active x rows x
      size_ratio`` (``resTg * numRow`` with ``resTg = resMemCellAvg / numRowParallel``,
      ``switchmatrixsizeratio`` 0.2 at 22 nm), ``W = R_on(1 F) F x LINEAR_REGION_RATIO / (2 R_tg)``
      for NMOS and PMOS, at least 1 F.
    - Layout (``CalculateArea`` below an array ``columns x cell_width_features`` F wide): pairs of
      gates in rows as wide as the array, ``floor(W_arr / (2 x 7.6 F))`` pairs per row, re-spread,
      each gate folded to fill its share (``CalculatePassGateArea``); the ``columns`` DFFs in rows as
      wide as the array. Area: ``W_arr x (rows of gates x h_TG + DFF rows x 28 F)``.
    - Read energy: none (NeuroSim charges it only when writing: ``slSwitchMatrix.CalculatePower(0,
      ...)`` in inference); no read action.
    - ``write(columns=None)``: one row written with ``columns`` of its cells selected (default all),
      one SET and one RESET pulse (``CalculatePower``, neuro mode, 1T1R, column mode):
      ``3 C_d V_w^2 (N + n/2) + (C_gN + C_gP) V_dd^2 N`` for ``N`` columns, ``n`` selected, at the
      write voltage ``write_voltage_V`` (Param.cpp writeVoltage 2 V). Latency: the gates' step
      response ``horowitz(0.69 R_tg (2 C_d + (C_gN + C_gP)/2))`` (``CalculateLatency``, without
      the line's load).
    - Leakage: the DFFs'.
    """

    kind: ClassVar[str] = "switch_matrix"
    model: ClassVar[str] = "neurosim_column"
    source: ClassVar[str] = (
        "DNN NeuroSim V1.4 SwitchMatrix.cpp (Initialize, CalculateArea COL_MODE), DFF.cpp, SubArray.cpp "
        "(slSwitchMatrix with resMemCellAvg / numRowParallel x numRow), Param.cpp (switchmatrixsizeratio "
        "0.2 at 22 nm), constant.h (IR_DROP_TOLERANCE, LINEAR_REGION_RATIO), formula.cpp")
    valid_range: ClassVar[str] = "1T1R arrays; NeuroSim 22 nm bulk rules, other nodes by cimsim's scaling"
    actions: ClassVar[tuple[str, ...]] = ("write",)

    def __init__(self, tech: Technology, *, rows: int = 128, columns: int = 128, rows_active: int | None = None,
                 r_on_ohm: float = 100e3, r_off_ohm: float = 1.7e6,
                 cell_height_features: float = 4.0, cell_width_features: float = 12.0,
                 size_ratio: float = 0.2, write_voltage_V: float = 2.0):
        super().__init__(tech)
        self._setup(tech, rows, columns, cell_height_features, cell_width_features)
        o = self.owner
        active = self.rows if rows_active is None else check_int("rows_active", rows_active, 1, self.rows, owner=o)
        r_on = check_positive("r_on_ohm", r_on_ohm, o)
        r_off = check_positive("r_off_ohm", r_off_ohm, o)
        self.size_ratio = check_positive("size_ratio", size_ratio, o)
        r_tg = parallel_cell_resistance_ohm(r_on, r_off, active) / active * self.rows * self.size_ratio
        self.tg_F = tuple(max(1.0, g.on_resistance_ohm(1.0, nmos, self.flavor) * LINEAR_REGION_RATIO / (2 * r_tg))
                          for nmos in (True, False))
        w = self.array_width_F
        min_cell = 2 * g.CPP_F
        per_row = max(1, int(w / (2 * min_cell)))
        tg_rows = math.ceil(self.columns / per_row)
        per_row = math.ceil(self.columns / tg_rows)
        folds = max(1, int((w / per_row / 2) / (0.5 * min_cell)) - 1)
        h_tg, _ = g.pass_gate_area_F(self.tg_F[0], self.tg_F[1], folds)
        dff_h, _ = g.dff_block_F(self.columns, w, g.DFF(self.flavor).size_F, "width")
        self.height_F = h_tg * tg_rows + dff_h
        self._area_F2 = w * self.height_F
        self.write_voltage_V = check_positive("write_voltage_V", write_voltage_V, o)
        self.c_g = sum(g.gate_cap_F(x, self.flavor) for x in self.tg_F)
        self.c_d = g.inverter_drain_cap_F(*self.tg_F, h_tg, self.flavor)

    def write(self, columns: int | None = None) -> ActionCost:
        n = self.columns if columns is None else check_int("columns", columns, 0, self.columns, owner=self.owner)
        e = (3 * self.c_d * self.write_voltage_V ** 2 * (self.columns + n / 2)
             + self.c_g * self.vdd ** 2 * self.columns)
        r_tg = 1.0 / (1.0 / g.on_resistance_ohm(self.tg_F[0], True, self.flavor)
                      + 1.0 / g.on_resistance_ohm(self.tg_F[1], False, self.flavor))
        t = g.horowitz_s(0.69 * r_tg * (2 * self.c_d + self.c_g / 2))[0]
        return ActionCost(self._energy(e), scale_latency(t, g.REFERENCE_NODE_NM, self.tech.node_nm))

    @property
    def area_m2(self) -> float:
        return self._area(self._area_F2)

    @property
    def leakage_W(self) -> float:
        return self._dff_leakage_W(self.columns)


@register
class NeuroSimColumnMux(_NeuroSimPeriphery):
    """NeuroSim V1.4's analog column multiplexer with its decoder (``Mux.cpp``, ``RowDecoder.cpp`` in
    MUX mode; ``SubArray.cpp`` mux and muxDecoder): ``columns / columns_multiplexed`` multiplexers of
    ``columns_multiplexed`` transmission gates select the column each ADC converts.

    - Parameters: array ``rows`` x ``columns`` with ``columns_multiplexed`` per ADC (Param.cpp
      numColMuxed 8), ``rows_active`` (numRowParallel), the cells' ``r_on_ohm`` / ``r_off_ohm``
      (Param.cpp resistanceOn 100 kohm, resistanceOff 17 x that), ``read_voltage_V`` (the cell read
      voltage; Param.cpp gives 0.55 V at 22 nm for this energy), ``driver_sizing`` (sizingfactor_MUX)
      and ``decoder_activity`` (epsilon).
    - Gate sizing (``Mux::Initialize``, analog): target ``R = R_avg / rows_active x IR_DROP_TOLERANCE``
      (``resMemCellAvg / numRowParallel``), ``W = R_on(1 F) F / (2 R)`` each for NMOS and PMOS, at
      least 1 F.
    - Decoder (``RowDecoder``, ``log2(columns_multiplexed)`` address bits, 2-bit predecoding):
      ``a`` inverters, ``4 floor(a/2)`` NAND2, ``2^a`` NORs of ``ceil(a/2)`` inputs (a > 2), every
      gate widened to its cell (``EnlargeSize``); per output a NAND2 and two driver inverters
      ``2 F x 2 x sizingfactor_MUX`` wide (110 at 22 nm, Param.cpp). Layout unconstrained: height
      ``max(2^a, 4 floor(a/2)) x 28 F``, width the gates side by side plus ``M3_PITCH x
      (NAND2s + 2 (a mod 2))`` of wiring.
    - Multiplexer layout: a strip as wide as the array and as tall as the decoder
      (``mux.CalculateArea(max(decoder height, mux height), W_arr, OVERRIDE)``).
    - ``switch()``: one column-multiplexer step: the selected gates of every multiplexer
      ``C_gN V_dd^2 + 2 C_d V_rd^2`` each (``Mux::CalculatePower``), plus one decode: address
      inverters, NAND2 predecoders, one NOR and the output enable chain (``RowDecoder::
      CalculatePower``, MUX) times ``decoder_activity`` (NeuroSim's epsilon, "switching activity of
      control circuits", 0.05 in its validated mode; default 1). NeuroSim charges ``numColMuxed``
      steps per input cycle.
    - Latency of a switch: the selected gate charging its drain, ``2.3 R_tg (C_d + (C_gN + C_gP)/2)``
      (``Mux::CalculateLatency``, no load; 0 to 90 %), ``R_tg`` the gate's NMOS and PMOS in parallel
      at NeuroSim's normal on-resistance; the decoder's delay is not modelled (NeuroSim overlaps
      both with the row switch inside the sensing cycle).
    - Leakage: the decoder's gates (``CalculateGateLeakage``: inverters ``(W_N + W_P) I_off / 2``,
      NAND2 ``0.48 x 2 W_P I_off``, NOR2 ``0.95 x 2 W_N I_off``) at ``V_dd``.
    """

    kind: ClassVar[str] = "column_mux"
    model: ClassVar[str] = "neurosim"
    source: ClassVar[str] = (
        "DNN NeuroSim V1.4 Mux.cpp (analog mux), RowDecoder.cpp (MUX mode), SubArray.cpp (mux, muxDecoder, "
        "OVERRIDE layout), Param.cpp (sizingfactor_MUX 110 at 22 nm, epsilon 0.05), constant.h (M3_PITCH), "
        "formula.cpp")
    valid_range: ClassVar[str] = "1T1R arrays, 2-256 columns per ADC; NeuroSim 22 nm bulk rules, other nodes by scaling"
    actions: ClassVar[tuple[str, ...]] = ("switch",)

    def __init__(self, tech: Technology, *, rows: int = 128, columns: int = 128, columns_multiplexed: int = 8,
                 rows_active: int | None = None, r_on_ohm: float = 100e3, r_off_ohm: float = 1.7e6,
                 cell_height_features: float = 4.0, cell_width_features: float = 12.0,
                 read_voltage_V: float = 0.5, driver_sizing: float = 110.0, decoder_activity: float = 1.0):
        super().__init__(tech)
        self._setup(tech, rows, columns, cell_height_features, cell_width_features)
        o = self.owner
        m = check_int("columns_multiplexed", columns_multiplexed, 2, self.columns, owner=o)
        active = self.rows if rows_active is None else check_int("rows_active", rows_active, 1, self.rows, owner=o)
        self.read_voltage_V = check_positive("read_voltage_V", read_voltage_V, o)
        self.driver_sizing = check_positive("driver_sizing", driver_sizing, o)
        self.decoder_activity = check_nonneg("decoder_activity", decoder_activity, o)
        self.muxes = math.ceil(self.columns / m)
        r = (parallel_cell_resistance_ohm(check_positive("r_on_ohm", r_on_ohm, o),
                                          check_positive("r_off_ohm", r_off_ohm, o), active) / active
             * IR_DROP_TOLERANCE)
        self.tg_F = tuple(max(1.0, g.on_resistance_ohm(1.0, nmos, self.flavor) / (2 * r)) for nmos in (True, False))
        # Transmission gate capacitances in the default pass-gate layout of one fold (the last layout
        # Mux::CalculateArea evaluates, under OVERRIDE): a cell exactly as tall as both gates, where
        # NeuroSim's folding test compares equal widths (taken unfolded here).
        h_tg, _ = g.pass_gate_area_F(self.tg_F[0], self.tg_F[1], 1)
        self.c_gn = g.gate_cap_F(self.tg_F[0], self.flavor)
        self.c_d = g.inverter_drain_cap_F(self.tg_F[0], self.tg_F[1], h_tg * (1 + 1e-12), self.flavor)
        # Decoder.
        a = max(1, math.ceil(math.log2(m)))
        pn = g.PTM_22NM[self.flavor]["pn_ratio"]
        mn = g.MIN_NMOS_F
        inv = g.enlarged_widths_F(mn, pn * mn)
        nand = g.enlarged_widths_F(2 * mn, pn * mn)
        nor_in = math.ceil(a / 2)
        nor = g.enlarged_widths_F(mn, nor_in * pn * mn)
        drv = (2 * mn * self.driver_sizing, 2 * pn * mn * self.driver_sizing)
        n_inv, n_nand = a, 4 * (a // 2)
        n_nor = 2 ** a if a > 2 else 0
        metal = n_nand + (a % 2) * 2 if a > 2 else 0
        w_inv = g.gate_width_F("inv", 1, *inv)
        w_nand = g.gate_width_F("nand", 2, *nand)
        w_nor = g.gate_width_F("nand", nor_in, *nor)   # NOR and NAND share the width rule
        w_drv = g.gate_width_F("inv", 1, *drv)
        self.decoder_height_F = max(g.CELL_HEIGHT_F * n_nor, g.CELL_HEIGHT_F * n_nand)
        dec_w = w_inv + w_nand + M3_PITCH_F * metal + w_nor + w_nand + 2 * w_drv
        self.decoder_area_F2 = self.decoder_height_F * dec_w
        # The multiplexers' own layout in a strip as wide as the array (CalculateArea with the
        # array's width): gates spread over the fewest rows, each folded to fill its share.
        n_tg = self.muxes * m
        min_cell = 2 * g.CPP_F
        per_row = max(1, int(self.array_width_F / min_cell))
        tg_rows = math.ceil(n_tg / per_row)
        per_row = math.ceil(n_tg / tg_rows)
        folds = max(1, int((self.array_width_F / per_row) / (0.5 * min_cell)) - 1)
        own_height_F = g.pass_gate_area_F(self.tg_F[0], self.tg_F[1], folds)[0] * tg_rows
        mux_height_F = max(self.decoder_height_F, own_height_F)
        self.mux_area_F2 = mux_height_F * self.array_width_F
        cg = lambda w: g.gate_cap_F(w, self.flavor)  # noqa: E731
        c_inv_in = cg(inv[0]) + cg(inv[1])
        c_nand_in = cg(nand[0]) + cg(nand[1])
        c_nor_in = cg(nor[0]) + cg(nor[1]) if n_nor else 0.0
        c_nand_out = g.nand_nor_output_cap_F("nand", 2, *nand, self.flavor) if n_nand else 0.0
        c_nor_out = g.nand_nor_output_cap_F("nor", nor_in, *nor, self.flavor) if n_nor else 0.0
        c_drv_in = cg(drv[0]) + cg(drv[1])
        c_drv_out = g.inverter_drain_cap_F(*drv, g.CELL_HEIGHT_F, self.flavor)
        cap = ((c_inv_in + 2 * c_nand_in) * 2 * (a // 2)
               + (c_inv_in + c_nor_in * n_nor / 2) * (a - 2 * (a // 2))
               + (c_nand_out + c_nor_in * n_nor / 4) * n_nand / 4
               + (c_nor_out + c_nand_in)
               + (c_nand_out + c_drv_in) + (c_drv_out + c_drv_in) + c_drv_out)
        self.decode_energy_ref_J = cap * self.vdd ** 2 * self.decoder_activity
        self.mux_energy_ref_J = self.muxes * (self.c_gn * self.vdd ** 2 + 2 * self.c_d * self.read_voltage_V ** 2)
        i_off = NEUROSIM_IOFF_A_PER_M[self.flavor] * _F_REF
        self._leak_ref_W = self.vdd * i_off * (
            n_inv * (inv[0] + inv[1]) / 2 + n_nand * 0.48 * 2 * nand[1] + n_nor * 0.95 * 2 * nor[0]
            + n_nor * (0.48 * 2 * nand[1] + 2 * (inv[0] + inv[1]) / 2))

    def switch(self) -> ActionCost:
        r_tg = 1.0 / (1.0 / g.on_resistance_ohm(self.tg_F[0], True, self.flavor)
                      + 1.0 / g.on_resistance_ohm(self.tg_F[1], False, self.flavor))
        c_gp = g.gate_cap_F(self.tg_F[1], self.flavor)
        t = 2.3 * r_tg * (self.c_d + 0.5 * self.c_gn + 0.5 * c_gp)
        return ActionCost(self._energy(self.mux_energy_ref_J + self.decode_energy_ref_J),
                          scale_latency(t, g.REFERENCE_NODE_NM, self.tech.node_nm))

    @property
    def decoder_area_m2(self) -> float:
        return self._area(self.decoder_area_F2)

    @property
    def area_m2(self) -> float:
        return self._area(self.mux_area_F2 + self.decoder_area_F2)

    @property
    def leakage_W(self) -> float:
        return self._energy(self._leak_ref_W)


@register
class NeuroSimLevelShifter(_NeuroSimPeriphery):
    """NeuroSim V1.4's write level shifter (``LevelShifter.cpp``), one per output: NeuroSim puts one
    on every word line, bit line and source line of an RRAM array whose write voltage exceeds
    1.5 V (``SubArray.cpp``: wl/bl level shifters of ``numRow`` outputs, sl of ``numCol``).

    - Area per shifter (``CalculateArea``): three inverter stages, low-voltage input
      (``15 x 2 F`` NMOS, ``20 x pnSizeRatio x 2 F`` PMOS), latch (``32 x``, ``10 x``) and
      high-voltage pull-up (``64 x``, ``82 x``); NeuroSim's validated mode doubles the widths in a
      cell 2.5 x 28 F tall, widens the latch and pull-up (IO transistors, L = 270 nm) 2.5 x and
      multiplies the area by alpha (wiring, 1.44): ``h x (w_low + 2.5 (2 w_latch + w_high)) x
      alpha``; otherwise ``28 F x (w_low + 2 w_latch + w_high)``. ``validated`` (default true, as
      Param.cpp's default ``validated = true``) and ``alpha`` (Param.cpp, 1.44) select it.
    - Energy: none in inference (NeuroSim charges it only when writing; its read term is not
      called for 1T1R parallel read).
    - ``write(load_F=0)``: one shifted output (``CalculatePower``, write): the low-voltage stage
      ``(C_d,low + 2 C_g,latchN) V_dd^2`` and the high-voltage pull-up ``2 (C_load + C_d,high)
      V_w^2`` at ``write_voltage_V`` (Param.cpp writeVoltage 2 V); ``C_d`` drain capacitances of the
      stages in their cells, ``C_g,latchN`` the gate of the (unscaled) ``32 x 2 F`` latch NMOS.
      Latency (``CalculateLatency``): the low-voltage pull-up ``horowitz(R_P(20 x) (C_d,low +
      2 C_g,latchN))`` then the high-voltage pull-up ``horowitz(R_P(82 x) (C_load + C_d,high))``
      driven by the first stage's ramp, on-resistances with CACTI's multiplier 1.54.
    - Leakage: 0 (NeuroSim gives it none).
    """

    kind: ClassVar[str] = "level_shifter"
    model: ClassVar[str] = "neurosim"
    source: ClassVar[str] = (
        "DNN NeuroSim V1.4 LevelShifter.cpp (CalculateArea), SubArray.cpp (wl/bl/sl level shifters when "
        "writeVoltage > 1.5 V), Param.cpp (writeVoltage 2 V, validated alpha 1.44), formula.cpp")
    valid_range: ClassVar[str] = "RRAM write voltages above the supply; NeuroSim 22 nm bulk rules, other nodes by scaling"
    actions: ClassVar[tuple[str, ...]] = ("write",)

    def __init__(self, tech: Technology, *, validated: bool = True, alpha: float = 1.44,
                 write_voltage_V: float = 2.0):
        super().__init__(tech)
        o = self.owner
        check_node(tech.node_nm, f"{o}: technology node")
        self.flavor = neurosim_flavor(tech.flavor, o)
        if not isinstance(validated, bool):
            from cimsim.errors import CimsimError
            raise CimsimError(f"{o}: parameter 'validated' must be true or false, got {validated!r}")
        self.validated = validated
        self.alpha = check_positive("alpha", alpha, o)
        pn = g.PTM_22NM[self.flavor]["pn_ratio"]
        wn, wp = g.MIN_NMOS_F, pn * g.MIN_NMOS_F
        k, h = (2.0, g.CELL_HEIGHT_F * 2.5) if validated else (1.0, g.CELL_HEIGHT_F)
        _, w_low = g.inverter_area_F(wn * 15 * k, wp * 20 * k, h)
        _, w_latch = g.inverter_area_F(wn * 32 * k, wp * 10 * k, h)
        _, w_high = g.inverter_area_F(wn * 64 * k, wp * 82 * k, h)
        if validated:
            self._area_F2 = h * (w_low + (2 * w_latch + w_high) * 2.5) * self.alpha
        else:
            self._area_F2 = h * (w_low + 2 * w_latch + w_high)
        self.write_voltage_V = check_positive("write_voltage_V", write_voltage_V, o)
        self.vdd = g.PTM_22NM[self.flavor]["vdd"]
        self.c_mid_gate = g.gate_cap_F(wn * 32, self.flavor)
        self.c_low_drain = g.inverter_drain_cap_F(wn * 15, wp * 20, h, self.flavor)
        self.c_high_drain = g.inverter_drain_cap_F(wn * 64, wp * 82, h, self.flavor)

    def write(self, load_F: float = 0.0) -> ActionCost:
        c = check_nonneg("load_F", load_F, self.owner)
        e = ((self.c_low_drain + 2 * self.c_mid_gate) * self.vdd ** 2
             + 2 * (c + self.c_high_drain) * self.write_voltage_V ** 2)
        wp = g.PTM_22NM[self.flavor]["pn_ratio"] * g.MIN_NMOS_F
        r1 = g.on_resistance_ohm(wp * 20, False, self.flavor) * g.EFFECTIVE_RESISTANCE_MULTIPLIER
        r2 = g.on_resistance_ohm(wp * 82, False, self.flavor) * g.EFFECTIVE_RESISTANCE_MULTIPLIER
        t1, ramp = g.horowitz_s(r1 * (self.c_low_drain + 2 * self.c_mid_gate))
        t2, _ = g.horowitz_s(r2 * (c + self.c_high_drain), ramp)
        t = scale_latency(t1 + t2, g.REFERENCE_NODE_NM, self.tech.node_nm)
        return ActionCost(self._energy(e), t)

    @property
    def area_m2(self) -> float:
        return scale_area(self._area_F2 * _F_REF * _F_REF, g.REFERENCE_NODE_NM, self.tech.node_nm)


@register
class NeuroSimPrecharger(_NeuroSimPeriphery):
    """NeuroSim V1.4's bit-line precharger of an SRAM sub-array (``Precharger.cpp``, built by
    ``SubArray.cpp`` for SRAM cells: ``precharger.Initialize(numCol, resCol, ...)``).

    - ``precharge()``: one read step precharges every column's bit line: ``columns x C_col x
      V_dd^2`` (``CalculatePower``: ``capLoad x vdd^2 x MIN(numReadCellPerOperationNeuro, numCol)``,
      V1.4 at the release-test commit 9e6742cd without V1.3's factor 2), ``C_col = rows x
      (cell_height_features x F x 0.2 fF/um + access_drain_capacitance_per_cell_F)`` (the bit line
      as ``SubArray.cpp`` builds ``capCol``: wire plus every row's access drain). ``SubArray.cpp``
      (SRAM, conventionalParallel) calls it ``numColMuxed x numAdd`` times per input cycle, i.e. once
      per column-multiplexer step and row group, whatever the data; the accounting charges it so.
    - Area per column: one precharge PMOS (6 F) and two equalising PMOS (2 F), each enlarged to the
      28 F cell (``EnlargeSize``: 24.4 F), stacked three cells tall and 2 poly pitches wide, laid in
      rows as wide as the array (``CalculateArea`` with the array's width): ``ceil(columns / per
      row) x 84 F x`` the array width.
    - Leakage: every column's precharge PMOS (``CalculateGateLeakage``, INV with only its PMOS:
      ``W_P I_off / 2 x V_dd``, cimsim's NeuroSim off-current per width).
    - Latency (the action's; cimsim's timing does not add it to the read step): Horowitz on the
      precharge PMOS's on-resistance (with CACTI's multiplier, ``CalculateOnResistance``) times the
      bit line plus the precharger's drains; the bit line's wire resistance is left out.

    Found necessary by running NeuroSim V1.4 built at the release-test commit on cimsim's VGG-8
    trace ([NS14T7]): 25.34 uJ per image at 64 parallel rows and 50.68 at 32, the largest SRAM
    sub-array term; V1.4's SRAM parallel branch computes it but leaves it out of its total, which
    Table VII's SRAM figures evidently include (17.27 and 9.60 TOPS/W with it, 30.48 and 18.53
    without; Table VII 17.13 and 8.76).
    """

    kind: ClassVar[str] = "precharger"
    model: ClassVar[str] = "neurosim"
    source: ClassVar[str] = ("DNN NeuroSim V1.4 @9e6742cd Precharger.cpp (Initialize, CalculateArea, CalculatePower), "
                             "SubArray.cpp (SRAM capCol, call counts)")
    valid_range: ClassVar[str] = "NeuroSim's 22 nm rules; nodes 7-180 nm by scaling"
    actions: ClassVar[tuple[str, ...]] = ("precharge",)
    example_params: ClassVar[dict] = {"rows": 128, "columns": 128, "cell_height_features": 10,
                                      "cell_width_features": 28, "access_drain_capacitance_per_cell_F": 0.031e-15}

    def __init__(self, tech: Technology, *, rows: int = 128, columns: int = 128,
                 cell_height_features: float = 10.0, cell_width_features: float = 28.0,
                 access_drain_capacitance_per_cell_F: float = 0.0):
        super().__init__(tech)
        self._setup(tech, rows, columns, cell_height_features, cell_width_features)
        drain = check_nonneg("access_drain_capacitance_per_cell_F", access_drain_capacitance_per_cell_F, self.owner)
        self.column_cap_F = self.rows * (cell_height_features * _F_REF * WIRE_CAP_F_PER_M + drain)
        _, self.pmos_width_F = g.enlarged_widths_F(0.0, 6.0)                      # 6 F precharge PMOS
        _, eq_F = g.enlarged_widths_F(0.0, g.MIN_NMOS_F)                          # 2 F equaliser PMOS
        h, w = g.inverter_area_F(0.0, self.pmos_width_F)
        h_eq, w_eq = g.inverter_area_F(0.0, eq_F)
        unit_h, unit_w = h + 2 * h_eq, max(w, w_eq)
        per_row = max(1, min(self.columns, int(self.array_width_F / unit_w)))
        self._area_F2 = math.ceil(self.columns / per_row) * unit_h * max(self.array_width_F, per_row * unit_w)
        # CalculateLatency: the precharge PMOS (CalculateOnResistance, CACTI's multiplier) charging the
        # bit line and its own and the equaliser's drains; the bit line's wire resistance is left out.
        c_out = (g.inverter_drain_cap_F(0.0, self.pmos_width_F, h, self.flavor)
                 + g.inverter_drain_cap_F(0.0, eq_F, h_eq, self.flavor))
        r_up = g.on_resistance_ohm(self.pmos_width_F, False, self.flavor) * g.EFFECTIVE_RESISTANCE_MULTIPLIER_22NM[self.flavor]
        self.delay_ref_s = g.horowitz_s(r_up * (self.column_cap_F + c_out))[0]

    def precharge(self) -> ActionCost:
        """Every column precharged once (one multiplexer step of one row group)."""
        return ActionCost(self._energy(self.columns * self.column_cap_F * self.vdd ** 2),
                          scale_latency(self.delay_ref_s, g.REFERENCE_NODE_NM, self.tech.node_nm))

    @property
    def area_m2(self) -> float:
        return self._area(self._area_F2)

    @property
    def leakage_W(self) -> float:
        i_off = NEUROSIM_IOFF_A_PER_M[self.flavor]
        return self._energy(self.pmos_width_F * _F_REF * i_off / 2 * self.vdd * self.columns)


#: NeuroSim V1.4 ``Param.cpp`` at 22 nm: the array's Metal1 wire, 40 nm wide (``wireWidth``), aspect
#: ratio 1.9 and resistivity 2.97e-8 ohm m for 40-56 nm wires (its barrier correction, computed with
#: the width in nm and the barrier in m, is 1 + 2e-10); ``Metal1_unitwireresis = Rho / (w^2 AR)``.
METAL1_OHM_PER_M_22NM = 2.97e-8 / (1.9 * (40e-9) ** 2)


@register
class NeuroSimSramRowSwitchMatrix(_RowSwitchMatrix):
    """NeuroSim V1.4's row switch matrix of an SRAM array read in parallel (``SwitchMatrix.cpp`` in
    ROW_MODE, ``SubArray.cpp`` SRAM conventionalParallel: ``wlSwitchMatrix.Initialize(ROW_MODE,
    numRow, resRow, ...)``): per row a transmission-gate pair passing the read voltage to the word
    line, and a DFF holding the row's input bit.

    - Transmission gates sized for the row wire (V1.4): ``R_tg = resRow x switchmatrixsizeratio``
      (0.2 at 22 nm), ``resRow = columns x cell_width_features x F x R_Metal1`` (``R_Metal1``:
      :data:`METAL1_OHM_PER_M_22NM`, 9.77 ohm/um), NMOS ``R_on,normal(1 F) x LINEAR_REGION_RATIO /
      (2 R_tg)`` F wide, PMOS alike with its on-resistance, at least 1 F, no EnlargeSize (128 x
      28 F cells: 770 ohm, 31.7 F and 41.8 F).
    - ``drive()``: one driven row in one step: ``3 C_d V_rd^2 + (C_gN + C_gP) V_dd^2``
      (``CalculatePower``, neuro ROW_MODE, ``numOutput x activityRowRead`` rows per read), ``C_d``
      the gate's drain capacitance in its cell; NeuroSim reads ``numColMuxed`` times per input
      cycle.
    - ``step()``: the DFF register of ``rows`` DFFs clocked once with every DFF passing its bit
      (``dff.CalculatePower(numRead, numOutput, false)``: not scaled by gamma).
    - Layout (``CalculateArea`` with the array's height ``H``): ``floor(H / 28 F)`` gate pairs fit in
      a column, ``ceil(rows / that)`` columns, re-spread to cells ``H / ceil(rows / columns)`` tall;
      width ``2 w_TG`` per column plus the DFF columns; area ``H x width``.
    - Latency of both actions: ``horowitz(R_tg (2 C_d + (C_gN + C_gP) / 2 + C_row))`` with the two
      gates in parallel at the normal on-resistance and the row wire's capacitance.
    - Leakage: the DFFs'.
    """

    kind: ClassVar[str] = "switch_matrix"
    model: ClassVar[str] = "neurosim_row_sram"
    source: ClassVar[str] = (
        "DNN NeuroSim V1.4 @9e6742cd SwitchMatrix.cpp (Initialize, CalculateArea, CalculatePower; ROW_MODE), "
        "SubArray.cpp (SRAM wlSwitchMatrix, resRow), Param.cpp (switchmatrixsizeratio 0.2, Metal1 at 22 nm), "
        "DFF.cpp, formula.cpp")
    valid_range: ClassVar[str] = "SRAM arrays; NeuroSim 22 nm bulk rules, other nodes by cimsim's scaling"
    example_params: ClassVar[dict] = {"rows": 128, "columns": 128, "cell_height_features": 10,
                                      "cell_width_features": 28}

    def __init__(self, tech: Technology, *, rows: int = 128, columns: int = 128,
                 cell_height_features: float = 10.0, cell_width_features: float = 28.0,
                 size_ratio: float = 0.2, read_voltage_V: float = 0.5):
        super().__init__(tech)
        self._setup(tech, rows, columns, cell_height_features, cell_width_features)
        o = self.owner
        self.size_ratio = check_positive("size_ratio", size_ratio, o)
        self.read_voltage_V = check_positive("read_voltage_V", read_voltage_V, o)
        self.row_resistance_ohm = self.array_width_F * _F_REF * METAL1_OHM_PER_M_22NM
        r_tg = self.row_resistance_ohm * self.size_ratio
        c_d = self._layout(tuple(max(1.0, g.on_resistance_ohm(1.0, nmos, self.flavor) * LINEAR_REGION_RATIO
                                     / (2 * r_tg)) for nmos in (True, False)), 2)
        c_g = sum(g.gate_cap_F(w, self.flavor) for w in self.tg_F)
        self.drive_energy_ref_J = 3 * c_d * self.read_voltage_V ** 2 + c_g * self.vdd ** 2
        r_par = 1.0 / (1.0 / g.on_resistance_ohm(self.tg_F[0], True, self.flavor)
                       + 1.0 / g.on_resistance_ohm(self.tg_F[1], False, self.flavor))
        self.delay_ref_s = g.horowitz_s(r_par * (2 * c_d + c_g / 2 + self.array_width_F * _F_REF * WIRE_CAP_F_PER_M))[0]
