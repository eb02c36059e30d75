"""Technology scaling (Stillmaker & Baas 2017), NeuroSim constants and the ZigZag gate library.

Expected values are worked by hand from the published tables (literal numbers below), not by
re-running the implementation.
"""

import math

import pytest

from cimsim.components import Technology
from cimsim.components import technology as T
from cimsim.errors import CimsimError

# Tabulated nodes plus a few in between (interpolated), largest first.
NODES = [180, 150, 130, 100, 90, 65, 45, 40, 32, 28, 22, 20, 16, 14, 12, 10, 8, 7]


@pytest.mark.parametrize("node", NODES)
def test_identity_when_from_equals_to(node):
    assert T.scale_energy(3.0e-12, node, node) == pytest.approx(3.0e-12, rel=1e-15)
    assert T.scale_energy(3.0e-12, node, node, 0.8, 0.8, "LSTP") == pytest.approx(3.0e-12, rel=1e-15)
    assert T.scale_area(2.0e-9, node, node) == pytest.approx(2.0e-9, rel=1e-15)
    assert T.scale_latency(1.0e-9, node, node) == pytest.approx(1.0e-9, rel=1e-15)


@pytest.mark.parametrize("flavor", ["HP", "LSTP"])
@pytest.mark.parametrize("big,small", list(zip(NODES[:-1], NODES[1:])))
def test_shrinking_never_costs_more(big, small, flavor):
    assert T.scale_energy(1.0, big, small, flavor=flavor) <= 1.0
    assert T.scale_area(1.0, big, small) < 1.0
    assert T.scale_latency(1.0, big, small) <= 1.0


def test_area_table_values():
    # Stillmaker & Baas area table, row "180 nm": 7 nm is 0.0032 of 180 nm.
    assert T.scale_area(1.0, 180, 7) == pytest.approx(0.0032, rel=1e-12)
    assert T.scale_area(1.0, 45, 7) == pytest.approx(0.0032 / 0.053, rel=1e-12)
    assert T.scale_area(1.0, 7, 180) == pytest.approx(1 / 0.0032, rel=1e-12)


def test_area_interpolates_log_log():
    # 22 nm between 32 nm (0.025) and 20 nm (0.011): w = ln(22/32)/ln(20/32) = 0.797214,
    # exp(0.202786 ln 0.025 + 0.797214 ln 0.011) = 0.0129926.
    assert T.area_factor(22) == pytest.approx(0.012992583, rel=1e-7)
    assert T.area_factor(28) == pytest.approx(0.019798959, rel=1e-7)


def test_energy_polynomials_by_hand():
    # HP 45 nm at 1.0 V: 1.018 - 0.3107 + 0.1539 = 0.8612; HP 32 nm at 0.9 V:
    # 0.8367*0.81 - 0.4341*0.9 + 0.1701 = 0.457137; ratio 0.530814.
    assert T.scale_energy(1.0, 45, 32, flavor="HP") == pytest.approx(0.53081398, rel=1e-7)
    # 65 nm, same node, 1.1 V -> 1.0 V: (3.755 - 4.398 + 1.975) / (3.755*1.21 - 4.398*1.1 + 1.975)
    # = 1.332 / 1.68075 = 0.792503.
    assert T.scale_energy(1.0, 65, 65, 1.1, 1.0) == pytest.approx(0.79250335, rel=1e-7)


def test_lstp_uses_lp_fits():
    # LP 45 nm at 1.0 V: 1.103 - 0.362 + 0.2767 = 1.0177; LP 32 nm at 0.9 V:
    # 0.9559*0.81 - 0.7823*0.9 + 0.471 = 0.541209; ratio 0.531796.
    assert T.scale_energy(1.0, 45, 32, flavor="LSTP") == pytest.approx(0.541209 / 1.0177, rel=1e-6)
    assert T.scale_energy(1.0, 45, 32, flavor="LOP") == T.scale_energy(1.0, 45, 32, flavor="LSTP")


def test_latency_envelope_clamps_20nm_to_32nm():
    # HP delay fits at nominal supply: 32 nm 8.357, 20 nm 9.467 (slower). The envelope keeps
    # 20 nm at the 32 nm value.
    assert T.delay_factor(20) == pytest.approx(T.delay_factor(32), rel=1e-15)
    # 45 nm HP at 1.0 V: -501.6 + 1567 - 1619 + 566.1 = 12.5; 65 nm at 1.1 V:
    # -53.3*1.331 + 230.4*1.21 - 333.9*1.1 + 178.6 = 19.1517.
    assert T.scale_latency(1.0, 65, 45) == pytest.approx(12.5 / 19.1517, rel=1e-4)


def test_nominal_vdd():
    assert T.nominal_vdd(180) == 1.8
    assert T.nominal_vdd(22) == pytest.approx(0.9)
    assert T.nominal_vdd(7) == 0.7


@pytest.mark.parametrize("bad", [5, 6.9, 181, 250, -1, float("nan"), "22"])
def test_out_of_range_nodes_raise(bad):
    with pytest.raises(CimsimError, match="nm|number"):
        T.scale_energy(1.0, 22, bad)
    with pytest.raises(CimsimError):
        T.scale_area(1.0, bad, 22)


def test_out_of_range_message_names_range():
    with pytest.raises(CimsimError, match="7-180 nm"):
        T.scale_latency(1.0, 5, 22)


def test_unknown_flavor_and_bad_supply():
    with pytest.raises(CimsimError, match="flavor"):
        T.scale_energy(1.0, 45, 32, flavor="ULP")
    with pytest.raises(CimsimError, match="supply"):
        T.scale_energy(1.0, 45, 32, 5.0, 1.0)
    # The 180 nm energy fit 24.64 V - 17.98 is negative below 0.73 V.
    with pytest.raises(CimsimError, match="non-positive"):
        T.scale_energy(1.0, 180, 130, 0.5, 0.5)


def test_neurosim_constants():
    # Bulk: 7.6 F x 28 F = 212.8 F^2 at 22 nm = 212.8 * 484e-18 m^2.
    assert T.min_transistor_area_m2(22) == pytest.approx(1.029952e-13, rel=1e-12)
    # FinFET: 10.6 F x 34 F = 360.4 F^2 at 7 nm.
    assert T.min_transistor_area_m2(7) == pytest.approx(360.4 * 49e-18, rel=1e-12)
    assert T.array_feature_size_m(22) == pytest.approx(40e-9)
    assert T.array_feature_size_m(7) == pytest.approx(18e-9)
    assert T.WIRE_CAP_F_PER_M == pytest.approx(0.2e-9)
    assert T.nearest_neurosim_node(28) == 32
    assert T.nearest_neurosim_node(22) == 22
    tech = Technology(22, 0.8, 1e9, "LSTP")
    # 100 pA/um * 2 * 22 nm * 0.8 V = 3.52 pW
    assert T.leakage_per_transistor_W(tech) == pytest.approx(3.52e-12, rel=1e-12)
    with pytest.raises(CimsimError, match="NeuroSim"):
        T.leakage_per_transistor_W(Technology(22, 0.8, 1e9, "LOP"))


def test_gate_library_at_28nm_is_zigzag():
    g = T.gate_library(Technology(28, 0.9, 1e9, "LSTP"))
    assert g.nd2_cap_F == pytest.approx(0.7e-15, rel=1e-12)
    assert g.nd2_area_m2 == pytest.approx(0.614e-12, rel=1e-12)
    assert g.nd2_delay_s == pytest.approx(0.0478e-9, rel=1e-12)
    assert g.xor2_cap_F == pytest.approx(1.05e-15, rel=1e-12)
    assert g.xor2_area_m2 == pytest.approx(1.4736e-12, rel=1e-12)
    assert g.dff_cap_F == pytest.approx(2.1e-15, rel=1e-12)
    assert g.dff_area_m2 == pytest.approx(3.684e-12, rel=1e-12)
    # Full adder = 3 ND2 + 2 XOR2: 2.1 + 2.1 = 4.2 fF; 4.2 fF * 0.81 V^2 = 3.402 fJ.
    assert g.full_adder_cap_F == pytest.approx(4.2e-15, rel=1e-12)
    assert g.full_adder_energy_J == pytest.approx(3.402e-15, rel=1e-12)
    assert g.full_adder_area_m2 == pytest.approx(4.7892e-12, rel=1e-12)


def test_gate_library_scales_with_node():
    g28 = T.gate_library(Technology(28, 0.9, 1e9, "HP"))
    g22 = T.gate_library(Technology(22, 0.9, 1e9, "HP"))
    assert g22.nd2_area_m2 == pytest.approx(0.614e-12 * 0.012992583 / 0.019798959, rel=1e-6)
    assert g22.nd2_cap_F < g28.nd2_cap_F
    assert g22.nd2_delay_s <= g28.nd2_delay_s
    assert math.isfinite(g22.full_adder_energy_J)
