"""Inputs available without downloads: scikit-learn's bundled digits, sample photos and texts.

* :func:`digits` - the 1,797 8x8 handwritten digits (UCI optdigits test set bundled with
  scikit-learn), scaled to [0, 1], split 80/20 stratified and seeded.
* :func:`photo_crops` - random crops of the two photos bundled with scikit-learn
  (``china.jpg``, ``flower.jpg``, 427x640 RGB), resized to CIFAR-10 (32x32) or ImageNet
  (224x224) shape and normalised with that dataset's channel statistics. Real natural-image
  statistics, not the target dataset: accuracy on them is meaningless, activations are real.
* :func:`text_tokens` - words of the dataset descriptions bundled with scikit-learn, hashed to
  BERT-base's 30,522-token vocabulary (English text; the ids are not WordPiece ids).
"""

from __future__ import annotations

import re
import zlib

import numpy as np

CIFAR_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR_STD = (0.2470, 0.2435, 0.2616)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def digits(seed: int = 0, size: int = 8):
    """(x_train, y_train, x_test, y_test); x is float32 [N, 1, size, size] in [0, 1].

    ``size`` other than 8 resizes bilinearly (LeNet-5 takes 32x32).
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    x = (d.images / 16.0).astype(np.float32)[:, None]
    y = d.target.astype(np.int64)
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.2, random_state=seed, stratify=y)
    if size != 8:
        xtr, xte = _resize(xtr, size), _resize(xte, size)
    return xtr, ytr, xte, yte


def _resize(x: np.ndarray, size: int) -> np.ndarray:
    import torch
    import torch.nn.functional as F

    t = F.interpolate(torch.from_numpy(x), size=(size, size), mode="bilinear", align_corners=False)
    return t.numpy().astype(np.float32)


def photo_crops(n: int, size: int, seed: int, dataset: str = "cifar10") -> np.ndarray:
    """``n`` random square crops (side 1/8 to 2/3 of the short edge, random flip) of the two
    scikit-learn sample photos, resized to ``size`` and normalised: float32 [n, 3, size, size]."""
    import torch
    import torch.nn.functional as F
    from sklearn.datasets import load_sample_images

    imgs = [np.asarray(im, dtype=np.float32) / 255.0 for im in load_sample_images().images]
    rng = np.random.default_rng(seed)
    mean, std = (CIFAR_MEAN, CIFAR_STD) if dataset == "cifar10" else (IMAGENET_MEAN, IMAGENET_STD)
    out = np.empty((n, 3, size, size), dtype=np.float32)
    for i in range(n):
        im = imgs[int(rng.integers(len(imgs)))]
        h, w, _ = im.shape
        lo = max(8, min(h, w) // 8) if size <= 64 else min(size, min(h, w))
        hi = max(lo, (2 * min(h, w)) // 3) if size <= 64 else min(h, w)
        side = int(rng.integers(lo, hi + 1))
        top, left = int(rng.integers(0, h - side + 1)), int(rng.integers(0, w - side + 1))
        crop = torch.from_numpy(np.ascontiguousarray(im[top:top + side, left:left + side].transpose(2, 0, 1)))
        crop = F.interpolate(crop[None], size=(size, size), mode="bilinear", align_corners=False,
                             antialias=True)[0]
        if rng.random() < 0.5:
            crop = crop.flip(-1)
        out[i] = ((crop.numpy() - np.asarray(mean, np.float32)[:, None, None])
                  / np.asarray(std, np.float32)[:, None, None])
    return out


def text_tokens(n: int, seq_len: int, seed: int, vocab: int = 30522) -> np.ndarray:
    """``n`` windows of ``seq_len`` token ids (int64) from scikit-learn's bundled descriptions."""
    from sklearn import datasets

    text = " ".join(getattr(datasets, f)().DESCR for f in
                    ("load_digits", "load_iris", "load_wine", "load_breast_cancer", "load_diabetes"))
    words = re.findall(r"[A-Za-z]+|[0-9]+|[^\sA-Za-z0-9]", text)
    ids = np.array([zlib.crc32(w.lower().encode()) % (vocab - 1000) + 1000 for w in words], dtype=np.int64)
    rng = np.random.default_rng(seed)
    starts = rng.integers(0, len(ids) - seq_len, size=n)
    return np.stack([ids[s:s + seq_len] for s in starts])
