"""Exercise 2: the depthwise input gradient dX (the flipped kernel, the stride grid, the m-sum)."""
from __future__ import annotations

import numpy as np

from ...kernels import depthwise_backward_input_reference, depthwise_forward_reference
from . import _conv
from .grade import Exercise


def _fd(fn):
    case = _conv.make_case(_conv.FD_CFG)
    x, w, gy, g = case["x"], case["w"], case["gy"], case["g"]
    return _conv.fd_check("your dX vs central differences", _conv.FD_CFG,
                          lambda: float(np.sum(depthwise_forward_reference(x, w, g) * gy)),
                          {"dX": (fn(gy, w, x.shape, **_conv.geo_args(case)), x)})


EXERCISE = Exercise(
    number=2, name="depthwise-backward-input", title="depthwise backward: dX from gy",
    function="depthwise_backward_input", stub="ex2_depthwise_backward_input.py",
    configs=_conv.configs, make_case=_conv.make_case,
    reference=lambda c: depthwise_backward_input_reference(c["gy"], c["w"], c["g"], c["x"].shape[1]),
    call=lambda fn, c: fn(c["gy"], c["w"], c["x"].shape, **_conv.geo_args(c)),
    variants=_conv.variants("dX"), map_axes="(c, h, w), max over n",
    solution="minisep/kernels/depthwise.py: depthwise_backward_input (readable twin: "
    "depthwise_backward_input_reference)",
    docs="docs/backprop-separable-conv.md, section 3", fd_check=_fd)
