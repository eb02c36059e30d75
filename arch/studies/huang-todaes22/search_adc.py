"""Choose the reduced ADC of the Huang et al. grid and write the study file.

For every signed-weight encoding x bits per cell x quantizer (WAGE fixed point, dynamic fixed
point), the digits CNN's top-1 accuracy is measured with its layers on the NeuroSim-like
22 nm RRAM arrays (128 x 128, ``cimsim.accuracy.hardware_accuracy``):

- with the full-precision ADC (``N_full = ceil(log2(128 (2^c - 1) + 1))`` bits, fixed range:
  lossless), the reference;
- with an N-bit ADC whose range is calibrated to the partial sums' min-max per layer
  (NeuroSim's Python front end), for N = N_full - 1 down to 1, stopping at the first N whose
  accuracy is more than ``--drop`` (default 1 point) below the reference.

The reduced ADC of an (encoding, cells) pair is the fewest bits that keep the ``--select``
quantizer's network (default ``dfp8``) within the drop; one study variant serves both
quantizers. Why not WAGE as well: the digits CNN is trained in float and quantized after
training, and WAGE's fixed scale 2^-7 with values clipped to (-1, 1) loses its range (44 % at
full precision), so its accuracy cannot rank ADC precisions; its measurements are recorded all
the same. Every measurement goes to ``adc-search.csv``; the variants go to ``study.yaml``.

    .venv/bin/python arch/studies/huang-todaes22/search_adc.py [--drop 0.01] [--samples N] [--seed 0]
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
ROWS = 128


def full_bits(cells: int) -> int:
    return math.ceil(math.log2(ROWS * (2**cells - 1) + 1))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--drop", type=float, default=0.01, help="largest accuracy drop allowed (fraction, default 0.01)")
    ap.add_argument("--samples", type=int, help="test images (default: the whole digits test set)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--select", default="dfp8", choices=QUANTIZERS,
                    help="the quantizer whose accuracy chooses the reduced ADC (default dfp8)")
    ap.add_argument("--from-csv", action="store_true",
                    help="rewrite study.yaml from the measurements in adc-search.csv, without measuring")
    args = ap.parse_args(argv)
    if args.from_csv:
        write_study(reduced_from_csv(HERE / "adc-search.csv", args.select), args.drop, args.select)
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
            n_full = full_bits(c)
            need = 1
            for q in QUANTIZERS:
                arch = load_architecture(ROOT / "arch/neurosim-rram-22nm.yaml",
                                         [f"chip.number_format.weight_encoding={enc}",
                                          f"chip.tiles.pes.arrays.bits_per_cell={c}", "chip.reprogramming=true"])

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
    with open(HERE / "adc-search.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    write_study(reduced, args.drop, args.select)
    return 0


def reduced_from_csv(path: Path, select: str) -> dict:
    """The fewest bits still within the drop, per (encoding, cells), from ``adc-search.csv``."""
    out: dict = {}
    with open(path, newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["quantizer"] == select]
    for r in rows:
        key = (r["encoding"], int(r["bits_per_cell"]))
        if r["within_drop"] == "True":
            out[key] = min(out.get(key, 99), int(r["adc_bits"]))
    return out


def write_study(reduced: dict, drop: float, select: str) -> None:
    lines = [
        "# Huang, Jiang, Yu, \"Hardware-aware Quantization/Mapping Strategies for Compute-in-Memory",
        "# Accelerators\", ACM TODAES 28(3), 2022 (cim-models.md §1, §3): {WAGE fixed point, dynamic",
        "# fixed point} x {differential pair, 2's complement, shifted unsigned (offset)} x {full-precision",
        "# ADC, reduced ADC} x {1, 2, 4} bits per cell on the NeuroSim-like 22 nm RRAM chip, 128 x 128 arrays.",
        "# Energy, latency, throughput and area on VGG-8; top-1 accuracy of the digits CNN on the same",
        "# arrays. GENERATED by search_adc.py (the reduced ADC: the fewest bits, range calibrated to",
        f"# the partial sums, that keep the {select} digits CNN within {100 * drop:g} point(s) of its",
        "# full-precision accuracy; measurements in adc-search.csv). See README.md.",
        "#",
        "#   cimsim study arch/studies/huang-todaes22/study.yaml",
        "name: huang-todaes22",
        "description: quantization x signed-weight mapping x ADC precision x cell bits (Huang et al., TODAES 2022)",
        "arch: ../../neurosim-rram-22nm.yaml",
        "set:",
        "  chip.tiles.count: 256            # room for VGG-8 with 1-bit cells as differential pairs",
        "variants:",
    ]
    for enc in ENCODINGS:
        for c in CELLS:
            nf = full_bits(c)
            red = reduced[(enc, c)]   # no bit to spare: the reduced ADC is the full-precision one
            for tag, bits, rng in (("full", nf, "fixed"), ("reduced", red, "calibrated" if red < nf else "fixed")):
                lines.append(f"  - {{name: {enc}-c{c}-{tag}, set: {{chip.number_format.weight_encoding: {enc}, "
                             f"chip.tiles.pes.arrays.bits_per_cell: {c}, chip.tiles.pes.arrays.readout.bits: {bits}, "
                             f"chip.tiles.pes.arrays.readout.range: {rng}}}}}")
    lines += [
        "quantizers: [wage8, dfp8]",
        "workloads: [vgg8-cifar10]         # exported with each quantizer; 1 recorded sample simulated",
        "samples: 1",
        "metrics: [energy_per_inference, latency, throughput, TOPS_per_W, area]",
        "baseline: differential-c1-full    # the naive strategy: differential pair, full-precision ADC",
        "rank_by: TOPS_per_W",
        "seed: 0",
        "accuracy: {workload: cnn-digits}  # top-1 of the digits CNN on each point's arrays",
    ]
    (HERE / "study.yaml").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
