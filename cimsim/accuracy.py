"""Accuracy under the hardware: a PyTorch model run with its conv/linear/matmul layers
replaced by the simulated arrays.

The model is traced with torch.fx and batch-norm folded exactly as the exporter does
(:mod:`cimsim.trace.exporter`); activation quantizers are calibrated the same way. Then each
array layer's input is quantized to integer codes, run through its mapped arrays with the
chosen read-out and device effects (:func:`cimsim.kernels.layer.simulate_layer`), and
dequantized (``scale_x * scale_w * y_int + bias``) before the rest of the network continues
in float, so errors of the read-out propagate to the logits. With a lossless read-out the
result equals the quantized model's.

Reported: top-1 accuracy on labels where the workload has them (the digits test set); for
every model, top-1 agreement with and SQNR (dB) of the logits against the unquantized (float)
model, and the same against the quantized model with an ideal read-out (what the read-out
alone loses; :func:`sqnr_db`, :func:`top1_agreement`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cimsim.architecture import Architecture
from cimsim.errors import CimsimError
from cimsim.kernels.layer import simulate_layer
from cimsim.kernels.mvm import DeviceEffects
from cimsim.kernels.readout import ClampedADC, MinMaxADC, Readout, SenseAmp
from cimsim.mapping.mapper import map_network


def default_readout(arch: Architecture) -> Readout:
    """The read-out an architecture file implies: an N-bit ADC with a fixed range (LSB
    ``2^(N_full - N)``) or a range calibrated to the partial sums' min-max, BFP-CIM's
    range-aware rounding (``readout.bfp``), or calibrated binary/ternary sense amplifiers."""
    r = arch.arrays.readout
    if r.kind == "adc":
        if r.bfp is not None:
            from cimsim.kernels.readout import BFPReadout

            return BFPReadout(mantissa_bits=r.bfp.mantissa_bits, block=arch.arrays.bfp_block)
        if r.range == "calibrated":
            return MinMaxADC(bits=r.bits, granularity=r.calibration_granularity)
        return ClampedADC(bits=r.bits)
    return SenseAmp(levels=r.levels)


def default_device(arch: Architecture) -> DeviceEffects | None:
    """The analog effects the architecture's device section states (``cancel_gmin``,
    ``variation_sigma``, ``variation_seed``); None when the cells behave ideally."""
    dev = arch.arrays.device
    if dev.kind == "sram" or (dev.cancel_gmin and dev.variation_sigma == 0.0):
        return None
    return DeviceEffects(r_on_ohm=dev.r_on, r_off_ohm=dev.resolved_r_off, cancel_gmin=dev.cancel_gmin,
                         variation_sigma=dev.variation_sigma, seed=dev.variation_seed)


def sqnr_db(reference, signal) -> float:
    """Signal-to-quantization-noise ratio of ``signal`` against ``reference`` (dB):
    ``10 log10(sum reference^2 / sum (signal - reference)^2)``; +inf when they are equal."""
    r = np.asarray(reference, dtype=np.float64)
    e = np.asarray(signal, dtype=np.float64) - r
    err = float(np.sum(e * e))
    return math.inf if err == 0 else 10 * math.log10(float(np.sum(r * r)) / err)


def top1_agreement(reference, signal) -> float:
    """Fraction of samples (first axis) whose arg-max of ``signal`` equals that of ``reference``."""
    r = np.asarray(reference).reshape(len(reference), -1)
    s = np.asarray(signal).reshape(len(signal), -1)
    return float((r.argmax(1) == s.argmax(1)).mean())


@dataclass
class AccuracyResult:
    logits: np.ndarray
    float_logits: np.ndarray
    quantized_logits: np.ndarray
    labels: np.ndarray | None
    layers: dict[str, dict[str, int]] = field(default_factory=dict)

    @staticmethod
    def _top1(logits, labels):
        return float((logits.reshape(len(logits), -1).argmax(1) == labels).mean())

    def summary(self) -> dict[str, Any]:
        """Top-1 on the labels (if any); agreement and SQNR of the hardware logits against the
        float model (the whole strategy: quantizer and read-out) and against the same quantized
        network with an ideal read-out (the arrays' read-out alone: +inf dB when lossless)."""
        out: dict[str, Any] = {"samples": int(len(self.logits))}
        if self.labels is not None:
            out["accuracy_float"] = self._top1(self.float_logits, self.labels)
            out["accuracy_quantized"] = self._top1(self.quantized_logits, self.labels)
            out["accuracy_hardware"] = self._top1(self.logits, self.labels)
        out["top1_agreement_with_float"] = top1_agreement(self.float_logits, self.logits)
        out["sqnr_dB"] = sqnr_db(self.float_logits, self.logits)
        out["top1_agreement_with_quantized"] = top1_agreement(self.quantized_logits, self.logits)
        out["sqnr_vs_quantized_dB"] = sqnr_db(self.quantized_logits, self.logits)
        return out


def hardware_accuracy(model, inputs, arch: Architecture, *, labels=None, calib=None, quant="int8",
                      readout: Readout | None = None, device: DeviceEffects | None = None,
                      batch_size: int = 256, precision=None) -> AccuracyResult:
    """Run ``model`` on ``inputs`` with its array layers simulated on ``arch`` (under an
    array-wise :class:`cimsim.mapping.precision.PrecisionPlan` where ``precision`` is given)."""
    from cimsim.trace import exporter as E

    x = E._as_tensor(inputs, "inputs")
    hm = HardwareModel(model, arch, x[:512] if calib is None else calib, quant, readout, device)
    counts: dict[str, dict[str, int]] = {}
    hardware = hm.logits(x, precision=precision, batch_size=batch_size, counts=counts)
    return AccuracyResult(hardware, hm.float_logits_of(x, batch_size), hm.logits(x, hardware=False, batch_size=batch_size),
                          None if labels is None else np.asarray(labels).reshape(-1), counts)


class HardwareModel:
    """A PyTorch model traced, batch-norm folded and calibrated once, with its array layers
    mapped on ``arch``: :meth:`logits` runs inputs with those layers simulated on the arrays
    (repeatedly, e.g. under many precision plans, without tracing or calibrating again)."""

    def __init__(self, model, arch: Architecture, calib, quant: str = "int8", readout: Readout | None = None,
                 device: DeviceEffects | None = None):
        import copy

        import torch

        from cimsim.trace import exporter as E
        from cimsim.trace.recipes import get_recipe

        self.arch = arch
        self.readout = readout if readout is not None else default_readout(arch)
        self.device = device if device is not None else default_device(arch)
        self.recipe = get_recipe(quant)
        cal = E._as_tensor(calib, "calib")
        self.float_gm = E._trace_model(model)
        self.gm = copy.deepcopy(self.float_gm)
        with torch.no_grad():
            E._fold_batchnorm(self.gm)
            self.ex = E._Exporter(self.gm, self.recipe)
            E._Runner(self.gm, self.ex, calibrate=True, batch=int(cal.shape[0]), record_shapes=False).run(cal)
            # One recorded sample gives each layer's weights and quantizers for the mapper.
            E._Runner(self.gm, self.ex, calibrate=False, batch=1, record_shapes=True).run(cal[:1])
        self.layers = {st.node: self.ex.layer(st) for st in self.ex.states.values()}

        class _T:  # the mapper needs only the layer list
            pass

        t = _T()
        t.layers = list(self.layers.values())
        self.trace_like = t
        self.mapping = map_network(t, arch)
        self.by_name = {lm.name: lm for lm in self.mapping.layers}

    def float_logits_of(self, x, batch_size: int = 256) -> np.ndarray:
        import torch

        from cimsim.trace import exporter as E

        x = E._as_tensor(x, "inputs")
        with torch.no_grad():
            return np.concatenate([E._first_tensor(self.float_gm(x[s:s + batch_size]))[""].double().numpy()
                                   for s in range(0, len(x), batch_size)])

    def logits(self, x, *, precision=None, hardware: bool = True, batch_size: int = 256,
               counts: dict | None = None, memo: dict | None = None) -> np.ndarray:
        """Logits of ``x``: with the array layers simulated (``hardware``), or of the quantized
        model alone (``hardware=False``). ``memo``: a dict reused across calls on the same
        ``x`` under different precision plans; each array layer's output is kept under the
        plan rows of that layer and of every array layer executed before it (which determine
        it), so plans sharing a prefix skip those layers (exact: the same computation)."""
        import torch

        from cimsim.trace import exporter as E

        arch, ex, layers, recipe = self.arch, self.ex, self.layers, self.recipe
        mapping, readout, device = self.by_name, self.readout, self.device
        x = E._as_tensor(x, "inputs")
        prefix: list[bytes] = []

        class HW(E._Runner):
            def run_node(self, n):
                if n not in ex.states:
                    return super().run_node(n)
                st, layer = ex.states[n], layers[n]
                key = None
                if memo is not None and counts is None and precision is not None:
                    p = precision.layer(layer.name)
                    prefix.append(layer.name.encode() + (b"-" if p is None else np.asarray(p, np.int16).tobytes()))
                    key = (self.batch_start, b"|".join(prefix))
                    if key in memo:
                        return memo[key]
                args, kwargs = self.fetch_args_kwargs_from_env(n)
                if st.kind == "matmul":
                    a, b = args[:2]
                    qa = ex._act(st, a, "x", False, recipe.dynamic)
                    qb = ex._act(st, b, "xb", False, recipe.dynamic)
                    r = simulate_layer(layer, mapping[layer.name], arch, readout, device,
                                       x_codes=qa.values, b_codes=qb.values)
                    y = r.int_output * float(qa.scale.reshape(-1)[0]) * float(qb.scale.reshape(-1)[0])
                else:
                    xq = ex._act(st, args[0], "x", False, recipe.activation)
                    plan = precision.layer(layer.name) if precision is not None else None
                    if plan is None:
                        r = simulate_layer(layer, mapping[layer.name], arch, readout, device, x_codes=xq.values)
                    else:
                        from cimsim.kernels.planned import simulate_layer_planned

                        r = simulate_layer_planned(layer, mapping[layer.name], arch, plan, readout, device,
                                                   x_codes=xq.values)
                    y = r.int_output * (float(xq.scale.reshape(-1)[0]) * _weight_scale(layer))
                    if layer.bias is not None:
                        y = y + layer.bias.astype(np.float64).reshape(_bias_shape(layer))
                if counts is not None:
                    c = counts.setdefault(layer.name, {})
                    for k, v in r.activity().items():
                        c[k] = c.get(k, 0) + v
                out = torch.from_numpy(np.ascontiguousarray(y)).to(args[0].dtype)
                if key is not None:
                    memo[key] = out
                return out

        runner = HW if hardware else E._Runner
        out = []
        with torch.no_grad():
            for s in range(0, len(x), batch_size):
                xb = x[s:s + batch_size]
                prefix.clear()
                r = runner(self.gm, ex, calibrate=False, batch=len(xb), record_shapes=False)
                r.batch_start = s
                out.append(E._first_tensor(r.run(xb))[""].double().numpy())
        return np.concatenate(out)


def _weight_scale(layer) -> np.ndarray:
    """Per-output weight scale broadcast against ``[N, C_out, ...]`` or ``[..., out]``."""
    from cimsim.trace.format import expand_param

    if layer.weight.granularity == "per_array":
        raise CimsimError(
            f"layer '{layer.name}': hardware accuracy with per-array weight scales is not supported yet; "
            f"use a per_tensor or per_channel weight quantizer"
        )
    sw = expand_param(layer, layer.weight.scale, layer.weight.granularity)
    per_out = sw.reshape(sw.shape[0], -1)[:, 0].astype(np.float64)
    return per_out.reshape(_bias_shape(layer))


def _bias_shape(layer) -> tuple[int, ...]:
    n = layer.weight_matrix_cols
    if layer.kind == "conv2d":
        return (1, n, 1, 1)
    return (n,)


# ---------------------------------------------------------------------------------------
# `cimsim accuracy ARCH WORKLOAD`

READOUTS = ("arch", "ideal", "adc", "minmax", "lsq", "binary", "ternary", "bfp")


def readout_from_args(name: str, arch: Architecture, bits: int | None, granularity: str,
                      mantissa_bits: int, block: int) -> Readout:
    from cimsim.kernels.readout import BFPReadout, Ideal, LSQPartialSum

    b = bits if bits is not None else (arch.arrays.readout.bits or 8)
    if name == "arch":
        if bits is None:
            return default_readout(arch)
        name = "minmax" if arch.arrays.readout.range == "calibrated" else "adc"
    return {
        "ideal": lambda: Ideal(),
        "adc": lambda: ClampedADC(bits=b),
        "minmax": lambda: MinMaxADC(bits=b, granularity=granularity),
        "lsq": lambda: LSQPartialSum(bits=b, granularity=granularity),
        "binary": lambda: SenseAmp("binary", granularity=granularity),
        "ternary": lambda: SenseAmp("ternary", granularity=granularity),
        "bfp": lambda: BFPReadout(mantissa_bits=mantissa_bits, block=block),
    }[name]()


def register(sub) -> None:
    from cimsim.spec.cli import add_set_option

    p = sub.add_parser("accuracy", help="accuracy of a workload with its layers simulated on an architecture",
                       description="Run a workload's PyTorch model with its conv/linear/matmul layers replaced "
                                   "by the simulated arrays of ARCH; report top-1 accuracy on its labels "
                                   "(digits test set) or top-1 agreement and SQNR against the float model.")
    p.add_argument("arch", help="architecture file (arch/*.yaml)")
    p.add_argument("workload", help="workload name (cimsim export --list) or FILE.py:FUNCTION")
    add_set_option(p)
    p.add_argument("--readout", choices=READOUTS, default="arch",
                   help="column read-out (default: what the architecture file says)")
    p.add_argument("--bits", type=int, help="read-out bits (default: the architecture's ADC bits)")
    p.add_argument("--granularity", default="layer", choices=("layer", "array", "column", "column_cycle"),
                   help="calibration granularity of min-max / LSQ / sense-amp read-outs")
    p.add_argument("--mantissa-bits", type=int, default=4, help="BFP read-out: mantissa bits m")
    p.add_argument("--block", type=int, default=8, help="BFP read-out: columns per shared exponent")
    p.add_argument("-n", "--samples", type=int, help="samples to evaluate (default: the workload's)")
    p.add_argument("-q", "--quant", help="quantization recipe (default: the workload's)")
    p.add_argument("--seed", type=int, default=0, help="seed for training / initialisation / data")
    p.add_argument("--json", metavar="FILE", help="also write the result as JSON")
    p.set_defaults(func=run_accuracy)


def run_accuracy(args) -> int:
    from cimsim.architecture import load_architecture
    from cimsim.report.files import atomic_write_json
    from cimsim.trace.workloads_loader import resolve

    arch = load_architecture(args.arch, args.sets)
    ro = readout_from_args(args.readout, arch, args.bits, args.granularity, args.mantissa_bits, args.block)
    wl = resolve(args.workload)
    prep = wl.prepare(args.samples, seed=args.seed)
    full = prep.provenance.get("test_set_size")
    if args.samples is None and full and full > len(prep.inputs):  # a labelled test set: use all of it
        prep = wl.prepare(int(full), seed=args.seed)
    res = hardware_accuracy(prep.model, prep.inputs, arch, labels=prep.labels, calib=prep.calib,
                            quant=args.quant or wl.default_quant, readout=ro)
    s = res.summary()
    print(f"Workload      {wl.name} ({s['samples']} samples)   Architecture {arch.name}")
    print(f"Read-out      {ro}")
    if "accuracy_hardware" in s:
        print(f"Top-1         float {100 * s['accuracy_float']:.2f} %   quantized {100 * s['accuracy_quantized']:.2f} %"
              f"   on the arrays {100 * s['accuracy_hardware']:.2f} %")
    print(f"Agreement     {100 * s['top1_agreement_with_float']:.2f} % of top-1 with the float model;"
          f" SQNR {s['sqnr_dB']:.2f} dB")
    print(f"Read-out      {100 * s['top1_agreement_with_quantized']:.2f} % of top-1 with the quantized model on an"
          f" ideal read-out; SQNR {s['sqnr_vs_quantized_dB']:.2f} dB")
    if args.json:
        out = {"workload": wl.name, "arch": arch.name, "readout": repr(ro),
               "metrics": {k: ({"value": v, "unit": "dB"} if k.endswith("_dB") else
                               {"value": v, "unit": "1"} if isinstance(v, float) else v) for k, v in s.items()},
               "activity": res.layers}
        atomic_write_json(args.json, out)
        print(f"wrote {args.json}")
    return 0
