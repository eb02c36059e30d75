"""Load an architecture file into a validated :class:`~cimsim.spec.schema.ArchSpec`.

``load_arch(path, sets)`` resolves ``extends``, applies ``--set`` overrides, validates, and
turns every validation failure into a :class:`~cimsim.errors.SpecError` whose message
names the file, the line, the key path, what was expected and what was found.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

from pydantic import ValidationError

from cimsim.errors import SpecError
from cimsim.spec.loader import Origins, apply_sets, dotted, load_with_extends
from cimsim.spec.schema import ArchSpec

_TYPE_WORDS = {
    "int_type": "an integer", "int_parsing": "an integer", "int_from_float": "an integer",
    "float_type": "a number", "float_parsing": "a number", "string_type": "a string",
    "bool_type": "true or false", "bool_parsing": "true or false", "model_type": "a mapping of keys",
    "dict_type": "a mapping of keys", "list_type": "a list", "model_attributes_type": "a mapping of keys",
}


def _describe_found(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"'{value}'"
    return repr(value)


def _error_message(err: dict) -> tuple[tuple, str]:
    """(key path, message) for one pydantic error."""
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and ("[" in p or p.startswith("function-"))))
    kind = err["type"]
    ctx = err.get("ctx") or {}
    found = err.get("input")
    if kind in ("unknown_key", "inconsistent") and "key" in ctx:
        loc = loc + tuple(ctx["key"].split("."))
        return loc, err["msg"]
    if kind == "missing":
        return loc, f"missing required key '{loc[-1]}'"
    if kind == "quantity":
        return loc, err["msg"]
    if kind in _TYPE_WORDS:
        return loc, f"expected {_TYPE_WORDS[kind]}, found {_describe_found(found)}"
    if kind == "literal_error":
        return loc, f"expected one of {ctx.get('expected')}, found {_describe_found(found)}"
    bounds = {"greater_than": "greater than {gt}", "greater_than_equal": "at least {ge}",
              "less_than": "less than {lt}", "less_than_equal": "at most {le}"}
    if kind in bounds:
        words = bounds[kind].format(**{k: ctx.get(k) for k in ("gt", "ge", "lt", "le")})
        return loc, f"expected a value {words}, found {_describe_found(found)}"
    return loc, f"{err['msg']}; found {_describe_found(found)}"


def _format_validation(exc: ValidationError, origins: Origins) -> str:
    errors = exc.errors(include_url=False)
    # One error at a time is easier to act on; pick the one deepest in the file order.
    messages = []
    for err in errors:
        loc, msg = _error_message(err)
        messages.append(f"{origins.find(loc)}: {dotted(loc) or '<top level>'}: {msg}.")
    first = messages[0]
    if len(messages) > 1:
        first += f" ({len(messages) - 1} more problem{'s' if len(messages) > 2 else ''} after this one.)"
    return first


def validate(data: dict, origins: Origins) -> ArchSpec:
    try:
        return ArchSpec.model_validate(data)
    except ValidationError as exc:
        raise SpecError(_format_validation(exc, origins)) from None


def load_arch_data(path: str | Path, sets: Iterable[str] = ()) -> tuple[dict, Origins]:
    """The merged, overridden document and its origins, before validation."""
    data, by_path = load_with_extends(Path(path))
    origins = Origins(by_path=by_path, root_file=str(path))
    apply_sets(data, origins.by_path, list(sets))
    return data, origins


def load_arch(path: str | Path, sets: Iterable[str] = ()) -> ArchSpec:
    """Load, merge, override and validate an architecture file."""
    data, origins = load_arch_data(path, sets)
    return validate(data, origins)
