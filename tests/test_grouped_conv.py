"""Grouped convolution (groups=G): the kernel, its loop twin and its einsum reference held equal over
hypothesis configurations; full float64 finite-difference checks of x, w and b through F.conv2d;
G = 1 equals the standard conv and G = C the depthwise conv; clear errors for bad groups; and the
loop twin run under NUMBA_BOUNDSCHECK=1."""

import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import minisep.kernels as K
import minisep.nn.functional as F
from minisep import Tensor, gradcheck
from minisep.ops.conv import Conv2d, DepthwiseConv2d
from minisep.ops.conv_grouped import GroupedConv2d
from strategies import conv_configs  # tests/strategies.py: valid geometries by construction

SETTINGS = settings(deadline=None, max_examples=25, suppress_health_check=[HealthCheck.too_slow])
TIERS = ("", "_loops", "_reference")  # kernel / loops / reference
rng = np.random.default_rng(12)


def rand(*shape):
    return rng.uniform(-1.0, 1.0, size=shape)


@st.composite
def grouped_configs(draw):
    """A conv geometry from conv_configs, then G 1..3 groups of Cg 1..2 inputs and Og 1..2 outputs."""
    cfg = draw(conv_configs())
    G, Cg, Og = draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(st.integers(1, 2))
    return cfg, G, Cg, Og


def _arrays(cfg, G, Cg, Og):
    g = cfg.geometry()
    r = np.random.default_rng(cfg.seed)
    x = r.standard_normal((cfg.n, G * Cg, cfg.h, cfg.w)).astype(cfg.dtype)
    w = r.standard_normal((G * Og, Cg, cfg.kh, cfg.kw)).astype(cfg.dtype)
    gy = r.standard_normal((cfg.n, G * Og) + g.out_hw).astype(cfg.dtype)
    return g, x, w, gy


def _tiers(name, *args):
    return [getattr(K, f"grouped_conv2d_{name}{tier}")(*args) for tier in TIERS]


@SETTINGS
@given(case=grouped_configs())
def test_kernel_equals_loops_equals_reference(case):
    cfg, G, Cg, Og = case
    g, x, w, gy = _arrays(cfg, G, Cg, Og)
    tol = dict(rtol=1e-4, atol=1e-4) if cfg.dtype == np.float32 else dict(rtol=1e-10, atol=1e-11)
    for name, args, shape in [("forward", (x, w), gy.shape), ("backward_input", (gy, w), x.shape),
                              ("backward_weight", (x, gy), w.shape)]:
        fast, loops, reference = _tiers(name, *args, g, G)
        assert fast.shape == loops.shape == reference.shape == shape, name
        assert fast.dtype == loops.dtype == cfg.dtype, name
        np.testing.assert_allclose(fast, reference, err_msg=f"{name} kernel", **tol)
        np.testing.assert_allclose(loops, reference, err_msg=f"{name} loops", **tol)


GRADCHECK_CASES = {  # x shape, w shape, groups, geometry
    "g2_k3_p1_bias": ((2, 4, 4, 5), (6, 2, 3, 3), 2, dict(padding=1)),
    "g3_same_s2": ((1, 6, 5, 6), (3, 2, 3, 2), 3, dict(stride=2, padding="same")),
    "g2_d2_valid": ((1, 4, 6, 5), (4, 2, 2, 2), 2, dict(dilation=2, padding="valid")),
    "g2_pad4_s3x2": ((1, 4, 7, 4), (2, 2, 2, 3), 2, dict(stride=(3, 2), padding=(0, 1, 2, 0))),
    "g2_cg3_same_d2": ((1, 6, 5, 4), (4, 3, 3, 2), 2, dict(stride=(2, 1), padding="same", dilation=2)),
}


@pytest.mark.parametrize("name", sorted(GRADCHECK_CASES))
def test_gradcheck_every_element(name):
    x_shape, w_shape, G, geometry = GRADCHECK_CASES[name]
    x, w, b = (Tensor(rand(*s), requires_grad=True) for s in (x_shape, w_shape, (w_shape[0],)))
    y = F.conv2d(x, w, b, groups=G, **geometry)
    assert y.grad_fn.inputs[0].grad_fn.function is GroupedConv2d  # conv -> AddBias
    gradcheck(lambda x, w, b: F.conv2d(x, w, b, groups=G, **geometry), [x, w, b], names=["x", "w", "b"])
    gradcheck(lambda x, w: GroupedConv2d.apply(x, w, groups=G, **geometry), [x, w], names=["x", "w"])


def test_groups_1_is_the_standard_conv():
    x, w = rand(2, 3, 5, 5), rand(4, 3, 3, 3)
    g = K.conv_geometry("t", (5, 5), (3, 3), 2, "same", 1)
    y = F.conv2d(x, w, stride=2, padding="same", groups=1)
    np.testing.assert_allclose(y.data, K.conv2d_forward(x, w, g), rtol=1e-12, atol=1e-12)
    assert F.conv2d(Tensor(x, requires_grad=True), w, groups=1).grad_fn.function is Conv2d
    gy = rand(*y.shape)
    for name, args in [("forward", (x, w)), ("backward_input", (gy, w)), ("backward_weight", (x, gy))]:
        for tier in TIERS:
            ours = getattr(K, f"grouped_conv2d_{name}{tier}")(*args, g, 1)
            np.testing.assert_allclose(ours, getattr(K, f"conv2d_{name}")(*args, g), rtol=1e-11, atol=1e-12)
    # and the Function itself with groups=1 (F.conv2d sends that to Conv2d)
    xt, wt = Tensor(x, requires_grad=True), Tensor(w, requires_grad=True)
    GroupedConv2d.apply(xt, wt, stride=2, padding="same", groups=1).backward(gradient=gy)
    np.testing.assert_allclose(xt.grad, K.conv2d_backward_input(gy, w, g), rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(wt.grad, K.conv2d_backward_weight(x, gy, g), rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize("m", [1, 2])
def test_groups_in_channels_is_the_depthwise_conv(m):
    """groups = C with w (C·m, 1, kh, kw): output c·m+k reads input c in both ops."""
    C = 3
    x, w, gy = rand(2, C, 6, 5), rand(C * m, 1, 3, 2), rand(2, C * m, 3, 3)
    geometry = dict(stride=2, padding="same", dilation=(1, 2))
    g = K.conv_geometry("t", (6, 5), (3, 2), **geometry)
    via_f = F.conv2d(Tensor(x, requires_grad=True), w, groups=C, **geometry)
    assert via_f.grad_fn.function is DepthwiseConv2d
    np.testing.assert_allclose(via_f.data, F.depthwise_conv2d(x, w, **geometry).data, rtol=1e-12, atol=1e-12)
    # the grouped op itself (one input channel per group) gives the same values and gradients
    grads = []
    for op in (GroupedConv2d, DepthwiseConv2d):
        xt, wt = Tensor(x, requires_grad=True), Tensor(w, requires_grad=True)
        params = dict(groups=C) if op is GroupedConv2d else {}
        y = op.apply(xt, wt, **geometry, **params)
        y.backward(gradient=gy)
        grads.append((y.data, xt.grad, wt.grad))
    for ours, theirs in zip(*grads):
        np.testing.assert_allclose(ours, theirs, rtol=1e-11, atol=1e-12)
    for name, args in [("forward", (x, w)), ("backward_input", (gy, w)), ("backward_weight", (x, gy))]:
        loops = getattr(K, f"grouped_conv2d_{name}_loops")(*args, g, C)
        if name == "backward_input":
            depthwise = K.depthwise_backward_input(gy, w, g, in_channels=C)
        else:
            depthwise = getattr(K, f"depthwise_{name}")(*args, g)
        np.testing.assert_allclose(loops, depthwise, rtol=1e-11, atol=1e-12)


def test_float32_stays_float32():
    x, w = Tensor(rand(1, 4, 5, 5).astype(np.float32), requires_grad=True), rand(6, 2, 3, 3).astype(np.float32)
    y = F.conv2d(x, w, groups=2, padding=1)
    y.sum().backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32


@pytest.mark.parametrize("groups,error,match", [
    (0, ValueError, "groups must be >= 1, got 0"),
    (-2, ValueError, "groups must be >= 1"),
    (True, TypeError, "groups must be a positive int, got True"),
    (2.0, TypeError, "groups must be a positive int, got 2.0"),
    ("2", TypeError, "groups must be a positive int"),
    (np.array(2), TypeError, "groups must be a positive int"),
    (4, ValueError, r"the 6 input channels of x .* not divisible by groups=4"),
    (3, ValueError, r"w has 8 output channels .* not divisible by groups=3"),
    (2, ValueError, r"w must have shape \(O, C/groups, kh, kw\) = \(8, 3, kh, kw\)"),
])
def test_bad_groups_raise_clearly(groups, error, match):
    x, w = rand(1, 6, 5, 5), rand(8, 2, 3, 3)
    with pytest.raises(error, match=match):
        F.conv2d(x, w, groups=groups)


def test_groups_c_needs_a_depthwise_weight():
    with pytest.raises(ValueError, match=r"= \(6, 1, kh, kw\)"):
        F.conv2d(rand(1, 3, 4, 4), rand(6, 2, 3, 3), groups=3)
    with pytest.raises(ValueError, match="b must have shape \\(6,\\)"):
        F.conv2d(rand(1, 3, 4, 4), rand(6, 1, 3, 3), rand(5), groups=3)


@pytest.mark.parametrize("tier", TIERS[:2])
def test_kernels_validate_before_running(tier):
    g = K.conv_geometry("t", (5, 5), (3, 3), 1, 0, 1)
    x, w, gy = rand(1, 4, 5, 5), rand(4, 2, 3, 3), rand(1, 4, 3, 3)
    forward = getattr(K, f"grouped_conv2d_forward{tier}")
    backward_input = getattr(K, f"grouped_conv2d_backward_input{tier}")
    backward_weight = getattr(K, f"grouped_conv2d_backward_weight{tier}")
    with pytest.raises(ValueError, match="not divisible by groups=3"):
        forward(x, w, g, 3)
    with pytest.raises(TypeError, match="groups must be a positive int"):
        forward(x, w, g, None)
    with pytest.raises(TypeError, match="same dtype"):
        forward(x.astype(np.float32), w, g, 2)
    with pytest.raises(ValueError, match="g was built for"):
        forward(rand(1, 4, 6, 6), w, g, 2)
    with pytest.raises(ValueError, match="forward output's shape"):
        backward_input(rand(1, 4, 2, 3), w, g, 2)
    with pytest.raises(ValueError, match="forward output's shape"):
        backward_weight(x, rand(2, 4, 3, 3), g, 2)
    with pytest.raises(TypeError, match="ConvGeometry"):
        backward_weight(x, gy, (5, 5), 2)


BOUNDSCHECK_SCRIPT = r"""
import sys
import numpy as np
from numba import njit
from numba.core.registry import CPUDispatcher
from minisep.kernels import conv_geometry, grouped_conv as GC

try:  # a canary: bounds checking must really be on
    njit(lambda a: a[2])(np.zeros(2))
    sys.exit("bounds checking is off")
except IndexError:
    pass
for name, fn in list(vars(GC).items()):  # recompile from source: uncached, with the checks
    if isinstance(fn, CPUDispatcher):
        setattr(GC, name, njit(boundscheck=True)(fn.py_func))
EDGES = [  # N, G, Cg, Og, H, W, kernel, stride, padding, dilation
    (1, 2, 1, 2, 3, 3, 3, 1, 0, 1), (1, 2, 2, 1, 2, 2, 3, 1, 5, 1), (2, 3, 2, 2, 7, 6, 2, 3, 0, 1),
    (1, 2, 2, 1, 7, 7, 3, 1, 0, 3), (1, 2, 1, 3, 1, 1, 3, 1, "same", 1), (1, 2, 2, 2, 8, 4, 3, 3, "same", 2),
    (1, 2, 1, 1, 4, 9, (2, 3), (3, 2), (0, 2, 1, 0), (2, 1)), (0, 2, 2, 2, 4, 4, 3, 1, 1, 1),
    (1, 3, 2, 1, 1, 6, 1, 3, (4, 0, 0, 0), 1),
]
rng, checked = np.random.default_rng(0), 0
for N, G, Cg, Og, H, W, k, s, pad, d in EDGES:
    g = conv_geometry("boundscheck", (H, W), k, s, pad, d)
    x = rng.standard_normal((N, G * Cg, H, W))
    w = rng.standard_normal((G * Og, Cg) + g.kernel_hw)
    gy = rng.standard_normal((N, G * Og) + g.out_hw)
    for name, args in [("forward", (x, w)), ("backward_input", (gy, w)), ("backward_weight", (x, gy))]:
        ours = getattr(GC, f"grouped_conv2d_{name}_loops")(*args, g, G)
        reference = getattr(GC, f"grouped_conv2d_{name}_reference")(*args, g, G)
        if ours.shape != reference.shape or not np.allclose(ours, reference, rtol=1e-10, atol=1e-12):
            sys.exit(f"{name} loops differ from the reference at {(N, G, Cg, Og, H, W, k, s, pad, d)}")
        checked += 1
print(f"checked {checked} grouped loop results, all in bounds")
"""


def test_loops_stay_in_bounds(tmp_path):
    env = dict(os.environ, NUMBA_BOUNDSCHECK="1", NUMBA_CACHE_DIR=str(tmp_path))
    run = subprocess.run([sys.executable, "-c", BOUNDSCHECK_SCRIPT], env=env, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "all in bounds" in run.stdout
