"""Running one point, on whichever process or machine it lands: the worker side.

:func:`evaluate` takes a point's task (overrides, read-out, dataflow, samples), its base
architecture document and its trace, and returns a plain dict: ``status`` ``done`` with the
report (``Report.to_dict()`` without its wall-clock section, so equal inputs give equal
bytes) and its metrics, or ``status`` ``error`` with the message. An exception inside the
simulation is the point's result, not the sweep's failure. Only the loss of the process
itself (a killed worker) escapes, and the sweep runs that point again.

Numba threads: a sweep runs points side by side, so each worker uses
``CIMSIM_NUMBA_THREADS`` threads (default 1 on Dask workers; the local pool sets it to
cores / workers).
"""

from __future__ import annotations

import os
import socket
import time
import traceback
from typing import Any

from cimsim.studies.version import code_version


def _set_threads() -> None:
    n = os.environ.get("CIMSIM_NUMBA_THREADS")
    try:
        import numba

        numba.set_num_threads(max(1, min(int(n) if n else 1, numba.config.NUMBA_NUM_THREADS)))
    except (ImportError, ValueError):
        pass


def evaluate(task: dict[str, Any], trace, base, set_threads: bool = True) -> dict[str, Any]:
    """Simulate one point; never raises for a failing simulation (see the module docstring)."""
    from cimsim.errors import CimsimError
    from cimsim.simulation import simulate
    from cimsim.studies.metrics import metrics_from_report

    if set_threads:
        _set_threads()
    out: dict[str, Any] = {"hash": task["hash"], "cimsim": code_version(),
                           "worker": f"{socket.gethostname()}:{os.getpid()}", "pid": os.getpid()}
    t0 = time.perf_counter()
    try:
        _, arch = base.resolve(task["assignments"], task.get("located", ()))
        rep = simulate(arch, trace, readout=task["readout"], dataflow=task["dataflow"], samples=task["samples"])
        d = rep.to_dict()
        d.pop("wall_time", None)
        if task.get("accuracy"):
            d["accuracy"] = accuracy(task["accuracy"], arch, task["readout"])
        if task.get("fidelity"):  # the point's own network (study key ``fidelity``)
            from cimsim.studies.metrics import FIDELITY_FROM

            a = accuracy(task["fidelity"], arch, task["readout"])
            d["fidelity"] = {f"fidelity_{k}": a[k] for k in FIDELITY_FROM if k in a}
        out.update(status="done", result=d, metrics=metrics_from_report(d), error=None)
    except CimsimError as exc:
        out.update(status="error", result=None, metrics=[], error=f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # a bug or a resource problem in this point: record it, go on
        tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__, limit=-4))
        out.update(status="error", result=None, metrics=[], error=f"{type(exc).__name__}: {exc}\n{tb}")
    out["wall_s"] = time.perf_counter() - t0
    return out


_PREPARED: dict[tuple, Any] = {}


def accuracy(spec: dict[str, Any], arch, readout) -> dict[str, Any]:
    """Top-1 accuracy (where the workload has labels), agreement with and SQNR of the logits
    against the float model and the quantized model on an ideal read-out, with the workload's
    layers on ``arch`` (:func:`cimsim.accuracy.hardware_accuracy`).
    The prepared model and data are kept per process (the digits models are trained here)."""
    from cimsim.accuracy import hardware_accuracy
    from cimsim.trace.workloads_loader import resolve

    key = (spec["workload"], spec.get("samples"), spec.get("seed", 0))
    if key not in _PREPARED:
        wl = resolve(spec["workload"])
        prep = wl.prepare(spec.get("samples"), seed=spec.get("seed", 0))
        full = prep.provenance.get("test_set_size")
        if spec.get("samples") is None and full and full > len(prep.inputs):  # the whole labelled test set
            prep = wl.prepare(int(full), seed=spec.get("seed", 0))
        _PREPARED[key] = (wl, prep)
    wl, prep = _PREPARED[key]
    res = hardware_accuracy(prep.model, prep.inputs, arch, labels=prep.labels, calib=prep.calib,
                            quant=spec.get("quant") or wl.default_quant, readout=readout)
    s = res.summary()
    out = {"samples": {"value": s["samples"], "unit": "input"}}
    for name, key in (("accuracy", "accuracy_hardware"), ("accuracy_quantized", "accuracy_quantized"),
                      ("accuracy_float", "accuracy_float"),
                      ("top1_agreement_with_float", "top1_agreement_with_float"),
                      ("top1_agreement_with_quantized", "top1_agreement_with_quantized")):
        if key in s:
            out[name] = {"value": s[key], "unit": "1"}
    out["sqnr"] = {"value": s["sqnr_dB"], "unit": "dB"}
    out["sqnr_vs_quantized"] = {"value": s["sqnr_vs_quantized_dB"], "unit": "dB"}
    return out


# ---------------------------------------------------------------------------------------
# Local process pool: traces and base architectures arrive once, in the initializer.

_SHARED: dict[str, Any] = {}


def pool_init(traces: dict, bases: dict, threads: int) -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops us
    os.environ["CIMSIM_NUMBA_THREADS"] = str(threads)
    _SHARED["traces"], _SHARED["bases"] = traces, bases


def pool_evaluate(task: dict[str, Any], trace_key: str, base_key: str) -> dict[str, Any]:
    return evaluate(task, _SHARED["traces"][trace_key], _SHARED["bases"][base_key])
