"""The SUN study's mapping table: macro utilisation, arrays, cycles, GOPS, TOPS/W, TOPS/mm^2
and energy of the pruned mixed-precision network under each packing, plus utilisation per
layer. Runs the same simulations as ``cimsim study arch/studies/sun/study.yaml`` (one recorded
sample) and prints a Markdown table; ``--csv FILE`` also writes the per-layer rows.

    .venv/bin/python arch/studies/sun/table.py [--workload vgg8-cifar10] [--csv out/sun-layers.csv]

Ops are counted as the report counts them (``cimsim.report.report``): 2 x the dense MACs
of the unpruned network per inference, the same for every variant; the "effective" columns
count 2 x the MACs of the weights that pruning keeps.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
VARIANTS = (("uniform8", "uniform.yaml"), ("mixed", "mixed.yaml"), ("paired", "paired.yaml"))
RECIPE = "sun-mixed-pruned"


def run(workload: str, samples: int = 1):
    import cimsim
    from cimsim.architecture import load_architecture
    from cimsim.mapping.mapper import map_network
    from cimsim.trace.cache import workload_trace

    trace = workload_trace(workload, quant=RECIPE)
    eff_ops = 2 * sum(layer.effective_macs for layer in trace.layers)
    rows, per_layer = [], []
    for name, file in VARIANTS:
        arch = load_architecture(HERE / file)
        nm = map_network(trace, arch)
        rep = cimsim.simulate(arch, trace, samples=samples)
        cells = sum(lm.cells_used for lm in nm.layers)
        own = sum(lm.utilisation_own_precision * lm.arrays for lm in nm.layers) * arch.arrays.rows * arch.arrays.columns
        cap = sum(lm.arrays for lm in nm.layers) * arch.arrays.rows * arch.arrays.columns
        area_mm2 = rep.area_m2 * 1e6
        rows.append({
            "variant": name, "packing": arch.spec.mapping.packing,
            "arrays": sum(lm.arrays for lm in nm.layers), "utilisation": own / cap, "cell_utilisation": cells / cap,
            "cycles": rep.latency_s * arch.clock_Hz, "energy_uJ": rep.energy_J * 1e6,
            "GOPS": rep.ops_per_s / 1e9, "TOPS_W": rep.tops_per_w, "TOPS_mm2": rep.tops_per_mm2,
            "eff_GOPS": eff_ops / rep.interval_s / 1e9 if rep.interval_s else 0.0,
            "eff_TOPS_mm2": eff_ops / rep.interval_s / 1e12 / area_mm2 if rep.interval_s else 0.0,
            "area_mm2": area_mm2})
        for lm in nm.layers:
            per_layer.append({"variant": name, "layer": lm.name, "arrays": lm.arrays,
                              "utilisation": lm.utilisation_own_precision, "cell_utilisation": lm.utilisation,
                              "passes": lm.passes})
    return trace, rows, per_layer


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workload", default="vgg8-cifar10")
    ap.add_argument("--csv", help="write the per-layer utilisation rows to this CSV file")
    args = ap.parse_args(argv)
    trace, rows, per_layer = run(args.workload)
    print(f"{trace.name}, recipe {RECIPE}, 1 sample; ops = 2 x dense MACs "
          f"({2 * sum(layer.macs for layer in trace.layers):,} op per inference)\n")
    print("| variant | packing | arrays (all layers) | macro utilisation | cells holding digits | cycles | energy / inference "
          "| GOPS | TOPS/W | TOPS/mm² | effective GOPS | effective TOPS/mm² | area |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['variant']} | {r['packing']} | {r['arrays']:,} | {r['utilisation']:.3f} | {r['cell_utilisation']:.3f} "
              f"| {r['cycles']:,.0f} "
              f"| {r['energy_uJ']:.2f} µJ | {r['GOPS']:.2f} | {r['TOPS_W']:.2f} | {r['TOPS_mm2']:.4f} "
              f"| {r['eff_GOPS']:.2f} | {r['eff_TOPS_mm2']:.4f} | {r['area_mm2']:.3f} mm² |")
    names = [r["variant"] for r in rows]
    print("\nmacro utilisation per layer: cells the filters need at their own precision / cells of the "
          "arrays used (arrays, passes)\n")
    print("| layer | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    by = {(p["variant"], p["layer"]): p for p in per_layer}
    for layer in trace.layers:
        cells = [by[(v, layer.name)] for v in names]
        print(f"| {layer.name} | " + " | ".join(f"{c['utilisation']:.3f} ({c['arrays']}, {c['passes']})"
                                                for c in cells) + " |")
    if args.csv:
        from cimsim.report.files import atomic_output

        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=["variant", "layer", "arrays", "utilisation", "cell_utilisation", "passes"])
        w.writeheader()
        w.writerows(per_layer)
        with atomic_output(args.csv) as fh:
            fh.write(buf.getvalue().encode())
        print(f"\nwrote {args.csv}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
