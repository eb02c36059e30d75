"""Layer traces: the workload input of cimsim.

* :func:`load` reads a ``.cimtrace`` file (numpy + json + zipfile only; no torch, no pickle);
* :func:`export` turns a PyTorch model and inputs into a :class:`Trace` (needs torch);
* :meth:`Trace.save` writes one atomically;
* :class:`Layer` carries one conv2d / linear / matmul layer; ``Layer.recompute_int_output()``
  recomputes its integer output exactly from the integer operands and ``Layer.macs`` counts
  its multiply-accumulates per sample;
* :mod:`cimsim.trace.quantizers` and :mod:`cimsim.trace.recipes` hold the quantizers and the
  named recipes; :func:`workload_trace` returns a shipped or cached trace of a workload.

The format is described in ``docs/trace-format.md``.
"""

from __future__ import annotations

from cimsim.trace.format import (
    FORMAT_NAME,
    FORMAT_VERSION,
    GraphNode,
    Layer,
    QTensor,
    Trace,
    recompute_int_output,
)
from cimsim.trace.io import load, save, verify_trace

__all__ = [
    "FORMAT_NAME", "FORMAT_VERSION", "GraphNode", "Layer", "QTensor", "Trace", "export", "load",
    "recompute_int_output", "save", "verify_trace", "workload_trace",
]


def export(model, inputs, quant=None, **kwargs) -> Trace:
    """Export a PyTorch model to a :class:`Trace`; see :func:`cimsim.trace.exporter.export`."""
    from cimsim.trace.exporter import export as _export

    return _export(model, inputs, quant, **kwargs)


def workload_trace(name: str, **kwargs) -> Trace:
    """A workload's trace: shipped, cached, or exported now; see :mod:`cimsim.trace.cache`."""
    from cimsim.trace.cache import workload_trace as _wt

    return _wt(name, **kwargs)
