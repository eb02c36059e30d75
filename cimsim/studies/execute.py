"""Running a plan's points: in this process, on a local process pool, or on a Dask cluster.

cimsim does not schedule across machines itself; given a Dask scheduler address it submits
each point as a task and lets Dask place, balance and re-run them. Either way:

* the traces and base architecture documents a run needs go to each worker once (the pool's
  initializer; ``Client.scatter(..., broadcast=True)`` on Dask), and each task carries only
  its point's overrides, read-out, dataflow and sample count;
* every result is written to the results store by this process as soon as it arrives, so
  Ctrl-C, a killed worker or a lost connection loses only unfinished points;
* a point whose simulation raises is recorded with its error and the run goes on; a point
  lost with its worker is run again (up to ``max_attempts`` times), else left pending for
  the next run.
"""

from __future__ import annotations

import os
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable

from cimsim.studies.version import code_version
from cimsim.errors import CimsimError
from cimsim.studies.evaluate import evaluate, pool_evaluate, pool_init


@dataclass
class RunSummary:
    study: str
    points: int             # listed in the study
    unique: int             # distinct point keys
    todo: int               # to compute in this run
    skipped: int            # already finished in the store
    computed: int = 0       # results received and stored in this run
    errors: int = 0         # of those, points whose simulation raised
    lost: int = 0           # worker losses (points re-run or left pending)
    interrupted: bool = False
    wall_s: float = 0.0
    backend: str = ""
    workers: int = 0
    workers_seen: set = field(default_factory=set)  # "host:pid" of each worker that delivered

    @property
    def points_per_s(self) -> float:
        return self.computed / self.wall_s if self.wall_s else 0.0

    def text(self) -> str:
        s = (f"{self.study}: {self.points} points ({self.unique} distinct); {self.skipped} already in the store, "
             f"{self.computed} computed in {self.wall_s:.1f} s ({self.points_per_s:.3g} points/s, {self.backend})")
        if self.errors:
            s += f"; {self.errors} raised (recorded)"
        if self.lost:
            s += f"; {self.lost} lost with a worker and re-run"
        left = self.todo - self.computed
        if left > 0:
            s += f"; {left} not finished (run again to resume)"
        return s


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def select_todo(plan, store, *, resume: bool = True, retry_errors: bool = False) -> list:
    statuses = store.statuses()
    todo = []
    for p in plan.unique_points:
        if p.task is None:
            continue  # could not be resolved; recorded as an error by register()
        st = statuses.get(p.hash, "pending")
        if resume and (st == "done" or (st == "error" and not retry_errors)):
            continue
        todo.append(p)
    return todo


def _progress_bar(total: int, desc: str, enabled: bool | None):
    if enabled is False or total == 0:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc=desc, unit="point", dynamic_ncols=True, disable=None if enabled is None else False,
                file=sys.stderr)


def run_plan(plan, store, *, workers: int | None = None, scheduler: str | None = None, dask: bool = False,
             resume: bool = True, retry_errors: bool = False, progress: bool | None = None,
             on_result: Callable[[dict, RunSummary], None] | None = None, max_attempts: int = 3) -> RunSummary:
    """Compute the points of ``plan`` not yet finished in ``store`` (see the module docstring).

    ``workers``: local processes (default: one per core; 1 runs in this process).
    ``scheduler``: a Dask scheduler address (``tcp://host:port``); ``dask=True`` without an
    address uses ``$DASK_SCHEDULER_ADDRESS`` if set, else starts a local Dask cluster of
    ``workers`` single-threaded processes. ``on_result(result, summary)`` is called after each
    result is stored.
    """
    store.register(plan)
    todo = select_todo(plan, store, resume=resume, retry_errors=retry_errors)
    summary = RunSummary(study=plan.study.name, points=len(plan.points), unique=len(plan.unique_points),
                         todo=len(todo), skipped=len(plan.unique_points) - len(todo))
    if not todo:
        summary.backend = "nothing to do"
        return summary
    bar = _progress_bar(len(todo), plan.study.name, progress)

    def deliver(res: dict) -> None:
        if res.get("cimsim") != code_version():
            res = {**res, "status": "error", "result": None, "metrics": [],
                   "error": f"worker {res.get('worker')} runs cimsim {res.get('cimsim')}, this client "
                            f"{code_version()}; install the same cimsim (same source) on every worker"}
        store.record(res)
        summary.computed += 1
        summary.errors += res["status"] == "error"
        summary.workers_seen.add(res.get("worker"))
        if bar is not None:
            bar.update(1)
            if summary.errors:
                bar.set_postfix_str(f"{summary.errors} raised")
        if on_result is not None:
            on_result(res, summary)

    t0 = time.perf_counter()
    try:
        if scheduler or dask:
            _run_dask(plan, todo, deliver, summary, scheduler, workers, max_attempts)
        elif (workers or default_workers()) == 1:
            summary.backend, summary.workers = "this process", 1
            for p in todo:
                deliver(evaluate(p.task, plan.traces[p.trace_key], plan.bases[p.base_key], set_threads=False))
        else:
            _run_pool(plan, todo, deliver, summary, workers or default_workers(), max_attempts)
    except KeyboardInterrupt:
        summary.interrupted = True
        raise
    finally:
        summary.wall_s = time.perf_counter() - t0
        if bar is not None:
            bar.close()
    return summary


# ---------------------------------------------------------------------------------------
# Local process pool


def _run_pool(plan, todo, deliver, summary: RunSummary, workers: int, max_attempts: int) -> None:
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    workers = min(workers, len(todo))
    summary.backend, summary.workers = f"{workers} local processes", workers
    cores = default_workers()
    threads = max(1, cores // workers)
    traces = {p.trace_key: plan.traces[p.trace_key] for p in todo}
    bases = {p.base_key: plan.bases[p.base_key] for p in todo}
    ctx = multiprocessing.get_context("spawn")  # fork is unsafe once Numba's threads exist
    pending = deque(todo)
    attempts: dict[str, int] = {}
    window = 2 * workers
    while pending:
        ex = ProcessPoolExecutor(workers, mp_context=ctx, initializer=pool_init, initargs=(traces, bases, threads))
        inflight: dict[Any, Any] = {}
        broken = False
        try:
            while pending or inflight:
                while pending and len(inflight) < window and not broken:
                    p = pending.popleft()
                    try:
                        inflight[ex.submit(pool_evaluate, p.task, p.trace_key, p.base_key)] = p
                    except BrokenProcessPool:  # a process died since the last result: not run
                        pending.appendleft(p)
                        broken = True
                if not inflight:
                    break
                done, _ = wait(list(inflight), return_when=FIRST_COMPLETED)
                for f in done:
                    p = inflight.pop(f)
                    try:
                        res = f.result()
                    except BrokenProcessPool:
                        broken = True
                        summary.lost += 1
                        attempts[p.hash] = attempts.get(p.hash, 0) + 1
                        if attempts[p.hash] < max_attempts:
                            pending.appendleft(p)
                        continue
                    deliver(res)
        except BaseException:
            _terminate(ex)
            raise
        if broken:
            _terminate(ex)
        else:
            ex.shutdown(wait=True)


def _terminate(ex) -> None:
    for proc in list(getattr(ex, "_processes", {}).values()):
        try:
            proc.terminate()
        except Exception:
            pass
    ex.shutdown(wait=False, cancel_futures=True)


# ---------------------------------------------------------------------------------------
# Dask distributed


def _client(scheduler: str | None, workers: int | None):
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise CimsimError("a Dask sweep needs dask's distributed package: pip install 'cimsim[sweep]' "
                          "(dask, distributed, pandas)") from None
    import dask

    address = scheduler or dask.config.get("scheduler-address", None)
    if address:
        try:
            return Client(address, timeout="20s"), None, address
        except (OSError, TimeoutError) as exc:
            raise CimsimError(f"--scheduler {address}: cannot connect to a Dask scheduler there ({exc}); expected "
                              f"the address a running `dask scheduler` prints, e.g. tcp://10.0.0.5:8786.") from None
    cluster = LocalCluster(n_workers=workers or default_workers(), threads_per_worker=1, processes=True,
                           dashboard_address=None)
    return Client(cluster), cluster, "local Dask cluster"


def _run_dask(plan, todo, deliver, summary: RunSummary, scheduler, workers, max_attempts: int) -> None:
    from distributed import as_completed

    client, cluster, where = _client(scheduler, workers)
    futures: dict[Any, Any] = {}
    try:
        client.wait_for_workers(1, timeout=120)
        summary.workers = len(client.scheduler_info()["workers"])
        summary.backend = f"Dask at {where}, {summary.workers} workers"
        shipped: dict[str, Any] = {}

        def data(key: str, obj) -> Any:
            fut = shipped.get(key)
            if fut is None or fut.status != "finished":  # first use, or every holder was lost
                fut = client.scatter(obj, broadcast=True, hash=False)
                shipped[key] = fut
            return fut

        attempts: dict[str, int] = {}

        def submit(p):
            n = attempts.get(p.hash, 0)
            fut = client.submit(evaluate, p.task, data(p.trace_key, plan.traces[p.trace_key]),
                                data(p.base_key, plan.bases[p.base_key]), key=f"cimsim-point-{p.hash[:24]}-{n}",
                                pure=False)
            futures[fut] = p
            return fut

        ac = as_completed([submit(p) for p in todo])
        for fut in ac:
            p = futures.pop(fut)
            try:
                res = fut.result()
            except Exception:  # KilledWorker, lost scattered data, cancelled: not the point's fault
                summary.lost += 1
                attempts[p.hash] = attempts.get(p.hash, 0) + 1
                if attempts[p.hash] < max_attempts:
                    ac.add(submit(p))
                continue
            finally:
                fut.release()
            deliver(res)
    finally:
        if futures:
            try:
                client.cancel(list(futures))
            except Exception:
                pass
        client.close()
        if cluster is not None:
            cluster.close()
