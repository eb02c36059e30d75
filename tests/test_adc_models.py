"""ADC models against their sources' published numbers and hand-evaluated formulas."""

import math

import pytest

from cimsim.components import Technology, create, get, model_names
from cimsim.errors import CimsimError

T22_LSTP = Technology(22, 0.85, 1e9, "LSTP")
T22_HP = Technology(22, 0.85, 1e9, "HP")
T7_LSTP = Technology(7, 0.7, 1e9, "LSTP")
T28 = Technology(28, 0.9, 1e9, "LSTP")
T32 = Technology(32, 0.9, 1e9, "LSTP")

# cim-models.md section 4: NeuroSim SAR at 22 nm LSTP, N = 1..8 (fJ).
SAR_PUBLISHED_FJ = [9.8, 16.4, 24.0, 32.6, 42.4, 53.2, 65.1, 78.1]


def sar(tech=T22_LSTP, **kw):
    return create("adc", "neurosim_sar", tech, **kw)


# ---------------------------------------------------------------- NeuroSim SAR
@pytest.mark.parametrize("bits,published", list(zip(range(1, 9), SAR_PUBLISHED_FJ)))
def test_sar_matches_published_within_1pct(bits, published):
    e = sar(bits=bits).convert().energy_J * 1e15
    assert e == pytest.approx(published, rel=0.01)


@pytest.mark.parametrize("bits,fj", [(1, 9.8266), (4, 32.6365), (8, 78.1137)])
def test_sar_exact_by_hand(bits, fj):
    # (0.538 N + 4.3753) uW x (N + 1) ns
    c = sar(bits=bits).convert()
    assert c.energy_J == pytest.approx(fj * 1e-15, rel=1e-12)
    assert c.latency_s == pytest.approx((bits + 1) * 1e-9, rel=1e-12)


def test_sar_hp_and_7nm_fits():
    # 22 nm HP, 5 b: (0.7213*5 + 3.3041) uW * 6 ns = 41.4636 fJ
    assert sar(T22_HP, bits=5).convert().energy_J == pytest.approx(41.4636e-15, rel=1e-12)
    # 7 nm LSTP, 4 b: (0.1061*4 + 0.8847) uW * 5 ns = 6.5455 fJ
    assert sar(T7_LSTP, bits=4).convert().energy_J == pytest.approx(6.5455e-15, rel=1e-12)


def test_sar_early_termination():
    # 8-bit SAR resolving 3 bits: P(8) = 8.6793 uW over 4 ns = 34.7172 fJ.
    c = sar(bits=8).convert(bits_resolved=3)
    assert c.energy_J == pytest.approx(34.7172e-15, rel=1e-12)
    assert c.latency_s == pytest.approx(4e-9, rel=1e-12)


def test_sar_area_from_transistor_counts():
    # 5 b: (269 + 4*109) + (209 + 4*73) = 705 + 501 = 1206 transistors of 212.8 F^2, F = 22 nm.
    assert sar(bits=5).area_m2 == pytest.approx(1206 * 212.8 * (22e-9) ** 2, rel=1e-12)


def test_sar_column_current_term():
    # + 0.072341 * exp(-2.303 log10(10 kOhm)) = 7.2221 uW at 0.5 V read.
    base = (0.538 * 5 + 4.3753) * 1e-6
    c = sar(bits=5, column_resistance_ohm=10e3).convert()
    assert c.energy_J == pytest.approx((base + 7.2221040e-6) * 6e-9, rel=1e-6)


def test_sar_other_node_and_flavor():
    assert sar(Technology(28, 0.9, 1e9, "LSTP"), bits=5).convert().energy_J > 0
    with pytest.raises(CimsimError, match="LOP"):
        sar(Technology(22, 0.85, 1e9, "LOP"), bits=5)


def test_sar_rejects_too_fast_sample_rate():
    with pytest.raises(CimsimError, match="sample_rate_Hz"):
        sar(bits=5, sample_rate_Hz=1e9)  # 6 ns conversion
    assert sar(bits=5, sample_rate_Hz=100e6).convert().latency_s == pytest.approx(10e-9)


# ---------------------------------------------------------------- NeuroSim flash
def test_flash_by_hand():
    # 3 b: 7 sense amps x 1.7 uW (22 nm LSTP current mode) x 1 ns = 11.9 fJ.
    f = create("adc", "neurosim_flash", T22_LSTP, bits=3)
    assert f.convert().energy_J == pytest.approx(11.9e-15, rel=1e-12)
    assert f.convert().latency_s == pytest.approx(1e-9)
    assert f.area_m2 == pytest.approx(7 * (57 + 49) * 212.8 * (22e-9) ** 2, rel=1e-12)
    v = create("adc", "neurosim_flash", T22_LSTP, bits=3, mode="voltage")
    assert v.convert().energy_J == pytest.approx(7 * 1.866e-15, rel=1e-12)
    assert v.area_m2 == pytest.approx(7 * (52 + 60) * 212.8 * (22e-9) ** 2, rel=1e-12)
    # A flash converter fires every comparator whatever the data needs.
    assert f.convert(bits_resolved=1).energy_J == f.convert().energy_J


# ---------------------------------------------------------------- Murmann survey
def murmann_by_hand_pJ(n, f, t):
    sndr = 6.02 * n + 1.76
    foms = min(213.78 - 2.872 * math.log(f), 128.31 + 3.2205 * math.ceil(n))
    return 1 / (2 * 10 ** ((foms - sndr) / 10)) * math.exp(
        26.05 + 1.880 * math.log(t) - 2.829 * math.log(n) - 1.470)


@pytest.mark.parametrize("bits,published_pJ,exact_pJ", [(4, 0.46, 0.45630507), (8, 0.85, 0.84613846)])
def test_murmann_22nm_1GSps(bits, published_pJ, exact_pJ):
    e_pJ = create("adc", "murmann", T22_LSTP, bits=bits).convert().energy_J * 1e12
    assert e_pJ == pytest.approx(murmann_by_hand_pJ(bits, 1e9, 22), rel=1e-12)
    assert e_pJ == pytest.approx(exact_pJ, rel=1e-7)
    assert e_pJ == pytest.approx(published_pJ, rel=0.015)  # "about 0.46 / 0.85 pJ"


def test_murmann_foms_branches():
    # At 1 GS/s the rate bound is 213.78 - 2.872 ln 1e9 = 154.263; 8 b is still resolution
    # bound (128.31 + 8*3.2205 = 154.074), 9 b is rate bound.
    assert 128.31 + 8 * 3.2205 < 213.78 - 2.872 * math.log(1e9) < 128.31 + 9 * 3.2205
    e9 = create("adc", "murmann", T22_LSTP, bits=9).convert().energy_J * 1e12
    sndr = 6.02 * 9 + 1.76
    by_hand = 1 / (2 * 10 ** ((213.78 - 2.872 * math.log(1e9) - sndr) / 10)) * math.exp(
        26.05 + 1.88 * math.log(22) - 2.829 * math.log(9) - 1.47)
    assert e9 == pytest.approx(by_hand, rel=1e-12)


def test_murmann_area_and_rate():
    a = create("adc", "murmann", T22_LSTP, bits=4)
    # ln A = 1.346 + 0.993 ln 22 + 0.181 ln 1e9 + 0.299 ln 0.456305 -> 2784.22 um^2
    assert a.area_m2 == pytest.approx(2784.2192e-12, rel=1e-6)
    assert a.convert().latency_s == pytest.approx(1e-9)
    slow = create("adc", "murmann", T22_LSTP, bits=8, sample_rate_Hz=1e8)
    assert slow.convert().latency_s == pytest.approx(1e-8)
    assert slow.convert().energy_J * 1e12 == pytest.approx(murmann_by_hand_pJ(8, 1e8, 22), rel=1e-12)


def test_murmann_below_four_bits():
    e4 = create("adc", "murmann", T22_LSTP, bits=4).convert().energy_J
    assert create("adc", "murmann", T22_LSTP, bits=2).convert().energy_J == e4  # clamp
    ex = create("adc", "murmann", T22_LSTP, bits=1, below_min_bits="extrapolate").convert().energy_J
    assert ex == pytest.approx(murmann_by_hand_pJ(1, 1e9, 22) * 1e-12, rel=1e-12)
    assert ex > 7 * e4  # the raw fit is not monotone below 4 bits
    with pytest.raises(CimsimError, match="N >= 4"):
        create("adc", "murmann", T22_LSTP, bits=3, below_min_bits="error")


# ---------------------------------------------------------------- ZigZag-IMC AIMC
def test_zigzag_at_28nm_by_hand():
    z = create("adc", "zigzag_aimc", T28, bits=8, rows=128)
    c = z.convert()
    # (100*8 + 0.001*4^8) * 0.9^2 = 865.536 * 0.81 = 701.08416 fJ
    assert c.energy_J == pytest.approx(701.08416e-15, rel=1e-12)
    # 8 * (0.00653*128 + 0.640) = 11.80672 ns
    assert c.latency_s == pytest.approx(11.80672e-9, rel=1e-12)
    # 10^(-0.0369*8 + 1.206) * 2^8 * 1e-6 mm^2 = 2.0846827e-3 mm^2
    assert z.area_m2 == pytest.approx(2.0846827e-9, rel=1e-7)


def test_zigzag_other_nodes_scale():
    z28 = create("adc", "zigzag_aimc", T28, bits=6)
    z22 = create("adc", "zigzag_aimc", Technology(22, 0.9, 1e9, "LSTP"), bits=6)
    assert z22.convert().energy_J < z28.convert().energy_J
    assert z22.area_m2 < z28.area_m2
    # 4-bit conversion on the 6-bit converter: (400 + 0.256) * 0.81 fJ
    assert z28.convert(bits_resolved=4).energy_J == pytest.approx(324.20736e-15, rel=1e-12)


# ---------------------------------------------------------------- ISAAC / PUMA
def test_isaac_reference_point():
    a = create("adc", "linear_per_bit", T32, bits=8)
    c = a.convert()
    assert c.energy_J == pytest.approx(1.40625e-12, rel=1e-12)  # 1.8 mW / 1.28 GS/s
    assert c.latency_s == pytest.approx(1 / 1.28e9, rel=1e-12)
    assert a.leakage_W == pytest.approx(0.2e-3, rel=1e-12)
    total = c.energy_J + a.leakage_W * c.latency_s  # 2 mW / 1.28 GS/s
    assert total == pytest.approx(1.5625e-12, rel=1e-12)
    assert total == pytest.approx(1.56e-12, rel=0.005)
    assert a.area_m2 == pytest.approx(0.0012e-6, rel=1e-12)


def test_puma_linear_per_bit():
    # 4 b: 1.8 - 0.225*4 = 0.9 mW -> 0.703125 pJ; area half of 8 b.
    a = create("adc", "linear_per_bit", T32, bits=4)
    assert a.convert().energy_J == pytest.approx(0.703125e-12, rel=1e-12)
    assert a.area_m2 == pytest.approx(0.0006e-6, rel=1e-12)
    # 8-bit ADC resolving 6 bits: 1.35 mW / 1.28 GS/s
    assert create("adc", "linear_per_bit", T32, bits=8).convert(6).energy_J == pytest.approx(
        1.35e-3 / 1.28e9, rel=1e-12)


# ---------------------------------------------------------------- user table
TABLE = [
    {"bits": 3, "energy_J": 10e-15, "latency_s": 2e-9, "area_m2": 50e-12},
    {"bits": 5, "energy_J": 30e-15, "latency_s": 4e-9, "area_m2": 90e-12, "leakage_W": 1e-9},
]


def test_table_lookup():
    t = create("adc", "table", T22_LSTP, bits=5, table=TABLE)
    assert t.convert().energy_J == 30e-15
    assert t.convert().latency_s == 4e-9
    assert t.area_m2 == 90e-12 and t.leakage_W == 1e-9
    assert t.convert(bits_resolved=3).energy_J == 10e-15


def test_table_errors_list_available_bits():
    with pytest.raises(CimsimError, match=r"no table row for 4 bits; the table has 3, 5 bits"):
        create("adc", "table", T22_LSTP, bits=4, table=TABLE)
    t = create("adc", "table", T22_LSTP, bits=5, table=TABLE)
    with pytest.raises(CimsimError, match="3, 5"):
        t.convert(bits_resolved=4)
    with pytest.raises(CimsimError, match="lacks area_m2"):
        create("adc", "table", T22_LSTP, bits=3,
               table=[{"bits": 3, "energy_J": 1e-15, "latency_s": 1e-9}])
    with pytest.raises(CimsimError, match="twice"):
        create("adc", "table", T22_LSTP, bits=3, table=[TABLE[0], TABLE[0]])


# ---------------------------------------------------------------- common behaviour
MONOTONE = ["neurosim_sar", "neurosim_flash", "murmann", "zigzag_aimc", "linear_per_bit"]
TECHS = [T22_LSTP, T7_LSTP, Technology(45, 1.0, 1e9, "HP"), Technology(130, 1.2, 5e8, "HP")]


@pytest.mark.parametrize("tech", TECHS, ids=lambda t: f"{t.node_nm:g}nm-{t.flavor}")
@pytest.mark.parametrize("model", MONOTONE)
def test_energy_and_area_nondecreasing_in_bits(model, tech):
    top = 10 if model == "neurosim_flash" else 16
    costs = [create("adc", model, tech, bits=b) for b in range(1, top + 1)]
    energies = [c.convert().energy_J for c in costs]
    areas = [c.area_m2 for c in costs]
    assert all(e > 0 for e in energies) and all(a > 0 for a in areas)
    assert all(b >= a * (1 - 1e-12) for a, b in zip(energies, energies[1:])), energies
    assert all(b >= a * (1 - 1e-12) for a, b in zip(areas, areas[1:])), areas


@pytest.mark.parametrize("model", model_names("adc"))
def test_bits_resolved_never_costs_more(model):
    params = dict(get("adc", model).example_params)
    adc = create("adc", model, T22_LSTP, **params)
    full = adc.convert().energy_J
    for m in range(1, adc.bits + 1):
        try:
            e = adc.convert(bits_resolved=m).energy_J
        except CimsimError:
            assert model == "table"
            continue
        assert e <= full * (1 + 1e-12)


@pytest.mark.parametrize("model", model_names("adc"))
@pytest.mark.parametrize("bad_bits", [0, 17, 2.5, "8", True])
def test_bad_bits_rejected(model, bad_bits):
    params = dict(get("adc", model).example_params)
    params["bits"] = bad_bits
    with pytest.raises(CimsimError, match="bits"):
        create("adc", model, T22_LSTP, **params)


@pytest.mark.parametrize("model", model_names("adc"))
def test_bits_resolved_out_of_range(model):
    adc = create("adc", model, T22_LSTP, **get("adc", model).example_params)
    for bad in (0, adc.bits + 1):
        with pytest.raises(CimsimError, match="bits_resolved"):
            adc.convert(bits_resolved=bad)


# ---------------------------------------------------------------- charge-sharing flash (Sinangil JSSC'21)
T7_08 = Technology(7, 0.8, 2e9, "LSTP")


def test_charge_sharing_flash_by_hand():
    """4-bit flash over a 4-bit weight's 4 bit columns at 7 nm LSTP, 0.8 V:
    caps 15 x 1 fF x 0.64 V^2 = 9.6 fJ; comparators 15 x 0.4211 uW (NeuroSim voltage mode, 7 nm
    LSTP) x 1 ns = 6.3165 fJ; ladder 0.64 V^2 / 20 kohm / 16 ADCs = 2 uW static per ADC;
    area 15 x 112 x (10.6 x 34 x 49 nm^2 = 0.0176596 um^2) + 15 fF / 1.7 fF/um^2 = 38.49 um^2."""
    adc = create("adc", "charge_sharing_flash", T7_08, bits=4)
    assert adc.capacitor_energy_J == pytest.approx(9.6e-15, rel=1e-12)
    assert adc.comparator_energy_J == pytest.approx(6.3165e-15, rel=1e-12)
    assert adc.convert().energy_J == pytest.approx(15.9165e-15, rel=1e-12)
    assert adc.convert().latency_s == pytest.approx(1e-9)
    assert adc.leakage_W == pytest.approx(2e-6, rel=1e-12)
    assert adc.area_m2 == pytest.approx(15 * 112 * 10.6 * 34 * 49e-18 + 15e-15 / 1.7e-3, rel=1e-12)
    # a flash fires every comparator: resolving fewer bits costs the same
    assert adc.convert(bits_resolved=2).energy_J == adc.convert().energy_J


def test_charge_sharing_flash_murmann_converter_by_hand():
    """converter: murmann at 7 nm, 4 bits, 1 GS/s: SNDR 25.84 dB; FOMS_eff = min(213.78 -
    2.872 ln 1e9, 128.31 + 4 x 3.2205) = 141.192 dB; 1 / (2 x 10^11.5352) = 1.4579e-12;
    exp(26.05 + 1.880 ln 7 - 2.829 ln 4 - 1.470) = 3.6356e10 -> 53.00 fJ for the whole
    converter, plus the 9.6 fJ of computation caps; no ladder; x converter_energy_scale."""
    adc = create("adc", "charge_sharing_flash", T7_08, bits=4, converter="murmann")
    assert adc.comparator_energy_J == pytest.approx(53.00e-15, rel=1e-3, abs=0)
    assert adc.convert().energy_J == pytest.approx(62.60e-15, rel=1e-3, abs=0)
    assert adc.leakage_W == 0.0
    ref = create("adc", "charge_sharing_flash", T7_08, bits=4)
    assert adc.area_m2 == ref.area_m2
    scaled = create("adc", "charge_sharing_flash", T7_08, bits=4, converter="murmann",
                    converter_energy_scale=3.5)
    assert scaled.convert().energy_J - scaled.capacitor_energy_J == \
        pytest.approx(3.5 * adc.comparator_energy_J, rel=1e-12, abs=0)
    # the scale applies to the NeuroSim comparators alike, never to the caps
    assert create("adc", "charge_sharing_flash", T7_08, bits=4, converter_energy_scale=2.0).convert().energy_J \
        == pytest.approx(9.6e-15 + 2 * 6.3165e-15, rel=1e-9, abs=0)
    with pytest.raises(CimsimError, match="converter"):
        create("adc", "charge_sharing_flash", T7_08, bits=4, converter="sar")


def test_charge_sharing_flash_scales_with_weight_bits_and_swing():
    two = create("adc", "charge_sharing_flash", T7_08, bits=4, weight_columns=2)   # 3 unit caps
    assert two.capacitor_energy_J == pytest.approx(3 * 1e-15 * 0.64, rel=1e-12)
    half = create("adc", "charge_sharing_flash", T7_08, bits=4, cap_swing=0.5)
    assert half.capacitor_energy_J == pytest.approx(4.8e-15, rel=1e-12)
    shared = create("adc", "charge_sharing_flash", T7_08, bits=4, adcs_per_ladder=1, ladder_resistance_ohm=64e3)
    assert shared.leakage_W == pytest.approx(1e-5, rel=1e-12)
    with pytest.raises(CimsimError, match="weight_columns"):
        create("adc", "charge_sharing_flash", T7_08, bits=4, weight_columns=9)
    with pytest.raises(CimsimError, match="cap_swing"):
        create("adc", "charge_sharing_flash", T7_08, bits=4, cap_swing=1.5)
