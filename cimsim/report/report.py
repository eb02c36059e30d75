"""The Report: one object (and its JSON/CSV) with a unit on every number.

CLI tables, comparisons and plots read only this. Energies are per inference; latency is
the timing engine's for one inference (``dataflow`` layer-by-layer or pipelined);
throughput in a pipelined dataflow is the steady state, one inference per bottleneck-stage
busy time.

Metrics:
  ops                2 x MACs per inference (the trace's dense MACs: pruned weights skipped
                     by the mapping are still counted as the network's work)
  TOPS/W             ops / energy per inference / 1e12
  TOPS/mm^2          (ops / latency) / 1e12 / chip area in mm^2
  array utilisation  weight-holding cells / cells of the arrays used; and arrays used / arrays
  ADC utilisation    conversions x conversion time / (ADCs on the chip x latency)
  critical path      per layer, the pipeline stage with the most busy cycles
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import Any

from cimsim.spec.units import format_si


def q(value: float, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": unit}


@dataclass
class LayerReport:
    name: str
    kind: str
    macs: int
    arrays: int
    utilisation: float
    energy_J: dict[str, float]
    activity: dict[str, float]
    tiles: list[int] = field(default_factory=list)
    start_cycle: int = 0
    end_cycle: int = 0
    bound: str = ""
    busy_cycles: dict[str, int] = field(default_factory=dict)
    line_buffer_bits: int = 0          # pipelined dataflow: input rows held for this layer
    round: int = 0                     # reprogramming round (chip.reprogramming)

    @property
    def cycles(self) -> int:
        return self.end_cycle - self.start_cycle

    @property
    def energy_total_J(self) -> float:
        return sum(self.energy_J.values())


@dataclass
class Report:
    arch: str
    workload: str
    samples: int
    dataflow: str
    readout: str
    clock_Hz: float
    area_m2: float
    area_breakdown_m2: dict[str, float]
    leakage_W: float
    layers: list[LayerReport]
    total_cycles: int
    interval_cycles: int
    arrays_total: int
    adcs_total: int
    conversion_s: float
    wall: dict[str, float] = field(default_factory=dict)

    # -- derived ----------------------------------------------------------------------
    @property
    def latency_s(self) -> float:
        return self.total_cycles / self.clock_Hz

    @property
    def interval_s(self) -> float:
        return self.interval_cycles / self.clock_Hz

    @property
    def leakage_J(self) -> float:
        return self.leakage_W * self.latency_s

    def energy_by_component(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for lr in self.layers:
            for k, v in lr.energy_J.items():
                out[k] = out.get(k, 0.0) + v
        out["leakage"] = self.leakage_J
        return out

    def energy_by_tile(self) -> dict[int, float]:
        """Dynamic energy split over tiles in proportion to each layer's arrays on them."""
        out: dict[int, float] = {}
        for lr in self.layers:
            for t in lr.tiles or [0]:
                out[t] = out.get(t, 0.0) + lr.energy_total_J / max(1, len(lr.tiles or [0]))
        return out

    @property
    def energy_J(self) -> float:
        return sum(self.energy_by_component().values())

    @property
    def ops(self) -> int:
        return 2 * sum(lr.macs for lr in self.layers)

    @property
    def tops_per_w(self) -> float:
        return self.ops / self.energy_J / 1e12 if self.energy_J else 0.0

    @property
    def ops_per_s(self) -> float:
        return self.ops / self.interval_s if self.interval_s else 0.0

    @property
    def inferences_per_s(self) -> float:
        return 1.0 / self.interval_s if self.interval_s else 0.0

    @property
    def tops_per_mm2(self) -> float:
        return self.ops_per_s / 1e12 / (self.area_m2 * 1e6)

    @property
    def arrays_used(self) -> int:
        """Arrays in use at the busiest reprogramming round (a layer larger than the chip
        fills it)."""
        per_round: dict[int, int] = {}
        for lr in self.layers:
            per_round[lr.round] = per_round.get(lr.round, 0) + lr.arrays
        busiest = max(per_round.values(), default=0)
        return min(busiest, self.arrays_total) if self.arrays_total else busiest

    @property
    def adc_utilisation(self) -> float:
        conv = sum(lr.activity.get("conversions", 0) for lr in self.layers)
        cap = self.adcs_total * self.latency_s
        return conv * self.conversion_s / cap if cap else 0.0

    @classmethod
    def build(cls, arch, trace, layers, timing, *, readout: str, dataflow: str, samples: int,
              wall: dict) -> "Report":
        interval = timing.total_cycles
        if dataflow == "pipeline":
            interval = max((max(lt.busy.values()) for lt in timing.layers), default=timing.total_cycles)
        adc = arch.get("array", "adc") or arch.get("array", "sense_amp")
        conv_s = arch.conversion_latency_s
        return cls(arch=arch.name, workload=trace.name, samples=samples, dataflow=dataflow, readout=readout,
                   clock_Hz=arch.clock_Hz, area_m2=arch.area_m2, area_breakdown_m2=arch.area_breakdown(),
                   leakage_W=arch.leakage_W, layers=layers, total_cycles=timing.total_cycles,
                   interval_cycles=interval, arrays_total=arch.array_count,
                   adcs_total=adc.total if adc else 0, conversion_s=conv_s, wall=wall)

    # -- output ---------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        comp = self.energy_by_component()
        return {
            "arch": self.arch, "workload": self.workload, "dataflow": self.dataflow, "readout": self.readout,
            "samples_simulated": self.samples,
            "summary": {
                "latency": q(self.latency_s, "s"), "latency_cycles": q(self.total_cycles, "cycle"),
                "inference_interval": q(self.interval_s, "s"),
                "throughput": q(self.inferences_per_s, "inference/s"), "ops_per_inference": q(self.ops, "op"),
                "ops_per_s": q(self.ops_per_s, "op/s"), "energy_per_inference": q(self.energy_J, "J"),
                "TOPS_per_W": q(self.tops_per_w, "TOPS/W"), "TOPS_per_mm2": q(self.tops_per_mm2, "TOPS/mm^2"),
                "area": q(self.area_m2, "m^2"), "leakage_power": q(self.leakage_W, "W"),
                "clock": q(self.clock_Hz, "Hz"),
                "arrays_used": q(self.arrays_used, "array"), "arrays_total": q(self.arrays_total, "array"),
                "array_utilisation": q(self.arrays_used / self.arrays_total if self.arrays_total else 0.0, "1"),
                "ADC_utilisation": q(self.adc_utilisation, "1"),
            },
            "energy_by_component": {k: q(v, "J") for k, v in comp.items()},
            "energy_by_tile": {str(k): q(v, "J") for k, v in self.energy_by_tile().items()},
            "area_by_component": {k: q(v, "m^2") for k, v in self.area_breakdown_m2.items()},
            "layers": [{
                "name": lr.name, "kind": lr.kind, "macs": q(lr.macs, "MAC"), "arrays": q(lr.arrays, "array"),
                "cell_utilisation": q(lr.utilisation, "1"),
                "start": q(lr.start_cycle, "cycle"), "end": q(lr.end_cycle, "cycle"),
                "latency": q(lr.cycles / self.clock_Hz, "s"), "bound_by": lr.bound,
                "busy": {k: q(v, "cycle") for k, v in lr.busy_cycles.items()},
                "line_buffer": q(lr.line_buffer_bits, "bit"),
                "energy": {k: q(v, "J") for k, v in lr.energy_J.items()},
                "energy_total": q(lr.energy_total_J, "J"),
                "activity": {k: q(v, _activity_unit(k)) for k, v in lr.activity.items()},
            } for lr in self.layers],
            "critical_path": [{"layer": lr.name, "bound_by": lr.bound} for lr in self.layers],
            "wall_time": {k: q(v, "s" if k.endswith("_s") else "event") for k, v in self.wall.items()},
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"

    def layers_csv(self) -> str:
        buf = io.StringIO()
        comps = sorted({k for lr in self.layers for k in lr.energy_J})
        w = csv.writer(buf)
        w.writerow(["layer", "kind", "macs [MAC]", "arrays", "cell_utilisation [1]", "start [cycle]",
                    "end [cycle]", "latency [s]", "bound_by", "energy_total [J]"] + [f"{c} [J]" for c in comps])
        for lr in self.layers:
            w.writerow([lr.name, lr.kind, lr.macs, lr.arrays, f"{lr.utilisation:.6g}", lr.start_cycle, lr.end_cycle,
                        f"{lr.cycles / self.clock_Hz:.6g}", lr.bound, f"{lr.energy_total_J:.6g}"]
                       + [f"{lr.energy_J.get(c, 0.0):.6g}" for c in comps])
        return buf.getvalue()

    def components_csv(self) -> str:
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["component", "energy [J]", "energy share [1]", "area [m^2]", "area share [1]"])
        comp = self.energy_by_component()
        e_tot, a_tot = self.energy_J, self.area_m2
        for k in sorted(set(comp) | set(self.area_breakdown_m2)):
            e, a = comp.get(k, 0.0), self.area_breakdown_m2.get(k, 0.0)
            w.writerow([k, f"{e:.6g}", f"{e / e_tot if e_tot else 0:.6g}", f"{a:.6g}", f"{a / a_tot if a_tot else 0:.6g}"])
        return buf.getvalue()

    def summary_text(self) -> str:
        lines = [
            f"Workload      {self.workload} on {self.arch} ({self.dataflow} dataflow; read-out {self.readout})",
            f"Latency       {format_si(self.latency_s, 's')} ({self.total_cycles:,} cycles at {format_si(self.clock_Hz, 'Hz')})"
            f"; throughput {self.inferences_per_s:.4g} inference/s",
            f"Energy        {format_si(self.energy_J, 'J')} per inference (leakage {format_si(self.leakage_J, 'J')})",
            f"Efficiency    {self.tops_per_w:.4g} TOPS/W; {self.tops_per_mm2:.4g} TOPS/mm^2; "
            f"{format_si(self.ops_per_s, 'op/s')} ({self.ops:,} op per inference)",
            f"Area          {format_si(self.area_m2, 'm^2')}; arrays used {self.arrays_used:,} of {self.arrays_total:,}; "
            f"ADC utilisation {100 * self.adc_utilisation:.2f} %",
            "",
            f"{'layer':<22} {'kind':<7} {'arrays':>7} {'latency':>12} {'bound by':>10} {'energy':>12}",
        ]
        for lr in self.layers:
            lines.append(f"{lr.name:<22} {lr.kind:<7} {lr.arrays:>7,} {format_si(lr.cycles / self.clock_Hz, 's'):>12} "
                         f"{lr.bound:>10} {format_si(lr.energy_total_J, 'J'):>12}")
        lines += ["", f"{'component':<22} {'energy':>12} {'share':>8}"]
        comp = self.energy_by_component()
        for k, v in sorted(comp.items(), key=lambda kv: -kv[1]):
            lines.append(f"{k:<22} {format_si(v, 'J'):>12} {100 * v / self.energy_J:>7.2f}%")
        return "\n".join(lines)


def _activity_unit(key: str) -> str:
    return {"input_bits": "bit", "output_bits": "bit", "resolved_bits": "bit", "input_vectors": "vector",
            "reads": "read", "conversions": "conversion", "input_levels": "level", "column_levels": "level",
            "nonzero_outputs": "output", "clipped": "conversion", "shift_add_ops": "op",
            "adder_tree_ops": "op"}.get(key, "count")
