"""Kernel rate vs a float32 BLAS GEMM of the same shapes, measured in the same run.

Rate of the functional crossbar kernel in column-MACs per second (samples x rows x digit
columns x input cycles: one 1-row x 1-column multiply-accumulate of an input slice and a
cell) beside numpy's float32 GEMM rate in multiply-adds per second (samples x rows x
outputs). Usage:

    .venv/bin/python benchmarks/bench_kernels.py            # this environment as it is
    .venv/bin/python benchmarks/bench_kernels.py --both-blas-envs
        # runs itself twice: with OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE as set here and unset
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time

import numpy as np


def best_of(fn, repeat=5):
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def run(samples: int, k: int, n: int, cell_bits: int, adc_bits: int | None) -> dict:
    """One shape; ``adc_bits`` None runs the ideal (lossless) read-out."""
    from cimsim.kernels.mvm import crossbar_mvm
    from cimsim.kernels.readout import ClampedADC, Ideal
    from cimsim.mapping.encodings import TwosComplement

    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(samples, k))
    w = rng.integers(-128, 128, size=(k, n))
    enc = TwosComplement().encode(w, 8, cell_bits)
    ro = Ideal() if adc_bits is None else ClampedADC(bits=adc_bits)
    call = lambda: crossbar_mvm(x, enc, input_bits=8, input_signed=False, rows_active=128, readout=ro)
    t0 = time.perf_counter()
    call()
    first = time.perf_counter() - t0
    t_kernel = best_of(call)
    col_macs = samples * k * enc.digits.shape[1] * 8
    xf, wf = x.astype(np.float32), w.astype(np.float32)
    xf @ wf
    t_blas = best_of(lambda: xf @ wf)
    madds = samples * k * n
    return {"shape": [samples, k, n], "cell_bits": cell_bits, "readout": "ideal" if adc_bits is None else f"{adc_bits}-bit ADC",
            "kernel_s": t_kernel, "first_call_s": first, "kernel_colmac_per_s": col_macs / t_kernel,
            "blas_s": t_blas, "blas_madd_per_s": madds / t_blas,
            "ratio": (col_macs / t_kernel) / (madds / t_blas)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--both-blas-envs", action="store_true")
    args = ap.parse_args()
    if args.both_blas_envs:
        for label, env in [("as set", dict(os.environ)),
                           ("unset", {k: v for k, v in os.environ.items() if not k.startswith("OPENBLAS_")})]:
            print(f"## OPENBLAS_CORETYPE/L2_SIZE {label}: "
                  f"{env.get('OPENBLAS_CORETYPE', '-')}/{env.get('OPENBLAS_L2_SIZE', '-')}", flush=True)
            subprocess.run([sys.executable, __file__], env=env, check=True)
        return
    import numba

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
          f"numba {numba.__version__} threads {numba.get_num_threads()}, numpy {np.__version__}, "
          f"load average {os.getloadavg()[0]:.2f} (other processes on the cores make rates noisy; "
          f"each ratio is within one run)")
    for shape, adc_bits in [(s, b) for b in (5, None) for s in [(1024, 1152, 128), (4096, 576, 64), (256, 4096, 512)]]:
        r = run(*shape, cell_bits=2, adc_bits=adc_bits)
        print(json.dumps({k: (round(v, 4) if isinstance(v, float) and v < 1e3 else (f"{v:.3g}" if isinstance(v, float) else v))
                          for k, v in r.items()}), flush=True)


if __name__ == "__main__":
    main()
