"""VGG-8 for CIFAR-10 as DNN+NeuroSim defines it.

Layer list (NeuroSim V1.x ``Inference_pytorch/models/VGG.py`` and cim-models.md §8):
conv 3->128, conv 128->128, pool, conv 128->256, conv 256->256, pool, conv 256->512,
conv 512->512, pool, FC 8192->1024, FC 1024->10; 3x3 kernels, 'same' padding, ReLU.
NeuroSim's network has no batch-norm (it is trained with WAGE); this one has batch-norm after
each conv to set realistic activation statistics, folded away at export, so the exported
geometry is NeuroSim's.
"""

from __future__ import annotations

import torch
import torch.nn as nn

CFG = [(3, 128, False), (128, 128, True), (128, 256, False), (256, 256, True),
       (256, 512, False), (512, 512, True)]


class VGG8(nn.Module):
    def __init__(self, num_classes: int = 10):
        super().__init__()
        layers: list[nn.Module] = []
        for cin, cout, pool in CFG:
            layers += [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
                       nn.ReLU(inplace=True)]
            if pool:
                layers.append(nn.MaxPool2d(2))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Linear(8192, 1024), nn.ReLU(inplace=True),
                                        nn.Linear(1024, num_classes))

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))
