"""Workloads: model definitions with their inputs, for ``cimsim export WORKLOAD``.

Each :class:`Workload` builds a model (trained here, or seeded with realistic statistics),
the inputs to record and, where they exist, labels and separate calibration inputs, and says
where all of them come from. ``WORKLOADS[name].export(samples=..., quant=...)`` returns a
:class:`cimsim.trace.Trace`.

This directory is importable as the package ``workloads`` when the repository root is on
``sys.path``; the ``cimsim export`` command finds it on its own (see
:func:`cimsim.trace.workloads_loader.load_workloads`). Needs torch and scikit-learn.

===================== ======================================================= ============
name                  model                                                   weights
===================== ======================================================= ============
lenet5-digits         LeNet-5 (LeCun 1998), digits resized to 32x32          trained here
cnn-digits            3-conv CNN with batch-norm, 8x8 digits                  trained here
vgg8-cifar10          VGG-8 as NeuroSim defines it, 32x32x3                   seeded
resnet20-cifar10      ResNet-20 (He 2016, option A shortcuts)                 seeded
resnet18-cifar10      ResNet-18, CIFAR stem                                   seeded
resnet18-imagenet     ResNet-18, ImageNet 224x224                             seeded
mobilenetv2-imagenet  MobileNetV2 1.0 (depthwise), ImageNet 224x224           seeded
bert-base-block       one BERT-base encoder block, 128 tokens                 seeded (BERT init)
===================== ======================================================= ============
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

__all__ = ["WORKLOADS", "Prepared", "Workload", "get", "load_weights"]


@dataclass
class Prepared:
    model: Any  # torch.nn.Module
    inputs: np.ndarray
    labels: np.ndarray | None = None
    calib: np.ndarray | None = None
    provenance: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Workload:
    name: str
    description: str
    source: str
    input_shape: tuple[int, ...]
    default_samples: int
    weights: str
    data: str
    make: Callable[[int, int], Prepared]
    default_quant: str = "int8"
    large: bool = False

    def prepare(self, samples: int | None = None, seed: int = 0, weights: str | None = None,
                inputs: np.ndarray | None = None, labels: np.ndarray | None = None) -> Prepared:
        """Model and inputs; ``weights`` (a .safetensors or .pt state dict) and ``inputs`` replace
        the workload's own."""
        n = int(samples or self.default_samples)
        p = self.make(n, seed)
        prov = {"workload": self.name, "description": self.description, "model_source": self.source,
                "weights": self.weights, "data": self.data, "seed": seed, "samples": n}
        if weights is not None:
            load_weights(p.model, weights)
            prov["weights"] = f"loaded from {Path(weights).name} (user supplied)"
        if inputs is not None:
            p.inputs = np.asarray(inputs, dtype=np.float32)[:n] if samples else np.asarray(inputs, np.float32)
            p.labels = None if labels is None else np.asarray(labels)[: len(p.inputs)]
            p.calib = None
            prov["data"] = "user supplied inputs"
            prov["samples"] = int(len(p.inputs))
        prov.update(p.provenance)
        p.provenance = prov
        return p

    def export(self, samples: int | None = None, quant=None, seed: int = 0, weights: str | None = None,
               inputs: np.ndarray | None = None, labels: np.ndarray | None = None, **kwargs):
        """Export this workload to a :class:`cimsim.trace.Trace`."""
        from cimsim.trace import export

        p = self.prepare(samples, seed, weights, inputs, labels)
        return export(p.model, p.inputs, quant or self.default_quant, labels=p.labels,
                      calib_inputs=p.calib, name=self.name, provenance=p.provenance, **kwargs)


def load_weights(model, path: str) -> None:
    """Load a state dict from ``.safetensors`` or a torch file (``weights_only=True``)."""
    import torch

    from cimsim.errors import CimsimError

    path = str(path)
    try:
        if path.endswith(".safetensors"):
            from safetensors.torch import load_file

            state = load_file(path)
        else:
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - report any reader failure the same way
        raise CimsimError(f"weights file '{path}' cannot be read ({type(exc).__name__}: {exc})") from None
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise CimsimError(f"weights file '{path}' does not match the model "
                          f"{type(model).__name__}: {' '.join(str(exc).split())[:400]}") from None


# ---------------------------------------------------------------------------------------------
# builders (torch imported lazily so that listing workloads stays cheap)


def _digits(arch: str):
    def make(n: int, seed: int) -> Prepared:
        from workloads.digits import trained

        model, info = trained(arch, seed)
        return Prepared(model=model, inputs=info["x_test"][:n], labels=info["y_test"][:n],
                        calib=info["x_train"][:512],
                        provenance={"float_test_accuracy_full": info["float_test_accuracy"],
                                    "test_set_size": int(len(info["y_test"])),
                                    "calibration_data": "first 512 training images"})
    return make


def _images(build: Callable[[], Any], size: int, dataset: str, n_bn: int, n_cal: int):
    def make(n: int, seed: int) -> Prepared:
        import torch

        from workloads.data import photo_crops
        from workloads.init import realistic

        torch.manual_seed(seed)
        model = build()
        realistic(model, torch.from_numpy(photo_crops(n_bn, size, seed + 1000, dataset)), seed)
        return Prepared(model=model, inputs=photo_crops(n, size, seed, dataset),
                        calib=photo_crops(n_cal, size, seed + 2000, dataset),
                        provenance={"batchnorm_statistics": f"{n_bn} crops (seed {seed + 1000})",
                                    "calibration_data": f"{n_cal} other crops (seed {seed + 2000})"})
    return make


def _bert(n: int, seed: int) -> Prepared:
    import torch

    from workloads.data import text_tokens
    from workloads.transformer import EncoderBlock, bert_init_, embed

    torch.manual_seed(seed)
    model = bert_init_(EncoderBlock(), seed).eval()
    x = embed(text_tokens(n, 128, seed), 768, seed).numpy()
    cal = embed(text_tokens(8, 128, seed + 2000), 768, seed).numpy()
    return Prepared(model=model, inputs=x, calib=cal,
                    provenance={"calibration_data": "8 other token windows"})


def _vgg8():
    from workloads.vgg import VGG8
    return VGG8()


def _resnet20():
    from workloads.resnet import resnet20
    return resnet20()


def _resnet18c():
    from workloads.resnet import resnet18
    return resnet18(10, "cifar")


def _resnet18i():
    from workloads.resnet import resnet18
    return resnet18(1000, "imagenet")


def _mbv2():
    from workloads.mobilenet import MobileNetV2
    return MobileNetV2()


_DIGITS_DATA = ("scikit-learn load_digits (1,797 real 8x8 handwritten digits), stratified 80/20 "
                "split; recorded samples are the first test images")
_PHOTO = ("random crops of scikit-learn's two sample photos (china.jpg, flower.jpg), resized and "
          "normalised with {} statistics: real images, not {}")
def _seeded() -> str:
    return ("seeded initialisation, not trained: conv/linear weights Laplace with He variance; "
            "batch-norm affine seeded, running statistics measured on real inputs, folded at export; "
            "activations from real forward passes (see workloads/init.py)")


WORKLOADS: dict[str, Workload] = {w.name: w for w in [
    Workload("lenet5-digits", "LeNet-5 on scikit-learn digits resized to 32x32",
             "LeCun et al., Proc. IEEE 86(11) 1998", (1, 32, 32), 50,
             "trained here: Adam, one-cycle, 15 epochs, seeded (workloads/digits.py)", _DIGITS_DATA,
             _digits("lenet5")),
    Workload("cnn-digits", "small CNN (3 conv + batch-norm, 2 linear) on 8x8 scikit-learn digits",
             "this repository (workloads/digits.py)", (1, 8, 8), 50,
             "trained here: Adam, one-cycle, 20 epochs, seeded (workloads/digits.py)", _DIGITS_DATA,
             _digits("cnn")),
    Workload("vgg8-cifar10", "VGG-8 as DNN+NeuroSim defines it (CIFAR-10 shape)",
             "DNN+NeuroSim V1.x VGG-8; cim-models.md §8", (3, 32, 32), 2, _seeded(),
             _PHOTO.format("CIFAR-10", "CIFAR-10"), _images(_vgg8, 32, "cifar10", 64, 16)),
    Workload("resnet20-cifar10", "ResNet-20 for CIFAR-10 (option A shortcuts)",
             "He et al., CVPR 2016 §4.2", (3, 32, 32), 4, _seeded(),
             _PHOTO.format("CIFAR-10", "CIFAR-10"), _images(_resnet20, 32, "cifar10", 64, 16)),
    Workload("resnet18-cifar10", "ResNet-18, CIFAR-10 shape (3x3 stem, projection shortcuts)",
             "He et al., CVPR 2016 Table 1; pytorch-cifar layout", (3, 32, 32), 4, _seeded(),
             _PHOTO.format("CIFAR-10", "CIFAR-10"), _images(_resnet18c, 32, "cifar10", 64, 16)),
    Workload("resnet18-imagenet", "ResNet-18, ImageNet shape 224x224",
             "He et al., CVPR 2016 Table 1; torchvision layout", (3, 224, 224), 2, _seeded(),
             _PHOTO.format("ImageNet", "ImageNet"), _images(_resnet18i, 224, "imagenet", 16, 4),
             large=True),
    Workload("mobilenetv2-imagenet", "MobileNetV2 1.0 (depthwise separable), ImageNet 224x224",
             "Sandler et al., CVPR 2018 Table 2; torchvision layout", (3, 224, 224), 2, _seeded(),
             _PHOTO.format("ImageNet", "ImageNet"), _images(_mbv2, 224, "imagenet", 16, 4),
             large=True),
    Workload("bert-base-block", "one BERT-base encoder block (768 hidden, 12 heads, FFN 3072), "
             "128 tokens; attention matmuls have two dynamic operands",
             "Devlin et al., NAACL 2019", (128, 768), 2,
             "seeded BERT initialisation N(0, 0.02), zero biases, unit layer norms; not trained",
             "scikit-learn's bundled dataset descriptions (English text), words hashed to 30,522 ids, "
             "seeded N(0, 0.02) token and position embeddings, layer-normed", _bert, large=True),
]}


def get(name: str) -> Workload:
    from cimsim.errors import CimsimError

    if name not in WORKLOADS:
        raise CimsimError(f"unknown workload '{name}'; known workloads: {sorted(WORKLOADS)}")
    return WORKLOADS[name]
