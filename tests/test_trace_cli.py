"""``cimsim export`` and ``cimsim trace`` on the command line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cimsim.cli import main
from cimsim.trace.synthetic import random_trace


def test_trace_command_shows_and_verifies(tmp_path, capsys):
    p = tmp_path / "r.cimtrace"
    random_trace(0).save(p)
    assert main(["trace", str(p), "--verify"]) == 0
    out = capsys.readouterr().out
    assert "5 layers" in out and "grouped" in out and "verified exactly" in out
    assert main(["trace", str(p), "--json"]) == 0
    assert '"total_macs"' in capsys.readouterr().out


def test_trace_command_reports_a_damaged_file(tmp_path, capsys):
    p = tmp_path / "bad.cimtrace"
    p.write_bytes(b"PK\x03\x04 not really")
    assert main(["trace", str(p)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: trace file") and "bad.cimtrace" in err


def test_export_lists_workloads_and_recipes(capsys):
    assert main(["export", "--list"]) == 0
    out = capsys.readouterr().out
    assert "vgg8-cifar10" in out and "bert-base-block" in out
    assert main(["export", "--list-recipes"]) == 0
    out = capsys.readouterr().out
    assert "wage8" in out and "dfp8" in out and "source:" in out


def test_export_unknown_workload_and_recipe(capsys):
    pytest.importorskip("torch")
    assert main(["export", "alexnet", "-o", "x.cimtrace"]) == 2
    assert "unknown workload 'alexnet'" in capsys.readouterr().err
    assert main(["export", "cnn-digits", "-q", "int7"]) == 2
    assert "unknown quantization recipe 'int7'" in capsys.readouterr().err


def test_export_writes_a_verified_trace(tmp_path, capsys):
    pytest.importorskip("torch")
    pytest.importorskip("sklearn")
    out = tmp_path / "traces" / "digits.cimtrace"
    assert main(["export", "cnn-digits", "-o", str(out), "-n", "8", "-q", "dfp8",
                 "--wbits", "6", "--verify"]) == 0
    text = capsys.readouterr().out
    assert f"wrote {out}" in text and "verified" in text and "accuracy" in text
    from cimsim.trace import load

    t = load(out)
    assert t.sample_count == 8 and t.layers[0].weight.bits == 6
    assert t.provenance["quantizer"].startswith("dfp8") and t.provenance["workload"] == "cnn-digits"
    assert [p.name for p in Path(out).parent.iterdir()] == ["digits.cimtrace"]


def test_export_unsupported_user_model(tmp_path, capsys):
    pytest.importorskip("torch")
    user = tmp_path / "m.py"
    user.write_text(
        "import torch\n"
        "class M(torch.nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.emb = torch.nn.Embedding(10, 4)\n"
        "        self.fc = torch.nn.Linear(4, 2)\n"
        "    def forward(self, x):\n"
        "        return self.fc(self.emb(x))\n"
        "def build():\n"
        "    return M(), torch.zeros(2, 3)\n")
    assert main(["export", f"{user}:build", "-o", str(tmp_path / "m.cimtrace")]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "layer 'emb'" in err and "Embedding" in err and "not supported" in err


def test_workload_trace_exports_once_then_uses_the_cache(tmp_path, monkeypatch):
    pytest.importorskip("torch")
    pytest.importorskip("sklearn")
    import cimsim.trace as ct

    monkeypatch.setenv("CIMSIM_TRACE_CACHE", str(tmp_path))
    t1 = ct.workload_trace("cnn-digits", samples=4)
    files = list(tmp_path.iterdir())
    assert [f.name for f in files] == ["cnn-digits-int8-n4-s0.cimtrace"]
    mtime = files[0].stat().st_mtime_ns
    t2 = ct.workload_trace("cnn-digits", samples=4)
    assert t2.path == str(files[0]) and files[0].stat().st_mtime_ns == mtime
    assert t2.sample_count == 4 and np.array_equal(t1.layers[0].int_output, t2.layers[0].int_output)
