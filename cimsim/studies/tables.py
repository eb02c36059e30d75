"""Tables of a study's results: CSV (and Parquet when pyarrow is installed), metric columns
named ``name [unit]``, and the ratio table a study prints against its baseline."""

from __future__ import annotations

import io
from pathlib import Path

from cimsim.report.files import atomic_write_bytes, atomic_write_text
from cimsim.studies.metrics import canonical


def metric_column(df, name: str) -> str:
    """The column of ``df`` holding metric ``name`` (alias allowed), e.g. ``latency [s]``."""
    from cimsim.errors import CimsimError

    n = canonical(name)
    for col in df.columns:
        if isinstance(col, str) and col.endswith("]") and col.rsplit(" [", 1)[0] == n:
            return col
    have = [c.rsplit(" [", 1)[0] for c in df.columns if isinstance(c, str) and c.endswith("]")]
    raise CimsimError(f"metric '{name}': no such column in the results (finished points have: "
                      f"{', '.join(have[:20]) or 'none yet'}).")


def parquet_available() -> bool:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        try:
            import fastparquet  # noqa: F401
        except ImportError:
            return False
    return True


def write_tables(df, out_dir: str | Path, stem: str = "results") -> list[Path]:
    """``results.csv`` always; ``results.parquet`` too when a Parquet engine is installed."""
    out_dir = Path(out_dir)
    written = [atomic_write_text(out_dir / f"{stem}.csv", df.to_csv(index=False))]
    if parquet_available():
        buf = io.BytesIO()
        df.to_parquet(buf, index=False)
        written.append(atomic_write_bytes(out_dir / f"{stem}.parquet", buf.getvalue()))
    return written


def param_columns(df) -> list[str]:
    """The point-parameter columns of a results frame (between ``label`` and ``status``)."""
    cols = list(df.columns)
    return cols[cols.index("label") + 1: cols.index("status")]


def ratio_table(df, baseline: str, metrics: list[str]):
    """Each metric of every point divided by its baseline's (a study's comparison table).

    ``baseline`` names a variant: each point is compared with the point of that variant that
    has the same other parameters (grid values, workload, quantizer, read-out, dataflow).
    Otherwise it is a point label, and every point is compared with that one point.
    Columns ``name [x baseline]``; baseline rows are all ones, points without a finished
    baseline NaN."""
    import numpy as np
    import pandas as pd

    from cimsim.errors import CimsimError

    cols = [metric_column(df, m) for m in metrics]
    out = pd.DataFrame({"label": df["label"]})
    if "variant" in df.columns and (df["variant"] == baseline).any():
        keys = [c for c in param_columns(df) if c != "variant"]
        key = df[keys].astype(str).agg("\x1f".join, axis=1) if keys else pd.Series("", index=df.index)
        base = df[df["variant"] == baseline].assign(_k=key).drop_duplicates("_k").set_index("_k")
        denom = base.reindex(key)[cols].to_numpy(dtype=float)
    else:
        rows = df[df["label"] == baseline]
        if rows.empty:
            raise CimsimError(f"baseline '{baseline}': neither a variant nor a point label of this study (labels: "
                              f"{', '.join(map(str, df['label'][:8]))} ...).")
        denom = np.broadcast_to(rows.iloc[0][cols].to_numpy(dtype=float), (len(df), len(cols)))
    ratios = df[cols].to_numpy(dtype=float) / denom
    for j, m in enumerate(metrics):
        out[f"{canonical(m)} [x baseline]"] = ratios[:, j]
    return out


def text_table(df, columns: list[str], max_rows: int = 40) -> str:
    """A plain fixed-width table for the terminal (4 significant digits)."""
    shown = df[columns].head(max_rows)
    cells = [[f"{v:.4g}" if isinstance(v, float) else str(v) for v in row] for row in shown.itertuples(index=False)]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(columns, widths)))]
    for r in cells:
        lines.append("  ".join(v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(r, widths))))
    if len(df) > max_rows:
        lines.append(f"... {len(df) - max_rows} more rows")
    return "\n".join(lines)
