"""``cimsim map ARCH WORKLOAD``: how a network's layers land on an architecture's arrays."""

from __future__ import annotations


def resolve_trace(spec: str):
    """A trace from a ``.cimtrace`` path, or a workload name (shipped, cached or exported)."""
    from pathlib import Path

    from cimsim.trace import load, workload_trace

    if spec.endswith(".cimtrace") or Path(spec).is_file():
        return load(spec)
    return workload_trace(spec)


def register(sub) -> None:
    from cimsim.spec.cli import add_set_option

    p = sub.add_parser("map", help="map a workload's layers onto an architecture: arrays, tiles, utilisation",
                       description="Map every layer of a trace (a .cimtrace file or a workload name) onto the "
                                   "arrays of ARCH and print arrays used and utilisation per layer.")
    p.add_argument("arch", help="architecture file (arch/*.yaml)")
    p.add_argument("workload", help="a .cimtrace file or a workload name (cimsim export --list)")
    add_set_option(p)
    p.add_argument("--json", metavar="FILE", help="also write the table as JSON")
    p.set_defaults(func=run_map)


def run_map(args) -> int:
    from cimsim.architecture import load_architecture
    from cimsim.mapping.mapper import map_network
    from cimsim.report.files import atomic_write_json

    arch = load_architecture(args.arch, args.sets)
    trace = resolve_trace(args.workload)
    nm = map_network(trace, arch)
    rows = nm.table()
    print(f"{trace.name} on {arch.name}: {sum(r['arrays'] for r in rows)} arrays in {nm.rounds} round(s); "
          f"chip has {arch.array_count} arrays")
    print(f"{'layer':<28} {'kind':<7} {'groups':>6} {'row tiles':>9} {'col tiles':>9} {'arrays':>7} "
          f"{'utilisation':>11} {'own prec.':>9} {'round':>5} {'passes':>6}")
    for r in rows:
        print(f"{r['layer']:<28} {r['kind']:<7} {r['groups']:>6} {r['row_tiles']:>9} {r['col_tiles']:>9} "
              f"{r['arrays']:>7} {100 * r['utilisation']:>10.1f}% {100 * r['utilisation_own_precision']:>8.1f}% "
              f"{r['round']:>5} {r['passes']:>6}")
    if args.json:
        atomic_write_json(args.json, {"trace": trace.name, "arch": arch.name, "rounds": nm.rounds,
                                      "layers": [{**r, "utilisation": {"value": r["utilisation"], "unit": "1"},
                                                  "utilisation_own_precision": {
                                                      "value": r["utilisation_own_precision"], "unit": "1"}}
                                                 for r in rows]})
        print(f"wrote {args.json}")
    return 0
