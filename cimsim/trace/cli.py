"""``cimsim export`` and ``cimsim trace``: export workloads to traces and inspect traces."""

from __future__ import annotations

import json
import time
from pathlib import Path

from cimsim.errors import CimsimError


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "export", help="export a workload (a PyTorch model and inputs) to a .cimtrace file",
        description="Export a workload from workloads/ (or FILE.py:FUNCTION returning a Workload, a "
                    "Prepared or a (model, inputs) pair) to a layer trace. Needs torch.")
    p.add_argument("workload", nargs="?", help="workload name (see --list) or FILE.py:FUNCTION")
    p.add_argument("-o", "--output", help="output file (default: traces/WORKLOAD.cimtrace)")
    p.add_argument("-n", "--samples", type=int, help="number of samples to record")
    p.add_argument("-q", "--quant", help="quantization recipe name or JSON file (see --list-recipes); "
                                          "NAME:wbits=B,abits=B overrides bit widths")
    p.add_argument("--wbits", type=int, help="weight bit width (overrides the recipe)")
    p.add_argument("--abits", type=int, help="activation bit width (overrides the recipe)")
    p.add_argument("--seed", type=int, default=0, help="seed for training / initialisation / data")
    p.add_argument("--weights", help="state dict to load (.safetensors, or .pt read with weights_only)")
    p.add_argument("--inputs", help="inputs to record instead of the workload's (.npy, samples first)")
    p.add_argument("--labels", help="labels for --inputs (.npy)")
    p.add_argument("--batch-size", type=int, default=256, help="samples per forward pass")
    p.add_argument("--workloads", help="directory of the workloads package")
    p.add_argument("--verify", action="store_true", help="reload the file and recompute every layer")
    p.add_argument("--list", action="store_true", help="list the workloads and exit")
    p.add_argument("--list-recipes", action="store_true", help="list the quantization recipes and exit")
    p.set_defaults(func=run_export)

    t = subparsers.add_parser("trace", help="show (and optionally verify) a .cimtrace file",
                              description="Print a trace's network summary and per-layer table.")
    t.add_argument("path", help="a .cimtrace file")
    t.add_argument("--verify", action="store_true",
                   help="recompute every layer's integer output exactly and compare with the recorded one")
    t.add_argument("--json", action="store_true", help="print the summary as JSON")
    t.set_defaults(func=run_trace)


def _load_npy(path: str | None, what: str):
    if path is None:
        return None
    import numpy as np

    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise CimsimError(f"{what} file '{path}' cannot be read as a .npy array ({exc})") from None


def run_export(args) -> int:
    from cimsim.trace.recipes import get_recipe, list_recipes, with_bits
    from cimsim.trace.workloads_loader import load_workloads, resolve

    if args.list_recipes:
        for name, desc, src in list_recipes():
            print(f"{name:16s} {desc}\n{'':16s} source: {src}")
        return 0
    if args.list:
        wl = load_workloads(args.workloads)
        for w in wl.WORKLOADS.values():
            print(f"{w.name:22s} {w.description} [{w.default_samples} samples by default]")
        return 0
    if not args.workload:
        raise CimsimError("cimsim export: give a WORKLOAD (see `cimsim export --list`)")
    try:
        import torch  # noqa: F401
    except ModuleNotFoundError:
        raise CimsimError("cimsim export needs PyTorch: pip install torch==2.13.0 --index-url "
                          "https://download.pytorch.org/whl/cpu (shipped traces load without it)") from None
    work = resolve(args.workload, args.workloads)
    recipe = get_recipe(args.quant or work.default_quant)
    if args.wbits is not None or args.abits is not None:
        recipe = with_bits(recipe, args.wbits, args.abits)
        from dataclasses import replace

        recipe = replace(recipe, name=f"{recipe.name}:wbits={recipe.weight.bits},abits={recipe.activation.bits}")
    out = Path(args.output or f"traces/{work.name}.cimtrace")
    t0 = time.perf_counter()
    trace = work.export(samples=args.samples, quant=recipe, seed=args.seed, weights=args.weights,
                        inputs=_load_npy(args.inputs, "inputs"), labels=_load_npy(args.labels, "labels"),
                        batch_size=args.batch_size)
    t1 = time.perf_counter()
    trace.save(out)
    t2 = time.perf_counter()
    size = out.stat().st_size
    print(f"wrote {out}: {len(trace)} layers, {trace.sample_count} samples, "
          f"{trace.total_macs / 1e6:.2f} M MACs per sample, {size / 1e6:.2f} MB "
          f"(export {t1 - t0:.1f} s, save {t2 - t1:.1f} s)")
    metrics = trace.provenance.get("metrics")
    if metrics:
        print(f"accuracy on the recorded samples: float {metrics['float_accuracy']:.4f}, "
              f"quantized ({recipe.name}) {metrics['quantized_accuracy']:.4f}")
    if args.verify:
        from cimsim.trace.io import load

        load(out, verify=True)
        print("verified: every layer's integer output equals its recomputation")
    return 0


def run_trace(args) -> int:
    from cimsim.trace.io import load

    t0 = time.perf_counter()
    trace = load(args.path, verify=args.verify)
    dt = time.perf_counter() - t0
    if args.json:
        print(json.dumps({"name": trace.name, "version": trace.version, "samples": trace.sample_count,
                          "input_shape": list(trace.input_shape), "total_macs": trace.total_macs,
                          "provenance": trace.provenance, "layers": trace.summary(),
                          "layer_edges": trace.layer_edges}, indent=1))
        return 0
    p = trace.provenance
    print(f"{trace.path}: {trace.name}, format {trace.version}, {len(trace)} layers, "
          f"{trace.sample_count} samples of {list(trace.input_shape)}")
    print(f"quantizer {p.get('quantizer')} ({p.get('quantizer_source', '')}); "
          f"weights: {p.get('weights', 'n/a')}")
    if p.get("metrics"):
        m = p["metrics"]
        print(f"accuracy on the recorded samples: float {m['float_accuracy']:.4f}, "
              f"quantized {m['quantized_accuracy']:.4f}")
    print(f"{'#':>3} {'name':28s} {'kind':7s} {'in':>16s} {'out':>16s} {'w bits':>6s} "
          f"{'x bits':>7s} {'MACs':>12s}")
    for layer in trace:
        wb = "dyn" if layer.weight is None else (
            f"{layer.weight.bits}" + ("*" if layer.weight.bits_map is not None else ""))
        xb = f"{layer.input.bits}{'s' if layer.input.signed else 'u'}"
        print(f"{layer.index:3d} {layer.name[:28]:28s} {layer.kind:7s} "
              f"{'x'.join(map(str, layer.input_shape)):>16s} {'x'.join(map(str, layer.output_shape)):>16s} "
              f"{wb:>6s} {xb:>7s} {layer.macs:12,d}")
    print(f"total {trace.total_macs:,d} MACs per sample; loaded in {dt:.2f} s"
          + ("; verified exactly" if args.verify else ""))
    return 0
