"""NeuroSim V1.4's transistor-level layout and capacitance rules at 22 nm (bulk), shared by the
models re-derived from NeuroSim V1.4 (its multilevel sense amplifier, switch matrices, column
multiplexer, level shifters and their DFFs).

Re-derived from DNN NeuroSim V1.4 ``formula.cpp`` (CalculateGateCap, CalculateGateArea,
CalculateGateCapacitance, CalculatePassGateArea, CalculateOnResistance_normal), ``constant.h``
(layout rules, in units of the feature size F) and ``Technology.cpp`` (PTM 22 nm device data);
no NeuroSim code is used. All widths here are in F unless named ``_m``. Bulk rules only (NeuroSim
uses them for nodes >= 22 nm); models built on this module compute at 22 nm and move their area
and energy to other nodes with :mod:`cimsim.components.technology`'s scaling.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: Node of the device data below (NeuroSim ``Technology.cpp``, featureSizeInNano 22).
REFERENCE_NODE_NM = 22.0

#: PTM 22 nm device data NeuroSim V1.4 uses (``Technology.cpp``): supply (V), ideal gate and fringe
#: capacitance per transistor width (F/m), the on-currents per width at 300 K (A/m = uA/um;
#: ``currentOnNmos[0]``, ``currentOnPmos[0]``) and their ratio ``pnSizeRatio``. The gate overlap
#: capacitance is ``0.2 * capIdealGate`` (nodes >= 22 nm); the junction capacitances follow BSIM4
#: defaults (cjd 1e-3 F/m^2, cjswd 2.5e-10 F/m, cjswgd 0.5e-10 F/m, grading 0.5 / 0.33 / 0.33,
#: built-in potential 0.9 V).
PTM_22NM: dict[str, dict[str, float]] = {
    "LSTP": {"vdd": 0.85, "cap_ideal_gate": 5.245e-10, "cap_fringe": 8.004e-10,
             "i_on_n": 791.9, "i_on_p": 600.2, "pn_ratio": 791.9 / 600.2},
    "HP": {"vdd": 0.85, "cap_ideal_gate": 3.287e-10, "cap_fringe": 4.532e-10,
           "i_on_n": 1.50e3, "i_on_p": 1.32e3, "pn_ratio": 1.50e3 / 1.32e3},
}

# constant.h layout rules (F): poly width 1, gap between gate polys 2.8 (contacted poly pitch
# 3.8), standard-cell height MAX_TRANSISTOR_HEIGHT 28, gap between P and N diffusions 3.5, poly
# extension over diffusion 1 and gap between field polys 1.6; minimum NMOS width MIN_NMOS_SIZE 2.
POLY_WIDTH_F = 1.0
GAP_GATE_POLY_F = 2.8
CPP_F = POLY_WIDTH_F + GAP_GATE_POLY_F
CELL_HEIGHT_F = 28.0
GAP_P_N_F = 3.5
OUTER_F = (1.0 + 1.6 / 2) * 2          # (MIN_POLY_EXT_DIFF + MIN_GAP_BET_FIELD_POLY / 2) * 2
DIFF_HEIGHT_F = CELL_HEIGHT_F - GAP_P_N_F - OUTER_F
MIN_NMOS_F = 2.0


def device(flavor: str) -> dict[str, float]:
    return PTM_22NM[flavor]


def gate_cap_per_m(flavor: str) -> float:
    """Gate capacitance per width: ideal + overlap (0.2 x ideal) + fringe (``CalculateGateCap``)."""
    d = PTM_22NM[flavor]
    return d["cap_ideal_gate"] * 1.2 + d["cap_fringe"]


def gate_cap_F(width_F: float, flavor: str, f_m: float = REFERENCE_NODE_NM * 1e-9) -> float:
    """Gate capacitance of one transistor ``width_F`` wide."""
    return gate_cap_per_m(flavor) * width_F * f_m


def junction_caps(vdd: float) -> tuple[float, float, float]:
    """BSIM4 bottom (F/m^2), sidewall and gate-edge sidewall (F/m) junction capacitances at bias vdd."""
    return (1e-3 / math.sqrt(1 + vdd / 0.9), 2.5e-10 / (1 + vdd / 0.9) ** 0.33,
            0.5e-10 / (1 + vdd / 0.9) ** 0.33)


def max_widths_F(wn_F: float, wp_F: float, height_F: float) -> tuple[float, float]:
    """Largest unfolded N and P widths in a cell ``height_F`` tall (``CalculateGateArea``, bulk)."""
    if wp_F <= 0:
        return height_F - OUTER_F, 0.0
    if wn_F <= 0:
        return 0.0, height_F - OUTER_F
    ratio = wp_F / (wp_F + wn_F)
    max_p = ratio * (height_F - GAP_P_N_F - OUTER_F)
    return max_p / ratio * (1 - ratio), max_p


def inverter_area_F(wn_F: float, wp_F: float, height_F: float = CELL_HEIGHT_F) -> tuple[float, float]:
    """(height, width) in F of an inverter (or transmission gate) in a cell ``height_F`` tall: a
    transistor wider than its share of the diffusion height is folded, ``(folds + 1)`` poly pitches
    wide, else 2 pitches (``CalculateGateArea``, INV)."""
    max_n, max_p = max_widths_F(wn_F, wp_F, height_F)
    widths = []
    for w, m in ((wn_F, max_n), (wp_F, max_p)):
        if w <= 0:
            widths.append(0.0)
        elif w <= m:
            widths.append(2 * CPP_F)
        else:
            widths.append((math.ceil(w / m) + 1) * CPP_F)
    return height_F, max(widths)


def gate_width_F(kind: str, inputs: int, wn_F: float, wp_F: float) -> float:
    """Width (F) of a planar standard cell 28 F tall, INV or NAND (``CalculateGateArea``)."""
    max_n, max_p = max_widths_F(wn_F, wp_F, CELL_HEIGHT_F)
    widths = []
    folded = False
    for w, m in ((wp_F, max_p), (wn_F, max_n)):
        if w <= m:
            widths.append(2 * CPP_F)
        else:
            folded = True
            widths.append((math.ceil(w / m) + 1) * CPP_F)
    unit = max(widths)
    if kind == "inv":
        return unit
    return unit * inputs - (0 if folded else (inputs - 1) * CPP_F)


def inverter_drain_cap_F(wn_F: float, wp_F: float, height_F: float, flavor: str,
                         f_m: float = REFERENCE_NODE_NM * 1e-9) -> float:
    """Output (drain junction) capacitance of an inverter or transmission gate in a cell
    ``height_F`` tall (``CalculateGateCapacitance``, INV, bulk): bottom, sidewall and gate-edge
    terms of each folded drain; NeuroSim uses the PMOS fold count for both sidewall parities, as
    here."""
    vdd = PTM_22NM[flavor]["vdd"]
    cj, csw, cdc = junction_caps(vdd)
    max_n, max_p = max_widths_F(wn_F, wp_F, height_F)
    folds_p = 1 if wp_F <= max_p else math.ceil(wp_F / max_p)
    total = 0.0
    for w, m in ((wn_F, max_n), (wp_F, max_p)):
        if w <= 0:
            continue
        folds = 1 if w <= m else math.ceil(w / m)
        drain_w = (GAP_GATE_POLY_F if folds == 1 else math.ceil((folds + 1) / 2) * GAP_GATE_POLY_F) * f_m
        h = (w if folds == 1 else m) * f_m
        side = drain_w * 2 + h * (1 + (folds_p + 1) % 2)
        total += drain_w * h * cj + side * csw + folds * h * cdc
    return total


def pass_gate_area_F(wn_F: float, wp_F: float, folds: int) -> tuple[float, float]:
    """(height, width) in F of a pass gate folded ``folds`` times (``CalculatePassGateArea``, bulk)."""
    return (wp_F / folds + wn_F / folds + GAP_P_N_F + OUTER_F, (folds + 1) * CPP_F)


def on_resistance_ohm(width_F: float, nmos: bool, flavor: str,
                      f_m: float = REFERENCE_NODE_NM * 1e-9) -> float:
    """``V_dd / (I_on W)`` (``CalculateOnResistance_normal``, 300 K)."""
    d = PTM_22NM[flavor]
    i_on = d["i_on_n"] if nmos else d["i_on_p"]
    return d["vdd"] / (i_on * width_F * f_m)


@dataclass(frozen=True)
class DFF:
    """NeuroSim's D flip-flop (``DFF.cpp``): 12 minimum inverters wide in a 28 F cell; minimum-size
    clock inverters and transmission gates.

    Energy of one clock cycle with the data path switching (``CalculatePower`` with every DFF
    passing a bit, not validated): clock inverters ``4 (C_in + C_out)``, clock TGs
    ``2 (C_gN + C_gP)``, D input ``3 C_d + C_in``, feedback ``C_d + C_out``, Q output
    ``C_in + C_out``, all at ``V_dd^2``. Leakage: 8 inverters' ``(W_N + W_P) I_off / 2 x V_dd``."""

    flavor: str

    @property
    def widths_F(self) -> tuple[float, float]:
        return MIN_NMOS_F, PTM_22NM[self.flavor]["pn_ratio"] * MIN_NMOS_F

    @property
    def size_F(self) -> tuple[float, float]:
        """(height, width) in F."""
        h, w = inverter_area_F(*self.widths_F)
        return h, 12 * w

    def _caps(self) -> tuple[float, float, float]:
        wn, wp = self.widths_F
        c_in = gate_cap_F(wn, self.flavor) + gate_cap_F(wp, self.flavor)
        c_out = inverter_drain_cap_F(wn, wp, CELL_HEIGHT_F, self.flavor)
        return c_in, c_out, c_in   # the TGs have the inverters' widths: their gates C_in, drains C_out

    @property
    def clock_energy_J(self) -> float:
        """The clock part, charged for every DFF of a register each cycle: clock inverters
        ``4 (C_in + C_out)`` and clock TG gates ``2 (C_gN + C_gP)``."""
        c_in, c_out, c_tg = self._caps()
        return (4 * (c_in + c_out) + 2 * c_tg) * PTM_22NM[self.flavor]["vdd"] ** 2

    @property
    def data_energy_J(self) -> float:
        """The D-to-Q part, charged for the DFFs that take a bit: D input ``3 C_d + C_in``,
        feedback ``C_d + C_out``, Q output ``C_in + C_out``."""
        c_in, c_out, _ = self._caps()
        c_d = c_out
        return ((3 * c_d + c_in) + (c_d + c_out) + (c_in + c_out)) * PTM_22NM[self.flavor]["vdd"] ** 2

    @property
    def energy_J(self) -> float:
        return self.clock_energy_J + self.data_energy_J


def enlarged_widths_F(wn_F: float, wp_F: float, height_F: float = CELL_HEIGHT_F) -> tuple[float, float]:
    """``EnlargeSize`` (bulk): a gate narrower than its cell allows, in both transistors, is widened
    to the largest unfolded widths of a cell ``height_F`` tall (:func:`max_widths_F`)."""
    max_n, max_p = max_widths_F(wn_F, wp_F, height_F)
    if wp_F <= 0 and wn_F < max_n:
        return max_n, 0.0
    if wn_F <= 0 and wp_F < max_p:
        return 0.0, max_p
    if 0 < wp_F < max_p and 0 < wn_F < max_n:
        return max_n, max_p
    return wn_F, wp_F


def nand_nor_output_cap_F(kind: str, inputs: int, wn_F: float, wp_F: float, flavor: str,
                          f_m: float = REFERENCE_NODE_NM * 1e-9) -> float:
    """Output capacitance of an unfolded NAND / NOR in a 28 F cell (``CalculateGateCapacitance``,
    bulk, no folding): NAND: ``floor((n+1)/2)`` PMOS drains and the NMOS stack's drain; NOR the
    converse."""
    vdd = PTM_22NM[flavor]["vdd"]
    cj, csw, cdc = junction_caps(vdd)
    d = GAP_GATE_POLY_F * f_m
    hn, hp = wn_F * f_m, wp_F * f_m
    if kind == "nand":
        wdp = d * math.floor((inputs + 1) / 2)
        side_p = wdp * 2 + hp * (1 - (inputs + 1) % 2)
        wdn = d * inputs
        side_n = wdn * 2 + hn
    else:
        wdp = d * inputs
        side_p = wdp * 2 + hp
        wdn = d * math.floor((inputs + 1) / 2)
        side_n = wdn * 2 + hn * (1 - (inputs + 1) % 2)
    return wdp * hp * cj + wdn * hn * cj + (side_p + side_n) * csw + (hp + hn) * cdc


@dataclass(frozen=True)
class Adder:
    """NeuroSim's ripple-carry adder (``Adder.cpp``): 9 NAND2 per bit, the NAND2 of a 2 F NMOS stack
    (4 F) and a ``pnSizeRatio x 2 F`` PMOS enlarged to fill the 28 F cell (``EnlargeSize``, kept in
    V1.4).

    ``energy_J(bits)``: one addition of NeuroSim's calibration pattern (A = 11..1, B = 10..0,
    C_in = 1; 0 -> 1 transitions only, including the hidden ones): ``(14 C_in + 7 C_out) V_dd^2``
    for the first bit and ``(13 C_in + 7 C_out) V_dd^2`` for each further bit (``CalculatePower``
    before the ``validated`` activity factor)."""

    flavor: str

    @property
    def widths_F(self) -> tuple[float, float]:
        return enlarged_widths_F(2 * MIN_NMOS_F, PTM_22NM[self.flavor]["pn_ratio"] * MIN_NMOS_F)

    def energy_J(self, bits: int) -> float:
        wn, wp = self.widths_F     # unfolded: enlarged to exactly the cell's widths
        c_in = gate_cap_F(wn, self.flavor) + gate_cap_F(wp, self.flavor)
        c_out = nand_nor_output_cap_F("nand", 2, wn, wp, self.flavor)
        per = (14 * c_in + 7 * c_out) + (bits - 1) * (13 * c_in + 7 * c_out)
        return per * PTM_22NM[self.flavor]["vdd"] ** 2

    def area_F2(self, bits: int) -> float:
        """``9 x bits`` NAND2 cells 28 F tall (``CalculateArea``, the adders' gate area)."""
        return 9 * bits * gate_width_F("nand", 2, *self.widths_F) * CELL_HEIGHT_F


def dff_block_F(count: int, span_F: float, size_F: tuple[float, float], along: str) -> tuple[float, float]:
    """(height, width) in F of ``count`` DFFs packed beside an edge ``span_F`` long (``DFF.cpp``
    CalculateArea): ``along`` "height" stacks them in columns as tall as the span, "width" in rows
    as wide as it."""
    h, w = size_F
    if along == "height":
        per = max(1, min(count, int(span_F / h)))
        return span_F, w * math.ceil(count / per)
    per = max(1, min(count, int(span_F / w)))
    return h * math.ceil(count / per), span_F


#: CACTI's effective-resistance multiplier NeuroSim applies in ``CalculateOnResistance``
#: (``Technology.cpp``: 1.54 "from CACTI"); ``CalculateOnResistance_normal`` omits it.
EFFECTIVE_RESISTANCE_MULTIPLIER = 1.54

#: The same multiplier per flavor at 22 nm (``Technology.cpp``: 1.54 for HP, 1.77 for LSTP).
EFFECTIVE_RESISTANCE_MULTIPLIER_22NM: dict[str, float] = {"HP": 1.54, "LSTP": 1.77}

#: ``constant.h``: the 1T1R access transistor may drop this fraction of the cell's on-resistance
#: (IR_DROP_TOLERANCE) and is sized to work at this fraction of its saturated on-current
#: (LINEAR_REGION_RATIO).
IR_DROP_TOLERANCE = 0.25
LINEAR_REGION_RATIO = 0.20


def access_transistor_1t1r(r_on_ohm: float, flavor: str,
                           f_m: float = REFERENCE_NODE_NM * 1e-9) -> dict[str, float]:
    """The access transistor of a 1T1R cell as NeuroSim V1.4 sizes it (``SubArray.cpp``
    Initialize, RRAM with CMOS access, bulk nodes): its resistance is ``IR_DROP_TOLERANCE x R_on``
    and its width ``R_min x LINEAR_REGION_RATIO / (IR_DROP_TOLERANCE x R_on)`` in F, ``R_min``
    the on-resistance of a 1 F wide NMOS (``CalculateOnResistance``: the flavor's effective-
    resistance multiplier x V_dd / (I_on x F)).

    Returns ``width_F``, ``gate_cap_F`` (``CalculateGateCap``: what each cell adds to its word
    line, ``capRow2 += ... x numCol``) and ``drain_cap_F`` (``CalculateDrainCap`` of an unfolded
    NMOS in a 28 F cell: what each cell adds to its bit line, ``capCol += ... x numRow``, the
    column capacitance the multilevel sense amplifier charges, ``param->columncap``)."""
    r_min = (EFFECTIVE_RESISTANCE_MULTIPLIER_22NM[flavor] * on_resistance_ohm(1.0, True, flavor, f_m))
    width = r_min * LINEAR_REGION_RATIO / (IR_DROP_TOLERANCE * r_on_ohm)
    return {"width_F": width, "gate_cap_F": gate_cap_F(width, flavor, f_m),
            "drain_cap_F": nmos_drain_cap_F(width, flavor, f_m)}


def nmos_drain_cap_F(width_F: float, flavor: str, f_m: float = REFERENCE_NODE_NM * 1e-9) -> float:
    """Drain (junction) capacitance of one NMOS ``width_F`` wide in a 28 F cell (``formula.cpp``
    CalculateDrainCap, bulk): bottom, sidewall and gate-edge terms of one drain 2.8 F long."""
    return inverter_drain_cap_F(width_F, 0.0, CELL_HEIGHT_F, flavor, f_m)


def horowitz_s(tr_s: float, ramp_input: float = math.inf) -> tuple[float, float]:
    """Delay and output ramp of a stage with time constant ``tr_s`` driven by an input ramp
    ``ramp_input`` (1/s; inf: a step), Horowitz's model as NeuroSim applies it (``formula.cpp``
    horowitz: switching at half swing, beta 0.5): ``tr sqrt(ln(0.5)^2 + 2 alpha beta (1 - 0.5))``,
    ``alpha = 1 / (ramp tr)``; output ramp ``0.5 / delay``."""
    alpha = 0.0 if math.isinf(ramp_input) else 1.0 / ramp_input / tr_s
    delay = tr_s * math.sqrt(math.log(0.5) ** 2 + 2 * alpha * 0.5 * 0.5)
    return delay, 0.5 / delay
