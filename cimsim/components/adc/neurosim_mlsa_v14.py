"""NeuroSim V1.4's multilevel current/voltage sense amplifier used as an N-bit ADC, model
``neurosim_mlsa_v14``.

DNN NeuroSim V1.4 rewrote the energy of its multilevel sense amplifier (``MultilevelSenseAmp.cpp``,
"1.4 update" blocks) against V1.3 (:mod:`cimsim.components.adc.neurosim_flash`): the per-level
power of the LSTP current-mode amplifier became a function of the column resistance, the
``levelOutput - 1`` reference levels draw their own column power (shared dummy columns), and
each decision charges gate, junction and line capacitances. This module re-derives those
equations in cimsim's terms (no NeuroSim code is used); every number below cites its line of
origin.
"""

from __future__ import annotations

import math
from typing import ClassVar

from cimsim.components._util import check_choice, check_int, check_nonneg, check_positive
from cimsim.components.adc._base import ADC
from cimsim.components.base import ActionCost, Technology
from cimsim.components.registry import register
from cimsim.components.sense_amp import COLUMN_TERM, POWER_PER_LEVEL_UW
from cimsim.components.neurosim_gates import (
    CELL_HEIGHT_F as _CELL_HEIGHT_F,
    GAP_GATE_POLY_F,
    PTM_22NM,
    junction_caps,
)
from cimsim.components.neurosim_gates import gate_width_F as _gate_width_F
from cimsim.components.technology import (
    MIN_NMOS_WIDTH_F,
    WIRE_CAP_F_PER_M,
    array_feature_size_m,
    min_transistor_area_m2,
    neurosim_flavor,
)
from cimsim.errors import CimsimError

#: Read voltage at the sense-amplifier/column interface per node (``CalculatePower``, 22 nm: 0.55 V).
VREAD_INTERFACE_V: dict[int, float] = {22: 0.55}

#: LSTP current-mode per-level power fit at 22 nm (``GetColumnPower``, "1.4 update: leakage
#: power due to the current mirror part"): (R upper bound in ohm, kind, a, b) with
#: ``p = a * R + b`` ("lin") or ``p = a * ln(R) + b`` ("log"), watts per level.
LEVEL_POWER_LSTP_22NM: tuple[tuple[float, str, float, float], ...] = (
    (4832.0, "lin", -2.85373e-11, 9.16744e-07),
    (379269.0, "log", -1.63133e-07, 2.1687e-06),
    (math.inf, "log", -5.8712e-08, 8.64648e-07),
)

#: Column latency fit at 22 nm (``ColumnLatency_Table``) per mode: pieces (R upper bound, kind,
#: a, b) as above in seconds, and the capacitance correction above a resistance threshold
#: ``(refcap F, dC s, R2 ohm, resthreshold ohm)``.
LATENCY_22NM: dict[str, tuple[tuple[tuple[float, str, float, float], ...], tuple[float, float, float, float]]] = {
    "current": (((4832.0, "log", -1.32118e-10, 1.7552e-09), (math.inf, "lin", 8.02517e-15, 8.51803e-10)),
                (4.5e-15, 0.31e-9, 0.1e6, 12.7e3)),
    "voltage": (((4832.0, "log", -2.01894e-10, 2.2559e-09), (math.inf, "lin", 7.45392e-15, 6.72844e-10)),
                (4.5e-15, 0.47e-9, 0.1e6, 12.7e3)),
}

_SUPPORTED_NODE_NM = 22


def _piecewise(pieces, x: float) -> float:
    for upper, kind, a, b in pieces:
        if x < upper:
            return a * x + b if kind == "lin" else a * math.log(x) + b
    raise AssertionError("unreachable")  # pragma: no cover


def _inverter_caps(f_m: float, width_m: float, cap_gate_per_m: float, vdd: float) -> tuple[float, float]:
    """Gate and drain (junction) capacitance of one unfolded planar transistor of width ``width_m``
    (``formula.cpp`` CalculateGateCap and the INV case of CalculateGateCapacitance)."""
    cj, csw, cdc = junction_caps(vdd)
    drain_w = GAP_GATE_POLY_F * f_m
    junction = drain_w * width_m * cj + (2 * drain_w + width_m) * csw + width_m * cdc
    return cap_gate_per_m * width_m, junction


@register
class NeuroSimMLSAv14(ADC):
    """NeuroSim V1.4's multilevel sense amplifier (``levelOutput = 2^N`` levels) as an ADC.

    Per conversion (``MultilevelSenseAmp.cpp`` V1.4 ``CalculatePower``; ``L = 2^N``, ``S`` the
    number of sense amplifiers sharing one dummy reference column, ``dumcolshared = L`` in
    ``Param.cpp``):

    - switching, ``(L - 1)`` times: the column line ``C_col (1/(L-1) + 1/S) V_rd^2`` (current
      mode; NeuroSim computes ``1/(levelOutput-1)`` in integer arithmetic, which is 0 for
      ``L > 2``: reproduced as written; voltage mode ``C_col (1 + 1/S) V_rd^2``), the
      reference-row activation ``E_ref / S``, the amplifier input and mirror
      ``(2 C_gN + (C_jN + C_gN)/(L-1) + (C_jN + C_gN)/S) V_rd^2`` (voltage mode: ``C_jN`` only in
      the last two terms), and the amplifier, latch and encoder interface
      ``((2 C_gP + C_gN) + (3 C_gP + 3 C_gN + 3 (C_jP + C_jN) + C_jP) + (C_gP + C_gN)) V_dd^2``. ``C_g``, ``C_j`` are the gate
      and drain capacitances of a minimum NMOS (2 F) and its PMOS (``pnSizeRatio`` x), from the
      PTM 22 nm data of ``Technology.cpp``; ``V_rd`` 0.55 V at 22 nm.
    - reference columns: ``sum_{i=1}^{L-3} P(R_ref,i) / S`` over the sensing time, with the
      reference ladder ``R_ref,i = 1 / (G_0 (1 - i/L))``, ``G_0 = rows / R_unit`` (``Initialize``,
      parallel read: ``R_start = resistanceOn / numRowParallel``, or the SRAM access transistor's
      on-resistance for SRAM).
    - the sensed column: ``P(R_col)`` over the sensing time, ``R_col`` from the data (charged by
      the accounting through :meth:`column_energy_J` when ``column_current`` is true).
    - ``P(R)`` (``GetColumnPower``, LSTP current mode): ``(L - 1) p(R)`` with the V1.4 piecewise
      fit ``p`` of :data:`LEVEL_POWER_LSTP_22NM`, 1 uW for a column that carries no current,
      ``x (1 + 1.3e-3 (T - 300))``; HP: V1.3's ``p (L - 1) + coeff exp(-k log10 R)``; voltage mode:
      0. ``R`` is rescaled by ``0.5 V / read_voltage_V`` as NeuroSim does.
    - sensing time (latency of a conversion, and the time the powers above flow): the larger of
      the column-latency fit (``ColumnLatency_Table``) at the smallest and the largest reference
      resistance, with its capacitance correction above ``resthreshold`` (column capacitance plus
      ``L - 3`` amplifier gate loads against ``refcap``); voltage mode: 1 ns for the energy.

    Modelling notes (named, not hidden):

    - Arrays without cell conductances (SRAM): the sensed column conducts through the access
      transistor (``1 / unit_resistance_ohm``) of ``column_cells``: "conducting" (default: the
      cells storing 1 on driven rows) or "driven" (NeuroSim V1.4 ``ProcessingUnit.cpp``
      GetColumnResistance for SRAM: every row driven in the input cycle, over all row groups of
      the array, whatever the weight, "weight value do not affect sense energy"; the wire
      resistance in series, a few ohms, is left out).
    - The accounting evaluates ``P(R_col)`` at the mean conductance of the converted columns,
      whereas NeuroSim sums it column by column; ``p`` is logarithmic in ``R`` above 4.8 kohm,
      so this is exact only for equal columns (Jensen: the mean-conductance value is an upper
      bound of the column average where ``p`` is concave in ``G``).
    - Geometry for the line terms: ``C_col = array_rows x (cell_height_features x F x 0.2 fF/um
      + access_drain_capacitance_per_cell_F)`` (``SubArray.cpp`` ``columncap = capCol``: the
      bit-line wire plus, for 1T1R and SRAM cells, the drain of every cell's access transistor,
      ``capCol += CalculateDrainCap(widthAccessCMOS F, NMOS, 28 F) x numRow``; default 0, the
      wire only; :func:`cimsim.components.neurosim_gates.access_transistor_1t1r` gives the 1T1R
      value, 0.0291 fF for a 100 kohm cell at 22 nm LSTP, and
      :func:`~cimsim.components.neurosim_gates.nmos_drain_cap_F` of 1 F the SRAM one, 0.0310 fF), ``E_ref = array_columns x cell_width_features x F x
      0.2 fF/um x V_dd^2`` (``reference_energy_peri``, set only for SRAM arrays in the later V1.4
      sources: pass ``reference_row_charge: true`` for SRAM; RRAM's reference columns "can always
      be turned on"): ``reference_row_model: wire``. At the commit of ``Data/1.4_Release_test.csv``
      (9e6742cd) ``SubArray.cpp`` CalculatePower sets it for SRAM and RRAM alike as ``capRow /
      numColSubArray x V_dd^2 x numRow / 2`` (the row's own capacitance, the access gates
      included: ``capRow1`` for SRAM, ``capRow2``, the 1T1R word line, for RRAM), measured at 9.0
      of the 20.0 uJ of sense amplifiers in a NeuroSim build of that commit (VGG-8, 6 kohm, 64
      rows): ``reference_row_model: half_row``, ``E_ref = array_columns x (cell_width_features x F
      x 0.2 fF/um + reference_access_gate_capacitance_per_cell_F) x V_dd^2 x array_rows / (2 x
      array_columns)``.
    - ``energy_dummy_column_sharing`` (default: ``dummy_column_sharing``): the ``S`` of the energy
      terms above. That commit's Param.cpp sets ``dumcolshared = 32``, by which CalculatePower
      divides; the area below keeps ``dummy_column_sharing`` (default ``L``), with which cimsim's
      ADC area per array is the release test's (the area formula's ``32`` and its
      ``arrayheight x arraywidthunit`` not reconciled with it).
    - Area: ``9 (L - 1)`` minimum NMOS per ADC plus ``(L - 1)/S`` dummy reference columns of
      ``array_rows x cell_height_features`` by ``cell_width_features`` (``CalculateArea``:
      ``param->arrayheight x param->arraywidthunit``), the dummy column's feature lengths being
      ``dummy_column_height_feature_m`` and ``dummy_column_width_feature_m``. NeuroSim V1.4
      ``SubArray.cpp`` Initialize ("230920 update") sets ``arrayheight = numRow x cellHeight x
      cell.featureSize`` and, for RRAM, ``arraywidthunit = cellWidth x cell.featureSize``, where
      ``cell.featureSize`` is ``Param.cpp``'s ``featuresize``, the array wire width (40 nm at 22 nm,
      :func:`~cimsim.components.technology.array_feature_size_m`), not the node's 22 nm that sizes
      the array itself (``lengthRow``, ``lengthCol``); both default to that wire width. For SRAM
      ``arraywidthunit`` is ``cell.widthInFeatureSize x tech.featureSize``: set
      ``dummy_column_width_feature_m`` to the node (22 nm) there. Plus
      the thermometer-to-binary encoder NeuroSim books with the ADC (``MultilevelSAEncoder.cpp``
      V1.4 CalculateArea: ``L - 1`` inverters and 2-input NANDs and ``log2 L`` NANDs of ``L/2``
      inputs, NAND transistors 4 x and 2 x pnSizeRatio x the minimum width, in 28 F tall standard
      cells), laid out as NeuroSim does: one row of encoders as wide as the array
      (``array_columns x cell_width_features``; ``array_columns / columns_multiplexed`` encoders
      per array), so an encoder's share is its height times the array width over the encoders.
    - NeuroSim's encoder has zero dynamic energy in V1.4 (``MultilevelSAEncoder.cpp``).
    - Data for 22 nm only (the PTM device data and fits are transcribed for that node).
    """

    model: ClassVar[str] = "neurosim_mlsa_v14"
    source: ClassVar[str] = (
        "DNN NeuroSim V1.4 MultilevelSenseAmp.cpp (Initialize, CalculatePower, GetColumnPower, "
        "ColumnLatency_Table, CalculateArea), Technology.cpp (PTM 22 nm), formula.cpp "
        "(CalculateGateCapacitance), Param.cpp (dumcolshared = levelOutput, featuresize), SubArray.cpp "
        "(columncap, reference_energy_peri, arrayheight, arraywidthunit)")
    valid_range: ClassVar[str] = "22 nm only (HP or LSTP); 2-8 bits; current or voltage mode"
    supported_nodes_nm: ClassVar[tuple[int, ...]] = (_SUPPORTED_NODE_NM,)

    def __init__(self, tech: Technology, *, bits: int, rows: int = 128,
                 sample_rate_Hz: float | None = None, mode: str = "current",
                 unit_resistance_ohm: float = 100e3, column_current: bool = False,
                 read_voltage_V: float = 0.5, temperature_K: float = 300.0,
                 array_rows: int = 128, array_columns: int = 128,
                 cell_height_features: float = 4.0, cell_width_features: float = 12.0,
                 reference_row_charge: bool = False, dummy_column_sharing: int | None = None,
                 energy_dummy_column_sharing: int | None = None, reference_row_model: str = "wire",
                 reference_access_gate_capacitance_per_cell_F: float = 0.0,
                 columns_multiplexed: int = 8, column_cells: str = "conducting",
                 access_drain_capacitance_per_cell_F: float = 0.0,
                 dummy_column_height_feature_m: float | None = None,
                 dummy_column_width_feature_m: float | None = None):
        super().__init__(tech, bits=bits, rows=rows, sample_rate_Hz=sample_rate_Hz)
        o = self.owner
        if abs(tech.node_nm - _SUPPORTED_NODE_NM) > 1e-9:
            raise CimsimError(
                f"{o}: model 'neurosim_mlsa_v14' carries NeuroSim V1.4's 22 nm device data and fits "
                f"only; the technology node is {tech.node_nm:g} nm (use neurosim_flash elsewhere)")
        check_int("bits", bits, 2, 8, owner=o)
        self.mode = check_choice("mode", mode, ("current", "voltage"), o)
        for name, value in (("column_current", column_current), ("reference_row_charge", reference_row_charge)):
            if not isinstance(value, bool):
                raise CimsimError(f"{o}: parameter '{name}' must be true or false, got {value!r}")
        self.column_current = column_current
        self.column_cells = check_choice("column_cells", column_cells, ("conducting", "driven"), o)
        self.unit_resistance_ohm = check_positive("unit_resistance_ohm", unit_resistance_ohm, o)
        self.read_voltage_V = check_positive("read_voltage_V", read_voltage_V, o)
        self.temperature_K = check_positive("temperature_K", temperature_K, o)
        self.flavor = neurosim_flavor(tech.flavor, o)
        self.levels = 2 ** self.bits
        self.comparators = self.levels - 1
        self.sharing = (self.levels if dummy_column_sharing is None
                        else check_int("dummy_column_sharing", dummy_column_sharing, 1, None, owner=o))
        self.energy_sharing = (self.sharing if energy_dummy_column_sharing is None
                               else check_int("energy_dummy_column_sharing", energy_dummy_column_sharing, 1, None,
                                              owner=o))
        self.reference_row_model = check_choice("reference_row_model", reference_row_model, ("wire", "half_row"), o)
        gate_ref = check_nonneg("reference_access_gate_capacitance_per_cell_F",
                                reference_access_gate_capacitance_per_cell_F, o)
        f = tech.node_nm * 1e-9
        rows_arr = check_int("array_rows", array_rows, 1, None, owner=o)
        cols_arr = check_int("array_columns", array_columns, 1, None, owner=o)
        h = check_positive("cell_height_features", cell_height_features, o) * f
        w = check_positive("cell_width_features", cell_width_features, o) * f
        ptm = PTM_22NM[self.flavor]
        vdd = ptm["vdd"]
        self.access_drain_capacitance_per_cell_F = check_nonneg(
            "access_drain_capacitance_per_cell_F", access_drain_capacitance_per_cell_F, o)
        self.column_cap_F = rows_arr * (h * WIRE_CAP_F_PER_M + self.access_drain_capacitance_per_cell_F)
        if not reference_row_charge:
            self.reference_energy_J = 0.0
        elif self.reference_row_model == "wire":
            self.reference_energy_J = cols_arr * w * WIRE_CAP_F_PER_M * vdd ** 2
        else:   # the release-test commit: capRow / numCol x vdd^2 x numRow / 2, access gates included
            self.reference_energy_J = cols_arr * (w * WIRE_CAP_F_PER_M + gate_ref) * vdd ** 2 * rows_arr / (2 * cols_arr)
        # Dummy (reference) columns: sized with NeuroSim's cell feature size (see the docstring).
        f_cell = array_feature_size_m(tech.node_nm)
        f_h = (f_cell if dummy_column_height_feature_m is None
               else check_positive("dummy_column_height_feature_m", dummy_column_height_feature_m, o))
        f_w = (f_cell if dummy_column_width_feature_m is None
               else check_positive("dummy_column_width_feature_m", dummy_column_width_feature_m, o))
        self._dummy_column_area_m2 = (rows_arr * cell_height_features * f_h) * (cell_width_features * f_w)
        # Encoder: INV + NAND2 per level, log2(L) NANDs of L/2 inputs; one row as wide as the array.
        pn = PTM_22NM[self.flavor]["pn_ratio"]
        w_inv = _gate_width_F("inv", 1, MIN_NMOS_WIDTH_F, pn * MIN_NMOS_WIDTH_F)
        w_nand = _gate_width_F("nand", 2, 4 * MIN_NMOS_WIDTH_F, 2 * pn * MIN_NMOS_WIDTH_F)
        w_big = _gate_width_F("nand", self.levels // 2, 4 * MIN_NMOS_WIDTH_F, 2 * pn * MIN_NMOS_WIDTH_F)
        enc_area_F2 = ((w_inv + w_nand) * self.comparators + w_big * self.bits) * _CELL_HEIGHT_F
        w_enc = w_inv + w_nand + w_big
        encoders = max(1, cols_arr // check_int("columns_multiplexed", columns_multiplexed, 1, None, owner=o))
        row_F = cols_arr * check_positive("cell_width_features", cell_width_features, o)
        per_row = min(math.ceil(row_F / w_enc), encoders)
        enc_rows = math.ceil(encoders / per_row)
        self.encoder_area_m2 = (enc_area_F2 / w_enc) * enc_rows * max(row_F, w_enc) * f * f / encoders

        cap_gate = ptm["cap_ideal_gate"] * 1.2 + ptm["cap_fringe"]       # ideal + overlap (0.2x) + fringe
        wn = MIN_NMOS_WIDTH_F * f
        g_n, j_n = _inverter_caps(f, wn, cap_gate, vdd)
        g_p, j_p = _inverter_caps(f, ptm["pn_ratio"] * wn, cap_gate, vdd)
        self.gate_caps_F = {"gN": g_n, "jN": j_n, "gP": g_p, "jP": j_p}
        v_rd = VREAD_INTERFACE_V[_SUPPORTED_NODE_NM]
        L1, S = self.comparators, self.energy_sharing
        # Current mode: NeuroSim's 1/(levelOutput-1) with an int levelOutput; voltage mode: 1.
        inv_l1 = (1 // L1) if self.mode == "current" else 1
        mirror = (j_n + g_n) if self.mode == "current" else j_n
        per_level = (self.column_cap_F * 2 * (inv_l1 + 1 / S) / 2 * v_rd ** 2
                     + self.reference_energy_J / S
                     + (g_n * 2 + mirror / L1 + mirror / S) * v_rd ** 2
                     + (g_p * 2 + g_n) * vdd ** 2
                     + (g_p * 3 + g_n * 3 + (j_p + j_n) * 3 + j_p) * vdd ** 2
                     + (g_p + g_n) * vdd ** 2)
        self.switching_energy_J = L1 * per_level

        # Reference ladder and sensing time.
        g0 = self.rows / self.unit_resistance_ohm
        self.reference_ohm = [1.0 / (g0 * (1 - i / self.levels)) for i in range(L1)]
        self.sensing_time_s = max(self._latency(self.reference_ohm[-1]), self._latency(self.reference_ohm[1]))
        self._power_time_s = self.sensing_time_s if self.mode == "current" else 1e-9
        self.reference_power_W = sum(self._column_power_W(r) for r in self.reference_ohm[1:-1]) / S
        self._slot(self.sensing_time_s)

    def _latency(self, r_ohm: float) -> float:
        pieces, (refcap, d_c, r2, threshold) = LATENCY_22NM[self.mode]
        t = _piecewise(pieces, r_ohm)
        if r_ohm > threshold:
            cap = self.column_cap_F + self.gate_caps_F["gN"] * (self.comparators - 2)
            t += d_c / (r2 - threshold) * (r_ohm - threshold) * ((cap - refcap) / refcap)
        return t

    def _column_power_W(self, r_ohm: float) -> float:
        """NeuroSim V1.4 ``GetColumnPower`` for a column of resistance ``r_ohm`` (inf: no current)."""
        if self.mode == "voltage":
            return 0.0
        r = r_ohm * 0.5 / self.read_voltage_V
        L1 = self.comparators
        if math.isinf(r):
            p = 1e-6
        elif self.flavor == "HP":
            coeff, k = COLUMN_TERM["current"]["HP"][_SUPPORTED_NODE_NM]
            p = POWER_PER_LEVEL_UW["current"]["HP"][_SUPPORTED_NODE_NM] * 1e-6 * L1 + coeff * math.exp(-k * math.log10(r))
        else:
            p = _piecewise(LEVEL_POWER_LSTP_22NM, r) * L1
        return p * (1 + 1.3e-3 * (self.temperature_K - 300.0))

    def convert(self, bits_resolved: int | None = None) -> ActionCost:
        """One conversion without the sensed column's own power (see :meth:`column_energy_J`):
        switching of all levels plus the reference columns over the sensing time. A flash-type
        decision: energy and latency do not depend on ``bits_resolved``."""
        self._resolved(bits_resolved)
        return ActionCost(self.switching_energy_J + self.reference_power_W * self._power_time_s,
                          self._slot(self.sensing_time_s))

    def column_energy_J(self, conductance_S: float) -> float:
        """Power of the sensed column (conductance ``G``; 0: no current) over the sensing time."""
        r = math.inf if conductance_S <= 0.0 else 1.0 / conductance_S
        return self._column_power_W(r) * self._power_time_s

    @property
    def cell_conductance_S(self) -> float:
        """Conductance of one conducting cell of the array (SRAM: its access transistor)."""
        return 1.0 / self.unit_resistance_ohm

    @property
    def area_m2(self) -> float:
        return (self.comparators * 9 * min_transistor_area_m2(self.tech.node_nm)
                + self.comparators / self.sharing * self._dummy_column_area_m2 + self.encoder_area_m2)
