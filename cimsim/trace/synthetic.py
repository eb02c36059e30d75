"""Building layers and traces from numpy arrays, without torch.

Useful for tests of code downstream of traces (mapping, kernels) and for hand-made cases:
:func:`make_layer` quantizes float operands with the named quantizers and fills in the integer
and float reference outputs exactly as the exporter does (for a single layer, the float input
is the given one); :func:`random_trace` builds a small multi-kind trace from a seed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cimsim.trace import quantizers as Q
from cimsim.trace.format import (
    GraphNode,
    Layer,
    Trace,
    accumulator_dtype,
    apply_float,
    recompute_int_output,
)


def _conv_out(size, k, s, p, d):
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def make_layer(name: str, kind: str, x: np.ndarray, w: np.ndarray, bias: np.ndarray | None = None, *,
               index: int = 0, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups: int = 1,
               wmethod: str = "symmetric", wbits: Any = 8, wgran: str = "per_channel",
               amethod: str = "symmetric", abits: int = 8, asigned: bool | None = None,
               array_shape=(128, 128), prune: tuple[str, np.ndarray, Any] | None = None) -> Layer:
    """One layer from float input ``x`` (samples first) and weight (or, for ``matmul``, second
    operand) ``w``. ``wbits`` may be a per-filter list or a per-array map. ``prune`` is
    ``(granularity, mask, block)``; masked weights are zeroed before quantization."""
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    xq = Q.quantize(x, amethod, abits, "per_tensor", asigned)
    common = dict(name=name, kind=kind, index=index, input_shape=tuple(x.shape[1:]),
                  array_shape=tuple(array_shape))
    if kind == "matmul":
        bq = Q.quantize(w, amethod, abits, "per_tensor", asigned)
        fo = np.matmul(x, w)
        layer = Layer(**common, output_shape=tuple(fo.shape[1:]), input=xq.to_qtensor(),
                      input_b=bq.to_qtensor(), input_b_shape=tuple(w.shape[1:]),
                      float_output=fo.astype(np.float32), int_output=np.zeros(fo.shape, np.int32))
    else:
        mask_full = None
        if prune is not None:
            mask_full = Q.expand_mask(w.shape, prune[1], prune[0], prune[2])
            w = w * mask_full
        bits_arr = np.asarray(wbits)
        if bits_arr.ndim == 1:
            wq = Q.symmetric(w, bits_arr, signed=True, axis=0)
        elif bits_arr.ndim == 2:
            wq = Q.per_array_symmetric(w, bits_arr, array_shape)
        else:
            wq = Q.quantize(w, wmethod, int(wbits), wgran, None if wmethod == "asymmetric" else True,
                            array_shape)
        if kind == "conv2d":
            n, c, h, wd = x.shape
            o, cg, kh, kw = w.shape
            out_shape = (o, _conv_out(h, kh, stride[0], padding[0], dilation[0]),
                         _conv_out(wd, kw, stride[1], padding[1], dilation[1]))
            geo = dict(kernel=(kh, kw), stride=tuple(stride), padding=tuple(padding),
                       dilation=tuple(dilation), groups=groups, in_channels=c, out_channels=o)
        else:
            out_shape = tuple(x.shape[1:-1]) + (w.shape[0],)
            geo = dict(in_features=w.shape[1], out_features=w.shape[0])
        layer = Layer(**common, output_shape=out_shape, input=xq.to_qtensor(), weight=wq.to_qtensor(),
                      bias=None if bias is None else np.asarray(bias, np.float32),
                      float_output=np.zeros((x.shape[0],) + out_shape, np.float32),
                      int_output=np.zeros((x.shape[0],) + out_shape, np.int32), **geo)
        if prune is not None:
            layer.prune_granularity, layer.prune_mask = prune[0], np.asarray(prune[1], bool)
            layer.prune_block = None if prune[2] is None else tuple(prune[2])
        fo = apply_float(layer, x, w)
        if bias is not None:
            fo = fo + (np.asarray(bias).reshape(1, -1, 1, 1) if kind == "conv2d" else np.asarray(bias))
        layer.float_output = fo.astype(np.float32)
    io = recompute_int_output(layer)
    layer.int_output = io.astype(accumulator_dtype(io))
    return layer


def random_trace(seed: int = 0, samples: int = 3) -> Trace:
    """A small trace with a conv, a grouped strided dilated conv, a depthwise conv, a linear and
    a matmul, from seeded random data (no torch)."""
    rng = np.random.default_rng(seed)
    n = samples
    layers = [
        make_layer("conv", "conv2d", rng.normal(size=(n, 3, 9, 9)), rng.normal(size=(8, 3, 3, 3)),
                   rng.normal(size=8), index=0, padding=(1, 1)),
        make_layer("grouped", "conv2d", np.maximum(rng.normal(size=(n, 8, 9, 9)), 0),
                   rng.normal(size=(6, 4, 3, 2)), None, index=1, stride=(2, 1), padding=(1, 0),
                   dilation=(1, 2), groups=2, wgran="per_tensor"),
        make_layer("depthwise", "conv2d", rng.normal(size=(n, 6, 5, 5)), rng.normal(size=(6, 1, 3, 3)),
                   None, index=2, padding=(1, 1), groups=6, wmethod="asymmetric", amethod="asymmetric"),
        make_layer("fc", "linear", rng.normal(size=(n, 4, 20)), rng.normal(size=(7, 20)),
                   rng.normal(size=7), index=3, wbits=[8, 4, 6, 8, 2, 3, 8]),
        make_layer("attn", "matmul", rng.normal(size=(n, 2, 5, 4)), rng.normal(size=(n, 2, 4, 6)),
                   index=4),
    ]
    graph = [GraphNode("x", "input", [], shape=[3, 9, 9])]
    prev = "x"
    for layer in layers:
        graph.append(GraphNode(layer.name, layer.kind, [prev], layer=layer.name,
                               shape=list(layer.output_shape)))
        prev = layer.name
    graph.append(GraphNode("output", "output", [prev]))
    return Trace(name=f"random-{seed}", layers=layers, sample_count=n, input_shape=(3, 9, 9),
                 graph=graph, provenance={"model": "synthetic", "seed": seed,
                                          "note": "independent layers, not a network"},
                 labels=np.arange(n, dtype=np.int64) % 10,
                 outputs={"float": rng.normal(size=(n, 10)).astype(np.float32)})
