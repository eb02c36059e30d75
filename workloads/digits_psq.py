"""Partial-sum quantization-aware training (HCiM) of the digits CNN: binary or ternary column
read-outs with learned scale factors, so that the ADC-less accuracy cimsim reports is real.

HCiM (Negi, Saxena, Sharma, Roy, arXiv 2403.13577) trains the network with its crossbar
partial sums quantized to binary or ternary values with trainable scale factors; this module
does the same for the digits CNN of :mod:`workloads.digits` on a given architecture's
crossbars, emulating exactly what :func:`cimsim.kernels.layer.simulate_layer` computes:

- the batch-norms are folded into the convolutions (as the exporter does), and weights and
  inputs are fake-quantized with the int8 recipe (per-channel symmetric weights, +-127;
  per-tensor unsigned inputs, scale max/255 calibrated layer by layer on the first 512
  training images, each layer on the quantized network's activations: the exporter's rule);
- every layer's integer input codes are split into bit-serial cycles (``input_bits_per_cycle``
  bits each) and its weight codes into the architecture's cell digits with cimsim's own
  encoder (:mod:`cimsim.mapping.encodings`, same column order), the unrolled rows into row
  groups of ``rows_active``; the partial sum of cycle i, row group a, digit column j is
  ``p = sum_r x_(i,r) (d_(r,j) - ref_j)`` (exact integers);
- each partial sum is read as ``q = center + alpha * t`` with
  ``t = clamp(round((p - center)/alpha), -1, 1)`` (ternary) or ``clamp(..., 0, 1)`` (binary),
  ``alpha`` and ``center`` learned per (cycle, row group, digit column) (granularity
  ``column_cycle``; ``column`` shares them over cycles), LSQ-style (Esser et al., ICLR 2020:
  straight-through rounding, gradients to alpha and center through the quantizer);
- outputs are recombined ``y = sum 2^(d i) f_j q`` as the shift-add / DCiM does, dequantized
  and passed on;
- gradients to weights and inputs use the straight-through estimator over the whole
  read-out: ``y = y_hw + (y_ideal - stopgrad(y_ideal))``.

Training (assumption: the schedule is this repository's; HCiM's is not in the abstract):
start from the float network trained by :func:`workloads.digits.trained`, initialise
``center`` and ``alpha`` on the calibration images (mean and 2 mean|p - mean|, refined by
Lloyd-Max iterations), fine-tune weights and read-out parameters with Adam (one-cycle,
``epochs`` = 20), recalibrating the input scales each epoch, with a curriculum: the layer
output blends ideal and quantized read-outs, ``(1 - lam) y_ideal + lam y_hw``, ``lam`` rising
linearly from 0 to 1 over the first ``anneal`` = 30 % of the steps; then recalibrate once more
and train the read-out parameters alone for ``head_epochs`` with the weights frozen, so that
the scales cimsim's exporter computes for the final weights equal the ones the read-out was
trained at. Without the curriculum the ternary network reached 95.6 % (15 epochs), with it
97.5 % (emulated, digits test set, seed 0); 2's-complement crossbars reached 65 % (10 epochs).

``train_psq(arch, levels)`` returns the folded model (what ``cimsim accuracy`` runs) and the
trained tables for :class:`cimsim.kernels.readout.SenseAmpTable`.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from numba import njit, prange

from cimsim.errors import CimsimError


class FoldedCNN(nn.Module):
    """The digits CNN with its batch-norms folded into the convolutions (same layer names)."""

    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.pool1 = nn.MaxPool2d(2)
        self.conv3 = nn.Conv2d(32, 64, 3, padding=1)
        self.pool2 = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(64 * 2 * 2, 64)
        self.fc2 = nn.Linear(64, num_classes)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = self.pool1(F.relu(self.conv2(x)))
        x = self.pool2(F.relu(self.conv3(x)))
        x = torch.flatten(x, 1)
        return self.fc2(F.relu(self.fc1(x)))

    def layers(self):
        return [self.conv1, self.conv2, self.conv3, self.fc1, self.fc2]


LAYER_NAMES = ("conv1", "conv2", "conv3", "fc1", "fc2")


def fold(model) -> FoldedCNN:
    """Fold the batch-norms of a :class:`workloads.digits.DigitsCNN` (float64 arithmetic, as
    the exporter's ``_fold_batchnorm``)."""
    out = FoldedCNN()
    with torch.no_grad():
        for conv, bn, dst in ((model.conv1, model.bn1, out.conv1), (model.conv2, model.bn2, out.conv2),
                              (model.conv3, model.bn3, out.conv3)):
            w = conv.weight.detach().double()
            b = conv.bias.detach().double() if conv.bias is not None else torch.zeros(w.shape[0], dtype=torch.float64)
            inv = 1.0 / torch.sqrt(bn.running_var.double() + bn.eps)
            g = bn.weight.detach().double() * inv
            dst.weight.copy_((w * g.reshape(-1, 1, 1, 1)).float())
            dst.bias.copy_(((b - bn.running_mean.double()) * g + bn.bias.detach().double()).float())
        out.fc1.load_state_dict(model.fc1.state_dict())
        out.fc2.load_state_dict(model.fc2.state_dict())
    return out.eval()


# ---------------------------------------------------------------------------------------------
# The hardware geometry, from an architecture


@dataclass(frozen=True)
class Geometry:
    rows_active: int
    bits_per_cell: int
    input_bits_per_cycle: int
    encoding: str
    offset_correction: str
    weight_bits: int = 8
    input_bits: int = 8

    @classmethod
    def of(cls, arch) -> "Geometry":
        nf = arch.spec.chip.number_format
        if nf.input_encoding != "bit_serial":
            raise CimsimError(f"{arch.origins.root_file}: chip.number_format.input_encoding: partial-sum training "
                              f"emulates bit-serial inputs; found '{nf.input_encoding}'")
        return cls(arch.arrays.active_rows, arch.arrays.bits_per_cell, nf.input_bits_per_cycle,
                   nf.weight_encoding, nf.offset_correction)

    @property
    def cycles(self) -> int:
        return math.ceil(self.input_bits / self.input_bits_per_cycle)


def _encode(wq: np.ndarray, g: Geometry):
    """Integer weight matrix (K x N) -> digits (K x J), factors (J,), reference (J,), per output."""
    from cimsim.mapping.encodings import get_encoding

    e = get_encoding(g.encoding, g.offset_correction).encode(wq, g.weight_bits, g.bits_per_cell)
    if e.input_correction:
        raise CimsimError("partial-sum training: offset encoding with digital correction is not emulated; "
                          "use a reference column or another encoding")
    per = e.digits.shape[1] // wq.shape[1]
    return e.digits.astype(np.float32), e.column_factor.astype(np.float64), e.reference_digit.astype(np.float32), per


@njit(cache=True, parallel=True)
def _psq_forward(p, alpha, center, w_cycle, lo, out):
    """out[m, j] = sum_(i, a) w_i (center + alpha t), t = +1 if v > 1/2, -1 (ternary, lo = -1)
    if v < -1/2, else 0, v = (p - center) / alpha: the kernel's thresholds center +- alpha/2."""
    I, M, A, J = p.shape
    per_cycle = alpha.shape[0] > 1
    neg = 1.0 if lo < 0 else 0.0
    inv = 1.0 / alpha
    for m in prange(M):
        o = out[m]
        for i in range(I):
            ii = i if per_cycle else 0
            wi = w_cycle[i]
            for a in range(A):
                pr = p[i, m, a]
                al = alpha[ii, a]
                ce = center[ii, a]
                iv = inv[ii, a]
                for j in range(J):
                    v = (pr[j] - ce[j]) * iv[j]
                    t = (1.0 if v > 0.5 else 0.0) - neg * (1.0 if v < -0.5 else 0.0)
                    o[j] += wi * (ce[j] + al[j] * t)


@njit(cache=True, parallel=True)
def _psq_backward(p, alpha, center, w_cycle, lo, g, ga, gc):
    """LSQ gradients (Esser et al., ICLR 2020): dq/dalpha = t - v inside the range, t outside
    (clipped); dq/dcenter = 0 inside, 1 outside; summed over m with the output gradient g."""
    I, M, A, J = p.shape
    per_cycle = alpha.shape[0] > 1
    neg = 1.0 if lo < 0 else 0.0
    inv = 1.0 / alpha
    T = 8
    step = (M + T - 1) // T
    gat = np.zeros((T,) + ga.shape)
    gct = np.zeros((T,) + gc.shape)
    for t_ in prange(T):
        ga_t = gat[t_]
        gc_t = gct[t_]
        for m in range(t_ * step, min(M, (t_ + 1) * step)):
            gm = g[m]
            for i in range(I):
                ii = i if per_cycle else 0
                wi = w_cycle[i]
                for a in range(A):
                    pr = p[i, m, a]
                    ce = center[ii, a]
                    iv = inv[ii, a]
                    gar = ga_t[ii, a]
                    gcr = gc_t[ii, a]
                    for j in range(J):
                        gw = gm[j] * wi
                        v = (pr[j] - ce[j]) * iv[j]
                        t = (1.0 if v > 0.5 else 0.0) - neg * (1.0 if v < -0.5 else 0.0)
                        clipped = 1.0 if (v > 1.0 or v < lo) else 0.0
                        gar[j] += gw * (t - v * (1.0 - clipped))
                        gcr[j] += gw * clipped
    for t_ in range(T):
        ga += gat[t_]
        gc += gct[t_]


class _PSQReadout(torch.autograd.Function):
    """Quantize partial sums p [I, M, A, J] and recombine over cycles and row groups into
    [M, J] (float64), fused in Numba; gradients to alpha and center only (p is data)."""

    @staticmethod
    def forward(ctx, p, alpha, center, w_cycle, lo):
        pn = p.numpy()
        an, cn = alpha.detach().double().numpy(), center.detach().double().numpy()
        out = np.zeros((pn.shape[1], pn.shape[3]))
        _psq_forward(pn, an, cn, w_cycle, lo, out)
        ctx.save_for_backward(p)
        ctx.an, ctx.cn, ctx.w_cycle, ctx.lo = an, cn, w_cycle, lo
        return torch.from_numpy(out)

    @staticmethod
    def backward(ctx, g):
        (p,) = ctx.saved_tensors
        ga, gc = np.zeros_like(ctx.an), np.zeros_like(ctx.cn)
        _psq_backward(p.numpy(), ctx.an, ctx.cn, ctx.w_cycle, ctx.lo, np.ascontiguousarray(g.double().numpy()), ga, gc)
        return None, torch.from_numpy(ga).float(), torch.from_numpy(gc).float(), None, None


class PSQLayer:
    """Per-layer state: input scale, read-out parameters (alpha, center), geometry."""

    def __init__(self, name: str, module: nn.Module, g: Geometry, levels: str, granularity: str):
        self.name, self.module, self.g, self.levels, self.granularity = name, module, g, levels, granularity
        self.s_x: float | None = None
        # alpha = alpha0 exp(u), center = center0 + alpha0 v: u, v learned, so that one learning
        # rate suits every column whatever its partial-sum range.
        self.alpha0: torch.Tensor | None = None
        self.center0: torch.Tensor | None = None
        self.u: nn.Parameter | None = None
        self.v: nn.Parameter | None = None

    @property
    def alpha(self):
        return self.alpha0 * torch.exp(self.u)

    @property
    def center(self):
        return self.center0 + self.alpha0 * self.v

    # -- quantizers -----------------------------------------------------------------------
    def weight_codes(self):
        """Per-channel symmetric int8 codes (restricted range) with STE, and the scales."""
        w = self.module.weight
        flat = w.reshape(w.shape[0], -1)
        qmax = 2 ** (self.g.weight_bits - 1) - 1
        mx = flat.detach().double().abs().max(dim=1).values
        s = torch.where(mx > 0, mx / qmax, torch.ones_like(mx))
        codes = torch.clamp(torch.round(flat.detach().double() / s[:, None]), -qmax, qmax)
        fd = flat.double()
        w_fq = codes * s[:, None] + (fd - fd.detach())        # value: the dequantized codes; gradient: STE
        return codes, s, w_fq.reshape(w.shape)

    def input_codes(self, x):
        qmax = 2 ** self.g.input_bits - 1
        codes = torch.clamp(torch.round(x.detach().double() / self.s_x), 0, qmax)
        xd = x.double()
        x_fq = codes * self.s_x + (xd - xd.detach())           # float64, as the exporter dequantizes
        return codes, x_fq

    def unroll(self, x):
        """Input [B, ...] -> rows [M, K] in the mapper's row order (im2col: channel, kh, kw)."""
        m = self.module
        if isinstance(m, nn.Conv2d):
            cols = F.unfold(x, m.kernel_size, m.dilation, m.padding, m.stride)   # [B, K, P]
            return cols.transpose(1, 2).reshape(-1, cols.shape[1])
        return x.reshape(-1, x.shape[-1])

    def fold_out(self, y, x):
        """[M, N] -> the layer's output layout."""
        m = self.module
        if isinstance(m, nn.Conv2d):
            b = x.shape[0]
            oh = (x.shape[2] + 2 * m.padding[0] - m.dilation[0] * (m.kernel_size[0] - 1) - 1) // m.stride[0] + 1
            ow = (x.shape[3] + 2 * m.padding[1] - m.dilation[1] * (m.kernel_size[1] - 1) - 1) // m.stride[1] + 1
            return y.reshape(b, oh, ow, -1).permute(0, 3, 1, 2)
        return y

    # -- the crossbar read-out -------------------------------------------------------------
    def psums(self, xc_rows, wc):
        """Exact partial sums p [I, M, A, J] (no gradient) and the recombination factors."""
        g = self.g
        K = xc_rows.shape[1]
        digits, factor, ref, per = _encode(wc.T.numpy().astype(np.int64), g)
        d = torch.from_numpy(digits) - torch.from_numpy(ref)[None, :]
        xi = xc_rows.to(torch.int32)
        mask = (1 << g.input_bits_per_cycle) - 1
        shifts = torch.arange(g.cycles, dtype=torch.int32)[:, None, None] * g.input_bits_per_cycle
        planes = ((xi[None] >> shifts) & mask).float()               # [I, M, K]
        A = -(-K // g.rows_active)
        M, J = planes.shape[1], d.shape[1]
        p = torch.empty((g.cycles, M, A, J))
        for a in range(A):
            r0, r1 = a * g.rows_active, min(K, (a + 1) * g.rows_active)
            torch.matmul(planes[:, :, r0:r1], d[r0:r1], out=p[:, :, a, :])   # [I, M, J]
        w_cycle = torch.tensor([2.0 ** (g.input_bits_per_cycle * i) for i in range(g.cycles)], dtype=torch.float64)
        return p, w_cycle, torch.from_numpy(factor), per

    def init_readout(self, p, iterations: int = 8):
        """Initial alpha and center from partial sums p [I, M, A, J]: the mean and 2 mean|p -
        mean| (LSQ-style), refined by a few Lloyd-Max iterations (levels {c - alpha, c, c + alpha}
        around the mean, ternary; {c, c + alpha}, binary), i.e. the least-squares read-out of
        the calibration data (the same rule as :mod:`cimsim.trace.psum`)."""
        axes = (1,) if self.granularity == "column_cycle" else (0, 1)
        pd = p.double()
        centre = pd.mean(dim=axes, keepdim=True)
        alpha = torch.clamp(2 * (pd - centre).abs().mean(dim=axes, keepdim=True), min=0.5)
        if self.levels == "ternary":
            d = (pd - centre).abs()
            for _ in range(iterations):
                on = (d > alpha / 2).double()
                n = on.sum(dim=axes, keepdim=True)
                alpha = torch.where(n > 0, (d * on).sum(dim=axes, keepdim=True) / n.clamp(min=1), alpha)
            alpha = alpha.clamp(min=0.5)
            center = centre
        else:
            lo, hi = centre - alpha / 2, centre + alpha / 2
            for _ in range(iterations):
                up = (pd > (lo + hi) / 2).double()
                n1 = up.sum(dim=axes, keepdim=True)
                n0 = (1 - up).sum(dim=axes, keepdim=True)
                hi = torch.where(n1 > 0, (pd * up).sum(dim=axes, keepdim=True) / n1.clamp(min=1), hi)
                lo = torch.where(n0 > 0, (pd * (1 - up)).sum(dim=axes, keepdim=True) / n0.clamp(min=1), lo)
            alpha = (hi - lo).clamp(min=0.5)
            center = lo
        self.alpha0 = alpha.squeeze(1).double()                       # [I|1, A, J]
        self.center0 = center.squeeze(1).double()
        self.u = nn.Parameter(torch.zeros_like(self.alpha0))
        self.v = nn.Parameter(torch.zeros_like(self.alpha0))

    def recombine(self, p, w_cycle):
        """sum over cycles and row groups of 2^(d i) q(p): [M, J] float64."""
        lo = 0.0 if self.levels == "binary" else -1.0
        return _PSQReadout.apply(p, self.alpha, self.center, w_cycle.numpy(), lo)

    def forward(self, x, mode: str, mix: float = 1.0):
        """mode: 'calib' (set the input scale from this batch, ideal read-out), 'ideal' or 'hw';
        ``mix`` < 1 blends the hardware read-out with the ideal one (training curriculum)."""
        m = self.module
        if mode == "calib":
            mx = float(x.detach().max())
            self.s_x = mx / (2 ** self.g.input_bits - 1) if mx > 0 else 1.0
        xc, x_fq = self.input_codes(x)
        wc, sw, w_fq = self.weight_codes()
        b = None if m.bias is None else m.bias.double()
        y_lin = (F.conv2d(x_fq, w_fq, b, m.stride, m.padding, m.dilation) if isinstance(m, nn.Conv2d)
                 else F.linear(x_fq, w_fq, b)).float()            # computed in float64, passed on in float32
        if mode != "hw":
            return y_lin
        rows = self.unroll(xc)
        with torch.no_grad():
            p, w_cycle, factor, per = self.psums(rows, wc)
        if self.u is None:
            self.init_readout(p)
        qs = self.recombine(p.contiguous(), w_cycle) * factor[None, :]   # [M, J]
        y_int = qs.reshape(qs.shape[0], -1, per).sum(-1)             # [M, N]
        y = y_int * (self.s_x * sw)[None, :]
        if m.bias is not None:
            y = y + m.bias.double()[None, :]
        y_hw = self.fold_out(y.float(), x)
        out = y_hw + (y_lin - y_lin.detach())
        return out if mix >= 1.0 else mix * out + (1.0 - mix) * y_lin


class PSQNet(nn.Module):
    """The folded CNN with every conv/linear run through :class:`PSQLayer`."""

    def __init__(self, folded: FoldedCNN, g: Geometry, levels: str, granularity: str):
        super().__init__()
        self.net = folded
        self.psq = {n: PSQLayer(n, getattr(folded, n), g, levels, granularity) for n in LAYER_NAMES}
        self.mode = "hw"
        self.mix = 1.0

    def readout_parameters(self):
        return [p for L in self.psq.values() for p in (L.u, L.v) if p is not None]

    def forward(self, x):
        n, L, md, mx = self.net, self.psq, self.mode, self.mix
        x = F.relu(L["conv1"].forward(x, md, mx))
        x = n.pool1(F.relu(L["conv2"].forward(x, md, mx)))
        x = n.pool2(F.relu(L["conv3"].forward(x, md, mx)))
        x = torch.flatten(x, 1)
        x = F.relu(L["fc1"].forward(x, md, mx))
        return L["fc2"].forward(x, md, mx)

    def calibrate(self, calib):
        """Input scales layer by layer on the quantized network with ideal read-outs (the
        exporter's calibration), then back to hardware mode."""
        self.mode = "calib"
        with torch.no_grad():
            self(calib)
        self.mode = "hw"

    def tables(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        return {n: (L.alpha.detach().double().numpy(), L.center.detach().double().numpy())
                for n, L in self.psq.items()}


@dataclass
class PSQResult:
    model: FoldedCNN
    tables: dict[str, tuple[np.ndarray, np.ndarray]]
    levels: str
    granularity: str
    train_accuracy_emulated: float
    test_accuracy_emulated: float
    history: list = field(default_factory=list)

    def readout(self):
        from cimsim.kernels.readout import SenseAmpTable

        return SenseAmpTable(self.levels, self.tables, granularity=self.granularity,
                             label=f"psq-trained-{self.levels}")


def _accuracy(net, x, y, batch=128):
    with torch.no_grad():
        pred = torch.cat([net(x[s:s + batch]).argmax(1) for s in range(0, len(x), batch)])
    return float((pred == y).float().mean())


def train_psq(arch, levels: str = "ternary", *, seed: int = 0, epochs: int = 20, head_epochs: int = 2,
              granularity: str = "column_cycle", lr: float = 1e-3, readout_lr: float = 2e-2,
              batch: int = 64, anneal: float = 0.3) -> PSQResult:
    """Partial-sum quantization-aware fine-tuning of the digits CNN on ``arch``'s crossbars."""
    from workloads.digits import trained

    if levels not in ("binary", "ternary"):
        raise CimsimError(f"partial-sum training: levels must be 'binary' or 'ternary', found {levels!r}")
    if granularity not in ("column", "column_cycle"):
        raise CimsimError(f"partial-sum training: granularity must be 'column' or 'column_cycle', found {granularity!r}")
    if isinstance(arch, str):
        from cimsim.architecture import load_architecture

        arch = load_architecture(arch)
    g = Geometry.of(arch)
    base, info = trained("cnn", seed)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            return _train(fold(base), info, g, levels, granularity, seed, epochs, head_epochs, lr, readout_lr, batch,
                          anneal)
    finally:
        torch.set_num_threads(threads)


def _train(folded, info, g, levels, granularity, seed, epochs, head_epochs, lr, readout_lr, batch, anneal=0.0):
    xtr, ytr = torch.from_numpy(info["x_train"]), torch.from_numpy(info["y_train"])
    xte, yte = torch.from_numpy(info["x_test"]), torch.from_numpy(info["y_test"])
    calib = xtr[:512]
    net = PSQNet(folded, g, levels, granularity)
    net.calibrate(calib)
    with torch.no_grad():
        net(calib[:128])                 # initialise alpha / center on calibration images
    gen = torch.Generator().manual_seed(seed)
    history = []

    def run(n_epochs, params, lr_groups):
        opt = torch.optim.Adam(lr_groups)
        steps = max(1, n_epochs * ((len(xtr) + batch - 1) // batch))
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=[gr["lr"] for gr in lr_groups], total_steps=steps)
        n_batches = (len(xtr) + batch - 1) // batch
        for ep in range(n_epochs):
            if params == "all":
                net.calibrate(calib)
            perm = torch.randperm(len(xtr), generator=gen)
            for bi, s in enumerate(range(0, len(xtr), batch)):
                ramp = anneal * n_epochs * n_batches if params == "all" else 0
                net.mix = min(1.0, (ep * n_batches + bi + 1) / ramp) if ramp else 1.0
                idx = perm[s:s + batch]
                loss = F.cross_entropy(net(xtr[idx]), ytr[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
            net.mix = 1.0
            history.append({"phase": params, "epoch": ep, "loss": float(loss.detach()),
                            "test_accuracy_emulated": _accuracy(net, xte, yte)})

    ro = net.readout_parameters()
    run(epochs, "all", [{"params": list(folded.parameters()), "lr": lr}, {"params": ro, "lr": readout_lr}])
    net.calibrate(calib)                  # the scales the exporter will compute for these weights
    for p in folded.parameters():
        p.requires_grad_(False)
    run(head_epochs, "readout", [{"params": ro, "lr": readout_lr / 4}])
    for p in folded.parameters():
        p.requires_grad_(True)
    return PSQResult(folded.eval(), net.tables(), levels, granularity, _accuracy(net, xtr, ytr),
                     _accuracy(net, xte, yte), history)


#: Bumped when the training changes, so that cached and shipped results are not reused.
TRAINING_VERSION = 2


def save_result(res: PSQResult, path) -> None:
    """The folded network's weights, the trained tables and the emulated accuracies (.npz)."""
    arrays = {f"w/{k}": v.detach().numpy() for k, v in res.model.state_dict().items()}
    for n, (a, c) in res.tables.items():
        arrays[f"alpha/{n}"], arrays[f"center/{n}"] = a, c
    meta = np.array([res.levels, res.granularity, repr(res.train_accuracy_emulated), repr(res.test_accuracy_emulated)])
    np.savez_compressed(path, meta=meta, **arrays)


def load_result(path) -> PSQResult:
    with np.load(path, allow_pickle=False) as z:
        levels, gran, tr, te = (str(x) for x in z["meta"])
        model = FoldedCNN()
        model.load_state_dict({k[2:]: torch.from_numpy(z[k]) for k in z.files if k.startswith("w/")})
        tables = {k.split("/", 1)[1]: (z[k], z["center/" + k.split("/", 1)[1]]) for k in z.files if k.startswith("alpha/")}
    return PSQResult(model.eval(), tables, levels, gran, float(tr), float(te))


@functools.lru_cache(maxsize=8)
def trained_psq(arch_path: str, levels: str = "ternary", seed: int = 0, epochs: int = 20) -> PSQResult:
    """:func:`train_psq` cached per process (tests and studies reuse one training)."""
    return train_psq(arch_path, levels, seed=seed, epochs=epochs)
