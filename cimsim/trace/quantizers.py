"""Quantizers and pruning masks used by CIM papers, in numpy, with their sources.

Each quantizer maps a float tensor to integer codes ``q`` and parameters such that
``x ~ scale * (q - zero_point)``. Rounding is :func:`numpy.rint` (round half to even, like
``torch.round``). Each returns a :class:`Quantized` holding the codes, the compact parameters
(one per tensor, per output channel or per crossbar-sized weight block) and the largest
absolute error it made.

Quantizers (``method`` names as recorded in traces):

``wage``
    WAGE fixed point: ``Q(x, k) = round(x * 2**(k-1)) / 2**(k-1)`` with ``x`` clipped to
    ``(-1, 1)``, i.e. codes in ``[-(2**(k-1)-1), 2**(k-1)-1]`` and a fixed scale
    ``2**(1-k)``. Source: Wu, Li, Chen, Shi, "Training and Inference with Integers in Deep
    Neural Networks", ICLR 2018; as used by DNN+NeuroSim and by Huang, Jiang, Yu, ACM TODAES
    28(3), 2022 (doi 10.1145/3569940).
``dfp``
    Dynamic fixed point: per layer and tensor a power-of-two scale ``2**-FL`` with fractional
    length ``FL = B - 1 - ceil(log2 max|x|)`` (signed) or ``FL = B - ceil(log2 max x)``
    (unsigned, no sign bit), chosen from the data's range. Source: Gysel, Pimentel, Motamedi,
    Ghiasi, "Ristretto: A Framework for Empirical Study of Resource-Efficient Inference in
    Convolutional Neural Networks", IEEE TNNLS 29(11), 2018; compared against WAGE for CIM
    in Huang et al. 2022.
``symmetric``
    Uniform symmetric (restricted range, zero point 0): ``scale = max|x| / (2**(B-1)-1)``
    (signed) or ``max x / (2**B-1)`` (unsigned), per tensor, per output channel, or per
    crossbar array. Source: Krishnamoorthi, "Quantizing deep convolutional networks for
    efficient inference: A whitepaper", arXiv 1806.08342, 2018, §2.2; Jacob et al.,
    "Quantization and Training of Neural Networks for Efficient Integer-Arithmetic-Only
    Inference", CVPR 2018.
``asymmetric``
    Uniform asymmetric (affine): ``scale = (max - min) / (2**B - 1)`` over a range widened to
    include 0, ``zero_point = round(-min / scale)``, unsigned codes ``[0, 2**B-1]``. Source:
    Jacob et al. CVPR 2018, eq. (1); Krishnamoorthi 2018 §2.1.

Mixed precision and pruning:

* filter-wise mixed precision (a bit width per output channel): Chen et al., "SUN: Dynamic
  Hybrid-Precision SRAM-Based CIM Accelerator With High Macro Utilization Using Structured
  Pruning Mixed-Precision Networks", IEEE TCAD 43(7), 2024 (doi 10.1109/TCAD.2024.3358583).
* array-wise mixed precision (a bit width per crossbar-sized weight block, given by a map):
  Sun et al., "CIM²PQ: An Arraywise and Hardware-Friendly Mixed Precision Quantization Method
  for Analog Computing-In-Memory", IEEE TCAD 43(7), 2024 (doi 10.1109/TCAD.2024.3358609).
  CIM²PQ finds the map by evolutionary search; here it is given, or chosen by the simple
  error-ranking rule of :func:`rank_bits` (an assumption, not the paper's search).
* structured pruning masks by L1 magnitude: filters (Li, Kadav, Durdanovic, Samet, Graf,
  "Pruning Filters for Efficient ConvNets", ICLR 2017), input channels (the same magnitude
  criterion applied to channels, as in He, Zhang, Sun, "Channel Pruning for Accelerating Very
  Deep Neural Networks", ICCV 2017, which selects channels by LASSO instead), and weight
  blocks of the unrolled matrix (crossbar-aligned structured pruning, as in SUN).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cimsim.errors import CimsimError
from cimsim.trace.format import QTensor, int_range

METHODS = ("wage", "dfp", "symmetric", "asymmetric")


@dataclass(eq=False)
class Quantized:
    """Integer codes and the parameters that give them a value.

    ``scale`` and ``zero_point`` are compact (shape ``(1,)`` per tensor, ``(C,)`` per channel,
    ``(row_blocks, col_blocks)`` per array); ``scale_full`` and ``zero_point_full`` broadcast
    against ``values``.
    """

    values: np.ndarray  # int64
    scale: np.ndarray
    zero_point: np.ndarray
    scale_full: np.ndarray
    zero_point_full: np.ndarray
    bits: int
    signed: bool
    method: str
    granularity: str = "per_tensor"
    bits_map: np.ndarray | None = None
    bits_granularity: str = "per_tensor"
    max_error: float = 0.0
    clipped: int = 0

    def dequantize(self) -> np.ndarray:
        return self.scale_full * (self.values - self.zero_point_full)

    def to_qtensor(self, values: np.ndarray | None = None) -> QTensor:
        from cimsim.trace.format import storage_dtype

        v = self.values if values is None else values
        return QTensor(
            values=v.astype(storage_dtype(self.bits, self.signed)),
            bits=int(self.bits), signed=bool(self.signed),
            scale=np.asarray(self.scale, dtype=np.float64).reshape(self.scale.shape or (1,)),
            zero_point=np.asarray(self.zero_point, dtype=np.int64).reshape(self.scale.shape or (1,)),
            granularity=self.granularity, method=self.method,
            bits_map=None if self.bits_map is None else np.asarray(self.bits_map, dtype=np.int16),
            bits_granularity=self.bits_granularity,
            max_error=float(self.max_error), clipped=int(self.clipped),
        )


def _finish(x, q, scale, zp, scale_full, zp_full, bits, signed, method, gran, raw=None,
            bits_map=None, bits_gran="per_tensor") -> Quantized:
    out = Quantized(values=q.astype(np.int64), scale=np.asarray(scale, np.float64),
                    zero_point=np.asarray(zp, np.int64), scale_full=scale_full,
                    zero_point_full=zp_full, bits=int(bits), signed=bool(signed), method=method,
                    granularity=gran, bits_map=bits_map, bits_granularity=bits_gran)
    x = np.asarray(x, dtype=np.float64)
    out.max_error = float(np.abs(x - out.dequantize()).max()) if x.size else 0.0
    if raw is not None:
        out.clipped = int(np.count_nonzero(raw != q))
    return out


def _check_bits(bits, method: str, minimum: int = 2) -> None:
    b = np.asarray(bits)
    if b.size == 0 or b.min() < minimum or b.max() > 32:
        raise CimsimError(f"quantizer '{method}': bit width should be between {minimum} and 32, "
                          f"found {bits!r}")


# --------------------------------------------------------------------------------------------
# per-tensor quantizers


def wage(x: np.ndarray, bits: int) -> Quantized:
    """WAGE fixed point ``Q(x, k) = round(x 2^(k-1)) / 2^(k-1)``, x clipped to (-1, 1).

    The scale is fixed at ``2**(1-k)``; codes span ``±(2**(k-1) - 1)``. Tensors with no
    negative values are reported unsigned (codes ``0 ... 2**(k-1)-1``, which fit ``k`` bits).
    """
    _check_bits(bits, "wage")
    x = np.asarray(x, dtype=np.float64)
    sigma = 2.0 ** (1 - bits)
    qmax = 2 ** (bits - 1) - 1
    raw = np.rint(x / sigma)
    q = np.clip(raw, -qmax, qmax)
    signed = bool(x.size and x.min() < 0)
    one = np.ones(1)
    return _finish(x, q, sigma * one, 0 * one, sigma, 0, bits, signed, "wage", "per_tensor", raw)


def dfp_fractional_length(maxabs: float, bits: int, signed: bool = True) -> int:
    """``FL = B - 1 - ceil(log2 max|x|)`` (signed) or ``B - ceil(log2 max x)`` (unsigned)."""
    if maxabs <= 0 or not np.isfinite(maxabs):
        return bits - 1 if signed else bits
    return int(bits - (1 if signed else 0) - math.ceil(math.log2(maxabs)))


def dfp(x: np.ndarray, bits: int, signed: bool | None = None) -> Quantized:
    """Dynamic fixed point: power-of-two scale ``2**-FL`` chosen from ``max|x|``.

    ``signed=None`` decides from the data (unsigned when no value is negative). A maximum
    that is an exact power of two clips by one step (``FL`` leaves no room for it): Ristretto's
    rule, kept as published.
    """
    _check_bits(bits, "dfp")
    x = np.asarray(x, dtype=np.float64)
    if signed is None:
        signed = bool(x.size and x.min() < 0)
    fl = dfp_fractional_length(float(np.abs(x).max()) if x.size else 0.0, bits, signed)
    scale = 2.0 ** (-fl)
    lo, hi = int_range(bits, signed)
    raw = np.rint(x * 2.0**fl)
    q = np.clip(raw, lo, hi)
    one = np.ones(1)
    return _finish(x, q, scale * one, 0 * one, scale, 0, bits, signed, "dfp", "per_tensor", raw)


# --------------------------------------------------------------------------------------------
# uniform quantizers (per tensor / per channel / per array)


def _reduce_axes(x: np.ndarray, axis: int | None) -> tuple[int, ...] | None:
    if axis is None:
        return None
    axis = axis % x.ndim
    return tuple(i for i in range(x.ndim) if i != axis)


def _param_shape(x: np.ndarray, axis: int | None) -> tuple[int, ...]:
    if axis is None:
        return (1,) * x.ndim
    shape = [1] * x.ndim
    shape[axis % x.ndim] = x.shape[axis % x.ndim]
    return tuple(shape)


def symmetric(x: np.ndarray, bits, signed: bool | None = None, axis: int | None = None) -> Quantized:
    """Uniform symmetric quantization, per tensor (``axis=None``) or per channel along ``axis``.

    ``bits`` may be an array with one width per channel (filter-wise mixed precision); then
    ``bits_map`` records it. Signed codes use the restricted range ``±(2**(B-1)-1)``.
    """
    _check_bits(bits, "symmetric")
    x = np.asarray(x, dtype=np.float64)
    if signed is None:
        signed = bool(x.size and x.min() < 0)
    red = _reduce_axes(x, axis)
    pshape = _param_shape(x, axis)
    bits_arr = np.asarray(bits, dtype=np.int64)
    mixed = bits_arr.ndim > 0 and bits_arr.size > 1
    if mixed and axis is None:
        raise CimsimError("quantizer 'symmetric': a bit width per channel needs a channel axis")
    b = bits_arr.reshape(pshape) if mixed else bits_arr.reshape(())
    qmax = np.where(signed, 2 ** (b - 1) - 1, 2**b - 1).astype(np.float64)
    mx = np.abs(x).max(axis=red, keepdims=True) if red is not None else np.abs(x).max(keepdims=True)
    if not signed:
        mx = np.maximum(x.max(axis=red, keepdims=True) if red is not None else x.max(keepdims=True), 0)
    scale = np.where(mx > 0, mx / qmax, 1.0)
    raw = np.rint(x / scale)
    q = np.clip(raw, -qmax if signed else 0, qmax)
    maxbits = int(bits_arr.max())
    gran = "per_tensor" if axis is None else "per_channel"
    compact = scale.reshape(-1)
    return _finish(x, q, compact, np.zeros_like(compact, dtype=np.int64), scale, 0, maxbits, signed,
                   "symmetric", gran, raw,
                   bits_map=bits_arr.reshape(-1) if mixed else None,
                   bits_gran="per_channel" if mixed else "per_tensor")


def asymmetric(x: np.ndarray, bits: int, axis: int | None = None) -> Quantized:
    """Uniform asymmetric (affine) quantization to unsigned codes with a zero point."""
    _check_bits(bits, "asymmetric")
    x = np.asarray(x, dtype=np.float64)
    red = _reduce_axes(x, axis)
    kw = dict(axis=red, keepdims=True) if red is not None else dict(keepdims=True)
    lo = np.minimum(x.min(**kw), 0.0)
    hi = np.maximum(x.max(**kw), 0.0)
    levels = 2**bits - 1
    scale = np.where(hi > lo, (hi - lo) / levels, 1.0)
    zp = np.clip(np.rint(-lo / scale), 0, levels)
    raw = np.rint(x / scale) + zp
    q = np.clip(raw, 0, levels)
    gran = "per_tensor" if axis is None else "per_channel"
    return _finish(x, q, scale.reshape(-1), zp.reshape(-1).astype(np.int64), scale, zp, bits, False,
                   "asymmetric", gran, raw)


def weight_matrix(w: np.ndarray) -> np.ndarray:
    """The unrolled weight matrix ``[rows, cols]`` of a conv or linear weight (rows = reduction)."""
    return np.asarray(w).reshape(w.shape[0], -1).T


def array_grid(w: np.ndarray, array_shape: tuple[int, int]) -> tuple[int, int]:
    rows, cols = weight_matrix(w).shape
    return math.ceil(rows / array_shape[0]), math.ceil(cols / array_shape[1])


def _block_full(w: np.ndarray, param: np.ndarray, array_shape) -> np.ndarray:
    """Broadcast a ``[row_blocks, col_blocks]`` parameter to the weight's shape."""
    rows = int(np.prod(w.shape[1:]))
    r = (np.arange(rows) // array_shape[0]).reshape((1,) + w.shape[1:])
    c = (np.arange(w.shape[0]) // array_shape[1]).reshape((-1,) + (1,) * (w.ndim - 1))
    return param[np.broadcast_to(r, w.shape), np.broadcast_to(c, w.shape)]


def per_array_symmetric(w: np.ndarray, bits, array_shape=(128, 128)) -> Quantized:
    """Symmetric quantization with one scale (and optionally one bit width) per crossbar block.

    Blocks tile the unrolled weight matrix (rows = reduction, cols = output channels) in
    ``array_shape`` weights. ``bits`` is an int or a ``[row_blocks, col_blocks]`` map.
    """
    _check_bits(bits, "per_array_symmetric")
    w = np.asarray(w, dtype=np.float64)
    grid = array_grid(w, array_shape)
    bits_arr = np.asarray(bits, dtype=np.int64)
    mixed = bits_arr.ndim > 0
    if mixed and bits_arr.shape != grid:
        raise CimsimError(f"array-wise bit map should have shape {list(grid)} (row blocks x column "
                          f"blocks of {list(array_shape)} for a weight of shape {list(w.shape)}), "
                          f"found {list(bits_arr.shape)}")
    bmap = np.broadcast_to(bits_arr, grid)
    m = weight_matrix(np.abs(w))
    pr, pc = grid[0] * array_shape[0] - m.shape[0], grid[1] * array_shape[1] - m.shape[1]
    mp = np.pad(m, ((0, pr), (0, pc)))
    mx = mp.reshape(grid[0], array_shape[0], grid[1], array_shape[1]).max(axis=(1, 3))
    qmax = (2 ** (bmap - 1) - 1).astype(np.float64)
    scale = np.where(mx > 0, mx / qmax, 1.0)
    sfull = _block_full(w, scale, array_shape)
    qfull = _block_full(w, qmax, array_shape)
    raw = np.rint(w / sfull)
    q = np.clip(raw, -qfull, qfull)
    return _finish(w, q, scale, np.zeros(grid, np.int64), sfull, 0, int(bmap.max()), True,
                   "symmetric", "per_array", raw,
                   bits_map=bmap.copy() if mixed else None,
                   bits_gran="per_array" if mixed else "per_tensor")


def quantize(x: np.ndarray, method: str, bits, granularity: str = "per_tensor",
             signed: bool | None = None, array_shape=(128, 128)) -> Quantized:
    """Dispatch to a quantizer by name (channel axis 0 for ``per_channel``)."""
    if method == "wage":
        if granularity != "per_tensor":
            raise CimsimError(f"quantizer 'wage' has a fixed scale and no '{granularity}' form")
        return wage(x, bits)
    if method == "dfp":
        if granularity != "per_tensor":
            raise CimsimError(f"quantizer 'dfp' is per layer and tensor; '{granularity}' is not "
                              "supported")
        return dfp(x, bits, signed)
    if method == "symmetric":
        if granularity == "per_array":
            return per_array_symmetric(x, bits, array_shape)
        return symmetric(x, bits, signed, axis=0 if granularity == "per_channel" else None)
    if method == "asymmetric":
        if granularity == "per_array":
            raise CimsimError("quantizer 'asymmetric' supports per_tensor and per_channel only")
        return asymmetric(x, bits, axis=0 if granularity == "per_channel" else None)
    raise CimsimError(f"unknown quantizer '{method}'; expected one of {list(METHODS)}")


def quantize_with(x: np.ndarray, ref: Quantized) -> Quantized:
    """Quantize ``x`` with the frozen per-tensor parameters of ``ref`` (for recorded samples)."""
    x = np.asarray(x, dtype=np.float64)
    scale = float(ref.scale.reshape(-1)[0])
    zp = int(ref.zero_point.reshape(-1)[0])
    if ref.method == "wage":
        lo, hi = -(2 ** (ref.bits - 1) - 1), 2 ** (ref.bits - 1) - 1
        if not ref.signed:
            lo = 0
    elif ref.method == "dfp":
        lo, hi = int_range(ref.bits, ref.signed)
    elif ref.method == "symmetric":
        qmax = 2 ** (ref.bits - 1) - 1 if ref.signed else 2**ref.bits - 1
        lo, hi = (-qmax if ref.signed else 0), qmax
    else:
        lo, hi = 0, 2**ref.bits - 1
    raw = np.rint(x / scale) + zp
    q = np.clip(raw, lo, hi)
    return _finish(x, q, ref.scale, ref.zero_point, scale, zp, ref.bits, ref.signed, ref.method,
                   ref.granularity, raw)


# --------------------------------------------------------------------------------------------
# choosing mixed-precision maps


def rank_bits(errors: np.ndarray, high_bits: int, low_bits: int, high_fraction: float) -> np.ndarray:
    """Give ``high_bits`` to the ``high_fraction`` of groups with the largest error, else ``low_bits``.

    ``errors`` holds one sensitivity per group (filter or array). Ties break by index.
    """
    errors = np.asarray(errors, dtype=np.float64)
    n_high = int(round(high_fraction * errors.size))
    out = np.full(errors.shape, low_bits, dtype=np.int64)
    if n_high > 0:
        order = np.argsort(-errors.reshape(-1), kind="stable")[:n_high]
        out.reshape(-1)[order] = high_bits
    return out


def filter_sensitivity(w: np.ndarray, low_bits: int) -> np.ndarray:
    """Relative quantization error of each filter at ``low_bits`` (per-channel symmetric)."""
    w = np.asarray(w, dtype=np.float64)
    q = symmetric(w, low_bits, signed=True, axis=0)
    err = ((w - q.dequantize()) ** 2).reshape(w.shape[0], -1).sum(axis=1)
    norm = (w**2).reshape(w.shape[0], -1).sum(axis=1)
    return np.where(norm > 0, err / np.maximum(norm, 1e-300), 0.0)


def array_sensitivity(w: np.ndarray, low_bits: int, array_shape=(128, 128)) -> np.ndarray:
    """Quantization error energy of each crossbar block at ``low_bits`` (per-array symmetric)."""
    w = np.asarray(w, dtype=np.float64)
    q = per_array_symmetric(w, low_bits, array_shape)
    e = weight_matrix((w - q.dequantize()) ** 2)
    grid = array_grid(w, array_shape)
    pr, pc = grid[0] * array_shape[0] - e.shape[0], grid[1] * array_shape[1] - e.shape[1]
    return np.pad(e, ((0, pr), (0, pc))).reshape(grid[0], array_shape[0], grid[1],
                                                 array_shape[1]).sum(axis=(1, 3))


# --------------------------------------------------------------------------------------------
# structured pruning masks (True = kept)


def _keep_largest(scores: np.ndarray, ratio: float) -> np.ndarray:
    if not 0 <= ratio < 1:
        raise CimsimError(f"pruning ratio should be in [0, 1), found {ratio}")
    scores = np.asarray(scores, dtype=np.float64)
    n_prune = min(int(math.floor(ratio * scores.size)), scores.size - 1)
    keep = np.ones(scores.shape, dtype=bool)
    if n_prune > 0:
        order = np.argsort(scores.reshape(-1), kind="stable")[:n_prune]
        keep.reshape(-1)[order] = False
    return keep


def filter_mask(w: np.ndarray, ratio: float) -> np.ndarray:
    """Prune the ``ratio`` of output filters with the smallest L1 norm (Li et al. 2017)."""
    w = np.asarray(w)
    return _keep_largest(np.abs(w).reshape(w.shape[0], -1).sum(axis=1), ratio)


def channel_mask(w: np.ndarray, ratio: float) -> np.ndarray:
    """Prune the ``ratio`` of input channels (``w.shape[1]``) with the smallest L1 norm."""
    w = np.asarray(w)
    axes = tuple(i for i in range(w.ndim) if i != 1)
    return _keep_largest(np.abs(w).sum(axis=axes), ratio)


def block_mask(w: np.ndarray, ratio: float, block=(128, 128)) -> np.ndarray:
    """Prune the ``ratio`` of weight blocks (of the unrolled matrix) with smallest mean |w|."""
    m = weight_matrix(np.abs(np.asarray(w, dtype=np.float64)))
    gr, gc = math.ceil(m.shape[0] / block[0]), math.ceil(m.shape[1] / block[1])
    ones = np.pad(np.ones_like(m), ((0, gr * block[0] - m.shape[0]), (0, gc * block[1] - m.shape[1])))
    mp = np.pad(m, ((0, gr * block[0] - m.shape[0]), (0, gc * block[1] - m.shape[1])))
    s = mp.reshape(gr, block[0], gc, block[1]).sum(axis=(1, 3))
    cnt = ones.reshape(gr, block[0], gc, block[1]).sum(axis=(1, 3))
    return _keep_largest(s / cnt, ratio)


def expand_mask(w_shape: tuple[int, ...], mask: np.ndarray, granularity: str, block=None) -> np.ndarray:
    """Broadcast a filter / channel / block mask to the weight's shape."""
    ndim = len(w_shape)
    mask = np.asarray(mask, dtype=bool)
    if granularity == "filter":
        return np.broadcast_to(mask.reshape((-1,) + (1,) * (ndim - 1)), w_shape)
    if granularity == "channel":
        return np.broadcast_to(mask.reshape((1, -1) + (1,) * (ndim - 2)), w_shape)
    if granularity == "block":
        proxy = np.empty(w_shape, dtype=np.int8)
        return _block_full(proxy, mask, block)
    raise CimsimError(f"unknown pruning granularity '{granularity}'; expected filter, channel or block")
