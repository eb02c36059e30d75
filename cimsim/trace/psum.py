"""Partial-sum (column read-out) quantizers: parameters recorded in traces, and a reference.

Placeholder; filled in below.
"""

from __future__ import annotations

from typing import Any

from cimsim.errors import CimsimError

MODES = ("adc", "binary", "ternary")


def check_spec(spec: dict[str, Any]) -> None:
    if not isinstance(spec, dict) or spec.get("mode") not in MODES:
        raise CimsimError(f"partial-sum quantizer: mode should be one of {list(MODES)}, found "
                          f"{spec.get('mode') if isinstance(spec, dict) else spec!r}")


def validate_psum(layer) -> None:
    return None
