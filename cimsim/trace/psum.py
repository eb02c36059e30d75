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


def column_partial_sums(layer, cell_bits: int = 1, input_bits_per_cycle: int = 1,
                        encoding: str = "twos_complement", max_positions: int = 256) -> np.ndarray:
    """Partial sums ``p[P, row_blocks, cols, S, I]`` at up to ``max_positions`` output positions
    (evenly spaced over samples and positions), as defined in the module docstring."""
    if layer.kind == "matmul":
        raise CimsimError(f"layer '{layer.name}': partial sums are defined for static weights only")
    cols, group = input_rows(layer, max_positions)
    w = layer.weight_matrix.astype(np.int64)  # raw codes [K, O]
    wd = weight_digits(w, layer.weight.bits, cell_bits, encoding, layer.weight.signed)  # [S, K, O]
    xd = digits(cols, layer.input.bits, input_bits_per_cycle)  # [I, G, P, K]
    rows = layer.array_shape[0]
    n_rb = math.ceil(w.shape[0] / rows)
    p_count, n_out = cols.shape[1], w.shape[1]
    out = np.zeros((p_count, n_rb, n_out, wd.shape[0], xd.shape[0]), dtype=np.int64)
    for gi in range(cols.shape[0]):
        oc = np.nonzero(group == gi)[0]
        for a in range(n_rb):
            r = slice(a * rows, (a + 1) * rows)
            xa = xd[:, gi, :, r].astype(np.float64)  # [I, P, Ka]
            wa = wd[:, r][:, :, oc].astype(np.float64)  # [S, Ka, Oc]
            # exact: digit products summed over at most `rows` rows are small integers
            prod = np.einsum("ipk,sko->posi", xa, wa, optimize=True)
            out[:, a, oc] = np.rint(prod).astype(np.int64)
    return out


# --------------------------------------------------------------------------------------------
# calibration and application


def _group_shape(layer, granularity: str) -> tuple[int, int]:
    if granularity == "per_tensor":
        return 1, 1
    rb, cb = layer.array_grid
    return (rb, cb) if granularity == "per_array" else (rb, layer.weight_matrix_cols)


def _group_values(p: np.ndarray, layer, granularity: str, per_slice: bool):
    """Yield ``(index, values)`` for each parameter group: index into ``[G0, G1, S, I]``."""
    g0, g1 = _group_shape(layer, granularity)
    s_n, i_n = (p.shape[3], p.shape[4]) if per_slice else (1, 1)
    cols_per = layer.array_shape[1]
    for a in range(g0):
        for b in range(g1):
            if granularity == "per_tensor":
                block = p
            elif granularity == "per_array":
                block = p[:, a:a + 1, b * cols_per:(b + 1) * cols_per]
            else:
                block = p[:, a:a + 1, b:b + 1]
            for s in range(s_n):
                for i in range(i_n):
                    v = block[..., s, i] if per_slice else block
                    yield (a, b, s, i), v.reshape(-1).astype(np.float64)


def _lloyd_binary(v: np.ndarray, iters: int = 20) -> tuple[float, float]:
    theta = float(v.mean()) if v.size else 0.0
    alpha = max(theta, 1.0)
    for _ in range(iters):
        hi = v[v > theta]
        alpha = float(hi.mean()) if hi.size else max(2 * theta, 1.0)
        theta = alpha / 2
    return max(alpha, 1e-12), theta


def _lloyd_ternary(v: np.ndarray, iters: int = 20) -> tuple[float, float]:
    center = float(v.mean()) if v.size else 0.0
    q = np.abs(v - center)
    alpha = max(float(q.mean()) * 1.5, 1.0) if v.size else 1.0
    for _ in range(iters):
        big = q[q > alpha / 2]
        if not big.size:
            break
        alpha = float(big.mean())
    return max(alpha, 1e-12), center


def calibrate(layer, spec: dict[str, Any]) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Partial-sum parameters of ``layer`` from its recorded inputs: ``(psum dict, arrays)``."""
    check_spec(spec)
    mode = spec["mode"]
    gran = spec.get("granularity", "per_array")
    c, d = int(spec.get("cell_bits", 1)), int(spec.get("input_bits_per_cycle", 1))
    enc = spec.get("encoding", "twos_complement")
    per_slice = bool(spec.get("per_slice", False))
    p = column_partial_sums(layer, c, d, enc, int(spec.get("max_positions", 256)))
    g0, g1 = _group_shape(layer, gran)
    s_n, i_n = (p.shape[3], p.shape[4]) if per_slice else (1, 1)
    arrays = {k: np.zeros((g0, g1, s_n, i_n), np.float64) for k in ARRAY_KEYS[mode]}
    for idx, v in _group_values(p, layer, gran, per_slice):
        if mode == "adc":
            levels = 2 ** int(spec["bits"]) - 1
            top = float(v.max()) if v.size else 0.0
            arrays["scale"][idx] = 1.0 if top <= levels else top / levels
        elif mode == "binary":
            alpha, theta = _lloyd_binary(v)
            arrays["alpha"][idx], arrays["threshold"][idx] = alpha, theta
        else:
            alpha, center = _lloyd_ternary(v)
            arrays["alpha"][idx], arrays["center"][idx] = alpha, center
            arrays["threshold_lo"][idx] = center - alpha / 2
            arrays["threshold_hi"][idx] = center + alpha / 2
    info = {"mode": mode, "granularity": gran, "encoding": enc, "cell_bits": c,
            "input_bits_per_cycle": d, "per_slice": per_slice, "slices": int(p.shape[3]),
            "cycles": int(p.shape[4]), "grid": [g0, g1],
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
