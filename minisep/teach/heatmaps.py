"""Gradients as pictures: for each checked input, analytic | numeric | |error| as heatmaps.

    write_heatmaps(check_layer("separable", (1, 2, 6, 6), stride=2, padding="same"), "out/")  # PNG, matplotlib
    open("check.svg", "w").write(heatmap_svg(report))     # one SVG, drawn by minisep: no dependency

dX is drawn per (h, w) for n = 0, one row per channel c; dD per (i, j), one row per channel c·m+k;
dP / dW as one (o, c·kh·kw) matrix. write_heatmaps raises ImportError without matplotlib.
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


# ---- the same heatmaps as one SVG, written by hand --------------------------------------------------------

_CELL = 16
_GAP = 18
_M = 12
_LINE = 14


def _diverging(v: float) -> str:
    """v in [-1, 1]: blue (negative) - white - red (positive)."""
    v = max(-1.0, min(1.0, v))
    a = round(255 * (1 - abs(v)))
    return f"#{a:02x}{a:02x}ff" if v < 0 else f"#ff{a:02x}{a:02x}"


def _sequential(v: float) -> str:
    """v in [0, 1]: white - black (no error is white)."""
    a = round(255 * (1 - max(0.0, min(1.0, v))))
    return f"#{a:02x}{a:02x}{a:02x}"


def _layout(check) -> str:
    a = check.analytic
    if a.ndim == 4 and check.name == "dX":
        return "per (h, w) of sample n = 0; one row per input channel c"
    if a.ndim == 4 and a.shape[1] == 1:
        return "per tap (i, j); one row per depthwise channel c·m+k"
    if a.ndim > 1:
        return f"as one {a.shape[0]} x {int(np.prod(a.shape[1:]))} matrix (row o)"
    return "as one row"


def heatmap_svg(report, title: str | None = None) -> str:
    """analytic | numeric | |error| of every checked gradient of ``report`` (check_layer's) as one SVG.

    Analytic and numeric share one blue-white-red scale per gradient (white = 0); |error| is white
    where the element passes the report's own test (|error| <= atol + rtol·|numeric|) and grey to
    black where it fails, black at the largest error. Rounding noise does not show, so the same
    check gives the same bytes on any machine (colours are rounded to 8 bits)."""
    from xml.sax.saxutils import escape

    body, y, width = [], _M, 0
    for line in (title or "").splitlines():
        y += _LINE
        body.append(f'<text x="{_M}" y="{y}" font-size="11" font-weight="bold">{escape(line)}</text>')
    for check in report.inputs:
        if check.analytic is None:
            continue
        err = np.abs(check.analytic - check.numeric)
        wrong = err > report.atol + report.rtol * np.abs(check.numeric)   # the check's own criterion
        scale = float(max(np.abs(check.analytic).max(), np.abs(check.numeric).max())) or 1.0
        emax = float(err[wrong].max()) if wrong.any() else 0.0
        # a wrong element is grey to black by its error; a right one is white, whatever its rounding noise
        shade = np.where(wrong, 0.2 + 0.8 * err / (emax or 1.0), 0.0)
        if wrong.any():
            what = f"WRONG at {int(wrong.sum())} of {wrong.size}: analytic | numeric | |error| (max {emax:.2g})"
        else:
            what = "right everywhere (within the tolerance): analytic | numeric | |error|"
        y += _LINE + 8
        body.append(f'<text x="{_M}" y="{y}" font-size="11" font-weight="bold">{escape(check.name)} '
                    f'{escape(what)}</text>')
        y += _LINE
        body.append(f'<text x="{_M}" y="{y}" font-size="9" fill="#444444">{escape(_layout(check))}</text>')
        y += 6
        for r, planes in enumerate(zip(_planes(check.analytic, check.name), _planes(check.numeric, check.name),
                                       _planes(shade, check.name))):
            x = _M + 24
            rows, cols = planes[0].shape
            body.append(f'<text x="{_M}" y="{y + _CELL * 0.8:.0f}" font-size="9">{r}</text>')
            for col, plane in enumerate(planes):
                for a in range(rows):
                    for b in range(cols):
                        v = plane[a, b]
                        fill = _sequential(v) if col == 2 else _diverging(v / scale)
                        body.append(f'<rect x="{x + b * _CELL}" y="{y + a * _CELL}" width="{_CELL}" '
                                    f'height="{_CELL}" fill="{fill}" stroke="#bbbbbb" stroke-width="0.5"/>')
                x += cols * _CELL + _GAP
            width = max(width, x)
            y += rows * _CELL + 8
    y += _LINE
    body.append(f'<text x="{_M}" y="{y}" font-size="9" fill="#444444">analytic, numeric: blue &lt; 0 &lt; red '
                '(white = 0); |error|: white = right, grey to black = wrong, black = the largest error</text>')
    height = y + _M
    width = max(width + _M, 560, 80 + 7 * max((len(t) for t in (title or "").splitlines()), default=0))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="monospace">\n'
            '<rect width="100%" height="100%" fill="white"/>\n' + "\n".join(body) + "\n</svg>\n")
