"""Workload traces on demand: shipped under ``traces/``, else cached, else exported now.

``workload_trace(name)`` returns the trace of a workload with its default settings. Small
traces are shipped in the repository's ``traces/`` directory and load without torch; others
are exported once (torch needed) and kept in ``$CIMSIM_TRACE_CACHE`` (default
``~/.cache/cimsim/traces``). A cached or shipped file is used only when its provenance matches
the request (workload, samples, quantization recipe, seed).
"""

from __future__ import annotations

import os
from pathlib import Path

from cimsim.errors import CimsimError
from cimsim.trace.format import Trace
from cimsim.trace.io import load
from cimsim.trace.workloads_loader import REPO_ROOT

SHIPPED_DIR = REPO_ROOT / "traces"


def cache_dir() -> Path:
    return Path(os.environ.get("CIMSIM_TRACE_CACHE", Path.home() / ".cache" / "cimsim" / "traces"))


def _matches(trace: Trace, name: str, samples: int | None, quant: str | None, seed: int) -> bool:
    """Same workload, samples, seed and quantization recipe: its name and, for a named recipe,
    its current definition (a cached trace exported under an older definition is stale)."""
    p = trace.provenance
    if not (p.get("workload") == name and (samples is None or trace.sample_count == samples)
            and (quant is None or p.get("quantizer") == quant) and p.get("seed", 0) == seed):
        return False
    if quant is None or p.get("recipe") is None:
        return True
    from cimsim.trace.recipes import get_recipe

    try:
        return get_recipe(quant).to_dict() == p["recipe"]
    except CimsimError:
        return True


def shipped_traces() -> list[Path]:
    return sorted(SHIPPED_DIR.glob("*.cimtrace")) if SHIPPED_DIR.is_dir() else []


def workload_trace(name: str, samples: int | None = None, quant: str | None = None, seed: int = 0,
                   refresh: bool = False) -> Trace:
    """The trace of workload ``name`` (see the module docstring)."""
    if not refresh:
        shipped = SHIPPED_DIR / f"{name}.cimtrace"
        if shipped.is_file():
            t = load(shipped)
            if _matches(t, name, samples, quant, seed):
                return t
    from cimsim.trace.workloads_loader import load_workloads

    wl = load_workloads().get(name)
    n = samples or wl.default_samples
    q = quant or wl.default_quant
    path = cache_dir() / f"{name}-{q.replace(':', '_').replace('/', '_')}-n{n}-s{seed}.cimtrace"
    if path.is_file() and not refresh:
        try:
            t = load(path)
            if _matches(t, name, n, q, seed):
                return t
        except CimsimError:
            pass  # a stale or damaged cache entry: export again
    trace = wl.export(samples=n, quant=q, seed=seed)
    trace.save(path)
    trace.path = str(path)
    return trace
