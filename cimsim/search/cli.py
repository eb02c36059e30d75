"""``cimsim search FILE``: the CIM²PQ array-wise mixed-precision search and its layer-wise
baseline at the same budget, from a YAML file (``arch/studies/cim2pq/study-search.yaml``).

Writes ``out/search/<name>/``: ``front-array.csv`` and ``front-layer.csv`` (the Pareto fronts,
accuracy on the whole test set, energy and latency from the fast estimate and from the engine),
``pareto.png``, ``best-plan.json`` and ``best.cimtrace`` (the chosen plan: the lowest-energy
array-wise point within ``accuracy_drop`` of the full-precision accuracy, or the most accurate
array-wise point if none is, as a trace carrying each layer's precision), ``summary.json`` and ``table.txt``.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from cimsim.errors import CimsimError

KEYS = {"name": str, "description": str, "arch": str, "set": dict, "workload": str, "choices": dict,
        "population": int, "generations": int, "seed": int, "mutation_start": float, "mutation_end": float,
        "protect_fraction": float, "protect_generations": int, "evaluations": int, "coarse_generations": int,
        "layer_move": float, "eval_samples": int, "cost_samples": int,
        "accuracy_drop": float, "verify": bool}
REQUIRED = ("name", "arch", "workload", "choices")


def load_search_spec(path: str) -> dict:
    import yaml

    p = Path(path)
    if not p.is_file():
        raise CimsimError(f"{path}: no such search file")
    try:
        d = yaml.safe_load(p.read_text()) or {}
    except yaml.YAMLError as e:
        raise CimsimError(f"{path}: not valid YAML ({' '.join(str(e).split())})") from None
    if not isinstance(d, dict):
        raise CimsimError(f"{path}: expected a mapping of search settings; found {type(d).__name__}")
    for k, v in d.items():
        if k not in KEYS:
            raise CimsimError(f"{path}: unknown key '{k}'; expected one of {', '.join(KEYS)}")
        if not isinstance(v, KEYS[k]) and not (KEYS[k] is float and isinstance(v, int)):
            raise CimsimError(f"{path}: key '{k}': expected {KEYS[k].__name__}; found {v!r}")
    for k in REQUIRED:
        if k not in d:
            raise CimsimError(f"{path}: missing key '{k}'")
    ch = d["choices"]
    for f in ("input_bits", "weight_bits", "adc_bits"):
        v = ch.get(f)
        if not isinstance(v, list) or not v or not all(isinstance(b, int) and b >= 1 for b in v):
            raise CimsimError(f"{path}: choices.{f}: expected a non-empty list of positive integers; found {v!r}")
        ch[f] = sorted(set(v))
    d["arch"] = str((p.parent / d["arch"]).resolve()) if not Path(d["arch"]).is_absolute() else d["arch"]
    return d


def run_search_file(path: str, out_dir: str | None = None, progress: bool = True, overrides: dict | None = None) -> dict:
    """Run both searches of a search file; write the outputs; return the summary."""
    from cimsim.accuracy import HardwareModel
    from cimsim.architecture import load_architecture
    from cimsim.search.cim2pq import SearchSettings, run_search, Evaluator
    from cimsim.search.cost import CostModel
    from cimsim.trace import workload_trace
    from cimsim.trace.workloads_loader import resolve

    from cimsim.studies.evaluate import _set_threads

    spec = load_search_spec(path)
    spec.update(overrides or {})
    _set_threads()    # Numba threads: CIMSIM_NUMBA_THREADS, default 1 (measured faster on the shared machine)
    t0 = time.perf_counter()
    sets = [f"{k}={v}" for k, v in (spec.get("set") or {}).items()]
    arch = load_architecture(spec["arch"], sets)
    if arch.arrays.readout.kind != "adc":
        raise CimsimError(f"{path}: arch: the search sets ADC bits per array; the arrays' read-out is "
                          f"'{arch.arrays.readout.kind}', not an ADC")
    top = arch.arrays.readout.bits
    if max(spec["choices"]["adc_bits"]) > top:
        raise CimsimError(f"{path}: choices.adc_bits: at most the architecture's ADC bits ({top}); "
                          f"found {max(spec['choices']['adc_bits'])}")
    wl = resolve(spec["workload"])
    seed = int(spec.get("seed", 0))
    prep = wl.prepare(None, seed=seed)
    full = prep.provenance.get("test_set_size")
    if full and full > len(prep.inputs):
        prep = wl.prepare(int(full), seed=seed)
    if prep.labels is None:
        raise CimsimError(f"{path}: workload '{wl.name}' has no labels; the search's accuracy objective needs "
                          "a labelled test set (the digits workloads)")
    trace = workload_trace(wl.name, seed=seed)
    cost = CostModel(arch, trace, spec["choices"], samples=int(spec.get("cost_samples", 4)))
    hm = HardwareModel(prep.model, arch, prep.calib, wl.default_quant)
    names = [lm.name for lm in cost.mapping.layers]
    if names != [lm.name for lm in hm.mapping.layers]:
        raise CimsimError(f"{path}: the workload's trace and model map to different layers ({names} vs "
                          f"{[lm.name for lm in hm.mapping.layers]})")
    n_eval = min(int(spec.get("eval_samples", len(prep.inputs))), len(prep.inputs))
    settings = SearchSettings(choices=spec["choices"], **{k: spec[k] for k in (
        "population", "generations", "seed", "mutation_start", "mutation_end", "protect_fraction",
        "protect_generations", "evaluations", "coarse_generations", "layer_move") if k in spec})
    t_setup = time.perf_counter() - t0
    results, walls = {}, {}
    scored: dict = {}                      # accuracies on the search images, shared (each search counts its own)
    # the whole test set; when the search scores it all, the re-scoring reuses the search's accuracies
    full_eval = Evaluator(hm, prep.inputs, prep.labels, cost, names,
                          shared=scored if n_eval == len(prep.inputs) else None)
    for gran in ("layer", "array"):
        t = time.perf_counter()
        ev = Evaluator(hm, prep.inputs[:n_eval], prep.labels[:n_eval], cost, names, shared=scored)
        res = run_search(ev, settings, gran, progress=progress)
        results[gran] = (res, ev)
        walls[gran] = time.perf_counter() - t
    t_search = sum(walls.values())
    fronts = {}
    for gran, (res, ev) in results.items():
        fronts[gran] = final_front(ev, full_eval, settings.budget())
    verify = bool(spec.get("verify", True))
    rows = {g: front_rows(f, full_eval, arch, trace, cost, verify) for g, f in fronts.items()}
    summary = compare(spec, settings, rows, fronts, cost, full_eval, results, walls, t_setup, t_search,
                      time.perf_counter() - t0, n_eval, len(prep.inputs))
    write_outputs(spec, out_dir, rows, fronts, summary, full_eval, trace, arch)
    return summary


def final_front(ev, full_eval, budget: int | None = None) -> dict:
    """The non-dominated set of what a search evaluated within its budget (its archive: the
    first ``budget`` distinct plans scored), first on the search's evaluation images, then
    re-ranked with the accuracy on the whole test set."""
    from cimsim.search.cim2pq import non_dominated

    genomes = np.array([np.frombuffer(k, dtype=np.int8).reshape(-1, 3) for k in ev.archive(0, budget)],
                       dtype=np.int64)
    F = ev(genomes)
    nd = non_dominated(F)
    g = genomes[nd]
    Ff = full_eval(g)
    nd2 = non_dominated(Ff)
    order = np.lexsort((Ff[nd2, 1], Ff[nd2, 0]))
    return {"genomes": g[nd2][order], "F": Ff[nd2][order], "F_search": F[nd][nd2][order]}


def front_rows(front: dict, full_eval, arch, trace, cost, verify: bool) -> list[dict]:
    import cimsim

    rows = []
    for k, (g, F, Fs) in enumerate(zip(front["genomes"], front["F"], front["F_search"])):
        plan = full_eval.plan(g)
        bits = {f: np.concatenate([v[:, j] for v in plan.layers.values()]) for j, f in
                enumerate(("input_bits", "weight_bits", "adc_bits"))}
        row = {"point": k, "top1_pct": 100 * (1 - F[0]), "top1_search_pct": 100 * (1 - Fs[0]),
               "energy_nJ": F[1] * 1e9, "latency_us": F[2] * 1e6,
               **{f"mean_{f}": float(v.mean()) for f, v in bits.items()}}
        if verify:
            r = cimsim.simulate(arch, trace, samples=cost.samples, precision=plan)
            row["engine_energy_nJ"] = r.energy_J * 1e9
            row["engine_latency_us"] = r.latency_s * 1e6
            row["energy_err_pct"] = 100 * abs(F[1] - r.energy_J) / r.energy_J
            row["latency_err_pct"] = 100 * abs(F[2] - r.latency_s) / r.latency_s
        rows.append(row)
    return rows


def compare(spec, settings, rows, fronts, cost, full_eval, results, walls, t_setup, t_search, t_total, n_eval,
            n_test) -> dict:
    from cimsim.search.cim2pq import hypervolume, weakly_covers

    ch = spec["choices"]
    fp = np.stack([np.full(cost.n_arrays, len(ch[f]) - 1) for f in ("input_bits", "weight_bits", "adc_bits")], axis=1)
    F_full = full_eval(fp[None])[0]
    ref = np.array([1.0, 1.1 * F_full[1], 1.1 * F_full[2]])
    norm = np.array([1.0, F_full[1], F_full[2]])
    drop = float(spec.get("accuracy_drop", 1.0)) / 100
    out = {"name": spec["name"], "workload": spec["workload"], "arrays": cost.n_arrays,
           "layers": len(cost.layer_arrays),
           "budget": {"population": settings.population, "generations": settings.generations,
                      "evaluations": settings.budget(), "coarse_generations": settings.coarse_generations,
                      "layer_move": settings.layer_move, "seed": settings.seed},
           "eval_samples": n_eval, "test_samples": n_test,
           "full_precision": {"top1": {"value": 1 - F_full[0], "unit": "1"},
                              "energy": {"value": F_full[1], "unit": "J"}, "latency": {"value": F_full[2], "unit": "s"}},
           "hypervolume_reference": "(top-1 error 1, 1.1 x full-precision energy, 1.1 x full-precision latency), "
                                    "objectives normalised by the full-precision plan's",
           "wall": {"setup": {"value": t_setup, "unit": "s"}, "search": {"value": t_search, "unit": "s"},
                    "total": {"value": t_total, "unit": "s"},
                    "load_average_1min_at_end": {"value": _load(), "unit": "1"},
                    **{f"search_{g}": {"value": w, "unit": "s"} for g, w in walls.items()}}}
    for g, f in fronts.items():
        F = f["F"]
        ok = F[:, 0] <= F_full[0] + drop
        best = int(np.flatnonzero(ok)[np.argmin(F[ok, 1])]) if ok.any() else None
        errs = [max(r.get("energy_err_pct", 0), r.get("latency_err_pct", 0)) for r in rows[g]]
        out[g] = {"evaluations": results[g][0].evaluations, "front_points": int(len(F)),
                  "hypervolume": hypervolume(F / norm, ref / norm),
                  "best_within_drop": None if best is None else {
                      "point": best, "top1": {"value": 1 - F[best, 0], "unit": "1"},
                      "energy": {"value": F[best, 1], "unit": "J"}, "latency": {"value": F[best, 2], "unit": "s"}},
                  "max_estimate_error_pct": {"value": max(errs) if errs else 0.0, "unit": "%"},
                  "max_search_vs_full_top1_pct": {"value": float(100 * np.abs(f["F_search"][:, 0] - F[:, 0]).max()),
                                                  "unit": "%"},
                  "history": results[g][0].history}
    b = out["array"]["best_within_drop"]
    Fa = fronts["array"]["F"]
    out["best_plan"] = ({"point": b["point"], "rule": f"lowest energy within {100 * drop:g} points of full precision"}
                        if b is not None else
                        {"point": int(np.argmin(Fa[:, 0])) if len(Fa) else None,
                         "rule": f"no array-wise point within {100 * drop:g} points of full precision: the most "
                                 "accurate one"})
    cov = weakly_covers(fronts["array"]["F"], fronts["layer"]["F"])
    out["array_covers_layer"] = {"points_covered": int(cov.sum()), "of": int(len(cov)), "all": bool(cov.all())}
    return out


def write_outputs(spec, out_dir, rows, fronts, summary, full_eval, trace, arch) -> None:
    import csv
    import io
    import json

    from cimsim.report.files import atomic_write_json, atomic_write_text

    d = Path(out_dir or Path("out") / "search" / spec["name"])
    d.mkdir(parents=True, exist_ok=True)
    units = {"top1_pct": "top-1 [%]", "top1_search_pct": "top-1 on search images [%]", "energy_nJ": "energy [nJ]",
             "latency_us": "latency [us]", "engine_energy_nJ": "engine energy [nJ]",
             "engine_latency_us": "engine latency [us]", "energy_err_pct": "energy estimate error [%]",
             "latency_err_pct": "latency estimate error [%]"}
    for g, rs in rows.items():
        buf = io.StringIO()
        if rs:
            w = csv.writer(buf)
            keys = list(rs[0])
            w.writerow([units.get(k, k + (" [bit]" if k.startswith("mean_") else "")) for k in keys])
            for r in rs:
                w.writerow([f"{r[k]:.6g}" if isinstance(r[k], float) else r[k] for k in keys])
        atomic_write_text(d / f"front-{g}.csv", buf.getvalue())
    chosen = summary["best_plan"]["point"]
    if chosen is not None:
        plan = full_eval.plan(fronts["array"]["genomes"][chosen])
        atomic_write_json(d / "best-plan.json", {"workload": spec["workload"], "arch": arch.name,
                                                 "precision": plan.to_dict()})
        from cimsim.trace.format import with_precision

        with_precision(trace, plan).save(d / "best.cimtrace")
    atomic_write_json(d / "summary.json", summary)
    atomic_write_text(d / "table.txt", table_text(summary))
    plot_fronts(fronts, d / "pareto.png", spec["name"])
    print(table_text(summary))
    print(f"wrote {d}/")
    json.dumps(summary)  # summary is plain JSON


def _load() -> float:
    import os

    try:
        return float(os.getloadavg()[0])
    except OSError:
        return float("nan")


def table_text(s: dict) -> str:
    scoring = (f"all {s['test_samples']} test images" if s['eval_samples'] == s['test_samples'] else
               f"{s['eval_samples']} test images, fronts re-scored on all {s['test_samples']}")
    lines = [f"{s['name']}: {s['workload']}, {s['arrays']} arrays in {s['layers']} layers; search on {scoring}",
             f"full precision: top-1 {100 * s['full_precision']['top1']['value']:.2f} %, "
             f"{s['full_precision']['energy']['value'] * 1e9:.1f} nJ, "
             f"{s['full_precision']['latency']['value'] * 1e6:.1f} us per inference",
             f"{'search':<8} {'evals':>6} {'front':>6} {'hypervolume':>12} {'best top-1':>11} {'energy':>10} "
             f"{'latency':>10} {'est. err':>9} {'wall':>8}"]
    for g in ("array", "layer"):
        r = s[g]
        b = r["best_within_drop"]
        lines.append(f"{g + '-wise':<8} {r['evaluations']:>6} {r['front_points']:>6} {r['hypervolume']:>12.4f} "
                     + (f"{100 * b['top1']['value']:>9.2f} % {b['energy']['value'] * 1e9:>7.1f} nJ "
                        f"{b['latency']['value'] * 1e6:>7.1f} us" if b else f"{'-':>11} {'-':>10} {'-':>10}")
                     + f" {r['max_estimate_error_pct']['value']:>7.3f} % {s['wall']['search_' + g]['value']:>6.0f} s")
    c = s["array_covers_layer"]
    lines.append(f"exported plan: array-wise point {s['best_plan']['point']} ({s['best_plan']['rule']})")
    lines.append(f"array-wise front weakly dominates {c['points_covered']} of the layer-wise front's {c['of']} points")
    lines.append(f"wall: setup {s['wall']['setup']['value']:.0f} s, searches {s['wall']['search']['value']:.0f} s, "
                 f"total {s['wall']['total']['value']:.0f} s (load average "
                 f"{s['wall']['load_average_1min_at_end']['value']:.1f} at the end)")
    return "\n".join(lines) + "\n"


def plot_fronts(fronts: dict, out: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from cimsim.report.files import atomic_output

    fig, ax = plt.subplots(1, 2, figsize=(10, 4))
    for g, mk in (("array", "o"), ("layer", "s")):
        F = fronts[g]["F"]
        ax[0].scatter(F[:, 1] * 1e9, 100 * (1 - F[:, 0]), marker=mk, label=f"{g}-wise", alpha=0.7)
        ax[1].scatter(F[:, 2] * 1e6, 100 * (1 - F[:, 0]), marker=mk, label=f"{g}-wise", alpha=0.7)
    ax[0].set_xlabel("energy per inference [nJ]")
    ax[1].set_xlabel("latency per inference [us]")
    for a in ax:
        a.set_ylabel("top-1 [%]")
        a.legend()
        a.grid(alpha=0.3)
    fig.suptitle(f"{title}: Pareto fronts (array-wise vs layer-wise precision)")
    fig.tight_layout()
    with atomic_output(out) as fh:
        fig.savefig(fh, format="png", dpi=110)
    plt.close(fig)


def register(sub) -> None:
    p = sub.add_parser("search", help="CIM²PQ array-wise mixed-precision search vs a layer-wise baseline",
                       description="Search (input, weight, ADC) bits per array with NSGA-III (CIM²PQ) and, "
                                   "with the same budget, per layer; write both Pareto fronts, a plot, the "
                                   "best plan as a trace, and the comparison.")
    p.add_argument("file", help="search file (arch/studies/cim2pq/study-search.yaml)")
    p.add_argument("-o", "--out", help="output folder (default out/search/<name>)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=lambda a: (run_search_file(a.file, a.out, progress=not a.no_progress), 0)[1])
