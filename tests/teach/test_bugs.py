"""Break-it mode: every deliberately wrong backward is caught by the gradient check, and pictured."""
import numpy as np
import pytest

from minisep.cli import main
from minisep.teach import bugs
from minisep.teach.layercheck import check_layer, format_layer_report

# a configuration where every bug shows: stride 2 with an even size (odd 'same' pad), dilation 2, m = 2, N = 2
CONFIG = dict(kernel=3, stride=2, padding="same", depth_multiplier=2, bias=False)


@pytest.mark.parametrize("name", sorted(bugs.DEPTHWISE_BUGS))
def test_each_depthwise_bug_is_caught(name):
    dilation = 2 if name == "no-dilation" else 1
    report = check_layer("depthwise", (2, 2, 6, 6), dilation=dilation, bug=name, **CONFIG)
    assert not report.passed
    wrong = {c.name for c in report.inputs if not c.passed}
    assert wrong <= set(bugs.DEPTHWISE_BUGS[name].breaks) and wrong
    assert "abs error per (c, h, w)" in format_layer_report(report)


def test_bn_bug_is_caught_and_exact_bn_passes():
    assert check_layer("batchnorm", (2, 2, 3, 3)).passed
    report = check_layer("batchnorm", (2, 2, 3, 3), bug="wrong-mean-in-BN")
    assert not report.passed and not report.inputs[0].passed


def test_knobs_default_is_exact():
    from minisep.kernels import (conv_geometry, depthwise_backward_input_reference,
                                 depthwise_backward_weight_reference, depthwise_forward_reference)
    rng = np.random.default_rng(0)
    g = conv_geometry("t", (6, 5), (3, 3), 2, "same", 2)
    x, w = rng.standard_normal((2, 2, 6, 5)), rng.standard_normal((4, 1, 3, 3))
    gy = rng.standard_normal((2, 4) + g.out_hw)
    assert np.allclose(bugs.depthwise_forward(x, w, g), depthwise_forward_reference(x, w, g))
    assert np.allclose(bugs.depthwise_input(gy, w, g, 2), depthwise_backward_input_reference(gy, w, g, 2))
    assert np.allclose(bugs.depthwise_weight(x, gy, g), depthwise_backward_weight_reference(x, gy, g))


def test_cli_bug_flag_and_bad_combination(capsys):
    assert main(["gradcheck", "--layer", "depthwise", "--shape", "1,2,6,6", "--stride", "2",
                 "--no-bias", "--bug", "no-flip"]) == 1
    out = capsys.readouterr().out
    assert "break-it mode" in out and "FAILED" in out
    assert main(["gradcheck", "--layer", "conv", "--bug", "no-flip"]) == 2
    assert "--layer depthwise" in capsys.readouterr().err


def test_png_heatmaps(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    assert main(["gradcheck", "--layer", "separable", "--shape", "1,2,4,4", "--stride", "2",
                 "--png", str(tmp_path)]) == 0
    assert {p.name for p in tmp_path.glob("*.png")} >= {"dX.png", "dD.png", "dP.png"}
