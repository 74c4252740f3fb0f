"""The teaching figures of the docs, made by minisep itself (SVG, no dependency), and checked by the tests.

    python -m minisep.teach.figures docs/img        # regenerate them all

``tests/teach/test_figures.py`` regenerates every figure into a temporary folder and compares it byte
for byte with the file in docs/img, so a change to the drawing code or to the maths behind a figure
shows up as a failing test until the figures are regenerated with the command above.

Each figure is the output of a command a learner can run:

    graph_separable_block.svg   minisep.teach.viz.write_svg of a separable block's graph after backward
    draw_stride2_same.svg       minisep draw --size 6 --kernel 3 --stride 2 --padding same
                                             --output 2,2 --input 5,5 --out draw_stride2_same.svg
    bug_no_flip.svg             minisep gradcheck --layer depthwise --shape 1,2,6,6 --stride 2
                                             --padding same --no-bias --bug no-flip, drawn by
                                             minisep.teach.heatmaps.heatmap_svg
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

REGENERATE = "python -m minisep.teach.figures docs/img"

DRAW_ARGS = dict(size=6, kernel=3, stride=2, padding="same", output=(2, 2), pixel=(5, 5))
DRAW_COMMAND = "minisep draw --size 6 --kernel 3 --stride 2 --padding same --output 2,2 --input 5,5"
BUG_ARGS = dict(layer="depthwise", shape=(1, 2, 6, 6), stride=2, padding="same", bias=False, bug="no-flip")
BUG_COMMAND = ("minisep gradcheck --layer depthwise --shape 1,2,6,6 --stride 2 --padding same --no-bias "
               "--bug no-flip")


def graph_figure() -> str:
    """The autograd graph of a small separable block (stride 2, 'same') and a ReLU, after backward."""
    import minisep as ms
    from minisep import nn

    from .viz import to_svg

    block = nn.SeparableConv2d(2, 3, 3, stride=2, padding="same", rng=0, dtype=np.float64)
    x = ms.tensor(np.arange(72.0).reshape(1, 2, 6, 6) % 7 - 3, requires_grad=True)   # small integers
    loss = block(x).relu().sum()
    loss.backward(retain_graph=True, retain_all=True)   # keep the saved arrays and every dL/d(node)
    return to_svg(loss, names={"x": x, **dict(block.named_parameters())},
                  title="SeparableConv2d(2, 3, 3, stride=2, padding='same') -> relu -> sum, after backward")


def draw_figure() -> str:
    """`minisep draw` of stride 2 'same' on 6x6: the odd padding row and column at the bottom/right."""
    from . import draw
    from .draw_svg import render_svg

    a = DRAW_ARGS
    g = draw.geometry(a["size"], a["kernel"], a["stride"], a["padding"])
    head, items = draw.panels(g, 1, a["output"], a["pixel"])
    return render_svg(head, items)


def bug_figure() -> str:
    """The break-it mode's error map of `--bug no-flip` at stride 2: dX wrong on a lattice, dD right."""
    from .heatmaps import heatmap_svg
    from .layercheck import check_layer

    kw = dict(BUG_ARGS)
    report = check_layer(kw.pop("layer"), kw.pop("shape"), **kw)
    return heatmap_svg(report, BUG_COMMAND)


FIGURES = {
    "graph_separable_block.svg": graph_figure,
    "draw_stride2_same.svg": draw_figure,
    "bug_no_flip.svg": bug_figure,
}


def make_all(out_dir) -> list[Path]:
    """Write every figure into ``out_dir`` (created if needed); returns the paths written."""
    from ..data._atomic import atomic_write_bytes

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, make in FIGURES.items():
        atomic_write_bytes(out / name, make().encode("utf-8"))
        written.append(out / name)
    return written


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or argv[0].startswith("-"):
        print(f"usage: python -m minisep.teach.figures OUT_DIR   (the docs' figures: {REGENERATE})",
              file=sys.stderr)
        return 2
    for path in make_all(argv[0]):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
