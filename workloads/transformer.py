"""One transformer encoder block at BERT-base sizes.

Devlin, Chang, Lee, Toutanova, "BERT: Pre-training of Deep Bidirectional Transformers for
Language Understanding", NAACL 2019: hidden 768, 12 heads of 64, feed-forward 3072, GELU,
post-layer-norm residual blocks; initialisation N(0, 0.02) for weights and embeddings, zero
biases, unit layer norms (BERT's published initialiser; no pre-trained weights here).

The query, key, value, attention-output and feed-forward projections are ``nn.Linear`` (static
weights, mapped to arrays); ``Q K^T`` and ``softmax(.) V`` are ``torch.matmul`` of two
activations, exported as ``matmul`` layers with two dynamic operands.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class SelfAttention(nn.Module):
    def __init__(self, hidden: int = 768, heads: int = 12):
        super().__init__()
        self.heads, self.head_dim = heads, hidden // heads
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)
        self.dense = nn.Linear(hidden, hidden)
        self.norm = nn.LayerNorm(hidden, eps=1e-12)

    def split(self, x):
        n, s, _ = x.shape
        return x.view(n, s, self.heads, self.head_dim).permute(0, 2, 1, 3)

    def forward(self, x):
        q, k, v = self.split(self.query(x)), self.split(self.key(x)), self.split(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim)
        probs = F.softmax(scores, dim=-1)
        ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous()
        ctx = ctx.view(ctx.shape[0], ctx.shape[1], -1)
        return self.norm(x + self.dense(ctx))


class FeedForward(nn.Module):
    def __init__(self, hidden: int = 768, inner: int = 3072):
        super().__init__()
        self.intermediate = nn.Linear(hidden, inner)
        self.output = nn.Linear(inner, hidden)
        self.norm = nn.LayerNorm(hidden, eps=1e-12)

    def forward(self, x):
        return self.norm(x + self.output(F.gelu(self.intermediate(x))))


class EncoderBlock(nn.Module):
    def __init__(self, hidden: int = 768, heads: int = 12, inner: int = 3072):
        super().__init__()
        self.attention = SelfAttention(hidden, heads)
        self.ffn = FeedForward(hidden, inner)

    def forward(self, x):
        return self.ffn(self.attention(x))


def bert_init_(model: nn.Module, seed: int, std: float = 0.02) -> nn.Module:
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.Linear):
            with torch.no_grad():
                m.weight.copy_(std * torch.randn(m.weight.shape, generator=g))
                m.bias.zero_()
    return model


def embed(tokens, hidden: int, seed: int, vocab: int = 30522, std: float = 0.02) -> torch.Tensor:
    """BERT-style input: token + position embeddings (N(0, 0.02), seeded), then layer norm."""
    g = torch.Generator().manual_seed(seed + 1)
    tok = std * torch.randn(vocab, hidden, generator=g)
    pos = std * torch.randn(512, hidden, generator=g)
    t = torch.as_tensor(tokens)
    x = tok[t] + pos[: t.shape[1]][None]
    return F.layer_norm(x, (hidden,), eps=1e-12)
