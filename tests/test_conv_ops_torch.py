"""Conv and pool ops against PyTorch (skipped without torch): the output and every gradient,
float32 and float64. padding='same' is done on the torch side by explicit torch.nn.functional.pad
with the Keras rule, computed here independently of minisep:

    out = ceil(in / s),  total = max((out - 1)·s + (k - 1)·d + 1 - in, 0),
    before = total // 2, after = total - before   (the odd extra row/column at the bottom/right).
"""

import numpy as np
import pytest

import minisep.nn.functional as F
from minisep import Tensor

torch = pytest.importorskip("torch")
TF = torch.nn.functional

TOL = {np.float32: dict(rtol=1e-4, atol=1e-4), np.float64: dict(rtol=1e-10, atol=1e-11)}


def keras_same(size, k, s, d):
    out = -(-size // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
    return total // 2, total - total // 2


def torch_pad(tx, cfg):
    """Pad explicitly (so torch's conv runs with padding=0); returns the padded tensor."""
    (kh, kw), (sh, sw), (rh, rw) = cfg["k"], cfg["stride"], cfg["dilation"]
    if cfg["padding"] == "same":
        pt, pb = keras_same(tx.shape[2], kh, sh, rh)
        pl, pr = keras_same(tx.shape[3], kw, sw, rw)
    elif cfg["padding"] == "valid":
        pt = pb = pl = pr = 0
    else:
        pt = pb = cfg["padding"][0]
        pl = pr = cfg["padding"][1]
    return TF.pad(tx, (pl, pr, pt, pb))


CONFIGS = {
    "k3_p1": dict(N=2, C=3, H=6, W=5, k=(3, 3), m=1, O=4, stride=(1, 1), dilation=(1, 1), padding=(1, 1)),
    "same_s2_odd": dict(N=2, C=2, H=7, W=6, k=(3, 3), m=2, O=3, stride=(2, 2), dilation=(1, 1), padding="same"),
    "same_s2_k2x3": dict(N=1, C=3, H=6, W=9, k=(2, 3), m=3, O=2, stride=(2, 2), dilation=(1, 1), padding="same"),
    "d2_valid": dict(N=2, C=2, H=7, W=8, k=(3, 2), m=2, O=3, stride=(1, 2), dilation=(2, 2), padding="valid"),
    "same_s2_d2": dict(N=1, C=2, H=8, W=7, k=(3, 3), m=1, O=2, stride=(2, 2), dilation=(2, 2), padding="same"),
    "s3_pad21": dict(N=1, C=1, H=9, W=6, k=(2, 3), m=2, O=2, stride=(3, 1), dilation=(1, 1), padding=(2, 1)),
}
OPS = ["depthwise", "pointwise", "conv2d", "separable"]


def _weights(op, cfg, rng, dtype):
    C, m, O, k = cfg["C"], cfg["m"], cfg["O"], cfg["k"]
    shapes = {"depthwise": [(C * m, 1) + k, (C * m,)], "pointwise": [(O, C, 1, 1), (O,)],
              "conv2d": [(O, C) + k, (O,)], "separable": [(C * m, 1) + k, (O, C * m, 1, 1), (O,)]}[op]
    return [rng.standard_normal(s).astype(dtype) for s in shapes]


def _minisep(op, x, ws, cfg):
    geo = dict(stride=cfg["stride"], padding=cfg["padding"], dilation=cfg["dilation"])
    if op == "depthwise":
        return F.depthwise_conv2d(x, *ws, **geo)
    if op == "pointwise":
        return F.pointwise_conv2d(x, *ws)
    if op == "conv2d":
        return F.conv2d(x, *ws, **geo)
    return F.separable_conv2d(x, *ws, **geo)


def _torch(op, tx, tws, cfg):
    geo = dict(stride=cfg["stride"], dilation=cfg["dilation"])
    if op == "pointwise":
        return TF.conv2d(tx, *tws)
    xp = torch_pad(tx, cfg)
    if op == "depthwise":
        return TF.conv2d(xp, *tws, groups=cfg["C"], **geo)
    if op == "conv2d":
        return TF.conv2d(xp, *tws, **geo)
    h = TF.conv2d(xp, tws[0], groups=cfg["C"], **geo)     # depthwise, no bias
    return TF.conv2d(h, tws[1], tws[2])                   # pointwise with the one bias


def _compare(y, leaves, ty, tleaves, dtype, rng):
    tol = TOL[dtype]
    assert y.dtype == dtype and y.shape == tuple(ty.shape)
    np.testing.assert_allclose(y.data, ty.detach().numpy(), **tol)
    gy = np.asarray(rng.standard_normal(y.shape), dtype=dtype)
    y.backward(gradient=gy)
    ty.backward(torch.from_numpy(gy))
    for k, (a, ta) in enumerate(zip(leaves, tleaves)):
        assert a.grad.dtype == dtype
        np.testing.assert_allclose(a.grad, ta.grad.numpy(), err_msg=f"gradient of input {k}", **tol)


def _pair_up(arrays):
    leaves = [Tensor(a, requires_grad=True) for a in arrays]
    tleaves = [torch.tensor(a, requires_grad=True) for a in arrays]
    return leaves, tleaves


# pointwise has no geometry: one configuration is enough for it
CASES = [(op, name) for op in OPS for name in sorted(CONFIGS) if op != "pointwise" or name == "k3_p1"]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("op,cfg_name", CASES)
def test_conv_matches_torch(op, cfg_name, dtype):
    cfg = CONFIGS[cfg_name]
    rng = np.random.default_rng(7)
    x = rng.standard_normal((cfg["N"], cfg["C"], cfg["H"], cfg["W"])).astype(dtype)
    leaves, tleaves = _pair_up([x] + _weights(op, cfg, rng, dtype))
    y = _minisep(op, leaves[0], leaves[1:], cfg)
    ty = _torch(op, tleaves[0], tleaves[1:], cfg)
    _compare(y, leaves, ty, tleaves, dtype, rng)


POOLS = {  # kernel, stride, padding, input (H, W)
    "k2": ((2, 2), None, (0, 0), (6, 7)),
    "k3_s2_p1": ((3, 3), (2, 2), (1, 1), (7, 6)),
    "k3x2_s1_p1x0": ((3, 2), (1, 1), (1, 0), (5, 6)),
    "k2x3_s2x3_p1": ((2, 3), (2, 3), (1, 1), (6, 8)),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(POOLS))
@pytest.mark.parametrize("kind", ["max", "avg_incl", "avg_excl"])
def test_pool_matches_torch(kind, name, dtype):
    k, s, p, (H, W) = POOLS[name]
    rng = np.random.default_rng(3)
    leaves, tleaves = _pair_up([rng.standard_normal((2, 3, H, W)).astype(dtype)])
    if kind == "max":
        y = F.max_pool2d(leaves[0], k, s, p)
        ty = TF.max_pool2d(tleaves[0], k, s, p)
    else:
        include = kind == "avg_incl"
        y = F.avg_pool2d(leaves[0], k, s, p, count_include_pad=include)
        ty = TF.avg_pool2d(tleaves[0], k, s, p, count_include_pad=include)
    _compare(y, leaves, ty, tleaves, dtype, rng)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_global_avg_pool_matches_torch(dtype):
    rng = np.random.default_rng(4)
    leaves, tleaves = _pair_up([rng.standard_normal((2, 3, 5, 4)).astype(dtype)])
    _compare(F.global_avg_pool2d(leaves[0]), leaves, tleaves[0].mean(dim=(2, 3)), tleaves, dtype, rng)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_small_cnn_matches_torch(dtype):
    """conv → relu → max pool → separable → avg pool → global pool → linear → cross-entropy."""
    rng = np.random.default_rng(11)
    shapes = [(2, 1, 8, 8), (4, 1, 3, 3), (4,), (4, 1, 3, 3), (6, 4, 1, 1), (6,), (3, 6), (3,)]
    leaves, tl = _pair_up([rng.standard_normal(s).astype(dtype) for s in shapes])
    x, w1, b1, wd, wp, b2, wl, bl = leaves
    labels = np.array([2, 0])
    h = F.max_pool2d(F.relu(F.conv2d(x, w1, b1, padding="same")), 2)
    h = F.avg_pool2d(F.separable_conv2d(h, wd, wp, b2, stride=2, padding="same"), 2, 1, 1, count_include_pad=False)
    loss = F.cross_entropy(F.linear(F.global_avg_pool2d(h), wl, bl), labels)
    th = TF.max_pool2d(TF.relu(TF.conv2d(tl[0], tl[1], tl[2], padding="same")), 2)
    th = TF.conv2d(TF.conv2d(TF.pad(th, (0, 1, 0, 1)), tl[3], stride=2, groups=4), tl[4], tl[5])  # 4x4, k3, s2
    th = TF.avg_pool2d(th, 2, 1, 1, count_include_pad=False)
    tloss = TF.cross_entropy(TF.linear(th.mean(dim=(2, 3)), tl[6], tl[7]), torch.tensor(labels))
    _compare(loss, leaves, tloss, tl, dtype, rng)
