"""Running sweeps locally: in this process and on a process pool (same bytes), failing points
recorded while the sweep goes on, resume after Ctrl-C without recomputing, --status."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cimsim.studies import ResultsStore, run_sweep
from cimsim.studies.spec import load_study

REPO = Path(__file__).resolve().parents[1]
ARCH = REPO / "arch" / "neurosim-rram-22nm.yaml"
DIGITS = REPO / "traces" / "cnn-digits.cimtrace"


def sweep_file(tmp_path: Path, grid: str, name: str = "s", extra: str = "") -> Path:
    p = tmp_path / f"{name}.yaml"
    p.write_text(f"name: {name}\narch: {ARCH}\nset: {{chip.tiles.count: 1, chip.tiles.pes.count: 8}}\n"
                 f"grid:\n{grid}workloads: [{DIGITS}]\nsamples: 1\n{extra}")
    return p


def results(store: Path) -> dict[str, tuple[str, str | None, str | None]]:
    con = sqlite3.connect(store)
    try:
        return {h: (s, r, e) for h, s, r, e in con.execute("SELECT hash, status, result, error FROM points")}
    finally:
        con.close()


GRID = ("  chip.tiles.pes.arrays.readout.bits: [3, 5, 7]\n"
        "  chip.number_format.weight_encoding: [twos_complement, offset]\n")


def test_pool_equals_this_process_bit_for_bit_and_rerun_skips(tmp_path):
    f = sweep_file(tmp_path, GRID)
    a = run_sweep(f, out=tmp_path / "a", workers=1, progress=False)
    b = run_sweep(f, out=tmp_path / "b", workers=2, progress=False)
    assert a.summary.computed == b.summary.computed == 6
    pids = {int(w.split(":")[1]) for w in b.summary.workers_seen}
    assert len(pids) == 2 and os.getpid() not in pids
    ra, rb = results(a.store), results(b.store)
    assert ra == rb and all(s == "done" for s, _, _ in ra.values())
    # Outputs: table with units, Pareto plot.
    assert (tmp_path / "a" / "results.csv").is_file()
    assert (tmp_path / "a" / "pareto-energy_per_inference-vs-latency.png").is_file()
    df = a.frame()
    assert len(df) == 6 and "TOPS_per_W [TOPS/W]" in df.columns
    # Same sweep again: nothing recomputed.
    again = run_sweep(f, out=tmp_path / "a", workers=1, progress=False)
    assert again.summary.computed == 0 and again.summary.skipped == 6
    with ResultsStore(a.store, readonly=True) as st:
        assert set(st.evaluation_counts().values()) == {1}


def test_failing_point_is_recorded_and_the_sweep_goes_on(tmp_path):
    # 1 PE (4 arrays) cannot hold the digits CNN: the mapper raises for that point only.
    f = sweep_file(tmp_path, "  chip.tiles.pes.count: [1, 8]\n  chip.tiles.pes.arrays.readout.bits: [4, 6]\n")
    r = run_sweep(f, out=tmp_path / "o", workers=1, progress=False)
    assert r.summary.computed == 4 and r.summary.errors == 2
    df = r.frame()
    bad = df[df["status"] == "error"]
    assert list(bad["chip.tiles.pes.count"]) == [1, 1]
    assert bad["error"].str.contains("does not fit").all()
    assert (df[df["status"] == "done"]["energy_per_inference [J]"] > 0).all()
    # Errors are results: not re-run unless asked.
    assert run_sweep(f, out=tmp_path / "o", workers=1, progress=False).summary.computed == 0
    assert run_sweep(f, out=tmp_path / "o", workers=1, progress=False, retry_errors=True).summary.computed == 2
    assert run_sweep(f, out=tmp_path / "o", workers=1, progress=False, resume=False).summary.computed == 4


def test_killed_pool_process_loses_nothing(tmp_path):
    f = sweep_file(tmp_path, GRID + "  chip.tiles.pes.arrays.bits_per_cell: [2, 4]\n", "poolkill")
    killed: dict = {}

    def on_result(res, summary):
        if not killed and summary.computed >= 2 and summary.computed < summary.todo:
            os.kill(res["pid"], signal.SIGKILL)  # a pool process dies; the pool breaks
            killed["pid"] = res["pid"]

    r = run_sweep(f, out=tmp_path / "o", workers=2, progress=False, on_result=on_result)
    assert killed and r.summary.lost >= 1
    assert r.summary.computed == 12 and all(s == "done" for s, _, _ in results(r.store).values())
    with ResultsStore(r.store, readonly=True) as st:
        counts = st.evaluation_counts()
    assert len(counts) == 12 and set(counts.values()) == {1}


def test_accuracy_metric_of_a_named_workload(tmp_path):
    pytest.importorskip("torch")
    p = tmp_path / "acc.yaml"
    p.write_text(f"name: acc\narch: {ARCH}\ngrid:\n  chip.tiles.pes.arrays.readout.bits: [2, 6]\n"
                 "workloads: [cnn-digits]\nsamples: 1\naccuracy: {samples: 40}\n"
                 "pareto: {x: TOPS_per_W, y: accuracy}\n")
    r = run_sweep(p, out=tmp_path / "o", workers=1, progress=False)
    df = r.frame()
    acc = list(df["accuracy [1]"])
    assert 0.0 <= acc[0] < acc[1] <= 1.0  # a 2-bit read-out hurts; 6 bits hardly
    assert (df["accuracy_float [1]"] > 0.8).all() and "sqnr [dB]" in df.columns
    assert (tmp_path / "o" / "pareto-accuracy-vs-TOPS_per_W.png").is_file()


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-c", "import sys; from cimsim.cli import main; sys.exit(main())", *args]


def test_interrupted_local_sweep_resumes_without_recomputing(tmp_path):
    grid = ("  chip.tiles.pes.arrays.readout.bits: [3, 4, 5, 6, 7, 8]\n"
            "  chip.number_format.weight_encoding: [twos_complement, offset, differential]\n"
            "  chip.tiles.pes.arrays.bits_per_cell: [2, 4]\n")
    f = sweep_file(tmp_path, grid, "big")
    n = load_study(f).size
    assert n == 36
    store = tmp_path / "o" / "results.sqlite"
    proc = subprocess.Popen(_cli("sweep", str(f), "-o", str(tmp_path / "o"), "-j", "2", "--no-progress"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    done = 0
    deadline = time.monotonic() + 600  # generous: a loaded machine starts the pool slowly
    while time.monotonic() < deadline and proc.poll() is None:
        if store.is_file():
            try:
                done = sqlite3.connect(store).execute("SELECT COUNT(*) FROM points WHERE status='done'").fetchone()[0]
            except sqlite3.OperationalError:
                done = 0
            if done >= 3:
                break
        time.sleep(0.02)
    assert proc.poll() is None, f"the sweep ended before it could be interrupted: {proc.communicate()}"
    proc.send_signal(signal.SIGINT)  # Ctrl-C
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "run the same command again to resume" in err and "Traceback" not in err
    first = {h for h, (s, _, _) in results(store).items() if s == "done"}
    assert 3 <= len(first) < n
    assert all(s == "pending" for h, (s, _, _) in results(store).items() if h not in first)

    status = subprocess.run(_cli("sweep", str(f), "-o", str(tmp_path / "o"), "--status"), capture_output=True,
                            text=True, cwd=tmp_path)
    assert f"{n} points: {len(first)} done, 0 raised, {n - len(first)} pending" in status.stdout

    r = run_sweep(f, out=tmp_path / "o", workers=1, progress=False)
    assert r.summary.skipped == len(first) and r.summary.computed == n - len(first)
    with ResultsStore(store, readonly=True) as st:
        counts = st.evaluation_counts()
    assert len(counts) == n and set(counts.values()) == {1}  # every point computed exactly once
    assert all(s == "done" for s, _, _ in results(store).values())
