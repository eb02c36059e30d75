"""Run the validation designs and compare cimsim's figures with the published ones.

Workloads:

- ``vgg8``: the shipped VGG-8 / CIFAR-10 trace (``traces/vgg8-cifar10.cimtrace``: NeuroSim's
  layer list, 8-bit weights and activations), first sample;
- ``dense``: one seeded synthetic linear layer that fills every array of the chip once
  (``rows x R`` inputs by ``weight columns x C`` outputs, ``R x C`` = arrays on the chip),
  run on ``vectors`` input vectors of uniformly distributed unsigned codes (about half of the
  input bits are ones) with normally distributed signed weights: the peak-rate operating
  point that chip papers quote; or, for a design with an ``input_fraction`` (a macro paper's
  operating point by output value), every weight at its largest code and each input at full
  scale with that probability, else 0.

Weight copies for NeuroSim's pipeline (``Design.copies == "neurosim_pipeline"``) follow
NeuroSim V1.4 ``Chip.cpp`` ``ChipDesignInitialize``: the speed-up degree is capped at
``max IFM size / min IFM size`` over the convolutions, ``bound = ceil(max IFM / degree)``, and
layer ``i`` gets ``ceil((IFM_i / bound)^2)`` copies.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from cimsim.errors import CimsimError
from cimsim.validation.designs import DESIGNS, Check, Design, Measurement, design_by_key

REPO_ROOT = Path(__file__).resolve().parents[2]
VGG8_TRACE = "traces/vgg8-cifar10.cimtrace"


@dataclass
class Row:
    """One comparison: a published figure against cimsim's."""

    design: Design
    check: Check
    cimsim: float

    @property
    def error_pct(self) -> float:
        return 100.0 * (self.cimsim - self.check.published) / self.check.published

    @property
    def within(self) -> bool:
        return abs(self.error_pct) <= 100.0 * self.check.tolerance + 1e-9


@dataclass
class DesignResult:
    design: Design
    measurement: Measurement
    rows: list[Row] = field(default_factory=list)
    seconds: float = 0.0


def resolve(path: str) -> Path:
    """A repository-relative path (architecture file, trace) as an absolute path."""
    p = Path(path)
    return p if p.is_absolute() else REPO_ROOT / p


@lru_cache(maxsize=4)
def _load_trace(path: str):
    from cimsim.trace import load

    full = resolve(path)
    if not full.is_file():
        raise CimsimError(
            f"validation workload trace {full} is missing; it ships with the repository "
            f"({path}); restore it with `git checkout -- {path}` or regenerate it with "
            f"`cimsim export vgg8-cifar10 -o {path}`")
    return load(str(full))


def neurosim_pipeline_copies(trace, speed_up_degree: int = 8) -> dict[str, int]:
    """Weight copies per layer of NeuroSim V1.4's pipeline mode (``Chip.cpp``; module docstring)."""
    ifm = {layer.name: int(layer.input_shape[-1]) if layer.kind == "conv2d" else 1 for layer in trace.layers}
    convs = [ifm[layer.name] for layer in trace.layers if layer.kind == "conv2d" and layer.kernel != (1, 1)]
    if not convs:
        return {}
    max_ifm, min_ifm = max(ifm.values()), min(convs)
    degree = min(speed_up_degree, max_ifm // min_ifm)
    bound = math.ceil(max_ifm / degree)
    return {name: max(1, math.ceil((size / bound) ** 2)) for name, size in ifm.items()}


def dense_trace(arch, vectors: int, seed: int = 0, input_fraction: float | None = None):
    """A synthetic linear layer filling every array of ``arch`` once (see module docstring).

    ``input_fraction`` (an operating point of a macro paper): every weight at the largest
    positive code and each input at its full-scale code with this probability, else 0
    (seeded), so that the mean output is this fraction of the full scale."""
    from cimsim.trace.format import GraphNode, Trace
    from cimsim.trace.synthetic import make_layer

    nf = arch.spec.chip.number_format
    n_arrays = arch.array_count
    # Row tiles R and column tiles C with R x C = arrays, R the largest divisor <= sqrt.
    r_tiles = max(d for d in range(1, int(math.isqrt(n_arrays)) + 1) if n_arrays % d == 0)
    c_tiles = n_arrays // r_tiles
    k = arch.arrays.rows * r_tiles
    n = arch.weight_columns * c_tiles
    if n < 1:
        raise CimsimError(f"{arch.name}: a {nf.weight_bits}-bit weight does not fit in one array row")
    rng = np.random.default_rng(seed)
    if input_fraction is None:
        x = rng.uniform(0.0, 1.0, size=(1, vectors, k))
        w = rng.normal(size=(n, k))
    else:
        x = (rng.uniform(0.0, 1.0, size=(1, vectors, k)) < input_fraction).astype(np.float64)
        x[0, 0, 0] = 1.0      # the input quantizer's scale: one full-scale element at least
        w = np.ones((n, k))
    layer = make_layer("dense", "linear", x, w, None, wbits=nf.weight_bits, abits=nf.input_bits,
                       wgran="per_tensor", asigned=False,
                       array_shape=(arch.arrays.rows, arch.arrays.columns))
    graph = [GraphNode("x", "input", [], shape=[vectors, k]),
             GraphNode("dense", "linear", ["x"], layer="dense", shape=[vectors, n]),
             GraphNode("output", "output", ["dense"])]
    return Trace(name=f"dense-{k}x{n}", layers=[layer], sample_count=1, input_shape=(vectors, k),
                 graph=graph, provenance={"model": "synthetic dense layer", "seed": seed})


def measure(design: Design) -> Measurement:
    """Simulate one design on its workload and derive every metric its checks name."""
    from cimsim.architecture import load_architecture
    from cimsim.simulation import simulate

    sets = [f"{c.sets}={c.value!r}" for c in design.calibrations if c.sets]
    arch = load_architecture(resolve(design.arch), sets)
    if design.workload == "vgg8":
        trace = _load_trace(VGG8_TRACE)
    elif design.workload == "dense":
        trace = dense_trace(arch, design.vectors, input_fraction=design.input_fraction)
    else:  # pragma: no cover - designs are data checked by tests
        raise CimsimError(f"design {design.key}: unknown workload {design.workload!r}")
    copies = neurosim_pipeline_copies(trace) if design.copies == "neurosim_pipeline" else {}
    report = simulate(arch, trace, samples=1, dataflow=design.dataflow, duplicate=copies or None)
    raw = None
    if sets:   # the figures before calibration: the architecture file as written
        raw = simulate(load_architecture(resolve(design.arch)), trace, samples=1, dataflow=design.dataflow,
                       duplicate=copies or None)
    return Measurement.from_report(design, arch, report, copies, raw_report=raw)


def run(keys: list[str] | None = None, progress=None) -> list[DesignResult]:
    """Measure the designs (all, or those named) and compare with their published figures."""
    designs = DESIGNS if not keys else [design_by_key(k) for k in keys]
    out = []
    for d in designs:
        t0 = time.perf_counter()
        m = measure(d)
        res = DesignResult(d, m, [Row(d, c, m.metrics[c.metric]) for c in d.checks],
                           time.perf_counter() - t0)
        out.append(res)
        if progress is not None:
            progress(res)
    return out
