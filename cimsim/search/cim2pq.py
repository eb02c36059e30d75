"""CIM²PQ array-wise mixed-precision search (Sun, Bai, Shi, Zhao, Kang, "CIM²PQ: An Arraywise
and Hardware-Friendly Mixed Precision Quantization Method for Analog Computing-In-Memory",
IEEE TCAD 43(7):2084-2097, 2024; cim-models.md §1).

An individual gives every array of the mapped network an (input bits, weight bits, ADC bits)
choice (:mod:`cimsim.mapping.precision`); the genome is ``arrays x 3`` choice indices. The
search is multi-objective: minimise (top-1 error, energy per inference, latency per inference)
with NSGA-III (pymoo, Das-Dennis reference directions) and CIM²PQ's operators:

- **crossover at array-gene granularity**: a child takes each array's three genes together
  from one parent (uniform over arrays), so an array's precision triple stays whole;
- **progressive adaptive mutation**: the per-gene mutation rate falls linearly from
  ``mutation_start`` to ``mutation_end`` over the generations (coarse exploration first,
  fine tuning later); a mutated gene moves one choice up or down;
- **low-bit protection**: during the first ``protect_generations`` generations, the
  ``protect_fraction`` of the merged population with the fewest total bits survives
  regardless of rank, so hardware-friendly individuals, whose accuracy is often poor at first,
  are not eliminated before crossover can repair them;
- **fitness without fine-tuning**: top-1 accuracy of post-training quantization with every
  array simulated under its precision (:class:`cimsim.accuracy.HardwareModel`, the same
  kernels as the engine) on the labelled evaluation set, and the vectorised cost estimate of
  :class:`cimsim.search.cost.CostModel`.

Layer-wise baseline: the same algorithm with one gene triple per layer (all of a layer's
arrays share it; crossover at layer granularity), the same population, seed and budget of
distinct plans scored (``evaluations``).

Fair comparison at equal budget (stated choice, not a tuning): the array-wise space contains
the layer-wise one but is much larger (arrays x 3 genes instead of layers x 3), so with the
same budget a search started from random array-wise individuals spends it exploring incoherent
plans (a layer half at 2 bits, half at 8). The array-wise search is therefore coarse-to-fine:
its first ``coarse_generations`` generations are the baseline's (layer genes, the same code,
seed and draws, so the same plans in the same order); its remaining generations work on array
genes from the population reached, a mutation moving one array's gene or, with probability
``layer_move``, the gene of the whole layer. Mutation rate and low-bit protection follow the
same schedule over ``generations`` in both searches.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field

import numpy as np

from cimsim.mapping.precision import FIELDS, PrecisionPlan

OBJECTIVES = ("error", "energy_J", "latency_s")


@dataclass
class SearchSettings:
    choices: dict[str, list[int]]
    population: int = 24
    generations: int = 12
    seed: int = 0
    mutation_start: float = 0.15
    mutation_end: float = 0.02
    protect_fraction: float = 0.15
    protect_generations: int = 4
    crossover_prob: float = 0.9
    evaluations: int | None = None          # budget of distinct plans scored (default population x generations)
    coarse_generations: int | None = None   # array-wise: generations at layer granularity first
    layer_move: float = 0.0                 # array-wise: probability that a mutation moves the whole layer

    def budget(self) -> int:
        return int(self.evaluations) if self.evaluations is not None else self.population * self.generations

    def max_generations(self) -> int:
        """Generations allowed to spend the budget (offspring already scored cost nothing)."""
        return 3 * max(self.generations, -(-self.budget() // self.population))


@dataclass
class SearchResult:
    granularity: str
    genomes: np.ndarray                     # (points, arrays, 3) choice indices of the final front
    F: np.ndarray                           # (points, 3) objectives
    evaluations: int
    history: list[dict] = field(default_factory=list)


class Evaluator:
    """Objectives of genomes (P, arrays, 3): exact accuracy on the evaluation set (cached per
    genome) and the vectorised cost. ``evaluations`` counts the distinct plans this search
    scored (its budget); ``shared``, a dict given to several evaluators on the same images,
    saves recomputing a plan another search already scored (wall time only: the plan still
    counts against each search's budget)."""

    def __init__(self, hw_model, x, labels, cost, layer_names: list[str], memo_entries: int = 600,
                 shared: dict | None = None):
        self.hm, self.x, self.labels, self.cost = hw_model, x, np.asarray(labels).reshape(-1), cost
        self.layer_names = layer_names
        self.cache: dict[bytes, float] = {}       # the plans this search scored, in order (its budget)
        self.shared = {} if shared is None else shared   # accuracies already computed on the same images
        self.evaluations = 0
        self.memo: dict = {}               # layer outputs under plan prefixes (HardwareModel.logits)
        self.memo_entries = memo_entries

    def archive(self, start: int = 0, count: int | None = None) -> list[bytes]:
        """Keys of the distinct plans scored, in order: the ``count`` from the ``start``-th."""
        keys = list(self.cache)
        return keys[start:] if count is None else keys[start:start + count]

    def plan(self, genome: np.ndarray) -> PrecisionPlan:
        ch = self.cost.choices
        vals = np.stack([np.asarray(ch[f])[genome[:, k]] for k, f in enumerate(FIELDS)], axis=1)
        return PrecisionPlan({n: vals[arrs] for n, arrs in zip(self.layer_names, self.cost.layer_arrays)})

    def accuracy(self, genome: np.ndarray) -> float:
        key = np.asarray(genome, dtype=np.int8).tobytes()
        if key not in self.cache:
            if key not in self.shared:
                logits = self.hm.logits(self.x, precision=self.plan(genome), memo=self.memo)
                while len(self.memo) > self.memo_entries:
                    self.memo.pop(next(iter(self.memo)))
                self.shared[key] = float((logits.reshape(len(logits), -1).argmax(1) == self.labels).mean())
            self.cache[key] = self.shared[key]
            self.evaluations += 1
        return self.cache[key]

    def __call__(self, genomes: np.ndarray) -> np.ndarray:
        acc = np.array([self.accuracy(g) for g in genomes])
        e, t = self.cost.evaluate(genomes)
        return np.stack([1.0 - acc, e, t], axis=1)


def expand(layer_genome: np.ndarray, layer_arrays: list[np.ndarray], n_arrays: int) -> np.ndarray:
    """Layer genes (P, layers, 3) -> array genes (P, arrays, 3)."""
    out = np.empty((layer_genome.shape[0], n_arrays, 3), dtype=np.int64)
    for li, arrs in enumerate(layer_arrays):
        out[:, arrs] = layer_genome[:, li:li + 1]
    return out


def total_bits(genomes: np.ndarray, choices: dict[str, list[int]]) -> np.ndarray:
    """Sum of (input + weight + ADC) bits over arrays: the 'low-bit' measure of protection."""
    return sum(np.asarray(choices[f])[genomes[..., k]].sum(axis=-1) for k, f in enumerate(FIELDS))


def run_search(evaluator: Evaluator, settings: SearchSettings, granularity: str = "array",
               progress: bool = True) -> SearchResult:
    """NSGA-III with CIM²PQ's operators over array genes (``granularity='array'``) or layer
    genes (``'layer'``, the baseline), until ``settings.evaluations`` distinct plans have been
    scored (the budget; :meth:`Evaluator.archive` keeps the first that many).

    The array-wise search is coarse-to-fine: its first ``coarse_generations`` generations are
    layer-granularity generations, the same code with the same seed as the baseline's (so the
    same individuals); the remaining generations work on array genes from the population
    reached, with crossover at array granularity."""
    budget = settings.budget()
    G = settings.generations
    if granularity == "layer":
        phases = [("layer", None)]
    else:
        gc = min(settings.coarse_generations or 0, G - 1)
        phases = ([("layer", gc)] if gc > 0 else []) + [("array", None)]
    state = {"gen": 0, "X": None, "units": None}
    history: list[dict] = []
    bar = _progress_bar(G, f"{granularity}-wise", progress)
    before = evaluator.evaluations
    for unit, n_gen in phases:
        if evaluator.evaluations - before >= budget:
            break
        _run_phase(evaluator, settings, unit, n_gen, state, history, bar, before, budget)
    bar.close()
    genomes = np.array([np.frombuffer(k, dtype=np.int8).reshape(-1, 3) for k in evaluator.archive(before, budget)],
                       dtype=np.int64)
    F = evaluator(genomes)
    nd = non_dominated(F)
    genomes, F = genomes[nd], F[nd]
    order = np.lexsort((F[:, 2], F[:, 1], F[:, 0]))
    genomes, F = _unique_front(genomes[order], F[order])
    return SearchResult(granularity, genomes, F, min(budget, evaluator.evaluations - before), history)


def _run_phase(evaluator, settings, granularity, n_gen, state, history, bar, before, budget):
    """One phase of a search: NSGA-III over ``granularity`` genes for ``n_gen`` generations
    (None: until the evaluation budget is spent), starting from ``state['X']`` (the previous
    phase's population, array genes) or, first, from the layer-uniform sampling."""
    from pymoo.algorithms.moo.nsga3 import NSGA3, ReferenceDirectionSurvival
    from pymoo.core.crossover import Crossover
    from pymoo.core.mutation import Mutation
    from pymoo.core.problem import Problem
    from pymoo.core.sampling import Sampling
    from pymoo.optimize import minimize
    from pymoo.util.ref_dirs import get_reference_directions

    cost = evaluator.cost
    n_arrays = cost.n_arrays
    layer_arrays = cost.layer_arrays
    n_layers = len(layer_arrays)
    sizes = np.array([len(settings.choices[f]) for f in FIELDS])
    units = n_arrays if granularity == "array" else n_layers
    G = settings.generations
    start_gen = state["gen"]

    def schedule() -> float:
        """Progress through the whole search (0 at the first generation, 1 at the last)."""
        return min(1.0, state["gen"] / max(1, G - 1))

    def to_arrays(X: np.ndarray) -> np.ndarray:
        g = np.asarray(X, dtype=np.int64).reshape(len(X), units, 3)
        return g if granularity == "array" else expand(g, layer_arrays, n_arrays)

    class Prob(Problem):
        def __init__(self):
            super().__init__(n_var=units * 3, n_obj=3, xl=0, xu=np.tile(sizes - 1, units), vtype=int)

        def _evaluate(self, X, out, *args, **kwargs):
            out["F"] = evaluator(to_arrays(X))

    class LayerUniformSampling(Sampling):
        """Layer-uniform individuals from the seed (the same draws for both granularities);
        the first is the full-precision plan."""

        def _do(self, problem, n_samples, *args, random_state=None, **kwargs):
            rng = np.random.default_rng(settings.seed)
            lg = np.stack([rng.integers(0, s, (n_samples, n_layers)) for s in sizes], axis=2)
            lg[0] = sizes - 1
            g = expand(lg, layer_arrays, n_arrays) if granularity == "array" else lg
            return g.reshape(n_samples, -1)

    class GeneCrossover(Crossover):
        """Uniform crossover whose unit is an array's (or a layer's) gene triple."""

        def __init__(self):
            super().__init__(2, 2, prob=settings.crossover_prob)

        def _do(self, problem, X, *args, random_state=None, **kwargs):
            _, m, n = X.shape
            p = X.reshape(2, m, units, 3)
            take = random_state.random((m, units)) < 0.5
            c1 = np.where(take[..., None], p[0], p[1])
            c2 = np.where(take[..., None], p[1], p[0])
            return np.stack([c1, c2]).reshape(2, m, n)

    class ProgressiveMutation(Mutation):
        """Per-gene rate falling linearly over the whole search; a mutated gene moves one
        choice; on array genes, with probability ``layer_move`` the step applies to all
        arrays of the gene's layer."""

        def _do(self, problem, X, *args, random_state=None, **kwargs):
            frac = schedule()
            rate = settings.mutation_start + (settings.mutation_end - settings.mutation_start) * frac
            X = np.asarray(X, dtype=np.int64).reshape(len(X), units, 3).copy()
            for k in range(len(X)):
                hits = np.argwhere(random_state.random((units, 3)) < rate)
                for u, f in hits:
                    step = 1 if random_state.random() < 0.5 else -1
                    if granularity == "array" and random_state.random() < settings.layer_move:
                        arrs = layer_arrays[cost.layer_of[u]]
                        X[k, arrs, f] = np.clip(X[k, u, f] + step, 0, sizes[f] - 1)
                    else:
                        X[k, u, f] = np.clip(X[k, u, f] + step, 0, sizes[f] - 1)
            return X.reshape(len(X), -1)

    class ProtectedSurvival(ReferenceDirectionSurvival):
        """NSGA-III survival; early generations keep the lowest-bit fraction regardless."""

        def _do(self, problem, pop, n_survive, D=None, random_state=None, **kwargs):
            keep = math.floor(settings.protect_fraction * n_survive) if state["gen"] < settings.protect_generations else 0
            if keep == 0:
                return super()._do(problem, pop, n_survive, D=D, random_state=random_state, **kwargs)
            bits = total_bits(to_arrays(pop.get("X")), settings.choices)
            low = np.argsort(bits, kind="stable")[:keep]
            rest = np.setdiff1d(np.arange(len(pop)), low)
            survivors = super()._do(problem, pop[rest], n_survive - keep, D=D, random_state=random_state, **kwargs)
            return _merge(pop[low], survivors)

    ref = get_reference_directions("das-dennis", 3, n_partitions=_partitions(settings.population))

    def callback(algorithm):
        if start_gen and algorithm.n_gen == 1:      # the previous phase's population, from the cache
            return
        state["gen"] = start_gen + algorithm.n_gen - (1 if start_gen else 0)
        state["X"] = to_arrays(algorithm.pop.get("X"))
        F = algorithm.opt.get("F")
        history.append({"generation": int(state["gen"]), "granularity": granularity, "front": int(len(F)),
                        "best_accuracy": float(1 - F[:, 0].min()), "evaluations": evaluator.evaluations - before})
        bar.set_postfix(front=len(F), best_acc=f"{100 * (1 - F[:, 0].min()):.1f}%",
                        evals=evaluator.evaluations - before, refresh=False)
        bar.update(1)
        if evaluator.evaluations - before >= budget:       # budget spent: stop now
            algorithm.termination.terminate()
            algorithm.termination.update(algorithm)

    if state["X"] is None:
        sampling = LayerUniformSampling()
    else:
        sampling = state["X"].reshape(len(state["X"]), -1)    # already evaluated (cached): no evaluations
    algo = NSGA3(ref_dirs=ref, pop_size=settings.population, sampling=sampling,
                 crossover=GeneCrossover(), mutation=ProgressiveMutation(), survival=ProtectedSurvival(ref),
                 eliminate_duplicates=True)
    limit = n_gen if n_gen is not None else settings.max_generations()
    # a later phase's generation 1 is the previous population, re-scored from the cache
    minimize(Prob(), algo, ("n_gen", limit + (1 if start_gen else 0)), seed=settings.seed + start_gen,
             callback=callback, verbose=False)


def _merge(a, b):
    from pymoo.core.population import Population

    return Population.merge(a, b)


def _partitions(pop: int) -> int:
    """Das-Dennis partitions for 3 objectives with at most ``pop`` directions."""
    p = 1
    while (p + 2) * (p + 3) // 2 <= pop:
        p += 1
    return p


def _unique_front(genomes: np.ndarray, F: np.ndarray):
    seen, keep = set(), []
    for k, g in enumerate(genomes):
        h = hashlib.sha1(np.asarray(g, dtype=np.int8).tobytes()).hexdigest()
        if h not in seen:
            seen.add(h)
            keep.append(k)
    return genomes[keep], F[keep]


def _progress_bar(total: int, desc: str, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="gen", disable=not enabled, leave=True)


def non_dominated(F: np.ndarray) -> np.ndarray:
    """Mask of the rows of F (minimised objectives) that no other row dominates."""
    F = np.asarray(F, dtype=float)
    le = (F[:, None, :] <= F[None, :, :]).all(axis=2)
    lt = (F[:, None, :] < F[None, :, :]).any(axis=2)
    dominated = (le & lt).any(axis=0)
    return ~dominated


def weakly_covers(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """For each point of front B: is it weakly dominated by some point of front A?"""
    A, B = np.asarray(A, float), np.asarray(B, float)
    return (A[:, None, :] <= B[None, :, :]).all(axis=2).any(axis=0)


def hypervolume(F: np.ndarray, ref: np.ndarray) -> float:
    from pymoo.indicators.hv import HV

    F = np.asarray(F, float)
    inside = (F < ref).all(axis=1)
    return float(HV(ref_point=np.asarray(ref, float))(F[inside])) if inside.any() else 0.0
