"""Reading and writing ``.cimtrace`` files: a zip of ``manifest.json`` and ``.npy`` arrays.

Only numpy, json and zipfile are used, so traces load without torch; arrays are read with
``allow_pickle=False`` and nothing in the file is executed. Every array is listed in the
manifest with its shape, dtype and sha256, and every loaded value is checked against the
manifest and against the layer's declared geometry, bit widths and signedness, so a truncated,
corrupted or mismatched file fails with a :class:`~cimsim.errors.TraceError` that names the
file, the layer and the field. See ``docs/trace-format.md``.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from cimsim.errors import TraceError
from cimsim.report.files import atomic_output
from cimsim.trace.format import (
    FORMAT_NAME,
    FORMAT_VERSION,
    GRANULARITIES,
    LAYER_KINDS,
    PRUNE_GRANULARITIES,
    GraphNode,
    Layer,
    QTensor,
    Trace,
    expand_param,
    expand_prune_mask,
    int_range,
)

MANIFEST = "manifest.json"
ALLOWED_DTYPES = {
    "|b1", "|i1", "<i2", "<i4", "<i8", "|u1", "<u2", "<u4", "<u8", "<f2", "<f4", "<f8",
}
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed, so that equal traces give equal bytes


# ============================================================================================
# writing


class _Writer:
    def __init__(self, zf: zipfile.ZipFile):
        self.zf = zf
        self.table: dict[str, dict[str, Any]] = {}

    def array(self, member: str, arr: np.ndarray) -> str:
        arr = np.asarray(arr)
        if arr.dtype.byteorder == ">" or (arr.dtype.byteorder == "=" and not np.little_endian):
            arr = arr.astype(arr.dtype.newbyteorder("<"))
        arr = np.ascontiguousarray(arr)
        if arr.dtype.str not in ALLOWED_DTYPES:
            raise TraceError(f"cannot store array '{member}' of dtype {arr.dtype}: a trace holds "
                             f"only bool, integer and float arrays ({sorted(ALLOWED_DTYPES)})")
        buf = io.BytesIO()
        np.lib.format.write_array(buf, arr, allow_pickle=False, version=(1, 0))
        data = buf.getvalue()
        info = zipfile.ZipInfo(member, date_time=_ZIP_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        self.zf.writestr(info, data, compresslevel=6)
        self.table[member] = {
            "shape": list(arr.shape),
            "dtype": arr.dtype.str,
            "sha256": hashlib.sha256(data).hexdigest(),
        }
        return member


def _qtensor_entry(w: _Writer, prefix: str, q: QTensor) -> dict[str, Any]:
    entry = q.meta()
    entry["values"] = w.array(f"{prefix}.npy", q.values)
    entry["scale"] = w.array(f"{prefix}_scale.npy", np.asarray(q.scale, dtype=np.float64))
    entry["zero_point"] = w.array(f"{prefix}_zero_point.npy", np.asarray(q.zero_point, dtype=np.int64))
    entry["bits_map"] = (None if q.bits_map is None
                         else w.array(f"{prefix}_bits.npy", np.asarray(q.bits_map, dtype=np.int16)))
    return entry


def _tuple(v):
    return None if v is None else [int(x) for x in v]


def _layer_entry(w: _Writer, layer: Layer) -> dict[str, Any]:
    p = f"layers/{layer.index:04d}"
    e: dict[str, Any] = {
        "name": layer.name,
        "kind": layer.kind,
        "index": int(layer.index),
        "source": layer.source,
        "input_shape": _tuple(layer.input_shape),
        "output_shape": _tuple(layer.output_shape),
        "macs_per_sample": int(layer.macs),
        "array_shape": _tuple(layer.array_shape),
    }
    if layer.kind == "conv2d":
        e.update(in_channels=int(layer.in_channels), out_channels=int(layer.out_channels),
                 kernel=_tuple(layer.kernel), stride=_tuple(layer.stride),
                 padding=_tuple(layer.padding), dilation=_tuple(layer.dilation),
                 groups=int(layer.groups))
    elif layer.kind == "linear":
        e.update(in_features=int(layer.in_features), out_features=int(layer.out_features))
    else:
        e.update(input_b_shape=_tuple(layer.input_b_shape))
    e["input"] = _qtensor_entry(w, f"{p}/input", layer.input)
    e["weight"] = None if layer.weight is None else _qtensor_entry(w, f"{p}/weight", layer.weight)
    e["input_b"] = None if layer.input_b is None else _qtensor_entry(w, f"{p}/input_b", layer.input_b)
    e["bias"] = None if layer.bias is None else w.array(f"{p}/bias.npy", layer.bias)
    if layer.prune_mask is not None:
        e["prune"] = {
            "granularity": layer.prune_granularity,
            "block": _tuple(layer.prune_block),
            "mask": w.array(f"{p}/prune_mask.npy", np.asarray(layer.prune_mask, dtype=bool)),
        }
    else:
        e["prune"] = None
    if layer.psum is not None:
        ps = dict(layer.psum)
        ps["arrays"] = {k: w.array(f"{p}/psum_{k}.npy", v) for k, v in sorted(layer.psum_arrays.items())}
        e["psum"] = ps
    else:
        e["psum"] = None
    if layer.precision is not None:
        e["precision"] = {k: [int(b) for b in v] for k, v in layer.precision.items()}
    e["float_output"] = w.array(f"{p}/float_output.npy", layer.float_output)
    e["int_output"] = w.array(f"{p}/int_output.npy", layer.int_output)
    return e


def _jsonable(obj):
    """Make provenance and attrs JSON-safe (numpy scalars, tuples, paths)."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, float) and not np.isfinite(obj):
        return str(obj)
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    return str(obj)


def manifest_and_arrays(trace: Trace, zf: zipfile.ZipFile) -> dict[str, Any]:
    w = _Writer(zf)
    layers = [_layer_entry(w, layer) for layer in trace.layers]
    nodes = []
    for i, node in enumerate(trace.graph):
        nodes.append({
            "name": node.name,
            "op": node.op,
            "inputs": list(node.inputs),
            "attrs": _jsonable(node.attrs),
            "layer": node.layer,
            "shape": _tuple(node.shape),
            "arrays": {k: w.array(f"graph/{i:04d}_{k}.npy", v) for k, v in sorted(node.arrays.items())},
        })
    network = {
        "name": trace.name,
        "sample_count": int(trace.sample_count),
        "input_shape": _tuple(trace.input_shape),
        "layer_order": trace.layer_names,
        "total_macs_per_sample": int(trace.total_macs),
        "graph": nodes,
        "layer_edges": _jsonable(trace.layer_edges),
        "labels": None if trace.labels is None else w.array("network/labels.npy", trace.labels),
        "outputs": {k: w.array(f"network/output_{k}.npy", v) for k, v in sorted(trace.outputs.items())},
    }
    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "network": network,
        "provenance": _jsonable(trace.provenance),
        "layers": layers,
        "arrays": w.table,
    }


def save(trace: Trace, path) -> Path:
    """Write ``trace`` to ``path`` atomically: a temporary file beside it, then a rename."""
    path = Path(path)
    with atomic_output(path) as fh:
        with zipfile.ZipFile(fh, "w", allowZip64=True) as zf:
            manifest = manifest_and_arrays(trace, zf)
            info = zipfile.ZipInfo(MANIFEST, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, json.dumps(manifest, indent=1, sort_keys=True))
    return path


# ============================================================================================
# reading


class _Reader:
    """Reads arrays from an open zip, checking each against the manifest's table."""

    def __init__(self, zf: zipfile.ZipFile, table: dict[str, Any], fname: str):
        self.zf = zf
        self.table = table
        self.fname = fname
        self.members = set(zf.namelist())

    def err(self, where: str, msg: str) -> TraceError:
        return TraceError(f"trace file '{self.fname}', {where}: {msg}")

    def array(self, member: str | None, where: str) -> np.ndarray:
        if not isinstance(member, str):
            raise self.err(where, f"expected the name of an array member, found {member!r}")
        meta = self.table.get(member)
        if meta is None:
            raise self.err(where, f"array '{member}' is not listed in the manifest's array table")
        if not (isinstance(meta, dict) and isinstance(meta.get("shape"), list)
                and all(isinstance(v, int) and not isinstance(v, bool) for v in meta["shape"])
                and isinstance(meta.get("dtype"), str) and isinstance(meta.get("sha256"), str)):
            raise self.err(where, f"the array table entry for '{member}' should be "
                                  f"{{shape: [ints], dtype: str, sha256: str}}, found {meta!r}")
        if member not in self.members:
            raise self.err(where, f"array '{member}' is listed in the manifest but missing from the "
                                  "zip (the file is truncated or was assembled by hand)")
        try:
            data = self.zf.read(member)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, zlib.error) as exc:
            raise self.err(where, f"array '{member}' cannot be read ({exc}); the file is corrupted "
                                  "or truncated") from None
        digest = hashlib.sha256(data).hexdigest()
        if digest != meta.get("sha256"):
            raise self.err(where, f"array '{member}' has sha256 {digest[:16]}..., but the manifest "
                                  f"expects {str(meta.get('sha256'))[:16]}...; the file is corrupted "
                                  "or was edited without updating the manifest")
        try:
            arr = np.load(io.BytesIO(data), allow_pickle=False)
        except (ValueError, OSError, EOFError) as exc:
            raise self.err(where, f"array '{member}' is not a valid .npy array ({exc})") from None
        if arr.dtype.str != meta.get("dtype") or arr.dtype.str not in ALLOWED_DTYPES:
            raise self.err(where, f"array '{member}' has dtype {arr.dtype.str}, the manifest says "
                                  f"{meta.get('dtype')} (allowed: bool, integers, floats)")
        if list(arr.shape) != list(meta.get("shape", [])):
            raise self.err(where, f"array '{member}' has shape {list(arr.shape)}, the manifest says "
                                  f"{meta.get('shape')}")
        return arr


def _parse_version(v: Any, fname: str) -> tuple[int, int]:
    try:
        major, minor = (int(p) for p in str(v).split("."))
    except ValueError:
        raise TraceError(f"trace file '{fname}': manifest key 'version' should be 'MAJOR.MINOR', "
                         f"found {v!r}") from None
    return major, minor


def _require(d: dict, key: str, where: str, fname: str, types=None):
    if not isinstance(d, dict) or key not in d:
        raise TraceError(f"trace file '{fname}', {where}: missing required key '{key}'")
    v = d[key]
    if types is not None and not isinstance(v, types):
        raise TraceError(f"trace file '{fname}', {where}: key '{key}' should be "
                         f"{getattr(types, '__name__', types)}, found {type(v).__name__} {v!r}")
    return v


def _shape(v, where: str, key: str, fname: str) -> tuple[int, ...]:
    if not isinstance(v, list) or not all(isinstance(x, int) and x >= 0 for x in v):
        raise TraceError(f"trace file '{fname}', {where}: key '{key}' should be a list of "
                         f"non-negative integers, found {v!r}")
    return tuple(v)


def _read_qtensor(r: _Reader, e: Any, where: str) -> QTensor:
    fname = r.fname
    if not isinstance(e, dict):
        raise r.err(where, f"expected a quantized-tensor object, found {type(e).__name__} {e!r}")
    bits = _require(e, "bits", where, fname, int)
    signed = _require(e, "signed", where, fname, bool)
    gran = _require(e, "granularity", where, fname, str)
    if gran not in GRANULARITIES:
        raise r.err(where, f"granularity should be one of {list(GRANULARITIES)}, found '{gran}'")
    if not 1 <= bits <= 32:
        raise r.err(where, f"bits should be between 1 and 32, found {bits}")
    values = r.array(e.get("values"), f"{where} values")
    if values.dtype.kind not in "iu":
        raise r.err(where, f"values should be integers, found dtype {values.dtype}")
    scale = r.array(e.get("scale"), f"{where} scale")
    zp = r.array(e.get("zero_point"), f"{where} zero_point")
    bits_map = None
    if e.get("bits_map") is not None:
        bits_map = r.array(e["bits_map"], f"{where} bits_map")
    if scale.dtype.kind != "f" or not np.all(np.isfinite(scale)) or not np.all(scale > 0):
        raise r.err(where, "scale should hold finite positive floats, found "
                           f"dtype {scale.dtype}, min {scale.min() if scale.size else 'n/a'}")
    if zp.shape != scale.shape:
        raise r.err(where, f"zero_point shape {list(zp.shape)} differs from scale shape {list(scale.shape)}")
    return QTensor(values=values, bits=bits, signed=signed, scale=scale, zero_point=zp,
                   granularity=gran, method=str(e.get("method", "")), bits_map=bits_map,
                   bits_granularity=str(e.get("bits_granularity", "per_tensor")),
                   max_error=e.get("max_error"), clipped=e.get("clipped"))


def _check_range(r: _Reader, layer: Layer, q: QTensor, what: str, bits_full: np.ndarray | None):
    where = f"layer '{layer.name}' (index {layer.index}) {what}"
    v = q.values
    if v.size == 0:
        return
    if bits_full is None:
        lo, hi = int_range(q.bits, q.signed)
        vmin, vmax = int(v.min()), int(v.max())
        if vmin < lo or vmax > hi:
            raise r.err(where, f"values should lie in [{lo}, {hi}] ({q.bits}-bit, "
                               f"{'signed' if q.signed else 'unsigned'}), found [{vmin}, {vmax}]")
    else:
        b = bits_full.astype(np.int64)
        lo = np.where(q.signed, -(2 ** (b - 1)), 0)
        hi = np.where(q.signed, 2 ** (b - 1) - 1, 2**b - 1)
        bad = (v < lo) | (v > hi)
        if bad.any():
            idx = tuple(int(i) for i in np.argwhere(bad)[0])
            raise r.err(where, f"value {int(v[idx])} at index {list(idx)} does not fit its "
                               f"{int(b[idx])}-bit {'signed' if q.signed else 'unsigned'} precision "
                               "from the bits map")
    zlo, zhi = int_range(q.bits, q.signed)
    if q.zero_point.size and (q.zero_point.min() < zlo or q.zero_point.max() > zhi):
        raise r.err(where, f"zero_point should lie in [{zlo}, {zhi}], found "
                           f"[{int(q.zero_point.min())}, {int(q.zero_point.max())}]")


def _expected_param_shape(layer: Layer, gran: str) -> tuple[int, ...]:
    if gran == "per_tensor":
        return (1,)
    if gran == "per_channel":
        return (layer.weight_matrix_cols,)
    return tuple(layer.array_grid)


def _conv_out(size: int, k: int, s: int, p: int, d: int) -> int:
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def _validate_layer(r: _Reader, layer: Layer, n: int) -> None:
    where = f"layer '{layer.name}' (index {layer.index}, {layer.kind})"
    err = lambda msg: r.err(where, msg)  # noqa: E731
    # geometry
    if layer.kind == "conv2d":
        if len(layer.input_shape) != 3 or len(layer.output_shape) != 3:
            raise err(f"input_shape and output_shape should be [C, H, W], found "
                      f"{list(layer.input_shape)} and {list(layer.output_shape)}")
        c, h, wd = layer.input_shape
        if c != layer.in_channels or layer.in_channels % layer.groups or layer.out_channels % layer.groups:
            raise err(f"in_channels {layer.in_channels}, out_channels {layer.out_channels} and groups "
                      f"{layer.groups} do not agree with input shape {list(layer.input_shape)}")
        exp_out = (layer.out_channels,
                   _conv_out(h, layer.kernel[0], layer.stride[0], layer.padding[0], layer.dilation[0]),
                   _conv_out(wd, layer.kernel[1], layer.stride[1], layer.padding[1], layer.dilation[1]))
        if tuple(layer.output_shape) != exp_out:
            raise err(f"output_shape should be {list(exp_out)} for this kernel, stride, padding and "
                      f"dilation, found {list(layer.output_shape)}")
        exp_w = (layer.out_channels, layer.in_channels // layer.groups, *layer.kernel)
    elif layer.kind == "linear":
        if layer.input_shape[-1] != layer.in_features or layer.output_shape[-1] != layer.out_features \
                or tuple(layer.input_shape[:-1]) != tuple(layer.output_shape[:-1]):
            raise err(f"input_shape {list(layer.input_shape)} and output_shape "
                      f"{list(layer.output_shape)} do not agree with in_features {layer.in_features} "
                      f"and out_features {layer.out_features}")
        exp_w = (layer.out_features, layer.in_features)
    else:
        a, b = layer.input_shape, layer.input_b_shape
        if b is None or len(a) < 2 or len(b) < 2 or a[-1] != b[-2]:
            raise err(f"operand shapes {list(a)} and {None if b is None else list(b)} do not "
                      "multiply (expected [..., M, K] @ [..., K, P])")
        exp_out = tuple(np.broadcast_shapes(a[:-2], b[:-2])) + (a[-2], b[-1])
        if tuple(layer.output_shape) != exp_out:
            raise err(f"output_shape should be {list(exp_out)}, found {list(layer.output_shape)}")
        exp_w = None
    # operands
    exp_in = (n, *layer.input_shape)
    if layer.input.shape != exp_in:
        raise err(f"input array has shape {list(layer.input.shape)}, expected {list(exp_in)} "
                  f"({n} samples of {list(layer.input_shape)})")
    if layer.input.granularity != "per_tensor" or layer.input.scale.shape != (1,):
        raise err("input scale should be per_tensor with shape [1], found "
                  f"{layer.input.granularity} with shape {list(layer.input.scale.shape)}")
    _check_range(r, layer, layer.input, "input", None)
    if exp_w is not None:
        if layer.weight is None:
            raise err("a conv2d or linear layer needs a 'weight' entry")
        if layer.weight.shape != exp_w:
            raise err(f"weight array has shape {list(layer.weight.shape)}, expected {list(exp_w)}")
        exp_s = _expected_param_shape(layer, layer.weight.granularity)
        if layer.weight.scale.shape != exp_s:
            raise err(f"weight scale ({layer.weight.granularity}) should have shape {list(exp_s)}, "
                      f"found {list(layer.weight.scale.shape)}")
        bits_full = None
        if layer.weight.bits_map is not None:
            bg = layer.weight.bits_granularity
            if bg not in GRANULARITIES:
                raise err(f"weight bits_granularity should be one of {list(GRANULARITIES)}, found '{bg}'")
            exp_b = _expected_param_shape(layer, bg)
            if layer.weight.bits_map.shape != exp_b:
                raise err(f"weight bits map ({bg}) should have shape {list(exp_b)}, found "
                          f"{list(layer.weight.bits_map.shape)}")
            if layer.weight.bits_map.min() < 1 or layer.weight.bits_map.max() > layer.weight.bits:
                raise err(f"weight bits map should lie in [1, {layer.weight.bits}], found "
                          f"[{layer.weight.bits_map.min()}, {layer.weight.bits_map.max()}]")
            bits_full = expand_param(layer, layer.weight.bits_map, bg)
        _check_range(r, layer, layer.weight, "weight", bits_full)
        if layer.bias is not None and layer.bias.shape != (layer.weight_matrix_cols,):
            raise err(f"bias should have shape [{layer.weight_matrix_cols}], found {list(layer.bias.shape)}")
    else:
        if layer.input_b is None:
            raise err("a matmul needs an 'input_b' entry (its second dynamic operand)")
        exp_b = (n, *layer.input_b_shape)
        if layer.input_b.shape != exp_b:
            raise err(f"input_b array has shape {list(layer.input_b.shape)}, expected {list(exp_b)}")
        _check_range(r, layer, layer.input_b, "input_b", None)
    # pruning
    if layer.prune_mask is not None:
        if layer.weight is None:
            raise err("a pruning mask needs static weights")
        g = layer.prune_granularity
        if g not in PRUNE_GRANULARITIES:
            raise err(f"prune granularity should be one of {list(PRUNE_GRANULARITIES)}, found '{g}'")
        rows, cols = layer.weight_matrix_shape
        if g == "filter":
            exp_m = (cols,)
        elif g == "channel":
            exp_m = (layer.weight.shape[1],)
        else:
            if layer.prune_block is None or len(layer.prune_block) != 2 or min(layer.prune_block) < 1:
                raise err(f"block pruning needs 'block' [rows, cols], found {layer.prune_block}")
            br, bc = layer.prune_block
            exp_m = (-(-rows // br), -(-cols // bc))
        if layer.prune_mask.shape != exp_m:
            raise err(f"{g} prune mask should have shape {list(exp_m)}, found {list(layer.prune_mask.shape)}")
        kept = expand_prune_mask(layer)
        centred = layer.weight.values.astype(np.int64) - expand_param(
            layer, layer.weight.zero_point, layer.weight.granularity)
        if np.any(centred[~kept] != 0):
            raise err("weights under the pruning mask should be zero (equal to the zero point), "
                      f"found {int(np.count_nonzero(centred[~kept]))} non-zero values")
    # outputs
    exp_o = (n, *layer.output_shape)
    for fld in ("float_output", "int_output"):
        arr = getattr(layer, fld)
        if arr.shape != exp_o:
            raise err(f"{fld} has shape {list(arr.shape)}, expected {list(exp_o)}")
    if layer.int_output.dtype.kind != "i":
        raise err(f"int_output should be a signed integer array, found {layer.int_output.dtype}")
    if layer.float_output.dtype.kind != "f":
        raise err(f"float_output should be a float array, found {layer.float_output.dtype}")


_MALFORMED = (TypeError, AttributeError, KeyError, ValueError, IndexError)


def _read_layer(r: _Reader, e: Any, i: int, n: int) -> Layer:
    if not isinstance(e, dict):
        raise r.err(f"layer entry {i}", f"expected a JSON object, found {type(e).__name__}")
    try:
        return _read_layer_entry(r, e, i, n)
    except TraceError:
        raise
    except _MALFORMED as exc:
        raise r.err(f"layer '{e.get('name', i)}' (index {i})",
                    f"malformed entry ({type(exc).__name__}: {exc})") from None


def _read_layer_entry(r: _Reader, e: dict, i: int, n: int) -> Layer:
    fname = r.fname
    where = f"layer entry {i}"
    name = _require(e, "name", where, fname, str)
    where = f"layer '{name}' (index {i})"
    kind = _require(e, "kind", where, fname, str)
    if kind not in LAYER_KINDS:
        raise r.err(where, f"kind should be one of {list(LAYER_KINDS)}, found '{kind}'")
    if e.get("index") != i:
        raise r.err(where, f"index should be {i} (its position in 'layers'), found {e.get('index')!r}")
    geo: dict[str, Any] = {}
    if kind == "conv2d":
        for k in ("kernel", "stride", "padding", "dilation"):
            v = _require(e, k, where, fname, list)
            low = 0 if k == "padding" else 1
            if len(v) != 2 or not all(isinstance(x, int) and not isinstance(x, bool) and x >= low for x in v):
                raise r.err(where, f"key '{k}' should be two integers >= {low}, found {v!r}")
            geo[k] = tuple(v)
        for k in ("in_channels", "out_channels", "groups"):
            v = _require(e, k, where, fname, int)
            if v < 1:
                raise r.err(where, f"key '{k}' should be a positive integer, found {v}")
            geo[k] = v
    elif kind == "linear":
        geo["in_features"] = _require(e, "in_features", where, fname, int)
        geo["out_features"] = _require(e, "out_features", where, fname, int)
    else:
        geo["input_b_shape"] = _shape(_require(e, "input_b_shape", where, fname, list), where,
                                      "input_b_shape", fname)
    input_q = _read_qtensor(r, _require(e, "input", where, fname, dict), f"{where} input")
    weight = None
    if e.get("weight") is not None:
        weight = _read_qtensor(r, e["weight"], f"{where} weight")
    input_b = None
    if e.get("input_b") is not None:
        input_b = _read_qtensor(r, e["input_b"], f"{where} input_b")
    bias = None if e.get("bias") is None else r.array(e["bias"], f"{where} bias")
    prune = e.get("prune")
    mask = gran = block = None
    if prune is not None:
        mask = r.array(prune.get("mask"), f"{where} prune mask")
        gran = prune.get("granularity")
        block = None if prune.get("block") is None else tuple(prune["block"])
    psum = e.get("psum")
    psum_arrays: dict[str, np.ndarray] = {}
    if psum is not None:
        psum = dict(psum)
        for k, member in sorted((psum.pop("arrays", None) or {}).items()):
            psum_arrays[k] = r.array(member, f"{where} psum {k}")
    array_shape = _shape(_require(e, "array_shape", where, fname, list), where, "array_shape", fname)
    if len(array_shape) != 2 or min(array_shape) < 1:
        raise r.err(where, f"array_shape should be [rows, cols] >= 1, found {list(array_shape)}")
    layer = Layer(
        name=name, kind=kind, index=i,
        input_shape=_shape(_require(e, "input_shape", where, fname, list), where, "input_shape", fname),
        output_shape=_shape(_require(e, "output_shape", where, fname, list), where, "output_shape", fname),
        input=input_q, weight=weight, input_b=input_b, bias=bias,
        float_output=r.array(_require(e, "float_output", where, fname, str), f"{where} float_output"),
        int_output=r.array(_require(e, "int_output", where, fname, str), f"{where} int_output"),
        array_shape=array_shape, prune_mask=mask, prune_granularity=gran, prune_block=block,
        psum=psum, psum_arrays=psum_arrays, source=e.get("source"), precision=e.get("precision"), **geo,
    )
    _validate_layer(r, layer, n)
    if psum is not None:
        from cimsim.trace.psum import validate_psum

        try:
            validate_psum(layer)
        except (ValueError, KeyError) as exc:
            raise r.err(where, f"partial-sum quantizer: {exc}") from None
    macs = e.get("macs_per_sample")
    if macs is not None and macs != layer.macs:
        raise r.err(where, f"macs_per_sample is {macs} but the geometry gives {layer.macs}")
    return layer


def load(path, verify: bool = False) -> Trace:
    """Load a ``.cimtrace`` file, checking it thoroughly; ``verify`` also recomputes every
    layer's integer output from its integer operands and compares it with the recorded one."""
    fname = str(path)
    if not os.path.exists(fname):
        raise TraceError(f"trace file '{fname}' does not exist")
    try:
        zf = zipfile.ZipFile(fname)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise TraceError(f"trace file '{fname}' is not a readable .cimtrace zip archive ({exc}); it "
                         "is truncated, corrupted or not a trace") from None
    with zf:
        if MANIFEST not in zf.namelist():
            raise TraceError(f"trace file '{fname}' has no '{MANIFEST}': it is not a cimtrace file "
                             f"(members: {zf.namelist()[:5]})")
        try:
            manifest = json.loads(zf.read(MANIFEST).decode("utf-8"))
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, UnicodeDecodeError, zlib.error) as exc:
            raise TraceError(f"trace file '{fname}': '{MANIFEST}' cannot be read or parsed ({exc}); "
                             "the file is corrupted or truncated") from None
        return _from_manifest(manifest, zf, fname, verify)


def _from_manifest(manifest: Any, zf: zipfile.ZipFile, fname: str, verify: bool) -> Trace:
    if not isinstance(manifest, dict):
        raise TraceError(f"trace file '{fname}': manifest should be a JSON object, found "
                         f"{type(manifest).__name__}")
    fmt = manifest.get("format")
    if fmt != FORMAT_NAME:
        raise TraceError(f"trace file '{fname}': manifest key 'format' should be '{FORMAT_NAME}', "
                         f"found {fmt!r}")
    try:
        return _from_manifest_checked(manifest, zf, fname, verify)
    except TraceError:
        raise
    except _MALFORMED as exc:
        raise TraceError(f"trace file '{fname}': malformed manifest ({type(exc).__name__}: {exc})") from None


def _from_manifest_checked(manifest: dict, zf: zipfile.ZipFile, fname: str, verify: bool) -> Trace:
    major, minor = _parse_version(manifest.get("version"), fname)
    smajor, sminor = _parse_version(FORMAT_VERSION, "")
    if major != smajor:
        raise TraceError(f"trace file '{fname}' has format version {manifest.get('version')}, but "
                         f"this cimsim reads version {smajor}.x (up to {FORMAT_VERSION}); re-export "
                         "the trace with this cimsim or use a matching cimsim release")
    table = _require(manifest, "arrays", "manifest", fname, dict)
    r = _Reader(zf, table, fname)
    net = _require(manifest, "network", "manifest", fname, dict)
    n = _require(net, "sample_count", "network", fname, int)
    if n < 1:
        raise TraceError(f"trace file '{fname}', network: sample_count should be >= 1, found {n}")
    entries = _require(manifest, "layers", "manifest", fname, list)
    layers = [_read_layer(r, e, i, n) for i, e in enumerate(entries)]
    order = net.get("layer_order")
    if order != [layer.name for layer in layers]:
        raise TraceError(f"trace file '{fname}', network: layer_order {order} does not match the "
                         f"layer entries {[layer.name for layer in layers]}")
    if len(set(order)) != len(order):
        raise TraceError(f"trace file '{fname}', network: layer names are not unique")
    graph = []
    for j, nd in enumerate(net.get("graph") or []):
        if not isinstance(nd, dict) or not isinstance(nd.get("name"), str) or not isinstance(nd.get("op"), str) \
                or not isinstance(nd.get("inputs", []), list):
            raise TraceError(f"trace file '{fname}', graph node {j}: expected an object with string "
                             f"'name' and 'op' and a list 'inputs', found {nd!r}"[:400])
        arrays = {k: r.array(m, f"graph node '{nd.get('name')}' array {k}")
                  for k, m in (nd.get("arrays") or {}).items()}
        graph.append(GraphNode(name=nd["name"], op=nd["op"], inputs=list(nd.get("inputs", [])),
                               attrs=nd.get("attrs") or {}, layer=nd.get("layer"),
                               shape=nd.get("shape"), arrays=arrays))
    _validate_graph(graph, layers, fname)
    labels = None
    if net.get("labels") is not None:
        labels = r.array(net["labels"], "network labels")
        if labels.dtype.kind not in "iu":
            raise TraceError(f"trace file '{fname}', network labels: expected integers, found {labels.dtype}")
        if labels.shape != (n,):
            raise TraceError(f"trace file '{fname}', network labels: expected shape [{n}], found "
                             f"{list(labels.shape)}")
    outputs = {k: r.array(m, f"network output '{k}'") for k, m in (net.get("outputs") or {}).items()}
    for k, v in outputs.items():
        if v.shape[:1] != (n,):
            raise TraceError(f"trace file '{fname}', network output '{k}': expected {n} samples "
                             f"first, found shape {list(v.shape)}")
    trace = Trace(
        name=str(net.get("name", "")), layers=layers, sample_count=n,
        input_shape=_shape(net.get("input_shape", []), "network", "input_shape", fname),
        graph=graph, layer_edges=net.get("layer_edges") or [],
        provenance=manifest.get("provenance") or {}, labels=labels, outputs=outputs,
        version=str(manifest.get("version")), path=fname,
    )
    if verify:
        verify_trace(trace)
    return trace


def _validate_graph(graph: list[GraphNode], layers: list[Layer], fname: str) -> None:
    if not graph:
        return
    seen: set[str] = set()
    names = {layer.name for layer in layers}
    referenced = set()
    for node in graph:
        for src in node.inputs:
            if src not in seen:
                raise TraceError(f"trace file '{fname}', graph node '{node.name}': input '{src}' is "
                                 "not an earlier node (the graph must be in topological order)")
        if node.layer is not None:
            if node.layer not in names:
                raise TraceError(f"trace file '{fname}', graph node '{node.name}': refers to layer "
                                 f"'{node.layer}', which is not in the trace")
            referenced.add(node.layer)
        seen.add(node.name)
    missing = names - referenced
    if missing:
        raise TraceError(f"trace file '{fname}', graph: layers {sorted(missing)} have no graph node")


def verify_trace(trace: Trace, max_samples: int | None = None) -> None:
    """Recompute every layer's integer output exactly and compare with the recorded one."""
    sel = None if max_samples is None else slice(0, max_samples)
    for layer in trace.layers:
        got = layer.recompute_int_output(sel)
        rec = layer.int_output if sel is None else layer.int_output[sel]
        if not np.array_equal(got, rec):
            bad = int(np.count_nonzero(got != rec))
            raise TraceError(
                f"trace file '{trace.path}', layer '{layer.name}' (index {layer.index}): the recorded "
                f"int_output differs from the output recomputed from the integer weights and inputs "
                f"in {bad} of {rec.size} values")
