"""The code version a study result was computed with: the package version plus a fingerprint
of cimsim's own source files, so that a results store never serves a point computed by
different code (the hash of a point's inputs includes it), and a Dask worker running other
code is refused."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from cimsim import __version__


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """``"<version>+<first 12 hex digits of sha256 over cimsim/**/*.py>"`` (path and bytes of
    every source file, in sorted order)."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for f in sorted(root.rglob("*.py")):
        h.update(f.relative_to(root).as_posix().encode())
        h.update(b"\0")
        h.update(f.read_bytes())
    return f"{__version__}+{h.hexdigest()[:12]}"
