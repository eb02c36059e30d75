"""``cimsim run`` and ``cimsim compare``."""

from __future__ import annotations

import sys
from pathlib import Path

from cimsim.errors import CimsimError

DEFAULT_WORKLOAD = "traces/vgg8-cifar10.cimtrace"


def _progress(total: int, desc: str):
    """A progress callback (tqdm on a terminal, silent otherwise)."""
    if not sys.stderr.isatty():
        return None, lambda: None
    try:
        from tqdm import tqdm
    except ImportError:
        return None, lambda: None
    bar = tqdm(total=total, desc=desc, unit="layer", leave=False)
    return (lambda name: (bar.set_postfix_str(name), bar.update(1))), bar.close


def _common(p) -> None:
    from cimsim.spec.cli import add_set_option

    add_set_option(p)
    p.add_argument("--dataflow", choices=("layer", "pipeline"), default="layer",
                   help="layer-by-layer, or inter-layer pipelining (default: layer)")
    p.add_argument("-n", "--samples", type=int, help="samples of the trace to simulate (default: all recorded)")
    p.add_argument("--readout", default="arch", help="read-out override: ideal, adc, minmax, lsq, binary, ternary, bfp")
    p.add_argument("--bits", type=int, help="read-out bits for --readout")
    p.add_argument("--duplicate", choices=("none", "auto"), default="none",
                   help="auto: copy the weights of the slowest layers into free PEs to balance a pipeline")


def register(sub) -> None:
    p = sub.add_parser("run", help="simulate a workload on an architecture: energy, latency, area per layer and component",
                       description="Map, simulate (functional + timing) and cost WORKLOAD on ARCH; print a summary "
                                   "and write a JSON report and per-layer / per-component CSV.")
    p.add_argument("arch", help="architecture file (arch/*.yaml)")
    p.add_argument("workload", nargs="?", default=DEFAULT_WORKLOAD,
                   help=f"a .cimtrace file or a workload name (default: {DEFAULT_WORKLOAD})")
    _common(p)
    p.add_argument("-o", "--out", default="out", help="output folder for report.json and CSV (default: out)")
    p.add_argument("--timeline", metavar="FILE", help="write a Chrome trace-event / Perfetto timeline (.json or .json.gz)")
    p.add_argument("--timeline-detail", choices=("row", "layer"), default="row",
                   help="one slice per run of vectors (row) or per layer and stage (layer)")
    p.set_defaults(func=run_run)

    c = sub.add_parser("compare", help="run several architectures on the same workload; ratios against the first",
                       description="Simulate WORKLOAD on each ARCH and print side-by-side ratios against the first.")
    c.add_argument("archs", nargs="+", help="architecture files; the first is the baseline")
    c.add_argument("--workload", default=DEFAULT_WORKLOAD, help="a .cimtrace file or a workload name")
    _common(c)
    c.add_argument("--adc-model", help="rerun every architecture that has ADCs with this ADC model (e.g. murmann); "
                                       "ADC-less architectures run unchanged")
    c.add_argument("--json", metavar="FILE", help="also write the comparison as JSON")
    c.set_defaults(func=run_compare)


def _simulate(arch_path: str, trace, args, sets=(), timeline=None):
    from cimsim.accuracy import readout_from_args
    from cimsim.architecture import load_architecture
    from cimsim.simulation import simulate

    arch = load_architecture(arch_path, list(args.sets) + list(sets))
    ro = readout_from_args(args.readout, arch, args.bits, "layer", 4, 8) if args.readout != "arch" or args.bits else None
    cb, close = _progress(len(trace.layers), Path(arch_path).stem)
    try:
        return simulate(arch, trace, readout=ro, dataflow=args.dataflow, samples=args.samples,
                        timeline=timeline, progress=cb, duplicate="auto" if args.duplicate == "auto" else None)
    finally:
        close()


def run_run(args) -> int:
    from cimsim.engine.sim import Timeline
    from cimsim.engine.timeline import write_timeline
    from cimsim.mapping.cli import resolve_trace
    from cimsim.report.files import atomic_write_text

    if args.readout not in ("arch", "ideal", "adc", "minmax", "lsq", "binary", "ternary", "bfp"):
        raise CimsimError(f"--readout: expected one of arch, ideal, adc, minmax, lsq, binary, ternary, bfp; "
                          f"found '{args.readout}'")
    trace = resolve_trace(args.workload)
    tl = Timeline(args.timeline_detail) if args.timeline else None
    rep = _simulate(args.arch, trace, args, timeline=tl)
    print(rep.summary_text())
    out = Path(args.out)
    atomic_write_text(out / "report.json", rep.to_json())
    atomic_write_text(out / "layers.csv", rep.layers_csv())
    atomic_write_text(out / "components.csv", rep.components_csv())
    print(f"\nwrote {out / 'report.json'}, {out / 'layers.csv'}, {out / 'components.csv'}")
    if tl is not None:
        write_timeline(args.timeline, tl, rep.clock_Hz, f"{rep.workload} on {rep.arch}")
        print(f"wrote {args.timeline} ({len(tl.slices):,} slices)")
    return 0


def run_compare(args) -> int:
    from cimsim.mapping.cli import resolve_trace
    from cimsim.report.compare import compare_table
    from cimsim.report.files import atomic_write_json

    from cimsim.architecture import load_architecture

    trace = resolve_trace(args.workload)
    sets = [f"chip.tiles.pes.arrays.readout.model={args.adc_model}"] if args.adc_model else []
    # --adc-model applies to architectures with ADCs; ADC-less ones (sense amplifiers) run as they are.
    reports = [_simulate(a, trace, args, sets if load_architecture(a, args.sets).arrays.readout.kind == "adc" else [])
               for a in args.archs]
    text, data = compare_table(reports, [Path(a).stem for a in args.archs])
    print(text)
    if args.json:
        atomic_write_json(args.json, data)
        print(f"wrote {args.json}")
    return 0
