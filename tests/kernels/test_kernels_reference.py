"""Every jitted kernel equals its *_reference twin (np.pad + sliding windows + einsum, or np.add.at),
over hypothesis configurations: shapes, stride, padding ('same'/'valid'/ints/pairs/4-tuples),
dilation, depth multiplier, float32 and float64. Outputs keep the input dtype."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from strategies import conv_configs, pool_configs

import minisep.kernels as K

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_close(actual, expected, dtype):
    assert actual.dtype == dtype, f"dtype {actual.dtype}, expected {np.dtype(dtype)}"
    assert actual.shape == expected.shape
    scale = max(1.0, float(np.abs(expected).max(initial=0.0)))
    rtol, atol = (1e-5, 1e-5 * scale) if dtype == np.float32 else (1e-10, 1e-12 * scale)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)


@SETTINGS
@given(conv_configs(depthwise=True))
def test_depthwise_kernels_match_reference(cfg):
    x, w = cfg.arrays()
    g = cfg.geometry()
    y = K.depthwise_forward(x, w, g)
    assert_close(y, K.depthwise_forward_reference(x, w, g), cfg.dtype)
    gy = cfg.output_grad(y.shape)
    assert_close(K.depthwise_backward_input(gy, w, g, in_channels=cfg.c),
                 K.depthwise_backward_input_reference(gy, w, g, in_channels=cfg.c), cfg.dtype)
    assert_close(K.depthwise_backward_weight(x, gy, g), K.depthwise_backward_weight_reference(x, gy, g), cfg.dtype)


@SETTINGS
@given(conv_configs())
def test_conv2d_kernels_match_reference(cfg):
    x, w = cfg.arrays()
    g = cfg.geometry()
    y = K.conv2d_forward(x, w, g)
    assert_close(y, K.conv2d_forward_reference(x, w, g), cfg.dtype)
    gy = cfg.output_grad(y.shape)
    assert_close(K.conv2d_backward_input(gy, w, g), K.conv2d_backward_input_reference(gy, w, g), cfg.dtype)
    assert_close(K.conv2d_backward_weight(x, gy, g), K.conv2d_backward_weight_reference(x, gy, g), cfg.dtype)


@SETTINGS
@given(conv_configs())
def test_pointwise_kernels_match_reference(cfg):
    x, w = cfg.arrays()
    w = w[:, :, :1, :1].copy()  # (O, C, 1, 1)
    y = K.pointwise_forward(x, w)
    assert_close(y, K.pointwise_forward_reference(x, w), cfg.dtype)
    gy = cfg.output_grad(y.shape)
    assert_close(K.pointwise_backward_input(gy, w), K.pointwise_backward_input_reference(gy, w), cfg.dtype)
    assert_close(K.pointwise_backward_weight(x, gy), K.pointwise_backward_weight_reference(x, gy), cfg.dtype)


@SETTINGS
@given(pool_configs())
def test_max_pool_kernels_match_reference(cfg):
    x, g = cfg.array(), cfg.geometry()
    y, argmax = K.max_pool2d_forward(x, g)
    y_ref, argmax_ref = K.max_pool2d_forward_reference(x, g)
    assert_close(y, y_ref, cfg.dtype)
    assert argmax.dtype == np.int64 and np.array_equal(argmax, argmax_ref)
    gy = np.random.default_rng(cfg.seed).standard_normal(y.shape).astype(cfg.dtype)
    assert_close(K.max_pool2d_backward(gy, argmax, g), K.max_pool2d_backward_reference(gy, argmax, g), cfg.dtype)


@SETTINGS
@given(pool_configs())
def test_avg_pool_kernels_match_reference(cfg):
    x, g = cfg.array(), cfg.geometry()
    gy = np.random.default_rng(cfg.seed).standard_normal((cfg.n, cfg.c) + g.out_hw).astype(cfg.dtype)
    for include_pad in (True, False):
        assert_close(K.avg_pool2d_forward(x, g, include_pad), K.avg_pool2d_forward_reference(x, g, include_pad),
                     cfg.dtype)
        assert_close(K.avg_pool2d_backward(gy, g, include_pad),
                     K.avg_pool2d_backward_reference(gy, g, include_pad), cfg.dtype)


def test_max_pool_ties_go_to_the_first_maximum_and_nan_wins():
    x = np.zeros((1, 1, 2, 4))
    x[0, 0, :, 2:] = [[np.nan, 1.0], [5.0, np.nan]]
    g = K.pool_geometry("test", (2, 4), 2)
    y, argmax = K.max_pool2d_forward(x, g)
    y_ref, argmax_ref = K.max_pool2d_forward_reference(x, g)
    assert argmax[0, 0, 0, 0] == 0 and y[0, 0, 0, 0] == 0.0  # four equal zeros: the first one
    assert np.isnan(y[0, 0, 0, 1]) and argmax[0, 0, 0, 1] == 7  # NaN propagates (the last NaN, as PyTorch)
    np.testing.assert_array_equal(argmax, argmax_ref)
    np.testing.assert_array_equal(y, y_ref)


def test_max_pool_of_minus_infinity_points_inside_the_image():
    x = np.full((1, 1, 3, 3), -np.inf)
    g = K.pool_geometry("test", (3, 3), 3, 1, 1)  # every window overlaps the -inf padding
    y, argmax = K.max_pool2d_forward(x, g)
    assert np.all(y == -np.inf) and argmax.min() >= 0 and argmax.max() < 9
    np.testing.assert_array_equal(argmax, K.max_pool2d_forward_reference(x, g)[1])


@settings(max_examples=15, deadline=None)
@given(conv_configs())
def test_bias_and_global_pool_match_reference(cfg):
    x, _ = cfg.arrays()
    assert_close(K.bias_backward(x), K.bias_backward_reference(x), cfg.dtype)
    assert_close(K.global_avg_pool2d_forward(x), K.global_avg_pool2d_forward_reference(x), cfg.dtype)
    gy = x[:, :, 0, 0].copy()
    assert_close(K.global_avg_pool2d_backward(gy, (cfg.h, cfg.w)),
                 K.global_avg_pool2d_backward_reference(gy, (cfg.h, cfg.w)), cfg.dtype)


@pytest.mark.parametrize("hw, stride, padding, dilation", [((50, 47), 1, 1, 1), ((50, 47), 2, "same", 1),
                                                       ((50, 47), 1, "valid", 2), ((50, 47), 3, 2, 1),
                                                       ((5, 600), 2, 1, 1), ((4, 530), (2, 1), "same", 2)])
def test_images_larger_than_one_span_match_reference(hw, stride, padding, dilation):
    """Big images need several spans of output rows (TILE positions each) per plane; long rows with
    stride > 1 get one span per output row."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3) + hw)
    g = K.conv_geometry("test", hw, 3, stride, padding, dilation)
    gy = rng.standard_normal((2, 6) + g.out_hw)
    wd, wc, wp = rng.standard_normal((6, 1, 3, 3)), rng.standard_normal((6, 3, 3, 3)), rng.standard_normal((6, 3, 1, 1))
    assert_close(K.depthwise_forward(x, wd, g), K.depthwise_forward_reference(x, wd, g), np.float64)
    assert_close(K.depthwise_backward_input(gy, wd, g, 3), K.depthwise_backward_input_reference(gy, wd, g, 3),
                 np.float64)
    assert_close(K.depthwise_backward_weight(x, gy, g), K.depthwise_backward_weight_reference(x, gy, g), np.float64)
    assert_close(K.conv2d_forward(x, wc, g), K.conv2d_forward_reference(x, wc, g), np.float64)
    assert_close(K.conv2d_backward_input(gy, wc, g), K.conv2d_backward_input_reference(gy, wc, g), np.float64)
    assert_close(K.conv2d_backward_weight(x, gy, g), K.conv2d_backward_weight_reference(x, gy, g), np.float64)
    gp = rng.standard_normal((2, 6) + hw)
    assert_close(K.pointwise_forward(x, wp), K.pointwise_forward_reference(x, wp), np.float64)
    assert_close(K.pointwise_backward_input(gp, wp), K.pointwise_backward_input_reference(gp, wp), np.float64)
    assert_close(K.pointwise_backward_weight(x, gp), K.pointwise_backward_weight_reference(x, gp), np.float64)
