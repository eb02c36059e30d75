"""LeNet-5 and a small CNN, trained here on scikit-learn's digits (real data, seeded, seconds).

LeNet-5 follows LeCun, Bottou, Bengio, Haffner, "Gradient-based learning applied to document
recognition", Proc. IEEE 86(11), 1998: C1 conv 5x5x6 on 32x32, S2 2x2 pooling, C3 conv
5x5x16, S4 pooling, C5 conv 5x5x120, F6 84, output 10 (modern variant: ReLU and max pooling,
full C3 connectivity, a linear output). The 8x8 digits are resized to 32x32 bilinearly.
"""

from __future__ import annotations

import functools

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from workloads.data import digits


class LeNet5(nn.Module):
    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, 5)
        self.s2 = nn.MaxPool2d(2)
        self.c3 = nn.Conv2d(6, 16, 5)
        self.s4 = nn.MaxPool2d(2)
        self.c5 = nn.Conv2d(16, 120, 5)
        self.f6 = nn.Linear(120, 84)
        self.out = nn.Linear(84, num_classes)

    def forward(self, x):
        x = self.s2(F.relu(self.c1(x)))
        x = self.s4(F.relu(self.c3(x)))
        x = F.relu(self.c5(x))
        x = torch.flatten(x, 1)
        return self.out(F.relu(self.f6(x)))


class DigitsCNN(nn.Module):
    """Three 3x3 convs with batch-norm (folded at export), two poolings, two linears."""

    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(32)
        self.pool1 = nn.MaxPool2d(2)
        self.conv3 = nn.Conv2d(32, 64, 3, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(64)
        self.pool2 = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(64 * 2 * 2, 64)
        self.fc2 = nn.Linear(64, num_classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.pool1(F.relu(self.bn2(self.conv2(x))))
        x = self.pool2(F.relu(self.bn3(self.conv3(x))))
        x = torch.flatten(x, 1)
        return self.fc2(F.relu(self.fc1(x)))


def train(model: nn.Module, x: np.ndarray, y: np.ndarray, seed: int, epochs: int = 20,
          batch: int = 64, lr: float = 5e-3) -> nn.Module:
    """Adam, one-cycle schedule, random shifts; deterministic for a given seed.

    Runs on one thread: these models are too small to gain from more, and on a busy machine
    two threads are several times slower.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _train(model, x, y, seed, epochs, batch, lr)
    finally:
        torch.set_num_threads(threads)


def _train(model, x, y, seed, epochs, batch, lr):
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=1e-4)
    steps = epochs * ((len(xt) + batch - 1) // batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    pad = max(1, x.shape[-1] // 8)
    model.train()
    for _ in range(epochs):
        perm = torch.randperm(len(xt), generator=g)
        for s in range(0, len(xt), batch):
            idx = perm[s:s + batch]
            xb = xt[idx]
            # random translation by up to `pad` pixels
            dx, dy = torch.randint(-pad, pad + 1, (2,), generator=g).tolist()
            xb = torch.roll(F.pad(xb, (pad, pad, pad, pad)), shifts=(dy, dx), dims=(2, 3))[
                :, :, pad:-pad, pad:-pad]
            loss = F.cross_entropy(model(xb), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    return model.eval()


def accuracy(model: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    with torch.no_grad():
        return float((model(torch.from_numpy(x)).argmax(1).numpy() == y).mean())


EPOCHS = {"lenet5": 15, "cnn": 20}


@functools.lru_cache(maxsize=8)
def trained(arch: str, seed: int = 0) -> tuple[nn.Module, dict]:
    """A trained model (cached per process) and its train/test data and float accuracy."""
    size = 32 if arch == "lenet5" else 8
    xtr, ytr, xte, yte = digits(seed, size)
    torch.manual_seed(seed)
    model = LeNet5() if arch == "lenet5" else DigitsCNN()
    with torch.random.fork_rng():
        train(model, xtr, ytr, seed, epochs=EPOCHS[arch])
    info = {"x_train": xtr, "y_train": ytr, "x_test": xte, "y_test": yte,
            "float_test_accuracy": accuracy(model, xte, yte)}
    return model, info
