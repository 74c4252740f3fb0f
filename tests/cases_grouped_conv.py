"""Finite-difference cases for the grouped conv op (same format as cases_conv.py): groups 2 and 3,
'same' with stride 2, dilation 2, an explicit 4-tuple padding, a bias after the conv."""

import numpy as np

import minisep.nn.functional as F
from minisep.ops.conv_grouped import GroupedConv2d

rng = np.random.default_rng(2468)


def rand(*shape):
    return rng.uniform(-1.0, 1.0, size=shape)


CASES = {
    GroupedConv2d: [
        ("g2_k3_p1", lambda x, w: F.conv2d(x, w, padding=1, groups=2), [rand(2, 4, 4, 3), rand(4, 2, 3, 3)]),
        ("g3_same_s2_bias", lambda x, w, b: F.conv2d(x, w, b, stride=2, padding="same", groups=3),
         [rand(1, 6, 5, 4), rand(3, 2, 3, 2), rand(3)]),
        ("g2_d2_pad4", lambda x, w: GroupedConv2d.apply(x, w, dilation=2, padding=(0, 1, 2, 0), groups=2),
         [rand(1, 4, 5, 4), rand(6, 2, 2, 2)]),
    ],
}
