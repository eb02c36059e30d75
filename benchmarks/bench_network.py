"""Whole-network functional pass: every layer of a trace, one image, on an architecture.

    .venv/bin/python benchmarks/bench_network.py [--workloads vgg8-cifar10 resnet18-imagenet]

Times the functional pass (mapping excluded, first call excluded: Numba compiles or loads its
cache) of one image with 8-bit inputs, 2-bit cells and a 5-bit ADC (the default architecture),
and, in the same run, a float32 BLAS forward of the same layers (im2col GEMMs) as reference.
Traces are exported on first use and cached (see cimsim.trace.cache).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workloads", nargs="+", default=["vgg8-cifar10", "resnet18-imagenet"])
    ap.add_argument("--arch", default=str(ROOT / "arch/neurosim-rram-22nm.yaml"))
    args = ap.parse_args()
    import numba

    from cimsim.architecture import load_architecture
    from cimsim.kernels.layer import im2col, simulate_trace
    from cimsim.kernels.readout import ClampedADC
    from cimsim.mapping.mapper import centred_weight_matrix, map_network
    from cimsim.trace import workload_trace

    arch = load_architecture(args.arch, ["chip.reprogramming=true"])
    print(f"machine: {platform.machine()}, {os.cpu_count()} cpus, numba {numba.__version__} "
          f"threads {numba.get_num_threads()}; arch {arch.name}, read-out ClampedADC(5)")
    for name in args.workloads:
        t0 = time.perf_counter()
        trace = workload_trace(name, samples=1)
        t_load = time.perf_counter() - t0
        nm = map_network(trace, arch)
        ro = ClampedADC(bits=5)
        simulate_trace(trace, arch, ro, mapping=nm)        # compile / cache load
        times = []
        for _ in range(3):
            t = time.perf_counter()
            res = simulate_trace(trace, arch, ro, mapping=nm)
            times.append(time.perf_counter() - t)
        colmacs = sum(g.reads * g.levels.size * 0 + sum(1 for _ in []) for r in res for g in r.groups)
        colmacs = 0
        for layer, lm, r in zip(trace.layers, nm.layers, res):
            for g, gm in zip(r.groups, lm.groups):
                colmacs += g.reads * len(gm.row_layout) * g.levels.shape[1]
        # float32 BLAS reference: the same layers as im2col GEMMs
        mats = []
        for layer in trace.layers:
            if layer.kind == "conv2d" and layer.groups == 1:
                x = layer.input.values[:1].astype(np.float32)
                cols, _, _ = im2col(x, layer.kernel, layer.stride, layer.padding, layer.dilation, 0)
                mats.append((cols, centred_weight_matrix(layer).astype(np.float32)))
            elif layer.kind == "linear":
                mats.append((layer.input.values[:1].reshape(-1, layer.in_features).astype(np.float32),
                             centred_weight_matrix(layer).astype(np.float32)))
        for a_, b_ in mats:
            a_ @ b_
        t = time.perf_counter()
        for a_, b_ in mats:
            a_ @ b_
        t_blas = time.perf_counter() - t
        macs = sum(layer.macs for layer in trace.layers)
        print(f"{name}: {len(trace.layers)} layers, {macs / 1e9:.3f} GMAC/image, trace load/export {t_load:.1f} s; "
              f"functional pass best {min(times):.3f} s (runs {', '.join(f'{x:.3f}' for x in times)}); "
              f"{colmacs / min(times):.3g} col-MAC/s; BLAS im2col forward {t_blas * 1e3:.1f} ms "
              f"(dense non-grouped layers only)", flush=True)


if __name__ == "__main__":
    main()
