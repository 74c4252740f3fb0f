"""See the autograd graph: a table of every op of a forward pass, an SVG drawing, and Graphviz DOT export.

    loss.backward(retain_graph=True, retain_all=True)   # keep saved arrays and every dL/d(node)
    print(minisep.teach.viz.graph_table(loss))
    minisep.teach.viz.write_svg(loss, "graph.svg")      # drawn by minisep itself: no graphviz needed
    open("graph.dot", "w").write(minisep.teach.viz.to_dot(loss))   # render: dot -Tpng graph.dot -o graph.png

Each row (and each box of the drawing): the op (its Function), input shapes, output shape, the
arrays it saved for backward, and the norm of the gradient that reached its output (when backward
kept it). Leaves (inputs and parameters) show their shape and the norm of their .grad.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..autograd import topological_order
from ..tensor import Tensor


@dataclass
class GraphRow:
    index: int
    op: str
    inputs: list[str]         # "#k" for op outputs, "leaf" / "param" for leaves, with shapes
    out_shape: tuple
    saved: list[tuple]        # shapes of the arrays saved for backward ([] after a freeing backward)
    grad_norm: float | None   # ||dL/d(output)||, if the gradient was kept
    params: dict
    freed: bool = False       # True after a backward without retain_graph


def _fmt_params(params: dict) -> dict:
    return {k: v for k, v in params.items() if not isinstance(v, (np.ndarray, np.random.Generator))}


def graph_rows(root: Tensor) -> list[GraphRow]:
    """One row per op output reachable from ``root``, inputs before outputs."""
    order = [t for t in topological_order(root) if t.grad_fn is not None]
    number = {id(t): k for k, t in enumerate(order)}
    rows = []
    for k, t in enumerate(order):
        node = t.grad_fn
        inputs = []
        for parent in node.inputs:
            if id(parent) in number:
                inputs.append(f"#{number[id(parent)]} {parent.shape}")
            else:
                kind = "param" if parent.requires_grad else "const"
                inputs.append(f"{kind} {parent.shape}")
        saved = []
        if node.ctx is not None:
            saved = [getattr(a, "shape", ()) for a in node.ctx.saved if isinstance(a, np.ndarray)]
        grad_norm = float(np.linalg.norm(t.grad)) if t.grad is not None else None
        rows.append(GraphRow(k, node.name, inputs, tuple(t.shape), saved, grad_norm,
                             _fmt_params(node.params), node.freed))
    return rows


def graph_table(root: Tensor) -> str:
    """The graph as a text table (see the module docstring)."""
    rows = graph_rows(root)
    head = f"{'#':>3}  {'op':<16}{'inputs':<40}{'output':<18}{'saved for backward':<28}{'|dL/dy|':>10}"
    lines = [head, "-" * len(head)]
    for r in rows:
        saved = "(freed)" if r.freed else (", ".join(str(s) for s in r.saved) or "-")
        norm = f"{r.grad_norm:10.3e}" if r.grad_norm is not None else f"{'-':>10}"
        lines.append(f"{r.index:>3}  {r.op:<16}{'; '.join(r.inputs):<40}{str(r.out_shape):<18}{saved[:27]:<28}{norm}")
    lines.append(f"{len(rows)} ops. Gradient norms need backward(retain_all=True); saved arrays need retain_graph=True.")
    return "\n".join(lines)


def to_dot(root: Tensor, name: str = "minisep") -> str:
    """Graphviz DOT text: ops as boxes, leaves (params/inputs) as ellipses, edges input -> op."""
    order = topological_order(root)
    ids = {id(t): f"t{k}" for k, t in enumerate(order)}
    lines = [f"digraph {name} {{", "  rankdir=TB;", '  node [fontname="Helvetica", fontsize=10];']
    for t in order:
        tid = ids[id(t)]
        norm = f"\\n|grad| {np.linalg.norm(t.grad):.3g}" if t.grad is not None else ""
        if t.grad_fn is None:
            lines.append(f'  {tid} [shape=ellipse, label="{"param" if t.requires_grad else "input"} {t.shape}{norm}"];')
        else:
            lines.append(f'  {tid} [shape=box, style=rounded, label="{t.grad_fn.name}\\n{t.shape}{norm}"];')
            for parent in t.grad_fn.inputs:
                if id(parent) in ids:
                    lines.append(f"  {ids[id(parent)]} -> {tid};")
    lines.append("}")
    return "\n".join(lines)


# ---- the graph as SVG, drawn by hand (no graphviz) ------------------------------------------------------

_CHAR_W = 6.9     # px per character of the 11 px monospace font, with a little room
_LINE_H = 14      # px per text line in a box
_PAD = 7          # px inside a box, around the text
_GAP_X = 22       # px between two boxes of one layer
_GAP_Y = 42       # px between two layers
_MARGIN = 14
_FILL = {"op": "#dbe9ff", "param": "#d9f2d9", "input": "#eeeeee"}
_STROKE = {"op": "#3b6fb6", "param": "#3d8b3d", "input": "#888888"}


def _shape(shape) -> str:
    return str(tuple(int(n) for n in shape))


def _svg_graph(root: Tensor, names: dict | None):
    """Nodes in topological order as dicts (kind, lines, parents), leaves included."""
    from ..nn.module import Parameter

    order = topological_order(root)
    index = {id(t): k for k, t in enumerate(order)}
    label_of = {id(t): str(name) for name, t in (names or {}).items()}
    op_number = {id(t): n for n, t in enumerate(t for t in order if t.grad_fn is not None)}
    nodes = []
    for t in order:
        if t.grad_fn is None:
            kind = "param" if isinstance(t, Parameter) else "input"
            lines = [label_of.get(id(t), kind), _shape(t.shape)]
            parents = []
        else:
            kind, node = "op", t.grad_fn
            lines = [f"#{op_number[id(t)]} {node.name}", f"out {_shape(t.shape)}"]
            if node.freed:
                lines.append("saved: (freed)")
            elif node.ctx is not None:
                saved = [_shape(a.shape) for a in node.ctx.saved if isinstance(a, np.ndarray)]
                lines.append("saved: " + (", ".join(saved) if saved else "-"))
            parents = [index[id(p)] for p in node.inputs if id(p) in index]
            if id(t) in label_of:
                lines[0] += f"  ({label_of[id(t)]})"
        if t.grad is not None:
            lines.append(f"|grad| {np.linalg.norm(t.grad):.3g}")
        nodes.append({"kind": kind, "lines": lines, "parents": parents})
    return nodes


def _layers(nodes: list[dict]) -> list[int]:
    """Layer of each node: ops one below their deepest input, leaves just above their first consumer."""
    layer = [0] * len(nodes)
    for k, n in enumerate(nodes):
        if n["parents"]:
            layer[k] = 1 + max(layer[p] for p in n["parents"])
    children = [[] for _ in nodes]
    for k, n in enumerate(nodes):
        for p in n["parents"]:
            children[p].append(k)
    for k, n in enumerate(nodes):
        if not n["parents"] and children[k]:
            layer[k] = min(layer[c] for c in children[k]) - 1
    low = min(layer, default=0)
    return [v - low for v in layer]


def to_svg(root: Tensor, names: dict | None = None, title: str | None = None) -> str:
    """The autograd graph behind ``root`` as an SVG document, drawn by minisep (no graphviz).

    Boxes top to bottom in layers, data flowing down: grey = an input, green = a Parameter, blue =
    an op with its number (as in graph_table), output shape, the arrays it saved for backward and
    |grad|, the norm of dL/d(its output) when backward kept it (retain_graph=True, retain_all=True).
    ``names``: optional {name: tensor} (e.g. dict(model.named_parameters()) plus {"x": x}) to label
    leaves. The output depends only on the graph, so the same graph gives the same bytes.
    """
    from xml.sax.saxutils import escape

    nodes = _svg_graph(root, names)
    layer = _layers(nodes)
    for n in nodes:
        n["w"] = round(max(len(s) for s in n["lines"]) * _CHAR_W + 2 * _PAD)
        n["h"] = len(n["lines"]) * _LINE_H + 2 * _PAD - 4
    n_layers = max(layer, default=-1) + 1
    rows = [[k for k in range(len(nodes)) if layer[k] == r] for r in range(n_layers)]
    row_h = [max(nodes[k]["h"] for k in row) for row in rows]
    children = [[] for _ in nodes]
    for k, n in enumerate(nodes):
        for p in n["parents"]:
            children[p].append(k)

    def place():
        width = max(sum(nodes[k]["w"] for k in row) + _GAP_X * (len(row) - 1) for row in rows)
        for row in rows:
            x = _MARGIN + (width - (sum(nodes[k]["w"] for k in row) + _GAP_X * (len(row) - 1))) / 2
            for k in row:
                nodes[k]["x"], x = x, x + nodes[k]["w"] + _GAP_X
        return width

    def centre(k):
        return nodes[k]["x"] + nodes[k]["w"] / 2

    place()
    for down in (True, False):  # order each layer by the mean position of its inputs, then of its consumers
        for r in (range(n_layers) if down else reversed(range(n_layers))):
            def key(k, down=down):
                near = nodes[k]["parents"] if down else (children[k] if not nodes[k]["parents"] else [])
                return (sum(centre(j) for j in near) / len(near), k) if near else (centre(k), k)
            rows[r].sort(key=key)
            place()
    width = place()
    head = title if title is not None else (
        f"autograd graph of {nodes[-1]['lines'][0].split(' ', 1)[-1] if nodes else 'a leaf'}: "
        f"{sum(n['kind'] == 'op' for n in nodes)} ops, data flows down")
    legend = "grey: input, green: parameter, blue: op (#n as in graph_table); |grad| = norm of dL/d(it)"
    y = _MARGIN + 2 * _LINE_H + 6
    tops = []
    for r in range(n_layers):
        tops.append(y)
        y += row_h[r] + _GAP_Y
    height = y - _GAP_Y + _MARGIN
    for k in range(len(nodes)):
        nodes[k]["y"] = tops[layer[k]]
    total_w = round(max(width, len(head) * _CHAR_W * 1.05, len(legend) * _CHAR_W * 9 / 11) + 2 * _MARGIN)
    shift = (total_w - 2 * _MARGIN - width) / 2          # the drawing centred under a wider title
    for n in nodes:
        n["x"] += shift
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_w}" height="{height}" '
           f'viewBox="0 0 {total_w} {height}" font-family="monospace" font-size="11">',
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
           'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555555"/></marker></defs>',
           '<rect width="100%" height="100%" fill="white"/>',
           f'<text x="{_MARGIN}" y="{_MARGIN + 8}" font-weight="bold">{escape(head)}</text>',
           f'<text x="{_MARGIN}" y="{_MARGIN + 8 + _LINE_H}" font-size="9" fill="#444444">{escape(legend)}</text>']
    for k, n in enumerate(nodes):  # edges first, boxes on top
        ends = sorted(n["parents"], key=lambda p: (centre(p), p))
        for slot, p in enumerate(ends):
            x1, y1 = centre(p), nodes[p]["y"] + nodes[p]["h"]
            x2, y2 = n["x"] + n["w"] * (slot + 1) / (len(ends) + 1), n["y"]
            mid = (y2 - y1) / 2
            out.append(f'<path d="M {x1:.1f} {y1} C {x1:.1f} {y1 + mid:.1f} {x2:.1f} {y2 - mid:.1f} {x2:.1f} {y2}" '
                       'fill="none" stroke="#555555" stroke-width="1" marker-end="url(#arrow)"/>')
    for k, n in enumerate(nodes):
        rx = 8 if n["kind"] == "op" else 14
        out.append(f'<g><title>{escape(" | ".join(n["lines"]))}</title>'
                   f'<rect x="{n["x"]:.1f}" y="{n["y"]}" width="{n["w"]}" height="{n["h"]}" rx="{rx}" '
                   f'fill="{_FILL[n["kind"]]}" stroke="{_STROKE[n["kind"]]}" stroke-width="1.2"/>')
        for li, line in enumerate(n["lines"]):
            weight = ' font-weight="bold"' if li == 0 else ""
            out.append(f'<text x="{centre(k):.1f}" y="{n["y"] + _PAD + 7 + li * _LINE_H}" text-anchor="middle"'
                       f'{weight}>{escape(line)}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


def write_svg(root: Tensor, path, names: dict | None = None, title: str | None = None):
    """Write to_svg(root) to ``path`` (atomically: a reader never sees half a file); returns the Path."""
    from pathlib import Path

    from ..data._atomic import atomic_write_bytes

    path = Path(path)
    atomic_write_bytes(path, to_svg(root, names, title).encode("utf-8"))
    return path
