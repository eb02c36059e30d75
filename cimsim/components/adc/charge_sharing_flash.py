"""Charge-sharing flash read-out of a multi-bit SRAM CIM column, model ``charge_sharing_flash``."""

from __future__ import annotations

from typing import ClassVar

from cimsim.components._util import check_choice, check_int, check_nonneg, check_positive, check_real
from cimsim.components.adc._base import ADC
from cimsim.components.adc.murmann import DEFAULT_SAMPLE_RATE_HZ, murmann_energy_pJ
from cimsim.components.base import ActionCost, Technology
from cimsim.components.registry import register
from cimsim.components.sense_amp import POWER_PER_LEVEL_UW, sense_amp_area_m2, sense_amp_energy_J


@register
class ChargeSharingFlash(ADC):
    """Flash ADC whose comparators' input capacitances are the binary-weighted computation
    capacitors of a multi-bit weight (Sinangil et al., JSSC 56(1) 2021, abstract: "the 4-bit
    weight is realized by charge sharing among binary-weighted computation caps. Each unit of
    computation cap is formed by the inherent cap of the sense amplifier (SA) inside the 4-bit
    Flash ADC").

    One conversion reads one multi-bit weight column: the ``weight_columns`` read bitlines of
    its bit columns (bit ``b`` on ``2^b`` unit capacitors, ``2^w - 1`` units in all) are
    sampled, shorted together so that the shared voltage is their binary-weighted average, and
    compared by the ``2^N - 1`` comparators against the reference ladder's levels.

    Energy per conversion (J):

    - computation capacitors: ``(2^w - 1) * unit_cap_F * VDD^2 * cap_swing``: every unit
      capacitor reset to the rail once per conversion (``cap_swing`` = fraction of a full
      ``C VDD^2`` the supply restores; default 1, the upper bound);
    - converter (``converter``):

      - ``"neurosim_sa"`` (default): ``(2^N - 1) * E_SA`` comparators, ``E_SA`` = NeuroSim's
        sense amplifier (per-level power x ``sensing_time_s``;
        :func:`~cimsim.components.sense_amp.sense_amp_energy_J`, voltage mode: the
        charge-shared voltage is compared); static power (W, ``leakage_W``, charged for as long
        as the chip runs): the reference ladder, a resistor string of ``ladder_resistance_ohm``
        across VDD shared by ``adcs_per_ladder`` converters, ``VDD^2 / R / adcs_per_ladder``
        per ADC;
      - ``"murmann"``: the whole converter (comparators, their clocking, references and
        encoder) from the Murmann-survey fit of an N-bit ADC at the node
        (:func:`~cimsim.components.adc.murmann.murmann_energy_pJ`, at ``sample_rate_Hz``,
        default 1 GS/s; below ~95 GS/s the 4-bit figure does not depend on the rate), the
        model CiMLoop gives this macro's ADCs; no separate ladder (``leakage_W`` 0). Why it
        can be the better figure: NeuroSim's sense amplifier costs 0.42 fJ per decision at
        7 nm, less than the ``C VDD^2`` = 0.64 fJ (0.8 V) of the comparator's own input
        capacitance, which [SIN21] makes the unit computation cap (1 fF), and a clocked
        comparator's internal nodes switch on every decision too; the survey's 53 fJ per 4-bit
        conversion at 7 nm is 3.5 fJ per comparator;

      times ``converter_energy_scale`` (default 1; a calibration, if any, is named where it is
      set).

    Latency: ``sensing_time_s`` (the charge sharing is in the array's compute time).

    Area (either converter): comparators (NeuroSim's sense-amplifier transistor count per level)
    plus the ``2^w - 1`` unit capacitors at ``cap_density_F_per_m2`` (the survey's area fit,
    about 470 um^2 per 4-bit converter at 7 nm, is 4.7x the macro's whole CIM circuitry per
    converter in [SIN21] section IV, so it is not used).

    Defaults and their sources:

    - ``weight_columns`` 4, ``bits`` 4: [SIN21] 4-bit weights, 4-bit flash ADC;
    - ``unit_cap_F`` 1 fF: CiMLoop's model of this macro (``sinangil_jssc_2021/arch.yaml``,
      binary-weighting capacitors of ``1e-15 * 2^4`` F per weight); with
      ``cap_density_F_per_m2`` 1.7 fF/um^2 (the same file's ``cap_f_per_m2``), 16 weights' caps
      are 16 x 15 fF / 1.7 fF/um^2 = 141 um^2, against 160 um^2 of binary-weighting capacitors
      in the macro's area breakdown as CiMLoop's test transcribes it ([SIN21] section IV);
    - ``ladder_resistance_ohm`` 20 kohm, ``adcs_per_ladder`` 16: **assumption** (the abstract
      names no reference circuit; one ladder for the macro's 16 converters);
    - ``sensing_time_s`` 1 ns: NeuroSim's sensing time at <= 22 nm (as ``neurosim_flash``).
    """

    model: ClassVar[str] = "charge_sharing_flash"
    source: ClassVar[str] = (
        "Sinangil et al., JSSC 56(1) 2021 (abstract: binary-weighted computation caps formed by the "
        "flash ADC's sense-amplifier caps); CiMLoop sinangil_jssc_2021 model (1 fF unit cap, "
        "1.7 fF/um^2); DNN NeuroSim V1.3 sense amplifier (comparator energy and area); "
        "B. Murmann's ADC survey fit (converter: murmann)")
    valid_range: ClassVar[str] = "1-8 bits, 1-8 merged bit columns; nodes 7-180 nm"
    example_params: ClassVar[dict] = {"bits": 4}

    def __init__(self, tech: Technology, *, bits: int, rows: int = 128,
                 sample_rate_Hz: float | None = None, weight_columns: int = 4,
                 unit_cap_F: float = 1e-15, cap_swing: float = 1.0,
                 cap_density_F_per_m2: float = 1.7e-3, ladder_resistance_ohm: float = 20e3,
                 adcs_per_ladder: int = 16, sensing_time_s: float = 1e-9, mode: str = "voltage",
                 converter: str = "neurosim_sa", converter_energy_scale: float = 1.0):
        super().__init__(tech, bits=bits, rows=rows, sample_rate_Hz=sample_rate_Hz)
        o = self.owner
        check_int("bits", bits, 1, 8, owner=o)
        self.weight_columns = check_int("weight_columns", weight_columns, 1, 8, owner=o)
        self.unit_cap_F = check_nonneg("unit_cap_F", unit_cap_F, o)
        self.cap_swing = check_real("cap_swing", cap_swing, 0.0, 1.0, owner=o)
        self.cap_density_F_per_m2 = check_positive("cap_density_F_per_m2", cap_density_F_per_m2, o)
        self.ladder_resistance_ohm = check_positive("ladder_resistance_ohm", ladder_resistance_ohm, o)
        self.adcs_per_ladder = check_int("adcs_per_ladder", adcs_per_ladder, 1, None, owner=o)
        self.sensing_time_s = check_positive("sensing_time_s", sensing_time_s, o)
        self.mode = check_choice("mode", mode, tuple(POWER_PER_LEVEL_UW), o)
        self.converter = check_choice("converter", converter, ("neurosim_sa", "murmann"), o)
        self.converter_energy_scale = check_positive("converter_energy_scale", converter_energy_scale, o)
        self.comparators = 2 ** self.bits - 1
        self.unit_caps = 2 ** self.weight_columns - 1
        self._e_sa = sense_amp_energy_J(tech, self.mode, self.sensing_time_s, o)
        self._slot(self.sensing_time_s)

    @property
    def capacitor_energy_J(self) -> float:
        return self.unit_caps * self.unit_cap_F * self.tech.vdd_V ** 2 * self.cap_swing

    @property
    def comparator_energy_J(self) -> float:
        """The converter's energy per conversion (comparators, or the survey's whole converter)."""
        if self.converter == "murmann":
            f = self.sample_rate_Hz if self.sample_rate_Hz is not None else DEFAULT_SAMPLE_RATE_HZ
            e = murmann_energy_pJ(self.bits, f, self.tech.node_nm) * 1e-12
        else:
            e = self.comparators * self._e_sa
        return e * self.converter_energy_scale

    @property
    def leakage_W(self) -> float:
        """This converter's share of the reference ladder's static power (none with the survey
        figure, which includes the references)."""
        if self.converter == "murmann":
            return 0.0
        return self.tech.vdd_V ** 2 / self.ladder_resistance_ohm / self.adcs_per_ladder

    def convert(self, bits_resolved: int | None = None) -> ActionCost:
        """One conversion; a flash fires every comparator whatever ``bits_resolved`` is."""
        self._resolved(bits_resolved)
        return ActionCost(self.capacitor_energy_J + self.comparator_energy_J, self._slot(self.sensing_time_s))

    @property
    def area_m2(self) -> float:
        return (self.comparators * sense_amp_area_m2(self.tech, self.mode)
                + self.unit_caps * self.unit_cap_F / self.cap_density_F_per_m2)
