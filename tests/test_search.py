"""CIM²PQ array-wise precision: plans, the planned functional pass, the vectorised cost
estimate against the engine, trace format 1.1, and the NSGA-III search (reproducible,
non-dominated fronts). The full study (array-wise vs layer-wise fronts) runs with
CIMSIM_SLOW_TESTS=1."""

from __future__ import annotations

import os

import numpy as np
import pytest

import cimsim
from cimsim import load_trace
from cimsim.architecture import load_architecture
from cimsim.errors import CimsimError
from cimsim.kernels.layer import simulate_layer
from cimsim.kernels.planned import simulate_layer_planned
from cimsim.kernels.readout import Ideal, MinMaxADC
from cimsim.mapping.mapper import centred_weight_matrix, map_network
from cimsim.mapping.precision import PrecisionPlan, array_keys, round_to_bits

ARCH = "arch/studies/cim2pq/adc7.yaml"
CHOICES = {"input_bits": [4, 8], "weight_bits": [2, 8], "adc_bits": [3, 5, 7]}


@pytest.fixture(scope="module")
def setup():
    arch = load_architecture(ARCH)
    trace = load_trace("traces/cnn-digits.cimtrace")
    return arch, trace, map_network(trace, arch)


def test_round_to_bits_hand_worked():
    q, s = round_to_bits(np.array([0, 7, 8, 23, 24, 127, 128, 255]), 8, 4, False)
    assert s == 4 and q.tolist() == [0, 0, 1, 1, 2, 8, 8, 15]      # floor(v/16 + 1/2), clamped to 15
    q, s = round_to_bits(np.array([-128, -9, -8, 7, 8, 127]), 8, 4, True)
    assert s == 4 and q.tolist() == [-8, -1, 0, 0, 1, 7]
    q, s = round_to_bits(np.array([3, 200]), 8, 8, False)
    assert s == 0 and q.tolist() == [3, 200]


def test_full_precision_plan_equals_plain_functional_pass(setup):
    arch, trace, nm = setup
    plan = PrecisionPlan.uniform(nm, 8, 8, 7)
    for layer, lm in zip(trace.layers, nm.layers):
        for ro in (Ideal(), MinMaxADC(bits=7, granularity="array")):
            a = simulate_layer(layer, lm, arch, ro, samples=slice(0, 3))
            b = simulate_layer_planned(layer, lm, arch, plan.layer(layer.name), ro, samples=slice(0, 3))
            np.testing.assert_allclose(b.int_output, a.int_output, rtol=0, atol=1e-6)
            act_a, act_b = a.activity(), b.activity()
            assert {k: v for k, v in act_b.items() if k != "resolved_bits"} == \
                   {k: v for k, v in act_a.items() if k != "resolved_bits"}
            assert act_b["resolved_bits"] == act_b["conversions"] * 7     # priced at the plan's 7 bits


def test_lossless_planned_pass_equals_rounded_integer_matmul(setup):
    """Ideal read-out, 4-bit weights and 3-bit inputs on fc1 (2 row tiles, 3 column tiles):
    the output is sum over rows of (x rounded, scaled) x (w rounded, scaled), exactly, and the
    low-order slices and cycles are dropped (fewer conversions and reads)."""
    arch, trace, nm = setup
    layer, lm = trace.layers[3], nm.layers[3]
    assert layer.kind == "linear" and lm.arrays > 2
    n = len(array_keys(lm))
    plan = np.tile([3, 4, 7], (n, 1))
    r = simulate_layer_planned(layer, lm, arch, plan, Ideal(), samples=slice(0, 2))
    x = layer.input.values[:2].astype(np.int64).reshape(2, -1)
    w = centred_weight_matrix(layer).astype(np.int64)
    xq, sx = round_to_bits(x, layer.input.bits, 3, layer.input.signed)
    wq, sw = round_to_bits(w, lm.weight_bits, 4, True)
    expect = (xq << sx) @ (wq << sw)
    np.testing.assert_array_equal(r.int_output.astype(np.int64), expect)
    full = simulate_layer_planned(layer, lm, arch, np.tile([8, 8, 7], (n, 1)), Ideal(), samples=slice(0, 2))
    assert r.activity()["reads"] * 8 == full.activity()["reads"] * 3
    assert r.activity()["conversions"] < full.activity()["conversions"]


def test_plan_errors_name_layer_and_array(setup):
    arch, trace, nm = setup
    bad = PrecisionPlan.uniform(nm, 8, 8, 7)
    bad.layers["conv2"][1, 2] = 9
    with pytest.raises(CimsimError, match=r"conv2'.*array 1.*adc_bits must be in 1\.\.7; found 9"):
        bad.check(trace, nm, 7)
    short = PrecisionPlan.uniform(nm, 8, 8, 7)
    short.layers["conv3"] = short.layers["conv3"][:2]
    with pytest.raises(CimsimError, match="conv3' has 9 arrays; the plan gives 2"):
        cimsim.simulate(arch, trace, samples=1, precision=short)


@pytest.fixture(scope="module")
def cost(setup):
    from cimsim.search.cost import CostModel

    arch, trace, _ = setup
    return CostModel(arch, trace, CHOICES, samples=2)


def _plan(cost, genome):
    names = [lm.name for lm in cost.mapping.layers]
    vals = np.stack([np.asarray(CHOICES[f])[genome[:, k]] for k, f in
                     enumerate(("input_bits", "weight_bits", "adc_bits"))], axis=1)
    return PrecisionPlan({n: vals[a] for n, a in zip(names, cost.layer_arrays)})


def test_cost_estimate_agrees_with_engine(setup, cost):
    """The vectorised estimate against cimsim.simulate (functional pass, simpy timing,
    energy accounting) on random array-wise plans and the full-precision plan: within 5 %
    (in fact equal to rounding)."""
    arch, trace, _ = setup
    rng = np.random.default_rng(3)
    genomes = np.stack([rng.integers(0, len(CHOICES[f]), (3, cost.n_arrays)) for f in
                        ("input_bits", "weight_bits", "adc_bits")], axis=2)
    genomes[0] = [len(CHOICES[f]) - 1 for f in ("input_bits", "weight_bits", "adc_bits")]
    E, L = cost.evaluate(genomes)
    for g, e, t in zip(genomes, E, L):
        r = cimsim.simulate(arch, trace, samples=cost.samples, precision=_plan(cost, g))
        assert e == pytest.approx(r.energy_J, rel=0.05)
        assert t == pytest.approx(r.latency_s, rel=0.05)
    plain = cimsim.simulate(arch, trace, samples=cost.samples)       # full precision = no plan
    assert E[0] == pytest.approx(plain.energy_J, rel=1e-9) and L[0] == pytest.approx(plain.latency_s, rel=1e-9)
    # fewer bits everywhere: strictly less energy and latency
    low = np.zeros_like(genomes[0])
    e_low, t_low = cost.evaluate(low[None])
    assert e_low[0] < E[0] and t_low[0] < L[0]


def test_trace_carries_plan_format_1_1(setup, tmp_path):
    from cimsim.trace.format import FORMAT_VERSION, precision_plan, with_precision

    arch, trace, nm = setup
    assert FORMAT_VERSION == "1.1" and precision_plan(trace) is None      # a 1.0 trace still loads
    plan = PrecisionPlan.uniform(nm, 6, 4, 5)
    plan.layers["conv3"][4] = [2, 2, 3]
    p = tmp_path / "planned.cimtrace"
    with_precision(trace, plan).save(p)
    back = load_trace(p)
    got = precision_plan(back)
    assert set(got.layers) == set(plan.layers)
    for k in plan.layers:
        np.testing.assert_array_equal(got.layers[k], plan.layers[k])
    a = cimsim.simulate(arch, back, samples=1)
    b = cimsim.simulate(arch, trace, samples=1, precision=plan)
    assert a.energy_J == b.energy_J and a.latency_s == b.latency_s


@pytest.fixture(scope="module")
def evaluator(setup, cost):
    from cimsim.accuracy import HardwareModel
    from cimsim.search.cim2pq import Evaluator
    from cimsim.trace.workloads_loader import resolve

    arch, _, _ = setup
    wl = resolve("cnn-digits")
    prep = wl.prepare(20, seed=0)
    hm = HardwareModel(prep.model, arch, prep.calib, wl.default_quant)
    return lambda n, **kw: Evaluator(hm, prep.inputs[:n], prep.labels[:n], cost,
                                     [lm.name for lm in cost.mapping.layers], **kw)


def test_search_accuracy_is_the_exact_hardware_accuracy(setup, evaluator):
    """The search's fitness is cimsim.accuracy's hardware accuracy under the plan, not a proxy."""
    from cimsim.accuracy import hardware_accuracy
    from cimsim.trace.workloads_loader import resolve

    arch, _, _ = setup
    ev = evaluator(20)
    g = np.zeros((ev.cost.n_arrays, 3), dtype=np.int64)
    g[:, 0], g[:, 1], g[:, 2] = 0, 1, 1                   # 4-bit inputs, 8-bit weights, 5-bit ADCs
    wl = resolve("cnn-digits")
    prep = wl.prepare(20, seed=0)
    ref = hardware_accuracy(prep.model, prep.inputs[:20], arch, labels=prep.labels[:20], calib=prep.calib,
                            quant=wl.default_quant, precision=ev.plan(g)).summary()["accuracy_hardware"]
    assert ev.accuracy(g) == ref


def test_seeded_search_is_reproducible_and_front_non_dominated(evaluator):
    from cimsim.search.cim2pq import SearchSettings, non_dominated, run_search

    s = SearchSettings(CHOICES, population=6, generations=2, seed=5)
    runs = [run_search(evaluator(12), s, "array", progress=False) for _ in range(2)]
    np.testing.assert_array_equal(runs[0].genomes, runs[1].genomes)
    np.testing.assert_array_equal(runs[0].F, runs[1].F)
    assert non_dominated(runs[0].F).all()
    layer = run_search(evaluator(12), s, "layer", progress=False)
    assert non_dominated(layer.F).all()
    for g in layer.genomes:     # layer-wise individuals: one triple per layer
        for arrs in evaluator(1).cost.layer_arrays:
            assert (g[arrs] == g[arrs[0]]).all()


def test_array_search_starts_as_the_layer_search_and_budgets_are_equal(evaluator):
    """Coarse-to-fine: the array-wise search's layer-granularity generations score exactly the
    baseline's plans, in the same order; afterwards it scores plans the baseline cannot
    express; both score exactly the budget of distinct plans (the archive is cut there), also
    when the array-wise search reuses the baseline's computed accuracies."""
    from cimsim.search.cim2pq import SearchSettings, run_search

    s = SearchSettings(CHOICES, population=6, generations=4, seed=7, coarse_generations=2, evaluations=20)
    ev_l = evaluator(12)
    lay = run_search(ev_l, s, "layer", progress=False)
    ev_a = evaluator(12, shared=ev_l.shared)      # accuracies reused, each search still counts its plans
    arr = run_search(ev_a, s, "array", progress=False)
    assert lay.evaluations == arr.evaluations == 20
    assert ev_l.evaluations >= 20 and ev_a.evaluations >= 20
    coarse = [h for h in arr.history if h["granularity"] == "layer"]
    assert [h["generation"] for h in coarse] == [1, 2]
    n = coarse[-1]["evaluations"]
    assert 6 < n < 20 and ev_a.archive(0, n) == ev_l.archive(0, n)
    later = [np.frombuffer(k, dtype=np.int8).reshape(-1, 3) for k in ev_a.archive(n, 20 - n)]
    layers = ev_a.cost.layer_arrays
    assert any(not (g[arrs] == g[arrs[0]]).all() for g in later for arrs in layers)
    for res, ev in ((lay, ev_l), (arr, ev_a)):   # the front is drawn from the first 20 plans only
        keys = set(ev.archive(0, 20))
        assert all(np.asarray(g, dtype=np.int8).tobytes() in keys for g in res.genomes)


def test_estimate_agrees_with_engine_on_every_pareto_point_of_a_search(setup, cost, evaluator):
    """Done-condition of the search, in the default suite on a small seeded search (the whole
    study's check runs with CIMSIM_SLOW_TESTS=1): on every Pareto point of both granularities,
    the vectorised estimate that ranked it is within 5 % of cimsim.simulate."""
    from cimsim.search.cim2pq import SearchSettings, run_search

    arch, trace, _ = setup
    s = SearchSettings(CHOICES, population=6, generations=2, seed=11)
    for granularity in ("array", "layer"):
        front = run_search(evaluator(12), s, granularity, progress=False)
        assert len(front.genomes) >= 1
        E, L = cost.evaluate(np.asarray(front.genomes))
        for g, e, t in zip(front.genomes, E, L):
            r = cimsim.simulate(arch, trace, samples=cost.samples, precision=_plan(cost, g))
            assert e == pytest.approx(r.energy_J, rel=0.05) and t == pytest.approx(r.latency_s, rel=0.05)


def test_front_helpers_hand_worked():
    from cimsim.search.cim2pq import expand, non_dominated, total_bits, weakly_covers

    F = np.array([[0.1, 2.0, 1.0], [0.2, 1.0, 1.0], [0.2, 2.0, 1.0], [0.1, 2.0, 1.0]])
    assert non_dominated(F).tolist() == [True, True, False, True]
    assert weakly_covers(F[:2], np.array([[0.3, 3.0, 1.0], [0.05, 3.0, 1.0]])).tolist() == [True, False]
    lg = np.array([[[0, 1, 2], [1, 0, 1]]])
    g = expand(lg, [np.array([0]), np.array([1, 2])], 3)
    assert g.tolist() == [[[0, 1, 2], [1, 0, 1], [1, 0, 1]]]
    assert total_bits(g, CHOICES).tolist() == [(4 + 8 + 7) + 2 * (8 + 2 + 5)]


def test_search_file_errors(tmp_path):
    from cimsim.cli import main

    p = tmp_path / "s.yaml"
    p.write_text("name: x\narch: a.yaml\nworkload: cnn-digits\nchoices: {input_bits: [8], weight_bits: [8]}\n")
    assert main(["search", str(p)]) == 2
    p.write_text("name: x\narch: a.yaml\nworkload: cnn-digits\npopulaton: 4\n")
    assert main(["search", str(p)]) == 2


slow = pytest.mark.skipif(not os.environ.get("CIMSIM_SLOW_TESTS"),
                          reason="the whole CIM²PQ study (minutes); set CIMSIM_SLOW_TESTS=1")


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    from cimsim.search.cli import run_search_file

    return run_search_file("arch/studies/cim2pq/study-search.yaml", str(tmp_path_factory.mktemp("cim2pq")),
                           progress=False)


@slow
def test_study_estimate_within_5pct_on_every_pareto_point(study):
    for g in ("array", "layer"):
        assert study[g]["front_points"] >= 1
        assert study[g]["max_estimate_error_pct"]["value"] <= 5.0
        assert study[g]["evaluations"] == study["budget"]["evaluations"]


@slow
@pytest.mark.xfail(strict=True, reason="measured at equal budgets of 480, 960 and 1440 plans per search, seeds 0-2, searching on 120 or all 360 images: the array-wise front weakly dominates 21-51 % of the layer-wise front (11 of 29 points at the shipped settings, seed 0); see arch/studies/cim2pq/README.md")
def test_study_array_front_weakly_dominates_layer_front(study):
    assert study["array_covers_layer"]["all"]


def test_cost_estimate_counts_the_sub_array_peripheries(setup):
    """With NeuroSim's sub-array peripheries opted in (the row switch matrix in place of the
    wordline drivers, the column multiplexers), the estimate still equals the engine at full
    precision and stays within 5 % on a lower-precision plan, their energy counted per array."""
    from cimsim.search.cost import CostModel

    _, trace, _ = setup
    arch = load_architecture(ARCH, ["chip.tiles.pes.arrays.periphery={row_switch_matrix: {}, column_mux: {}}",
                                    "chip.tiles.pes.arrays.input_driver=null"])
    cost = CostModel(arch, trace, CHOICES, samples=2)
    full = np.array([[len(CHOICES[f]) - 1 for f in ("input_bits", "weight_bits", "adc_bits")]] * cost.n_arrays)
    low = np.zeros_like(full)
    E, _ = cost.evaluate(np.stack([full, low]))
    plain = cimsim.simulate(arch, trace, samples=cost.samples)
    assert "array.row_switch_matrix" in plain.energy_by_component()
    assert E[0] == pytest.approx(plain.energy_J, rel=1e-9)
    r = cimsim.simulate(arch, trace, samples=cost.samples, precision=_plan(cost, low))
    assert E[1] == pytest.approx(r.energy_J, rel=0.05)
