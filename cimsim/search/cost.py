"""Vectorised hardware cost of many precision plans at once (CIM²PQ's fast evaluation).

Built once per (architecture, trace): every array of the mapped network is run through the
planned functional pass (:func:`cimsim.kernels.planned.simulate_layer_planned`, ideal
read-out, the trace's first ``samples`` samples) at each (input bits, weight bits) choice,
tabulating its activity counts, which do not depend on the ADC bits. A plan's energy is
then a table look-up per array, priced by the same component models the engine's accounting
uses (:func:`cimsim.cost.energy.layer_energy`): crossbar and DAC from the counts, ADC
conversions at the array's bits (``adc_energy_at_bits_J``), shift-adds per conversion, PE
buffer reads and link bits from the input bits delivered; the plan-independent rest of each
layer (adder trees, tile and chip buffers and links, outputs) is the full-precision run's.
Latency is the engine's layer-by-layer closed form: per layer ``sum of stage latencies +
(vectors - 1) x max stage initiation interval``, with the compute stage the slowest array's
(:func:`cimsim.mapping.precision.compute_cycles_per_vector`); leakage x latency is added as
the engine does. Agreement with :func:`cimsim.simulate` is tested on Pareto points (≤ 5 %).
"""

from __future__ import annotations

import math

import numpy as np

from cimsim.cost.energy import adc_energy_at_bits_J, layer_energy, mapped_rows, periphery_energy
from cimsim.engine.sim import layer_timing
from cimsim.kernels.planned import simulate_layer_planned
from cimsim.kernels.readout import Ideal
from cimsim.mapping.mapper import map_network
from cimsim.mapping.precision import array_cycle_cycles, array_keys, array_outputs, encoded_columns, input_cycles

PLAN_DEPENDENT = ("array.crossbar", "array.sram_macro", "array.dac", "array.adc", "array.shift_add",
                  "array.row_switch_matrix", "array.column_mux", "pe.buffer", "pe.interconnect")


class CostModel:
    """Energy (J per inference) and latency (s per inference) of plans given as index arrays
    into ``choices`` (``input_bits``, ``weight_bits``, ``adc_bits`` lists), shape (P, arrays, 3)."""

    def __init__(self, arch, trace, choices: dict[str, list[int]], samples: int = 10):
        self.arch, self.trace = arch, trace
        self.choices = {k: [int(b) for b in v] for k, v in choices.items()}
        self.samples = n = min(samples, trace.sample_count)
        self.mapping = map_network(trace, arch)
        ib, wb, bb = (self.choices[k] for k in ("input_bits", "weight_bits", "adc_bits"))
        a = arch.arrays
        nf = arch.spec.chip.number_format
        self.layer_of: list[int] = []
        self.layer_arrays: list[np.ndarray] = []
        fixed, e_arr, conv, in_bits, cc = [], [], [], [], []
        xb = arch.get("array", "crossbar") or arch.get("array", "sram_macro")
        drv = arch.get("array", "dac")
        dac = drv.model.drive(levels=1).energy_J if drv is not None else 0.0
        sa = arch.require("array", "shift_add").model.shift_add().energy_J
        self.timing = []
        self.adc = arch.require("array", "adc").model
        for li, (layer, lm) in enumerate(zip(trace.layers, self.mapping.layers)):
            keys = array_keys(lm)
            start = len(self.layer_of)
            self.layer_of += [li] * len(keys)
            self.layer_arrays.append(np.arange(start, start + len(keys)))
            full = simulate_layer_planned(layer, lm, arch, np.tile([layer.input.bits, lm.weight_bits, a.readout.bits],
                                                                     (len(keys), 1)), Ideal(), samples=slice(0, n))
            e_full = layer_energy(arch, lm, full, layer, n)
            fixed.append(sum(v for k, v in e_full.items() if k not in PLAN_DEPENDENT)
                         + self._pe_out(full.output_bits))
            E = np.zeros((len(keys), len(ib), len(wb)))
            C = np.zeros_like(E)
            B = np.zeros((len(keys), len(ib)))
            for ii, i in enumerate(ib):
                for wi, w in enumerate(wb):
                    r = simulate_layer_planned(layer, lm, arch, np.tile([min(i, layer.input.bits), min(w, lm.weight_bits),
                                                                         a.readout.bits], (len(keys), 1)),
                                               Ideal(), samples=slice(0, n))
                    for k, arr in enumerate(r.arrays):
                        E[k, ii, wi] = (xb.model.activity_energy_J(arr.reads, arr.input_levels, arr.column_levels,
                                                                   mapped_rows(lm, arr))
                                        + arr.input_levels * dac + arr.conversions * sa
                                        + sum(periphery_energy(arch, [arr]).values()))
                        C[k, ii, wi] = arr.conversions
                    real_rows = [int((lm.groups[g].row_layout[r_ * lm.rows_per_array:(r_ + 1) * lm.rows_per_array]
                                      >= 0).sum()) for g, r_, _ in keys]
                    B[:, ii] = np.asarray(real_rows) * r.input_vectors * min(i, layer.input.bits)
            e_arr.append(E)
            conv.append(C)
            in_bits.append(B)
            # compute cycles per vector per array for every (i, w, b)
            T = np.zeros((len(keys), len(ib), len(wb), len(bb)), dtype=np.int64)
            row_groups = math.ceil(a.rows / a.active_rows)
            for k, (g, _, c) in enumerate(keys):
                outs = array_outputs(lm.groups[g], lm, c).size
                full_cols = encoded_columns(arch, lm.weight_bits, outs)
                for ii, i in enumerate(ib):
                    cyc = input_cycles(min(i, layer.input.bits), layer.input.signed, nf.input_bits_per_cycle,
                                       nf.input_encoding == "parallel")
                    for wi, w in enumerate(wb):
                        cols = encoded_columns(arch, min(w, lm.weight_bits), outs)
                        for bi, b in enumerate(bb):
                            T[k, ii, wi, bi] = cyc * row_groups * array_cycle_cycles(arch, b, cols, full_cols)
            cc.append(T)
            lt = layer_timing(arch, layer, lm, {})
            self.timing.append(lt)
        self.fixed_J = float(sum(fixed))
        self.E = np.concatenate(e_arr)                 # (arrays, I, W) J over n samples
        self.C = np.concatenate(conv)                  # (arrays, I, W) conversions over n samples
        self.B = np.concatenate(in_bits)               # (arrays, I) input bits delivered over n samples
        self.T = np.concatenate(cc)                    # (arrays, I, W, B) compute cycles per vector
        self.e_adc = np.array([adc_energy_at_bits_J(self.adc, b, a.readout.bits) for b in bb])
        self.n_arrays = len(self.layer_of)
        self.leakage_W = sum(inst.leakage_W for inst in arch.instances if inst.leakage_W)

    def _pe_out(self, output_bits: int) -> float:
        arch = self.arch
        out = 0.0
        buf = arch.get("pe", "buffer")
        if buf is not None:
            out += math.ceil(output_bits / buf.model.width_bits) * buf.model.write().energy_J
        link = arch.get("pe", "interconnect")
        if link is not None:
            out += output_bits * link.model.energy_per_bit_J
        return out

    def evaluate(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``idx`` (P, arrays, 3) choice indices -> (energy J, latency s) per inference, each (P,)."""
        idx = np.asarray(idx, dtype=np.int64)
        a = np.arange(self.n_arrays)[None, :]
        i, w, b = idx[..., 0], idx[..., 1], idx[..., 2]
        conv = self.C[a, i, w]
        dyn = (self.E[a, i, w] + conv * self.e_adc[b]).sum(axis=1)
        in_bits = self.B[a, i]
        buf = self.arch.get("pe", "buffer")
        link = self.arch.get("pe", "interconnect")
        for arrs in self.layer_arrays:
            lb = in_bits[:, arrs].sum(axis=1)
            if buf is not None:
                dyn = dyn + np.ceil(lb / buf.model.width_bits) * buf.model.read().energy_J
            if link is not None:
                dyn = dyn + lb * link.model.energy_per_bit_J
        dyn = (dyn + self.fixed_J) / self.samples
        cyc = self.T[a, i, w, b]                       # (P, arrays)
        total = np.zeros(idx.shape[0])
        for lt, arrs in zip(self.timing, self.layer_arrays):
            comp = cyc[:, arrs].max(axis=1)
            ii = np.maximum.reduce([np.full_like(comp, v) for k, v in lt.ii.items() if k != "compute"] + [comp])
            lat = sum(v for k, v in lt.lat.items() if k != "compute") + comp
            total = total + lat + (lt.vectors_per_sample - 1) * ii
        latency = total / self.arch.clock_Hz
        return dyn + self.leakage_W * latency, latency
