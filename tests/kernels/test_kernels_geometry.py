"""conv_geometry / pool_geometry / pair: output sizes, the Keras/TF 'same' rule with stride > 1, and
every bad argument (the message names the op, the argument and what it got)."""
import math

import numpy as np
import pytest

from minisep.kernels.geometry import ConvGeometry, conv_geometry, pair, pool_geometry

# in, k, stride, dilation -> out, (before, after): out = ceil(in/s), total = max((out-1)·s + (k-1)·d + 1 - in, 0)
SAME_TABLE = [
    (5, 3, 2, 1, 3, (1, 1)),
    (6, 3, 2, 1, 3, (0, 1)),  # odd total: the extra row/column at the bottom/right
    (7, 3, 1, 1, 7, (1, 1)),
    (4, 2, 1, 1, 4, (0, 1)),
    (1, 3, 1, 1, 1, (1, 1)),
    (5, 3, 3, 1, 2, (0, 1)),
    (10, 3, 1, 2, 10, (2, 2)),
    (28, 3, 2, 1, 14, (0, 1)),
    (5, 1, 2, 1, 3, (0, 0)),
    (7, 5, 3, 1, 3, (2, 2)),
    (2, 3, 3, 3, 1, (2, 3)),
]


@pytest.mark.parametrize("size, k, s, d, out, pads", SAME_TABLE)
def test_same_padding_table(size, k, s, d, out, pads):
    g = conv_geometry("conv2d", (size, size), k, s, "same", d)
    assert g.out_hw == (out, out)
    assert g.padding == pads + pads


def test_same_padding_rule_holds_for_all_small_sizes():
    for size in range(1, 13):
        for k in range(1, 4):
            for s in range(1, 4):
                for d in range(1, 4):
                    g = conv_geometry("conv2d", (size, 1), (k, 1), (s, 1), "SAME", (d, 1))
                    pt, pb = g.padding[:2]
                    assert g.out_hw[0] == math.ceil(size / s)
                    assert pb - pt in (0, 1) and (g.out_hw[0] - 1) * s + (k - 1) * d + 1 <= size + pt + pb


def test_output_size_and_padding_forms():
    g = conv_geometry("conv2d", (7, 6), (3, 2), stride=(2, 1), padding=(1, 2, 0, 3), dilation=(1, 2))
    assert g == ConvGeometry((7, 6), (3, 2), (2, 1), (1, 2), (1, 2, 0, 3), ((7 + 3 - 3) // 2 + 1, (6 + 3 - 3) + 1))
    assert conv_geometry("c", (5, 5), 3, padding=(1, 2)).padding == (1, 1, 2, 2)
    assert conv_geometry("c", (5, 5), 3, padding=1).padding == (1, 1, 1, 1)
    assert conv_geometry("c", (5, 5), 3, padding="valid").out_hw == (3, 3)
    assert conv_geometry("c", (5, 5), 5).out_hw == (1, 1)  # kernel == input
    assert conv_geometry("c", np.array([5, 4]), np.int64(3), np.int32(1)).out_hw == (3, 2)


def test_pool_geometry_defaults_stride_to_kernel():
    g = pool_geometry("max_pool2d", (7, 7), 2)
    assert g.stride == (2, 2) and g.dilation == (1, 1) and g.out_hw == (3, 3)
    assert pool_geometry("max_pool2d", (5, 5), 3, 2, "same").padding == (1, 1, 1, 1)
    assert pool_geometry("max_pool2d", (6, 6), 3, 2, "same").padding == (0, 1, 0, 1)


def test_pair():
    assert pair(3, "stride", "op") == (3, 3)
    assert pair((1, 2), "stride", "op") == (1, 2)
    assert pair([np.int64(1), 2], "stride", "op") == (1, 2)
    with pytest.raises(TypeError, match="op: stride"):
        pair(1.0, "stride", "op")
    with pytest.raises(TypeError, match="stride"):
        pair("12", "stride", "op")
    with pytest.raises(TypeError, match="True"):
        pair((True, 1), "stride", "op")
    with pytest.raises(ValueError, match=r"stride.*3 elements"):
        pair((1, 2, 3), "stride", "op")


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(stride=0), ValueError, ["conv2d", "stride", ">= 1", "0"]),
    (dict(stride=(1, -2)), ValueError, ["stride", "(1, -2)"]),
    (dict(dilation=0), ValueError, ["dilation", ">= 1"]),
    (dict(padding=-1), ValueError, ["padding", ">= 0", "-1"]),
    (dict(padding=(0, 1, -1, 0)), ValueError, ["padding", ">= 0"]),
    (dict(padding="full"), ValueError, ["padding", "'same' or 'valid'", "'full'"]),
    (dict(padding=(1, 2, 3)), ValueError, ["padding", "3 elements"]),
    (dict(padding=1.5), TypeError, ["padding", "float"]),
    (dict(padding=None), TypeError, ["padding", "NoneType"]),
    (dict(stride=True), TypeError, ["stride", "bool"]),
    (dict(stride=2.0), TypeError, ["stride", "float"]),
    (dict(dilation=(1, 1.0)), TypeError, ["dilation"]),
    (dict(kernel_hw=0), ValueError, ["kernel", ">= 1"]),
    (dict(in_hw=(0, 5)), ValueError, ["in_hw", ">= 1"]),
    (dict(kernel_hw=6), ValueError, ["kernel (6, 6)", "padded input (5, 5)"]),
    (dict(kernel_hw=3, dilation=3), ValueError, ["dilation (3, 3)", "spans (7, 7)", "padded input (5, 5)"]),
    (dict(kernel_hw=3, dilation=3, padding=(0, 1)), ValueError, ["padded input (5, 7)", "(0, 0, 1, 1)"]),
])
def test_conv_geometry_rejects_bad_arguments(kwargs, error, words):
    args = dict(in_hw=(5, 5), kernel_hw=3) | kwargs
    with pytest.raises(error) as info:
        conv_geometry("conv2d", **args)
    for word in words:
        assert word in str(info.value), f"{word!r} not in {info.value}"


def test_conv_geometry_accepts_kernel_that_fits_only_with_padding():
    assert conv_geometry("conv2d", (5, 5), 3, padding=1, dilation=3).out_hw == (1, 1)


def test_pool_geometry_padding_at_most_half_the_kernel():
    with pytest.raises(ValueError, match=r"max_pool2d: padding must be at most half.*\(1, 1\)"):
        pool_geometry("max_pool2d", (7, 7), 3, 1, 2)
    with pytest.raises(ValueError, match="at most half"):
        pool_geometry("avg_pool2d", (7, 7), (2, 3), 1, (1, 2))
    assert pool_geometry("max_pool2d", (7, 7), 3, 1, 1).padding == (1, 1, 1, 1)
