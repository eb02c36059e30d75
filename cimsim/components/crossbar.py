"""Resistive crossbar array (kind ``crossbar``, model ``rram``)."""

from __future__ import annotations

import math
from typing import ClassVar

from cimsim.components._util import check_int, check_nonneg, check_positive, check_real
from cimsim.components.base import ActionCost, Component, Technology
from cimsim.components.registry import register
from cimsim.components.technology import WIRE_CAP_F_PER_M
from cimsim.errors import CimsimError


@register
class RRAMCrossbar(Component):
    """1T1R resistive crossbar read in parallel by voltage pulses (any two-terminal resistive
    device: RRAM, PCM, FeFET in its linear region).

    Device: a cell holding digit ``d`` of ``c = bits_per_cell`` bits has conductance
    ``G(d) = Gmin + d (Gmax - Gmin) / (2^c - 1)`` with ``Gmax = 1/r_on_ohm``,
    ``Gmin = 1/r_off_ohm`` (cim-models.md section 3; NeuroSim V1.3 ``Param.cpp``
    defaults Ron 6 kOhm, Roff 900 kOhm, read 0.5 V, 10 ns pulse, 1T1R 4F x 12F).

    - ``read(active_rows=None, mean_level=None)``: one read pulse on the whole array: cell
      current ``V_read^2 * sum(G) * read_pulse_s`` over the active cells (when
      ``include_cell_current``), plus line charging as NeuroSim counts it (``SubArray.cpp``):
      each active row's line ``columns * C_row_cell * V_row^2`` (1T1R wordline gates switch at
      ``row_voltage_V``, default ``tech.vdd_V``) and each column's line
      ``rows * C_col_cell * V_read^2``; the row lines are charged ``row_charges_per_read`` times
      per read (default 1: they stay driven while multiplexed columns are converted; NeuroSim
      V1.4 ``SubArray.cpp`` charges them once per multiplexed column, ``readDynamicEnergyArray
      *= numColMuxed``, a step its authors mark "needs check": pass ``numColMuxed`` to reproduce
      it). ``rows_over_mapped_rows`` (default false) reproduces how NeuroSim V1.4 charges a
      partly filled array: ``ProcessingUnit.cpp`` GetInputVector takes activityRowRead as the
      non-zero inputs over the rows mapped to that sub-array, and ``SubArray.cpp`` CalculatePower
      multiplies it by the sub-array's full ``numRow``, so an array holding ``m`` of its ``rows``
      rows is charged ``rows / m`` times its driven row lines (128/27 = 4.7x for a 3x3x3 first
      layer); the mapped rows are given to :meth:`activity_energy_J` as ``mapped_rows`` (``read``
      and ``read_columns`` do not take them). Defaults: all rows active, every cell at the mean
      level ``(2^c - 1) / 2`` (half of the maximum digit). Latency ``read_pulse_s`` (line RC taken to
      settle within the pulse; not modelled separately).
    - ``read_columns(conductance_sum_S=None, active_rows=None)``: data-dependent read from the
      summed conductance of the active cells (the functional pass computes it), plus the line
      charging for ``active_rows`` (default all). Default sum: the ``read()`` default.
    - ``write(cells=1)``: ``cells * write_energy_per_cell_J``; default per-cell energy
      ``write_voltage_V^2 / r_on_ohm * write_pulse_s`` (**assumption**: one SET pulse on a
      low-resistance cell, NeuroSim's 2 V write voltage, 10 ns pulse). Latency: one pulse per
      row written, all columns of a row in parallel: ``ceil(cells / columns) * write_pulse_s``.
    - Area: ``rows * columns * cell_area_F2 * F^2`` with ``F`` = ``feature_size_m`` (default
      the technology node, as NeuroSim sizes transistor-access cells: ``SubArray.cpp`` lays a
      1T1R row out as ``numCol * widthInFeatureSize * tech.featureSize``, ``tech.featureSize``
      being the node; 0.0232 um^2 per 48 F^2 cell at 22 nm). NeuroSim sizes cross-point cells
      (no access transistor) with its wire width instead (``cell.featureSize``, 40 nm at
      22 nm, :func:`technology.array_feature_size_m`): pass that as ``feature_size_m``.
    - Line capacitance per cell: NeuroSim's 0.2 fF/um times the cell width (row line) or
      height (column line); the cell is taken with a 1:3 aspect ratio, 4F x 12F for 48 F^2
      (**assumption** for other areas). ``wire_capacitance_per_cell_F`` (row) and
      ``column_wire_capacitance_per_cell_F`` override them.
    - ``access_gate_capacitance_per_cell_F`` (default 0): the gate of each cell's access
      transistor on its word line, added to the row line per cell. NeuroSim V1.4 ``SubArray.cpp``
      (Initialize, 1T1R) charges it with the row wire (``capRow2 += CalculateGateCap(
      widthAccessCMOS F) x numCol``); :func:`cimsim.components.neurosim_gates.access_transistor_1t1r`
      gives NeuroSim's value (0.0217 fF for a 100 kohm cell at 22 nm LSTP).
    - NeuroSim V1.3 itself does not charge ``V^2 G t_pulse`` to the array: it charges the cell
      current to the ADC over the conversion time (the column term of its SAR / sense-amp
      power fits, about ``0.072 V^2 / R_col`` at 22 nm LSTP). To reproduce that accounting set
      ``include_cell_current=False`` and give the ADC ``column_resistance_ohm``. With the
      defaults (6 kOhm, 0.5 V, 10 ns, half level) a full 128x128 read costs about 3.4 nJ.
    - ``read_power_W`` (default none): a published power of the whole array while it is read
      (e.g. ISAAC's 0.3 mW per 128 x 128 crossbar, Shafiee et al., ISCA 2016, Table 6, 2.4 mW
      per 8), for designs that publish it instead of device resistances: each read pulse then
      costs ``read_power_W * read_pulse_s`` in place of the cell-current term (the two are
      exclusive: ``include_cell_current`` must be false); line charging is still added.
    - Leakage: 0 (non-volatile cells; peripheral leakage belongs to the peripherals).
    """

    kind: ClassVar[str] = "crossbar"
    model: ClassVar[str] = "rram"
    source: ClassVar[str] = (
        "cim-models.md section 3 (G = Gmin + d(Gmax-Gmin)/(2^c-1)); DNN NeuroSim V1.3 Param.cpp "
        "(Ron, Roff, readVoltage, readPulseWidth, 1T1R 4Fx12F, writeVoltage) and SubArray.cpp "
        "(wire capacitance 0.2 fF/um, line charging of the read); DNN NeuroSim V1.4 SubArray.cpp "
        "Initialize (1T1R access gate on the word line)")
    valid_range: ClassVar[str] = "any rows/columns; 1-8 bits per cell; ohmic (linear I-V) cells"
    actions: ClassVar[tuple[str, ...]] = ("read", "read_columns", "write")

    def __init__(self, tech: Technology, *, rows: int = 128, columns: int = 128,
                 bits_per_cell: int = 1, r_on_ohm: float = 6e3, r_off_ohm: float = 900e3,
                 read_voltage_V: float = 0.5, read_pulse_s: float = 10e-9,
                 cell_area_F2: float = 48.0, feature_size_m: float | None = None,
                 wire_capacitance_per_cell_F: float | None = None,
                 column_wire_capacitance_per_cell_F: float | None = None,
                 access_gate_capacitance_per_cell_F: float = 0.0,
                 row_voltage_V: float | None = None, include_cell_current: bool = True,
                 row_charges_per_read: int = 1, rows_over_mapped_rows: bool = False,
                 read_power_W: float | None = None,
                 write_voltage_V: float = 2.0, write_pulse_s: float = 10e-9,
                 write_energy_per_cell_J: float | None = None):
        super().__init__(tech)
        o = self.owner
        self.rows = check_int("rows", rows, 1, None, owner=o)
        self.columns = check_int("columns", columns, 1, None, owner=o)
        self.bits_per_cell = check_int("bits_per_cell", bits_per_cell, 1, 8, owner=o)
        self.r_on_ohm = check_positive("r_on_ohm", r_on_ohm, o)
        self.r_off_ohm = check_positive("r_off_ohm", r_off_ohm, o)
        if self.r_off_ohm <= self.r_on_ohm:
            raise CimsimError(f"{o}: r_off_ohm ({self.r_off_ohm:g}) must exceed r_on_ohm "
                              f"({self.r_on_ohm:g})")
        self.read_voltage_V = check_positive("read_voltage_V", read_voltage_V, o)
        self.read_pulse_s = check_positive("read_pulse_s", read_pulse_s, o)
        self.cell_area_F2 = check_positive("cell_area_F2", cell_area_F2, o)
        self.feature_size_m = (tech.node_nm * 1e-9 if feature_size_m is None
                               else check_positive("feature_size_m", feature_size_m, o))
        cell_width = math.sqrt(self.cell_area_F2 * 3.0) * self.feature_size_m
        cell_height = math.sqrt(self.cell_area_F2 / 3.0) * self.feature_size_m
        if wire_capacitance_per_cell_F is None:
            wire_capacitance_per_cell_F = WIRE_CAP_F_PER_M * cell_width
        if column_wire_capacitance_per_cell_F is None:
            column_wire_capacitance_per_cell_F = WIRE_CAP_F_PER_M * cell_height
        self.wire_capacitance_per_cell_F = check_nonneg("wire_capacitance_per_cell_F",
                                                        wire_capacitance_per_cell_F, o)
        self.column_wire_capacitance_per_cell_F = check_nonneg(
            "column_wire_capacitance_per_cell_F", column_wire_capacitance_per_cell_F, o)
        self.access_gate_capacitance_per_cell_F = check_nonneg(
            "access_gate_capacitance_per_cell_F", access_gate_capacitance_per_cell_F, o)
        self.row_voltage_V = (tech.vdd_V if row_voltage_V is None
                              else check_positive("row_voltage_V", row_voltage_V, o))
        self.row_charges_per_read = check_int("row_charges_per_read", row_charges_per_read, 1, None, owner=o)
        if not isinstance(rows_over_mapped_rows, bool):
            raise CimsimError(f"{o}: parameter 'rows_over_mapped_rows' must be true or false, "
                              f"got {rows_over_mapped_rows!r}")
        self.rows_over_mapped_rows = rows_over_mapped_rows
        if not isinstance(include_cell_current, bool):
            raise CimsimError(f"{o}: parameter 'include_cell_current' must be true or false, "
                              f"got {include_cell_current!r}")
        self.include_cell_current = include_cell_current
        self.read_power_W = (None if read_power_W is None
                             else check_nonneg("read_power_W", read_power_W, o))
        if self.read_power_W is not None and include_cell_current:
            raise CimsimError(f"{o}: give either include_cell_current: true (cell current from the "
                              f"device resistances) or read_power_W (a published array read power), "
                              f"not both; found both")
        self.write_voltage_V = check_positive("write_voltage_V", write_voltage_V, o)
        self.write_pulse_s = check_positive("write_pulse_s", write_pulse_s, o)
        if write_energy_per_cell_J is None:
            write_energy_per_cell_J = self.write_voltage_V ** 2 / self.r_on_ohm * self.write_pulse_s
        self.write_energy_per_cell_J = check_nonneg("write_energy_per_cell_J",
                                                    write_energy_per_cell_J, o)

    @property
    def row_capacitance_per_cell_F(self) -> float:
        """What each cell adds to its row line: the wire plus its access transistor's gate."""
        return self.wire_capacitance_per_cell_F + self.access_gate_capacitance_per_cell_F

    @property
    def g_max_S(self) -> float:
        return 1.0 / self.r_on_ohm

    @property
    def g_min_S(self) -> float:
        return 1.0 / self.r_off_ohm

    @property
    def max_level(self) -> int:
        return 2 ** self.bits_per_cell - 1

    def conductance_S(self, level: float) -> float:
        """Conductance of a cell at digit ``level`` (fractional levels give averages)."""
        level = check_real("level", level, 0.0, self.max_level, owner=self.owner)
        return self.g_min_S + level * (self.g_max_S - self.g_min_S) / self.max_level

    def _active_rows(self, active_rows) -> int:
        if active_rows is None:
            return self.rows
        return check_int("active_rows", active_rows, 0, self.rows, owner=self.owner)

    def _wire_energy(self, active_rows: int) -> float:
        rows_part = (active_rows * self.columns * self.row_capacitance_per_cell_F * self.row_voltage_V ** 2
                     * self.row_charges_per_read)
        cols_part = self.columns * self.rows * self.column_wire_capacitance_per_cell_F * self.read_voltage_V ** 2
        return rows_part + cols_part

    def _cell_energy(self, g_sum: float) -> float:
        if not self.include_cell_current:
            return 0.0
        return self.read_voltage_V ** 2 * g_sum * self.read_pulse_s

    def _published_read_energy(self, reads: int = 1) -> float:
        return 0.0 if self.read_power_W is None else reads * self.read_power_W * self.read_pulse_s

    def read(self, active_rows: int | None = None, mean_level: float | None = None) -> ActionCost:
        n = self._active_rows(active_rows)
        level = self.max_level / 2.0 if mean_level is None else mean_level
        g_sum = n * self.columns * self.conductance_S(level)
        energy = self._cell_energy(g_sum) + self._published_read_energy() + self._wire_energy(n)
        return ActionCost(energy, self.read_pulse_s)

    def read_columns(self, conductance_sum_S: float | None = None,
                     active_rows: int | None = None) -> ActionCost:
        if conductance_sum_S is None:
            return self.read()
        g_sum = check_nonneg("conductance_sum_S", conductance_sum_S, self.owner)
        energy = (self._cell_energy(g_sum) + self._published_read_energy()
                  + self._wire_energy(self._active_rows(active_rows)))
        return ActionCost(energy, self.read_pulse_s)

    def activity_energy_J(self, reads: int, input_levels: int, column_levels: int,
                          mapped_rows: int | None = None) -> float:
        """Energy of ``reads`` read pulses from exact activity counts (the functional pass):

        - cells: ``V_r^2 t (Gmin * input_levels * columns + dG * column_levels)`` with
          ``dG = (Gmax - Gmin)/(2^c - 1)``: every driven row passes current through all of
          its cells (unused cells sit at Gmin), and the level-dependent part is the sum of
          ``x_r d_r`` over reads and columns;
        - row wires: ``input_levels * columns * C_row * V_row^2 * row_charges_per_read`` (only
          driven rows charge; ``C_row`` the wire plus the access gate per cell), times
          ``rows / mapped_rows`` with ``rows_over_mapped_rows`` (NeuroSim's accounting of a
          partly filled array, see the class notes; ``mapped_rows`` the rows holding weights);
        - column wires: ``reads * rows * columns * C_col * V_r^2`` (every read precharges them);
        - with a published ``read_power_W``: ``reads * read_power_W * read_pulse_s``.
        """
        dg = (self.g_max_S - self.g_min_S) / self.max_level
        g_sum = self.g_min_S * input_levels * self.columns + dg * column_levels
        rows = (input_levels * self.columns * self.row_capacitance_per_cell_F * self.row_voltage_V ** 2
                * self.row_charges_per_read)
        if self.rows_over_mapped_rows and mapped_rows:
            rows *= self.rows / check_int("mapped_rows", mapped_rows, 1, self.rows, owner=self.owner)
        cols = reads * self.columns * self.rows * self.column_wire_capacitance_per_cell_F * self.read_voltage_V ** 2
        return self._cell_energy(g_sum) + self._published_read_energy(reads) + rows + cols

    def write(self, cells: int = 1) -> ActionCost:
        n = check_int("cells", cells, 0, self.rows * self.columns, owner=self.owner)
        pulses = math.ceil(n / self.columns)
        return ActionCost(n * self.write_energy_per_cell_J, pulses * self.write_pulse_s)

    @property
    def area_m2(self) -> float:
        return self.rows * self.columns * self.cell_area_F2 * self.feature_size_m ** 2
