"""Metrics of a study point: named numbers with units, taken from the Report's JSON.

Every point stores all of them: the report's ``summary`` (``latency``, ``energy_per_inference``,
``TOPS_per_W``, ``TOPS_per_mm2``, ``area``, ``throughput`` ...), ``energy.<component>`` and
``area.<component>``. Tables name a column ``name [unit]``. Short aliases (``energy``,
``tops_per_w``) are accepted wherever a metric is named. :data:`HIGHER_IS_BETTER` says
which way a Pareto front points.
"""

from __future__ import annotations

from typing import Any

SUMMARY_METRICS = (
    "latency", "latency_cycles", "inference_interval", "throughput", "ops_per_inference", "ops_per_s",
    "energy_per_inference", "TOPS_per_W", "TOPS_per_mm2", "area", "leakage_power", "clock", "arrays_used",
    "arrays_total", "array_utilisation", "ADC_utilisation",
)
# With ``accuracy:`` in the study file (workloads given by name; needs torch): the workload's
# model run with its layers on the simulated arrays (:func:`cimsim.accuracy.hardware_accuracy`).
ACCURACY_METRICS = ("accuracy", "accuracy_quantized", "accuracy_float", "top1_agreement_with_float", "sqnr",
                    "top1_agreement_with_quantized", "sqnr_vs_quantized")
# With ``fidelity:``: the point's own network (e.g. VGG-8, unlabelled) against the float model and
# against the quantized model on an ideal read-out: these accuracy metrics, stored as ``fidelity_<name>``.
FIDELITY_FROM = ("top1_agreement_with_float", "sqnr", "top1_agreement_with_quantized", "sqnr_vs_quantized")
FIDELITY_METRICS = tuple(f"fidelity_{k}" for k in FIDELITY_FROM)
ALIASES = {
    "energy": "energy_per_inference", "tops_per_w": "TOPS_per_W", "tops_per_mm2": "TOPS_per_mm2",
    "TOPS/W": "TOPS_per_W", "TOPS/mm^2": "TOPS_per_mm2", "ops": "ops_per_inference",
}
HIGHER_IS_BETTER = {"throughput", "ops_per_s", "TOPS_per_W", "TOPS_per_mm2", "array_utilisation",
                    "ADC_utilisation", "top1_agreement_with_float", "sqnr", "top1_agreement_with_quantized",
                    "sqnr_vs_quantized"} | set(FIDELITY_METRICS)
PREFIXES = ("energy.", "area.")


def canonical(name: str) -> str:
    """The stored name of a metric given by name or alias."""
    return ALIASES.get(name, ALIASES.get(name.lower(), name))


def higher_is_better(name: str) -> bool:
    n = canonical(name)
    return n in HIGHER_IS_BETTER or n.startswith("accuracy")


def check_metric_name(name: str) -> str | None:
    """``None`` if ``name`` names a metric, else what is wrong (for a located error)."""
    n = canonical(name)
    known = SUMMARY_METRICS + ACCURACY_METRICS + FIDELITY_METRICS
    if n in known or any(n.startswith(p) and len(n) > len(p) for p in PREFIXES):
        return None
    import difflib

    close = difflib.get_close_matches(n, list(known) + list(ALIASES), n=1, cutoff=0.5)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    names = ", ".join(known)
    return (f"unknown metric '{name}'{hint}; expected one of {names}, an alias "
            f"({', '.join(ALIASES)}), or energy.<component> / area.<component>")


def metrics_from_report(d: dict[str, Any]) -> list[tuple[str, float, str]]:
    """``(name, value, unit)`` for every metric of a report dict (``Report.to_dict()``)."""
    out = [(k, v["value"], v["unit"]) for k, v in d["summary"].items()]
    out += [(f"energy.{k}", v["value"], v["unit"]) for k, v in d.get("energy_by_component", {}).items()]
    out += [(f"area.{k}", v["value"], v["unit"]) for k, v in d.get("area_by_component", {}).items()]
    out += [(k, v["value"], v["unit"]) for k, v in d.get("accuracy", {}).items() if k in ACCURACY_METRICS]
    out += [(k, v["value"], v["unit"]) for k, v in d.get("fidelity", {}).items() if k in FIDELITY_METRICS]
    return out


def column(name: str, unit: str) -> str:
    """A table column name: ``energy_per_inference [J]``."""
    return f"{name} [{unit}]"
