"""Trace format: round trip, exact recomputation, MAC counts, and clear errors on bad files.

numpy only: these tests must pass without torch.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

import cimsim.trace as ct
from cimsim.errors import CimsimError, TraceError
from cimsim.trace.check import check_layer
from cimsim.trace.format import FORMAT_VERSION, conv2d_int
from cimsim.trace.synthetic import make_layer, random_trace

REPO = Path(__file__).resolve().parents[1]
SHIPPED = sorted((REPO / "traces").glob("*.cimtrace"))


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    trace = random_trace(1)
    path = tmp_path_factory.mktemp("tr") / "random.cimtrace"
    trace.save(path)
    return trace, path


def _arrays_equal(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)


def assert_traces_identical(a: ct.Trace, b: ct.Trace) -> None:
    assert a.name == b.name and a.sample_count == b.sample_count
    assert tuple(a.input_shape) == tuple(b.input_shape)
    assert a.layer_names == b.layer_names
    for la, lb in zip(a, b):
        for f in ("kind", "index", "input_shape", "output_shape", "kernel", "stride", "padding",
                  "dilation", "groups", "in_channels", "out_channels", "in_features", "out_features",
                  "input_b_shape", "array_shape", "prune_granularity", "prune_block", "psum"):
            va, vb = getattr(la, f), getattr(lb, f)
            assert (tuple(va) if isinstance(va, (list, tuple)) else va) == \
                (tuple(vb) if isinstance(vb, (list, tuple)) else vb), (la.name, f)
        for f in ("float_output", "int_output", "bias", "prune_mask"):
            va, vb = getattr(la, f), getattr(lb, f)
            assert (va is None and vb is None) or _arrays_equal(va, vb), (la.name, f)
        for q in ("input", "weight", "input_b"):
            qa, qb = getattr(la, q), getattr(lb, q)
            if qa is None:
                assert qb is None
                continue
            assert qa.meta() == qb.meta(), (la.name, q)
            for f in ("values", "scale", "zero_point"):
                assert _arrays_equal(np.asarray(getattr(qa, f)), np.asarray(getattr(qb, f))), (la.name, q, f)
            assert (qa.bits_map is None) == (qb.bits_map is None)
            if qa.bits_map is not None:
                assert np.array_equal(qa.bits_map, qb.bits_map)
        assert la.psum_arrays.keys() == lb.psum_arrays.keys()
        for k in la.psum_arrays:
            assert _arrays_equal(la.psum_arrays[k], lb.psum_arrays[k])
    assert [(g.name, g.op, g.inputs, g.layer) for g in a.graph] == \
        [(g.name, g.op, g.inputs, g.layer) for g in b.graph]
    assert a.outputs.keys() == b.outputs.keys()
    for k in a.outputs:
        assert _arrays_equal(a.outputs[k], b.outputs[k])
    assert (a.labels is None) == (b.labels is None)


# ------------------------------------------------------------------------------------------
# round trip and exactness


def test_round_trip_is_bit_exact(saved, tmp_path):
    trace, path = saved
    loaded = ct.load(path)
    assert_traces_identical(trace, loaded)
    # saving what was loaded gives the same bytes (fixed zip timestamps, sorted manifest)
    again = tmp_path / "again.cimtrace"
    loaded.save(again)
    assert again.read_bytes() == Path(path).read_bytes()


def test_save_is_atomic_and_leaves_no_temporary(tmp_path):
    trace = random_trace(2)
    target = tmp_path / "t.cimtrace"
    target.write_bytes(b"old contents")
    trace.layers[0].input.values = trace.layers[0].input.values.astype(object)  # unstorable
    with pytest.raises(TraceError):
        trace.save(target)
    assert target.read_bytes() == b"old contents"
    assert [p.name for p in tmp_path.iterdir()] == ["t.cimtrace"]


def test_recorded_int_output_equals_recomputation(saved):
    _, path = saved
    trace = ct.load(path, verify=True)
    for layer in trace:
        out = layer.recompute_int_output()
        assert out.dtype == np.int64
        assert np.array_equal(out, layer.int_output)


def _naive_conv(x, w, stride, padding, dilation, groups):
    """Direct nested-loop convolution in Python ints (independent of conv2d_int)."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    og = o // groups
    oh = (h + 2 * padding[0] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wd + 2 * padding[1] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, o, oh, ow), dtype=object)
    for b in range(n):
        for oc in range(o):
            g = oc // og
            for i in range(oh):
                for j in range(ow):
                    acc = 0
                    for ci in range(cg):
                        for u in range(kh):
                            for v in range(kw):
                                y = i * stride[0] - padding[0] + u * dilation[0]
                                z = j * stride[1] - padding[1] + v * dilation[1]
                                if 0 <= y < h and 0 <= z < wd:
                                    acc += int(x[b, g * cg + ci, y, z]) * int(w[oc, ci, u, v])
                    out[b, oc, i, j] = acc
    return out


@pytest.mark.parametrize("stride,padding,dilation,groups", [
    ((1, 1), (0, 0), (1, 1), 1), ((2, 1), (1, 2), (1, 1), 1), ((1, 2), (2, 1), (2, 1), 2),
    ((2, 2), (1, 1), (1, 1), 4),
])
def test_conv2d_int_matches_naive_loops(stride, padding, dilation, groups):
    rng = np.random.default_rng(3)
    x = rng.integers(-128, 128, size=(2, 4, 7, 6))
    w = rng.integers(-128, 128, size=(8, 4 // groups, 3, 2))
    got = conv2d_int(x, w, stride, padding, dilation, groups)
    assert np.array_equal(got, _naive_conv(x, w, stride, padding, dilation, groups).astype(np.int64))


def test_int64_path_for_wide_operands():
    # 30-bit operands: partial sums exceed 2**52, so the exact int64 path is used
    rng = np.random.default_rng(4)
    x = rng.integers(-(2**29), 2**29, size=(1, 2, 4, 4))
    w = rng.integers(-(2**29), 2**29, size=(3, 2, 2, 2))
    assert np.array_equal(conv2d_int(x, w, (1, 1), (0, 0), (1, 1), 1),
                          _naive_conv(x, w, (1, 1), (0, 0), (1, 1), 1).astype(np.int64))


def test_dequantized_output_within_quantizer_bound(saved):
    _, path = saved
    for layer in ct.load(path):
        stats = check_layer(layer)
        assert stats["exact"] and stats["within_bound"], stats


def test_per_array_dequantization_sums_scaled_partials():
    rng = np.random.default_rng(5)
    layer = make_layer("pa", "linear", rng.normal(size=(2, 40)), rng.normal(size=(9, 40)),
                       wbits=np.array([[8, 4, 6], [3, 8, 8], [5, 5, 5]]), array_shape=(16, 4))
    assert layer.weight.granularity == "per_array" and layer.weight.scale.shape == (3, 3)
    from cimsim.trace.format import per_array_outputs

    parts = per_array_outputs(layer)
    assert parts.shape == (3, 2, 9)
    assert np.array_equal(parts.sum(axis=0), layer.int_output)
    assert check_layer(layer)["within_bound"]


# ------------------------------------------------------------------------------------------
# MAC counts


def test_mac_counts_match_an_independent_count(saved):
    _, path = saved
    trace = ct.load(path)
    n = trace.sample_count
    for layer in trace:
        # independent: count the products the naive definition performs, per sample
        if layer.kind == "conv2d":
            o, cg, kh, kw = layer.weight.shape
            _, oh, ow = layer.output_shape
            expected = o * oh * ow * cg * kh * kw
        elif layer.kind == "linear":
            rows = int(np.prod(layer.input.shape[1:-1]))
            expected = rows * layer.weight.shape[0] * layer.weight.shape[1]
        else:
            a, b = layer.input.shape[1:], layer.input_b.shape[1:]
            expected = int(np.prod(a[:-2])) * a[-2] * a[-1] * b[-1]
        assert layer.macs == expected, layer.name
        assert layer.int_output.size // n * layer.reduction_size == expected
    assert trace.total_macs == sum(layer.macs for layer in trace)


def test_vgg8_style_mac_count_by_hand():
    # NeuroSim VGG-8 conv2: 32x32x128 -> 3x3x128 kernel -> 128 outputs: 32*32*128*1152 MACs
    layer = make_layer("c", "conv2d", np.zeros((1, 128, 32, 32)), np.ones((128, 128, 3, 3)),
                       padding=(1, 1))
    assert layer.macs == 32 * 32 * 128 * 3 * 3 * 128 == 150_994_944


def test_effective_macs_skip_pruned_filters():
    rng = np.random.default_rng(6)
    mask = np.array([True, False, True, False])
    layer = make_layer("p", "conv2d", rng.normal(size=(1, 2, 5, 5)), rng.normal(size=(4, 2, 3, 3)),
                       prune=("filter", mask, None))
    assert layer.macs == 4 * 3 * 3 * 2 * 9
    assert layer.effective_macs == 2 * 3 * 3 * 2 * 9
    assert np.all(layer.weight.values[~mask] == 0)


# ------------------------------------------------------------------------------------------
# bad files


def _members(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def _write(path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, d in members.items():
            zf.writestr(n, d)


def _with_manifest(src, dst, edit) -> None:
    m = _members(src)
    manifest = json.loads(m["manifest.json"])
    edit(manifest)
    m["manifest.json"] = json.dumps(manifest).encode()
    _write(dst, m)


def _message(exc: pytest.ExceptionInfo) -> str:
    return " ".join(str(exc.value).split())


def test_truncated_file(saved, tmp_path):
    _, path = saved
    data = Path(path).read_bytes()
    for cut in (len(data) // 2, len(data) - 30, 100):
        bad = tmp_path / f"cut{cut}.cimtrace"
        bad.write_bytes(data[:cut])
        with pytest.raises(TraceError) as exc:
            ct.load(bad)
        msg = _message(exc)
        assert str(bad) in msg and ("truncated" in msg or "corrupted" in msg), msg


def test_corrupted_compressed_bytes(saved, tmp_path):
    _, path = saved
    data = bytearray(Path(path).read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = max(zf.infolist(), key=lambda i: i.compress_size)
    # flip bytes inside the biggest member's compressed data
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for k in range(start + 10, start + 20):
        data[k] ^= 0xFF
    bad = tmp_path / "flipped.cimtrace"
    bad.write_bytes(bytes(data))
    with pytest.raises(TraceError) as exc:
        ct.load(bad)
    msg = _message(exc)
    assert info.filename in msg and "corrupted" in msg, msg


def test_array_edited_without_manifest(saved, tmp_path):
    _, path = saved
    m = _members(path)
    member = "layers/0000/weight.npy"
    arr = np.load(io.BytesIO(m[member]))
    arr.reshape(-1)[0] += 1
    buf = io.BytesIO()
    np.save(buf, arr)
    m[member] = buf.getvalue()
    bad = tmp_path / "edited.cimtrace"
    _write(bad, m)
    with pytest.raises(TraceError) as exc:
        ct.load(bad)
    msg = _message(exc)
    assert "sha256" in msg and member in msg and "layer 'conv'" in msg, msg


def test_wrong_version(saved, tmp_path):
    _, path = saved
    bad = tmp_path / "v2.cimtrace"
    _with_manifest(path, bad, lambda m: m.update(version="2.0"))
    with pytest.raises(TraceError) as exc:
        ct.load(bad)
    msg = _message(exc)
    assert "version 2.0" in msg and FORMAT_VERSION in msg and str(bad) in msg, msg


def test_newer_minor_version_loads(saved, tmp_path):
    _, path = saved
    ok = tmp_path / "v1x.cimtrace"
    major = FORMAT_VERSION.split(".")[0]
    _with_manifest(path, ok, lambda m: m.update(version=f"{major}.99"))
    assert len(ct.load(ok)) == 5


def test_not_a_trace(tmp_path):
    bad = tmp_path / "plain.cimtrace"
    bad.write_text("hello")
    with pytest.raises(TraceError, match="not a readable .cimtrace zip"):
        ct.load(bad)
    other = tmp_path / "other.cimtrace"
    _write(other, {"readme.txt": b"x"})
    with pytest.raises(TraceError, match="no 'manifest.json'"):
        ct.load(other)
    wrong = tmp_path / "wrong.cimtrace"
    _write(wrong, {"manifest.json": b'{"format": "safetensors", "version": "1.0"}'})
    with pytest.raises(TraceError, match="key 'format' should be 'cimtrace'"):
        ct.load(wrong)
    with pytest.raises(TraceError, match="does not exist"):
        ct.load(tmp_path / "missing.cimtrace")


def test_mismatched_shape_in_manifest(saved, tmp_path):
    _, path = saved

    def bump_out_channels(m):
        m["layers"][0]["out_channels"] = 9
        m["layers"][0]["output_shape"][0] = 9

    bad = tmp_path / "shape.cimtrace"
    _with_manifest(path, bad, bump_out_channels)
    with pytest.raises(TraceError) as exc:
        ct.load(bad)
    msg = _message(exc)
    assert "layer 'conv'" in msg and "weight array has shape [8, 3, 3, 3], expected [9, 3, 3, 3]" in msg, msg

    def wrong_table_shape(m):
        m["arrays"]["layers/0003/weight.npy"]["shape"] = [7, 21]

    bad2 = tmp_path / "table.cimtrace"
    _with_manifest(path, bad2, wrong_table_shape)
    with pytest.raises(TraceError) as exc:
        ct.load(bad2)
    msg = _message(exc)
    assert "layer 'fc'" in msg and "has shape [7, 20], the manifest says [7, 21]" in msg, msg

    def wrong_geometry(m):
        m["layers"][1]["stride"] = [1, 1]

    bad3 = tmp_path / "geom.cimtrace"
    _with_manifest(path, bad3, wrong_geometry)
    with pytest.raises(TraceError, match="output_shape should be"):
        ct.load(bad3)


def test_values_out_of_declared_range(saved, tmp_path):
    _, path = saved
    bad = tmp_path / "bits.cimtrace"
    _with_manifest(path, bad, lambda m: m["layers"][0]["weight"].update(bits=4))
    with pytest.raises(TraceError) as exc:
        ct.load(bad)
    msg = _message(exc)
    assert "layer 'conv'" in msg and "weight" in msg and "should lie in [-8, 7]" in msg, msg
    bad2 = tmp_path / "signed.cimtrace"
    _with_manifest(path, bad2, lambda m: m["layers"][0]["input"].update(signed=False))
    with pytest.raises(TraceError, match="unsigned"):
        ct.load(bad2)


def test_missing_member_and_missing_key(saved, tmp_path):
    _, path = saved
    m = _members(path)
    del m["layers/0002/int_output.npy"]
    bad = tmp_path / "missing.cimtrace"
    _write(bad, m)
    with pytest.raises(TraceError) as exc:
        ct.load(bad)
    assert "layers/0002/int_output.npy" in _message(exc) and "missing from the zip" in _message(exc)
    bad2 = tmp_path / "nokind.cimtrace"
    _with_manifest(path, bad2, lambda m: m["layers"][3].pop("kind"))
    with pytest.raises(TraceError, match="layer 'fc' .*missing required key 'kind'"):
        ct.load(bad2)
    bad3 = tmp_path / "kind.cimtrace"
    _with_manifest(path, bad3, lambda m: m["layers"][3].update(kind="lstm"))
    with pytest.raises(TraceError, match="kind should be one of .* found 'lstm'"):
        ct.load(bad3)


def _key_paths(obj, pre=()):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield pre + (k,)
            yield from _key_paths(v, pre + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj[:2]):
            yield pre + (i,)
            yield from _key_paths(v, pre + (i,))


def test_any_malformed_manifest_value_gives_a_trace_error(tmp_path):
    """Delete or retype every key of a conv, a linear with partial-sum parameters, a matmul and
    the network: loading either succeeds or raises TraceError, never another exception."""
    from cimsim.trace import psum

    t = random_trace(5, samples=1)
    t["fc"].psum, t["fc"].psum_arrays = psum.calibrate(t["fc"], {"mode": "ternary", "granularity": "per_column"})
    t.layers = [t["conv"], t["fc"], t["attn"]]
    for i, layer in enumerate(t.layers):
        layer.index = i
    t.graph = []
    src = tmp_path / "src.cimtrace"
    t.save(src)
    members = _members(src)
    base = json.loads(members["manifest.json"])
    base["arrays"] = {k: v for k, v in base["arrays"].items()}
    paths = [p for p in _key_paths(base) if p[0] != "provenance"
             and not (p[0] == "arrays" and len(p) > 2 and not p[1].startswith("layers/0000/weight"))]
    bad = tmp_path / "bad.cimtrace"
    outcomes = {"ok": 0, "error": 0}
    for path in paths:
        for val in ("DEL", None, "x", -1, [], {}):
            m = json.loads(members["manifest.json"])
            o = m
            for k in path[:-1]:
                o = o[k]
            if val == "DEL":
                if isinstance(o, list):
                    continue
                del o[path[-1]]
            else:
                o[path[-1]] = val
            _write(bad, {**members, "manifest.json": json.dumps(m).encode()})
            try:
                ct.load(bad)
                outcomes["ok"] += 1
            except TraceError as exc:
                assert str(bad) in str(exc)
                outcomes["error"] += 1
    assert outcomes["error"] > 500


def test_verify_detects_a_wrong_integer_reference(saved, tmp_path):
    trace, _ = saved
    t = random_trace(1)
    t.layers[2].int_output = t.layers[2].int_output.copy()
    t.layers[2].int_output.reshape(-1)[5] += 1
    p = tmp_path / "wrongref.cimtrace"
    t.save(p)
    ct.load(p)  # structurally fine
    with pytest.raises(TraceError, match="layer 'depthwise'.*differs from the output recomputed"):
        ct.load(p, verify=True)


def test_trace_error_is_a_cimsim_error():
    assert issubclass(TraceError, CimsimError)


# ------------------------------------------------------------------------------------------
# shipped traces, loaded without torch


def test_shipped_traces_load_without_torch():
    if not SHIPPED:
        pytest.skip("no shipped traces")
    code = (
        "import sys\n"
        "sys.modules['torch'] = None  # any 'import torch' now fails\n"
        "import cimsim.trace as ct\n"
        "from cimsim.trace.check import check_layer\n"
        f"for p in {[str(p) for p in SHIPPED]!r}:\n"
        "    t = ct.load(p, verify=True)\n"
        "    assert len(t) > 0 and t.sample_count > 0\n"
        "    for layer in t:\n"
        "        s = check_layer(layer, slice(0, 2))\n"
        "        assert s['exact'] and s['within_bound'], (p, s)\n"
        "t = ct.workload_trace('cnn-digits')  # the shipped file: no export, no torch\n"
        "assert t.path.endswith('cnn-digits.cimtrace') and t.provenance['workload'] == 'cnn-digits'\n"
        "assert 'torch' not in [m for m in sys.modules if sys.modules[m] is not None]\n"
        "print('ok', len(sys.argv))\n"
    )
    env = dict(os.environ)
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.startswith("ok")


def test_shipped_traces_are_small():
    total = sum(p.stat().st_size for p in SHIPPED)
    assert total < 21e6, f"shipped traces take {total / 1e6:.1f} MB"
