"""minisep.teach.draw: the index maps agree with minisep's own depthwise conv, and `minisep draw`
prints text, writes SVG (and PNG with matplotlib), and rejects bad options with one line and exit 2."""
import numpy as np
import pytest

import minisep as ms
import minisep.nn.functional as F
from minisep.cli import main
from minisep.teach import draw

GEOMETRIES = [  # (size, kernel, stride, padding, dilation)
    (6, 3, 2, "same", 1),          # the odd 'same' pad: bottom row and right column
    (7, 3, 2, "same", 1),
    ((5, 6), (3, 2), (2, 1), 1, (2, 1)),
    (5, 3, 1, "valid", 2),
    ((1, 9), (1, 3), (1, 2), "same", (1, 2)),  # 1-D
    (4, 2, 3, (0, 1, 1, 0), 1),
]


def _grads(g, x, w, gy):
    xt, wt = ms.tensor(x, requires_grad=True), ms.tensor(w, requires_grad=True)
    y = F.depthwise_conv2d(xt, wt, stride=g.stride, padding=g.padding, dilation=g.dilation)
    y.backward(gy)
    return y.data, xt.grad, wt.grad


@pytest.mark.parametrize("geo", GEOMETRIES, ids=str)
def test_which_inputs_is_where_a_one_hot_gy_lands(geo):
    g = draw.geometry(*geo)
    (H, W), (kh, kw), (P, Q) = g.in_hw, g.kernel_hw, g.out_hw
    rng = np.random.default_rng(0)
    w = rng.integers(1, 5, (1, 1, kh, kw)).astype(np.float64)  # no zero weight: every tap shows
    x = np.ones((1, 1, H, W))
    for p in range(P):
        for q in range(Q):
            gy = np.zeros((1, 1, P, Q))
            gy[0, 0, p, q] = 1.0
            _y, gx, gw = _grads(g, x, w, gy)
            taps = draw.which_inputs(p, q, g)
            expect = np.zeros((H, W))
            for t in taps:
                if not t.padding:
                    expect[t.h, t.w] = w[0, 0, t.i, t.j]
            assert np.array_equal(gx[0, 0], expect)
            # dD[i, j] = xp at the tap: 1 on the image, 0 on a padding cell
            assert np.array_equal(gw[0, 0], np.array([[0.0 if t.padding else 1.0 for t in taps[i * kw:(i + 1) * kw]]
                                                      for i in range(kh)]))


@pytest.mark.parametrize("geo", GEOMETRIES, ids=str)
def test_which_outputs_is_what_a_one_hot_x_reaches_and_dX_collects(geo):
    g = draw.geometry(*geo)
    (H, W), (kh, kw), (P, Q) = g.in_hw, g.kernel_hw, g.out_hw
    rng = np.random.default_rng(1)
    w = rng.integers(1, 5, (1, 1, kh, kw)).astype(np.float64)
    gy = rng.integers(-3, 4, (1, 1, P, Q)).astype(np.float64)
    _y, gx, _gw = _grads(g, rng.standard_normal((1, 1, H, W)), w, gy)
    for h in range(H):
        for v in range(W):
            x = np.zeros((1, 1, H, W))
            x[0, 0, h, v] = 1.0
            y = F.depthwise_conv2d(x, w, stride=g.stride, padding=g.padding, dilation=g.dilation).data[0, 0]
            hits = draw.which_outputs(h, v, g)
            expect = np.zeros((P, Q))
            for p, q, i, j in hits:
                expect[p, q] = w[0, 0, i, j]
            assert np.array_equal(y, expect)
            assert gx[0, 0, h, v] == sum(w[0, 0, i, j] * gy[0, 0, p, q] for p, q, i, j in hits)


@pytest.mark.parametrize("geo", GEOMETRIES, ids=str)
def test_conv_matrix_is_the_forward_and_its_transpose_the_backward(geo):
    g = draw.geometry(*geo)
    (H, W), (kh, kw), (P, Q) = g.in_hw, g.kernel_hw, g.out_hw
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((1, 1, H, W)), rng.standard_normal((1, 1, kh, kw))
    gy = rng.standard_normal((1, 1, P, Q))
    y, gx, _gw = _grads(g, x, w, gy)
    C = draw.conv_matrix(g, w[0, 0])
    assert np.allclose(C @ x.reshape(-1), y.reshape(-1))
    assert np.allclose(C.T @ gy.reshape(-1), gx.reshape(-1))
    taps = draw.conv_matrix(g)  # tap labels: the same sparsity
    assert np.array_equal(taps != 0, C != 0)


def test_out_of_range_points_are_value_errors():
    g = draw.geometry(6, 3, 2, "same", 1)
    with pytest.raises(ValueError, match="outside the 3x3 output"):
        draw.which_inputs(3, 0, g)
    with pytest.raises(ValueError, match="outside the 6x6 input"):
        draw.which_outputs(0, 6, g)


def test_cli_text(capsys):
    assert main(["draw", "--size", "6", "--kernel", "3", "--stride", "2", "--padding", "same",
                 "--depth-multiplier", "2", "--output", "2,2", "--input", "5,5"]) == 0
    out = capsys.readouterr().out
    assert "(pt, pb, pl, pr) = (0, 1, 0, 1)" in out
    assert "(6)(7)(8)" in out            # output (2, 2) reads the bottom padding row through taps 6, 7, 8
    assert "dX[n, c, 5, 5] = Σ_k (w[1,1]·gy[2,2])" in out
    assert "the conv as a matrix C" in out and "flipped kernel" in out and "[g]" in out
    assert "/work" not in out and "/tmp" not in out


def test_cli_svg_and_png(tmp_path, capsys):
    svg = tmp_path / "map.svg"
    assert main(["draw", "--size", "1,9", "--kernel", "1,3", "--dilation", "1,2", "--out", str(svg)]) == 0
    text = svg.read_text(encoding="utf-8")
    assert text.startswith("<svg") and text.rstrip().endswith("</svg>") and "flipped kernel" in text
    import xml.dom.minidom
    xml.dom.minidom.parseString(text)  # well-formed
    png = tmp_path / "map.png"
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert main(["draw", "--out", str(png)]) == 2
        assert "matplotlib" in capsys.readouterr().err
        return
    assert main(["draw", "--out", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("argv,message", [
    (["--size", "0"], "--size"), (["--size", "a,b"], "--size"), (["--kernel", "9"], "--kernel"),
    (["--stride", "0"], "--stride"), (["--padding", "1,2,3"], "--padding"), (["--padding", "-1"], "--padding"),
    (["--depth-multiplier", "0"], "--depth-multiplier"), (["--output", "9,9"], "outside"),
    (["--input", "6,0"], "outside"), (["--out", "pic.txt"], ".png or .svg"),
    (["--size", "3", "--dilation", "2"], "larger than the padded input"),
])
def test_cli_bad_options_one_line_exit_2(argv, message, capsys):
    assert main(["draw", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err, err


def test_png_without_matplotlib_is_one_line_exit_2(monkeypatch, tmp_path, capsys):
    import sys
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    assert main(["draw", "--out", str(tmp_path / "a.png")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "matplotlib" in err and ".svg" in err


def test_doc_figures_are_the_commands_output(capsys):
    """docs/learn-by-doing.md shows `minisep draw` output under <!-- minisep draw ARGS -->: regenerate, compare."""
    import re
    import shlex
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "learn-by-doing.md").read_text(encoding="utf-8")
    figures = re.findall(r"<!-- minisep (draw [^>]*?) -->\n```text\n(.*?)```", text, re.S)
    assert len(figures) >= 2
    for args, shown in figures:
        assert main(shlex.split(args)) == 0
        assert capsys.readouterr().out == shown, f"docs figure for `minisep {args}` is stale: regenerate it"
