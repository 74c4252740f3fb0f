"""Index-map pictures of one depthwise convolution: which pixels an output reads, which outputs an input
pixel's gradient collects, gy on the stride grid under the flipped kernel, and the conv as a matrix.

    minisep draw --size 6 --kernel 3 --stride 2 --padding same [--output 2,2] [--input 3,3] [--out f.svg]

The geometry is in pure functions, tested against minisep's own conv (tests/test_draw.py):

    which_inputs(p, q, g)   -> [Tap(h, w, i, j, padding)]: output (p, q) reads x[h, w] through tap (i, j),
                               h = p·sh + i·rh - pt, w = q·sw + j·rw - pl (padding=True: a zero of xp)
    which_outputs(h, w, g)  -> [(p, q, i, j)]: the outputs whose tap (i, j) read x[h, w]; their gy, times
                               w[i, j], is what dX[h, w] collects
    conv_matrix(g, w=None)  -> C (P·Q, H·W): y.flat = C @ x.flat and dX.flat = Cᵀ @ gy.flat (per channel)

Letters as in docs/backprop-separable-conv.md: m is the depth multiplier and k < m its index (output
channel c·m + k reads input channel c); kernel taps (i, j) with i < kh, j < kw.

`panels(...)` turns these into pictures (grids of labelled cells) that render_text, draw_svg.render_svg
and render_png draw the same way.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from ..kernels.geometry import ConvGeometry, conv_geometry

TAP_CHARS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
MATRIX_MAX_PIXELS = 36  # the matrix view is drawn for H·W up to this, or for any 1-D size up to 64


class Tap(NamedTuple):
    h: int          # input row (may be outside [0, H) when padding)
    w: int          # input column
    i: int          # kernel row
    j: int          # kernel column
    padding: bool   # True: a padding cell of xp (reads a zero)


def geometry(size, kernel, stride=1, padding=0, dilation=1) -> ConvGeometry:
    """conv_geometry for the pictures (ints or (h, w) pairs; padding int, pair, 4-tuple, 'same' or 'valid')."""
    return conv_geometry("draw", size, kernel, stride, padding, dilation)


def tap_char(i: int, j: int, g: ConvGeometry) -> str:
    """One character naming tap (i, j): its row-major index t = i·kw + j in base 62 (0-9, a-z, A-Z)."""
    t = i * g.kernel_hw[1] + j
    return TAP_CHARS[t] if t < len(TAP_CHARS) else "*"


def which_inputs(p: int, q: int, g: ConvGeometry) -> list[Tap]:
    """Every tap (i, j) of output (p, q): the input pixel it reads, padding cells included."""
    (H, W), (kh, kw), (sh, sw), (rh, rw) = g.in_hw, g.kernel_hw, g.stride, g.dilation
    pt, _pb, pl, _pr = g.padding
    P, Q = g.out_hw
    if not (0 <= p < P and 0 <= q < Q):
        raise ValueError(f"output (p, q) = ({p}, {q}) is outside the {P}x{Q} output")
    taps = []
    for i in range(kh):
        for j in range(kw):
            h, w = p * sh + i * rh - pt, q * sw + j * rw - pl
            taps.append(Tap(h, w, i, j, not (0 <= h < H and 0 <= w < W)))
    return taps


def which_outputs(h: int, w: int, g: ConvGeometry) -> list[tuple[int, int, int, int]]:
    """(p, q, i, j) for every output (p, q) whose tap (i, j) reads x[h, w]: dX[h, w] = Σ w[i, j]·gy[p, q]."""
    (H, W), (kh, kw), (sh, sw), (rh, rw) = g.in_hw, g.kernel_hw, g.stride, g.dilation
    pt, _pb, pl, _pr = g.padding
    P, Q = g.out_hw
    if not (0 <= h < H and 0 <= w < W):
        raise ValueError(f"input pixel (h, w) = ({h}, {w}) is outside the {H}x{W} input")
    found = []
    for i in range(kh):
        a = h + pt - i * rh          # = p·sh must hold: the stride grid
        if a < 0 or a % sh or a // sh >= P:
            continue
        for j in range(kw):
            b = w + pl - j * rw
            if b < 0 or b % sw or b // sw >= Q:
                continue
            found.append((a // sh, b // sw, i, j))
    return sorted(found)


def conv_matrix(g: ConvGeometry, w=None) -> np.ndarray:
    """C (P·Q, H·W): C[p·Q + q, h·W + w] = w[i, j] for the tap (i, j) of output (p, q) that reads x[h, w]
    (padding taps read zeros and drop out). w=None: the entry is t + 1 for tap t = i·kw + j, 0 elsewhere."""
    (H, W), (P, Q) = g.in_hw, g.out_hw
    C = np.zeros((P * Q, H * W))
    for p in range(P):
        for q in range(Q):
            for tap in which_inputs(p, q, g):
                if not tap.padding:
                    value = tap.i * g.kernel_hw[1] + tap.j + 1 if w is None else w[tap.i, tap.j]
                    C[p * Q + q, tap.h * W + tap.w] = value
    return C


# ---- pictures: panels of labelled cells, drawn by text, SVG and PNG alike -----------------------------

# cell styles: img (an image pixel), pad (a padding cell), read / readpad (read by the chosen output),
# out / hit (an output; hit: its gradient reaches the chosen pixel), gy / gyhit / zero / zerohit (the
# stride grid: gy values and inserted zeros, *hit when under a tap of the flipped kernel), chosen,
# tap (a kernel tap), none (an empty matrix entry), entry (a non-zero one)


@dataclass
class Panel:
    title: str
    cells: list                               # rows of (label, style)
    row_labels: list = field(default_factory=list)
    col_labels: list = field(default_factory=list)
    notes: list = field(default_factory=list)


def _describe(g: ConvGeometry, m: int) -> str:
    (H, W), (kh, kw), (sh, sw), (rh, rw), (P, Q) = g.in_hw, g.kernel_hw, g.stride, g.dilation, g.out_hw
    return (f"input {H}x{W}, kernel {kh}x{kw}, stride {sh},{sw}, dilation {rh},{rw}, padding (pt, pb, pl, pr) = "
            f"{g.padding} -> output {P}x{Q}; depth multiplier m = {m}")


def forward_panel(p: int, q: int, g: ConvGeometry) -> Panel:
    """xp (the padded input) with the taps output (p, q) reads."""
    (H, W), (pt, pb, pl, pr) = g.in_hw, g.padding
    reads = {(t.h, t.w): t for t in which_inputs(p, q, g)}
    rows = []
    for h in range(-pt, H + pb):
        row = []
        for w in range(-pl, W + pr):
            pad = not (0 <= h < H and 0 <= w < W)
            t = reads.get((h, w))
            if t is not None:
                row.append((tap_char(t.i, t.j, g), "readpad" if pad else "read"))
            else:
                row.append((":" if pad else ".", "pad" if pad else "img"))
        rows.append(row)
    taps = which_inputs(p, q, g)
    n_pad = sum(t.padding for t in taps)
    notes = [f"y[p={p}, q={q}] = Σ_ij w[i, j]·xp[{p}·{g.stride[0]} + i·{g.dilation[0]}, "
             f"{q}·{g.stride[1]} + j·{g.dilation[1]}]: {len(taps)} taps, {n_pad} of them on padding (zeros)"]
    return Panel(f"forward: the pixels output (p, q) = ({p}, {q}) reads (digit = tap t = i·kw + j; "
                 f"( ) = a padding cell)", rows, [str(h) for h in range(-pt, H + pb)],
                 [str(w) for w in range(-pl, W + pr)], notes)


def backward_panel(h: int, w: int, g: ConvGeometry, m: int) -> Panel:
    """The P×Q outputs, marked with the tap through which each reached x[h, w]."""
    P, Q = g.out_hw
    hits = {(p, q): (i, j) for p, q, i, j in which_outputs(h, w, g)}
    rows = [[(tap_char(*hits[p, q], g), "hit") if (p, q) in hits else (".", "out") for q in range(Q)]
            for p in range(P)]
    hits_list = which_outputs(h, w, g)
    terms = " + ".join(f"w[{i},{j}]·gy[{p},{q}]" for p, q, i, j in hits_list)
    if not hits_list:
        notes = [f"dX[n, c, {h}, {w}] = 0: no output reads this pixel (the stride and dilation step over it)"]
    elif m > 1:
        notes = [f"dX[n, c, {h}, {w}] = Σ_k ({terms})   with w = w[c·m+k, 0], gy = gy[n, c·m+k], k < m"]
    else:
        notes = [f"dX[n, c, {h}, {w}] = {terms}"]
    return Panel(f"backward: the outputs whose gradient dX[h, w] = dX[{h}, {w}] collects (digit = the tap)",
                 rows, [str(p) for p in range(P)], [str(q) for q in range(Q)], notes)


def stride_grid_panel(h: int, w: int, g: ConvGeometry) -> Panel:
    """gy placed on the stride grid (in xp coordinates: gy[p, q] at (p·sh, q·sw), zeros between), with
    the flipped kernel over the cells that dX[h, w] sums."""
    (H, W), (kh, kw), (sh, sw), (rh, rw), (P, Q) = g.in_hw, g.kernel_hw, g.stride, g.dilation, g.out_hw
    pt, pb, pl, pr = g.padding
    Hg, Wg = (P - 1) * sh + 1, (Q - 1) * sw + 1
    under = {}
    for i in range(kh):
        for j in range(kw):
            a, b = h + pt - i * rh, w + pl - j * rw
            if 0 <= a < Hg and 0 <= b < Wg:
                under[a, b] = (kh - 1 - i, kw - 1 - j)  # the flipped tap sitting there
    rows = []
    for a in range(Hg):
        row = []
        for b in range(Wg):
            on_grid = a % sh == 0 and b % sw == 0
            label = "g" if on_grid else "0"
            style = ("gy" if on_grid else "zero") + ("hit" if (a, b) in under else "")
            row.append((label, style))
        rows.append(row)
    notes = [f"gy[p, q] sits at (p·{sh}, q·{sw}); {sh - 1} zero(s) between neighbours in a column, {sw - 1} in a row",
             f"dX[{h}, {w}] = Σ over the [ ] cells of (flipped kernel) × (grid): the flipped kernel's top-left tap at "
             f"({h + pt - (kh - 1) * rh}, {w + pl - (kw - 1) * rw}), its taps {rh},{rw} apart"]
    return Panel(f"gy on the stride grid, the flipped kernel over the cells dX[{h}, {w}] sums ([g]: a gy that "
                 f"counts, [0]: an inserted zero under a tap)", rows, [str(a) for a in range(Hg)],
                 [str(b) for b in range(Wg)], notes)


def kernel_panels(g: ConvGeometry) -> list[Panel]:
    kh, kw = g.kernel_hw
    taps = [[(tap_char(i, j, g), "tap") for j in range(kw)] for i in range(kh)]
    flipped = [[(tap_char(kh - 1 - i, kw - 1 - j, g), "tap") for j in range(kw)] for i in range(kh)]
    idx = lambda n: [str(v) for v in range(n)]  # noqa: E731
    return [Panel("the kernel w[i, j] (tap t = i·kw + j)", taps, idx(kh), idx(kw)),
            Panel("the flipped kernel wf[i, j] = w[kh-1-i, kw-1-j], used by dX", flipped, idx(kh), idx(kw))]


def matrix_panel(g: ConvGeometry) -> Panel | None:
    """The conv as a banded matrix C (P·Q rows, H·W columns) of tap labels, for small or 1-D sizes."""
    (H, W), (P, Q) = g.in_hw, g.out_hw
    if not (H * W <= MATRIX_MAX_PIXELS or (min(H, W) == 1 and H * W <= 64)):
        return None
    C = conv_matrix(g)
    rows = [[(TAP_CHARS[int(v) - 1] if v and v - 1 < len(TAP_CHARS) else ("*" if v else "."), "entry" if v else "none")
             for v in row] for row in C]
    return Panel("the conv as a matrix C: y.flat = C·x.flat, dX.flat = Cᵀ·gy.flat (rows: outputs (p, q); "
                 "columns: pixels (h, w); entry = tap)", rows,
                 [str(r) for r in range(P * Q)], [str(c) for c in range(H * W)],
                 [f"row p·{Q} + q is output (p, q), column h·{W} + w is pixel (h, w); banded: each row holds the "
                  f"kernel's taps, shifted by the stride from its neighbour",
                  "column h·W + w of C lists the outputs and taps dX[h, w] collects: dX = Cᵀ·gy is the backward"])


def panels(g: ConvGeometry, m: int = 1, output=None, pixel=None) -> tuple[str, list[Panel]]:
    """(headline, panels) for output (p, q) (default: the last one) and input pixel (h, w) (default: the middle)."""
    (H, W), (P, Q) = g.in_hw, g.out_hw
    p, q = (P - 1, Q - 1) if output is None else output
    h, w = (H // 2, W // 2) if pixel is None else pixel
    which_inputs(p, q, g), which_outputs(h, w, g)  # range checks first, with clear messages
    head = _describe(g, m)
    if m > 1:
        head += (f"\nevery input channel c has m = {m} filters: output channel c·m+k (k < {m}) reads channel c "
                 f"through the pictures below, and dX[c] sums the m outputs c·m .. c·m+{m - 1}")
    out = [forward_panel(p, q, g), backward_panel(h, w, g, m), *kernel_panels(g), stride_grid_panel(h, w, g)]
    mat = matrix_panel(g)
    if mat is not None:
        out.append(mat)
    else:
        out[-1].notes.append(f"(the matrix view is drawn for H·W <= {MATRIX_MAX_PIXELS} or a 1-D size such as "
                             f"--size 1,12 --kernel 1,3)")
    return head, out


_TEXT = {"read": " {} ", "readpad": "({})", "hit": " {} ", "gyhit": "[{}]", "zerohit": "[{}]"}


def render_text(head: str, items: list[Panel]) -> str:
    lines = [head]
    for panel in items:
        lines += ["", panel.title]
        label_w = max((len(s) for s in panel.row_labels), default=0)
        width = max(3, max((len(s) for s in panel.col_labels), default=0) + 1)
        if panel.col_labels and width <= 4:
            lines.append(" " * (label_w + 3) + "".join(f"{s:^{width}}" for s in panel.col_labels))
        for r, row in enumerate(panel.cells):
            text = "".join(f"{_TEXT.get(style, ' {} ').format(label):^{width}}" for label, style in row)
            lab = panel.row_labels[r] if r < len(panel.row_labels) else ""
            lines.append(f"  {lab:>{label_w}} {text}".rstrip())
        lines += [f"  {note}" for note in panel.notes]
    return "\n".join(lines) + "\n"


COLORS = {"img": "#ffffff", "pad": "#e6e6e6", "read": "#8fc1ff", "readpad": "#c9b3ff", "out": "#ffffff",
          "hit": "#ffb27a", "gy": "#ffe9a8", "gyhit": "#ff9f43", "zero": "#f4f4f4", "zerohit": "#d0d0d0",
          "tap": "#b9e6b9", "none": "#ffffff", "entry": "#8fc1ff", "chosen": "#ff6b6b"}


def render_png(head: str, items: list[Panel], path) -> None:
    """The same panels as a PNG (matplotlib; ImportError without it)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    fig, axes = plt.subplots(len(items), 1, figsize=(9, 2.6 * len(items)), squeeze=False)
    fig.suptitle(head, fontsize=8)
    for ax, panel in zip(axes[:, 0], items):
        nr, nc = len(panel.cells), max(len(r) for r in panel.cells)
        for r, row in enumerate(panel.cells):
            for c, (label, style) in enumerate(row):
                ax.add_patch(Rectangle((c, nr - 1 - r), 1, 1, facecolor=COLORS.get(style, "#ffffff"),
                                       edgecolor="#999999", linewidth=0.5))
                if label not in (".", ":"):
                    ax.text(c + 0.5, nr - 0.5 - r, label, ha="center", va="center", fontsize=7)
        ax.set_xlim(0, nc)
        ax.set_ylim(0, nr)
        ax.set_aspect("equal")
        ax.set_xticks([c + 0.5 for c in range(len(panel.col_labels))], panel.col_labels, fontsize=5,
                      rotation=90 if len(panel.col_labels) > 12 else 0)
        ax.set_yticks([nr - 0.5 - r for r in range(len(panel.row_labels))], panel.row_labels, fontsize=5)
        ax.set_title(panel.title, fontsize=7)
        if panel.notes:
            ax.set_xlabel("\n".join(panel.notes), fontsize=6)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.35 / len(items)))
    fig.savefig(path, dpi=120)
    plt.close(fig)


__all__ = ["Panel", "Tap", "conv_matrix", "geometry", "panels", "render_png", "render_text", "which_inputs",
           "which_outputs"]
