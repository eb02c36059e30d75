"""Finding the ``workloads`` package and resolving a workload argument.

The model definitions live in ``workloads/`` at the repository root, outside the installed
``cimsim`` package. :func:`load_workloads` imports it as the package ``workloads`` from, in
order: an explicit directory, ``$CIMSIM_WORKLOADS``, ``./workloads`` and the directory beside
the ``cimsim`` package (a source checkout or editable install). :func:`resolve` also accepts
``path/to/file.py:function`` for a user's own model: the function returns a
``workloads.Workload``, a ``workloads.Prepared``, or a ``(model, inputs)`` pair.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

from cimsim.errors import CimsimError

REPO_ROOT = Path(__file__).resolve().parents[2]


def _candidates(path: str | os.PathLike | None) -> list[Path]:
    out = []
    if path:
        out.append(Path(path))
    if os.environ.get("CIMSIM_WORKLOADS"):
        out.append(Path(os.environ["CIMSIM_WORKLOADS"]))
    out += [Path.cwd() / "workloads", REPO_ROOT / "workloads"]
    return out


def load_workloads(path: str | os.PathLike | None = None) -> ModuleType:
    """Import and return the ``workloads`` package (see the module docstring)."""
    mod = sys.modules.get("workloads")
    if mod is not None and hasattr(mod, "WORKLOADS") and path is None:
        return mod
    tried = []
    for cand in _candidates(path):
        init = cand / "__init__.py"
        tried.append(str(cand))
        if not init.is_file():
            continue
        spec = importlib.util.spec_from_file_location("workloads", init,
                                                      submodule_search_locations=[str(cand)])
        mod = importlib.util.module_from_spec(spec)
        sys.modules["workloads"] = mod
        try:
            spec.loader.exec_module(mod)
        except Exception:
            del sys.modules["workloads"]
            raise
        if not hasattr(mod, "WORKLOADS"):
            del sys.modules["workloads"]
            continue
        return mod
    raise CimsimError(f"cannot find the workloads package (a directory with __init__.py defining "
                      f"WORKLOADS); looked in {tried}; set CIMSIM_WORKLOADS or pass --workloads DIR")


def resolve(spec: str, workloads_dir: str | None = None):
    """A ``Workload`` from a registered name or ``file.py:function``."""
    wl = load_workloads(workloads_dir)
    if ":" in spec and spec.split(":", 1)[0].endswith(".py"):
        file, func = spec.split(":", 1)
        if not Path(file).is_file():
            raise CimsimError(f"workload file '{file}' does not exist")
        mspec = importlib.util.spec_from_file_location(f"_cimsim_user_{Path(file).stem}", file)
        mod = importlib.util.module_from_spec(mspec)
        mspec.loader.exec_module(mod)
        fn = getattr(mod, func, None)
        if not callable(fn):
            raise CimsimError(f"workload file '{file}' has no function '{func}'")
        obj = fn()
        if isinstance(obj, wl.Workload):
            return obj
        if isinstance(obj, wl.Prepared):
            prep = obj
        elif isinstance(obj, tuple) and len(obj) == 2:
            prep = wl.Prepared(model=obj[0], inputs=obj[1])
        else:
            raise CimsimError(f"'{spec}' should return a Workload, a Prepared or a (model, inputs) "
                              f"pair, found {type(obj).__name__}")
        import numpy as np

        inputs = np.asarray(prep.inputs)
        return wl.Workload(
            name=Path(file).stem if func in ("build", "workload") else func,
            description=f"user model from {file}:{func}", source=file,
            input_shape=tuple(inputs.shape[1:]), default_samples=len(inputs),
            weights="user supplied", data="user supplied",
            make=lambda n, seed: wl.Prepared(prep.model, inputs[:n], None if prep.labels is None
                                             else np.asarray(prep.labels)[:n], prep.calib,
                                             dict(prep.provenance)))
    return wl.get(spec)
