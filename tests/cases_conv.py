"""Finite-difference cases for the conv and pool ops (same format as cases_core.py).

Small shapes, covering stride 2, dilation 2, 'same' with stride 2 (odd total padding, extra
row/column at the bottom/right), depth multiplier m = 2, non-square kernels and inputs.
Max-pool inputs hold distinct, well separated values so no tie or kink lies within eps.
"""

import numpy as np

import minisep.nn.functional as F
from minisep.ops import conv as C, pool as P

rng = np.random.default_rng(4321)


def rand(*shape):
    return rng.uniform(-1.0, 1.0, size=shape)


def distinct(*shape):
    """A permutation of evenly spaced values 0.1 apart: no two within eps of each other."""
    n = int(np.prod(shape))
    return (rng.permutation(n) * 0.1 - n * 0.05).reshape(shape)


CASES = {
    C.DepthwiseConv2d: [
        ("k3_p1", lambda x, w: F.depthwise_conv2d(x, w, padding=1), [rand(2, 2, 4, 5), rand(2, 1, 3, 3)]),
        ("m2_k2x3_s2", lambda x, w: F.depthwise_conv2d(x, w, stride=2), [rand(1, 2, 5, 6), rand(4, 1, 2, 3)]),
        ("d2_valid", lambda x, w: F.depthwise_conv2d(x, w, dilation=2, padding="valid"),
         [rand(1, 3, 6, 5), rand(3, 1, 2, 2)]),
        ("same_s2_m2", lambda x, w: F.depthwise_conv2d(x, w, stride=2, padding="same"),
         [rand(1, 1, 6, 5), rand(2, 1, 3, 2)]),
        ("same_s2_d2_bias", lambda x, w, b: F.depthwise_conv2d(x, w, b, stride=(2, 1), padding="same", dilation=2),
         [rand(1, 2, 5, 4), rand(2, 1, 2, 3), rand(2)]),
    ],
    C.PointwiseConv2d: [
        ("c3_o2", lambda x, w: F.pointwise_conv2d(x, w), [rand(2, 3, 3, 4), rand(2, 3, 1, 1)]),
        ("bias", lambda x, w, b: F.pointwise_conv2d(x, w, b), [rand(1, 2, 2, 3), rand(4, 2, 1, 1), rand(4)]),
        ("separable_m2", lambda x, wd, wp, b: F.separable_conv2d(x, wd, wp, b, stride=2, padding="same"),
         [rand(1, 2, 5, 4), rand(4, 1, 3, 3), rand(3, 4, 1, 1), rand(3)]),
    ],
    C.Conv2d: [
        ("k3_p1", lambda x, w: F.conv2d(x, w, padding=1), [rand(2, 2, 4, 3), rand(3, 2, 3, 3)]),
        ("k2x3_s2_bias", lambda x, w, b: F.conv2d(x, w, b, stride=2), [rand(1, 2, 5, 6), rand(2, 2, 2, 3), rand(2)]),
        ("d2_pad_pair", lambda x, w: F.conv2d(x, w, dilation=2, padding=(1, 2)), [rand(1, 2, 5, 4), rand(2, 2, 2, 2)]),
        ("same_s2", lambda x, w: F.conv2d(x, w, stride=2, padding="same"), [rand(1, 1, 6, 5), rand(2, 1, 3, 2)]),
        ("pad4_s3", lambda x, w: F.conv2d(x, w, stride=(3, 2), padding=(0, 1, 2, 0)),
         [rand(1, 1, 7, 4), rand(1, 1, 2, 2)]),
    ],
    C.AddBias: [
        ("bias", lambda x, b: C.AddBias.apply(x, b), [rand(2, 3, 2, 4), rand(3)]),
        ("after_conv", lambda x, w, b: F.conv2d(x, w, b), [rand(1, 2, 3, 3), rand(2, 2, 2, 2), rand(2)]),
    ],
    P.MaxPool2d: [
        ("k2", lambda x: F.max_pool2d(x, 2), [distinct(2, 2, 4, 5)]),
        ("k3_s1_overlap", lambda x: F.max_pool2d(x, 3, stride=1), [distinct(1, 2, 5, 4)]),
        ("k3x2_s2_p1", lambda x: F.max_pool2d(x, (3, 2), stride=2, padding=1), [distinct(1, 2, 5, 6)]),
    ],
    P.AvgPool2d: [
        ("k2", lambda x: F.avg_pool2d(x, 2), [rand(2, 2, 4, 5)]),
        ("k3_s2_p1_incl", lambda x: F.avg_pool2d(x, 3, stride=2, padding=1), [rand(1, 2, 5, 6)]),
        ("k3x2_s1_p1_excl", lambda x: F.avg_pool2d(x, (3, 2), stride=1, padding=1, count_include_pad=False),
         [rand(1, 2, 4, 5)]),
    ],
    P.GlobalAvgPool2d: [
        ("gap", lambda x: F.global_avg_pool2d(x), [rand(2, 3, 4, 5)]),
        ("gap_1x1", lambda x: F.global_avg_pool2d(x), [rand(1, 2, 1, 1)]),
    ],
}
