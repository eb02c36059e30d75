"""On-chip interconnect (kind ``interconnect``): models ``bus``, ``htree``, ``mesh``."""

from __future__ import annotations

import math
from typing import ClassVar

from cimsim.components._util import check_int, check_nonneg, check_positive, check_real
from cimsim.components.base import ActionCost, Component, Technology
from cimsim.components.registry import register
from cimsim.components.technology import (
    NEUROSIM_BUS_SWITCHING,
    WIRE_CAP_F_PER_M,
    array_feature_size_m,
    gate_library,
)


class _Interconnect(Component):
    """Common wire model.

    Energy per bit moved: ``energy_per_bit_J`` when given; otherwise
    ``switching_activity * wire_capacitance_per_m * length * VDD^2`` (+ router energy for the
    mesh), with NeuroSim's 0.2 fF/um wire capacitance and 0.25 switching activity (``Bus.cpp``)
    and ``length`` from the topology, the endpoint count and ``tile_pitch_m`` (distance
    between neighbouring endpoints; default 1 mm, **assumption**: a NeuroSim-sized tile).

    ``transfer(bits=None)``: move ``bits`` (default one flit of ``width_bits``) between two
    endpoints: ``flits = ceil(bits / width_bits)``; energy ``bits * E_bit``; latency
    ``(hops * cycles_per_hop + flits - 1)`` clock cycles (pipelined links: the first flit takes
    the hops, one more cycle per further flit).

    Area: ``width_bits * total wire length * wire_pitch_m`` (default pitch 2x NeuroSim's array
    feature size, **assumption**; repeaters not modelled). Leakage: 0 (repeaters not modelled).
    """

    kind: ClassVar[str] = "interconnect"
    actions: ClassVar[tuple[str, ...]] = ("transfer",)
    source: ClassVar[str] = ""

    def __init__(self, tech: Technology, *, width_bits: int = 256, endpoints: int = 16,
                 energy_per_bit_J: float | None = None, tile_pitch_m: float = 1e-3,
                 wire_capacitance_per_m: float = WIRE_CAP_F_PER_M,
                 switching_activity: float = NEUROSIM_BUS_SWITCHING,
                 hops: int | None = None, cycles_per_hop: int = 1,
                 wire_pitch_m: float | None = None):
        super().__init__(tech)
        o = self.owner
        self.width_bits = check_int("width_bits", width_bits, 1, None, owner=o)
        self.endpoints = check_int("endpoints", endpoints, 2, None, owner=o)
        self.tile_pitch_m = check_positive("tile_pitch_m", tile_pitch_m, o)
        self.wire_capacitance_per_m = check_nonneg("wire_capacitance_per_m",
                                                   wire_capacitance_per_m, o)
        self.switching_activity = check_real("switching_activity", switching_activity, 0.0, 1.0,
                                             owner=o)
        self.cycles_per_hop = check_int("cycles_per_hop", cycles_per_hop, 0, None, owner=o)
        self.wire_pitch_m = (2 * array_feature_size_m(tech.node_nm) if wire_pitch_m is None
                             else check_positive("wire_pitch_m", wire_pitch_m, o))
        self.hops = (self.default_hops() if hops is None
                     else check_int("hops", hops, 0, None, owner=o))
        self.energy_per_bit_J = (self.derived_energy_per_bit_J() if energy_per_bit_J is None
                                 else check_nonneg("energy_per_bit_J", energy_per_bit_J, o))

    # topology-specific -----------------------------------------------------------------
    def path_length_m(self) -> float:  # pragma: no cover
        raise NotImplementedError

    def total_length_m(self) -> float:  # pragma: no cover
        raise NotImplementedError

    def default_hops(self) -> int:  # pragma: no cover
        raise NotImplementedError

    def router_energy_per_bit_J(self) -> float:
        return 0.0

    def router_area_m2(self) -> float:
        return 0.0

    # common ----------------------------------------------------------------------------
    def derived_energy_per_bit_J(self) -> float:
        wire = (self.switching_activity * self.wire_capacitance_per_m * self.path_length_m()
                * self.tech.vdd_V ** 2)
        return wire + self.router_energy_per_bit_J()

    def transfer(self, bits: int | None = None) -> ActionCost:
        n = self.width_bits if bits is None else check_int("bits", bits, 0, None, owner=self.owner)
        if n == 0:
            return ActionCost(0.0, 0.0)
        flits = math.ceil(n / self.width_bits)
        cycles = self.hops * self.cycles_per_hop + flits - 1
        return ActionCost(n * self.energy_per_bit_J, cycles * self.tech.cycle_s)

    @property
    def area_m2(self) -> float:
        return self.width_bits * self.total_length_m() * self.wire_pitch_m + self.router_area_m2()


@register
class Bus(_Interconnect):
    """Shared bus along a row of ``endpoints`` (NeuroSim's X-Y bus style): every transfer drives
    the whole bus, ``length = endpoints * tile_pitch_m`` (worst case, no segmentation); one hop."""

    model: ClassVar[str] = "bus"
    source: ClassVar[str] = ("DNN NeuroSim V1.3 Bus.cpp (0.2 fF/um wire capacitance, switching "
                             "ratio 0.25); wire-length model in the class docstring")
    valid_range: ClassVar[str] = "2+ endpoints on a line; nodes 7-180 nm"

    def path_length_m(self) -> float:
        return self.endpoints * self.tile_pitch_m

    def total_length_m(self) -> float:
        return self.path_length_m()

    def default_hops(self) -> int:
        return 1


@register
class HTree(_Interconnect):
    """H-tree from a root to ``endpoints`` leaves on a sqrt(n) x sqrt(n) grid of pitch p
    (NeuroSim's chip- and tile-level H-tree). For side ``L = sqrt(n) p`` the root-to-leaf path
    is ``L (1 - 1/sqrt(n)) = p (sqrt(n) - 1)`` and the total wire ``1.5 p sqrt(n) (sqrt(n) - 1)``
    (closed forms of the recursive H layout); a transfer goes root <-> leaf over
    ``ceil(log2 n)`` branch levels (hops)."""

    model: ClassVar[str] = "htree"
    source: ClassVar[str] = ("DNN NeuroSim V1.3 HTree.cpp (H-tree interconnect, 0.2 fF/um); "
                             "H-tree geometry in the class docstring")
    valid_range: ClassVar[str] = "2+ endpoints (exact geometry for powers of 4); nodes 7-180 nm"

    def path_length_m(self) -> float:
        return self.tile_pitch_m * (math.sqrt(self.endpoints) - 1)

    def total_length_m(self) -> float:
        s = math.sqrt(self.endpoints)
        return 1.5 * self.tile_pitch_m * s * (s - 1)

    def default_hops(self) -> int:
        return math.ceil(math.log2(self.endpoints))


@register
class Mesh(_Interconnect):
    """2-D mesh network-on-chip over a k x k grid (``k = ceil(sqrt(endpoints))``).

    Uniform random traffic: mean distance ``2 (k^2 - 1) / (3 k)`` hops (``(k^2-1)/(3k)`` per
    dimension); energy per bit = that many links of ``tile_pitch_m`` plus a router per hop
    (**assumption**: one DFF input stage + ``router_mux2`` 2:1 muxes of 3 ND2 per bit per hop,
    ZigZag-IMC gate costs). Default ``hops`` = the mean distance rounded up; pass ``hops``
    when the mapping knows the distance. Router area: ``routers * 5 ports * width_bits *
    (A_DFF + router_mux2 * 3 A_ND2)``; links: ``2 k (k - 1)`` of the router pitch.

    Concentration (``endpoints_per_router`` = c, default 1): a concentrated mesh (c-mesh, as
    ISAAC's four tiles per router) has ``routers = ceil(endpoints / c)`` on a k x k grid,
    ``k = ceil(sqrt(routers))``, at a router pitch ``tile_pitch_m * sqrt(c)``; hops and links
    are counted on that grid. With c = 1 it is the plain mesh above.

    Published routers: ``router_area_m2`` and ``router_power_W`` (per router) replace the
    gate-built router, e.g. ISAAC's 0.151 mm^2 and 42 mW per router shared by 4 tiles
    (Shafiee et al., ISCA 2016, Table 6). A published power is the router's power in the
    design's operation, drawn for as long as the chip runs: it is booked as static power
    (``leakage_W``) and the per-bit router energy is then 0 (**assumption**: no per-bit figure
    is published; the wire energy per bit is still charged)."""

    model: ClassVar[str] = "mesh"
    source: ClassVar[str] = ("uniform-random mean distance on a k x k mesh (Dally & Towles, "
                             "Principles and Practices of Interconnection Networks, 2004); "
                             "0.2 fF/um and 0.25 activity from NeuroSim V1.3 Bus.cpp; ZigZag-IMC "
                             "gates for routers")
    valid_range: ClassVar[str] = "2+ endpoints; nodes 7-180 nm"

    def __init__(self, tech: Technology, *, width_bits: int = 256, endpoints: int = 16,
                 energy_per_bit_J: float | None = None, tile_pitch_m: float = 1e-3,
                 wire_capacitance_per_m: float = WIRE_CAP_F_PER_M,
                 switching_activity: float = NEUROSIM_BUS_SWITCHING,
                 hops: int | None = None, cycles_per_hop: int = 1,
                 wire_pitch_m: float | None = None, router_mux2: int = 2,
                 endpoints_per_router: int = 1, router_area_m2: float | None = None,
                 router_power_W: float | None = None):
        o = f"{self.kind} model '{self.model}'"
        self.router_mux2 = check_int("router_mux2", router_mux2, 0, None, owner=o)
        self.endpoints_per_router = check_int("endpoints_per_router", endpoints_per_router, 1,
                                              None, owner=o)
        self.published_router_area_m2 = (None if router_area_m2 is None
                                         else check_nonneg("router_area_m2", router_area_m2, o))
        self.published_router_power_W = (None if router_power_W is None
                                          else check_nonneg("router_power_W", router_power_W, o))
        self._gates = gate_library(tech)
        super().__init__(tech, width_bits=width_bits, endpoints=endpoints,
                         energy_per_bit_J=energy_per_bit_J, tile_pitch_m=tile_pitch_m,
                         wire_capacitance_per_m=wire_capacitance_per_m,
                         switching_activity=switching_activity, hops=hops,
                         cycles_per_hop=cycles_per_hop, wire_pitch_m=wire_pitch_m)

    @property
    def routers(self) -> int:
        return math.ceil(self.endpoints / self.endpoints_per_router)

    @property
    def k(self) -> int:
        return math.ceil(math.sqrt(self.routers))

    @property
    def router_pitch_m(self) -> float:
        return self.tile_pitch_m * math.sqrt(self.endpoints_per_router)

    def mean_hops(self) -> float:
        k = self.k
        return 2 * (k * k - 1) / (3 * k)

    def path_length_m(self) -> float:
        return self.mean_hops() * self.router_pitch_m

    def total_length_m(self) -> float:
        return 2 * self.k * (self.k - 1) * self.router_pitch_m

    def default_hops(self) -> int:
        return max(1, math.ceil(self.mean_hops() - 1e-9))

    def router_energy_per_bit_J(self) -> float:
        if self.published_router_power_W is not None:
            return 0.0
        g = self._gates
        return self.mean_hops() * (g.dff_energy_J + self.router_mux2 * 3 * g.nd2_energy_J)

    def router_area_m2(self) -> float:
        if self.published_router_area_m2 is not None:
            return self.routers * self.published_router_area_m2
        g = self._gates
        return (self.routers * 5 * self.width_bits
                * (g.dff_area_m2 + self.router_mux2 * 3 * g.nd2_area_m2))

    @property
    def leakage_W(self) -> float:
        if self.published_router_power_W is None:
            return 0.0
        return self.routers * self.published_router_power_W
