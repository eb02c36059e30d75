"""Partial-sum (column read-out) quantizers: their parameters in traces, and a reference.

A crossbar column reads a *partial sum*: for row block ``a`` of the unrolled weight matrix
(``array_shape[0]`` rows), weight digit (slice) ``k`` and input digit (cycle) ``i``,

    p[a, j, k, i] = sum over rows r in block a of  x_digit_i[r] * w_digit_k[r, j]

where the digits are the unsigned values the hardware holds: input digits of ``d`` bits
(``input_bits_per_cycle``) of the raw input code (its two's complement bit pattern when
signed; padding carries the zero point), weight digits of ``c`` bits (``cell_bits``) of the
raw weight code in the cell encoding (cim-models.md §3); zero points are corrected digitally.
Signed weights:

* ``twos_complement``: the ``B``-bit two's complement pattern (``ceil(B/c)`` slices; the sign
  is applied in the digital shift-add);
* ``offset``: ``w + 2**(B-1)`` (shifted unsigned; ``ceil(B/c)`` slices);
* ``differential``: ``max(w, 0)`` then ``max(-w, 0)`` (``2 ceil(B/c)`` slices, positive
  polarity first).

Unsigned weight codes (asymmetric quantizers) are stored as they are.

The shifts, signs and corrections that recombine partial sums are the mapper's business; the
trace records only how each partial sum is quantized, at a granularity:

``adc`` (uniform clamped ADC; NeuroSim-style, CIM²PQ's per-array partial-sum precision)
    ``Q(p) = scale * clip(round(p / scale), 0, 2**bits - 1)``. ``scale`` is 1 when the
    largest observed partial sum fits ``bits`` (lossless), else ``max p / (2**bits - 1)``.
``binary`` (HCiM, one sense amplifier)
    ``Q(p) = alpha * [p > threshold]``.
``ternary`` (HCiM, 1.5 bit, two sense amplifiers)
    ``t = +1 if p > threshold_hi, -1 if p < threshold_lo, else 0``;
    ``Q(p) = center + alpha * t``.

HCiM trains its scales; here they are calibrated on the recorded samples' partial sums by a
few Lloyd-Max iterations (``binary``: levels {0, alpha}; ``ternary``: {center - alpha,
center, center + alpha} around the mean) -- an assumption, stated in the trace. Parameters
have shape ``[G0, G1, S, I]``: ``(G0, G1)`` is ``(1, 1)`` per tensor, ``(row_blocks,
col_blocks)`` per array, ``(row_blocks, out_channels)`` per column; ``S, I`` are the slice and
cycle counts with ``per_slice``, else ``1, 1`` (shared). Sources: Negi et al., HCiM,
arXiv 2403.13577; Sun et al., CIM²PQ, IEEE TCAD 43(7) 2024; cim-models.md §2, §6.
Matmul layers (two dynamic operands) get no partial-sum parameters here.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from cimsim.errors import CimsimError

MODES = ("adc", "binary", "ternary")
GRANULARITIES = ("per_tensor", "per_array", "per_column")
ENCODINGS = ("twos_complement", "offset", "differential")
ARRAY_KEYS = {"adc": ("scale",), "binary": ("alpha", "threshold"),
              "ternary": ("alpha", "center", "threshold_lo", "threshold_hi")}


def check_spec(spec: dict[str, Any]) -> None:
    """Validate a recipe's ``psum`` entry."""
    if not isinstance(spec, dict):
        raise CimsimError(f"partial-sum quantizer: expected a mapping, found {spec!r}")
    mode = spec.get("mode")
    if mode not in MODES:
        raise CimsimError(f"partial-sum quantizer: mode should be one of {list(MODES)}, found {mode!r}")
    if spec.get("granularity", "per_array") not in GRANULARITIES:
        raise CimsimError(f"partial-sum quantizer: granularity should be one of {list(GRANULARITIES)}, "
                          f"found {spec.get('granularity')!r}")
    if spec.get("encoding", "twos_complement") not in ENCODINGS:
        raise CimsimError(f"partial-sum quantizer: encoding should be one of {list(ENCODINGS)}, "
                          f"found {spec.get('encoding')!r}")
    for k in ("cell_bits", "input_bits_per_cycle"):
        v = spec.get(k, 1)
        if not isinstance(v, int) or not 1 <= v <= 8:
            raise CimsimError(f"partial-sum quantizer: {k} should be an integer from 1 to 8, found {v!r}")
    if mode == "adc":
        b = spec.get("bits")
        if not isinstance(b, int) or not 1 <= b <= 16:
            raise CimsimError(f"partial-sum quantizer: an adc needs bits from 1 to 16, found {b!r}")
    known = {"mode", "granularity", "encoding", "cell_bits", "input_bits_per_cycle", "bits",
             "per_slice", "max_positions", "calibration", "slices", "cycles", "grid"}
    unknown = set(spec) - known
    if unknown:
        raise CimsimError(f"partial-sum quantizer: unknown keys {sorted(unknown)}")


# --------------------------------------------------------------------------------------------
# digits and partial sums


def digits(values: np.ndarray, bits: int, digit_bits: int) -> np.ndarray:
    """Unsigned ``digit_bits``-bit digits of the ``bits``-bit pattern of ``values`` (LSB first):
    shape ``[ceil(bits/digit_bits), *values.shape]``."""
    u = np.asarray(values, dtype=np.int64) & ((1 << bits) - 1)
    n = math.ceil(bits / digit_bits)
    mask = (1 << digit_bits) - 1
    return np.stack([(u >> (digit_bits * k)) & mask for k in range(n)])


def weight_digits(w: np.ndarray, bits: int, cell_bits: int, encoding: str, signed: bool = True) -> np.ndarray:
    """Cell digits ``[S, rows, cols]`` of an unrolled matrix of raw weight codes."""
    if not signed or encoding == "twos_complement":
        return digits(w, bits, cell_bits)
    if encoding == "offset":
        return digits(w + (1 << (bits - 1)), bits, cell_bits)
    pos, neg = np.maximum(w, 0), np.maximum(-w, 0)
    return np.concatenate([digits(pos, bits, cell_bits), digits(neg, bits, cell_bits)])


def _positions(total: int, limit: int) -> np.ndarray:
    if total <= limit:
        return np.arange(total)
    return np.unique(np.linspace(0, total - 1, limit).round().astype(np.int64))


def input_rows(layer, max_positions: int) -> tuple[np.ndarray, np.ndarray]:
    """Raw input codes as rows of the unrolled matrix at sampled output positions.

    Returns ``(cols, group)`` with ``cols`` ``[G, P, K]`` (padding holds the zero point) and
    ``group`` the group of each output column.
    """
    x = layer.input.values.astype(np.int64)
    zx = int(layer.input.zero_point.reshape(-1)[0])
    if layer.kind == "linear":
        flat = x.reshape(-1, x.shape[-1])
        idx = _positions(flat.shape[0], max_positions)
        return flat[idx][None], np.zeros(layer.out_features, np.int64)
    n, c, h, wd = x.shape
    kh, kw = layer.kernel
    (sh, sw), (ph, pw), (dh, dw), g = layer.stride, layer.padding, layer.dilation, layer.groups
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=zx)
    win = np.lib.stride_tricks.sliding_window_view(xp, (dh * (kh - 1) + 1, dw * (kw - 1) + 1), axis=(2, 3))
    win = win[:, :, ::sh, ::sw, ::dh, ::dw]  # [N, C, OH, OW, kh, kw]
    oh, ow = win.shape[2], win.shape[3]
    idx = _positions(n * oh * ow, max_positions)
    ni, rest = np.divmod(idx, oh * ow)
    yi, xi = np.divmod(rest, ow)
    sel = win[ni, :, yi, xi]  # [P, C, kh, kw]
    cg = c // g
    cols = sel.reshape(len(idx), g, cg * kh * kw).transpose(1, 0, 2)
    return cols, np.arange(layer.out_channels) // (layer.out_channels // g)


class _Planes:
    """Digit planes of a layer's sampled inputs and weights, for partial sums per row block."""

    def __init__(self, layer, cell_bits: int, input_bits_per_cycle: int, encoding: str,
                 max_positions: int):
        if layer.kind == "matmul":
            raise CimsimError(f"layer '{layer.name}': partial sums are defined for static weights only")
        self.cols, self.group = input_rows(layer, max_positions)
        w = layer.weight_matrix.astype(np.int64)  # raw codes [K, O]
        self.wd = weight_digits(w, layer.weight.bits, cell_bits, encoding, layer.weight.signed)  # [S, K, O]
        self.xd = digits(self.cols, layer.input.bits, input_bits_per_cycle)  # [I, G, P, K]
        self.rows = layer.array_shape[0]
        self.row_blocks = math.ceil(w.shape[0] / self.rows)
        self.shape = (self.cols.shape[1], w.shape[1], self.wd.shape[0], self.xd.shape[0])  # P, O, S, I

    def block(self, a: int) -> np.ndarray:
        """Partial sums of row block ``a``: ``[P, O, S, I]`` (int64, exact)."""
        out = np.zeros(self.shape, dtype=np.int64)
        r = slice(a * self.rows, (a + 1) * self.rows)
        for gi in range(self.cols.shape[0]):
            oc = np.nonzero(self.group == gi)[0]
            xa = self.xd[:, gi, :, r].astype(np.float64)  # [I, P, Ka]
            wa = self.wd[:, r][:, :, oc].astype(np.float64)  # [S, Ka, Oc]
            # exact: sums of at most `rows` small digit products
            out[:, oc] = np.rint(np.einsum("ipk,sko->posi", xa, wa, optimize=True)).astype(np.int64)
        return out


def column_partial_sums(layer, cell_bits: int = 1, input_bits_per_cycle: int = 1,
                        encoding: str = "twos_complement", max_positions: int = 256) -> np.ndarray:
    """Partial sums ``p[P, row_blocks, cols, S, I]`` at up to ``max_positions`` output positions
    (evenly spaced over samples and positions), as defined in the module docstring.

    Holds every row block at once: for big layers iterate blocks as :func:`calibrate` does.
    """
    planes = _Planes(layer, cell_bits, input_bits_per_cycle, encoding, max_positions)
    return np.stack([planes.block(a) for a in range(planes.row_blocks)], axis=1)


# --------------------------------------------------------------------------------------------
# calibration and application


def _group_shape(layer, granularity: str) -> tuple[int, int]:
    if granularity == "per_tensor":
        return 1, 1
    rb, cb = layer.array_grid
    return (rb, cb) if granularity == "per_array" else (rb, layer.weight_matrix_cols)


def _lloyd_binary(vals: np.ndarray, wts: np.ndarray | None = None, iters: int = 20) -> tuple[float, float]:
    """Levels {0, alpha} split at alpha/2, for values with weights (counts)."""
    wts = np.ones_like(vals, dtype=np.float64) if wts is None else wts.astype(np.float64)
    total = wts.sum()
    theta = float((vals * wts).sum() / total) if total else 0.0
    alpha = max(theta, 1.0)
    for _ in range(iters):
        hi = vals > theta
        alpha = float((vals[hi] * wts[hi]).sum() / wts[hi].sum()) if wts[hi].sum() else max(2 * theta, 1.0)
        theta = alpha / 2
    return max(alpha, 1e-12), theta


def _lloyd_ternary(vals: np.ndarray, wts: np.ndarray | None = None, iters: int = 20) -> tuple[float, float]:
    """Levels {c - alpha, c, c + alpha} around the mean c, for values with weights."""
    wts = np.ones_like(vals, dtype=np.float64) if wts is None else wts.astype(np.float64)
    total = wts.sum()
    if not total:
        return 1.0, 0.0
    center = float((vals * wts).sum() / total)
    q = np.abs(vals - center)
    alpha = max(float((q * wts).sum() / total) * 1.5, 1.0)
    for _ in range(iters):
        big = q > alpha / 2
        if not wts[big].sum():
            break
        alpha = float((q[big] * wts[big]).sum() / wts[big].sum())
    return max(alpha, 1e-12), center


def _fit(mode: str, spec: dict, hist: np.ndarray) -> dict[str, float]:
    """Parameters of one group from its histogram of (non-negative integer) partial sums."""
    vals = np.nonzero(hist)[0].astype(np.float64)
    wts = hist[hist > 0]
    if mode == "adc":
        levels = 2 ** int(spec["bits"]) - 1
        top = float(vals.max()) if vals.size else 0.0
        return {"scale": 1.0 if top <= levels else top / levels}
    if mode == "binary":
        alpha, theta = _lloyd_binary(vals, wts)
        return {"alpha": alpha, "threshold": theta}
    alpha, center = _lloyd_ternary(vals, wts)
    return {"alpha": alpha, "center": center, "threshold_lo": center - alpha / 2,
            "threshold_hi": center + alpha / 2}


def _hist(v: np.ndarray, size: int) -> np.ndarray:
    return np.bincount(v.reshape(-1), minlength=size)


def calibrate(layer, spec: dict[str, Any]) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Partial-sum parameters of ``layer`` from its recorded inputs: ``(psum dict, arrays)``.

    Works one row block of arrays at a time, on histograms of the (small, non-negative,
    integer) partial sums, so memory stays bounded for large layers.
    """
    check_spec(spec)
    mode = spec["mode"]
    gran = spec.get("granularity", "per_array")
    c, d = int(spec.get("cell_bits", 1)), int(spec.get("input_bits_per_cycle", 1))
    enc = spec.get("encoding", "twos_complement")
    per_slice = bool(spec.get("per_slice", False))
    planes = _Planes(layer, c, d, enc, int(spec.get("max_positions", 256)))
    _, n_out, s_all, i_all = planes.shape
    s_n, i_n = (s_all, i_all) if per_slice else (1, 1)
    g0, g1 = _group_shape(layer, gran)
    size = planes.rows * (2**c - 1) * (2**d - 1) + 1  # partial sums lie in [0, size)
    arrays = {k: np.zeros((g0, g1, s_n, i_n), np.float64) for k in ARRAY_KEYS[mode]}
    tensor_hist = np.zeros((s_n, i_n, size), dtype=np.int64)
    cols_per = layer.array_shape[1]

    def fit(idx, hist):
        for k, v in _fit(mode, spec, hist).items():
            arrays[k][idx] = v

    for a in range(planes.row_blocks):
        p = planes.block(a)  # [P, O, S, I]
        for s in range(s_n):
            for i in range(i_n):
                pv = p[..., s, i] if per_slice else p  # [P, O] or [P, O, S, I]
                if gran == "per_tensor":
                    tensor_hist[s, i] += _hist(pv, size)
                elif gran == "per_array":
                    for b in range(g1):
                        fit((a, b, s, i), _hist(pv[:, b * cols_per:(b + 1) * cols_per], size))
                else:
                    for j in range(n_out):
                        fit((a, j, s, i), _hist(pv[:, j], size))
    if gran == "per_tensor":
        for s in range(s_n):
            for i in range(i_n):
                fit((0, 0, s, i), tensor_hist[s, i])
    info = {"mode": mode, "granularity": gran, "encoding": enc, "cell_bits": c,
            "input_bits_per_cycle": d, "per_slice": per_slice, "slices": int(s_all),
            "cycles": int(i_all), "grid": [g0, g1],
            "max_positions": int(spec.get("max_positions", 256)),
            "calibration": ("largest observed partial sum" if mode == "adc" else
                            "Lloyd-Max on the recorded samples' partial sums (assumption; HCiM trains them)")}
    if mode == "adc":
        info["bits"] = int(spec["bits"])
    return info, arrays


def expand(layer, arr: np.ndarray, p_shape: tuple[int, ...]) -> np.ndarray:
    """Broadcast a ``[G0, G1, S|1, I|1]`` parameter to partial sums ``[P, rb, cols, S, I]``."""
    gran = layer.psum["granularity"]
    _, rb, cols, s_n, i_n = p_shape
    if gran == "per_tensor":
        full = np.broadcast_to(arr[0, 0], (rb, cols) + arr.shape[2:])
    elif gran == "per_array":
        full = arr[:, np.arange(cols) // layer.array_shape[1]]
    else:
        full = arr
    return np.broadcast_to(full[None], (1, rb, cols, s_n, i_n))


def apply(layer, p: np.ndarray) -> np.ndarray:
    """The quantized read-out ``Q(p)`` of partial sums ``p[P, rb, cols, S, I]`` (float64)."""
    ps, a = layer.psum, layer.psum_arrays
    p = p.astype(np.float64)
    if ps["mode"] == "adc":
        s = expand(layer, a["scale"], p.shape)
        return s * np.clip(np.rint(p / s), 0, 2 ** ps["bits"] - 1)
    if ps["mode"] == "binary":
        return expand(layer, a["alpha"], p.shape) * (p > expand(layer, a["threshold"], p.shape))
    t = (p > expand(layer, a["threshold_hi"], p.shape)).astype(np.float64) \
        - (p < expand(layer, a["threshold_lo"], p.shape))
    return expand(layer, a["center"], p.shape) + expand(layer, a["alpha"], p.shape) * t


def validate_psum(layer) -> None:
    """Check a loaded layer's partial-sum entry; raises ValueError with the problem."""
    ps = layer.psum
    try:
        check_spec({k: v for k, v in ps.items()})
    except CimsimError as exc:
        raise ValueError(str(exc)) from None
    if layer.kind == "matmul":
        raise ValueError("a matmul layer cannot carry partial-sum parameters")
    for k in ("slices", "cycles", "grid"):
        if k not in ps:
            raise ValueError(f"missing key '{k}'")
    g0, g1 = _group_shape(layer, ps["granularity"])
    if list(ps["grid"]) != [g0, g1]:
        raise ValueError(f"grid should be [{g0}, {g1}] for granularity {ps['granularity']}, found {ps['grid']}")
    exp = (g0, g1) + ((ps["slices"], ps["cycles"]) if ps.get("per_slice") else (1, 1))
    for k in ARRAY_KEYS[ps["mode"]]:
        arr = layer.psum_arrays.get(k)
        if arr is None:
            raise ValueError(f"missing array '{k}' for mode {ps['mode']}")
        if arr.shape != exp:
            raise ValueError(f"array '{k}' should have shape {list(exp)}, found {list(arr.shape)}")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"array '{k}' has non-finite values")
    for k in ("scale", "alpha"):
        if k in layer.psum_arrays and not np.all(layer.psum_arrays[k] > 0):
            raise ValueError(f"array '{k}' should be positive")
    if ps["mode"] == "ternary" and np.any(layer.psum_arrays["threshold_lo"] > layer.psum_arrays["threshold_hi"]):
        raise ValueError("threshold_lo should not exceed threshold_hi")
