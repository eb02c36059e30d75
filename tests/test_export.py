"""Exporter: any conv/linear/matmul model to a trace, exact and within the quantizer's bounds."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn
F = torch.nn.functional

import cimsim.trace as ct  # noqa: E402
from cimsim.errors import CimsimError  # noqa: E402
from cimsim.trace.check import check_layer, trace_differences  # noqa: E402
from cimsim.trace.recipes import RECIPES  # noqa: E402


class Toy(nn.Module):
    """conv+BN, depthwise, grouped dilated strided conv, residual add, concat, pooling, linear."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(8)
        self.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.dwbn = nn.BatchNorm2d(8)
        self.pw = nn.Conv2d(8, 8, 1)
        self.grouped = nn.Conv2d(16, 12, (3, 2), stride=(2, 1), padding=(2, 1), dilation=(2, 1), groups=4)
        self.pool = nn.AdaptiveAvgPool2d((2, 2))
        self.fc = nn.Linear(48, 10)

    def forward(self, x):
        a = F.relu(self.bn(self.stem(x)))
        b = F.relu6(self.dwbn(self.dw(a)))
        b = self.pw(b) + a                       # residual add
        c = torch.cat([a, F.relu(b)], dim=1)     # concatenation
        d = F.relu(self.grouped(c))
        return self.fc(torch.flatten(self.pool(d), 1))


class TinyAttention(nn.Module):
    def __init__(self, hidden=16, heads=2):
        super().__init__()
        self.h, self.d = heads, hidden // heads
        self.qkv = nn.Linear(hidden, 3 * hidden)
        self.out = nn.Linear(hidden, hidden)
        self.norm = nn.LayerNorm(hidden)

    def forward(self, x):
        n, s, _ = x.shape
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        q, k, v = (t.view(n, s, self.h, self.d).transpose(1, 2) for t in (q, k, v))
        att = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(self.d), dim=-1)
        ctx = torch.matmul(att, v).transpose(1, 2).reshape(n, s, -1)
        return self.norm(x + self.out(ctx))


def _toy(seed=0):
    torch.manual_seed(seed)
    m = Toy()
    for bn in (m.bn, m.dwbn):
        bn.running_mean.uniform_(-0.3, 0.3)
        bn.running_var.uniform_(0.5, 2.0)
        bn.weight.data.uniform_(0.5, 1.5)
        bn.bias.data.uniform_(-0.2, 0.2)
    return m.eval()


@pytest.fixture(scope="module")
def toy_trace():
    torch.manual_seed(1)
    x = torch.randn(6, 3, 10, 10)
    return _toy(), x, ct.export(_toy(), x, "int8", labels=np.arange(6) % 10)


# ------------------------------------------------------------------------------------------


def test_export_then_load_round_trips_bit_exactly(toy_trace, tmp_path):
    _, _, trace = toy_trace
    p = tmp_path / "toy.cimtrace"
    trace.save(p)
    loaded = ct.load(p)
    assert trace_differences(trace, loaded) == []
    p2 = tmp_path / "toy2.cimtrace"
    loaded.save(p2)
    assert p2.read_bytes() == p.read_bytes()


def test_layers_kinds_and_geometry(toy_trace):
    _, _, trace = toy_trace
    assert trace.layer_names == ["stem", "dw", "pw", "grouped", "fc"]
    dw, grouped, fc = trace["dw"], trace["grouped"], trace["fc"]
    assert dw.kind == "conv2d" and dw.groups == 8 and dw.weight.shape == (8, 1, 3, 3)
    assert grouped.groups == 4 and grouped.stride == (2, 1) and grouped.dilation == (2, 1)
    assert grouped.padding == (2, 1) and grouped.input_shape == (16, 10, 10)
    assert grouped.output_shape == (12, 5, 11)  # (10 + 4 - 2*2 - 1)//2 + 1, (10 + 2 - 1 - 1) + 1
    assert fc.kind == "linear" and fc.in_features == 48 and fc.input_shape == (48,)
    assert trace["stem"].input.signed and not trace["pw"].input.signed  # after ReLU6: unsigned
    assert trace.provenance["batchnorm_folded"] == ["bn", "dwbn"]
    assert trace.provenance["quantizer"] == "int8" and "Jacob" in trace.provenance["quantizer_source"]
    assert {"numpy", "torch", "python", "cimsim"} <= set(trace.provenance["libraries"])


def test_graph_records_residual_add_and_concat(toy_trace):
    _, _, trace = toy_trace
    ops = [g.op for g in trace.graph]
    assert ops[0] == "input" and ops[-1] == "output" and "add" in ops and "cat" in ops
    edges = {(e["src"], e["dst"], tuple(e["merges"])) for e in trace.layer_edges}
    # pw -> add (+ stem's relu) -> relu -> cat (+ stem's relu) -> grouped
    assert ("pw", "grouped", ("add", "cat")) in edges
    assert ("stem", "grouped", ("add", "cat")) in edges and ("stem", "grouped", ("cat",)) in edges
    assert ("stem", "dw", ()) in edges and ("input", "stem", ()) in edges
    assert ("fc", "output", ()) in edges
    pw_edge = next(e for e in trace.layer_edges if e["src"] == "pw" and e["dst"] == "grouped")
    assert pw_edge["via"] == ["add", "relu_1", "cat"] and pw_edge["ops"] == ["add", "relu", "cat"]
    add = next(g for g in trace.graph if g.op == "add")
    assert set(add.inputs) == {"pw", "relu"}
    cat = next(g for g in trace.graph if g.op == "cat")
    assert cat.attrs["kwargs"] == {"dim": 1} and cat.shape == [16, 10, 10]


@pytest.mark.parametrize("recipe", sorted(RECIPES))
def test_every_recipe_is_exact_and_within_bound(recipe):
    torch.manual_seed(2)
    x = torch.randn(4, 3, 10, 10)
    trace = ct.export(_toy(), x, recipe)
    for layer in trace:
        stats = check_layer(layer)
        assert stats["exact"], (recipe, stats)
        assert stats["within_bound"], (recipe, stats)
        if layer.weight.method == "symmetric":  # rounding never clips a max-calibrated tensor
            assert layer.weight.max_error <= 0.5 * layer.weight.scale.max() * (1 + 1e-12)
        if layer.input.clipped == 0:
            assert layer.input.max_error <= 0.5 * layer.input.scale[0] * (1 + 1e-12) or \
                layer.input.method in ("asymmetric", "dfp")


def test_dequantized_last_layer_is_the_quantized_network_output(toy_trace):
    _, _, trace = toy_trace
    last = trace.layers[-1]
    np.testing.assert_allclose(last.dequantized_output(), trace.outputs["quantized"], rtol=1e-5, atol=1e-5)
    # and the quantized network stays close to the float one
    f, q = trace.outputs["float"], trace.outputs["quantized"]
    assert np.linalg.norm(f - q) / np.linalg.norm(f) < 0.05


def test_first_layer_float_output_is_conv_then_batchnorm(toy_trace):
    model, x, trace = toy_trace
    with torch.no_grad():
        ref = model.bn(model.stem(x)).numpy()
    np.testing.assert_allclose(trace["stem"].float_output, ref, rtol=1e-4, atol=1e-5)
    with torch.no_grad():
        np.testing.assert_allclose(trace.outputs["float"], model(x).numpy(), rtol=1e-6, atol=1e-6)


def test_mac_counts_equal_torch_flop_counter(toy_trace):
    from torch.utils.flop_counter import FlopCounterMode

    model, x, trace = toy_trace
    with FlopCounterMode(display=False) as fc, torch.no_grad():
        model(x[:1])
    assert fc.get_total_flops() == 2 * trace.total_macs
    # per layer: conv/linear modules
    counts = fc.get_flop_counts()
    for layer in trace:
        per_module = counts.get(f"Toy.{layer.name}")
        assert per_module is not None, layer.name
        assert sum(per_module.values()) == 2 * layer.macs, layer.name


def test_attention_matmuls_have_two_dynamic_operands():
    from torch.utils.flop_counter import FlopCounterMode

    torch.manual_seed(3)
    model = TinyAttention().eval()
    x = torch.randn(3, 5, 16)
    trace = ct.export(model, x, "int8")
    kinds = {layer.name: layer.kind for layer in trace}
    assert kinds == {"qkv": "linear", "matmul": "matmul", "matmul_1": "matmul", "out": "linear"}
    scores, ctx = trace["matmul"], trace["matmul_1"]
    assert scores.weight is None and scores.input_b is not None
    assert scores.input_shape == (2, 5, 8) and scores.input_b_shape == (2, 8, 5)
    assert scores.output_shape == (2, 5, 5) and scores.macs == 2 * 5 * 8 * 5
    assert not ctx.input.signed  # softmax probabilities
    assert scores.input.signed and scores.input_b.signed
    assert trace["qkv"].input_shape == (5, 16) and trace["qkv"].macs == 5 * 16 * 48
    for layer in trace:
        s = check_layer(layer)
        assert s["exact"] and s["within_bound"], s
    with FlopCounterMode(display=False) as fc, torch.no_grad():
        model(x[:1])
    assert fc.get_total_flops() == 2 * trace.total_macs
    ln = next(g for g in trace.graph if g.op == "layer_norm")
    assert set(ln.arrays) == {"weight", "bias"}


def test_separate_calibration_inputs_and_clipping():
    torch.manual_seed(4)
    x = torch.randn(4, 3, 10, 10)
    trace = ct.export(_toy(), 3 * x, "int8", calib_inputs=x)  # recorded data exceed the range
    assert trace["stem"].input.clipped > 0
    assert trace.provenance["calibration"]["data"] == "separate inputs"
    for layer in trace:
        assert check_layer(layer)["exact"]


def test_pruned_and_mixed_precision_exports(tmp_path):
    torch.manual_seed(5)
    x = torch.randn(3, 3, 10, 10)
    t = ct.export(_toy(), x, "prune-filter")
    pw = t["pw"]
    assert pw.prune_granularity == "filter" and pw.prune_mask.sum() == 6  # 25 % of 8 pruned
    assert pw.effective_macs == pw.macs * 6 // 8
    assert t["stem"].prune_mask is None and t["fc"].prune_mask is None  # first/last kept
    t2 = ct.export(_toy(), x, "filter-mixed")
    assert sorted(set(t2["pw"].weight.bits_map.tolist())) == [4, 8]
    assert t2["stem"].weight.bits_map is None
    custom = {"base": "int8", "weight_bits": {"pw": [2, 3, 4, 5, 6, 7, 8, 8]}}
    t3 = ct.export(_toy(), x, custom)
    assert t3["pw"].weight.bits_map.tolist() == [2, 3, 4, 5, 6, 7, 8, 8]
    for tr in (t, t2, t3):
        tr.save(tmp_path / "x.cimtrace")
        assert trace_differences(tr, ct.load(tmp_path / "x.cimtrace", verify=True)) == []


# ------------------------------------------------------------------------------------------
# errors


class WithLSTM(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.rnn = nn.LSTM(4, 4)

    def forward(self, x):
        return self.rnn(self.fc(x))[0]


class WithConv1d(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(2, 3), nn.Conv1d(2, 2, 3))

    def forward(self, x):
        return self.body(x)


class LoneBatchNorm(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.bn = nn.BatchNorm1d(4)

    def forward(self, x):
        return self.fc(self.bn(x))


class Branchy(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        if x.sum() > 0:
            return self.fc(x)
        return x


class FFT(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        return torch.fft.rfft(self.fc(x)).real


def _msg(exc):
    return " ".join(str(exc.value).split())


def test_unsupported_layer_is_named_with_its_type():
    with pytest.raises(CimsimError) as exc:
        ct.export(WithLSTM(), torch.randn(2, 3, 4))
    assert "layer 'rnn'" in _msg(exc) and "torch.nn.modules.rnn.LSTM" in _msg(exc)
    with pytest.raises(CimsimError) as exc:
        ct.export(WithConv1d(), torch.randn(2, 1, 6, 6))
    assert "layer 'body.2'" in _msg(exc) and "Conv1d" in _msg(exc)
    with pytest.raises(CimsimError) as exc:
        ct.export(FFT(), torch.randn(2, 4))
    assert "rfft" in _msg(exc)


def test_batchnorm_that_cannot_be_folded():
    with pytest.raises(CimsimError) as exc:
        ct.export(LoneBatchNorm().eval(), torch.randn(3, 4))
    assert "layer 'bn'" in _msg(exc) and "BatchNorm1d" in _msg(exc) and "folded" in _msg(exc)


def test_untraceable_model():
    with pytest.raises(CimsimError) as exc:
        ct.export(Branchy(), torch.randn(2, 4))
    assert "Branchy" in _msg(exc) and "torch.fx" in _msg(exc)


def test_bad_arguments():
    with pytest.raises(CimsimError, match="labels should have one entry per sample"):
        ct.export(_toy(), torch.randn(2, 3, 10, 10), labels=[1, 2, 3])
    with pytest.raises(CimsimError, match="unknown quantization recipe"):
        ct.export(_toy(), torch.randn(2, 3, 10, 10), "int7")
    with pytest.raises(CimsimError, match="no conv2d, linear or matmul"):
        ct.export(nn.ReLU(), torch.randn(2, 3))
