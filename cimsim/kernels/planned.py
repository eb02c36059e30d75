"""The functional pass of one layer under an array-wise precision plan
(:mod:`cimsim.mapping.precision`).

Each array of the layer runs through :func:`cimsim.kernels.mvm.crossbar_mvm` on its own:
its row tile's inputs rounded to the array's input bits (fewer input cycles), its column
tile's weights rounded to the array's weight bits and encoded at that width (fewer digit
columns), read out at the array's ADC bits. Its output is scaled back by
``2^(input shift + weight shift)`` and the row tiles' partial sums are added (the PE adder
tree); the input zero point is removed digitally with the rounded weights. With every array
at full precision and a lossless read-out the result equals
:func:`cimsim.kernels.layer.simulate_layer`'s exactly (tested).

Read-out per array: the given read-out with its ``bits`` replaced by the array's ADC bits;
a calibrated (min-max) read-out is calibrated on the array's own partial sums (each array
has its own ADC range). Activity is counted per array as in
:class:`cimsim.kernels.layer.ArrayActivity`; ``resolved_bits`` carries ``conversions x b``
so that the energy accounting prices each conversion at the array's ADC bits
(:func:`cimsim.cost.energy.adc_energy_at_bits_J`).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from cimsim.errors import CimsimError
from cimsim.kernels.layer import ArrayActivity, LayerResult
from cimsim.kernels.mvm import crossbar_mvm
from cimsim.kernels.readout import Ideal, Readout
from cimsim.mapping.mapper import centred_weight_matrix
from cimsim.mapping.precision import array_keys, array_outputs, array_rows, round_to_bits
from cimsim.trace.format import im2col


def array_readout(readout: Readout, bits: int) -> Readout:
    """``readout`` at ``bits`` ADC bits (an ideal read-out stays ideal)."""
    if isinstance(readout, Ideal):
        return readout
    if dataclasses.is_dataclass(readout) and "bits" in {f.name for f in dataclasses.fields(readout)}:
        return dataclasses.replace(readout, bits=int(bits))
    raise CimsimError(f"precision plan: ADC bits per array need an ADC read-out with a 'bits' parameter; "
                      f"the read-out is {readout!r}")


def simulate_layer_planned(layer, lm, arch, plan_layer: np.ndarray, readout: Readout, device=None,
                           samples: slice | None = None, x_codes: np.ndarray | None = None) -> LayerResult:
    """Run one conv2d/linear layer through its mapped arrays under ``plan_layer`` (arrays x 3)."""
    if layer.kind not in ("conv2d", "linear"):
        raise CimsimError(f"layer '{layer.name}': array-wise precision applies to conv2d and linear layers, "
                          f"not {layer.kind}")
    if hasattr(readout, "for_layer"):
        readout = readout.for_layer(layer.name)
    sel = slice(None) if samples is None else samples
    xq = layer.input
    x = (xq.values[sel] if x_codes is None else np.asarray(x_codes)).astype(np.int64)
    zx = int(np.asarray(xq.zero_point).reshape(-1)[0])
    nf = arch.spec.chip.number_format
    a = arch.arrays
    d = nf.input_bits_per_cycle
    w_full = centred_weight_matrix(layer).astype(np.int64)
    n_total = layer.weight_matrix_cols
    g_n = len(lm.groups)
    n_per = n_total // g_n
    res = LayerResult(layer.name, np.empty(0))
    plan_of = dict(zip(array_keys(lm), (tuple(int(v) for v in row) for row in plan_layer)))
    outs = []
    for gi, gm in enumerate(lm.groups):
        if layer.kind == "conv2d":
            cg = layer.in_channels // layer.groups
            cols, oh, ow = im2col(x[:, gi * cg:(gi + 1) * cg], layer.kernel, layer.stride, layer.padding,
                                  layer.dilation, zx)
        else:
            cols = x.reshape(-1, x.shape[-1])
        V = cols.shape[0]
        y = np.zeros((V, n_per))
        wg = w_full[:, gi * n_per:(gi + 1) * n_per]
        acc = np.zeros((V, len(gm.cols_kept)))
        for r in range(gm.row_tiles):
            rl = array_rows(gm, lm, r)
            real = rl >= 0
            xr = np.zeros((V, rl.size), dtype=np.int64)
            xr[:, real] = cols[:, rl[real]]
            for c in range(gm.col_tiles):
                ib, wb, bb = plan_of[(gi, r, c)]
                oi = array_outputs(gm, lm, c)
                w = np.zeros((rl.size, oi.size), dtype=np.int64)
                w[real] = wg[np.ix_(rl[real], gm.cols_kept[oi])]
                wq, sw = round_to_bits(w, lm.weight_bits, wb, True)
                xs, sx = round_to_bits(xr, xq.bits, ib, xq.signed)
                enc = arch.encoding.encode(wq, wb, a.bits_per_cell)
                rr = crossbar_mvm(xs, enc, input_bits=ib, input_signed=xq.signed, rows_active=a.active_rows,
                                  bits_per_cycle=d if nf.input_encoding == "bit_serial" else ib,
                                  readout=array_readout(readout, bb), device=device)
                acc[:, oi] += rr.y * float(2 ** (sx + sw))
                if zx:
                    acc[:, oi] -= zx * float(2 ** sw) * wq.sum(axis=0)[None, :]
                conv = int(rr.levels.size) * rr.reads
                res.arrays.append(ArrayActivity(
                    gi, r, c, reads=rr.ones.shape[0] * rr.reads, input_levels=int(rr.ones.sum()),
                    column_levels=int(rr.levels.sum()), conversions=conv, nonzero_outputs=int(rr.nonzero.sum()),
                    clipped=int(rr.clipped.sum()), resolved_bits=conv * bb if a.readout.kind == "adc" else 0))
                res.shift_add_ops += conv
                res.input_bits += V * int(real.sum()) * ib
        y[:, gm.cols_kept] = acc
        res.input_vectors += V
        res.adder_tree_ops += V * len(gm.cols_kept) * max(0, gm.row_tiles - 1)
        res.output_bits += V * len(gm.cols_kept) * a.accumulator_bits
        if layer.kind == "conv2d":
            outs.append(y.reshape(x.shape[0], oh, ow, n_per))
        else:
            outs.append(y)
    if layer.kind == "conv2d":
        res.int_output = np.concatenate(outs, axis=3).transpose(0, 3, 1, 2)
    else:
        res.int_output = outs[0].reshape(x.shape[:-1] + (n_total,))
    return res
