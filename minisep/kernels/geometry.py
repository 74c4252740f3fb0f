"""Geometry of a 2-D convolution or pooling window: sizes, padding and output shape.

Every kernel takes a ``ConvGeometry`` built here, so argument checking happens once, in Python, with
messages that name the op, the argument, what it got and what was expected.

Output size per spatial dimension (PyTorch's and Keras' rule, floor mode):

    P = (H + pt + pb - ((kh - 1)·dh + 1)) // sh + 1

``padding='same'`` uses the Keras/TensorFlow rule, which also works with stride > 1:

    P = ceil(H / sh);  total = max((P - 1)·sh + (kh - 1)·dh + 1 - H, 0);  pt = total // 2;  pb = total - pt

so the odd extra row (column) goes to the bottom (right).
"""
from __future__ import annotations

from numbers import Integral
from typing import NamedTuple

import numpy as np


class ConvGeometry(NamedTuple):
    in_hw: tuple[int, int]  # (H, W)
    kernel_hw: tuple[int, int]  # (kh, kw)
    stride: tuple[int, int]  # (sh, sw)
    dilation: tuple[int, int]  # (dh, dw)
    padding: tuple[int, int, int, int]  # (pt, pb, pl, pr)
    out_hw: tuple[int, int]  # (P, Q)


def _is_int(value) -> bool:
    # bool is an int subclass in Python, but True as a stride is almost surely a mistake
    return isinstance(value, Integral) and not isinstance(value, (bool, np.bool_))


def _int_tuple(value, length: int, name: str, op: str, expected: str) -> tuple[int, ...]:
    """Turn an int (repeated) or a sequence of `length` ints into a tuple of Python ints."""
    if _is_int(value):
        return (int(value),) * length
    if isinstance(value, (str, bytes)) or not isinstance(value, (tuple, list, np.ndarray)):
        raise TypeError(f"{op}: {name} must be {expected}, got {value!r} of type {type(value).__name__}")
    items = list(value)
    if len(items) != length:
        raise ValueError(f"{op}: {name} must be {expected}, got {value!r} with {len(items)} elements")
    for item in items:
        if not _is_int(item):
            raise TypeError(f"{op}: {name} must be {expected}, got {value!r} "
                            f"containing {item!r} of type {type(item).__name__}")
    return tuple(int(item) for item in items)


def pair(value, name: str, op: str) -> tuple[int, int]:
    """An int or a 2-sequence of ints as an (h, w) pair; TypeError / ValueError otherwise."""
    return _int_tuple(value, 2, name, op, "an int or a pair of ints (h, w)")  # type: ignore[return-value]


def _positive_pair(value, name: str, op: str) -> tuple[int, int]:
    result = pair(value, name, op)
    if min(result) < 1:
        raise ValueError(f"{op}: {name} must be >= 1 in both dimensions, got {value!r}")
    return result


def _explicit_padding(padding, op: str) -> tuple[int, int, int, int]:
    """int -> all four sides, (ph, pw) -> symmetric, (pt, pb, pl, pr) -> as given."""
    expected = "an int, a pair (ph, pw), a 4-tuple (pt, pb, pl, pr), 'same' or 'valid'"
    if _is_int(padding):
        pads = (int(padding),) * 4
    else:
        if isinstance(padding, (str, bytes)) or not isinstance(padding, (tuple, list, np.ndarray)):
            raise TypeError(f"{op}: padding must be {expected}, got {padding!r} "
                            f"of type {type(padding).__name__}")
        if len(padding) == 2:
            ph, pw = _int_tuple(padding, 2, "padding", op, expected)
            pads = (ph, ph, pw, pw)
        elif len(padding) == 4:
            pads = _int_tuple(padding, 4, "padding", op, expected)  # type: ignore[assignment]
        else:
            raise ValueError(f"{op}: padding must be {expected}, got {padding!r} with {len(padding)} elements")
    if min(pads) < 0:
        raise ValueError(f"{op}: padding must be >= 0 on every side, got {padding!r}")
    return pads  # type: ignore[return-value]


def same_padding(size: int, k: int, s: int, d: int) -> tuple[int, int]:
    """Keras/TF 'same' padding of one dimension: (before, after), the odd extra one after."""
    out = -(-size // s)  # ceil(size / s)
    total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
    return total // 2, total - total // 2


def conv_geometry(op: str, in_hw, kernel_hw, stride=1, padding=0, dilation=1) -> ConvGeometry:
    """Validate the arguments of a convolution and compute its output size (floor mode)."""
    H, W = _positive_pair(in_hw, "in_hw (input height, width)", op)
    kh, kw = _positive_pair(kernel_hw, "kernel size", op)
    sh, sw = _positive_pair(stride, "stride", op)
    dh, dw = _positive_pair(dilation, "dilation", op)
    if isinstance(padding, str):
        mode = padding.lower()
        if mode == "valid":
            pads = (0, 0, 0, 0)
        elif mode == "same":
            pads = same_padding(H, kh, sh, dh) + same_padding(W, kw, sw, dw)
        else:
            raise ValueError(f"{op}: padding string must be 'same' or 'valid', got {padding!r}")
    else:
        pads = _explicit_padding(padding, op)
    pt, pb, pl, pr = pads
    eh, ew = (kh - 1) * dh + 1, (kw - 1) * dw + 1  # effective (dilated) kernel extent
    Hp, Wp = H + pt + pb, W + pl + pr
    if eh > Hp or ew > Wp:
        raise ValueError(
            f"{op}: the kernel {(kh, kw)} with dilation {(dh, dw)} spans {(eh, ew)} pixels, larger than "
            f"the padded input {(Hp, Wp)} (input {(H, W)}, padding (pt, pb, pl, pr)={pads}); "
            f"expected (k - 1)·d + 1 <= input + padding, so the output would be empty")
    out_hw = ((Hp - eh) // sh + 1, (Wp - ew) // sw + 1)
    return ConvGeometry((H, W), (kh, kw), (sh, sw), (dh, dw), pads, out_hw)


def pool_geometry(op: str, in_hw, kernel_size, stride=None, padding=0) -> ConvGeometry:
    """Geometry of a pooling window: stride defaults to the kernel size, dilation is 1.

    Explicit padding must be at most half the kernel (PyTorch's rule), so that every window holds at
    least one real input element; 'same' padding is derived and always satisfies it.
    """
    g = conv_geometry(op, in_hw, kernel_size, kernel_size if stride is None else stride, padding, 1)
    (kh, kw), (pt, pb, pl, pr) = g.kernel_hw, g.padding
    if not isinstance(padding, str) and (max(pt, pb) > kh // 2 or max(pl, pr) > kw // 2):
        raise ValueError(f"{op}: padding must be at most half the kernel size {(kh, kw)}, "
                         f"i.e. <= {(kh // 2, kw // 2)}, got (pt, pb, pl, pr)={g.padding}")
    return g


def zero_padded(x: np.ndarray, g: ConvGeometry) -> tuple[np.ndarray, ConvGeometry]:
    """(xp, gp): x with its zero padding written out, and the same geometry with padding 0.

    The weight gradient's loop twin on (xp, gp) sums gy·xp over every padded position, zeros
    included, as torch does (so a NaN in gy meets the padding: 0·NaN = NaN), and still never
    touches a pixel that no output reads.
    """
    pt, pb, pl, pr = g.padding
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))  # (N,C,H,W) -> (N,C,H+pt+pb,W+pl+pr)
    H, W = g.in_hw
    return xp, g._replace(in_hw=(H + pt + pb, W + pl + pr), padding=(0, 0, 0, 0))
