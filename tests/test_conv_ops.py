"""Conv and pool ops through the autograd API: full float64 gradcheck of x, w and b over
hypothesis configurations, float32 stays float32, graph structure, and bad input."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import minisep.nn.functional as F
from minisep import Tensor, gradcheck
from minisep.kernels import depthwise as depthwise_kernels
from minisep.kernels import pointwise as pointwise_kernels
from minisep.ops import conv as C
from strategies import conv_configs, pool_configs  # tests/strategies.py (shared with the kernel tests)

SETTINGS = settings(deadline=None, max_examples=20, suppress_health_check=[HealthCheck.too_slow])


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _expected_hw(cfg):
    """Output size, written out here independently of conv_geometry: ceil(in/s) for 'same', else floor mode."""
    if cfg.padding == "same":
        return tuple(-(-size // s) for size, s in zip((cfg.h, cfg.w), _pair(cfg.stride)))
    p = cfg.padding
    p = (0, 0, 0, 0) if p == "valid" else (p,) * 4 if isinstance(p, int) else p
    p = (p[0], p[0], p[1], p[1]) if len(p) == 2 else p                 # (pt, pb, pl, pr)
    (sh, sw), (rh, rw) = _pair(cfg.stride), _pair(cfg.dilation)
    return ((cfg.h + p[0] + p[1] - (cfg.kh - 1) * rh - 1) // sh + 1,
            (cfg.w + p[2] + p[3] - (cfg.kw - 1) * rw - 1) // sw + 1)


def _leaves(cfg, *extra_shapes):
    """x, w from the config (as float64: finite differences need it) plus more random leaves."""
    x, w = cfg.arrays()
    rng = np.random.default_rng(cfg.seed + 7)
    arrays = [x.astype(np.float64), w.astype(np.float64)] + [rng.uniform(-1, 1, s) for s in extra_shapes]
    return [Tensor(a, requires_grad=True) for a in arrays]


def _geometry(cfg):
    return dict(stride=cfg.stride, padding=cfg.padding, dilation=cfg.dilation)


@SETTINGS
@given(cfg=conv_configs(depthwise=True))
def test_depthwise_gradcheck(cfg):
    x, w, b = _leaves(cfg, (cfg.o,))
    gradcheck(lambda x, w, b: F.depthwise_conv2d(x, w, b, **_geometry(cfg)), [x, w, b], names=["x", "w", "b"])
    assert F.depthwise_conv2d(x, w, **_geometry(cfg)).shape == (cfg.n, cfg.c * cfg.m) + _expected_hw(cfg)


@SETTINGS
@given(cfg=conv_configs())
def test_conv2d_gradcheck(cfg):
    x, w, b = _leaves(cfg, (cfg.o,))
    gradcheck(lambda x, w, b: F.conv2d(x, w, b, **_geometry(cfg)), [x, w, b], names=["x", "w", "b"])
    assert F.conv2d(x, w, **_geometry(cfg)).shape == (cfg.n, cfg.o) + _expected_hw(cfg)


@SETTINGS
@given(cfg=conv_configs(depthwise=True), out_channels=st.integers(1, 3))
def test_separable_gradcheck(cfg, out_channels):
    x, wd, wp, b = _leaves(cfg, (out_channels, cfg.o, 1, 1), (out_channels,))
    gradcheck(lambda x, wd, wp, b: F.separable_conv2d(x, wd, wp, b, **_geometry(cfg)), [x, wd, wp, b],
              names=["x", "w_depthwise", "w_pointwise", "b"])


@SETTINGS
@given(cfg=conv_configs())
def test_pointwise_gradcheck(cfg):
    x, _, w, b = _leaves(cfg, (cfg.o, cfg.c, 1, 1), (cfg.o,))
    gradcheck(lambda x, w, b: F.pointwise_conv2d(x, w, b), [x, w, b], names=["x", "w", "b"])


@SETTINGS
@given(cfg=pool_configs(dtypes=(np.float64,)), include=st.booleans())
def test_pool_gradcheck(cfg, include):
    x = cfg.array()  # distinct values, far apart: no max-pool tie within eps
    gradcheck(lambda x: F.max_pool2d(x, cfg.kernel, cfg.stride, cfg.padding), [Tensor(x, requires_grad=True)])
    gradcheck(lambda x: F.avg_pool2d(x, cfg.kernel, cfg.stride, cfg.padding, count_include_pad=include),
              [Tensor(x, requires_grad=True)])
    gradcheck(F.global_avg_pool2d, [Tensor(x, requires_grad=True)])


# ---- float32 in, float32 out (no silent upcast), in the output and every gradient ----------------
F32_PROGRAMS = {
    "depthwise": (lambda x, w, b: F.depthwise_conv2d(x, w, b, stride=2, padding="same"), [(2, 1, 3, 3), (2,)]),
    "pointwise": (lambda x, w, b: F.pointwise_conv2d(x, w, b), [(3, 2, 1, 1), (3,)]),
    "conv2d": (lambda x, w, b: F.conv2d(x, w, b, dilation=2, padding=1), [(3, 2, 2, 2), (3,)]),
    "separable": (lambda x, w, b: F.separable_conv2d(x, w, np.ones((3, 2, 1, 1), np.float32), b),
                  [(2, 1, 3, 3), (3,)]),
    "max_pool": (lambda x, w, b: F.max_pool2d(x, 2) * w.sum() + b.sum(), [(1,), (1,)]),
    "avg_pool": (lambda x, w, b: F.avg_pool2d(x, 3, 2, 1, False) * w.sum() + b.sum(), [(1,), (1,)]),
    "global_avg_pool": (lambda x, w, b: F.global_avg_pool2d(x) * w.sum() + b.sum(), [(1,), (1,)]),
}


@pytest.mark.parametrize("name", sorted(F32_PROGRAMS))
def test_float32_stays_float32(name):
    fn, shapes = F32_PROGRAMS[name]
    rng = np.random.default_rng(0)
    x, w, b = (Tensor(rng.standard_normal(s).astype(np.float32), requires_grad=True) for s in [(2, 2, 5, 5)] + shapes)
    y = fn(x, w, b)
    assert y.dtype == np.float32
    (y * y).sum().backward()
    assert x.grad.dtype == w.grad.dtype == b.grad.dtype == np.float32


def test_separable_is_depthwise_then_pointwise_then_bias():
    x, wd, wp, b = (np.ones(s) for s in [(1, 2, 4, 4), (4, 1, 3, 3), (3, 4, 1, 1), (3,)])
    y = F.separable_conv2d(Tensor(x, requires_grad=True), wd, wp, b)
    names, node = [], y.grad_fn
    while node is not None:
        names.append(node.name)
        node = node.inputs[0].grad_fn
    assert names == ["AddBias", "PointwiseConv2d", "DepthwiseConv2d"]


def test_weight_gradient_kernel_skipped_when_not_needed(monkeypatch):
    def fail(*args):
        raise AssertionError("the weight gradient was computed though w does not require grad")
    monkeypatch.setattr(depthwise_kernels, "depthwise_backward_weight", fail)
    x = Tensor(np.ones((1, 2, 4, 4)), requires_grad=True)
    F.depthwise_conv2d(x, np.ones((2, 1, 3, 3))).sum().backward()
    assert x.grad.shape == (1, 2, 4, 4)


def test_non_contiguous_inputs():
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((2, 5, 3, 4)), rng.standard_normal((3, 6, 1, 2))  # views below: (2,3,4,5), (6,1,2,3)
    xt, wt = x.transpose(0, 2, 3, 1), w.transpose(1, 2, 3, 0)
    y = F.depthwise_conv2d(xt, wt, stride=2, padding="same")
    np.testing.assert_allclose(y.data, F.depthwise_conv2d(xt.copy(), wt.copy(), stride=2, padding="same").data)


def test_bad_input_is_rejected_before_any_kernel_runs(monkeypatch):
    def fail(*args):
        raise AssertionError("a kernel ran on invalid input")
    monkeypatch.setattr(depthwise_kernels, "depthwise_forward", fail)
    monkeypatch.setattr(pointwise_kernels, "pointwise_forward", fail)
    with pytest.raises(ValueError, match="w_pointwise"):
        F.separable_conv2d(np.ones((1, 2, 4, 4)), np.ones((2, 1, 3, 3)), np.ones((3, 4, 1, 1)))
    with pytest.raises(ValueError, match="b must have shape"):
        F.separable_conv2d(np.ones((1, 2, 4, 4)), np.ones((2, 1, 3, 3)), np.ones((3, 2, 1, 1)), np.ones(2))


# ---- bad input: (call, exception, fragments the message must contain) -----------------------------
def z(*shape, dtype=np.float64):
    return np.zeros(shape, dtype)


X = z(2, 3, 5, 5)
BAD = {
    "x_not_4d": (lambda: F.conv2d(z(3, 5, 5), z(4, 3, 3, 3)), ValueError, ["conv2d", "x", "4-D", "(3,5,5)"]),
    "dw_x_not_4d": (lambda: F.depthwise_conv2d(z(5, 5), z(3, 1, 3, 3)), ValueError, ["x", "4-D", "(5,5)"]),
    "dw_w_not_4d": (lambda: F.depthwise_conv2d(X, z(3, 3, 3)), ValueError, ["w", "4-D", "(3,3,3)"]),
    "dw_channels": (lambda: F.depthwise_conv2d(X, z(4, 1, 3, 3)), ValueError,
                    ["w has 4 output channels, not a multiple of x's 3 input channels", "x (2,3,5,5)", "w (4,1,3,3)"]),
    "dw_axis1": (lambda: F.depthwise_conv2d(X, z(3, 2, 3, 3)), ValueError, ["w", "(C·m, 1, kh, kw)", "(3,2,3,3)"]),
    "pw_not_1x1": (lambda: F.pointwise_conv2d(X, z(4, 3, 3, 3)), ValueError, ["w", "(O, C, 1, 1)", "(4,3,3,3)"]),
    "pw_channels": (lambda: F.pointwise_conv2d(X, z(4, 2, 1, 1)), ValueError,
                    ["w has 2 input channels", "x has 3", "(2,3,5,5)", "(4,2,1,1)"]),
    "conv_channels": (lambda: F.conv2d(X, z(4, 2, 3, 3)), ValueError, ["w has 2 input channels", "x has 3"]),
    "conv_w_2d": (lambda: F.conv2d(X, z(4, 3)), ValueError, ["w", "4-D", "(4,3)"]),
    "empty_x": (lambda: F.conv2d(z(2, 3, 0, 5), z(4, 3, 1, 1)), ValueError, ["x", "empty", "(2,3,0,5)"]),
    "bias_2d": (lambda: F.conv2d(X, z(4, 3, 3, 3), z(4, 1)), ValueError, ["b must have shape (4,)", "(4,1)"]),
    "bias_len": (lambda: F.depthwise_conv2d(X, z(6, 1, 3, 3), z(3)), ValueError, ["b must have shape (6,)", "(3,)"]),
    "pw_bias_len": (lambda: F.pointwise_conv2d(X, z(4, 3, 1, 1), z(5)), ValueError, ["b", "(4,)", "(5,)"]),
    "sep_pointwise": (lambda: F.separable_conv2d(X, z(6, 1, 3, 3), z(4, 3, 1, 1)), ValueError,
                      ["w_pointwise", "(O, 6, 1, 1)", "(4, 3, 1, 1)"]),
    "sep_depthwise": (lambda: F.separable_conv2d(X, z(4, 1, 3, 3), z(4, 4, 1, 1)), ValueError,
                      ["w has 4 output channels, not a multiple of x's 3"]),
    "dtype_mismatch": (lambda: F.conv2d(z(2, 3, 5, 5, dtype=np.float32), z(4, 3, 3, 3)), TypeError,
                       ["conv2d", "x float32", "w float64"]),
    "dtype_int": (lambda: F.depthwise_conv2d(np.zeros((1, 3, 5, 5), int), z(3, 1, 3, 3)), TypeError,
                  ["x must be float32 or float64", "int64"]),
    "bias_dtype": (lambda: F.conv2d(X, z(4, 3, 3, 3), z(4, dtype=np.float32)), TypeError, ["b", "float32"]),
    "sep_pw_dtype": (lambda: F.separable_conv2d(X, z(3, 1, 3, 3), z(2, 3, 1, 1, dtype=np.float32)), TypeError,
                     ["w_pointwise", "float32"]),
    "stride_0": (lambda: F.conv2d(X, z(4, 3, 3, 3), stride=0), ValueError, ["stride", "0"]),
    "dw_stride_0": (lambda: F.depthwise_conv2d(X, z(3, 1, 3, 3), stride=(1, 0)), ValueError, ["stride"]),
    "dilation_0": (lambda: F.depthwise_conv2d(X, z(3, 1, 3, 3), dilation=0), ValueError, ["dilation", "0"]),
    "padding_negative": (lambda: F.conv2d(X, z(4, 3, 3, 3), padding=-1), ValueError, ["padding", "-1"]),
    "padding_string": (lambda: F.depthwise_conv2d(X, z(3, 1, 3, 3), padding="full"), ValueError,
                       ["padding", "full"]),
    "kernel_too_large": (lambda: F.conv2d(X, z(4, 3, 6, 3)), ValueError, ["kernel", "6"]),
    "dilated_too_large": (lambda: F.depthwise_conv2d(X, z(3, 1, 3, 3), dilation=3), ValueError, ["7"]),
    "pool_x_3d": (lambda: F.max_pool2d(z(3, 5, 5), 2), ValueError, ["max_pool2d", "x", "4-D", "(3,5,5)"]),
    "pool_int": (lambda: F.avg_pool2d(np.zeros((1, 1, 4, 4), int), 2), TypeError, ["avg_pool2d", "x", "int64"]),
    "pool_kernel_0": (lambda: F.max_pool2d(X, 0), ValueError, ["max_pool2d", "kernel", "0"]),
    "pool_stride_0": (lambda: F.avg_pool2d(X, 2, stride=0), ValueError, ["stride", "0"]),
    "pool_pad_too_large": (lambda: F.max_pool2d(X, 2, padding=2), ValueError, ["max_pool2d", "padding", "half"]),
    "stride_float": (lambda: F.conv2d(X, z(4, 3, 3, 3), stride=1.5), TypeError, ["conv2d", "stride", "1.5"]),
    "pool_too_large": (lambda: F.max_pool2d(X, 6), ValueError, ["6"]),
    "gap_2d": (lambda: F.global_avg_pool2d(z(2, 3)), ValueError, ["global_avg_pool2d", "4-D", "(2,3)"]),
    "linear_shape": (lambda: F.linear(z(2, 5), z(3, 4)), ValueError, ["linear", "(2, 5)", "(3, 4)"]),
    "linear_bias": (lambda: F.linear(z(2, 4), z(3, 4), z(4)), ValueError, ["b", "(3,)"]),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input(name):
    call, error, fragments = BAD[name]
    with pytest.raises(error) as info:
        call()
    for fragment in fragments:
        assert fragment in str(info.value), f"{fragment!r} not in {str(info.value)!r}"


def test_add_bias_checks_its_own_arguments():
    with pytest.raises(ValueError, match=r"b must have shape \(3,\)"):
        C.AddBias.apply(z(1, 3, 2, 2), z(2))


def test_functional_wrappers():
    x = np.array([[-1.0, 2.0, 0.5]])
    np.testing.assert_allclose(F.relu(x).data, [[0, 2, 0.5]])
    np.testing.assert_allclose(F.softmax(x).data.sum(), 1.0)
    np.testing.assert_allclose(F.log_softmax(x).data, np.log(F.softmax(x).data))
    np.testing.assert_allclose(F.tanh(x).data, np.tanh(x))
    np.testing.assert_allclose(F.sigmoid(x).data, 1 / (1 + np.exp(-x)))
    assert F.flatten(z(2, 3, 4, 5)).shape == (2, 60)
    rng = np.random.default_rng(1)
    xs, w, b = rng.standard_normal((4, 3)), rng.standard_normal((2, 3)), rng.standard_normal(2)
    np.testing.assert_allclose(F.linear(xs, w, b).data, xs @ w.T + b)
    gradcheck(F.linear, [Tensor(a, requires_grad=True) for a in (xs, w, b)])
    assert F.cross_entropy(F.linear(xs, w), np.array([0, 1, 1, 0])).shape == ()
    assert F.dropout(Tensor(xs), 0.5, rng=rng).shape == (4, 3)
