"""Sweeps on a real Dask cluster: a scheduler and two workers started as separate processes on
127.0.0.1 (the `dask scheduler` / `dask worker` commands). Results equal the local run's bit
for bit; a worker killed mid-sweep loses no point and duplicates none."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("distributed")

from cimsim.studies import ResultsStore, run_sweep  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
ARCH = REPO / "arch" / "neurosim-rram-22nm.yaml"
DIGITS = REPO / "traces" / "cnn-digits.cimtrace"
DASK = Path(sys.executable).with_name("dask")


class Cluster:
    """A Dask scheduler and workers, each its own process (no nanny: a killed worker stays dead)."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.procs: list[subprocess.Popen] = []
        self.workers: dict[int, subprocess.Popen] = {}
        sched_file = tmp / "scheduler.json"
        env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
        self.env = env
        self.procs.append(self._start([str(DASK), "scheduler", "--host", "127.0.0.1", "--port", "0",
                                       "--no-dashboard", "--scheduler-file", str(sched_file)], "scheduler"))
        deadline = time.monotonic() + 60
        while not sched_file.is_file() and time.monotonic() < deadline:
            time.sleep(0.1)
        self.address = json.loads(sched_file.read_text())["address"]

    def _start(self, cmd, name):
        log = open(self.tmp / f"{name}.log", "w")
        return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=self.env, start_new_session=True)

    def add_workers(self, n: int) -> None:
        from distributed import Client

        for _ in range(n):
            i = len(self.workers)
            p = self._start([str(DASK), "worker", self.address, "--nthreads", "1", "--no-nanny", "--no-dashboard",
                             "--name", f"w{i}", "--local-directory", str(self.tmp / f"w{i}")], f"worker{i}")
            self.workers[p.pid] = p
            self.procs.append(p)
        with Client(self.address, timeout="30s") as c:
            c.wait_for_workers(len([p for p in self.workers.values() if p.poll() is None]), timeout=90)

    def close(self) -> None:
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    # Compile (or load) the Numba kernels here first, so that the workers load them from
    # Numba's cache instead of each compiling them at once.
    from cimsim.simulation import simulate
    from cimsim.trace import load

    simulate(str(ARCH), load(DIGITS), samples=1)
    c = Cluster(tmp_path_factory.mktemp("dask"))
    try:
        c.add_workers(2)
        yield c
    finally:
        c.close()


def sweep_file(tmp_path: Path, grid: str, name: str) -> Path:
    p = tmp_path / f"{name}.yaml"
    p.write_text(f"name: {name}\narch: {ARCH}\nset: {{chip.tiles.count: 1, chip.tiles.pes.count: 8}}\n"
                 f"grid:\n{grid}workloads: [{DIGITS}]\nsamples: 1\nreadouts: [arch, {{kind: adc, bits: 6}}]\n")
    return p


def rows(store: Path) -> dict[str, tuple]:
    con = sqlite3.connect(store)
    try:
        return {r[0]: r[1:] for r in con.execute("SELECT hash, status, result, error FROM points")}
    finally:
        con.close()


def test_dask_results_equal_local_bit_for_bit(cluster, tmp_path):
    f = sweep_file(tmp_path, "  chip.tiles.pes.arrays.readout.bits: [3, 5, 7]\n"
                             "  chip.tiles.pes.count: [1, 8]\n", "bitwise")  # 1 PE: does not fit, recorded
    local = run_sweep(f, out=tmp_path / "local", workers=1, progress=False)
    remote = run_sweep(f, out=tmp_path / "dask", scheduler=cluster.address, progress=False)
    assert remote.summary.backend.startswith("Dask") and remote.summary.workers == 2
    assert remote.summary.computed == local.summary.computed == 12
    a, b = rows(local.store), rows(remote.store)
    assert a == b
    assert sum(s == "error" for s, _, _ in a.values()) == 6 and sum(s == "done" for s, _, _ in a.values()) == 6
    assert (tmp_path / "dask" / "results.csv").read_bytes() != b""
    # Both workers took part; the CSV tables agree apart from who ran what and how long.
    drop = ["wall_s", "worker"]
    assert local.frame().drop(columns=drop).equals(remote.frame().drop(columns=drop))
    assert len({w for w in remote.frame()["worker"]}) == 2


def test_killed_worker_loses_nothing_and_duplicates_nothing(cluster, tmp_path):
    cluster.add_workers(1)  # three workers now; one of them is killed mid-sweep
    f = sweep_file(tmp_path, "  chip.tiles.pes.arrays.readout.bits: [3, 4, 5, 6, 7, 8]\n"
                             "  chip.number_format.weight_encoding: [twos_complement, offset]\n", "kill")
    killed: dict = {}

    def on_result(res, summary):
        if killed or summary.computed < 2:
            return
        pid = res["pid"]
        if pid in cluster.workers and summary.computed < summary.todo:
            os.kill(pid, signal.SIGKILL)  # the worker that just delivered: it has more queued
            cluster.workers[pid].wait(timeout=30)
            killed.update(pid=pid, at=summary.computed)

    r = run_sweep(f, out=tmp_path / "o", scheduler=cluster.address, progress=False, on_result=on_result)
    assert killed, "no worker was killed"
    n = 24
    assert r.summary.computed == n and r.summary.todo == n
    got = rows(r.store)
    assert len(got) == n and all(s == "done" for s, _, _ in got.values())
    with ResultsStore(r.store, readonly=True) as st:
        counts = st.evaluation_counts()
        workers = {w for (w,) in st.conn.execute("SELECT worker FROM points")}
    assert len(counts) == n and set(counts.values()) == {1}  # every point exactly once
    assert any(w.endswith(f":{killed['pid']}") for w in workers)  # it had done some before dying
    assert len(workers) >= 2
    # And the same results as without any failure.
    ref = run_sweep(f, out=tmp_path / "ref", workers=1, progress=False)
    assert rows(ref.store) == got
