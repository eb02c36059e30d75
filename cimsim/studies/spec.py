"""Study and sweep files: what to run, as a file a user can read and edit.

A study (``cimsim study``) and a sweep (``cimsim sweep``) share one file format; a sweep is a
large study. The file names the architecture variants, a grid of ``--set``-style overrides,
the workloads, the quantizers, the read-outs and the metrics; every combination is one
point, one simulation::

    name: adc-cells-encoding-vgg8
    arch: ../neurosim-rram-22nm.yaml          # relative to this file, like `extends`
    set: {chip.tiles.count: 256}              # overrides applied to every point
    variants:                                 # optional list of named architecture variants
      - name: baseline
      - {name: isaac, arch: ../isaac-32nm.yaml}
    grid:                                     # cartesian product of overrides
      chip.tiles.pes.arrays.readout.bits: [3, 4, 5, 6, 7, 8]
      chip.tiles.pes.arrays.bits_per_cell: [1, 2, 4]
    workloads: [vgg8-cifar10]                 # names, or .cimtrace files relative to this file
    quantizers: [int8]                        # recipes (cimsim.trace.recipes); default: the trace's own
    readouts: [arch, {kind: minmax, bits: 4}] # default: what the architecture says
    samples: 1                                # samples of each trace (default: all recorded)
    dataflow: layer                           # or pipeline, or a list of both
    metrics: [latency, energy_per_inference, TOPS_per_W]
    baseline: baseline                        # the variant ratios are taken against (studies)
    pareto: {x: latency, y: energy_per_inference}

Files load with the architecture loader (:mod:`cimsim.spec.loader`): ``extends`` works, and
every error names the file, the line, the key, what was expected and what was found.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cimsim.errors import SpecError
from cimsim.spec.loader import Origin, Origins, dotted, load_with_extends

TOP_KEYS = ("name", "description", "arch", "set", "variants", "grid", "workloads", "quantizers", "readouts",
            "samples", "dataflow", "seed", "accuracy", "fidelity", "metrics", "baseline", "rank_by", "pareto",
            "store")
ACCURACY_KEYS = ("workload", "samples", "seed", "trained")
FIDELITY_KEYS = ("samples", "seed")
VARIANT_KEYS = ("name", "arch", "set")
READOUT_KINDS = ("arch", "ideal", "adc", "minmax", "lsq", "binary", "ternary", "bfp")
READOUT_KEYS = ("kind", "name", "bits", "granularity", "mantissa_bits", "block")
GRANULARITIES = ("layer", "array", "column", "column_cycle")
DATAFLOWS = ("layer", "pipeline")


@dataclass(frozen=True)
class Override:
    """One ``--set``-style override: a dotted key path, a YAML value and where it was written."""

    key: str
    value: Any
    origin: Origin

    @property
    def assignment(self) -> str:
        """The ``path.to.key=value`` text :func:`cimsim.spec.loader.apply_sets` reads."""
        return f"{self.key}={json.dumps(self.value, default=str)}"


@dataclass
class Variant:
    name: str
    arch: Path
    overrides: tuple[Override, ...] = ()
    origin: Origin | None = None


@dataclass(frozen=True)
class ReadoutSpec:
    """A column read-out by name (see ``cimsim run --readout``) with its parameters."""

    kind: str = "arch"
    bits: int | None = None
    granularity: str = "layer"
    mantissa_bits: int = 4
    block: int = 8
    label: str = "arch"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "bits": self.bits, "granularity": self.granularity,
                "mantissa_bits": self.mantissa_bits, "block": self.block}


@dataclass
class WorkloadSpec:
    """A workload name, a ``.cimtrace`` path, or (from Python) a :class:`~cimsim.trace.Trace`."""

    label: str
    source: Any  # str name, Path, or Trace
    origin: Origin | None = None


@dataclass
class StudySpec:
    name: str
    variants: list[Variant]
    grid: list[tuple[str, list[Override]]] = field(default_factory=list)
    workloads: list[WorkloadSpec] = field(default_factory=list)
    quantizers: list[str | None] = field(default_factory=lambda: [None])
    readouts: list[ReadoutSpec] = field(default_factory=lambda: [ReadoutSpec()])
    dataflows: list[str] = field(default_factory=lambda: ["layer"])
    samples: int | None = None
    seed: int = 0                 # of named workloads: data, training, export
    accuracy: dict | None = None  # {"workload": name or None (each point's), "samples": n or None, "seed": s}
    fidelity: dict | None = None  # {"samples": n, "seed": s}: each point's own network vs float / ideal read-out
    rank_by: str | None = None    # the metric a study ranks its variants by (cimsim study)
    metrics: list[str] = field(default_factory=list)
    baseline: str | None = None
    pareto: list[tuple[str, str]] = field(default_factory=list)
    store: str | None = None
    description: str = ""
    file: str | None = None
    origins: Origins = field(default_factory=Origins)
    document: dict = field(default_factory=dict)

    @property
    def size(self) -> int:
        n = len(self.variants) * len(self.workloads) * len(self.quantizers) * len(self.readouts) * len(self.dataflows)
        for _, values in self.grid:
            n *= len(values)
        return n

    def where(self, *path) -> str:
        return str(self.origins.find(tuple(path)))


# ---------------------------------------------------------------------------------------
# Loading


def load_study(path: str | Path) -> StudySpec:
    """Read and check a study or sweep file (``extends`` resolved)."""
    path = Path(path)
    if not path.is_file():
        raise SpecError(f"{path}: file not found; expected a study or sweep YAML file at this path.")
    data, by_path = load_with_extends(path)
    return study_from_dict(data, base_dir=path.parent, origins=Origins(by_path=by_path, root_file=str(path)),
                           file=str(path))


def study_from_dict(data: dict, *, base_dir: str | Path = ".", origins: Origins | None = None,
                    file: str | None = None) -> StudySpec:
    """A :class:`StudySpec` from a mapping (as a study file holds it). From Python, ``workloads``
    may also hold :class:`~cimsim.trace.Trace` objects."""
    origins = origins or Origins(root_file=file or "<study>")
    c = _Checker(origins)
    base_dir = Path(base_dir)
    if not isinstance(data, dict):
        c.fail((), f"the top level must be a mapping of keys ({', '.join(TOP_KEYS[:4])}, ...)", data)
    c.known_keys((), data, TOP_KEYS)
    name = data.get("name") or (Path(file).stem if file else "study")
    c.require_type(("name",), name, str, "a string")

    common = c.overrides(("set",), data.get("set"))
    default_arch = data.get("arch")
    if default_arch is not None:
        c.require_type(("arch",), default_arch, str, "an architecture file path")
    variants: list[Variant] = []
    raw_variants = data.get("variants")
    if raw_variants is None:
        if default_arch is None:
            c.fail(("arch",), "missing required key 'arch' (the architecture file, relative to this file); "
                              "or give 'variants' each with its own 'arch'", None, found=False)
        variants.append(Variant("base", _arch_path(c, ("arch",), default_arch, base_dir), common,
                                origins.find(("arch",))))
    else:
        if not isinstance(raw_variants, list) or not raw_variants:
            c.fail(("variants",), "expected a non-empty list of variants ({name, arch, set})", raw_variants)
        for i, v in enumerate(raw_variants):
            p = ("variants", i)
            if isinstance(v, str):
                v = {"name": v}
            if not isinstance(v, dict):
                c.fail(p, "expected a mapping {name, arch, set} or a name", v)
            c.known_keys(p, v, VARIANT_KEYS)
            vname = v.get("name")
            if vname is None:
                c.fail(p, "missing required key 'name'", None, found=False)
            vname = str(vname)
            if any(x.name == vname for x in variants):
                c.fail(p + ("name",), f"variant names must be unique; '{vname}' appears twice", None, found=False)
            arch = v.get("arch", default_arch)
            if arch is None:
                c.fail(p, "missing key 'arch' (no top-level 'arch' to inherit)", None, found=False)
            c.require_type(p + ("arch",), arch, str, "an architecture file path")
            apath = _arch_path(c, p + ("arch",) if "arch" in v else ("arch",), arch, base_dir)
            variants.append(Variant(vname, apath, common + c.overrides(p + ("set",), v.get("set")),
                                    origins.find(p)))

    grid: list[tuple[str, list[Override]]] = []
    raw_grid = data.get("grid")
    if raw_grid is not None:
        if not isinstance(raw_grid, dict):
            c.fail(("grid",), "expected a mapping of key path: list of values", raw_grid)
        for key, values in raw_grid.items():
            p = ("grid", key)
            c.key_path(p, key)
            if not isinstance(values, list) or not values:
                c.fail(p, "expected a non-empty list of values", values)
            grid.append((key, [Override(key, val, origins.find(p + (j,))) for j, val in enumerate(values)]))

    workloads: list[WorkloadSpec] = []
    raw_wl = data.get("workloads")
    if raw_wl is None:
        c.fail(("workloads",), "missing required key 'workloads' (workload names or .cimtrace files)", None,
               found=False)
    if not isinstance(raw_wl, list):
        raw_wl = [raw_wl]
    if not raw_wl:
        c.fail(("workloads",), "expected at least one workload", raw_wl)
    for i, w in enumerate(raw_wl):
        p = ("workloads", i)
        if isinstance(w, str):
            looks_like_path = w.endswith(".cimtrace") or "/" in w
            if looks_like_path:
                wp = base_dir / w
                if not wp.is_file():
                    c.fail(p, f"no trace file at {wp} (paths are relative to the study file)", w)
                workloads.append(WorkloadSpec(Path(w).name.removesuffix(".cimtrace"), wp, origins.find(p)))
            else:
                workloads.append(WorkloadSpec(w, w, origins.find(p)))
        elif hasattr(w, "layers") and hasattr(w, "sample_count"):  # a Trace, from Python
            workloads.append(WorkloadSpec(str(w.name), w, origins.find(p)))
        else:
            c.fail(p, "expected a workload name or a .cimtrace file path", w)
    labels = [w.label for w in workloads]
    for i, lab in enumerate(labels):
        if labels.index(lab) != i:
            workloads[i].label = f"{lab}#{i}"

    quantizers = data.get("quantizers", [None])
    if not isinstance(quantizers, list):
        quantizers = [quantizers]
    if not quantizers:
        c.fail(("quantizers",), "expected a non-empty list of quantization recipes (or leave it out)", quantizers)
    for i, q in enumerate(quantizers):
        if q is not None and not isinstance(q, str):
            c.fail(("quantizers", i), "expected a recipe name such as int8, int4, wage8, dfp8 (or null: the "
                                      "trace's own)", q)

    raw_readouts = _as_list(data.get("readouts", ["arch"]))
    if not raw_readouts:
        c.fail(("readouts",), "expected at least one read-out (or leave the key out: the architecture's own)",
               raw_readouts)
    readouts = [_readout(c, ("readouts", i), r) for i, r in enumerate(raw_readouts)]
    rl = [r.label for r in readouts]
    if len(set(rl)) != len(rl):
        c.fail(("readouts",), f"read-out labels must be unique; found {rl} (give each a 'name')", None, found=False)

    dataflows = _as_list(data.get("dataflow", "layer"))
    if not dataflows:
        c.fail(("dataflow",), f"expected one of {list(DATAFLOWS)} or a list of them", dataflows)
    for i, d in enumerate(dataflows):
        if d not in DATAFLOWS:
            c.fail(("dataflow", i) if isinstance(data.get("dataflow"), list) else ("dataflow",),
                   f"expected one of {list(DATAFLOWS)}", d)

    samples = data.get("samples")
    if samples is not None and (not isinstance(samples, int) or isinstance(samples, bool) or samples < 1):
        c.fail(("samples",), "expected a positive integer (samples of each trace to simulate) or null for all",
               samples)

    seed = data.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        c.fail(("seed",), "expected a non-negative integer seed (of named workloads: data split, training, export)",
               seed)
    accuracy = _accuracy(c, data.get("accuracy"), workloads, seed)
    fidelity = _fidelity(c, data.get("fidelity"), workloads, seed)
    rank_by = data.get("rank_by")
    if rank_by is not None:
        from cimsim.studies.metrics import check_metric_name

        msg = check_metric_name(str(rank_by))
        if msg:
            c.fail(("rank_by",), msg, None, found=False)

    metrics = _as_list(data.get("metrics", []))
    for i, m in enumerate(metrics):
        c.require_type(("metrics", i), m, str, "a metric name")
        from cimsim.studies.metrics import check_metric_name

        msg = check_metric_name(m)
        if msg:
            c.fail(("metrics", i), msg, None, found=False)

    baseline = data.get("baseline")
    if baseline is not None:
        baseline = str(baseline)
        if raw_variants is not None and baseline not in [v.name for v in variants]:
            c.fail(("baseline",), f"expected the name of a variant ({', '.join(v.name for v in variants)})",
                   baseline)

    pareto: list[tuple[str, str]] = []
    raw_p = data.get("pareto")
    if raw_p is not None:
        for i, pp in enumerate(raw_p if isinstance(raw_p, list) else [raw_p]):
            p = ("pareto", i) if isinstance(raw_p, list) else ("pareto",)
            if not isinstance(pp, dict) or set(pp) != {"x", "y"}:
                c.fail(p, "expected a mapping {x: METRIC, y: METRIC}", pp)
            from cimsim.studies.metrics import check_metric_name

            for axis in ("x", "y"):
                msg = check_metric_name(str(pp[axis]))
                if msg:
                    c.fail(p + (axis,), msg, None, found=False)
            pareto.append((str(pp["x"]), str(pp["y"])))

    store = data.get("store")
    if store is not None:
        c.require_type(("store",), store, str, "a file path for the results store (.sqlite)")
    description = data.get("description") or ""
    return StudySpec(name=name, variants=variants, grid=grid, workloads=workloads, quantizers=quantizers,
                     readouts=readouts, dataflows=dataflows, samples=samples, seed=seed, accuracy=accuracy,
                     fidelity=fidelity, rank_by=rank_by, metrics=metrics, baseline=baseline,
                     pareto=pareto, store=store, description=str(description), file=file, origins=origins,
                     document=data)


# ---------------------------------------------------------------------------------------
# Helpers


class _Checker:
    """Raises located :class:`SpecError` messages for a study document."""

    def __init__(self, origins: Origins):
        self.origins = origins

    def fail(self, path, msg: str, value: Any, found: bool = True):
        where = self.origins.find(tuple(path))
        key = dotted(tuple(path)) or "<top level>"
        text = f"{where}: {key}: {msg}"
        if found:
            text += f"; found {_describe(value)}"
        raise SpecError(text + ".")

    def require_type(self, path, value, typ, words: str):
        if not isinstance(value, typ) or isinstance(value, bool):
            self.fail(path, f"expected {words}", value)

    def known_keys(self, path, mapping: dict, valid: tuple[str, ...]):
        for key in mapping:
            if key not in valid:
                close = difflib.get_close_matches(str(key), valid, n=1, cutoff=0.5)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                self.fail(tuple(path) + (key,), f"unknown key '{key}'{hint}; valid keys here: {', '.join(valid)}",
                          None, found=False)

    def key_path(self, path, key):
        if not isinstance(key, str) or not key or any(not part for part in key.split(".")):
            self.fail(path, "expected an architecture key path such as chip.tiles.pes.arrays.readout.bits", key)

    def overrides(self, path, raw) -> tuple[Override, ...]:
        """``set:`` as a mapping {key.path: value} or a list of 'key.path=value' strings."""
        if raw is None:
            return ()
        out = []
        if isinstance(raw, dict):
            for key, value in raw.items():
                self.key_path(tuple(path) + (key,), key)
                out.append(Override(key, value, self.origins.find(tuple(path) + (key,))))
        elif isinstance(raw, list):
            import yaml

            for i, item in enumerate(raw):
                if not isinstance(item, str) or "=" not in item:
                    self.fail(tuple(path) + (i,), "expected 'path.to.key=value'", item)
                key, _, text = item.partition("=")
                key = key.strip()
                self.key_path(tuple(path) + (i,), key)
                try:
                    value = yaml.safe_load(text) if text.strip() else ""
                except yaml.YAMLError as exc:
                    self.fail(tuple(path) + (i,), f"the value is not valid YAML ({exc})", item)
                out.append(Override(key, value, self.origins.find(tuple(path) + (i,))))
        else:
            self.fail(path, "expected a mapping {path.to.key: value} or a list of 'path.to.key=value'", raw)
        return tuple(out)


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return f"a list ({len(value)} items)" if value else "an empty list"
    if isinstance(value, str):
        return f"'{value}'"
    return repr(value)


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _arch_path(c: _Checker, path, arch: str, base_dir: Path) -> Path:
    p = base_dir / arch
    if not p.is_file():
        c.fail(path, f"no architecture file at {p} (paths are relative to the study file)", arch)
    return p


def _model_run(c: _Checker, key: str, raw, valid: tuple[str, ...], seed: int):
    """The common part of ``accuracy:`` and ``fidelity:`` (each runs a workload's model on the
    point's arrays): ``true``, ``false`` or a mapping with ``samples`` and ``seed``. Returns
    (mapping, samples, seed), or None when off."""
    if raw is None or raw is False:
        return None
    if raw is True:
        raw = {}
    if not isinstance(raw, dict):
        c.fail((key,), f"expected true, false or a mapping {{{', '.join(k for k in valid if k != 'trained')}}}", raw)
    c.known_keys((key,), raw, valid)
    samples, mseed = raw.get("samples"), raw.get("seed", seed)
    if samples is not None and (not isinstance(samples, int) or isinstance(samples, bool) or samples < 1):
        c.fail((key, "samples"), "expected a positive number of inputs, or null for the workload's whole test set "
                                 "(labelled) or its default", samples)
    if not isinstance(mseed, int) or isinstance(mseed, bool):
        c.fail((key, "seed"), "expected an integer seed", mseed)
    return raw, samples, mseed


def _by_name(c: _Checker, key: str, workloads: list[WorkloadSpec], hint: str = "") -> None:
    for w in workloads:
        if not isinstance(w.source, str):
            c.fail((key,), f"{key} runs each workload's model, so workloads must be given by name "
                           f"(cimsim export --list){hint}; '{w.label}' is a trace", None, found=False)


def _accuracy(c: _Checker, raw, workloads: list[WorkloadSpec], seed: int) -> dict | None:
    """``accuracy: true`` or ``{workload: NAME, samples: N, seed: S}``: also run a workload's model
    (``workload``, else each point's own) with its layers on the point's arrays; needs torch and
    workloads by name."""
    got = _model_run(c, "accuracy", raw, ACCURACY_KEYS, seed)
    if got is None:
        return None
    raw, samples, aseed = got
    if "trained" in raw:
        c.fail(("accuracy", "trained"), "variants whose read-out is trained with the network are run by "
                                        "`cimsim study`, not by a sweep", None, found=False)
    name = raw.get("workload")
    if name is not None:
        if not isinstance(name, str) or name.endswith(".cimtrace") or "/" in name:
            c.fail(("accuracy", "workload"), "expected a workload name such as cnn-digits (its model is run)", name)
    else:
        _by_name(c, "accuracy", workloads, " or accuracy.workload named")
    return {"workload": name, "samples": samples, "seed": aseed}


def _fidelity(c: _Checker, raw, workloads: list[WorkloadSpec], seed: int) -> dict | None:
    """``fidelity: true`` or ``{samples: N, seed: S}``: run each point's own workload (the
    network whose energy the point reports, e.g. VGG-8, which has no labels here) with its
    quantizer and its layers on the point's arrays, and store top-1 agreement with and SQNR
    against the float model and the quantized model on an ideal read-out."""
    got = _model_run(c, "fidelity", raw, FIDELITY_KEYS, seed)
    if got is None:
        return None
    _, samples, fseed = got
    _by_name(c, "fidelity", workloads)
    return {"samples": samples, "seed": fseed}


def _readout(c: _Checker, path, raw) -> ReadoutSpec:
    if isinstance(raw, str):
        raw = {"kind": raw}
    if not isinstance(raw, dict):
        c.fail(path, f"expected a read-out name ({', '.join(READOUT_KINDS)}) or a mapping {{kind, bits, ...}}", raw)
    c.known_keys(path, raw, READOUT_KEYS)
    kind = raw.get("kind", "arch")
    if kind not in READOUT_KINDS:
        c.fail(tuple(path) + ("kind",), f"expected one of {list(READOUT_KINDS)}", kind)
    bits = raw.get("bits")
    if bits is not None and (not isinstance(bits, int) or isinstance(bits, bool) or not 1 <= bits <= 24):
        c.fail(tuple(path) + ("bits",), "expected an integer number of bits from 1 to 24", bits)
    gran = raw.get("granularity", "layer")
    if gran not in GRANULARITIES:
        c.fail(tuple(path) + ("granularity",), f"expected one of {list(GRANULARITIES)}", gran)
    for k in ("mantissa_bits", "block"):
        v = raw.get(k)
        if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < 1):
            c.fail(tuple(path) + (k,), "expected a positive integer", v)
    label = raw.get("name")
    if label is None:
        extras = [f"{k}={raw[k]}" for k in ("bits", "granularity", "mantissa_bits", "block") if k in raw]
        label = kind + (f"({','.join(extras)})" if extras else "")
    return ReadoutSpec(kind=kind, bits=bits, granularity=gran, mantissa_bits=raw.get("mantissa_bits", 4),
                       block=raw.get("block", 8), label=str(label))
