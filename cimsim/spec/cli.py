"""``cimsim describe ARCH``: print the resolved architecture."""

from __future__ import annotations

import argparse


def add_set_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--set", dest="sets", action="append", default=[], metavar="PATH=VALUE",
        help="override a key of the architecture, e.g. --set chip.tiles.pes.arrays.readout.bits=4 "
             "(repeatable; the value is read as YAML, units included: --set chip.clock='500 MHz')",
    )


def register(sub) -> None:
    p = sub.add_parser("describe", help="print the resolved architecture: counts, capacity, area, peak throughput")
    p.add_argument("arch", nargs="?", help="architecture file (arch/*.yaml)")
    add_set_option(p)
    p.add_argument("--json", metavar="FILE", help="also write the description as JSON (units on every number)")
    p.add_argument("--models", action="store_true", help="list the component models available for each kind")
    p.set_defaults(func=run_describe)


def run_describe(args) -> int:
    from cimsim.errors import CimsimError

    if args.models:
        from cimsim.components import registry

        for kind in registry.kinds():
            print(f"{kind:<14} {', '.join(registry.model_names(kind))}")
        if not args.arch:
            return 0
    if not args.arch:
        raise CimsimError("describe: expected an architecture file (e.g. arch/neurosim-rram-22nm.yaml); found none.")
    from cimsim.architecture import load_architecture
    from cimsim.report.describe import describe_dict, describe_text
    from cimsim.report.files import atomic_write_json

    arch = load_architecture(args.arch, args.sets)
    print(describe_text(arch))
    if args.json:
        atomic_write_json(args.json, describe_dict(arch))
        print(f"wrote {args.json}")
    return 0
