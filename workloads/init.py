"""Seeded initialisation with realistic statistics, for models without downloadable weights.

What "realistic" means here (each an assumption, recorded in the trace's provenance):

* conv / linear weights: zero-mean Laplace with He (Kaiming) variance ``2 / fan_in``. Trained
  CNN weights are bell-shaped and heavier-tailed than a Gaussian (Banner, Nahshan, Soudry,
  "Post training 4-bit quantization of convolutional networks for rapid-deployment",
  NeurIPS 2019, model them as Laplace or Gaussian); the tails matter for max-calibrated
  quantizers.
* batch-norm: affine ``gamma ~ U(0.5, 1.5)``, ``beta ~ N(0, 0.1)`` (drawn from the seed), and
  running statistics measured by real forward passes over the available inputs (cumulative
  average), so that each folded layer sees the activation distribution it would produce.
  The exporter then folds every batch-norm into the conv before it.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn


def laplace_kaiming_(model: nn.Module, seed: int) -> nn.Module:
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            fan_in = m.weight[0].numel()
            b = math.sqrt(2.0 / fan_in) / math.sqrt(2.0)  # Laplace std = b * sqrt(2)
            u = torch.rand(m.weight.shape, generator=g) - 0.5
            # torch.rand can return exactly 0 (u = -1/2, an infinite weight): move that one
            # draw to the nearest interior point; every other draw is unchanged.
            u.clamp_(min=-0.5 + 2.0**-25)
            with torch.no_grad():
                m.weight.copy_(-b * torch.sign(u) * torch.log1p(-2 * u.abs()))
                if m.bias is not None:
                    m.bias.zero_()
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            with torch.no_grad():
                m.weight.copy_(0.5 + torch.rand(m.weight.shape, generator=g))
                m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=g))
    return model


def calibrate_batchnorm(model: nn.Module, x: torch.Tensor, batch: int = 64) -> nn.Module:
    """Set every batch-norm's running statistics from forward passes over ``x``."""
    bns = [m for m in model.modules() if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d))]
    saved = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative moving average
    model.train()
    with torch.no_grad():
        for s in range(0, len(x), batch):
            model(x[s:s + batch])
    for m, mom in zip(bns, saved):
        m.momentum = mom
    return model.eval()


def realistic(model: nn.Module, calib: torch.Tensor, seed: int) -> nn.Module:
    """Laplace-Kaiming weights and batch-norm statistics measured on ``calib``."""
    laplace_kaiming_(model, seed)
    return calibrate_batchnorm(model, calib)

