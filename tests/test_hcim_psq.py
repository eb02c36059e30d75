"""HCiM partial-sum quantization-aware training (workloads/digits_psq.py): the emulation equals
the simulator, and the ternary-trained digits CNN is within 3 points of its 8-bit ideal
read-out on the simulated ADC-less arrays."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from cimsim.architecture import load_architecture  # noqa: E402
from cimsim.trace.workloads_loader import load_workloads  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TERNARY = str(ROOT / "arch/studies/hcim/ternary.yaml")


@pytest.fixture(scope="module")
def P():
    load_workloads()
    from workloads import digits_psq

    return digits_psq


def test_emulated_partial_sums_and_readout_equal_the_simulator(P):
    from cimsim.kernels.layer import simulate_layer
    from cimsim.mapping.mapper import map_network
    from cimsim.trace.exporter import export
    from workloads.digits import trained

    arch = load_architecture(TERNARY)
    base, info = trained("cnn", 0)
    f = P.fold(base)
    net = P.PSQNet(f, P.Geometry.of(arch), "ternary", "column_cycle")
    xtr = torch.from_numpy(info["x_train"])
    net.calibrate(xtr[:512])
    with torch.no_grad():
        net(xtr[:64])                                   # initialise alpha / center
    x = info["x_test"][:4]
    t = export(f, x, quant="int8", calib_inputs=info["x_train"][:512])
    nm = map_network(t, arch)
    tables = net.tables()
    from cimsim.kernels.readout import SenseAmpTable

    ro = SenseAmpTable("ternary", tables)
    for name in ("conv1", "fc2"):
        L = net.psq[name]
        k = [lay.name for lay in t.layers].index(name)
        layer = t.layers[k]
        assert L.s_x == pytest.approx(float(layer.input.scale[0]), rel=1e-12)
        with torch.no_grad():
            xin = torch.from_numpy(layer.input.values.astype(np.float64) * L.s_x).float()
            if name == "conv1":
                xin = xin.reshape(x.shape)
            xc, _ = L.input_codes(xin)
            assert np.array_equal(xc.numpy().astype(np.int64).reshape(layer.input.values.shape), layer.input.values)
            wc, _, _ = L.weight_codes()
            p, w_cycle, factor, per = L.psums(L.unroll(xc), wc)
            qs = L.recombine(p.contiguous(), w_cycle) * factor[None, :]
            y = L.fold_out(qs.reshape(qs.shape[0], -1, per).sum(-1), xc).numpy()
        r = simulate_layer(layer, nm.layers[k], arch, ro)
        np.testing.assert_allclose(r.int_output, y.reshape(r.int_output.shape), rtol=1e-9, atol=1e-6)


def test_ternary_trained_within_three_points_of_8bit_ideal():
    """The shipped training result (workloads/weights/, made by train_psq; see the study README)."""
    from cimsim.accuracy import hardware_accuracy
    from cimsim.kernels.readout import Ideal
    from cimsim.studies.study import trained_readout
    from workloads.digits import trained

    arch = load_architecture(TERNARY)
    res = trained_readout(arch, "ternary", 0)
    base, info = trained("cnn", 0)
    x, y, cal = info["x_test"], info["y_test"], info["x_train"][:512]
    hw = hardware_accuracy(res.model, x, arch, labels=y, calib=cal, readout=res.readout()).summary()
    ideal = hardware_accuracy(base, x, arch, labels=y, calib=cal, readout=Ideal()).summary()
    print(f"ternary-trained on the arrays {hw['accuracy_hardware']:.4f}, 8-bit ideal read-out "
          f"{ideal['accuracy_hardware']:.4f} (its own ideal read-out {hw['accuracy_quantized']:.4f})")
    assert hw["accuracy_hardware"] >= ideal["accuracy_hardware"] - 0.03
