"""The study/sweep core without running simulations: study files and their located errors,
point keys (hashes of resolved inputs), the results store, tables, Pareto fronts."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from cimsim.errors import CimsimError, SpecError
from cimsim.studies.pareto import pareto_mask, plot_pareto
from cimsim.studies.plan import plan_study, trace_hash
from cimsim.studies.spec import load_study, study_from_dict
from cimsim.studies.store import ResultsStore
from cimsim.studies.tables import metric_column, ratio_table, write_tables

REPO = Path(__file__).resolve().parents[1]
ARCH = REPO / "arch" / "neurosim-rram-22nm.yaml"
DIGITS = REPO / "traces" / "cnn-digits.cimtrace"


def write(tmp_path: Path, text: str, name: str = "study.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def study_text(extra: str = "", grid: str = "  chip.tiles.pes.arrays.readout.bits: [3, 4]\n") -> str:
    return (f"name: t\narch: {ARCH}\ngrid:\n{grid}workloads: [{DIGITS}]\nsamples: 1\n{extra}")


# -- study files --------------------------------------------------------------------------


def test_example_sweep_file_loads_and_plans():
    study = load_study(REPO / "arch" / "sweeps" / "adc-cells-encoding-vgg8.yaml")
    assert study.size == 54
    plan = plan_study(study)
    assert len(plan.points) == 54 and len(plan.unique_points) == 54
    assert all(p.error is None for p in plan.points)
    assert len(plan.traces) == 1 and len(plan.bases) == 1


def test_grid_variants_readouts_product(tmp_path):
    p = write(tmp_path, f"""name: prod
arch: {ARCH}
variants:
  - name: base
  - name: four
    set: {{chip.tiles.pes.arrays.readout.bits: 4}}
grid:
  chip.tiles.pes.arrays.bits_per_cell: [1, 2]
workloads: [{DIGITS}]
readouts: [arch, ideal, {{kind: adc, bits: 6}}]
dataflow: [layer, pipeline]
""")
    study = load_study(p)
    assert study.size == 2 * 2 * 3 * 2
    plan = plan_study(study)
    labels = [pt.label for pt in plan.points]
    assert len(set(labels)) == len(labels)
    assert labels[0] == "base bits_per_cell=1 arch layer"
    assert plan.points[0].params["chip.tiles.pes.arrays.bits_per_cell"] == 1


@pytest.mark.parametrize("body, pattern", [
    ("extra: 1\n", r"line 7: extra: unknown key 'extra'"),
    ("pareto: {x: latncy, y: energy}\n", r"line 7: pareto.x: unknown metric 'latncy' \(did you mean 'latency'\?\)"),
    ("readouts: [adcc]\n", r"line 7: readouts\[0\].kind: expected one of .*found 'adcc'"),
    ("samples: 0\n", r"line 6: samples: expected a positive integer"),
    ("dataflow: systolic\n", r"line 7: dataflow: expected one of \['layer', 'pipeline'\]; found 'systolic'"),
    ("quantizers: [8]\n", r"line 7: quantizers\[0\]: expected a recipe name"),
])
def test_located_errors(tmp_path, body, pattern):
    text = study_text(body)
    if body.startswith("samples"):
        text = text.replace("samples: 1\n", "")
    p = write(tmp_path, text)
    with pytest.raises(SpecError, match=pattern):
        load_study(p)


def test_errors_name_the_file_and_line(tmp_path):
    p = write(tmp_path, study_text(grid="  chip.tiles.pes.arrays.readout.bits: 3\n"))
    with pytest.raises(SpecError) as e:
        load_study(p)
    assert str(e.value).startswith(f"{p}, line 4: grid.chip.tiles.pes.arrays.readout.bits: expected a non-empty list")
    p = write(tmp_path, "name: t\narch: nowhere.yaml\nworkloads: [x]\n")
    with pytest.raises(SpecError, match=r"line 2: arch: no architecture file at .*nowhere.yaml"):
        load_study(p)
    p = write(tmp_path, f"name: t\narch: {ARCH}\n")
    with pytest.raises(SpecError, match="missing required key 'workloads'"):
        load_study(p)


def test_accuracy_needs_workloads_by_name(tmp_path):
    p = write(tmp_path, study_text("accuracy: true\n"))
    with pytest.raises(SpecError, match=r"line 7: accuracy: .*workloads must be given by name"):
        load_study(p)
    p = write(tmp_path, study_text("accuracy: {samples: 10, sed: 1}\n"))
    with pytest.raises(SpecError, match=r"accuracy.sed: unknown key 'sed' \(did you mean 'seed'\?\)"):
        load_study(p)
    # A named accuracy workload lifts the rule; trained read-outs belong to `cimsim study`.
    p = write(tmp_path, study_text("seed: 0\nrank_by: energy\naccuracy: {workload: cnn-digits, samples: 10}\n"))
    s = load_study(p)
    assert s.accuracy == {"workload": "cnn-digits", "samples": 10, "seed": 0} and s.rank_by == "energy"
    p = write(tmp_path, study_text("accuracy: {workload: cnn-digits, trained: {v: {levels: ternary}}}\n"))
    with pytest.raises(SpecError, match=r"line 7: accuracy.trained: .* run by `cimsim study`"):
        load_study(p)


def test_bad_override_value_points_at_the_study_line(tmp_path):
    # One grid value is invalid for the schema: that point is an error located in the study
    # file; the others resolve.
    p = write(tmp_path, study_text(grid="  chip.tiles.pes.arrays.readout.bits: [4, fast]\n"))
    plan = plan_study(load_study(p))
    ok, bad = plan.points
    assert ok.error is None and ok.task is not None
    assert bad.task is None and f"{p}, line 4" in bad.error and "readout.bits" in bad.error


def test_every_point_failing_is_an_error_of_the_file(tmp_path):
    p = write(tmp_path, study_text(grid="  chip.tiles.pes.arrays.readot.bits: [4, 5]\n"))
    with pytest.raises(SpecError, match=r"no point of the study resolves.*unknown key 'readot'"):
        plan_study(load_study(p))


def test_cli_error_is_one_paragraph_exit_2(tmp_path, capsys):
    from cimsim.cli import main

    p = write(tmp_path, study_text("metricz: [latency]\n"))
    assert main(["sweep", str(p)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err and "did you mean 'metrics'" in err


# -- point keys ---------------------------------------------------------------------------


def _hashes(tmp_path, grid: str, name="h.yaml") -> list[str]:
    p = write(tmp_path, study_text(grid=grid), name)
    return [pt.hash for pt in plan_study(load_study(p)).points]


def test_hash_is_of_resolved_inputs(tmp_path):
    # Units resolved: 1 GHz and 1000 MHz are one point; the default value equals no override.
    a = _hashes(tmp_path, "  chip.clock: [1 GHz, 1000 MHz, 500 MHz]\n")
    assert a[0] == a[1] != a[2]
    b = _hashes(tmp_path, "  chip.tiles.pes.arrays.readout.bits: [5, 4]\n", "b.yaml")
    c = _hashes(tmp_path, "  chip.tiles.pes.arrays.rows: [128]\n", "c.yaml")
    assert a[0] == c[0] == b[0]  # 5 bits and 128 rows are the file's own values
    assert b[1] not in a
    # Stable across runs (no randomness, no dict-order dependence).
    assert _hashes(tmp_path, "  chip.clock: [1 GHz, 1000 MHz, 500 MHz]\n", "d.yaml") == a


def test_hash_depends_on_trace_samples_readout(tmp_path):
    from cimsim.trace import load

    base = _hashes(tmp_path, "  chip.clock: [1 GHz]\n")[0]
    p = write(tmp_path, study_text(grid="  chip.clock: [1 GHz]\n").replace("samples: 1", "samples: 2"), "s.yaml")
    assert plan_study(load_study(p)).points[0].hash != base
    p = write(tmp_path, study_text("readouts: [ideal]\n", grid="  chip.clock: [1 GHz]\n"), "r.yaml")
    assert plan_study(load_study(p)).points[0].hash != base
    t = load(DIGITS)
    t.layers[0].weight.values.flat[0] ^= 1  # one weight code changed
    assert trace_hash(t) != trace_hash(load(DIGITS))


def test_trace_hash_in_memory_equals_saved(tmp_path):
    from cimsim.trace import load
    from cimsim.trace.synthetic import random_trace

    t = random_trace(3, samples=2)
    t.save(tmp_path / "r.cimtrace")
    assert trace_hash(t) == trace_hash(load(tmp_path / "r.cimtrace"))


def test_python_api_accepts_trace_objects():
    from cimsim.trace.synthetic import random_trace

    t = random_trace(1, samples=1)
    study = study_from_dict({"name": "api", "arch": str(ARCH), "workloads": [t],
                             "grid": {"chip.tiles.pes.arrays.readout.bits": [4, 6]}})
    plan = plan_study(study)
    assert [p.params["workload"] for p in plan.points] == ["random-1", "random-1"]
    assert plan.points[0].trace_key == trace_hash(t)


def test_quantizer_on_a_trace_file_is_refused(tmp_path):
    p = write(tmp_path, study_text("quantizers: [int4]\n"))
    with pytest.raises(SpecError, match=r"line 7: quantizer 'int4' cannot be applied .* already quantized with 'int8'"):
        plan_study(load_study(p))


# -- store, tables, Pareto ----------------------------------------------------------------


def _fake_result(h: str, e: float, lat: float) -> dict:
    return {"hash": h, "status": "done", "cimsim": "0", "worker": "w", "wall_s": 0.1,
            "result": {"summary": {"energy_per_inference": {"value": e, "unit": "J"}}},
            "metrics": [("latency", lat, "s"), ("energy_per_inference", e, "J"), ("TOPS_per_W", 1 / e, "TOPS/W")]}


def test_store_frame_units_and_ratio_table(tmp_path):
    p = write(tmp_path, study_text())
    plan = plan_study(load_study(p))
    path = tmp_path / "s.sqlite"
    with ResultsStore(path) as st:
        st.register(plan)
        assert set(st.statuses().values()) == {"pending"}
        st.record(_fake_result(plan.points[0].hash, 2.0, 1.0))
        st.record(_fake_result(plan.points[1].hash, 1.0, 3.0))
        df = st.frame("t")
    assert list(df["label"]) == ["bits=3", "bits=4"]
    assert metric_column(df, "energy") == "energy_per_inference [J]"
    assert list(df["latency [s]"]) == [1.0, 3.0]
    r = ratio_table(df, "bits=3", ["energy", "latency"])
    assert list(r["energy_per_inference [x baseline]"]) == [1.0, 0.5]
    files = write_tables(df, tmp_path / "out")
    assert files[0].name == "results.csv"
    header = files[0].read_text().splitlines()[0]
    assert "latency [s]" in header and "energy_per_inference [J]" in header
    # A plain SQLite file: no pickle, readable with the standard library.
    con = sqlite3.connect(path)
    assert con.execute("SELECT COUNT(*) FROM points WHERE status = 'done'").fetchone()[0] == 2
    assert json.loads(con.execute("SELECT result FROM points WHERE status='done' LIMIT 1").fetchone()[0])
    # Pareto plot of the two points: both non-dominated (one faster, one cheaper).
    out = plot_pareto(df, "latency", "energy", tmp_path / "out" / "p.png")
    assert out.read_bytes()[:4] == b"\x89PNG"


def test_ratio_table_against_a_baseline_variant(tmp_path):
    p = write(tmp_path, f"""name: v
arch: {ARCH}
variants: [ref, {{name: other, set: {{chip.clock: 500 MHz}}}}]
baseline: ref
grid:
  chip.tiles.pes.arrays.readout.bits: [3, 4]
workloads: [{DIGITS}]
""")
    plan = plan_study(load_study(p))
    with ResultsStore(tmp_path / "v.sqlite") as st:
        st.register(plan)
        for pt, e in zip(plan.points, [1.0, 2.0, 3.0, 8.0]):  # ref b3, ref b4, other b3, other b4
            st.record(_fake_result(pt.hash, e, 1.0))
        df = st.frame("v")
    r = ratio_table(df, "ref", ["energy"])
    assert list(r["energy_per_inference [x baseline]"]) == [1.0, 1.0, 3.0, 4.0]


def test_store_refuses_a_non_store_file(tmp_path):
    bad = tmp_path / "x.sqlite"
    bad.write_text("not a database")
    with pytest.raises(CimsimError, match="cannot be opened as a cimsim results store"):
        ResultsStore(bad)


def _brute_pareto(x, y, mx, my):
    a, b = (-x if mx else x), (-y if my else y)
    out = []
    for i in range(len(a)):
        if not (np.isfinite(a[i]) and np.isfinite(b[i])):
            out.append(False)
            continue
        dom = any(np.isfinite(a[j]) and np.isfinite(b[j]) and a[j] <= a[i] and b[j] <= b[i]
                  and (a[j] < a[i] or b[j] < b[i]) for j in range(len(a)))
        out.append(not dom)
    return np.array(out)


@pytest.mark.parametrize("seed", range(6))
def test_pareto_mask_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    n = 60
    x = rng.integers(0, 8, n).astype(float)  # many ties
    y = rng.integers(0, 8, n).astype(float)
    x[rng.integers(0, n, 3)] = np.nan
    for mx in (False, True):
        for my in (False, True):
            assert np.array_equal(pareto_mask(x, y, mx, my), _brute_pareto(x, y, mx, my))


def test_metric_names_and_directions():
    from cimsim.studies.metrics import canonical, check_metric_name, higher_is_better

    assert canonical("energy") == "energy_per_inference" and canonical("tops_per_w") == "TOPS_per_W"
    assert higher_is_better("TOPS_per_W") and not higher_is_better("latency")
    assert check_metric_name("energy.array.adc") is None
    assert re.search("did you mean 'latency'", check_metric_name("latenc"))


def test_hash_depends_on_the_code(tmp_path, monkeypatch):
    """A results store never serves a point computed by other code: the point hash includes a
    fingerprint of cimsim's source files (and the version), which changes with any edit."""
    import hashlib

    import cimsim
    import cimsim.studies.plan as plan_mod
    from cimsim.studies.version import code_version

    root = Path(cimsim.__file__).resolve().parent
    h = hashlib.sha256()
    for f in sorted(root.rglob("*.py")):
        h.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes())
    assert code_version() == f"{cimsim.__version__}+{h.hexdigest()[:12]}"
    base = _hashes(tmp_path, "  chip.clock: [1 GHz]\n")[0]
    monkeypatch.setattr(plan_mod, "code_version", lambda: code_version() + "-edited")
    assert _hashes(tmp_path, "  chip.clock: [1 GHz]\n", "e.yaml")[0] != base
