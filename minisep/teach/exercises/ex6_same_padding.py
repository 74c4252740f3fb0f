"""Exercise 6: Keras/TensorFlow 'same' padding with stride > 1 (the odd extra row at the bottom)."""
from __future__ import annotations

import numpy as np

from ...kernels import conv_geometry
from .grade import Exercise, learner_variants

NAMES = ("pt", "pb", "pl", "pr", "P", "Q")


def configs():
    from hypothesis import strategies as st
    return st.fixed_dictionaries(dict(H=st.integers(1, 12), W=st.integers(1, 12), kh=st.integers(1, 5),
                                      kw=st.integers(1, 5), sh=st.integers(1, 3), sw=st.integers(1, 3),
                                      rh=st.integers(1, 3), rw=st.integers(1, 3)))


def make_case(cfg):
    return dict(cfg=cfg, in_hw=(cfg["H"], cfg["W"]), kernel_hw=(cfg["kh"], cfg["kw"]),
                stride=(cfg["sh"], cfg["sw"]), dilation=(cfg["rh"], cfg["rw"]))


def reference(c):
    g = conv_geometry("exercise", c["in_hw"], c["kernel_hw"], c["stride"], "same", c["dilation"])
    return np.array(g.padding + g.out_hw, dtype=np.float64)


def _flat(result):
    pads, out = result
    pads, out = tuple(int(v) for v in pads), tuple(int(v) for v in out)
    if len(pads) != 4 or len(out) != 2:
        raise ValueError(f"return ((pt, pb, pl, pr), (P, Q)); got {result!r}")
    return np.array(pads + out, dtype=np.float64)


def call(fn, c):
    return _flat(fn(c["in_hw"], c["kernel_hw"], c["stride"], c["dilation"]))


def _rule(size, k, s, d, *, ceil=True, clamp=True, dilation=True, extra_after=True, stride_one=False):
    """One dimension of 'same', with one term switchable (the known mistakes)."""
    extent = (k - 1) * d + 1 if dilation else k
    if stride_one:  # 'pad half the kernel on each side': right only at stride 1 with an odd extent
        before = after = (extent - 1) // 2
        return before, after, (size + before + after - extent) // s + 1
    out = -(-size // s) if ceil else max(size // s, 1)
    total = (out - 1) * s + extent - size
    total = max(total, 0) if clamp else total
    small, big = total // 2, total - total // 2
    return (small, big, out) if extra_after else (big, small, out)


def _learner(**knobs):
    def same_padding(in_hw, kernel_hw, stride, dilation):
        (pt, pb, P), (pl, pr, Q) = (_rule(n, k, s, d, **knobs) for n, k, s, d in
                                    zip(in_hw, kernel_hw, stride, dilation))
        return (pt, pb, pl, pr), (P, Q)
    return same_padding


MISTAKES = {
    "symmetric-same": (
        dict(extra_after=False),
        "when the total padding is odd, Keras puts the extra row at the BOTTOM and the extra column at the "
        "RIGHT: pt = total // 2, pb = total - pt; yours puts it at the top/left"),
    "floor-output": (
        dict(ceil=False),
        "'same' fixes the output size first, P = ceil(H / s) (every input row is covered); yours uses "
        "floor(H / s), which drops the last partial window"),
    "no-clamp": (
        dict(clamp=False),
        "total = max((P - 1)·s + (k - 1)·d + 1 - H, 0): with stride > kernel extent it can be negative, and "
        "'same' then pads nothing (yours returns a negative padding)"),
    "no-dilation": (
        dict(dilation=False),
        "a dilated kernel spans (k - 1)·d + 1 pixels, not k: use that extent in total"),
    "stride-one-formula": (
        dict(stride_one=True),
        "(k - 1)·d // 2 on each side is 'same' only at stride 1; with stride s, P = ceil(H / s) and "
        "total = max((P - 1)·s + (k - 1)·d + 1 - H, 0), split total // 2 before, the rest after"),
}


def wrong_learner(name):
    return _learner(**MISTAKES[name][0])


def _check(fn):
    """Your padding, given to minisep's conv explicitly, must reproduce padding='same', and its float64
    gradcheck must pass (the backward crops exactly your (pt, pl))."""
    import minisep as ms
    import minisep.nn.functional as F

    rng = np.random.default_rng(0)
    notes, ok = [], True
    for H, W, k, s, d in ((6, 7, 3, 2, 1), (5, 4, 2, 2, 2)):
        pads, _out = fn((H, W), (k, k), (s, s), (d, d))
        pads = tuple(int(v) for v in pads)
        x = rng.standard_normal((1, 2, H, W))
        w = rng.standard_normal((2, 1, k, k))
        same = F.depthwise_conv2d(x, w, stride=s, padding="same", dilation=d).data
        mine = F.depthwise_conv2d(x, w, stride=s, padding=pads, dilation=d).data
        report = ms.gradcheck(lambda a, b: F.depthwise_conv2d(a, b, stride=s, padding=pads, dilation=d),
                              [ms.tensor(x, requires_grad=True), ms.tensor(w, requires_grad=True)],
                              names=["dX", "dD"], raise_exception=False)
        good = same.shape == mine.shape and np.allclose(same, mine) and report.passed
        ok &= bool(good)
        notes.append(f"H,W={H},{W} k={k} s={s} d={d} padding={pads}: {'ok' if good else 'WRONG'}")
    return ok, "; ".join(notes)


EXERCISE = Exercise(
    number=6, name="same-padding", title="Keras 'same' padding with stride > 1: (pt, pb, pl, pr) and (P, Q)",
    function="same_padding", stub="ex6_same_padding.py",
    configs=configs, make_case=make_case, reference=reference, call=call,
    variants=learner_variants(call, MISTAKES, wrong_learner),
    map_kinds=("values",), value_names=NAMES, map_axes="(pt, pb, pl, pr, P, Q)",
    probes=(dict(H=6, W=6, kh=3, kw=3, sh=2, sw=2, rh=1, rw=1), dict(H=5, W=5, kh=3, kw=3, sh=2, sw=2, rh=2, rw=2),
            dict(H=4, W=4, kh=1, kw=1, sh=3, sw=3, rh=1, rw=1)),
    solution="minisep/kernels/geometry.py: same_padding (used by conv_geometry)",
    docs="docs/backprop-separable-conv.md, section 6", fd_check=_check, max_examples=60,
    fd_name="float64 gradcheck of minisep's conv with your explicit padding")
