"""Studies and sweeps: many simulations described by one file, run resumably, compared.

* :mod:`~cimsim.studies.spec`: the study/sweep file (variants, grid, workloads, quantizers,
  read-outs, metrics), located errors;
* :mod:`~cimsim.studies.plan`: every point resolved and keyed by the hash of its inputs;
* :mod:`~cimsim.studies.store`: the SQLite results store, point by point;
* :mod:`~cimsim.studies.execute`: this process, a local process pool, or a Dask cluster;
* :mod:`~cimsim.studies.tables`, :mod:`~cimsim.studies.pareto`: CSV/Parquet, ratio
  tables, Pareto fronts and plots;
* :mod:`~cimsim.studies.sweep`: :func:`run_sweep`, the API behind ``cimsim sweep``.
"""

from cimsim.studies.spec import StudySpec, load_study, study_from_dict  # noqa: F401


def __getattr__(name):
    if name in ("run_sweep", "SweepResult", "write_outputs", "status"):
        from cimsim.studies import sweep

        return getattr(sweep, name)
    if name in ("plan_study", "trace_hash", "Plan", "Point"):
        from cimsim.studies import plan

        return getattr(plan, name)
    if name == "ResultsStore":
        from cimsim.studies.store import ResultsStore

        return ResultsStore
    raise AttributeError(f"module 'cimsim.studies' has no attribute {name!r}")
