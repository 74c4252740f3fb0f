"""jax as an independent oracle for minisep's convolutions: forward and gradients.

The oracle is ``jax.lax.conv_general_dilated`` with dimension_numbers ('NCHW', 'OIHW', 'NCHW'),
window_strides, padding ('SAME' / 'VALID' / explicit ((pt, pb), (pl, pr))), rhs_dilation and
feature_group_count (C for depthwise, g for Conv2d(groups=g)); its gradients come from ``jax.vjp``.
minisep's gradients are those of L = sum(y * gy) for a random gy, so both compute the same
vector-Jacobian product: gx, gw (both weights for separable) and gb.

jax's 'SAME' is TensorFlow's rule (also for stride > 1 and dilation > 1: the odd extra row/column
at the bottom/right), which is the rule minisep documents for padding='same'.
"""

import functools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minisep as ms
import minisep.nn.functional as F
from minisep.kernels.geometry import conv_geometry

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)  # float64 oracle; float32 inputs stay float32
from jax import lax  # noqa: E402

TOL = {np.float64: dict(rtol=1e-10, atol=1e-10), np.float32: dict(rtol=1e-4, atol=1e-4)}


def jax_padding(padding):
    """minisep padding -> what conv_general_dilated takes."""
    if isinstance(padding, str):
        return padding.upper()
    if isinstance(padding, int):
        return ((padding, padding), (padding, padding))
    if len(padding) == 2:
        return ((padding[0], padding[0]), (padding[1], padding[1]))
    pt, pb, pl, pr = padding
    return ((pt, pb), (pl, pr))


def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def jax_conv(x, w, stride, padding, dilation, groups):
    return lax.conv_general_dilated(x, w, window_strides=pair(stride), padding=jax_padding(padding),
                                    rhs_dilation=pair(dilation), dimension_numbers=("NCHW", "OIHW", "NCHW"),
                                    feature_group_count=groups, precision=lax.Precision.HIGHEST)


@functools.lru_cache(maxsize=None)
def _program(kind, stride, padding, dilation, bias, groups, C):
    """jit(x, weights..., [b], gy) -> (y, vjp of every input): one XLA program per configuration."""
    geo = dict(stride=stride, padding=padding, dilation=dilation, bias=bias, groups=groups)
    def f(*a):
        x, b = a[0], (a[-1] if geo["bias"] else None)
        if kind == "separable":
            y = jax_conv(jax_conv(x, a[1], geo["stride"], geo["padding"], geo["dilation"], C), a[2], 1, "VALID", 1, 1)
        else:
            groups = {"conv": 1, "grouped": geo.get("groups", 1), "depthwise": C}[kind]
            y = jax_conv(x, a[1], geo["stride"], geo["padding"], geo["dilation"], groups)
        return y if b is None else y + b[None, :, None, None]

    def run(*a):
        y, vjp = jax.vjp(f, *a[:-1])
        return y, vjp(a[-1])
    return jax.jit(run)


def oracle(kind, arrays, geo, gy_seed):
    """jax's y and the vjp of every array for a random cotangent gy (drawn with gy_seed)."""
    x = arrays[0]
    k = arrays[1].shape[2:]
    g = conv_geometry("oracle", x.shape[2:], k, geo["stride"], geo["padding"], geo["dilation"])
    O = arrays[2].shape[0] if kind == "separable" else arrays[1].shape[0]
    gy = np.random.default_rng(gy_seed).standard_normal((x.shape[0], O, *g.out_hw)).astype(x.dtype)
    key = (geo["stride"], geo["padding"], geo["dilation"], geo["bias"], geo.get("groups", 1))
    y, grads = _program(kind, *key, x.shape[1])(*arrays, gy)
    return np.asarray(y), gy, [np.asarray(a) for a in grads]


def minisep_run(kind, arrays, geo, gy):
    ts = [ms.tensor(a, requires_grad=True) for a in arrays]
    x, b = ts[0], (ts[-1] if geo["bias"] else None)
    g = dict(stride=geo["stride"], padding=geo["padding"], dilation=geo["dilation"])
    if kind == "conv":
        y = F.conv2d(x, ts[1], b, **g)
    elif kind == "grouped":
        y = F.conv2d(x, ts[1], b, groups=geo["groups"], **g)
    elif kind == "depthwise":
        y = F.depthwise_conv2d(x, ts[1], b, **g)
    else:
        y = F.separable_conv2d(x, ts[1], ts[2], b, **g)
    (y * ms.tensor(gy)).sum().backward()
    return y.data, [t.grad for t in ts]


def make_arrays(kind, rng, N, C, H, W, k, m, O, groups, bias, dtype):
    kh, kw = pair(k)
    x = rng.standard_normal((N, C, H, W))
    if kind == "conv":
        ws = [rng.standard_normal((O, C, kh, kw))]
    elif kind == "grouped":
        ws = [rng.standard_normal((O, C // groups, kh, kw))]
    elif kind == "depthwise":
        ws = [rng.standard_normal((C * m, 1, kh, kw))]
    else:
        ws = [rng.standard_normal((C * m, 1, kh, kw)), rng.standard_normal((O, C * m, 1, 1))]
    out = [x, *ws]
    if bias:
        out.append(rng.standard_normal(C * m if kind == "depthwise" else O))
    return [a.astype(dtype) for a in out]


def check(kind, arrays, geo, dtype, seed=0):
    names = ["x", *(["wd", "wp"] if kind == "separable" else ["w"]), *(["b"] if geo["bias"] else [])]
    y_ref, gy, grads_ref = oracle(kind, arrays, geo, seed)
    y, grads = minisep_run(kind, arrays, geo, gy)
    tol = TOL[dtype]
    assert y.dtype == dtype
    assert y.shape == y_ref.shape, f"output shape {y.shape}, jax {y_ref.shape} for {geo}"
    np.testing.assert_allclose(y, y_ref, **tol, err_msg=f"y {kind} {geo}")
    for name, g, g_ref in zip(names, grads, grads_ref):
        assert g.dtype == dtype, name
        np.testing.assert_allclose(g, g_ref, **tol, err_msg=f"d{name} {kind} {geo}")


# (kind, stride, padding, dilation, H, W, kernel, bias, dtype): every kind with 'same' at stride 2 on odd
# and even sizes, dilation 2, int / pair / asymmetric 4-tuple padding, both dtypes
CASES = [
    ("conv", 1, "valid", 1, 6, 7, 3, True, np.float64),
    ("conv", 2, "same", 1, 8, 7, (3, 2), False, np.float32),
    ("conv", 2, (0, 1, 2, 1), 1, 6, 7, 3, True, np.float32),
    ("grouped", 2, "same", 1, 7, 8, 3, True, np.float64),
    ("grouped", 1, 1, 2, 7, 6, (2, 3), False, np.float32),
    ("depthwise", 2, "same", 1, 7, 8, 3, True, np.float32),
    ("depthwise", (2, 1), "same", (1, 2), 9, 6, (3, 2), False, np.float64),
    ("depthwise", 1, (2, 0), 2, 7, 7, 3, True, np.float64),
    ("separable", 2, "same", 1, 8, 9, 3, True, np.float64),
    ("separable", 2, 1, 1, 6, 7, (2, 3), True, np.float32),
]


@pytest.mark.parametrize("case_i", range(len(CASES)))
def test_matches_jax(case_i):
    kind, stride, padding, dilation, H, W, k, bias, dtype = CASES[case_i]
    rng = np.random.default_rng(case_i)
    C, groups = (4, 2) if kind == "grouped" else (3, 1)
    geo = dict(stride=stride, padding=padding, dilation=dilation, bias=bias, groups=groups)
    check(kind, make_arrays(kind, rng, 2, C, H, W, k, 2, 4, groups, bias, dtype), geo, dtype, seed=case_i)


def test_same_padding_is_jax_same():
    """minisep's 'same' amounts (pt, pb, pl, pr) are jax's 'SAME' ones, for every size, kernel, stride and
    dilation here (jax.lax.padtype_to_pads is plain Python: nothing is compiled)."""
    for H in range(1, 13):
        for k in range(1, 5):
            for s in range(1, 4):
                for d in (1, 2):
                    g = conv_geometry("same", (H, H + 1), (k, k), s, "same", d)
                    ext = (k - 1) * d + 1
                    (pt, pb), (pl, pr) = lax.padtype_to_pads((H, H + 1), (ext, ext), (s, s), "SAME")
                    assert g.padding == (pt, pb, pl, pr), (H, k, s, d)
                    assert g.out_hw == (-(-H // s), -(-(H + 1) // s))


@st.composite
def configs(draw):
    kind = draw(st.sampled_from(["conv", "grouped", "depthwise", "separable"]))
    k = draw(st.one_of(st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    stride = draw(st.one_of(st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    dilation = draw(st.integers(1, 2))
    padding = draw(st.one_of(st.sampled_from(["same", "valid"]), st.integers(0, 2)))
    kh, kw = pair(k)
    pad = 0 if padding in ("same", "valid") else padding
    low_h = 1 if padding == "same" else max(1, (kh - 1) * dilation + 1 - 2 * pad)
    low_w = 1 if padding == "same" else max(1, (kw - 1) * dilation + 1 - 2 * pad)
    H, W = draw(st.integers(low_h, 9)), draw(st.integers(low_w, 9))
    groups = draw(st.sampled_from([1, 2, 3])) if kind == "grouped" else 1
    C = groups * draw(st.integers(1, 2)) if kind == "grouped" else draw(st.integers(1, 3))
    O = groups * draw(st.integers(1, 2)) if kind == "grouped" else draw(st.integers(1, 3))
    return dict(kind=kind, N=draw(st.integers(1, 2)), C=C, H=H, W=W, k=k, m=draw(st.integers(1, 3)), O=O,
                groups=groups, stride=stride, padding=padding, dilation=dilation, bias=draw(st.booleans()),
                dtype=draw(st.sampled_from([np.float32, np.float64])), seed=draw(st.integers(0, 2**31)))


@settings(deadline=None, max_examples=20)
@given(cfg=configs())
def test_property_matches_jax(cfg):
    rng = np.random.default_rng(cfg["seed"])
    arrays = make_arrays(cfg["kind"], rng, cfg["N"], cfg["C"], cfg["H"], cfg["W"], cfg["k"], cfg["m"], cfg["O"],
                         cfg["groups"], cfg["bias"], cfg["dtype"])
    geo = {key: cfg[key] for key in ("stride", "padding", "dilation", "bias", "groups")}
    check(cfg["kind"], arrays, geo, cfg["dtype"], seed=cfg["seed"] + 1)
