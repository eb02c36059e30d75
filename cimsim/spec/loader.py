"""YAML loading that remembers where every value came from.

An architecture file may ``extends:`` another (or a list of others, applied in order), and
the command line may override any key with ``--set path.to.key=value``. The result is a
plain nested dict plus an :class:`Origins` map from each key path to the file and line
that supplied it, so a validation error can say "arch/x.yaml, line 12".

Merging rules: mappings merge key by key, recursively; any other value (scalar, list)
replaces the inherited one. A key set to ``null`` in a child removes an inherited
optional section.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cimsim.errors import SpecError

KeyPath = tuple  # tuple[str | int, ...]


@dataclass(frozen=True)
class Origin:
    file: str
    line: int | None  # 1-based; None for --set

    def __str__(self) -> str:
        return self.file if self.line is None else f"{self.file}, line {self.line}"


@dataclass
class Origins:
    """Where each key path of a loaded document was written."""

    by_path: dict[KeyPath, Origin] = field(default_factory=dict)
    root_file: str = "<memory>"

    def find(self, path: KeyPath) -> Origin:
        """The origin of ``path`` or of its nearest ancestor that has one."""
        path = tuple(path)
        while path:
            if path in self.by_path:
                return self.by_path[path]
            path = path[:-1]
        return self.by_path.get((), Origin(self.root_file, None))


def _node_to_python(node: yaml.Node, file: str, path: KeyPath, origins: dict) -> Any:
    origins[path] = Origin(file, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise SpecError(
                    f"{file}, line {key_node.start_mark.line + 1}: keys must be plain names; "
                    f"found a {key_node.id} used as a key under '{_dotted(path) or '<top level>'}'."
                )
            key = str(_scalar(key_node))
            if key in out:
                raise SpecError(
                    f"{file}, line {key_node.start_mark.line + 1}: key '{_dotted(path + (key,))}' "
                    f"appears twice in the same mapping; expected each key once."
                )
            out[key] = _node_to_python(value_node, file, path + (key,), origins)
            origins[path + (key,)] = Origin(file, key_node.start_mark.line + 1)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_node_to_python(v, file, path + (i,), origins) for i, v in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: yaml.ScalarNode) -> Any:
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def _dotted(path: KeyPath) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


dotted = _dotted


def read_yaml(path: Path, display: str | None = None) -> tuple[Any, dict[KeyPath, Origin]]:
    """Parse one YAML file (no ``extends`` resolution) with line numbers."""
    display = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(f"{display}: file not found; expected a YAML architecture file at this path.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"{display}: cannot be read as UTF-8 text ({exc.__class__.__name__}: {exc}).") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise SpecError(f"{display}{where}: not valid YAML: {problem}.") from None
    origins: dict[KeyPath, Origin] = {}
    if node is None:
        return {}, {(): Origin(display, 1)}
    try:
        data = _node_to_python(node, display, (), origins)
    except yaml.YAMLError as exc:
        raise SpecError(f"{display}: not valid YAML: {exc}.") from None
    return data, origins


def merge(base: Any, over: Any, base_origins: dict, over_origins: dict, path: KeyPath = ()) -> Any:
    """Deep-merge ``over`` onto ``base``; origins of ``over`` win where it supplies a value.

    ``base_origins`` (the origins of ``base``) is updated in place to describe the result.
    """
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            if v is None and k in out:
                out.pop(k)
                _drop_origins(base_origins, path + (k,))
                continue
            out[k] = merge(out.get(k), v, base_origins, over_origins, path + (k,))
        if path in over_origins:
            base_origins.setdefault(path, over_origins[path])
        return out
    if base is None and isinstance(over, dict):
        return merge({}, over, base_origins, over_origins, path)
    _drop_origins(base_origins, path)
    for p, o in over_origins.items():
        if p[: len(path)] == path:
            base_origins[p] = o
    return over


def _drop_origins(origins: dict, path: KeyPath) -> None:
    for p in [p for p in origins if p[: len(path)] == path and p != ()]:
        del origins[p]


def load_with_extends(path: Path, _chain: tuple[Path, ...] = ()) -> tuple[dict, dict[KeyPath, Origin]]:
    """Load ``path``, resolving ``extends:`` (a path or list of paths relative to the file)."""
    path = Path(path)
    display = str(path)
    resolved = path.resolve()
    if resolved in _chain:
        cycle = " -> ".join(str(p) for p in _chain + (resolved,))
        raise SpecError(f"{display}: 'extends' forms a cycle ({cycle}); expected a chain that ends.")
    data, origins = read_yaml(path, display)
    if not isinstance(data, dict):
        raise SpecError(
            f"{display}, line 1: the top level must be a mapping of keys (name, chip, ...); "
            f"found {type(data).__name__}."
        )
    parents = data.pop("extends", None)
    if parents is None:
        return data, origins
    if isinstance(parents, str):
        parents = [parents]
    if not isinstance(parents, list) or not all(isinstance(p, str) for p in parents):
        raise SpecError(
            f"{origins.get(('extends',), Origin(display, None))}: 'extends' must be a file path or a "
            f"list of file paths; found {parents!r}."
        )
    merged: dict = {}
    merged_origins: dict[KeyPath, Origin] = {}
    for parent in parents:
        parent_path = (path.parent / parent)
        if not parent_path.exists():
            where = origins.get(("extends",), Origin(display, None))
            raise SpecError(
                f"{where}: extends '{parent}', but no such file exists (looked for {parent_path})."
            )
        pdata, porigins = load_with_extends(parent_path, _chain + (resolved,))
        merged = merge(merged, pdata, merged_origins, porigins)
    origins.pop(("extends",), None)
    merged = merge(merged, data, merged_origins, origins)
    merged_origins[()] = Origin(display, 1)
    return merged, merged_origins


def parse_set(assignment: str) -> tuple[KeyPath, Any]:
    """Parse ``path.to.key=value`` (value read as a YAML scalar or flow collection)."""
    if "=" not in assignment:
        raise SpecError(
            f"--set {assignment!r}: expected 'path.to.key=value', e.g. "
            f"'chip.tiles.pes.arrays.readout.bits=4'; found no '='."
        )
    key, _, raw = assignment.partition("=")
    key = key.strip()
    if not key or any(not part for part in key.split(".")):
        raise SpecError(f"--set {assignment!r}: the key path {key!r} has an empty part; expected names joined by dots.")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError as exc:
        raise SpecError(f"--set {assignment!r}: the value is not valid YAML ({exc}).") from None
    return tuple(key.split(".")), value


def apply_sets(data: dict, origins: dict[KeyPath, Origin], sets: list[str] | tuple[str, ...]) -> dict:
    """Apply ``--set`` overrides in order; each records its origin as the command line."""
    for assignment in sets:
        path, value = parse_set(assignment)
        node = data
        for i, part in enumerate(path[:-1]):
            child = node.get(part) if isinstance(node, dict) else None
            if child is None:
                child = {}
                node[part] = child
            elif not isinstance(child, dict):
                raise SpecError(
                    f"--set {assignment!r}: '{'.'.join(path[: i + 1])}' is a value, not a section, "
                    f"so it has no key '{path[i + 1]}'."
                )
            node = child
        if not isinstance(node, dict):
            raise SpecError(f"--set {assignment!r}: cannot set a key inside a non-mapping value.")
        node[path[-1]] = value
        _drop_origins(origins, path)
        for i in range(1, len(path) + 1):
            origins.setdefault(path[:i], Origin(f"--set {assignment}", None))
        origins[path] = Origin(f"--set {assignment}", None)
    return data
