"""The loop twins (the formulas verbatim, jitted) equal the einsum references, and the fast kernels
fall back to them when an input is not finite, so a NaN/inf reaches only the entries it touches."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from strategies import conv_configs

import minisep.kernels as K
from minisep.kernels.conv import conv2d_backward_input_loops, conv2d_backward_weight_loops, conv2d_forward_loops
from minisep.kernels.depthwise import (depthwise_backward_input_loops, depthwise_backward_weight_loops,
                                       depthwise_forward_loops)
from minisep.kernels.pointwise import (pointwise_backward_input_loops, pointwise_backward_weight_loops,
                                       pointwise_forward_loops)
from test_kernels_reference import assert_close

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(conv_configs(depthwise=True))
def test_depthwise_loops_match_reference(cfg):
    x, w = cfg.arrays()
    g = cfg.geometry()
    y = depthwise_forward_loops(x, w, g)
    assert_close(y, K.depthwise_forward_reference(x, w, g), cfg.dtype)
    gy = cfg.output_grad(y.shape)
    assert_close(depthwise_backward_input_loops(gy, w, g, cfg.c),
                 K.depthwise_backward_input_reference(gy, w, g, in_channels=cfg.c), cfg.dtype)
    assert_close(depthwise_backward_weight_loops(x, gy, g), K.depthwise_backward_weight_reference(x, gy, g),
                 cfg.dtype)


@SETTINGS
@given(conv_configs())
def test_conv2d_loops_match_reference(cfg):
    x, w = cfg.arrays()
    g = cfg.geometry()
    y = conv2d_forward_loops(x, w, g)
    assert_close(y, K.conv2d_forward_reference(x, w, g), cfg.dtype)
    gy = cfg.output_grad(y.shape)
    assert_close(conv2d_backward_input_loops(gy, w, g), K.conv2d_backward_input_reference(gy, w, g), cfg.dtype)
    assert_close(conv2d_backward_weight_loops(x, gy, g), K.conv2d_backward_weight_reference(x, gy, g), cfg.dtype)


@SETTINGS
@given(conv_configs())
def test_pointwise_loops_match_reference(cfg):
    x, w = cfg.arrays()
    w = w[:, :, :1, :1].copy()  # (O, C, 1, 1)
    y = pointwise_forward_loops(x, w)
    assert_close(y, K.pointwise_forward_reference(x, w), cfg.dtype)
    gy = cfg.output_grad(y.shape)
    assert_close(pointwise_backward_input_loops(gy, w), K.pointwise_backward_input_reference(gy, w), cfg.dtype)
    assert_close(pointwise_backward_weight_loops(x, gy), K.pointwise_backward_weight_reference(x, gy), cfg.dtype)


def test_a_nan_pixel_no_output_reads_leaves_the_weight_gradient_finite():
    """Stride 2, 'valid', 3x3 on 6x6: the last row and column are never read (before: gw all NaN)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 2, 6, 6))
    x[0, 0, 5, 5] = np.nan
    for kind, w_shape in (("depthwise", (2, 1, 3, 3)), ("conv", (3, 2, 3, 3))):
        g = K.conv_geometry(kind, (6, 6), 3, 2, "valid", 1)
        P, Q = g.out_hw
        gy = rng.standard_normal((1, w_shape[0], P, Q))
        gw = (K.depthwise_backward_weight if kind == "depthwise" else K.conv2d_backward_weight)(x, gy, g)
        assert np.isfinite(gw).all(), kind


@pytest.mark.parametrize("kind", ["depthwise", "conv"])
def test_non_finite_gradients_match_torch_entry_by_entry(kind):
    """inf in a tap, NaN in an unread pixel, NaN in gy: the same entries are non-finite as in torch
    (torch's own padding= here, so that its padding is not multiplied as real terms either)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    for stride, dilation, pad in ((2, 1, 1), (1, 2, 2), (2, 2, 0)):
        x = rng.standard_normal((1, 2, 7, 7))
        w = rng.standard_normal((2, 1, 3, 3) if kind == "depthwise" else (2, 2, 3, 3))
        x[0, 1, 6, 6] = np.nan
        w[1, 0, 0, 2] = np.inf
        g = K.conv_geometry(kind, (7, 7), 3, stride, pad, dilation)
        groups = 2 if kind == "depthwise" else 1
        P, Q = g.out_hw
        gy = rng.standard_normal((1, 2, P, Q))
        gy[0, 0, 0, 0] = np.nan
        xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
        yt = torch.nn.functional.conv2d(xt, wt, stride=stride, padding=pad, dilation=dilation, groups=groups)
        yt.backward(torch.tensor(gy))
        if kind == "depthwise":
            ours = {"y": K.depthwise_forward(x, w, g), "gx": K.depthwise_backward_input(gy, w, g, in_channels=2),
                    "gw": K.depthwise_backward_weight(x, gy, g)}
        else:
            ours = {"y": K.conv2d_forward(x, w, g), "gx": K.conv2d_backward_input(gy, w, g),
                    "gw": K.conv2d_backward_weight(x, gy, g)}
        theirs = {"y": yt.detach().numpy(), "gx": xt.grad.numpy(), "gw": wt.grad.numpy()}
        for name in ours:
            np.testing.assert_array_equal(np.isfinite(ours[name]), np.isfinite(theirs[name]),
                                          err_msg=f"{kind} {name}, stride {stride}, dilation {dilation}, pad {pad}")
            finite = np.isfinite(theirs[name])
            np.testing.assert_allclose(ours[name][finite], theirs[name][finite], rtol=1e-10, atol=1e-12)
