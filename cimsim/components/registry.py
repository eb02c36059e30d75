"""Registry of component models: ``(kind, model) -> class``.

A model registers itself with the :func:`register` class decorator; it is found by its
``kind`` and ``model`` class attributes. :func:`get` and :func:`create` turn an unknown name
into a :class:`CimsimError` that lists the valid names and the closest match.
"""

from __future__ import annotations

import difflib
import inspect

from cimsim.components.base import Component, Technology
from cimsim.errors import CimsimError

_REGISTRY: dict[str, dict[str, type[Component]]] = {}


def register(cls: type[Component]) -> type[Component]:
    """Class decorator: add ``cls`` to the registry under ``cls.kind`` / ``cls.model``."""
    kind, model = getattr(cls, "kind", ""), getattr(cls, "model", "")
    if not kind or not model:
        raise TypeError(f"{cls.__name__} must set non-empty 'kind' and 'model' to be registered")
    models = _REGISTRY.setdefault(kind, {})
    existing = models.get(model)
    if existing is not None and existing is not cls and (
            existing.__module__, existing.__qualname__) != (cls.__module__, cls.__qualname__):
        raise TypeError(f"{kind} model {model!r} registered twice: {existing} and {cls}")
    models[model] = cls
    return cls


def _closest(name: str, names) -> str:
    match = difflib.get_close_matches(str(name), list(names), n=1, cutoff=0.4)
    return f" Did you mean {match[0]!r}?" if match else ""


def kinds() -> list[str]:
    """All registered component kinds, sorted."""
    return sorted(_REGISTRY)


def _models_of(kind: str) -> dict[str, type[Component]]:
    if kind not in _REGISTRY:
        raise CimsimError(
            f"unknown component kind {kind!r}; valid kinds: {', '.join(kinds())}."
            f"{_closest(kind, _REGISTRY)}")
    return _REGISTRY[kind]


def model_names(kind: str) -> list[str]:
    """Registered model names of one kind, sorted."""
    return sorted(_models_of(kind))


def get(kind: str, model: str) -> type[Component]:
    """The class registered as ``model`` of ``kind``."""
    models = _models_of(kind)
    if model not in models:
        raise CimsimError(
            f"unknown {kind} model {model!r}; valid {kind} models: "
            f"{', '.join(sorted(models))}.{_closest(model, models)}")
    return models[model]


def parameters(kind: str, model: str) -> dict[str, object]:
    """Keyword parameters of a model and their defaults (``inspect.Parameter.empty`` when
    required)."""
    cls = get(kind, model)
    sig = inspect.signature(cls.__init__)
    return {name: p.default for name, p in sig.parameters.items()
            if name not in ("self", "tech") and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)}


def create(kind: str, model: str, tech: Technology, **params) -> Component:
    """Build a component, turning unknown or missing parameters into a :class:`CimsimError`."""
    cls = get(kind, model)
    accepted = parameters(kind, model)
    for key in params:
        if key not in accepted:
            raise CimsimError(
                f"{kind} model {model!r} has no parameter {key!r}; valid parameters: "
                f"{', '.join(accepted)}.{_closest(key, accepted)}")
    missing = [k for k, d in accepted.items() if d is inspect.Parameter.empty and k not in params]
    if missing:
        raise CimsimError(f"{kind} model {model!r} needs parameter(s): {', '.join(missing)}")
    return cls(tech, **params)
