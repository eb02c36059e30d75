"""``cimsim validate-refs``: run the validation designs and print published vs cimsim."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser(
        "validate-refs", help="compare cimsim with published chips and simulators (NeuroSim, ISAAC, ...)",
        description="Simulate each validation design (arch/validation/<design>/) on its workload and "
                    "print, per published figure, the published value, cimsim's value, the error in "
                    "percent and whether it is within the stated tolerance. --markdown regenerates "
                    "docs/validation.md (the table with tolerances, calibrations, gaps and model fixes).")
    p.add_argument("--design", action="append", metavar="KEY",
                   help="run only this design (repeatable); default: all. Keys: "
                        "see --list")
    p.add_argument("--list", action="store_true", help="list the designs and exit")
    p.add_argument("--markdown", metavar="FILE", help="write the full report as Markdown (docs/validation.md)")
    p.add_argument("--json", metavar="FILE", help="write the comparison as JSON (a unit on every number)")
    p.set_defaults(func=run_cli)


def run_cli(args) -> int:
    import sys

    from cimsim.report.files import atomic_write_json, atomic_write_text
    from cimsim.validation.designs import DESIGNS
    from cimsim.validation.runner import run
    from cimsim.validation.table import markdown, text_table, to_json

    if args.list:
        for d in DESIGNS:
            print(f"{d.key:<34} {d.title}")
        return 0

    def progress(res):
        print(f"  {res.design.key}: {res.seconds:.1f} s", file=sys.stderr)

    results = run(args.design, progress=progress)
    print(text_table(results))
    if args.json:
        atomic_write_json(args.json, to_json(results))
        print(f"wrote {args.json}")
    if args.markdown:
        atomic_write_text(args.markdown, markdown(results))
        print(f"wrote {args.markdown}")
    return 0
