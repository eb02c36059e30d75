"""Off-chip links (kind ``io``): model ``fixed``."""

from __future__ import annotations

import math
from typing import ClassVar

from cimsim.components._util import check_int, check_positive
from cimsim.components.base import ActionCost, Technology
from cimsim.components.registry import register
from cimsim.components.unit import FixedUnit


@register
class FixedLink(FixedUnit):
    """One off-chip link (SerDes / HyperTransport-style I/O) described by its published power
    and area: no action, a constant power drawn for as long as the chip runs.

    ``transfer(bits=None)``: move ``bits`` (default one clock's worth, ``bits_per_clock``) off
    chip: latency ``ceil(bits / bits_per_clock)`` link clocks; energy 0, because the published
    power already covers the link's traffic (no per-bit figure is published).

    A high-speed link keeps its transmitters, receivers and clock recovery running whether or
    not a payload is sent, and the chips cimsim validates against publish the links that way:
    ISAAC's Table 6 (Shafiee et al., ISCA 2016) gives its four HyperTransport links (1.6 GHz,
    6.4 GB/s each) as 10.4 W and 22.88 mm^2 in the chip totals. cimsim books this power as
    static (``leakage_W``), so it is charged over the run time like leakage (as the ``unit``
    model ``fixed`` it extends).

    Parameters:
        power_W: the link's power (W), as published. No default: a link's power depends on its
            standard, rate and PHY, and cimsim has no model of them.
        area_m2: the link's area (m^2), as published; no default for the same reason.
        link_clock_Hz: the link's clock (default 1.6 GHz, ISAAC Table 6's HyperTransport).
        bits_per_clock: payload bits per link clock (default 32: ISAAC Table 6's 6.4 GB/s per
            link over its 1.6 GHz clock).
    """

    kind: ClassVar[str] = "io"
    model: ClassVar[str] = "fixed"
    source: ClassVar[str] = ("published per-link power and area (e.g. ISAAC, Shafiee et al., "
                             "ISCA 2016, Table 6: 4 HyperTransport links, 10.4 W, 22.88 mm^2)")
    valid_range: ClassVar[str] = "any node: the figures are the design's own, not scaled"
    actions: ClassVar[tuple[str, ...]] = ("transfer",)
    example_params: ClassVar[dict] = {"power_W": 2.6, "area_m2": 5.72e-6}

    def __init__(self, tech: Technology, *, power_W: float, area_m2: float,
                 link_clock_Hz: float = 1.6e9, bits_per_clock: int = 32):
        super().__init__(tech, power_W=power_W, area_m2=area_m2)
        o = self.owner
        self.link_clock_Hz = check_positive("link_clock_Hz", link_clock_Hz, o)
        self.bits_per_clock = check_int("bits_per_clock", bits_per_clock, 1, None, owner=o)

    def transfer(self, bits: int | None = None) -> ActionCost:
        n = self.bits_per_clock if bits is None else check_int("bits", bits, 0, None, owner=self.owner)
        return ActionCost(0.0, math.ceil(n / self.bits_per_clock) / self.link_clock_Hz)
