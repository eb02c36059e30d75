"""In-memory form of a layer trace: :class:`Trace`, :class:`Layer`, :class:`QTensor`.

A trace is what cimsim knows about a network: for each layer that maps onto crossbar arrays
(``conv2d`` including grouped and depthwise, ``linear``, and ``matmul`` with two dynamic
operands) its geometry, its integer weights and inputs with their scales, and the float and
integer reference outputs; for the network the layer order, the graph of operations between
layers (residual adds, concatenations, pooling, ...), the sample count and the provenance.

This module needs only numpy. The file format (``.cimtrace``) lives in :mod:`cimsim.trace.io`
and is described in ``docs/trace-format.md``.

Conventions used everywhere in cimsim:

* Per-sample shapes exclude the batch (sample) dimension; stored arrays carry it first.
* ``conv2d`` activations are NCHW; weights are ``[C_out, C_in/groups, K_h, K_w]``.
* The *unrolled weight matrix* of a conv is ``W.reshape(C_out, -1).T``: rows ``K = C_in/groups
  * K_h * K_w`` ordered (channel, kernel row, kernel column), columns the output channels. For
  ``linear`` it is ``W.T`` (``[in_features, out_features]``). Crossbar-sized blocks
  (``per_array`` granularity) tile this matrix in blocks of ``array_shape = (rows, cols)``
  weights: block ``(i, j)`` holds rows ``i*rows ... (i+1)*rows-1`` and columns
  ``j*cols ... (j+1)*cols-1``.
* The integer reference output is ``sum (w - z_w) * (x - z_x)`` over the layer's reduction,
  computed exactly in int64, with padding carrying the real value 0 (that is, the input zero
  point). It excludes the bias; dequantize with ``scale_w * scale_x * int_output + bias``.
"""

from __future__ import annotations

import dataclasses

import math
from dataclasses import dataclass, field
from typing import Any, Iterator

import numpy as np

from cimsim.errors import TraceError

FORMAT_NAME = "cimtrace"
FORMAT_VERSION = "1.1"

LAYER_KINDS = ("conv2d", "linear", "matmul")
GRANULARITIES = ("per_tensor", "per_channel", "per_array")
PRUNE_GRANULARITIES = ("filter", "channel", "block")

_EXACT_FLOAT_LIMIT = 2**52  # every partial sum below this is an exact float64 integer


# --------------------------------------------------------------------------------------------
# integer ranges


def int_range(bits: int, signed: bool) -> tuple[int, int]:
    """Two's complement (signed) or plain binary (unsigned) range of a ``bits``-bit code."""
    bits = int(bits)
    if signed:
        return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    return 0, 2**bits - 1


def storage_dtype(bits: int, signed: bool) -> np.dtype:
    """Smallest numpy integer dtype that holds every ``bits``-bit code."""
    for width in (8, 16, 32, 64):
        if bits <= width:
            return np.dtype(f"{'int' if signed else 'uint'}{width}")
    raise ValueError(f"{bits} bits does not fit in 64")


def accumulator_dtype(values: np.ndarray) -> np.dtype:
    """int32 when every value fits, else int64: the storage type of integer outputs."""
    if values.size == 0:
        return np.dtype(np.int32)
    lo, hi = int(values.min()), int(values.max())
    if lo >= np.iinfo(np.int32).min and hi <= np.iinfo(np.int32).max:
        return np.dtype(np.int32)
    return np.dtype(np.int64)


# --------------------------------------------------------------------------------------------
# quantized tensors


@dataclass(eq=False)
class QTensor:
    """An integer tensor with the parameters that give it a real value.

    ``real = scale * (values - zero_point)``, with ``scale`` and ``zero_point`` broadcast
    from their ``granularity`` (``per_tensor``: shape ``(1,)``; ``per_channel``: one per
    output channel; ``per_array``: one per crossbar-sized weight block, shape
    ``(row_blocks, col_blocks)``). ``bits`` is the largest bit width; with mixed precision
    ``bits_map`` gives the width per channel or per array (``bits_granularity``).
    """

    values: np.ndarray
    bits: int
    signed: bool
    scale: np.ndarray
    zero_point: np.ndarray
    granularity: str = "per_tensor"
    method: str = "uniform_symmetric"
    bits_map: np.ndarray | None = None
    bits_granularity: str = "per_tensor"
    max_error: float | None = None  # max |x - dequantized| over the float tensor, if known
    clipped: int | None = None  # count of values that fell outside the representable range

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.values.shape)

    def __repr__(self) -> str:
        mixed = "" if self.bits_map is None else f" mixed {self.bits_granularity}"
        return (f"QTensor({list(self.shape)} {self.values.dtype}, {self.bits}-bit "
                f"{'signed' if self.signed else 'unsigned'}{mixed}, {self.method} {self.granularity})")

    def meta(self) -> dict[str, Any]:
        return {
            "bits": int(self.bits),
            "signed": bool(self.signed),
            "granularity": self.granularity,
            "method": self.method,
            "bits_granularity": self.bits_granularity,
            "max_error": None if self.max_error is None else float(self.max_error),
            "clipped": None if self.clipped is None else int(self.clipped),
        }


# --------------------------------------------------------------------------------------------
# layers


@dataclass(eq=False)
class Layer:
    """One layer that maps onto crossbar arrays, with everything needed to check it.

    Geometry fields not meaningful for a kind are ``None``. ``weight`` is ``None`` for a
    ``matmul``, whose second operand ``input_b`` is dynamic (one per sample). Arrays carrying
    samples have the sample dimension first.
    """

    name: str
    kind: str
    index: int
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    input: QTensor
    float_output: np.ndarray
    int_output: np.ndarray
    weight: QTensor | None = None
    input_b: QTensor | None = None
    bias: np.ndarray | None = None
    # conv2d geometry
    kernel: tuple[int, int] | None = None
    stride: tuple[int, int] | None = None
    padding: tuple[int, int] | None = None
    dilation: tuple[int, int] | None = None
    groups: int = 1
    in_channels: int | None = None
    out_channels: int | None = None
    # linear geometry
    in_features: int | None = None
    out_features: int | None = None
    # matmul geometry (per sample)
    input_b_shape: tuple[int, ...] | None = None
    # crossbar blocking of the unrolled weight matrix (per_array granularity, psum, masks)
    array_shape: tuple[int, int] = (128, 128)
    # structured pruning: granularity filter ([C_out]), channel ([C_in/groups]) or
    # block ([row_blocks, col_blocks] of block_shape); zero means pruned
    prune_mask: np.ndarray | None = None
    prune_granularity: str | None = None
    prune_block: tuple[int, int] | None = None
    # partial-sum quantizer (see cimsim.trace.psum); None means lossless read-out
    psum: dict[str, Any] | None = None
    psum_arrays: dict[str, np.ndarray] = field(default_factory=dict)
    source: str | None = None  # module type or function the layer came from
    # array-wise precision (format 1.1, optional): {input_bits, weight_bits, adc_bits}, one
    # entry per array of the layer (cimsim.mapping.precision); None: full precision
    precision: dict[str, list[int]] | None = None

    def __repr__(self) -> str:
        geo = ""
        if self.kind == "conv2d":
            geo = (f" k={list(self.kernel)} s={list(self.stride)} p={list(self.padding)}"
                   f" d={list(self.dilation)} g={self.groups}")
        return (f"Layer({self.index}: '{self.name}' {self.kind} {list(self.input_shape)} -> "
                f"{list(self.output_shape)}{geo}, weight={self.weight!r}, input={self.input!r}, "
                f"{self.macs:,} MACs/sample)")

    # ---- derived geometry ---------------------------------------------------------------

    @property
    def reduction_size(self) -> int:
        """Length of each dot product (rows of the unrolled weight matrix)."""
        if self.kind == "conv2d":
            return (self.in_channels // self.groups) * self.kernel[0] * self.kernel[1]
        if self.kind == "linear":
            return self.in_features
        return int(self.input_shape[-1])

    @property
    def macs(self) -> int:
        """Multiply-accumulates per sample (dense, pruned weights included)."""
        return int(np.prod(self.output_shape, dtype=np.int64)) * self.reduction_size

    @property
    def effective_macs(self) -> int:
        """MACs per sample with pruned (masked) weights skipped."""
        if self.weight is None or self.prune_mask is None:
            return self.macs
        mask = expand_prune_mask(self)
        per_filter = mask.reshape(mask.shape[0], -1).sum(axis=1)  # kept weights per filter
        positions = int(np.prod(self.output_shape, dtype=np.int64)) // self.weight_matrix_cols
        return int(per_filter.sum()) * positions

    @property
    def weight_matrix_shape(self) -> tuple[int, int] | None:
        """(rows, cols) of the unrolled weight matrix, or None for a matmul."""
        if self.kind == "matmul":
            return None
        return self.reduction_size, self.weight_matrix_cols

    @property
    def weight_matrix_cols(self) -> int:
        if self.kind == "conv2d":
            return self.out_channels
        if self.kind == "linear":
            return self.out_features
        return int(self.output_shape[-1])

    @property
    def array_grid(self) -> tuple[int, int] | None:
        """(row_blocks, col_blocks) of crossbar-sized blocks covering the weight matrix."""
        shape = self.weight_matrix_shape
        if shape is None:
            return None
        return math.ceil(shape[0] / self.array_shape[0]), math.ceil(shape[1] / self.array_shape[1])

    @property
    def weight_matrix(self) -> np.ndarray | None:
        """The unrolled integer weight matrix ``[rows, cols]`` (see the module docstring)."""
        if self.weight is None:
            return None
        return self.weight.values.reshape(self.weight.values.shape[0], -1).T

    # ---- checking helpers ---------------------------------------------------------------

    def recompute_int_output(self, samples: slice | np.ndarray | None = None) -> np.ndarray:
        """The integer output recomputed exactly (int64) from the integer weights and inputs."""
        return recompute_int_output(self, samples)

    def dequantized_output(self, samples: slice | np.ndarray | None = None) -> np.ndarray:
        """``scale_w * scale_x * int_output + bias`` in float64.

        With ``per_array`` weight scales each row block of arrays is recomputed and scaled by
        its own scales (the single integer output mixes differently scaled partial sums).
        """
        if self.kind != "matmul" and self.weight.granularity == "per_array":
            parts = per_array_outputs(self, samples)  # [row_blocks, N, *out]
            sx = float(self.input.scale.reshape(-1)[0])
            cols = np.arange(self.weight_matrix_cols) // self.array_shape[1]
            y = 0.0
            for i in range(parts.shape[0]):
                y = y + parts[i].astype(np.float64) * _channel_broadcast(self, self.weight.scale[i, cols] * sx)
            if self.bias is not None:
                y = y + _channel_broadcast(self, self.bias.astype(np.float64))
            return y
        return dequantize_output(self, self.int_output if samples is None else self.int_output[samples])

    def output_scale(self) -> np.ndarray:
        """Scale of one integer output unit, broadcastable against ``int_output``."""
        sx = float(self.input.scale.reshape(-1)[0])
        if self.kind == "matmul":
            return np.asarray(sx * float(self.input_b.scale.reshape(-1)[0]))
        sw = expand_param(self, self.weight.scale, self.weight.granularity)
        if self.weight.granularity == "per_array":
            raise TraceError(
                f"layer '{self.name}': a per_array weight scale has no single output scale; "
                "use the partial sums per array (cimsim.trace.format.dequantize_output handles it)"
            )
        per_col = sw.reshape(sw.shape[0], -1)[:, 0] * sx
        return _channel_broadcast(self, per_col)

    def summary(self) -> dict[str, Any]:
        row = {
            "name": self.name,
            "kind": self.kind,
            "input_shape": list(self.input_shape),
            "output_shape": list(self.output_shape),
            "macs": self.macs,
            "input_bits": self.input.bits,
            "input_signed": self.input.signed,
        }
        if self.weight is not None:
            row.update(weight_shape=list(self.weight.shape), weight_bits=self.weight.bits,
                       weight_granularity=self.weight.granularity)
        if self.kind == "conv2d":
            row.update(kernel=list(self.kernel), stride=list(self.stride),
                       padding=list(self.padding), groups=self.groups)
        return row


def _channel_broadcast(layer: Layer, per_col: np.ndarray) -> np.ndarray:
    """Reshape a per-output-channel vector to broadcast against ``[N, *output_shape]``."""
    if layer.kind == "conv2d":
        return per_col.reshape(1, -1, 1, 1)
    return per_col.reshape((1,) * len(layer.output_shape) + (-1,))


def block_index(layer: Layer) -> tuple[np.ndarray, np.ndarray]:
    """(row_block, col_block) of every weight element, each shaped like the weight."""
    w = layer.weight.values
    cols = w.shape[0]
    rows = int(np.prod(w.shape[1:]))
    r = np.arange(rows).reshape((1,) + w.shape[1:]) // layer.array_shape[0]
    c = np.arange(cols).reshape((cols,) + (1,) * (w.ndim - 1)) // layer.array_shape[1]
    return np.broadcast_to(r, w.shape), np.broadcast_to(c, w.shape)


def expand_param(layer: Layer, param: np.ndarray, granularity: str) -> np.ndarray:
    """Broadcast a weight parameter given at ``granularity`` to the weight's shape."""
    w = layer.weight.values
    param = np.asarray(param)
    if granularity == "per_tensor":
        return np.broadcast_to(param.reshape(()), w.shape) if param.size == 1 else param
    if granularity == "per_channel":
        return np.broadcast_to(param.reshape((-1,) + (1,) * (w.ndim - 1)), w.shape)
    if granularity == "per_array":
        rb, cb = block_index(layer)
        return param[rb, cb]
    raise TraceError(f"layer '{layer.name}': unknown granularity '{granularity}'")


def expand_prune_mask(layer: Layer) -> np.ndarray:
    """The pruning mask broadcast to the weight's shape (bool)."""
    w = layer.weight.values
    mask = np.asarray(layer.prune_mask).astype(bool)
    g = layer.prune_granularity
    if g == "filter":
        return np.broadcast_to(mask.reshape((-1,) + (1,) * (w.ndim - 1)), w.shape)
    if g == "channel":
        if layer.kind == "conv2d":
            return np.broadcast_to(mask.reshape(1, -1, 1, 1), w.shape)
        return np.broadcast_to(mask.reshape(1, -1), w.shape)
    if g == "block":
        rows = int(np.prod(w.shape[1:]))
        br, bc = layer.prune_block
        r = np.arange(rows).reshape((1,) + w.shape[1:]) // br
        c = np.arange(w.shape[0]).reshape((-1,) + (1,) * (w.ndim - 1)) // bc
        return mask[np.broadcast_to(r, w.shape), np.broadcast_to(c, w.shape)]
    raise TraceError(f"layer '{layer.name}': unknown prune granularity '{g}'")


def dequantize_weight(layer: Layer) -> np.ndarray:
    """Real-valued weights ``scale * (q - zero_point)`` (float64)."""
    wq = layer.weight
    s = expand_param(layer, wq.scale, wq.granularity)
    z = expand_param(layer, wq.zero_point, wq.granularity)
    return s * (wq.values.astype(np.int64) - z)


def dequantize_tensor(q: QTensor) -> np.ndarray:
    """Real value of an activation tensor (per-tensor parameters)."""
    return float(q.scale.reshape(-1)[0]) * (q.values.astype(np.int64) - int(q.zero_point.reshape(-1)[0]))


def dequantize_output(layer: Layer, int_output: np.ndarray) -> np.ndarray:
    """``scale_w * scale_x * int_output + bias`` (float64)."""
    if layer.kind != "matmul" and layer.weight.granularity == "per_array":
        raise TraceError(
            f"layer '{layer.name}': weights are scaled per array, so the integer output sums "
            "differently scaled partial sums and cannot be dequantized as a whole; "
            "recompute per array with cimsim.trace.format.per_array_outputs"
        )
    y = int_output.astype(np.float64) * layer.output_scale()
    if layer.bias is not None:
        y = y + _channel_broadcast(layer, layer.bias.astype(np.float64))
    return y


# --------------------------------------------------------------------------------------------
# exact integer recomputation


def _exact_matmul(a: np.ndarray, b: np.ndarray, bound: int) -> np.ndarray:
    """``a @ b`` for int64 operands, exact: float64 BLAS when every sum is below 2**52."""
    if bound < _EXACT_FLOAT_LIMIT:
        return np.rint(np.matmul(a.astype(np.float64), b.astype(np.float64))).astype(np.int64)
    return np.matmul(a.astype(np.int64), b.astype(np.int64))


def _maxabs(a: np.ndarray) -> int:
    return int(np.abs(a).max()) if a.size else 0


def im2col(x: np.ndarray, kernel, stride, padding, dilation, pad_value: int = 0) -> tuple[np.ndarray, int, int]:
    """``x`` [S, C, H, W] -> rows [S*OH*OW, C*kh*kw] ordered (channel, kernel row, kernel column),
    the order of the unrolled weight matrix's rows; padding carries ``pad_value``."""
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


def valid_positions(layer) -> np.ndarray:
    """Boolean mask [OH, OW] of a conv2d layer's output positions whose window lies wholly
    inside the unpadded input (touches no padding element); all True without padding. Used by
    the ``mapping.positions: valid`` accounting (:class:`cimsim.spec.schema.Mapping`)."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = layer.kernel, layer.stride, layer.padding, layer.dilation
    h, w = int(layer.input_shape[-2]), int(layer.input_shape[-1])
    oh, ow = int(layer.output_shape[-2]), int(layer.output_shape[-1])

    def inside(n_out, n_in, k, s, p, d):
        start = np.arange(n_out) * s - p
        return (start >= 0) & (start + d * (k - 1) <= n_in - 1)

    return inside(oh, h, kh, sh, ph, dh)[:, None] & inside(ow, w, kw, sw, pw, dw)[None, :]


def counted_position_fraction(layer, positions: str) -> float:
    """Share of a layer's output positions whose costs are counted under ``mapping.positions``
    (1 for ``all``, and for every layer kind but conv2d)."""
    if positions == "all" or layer.kind != "conv2d":
        return 1.0
    return float(valid_positions(layer).mean())


def conv2d_int(x: np.ndarray, w: np.ndarray, stride, padding, dilation, groups: int,
               exact: bool = True) -> np.ndarray:
    """Exact integer 2-D convolution (cross-correlation) of centred int64 tensors.

    ``x``: ``[N, C, H, W]``; ``w``: ``[O, C/groups, Kh, Kw]``; zero padding. With
    ``exact=False`` the operands are floats and the result is float64.
    """
    n = x.shape[0]
    o, cg, kh, kw = w.shape
    og = o // groups
    bound = _maxabs(x) * _maxabs(w) * cg * kh * kw
    outs = []
    for gi in range(groups):
        cols, oh, ow = im2col(x[:, gi * cg:(gi + 1) * cg], (kh, kw), stride, padding, dilation, 0)
        wm = w[gi * og:(gi + 1) * og].reshape(og, cg * kh * kw).T      # [K, Og]
        out = (_exact_matmul(cols, wm, bound) if exact
               else np.matmul(cols.astype(np.float64), wm.astype(np.float64)))
        outs.append(out.reshape(n, oh, ow, og))
    return np.concatenate(outs, axis=3).transpose(0, 3, 1, 2)


def recompute_int_output(layer: Layer, samples: slice | np.ndarray | None = None) -> np.ndarray:
    """Integer output of ``layer`` recomputed from its integer operands (int64, exact)."""
    sel = slice(None) if samples is None else samples
    x = layer.input.values[sel].astype(np.int64) - int(layer.input.zero_point.reshape(-1)[0])
    if layer.kind == "matmul":
        b = layer.input_b.values[sel].astype(np.int64) - int(layer.input_b.zero_point.reshape(-1)[0])
        bound = _maxabs(x) * _maxabs(b) * x.shape[-1]
        return _exact_matmul(x, b, bound)
    w = layer.weight.values.astype(np.int64) - expand_param(
        layer, layer.weight.zero_point, layer.weight.granularity).astype(np.int64)
    if layer.kind == "conv2d":
        return conv2d_int(x, w, layer.stride, layer.padding, layer.dilation, layer.groups)
    bound = _maxabs(x) * _maxabs(w) * w.shape[1]
    return _exact_matmul(x, w.T, bound)


def per_array_outputs(layer: Layer, samples: slice | np.ndarray | None = None) -> np.ndarray:
    """Integer partial outputs per row block of arrays: ``[row_blocks, N, *output_shape]``.

    Row block ``i`` holds rows ``i*array_rows ... (i+1)*array_rows-1`` of the unrolled weight
    matrix; summing over the first axis gives :func:`recompute_int_output`.
    """
    if layer.kind == "matmul":
        raise TraceError(f"layer '{layer.name}': a matmul has no static weight blocks")
    rows = layer.array_shape[0]
    w_full = layer.weight.values.astype(np.int64) - expand_param(
        layer, layer.weight.zero_point, layer.weight.granularity).astype(np.int64)
    flat = w_full.reshape(w_full.shape[0], -1)
    parts = []
    for i in range(layer.array_grid[0]):
        wm = np.zeros_like(flat)
        wm[:, i * rows:(i + 1) * rows] = flat[:, i * rows:(i + 1) * rows]
        parts.append(_int_apply(layer, wm.reshape(w_full.shape), samples))
    return np.stack(parts)


def _int_apply(layer: Layer, w_centred: np.ndarray, samples) -> np.ndarray:
    sel = slice(None) if samples is None else samples
    x = layer.input.values[sel].astype(np.int64) - int(layer.input.zero_point.reshape(-1)[0])
    if layer.kind == "conv2d":
        return conv2d_int(x, w_centred, layer.stride, layer.padding, layer.dilation, layer.groups)
    bound = _maxabs(x) * _maxabs(w_centred) * w_centred.shape[1]
    return _exact_matmul(x, w_centred.T, bound)


def apply_float(layer: Layer, x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The layer's operation (no bias) on float64 operands: conv / linear / matmul.

    For a matmul ``w`` is the per-sample second operand.
    """
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    if layer.kind == "conv2d":
        return conv2d_int(x, w, layer.stride, layer.padding, layer.dilation, layer.groups, exact=False)
    if layer.kind == "linear":
        return x @ w.T
    return np.matmul(x, w)


# --------------------------------------------------------------------------------------------
# graph and trace


@dataclass(eq=False)
class GraphNode:
    """One operation of the network graph.

    ``op`` is a CIM layer kind (``conv2d``, ``linear``, ``matmul``; then ``layer`` names it),
    ``input``/``output``, or a digital operation (``relu``, ``add``, ``cat``, ``max_pool2d``,
    ``flatten``, ``layer_norm``, ...). ``attrs`` holds its non-tensor arguments (JSON),
    ``arrays`` its constant tensors (e.g. layer-norm weights).
    """

    name: str
    op: str
    inputs: list[str]
    attrs: dict[str, Any] = field(default_factory=dict)
    layer: str | None = None
    shape: list[int] | None = None  # per-sample output shape, if a tensor
    arrays: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass(eq=False)
class Trace:
    """A network's layer trace (see the module docstring and ``docs/trace-format.md``)."""

    name: str
    layers: list[Layer]
    sample_count: int
    input_shape: tuple[int, ...]
    graph: list[GraphNode] = field(default_factory=list)
    layer_edges: list[dict[str, Any]] = field(default_factory=list)
    provenance: dict[str, Any] = field(default_factory=dict)
    labels: np.ndarray | None = None
    outputs: dict[str, np.ndarray] = field(default_factory=dict)
    version: str = FORMAT_VERSION
    path: str | None = None  # where it was loaded from, if anywhere

    def __repr__(self) -> str:
        return (f"Trace('{self.name}', {len(self.layers)} layers, {self.sample_count} samples of "
                f"{list(self.input_shape)}, {self.total_macs:,} MACs/sample, format {self.version})")

    def __iter__(self) -> Iterator[Layer]:
        return iter(self.layers)

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, key: int | str) -> Layer:
        if isinstance(key, str):
            for layer in self.layers:
                if layer.name == key:
                    return layer
            raise KeyError(key)
        return self.layers[key]

    @property
    def layer_names(self) -> list[str]:
        return [layer.name for layer in self.layers]

    @property
    def total_macs(self) -> int:
        """MACs per sample over all layers."""
        return sum(layer.macs for layer in self.layers)

    def save(self, path) -> None:
        """Write the trace atomically (temporary file, then rename)."""
        from cimsim.trace.io import save

        save(self, path)

    def accuracy(self, which: str = "quantized") -> float | None:
        """Top-1 accuracy of the recorded network outputs against ``labels``, if present."""
        if self.labels is None or which not in self.outputs:
            return None
        logits = self.outputs[which]
        pred = logits.reshape(logits.shape[0], -1).argmax(axis=1)
        return float((pred == self.labels).mean())

    def summary(self) -> list[dict[str, Any]]:
        return [layer.summary() for layer in self.layers]


def with_precision(trace, plan):
    """A shallow copy of ``trace`` whose layers carry ``plan``'s per-array precision (format 1.1)."""
    import copy

    t = copy.copy(trace)
    d = plan.to_dict()
    t.layers = [dataclasses.replace(layer, precision=d.get(layer.name)) for layer in trace.layers]
    return t


def precision_plan(trace):
    """The :class:`cimsim.mapping.precision.PrecisionPlan` a trace carries, or None."""
    from cimsim.mapping.precision import PrecisionPlan

    d = {layer.name: layer.precision for layer in trace.layers if layer.precision is not None}
    return PrecisionPlan.from_dict(d, "trace precision") if d else None
