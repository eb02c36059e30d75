"""The interface every component cost model implements.

A component model knows nothing about layers or values: it is built from the technology
(node, supply, clock, transistor flavour) and its own parameters, and answers, per action,
the energy and latency of doing it once, plus its area and leakage. The accounting stage
multiplies action costs by activity counts; the timing engine reads action latencies.

All quantities inside are SI: joules, seconds, square metres, watts, hertz, volts.

Pattern follows hwcomponents (AccelForge): actions return energy and latency together,
area and leakage are properties, technology scaling lives in one place
(:mod:`cimsim.components.technology`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class Technology:
    """The process and operating point a component is built in.

    Attributes:
        node_nm: feature size in nm (e.g. 22.0).
        vdd_V: supply voltage in volts.
        clock_Hz: the chip clock; digital actions take whole cycles of it.
        flavor: transistor type as NeuroSim names it: "LSTP" (low standby power, NeuroSim's
            default for CIM), "HP" (high performance) or "LOP" (low operating power).
    """

    node_nm: float
    vdd_V: float
    clock_Hz: float
    flavor: str = "LSTP"

    @property
    def cycle_s(self) -> float:
        return 1.0 / self.clock_Hz


@dataclass(frozen=True)
class ActionCost:
    """Energy (J) and latency (s) of one occurrence of an action."""

    energy_J: float
    latency_s: float

    def __add__(self, other: "ActionCost") -> "ActionCost":
        """Serial composition: energies and latencies add."""
        return ActionCost(self.energy_J + other.energy_J, self.latency_s + other.latency_s)

    def times(self, n: float) -> "ActionCost":
        """n occurrences one after another."""
        return ActionCost(self.energy_J * n, self.latency_s * n)


class Component:
    """Base class of every component cost model.

    Subclasses set the class attributes below and implement their actions as methods that
    return :class:`ActionCost` (e.g. ``convert()`` for an ADC, ``read(active_rows, ...)``
    for a crossbar), plus the two properties ``area_m2`` and ``leakage_W``.

    Class attributes:
        kind: component kind, e.g. "adc", "crossbar", "buffer".
        model: the model's registry name within its kind, e.g. "neurosim_sar".
        source: citation (paper / tool, page, table or equation) of the formulas used.
        valid_range: the range of parameters the source supports, in words.
        actions: names of the action methods.
    """

    kind: ClassVar[str] = ""
    model: ClassVar[str] = ""
    source: ClassVar[str] = ""
    valid_range: ClassVar[str] = ""
    actions: ClassVar[tuple[str, ...]] = ()
    #: Parameters a model needs beyond its defaults to be built for ``describe`` and tests
    #: (e.g. ``{"bits": 8}`` for an ADC). Empty when every parameter has a default.
    example_params: ClassVar[dict] = {}

    def __init__(self, tech: Technology):
        self.tech = tech

    @property
    def owner(self) -> str:
        """How error messages name this component, e.g. ``adc model 'murmann'``."""
        return f"{self.kind} model '{self.model}'"

    @property
    def area_m2(self) -> float:
        raise NotImplementedError

    @property
    def leakage_W(self) -> float:
        return 0.0

    def describe(self) -> dict[str, float]:
        """Energy (J) and latency (s) of each action with its default arguments, plus area
        and leakage: what ``cimsim describe`` prints per component."""
        out: dict[str, float] = {"area_m2": self.area_m2, "leakage_W": self.leakage_W}
        for name in self.actions:
            cost = getattr(self, name)()
            out[f"{name}.energy_J"] = cost.energy_J
            out[f"{name}.latency_s"] = cost.latency_s
        return out
