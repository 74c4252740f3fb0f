"""The pictures of minisep.teach.draw as one SVG document, written by hand (no dependency).

Every panel is a grid of squares, coloured by the cell's style (draw.COLORS), with its label inside,
row and column indices at the side and top, the title above and the notes below.
"""
from __future__ import annotations

from xml.sax.saxutils import escape

from .draw import COLORS, Panel

CELL = 18       # px per grid square
MARGIN = 10
LABEL_W = 34    # room for the row labels
LINE = 13       # px per line of text
CHAR = 0.62     # a monospace character is about 0.62 font sizes wide (bold a little more)


def _text_width(text: str, size: float) -> int:
    return int(len(text) * size * CHAR + 1)


def _panel(panel: Panel, top: int) -> tuple[list[str], int, int]:
    out = []
    width = max([MARGIN + _text_width(panel.title, 11 * 1.05)] +
                [MARGIN + _text_width(note, 9) for note in panel.notes])
    y = top + LINE
    out.append(f'<text x="{MARGIN}" y="{y}" font-size="11" font-weight="bold">{escape(panel.title)}</text>')
    y += 6
    if panel.col_labels:
        y += LINE
        for c, label in enumerate(panel.col_labels):
            x = MARGIN + LABEL_W + c * CELL + CELL / 2
            rotate = f' transform="rotate(-60 {x:.0f} {y})"' if len(label) > 2 else ""
            out.append(f'<text x="{x:.0f}" y="{y}" font-size="8" text-anchor="middle"{rotate}>{escape(label)}</text>')
        y += 4
    for r, row in enumerate(panel.cells):
        cy = y + r * CELL
        if r < len(panel.row_labels):
            out.append(f'<text x="{MARGIN + LABEL_W - 4}" y="{cy + CELL * 0.7:.0f}" font-size="8" '
                       f'text-anchor="end">{escape(panel.row_labels[r])}</text>')
        for c, (label, style) in enumerate(row):
            x = MARGIN + LABEL_W + c * CELL
            out.append(f'<rect x="{x}" y="{cy}" width="{CELL}" height="{CELL}" fill="{COLORS.get(style, "#ffffff")}" '
                       f'stroke="#999999" stroke-width="0.5"><title>{escape(style)}</title></rect>')
            if label not in (".", ":"):
                out.append(f'<text x="{x + CELL / 2:.0f}" y="{cy + CELL * 0.7:.0f}" font-size="10" '
                           f'text-anchor="middle">{escape(label)}</text>')
    y += len(panel.cells) * CELL
    for note in panel.notes:
        y += LINE
        out.append(f'<text x="{MARGIN}" y="{y}" font-size="9">{escape(note)}</text>')
    return out, y + MARGIN, width


def render_svg(head: str, items: list[Panel]) -> str:
    body, y = [], MARGIN
    width = 600
    for line in head.splitlines():
        y += LINE
        body.append(f'<text x="{MARGIN}" y="{y}" font-size="10">{escape(line)}</text>')
        width = max(width, MARGIN * 2 + _text_width(line, 10))
    y += MARGIN
    for panel in items:
        cols = max((len(r) for r in panel.cells), default=0)
        width = max(width, MARGIN * 2 + LABEL_W + cols * CELL)
        lines, y, text_w = _panel(panel, y)
        width = max(width, text_w + MARGIN)
        body += lines
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{y + MARGIN}" '
            f'viewBox="0 0 {width} {y + MARGIN}" font-family="monospace">\n'
            f'<rect width="100%" height="100%" fill="white"/>\n' + "\n".join(body) + "\n</svg>\n")


__all__ = ["render_svg"]
