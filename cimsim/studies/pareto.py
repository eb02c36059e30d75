"""Pareto fronts of two metrics, and their plot (matplotlib, Agg backend).

A point is non-dominated when no other point is at least as good in both metrics and
strictly better in one; "good" is lower for costs (energy, latency, area) and higher for
benefits (TOPS/W, throughput, accuracy), see :func:`cimsim.studies.metrics.higher_is_better`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cimsim.studies.metrics import canonical, higher_is_better


def pareto_mask(x, y, maximize_x: bool = False, maximize_y: bool = False) -> np.ndarray:
    """Boolean mask of the non-dominated points (NaN never is). O(n log n)."""
    a = np.asarray(x, dtype=float) * (-1.0 if maximize_x else 1.0)
    b = np.asarray(y, dtype=float) * (-1.0 if maximize_y else 1.0)
    mask = np.zeros(len(a), dtype=bool)
    ok = np.flatnonzero(np.isfinite(a) & np.isfinite(b))
    order = ok[np.lexsort((b[ok], a[ok]))]  # by a, then b
    best_before = np.inf  # lowest b among points with strictly smaller a
    i = 0
    while i < len(order):
        j = i
        while j < len(order) and a[order[j]] == a[order[i]]:
            j += 1
        group = order[i:j]
        gmin = b[group[0]]
        if gmin < best_before:
            mask[group[b[group] == gmin]] = True
        best_before = min(best_before, gmin)
        i = j
    return mask


def front(df, x: str, y: str):
    """The rows of ``df`` (finished points) on the front of metrics ``x`` and ``y``, and the
    column names used."""
    from cimsim.studies.tables import metric_column

    cx, cy = metric_column(df, x), metric_column(df, y)
    m = pareto_mask(df[cx].to_numpy(), df[cy].to_numpy(), higher_is_better(x), higher_is_better(y))
    return m, cx, cy


def plot_pareto(df, x: str, y: str, out: str | Path, title: str = "") -> Path:
    """Scatter every finished point; mark and join the non-dominated ones; write PNG/SVG."""
    from cimsim.report.plot import _figure, _save

    mask, cx, cy = front(df, x, y)
    plt = _figure()
    n_front = int(mask.sum())
    listed = n_front <= 12
    if listed:
        extra = 0.15 * n_front + 0.1
        fig, (ax, lax) = plt.subplots(2, 1, figsize=(7.5, 5.5 + extra),
                                      gridspec_kw={"height_ratios": [5.5, extra]})
        lax.axis("off")
    else:
        fig, ax = plt.subplots(figsize=(7.5, 5.5))
    xs, ys = df[cx].to_numpy(dtype=float), df[cy].to_numpy(dtype=float)
    ax.scatter(xs[~mask], ys[~mask], s=18, color="0.65", label=f"dominated ({int((~mask).sum())})", zorder=2)
    order = np.argsort(xs[mask], kind="stable")
    fx, fy = xs[mask][order], ys[mask][order]
    ax.plot(fx, fy, color="tab:red", lw=1, zorder=3)
    ax.scatter(fx, fy, s=40, color="tab:red", edgecolor="black", zorder=4, label=f"non-dominated ({n_front})")
    if listed:  # number the front's points on the plot, name them below it
        labels = df["label"].to_numpy()[mask][order]
        for k, (px, py) in enumerate(zip(fx, fy), 1):
            ax.annotate(str(k), (px, py), textcoords="offset points", xytext=(4, 4), fontsize=8)
        lax.text(0.0, 1.0, "\n".join(f"{k}: {lab}" for k, lab in enumerate(labels, 1)), fontsize=7,
                 va="top", ha="left", family="monospace", transform=lax.transAxes)
    for axis, vals, setter in ((cx, xs, ax.set_xscale), (cy, ys, ax.set_yscale)):
        v = vals[np.isfinite(vals) & (vals > 0)]
        if len(v) and v.max() / v.min() > 100:
            setter("log")
    better = {True: "higher is better", False: "lower is better"}
    ax.set_xlabel(f"{cx}  ({better[higher_is_better(x)]})")
    ax.set_ylabel(f"{cy}  ({better[higher_is_better(y)]})")
    ax.set_title(title or f"{canonical(y)} vs {canonical(x)}")
    ax.grid(True, alpha=0.3, zorder=0)
    ax.legend(loc="best", fontsize=8)
    return Path(_save(fig, plt, str(out)))
