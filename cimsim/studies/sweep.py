"""The study/sweep API: plan, run (resumable), and write the table and Pareto plots.

    from cimsim.studies import run_sweep
    res = run_sweep("arch/sweeps/adc-cells-encoding-vgg8.yaml", workers=2)   # or scheduler="tcp://host:8786"
    df = res.frame()          # pandas: one row per point, metric columns "name [unit]"

Outputs go to ``out/sweeps/<name>/`` unless told otherwise: ``results.sqlite`` (the store),
``results.csv`` (``results.parquet`` with pyarrow) and ``pareto-<y>-vs-<x>.png`` per pair.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cimsim.studies.execute import RunSummary, run_plan
from cimsim.studies.plan import Plan, plan_study
from cimsim.studies.spec import StudySpec, load_study, study_from_dict
from cimsim.studies.store import ResultsStore

DEFAULT_PARETO = ("latency", "energy_per_inference")


def as_study(study: StudySpec | str | Path | dict, base_dir: str | Path = ".") -> StudySpec:
    if isinstance(study, StudySpec):
        return study
    if isinstance(study, dict):
        return study_from_dict(study, base_dir=base_dir)
    return load_study(study)


def default_out(study: StudySpec) -> Path:
    return Path("out") / "sweeps" / study.name


def store_path(study: StudySpec, out: str | Path | None = None, store: str | Path | None = None) -> Path:
    if store is not None:
        return Path(store)
    if study.store is not None:
        return Path(study.store)
    return Path(out or default_out(study)) / "results.sqlite"


@dataclass
class SweepResult:
    study: StudySpec
    plan: Plan
    store: Path
    out: Path
    summary: RunSummary
    files: list[Path] = field(default_factory=list)

    def frame(self):
        with ResultsStore(self.store, readonly=True) as st:
            return st.frame(self.study.name)


def run_sweep(study: StudySpec | str | Path | dict, *, store: str | Path | None = None, out: str | Path | None = None,
              workers: int | None = None, scheduler: str | None = None, dask: bool = False, resume: bool = True,
              retry_errors: bool = False, progress: bool | None = None, on_result=None,
              pareto: list[tuple[str, str]] | None = None, outputs: bool = True) -> SweepResult:
    """Plan ``study``, run every point not already in the store, write the outputs."""
    study = as_study(study)
    out_dir = Path(out or default_out(study))
    spath = store_path(study, out_dir, store)
    plan = plan_study(study)
    with ResultsStore(spath) as st:
        summary = run_plan(plan, st, workers=workers, scheduler=scheduler, dask=dask, resume=resume,
                           retry_errors=retry_errors, progress=progress, on_result=on_result)
        files = write_outputs(st, study, out_dir, pareto) if outputs else []
    return SweepResult(study, plan, spath, out_dir, summary, files)


def write_outputs(st: ResultsStore, study: StudySpec, out_dir: str | Path,
                  pareto: list[tuple[str, str]] | None = None) -> list[Path]:
    """The results table and one Pareto plot per metric pair (of finished points)."""
    from cimsim.studies.pareto import plot_pareto
    from cimsim.studies.tables import write_tables

    df = st.frame(study.name)
    files = write_tables(df, out_dir)
    done = df[df["status"] == "done"]
    if len(done):
        for x, y in pareto_pairs(study, pareto):
            files.append(plot_pareto(done, x, y, Path(out_dir) / f"pareto-{_slug(y)}-vs-{_slug(x)}.png",
                                     title=f"{study.name}: {y} vs {x}"))
    return files


def pareto_pairs(study: StudySpec, pareto: list[tuple[str, str]] | None = None) -> list[tuple[str, str]]:
    """``pareto`` if given (``[]``: no plot), else the study file's pairs, else latency vs energy."""
    if pareto is not None:
        return list(pareto)
    return list(study.pareto or [DEFAULT_PARETO])


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)


def status(study: StudySpec, store: str | Path) -> dict[str, Any]:
    """Progress of ``study`` in ``store`` (no resolution, so it is instant)."""
    out: dict[str, Any] = {"study": study.name, "store": str(store), "points": study.size,
                           "done": 0, "error": 0, "pending": study.size, "errors": [], "registered": False}
    if not Path(store).is_file():
        return out
    with ResultsStore(store, readonly=True) as st:
        if study.name not in st.studies():
            return out
        counts = st.study_counts(study.name)
        out.update(counts, registered=True, errors=st.errors(study.name))
        out["points"] = sum(counts.values())
        row = st.conn.execute(
            "SELECT COUNT(*), SUM(e.wall_s), MIN(e.finished), MAX(e.finished) FROM evaluations e "
            "WHERE e.hash IN (SELECT hash FROM study_points WHERE study = ?)", (study.name,)).fetchone()
        out["evaluations"], out["cpu_s"], out["first"], out["last"] = row
    return out
