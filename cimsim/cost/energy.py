"""Dynamic energy of a layer: exact activity counts x per-action energy of the component models.

Activity comes from the functional pass (:class:`cimsim.kernels.layer.LayerResult`), action
energies from the architecture's component models (:mod:`cimsim.components`). Nothing here
estimates an activity; where a count is a modelling choice it is named below.

Per component instance name (``level.role``, as in ``cimsim describe``):

- ``array.crossbar``: :meth:`Crossbar.activity_energy_J` per array (cells' current from the
  driven input levels and the summed ``x d`` levels; row and column wire charging);
  ``array.sram_macro`` likewise; with re-programming (the network needs more than one round
  of arrays, ``chip.reprogramming``) plus every array's weights written once per inference
  (assumption: inferences one at a time, each re-writing every round);
- ``array.dac`` (absent when the periphery's row switch matrix drives the rows): one unit-level
  drive per driven input level (``input_levels`` sums the
  digit values driven; a multi-bit unary driver spends one unit per level, ``drive(1)``);
- ``array.row_switch_matrix`` (``periphery.row_switch_matrix``): per input cycle of each array,
  ``columns_per_adc`` steps of its DFF register (``reads / row_groups`` input cycles) and, per
  step, one gate drive per row driven with a 1 (``input_levels``), as NeuroSim V1.4 charges
  ``wlNewSwitchMatrix.CalculatePower(numColMuxed, ..., activityRowRead)`` once per input cycle;
- ``array.column_mux`` (``periphery.column_mux``): the same ``columns_per_adc`` steps per input
  cycle, each switching every multiplexer and decoding once (``mux`` / ``muxDecoder.CalculatePower
  (numColMuxed)``); the column switch matrix and level shifters cost nothing in inference (NeuroSim
  charges them only on writes);
- ``array.adc``: one conversion per column read-out (``conversions``); BFP read-outs at the
  mean number of bits resolved per conversion (``resolved_bits / conversions``, linear between
  whole bit counts: exact for ADC models linear in the bits, e.g. NeuroSim's SAR);
- ``array.bfp_logic`` (BFP-CIM, ``readout.bfp``): leading-one detection, exponent maximum,
  block registers, alignment shift and rounding per conversion; for an ADC with ``column_current`` (NeuroSim's accounting of
  the cell current, with the crossbar's ``include_cell_current: false``), plus per array
  ``conversions x adc.column_energy_J(G)`` at the mean conductance of a converted column,
  ``G = (Gmin * input_levels * columns_converted + dG * column_levels) / conversions`` (exact
  for NeuroSim's column terms, which are linear in G to 0.02 %);
- ``array.sense_amp``: one decision per column per read per sense amplifier (ternary: 2);
- ``array.shift_add``: ``shift_add_ops`` (one per conversion; per non-zero output for sense
  amplifiers, whose zero outputs are skipped); with the shift-add's ``partial_sum_bits`` (NeuroSim
  V1.4's partial sums of row groups) and an ADC, one shift-add step per column per input cycle
  (``conversions / row_groups`` per array) and one ``partial_sum()`` for each other conversion;
- ``array.dcim`` (HCiM, instead of the shift-add): one add/subtract of a pre-shifted scale
  factor per non-zero sense-amp output (``shift_add_ops``); zero outputs cost nothing;
- ``pe.accumulator``: ``adder_tree_ops`` pairwise additions of partial sums across row tiles,
  each 1/(inputs-1) of the tree's full reduction;
- ``pe.buffer`` / ``pe.interconnect``: the unrolled inputs delivered to arrays
  (``input_bits``) and the outputs written back (``output_bits``), in words / bits;
- ``tile.*`` and ``chip.*`` buffers and links: the layer's input feature map read once and its
  output feature map written once (assumption: no re-fetch; ``input_fmap_bits``,
  ``output_fmap_bits``), channels of pruned inputs and filters skipped;
- published units (``units`` of a tile or PE, kind ``unit``): model ``per_op`` one operation
  per ADC conversion (``activity: conversion``) or per output element of the layer (``output``,
  pruned filters skipped), whatever the level; model ``fixed`` nothing here (its power is static);
- ``tile.accumulator`` / ``chip.accumulator``: one addition per output per extra PE the layer
  spans beyond its first (assumption: partial sums of a layer split over PEs meet there).
"""

from __future__ import annotations

import math

import numpy as np

from cimsim.architecture import Architecture
from cimsim.errors import CimsimError
from cimsim.trace.format import counted_position_fraction


def kept_channels(layer) -> tuple[float, float]:
    """Fractions of a layer's input channels and output filters that structured pruning keeps
    (1, 1 unpruned): an input channel no kept weight reads is not fetched, a pruned filter's
    output is not written."""
    if layer.prune_mask is None or layer.weight is None:
        return 1.0, 1.0
    from cimsim.trace.format import expand_prune_mask

    m = expand_prune_mask(layer)
    g = layer.groups if layer.kind == "conv2d" else 1
    out = m.reshape(m.shape[0], -1).any(axis=1)
    ins = m.reshape(g, m.shape[0] // g, m.shape[1], -1).any(axis=(1, 3))
    return float(ins.mean()), float(out.mean())


def fmap_bits(layer, samples: int, positions: str = "all") -> tuple[int, int]:
    """Input and output feature-map bits of ``samples`` samples (codes at their bit widths),
    pruned input channels and filters skipped (:func:`kept_channels`). ``positions: valid``
    (:class:`cimsim.spec.schema.Mapping`) scales both by the share of counted output positions,
    as NeuroSim moves a layer's data per simulated input vector."""
    f_in, f_out = kept_channels(layer)
    f_pos = counted_position_fraction(layer, positions)
    in_elems = round(int(np.prod(layer.input_shape)) * f_in * f_pos) * samples
    out_elems = round(int(np.prod(layer.output_shape)) * f_out * f_pos) * samples
    in_bits = in_elems * layer.input.bits
    if layer.kind == "matmul":
        in_bits += int(np.prod(layer.input_b_shape)) * samples * layer.input_b.bits
    return in_bits, out_elems * layer.input.bits


def output_elements(layer, samples: int, positions: str = "all") -> int:
    """Output elements of ``samples`` samples, pruned filters skipped (:func:`kept_channels`),
    at the counted positions (:func:`fmap_bits`)."""
    f_pos = counted_position_fraction(layer, positions)
    return round(int(np.prod(layer.output_shape)) * kept_channels(layer)[1] * f_pos) * samples


def adc_column_current_J(arch: Architecture, result) -> float:
    """Cell current of the converted columns charged to an ADC with ``column_current`` (module
    docstring); needs resistive cells whose current the crossbar does not already count."""
    adc = arch.require("array", "adc").model
    xb = arch.get("array", "crossbar")
    where = f"{arch.origins.root_file}: chip.tiles.pes.arrays"
    if xb is None and hasattr(adc, "cell_conductance_S"):
        # SRAM arrays read by an ADC that knows the cell's conductance (neurosim_mlsa_v14: the
        # access transistor's on-resistance). column_cells "conducting": the cells storing 1 on a
        # driven row; "driven": every driven row of the array in that input cycle, all row groups
        # together, whatever the weight (NeuroSim V1.4 GetColumnResistance for SRAM).
        total = 0.0
        for arr in result.arrays:
            if not arr.conversions or not arr.reads:
                continue
            if adc.column_cells == "driven":
                cells = arr.row_groups * arr.input_levels / arr.reads
            else:
                cells = arr.column_levels / arr.conversions
            total += arr.conversions * adc.column_energy_J(adc.cell_conductance_S * cells)
        return total
    if xb is None:
        raise CimsimError(
            f"{where}.readout.params.column_current: the ADC is asked to carry the column current of "
            f"resistive cells, but the arrays are '{arch.arrays.kind}' (no cell conductance); "
            "remove column_current or use kind: crossbar.")
    x = xb.model
    if x.include_cell_current:
        raise CimsimError(
            f"{where}.readout.params.column_current: the ADC carries the column current and the "
            "crossbar also charges the cell current (include_cell_current is true), which would "
            "count it twice; set the crossbar's params: {include_cell_current: false} (NeuroSim's "
            "accounting) or drop column_current.")
    dg = (x.g_max_S - x.g_min_S) / x.max_level
    total = 0.0
    for arr in result.arrays:
        if not arr.conversions or not arr.reads:
            continue
        columns = arr.conversions / arr.reads      # columns converted per read
        g_sum = x.g_min_S * arr.input_levels * columns + dg * arr.column_levels
        total += arr.conversions * adc.column_energy_J(g_sum / arr.conversions)
    return total


def array_program_cost(arch: Architecture):
    """Energy (J) and time (s) to write every cell of one array (re-programming under
    ``chip.reprogramming``): an SRAM macro ``rows`` row writes in sequence; a crossbar all its
    cells, one row pulse per row (:meth:`Crossbar.write`)."""
    from cimsim.components.base import ActionCost

    a = arch.arrays
    if a.kind == "crossbar":
        return arch.require("array", "crossbar").model.write(a.rows * a.columns)
    row = arch.require("array", "sram_macro").model.write()
    return ActionCost(a.rows * row.energy_J, a.rows * row.latency_s)


def periphery_energy(arch: Architecture, arrays) -> dict[str, float]:
    """Energy (J) of the sub-array peripheries that act in inference, over the array activities
    ``arrays`` (:class:`~cimsim.kernels.layer.ArrayActivity`). NeuroSim V1.4 SubArray.cpp: every
    column-multiplexer step of every input cycle clocks the row switch matrix's DFFs, switches the
    multiplexers and decodes their address; each row driven with a 1 in the input cycle opens its
    switch-matrix gates once per step; an SRAM array's precharger charges every bit line once per
    multiplexer step of every row group."""
    rsm, mux = arch.get("array", "row_switch_matrix"), arch.get("array", "column_mux")
    pre = arch.get("array", "precharger")
    out: dict[str, float] = {}
    if rsm is None and mux is None and pre is None:
        return out
    m = arch.arrays.columns_per_adc
    if pre is not None:
        out["array.precharger"] = m * sum(arr.reads for arr in arrays) * pre.model.precharge().energy_J
    steps = m * sum(arr.reads // max(1, arr.row_groups) for arr in arrays)
    if rsm is not None:
        levels = sum(arr.input_levels for arr in arrays)
        out["array.row_switch_matrix"] = steps * rsm.model.step().energy_J + m * levels * rsm.model.drive().energy_J
    if mux is not None:
        out["array.column_mux"] = steps * mux.model.switch().energy_J
    return out


def adc_energy_at_bits_J(adc, mean_bits: float, top: int) -> float:
    """Energy of one conversion at a mean number of resolved bits (BFP-CIM): linear between the
    two neighbouring whole bit counts, so that the total over conversions is exact for models
    linear in the bits resolved (NeuroSim's SAR: ``P (m + 1) step``)."""
    m = min(max(mean_bits, 1.0), float(top))
    lo, hi = int(math.floor(m)), int(math.ceil(m))
    e_lo = adc.convert(bits_resolved=lo).energy_J
    return e_lo + (m - lo) * (adc.convert(bits_resolved=hi).energy_J - e_lo)


def mapped_rows(lm, arr) -> int:
    """Rows of array ``arr`` (group, row tile) that hold weights (padding rows excluded)."""
    r = lm.rows_per_array
    return int((lm.groups[arr.group].row_layout[arr.row_tile * r:(arr.row_tile + 1) * r] >= 0).sum())


def layer_energy(arch: Architecture, lm, result, layer, samples: int) -> dict[str, float]:
    """Dynamic energy (J) per component instance name for one layer over ``samples`` samples."""
    out: dict[str, float] = {}

    def add(name: str, joules: float) -> None:
        if joules:
            out[name] = out.get(name, 0.0) + float(joules)

    act = result.activity()
    a = arch.arrays
    positions = arch.spec.mapping.positions
    if lm.reprogrammed:  # weights re-written for every inference (batch of one)
        add(f"array.{a.kind}", samples * lm.arrays * array_program_cost(arch).energy_J)
    if a.kind == "crossbar":
        xb = arch.require("array", "crossbar").model
        for arr in result.arrays:
            add("array.crossbar", xb.activity_energy_J(arr.reads, arr.input_levels, arr.column_levels,
                                                       mapped_rows(lm, arr)))
    else:
        sm = arch.require("array", "sram_macro").model
        for arr in result.arrays:
            add("array.sram_macro", sm.activity_energy_J(arr.reads, arr.input_levels, arr.column_levels))
    dac = arch.get("array", "dac")
    if dac is not None:
        add("array.dac", act["input_levels"] * dac.model.drive(levels=1).energy_J)
    for name, joules in periphery_energy(arch, result.arrays).items():
        add(name, joules)
    if a.readout.kind == "adc":
        adc = arch.require("array", "adc").model
        if act["resolved_bits"]:
            add("array.adc", act["conversions"] * adc_energy_at_bits_J(adc, act["resolved_bits"] / act["conversions"],
                                                                    a.readout.bits))
            logic = arch.get("array", "bfp_logic")
            if logic is not None:   # BFP-CIM: leading-one detection, exponent max, shifters per value
                add("array.bfp_logic", act["conversions"] * logic.model.convert_overhead().energy_J)
        else:
            add("array.adc", act["conversions"] * adc.convert().energy_J)
        if getattr(adc, "column_current", False):
            add("array.adc", adc_column_current_J(arch, result))
    else:
        per_col = 1 if a.readout.levels == "binary" else 2
        add("array.sense_amp", act["conversions"] * per_col * arch.require("array", "sense_amp").model.sense().energy_J)
    dcim = arch.get("array", "dcim")
    if dcim is not None:  # HCiM: one in-memory add/subtract per non-zero sense-amp output, none for zeros
        add("array.dcim", act["shift_add_ops"] * dcim.model.add().energy_J)
    else:
        sa = arch.require("array", "shift_add").model
        if getattr(sa, "partial_sum_bits", 0) and a.readout.kind == "adc":
            steps = sum(arr.conversions // max(1, arr.row_groups) for arr in result.arrays)
            add("array.shift_add", steps * sa.shift_add().energy_J
                + (act["conversions"] - steps) * sa.partial_sum().energy_J)
        else:
            add("array.shift_add", act["shift_add_ops"] * sa.shift_add().energy_J)

    pe_acc = arch.get("pe", "accumulator")
    if pe_acc is not None and act["adder_tree_ops"]:
        tree = pe_acc.model
        add("pe.accumulator", act["adder_tree_ops"] * tree.add().energy_J / max(1, tree.adders))
    for level, in_bits, out_bits in (("pe", act["input_bits"], act["output_bits"]),
                                      *[(lv, *fmap_bits(layer, samples, positions)) for lv in ("tile", "chip")]):
        buf = arch.get(level, "buffer")
        if buf is not None:
            w = buf.model.width_bits
            add(f"{level}.buffer", math.ceil(in_bits / w) * buf.model.read().energy_J
                + math.ceil(out_bits / w) * buf.model.write().energy_J)
        link = arch.get(level, "interconnect")
        if link is not None:
            add(f"{level}.interconnect", (in_bits + out_bits) * link.model.energy_per_bit_J)
    for inst in arch.instances:   # published units charged per operation (kind unit, model per_op)
        if inst.model.kind == "unit" and inst.model.model == "per_op":
            ops = (act["conversions"] if inst.model.activity == "conversion"
                   else output_elements(layer, samples, positions))
            add(inst.name, ops * inst.model.energy_per_op_J)
    pes = math.ceil(lm.arrays / a.count)
    if pes > 1:
        n_out = act["output_bits"] // max(1, a.accumulator_bits)
        for level in ("tile", "chip"):
            acc = arch.get(level, "accumulator")
            if acc is not None:
                per_add = acc.model.add().energy_J / max(1, acc.model.adders)
                tiles = math.ceil(pes / arch.spec.chip.tiles.pes.count)
                extra = (pes - tiles) if level == "tile" else (tiles - 1)
                add(f"{level}.accumulator", n_out * extra * per_add)
    return out
