"""``cimsim sweep FILE``: run a design-space sweep locally or on a Dask cluster, resumably."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from cimsim.errors import CimsimError


def register(sub) -> None:
    p = sub.add_parser(
        "sweep", help="run every point of a sweep file (grid x variants x workloads x quantizers x read-outs)",
        description="Run each point of a sweep file not yet in its results store (SQLite), on local processes "
                    "(default) or a Dask cluster; write a table (CSV) and Pareto plots. Interrupted or failed "
                    "runs resume where they stopped. See docs/sweeps.md.")
    p.add_argument("file", help="sweep or study file (e.g. arch/sweeps/adc-cells-encoding-vgg8.yaml)")
    p.add_argument("-j", "--workers", type=int, metavar="N",
                   help="local worker processes (default: one per core; 1 runs in this process); with --dask and "
                        "no address, the size of the local Dask cluster")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="submit points to the Dask scheduler at ADDRESS (e.g. tcp://10.0.0.5:8786)")
    p.add_argument("--dask", action="store_true",
                   help="use Dask: $DASK_SCHEDULER_ADDRESS if set, else a local Dask cluster")
    p.add_argument("-o", "--out", metavar="DIR", help="output folder (default: out/sweeps/<name>)")
    p.add_argument("--store", metavar="FILE", help="results store (default: the file's 'store', else DIR/results.sqlite)")
    p.add_argument("--status", action="store_true", help="show the sweep's progress in its store and exit")
    p.add_argument("--list", action="store_true", help="list the points (label and key) without running them")
    p.add_argument("--no-resume", dest="resume", action="store_false",
                   help="recompute every point, even those already in the store")
    p.add_argument("--retry-errors", action="store_true", help="run again the points that raised last time")
    p.add_argument("--pareto", action="append", metavar="X,Y",
                   help="plot the Pareto front of metrics X and Y (repeatable; default: the file's 'pareto', else "
                        "latency,energy_per_inference)")
    p.add_argument("--no-progress", dest="progress", action="store_const", const=False, default=None,
                   help="no progress bar")
    p.set_defaults(func=run_sweep_cli)


def _pairs(raw: list[str] | None) -> list[tuple[str, str]] | None:
    from cimsim.studies.metrics import check_metric_name

    if not raw:
        return None
    out = []
    for item in raw:
        parts = [s.strip() for s in item.split(",")]
        if len(parts) != 2 or not all(parts):
            raise CimsimError(f"--pareto {item!r}: expected two metric names joined by a comma, e.g. "
                              f"latency,energy_per_inference.")
        for m in parts:
            msg = check_metric_name(m)
            if msg:
                raise CimsimError(f"--pareto {item!r}: {msg}.")
        out.append((parts[0], parts[1]))
    return out


def run_sweep_cli(args) -> int:
    from cimsim.studies.spec import load_study
    from cimsim.studies.sweep import default_out, status, store_path

    if args.workers is not None and args.workers < 1:
        raise CimsimError(f"--workers {args.workers}: expected at least 1 process.")
    study = load_study(args.file)
    out = Path(args.out) if args.out else default_out(study)
    spath = store_path(study, out, args.store)
    pairs = _pairs(args.pareto)
    if args.status:
        print(_status_text(status(study, spath)))
        return 0
    if args.list:
        from cimsim.studies.plan import plan_study

        plan = plan_study(study)
        for p in plan.points:
            print(f"{p.position:>5}  {p.hash[:12]}  {p.label}" + (f"   [cannot run: {p.error.splitlines()[0]}]"
                                                                  if p.error else ""))
        print(f"{len(plan.points)} points, {len(plan.unique_points)} distinct")
        return 0
    return _run(study, args, out, spath, pairs)


def _run(study, args, out: Path, spath: Path, pairs) -> int:
    from cimsim.studies.execute import run_plan
    from cimsim.studies.pareto import front
    from cimsim.studies.plan import plan_study
    from cimsim.studies.store import ResultsStore
    from cimsim.studies.sweep import pareto_pairs, write_outputs
    from cimsim.studies.tables import text_table

    t0 = time.perf_counter()
    print(f"planning {study.size} points of {study.name} ...", file=sys.stderr)
    plan = plan_study(study)
    print(f"planned in {time.perf_counter() - t0:.1f} s; results store {spath}", file=sys.stderr)
    with ResultsStore(spath) as st:
        try:
            summary = run_plan(plan, st, workers=args.workers, scheduler=args.scheduler, dask=args.dask,
                               resume=args.resume, retry_errors=args.retry_errors, progress=args.progress)
        except KeyboardInterrupt:
            c = st.study_counts(study.name)
            print(f"\ninterrupted: {c['done'] + c['error']} of {sum(c.values())} points are in {spath}; run the "
                  f"same command again to resume.", file=sys.stderr)
            raise
        print(summary.text())
        errs = st.errors(study.name)
        if errs:
            c = st.study_counts(study.name)
            print(f"{c['error']} point(s) raised; the first:")
            for label, err in errs[:3]:
                print(f"  {label}: {(err or '').splitlines()[0]}")
        files = write_outputs(st, study, out, pairs)
        df = st.frame(study.name)
    done = df[df["status"] == "done"]
    for x, y in pareto_pairs(study, pairs):
        if len(done):
            mask, cx, cy = front(done, x, y)
            print(f"\nnon-dominated on {cx} and {cy} ({int(mask.sum())} of {len(done)}):")
            print(text_table(done[mask].sort_values(cx), ["label", cx, cy]))
    print("\nwrote " + ", ".join(str(f) for f in files))
    return 0


def _status_text(s: dict) -> str:
    if not s["registered"]:
        where = "no store yet" if not Path(s["store"]).is_file() else "not in the store yet"
        return f"{s['study']}: {s['points']} points, not started ({where}: {s['store']})"
    n = s["points"]
    pct = 100 * (s["done"] + s["error"]) / n if n else 100.0
    lines = [f"{s['study']}: {n} points: {s['done']} done, {s['error']} raised, {s['pending']} pending "
             f"({pct:.1f} % finished); store {s['store']}"]
    if s.get("evaluations"):
        span = (s["last"] - s["first"]) if s["last"] and s["first"] else 0.0
        lines.append(f"{s['evaluations']} evaluations, {s['cpu_s'] or 0:.1f} s of simulation; last result "
                     f"{time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(s['last']))} "
                     f"(span {span:.0f} s)")
    for label, err in s["errors"]:
        lines.append(f"  raised: {label}: {(err or '').splitlines()[0][:160]}")
    return "\n".join(lines)
