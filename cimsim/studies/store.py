"""The results store: one SQLite file, written point by point, read with pandas.

Tables (query them with ``sqlite3`` or ``pandas.read_sql``; :meth:`ResultsStore.frame`
gives the joined table with a unit in every metric column name):

``points``
    one row per point key (SHA-256 of the fully resolved inputs, see
    :mod:`cimsim.studies.plan`): ``status`` (``pending``, ``done``, ``error``), ``inputs``
    (the JSON that was hashed), ``result`` (the report JSON, units on every number),
    ``error``, ``wall_s``, ``worker``, ``finished`` (Unix time).
``metrics``
    ``(hash, name, value, unit)`` for every metric of every finished point.
``studies`` / ``study_points``
    each study or sweep run against the store and its points: ``label``, ``position`` and
    ``params`` (variant, grid values, workload, quantizer, read-out, dataflow) per point. A
    point key shared by two sweeps is stored (and run) once.
``evaluations``
    one row each time a result arrived (the audit trail: a resumed sweep adds none for
    points it skipped).

Each finished point is committed in its own transaction as it arrives (WAL journal,
``synchronous=FULL``), so Ctrl-C or a crash loses only points not yet finished. The file
holds JSON and numbers only (no pickle); it is safe to exchange.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any, Iterable

from cimsim.errors import CimsimError

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS points (
    hash TEXT PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('pending', 'done', 'error')),
    inputs TEXT NOT NULL,
    result TEXT,
    error TEXT,
    wall_s REAL,
    worker TEXT,
    cimsim_version TEXT,
    created REAL NOT NULL,
    finished REAL
);
CREATE TABLE IF NOT EXISTS metrics (
    hash TEXT NOT NULL REFERENCES points(hash),
    name TEXT NOT NULL,
    value REAL,
    unit TEXT NOT NULL,
    ord INTEGER NOT NULL,
    PRIMARY KEY (hash, name)
);
CREATE TABLE IF NOT EXISTS studies (
    name TEXT PRIMARY KEY,
    file TEXT,
    document TEXT NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS study_points (
    study TEXT NOT NULL REFERENCES studies(name),
    position INTEGER NOT NULL,
    label TEXT NOT NULL,
    hash TEXT NOT NULL REFERENCES points(hash),
    params TEXT NOT NULL,
    PRIMARY KEY (study, position)
);
CREATE INDEX IF NOT EXISTS study_points_hash ON study_points(hash);
CREATE TABLE IF NOT EXISTS evaluations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    hash TEXT NOT NULL,
    status TEXT NOT NULL,
    worker TEXT,
    wall_s REAL,
    finished REAL NOT NULL
);
"""


class ResultsStore:
    """A results store file (created on first use)."""

    def __init__(self, path: str | Path, readonly: bool = False):
        self.path = Path(path)
        if readonly and not self.path.is_file():
            raise CimsimError(f"{self.path}: no results store here yet; run the sweep first (or pass --store FILE).")
        try:
            if not readonly:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            uri = f"file:{self.path}?mode=ro" if readonly else str(self.path)
            self.conn = sqlite3.connect(uri, uri=readonly, timeout=30.0, isolation_level=None)
            self.conn.execute("PRAGMA busy_timeout = 30000")
            if not readonly:
                self.conn.execute("PRAGMA journal_mode = WAL")
                self.conn.execute("PRAGMA synchronous = FULL")
                self.conn.executescript(_SCHEMA)
                self._check_version()
        except sqlite3.DatabaseError as exc:
            raise CimsimError(f"{self.path}: cannot be opened as a cimsim results store (SQLite: {exc}).") from None

    def _check_version(self) -> None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is None:
            self.conn.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        elif int(row[0]) != SCHEMA_VERSION:
            raise CimsimError(f"{self.path}: results store schema version {row[0]}; this cimsim reads version "
                              f"{SCHEMA_VERSION}. Use another --store file.")

    def _tx(self):
        return _Transaction(self.conn)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- writing ------------------------------------------------------------------------
    def register(self, plan) -> None:
        """Record a study and its points (pending unless already finished); unresolvable
        points are recorded as errors at once."""
        from cimsim.studies.plan import canonical_json

        study = plan.study
        now = time.time()
        with self._tx():
            self.conn.execute(
                "INSERT INTO studies (name, file, document, created, updated) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(name) DO UPDATE SET file = excluded.file, document = excluded.document, "
                "updated = excluded.updated",
                (study.name, study.file, canonical_json(study.document), now, now))
            self.conn.execute("DELETE FROM study_points WHERE study = ?", (study.name,))
            self.conn.executemany(
                "INSERT INTO study_points (study, position, label, hash, params) VALUES (?, ?, ?, ?, ?)",
                [(study.name, p.position, p.label, p.hash, json.dumps(p.params, default=str)) for p in plan.points])
            self.conn.executemany(
                "INSERT OR IGNORE INTO points (hash, status, inputs, created) VALUES (?, 'pending', ?, ?)",
                [(p.hash, canonical_json(p.inputs), now) for p in plan.unique_points])
            for p in plan.unique_points:
                if p.error is not None:
                    self.conn.execute("UPDATE points SET status = 'error', error = ?, finished = ? WHERE hash = ? "
                                      "AND status != 'done'", (p.error, now, p.hash))

    def record(self, res: dict[str, Any]) -> None:
        """Store one finished point (one transaction)."""
        now = time.time()
        with self._tx():
            self.conn.execute(
                "UPDATE points SET status = ?, result = ?, error = ?, wall_s = ?, worker = ?, cimsim_version = ?, "
                "finished = ? WHERE hash = ?",
                (res["status"], None if res.get("result") is None else json.dumps(res["result"]), res.get("error"),
                 res.get("wall_s"), res.get("worker"), res.get("cimsim"), now, res["hash"]))
            self.conn.execute("DELETE FROM metrics WHERE hash = ?", (res["hash"],))
            self.conn.executemany("INSERT INTO metrics (hash, name, value, unit, ord) VALUES (?, ?, ?, ?, ?)",
                                  [(res["hash"], n, v, u, i) for i, (n, v, u) in enumerate(res.get("metrics") or [])])
            self.conn.execute("INSERT INTO evaluations (hash, status, worker, wall_s, finished) VALUES (?, ?, ?, ?, ?)",
                              (res["hash"], res["status"], res.get("worker"), res.get("wall_s"), now))

    def reset(self, hashes: Iterable[str]) -> None:
        """Mark points pending again (``--no-resume``, ``--retry-errors``)."""
        with self._tx():
            self.conn.executemany("UPDATE points SET status = 'pending' WHERE hash = ?", [(h,) for h in hashes])

    # -- reading ------------------------------------------------------------------------
    def statuses(self, hashes: Iterable[str] | None = None) -> dict[str, str]:
        rows = self.conn.execute("SELECT hash, status FROM points").fetchall()
        out = dict(rows)
        if hashes is not None:
            return {h: out.get(h, "pending") for h in hashes}
        return out

    def studies(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT name FROM studies ORDER BY updated DESC")]

    def study_counts(self, study: str) -> dict[str, int]:
        """Points of ``study`` by status (listed positions, duplicates counted once each)."""
        rows = self.conn.execute(
            "SELECT p.status, COUNT(*) FROM study_points s JOIN points p ON p.hash = s.hash WHERE s.study = ? "
            "GROUP BY p.status", (study,)).fetchall()
        out = {"pending": 0, "done": 0, "error": 0}
        out.update(dict(rows))
        return out

    def errors(self, study: str, limit: int = 5) -> list[tuple[str, str]]:
        return self.conn.execute(
            "SELECT s.label, p.error FROM study_points s JOIN points p ON p.hash = s.hash WHERE s.study = ? "
            "AND p.status = 'error' ORDER BY s.position LIMIT ?", (study, limit)).fetchall()

    def result(self, hash: str) -> dict | None:
        row = self.conn.execute("SELECT result FROM points WHERE hash = ?", (hash,)).fetchone()
        return None if row is None or row[0] is None else json.loads(row[0])

    def evaluation_counts(self) -> dict[str, int]:
        return dict(self.conn.execute("SELECT hash, COUNT(*) FROM evaluations GROUP BY hash").fetchall())

    def frame(self, study: str | None = None):
        """A pandas DataFrame, one row per point of ``study`` (default: the latest), in the
        study's order: label, params, status, then one ``name [unit]`` column per metric,
        then ``error``, ``wall_s`` and ``hash``."""
        import pandas as pd

        from cimsim.studies.metrics import column

        study = study or (self.studies() or [None])[0]
        if study is None:
            raise CimsimError(f"{self.path}: the results store holds no study yet.")
        pts = pd.read_sql_query(
            "SELECT s.position, s.label, s.params, s.hash, p.status, p.error, p.wall_s, p.worker "
            "FROM study_points s JOIN points p ON p.hash = s.hash WHERE s.study = ? ORDER BY s.position",
            self.conn, params=(study,))
        if pts.empty:
            raise CimsimError(f"{self.path}: no study named '{study}' in this results store "
                              f"(it holds: {', '.join(self.studies()) or 'none'}).")
        params = pd.DataFrame([json.loads(p) for p in pts["params"]], index=pts.index)
        met = pd.read_sql_query(
            "SELECT m.hash, m.name, m.value, m.unit, m.ord FROM metrics m WHERE m.hash IN "
            "(SELECT hash FROM study_points WHERE study = ?) ORDER BY m.ord", self.conn, params=(study,))
        cols = pd.DataFrame(index=pts.index)
        if not met.empty:
            order = met.groupby("name", sort=False)[["ord", "unit"]].first().sort_values("ord", kind="stable")
            wide = met.pivot(index="hash", columns="name", values="value")
            wide = wide[list(order.index)]
            wide.columns = [column(n, u) for n, u in zip(order.index, order["unit"])]
            cols = wide.reindex(pts["hash"]).set_index(pts.index)
        return pd.concat([pts[["label"]], params, pts[["status"]], cols, pts[["error", "wall_s", "worker", "hash"]]],
                         axis=1)


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``, rolled back on any exception (Ctrl-C included)."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def __enter__(self):
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, typ, exc, tb):
        if typ is None:
            self.conn.execute("COMMIT")
        else:
            self.conn.execute("ROLLBACK")
        return False
