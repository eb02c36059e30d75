"""The functional pass of one trace layer on its mapped arrays.

Unrolls the layer's integer input codes (im2col for convolutions, padding carrying the input
zero point, i.e. real 0), runs each weight group through :func:`cimsim.kernels.mvm.crossbar_mvm`
and removes the input zero point digitally (``y = sum_r w_r x_r - z_x sum_r w_r``), so that
with a lossless read-out the result equals the trace's integer reference output exactly.
Pruned filters produce 0 and take no arrays; pruned input rows take no array rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cimsim.architecture import Architecture
from cimsim.errors import CimsimError
from cimsim.kernels.mvm import DeviceEffects, MVMResult, crossbar_mvm
from cimsim.kernels.readout import Readout
from cimsim.mapping.mapper import LayerMapping, centred_weight_matrix


def im2col(x: np.ndarray, kernel, stride, padding, dilation, pad_value: int = 0) -> tuple[np.ndarray, int, int]:
    """``x`` [S, C, H, W] -> rows [S*OH*OW, C*kh*kw] ordered (channel, kernel row, kernel column)."""
    s, c, h, w = x.shape
    kh, kw = kernel
    sh, sw = stride
    ph, pw = padding
    dh, dw = dilation
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=pad_value)
    eh, ew = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    win = np.lib.stride_tricks.sliding_window_view(xp, (eh, ew), axis=(2, 3))
    win = win[:, :, ::sh, ::sw, ::dh, ::dw]          # [S, C, OH, OW, kh, kw]
    oh, ow = win.shape[2], win.shape[3]
    cols = win.transpose(0, 2, 3, 1, 4, 5).reshape(s * oh * ow, c * kh * kw)
    return np.ascontiguousarray(cols), oh, ow


@dataclass
class LayerResult:
    """Simulated integer output (same layout as the trace's ``int_output``) and activity."""

    name: str
    int_output: np.ndarray
    groups: list[MVMResult] = field(default_factory=list)
    input_vectors: int = 0

    def activity(self) -> dict[str, int]:
        """Counts summed over the layer's groups and arrays (per sample set simulated)."""
        tot = {"input_levels": 0, "column_levels": 0, "reads": 0, "conversions": 0, "nonzero_outputs": 0,
               "clipped_conversions": 0, "resolved_bits": 0}
        for g in self.groups:
            tot["input_levels"] += int(g.ones.sum())
            tot["column_levels"] += int(g.levels.sum())
            tot["reads"] += int(g.reads * g.ones.shape[0])
            tot["conversions"] += int(g.reads * g.levels.size)
            tot["nonzero_outputs"] += int(g.nonzero.sum())
            tot["clipped_conversions"] += int(g.clipped.sum())
            tot["resolved_bits"] += int(g.resolved_bits.sum())
        return tot


def simulate_layer(layer, lm: LayerMapping, arch: Architecture, readout: Readout | None = None,
                   device: DeviceEffects | None = None, samples: slice | None = None) -> LayerResult:
    """Run one trace layer through its mapped arrays."""
    sel = slice(None) if samples is None else samples
    xq = layer.input
    x = xq.values[sel].astype(np.int64)
    zx = int(np.asarray(xq.zero_point).reshape(-1)[0])
    nf = arch.spec.chip.number_format
    a = arch.arrays
    common = dict(input_bits=xq.bits, input_signed=xq.signed, rows_active=a.active_rows,
                  bits_per_cycle=nf.input_bits_per_cycle if nf.input_encoding == "bit_serial" else xq.bits,
                  readout=readout, device=device)
    if layer.kind == "matmul":
        b = layer.input_b.values[sel].astype(np.int64) - int(np.asarray(layer.input_b.zero_point).reshape(-1)[0])
        out = np.zeros(x.shape[:-1] + (b.shape[-1],))
        res = LayerResult(layer.name, out)
        enc_cls = arch.encoding
        for s in range(x.shape[0]):
            bs = b[s].reshape(-1, b.shape[-2], b.shape[-1])
            xs = x[s].reshape(-1, x.shape[-2], x.shape[-1])
            for h in range(bs.shape[0]):
                e = enc_cls.encode(bs[h], lm.weight_bits, a.bits_per_cell)
                r = crossbar_mvm(xs[h], e, **common)
                ys = r.y - zx * bs[h].sum(axis=0)[None, :]
                out[s].reshape(-1, xs.shape[-2], bs.shape[-1])[h] = ys
                res.groups.append(r)
                res.input_vectors += xs.shape[1]
        return res
    w = centred_weight_matrix(layer)
    n_total = w.shape[1]
    if layer.kind == "conv2d":
        g_n = layer.groups
        cg = layer.in_channels // g_n
        S = x.shape[0]
        outs = []
        res = LayerResult(layer.name, np.empty(0))
        oh = ow = None
        n_per = n_total // g_n
        for gi, gm in enumerate(lm.groups):
            cols, oh, ow = im2col(x[:, gi * cg:(gi + 1) * cg], layer.kernel, layer.stride, layer.padding,
                                  layer.dilation, zx)
            y = _run_group(cols, w[:, gi * n_per:(gi + 1) * n_per], gm, zx, common, res)
            outs.append(y.reshape(S, oh, ow, n_per))
        y = np.concatenate(outs, axis=3).transpose(0, 3, 1, 2)
        res.int_output = y
        return res
    if layer.kind == "linear":
        res = LayerResult(layer.name, np.empty(0))
        flat = x.reshape(-1, x.shape[-1])
        y = _run_group(flat, w, lm.groups[0], zx, common, res)
        res.int_output = y.reshape(x.shape[:-1] + (n_total,))
        return res
    raise CimsimError(f"layer '{layer.name}': kind '{layer.kind}' cannot be simulated on arrays")


def _run_group(cols: np.ndarray, w: np.ndarray, gm, zx: int, common: dict, res: LayerResult) -> np.ndarray:
    """cols [P, K] x w [K, N] through the group's arrays; pruned outputs are 0."""
    y = np.zeros((cols.shape[0], w.shape[1]))
    if len(gm.cols_kept) == 0:
        return y
    xk = cols[:, gm.rows_kept]
    r = crossbar_mvm(xk, gm.encoded, column_tile=gm.column_tile, **common)
    wk = w[np.ix_(gm.rows_kept, gm.cols_kept)]
    y[:, gm.cols_kept] = r.y - zx * wk.sum(axis=0)[None, :]
    res.groups.append(r)
    res.input_vectors += cols.shape[0]
    return y
