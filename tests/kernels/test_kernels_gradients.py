"""Gradient oracles on the kernels themselves, float64:

1. the adjoint identity of each linear kernel: <fwd(x, w), G> = <x, backward_input(G)> = <w, backward_weight(x, G)>;
2. central finite differences (eps 1e-6) of L = <fwd(x, w), G> for every element of x and of w.
"""
import numpy as np
from hypothesis import HealthCheck, given, settings
from strategies import conv_configs, pool_configs

import minisep.kernels as K

ADJOINT = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FINITE_DIFF = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def float64(cfg):
    return cfg._replace(dtype=np.float64)


def conv_kernels(cfg):
    """(forward, backward_input, backward_weight, x, w) of the op the config describes."""
    x, w = cfg.arrays()
    g = cfg.geometry()
    if cfg.depthwise:
        return (lambda x, w: K.depthwise_forward(x, w, g),
                lambda gy, w: K.depthwise_backward_input(gy, w, g, in_channels=cfg.c),
                lambda x, gy: K.depthwise_backward_weight(x, gy, g), x, w)
    return (lambda x, w: K.conv2d_forward(x, w, g), lambda gy, w: K.conv2d_backward_input(gy, w, g),
            lambda x, gy: K.conv2d_backward_weight(x, gy, g), x, w)


def pointwise_kernels(cfg):
    x, w = cfg.arrays()
    return K.pointwise_forward, K.pointwise_backward_input, K.pointwise_backward_weight, x, w[:, :, :1, :1].copy()


def check_adjoint(fwd, bwd_input, bwd_weight, x, w, G):
    lhs = np.vdot(fwd(x, w), G)
    scale = np.abs(fwd(np.abs(x), np.abs(w))).sum() * np.abs(G).max()  # bounds the rounding of every term
    assert abs(lhs - np.vdot(x, bwd_input(G, w))) <= 1e-12 * scale
    assert abs(lhs - np.vdot(w, bwd_weight(x, G))) <= 1e-12 * scale


@ADJOINT
@given(conv_configs(depthwise=True))
def test_depthwise_adjoint_identity(cfg):
    fwd, bi, bw, x, w = conv_kernels(float64(cfg))
    check_adjoint(fwd, bi, bw, x, w, cfg.output_grad(fwd(x, w).shape).astype(np.float64))


@ADJOINT
@given(conv_configs())
def test_conv2d_adjoint_identity(cfg):
    fwd, bi, bw, x, w = conv_kernels(float64(cfg))
    check_adjoint(fwd, bi, bw, x, w, cfg.output_grad(fwd(x, w).shape).astype(np.float64))


@ADJOINT
@given(conv_configs())
def test_pointwise_adjoint_identity(cfg):
    fwd, bi, bw, x, w = pointwise_kernels(float64(cfg))
    check_adjoint(fwd, bi, bw, x, w, cfg.output_grad(fwd(x, w).shape).astype(np.float64))


@ADJOINT
@given(pool_configs(dtypes=(np.float64,)))
def test_pool_adjoint_identity(cfg):
    x, g = cfg.array(), cfg.geometry()
    G = np.random.default_rng(cfg.seed).standard_normal((cfg.n, cfg.c) + g.out_hw)
    y, argmax = K.max_pool2d_forward(x, g)  # linear in x for a fixed argmax
    np.testing.assert_allclose(np.vdot(y, G), np.vdot(x, K.max_pool2d_backward(G, argmax, g)), rtol=1e-12, atol=1e-12)
    for include_pad in (True, False):
        np.testing.assert_allclose(np.vdot(K.avg_pool2d_forward(x, g, include_pad), G),
                                   np.vdot(x, K.avg_pool2d_backward(G, g, include_pad)), rtol=1e-12, atol=1e-12)


def numeric_grad(loss, a, eps=1e-6):
    """Central differences of loss() for every element of a (perturbed in place, then restored)."""
    grad, flat = np.empty(a.size), a.reshape(-1)
    for k in range(a.size):
        old = flat[k]
        flat[k] = old + eps
        up = loss()
        flat[k] = old - eps
        down = loss()
        flat[k] = old
        grad[k] = (up - down) / (2 * eps)
    return grad.reshape(a.shape)


def check_finite_differences(fwd, bwd_input, bwd_weight, x, w, G):
    loss = lambda: np.vdot(fwd(x, w), G)  # noqa: E731
    np.testing.assert_allclose(bwd_input(G, w), numeric_grad(loss, x), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(bwd_weight(x, G), numeric_grad(loss, w), rtol=1e-6, atol=1e-6)


@FINITE_DIFF
@given(conv_configs(depthwise=True))
def test_depthwise_finite_differences(cfg):
    fwd, bi, bw, x, w = conv_kernels(float64(cfg))
    check_finite_differences(fwd, bi, bw, x, w, cfg.output_grad(fwd(x, w).shape).astype(np.float64))


@FINITE_DIFF
@given(conv_configs())
def test_conv2d_finite_differences(cfg):
    fwd, bi, bw, x, w = conv_kernels(float64(cfg))
    check_finite_differences(fwd, bi, bw, x, w, cfg.output_grad(fwd(x, w).shape).astype(np.float64))


@FINITE_DIFF
@given(conv_configs())
def test_pointwise_finite_differences(cfg):
    fwd, bi, bw, x, w = pointwise_kernels(float64(cfg))
    check_finite_differences(fwd, bi, bw, x, w, cfg.output_grad(fwd(x, w).shape).astype(np.float64))


@FINITE_DIFF
@given(pool_configs(dtypes=(np.float64,)))
def test_pool_finite_differences(cfg):
    x, g = cfg.array(), cfg.geometry()  # distinct values 0.01 apart: no argmax flips within eps
    G = np.random.default_rng(cfg.seed).standard_normal((cfg.n, cfg.c) + g.out_hw)
    gx = K.max_pool2d_backward(G, K.max_pool2d_forward(x, g)[1], g)
    np.testing.assert_allclose(gx, numeric_grad(lambda: np.vdot(K.max_pool2d_forward(x, g)[0], G), x),
                               rtol=1e-6, atol=1e-6)
    for include_pad in (True, False):
        numeric = numeric_grad(lambda: np.vdot(K.avg_pool2d_forward(x, g, include_pad), G), x)
        np.testing.assert_allclose(K.avg_pool2d_backward(G, g, include_pad), numeric, rtol=1e-6, atol=1e-6)


def test_bias_and_global_pool_finite_differences():
    rng = np.random.default_rng(0)
    x, G = rng.standard_normal((2, 3, 4, 5)), rng.standard_normal((2, 3))
    # y = x + b[o] broadcast: dL/db = bias_backward(G4) for L = <x + b, G4>
    G4 = rng.standard_normal((2, 3, 4, 5))
    b = rng.standard_normal(3)
    numeric_b = numeric_grad(lambda: np.vdot(x + b[None, :, None, None], G4), b)
    np.testing.assert_allclose(K.bias_backward(G4), numeric_b, rtol=1e-6, atol=1e-6)
    numeric_x = numeric_grad(lambda: np.vdot(K.global_avg_pool2d_forward(x), G), x)
    np.testing.assert_allclose(K.global_avg_pool2d_backward(G, (4, 5)), numeric_x, rtol=1e-6, atol=1e-6)
