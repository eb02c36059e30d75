"""Validation against published chips and simulators (``cimsim validate-refs``).

Each :class:`~cimsim.validation.designs.Design` is an architecture file under
``arch/validation/<design>/`` (every parameter's source in its comments), a workload, and the
figures its source publishes (:class:`~cimsim.validation.designs.Check`: value, unit,
citation, tolerance and why). :func:`~cimsim.validation.runner.run` simulates each design and
compares: published value, cimsim's value, error in percent, within tolerance or not, and for a
metric out of tolerance the documented reason. ``docs/validation.md`` is generated from the
same rows (:mod:`cimsim.validation.table`).
"""

from __future__ import annotations

from cimsim.validation.designs import DESIGNS, Check, Design, design_by_key
from cimsim.validation.runner import Row, run

__all__ = ["DESIGNS", "Check", "Design", "Row", "design_by_key", "run"]
