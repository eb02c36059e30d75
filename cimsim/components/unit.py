"""Published auxiliary units (kind ``unit``): models ``per_op`` and ``fixed``.

A design may list units outside the array datapath whose only published description is a
power and an area (ISAAC's Table 6, Shafiee et al., ISCA 2016: the IMA's output register and
sample-and-hold circuits, the tile's output register, sigmoid and max-pool units). They sit
under ``units`` of a tile or PE section, each under its own role name (``pe.output_register``,
``tile.sigmoid``, ...), and are counted in the area, energy and component breakdowns like any
other component.
"""

from __future__ import annotations

from typing import ClassVar

from cimsim.components._util import check_choice, check_nonneg
from cimsim.components.base import ActionCost, Component, Technology
from cimsim.components.registry import register

#: What one operation of a ``per_op`` unit is, counted from the layer's activity.
ACTIVITIES = ("conversion", "output")


@register
class PerOpUnit(Component):
    """A unit charged per operation from the activity cimsim counts.

    ``operate()``: energy ``energy_per_op_J`` per operation, one clock cycle; no leakage.
    What an operation is (``activity``):

    - ``conversion``: one per ADC conversion of the arrays under the unit's level (a
      sample-and-hold sample of a column, or an output-register update by the shift-and-add);
    - ``output``: one per output element of the layer (after partial sums are combined).

    A published power ``P`` of a unit that operates at a known rate ``r`` at the design's
    operating point gives ``energy_per_op_J = P / r`` (the derivation belongs in the
    architecture file, beside the figure). Unlike a constant power, the energy then follows the
    work the workload does.

    Parameters:
        energy_per_op_J: energy of one operation (J). No default: it is the design's figure.
        area_m2: area of one unit (m^2). No default.
        activity: ``conversion`` (default) or ``output``, as above.
    """

    kind: ClassVar[str] = "unit"
    model: ClassVar[str] = "per_op"
    source: ClassVar[str] = ("published power over the unit's operating rate (e.g. ISAAC, Shafiee "
                             "et al., ISCA 2016, Table 6: IMA output register 0.23 mW, "
                             "sample-and-hold 10 uW per IMA)")
    valid_range: ClassVar[str] = "any node: the figures are the design's own, not scaled"
    actions: ClassVar[tuple[str, ...]] = ("operate",)
    example_params: ClassVar[dict] = {"energy_per_op_J": 2.4e-14, "area_m2": 7.7e-10}

    def __init__(self, tech: Technology, *, energy_per_op_J: float, area_m2: float,
                 activity: str = "conversion"):
        super().__init__(tech)
        o = self.owner
        self.energy_per_op_J = check_nonneg("energy_per_op_J", energy_per_op_J, o)
        self._area_m2 = check_nonneg("area_m2", area_m2, o)
        self.activity = check_choice("activity", activity, ACTIVITIES, o)

    def operate(self) -> ActionCost:
        return ActionCost(self.energy_per_op_J, self.tech.cycle_s)

    @property
    def area_m2(self) -> float:
        return self._area_m2


@register
class FixedUnit(Component):
    """A unit described only by its published power and area, drawn for as long as the chip
    runs (booked as static power, ``leakage_W``, like the ``io`` model ``fixed`` and the mesh
    router's ``router_power_W``). For units whose published power comes with no operating rate
    from which an energy per operation could be derived.

    ``operate()``: energy 0 (the power covers it), one clock cycle.

    Parameters:
        power_W: the unit's power (W), as published. No default.
        area_m2: the unit's area (m^2), as published. No default.
    """

    kind: ClassVar[str] = "unit"
    model: ClassVar[str] = "fixed"
    source: ClassVar[str] = ("published power and area (e.g. ISAAC, Shafiee et al., ISCA 2016, "
                             "Table 6: tile output register 1.68 mW, sigmoid 0.26 mW per unit, "
                             "max-pool 0.4 mW)")
    valid_range: ClassVar[str] = "any node: the figures are the design's own, not scaled"
    actions: ClassVar[tuple[str, ...]] = ("operate",)
    example_params: ClassVar[dict] = {"power_W": 4e-4, "area_m2": 2.4e-10}

    def __init__(self, tech: Technology, *, power_W: float, area_m2: float):
        super().__init__(tech)
        o = self.owner
        self.power_W = check_nonneg("power_W", power_W, o)
        self._area_m2 = check_nonneg("area_m2", area_m2, o)

    def operate(self) -> ActionCost:
        return ActionCost(0.0, self.tech.cycle_s)

    @property
    def area_m2(self) -> float:
        return self._area_m2

    @property
    def leakage_W(self) -> float:
        return self.power_W
