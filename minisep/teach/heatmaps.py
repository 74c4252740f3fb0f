"""Gradients as pictures: for each checked input, analytic | numeric | |error| as heatmaps (matplotlib).

    write_heatmaps(check_layer("separable", (1, 2, 6, 6), stride=2, padding="same"), "out/")

dX is drawn per (h, w) for n = 0, one row per channel c; dD per (i, j), one row per channel c·m+k;
dP / dW as one (o, c·kh·kw) matrix. Raises ImportError without matplotlib.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np


def _planes(a: np.ndarray, name: str) -> list[np.ndarray]:
    if a.ndim == 4 and name == "dX":
        return list(a[0])                   # (C, H, W) of sample 0
    if a.ndim == 4 and a.shape[1] == 1:
        return list(a[:, 0])                # depthwise (C·m, kh, kw)
    return [a.reshape(a.shape[0], -1) if a.ndim > 1 else a[None]]   # (o, c·kh·kw) or a row


def write_heatmaps(report, out_dir) -> list[Path]:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..data._atomic import atomic_write_bytes

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for check in report.inputs:
        if check.analytic is None:
            continue
        rows = list(zip(_planes(check.analytic, check.name), _planes(check.numeric, check.name),
                        _planes(np.abs(check.analytic - check.numeric), check.name)))
        fig, axes = plt.subplots(len(rows), 3, figsize=(7.5, 2.2 * len(rows)), squeeze=False)
        for r, planes in enumerate(rows):
            for col, (plane, title) in enumerate(zip(planes, ("analytic", "numeric", "|error|"))):
                ax = axes[r, col]
                im = ax.imshow(plane, cmap="magma" if col == 2 else "RdBu_r")
                ax.set_title(f"{check.name} {title}" + (f" [{r}]" if len(rows) > 1 else ""), fontsize=8)
                ax.set_xticks([]); ax.set_yticks([])
                fig.colorbar(im, ax=ax, fraction=0.046)
        fig.tight_layout()
        import io
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=80)
        plt.close(fig)
        path = out / f"{check.name or check.index}.png"
        atomic_write_bytes(path, buf.getvalue())
        written.append(path)
    return written
