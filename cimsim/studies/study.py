"""``cimsim study FILE``: a paper's comparison as one file -- the sweep core plus accuracy, a
ratio table against the baseline, and a plot.

A study file is a sweep file (:mod:`cimsim.studies.spec`: ``arch``, ``variants``, ``grid``,
``workloads``, ``readouts``, ``samples``, ``seed``, ``accuracy``, ``metrics``, ``baseline``,
``rank_by`` ...) with one key only ``cimsim study`` runs:

    accuracy:                    # top-1 of each point with its layers simulated on its arrays
      workload: cnn-digits       # a labelled workload (the digits test set)
      trained:                   # variants whose read-out is trained with the network
        ternary: {levels: ternary}       # HCiM partial-sum QAT (workloads/digits_psq.py)

Every point is simulated through the sweep core (:func:`cimsim.studies.execute.run_plan`:
local processes by default, a results store that resumes). A variant listed under
``accuracy.trained`` is simulated, on the accuracy workload, with the network trained for its
read-out and the trained scale factors (its trace is the trained network's, its read-out a
:class:`~cimsim.kernels.readout.SenseAmpTable`), so that its energy counts the operations
that network really performs. Then, per variant, the accuracy on the labelled workload
(:func:`cimsim.accuracy.hardware_accuracy`; the 8-bit ideal-read-out accuracy of the same
network beside it). A sweep-core key a study uses too: ``fidelity: {samples: N}`` runs each
point's own network (VGG-8, ResNet-18: no labels here) with its quantizer on its arrays, and
the table shows top-1 agreement with the float model (``agree``), the SQNR of the logits
against it (``SQNR``: quantizer and read-out together) and against the quantized network on
an ideal read-out (``SQNR read-out``: what the read-out alone loses, +inf when lossless).
Outputs, in ``out/studies/<name>/`` unless told otherwise:
``results.sqlite`` / ``results.csv`` (the sweep core's), ``study.csv`` and ``study.json``
(one row per point: metrics with units, accuracy, ratios against the baseline, energy and area
per component, and the check that the components sum to the total), ``table.txt`` and
``study.png``.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cimsim.errors import CimsimError, SpecError

TRAINED_KEYS = ("levels", "epochs", "granularity")
TABLE_METRICS = ("energy_per_inference", "latency", "TOPS_per_W", "area")


@dataclass
class StudyResult:
    name: str
    rows: list[dict[str, Any]]
    baseline: str | None
    rank_by: str
    ranking: list[str]
    files: list[Path] = field(default_factory=list)
    text: str = ""


def _fail(origins, path: tuple, msg: str):
    from cimsim.spec.loader import dotted

    raise SpecError(f"{origins.find(path)}: {dotted(path) or '<top level>'}: {msg}.")


def load_study_file(path: str | Path, seed: int | None = None, accuracy: bool = True):
    """The study file as a :class:`StudySpec` (the sweep core's checks: ``seed``, ``accuracy``,
    ``rank_by`` ...) and ``accuracy.trained``, which only ``cimsim study`` runs, checked."""
    from cimsim.spec.loader import Origins, load_with_extends
    from cimsim.studies.spec import study_from_dict

    path = Path(path)
    if not path.is_file():
        raise SpecError(f"{path}: file not found; expected a study YAML file at this path.")
    data, by_path = load_with_extends(path)
    origins = Origins(by_path=by_path, root_file=str(path))
    if not isinstance(data, dict):
        raise SpecError(f"{path}: the top level must be a mapping (name, arch, variants, workloads, ...).")
    data = dict(data)
    if seed is not None:
        data["seed"] = seed
    trained: dict = {}
    acc = data.get("accuracy")
    if isinstance(acc, dict) and "trained" in acc:
        acc = dict(acc)
        trained = acc.pop("trained") or {}
        data["accuracy"] = acc
        if not isinstance(trained, dict):
            _fail(origins, ("accuracy", "trained"), f"expected a mapping variant: {{levels: ternary|binary}}; "
                                                    f"found {trained!r}")
        for v, spec in trained.items():
            p = ("accuracy", "trained", v)
            if not isinstance(spec, dict) or spec.get("levels") not in ("binary", "ternary"):
                _fail(origins, p, f"expected {{levels: binary|ternary}}; found {spec!r}")
            for k in spec:
                if k not in TRAINED_KEYS:
                    _fail(origins, p + (k,), f"unknown key '{k}'; valid keys here: {', '.join(TRAINED_KEYS)}")
    if not accuracy:  # neither accuracy nor fidelity runs
        data.pop("accuracy", None)
        data.pop("fidelity", None)
        trained = {}
    study = study_from_dict(data, base_dir=path.parent, origins=origins, file=str(path))
    names = [v.name for v in study.variants]
    for v in trained:
        if v not in names:
            _fail(origins, ("accuracy", "trained", v), f"expected the name of a variant ({', '.join(names)})")
    if trained and not (study.accuracy or {}).get("workload"):
        _fail(origins, ("accuracy", "workload"), "trained read-outs need the labelled workload they are trained "
                                                 "for named here (e.g. cnn-digits)")
    return study, {"trained": trained, "seed": study.seed, "rank_by": study.rank_by or "energy_per_inference"}


def _variant_arch(plan, variant_name: str):
    for p in plan.points:
        if p.params["variant"] == variant_name and p.task is not None:
            return plan.bases[p.base_key].resolve(p.task["assignments"], p.task["located"])[1]
    raise CimsimError(f"variant '{variant_name}': no point of the study resolves.")


def artifact_name(arch, levels: str, seed: int, kw: dict) -> str:
    """File name of a partial-sum training result: keyed by the crossbar geometry, the levels,
    the seed, the non-default training arguments and the training code's version."""
    import hashlib

    from cimsim.trace.workloads_loader import load_workloads

    load_workloads()
    from workloads import digits_psq as P

    g = P.Geometry.of(arch)
    key = hashlib.sha256(repr((g, levels, seed, sorted(kw.items()), P.TRAINING_VERSION)).encode()).hexdigest()[:12]
    return f"cnn-digits-psq-{levels}-s{seed}-{key}.npz"


def trained_readout(arch, levels: str, seed: int = 0, epochs: int | None = None, granularity: str | None = None):
    """The digits CNN trained with ``levels`` partial sums on ``arch``'s crossbars: (folded
    model, SenseAmpTable), from the cache (``CIMSIM_CACHE``) or shipped weights when present,
    else trained now (a few minutes) and cached."""
    from cimsim.trace.cache import cache_dir
    from cimsim.trace.workloads_loader import load_workloads

    load_workloads()
    from workloads import digits_psq as P

    kw = {}
    if epochs is not None:
        kw["epochs"] = epochs
    if granularity is not None:
        kw["granularity"] = granularity
    name = artifact_name(arch, levels, seed, kw)
    shipped = Path(P.__file__).resolve().parent / "weights" / name
    cached = cache_dir() / name
    for f in (shipped, cached):
        if f.is_file():
            return P.load_result(f)
    print(f"training the digits CNN with {levels} partial sums (seed {seed}) ...", file=sys.stderr)
    res = P.train_psq(arch, levels, seed=seed, **kw)
    cached.parent.mkdir(parents=True, exist_ok=True)
    P.save_result(res, cached)
    return res


def _accuracy_quantizer(plan) -> None:
    """A study that names its quantizers applies each point's to the accuracy workload too
    (Huang et al.: WAGE vs dynamic fixed point is a property of the whole network)."""
    from cimsim.studies.plan import sha256_json

    if plan.study.quantizers == [None]:
        return
    for p in plan.points:
        a = (p.task or {}).get("accuracy")
        q = p.params.get("quantizer")
        if a and q and a.get("quant") != q:
            p.task = {**p.task, "accuracy": {**a, "quant": q}}
            p.inputs = {**p.inputs, "accuracy": p.task["accuracy"]}
            p.hash = sha256_json(p.inputs)
            p.task["hash"] = p.hash


def _swap_trained(plan, ext, trained: dict):
    """Points of trained variants on the accuracy workload: the trained network's trace and
    read-out (the point's key changes with them)."""
    from cimsim.studies.plan import sha256_json, trace_hash
    from cimsim.trace.exporter import export
    from cimsim.trace.workloads_loader import load_workloads

    acc = plan.study.accuracy
    wl = load_workloads().get(acc["workload"])
    for p in plan.points:
        v = p.params["variant"]
        if v not in trained or p.task is None:
            continue
        p.task = {**p.task, "accuracy": None}      # the trained network's accuracy: _trained_accuracy
        if p.params["workload"] != acc["workload"]:
            p.inputs = {**p.inputs, "accuracy": None}
            p.hash = sha256_json(p.inputs)
            p.task["hash"] = p.hash
            continue
        res = trained[v]
        base = plan.traces[p.trace_key]
        prep = wl.prepare(base.sample_count, seed=ext["seed"])
        t = export(res.model, prep.inputs, quant=base.provenance.get("quantizer") or "int8",
                   calib_inputs=prep.calib, name=f"{acc['workload']}-psq-{res.levels}")
        key = trace_hash(t)
        plan.traces.setdefault(key, t)
        ro = res.readout()
        p.trace_key = key
        p.task = {**p.task, "readout": ro}
        p.inputs = {**p.inputs, "trace": key, "readout": repr(ro), "accuracy": None}
        p.params = {**p.params, "readout": ro.label}
        p.hash = sha256_json(p.inputs)
        p.task["hash"] = p.hash


def _trained_accuracy(plan, trained: dict) -> dict[str, dict[str, Any]]:
    """Accuracy of each trained variant: its trained network with its trained read-out."""
    from cimsim.accuracy import hardware_accuracy
    from cimsim.trace.workloads_loader import load_workloads

    acc = plan.study.accuracy
    wl = load_workloads().get(acc["workload"])
    prep = wl.prepare(acc.get("samples"), seed=acc.get("seed", 0))
    full = prep.provenance.get("test_set_size")
    if acc.get("samples") is None and full and full > len(prep.inputs):
        prep = wl.prepare(int(full), seed=acc.get("seed", 0))
    out = {}
    for v, res in trained.items():
        r = hardware_accuracy(res.model, prep.inputs, _variant_arch(plan, v), labels=prep.labels, calib=prep.calib,
                              quant=wl.default_quant, readout=res.readout())
        s = r.summary()
        out[v] = {"accuracy": {"value": s["accuracy_hardware"], "unit": "1"},
                  "accuracy_quantized": {"value": s["accuracy_quantized"], "unit": "1"},
                  "accuracy_float": {"value": s["accuracy_float"], "unit": "1"},
                  "samples": {"value": s["samples"], "unit": "input"},
                  "network": f"{res.levels}-trained digits CNN (workloads/digits_psq.py)"}
    return out


def run_study(path: str | Path, *, out: str | Path | None = None, workers: int | None = None,
              seed: int | None = None, accuracy: bool = True, train: bool = True, progress: bool | None = None,
              plot: bool = True) -> StudyResult:
    """Run a study file end to end (see the module docstring)."""
    from cimsim.studies.execute import run_plan
    from cimsim.studies.plan import plan_study
    from cimsim.studies.store import ResultsStore
    from cimsim.studies.sweep import write_outputs

    study, ext = load_study_file(path, seed, accuracy)
    out_dir = Path(out) if out else Path("out") / "studies" / (study.name + (f"-s{ext['seed']}" if ext["seed"] else ""))
    plan = plan_study(study)
    _accuracy_quantizer(plan)
    trained = {}
    if train:
        for v, spec in ext["trained"].items():
            trained[v] = trained_readout(_variant_arch(plan, v), spec["levels"], ext["seed"], spec.get("epochs"),
                                         spec.get("granularity"))
        if trained:
            _swap_trained(plan, ext, trained)
    with ResultsStore(out_dir / "results.sqlite") as st:
        summary = run_plan(plan, st, workers=workers, progress=progress)
        files = write_outputs(st, study, out_dir, [])
        results = {p.hash: st.result(p.hash) for p in plan.unique_points}
        errors = dict((lab, err) for lab, err in st.errors(study.name, limit=1000))
    accs = _trained_accuracy(plan, trained) if trained and study.accuracy else {}
    rows = _rows(plan, results, errors, accs)
    rank_by = ext["rank_by"]
    baseline = study.baseline
    _ratios(rows, baseline, list(TABLE_METRICS) + ([rank_by] if rank_by not in TABLE_METRICS else []))
    ranking = _ranking(rows, rank_by)
    res = StudyResult(study.name, rows, baseline, rank_by, ranking)
    res.text = summary.text() + "\n\n" + table_text(res)
    files += _write(res, out_dir, plot)
    res.files = files
    return res


def _rows(plan, results, errors, accs) -> list[dict[str, Any]]:
    rows = []
    for p in plan.points:
        row: dict[str, Any] = {"label": p.label, **{k: v for k, v in p.params.items()}}
        r = results.get(p.hash)
        if r is None:
            row["status"] = "error"
            row["error"] = errors.get(p.label) or p.error or "not computed"
            rows.append(row)
            continue
        s = r["summary"]
        row["status"] = "done"
        for k in ("energy_per_inference", "latency", "TOPS_per_W", "TOPS_per_mm2", "area", "throughput"):
            if k in s:
                row[k] = {"value": s[k]["value"], "unit": s[k]["unit"]}
        comp = r.get("energy_by_component", {})
        row["energy_by_component"] = {k: {"value": v["value"], "unit": v["unit"]} for k, v in comp.items()}
        row["area_by_component"] = {k: {"value": v["value"], "unit": v["unit"]}
                                    for k, v in r.get("area_by_component", {}).items()}
        total = sum(v["value"] for v in comp.values())
        e = s["energy_per_inference"]["value"]
        row["energy_components_sum_check"] = {"value": (total - e) / e if e else 0.0, "unit": "1"}
        a = accs.get(p.params["variant"]) or r.get("accuracy")
        if a:
            row["accuracy"] = a["accuracy"]
            row["accuracy_ideal_readout"] = a["accuracy_quantized"]
            row["accuracy_network"] = a.get("network", "int8 network of the workload")
            row["accuracy_samples"] = a["samples"]
        for k, q in r.get("fidelity", {}).items():
            row[k] = {"value": q["value"], "unit": q["unit"]}
        rows.append(row)
    return rows


def _ratios(rows, baseline: str | None, metrics: list[str]) -> None:
    if baseline is None:
        return
    base = next((r for r in rows if r.get("variant") == baseline and r["status"] == "done"), None)
    if base is None:
        return
    for r in rows:
        if r["status"] != "done":
            continue
        for m in metrics:
            if m in r and m in base and base[m]["value"]:
                r[f"{m}_vs_baseline"] = {"value": r[m]["value"] / base[m]["value"], "unit": "x baseline"}


def _ranking(rows, rank_by: str) -> list[str]:
    from cimsim.studies.metrics import higher_is_better

    done = [r for r in rows if r["status"] == "done" and rank_by in r]
    done.sort(key=lambda r: r[rank_by]["value"], reverse=higher_is_better(rank_by))
    return [r["label"] for r in done]


def _fmt(q: dict | None, unit_scale: dict[str, tuple[float, str]] | None = None) -> str:
    if not q:
        return "-"
    v, u = q["value"], q["unit"]
    if u == "dB":
        return f"{v:.2f} dB"
    if u == "1" and 0 <= v <= 1:
        return f"{100 * v:.2f} %"
    from cimsim.spec.units import format_si

    try:
        return format_si(v, u)
    except Exception:  # noqa: BLE001 - units the formatter does not know
        return f"{v:.4g} {u}"


def table_text(res: StudyResult) -> str:
    """The comparison table: one row per point, metrics with units, ratios to the baseline."""
    cols = [("label", "point")]
    have_acc = any("accuracy" in r for r in res.rows)
    if have_acc:
        cols += [("accuracy", "top-1"), ("accuracy_ideal_readout", "top-1 ideal read-out")]
    if any("fidelity_sqnr" in r for r in res.rows):
        cols += [("fidelity_top1_agreement_with_float", "agree"), ("fidelity_sqnr", "SQNR"),
                 ("fidelity_sqnr_vs_quantized", "SQNR read-out")]
    for m in TABLE_METRICS:
        cols.append((m, m))
        if res.baseline:
            cols.append((f"{m}_vs_baseline", "x base"))
    cells = [[c[1] for c in cols]]
    for r in res.rows:
        if r["status"] != "done":
            cells.append([r["label"], f"error: {str(r.get('error', ''))[:80]}"] + [""] * (len(cols) - 2))
            continue
        line = []
        for key, _ in cols:
            if key == "label":
                line.append(str(r["label"]))
            elif key.endswith("_vs_baseline"):
                q = r.get(key)
                line.append(f"{q['value']:.3g}x" if q else "-")
            else:
                line.append(_fmt(r.get(key)))
        cells.append(line)
    widths = [max(len(c[i]) for c in cells) for i in range(len(cols))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
             for row in cells]
    title = f"{res.name}" + (f" (ratios against {res.baseline})" if res.baseline else "")
    from cimsim.studies.metrics import higher_is_better

    order = " > " if higher_is_better(res.rank_by) else " < "
    rank = f"ranking by {res.rank_by}: " + order.join(res.ranking) if res.ranking else ""
    return "\n".join([title] + lines + ([rank] if rank else []) + ["", component_text(res, "energy_by_component",
                                                                                     "energy per inference by component"),
                                                                   "", component_text(res, "area_by_component",
                                                                                      "area by component")])


def component_text(res: StudyResult, key: str, title: str) -> str:
    """Components (rows) x points (columns), each value with its unit."""
    done = [r for r in res.rows if r["status"] == "done"]
    comps: list[str] = []
    for r in done:
        comps += [c for c in r.get(key, {}) if c not in comps]
    cells = [[title] + [r["label"] for r in done]]
    for c in comps:
        cells.append([c] + [_fmt(r.get(key, {}).get(c)) for r in done])
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    return "\n".join("  ".join(x.ljust(w) if i == 0 else x.rjust(w) for i, (x, w) in enumerate(zip(row, widths)))
                     for row in cells)


def _write(res: StudyResult, out_dir: Path, plot: bool) -> list[Path]:
    import csv
    import io

    from cimsim.report.files import atomic_write_json, atomic_write_text

    out_dir.mkdir(parents=True, exist_ok=True)
    files = []
    doc = {"study": res.name, "baseline": res.baseline, "rank_by": res.rank_by, "ranking": res.ranking,
           "points": res.rows}
    atomic_write_json(out_dir / "study.json", doc)
    files.append(out_dir / "study.json")
    flat = []
    for r in res.rows:
        f: dict[str, Any] = {}
        for k, v in r.items():
            if isinstance(v, dict) and "value" in v and "unit" in v:
                f[f"{k} [{v['unit']}]"] = v["value"]
            elif isinstance(v, dict):
                for c, q in v.items():
                    f[f"{k}.{c} [{q['unit']}]"] = q["value"]
            else:
                f[k] = v
        flat.append(f)
    keys: list[str] = []
    for f in flat:
        keys += [k for k in f if k not in keys]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=keys)
    w.writeheader()
    w.writerows(flat)
    files.append(atomic_write_text(out_dir / "study.csv", buf.getvalue()))
    files.append(atomic_write_text(out_dir / "table.txt", table_text(res) + "\n"))
    if plot:
        files.append(plot_study(res, out_dir / "study.png"))
    return files


def plot_study(res: StudyResult, path: Path) -> Path:
    """Energy per inference by component (stacked), area by component, and accuracy, per point."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from cimsim.report.files import atomic_write_bytes

    done = [r for r in res.rows if r["status"] == "done"]
    labels = [r["label"] for r in done]
    have_acc = any("accuracy" in r for r in done)
    fig, axes = plt.subplots(1, 3 if have_acc else 2, figsize=(5 + 2.2 * len(done), 4.8))
    for ax, key, unit, scale, title in ((axes[0], "energy_by_component", "uJ", 1e6, "energy per inference"),
                                        (axes[1], "area_by_component", "mm^2", 1e6, "area")):
        comps: list[str] = []
        for r in done:
            comps += [c for c in r.get(key, {}) if c not in comps]
        bottom = np.zeros(len(done))
        for c in comps:
            vals = np.array([r.get(key, {}).get(c, {"value": 0.0})["value"] * scale for r in done])
            ax.bar(labels, vals, bottom=bottom, label=c)
            bottom += vals
        ax.set_ylabel(f"{title} [{unit}]")
        ax.set_title(title)
        ax.tick_params(axis="x", rotation=30)
        ax.legend(fontsize=6, ncol=2)
    if have_acc:
        ax = axes[2]
        x = np.arange(len(done))
        ax.bar(x - 0.2, [100 * r.get("accuracy", {"value": math.nan})["value"] for r in done], 0.4,
               label="on the arrays")
        ax.bar(x + 0.2, [100 * r.get("accuracy_ideal_readout", {"value": math.nan})["value"] for r in done], 0.4,
               label="ideal read-out (8-bit)")
        ax.set_xticks(x, labels, rotation=30)
        ax.set_ylabel("top-1 accuracy [%]")
        ax.set_title("accuracy")
        ax.legend(fontsize=7)
    fig.suptitle(res.name)
    fig.tight_layout()
    buf = __import__("io").BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return atomic_write_bytes(path, buf.getvalue())


# ---------------------------------------------------------------------------------------
# `cimsim study FILE`


def register(sub) -> None:
    p = sub.add_parser("study", help="run a paper's study file: every point, accuracy, ratio table and plot",
                       description="Run every point of a study file (arch/studies/<paper>/study.yaml) on local "
                                   "processes, the accuracy of each variant where the file asks for it, and print the "
                                   "comparison table (ratios against the baseline); write study.csv, study.json, "
                                   "table.txt and study.png.")
    p.add_argument("file", help="study file, e.g. arch/studies/hcim/study.yaml")
    p.add_argument("-o", "--out", metavar="DIR", help="output folder (default: out/studies/<name>)")
    p.add_argument("-j", "--workers", type=int, metavar="N", help="local worker processes (default: one per core)")
    p.add_argument("--seed", type=int, help="seed of named workloads and training (default: the file's, else 0)")
    p.add_argument("--no-accuracy", action="store_true", help="skip the accuracy and fidelity runs")
    p.add_argument("--no-progress", dest="progress", action="store_const", const=False, default=None)
    p.set_defaults(func=run_study_cli)


def run_study_cli(args) -> int:
    if args.workers is not None and args.workers < 1:
        raise CimsimError(f"--workers {args.workers}: expected at least 1 process.")
    res = run_study(args.file, out=args.out, workers=args.workers, seed=args.seed, accuracy=not args.no_accuracy,
                    progress=args.progress)
    print(res.text)
    print("\nwrote " + ", ".join(str(f) for f in res.files))
    return 0
