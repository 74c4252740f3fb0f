"""Huge or odd geometry arguments: a ValueError/TypeError naming the argument, before anything is allocated.

Before: padding=10**6 ended in MemoryError (29 TiB), stride=2**63 in a numba TypingError, padding=2**70
in OverflowError, padding=10**4 quietly allocated gigabytes, a 0-d array as stride was a TypeError from
len(), None as x an AttributeError, a 10**6 kernel in a layer a MemoryError.
"""
import warnings

import numpy as np
import pytest

import minisep as ms
import minisep.nn.functional as F
from minisep import nn
from minisep.kernels import geometry

x = ms.randn(1, 2, 5, 5)
w_dw = ms.randn(2, 1, 3, 3)
w_std = ms.randn(3, 2, 3, 3)
w_pw = ms.randn(4, 2, 1, 1)

CONVS = {
    "depthwise_conv2d": lambda **kw: F.depthwise_conv2d(x, w_dw, **kw),
    "conv2d": lambda **kw: F.conv2d(x, w_std, **kw),
    "grouped": lambda **kw: F.conv2d(ms.randn(1, 4, 5, 5), ms.randn(4, 2, 3, 3), groups=2, **kw),
    "separable_conv2d": lambda **kw: F.separable_conv2d(x, w_dw, w_pw, **kw),
}


@pytest.mark.parametrize("op", CONVS)
def test_padding_past_the_machine_memory_is_a_value_error_naming_padding(op):
    with pytest.raises(ValueError, match=r"padding .* more than half of this machine's memory"):
        CONVS[op](padding=10**6)


@pytest.mark.parametrize("op", CONVS)
@pytest.mark.parametrize("name, value", [("stride", 2**63), ("dilation", 2**63), ("padding", 2**70),
                                         ("stride", (1, 2**64)), ("padding", (0, 0, 0, -2**70))])
def test_ints_past_int64_are_a_value_error_naming_the_argument(op, name, value):
    with pytest.raises(ValueError, match=name):
        CONVS[op](**{name: value})


def test_pools_refuse_huge_kernel_and_stride():
    with pytest.raises(ValueError, match="kernel size must be at most"):
        F.max_pool2d(x, 2**63)
    with pytest.raises(ValueError, match="stride must be at most"):
        F.avg_pool2d(x, 2, stride=2**64)
    with pytest.raises(ValueError, match="stride must be at most"):
        nn.MaxPool2d(2, stride=2**64)


def test_padding_that_fits_but_not_in_half_the_memory_is_refused(monkeypatch):
    monkeypatch.setattr(geometry, "machine_memory", lambda: 2**30)  # a 1 GiB machine: 10**4 needs ~6 GiB
    with pytest.raises(ValueError, match=r"padding \(pt, pb, pl, pr\)=\(10000, 10000, 10000, 10000\)"):
        F.depthwise_conv2d(x, w_dw, padding=10**4)


def test_a_large_allocation_warns(monkeypatch):
    monkeypatch.setattr(geometry, "WARN_BYTES", 1000)
    with pytest.warns(UserWarning, match="padding .* is that intended"):
        F.conv2d(x, w_std, padding=20)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.conv2d(x, w_std, padding=1)  # 2·(1·2·7·7 + 1·3·5·5)·4 bytes: no warning


def test_zero_d_arrays_stand_for_their_element():
    for name, value in (("stride", 2), ("padding", 1), ("dilation", 2)):
        a = F.conv2d(x, w_std, **{name: np.array(value)})
        b = F.conv2d(x, w_std, **{name: value})
        assert np.array_equal(a.data, b.data)
    assert F.conv2d(x, w_std, padding=(np.array(1), np.int64(0))).shape == (1, 3, 5, 3)
    with pytest.raises(TypeError, match="stride"):
        F.conv2d(x, w_std, stride=np.array(2.0))
    with pytest.raises(ValueError, match="stride"):
        F.conv2d(x, w_std, stride=np.array([1, 2, 3]))


@pytest.mark.parametrize("call", [
    lambda: nn.Conv2d(2, 3, 10**6), lambda: nn.DepthwiseConv2d(2, 2, 10**6),
    lambda: nn.Linear(10**9, 10**9), lambda: nn.PointwiseConv2d(10**6, 10**6),
])
def test_layers_refuse_weights_past_the_machine_memory(call):
    with pytest.raises(ValueError, match=r"more than half of this machine.s memory .*; check"):
        call()


@pytest.mark.parametrize("call, match", [
    (lambda: nn.Conv2d(2, 3, 3, stride=0), "stride must be >= 1"),
    (lambda: nn.Conv2d(2, 3, 3, padding="full"), "padding string"),
    (lambda: nn.DepthwiseConv2d(2, 2, 3, dilation=(1, 2**40)), "dilation must be at most"),
    (lambda: nn.Conv2d(2, 3, 3, padding=(1, 2, 3)), "padding"),
    (lambda: nn.AvgPool2d(0), "kernel size"),
])
def test_layers_check_their_window_arguments_when_built(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


@pytest.mark.parametrize("op, call", [
    ("conv2d", lambda: F.conv2d(None, w_std)),
    ("depthwise_conv2d", lambda: F.depthwise_conv2d(None, w_dw)),
    ("pointwise_conv2d", lambda: F.pointwise_conv2d(x, None)),
    ("separable_conv2d", lambda: F.separable_conv2d(x, w_dw, None)),
    ("linear", lambda: F.linear(None, ms.randn(3, 4))),
    ("max_pool2d", lambda: F.max_pool2d(None, 2)),
    ("relu", lambda: F.relu(None)),
    ("flatten", lambda: F.flatten(None)),
    ("adaptive_avg_pool2d", lambda: F.adaptive_avg_pool2d(None, 1)),
])
def test_none_as_an_input_is_a_type_error_naming_it(op, call):
    with pytest.raises(TypeError, match=rf"^{op}: \w+ must be a Tensor or an ndarray, got None"):
        call()


def test_count_include_pad_must_be_a_bool():
    with pytest.raises(TypeError, match="count_include_pad must be True or False"):
        F.avg_pool2d(x, 2, count_include_pad="no")
