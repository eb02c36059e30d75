"""Side-by-side comparison of reports, with ratios against the first (the baseline)."""

from __future__ import annotations

from typing import Any

from cimsim.report.report import Report, q
from cimsim.spec.units import format_si


def compare_table(reports: list[Report], labels: list[str]) -> tuple[str, dict[str, Any]]:
    base = reports[0]
    rows = [("latency", "s", lambda r: r.latency_s), ("energy / inference", "J", lambda r: r.energy_J),
            ("area", "m^2", lambda r: r.area_m2), ("TOPS/W", "TOPS/W", lambda r: r.tops_per_w),
            ("TOPS/mm^2", "TOPS/mm^2", lambda r: r.tops_per_mm2)]
    comps = sorted({k for r in reports for k in r.energy_by_component()},
                   key=lambda k: -base.energy_by_component().get(k, 0.0))
    for c in comps:
        rows.append((f"E {c}", "J", lambda r, c=c: r.energy_by_component().get(c, 0.0)))
    w = max(14, *(len(x) for x in labels))
    lines = [f"Workload {base.workload}; ratios against {labels[0]}",
             f"{'metric':<26}" + "".join(f"{lab:>{w + 12}}" for lab in labels)]
    data: dict[str, Any] = {"workload": base.workload, "baseline": labels[0], "architectures": labels, "metrics": {}}
    for name, unit, fn in rows:
        b = fn(base)
        cells, entry = [], {}
        for lab, r in zip(labels, reports):
            v = fn(r)
            ratio = v / b if b else float("nan")
            shown = f"{v:.4g}" if unit in ("TOPS/W", "TOPS/mm^2") else format_si(v, unit)
            cells.append(f"{shown:>{w}} ({ratio:6.3f}x)" if r is not base else f"{shown:>{w}}          ")
            entry[lab] = {**q(v, unit), "ratio": ratio}
        lines.append(f"{name:<26}" + "".join(f"{c:>{w + 12}}" for c in cells))
        data["metrics"][name] = entry
    return "\n".join(lines), data
