"""ResNet-20 (CIFAR-10) and ResNet-18 (CIFAR-10 and ImageNet shapes).

ResNet-20: He, Zhang, Ren, Sun, "Deep Residual Learning for Image Recognition", CVPR 2016,
§4.2: 3x3 conv 16, three stages of three basic blocks (16, 32, 64 channels), global average
pooling, FC 10; option A shortcuts (identity, strided subsampling and zero-padded channels).
ResNet-18: same paper, Table 1 (ImageNet: 7x7/2 conv, 3x3/2 max pool, stages of two basic
blocks at 64/128/256/512, 1x1 projection shortcuts, FC 1000, as in torchvision); the CIFAR
variant replaces the stem by a 3x3/1 conv without pooling (the common pytorch-cifar layout).
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


class ShortcutA(nn.Module):
    """Option A: subsample by striding and zero-pad the new channels (no weights)."""

    def __init__(self, pad: int):
        super().__init__()
        self.pad = pad

    def forward(self, x):
        return F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.pad, self.pad))


class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, option: str = "B"):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        if stride == 1 and cin == cout:
            self.shortcut = nn.Identity()
        elif option == "A":
            self.shortcut = ShortcutA((cout - cin) // 2)
        else:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + self.shortcut(x))


class ResNet(nn.Module):
    def __init__(self, widths, blocks, num_classes: int, stem: str, option: str):
        super().__init__()
        if stem == "imagenet":
            self.stem = nn.Sequential(nn.Conv2d(3, widths[0], 7, 2, 3, bias=False),
                                      nn.BatchNorm2d(widths[0]), nn.ReLU(inplace=True),
                                      nn.MaxPool2d(3, 2, 1))
        else:
            self.stem = nn.Sequential(nn.Conv2d(3, widths[0], 3, 1, 1, bias=False),
                                      nn.BatchNorm2d(widths[0]), nn.ReLU(inplace=True))
        stages = []
        cin = widths[0]
        for i, (w, n) in enumerate(zip(widths, blocks)):
            layers = []
            for j in range(n):
                layers.append(BasicBlock(cin, w, 2 if (j == 0 and i > 0) else 1, option))
                cin = w
            stages.append(nn.Sequential(*layers))
        self.layer1, self.layer2, self.layer3 = stages[:3]
        self.layer4 = stages[3] if len(stages) > 3 else nn.Identity()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, num_classes)

    def forward(self, x):
        x = self.stem(x)
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.pool(x), 1))


def resnet20(num_classes: int = 10) -> ResNet:
    return ResNet([16, 32, 64], [3, 3, 3], num_classes, "cifar", "A")


def resnet18(num_classes: int = 10, stem: str = "cifar") -> ResNet:
    return ResNet([64, 128, 256, 512], [2, 2, 2, 2], num_classes, stem, "B")
