"""Exercise 1: the depthwise convolution forward pass, with stride, padding, dilation and multiplier m."""
from __future__ import annotations

import numpy as np

from ...kernels import depthwise_backward_input_reference, depthwise_forward_reference
from . import _conv
from .grade import Exercise


def _fd(fn):
    # the forward is linear in x: <y(x), gy> must have gradient dX = minisep's backward, by differences
    case = _conv.make_case(_conv.FD_CFG)
    x, w, gy, g = case["x"], case["w"], case["gy"], case["g"]
    return _conv.fd_check("d<y, gy>/dx of your forward, against minisep's dX, vs central differences",
                          _conv.FD_CFG, lambda: float(np.sum(fn(x, w, **_conv.geo_args(case)) * gy)),
                          {"dX": (depthwise_backward_input_reference(gy, w, g, x.shape[1]), x)})


EXERCISE = Exercise(
    number=1, name="depthwise-forward", title="depthwise forward y = D ⋆ x (stride, padding, dilation, m)",
    function="depthwise_forward", stub="ex1_depthwise_forward.py",
    configs=_conv.configs, make_case=_conv.make_case,
    reference=lambda c: depthwise_forward_reference(c["x"], c["w"], c["g"]),
    call=lambda fn, c: fn(c["x"], c["w"], **_conv.geo_args(c)),
    variants=_conv.variants("y", {"flipped-kernel": (
        _conv._runner("y", _conv.bugs.Knobs(flip=False)),
        "conv layers compute a correlation: the forward reads w[c·m+k, 0, i, j] at xp[p·sh + i·rh, ...], unflipped")}),
    map_axes="(c·m+k, p, q), max over n", map_kinds=("nchw",), solution="minisep/kernels/depthwise.py: depthwise_forward "
    "(readable twin: depthwise_forward_reference)",
    docs="docs/backprop-separable-conv.md, section 1", fd_check=_fd)
