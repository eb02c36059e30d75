"""What ``cimsim describe`` prints: the resolved architecture, its component counts, weight
capacity, area breakdown by component and peak throughput, every number with its unit."""

from __future__ import annotations

from typing import Any

from cimsim.architecture import Architecture
from cimsim.spec.units import format_si


def q(value: float, unit: str) -> dict[str, Any]:
    """A number with its unit, as reports write it to JSON."""
    return {"value": value, "unit": unit}


def describe_dict(arch: Architecture) -> dict[str, Any]:
    spec, a, nf = arch.spec, arch.arrays, arch.spec.chip.number_format
    area = arch.area_m2
    components = []
    for inst in arch.instances:
        components.append({
            "name": inst.name, "kind": inst.model.kind, "model": inst.model.model,
            "per_parent": inst.per_parent, "total": inst.total,
            "area_each": q(inst.model.area_m2, "m^2"), "area_total": q(inst.area_m2, "m^2"),
            "area_share": q(inst.area_m2 / area if area else 0.0, "1"),
            "leakage_total": q(inst.leakage_W, "W"),
            "actions": {k: q(v, "J" if k.endswith("energy_J") else "s")
                        for k, v in inst.model.describe().items() if "." in k},
            "source": inst.model.source,
        })
    return {
        "name": spec.name, "description": spec.description, "file": arch.origins.root_file,
        "technology": {"node": q(spec.chip.technology.node, "m"), "vdd": q(spec.chip.technology.vdd, "V"),
                       "flavor": spec.chip.technology.flavor},
        "clock": q(arch.clock_Hz, "Hz"),
        "counts": arch.counts(),
        "array": {"kind": a.kind, "rows": a.rows, "columns": a.columns, "bits_per_cell": a.bits_per_cell,
                  "rows_active": a.active_rows, "device": a.device.kind,
                  "readout": a.readout.kind, "adcs_per_array": a.adc_count, "columns_per_adc": a.columns_per_adc},
        "number_format": nf.model_dump(),
        "capacity": {"weights": arch.weight_capacity, "weight_bits": nf.weight_bits,
                     "cells": arch.array_count * a.rows * a.columns,
                     "weights_per_array": arch.weights_per_array},
        "timing": {"array_cycle": q(arch.array_cycle_s, "s"), "vector_latency": q(arch.vector_latency_s, "s")},
        "peak_throughput": q(arch.peak_ops_per_s, "op/s"),
        "area_total": q(area, "m^2"),
        "leakage_total": q(arch.leakage_W, "W"),
        "components": components,
    }


def describe_text(arch: Architecture) -> str:
    d = describe_dict(arch)
    spec, a, nf = arch.spec, arch.arrays, arch.spec.chip.number_format
    t = spec.chip.technology
    dev = a.device.kind.upper()
    lines = [
        f"Architecture  {spec.name}  ({arch.origins.root_file})",
    ]
    if spec.description:
        lines.append(f"              {spec.description}")
    ro = (f"{a.adc_count} x {a.readout.bits}-bit ADC ({a.readout.model}) per array, {a.columns_per_adc} columns per ADC"
          if a.readout.kind == "adc" else f"{a.readout.levels} sense amplifiers on every column")
    lines += [
        f"Technology    {t.node * 1e9:g} nm {t.flavor}, VDD {t.vdd:g} V, clock {format_si(arch.clock_Hz, 'Hz')}"
        f" (cycle {format_si(1 / arch.clock_Hz, 's')})",
        f"Hierarchy     {d['counts']['tiles']} tiles x {spec.chip.tiles.pes.count} PEs x {a.count} arrays"
        f" = {arch.array_count} arrays of {a.rows} x {a.columns} {a.kind} ({dev}, {a.bits_per_cell} bit/cell,"
        f" {a.active_rows} rows active)",
        f"Read-out      {ro}{', sample-and-hold' if a.sample_and_hold else ''}",
        f"Numbers       {nf.weight_bits}-bit weights ({nf.weight_encoding}, {arch.columns_per_weight} columns each"
        f"{f'; {arch.reference_columns} reference columns per array' if arch.reference_columns else ''}), "
        f"{nf.input_bits}-bit inputs {nf.input_encoding}, {nf.input_bits_per_cycle} bit/cycle",
        f"Capacity      {arch.weight_capacity:,} weights of {nf.weight_bits} bit "
        f"({arch.weights_per_array:,} per array; {d['capacity']['cells']:,} cells)",
        f"Peak          {format_si(arch.peak_ops_per_s, 'op/s')} (2 op per {nf.weight_bits}b x {nf.input_bits}b MAC, "
        f"all arrays busy); array cycle {format_si(arch.array_cycle_s, 's')}, "
        f"vector {format_si(arch.vector_latency_s, 's')}",
        "",
    ]
    nw = max([20] + [len(c["name"]) for c in d["components"]])
    mw = max([16] + [len(c["model"]) for c in d["components"]])
    lines.append(f"{'component':<{nw}} {'model':<{mw}} {'per parent':>10} {'total':>10} {'area each':>14} "
                 f"{'area total':>14} {'share':>7}")
    for c in d["components"]:
        lines.append(
            f"{c['name']:<{nw}} {c['model']:<{mw}} {c['per_parent']:>10,} {c['total']:>10,} "
            f"{format_si(c['area_each']['value'], 'm^2'):>14} {format_si(c['area_total']['value'], 'm^2'):>14} "
            f"{100 * c['area_share']['value']:>6.2f}%"
        )
    lines.append(f"{'total':<{nw}} {'':<{mw}} {'':>10} {'':>10} {'':>14} {format_si(arch.area_m2, 'm^2'):>14} {100.0:>6.2f}%")
    lines.append(f"Leakage       {format_si(arch.leakage_W, 'W')}")
    return "\n".join(lines)
