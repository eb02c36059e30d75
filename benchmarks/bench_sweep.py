"""Sweep throughput: points per second for a 200-point sweep of VGG-8, run locally with 1 and
2 processes and through a local Dask cluster (a scheduler and 2 single-threaded workers).

    .venv/bin/python benchmarks/bench_sweep.py [--points 200] [--modes local1 local2 dask2] [--markdown]

The grid: ADC bits {3..10} x columns per ADC {1, 2, 4, 8, 16} x ADC model {neurosim_sar,
neurosim_flash, murmann, zigzag_aimc, linear_per_bit} on the default architecture (arch/neurosim-rram-22nm.yaml), VGG-8's
shipped trace, 1 sample per point. Each mode starts from an empty results store, so every
point is computed; the time counts everything a user waits for once the plan is made
(worker start-up, shipping the trace, every simulation, every write to the store). Numba's
kernels are compiled (or loaded from its cache) once in this process before timing.
Points/s = points / wall time; scaling = points/s over the 1-process figure.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GRID = {
    "chip.tiles.pes.arrays.readout.bits": [3, 4, 5, 6, 7, 8, 9, 10],
    "chip.tiles.pes.arrays.readout.columns_per_adc": [1, 2, 4, 8, 16],
    "chip.tiles.pes.arrays.readout.model": ["neurosim_sar", "neurosim_flash", "murmann", "zigzag_aimc",
                                            "linear_per_bit"],
}


def study(points: int):
    from cimsim.studies import study_from_dict

    doc = {"name": "bench-sweep-vgg8", "arch": str(ROOT / "arch" / "neurosim-rram-22nm.yaml"),
           "grid": GRID, "workloads": ["vgg8-cifar10"], "samples": 1}
    s = study_from_dict(doc, base_dir=ROOT)
    assert s.size == 200
    return s, points


def machine() -> str:
    import dask
    import numba
    import numpy

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        mem = float("nan")
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    return (f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB; {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}, numpy {numpy.__version__}, numba {numba.__version__}, "
            f"dask {dask.__version__}; load average before the run {load[0]:.2f}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--points", type=int, default=200, help="run the first N points of the 200 (default all)")
    ap.add_argument("--modes", nargs="+", default=["local1", "local2", "dask2"],
                    choices=["local1", "local2", "dask2"])
    ap.add_argument("--markdown", action="store_true", help="print a RESULTS.md section at the end")
    args = ap.parse_args()

    from cimsim.simulation import simulate
    from cimsim.studies.execute import run_plan
    from cimsim.studies.plan import plan_study
    from cimsim.studies.store import ResultsStore
    from cimsim.trace import workload_trace

    info = machine()
    print(info, flush=True)
    simulate(str(ROOT / "arch" / "neurosim-rram-22nm.yaml"), workload_trace("vgg8-cifar10"), samples=1)  # JIT
    s, n = study(args.points)
    t0 = time.perf_counter()
    plan = plan_study(s)
    t_plan = time.perf_counter() - t0
    plan.points = plan.points[:n]
    print(f"planned {len(plan.points)} points in {t_plan:.1f} s", flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for mode in args.modes:
            kw = {"workers": 1} if mode == "local1" else {"workers": 2} if mode == "local2" else \
                {"dask": True, "workers": 2}
            with ResultsStore(Path(tmp) / f"{mode}.sqlite") as st:
                summ = run_plan(plan, st, progress=None, **kw)
                done = sum(v == "done" for v in st.statuses().values())
                sim = st.conn.execute("SELECT SUM(wall_s) FROM evaluations").fetchone()[0] or 0.0
            rows.append((mode, summ, sim / max(1, summ.computed)))
            print(f"{mode:7s} {summ.computed} points ({done} done, {summ.errors} raised) in {summ.wall_s:.1f} s: "
                  f"{summ.points_per_s:.3f} points/s; {sim / max(1, summ.computed):.2f} s of simulation per point "
                  f"[{summ.backend}]", flush=True)
    base = next((r.points_per_s for m, r, _ in rows if m == "local1"), None)
    if args.markdown:
        names = {"local1": "local, 1 process (in this process)", "local2": "local pool, 2 processes",
                 "dask2": "local Dask cluster, 2 workers x 1 thread"}
        print("\n| mode | points | wall time | points/s | scaling vs 1 process | simulation per point |\n"
              "|---|---|---|---|---|---|")
        for m, r, per in rows:
            sc = f"{r.points_per_s / base:.2f}x" if base else "-"
            print(f"| {names[m]} | {r.computed} | {r.wall_s:.1f} s | {r.points_per_s:.3f} | {sc} | {per:.2f} s |")
        print(f"\nMachine: {info}. Planning (resolving and hashing {len(plan.points)} points, loading and "
              f"hashing the trace): {t_plan:.1f} s, not included.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
