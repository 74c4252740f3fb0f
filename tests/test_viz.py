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


def test_svg_is_valid_xml_with_every_op_and_leaf_and_is_deterministic():
    import xml.etree.ElementTree as ET

    loss = small_graph()
    loss.backward(retain_graph=True, retain_all=True)
    svg = viz.to_svg(loss)
    root = ET.fromstring(svg)                      # well-formed XML
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    texts = [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text")]
    for op in ("MatMul", "Tanh", "CrossEntropy"):
        assert any(op in t for t in texts), op
    assert "out (2, 2)" in texts and "saved: (2, 3), (3, 2)" in texts and "|grad| 1" in texts
    assert sum(t == "param" for t in texts) == 0 and sum(t == "input" for t in texts) == 2  # plain tensors
    assert len(root.findall(".//{http://www.w3.org/2000/svg}path")) == 5  # 4 edges + the arrow head
    again = small_graph()
    again.backward(retain_graph=True, retain_all=True)
    assert viz.to_svg(again) == svg                # same graph, same bytes


def test_svg_names_leaves_marks_parameters_and_says_freed(tmp_path):
    import xml.etree.ElementTree as ET

    from minisep import nn

    ms.manual_seed(0)
    block = nn.SeparableConv2d(2, 3, 3, stride=2, padding="same")
    x = ms.tensor(np.ones((1, 2, 6, 6), dtype=np.float32), requires_grad=True)
    loss = block(x).relu().sum()
    loss.backward()                                # frees the saved arrays, keeps no node gradients
    path = viz.write_svg(loss, tmp_path / "g.svg", names={"x": x, **dict(block.named_parameters())})
    svg = path.read_text(encoding="utf-8")
    texts = [t.text for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")]
    for label in ("x", "depthwise.weight", "pointwise.weight", "pointwise.bias", "(3,)"):
        assert label in texts, label
    assert texts.count("saved: (freed)") == 5 and "#0 DepthwiseConv2d" in texts
    assert sum(t.startswith("|grad|") for t in texts) == 4   # the leaves only: x and three parameters
    assert svg.count('fill="#d9f2d9"') == 3                 # three Parameters drawn green
