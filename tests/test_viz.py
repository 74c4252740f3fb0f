"""The graph view: one row per op with shapes, saved arrays and gradient norms; DOT export."""

import numpy as np

import minisep as ms
from minisep.teach import viz


def small_graph():
    x = ms.tensor(np.arange(6.0).reshape(2, 3) / 6, requires_grad=True)
    w = ms.tensor(np.ones((3, 2)), requires_grad=True)
    return ms.cross_entropy((x @ w).tanh(), np.array([0, 1]))


def test_table_lists_ops_in_order_with_grad_norms():
    loss = small_graph()
    loss.backward(retain_graph=True, retain_all=True)
    rows = viz.graph_rows(loss)
    assert [r.op for r in rows] == ["MatMul", "Tanh", "CrossEntropy"]
    assert rows[0].out_shape == (2, 2) and rows[0].saved == [(2, 3), (3, 2)]
    assert rows[1].inputs == ["#0 (2, 2)"]
    assert rows[2].grad_norm == 1.0
    text = viz.graph_table(loss)
    assert "CrossEntropy" in text and "3 ops" in text


def test_table_after_plain_backward_says_freed_and_has_no_norms():
    loss = small_graph()
    loss.backward()
    rows = viz.graph_rows(loss)
    assert all(r.freed for r in rows) and rows[0].grad_norm is None
    assert "(freed)" in viz.graph_table(loss)


def test_dot_export_has_nodes_and_edges():
    loss = small_graph()
    dot = viz.to_dot(loss)
    assert dot.startswith("digraph") and dot.rstrip().endswith("}")
    assert dot.count("->") == 4 and "MatMul" in dot and "shape=ellipse" in dot
