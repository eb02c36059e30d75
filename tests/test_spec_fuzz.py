"""Property tests: random and mutated YAML never produce a traceback.

Whatever the file holds, loading it either succeeds or raises a SpecError (which the command
line prints as one paragraph with exit status 2). Any other exception is a bug.
"""

from __future__ import annotations

import copy
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cimsim.architecture import load_architecture
from cimsim.cli import main
from cimsim.errors import SpecError

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = yaml.safe_load((ROOT / "arch/neurosim-rram-22nm.yaml").read_text())

junk = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=True)
    | st.text(max_size=12) | st.sampled_from(["0 V", "-3 ns", "1e400 GHz", "nan pJ", "12 KiB", "5 furlongs", "inf s"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=6,
)


def _paths(doc, prefix=()):
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield prefix + (k,)
            yield from _paths(v, prefix + (k,))


ALL_PATHS = list(_paths(DEFAULT))


def _mutate(doc, ops):
    doc = copy.deepcopy(doc)
    for op, idx, value in ops:
        path = ALL_PATHS[idx % len(ALL_PATHS)]
        parent = doc
        for p in path[:-1]:
            if not isinstance(parent, dict) or p not in parent:
                break
            parent = parent[p]
        else:
            if not isinstance(parent, dict):
                continue
            key = path[-1]
            if op == "delete":
                parent.pop(key, None)
            elif op == "replace":
                parent[key] = value
            else:
                parent[f"{key}_x"] = value
    return doc


def _load_without_traceback(path: Path) -> None:
    try:
        load_architecture(path)
    except SpecError as exc:
        text = str(exc)
        assert str(path) in text or "--set" in text, text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(st.tuples(st.sampled_from(["delete", "replace", "add"]), st.integers(0, 10**6), junk),
                    min_size=1, max_size=4))
def test_mutated_default_never_tracebacks(tmp_path, ops):
    doc = _mutate(DEFAULT, ops)
    p = tmp_path / "m.yaml"
    p.write_text(yaml.safe_dump(doc, allow_unicode=True))
    _load_without_traceback(p)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=200))
def test_random_text_never_tracebacks(tmp_path, text):
    p = tmp_path / "r.yaml"
    p.write_text(text, encoding="utf-8")
    _load_without_traceback(p)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=120))
def test_random_bytes_never_traceback(tmp_path, data):
    p = tmp_path / "b.yaml"
    p.write_bytes(data)
    _load_without_traceback(p)


@settings(max_examples=80, deadline=None)
@given(key=st.sampled_from([".".join(p) for p in ALL_PATHS]), value=st.text(max_size=10))
def test_random_set_overrides_never_traceback(key, value):
    try:
        load_architecture(ROOT / "arch/neurosim-rram-22nm.yaml", [f"{key}={value}"])
    except SpecError:
        pass


def test_cli_error_is_one_paragraph_exit_2(tmp_path, capsys):
    p = tmp_path / "bad.yaml"
    p.write_text((ROOT / "arch/neurosim-rram-22nm.yaml").read_text().replace("rows: 128", "rows: 0", 1))
    code = main(["describe", str(p)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: ") and "Traceback" not in err
    assert "chip.tiles.pes.arrays.rows" in err and "at least 1" in err and "line" in err
    assert "\n\n" not in err.strip()
