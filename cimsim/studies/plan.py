"""From a study file to points: every combination resolved, hashed, and ready to ship.

Each point's **key** is the SHA-256 of its fully resolved inputs, as canonical JSON:

* the validated architecture (``extends`` and overrides applied, every quantity in SI units,
  every default filled in), so ``1 GHz`` and ``1000 MHz`` are the same point;
* the trace's content hash (:func:`trace_hash`: every array's SHA-256 and the manifest);
* the quantization recipe, the resolved read-out (e.g. ``ClampedADC(bits=4, full_scale=None)``),
  the dataflow, the number of samples simulated;
* the cimsim version.

Labels and the order of keys in a file do not enter it, so the same point in two sweeps (or
twice in one) runs once. Architectures are resolved here, on the client; workers receive each
base architecture document and each trace once (see :mod:`cimsim.studies.execute`) and a few
overrides per point.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cimsim.studies.version import code_version
from cimsim.errors import CimsimError, SpecError
from cimsim.spec.loader import Origin, Origins
from cimsim.studies.spec import Override, ReadoutSpec, StudySpec


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)


def sha256_json(obj: Any) -> str:
    return hashlib.sha256(canonical_json(obj).encode("utf-8")).hexdigest()


class _NullZip:
    """Stands in for a zip file so that the trace writer only computes its manifest."""

    def writestr(self, *args, **kwargs) -> None:
        pass


def trace_hash(trace) -> str:
    """SHA-256 of a trace's content: its manifest, which holds every array's SHA-256."""
    from cimsim.trace.io import manifest_and_arrays

    return sha256_json(manifest_and_arrays(trace, _NullZip()))


@dataclass
class BaseArch:
    """An architecture document after ``extends`` (before overrides), as shipped to workers."""

    key: str
    file: str
    data: dict
    by_path: dict

    def resolve(self, assignments: list[str], located: list[tuple[str, Origin]] = ()):
        """The validated :class:`~cimsim.architecture.Architecture` with ``assignments`` applied."""
        from cimsim.architecture import build_architecture
        from cimsim.spec.load import validate
        from cimsim.spec.loader import apply_sets

        data = copy.deepcopy(self.data)
        origins = Origins(by_path=dict(self.by_path), root_file=self.file)
        apply_sets(data, origins.by_path, assignments)
        for key, origin in located:  # errors point at the study file's line, not "--set"
            path = tuple(key.split("."))
            for i in range(1, len(path) + 1):
                if origins.by_path.get(path[:i], Origin("--set", None)).file.startswith("--set"):
                    origins.by_path[path[:i]] = origin
        spec = validate(data, origins)
        return spec, build_architecture(spec, origins)


@dataclass
class Point:
    """One combination of a study: what it is (``params``), its key, and its task."""

    position: int
    label: str
    params: dict[str, Any]
    hash: str = ""
    inputs: dict[str, Any] = field(default_factory=dict)
    base_key: str = ""
    trace_key: str = ""
    task: dict[str, Any] | None = None
    error: str | None = None  # set when the point cannot even be resolved (bad override value ...)


@dataclass
class Plan:
    study: StudySpec
    points: list[Point]
    traces: dict[str, Any]
    bases: dict[str, BaseArch]

    @property
    def unique_points(self) -> list[Point]:
        seen: set[str] = set()
        out = []
        for p in self.points:
            if p.hash not in seen:
                seen.add(p.hash)
                out.append(p)
        return out


def make_readout(spec: ReadoutSpec, arch):
    from cimsim.accuracy import readout_from_args

    return readout_from_args(spec.kind, arch, spec.bits, spec.granularity, spec.mantissa_bits, spec.block)


def _load_trace(study: StudySpec, wl, quant: str | None, qpath):
    from cimsim.trace import Trace, load, workload_trace

    if isinstance(wl.source, Trace):
        trace = wl.source
    elif isinstance(wl.source, Path):
        trace = load(wl.source)
    else:
        try:
            return workload_trace(wl.source, quant=quant, seed=study.seed)
        except CimsimError as exc:
            raise SpecError(f"{wl.origin or study.file}: workload '{wl.source}': {exc}") from None
        except KeyError:
            raise SpecError(f"{wl.origin or study.file}: unknown workload '{wl.source}'; expected a workload "
                            f"name (cimsim export --list) or a .cimtrace file path.") from None
    have = trace.provenance.get("quantizer")
    if quant is not None and have != quant:
        raise SpecError(
            f"{study.where(*qpath)}: quantizer '{quant}' cannot be applied to workload '{wl.label}': it is a "
            f"trace already quantized with '{have}'; name the workload (e.g. vgg8-cifar10) so it is exported "
            f"with each recipe, or leave the quantizers out.")
    return trace


def _label(parts: list[tuple[str, str, int]]) -> str:
    """Join the dimensions that vary (``n > 1``) into a readable label."""
    shown = [text for text, _, n in parts if n > 1]
    return " ".join(shown) if shown else parts[0][0]


def _short_key(key: str, keys: list[str]) -> str:
    last = key.rsplit(".", 1)[-1]
    return last if sum(k.rsplit(".", 1)[-1] == last for k in keys) == 1 else key


def plan_study(study: StudySpec, progress=None) -> Plan:
    """Resolve every point of ``study`` (architectures validated, traces loaded and hashed)."""
    from cimsim.spec.load import load_arch_data

    # Traces: one per (workload, quantizer), hashed once.
    traces: dict[str, Any] = {}
    trace_keys: dict[tuple[int, int], str] = {}
    for wi, wl in enumerate(study.workloads):
        for qi, q in enumerate(study.quantizers):
            t = _load_trace(study, wl, q, ("quantizers", qi))
            key = trace_hash(t)
            traces.setdefault(key, t)
            trace_keys[(wi, qi)] = key

    # Base architectures: one document per file.
    bases: dict[str, BaseArch] = {}
    base_of: dict[str, str] = {}
    for v in study.variants:
        f = str(v.arch)
        if f not in base_of:
            data, origins = load_arch_data(v.arch)
            key = sha256_json(data)
            bases.setdefault(key, BaseArch(key, f, data, dict(origins.by_path)))
            base_of[f] = key

    grid_keys = [k for k, _ in study.grid]
    dims = [study.variants] + [vals for _, vals in study.grid] + [
        list(range(len(study.workloads))), list(range(len(study.quantizers))), study.readouts, study.dataflows]
    archs: dict[tuple, Any] = {}
    points: list[Point] = []
    for pos, combo in enumerate(itertools.product(*dims)):
        variant: Any = combo[0]
        grid_vals: tuple[Override, ...] = combo[1:1 + len(grid_keys)]
        wi, qi, ro, dataflow = combo[1 + len(grid_keys):]
        wl, quant = study.workloads[wi], study.quantizers[qi]
        trace = traces[trace_keys[(wi, qi)]]
        overrides = tuple(variant.overrides) + tuple(grid_vals)
        params: dict[str, Any] = {"variant": variant.name}
        params.update({o.key: o.value for o in grid_vals})
        params.update({"workload": wl.label, "quantizer": quant or trace.provenance.get("quantizer"),
                       "readout": ro.label, "dataflow": dataflow})
        label = _label([(variant.name, "variant", len(study.variants))]
                       + [(f"{_short_key(o.key, grid_keys)}={o.value}", o.key, len(vals))
                          for o, (_, vals) in zip(grid_vals, study.grid)]
                       + [(wl.label, "workload", len(study.workloads)),
                          (str(quant), "quantizer", len(study.quantizers)),
                          (ro.label, "readout", len(study.readouts)), (dataflow, "dataflow", len(study.dataflows))])
        pt = Point(position=pos, label=label, params=params, base_key=base_of[str(variant.arch)],
                   trace_key=trace_keys[(wi, qi)])
        assignments = [o.assignment for o in overrides]
        samples = min(study.samples or trace.sample_count, trace.sample_count)
        akey = (pt.base_key, tuple(assignments))
        if akey not in archs:
            try:
                archs[akey] = bases[pt.base_key].resolve(assignments, [(o.key, o.origin) for o in overrides])
            except CimsimError as exc:
                archs[akey] = exc
        resolved = archs[akey]
        common = {"cimsim": code_version(), "trace": pt.trace_key, "quantizer": params["quantizer"],
                  "dataflow": dataflow, "samples": samples}
        accuracy = None
        if study.accuracy is not None:
            same = study.accuracy["workload"] in (None, wl.source)
            accuracy = {**study.accuracy, "workload": study.accuracy["workload"] or wl.source,
                        "quant": params["quantizer"] if same else None}
            common["accuracy"] = accuracy
        fidelity = None
        if study.fidelity is not None:  # the point's own network, with its quantizer
            fidelity = {**study.fidelity, "workload": wl.source, "quant": params["quantizer"]}
            common["fidelity"] = fidelity
        if isinstance(resolved, CimsimError):
            pt.error = f"{type(resolved).__name__}: {resolved}"
            pt.inputs = {**common, "arch_document": bases[pt.base_key].data, "overrides": assignments,
                         "readout": ro.to_dict()}
        else:
            spec, arch = resolved
            try:
                readout = make_readout(ro, arch)
            except CimsimError as exc:
                readout, pt.error = None, f"{type(exc).__name__}: {exc}"
            pt.inputs = {**common, "arch": spec.model_dump(mode="json"), "readout": repr(readout)}
            if readout is not None:
                pt.task = {"hash": "", "label": label, "assignments": assignments,
                           "located": [(o.key, o.origin) for o in overrides], "readout": readout,
                           "dataflow": dataflow, "samples": samples, "accuracy": accuracy,
                           "fidelity": fidelity}
        pt.hash = sha256_json(pt.inputs)
        if pt.task is not None:
            pt.task["hash"] = pt.hash
        points.append(pt)
        if progress is not None:
            progress(pos)
    if points and all(p.error for p in points):
        first = points[0].error.split(": ", 1)[-1]
        raise SpecError(f"{study.file or study.name}: no point of the study resolves; the first fails with: {first}")
    return Plan(study, points, traces, bases)
