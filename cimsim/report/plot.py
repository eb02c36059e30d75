"""``cimsim plot REPORT``: energy and area breakdowns, and comparison charts, as PNG or SVG.

Reads only report files: a ``report.json`` written by ``cimsim run`` (energy per layer stacked
by component, energy and area per component) or a comparison written by
``cimsim compare --json`` (each metric and component energy against the baseline).
"""

from __future__ import annotations

import json
from pathlib import Path

from cimsim.errors import CimsimError


def _load(path: str) -> dict:
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise CimsimError(f"{path}: no such report file; expected the report.json of `cimsim run` "
                          f"or the JSON of `cimsim compare --json`") from None
    except (OSError, ValueError) as exc:
        raise CimsimError(f"{path}: cannot be read as a JSON report ({exc})") from None


def _figure():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from cycler import cycler

    plt.rcParams["axes.prop_cycle"] = cycler(color=plt.get_cmap("tab20").colors)

    return plt


def _save(fig, plt, out: str) -> str:
    """Render to memory, then write atomically (nothing half-written on failure)."""
    import io

    from cimsim.report.files import atomic_write_bytes

    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format=Path(out).suffix.lstrip(".").lower())
    plt.close(fig)
    atomic_write_bytes(out, buf.getvalue())
    return out


def plot_report(d: dict, out: str) -> str:
    plt = _figure()
    layers = d["layers"]
    comps = sorted({c for lr in layers for c in lr["energy"]},
                   key=lambda c: -sum(lr["energy"].get(c, {"value": 0})["value"] for lr in layers))
    fig, axes = plt.subplots(1, 3, figsize=(16, 5), gridspec_kw={"width_ratios": [3, 2, 2]})
    ax = axes[0]
    bottom = [0.0] * len(layers)
    names = [lr["name"] for lr in layers]
    for c in comps:
        vals = [lr["energy"].get(c, {"value": 0.0})["value"] * 1e6 for lr in layers]
        ax.bar(names, vals, bottom=bottom, label=c)
        bottom = [b + v for b, v in zip(bottom, vals)]
    ax.set_ylabel("energy per inference [uJ]")
    ax.set_title(f"{d['workload']} on {d['arch']}: energy per layer")
    ax.tick_params(axis="x", rotation=60)
    ax.legend(fontsize=7)
    e = d["energy_by_component"]
    ks = sorted(e, key=lambda k: -e[k]["value"])
    axes[1].barh(ks, [e[k]["value"] * 1e6 for k in ks])
    axes[1].set_xlabel("energy per inference [uJ]")
    axes[1].set_title("energy by component")
    axes[1].invert_yaxis()
    a = d["area_by_component"]
    ks = sorted(a, key=lambda k: -a[k]["value"])
    axes[2].barh(ks, [a[k]["value"] * 1e6 for k in ks])
    axes[2].set_xlabel("area [mm^2]")
    axes[2].set_title("area by component")
    axes[2].invert_yaxis()
    return _save(fig, plt, out)


def plot_compare(d: dict, out: str) -> str:
    plt = _figure()
    labels = d["architectures"]
    metrics = [m for m in d["metrics"] if not m.startswith("E ")]
    comps = [m for m in d["metrics"] if m.startswith("E ")]
    fig, axes = plt.subplots(1, 2, figsize=(14, 5))
    width = 0.8 / len(labels)
    for i, lab in enumerate(labels):
        axes[0].bar([k + i * width for k in range(len(metrics))],
                    [d["metrics"][m][lab]["ratio"] for m in metrics], width, label=lab)
    axes[0].set_xticks([k + 0.4 - width / 2 for k in range(len(metrics))], metrics, rotation=30)
    axes[0].set_ylabel(f"ratio to {d['baseline']} [1]")
    axes[0].axhline(1.0, color="k", lw=0.5)
    axes[0].legend(fontsize=8)
    axes[0].set_title(f"{d['workload']}: metrics against {d['baseline']}")
    bottom = [0.0] * len(labels)
    for m in comps:
        vals = [d["metrics"][m][lab]["value"] * 1e6 for lab in labels]
        axes[1].bar(labels, vals, bottom=bottom, label=m[2:])
        bottom = [b + v for b, v in zip(bottom, vals)]
    axes[1].set_ylabel("energy per inference [uJ]")
    axes[1].set_title("energy by component")
    axes[1].legend(fontsize=7)
    axes[1].tick_params(axis="x", rotation=20)
    return _save(fig, plt, out)


def register(sub) -> None:
    p = sub.add_parser("plot", help="draw energy/area breakdowns of a report, or a comparison chart",
                       description="Draw a report.json (cimsim run) or a comparison JSON (cimsim compare --json) "
                                   "as PNG or SVG (by the output's extension).")
    p.add_argument("report", help="report.json or comparison JSON")
    p.add_argument("-o", "--out", help="output image (.png or .svg; default: next to the report, .png)")
    p.set_defaults(func=run_plot)


def run_plot(args) -> int:
    d = _load(args.report)
    out = args.out or str(Path(args.report).with_suffix(".png"))
    if Path(out).suffix.lower() not in (".png", ".svg", ".pdf"):
        raise CimsimError(f"--out {out}: expected a .png, .svg or .pdf file name; found '{Path(out).suffix}'")
    if "layers" in d and "energy_by_component" in d:
        plot_report(d, out)
    elif "metrics" in d and "architectures" in d:
        plot_compare(d, out)
    else:
        raise CimsimError(f"{args.report}: not a cimsim report; expected keys 'layers' and 'energy_by_component' "
                          f"(cimsim run) or 'metrics' and 'architectures' (cimsim compare --json)")
    print(f"wrote {out}")
    return 0
