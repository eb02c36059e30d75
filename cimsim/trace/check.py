"""Checks of a trace against itself: exact integer outputs and quantization error bounds.

For a layer ``y = sum w x`` computed from quantized operands ``w^ = w - dw`` and
``x^ = x - dx``, ``|y - y^| <= sum |w^| |dx| + sum |dw| |x^| + sum |dw| |dx|``. With the
quantizer's per-element bounds ``|dw| <= e_w`` and ``|dx| <= e_x`` this gives an element-wise
bound on ``|float_output - dequantized_output|`` that uses only what the trace holds:

* ``e_w`` per weight: half a step for rounding quantizers that never clip (symmetric,
  max-calibrated), one step for those that may clip by one step (asymmetric, whose zero point
  is rounded; dynamic fixed point, whose range excludes an exact power-of-two maximum), half a
  step for WAGE (values inside (-1, 1); a clipped weight shows in its ``max_error``);
* ``e_x``: the input's measured ``max_error`` (the exporter records it over the samples).

``float_output`` is stored as float32, so the bound adds ``2**-23 |float_output|``.
"""

from __future__ import annotations

import numpy as np

from cimsim.trace.format import (
    Layer,
    apply_float,
    dequantize_tensor,
    dequantize_weight,
    expand_param,
)

ROUNDING_FACTOR = {"symmetric": 0.5, "wage": 0.5, "asymmetric": 1.0, "dfp": 1.0}


def weight_error_bound(layer: Layer) -> np.ndarray:
    """Per-weight bound on ``|w - w^|`` from the quantizer's step (weight-shaped, float64)."""
    wq = layer.weight
    step = expand_param(layer, wq.scale, wq.granularity)
    return ROUNDING_FACTOR.get(wq.method, 1.0) * step


def tensor_error_bound(q) -> float:
    """Bound on ``|x - x^|`` for a per-tensor activation quantizer (without clipping)."""
    return ROUNDING_FACTOR.get(q.method, 1.0) * float(q.scale.reshape(-1)[0])


def output_error_bound(layer: Layer, samples=None) -> np.ndarray:
    """Element-wise bound on ``|float_output - dequantized_output|`` (see the module docstring)."""
    sel = slice(None) if samples is None else samples
    ex = float(layer.input.max_error if layer.input.max_error is not None
               else tensor_error_bound(layer.input))
    xhat = np.abs(dequantize_tensor(layer.input)[sel])
    ones_x = np.ones_like(xhat)
    if layer.kind == "matmul":
        eb = float(layer.input_b.max_error if layer.input_b.max_error is not None
                   else tensor_error_bound(layer.input_b))
        bhat = np.abs(dequantize_tensor(layer.input_b)[sel])
        ones_b = np.ones_like(bhat)
        bound = ex * apply_float(layer, ones_x, bhat) + eb * apply_float(layer, xhat, ones_b) \
            + ex * eb * apply_float(layer, ones_x, ones_b)
    else:
        what = np.abs(dequantize_weight(layer))
        ew = weight_error_bound(layer)
        bound = ex * apply_float(layer, ones_x, what) + apply_float(layer, xhat, ew) \
            + ex * apply_float(layer, ones_x, ew)
    fo = np.abs(layer.float_output[sel].astype(np.float64))
    return bound * (1 + 1e-9) + fo * 2.0**-23 + 1e-30


def check_layer(layer: Layer, samples=None) -> dict:
    """Exactness and error-bound statistics of one layer."""
    sel = slice(None) if samples is None else samples
    exact = bool(np.array_equal(layer.recompute_int_output(samples), layer.int_output[sel]))
    deq = layer.dequantized_output(samples)
    err = np.abs(deq - layer.float_output[sel].astype(np.float64))
    bound = output_error_bound(layer, samples)
    return {"name": layer.name, "exact": exact, "max_error": float(err.max()),
            "max_bound": float(bound.max()), "within_bound": bool(np.all(err <= bound)),
            "worst_ratio": float((err / bound).max())}
