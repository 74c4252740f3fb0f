"""See the autograd graph: a table of every op of a forward pass, and Graphviz DOT export.

    loss.backward(retain_graph=True, retain_all=True)   # keep saved arrays and every dL/d(node)
    print(minisep.teach.viz.graph_table(loss))
    open("graph.dot", "w").write(minisep.teach.viz.to_dot(loss))   # render: dot -Tpng graph.dot -o graph.png

Each row: the op (its Function), input shapes, output shape, the arrays it saved for backward,
and the norm of the gradient that reached its output (when backward kept it).
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
