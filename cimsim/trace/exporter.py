"""Export a quantized PyTorch model to a :class:`~cimsim.trace.format.Trace` (needs torch).

``export(model, inputs, quant=...)`` traces ``model`` with :mod:`torch.fx`, folds every
batch-norm into the conv or linear layer before it, checks that every operation is supported,
then runs the network twice over the inputs:

1. *calibration*: layer by layer in graph order, each conv / linear / matmul quantizes its
   weights (once) and its input activations (scale chosen from the calibration data), and
   passes on the output computed from the dequantized operands, so later layers calibrate on
   what the quantized network really produces;
2. *recording*: with the scales frozen, each layer records its integer input codes, the exact
   integer output ``sum (w - z_w)(x - z_x)``, and the float output of the layer's float
   weights on the float input it received; the quantized output is passed on.

Operations other than conv2d / linear / matmul are digital (activations, pooling, residual
adds, concatenations, reshapes, layer norm, softmax, ...): they run in float and appear in the
trace's graph. Anything else (an LSTM, a 1-D or transposed convolution, an embedding, a
batch-norm that follows no conv) is refused with an error naming the layer and its type.
"""

from __future__ import annotations

import copy
import json
import math
import operator
import platform
from dataclasses import dataclass, field
from typing import Any

import numpy as np

try:
    import torch
    import torch.fx as fx
    import torch.nn as nn
    import torch.nn.functional as F
except ModuleNotFoundError as exc:  # pragma: no cover - exercised without torch
    raise ModuleNotFoundError(
        "cimsim.trace.exporter needs PyTorch (pip install torch==2.13.0 --index-url "
        "https://download.pytorch.org/whl/cpu); loading traces does not") from exc

import cimsim
from cimsim.errors import CimsimError
from cimsim.trace import quantizers as Q
from cimsim.trace.format import GraphNode, Layer, Trace, accumulator_dtype, conv2d_int, storage_dtype
from cimsim.trace.recipes import QuantRecipe, get_recipe

# ---------------------------------------------------------------------------------------------
# what is supported

_CIM_MODULES = {nn.Conv2d: "conv2d", nn.Linear: "linear"}
_DIGITAL_MODULES = {
    nn.ReLU: "relu", nn.ReLU6: "relu6", nn.LeakyReLU: "leaky_relu", nn.GELU: "gelu",
    nn.SiLU: "silu", nn.Sigmoid: "sigmoid", nn.Tanh: "tanh", nn.Hardswish: "hardswish",
    nn.Hardsigmoid: "hardsigmoid", nn.Softmax: "softmax", nn.MaxPool2d: "max_pool2d",
    nn.AvgPool2d: "avg_pool2d", nn.AdaptiveAvgPool2d: "adaptive_avg_pool2d",
    nn.AdaptiveMaxPool2d: "adaptive_max_pool2d", nn.Flatten: "flatten", nn.Dropout: "dropout",
    nn.Identity: "identity", nn.LayerNorm: "layer_norm", nn.ZeroPad2d: "zero_pad2d",
    nn.Upsample: "upsample",
}
_MATMUL_FUNCS = {torch.matmul, operator.matmul, torch.bmm}
_DIGITAL_FUNCS = {
    operator.add: "add", operator.sub: "sub", operator.mul: "mul", operator.truediv: "div",
    operator.floordiv: "floordiv", operator.neg: "neg", operator.getitem: "getitem",
    getattr: "getattr", torch.add: "add", torch.sub: "sub", torch.mul: "mul", torch.div: "div",
    torch.cat: "cat", torch.concat: "cat", torch.stack: "stack", torch.flatten: "flatten",
    torch.relu: "relu", torch.sigmoid: "sigmoid", torch.tanh: "tanh", torch.softmax: "softmax",
    torch.transpose: "transpose", torch.permute: "permute", torch.reshape: "reshape",
    torch.mean: "mean", torch.sum: "sum", torch.chunk: "chunk", torch.split: "split",
    torch.squeeze: "squeeze", torch.unsqueeze: "unsqueeze", torch.clamp: "clamp",
    F.relu: "relu", F.relu6: "relu6", F.gelu: "gelu", F.silu: "silu", F.softmax: "softmax",
    F.max_pool2d: "max_pool2d", F.avg_pool2d: "avg_pool2d",
    F.adaptive_avg_pool2d: "adaptive_avg_pool2d", F.pad: "pad", F.layer_norm: "layer_norm",
    F.dropout: "dropout", F.hardswish: "hardswish", F.leaky_relu: "leaky_relu",
    F.interpolate: "interpolate", math.sqrt: "sqrt",
}
_DIGITAL_METHODS = {
    "view", "reshape", "flatten", "permute", "transpose", "contiguous", "size", "mean", "sum",
    "relu", "softmax", "chunk", "split", "unsqueeze", "squeeze", "add", "mul", "div", "sub",
    "sigmoid", "tanh", "dim", "expand", "clamp", "float", "masked_fill", "neg", "view_as",
}


def _fn_name(fn) -> str:
    return getattr(fn, "__name__", repr(fn))


def _unsupported(node: fx.Node, what: str, gm: fx.GraphModule | None = None) -> CimsimError:
    return CimsimError(
        f"cannot export layer '{node.target if node.op == 'call_module' else node.name}': {what} is "
        "not supported. The exporter maps nn.Conv2d (incl. grouped / depthwise), nn.Linear and "
        "matmuls of two activations onto arrays, folds batch-norm into the conv or linear before it, "
        "and runs activations, pooling, residual adds, concatenations, reshapes, softmax and "
        "layer norm digitally")


# ---------------------------------------------------------------------------------------------
# graph preparation


def _trace_model(model: nn.Module) -> fx.GraphModule:
    if isinstance(model, fx.GraphModule):
        return copy.deepcopy(model).eval()
    if not isinstance(model, nn.Module):
        raise CimsimError(f"export expects a torch.nn.Module, found {type(model).__name__}")
    m = copy.deepcopy(model).eval()
    try:
        return fx.symbolic_trace(m)
    except Exception as exc:  # fx raises many kinds
        raise CimsimError(
            f"model {type(model).__name__} cannot be traced with torch.fx ({type(exc).__name__}: "
            f"{' '.join(str(exc).split())[:300]}); data-dependent control flow in forward() is the "
            "usual cause: make it static or pass a torch.fx.GraphModule") from None


def _fold_batchnorm(gm: fx.GraphModule) -> list[str]:
    """Fold each BatchNorm that follows a conv/linear (its only user) into it; return names."""
    folded = []
    calls: dict[str, int] = {}
    for node in gm.graph.nodes:
        if node.op == "call_module":
            calls[node.target] = calls.get(node.target, 0) + 1
    for node in list(gm.graph.nodes):
        if node.op != "call_module":
            continue
        bn = gm.get_submodule(node.target)
        if not isinstance(bn, (nn.BatchNorm1d, nn.BatchNorm2d)):
            continue
        prev = node.args[0] if node.args else None
        prev_mod = gm.get_submodule(prev.target) if isinstance(prev, fx.Node) and prev.op == "call_module" else None
        ok = (isinstance(prev_mod, (nn.Conv2d, nn.Linear)) and len(prev.users) == 1
              and calls.get(prev.target, 0) == 1)
        if not ok:
            raise CimsimError(
                f"cannot export layer '{node.target}': {type(bn).__name__} must directly follow an "
                "nn.Conv2d or nn.Linear whose output it alone uses, so that it can be folded; here it "
                f"follows {getattr(prev, 'name', prev)!r}")
        if bn.running_mean is None or bn.running_var is None:
            raise CimsimError(f"cannot export layer '{node.target}': {type(bn).__name__} has no running "
                              "statistics (track_running_stats=False), so it cannot be folded")
        with torch.no_grad():
            w = prev_mod.weight.detach().double()
            b = (prev_mod.bias.detach().double() if prev_mod.bias is not None
                 else torch.zeros(w.shape[0], dtype=torch.float64))
            inv = 1.0 / torch.sqrt(bn.running_var.double() + bn.eps)
            gamma = bn.weight.detach().double() if bn.weight is not None else torch.ones_like(inv)
            beta = bn.bias.detach().double() if bn.bias is not None else torch.zeros_like(inv)
            k = gamma * inv
            prev_mod.weight = nn.Parameter((w * k.reshape((-1,) + (1,) * (w.dim() - 1))).float())
            prev_mod.bias = nn.Parameter(((b - bn.running_mean.double()) * k + beta).float())
        node.replace_all_uses_with(prev)
        gm.graph.erase_node(node)
        folded.append(str(node.target))
    gm.graph.lint()
    gm.recompile()
    return folded


def _classify(gm: fx.GraphModule, node: fx.Node) -> tuple[str, str]:
    """('cim', kind) | ('digital', op) | ('io', op), or raise for an unsupported node."""
    if node.op in ("placeholder", "output"):
        return "io", "input" if node.op == "placeholder" else "output"
    if node.op == "get_attr":
        return "digital", "constant"
    if node.op == "call_module":
        mod = gm.get_submodule(node.target)
        t = type(mod)
        if t in _CIM_MODULES:
            if t is nn.Conv2d and mod.padding_mode != "zeros":
                raise _unsupported(node, f"nn.Conv2d with padding_mode='{mod.padding_mode}'")
            return "cim", _CIM_MODULES[t]
        if t in _DIGITAL_MODULES:
            return "digital", _DIGITAL_MODULES[t]
        raise _unsupported(node, f"a module of type {t.__module__}.{t.__name__}")
    if node.op == "call_function":
        if node.target in _MATMUL_FUNCS:
            return "cim", "matmul"
        if node.target in _DIGITAL_FUNCS:
            return "digital", _DIGITAL_FUNCS[node.target]
        raise _unsupported(node, f"the function {_fn_name(node.target)}")
    if node.op == "call_method":
        if node.target == "matmul":
            return "cim", "matmul"
        if node.target in _DIGITAL_METHODS:
            return "digital", node.target
        raise _unsupported(node, f"the tensor method .{node.target}()")
    raise _unsupported(node, f"the graph operation {node.op}")


def _layer_names(gm: fx.GraphModule, cim: list[fx.Node]) -> dict[fx.Node, str]:
    names: dict[fx.Node, str] = {}
    used: dict[str, int] = {}
    for node in cim:
        if node.op == "call_module":
            base = str(node.target)
        else:
            stack = node.meta.get("nn_module_stack") or {}
            path = next(reversed(stack.values()))[0] if stack else ""
            base = f"{path}.matmul" if path else "matmul"
        k = used.get(base, 0)
        used[base] = k + 1
        names[node] = base if k == 0 else f"{base}_{k}"
    return names


# ---------------------------------------------------------------------------------------------
# per-layer state


@dataclass
class _State:
    node: fx.Node
    name: str
    kind: str
    index: int
    module: nn.Module | None = None
    w_float: np.ndarray | None = None  # folded, pruned (float64)
    bias: np.ndarray | None = None
    wq: Q.Quantized | None = None
    mask: np.ndarray | None = None
    mask_gran: str | None = None
    mask_block: tuple[int, int] | None = None
    act: Q.Quantized | None = None  # frozen input quantizer (per tensor)
    act_b: Q.Quantized | None = None
    rec: dict[str, list] = field(default_factory=lambda: {"x": [], "xb": [], "fo": [], "io": []})
    err: dict[str, float] = field(default_factory=lambda: {"x": 0.0, "xb": 0.0})
    clipped: dict[str, int] = field(default_factory=lambda: {"x": 0, "xb": 0})
    in_shape: tuple[int, ...] | None = None
    in_b_shape: tuple[int, ...] | None = None
    out_shape: tuple[int, ...] | None = None


def _to_np(t: torch.Tensor) -> np.ndarray:
    return t.detach().to(torch.float64).cpu().numpy()


def _conv_geometry(mod: nn.Conv2d) -> dict[str, Any]:
    pad = mod.padding
    if isinstance(pad, str):
        if pad == "valid":
            pad = (0, 0)
        else:  # 'same'
            tot = [d * (k - 1) for d, k in zip(mod.dilation, mod.kernel_size)]
            if any(t % 2 for t in tot):
                raise CimsimError(f"cannot export a Conv2d with padding='same' and an even effective "
                                  f"kernel {mod.kernel_size} (asymmetric padding)")
            pad = tuple(t // 2 for t in tot)
    return dict(stride=tuple(mod.stride), padding=tuple(pad), dilation=tuple(mod.dilation),
                groups=int(mod.groups), kernel=tuple(mod.kernel_size))


class _Exporter:
    def __init__(self, gm: fx.GraphModule, recipe: QuantRecipe):
        self.gm = gm
        self.recipe = recipe
        self.kinds: dict[fx.Node, tuple[str, str]] = {}
        for node in gm.graph.nodes:
            self.kinds[node] = _classify(gm, node)
        cim = [n for n in gm.graph.nodes if self.kinds[n][0] == "cim"]
        if not cim:
            raise CimsimError("the model has no conv2d, linear or matmul layer to map onto arrays")
        names = _layer_names(gm, cim)
        self.states: dict[fx.Node, _State] = {}
        for i, node in enumerate(cim):
            st = _State(node=node, name=names[node], kind=self.kinds[node][1], index=i)
            if node.op == "call_module":
                st.module = gm.get_submodule(node.target)
            self.states[node] = st
        self.n_layers = len(cim)
        self.shapes: dict[fx.Node, list[int] | None] = {}
        for st in self.states.values():
            if st.module is not None:
                self._prepare_weights(st)

    # ---- weights -----------------------------------------------------------------------

    def _prepare_weights(self, st: _State) -> None:
        r = self.recipe
        mod = st.module
        w = _to_np(mod.weight)
        st.bias = None if mod.bias is None else _to_np(mod.bias)
        edge = st.index in (0, self.n_layers - 1) and r.keep_first_last
        if r.prune is not None and not edge:
            kind = r.prune["kind"]
            ratio = float(r.prune.get("ratio", 0.0))
            if kind == "filter":
                st.mask = Q.filter_mask(w, ratio)
            elif kind == "channel":
                st.mask = Q.channel_mask(w, ratio)
            else:
                st.mask_block = tuple(r.prune.get("block") or r.array_shape)
                st.mask = Q.block_mask(w, ratio, st.mask_block)
            st.mask_gran = kind
            w = w * Q.expand_mask(w.shape, st.mask, kind, st.mask_block)
        st.w_float = w
        spec = r.weight
        bits: Any = spec.bits
        explicit = r.weight_bits.get(st.name)
        if explicit is not None:
            bits = np.asarray(explicit, dtype=np.int64)
            if bits.ndim == 0:
                bits = int(bits)
        elif r.mixed is not None and not edge:
            hi, lo = r.mixed["high_bits"], r.mixed["low_bits"]
            frac = float(r.mixed.get("high_fraction", 0.5))
            if r.mixed["kind"] == "filter":
                bits = Q.rank_bits(Q.filter_sensitivity(w, lo), hi, lo, frac)
            else:
                bits = Q.rank_bits(Q.array_sensitivity(w, lo, r.array_shape), hi, lo, frac)
        where = f"layer '{st.name}'"
        if isinstance(bits, np.ndarray):
            if bits.ndim == 1:
                if spec.method != "symmetric" or spec.granularity != "per_channel":
                    raise CimsimError(f"quantization recipe, {where}: a bit width per filter needs the "
                                      "symmetric per_channel weight quantizer")
                if bits.shape != (w.shape[0],):
                    raise CimsimError(f"quantization recipe, {where}: the per-filter bit map should "
                                      f"have {w.shape[0]} entries, found {bits.shape[0]}")
                st.wq = Q.symmetric(w, bits, signed=True, axis=0)
                return
            if spec.method != "symmetric" or spec.granularity != "per_array":
                raise CimsimError(f"quantization recipe, {where}: a bit width per array needs the "
                                  "symmetric per_array weight quantizer")
            st.wq = Q.per_array_symmetric(w, bits, r.array_shape)
            return
        signed = True if spec.method != "asymmetric" else False
        st.wq = Q.quantize(w, spec.method, int(bits), spec.granularity, signed, r.array_shape)

    # ---- layer calls -------------------------------------------------------------------

    def _act(self, st: _State, x: torch.Tensor, which: str, calibrate: bool, spec) -> Q.Quantized:
        xn = _to_np(x)
        attr = "act" if which == "x" else "act_b"
        if calibrate:
            ref = Q.quantize(xn, spec.method, spec.bits, "per_tensor", spec.signed)
            setattr(st, attr, ref)
            return ref
        q = Q.quantize_with(xn, getattr(st, attr))
        return q

    def call(self, node: fx.Node, args, kwargs, calibrate: bool, batch: int) -> torch.Tensor:
        st = self.states[node]
        if st.kind == "matmul":
            return self._matmul(st, args, kwargs, calibrate, batch)
        x = args[0]
        if st.kind == "conv2d":
            if x.dim() != 4:
                raise CimsimError(f"layer '{st.name}': a Conv2d input should be [N, C, H, W], found "
                                  f"shape {list(x.shape)}")
        elif x.dim() < 2:
            raise CimsimError(f"layer '{st.name}': a Linear input should be [N, ..., features], found "
                              f"shape {list(x.shape)}")
        xq = self._act(st, x, "x", calibrate, self.recipe.activation)
        wq = st.wq
        xhat = torch.from_numpy(xq.dequantize())
        what = torch.from_numpy(wq.dequantize())
        b = None if st.bias is None else torch.from_numpy(st.bias)
        y_q = self._op(st, xhat, what, b)
        if not calibrate:
            xc = xq.values - int(xq.zero_point.reshape(-1)[0])
            wc = wq.values - np.broadcast_to(wq.zero_point_full, wq.values.shape)
            io = self._int_op(st, xc, wc)
            fo = self._op(st, x.detach().double(), torch.from_numpy(st.w_float), b)
            self._record(st, xq, None, fo, io, x.shape, None, y_q.shape)
        return y_q.to(x.dtype)

    def _op(self, st: _State, x: torch.Tensor, w: torch.Tensor, b) -> torch.Tensor:
        if st.kind == "conv2d":
            g = _conv_geometry(st.module)
            return F.conv2d(x, w, b, g["stride"], g["padding"], g["dilation"], g["groups"])
        return F.linear(x, w, b)

    def _int_op(self, st: _State, xc: np.ndarray, wc: np.ndarray) -> np.ndarray:
        k = int(np.prod(wc.shape[1:]))
        bound = (int(np.abs(xc).max()) if xc.size else 0) * (int(np.abs(wc).max()) if wc.size else 0) * k
        if st.kind == "conv2d":
            g = _conv_geometry(st.module)
            if bound < 2**52:
                y = F.conv2d(torch.from_numpy(xc.astype(np.float64)), torch.from_numpy(wc.astype(np.float64)),
                             None, g["stride"], g["padding"], g["dilation"], g["groups"])
                return np.rint(y.numpy()).astype(np.int64)
            return conv2d_int(xc, wc, g["stride"], g["padding"], g["dilation"], g["groups"])
        if bound < 2**52:
            y = torch.from_numpy(xc.astype(np.float64)) @ torch.from_numpy(wc.astype(np.float64)).T
            return np.rint(y.numpy()).astype(np.int64)
        return np.matmul(xc.astype(np.int64), wc.astype(np.int64).T)

    def _matmul(self, st: _State, args, kwargs, calibrate: bool, batch: int) -> torch.Tensor:
        a, b = (list(args) + [kwargs.get("other")])[:2] if len(args) < 2 else args[:2]
        for nm, t in (("first", a), ("second", b)):
            if not isinstance(t, torch.Tensor):
                raise CimsimError(f"layer '{st.name}': matmul {nm} operand is not a tensor")
            if t.dim() < 3 or t.shape[0] != batch:
                raise CimsimError(
                    f"cannot export layer '{st.name}': a matmul is mapped as two dynamic operands of "
                    f"shape [N, ..., M, K] @ [N, ..., K, P] with the {batch} samples first; its {nm} "
                    f"operand has shape {list(t.shape)} (a matmul with a weight should be an nn.Linear)")
        qa = self._act(st, a, "x", calibrate, self.recipe.dynamic)
        qb = self._act(st, b, "xb", calibrate, self.recipe.dynamic)
        y_q = torch.from_numpy(qa.dequantize()) @ torch.from_numpy(qb.dequantize())
        if not calibrate:
            ac = qa.values - int(qa.zero_point.reshape(-1)[0])
            bc = qb.values - int(qb.zero_point.reshape(-1)[0])
            bound = (int(np.abs(ac).max()) if ac.size else 0) * (int(np.abs(bc).max()) if bc.size else 0) * ac.shape[-1]
            if bound < 2**52:
                io = np.rint(np.matmul(ac.astype(np.float64), bc.astype(np.float64))).astype(np.int64)
            else:
                io = np.matmul(ac, bc)
            fo = a.detach().double() @ b.detach().double()
            self._record(st, qa, qb, fo, io, a.shape, b.shape, y_q.shape)
        return y_q.to(a.dtype)

    def _record(self, st, xq, xbq, fo, io, in_shape, in_b_shape, out_shape) -> None:
        st.rec["x"].append(xq.values.astype(storage_dtype(xq.bits, xq.signed)))
        st.err["x"] = max(st.err["x"], xq.max_error)
        st.clipped["x"] += xq.clipped
        if xbq is not None:
            st.rec["xb"].append(xbq.values.astype(storage_dtype(xbq.bits, xbq.signed)))
            st.err["xb"] = max(st.err["xb"], xbq.max_error)
            st.clipped["xb"] += xbq.clipped
        st.rec["fo"].append(fo.numpy().astype(np.float32))
        st.rec["io"].append(io)
        st.in_shape = tuple(in_shape[1:])
        st.in_b_shape = None if in_b_shape is None else tuple(in_b_shape[1:])
        st.out_shape = tuple(out_shape[1:])

    # ---- layers ------------------------------------------------------------------------

    def layer(self, st: _State) -> Layer:
        x = np.concatenate(st.rec["x"])
        act = st.act
        q_in = Q.Quantized(values=x, scale=act.scale, zero_point=act.zero_point, scale_full=act.scale_full,
                           zero_point_full=act.zero_point_full, bits=act.bits, signed=act.signed,
                           method=act.method, max_error=st.err["x"], clipped=st.clipped["x"]).to_qtensor()
        io = np.concatenate(st.rec["io"])
        common = dict(
            name=st.name, kind=st.kind, index=st.index, input_shape=st.in_shape,
            output_shape=st.out_shape, input=q_in, float_output=np.concatenate(st.rec["fo"]),
            int_output=io.astype(accumulator_dtype(io)), array_shape=tuple(self.recipe.array_shape),
        )
        if st.kind == "matmul":
            xb = np.concatenate(st.rec["xb"])
            ab = st.act_b
            q_b = Q.Quantized(values=xb, scale=ab.scale, zero_point=ab.zero_point, scale_full=ab.scale_full,
                              zero_point_full=ab.zero_point_full, bits=ab.bits, signed=ab.signed,
                              method=ab.method, max_error=st.err["xb"], clipped=st.clipped["xb"]).to_qtensor()
            fn = st.node.target
            return Layer(**common, input_b=q_b, input_b_shape=st.in_b_shape,
                         source=fn if isinstance(fn, str) else _fn_name(fn))
        mod = st.module
        wq = st.wq.to_qtensor()
        layer = Layer(**common, weight=wq,
                      bias=None if st.bias is None else st.bias.astype(np.float32),
                      prune_mask=st.mask, prune_granularity=st.mask_gran, prune_block=st.mask_block,
                      source=f"{type(mod).__module__}.{type(mod).__name__}")
        if st.kind == "conv2d":
            g = _conv_geometry(mod)
            layer.kernel, layer.stride, layer.padding = g["kernel"], g["stride"], g["padding"]
            layer.dilation, layer.groups = g["dilation"], g["groups"]
            layer.in_channels, layer.out_channels = int(mod.in_channels), int(mod.out_channels)
        else:
            layer.in_features, layer.out_features = int(mod.in_features), int(mod.out_features)
        if self.recipe.psum is not None:
            from cimsim.trace import psum

            layer.psum, layer.psum_arrays = psum.calibrate(layer, self.recipe.psum)
        return layer


class _Runner(fx.Interpreter):
    def __init__(self, gm, exporter: _Exporter, calibrate: bool, batch: int, record_shapes: bool):
        super().__init__(gm, garbage_collect_values=True)
        self.ex = exporter
        self.calibrate = calibrate
        self.batch = batch
        self.record_shapes = record_shapes

    def run_node(self, n: fx.Node):
        if n in self.ex.states:
            args, kwargs = self.fetch_args_kwargs_from_env(n)
            out = self.ex.call(n, args, kwargs, self.calibrate, self.batch)
        else:
            out = super().run_node(n)
        if self.record_shapes and n not in self.ex.shapes:
            if isinstance(out, torch.Tensor) and out.dim() >= 1 and out.shape[0] == self.batch:
                self.ex.shapes[n] = [int(s) for s in out.shape[1:]]
            else:
                self.ex.shapes[n] = None
        return out


# ---------------------------------------------------------------------------------------------
# graph description


def _attr_value(v):
    if isinstance(v, fx.Node):
        return {"node": v.name}
    if isinstance(v, (list, tuple)):
        return [_attr_value(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _attr_value(x) for k, x in v.items()}
    if isinstance(v, slice):
        return {"slice": [_attr_value(v.start), _attr_value(v.stop), _attr_value(v.step)]}
    if v is Ellipsis:
        return "..."
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, torch.Size):
        return [int(s) for s in v]
    if isinstance(v, (torch.dtype, torch.device, torch.memory_format)):
        return str(v)
    return repr(v)


def _node_inputs(node: fx.Node) -> list[str]:
    out: list[str] = []
    fx.node.map_arg((node.args, node.kwargs), lambda n: out.append(n.name) or n)
    seen, uniq = set(), []
    for name in out:
        if name not in seen:
            seen.add(name)
            uniq.append(name)
    return uniq


def _graph(ex: _Exporter) -> list[GraphNode]:
    nodes = []
    for node in ex.gm.graph.nodes:
        cls, op = ex.kinds[node]
        gn = GraphNode(name=node.name, op=op, inputs=_node_inputs(node), shape=ex.shapes.get(node))
        if cls == "cim":
            gn.layer = ex.states[node].name
            if node.op == "call_module":
                gn.attrs = {"module": str(node.target)}
        elif node.op == "call_module":
            mod = ex.gm.get_submodule(node.target)
            attrs = {"module": str(node.target), "type": type(mod).__name__}
            for k, v in sorted(vars(mod).items()):
                if k.startswith("_") or k == "training":
                    continue
                val = _attr_value(v)
                if not isinstance(val, str) or not val.startswith("<"):
                    attrs[k] = val
            gn.attrs = attrs
            if isinstance(mod, nn.LayerNorm) and mod.weight is not None:
                gn.arrays = {"weight": mod.weight.detach().float().numpy().copy(),
                             "bias": mod.bias.detach().float().numpy().copy()}
        elif node.op == "get_attr":
            val = ex.gm
            for part in str(node.target).split("."):
                val = getattr(val, part)
            gn.attrs = {"target": str(node.target)}
            if isinstance(val, torch.Tensor):
                gn.arrays = {"value": val.detach().float().numpy().copy()}
        elif node.op in ("call_function", "call_method"):
            gn.attrs = {"args": _attr_value(node.args), "kwargs": _attr_value(dict(node.kwargs))}
        elif node.op == "placeholder":
            gn.attrs = {"name": str(node.target)}
        nodes.append(gn)
    return nodes


_MERGES = {"add", "cat", "stack", "sub", "mul", "div", "matmul"}


def _layer_edges(ex: _Exporter) -> list[dict[str, Any]]:
    """For each layer (and the output): which layers (or the input) feed it, through which
    digital graph nodes (``via``: node names; ``ops``: their ops), and which of those nodes
    merge several tensors (``merges``: residual adds, concatenations, ...)."""
    producers: dict[fx.Node, list[tuple[str, tuple[fx.Node, ...]]]] = {}
    for node in ex.gm.graph.nodes:
        if node.op == "placeholder":
            producers[node] = [("input", ())]
            continue
        srcs: list[tuple[str, tuple[fx.Node, ...]]] = []
        for inp in node.all_input_nodes:
            if inp in ex.states:
                srcs.append((ex.states[inp].name, ()))
            else:
                srcs.extend(producers.get(inp, []))
        if node in ex.states or node.op == "output":
            producers[node] = srcs
        else:
            producers[node] = [(s, via + (node,)) for s, via in srcs]
    edges = []
    for node in ex.gm.graph.nodes:
        if node in ex.states or node.op == "output":
            dst = ex.states[node].name if node in ex.states else "output"
            seen = set()
            for src, via in producers[node]:
                key = (src, via)
                if key in seen:
                    continue
                seen.add(key)
                merges = [ex.kinds[v][1] for v in via
                          if ex.kinds[v][1] in _MERGES and len(v.all_input_nodes) > 1]
                edges.append({"src": src, "dst": dst, "via": [v.name for v in via],
                              "ops": [ex.kinds[v][1] for v in via], "merges": merges})
    return edges


# ---------------------------------------------------------------------------------------------
# public API


def _as_tensor(x, what: str) -> torch.Tensor:
    if isinstance(x, torch.Tensor):
        return x.detach().float()
    try:
        return torch.as_tensor(np.asarray(x), dtype=torch.float32)
    except (TypeError, ValueError) as exc:
        raise CimsimError(f"export: {what} should be an array or tensor with the samples first ({exc})") from None


def _first_tensor(out):
    if isinstance(out, torch.Tensor):
        return {"": out}
    if isinstance(out, (list, tuple)):
        return {f"_{i}": o for i, o in enumerate(out) if isinstance(o, torch.Tensor)}
    if isinstance(out, dict):
        return {f"_{k}": o for k, o in out.items() if isinstance(o, torch.Tensor)}
    return {}


def library_versions() -> dict[str, str]:
    import sys

    vers = {"cimsim": cimsim.__version__, "numpy": np.__version__, "torch": torch.__version__,
            "python": platform.python_version()}
    if "sklearn" in sys.modules:
        vers["scikit-learn"] = sys.modules["sklearn"].__version__
    return vers


def export(model: nn.Module, inputs, quant: str | dict | QuantRecipe | None = None, *,
           labels=None, calib_inputs=None, name: str | None = None,
           provenance: dict[str, Any] | None = None, batch_size: int = 256,
           max_calib: int = 512, seed: int | None = None) -> Trace:
    """Export ``model`` run on ``inputs`` (samples first) to a :class:`Trace`.

    ``quant`` is a recipe name (see :mod:`cimsim.trace.recipes`), a JSON file, a dict or a
    :class:`QuantRecipe`. Activation scales are calibrated on ``calib_inputs`` (default: the
    first ``max_calib`` of ``inputs``). ``labels`` (one integer per sample) are stored so that
    accuracy can be measured from the trace. ``provenance`` entries are added to the trace's;
    ``seed`` records the seed that produced the model and inputs (the export itself is
    deterministic).
    """
    recipe = get_recipe(quant)
    x = _as_tensor(inputs, "inputs")
    if x.dim() < 1 or x.shape[0] < 1:
        raise CimsimError(f"export: inputs should hold at least one sample, found shape {list(x.shape)}")
    n = int(x.shape[0])
    cal = x[:max_calib] if calib_inputs is None else _as_tensor(calib_inputs, "calib_inputs")
    if labels is not None:
        labels = np.asarray(labels).astype(np.int64).reshape(-1)
        if labels.shape != (n,):
            raise CimsimError(f"export: labels should have one entry per sample ({n}), found "
                              f"shape {list(labels.shape)}")
    gm = _trace_model(model)
    for node in gm.graph.nodes:  # refuse unsupported operations before running anything
        if node.op == "call_module" and isinstance(gm.get_submodule(node.target),
                                                   (nn.BatchNorm1d, nn.BatchNorm2d)):
            continue  # folded below
        _classify(gm, node)
    float_outputs: dict[str, list[np.ndarray]] = {}
    with torch.no_grad():
        for s in range(0, n, batch_size):
            for k, v in _first_tensor(gm(x[s:s + batch_size])).items():
                float_outputs.setdefault(k, []).append(v.float().numpy())
        folded = _fold_batchnorm(gm)
        ex = _Exporter(gm, recipe)
        _Runner(gm, ex, calibrate=True, batch=int(cal.shape[0]), record_shapes=False).run(cal)
        q_outputs: dict[str, list[np.ndarray]] = {}
        for s in range(0, n, batch_size):
            xb = x[s:s + batch_size]
            out = _Runner(gm, ex, calibrate=False, batch=int(xb.shape[0]), record_shapes=(s == 0)).run(xb)
            for k, v in _first_tensor(out).items():
                q_outputs.setdefault(k, []).append(v.float().numpy())
    layers = [ex.layer(st) for st in ex.states.values()]
    outputs = {f"float{k}": np.concatenate(v) for k, v in float_outputs.items()}
    outputs.update({f"quantized{k}": np.concatenate(v) for k, v in q_outputs.items()})
    prov: dict[str, Any] = {
        "model": type(model).__name__,
        "exporter": "cimsim.trace.exporter (torch.fx)",
        "quantizer": recipe.name,
        "quantizer_source": recipe.source,
        "recipe": recipe.to_dict(),
        "batchnorm_folded": folded,
        "calibration": {"samples": int(cal.shape[0]),
                        "data": "the first recorded samples" if calib_inputs is None else "separate inputs"},
        "libraries": library_versions(),
        "seed": seed,
    }
    prov.update(provenance or {})
    trace = Trace(name=name or type(model).__name__, layers=layers, sample_count=n,
                  input_shape=tuple(int(s) for s in x.shape[1:]), graph=_graph(ex),
                  layer_edges=_layer_edges(ex), provenance=prov, labels=labels, outputs=outputs)
    if labels is not None and "float" in outputs:
        prov["metrics"] = {"float_accuracy": trace.accuracy("float"),
                           "quantized_accuracy": trace.accuracy("quantized")}
    from cimsim.trace.io import _jsonable

    trace.provenance = json.loads(json.dumps(_jsonable(prov)))
    return trace
