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
from cimsim.mapping.mapper import LayerMapping
from cimsim.trace.format import im2col, valid_positions  # noqa: F401  (im2col re-exported)


@dataclass
class ArrayActivity:
    """Counts for one array of a layer (group g, row tile r, column tile c) over the samples
    simulated. Reads: one per row group read at once, per input cycle, per input vector."""

    group: int
    row_tile: int
    col_tile: int
    reads: int = 0
    input_levels: int = 0       # sum of active input levels driven (1-bit drives: count of '1' bits)
    column_levels: int = 0      # sum over reads and columns of sum_r x d (the data-dependent current)
    conversions: int = 0        # column read-outs (ADC conversions or sense-amp decisions)
    nonzero_outputs: int = 0    # read-outs whose value was not 0 (HCiM: adds/subtracts)
    clipped: int = 0            # conversions that saturated
    resolved_bits: int = 0      # ADC bits resolved (BFP read-out)
    row_groups: int = 1         # row groups read one after another per input cycle (not a count)


COUNT_FIELDS = ("reads", "input_levels", "column_levels", "conversions", "nonzero_outputs", "clipped",
                "resolved_bits")


@dataclass
class LayerResult:
    """Simulated integer output (same layout as the trace's ``int_output``) and activity.

    Digital counts (from the mapping and the read-outs):
      shift_add_ops   one shift-and-add per conversion with an ADC; per non-zero output with
                      sense amplifiers (zero outputs are skipped, HCiM);
      adder_tree_ops  (row tiles - 1) additions per output per input vector (partial sums
                      across row tiles);
      input_bits      input bits delivered to arrays: every column tile gets its row tile's
                      inputs, ``vectors x rows x input bits x column tiles``;
      output_bits     ``vectors x outputs x accumulator bits`` written back.
    """

    name: str
    int_output: np.ndarray
    groups: list[MVMResult] = field(default_factory=list)
    input_vectors: int = 0
    arrays: list[ArrayActivity] = field(default_factory=list)
    shift_add_ops: int = 0
    adder_tree_ops: int = 0
    input_bits: int = 0
    output_bits: int = 0

    def activity(self) -> dict[str, int]:
        """Counts summed over the layer's arrays, plus the digital counts."""
        tot = {k: sum(getattr(a, k) for a in self.arrays) for k in COUNT_FIELDS}
        tot.update(shift_add_ops=self.shift_add_ops, adder_tree_ops=self.adder_tree_ops,
                   input_bits=self.input_bits, output_bits=self.output_bits, input_vectors=self.input_vectors)
        return tot

    def add_group(self, gi: int, r: MVMResult, gm, rows_per_array: int, rows_active: int, vectors: int,
                  input_bits: int, accumulator_bits: int, sense_amp: bool) -> None:
        """Fold one group's kernel counts into per-array activity and digital counts."""
        self.groups.append(r)
        self.input_vectors += vectors
        n_groups = r.ones.shape[0]
        if n_groups and gm.column_tile.size:
            row_tile_of = (np.arange(n_groups) * rows_active) // rows_per_array
            # Row groups of one row tile and digit columns of one column tile are contiguous:
            # sum them with reduceat (rows) and reduceat (columns).
            r_starts = np.flatnonzero(np.r_[True, row_tile_of[1:] != row_tile_of[:-1]])
            c_starts = np.flatnonzero(np.r_[True, gm.column_tile[1:] != gm.column_tile[:-1]])
            per_rows = np.diff(np.r_[r_starts, n_groups])
            per_cols = np.diff(np.r_[c_starts, gm.column_tile.size])

            def tiles(m):
                return np.add.reduceat(np.add.reduceat(m, r_starts, axis=0), c_starts, axis=1)

            lv, nz, cl, rb = tiles(r.levels), tiles(r.nonzero), tiles(r.clipped), tiles(r.resolved_bits)
            ones = np.add.reduceat(r.ones, r_starts)
            for ri in range(len(r_starts)):
                for ci in range(len(c_starts)):
                    self.arrays.append(ArrayActivity(
                        gi, int(row_tile_of[r_starts[ri]]), int(gm.column_tile[c_starts[ci]]),
                        reads=int(per_rows[ri]) * r.reads, input_levels=int(ones[ri]),
                        column_levels=int(lv[ri, ci]), conversions=int(per_rows[ri] * per_cols[ci]) * r.reads,
                        nonzero_outputs=int(nz[ri, ci]), clipped=int(cl[ri, ci]), resolved_bits=int(rb[ri, ci]),
                        row_groups=int(per_rows[ri])))
        col_tiles = int(gm.column_tile.max()) + 1 if gm.column_tile.size else 0
        n_out = len(gm.cols_kept)
        self.shift_add_ops += int(r.nonzero.sum()) if sense_amp else int(r.levels.size) * r.reads
        self.adder_tree_ops += vectors * n_out * max(0, gm.row_tiles - 1)
        self.input_bits += vectors * len(gm.rows_kept) * input_bits * col_tiles
        self.output_bits += vectors * n_out * accumulator_bits


def simulate_layer(layer, lm: LayerMapping, arch: Architecture, readout: Readout | None = None,
                   device: DeviceEffects | None = None, samples: slice | None = None,
                   x_codes: np.ndarray | None = None, b_codes: np.ndarray | None = None) -> LayerResult:
    """Run one trace layer through its mapped arrays.

    By default on the layer's recorded input codes (``samples`` selects some); ``x_codes``
    (and ``b_codes`` for a matmul's second operand) supply other codes in the same format,
    as the hardware-accuracy runner does with inputs that carry the errors of earlier layers.
    """
    sel = slice(None) if samples is None else samples
    if readout is not None and hasattr(readout, "for_layer"):  # per-layer parameters (trained tables)
        readout = readout.for_layer(layer.name)
    xq = layer.input
    x = (xq.values[sel] if x_codes is None else np.asarray(x_codes)).astype(np.int64)
    zx = int(np.asarray(xq.zero_point).reshape(-1)[0])
    nf = arch.spec.chip.number_format
    a = arch.arrays
    common = dict(input_bits=xq.bits, input_signed=xq.signed, rows_active=a.active_rows,
                  bits_per_cycle=nf.input_bits_per_cycle if nf.input_encoding == "bit_serial" else xq.bits,
                  readout=readout, device=device)
    acc_bits = a.accumulator_bits
    sense_amp = bool(getattr(readout, "sense_amp", False))
    digital = dict(rows_per_array=a.rows, rows_active=a.active_rows, input_bits=xq.bits,
                   accumulator_bits=acc_bits, sense_amp=sense_amp)
    if layer.kind == "matmul":
        bv = layer.input_b.values[sel] if b_codes is None else np.asarray(b_codes)
        b = bv.astype(np.int64) - int(np.asarray(layer.input_b.zero_point).reshape(-1)[0])
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
                gm = lm.groups[0]
                res.add_group(0, r, gm, a.rows, a.active_rows, xs.shape[1], xq.bits, acc_bits, sense_amp)
        return res
    n_total = layer.weight_matrix_cols
    if layer.kind == "conv2d":
        g_n = layer.groups
        cg = layer.in_channels // g_n
        S = x.shape[0]
        outs = []
        res = LayerResult(layer.name, np.empty(0))
        oh = ow = None
        n_per = n_total // g_n
        counted = None
        if arch.spec.mapping.positions == "valid":   # count only the unpadded windows (NeuroSim)
            counted = np.tile(valid_positions(layer).ravel(), S)
        for gi, gm in enumerate(lm.groups):
            cols, oh, ow = im2col(x[:, gi * cg:(gi + 1) * cg], layer.kernel, layer.stride, layer.padding,
                                  layer.dilation, zx)
            y = _run_group(gi, cols, n_per, gm, zx, common, res, digital, counted)
            outs.append(y.reshape(S, oh, ow, n_per))
        y = np.concatenate(outs, axis=3).transpose(0, 3, 1, 2)
        res.int_output = y
        return res
    if layer.kind == "linear":
        res = LayerResult(layer.name, np.empty(0))
        flat = x.reshape(-1, x.shape[-1])
        y = _run_group(0, flat, n_total, lm.groups[0], zx, common, res, digital)
        res.int_output = y.reshape(x.shape[:-1] + (n_total,))
        return res
    raise CimsimError(f"layer '{layer.name}': kind '{layer.kind}' cannot be simulated on arrays")


def _run_group(gi: int, cols: np.ndarray, n_out: int, gm, zx: int, common: dict, res: LayerResult,
               digital: dict, counted: np.ndarray | None = None) -> np.ndarray:
    """cols [P, K] through the group's arrays (n_out outputs); pruned outputs are 0.

    ``counted`` (bool [P], default all): the positions whose activity is counted; the others
    are computed for their outputs only (``mapping.positions: valid``)."""
    y = np.zeros((cols.shape[0], n_out))
    if len(gm.cols_kept) == 0:
        return y
    if np.all(gm.row_layout >= 0):
        xk = cols[:, gm.row_layout]
    else:  # padding rows of the novel mapping: driven with 0
        xk = np.zeros((cols.shape[0], len(gm.row_layout)), dtype=cols.dtype)
        real = gm.row_layout >= 0
        xk[:, real] = cols[:, gm.row_layout[real]]
    parts = [(slice(None), True)] if counted is None else [(counted, True), (~counted, False)]
    for rows, counts in parts:
        xp = xk[rows]
        if xp.shape[0] == 0:
            continue
        r = crossbar_mvm(xp, gm.encoded, column_tile=gm.column_tile, **common)
        yk = r.y - zx * gm.weight_colsum[None, :] if zx else r.y
        if counted is None:
            y[:, gm.cols_kept] = yk
        else:
            y[np.ix_(np.flatnonzero(rows), gm.cols_kept)] = yk
        if counts:
            res.add_group(gi, r, gm, vectors=xp.shape[0], **digital)
    return y


def simulate_trace(trace, arch: Architecture, readout: Readout | None = None,
                   device: DeviceEffects | None = None, samples: slice | None = None,
                   mapping=None) -> list[LayerResult]:
    """The functional pass of every layer of a trace on its recorded inputs (each layer sees
    the codes the quantized model gave it; :mod:`cimsim.accuracy` propagates hardware errors)."""
    from cimsim.mapping.mapper import map_network

    nm = mapping if mapping is not None else map_network(trace, arch)
    return [simulate_layer(layer, lm, arch, readout, device, samples)
            for layer, lm in zip(trace.layers, nm.layers)]
