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


def _same_array(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)


def _norm(v):
    if isinstance(v, dict):
        return {k: _norm(x) for k, x in v.items()}
    return tuple(_norm(x) for x in v) if isinstance(v, (list, tuple)) else v


def trace_differences(a, b) -> list[str]:
    """Every difference between two traces (empty when they are bit-identical in content)."""
    diffs: list[str] = []
    for f in ("name", "sample_count", "input_shape", "layer_names", "layer_edges", "provenance"):
        if _norm(getattr(a, f)) != _norm(getattr(b, f)):
            diffs.append(f"network {f}")
    for la, lb in zip(a.layers, b.layers):
        for f in ("kind", "index", "input_shape", "output_shape", "kernel", "stride", "padding",
                  "dilation", "groups", "in_channels", "out_channels", "in_features", "out_features",
                  "input_b_shape", "array_shape", "prune_granularity", "prune_block", "psum", "source",
                  "precision"):
            if _norm(getattr(la, f)) != _norm(getattr(lb, f)):
                diffs.append(f"layer {la.name}: {f}")
        for f in ("float_output", "int_output", "bias", "prune_mask"):
            if not _same_array(getattr(la, f), getattr(lb, f)):
                diffs.append(f"layer {la.name}: {f}")
        for q in ("input", "weight", "input_b"):
            qa, qb = getattr(la, q), getattr(lb, q)
            if (qa is None) != (qb is None):
                diffs.append(f"layer {la.name}: {q} present in one only")
                continue
            if qa is None:
                continue
            if qa.meta() != qb.meta():
                diffs.append(f"layer {la.name}: {q} parameters")
            for f in ("values", "scale", "zero_point", "bits_map"):
                if not _same_array(getattr(qa, f), getattr(qb, f)):
                    diffs.append(f"layer {la.name}: {q}.{f}")
        if la.psum_arrays.keys() != lb.psum_arrays.keys() or not all(
                _same_array(la.psum_arrays[k], lb.psum_arrays[k]) for k in la.psum_arrays):
            diffs.append(f"layer {la.name}: psum arrays")
    if len(a.graph) != len(b.graph):
        diffs.append("graph length")
    for ga, gb in zip(a.graph, b.graph):
        if (ga.name, ga.op, ga.inputs, ga.layer, _norm(ga.shape)) != \
                (gb.name, gb.op, gb.inputs, gb.layer, _norm(gb.shape)):
            diffs.append(f"graph node {ga.name}")
        if ga.arrays.keys() != gb.arrays.keys() or not all(
                _same_array(ga.arrays[k], gb.arrays[k]) for k in ga.arrays):
            diffs.append(f"graph node {ga.name} arrays")
    if a.outputs.keys() != b.outputs.keys() or not all(
            _same_array(a.outputs[k], b.outputs[k]) for k in a.outputs):
        diffs.append("network outputs")
    if not _same_array(a.labels, b.labels):
        diffs.append("labels")
    return diffs
