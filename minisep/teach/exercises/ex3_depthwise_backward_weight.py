"""Exercise 3: the depthwise weight gradient dD (a correlation of xp with gy)."""
from __future__ import annotations

import numpy as np

from ...kernels import depthwise_backward_weight_reference, depthwise_forward_reference
from . import _conv
from .grade import Exercise


def _fd(fn):
    case = _conv.make_case(_conv.FD_CFG)
    x, w, gy, g = case["x"], case["w"], case["gy"], case["g"]
    return _conv.fd_check("your dD vs central differences", _conv.FD_CFG,
                          lambda: float(np.sum(depthwise_forward_reference(x, w, g) * gy)),
                          {"dD": (fn(x, gy, w.shape, **_conv.geo_args(case)), w)})


EXERCISE = Exercise(
    number=3, name="depthwise-backward-weight", title="depthwise backward: dD from x and gy",
    function="depthwise_backward_weight", stub="ex3_depthwise_backward_weight.py",
    configs=_conv.configs, make_case=_conv.make_case,
    reference=lambda c: depthwise_backward_weight_reference(c["x"], c["gy"], c["g"]),
    call=lambda fn, c: fn(c["x"], c["gy"], c["w"].shape, **_conv.geo_args(c)),
    variants=_conv.variants("dD"), map_axes="(c·m+k, i, j)", map_kinds=("kernel",),
    solution="minisep/kernels/depthwise.py: depthwise_backward_weight (readable twin: "
    "depthwise_backward_weight_reference)",
    docs="docs/backprop-separable-conv.md, section 2", fd_check=_fd)
