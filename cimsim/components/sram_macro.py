"""SRAM compute-in-memory macro of 1-bit cells (kind ``sram_macro``, model ``sram_cim``)."""

from __future__ import annotations

from typing import ClassVar

from cimsim.components._util import check_int, check_nonneg, check_positive, check_real
from cimsim.components.base import ActionCost, Component, Technology
from cimsim.components.registry import register
from cimsim.components.technology import gate_library, leakage_per_transistor_W
from cimsim.errors import CimsimError


@register
class SRAMCIMMacro(Component):
    """SRAM CIM macro: ``rows x columns`` 1-bit cells, inputs applied bit-serially on the
    wordlines, each column's bitline accumulating one partial sum per input cycle. The cell
    array only: ADCs / sense amps / adder trees are separate components.

    - ``compute(active_rows=None)``: one bit-serial input cycle across the macro. Energy, by
      default from ZigZag-IMC's bitline model (``ImcUnit.TECH_PARAM_28NM``: wordline and
      bitline capacitance per cell = ND2 capacitance / 2 = 0.35 fF at 28 nm, scaled with the
      gate library): ``active_rows * columns * C_wl * VDD^2`` (wordlines of the rows whose
      input bit is 1) ``+ columns * rows * C_bl * VDD^2 * bitline_swing`` (every column's
      bitline recharged; ``bitline_swing`` = fraction of a full VDD^2 charge, default 1 as in
      ZigZag-IMC). Or, when ``energy_per_cell_op_J`` is given: ``active_rows * columns *
      energy_per_cell_op_J``. Default ``active_rows = rows``. Latency ``compute_time_s``,
      default one clock cycle.
    - ``row_charges_per_read`` (default 1): times a driven row's wordline is charged per input
      cycle in :meth:`activity_energy_J`; NeuroSim V1.4 charges it once per multiplexed column
      (``SubArray.cpp`` conventionalParallel: ``readDynamicEnergyArray *= numColMuxed``), as the
      crossbar's parameter of the same name. With a bit-line precharger modelled beside the
      array (``periphery: precharger``, which charges the bit lines as NeuroSim books them),
      ``bitline_swing: 0`` leaves the array its wordlines only, NeuroSim's "array" energy.
    - ``write()``: one row written: ``columns * (rows * C_bl + C_wl) * VDD^2``; one cycle.
    - Area: ``rows * columns * cell_area_F2 * F^2``; default 280 F^2 = NeuroSim's SRAM cell
      10 F x 28 F (``Param.cpp`` heightInFeatureSizeSRAM / widthInFeatureSizeSRAM, a CIM cell
      with a decoupled read port, i.e. 8T-like), F = the technology node as NeuroSim lays SRAM
      cells out (``SubArray.cpp``: ``numCol * widthInFeatureSize * tech.featureSize``;
      0.1355 um^2 per cell at 22 nm).
    - Leakage: ``rows * columns * leaking_transistors_per_cell * I_off * 2F * VDD`` (NeuroSim
      off-current per width; **assumption**: 2 minimum-width transistors off per cell, as in
      a 6T cell holding a value).
    """

    kind: ClassVar[str] = "sram_macro"
    model: ClassVar[str] = "sram_cim"
    source: ClassVar[str] = (
        "ZigZag-IMC ImcUnit (wl/bl capacitance per cell = ND2 cap / 2 at 28 nm; Houshmand et "
        "al. 2023); DNN NeuroSim V1.3 Param.cpp (SRAM cell 10F x 28F) and Technology.cpp "
        "(off-current)")
    valid_range: ClassVar[str] = "1-bit cells; nodes 7-180 nm; HP/LSTP for the leakage"
    actions: ClassVar[tuple[str, ...]] = ("compute", "write")

    def __init__(self, tech: Technology, *, rows: int = 128, columns: int = 128,
                 cell_area_F2: float = 280.0, feature_size_m: float | None = None,
                 energy_per_cell_op_J: float | None = None,
                 wordline_cap_per_cell_F: float | None = None,
                 bitline_cap_per_cell_F: float | None = None,
                 bitline_swing: float = 1.0, compute_time_s: float | None = None,
                 leaking_transistors_per_cell: float = 2.0, wire_cap_per_um_F: float = 0.0,
                 cell_width_features: float | None = None, cell_height_features: float | None = None,
                 row_charges_per_read: int = 1):
        super().__init__(tech)
        o = self.owner
        self.rows = check_int("rows", rows, 1, None, owner=o)
        self.columns = check_int("columns", columns, 1, None, owner=o)
        self.cell_area_F2 = check_positive("cell_area_F2", cell_area_F2, o)
        self.feature_size_m = (tech.node_nm * 1e-9 if feature_size_m is None
                               else check_positive("feature_size_m", feature_size_m, o))
        gates = gate_library(tech)
        self.wordline_cap_per_cell_F = (gates.nd2_cap_F / 2 if wordline_cap_per_cell_F is None
                                        else check_nonneg("wordline_cap_per_cell_F",
                                                          wordline_cap_per_cell_F, o))
        self.bitline_cap_per_cell_F = (gates.nd2_cap_F / 2 if bitline_cap_per_cell_F is None
                                       else check_nonneg("bitline_cap_per_cell_F",
                                                         bitline_cap_per_cell_F, o))
        self.wire_cap_per_um_F = check_nonneg("wire_cap_per_um_F", wire_cap_per_um_F, o)
        if self.wire_cap_per_um_F > 0:
            if cell_width_features is None or cell_height_features is None:
                raise CimsimError(f"{o}: wire_cap_per_um_F needs cell_width_features and cell_height_features")
            w = check_positive("cell_width_features", cell_width_features, o)
            h = check_positive("cell_height_features", cell_height_features, o)
            if abs(w * h - self.cell_area_F2) > 0.01 * self.cell_area_F2:
                raise CimsimError(f"{o}: cell_width_features x cell_height_features = {w * h:g} F^2, "
                                  f"cell_area_F2 is {self.cell_area_F2:g}")
            self.wordline_cap_per_cell_F += self.wire_cap_per_um_F * w * self.feature_size_m / 1e-6
            self.bitline_cap_per_cell_F += self.wire_cap_per_um_F * h * self.feature_size_m / 1e-6
        self.energy_per_cell_op_J = (None if energy_per_cell_op_J is None else
                                     check_nonneg("energy_per_cell_op_J", energy_per_cell_op_J, o))
        self.bitline_swing = check_real("bitline_swing", bitline_swing, 0.0, 1.0, owner=o)
        self.compute_time_s = (tech.cycle_s if compute_time_s is None
                               else check_positive("compute_time_s", compute_time_s, o))
        self.leaking_transistors_per_cell = check_nonneg("leaking_transistors_per_cell",
                                                         leaking_transistors_per_cell, o)
        self.row_charges_per_read = check_int("row_charges_per_read", row_charges_per_read, 1, 1024, owner=o)

    def compute(self, active_rows: int | None = None) -> ActionCost:
        n = self.rows if active_rows is None else check_int("active_rows", active_rows, 0,
                                                            self.rows, owner=self.owner)
        v2 = self.tech.vdd_V ** 2
        if self.energy_per_cell_op_J is not None:
            energy = n * self.columns * self.energy_per_cell_op_J
        else:
            energy = (n * self.columns * self.wordline_cap_per_cell_F * v2
                      + self.columns * self.rows * self.bitline_cap_per_cell_F * v2
                      * self.bitline_swing)
        return ActionCost(energy, self.compute_time_s)

    def activity_energy_J(self, reads: int, input_levels: int, column_levels: int) -> float:
        """Energy of ``reads`` bit-serial compute cycles from exact activity counts: wordlines of
        driven rows (``input_levels``) and the bitlines of every read; with a given
        ``energy_per_cell_op_J``, that energy per driven cell."""
        v2 = self.tech.vdd_V ** 2
        if self.energy_per_cell_op_J is not None:
            return input_levels * self.columns * self.energy_per_cell_op_J
        return (self.row_charges_per_read * input_levels * self.columns * self.wordline_cap_per_cell_F * v2
                + reads * self.columns * self.rows * self.bitline_cap_per_cell_F * v2 * self.bitline_swing)

    def write(self) -> ActionCost:
        v2 = self.tech.vdd_V ** 2
        energy = self.columns * (self.rows * self.bitline_cap_per_cell_F
                                 + self.wordline_cap_per_cell_F) * v2
        return ActionCost(energy, self.tech.cycle_s)

    @property
    def area_m2(self) -> float:
        return self.rows * self.columns * self.cell_area_F2 * self.feature_size_m ** 2

    @property
    def leakage_W(self) -> float:
        return (self.rows * self.columns * self.leaking_transistors_per_cell
                * leakage_per_transistor_W(self.tech, self.owner))
