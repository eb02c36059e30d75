"""Choose the reduced ADC of the Huang et al. grid and write the study file.

For every signed-weight encoding x bits per cell x quantizer (WAGE fixed point, dynamic fixed
point), the digits CNN's top-1 accuracy is measured with its layers on the NeuroSim-like
22 nm RRAM arrays (``--rows`` x ``--rows``: 128 for the VGG-8 study, 64 for the ResNet-18
one; ``cimsim.accuracy.hardware_accuracy``):

- with the full-precision ADC (``N_full = ceil(log2(R (2^c - 1) + 1))`` bits for R rows and
  1-bit inputs per cycle, ``cimsim.kernels.readout.full_precision_bits``; fixed range:
  lossless), the reference;
- with an N-bit ADC whose range is calibrated to the partial sums' min-max per layer
  (NeuroSim's Python front end), for N = N_full - 1 down to 1, stopping at the first N whose
  accuracy is more than ``--drop`` (default 1 point) below the reference.

The reduced ADC of an (encoding, cells) pair is the fewest bits that keep the ``--select``
quantizer's network (default ``dfp8``) within the drop; one study variant serves both
quantizers. Why not WAGE as well: the digits CNN is trained in float and quantized after
training, and WAGE's fixed scale 2^-7 with values clipped to (-1, 1) loses its range (44 % at
full precision), so its accuracy cannot rank ADC precisions; its measurements are recorded all
the same. Every measurement goes to the CSV (``adc-search.csv`` for 128 rows,
``adc-search-rows64.csv`` for 64); the variants go to the study file (``study.yaml``: VGG-8 on
128 x 128 arrays; ``study-resnet18.yaml``: ResNet-18 on 64 x 64 arrays).

    .venv/bin/python arch/studies/huang-todaes22/search_adc.py [--rows 128|64] [--drop 0.01] [--samples N] [--seed 0]
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
ENCODINGS = ("differential", "twos_complement", "offset")
CELLS = (1, 2, 4)
QUANTIZERS = ("wage8", "dfp8")
# Per array size: the network simulated, its study file, the measurements, the chip's tile
# count (room for the largest mapping: differential pairs of 1-bit cells), fidelity inputs, and
# whether the study also measures the digits CNN's top-1 per point (the ResNet-18 study does not,
# to fit its run time: the digits CNN's accuracy at each of its ADCs is in its measurements CSV).
SETUPS = {
    128: {"name": "huang-todaes22", "file": "study.yaml", "csv": "adc-search.csv", "workload": "vgg8-cifar10",
          "network": "VGG-8", "tiles": 256, "fidelity_samples": 4, "digits": True},
    64: {"name": "huang-todaes22-resnet18", "file": "study-resnet18.yaml", "csv": "adc-search-rows64.csv",
         "workload": "resnet18-cifar10", "network": "ResNet-18", "tiles": 700, "fidelity_samples": 4, "digits": False},
}


def full_bits(cells: int, rows: int) -> int:
    sys.path.insert(0, str(ROOT))
    from cimsim.kernels.readout import full_precision_bits

    return full_precision_bits(rows, cells, 1)


def array_sets(rows: int) -> list[str]:
    """Overrides of the base chip for ``rows`` x ``rows`` arrays (all rows read at once)."""
    if rows == 128:
        return []
    return [f"chip.tiles.pes.arrays.rows={rows}", f"chip.tiles.pes.arrays.columns={rows}",
            f"chip.tiles.pes.arrays.rows_active={rows}"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=128, choices=sorted(SETUPS),
                    help="array rows (= columns, all read at once): 128 for VGG-8, 64 for ResNet-18")
    ap.add_argument("--drop", type=float, default=0.01, help="largest accuracy drop allowed (fraction, default 0.01)")
    ap.add_argument("--samples", type=int, help="test images (default: the whole digits test set)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--select", default="dfp8", choices=QUANTIZERS,
                    help="the quantizer whose accuracy chooses the reduced ADC (default dfp8)")
    ap.add_argument("--quantizers", nargs="+", default=list(QUANTIZERS), choices=QUANTIZERS,
                    help="quantizers to measure (default both; the --select one chooses the ADC)")
    ap.add_argument("--from-csv", action="store_true",
                    help="rewrite the study file of --rows from its measurements CSV, without measuring")
    args = ap.parse_args(argv)
    if args.select not in args.quantizers:
        ap.error(f"--select {args.select} must be one of the --quantizers measured")
    if args.from_csv:
        write_study(reduced_from_csv(HERE / SETUPS[args.rows]["csv"], args.select), args.drop, args.select,
                    args.rows)
        return 0
    sys.path.insert(0, str(ROOT))
    from cimsim.accuracy import hardware_accuracy
    from cimsim.architecture import load_architecture
    from cimsim.kernels.readout import ClampedADC, MinMaxADC
    from cimsim.trace.workloads_loader import resolve

    wl = resolve("cnn-digits")
    prep = wl.prepare(args.samples or 1, seed=args.seed)
    if args.samples is None:
        prep = wl.prepare(int(prep.provenance["test_set_size"]), seed=args.seed)
    rows, reduced = [], {}
    for enc in ENCODINGS:
        for c in CELLS:
            n_full = full_bits(c, args.rows)
            need = 1
            for q in args.quantizers:
                arch = load_architecture(ROOT / "arch/neurosim-rram-22nm.yaml",
                                         [f"chip.number_format.weight_encoding={enc}",
                                          f"chip.tiles.pes.arrays.bits_per_cell={c}", "chip.reprogramming=true"]
                                         + array_sets(args.rows))

                def acc(ro):
                    s = hardware_accuracy(prep.model, prep.inputs, arch, labels=prep.labels, calib=prep.calib,
                                          quant=q, readout=ro).summary()
                    return s["accuracy_hardware"]

                ref = acc(ClampedADC(bits=n_full))
                rows.append({"quantizer": q, "encoding": enc, "bits_per_cell": c, "adc_bits": n_full,
                             "range": "fixed", "accuracy": ref, "within_drop": True})
                best = n_full
                for b in range(n_full - 1, 0, -1):
                    a = acc(MinMaxADC(bits=b, granularity="layer"))
                    ok = a >= ref - args.drop
                    rows.append({"quantizer": q, "encoding": enc, "bits_per_cell": c, "adc_bits": b,
                                 "range": "calibrated", "accuracy": a, "within_drop": ok})
                    print(f"{q:6s} {enc:16s} c={c} {b:2d} bits: {100 * a:.2f} % (full {100 * ref:.2f} %)",
                          file=sys.stderr)
                    if not ok:
                        break
                    best = b
                if q == args.select:
                    need = best
            reduced[(enc, c)] = need
    with open(HERE / SETUPS[args.rows]["csv"], "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    write_study(reduced, args.drop, args.select, args.rows)
    return 0


def reduced_from_csv(path: Path, select: str) -> dict:
    """The fewest bits still within the drop, per (encoding, cells), from a measurements CSV."""
    out: dict = {}
    with open(path, newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["quantizer"] == select]
    for r in rows:
        key = (r["encoding"], int(r["bits_per_cell"]))
        if r["within_drop"] == "True":
            out[key] = min(out.get(key, 99), int(r["adc_bits"]))
    return out


def write_study(reduced: dict, drop: float, select: str, rows: int = 128) -> None:
    su = SETUPS[rows]
    net = su["network"]
    lines = [
        "# Huang, Jiang, Yu, \"Hardware-aware Quantization/Mapping Strategies for Compute-in-Memory",
        "# Accelerators\", ACM TODAES 28(3), 2022 (cim-models.md §1, §3): {WAGE fixed point, dynamic",
        "# fixed point} x {differential pair, 2's complement, shifted unsigned (offset)} x {full-precision",
        f"# ADC, reduced ADC}} x {{1, 2, 4}} bits per cell on the NeuroSim-like 22 nm RRAM chip, {rows} x {rows} arrays.",
        f"# Energy, latency, throughput and area on {net}; its fidelity (top-1 agreement with and SQNR",
        "# against the float model and the quantized model on an ideal read-out)"
        + ("; top-1 accuracy of the" if su["digits"] else ". The digits CNN's top-1 at each"),
        ("# digits CNN on the same arrays." if su["digits"] else f"# ADC is in {su['csv']}.")
        + " GENERATED by search_adc.py"
        + (f" --rows {rows}" if rows != 128 else "") + " (the reduced ADC: the fewest",
        f"# bits, range calibrated to the partial sums, that keep the {select} digits CNN within {100 * drop:g} point(s)",
        f"# of its full-precision accuracy; measurements in {su['csv']}). See README.md.",
        "#",
        f"#   cimsim study arch/studies/huang-todaes22/{su['file']}",
        f"name: {su['name']}",
        "description: quantization x signed-weight mapping x ADC precision x cell bits (Huang et al., TODAES 2022)"
        + (f", {net}, {rows}x{rows} arrays" if rows != 128 else ""),
        "arch: ../../neurosim-rram-22nm.yaml",
        "set:",
        f"  chip.tiles.count: {su['tiles']}" + " " * (13 - len(str(su['tiles'])))
        + f"# room for {net} with 1-bit cells as differential pairs",
    ]
    lines += [f"  {k}: {v}" for k, v in (x.split("=") for x in array_sets(rows))]
    lines.append("variants:")
    for enc in ENCODINGS:
        for c in CELLS:
            nf = full_bits(c, rows)
            red = reduced[(enc, c)]   # no bit to spare: the reduced ADC is the full-precision one
            for tag, bits, rng in (("full", nf, "fixed"), ("reduced", red, "calibrated" if red < nf else "fixed")):
                lines.append(f"  - {{name: {enc}-c{c}-{tag}, set: {{chip.number_format.weight_encoding: {enc}, "
                             f"chip.tiles.pes.arrays.bits_per_cell: {c}, chip.tiles.pes.arrays.readout.bits: {bits}, "
                             f"chip.tiles.pes.arrays.readout.range: {rng}}}}}")
    lines += [
        "quantizers: [wage8, dfp8]",
        f"workloads: [{su['workload']}]" + " " * max(1, 22 - len(su["workload"]))
        + "# exported with each quantizer; 1 recorded sample simulated",
        "samples: 1",
        "metrics: [energy_per_inference, latency, throughput, TOPS_per_W, area]",
        "baseline: differential-c1-full    # the naive strategy: differential pair, full-precision ADC",
        "rank_by: TOPS_per_W",
        "seed: 0",
    ]
    if su["digits"]:
        lines.append("accuracy: {workload: cnn-digits}  # top-1 of the digits CNN on each point's arrays")
    lines += [
        f"fidelity: {{samples: {su['fidelity_samples']}}}" + " " * 10
        + f"# {net} itself (no labels here) vs its float model and its ideal read-out",
    ]
    (HERE / su["file"]).write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
