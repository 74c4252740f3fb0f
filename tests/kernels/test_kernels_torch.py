"""The kernels against PyTorch (skipped when torch is not installed): forward and both gradients of
depthwise (groups=C, m > 1), pointwise, conv2d, max and avg pooling. The torch side gets minisep's
padding explicitly through torch.nn.functional.pad, so asymmetric 'same' padding (stride 2) is covered."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from strategies import conv_configs, pool_configs

import minisep.kernels as K

torch = pytest.importorskip("torch")
F = torch.nn.functional
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def close(ours, theirs, dtype):
    theirs = theirs.detach().numpy()
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    tol = 2e-5 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(ours, theirs, rtol=tol, atol=tol * max(1.0, float(np.abs(theirs).max(initial=0.0))))


def torch_conv(x, w, gy, g, groups):
    """y, gx, gw of torch's conv2d on x padded explicitly by g.padding = (pt, pb, pl, pr)."""
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    pt, pb, pl, pr = g.padding
    y = F.conv2d(F.pad(xt, (pl, pr, pt, pb)), wt, stride=g.stride, dilation=g.dilation, groups=groups)
    y.backward(torch.tensor(gy))
    return y, xt.grad, wt.grad


def check_depthwise(x, w, g, gy):
    C = x.shape[1]
    y, gx, gw = torch_conv(x, w, gy, g, groups=C)
    close(K.depthwise_forward(x, w, g), y, x.dtype)
    close(K.depthwise_backward_input(gy, w, g, in_channels=C), gx, x.dtype)
    close(K.depthwise_backward_weight(x, gy, g), gw, x.dtype)


def check_conv(x, w, g, gy):
    y, gx, gw = torch_conv(x, w, gy, g, groups=1)
    close(K.conv2d_forward(x, w, g), y, x.dtype)
    close(K.conv2d_backward_input(gy, w, g), gx, x.dtype)
    close(K.conv2d_backward_weight(x, gy, g), gw, x.dtype)


@SETTINGS
@given(conv_configs(depthwise=True))
def test_depthwise_matches_torch(cfg):
    x, w = cfg.arrays()
    g = cfg.geometry()
    check_depthwise(x, w, g, cfg.output_grad((cfg.n, cfg.c * cfg.m) + g.out_hw))


@SETTINGS
@given(conv_configs())
def test_conv2d_matches_torch(cfg):
    x, w = cfg.arrays()
    g = cfg.geometry()
    check_conv(x, w, g, cfg.output_grad((cfg.n, cfg.o) + g.out_hw))


@SETTINGS
@given(conv_configs())
def test_pointwise_matches_torch(cfg):
    x, w = cfg.arrays()
    w = w[:, :, :1, :1].copy()
    g = K.conv_geometry("test", (cfg.h, cfg.w), 1)
    gy = cfg.output_grad((cfg.n, cfg.o, cfg.h, cfg.w))
    y, gx, gw = torch_conv(x, w, gy, g, groups=1)
    close(K.pointwise_forward(x, w), y, cfg.dtype)
    close(K.pointwise_backward_input(gy, w), gx, cfg.dtype)
    close(K.pointwise_backward_weight(x, gy), gw, cfg.dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("hw, k, stride, m", [((6, 6), 3, 2, 2),  # 'same', stride 2: pad (0, 1) per dim
                                              ((7, 5), (3, 2), 2, 3),
                                              ((28, 28), 3, 2, 1),
                                              ((9, 8), 3, 3, 2)])
def test_same_padding_with_stride_matches_torch_padded_explicitly(hw, k, stride, m, dtype):
    rng = np.random.default_rng(0)
    g = K.conv_geometry("test", hw, k, stride, "same")
    assert g.out_hw == tuple(-(-s // stride) for s in hw)  # ceil(in / stride)
    x = rng.standard_normal((2, 3) + hw).astype(dtype)
    kh, kw = g.kernel_hw
    gy = rng.standard_normal((2, 3 * m) + g.out_hw).astype(dtype)
    check_depthwise(x, rng.standard_normal((3 * m, 1, kh, kw)).astype(dtype), g, gy)
    check_conv(x, rng.standard_normal((3 * m, 3, kh, kw)).astype(dtype), g, gy)


@SETTINGS
@given(pool_configs())
def test_pools_match_torch(cfg):
    x, g = cfg.array(), cfg.geometry()
    (H, W), k, s, (pt, pb, pl, pr) = g.in_hw, g.kernel_hw, g.stride, g.padding
    gy = np.random.default_rng(cfg.seed).standard_normal((cfg.n, cfg.c) + g.out_hw).astype(cfg.dtype)

    xt = torch.tensor(x, requires_grad=True)
    y, index = F.max_pool2d(F.pad(xt, (pl, pr, pt, pb), value=-np.inf), k, s, return_indices=True)
    y.backward(torch.tensor(gy))
    ours, argmax = K.max_pool2d_forward(x, g)
    close(ours, y, cfg.dtype)
    Wp = W + pl + pr  # torch's indices are into the padded image
    np.testing.assert_array_equal(argmax, (index.numpy() // Wp - pt) * W + index.numpy() % Wp - pl)
    close(K.max_pool2d_backward(gy, argmax, g), xt.grad, cfg.dtype)

    for include_pad in (True, False):
        xt = torch.tensor(x, requires_grad=True)
        total = F.avg_pool2d(F.pad(xt, (pl, pr, pt, pb)), k, s, divisor_override=1)  # window sums
        count = F.avg_pool2d(F.pad(torch.ones_like(xt), (pl, pr, pt, pb)), k, s, divisor_override=1)
        y = total / (k[0] * k[1]) if include_pad else total / count
        y.backward(torch.tensor(gy))
        close(K.avg_pool2d_forward(x, g, include_pad), y, cfg.dtype)
        close(K.avg_pool2d_backward(gy, g, include_pad), xt.grad, cfg.dtype)


@pytest.mark.parametrize("include_pad", [True, False])
def test_avg_pool_symmetric_padding_matches_torch_directly(include_pad):
    x = np.random.default_rng(1).standard_normal((2, 3, 7, 6))
    g = K.pool_geometry("test", (7, 6), 3, 2, 1)
    xt = torch.tensor(x, requires_grad=True)
    y = F.avg_pool2d(xt, 3, 2, 1, count_include_pad=include_pad)
    gy = np.random.default_rng(2).standard_normal(tuple(y.shape))
    y.backward(torch.tensor(gy))
    close(K.avg_pool2d_forward(x, g, include_pad), y, np.float64)
    close(K.avg_pool2d_backward(gy, g, include_pad), xt.grad, np.float64)
