"""`cimsim study`: the shipped paper studies run end to end, every point's energy is the sum of
its components, each study's ranking is stable across two seeds, and bad files fail clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from cimsim.errors import SpecError
from cimsim.studies.study import load_study_file, run_study

ROOT = Path(__file__).resolve().parents[1]
STUDIES = {"hcim": ROOT / "arch/studies/hcim/study.yaml", "bfp-cim": ROOT / "arch/studies/bfp-cim/study.yaml",
           "huang-todaes22": ROOT / "arch/studies/huang-todaes22/study.yaml",
           "sun": ROOT / "arch/studies/sun/study.yaml"}
HUANG_SUBSET = ("differential-c1-full", "differential-c1-reduced", "twos_complement-c2-full",
                "twos_complement-c2-reduced", "offset-c4-full", "offset-c4-reduced")


def cut_study(path: Path, variants, out: Path, **updates) -> Path:
    """A shipped study file cut to fit the test budget: only ``variants``, the arch path made
    absolute, keys replaced by ``updates``, no accuracy runs; written to ``out``."""
    import yaml

    d = yaml.safe_load(path.read_text())
    d["arch"] = str((path.parent / d["arch"]).resolve())
    d["variants"] = [v for v in d["variants"] if v["name"] in variants]
    d.update(updates)
    d.pop("accuracy", None)
    out.write_text(yaml.safe_dump(d))
    return out


def _huang_small(tmp) -> Path:
    """The Huang et al. study cut to fit the test budget: six of its variants, dynamic fixed
    point, on the digits CNN instead of VGG-8 (the full study simulates VGG-8)."""
    return cut_study(STUDIES["huang-todaes22"], HUANG_SUBSET, Path(tmp) / "huang-small.yaml", quantizers=["dfp8"],
                     workloads=["cnn-digits"], samples=8, fidelity=None)


def _sun_small(tmp) -> Path:
    """The SUN study on the digits CNN (same recipe) with 32-column macros, so that pairing
    frees arrays in a network this small (the full study simulates VGG-8)."""
    import yaml

    d = yaml.safe_load(STUDIES["sun"].read_text())
    for v in d["variants"]:
        v["arch"] = str((STUDIES["sun"].parent / v["arch"]).resolve())
    d.update(workloads=["cnn-digits"], samples=4, set={"chip.tiles.pes.arrays.columns": 32})
    d.pop("accuracy", None)
    f = Path(tmp) / "sun-small.yaml"
    f.write_text(yaml.safe_dump(d))
    return f


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Each shipped study at seeds 0 and 1 (simulation only; accuracy is tested below)."""
    out = {}
    for name, f in STUDIES.items():
        if name == "huang-todaes22":
            f = _huang_small(tmp_path_factory.mktemp("huang"))
        if name == "sun":
            f = _sun_small(tmp_path_factory.mktemp("sun"))
        for seed in (0, 1):
            d = tmp_path_factory.mktemp(f"{name}-s{seed}")
            out[(name, seed)] = run_study(f, out=d, workers=1, seed=seed, accuracy=False, progress=False)
    return out


@pytest.mark.parametrize("name", sorted(STUDIES))
def test_every_point_energy_is_the_sum_of_its_components(runs, name):
    for seed in (0, 1):
        res = runs[(name, seed)]
        assert res.rows and all(r["status"] == "done" for r in res.rows)
        for r in res.rows:
            total = r["energy_per_inference"]["value"]
            parts = sum(q["value"] for q in r["energy_by_component"].values())
            assert parts == pytest.approx(total, rel=1e-9)
            assert all(q["unit"] == "J" for q in r["energy_by_component"].values())
            assert abs(r["energy_components_sum_check"]["value"]) < 1e-9


@pytest.mark.parametrize("name", sorted(STUDIES))
def test_ranking_is_stable_across_two_seeds(runs, name):
    r0, r1 = runs[(name, 0)], runs[(name, 1)]
    assert len(r0.ranking) == len(r0.rows) and r0.ranking == r1.ranking


def test_sun_pairing_needs_fewer_arrays_and_cycles(runs):
    rows = {r["variant"]: r for r in runs[("sun", 0)].rows}
    u, m, p = rows["uniform8"], rows["mixed"], rows["paired"]
    assert m["latency"]["value"] == u["latency"]["value"] > p["latency"]["value"]
    assert p["energy_by_component"]["array.adc"]["value"] < u["energy_by_component"]["array.adc"]["value"]


def test_study_outputs_and_table(runs):
    res = runs[("hcim", 0)]
    names = {f.name for f in res.files}
    assert {"study.json", "study.csv", "table.txt", "study.png", "results.csv"} <= names
    assert "ratios against adc7-neurosim" in res.text and "array.dcim" in res.text
    base = next(r for r in res.rows if r["variant"] == "adc7-neurosim")
    assert base["energy_per_inference_vs_baseline"]["value"] == 1.0
    for r in res.rows:  # ADC-less variants: no ADC energy or area at all
        if r["variant"] in ("ternary", "binary"):
            assert not any("adc" in k for k in r["energy_by_component"])
            assert not any("adc" in k for k in r["area_by_component"])
            assert r["energy_by_component"]["array.dcim"]["value"] > 0


def test_study_file_errors_name_the_key(tmp_path):
    f = tmp_path / "study.yaml"
    f.write_text(f"name: x\narch: {ROOT}/arch/studies/hcim/adc7.yaml\nworkloads: [cnn-digits]\n"
                 "accuracy: {workload: cnn-digits, trainde: {}}\n")
    with pytest.raises(SpecError, match=r"line 4.*accuracy\.trainde.*unknown key.*trained"):
        load_study_file(f)
    f.write_text(f"name: x\narch: {ROOT}/arch/studies/hcim/adc7.yaml\nworkloads: [cnn-digits]\n"
                 "accuracy: {workload: cnn-digits, trained: {nope: {levels: ternary}}}\n")
    with pytest.raises(SpecError, match="accuracy.trained.nope.*name of a variant"):
        load_study_file(f)
    f.write_text(f"name: x\narch: {ROOT}/arch/studies/hcim/adc7.yaml\nworkloads: [cnn-digits]\nrank_by: speed\n")
    with pytest.raises(SpecError, match="rank_by.*unknown metric"):
        load_study_file(f)
