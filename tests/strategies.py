"""Hypothesis strategies for convolution and pooling configurations, shared by the test suites.

Every drawn configuration is valid by construction (the input is drawn large enough for the dilated
kernel and the padding), so no example is thrown away:

    from strategies import conv_configs
    @given(conv_configs(depthwise=True))
    def test_x(cfg): x, w = cfg.arrays(); g = cfg.geometry()
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
from hypothesis import strategies as st

from minisep.kernels.geometry import ConvGeometry, conv_geometry, pool_geometry


class ConvConfig(NamedTuple):
    n: int
    c: int
    h: int
    w: int
    kh: int
    kw: int
    m: int  # depth multiplier (depthwise configs; 1 otherwise)
    o: int  # output channels: c·m for depthwise configs
    stride: int | tuple[int, int]
    dilation: int | tuple[int, int]
    padding: int | str | tuple
    dtype: type
    seed: int
    depthwise: bool

    def geometry(self, op: str = "test") -> ConvGeometry:
        return conv_geometry(op, (self.h, self.w), (self.kh, self.kw), self.stride, self.padding, self.dilation)

    def weight_shape(self) -> tuple[int, int, int, int]:
        return (self.c * self.m, 1, self.kh, self.kw) if self.depthwise else (self.o, self.c, self.kh, self.kw)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """x (N, C, H, W) and w (depthwise (C·m, 1, kh, kw), else (O, C, kh, kw)), standard normal."""
        rng = np.random.default_rng(self.seed)
        x = rng.standard_normal((self.n, self.c, self.h, self.w)).astype(self.dtype)
        return x, rng.standard_normal(self.weight_shape()).astype(self.dtype)

    def output_grad(self, out_shape) -> np.ndarray:
        return np.random.default_rng(self.seed + 1).standard_normal(out_shape).astype(self.dtype)


class PoolConfig(NamedTuple):
    n: int
    c: int
    h: int
    w: int
    kernel: int | tuple[int, int]
    stride: int | tuple[int, int] | None
    padding: int | str | tuple
    dtype: type
    seed: int

    def geometry(self, op: str = "test") -> ConvGeometry:
        return pool_geometry(op, (self.h, self.w), self.kernel, self.stride, self.padding)

    def array(self) -> np.ndarray:
        """Distinct values (a shuffled ramp plus noise), so max pooling has no ties to break."""
        rng = np.random.default_rng(self.seed)
        size = self.n * self.c * self.h * self.w
        x = rng.permutation(size) * 0.01 + rng.uniform(0, 0.001, size) - size * 0.005
        return x.reshape(self.n, self.c, self.h, self.w).astype(self.dtype)


def _int_or_pair(lo: int, hi: int):
    return st.one_of(st.integers(lo, hi), st.tuples(st.integers(lo, hi), st.integers(lo, hi)))


def _pads(padding) -> tuple[int, int, int, int] | None:
    """(pt, pb, pl, pr) of an explicit padding; None for 'same' (whose padding adapts to any size)."""
    if padding == "same":
        return None
    if padding == "valid":
        return (0, 0, 0, 0)
    if isinstance(padding, int):
        return (padding,) * 4
    if len(padding) == 2:
        return (padding[0], padding[0], padding[1], padding[1])
    return tuple(padding)


def _size_for(draw, extent: int, before_after: tuple[int, int] | None, max_size: int = 7) -> int:
    """Draw an input size in 1..max_size that the (dilated) kernel extent fits in once padded."""
    low = 1 if before_after is None else max(1, extent - sum(before_after))
    return draw(st.integers(low, max(low, max_size)))


def _as_pair(value) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else tuple(value)


@st.composite
def conv_configs(draw, depthwise: bool = False, max_multiplier: int = 3):
    """N 1..2, C 1..3, H, W 1..7, kh, kw 1..3, m (or O) 1..3, stride 1..3, dilation 1..3,
    padding int 0..2 / 'same' / 'valid' / (ph, pw) / (pt, pb, pl, pr), float32 or float64."""
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride, dilation = draw(_int_or_pair(1, 3)), draw(_int_or_pair(1, 3))
    padding = draw(st.one_of(
        st.integers(0, 2), st.sampled_from(["same", "valid"]),
        st.tuples(st.integers(0, 2), st.integers(0, 2)),
        st.tuples(st.integers(0, 2), st.integers(0, 2), st.integers(0, 2), st.integers(0, 2))))
    pads = _pads(padding)
    rh, rw = _as_pair(dilation)
    h = _size_for(draw, (kh - 1) * rh + 1, None if pads is None else pads[:2])
    w = _size_for(draw, (kw - 1) * rw + 1, None if pads is None else pads[2:])
    c = draw(st.integers(1, 3))
    m = draw(st.integers(1, max_multiplier)) if depthwise else 1
    o = c * m if depthwise else draw(st.integers(1, 3))
    return ConvConfig(draw(st.integers(1, 2)), c, h, w, kh, kw, m, o, stride, dilation, padding,
                      draw(st.sampled_from([np.float32, np.float64])), draw(st.integers(0, 2**31)),
                      depthwise)


@st.composite
def pool_configs(draw, dtypes=(np.float32, np.float64)):
    """kernel 1..3 (int or pair), stride None / 1..3, padding <= kernel // 2, 'same' or 'valid'."""
    kh, kw = _as_pair(draw(_int_or_pair(1, 3)))
    kernel = kh if kh == kw and draw(st.booleans()) else (kh, kw)
    stride = draw(st.one_of(st.none(), _int_or_pair(1, 3)))
    padding = draw(st.one_of(
        st.sampled_from(["same", "valid"]),
        st.tuples(st.integers(0, kh // 2), st.integers(0, kw // 2)),
        st.tuples(st.integers(0, kh // 2), st.integers(0, kh // 2),
                  st.integers(0, kw // 2), st.integers(0, kw // 2))))
    pads = _pads(padding)
    h = _size_for(draw, kh, None if pads is None else pads[:2])
    w = _size_for(draw, kw, None if pads is None else pads[2:])
    return PoolConfig(draw(st.integers(1, 2)), draw(st.integers(1, 3)), h, w, kernel, stride, padding,
                      draw(st.sampled_from(list(dtypes))), draw(st.integers(0, 2**31)))
