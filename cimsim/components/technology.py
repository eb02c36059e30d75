"""Technology-node scaling and per-node constants: the one place where nodes meet numbers.

Three groups of data live here, each with its source:

1. **Node scaling** (``scale_energy``, ``scale_area``, ``scale_latency``) from
   A. Stillmaker and B. Baas, "Scaling equations for the accurate prediction of CMOS device
   performance from 180 nm to 7 nm", *Integration, the VLSI Journal* 58:74-81, 2017,
   doi 10.1016/j.vlsi.2017.02.002:

   - area: the paper's table of area scaling factors (row "from 180 nm"), relative area
     1, 0.34, 0.15, 0.08, 0.053, 0.025, 0.011, 0.01, 0.0093, 0.0055, 0.0032 for
     180, 130, 90, 65, 45, 32, 20, 16, 14, 10, 7 nm;
   - energy: the paper's fitted energy polynomials ``a*V^2 + b*V + c`` per node (Table 5 of the
     paper; 45 nm and below have separate HP and LP device fits, 180-65 nm one fit);
   - delay: the paper's fitted delay polynomials ``a*V^3 + b*V^2 + c*V + d`` per node (HP
     devices), evaluated at the nominal supply.

   Coefficients as transcribed from the paper in UCLA NanoCAD's ``nodeScale`` tool and in
   Accelergy's HWComponents scaling module (the two agree); cross-checked against the paper's
   erratum example (HP 32 nm at 0.9 V: 0.4571).

   Nodes between table entries are interpolated log-log (log factor linear in log node).
   The valid range is 7-180 nm; outside it :class:`CimsimError` is raised.

   Nominal supplies (used when no supply is given) are those of the PTM / PTM-MG models the
   paper simulates: 1.8, 1.3, 1.2, 1.1, 1.0, 0.9, 0.9, 0.85, 0.8, 0.75, 0.7 V
   (**assumption**: the paper's text lists per-model supplies; these are the PTM nominal values).

   Known property of the delay data: at nominal supply the 20 nm HP FinFET fit (9.47) is
   slower than the 32 nm HP bulk fit (8.36). ``scale_latency`` therefore uses the running
   minimum of the delay factor from 180 nm downwards (**assumption**: shrinking a design never
   makes it slower), i.e. 20 nm gets the 32 nm delay factor. Energy and area are monotone as
   tabulated and are not adjusted.

2. **NeuroSim per-node constants** (DNN NeuroSim V1.3, ``constant.h``, ``formula.cpp``,
   ``Param.cpp``, ``Technology.cpp``): minimum transistor footprint, the array feature size
   (NeuroSim's cell wire width), off-current per width, wire capacitance.

3. **ZigZag-IMC 28 nm gate library** (KULeuven-MICAS ZigZag-IMC, ``ImcUnit.TECH_PARAM_28NM``;
   Houshmand et al., "Benchmarking and modeling of analog and digital SRAM in-memory computing
   architectures", 2023): ND2 0.7 fF / 0.614 um^2 / 0.0478 ns; XOR2 1.5x capacitance,
   2.4x area, 2.4x delay; DFF 3x capacitance, 6x area; full adder = 3 ND2 + 2 XOR2;
   energy = C * VDD^2. :func:`gate_library` scales it to any node with the functions above.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from cimsim.components.base import Technology
from cimsim.errors import CimsimError

# ---------------------------------------------------------------------------------------------
# 1. Stillmaker & Baas (2017) scaling
# ---------------------------------------------------------------------------------------------

#: Tabulated nodes of Stillmaker & Baas, largest first.
NODES_NM: tuple[int, ...] = (180, 130, 90, 65, 45, 32, 20, 16, 14, 10, 7)
MIN_NODE_NM = 7.0
MAX_NODE_NM = 180.0

#: Area relative to 180 nm (paper's area scaling table, row "180 nm").
_AREA_REL: dict[int, float] = {
    180: 1.0, 130: 0.34, 90: 0.15, 65: 0.08, 45: 0.053, 32: 0.025,
    20: 0.011, 16: 0.01, 14: 0.0093, 10: 0.0055, 7: 0.0032,
}

#: Energy polynomial (a, b, c): factor = a V^2 + b V + c. "HP"/"LP" device fits at <= 45 nm.
_ENERGY_POLY: dict[str, dict[int, tuple[float, float, float]]] = {
    "HP": {
        180: (0.0, 24.64, -17.98), 130: (7.171, -6.709, 2.904), 90: (4.762, -4.781, 2.092),
        65: (3.755, -4.398, 1.975), 45: (1.018, -0.3107, 0.1539), 32: (0.8367, -0.4341, 0.1701),
        20: (0.373, -0.1582, 0.04104), 16: (0.2958, -0.1241, 0.03024),
        14: (0.2363, -0.09675, 0.02239), 10: (0.2068, -0.09311, 0.02375),
        7: (0.1776, -0.09097, 0.02447),
    },
    "LP": {
        180: (0.0, 24.64, -17.98), 130: (7.171, -6.709, 2.904), 90: (4.762, -4.781, 2.092),
        65: (3.755, -4.398, 1.975), 45: (1.103, -0.362, 0.2767), 32: (0.9559, -0.7823, 0.471),
        20: (0.2632, -0.14, 0.06841), 16: (0.2139, -0.1187, 0.05639),
        14: (0.1556, -0.06472, 0.03066), 10: (0.1261, -0.0518, 0.02769),
        7: (0.09365, -0.03409, 0.02043),
    },
}

#: Delay polynomial (a, b, c, d): factor = a V^3 + b V^2 + c V + d, HP devices.
_DELAY_POLY_HP: dict[int, tuple[float, float, float, float]] = {
    180: (0.0, 97.09, -356.7, 406.5), 130: (-76.65, 334.9, -493.4, 275.8),
    90: (-60.34, 262.5, -384.2, 210.9), 65: (-53.3, 230.4, -333.9, 178.6),
    45: (-501.6, 1567.0, -1619.0, 566.1), 32: (-1047.0, 2982.0, -2797.0, 873.5),
    20: (0.0, 34.63, -66.37, 41.15), 16: (0.0, 24.8, -47.52, 28.87),
    14: (-40.66, 109.2, -100.6, 35.92), 10: (-34.95, 93.65, -85.99, 30.4),
    7: (-28.58, 76.6, -70.26, 24.69),
}

#: Nominal supply per tabulated node (PTM / PTM-MG nominal values; see module docstring).
NOMINAL_VDD_V: dict[int, float] = {
    180: 1.8, 130: 1.3, 90: 1.2, 65: 1.1, 45: 1.0, 32: 0.9,
    20: 0.9, 16: 0.85, 14: 0.8, 10: 0.75, 7: 0.7,
}

#: Sanity guard on supplies passed to the energy fit (not the paper's range; a typo catcher).
_VDD_GUARD_V = (0.3, 2.0)


def check_node(node_nm: float, what: str = "technology node") -> float:
    """Return node_nm as float, or raise if outside the 7-180 nm range of the scaling table."""
    if isinstance(node_nm, bool) or not isinstance(node_nm, (int, float)) or not math.isfinite(node_nm):
        raise CimsimError(f"{what} must be a number of nanometres, got {node_nm!r}")
    node = float(node_nm)
    if not (MIN_NODE_NM - 1e-9 <= node <= MAX_NODE_NM + 1e-9):
        raise CimsimError(
            f"{what} {node:g} nm is outside the valid range {MIN_NODE_NM:g}-{MAX_NODE_NM:g} nm "
            "of the scaling table (Stillmaker & Baas, Integration 58, 2017)")
    return node


def _bracket(node: float) -> tuple[int, int, float]:
    """Tabulated nodes (hi >= node >= lo) and the log-interpolation weight of lo."""
    for hi, lo in zip(NODES_NM[:-1], NODES_NM[1:]):
        if lo <= node <= hi:
            if abs(node - hi) < 1e-9:
                return hi, hi, 0.0
            if abs(node - lo) < 1e-9:
                return lo, lo, 0.0
            w = (math.log(node) - math.log(hi)) / (math.log(lo) - math.log(hi))
            return hi, lo, w
    raise AssertionError("unreachable: node checked before")  # pragma: no cover


def _loglog(node: float, f) -> float:
    hi, lo, w = _bracket(node)
    if hi == lo:
        return f(hi)
    return math.exp((1.0 - w) * math.log(f(hi)) + w * math.log(f(lo)))


def nominal_vdd(node_nm: float) -> float:
    """Nominal supply (V) at a node; linear in log(node) between tabulated nodes."""
    node = check_node(node_nm)
    hi, lo, w = _bracket(node)
    return (1.0 - w) * NOMINAL_VDD_V[hi] + w * NOMINAL_VDD_V[lo]


def _poly_flavor(flavor: str) -> str:
    f = str(flavor).upper()
    if f == "HP":
        return "HP"
    if f in ("LSTP", "LOP", "LP"):
        return "LP"
    raise CimsimError(
        f"transistor flavor {flavor!r} is unknown; expected 'HP', 'LSTP' or 'LOP' "
        "(LSTP and LOP use Stillmaker & Baas's LP device fits)")


def _energy_poly(n: int, v: float, fl: str) -> float:
    a, b, c = _ENERGY_POLY[fl][n]
    val = a * v * v + b * v + c
    if val <= 0.0:
        raise CimsimError(
            f"supply {v:g} V is outside the range of Stillmaker & Baas's energy fit at {n} nm "
            "(the fit gives a non-positive energy there)")
    return val


def energy_factor(node_nm: float, vdd_V: float | None = None, flavor: str = "HP") -> float:
    """Relative energy per operation at a node (arbitrary units; only ratios matter).

    With ``vdd_V=None`` each tabulated node is evaluated at its own nominal supply.
    """
    node = check_node(node_nm)
    fl = _poly_flavor(flavor)
    if vdd_V is not None:
        if isinstance(vdd_V, bool) or not isinstance(vdd_V, (int, float)) or not (
                _VDD_GUARD_V[0] <= vdd_V <= _VDD_GUARD_V[1]):
            raise CimsimError(
                f"supply {vdd_V!r} V is outside {_VDD_GUARD_V[0]}-{_VDD_GUARD_V[1]} V accepted "
                "by the energy scaling")
        return _loglog(node, lambda n: _energy_poly(n, float(vdd_V), fl))
    return _loglog(node, lambda n: _energy_poly(n, NOMINAL_VDD_V[n], fl))


def _delay_poly(n: int) -> float:
    a, b, c, d = _DELAY_POLY_HP[n]
    v = NOMINAL_VDD_V[n]
    return a * v ** 3 + b * v ** 2 + c * v + d


def _monotone_delay_table() -> dict[int, float]:
    out: dict[int, float] = {}
    running = math.inf
    for n in NODES_NM:  # 180 nm first
        running = min(running, _delay_poly(n))
        out[n] = running
    return out


_DELAY_MONO = _monotone_delay_table()


def delay_factor(node_nm: float) -> float:
    """Relative gate delay at a node (nominal supply, HP fit, monotone envelope)."""
    node = check_node(node_nm)
    return _loglog(node, lambda n: _DELAY_MONO[n])


def area_factor(node_nm: float) -> float:
    """Area relative to 180 nm."""
    node = check_node(node_nm)
    return _loglog(node, lambda n: _AREA_REL[n])


def scale_energy(energy_J: float, from_node_nm: float, to_node_nm: float,
                 from_vdd_V: float | None = None, to_vdd_V: float | None = None,
                 flavor: str = "HP") -> float:
    """Energy of the same circuit moved from one node (and supply) to another.

    ``from_vdd_V`` / ``to_vdd_V`` default to each node's nominal supply. Pass the same supply
    twice to isolate the node effect (as models whose formula already contains VDD^2 do).
    Also used for leakage power and per-operation power at a fixed rate (**assumption**:
    they scale like switching energy).
    """
    return energy_J * (energy_factor(to_node_nm, to_vdd_V, flavor)
                       / energy_factor(from_node_nm, from_vdd_V, flavor))


def scale_area(area_m2: float, from_node_nm: float, to_node_nm: float) -> float:
    """Area of the same circuit moved from one node to another."""
    return area_m2 * area_factor(to_node_nm) / area_factor(from_node_nm)


def scale_latency(latency_s: float, from_node_nm: float, to_node_nm: float) -> float:
    """Delay of the same circuit moved from one node to another (nominal supplies)."""
    return latency_s * delay_factor(to_node_nm) / delay_factor(from_node_nm)


# ---------------------------------------------------------------------------------------------
# 2. NeuroSim per-node constants (DNN NeuroSim V1.3)
# ---------------------------------------------------------------------------------------------

#: Nodes for which NeuroSim V1.3 ships device data and circuit fits.
NEUROSIM_NODES_NM: tuple[int, ...] = (130, 90, 65, 45, 32, 22, 14, 10, 7)

#: NeuroSim ``Param.cpp`` array wire width per node (nm), its ``featuresize``: the width of the
#: array's wires, and the F of cross-point cells (``cell.featureSize``); transistor-access
#: cells (1T1R, SRAM) are laid out in the technology node instead (``SubArray.cpp``).
NEUROSIM_ARRAY_F_NM: dict[int, float] = {
    130: 175.0, 90: 110.0, 65: 105.0, 45: 80.0, 32: 56.0, 22: 40.0, 14: 25.0, 10: 18.0, 7: 18.0,
}

#: Minimum transistor footprint in F^2, NeuroSim layout rules (``constant.h`` +
#: ``CalculateGateArea``): bulk (node >= 22 nm): width 2*(POLY_WIDTH 1.0 + MIN_GAP_BET_GATE_POLY
#: 2.8) F = 7.6 F, height MAX_TRANSISTOR_HEIGHT = 28 F -> 212.8 F^2. FinFET (node <= 14 nm):
#: width 2*(1.4 + 3.9) F = 10.6 F, height 34 F -> 360.4 F^2. A minimum-size transistor
#: (MIN_NMOS_SIZE = 2 F wide) fits without folding, so NMOS and PMOS take the same footprint.
MIN_TRANSISTOR_AREA_F2_BULK = 7.6 * 28.0
MIN_TRANSISTOR_AREA_F2_FINFET = 10.6 * 34.0
MIN_NMOS_WIDTH_F = 2.0

#: Off-current per transistor width (A/m == uA/um) at 300 K, NeuroSim ``Technology.cpp``
#: ``currentOffNmos[0]``: about 100 nA/um for HP and 100 pA/um for LSTP at every node.
NEUROSIM_IOFF_A_PER_M: dict[str, float] = {"HP": 100e-3, "LSTP": 100e-6}

#: Interconnect capacitance per length used throughout NeuroSim (``SubArray.cpp``,
#: ``Bus.cpp``, ``HTree.cpp``: 0.2e-15/1e-6 F/m, i.e. 0.2 fF/um).
WIRE_CAP_F_PER_M = 0.2e-15 / 1e-6

#: Switching activity of bus wires in NeuroSim ``Bus.cpp`` (``switchingRatio``).
NEUROSIM_BUS_SWITCHING = 0.25


def neurosim_flavor(flavor: str, owner: str = "") -> str:
    """Map a Technology flavor to NeuroSim's two device roadmaps ('HP' or 'LSTP')."""
    f = str(flavor).upper()
    if f in ("HP", "LSTP"):
        return f
    where = f"{owner}: " if owner else ""
    raise CimsimError(
        f"{where}transistor flavor {flavor!r} has no NeuroSim data; NeuroSim V1.3 models "
        "'HP' and 'LSTP' only")


def nearest_neurosim_node(node_nm: float) -> int:
    """The NeuroSim node closest to node_nm in log distance (exact match when tabulated)."""
    node = check_node(node_nm)
    return min(NEUROSIM_NODES_NM, key=lambda n: (abs(math.log(n / node)), n))


def neurosim_energy_at(node_nm: float, flavor: str, table: dict[int, float],
                       owner: str = "") -> float:
    """Look up a per-node NeuroSim energy/power value; off-table nodes are scaled (energy
    scaling, each node's nominal supply) from the nearest NeuroSim node."""
    node = check_node(node_nm)
    ref = nearest_neurosim_node(node)
    value = table[ref]
    if abs(ref - node) < 1e-9:
        return value
    return scale_energy(value, ref, node, flavor=flavor)


def is_finfet(node_nm: float) -> bool:
    """NeuroSim switches to FinFET layout rules at and below 14 nm."""
    return node_nm <= 14.0 + 1e-9


def min_transistor_area_m2(node_nm: float) -> float:
    """Footprint of one minimum-size transistor (NeuroSim layout rules, F = node)."""
    node = check_node(node_nm)
    f = node * 1e-9
    coeff = MIN_TRANSISTOR_AREA_F2_FINFET if is_finfet(node) else MIN_TRANSISTOR_AREA_F2_BULK
    return coeff * f * f


def array_feature_size_m(node_nm: float) -> float:
    """NeuroSim's array feature size (cell wire width) at a node, in metres.

    Tabulated for 7-130 nm; interpolated log-log between entries; above 130 nm scaled in
    proportion to the node from the 130 nm value (**assumption**).
    """
    node = check_node(node_nm)
    if node >= 130.0:
        return NEUROSIM_ARRAY_F_NM[130] * (node / 130.0) * 1e-9
    nodes = NEUROSIM_NODES_NM
    for hi, lo in zip(nodes[:-1], nodes[1:]):
        if lo <= node <= hi:
            if hi == lo or abs(node - hi) < 1e-9:
                return NEUROSIM_ARRAY_F_NM[hi] * 1e-9
            w = (math.log(node) - math.log(hi)) / (math.log(lo) - math.log(hi))
            v = math.exp((1 - w) * math.log(NEUROSIM_ARRAY_F_NM[hi])
                         + w * math.log(NEUROSIM_ARRAY_F_NM[lo]))
            return v * 1e-9
    raise AssertionError("unreachable")  # pragma: no cover


def leakage_per_transistor_W(tech: Technology, owner: str = "") -> float:
    """Off-state leakage of one minimum-width transistor: I_off/W * 2F * VDD (NeuroSim data)."""
    fl = neurosim_flavor(tech.flavor, owner)
    return NEUROSIM_IOFF_A_PER_M[fl] * MIN_NMOS_WIDTH_F * tech.node_nm * 1e-9 * tech.vdd_V


# ---------------------------------------------------------------------------------------------
# 3. ZigZag-IMC 28 nm gate library
# ---------------------------------------------------------------------------------------------

ZIGZAG_NODE_NM = 28.0
ZIGZAG_VDD_V = 0.9
ND2_CAP_F_28 = 0.7e-15
ND2_AREA_M2_28 = 0.614e-12
ND2_DELAY_S_28 = 0.0478e-9
XOR2_CAP_RATIO = 1.5
XOR2_AREA_RATIO = 2.4
XOR2_DELAY_RATIO = 2.4
DFF_CAP_RATIO = 3.0
DFF_AREA_RATIO = 6.0
DFF_DELAY_RATIO = 3.4  # clock-to-Q, commented in ZigZag-IMC's parameters; used for reference only
FA_ND2 = 3
FA_XOR2 = 2


@dataclass(frozen=True)
class GateLibrary:
    """Capacitance (F), area (m^2) and delay (s) of the basic gates at one node and supply."""

    node_nm: float
    vdd_V: float
    nd2_cap_F: float
    nd2_area_m2: float
    nd2_delay_s: float

    @property
    def xor2_cap_F(self) -> float:
        return self.nd2_cap_F * XOR2_CAP_RATIO

    @property
    def xor2_area_m2(self) -> float:
        return self.nd2_area_m2 * XOR2_AREA_RATIO

    @property
    def xor2_delay_s(self) -> float:
        return self.nd2_delay_s * XOR2_DELAY_RATIO

    @property
    def dff_cap_F(self) -> float:
        return self.nd2_cap_F * DFF_CAP_RATIO

    @property
    def dff_area_m2(self) -> float:
        return self.nd2_area_m2 * DFF_AREA_RATIO

    def energy(self, cap_F: float) -> float:
        """Switching energy C * VDD^2 (ZigZag-IMC convention: one full charge per operation)."""
        return cap_F * self.vdd_V * self.vdd_V

    @property
    def nd2_energy_J(self) -> float:
        return self.energy(self.nd2_cap_F)

    @property
    def xor2_energy_J(self) -> float:
        return self.energy(self.xor2_cap_F)

    @property
    def dff_energy_J(self) -> float:
        return self.energy(self.dff_cap_F)

    @property
    def full_adder_cap_F(self) -> float:
        return FA_ND2 * self.nd2_cap_F + FA_XOR2 * self.xor2_cap_F

    @property
    def full_adder_energy_J(self) -> float:
        return self.energy(self.full_adder_cap_F)

    @property
    def full_adder_area_m2(self) -> float:
        return FA_ND2 * self.nd2_area_m2 + FA_XOR2 * self.xor2_area_m2

    @property
    def fa_in2sum_delay_s(self) -> float:
        return 2 * self.xor2_delay_s

    @property
    def fa_cin2cout_delay_s(self) -> float:
        return 2 * self.nd2_delay_s

    def ripple_adder_delay_s(self, bits: int) -> float:
        """Critical path of an n-bit ripple-carry adder: XOR2 into the carry chain, (n-1)
        carry stages of 2 ND2 each, XOR2 out to the last sum bit."""
        return 2 * self.xor2_delay_s + (bits - 1) * self.fa_cin2cout_delay_s


def gate_library(tech: Technology) -> GateLibrary:
    """ZigZag-IMC's 28 nm gate library moved to ``tech``'s node at ``tech``'s supply.

    Capacitance scales with Stillmaker & Baas's energy factor at a fixed supply (so that
    C * VDD^2 scales like the energy), area with the area factor, delay with the delay factor.
    """
    node = check_node(tech.node_nm)
    vdd = tech.vdd_V
    e_ratio = (energy_factor(node, vdd, tech.flavor)
               / energy_factor(ZIGZAG_NODE_NM, vdd, tech.flavor))
    return GateLibrary(
        node_nm=node,
        vdd_V=vdd,
        nd2_cap_F=ND2_CAP_F_28 * e_ratio,
        nd2_area_m2=scale_area(ND2_AREA_M2_28, ZIGZAG_NODE_NM, node),
        nd2_delay_s=scale_latency(ND2_DELAY_S_28, ZIGZAG_NODE_NM, node),
    )
