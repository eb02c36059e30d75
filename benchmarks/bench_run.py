"""End-to-end `cimsim run` (functional + timing + energy) wall time and peak memory.

    .venv/bin/python benchmarks/bench_run.py

Runs each case as a separate `cimsim run` process twice (the first loads or compiles the
Numba cache; the second is reported), with /usr/bin/time for wall time and peak RSS, and reads
the report's own stage times and event count. ResNet-18 (224x224) is exported on first use
and cached (~20 s, needs torch).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CIMSIM = str(Path(sys.executable).parent / "cimsim")
CASES = [
    ("VGG-8 (CIFAR), 1 image", ["traces/vgg8-cifar10.cimtrace"], []),
    ("ResNet-18 (224x224), 1 image", ["resnet18-imagenet"], ["--set", "chip.reprogramming=true"]),
]


def main():
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    from cimsim.trace import workload_trace

    workload_trace("resnet18-imagenet", samples=1)   # export once, cached
    print(f"machine: {os.cpu_count()} cpus; arch arch/neurosim-rram-22nm.yaml (5-bit calibrated SAR ADC, "
          f"2-bit cells, 8-bit inputs)")
    for label, wl, extra in CASES:
        with tempfile.TemporaryDirectory() as out:
            cmd = ["/usr/bin/time", "-f", "%e %M", CIMSIM, "run", "arch/neurosim-rram-22nm.yaml", *wl, "-n", "1",
                   "-o", out, *extra]
            for attempt in range(2):
                p = subprocess.run(cmd, capture_output=True, text=True, check=True)
            wall, peak_kb = p.stderr.strip().splitlines()[-1].split()
            rep = json.loads((Path(out) / "report.json").read_text())
            w = {k: v["value"] for k, v in rep["wall_time"].items()}
            ev_rate = w["events"] / w["timing_s"] if w["timing_s"] else float("inf")
            print(f"{label}: {float(wall):.2f} s wall, peak RSS {int(peak_kb) / 1024:.0f} MiB; map {w['map_s']:.2f} s, "
                  f"functional {w['functional_s']:.2f} s, timing {w['timing_s'] * 1e3:.1f} ms for {w['events']:.0f} "
                  f"events ({ev_rate:,.0f} events/s); {rep['summary']['TOPS_per_W']['value']:.3g} TOPS/W", flush=True)


if __name__ == "__main__":
    main()
