"""Geometry of a 2-D convolution or pooling window: sizes, padding and output shape.

Every kernel takes a ``ConvGeometry`` built here, so argument checking happens once, in Python, with
messages that name the op, the argument, what it got and what was expected.

Output size per spatial dimension (PyTorch's and Keras' rule, floor mode):

    P = (H + pt + pb - ((kh - 1)·rh + 1)) // sh + 1

``padding='same'`` uses the Keras/TensorFlow rule, which also works with stride > 1:

    P = ceil(H / sh);  total = max((P - 1)·sh + (kh - 1)·rh + 1 - H, 0);  pt = total // 2;  pb = total - pt

so the odd extra row (column) goes to the bottom (right).
"""
from __future__ import annotations

import os
import warnings
from functools import lru_cache
from numbers import Integral
from typing import NamedTuple

import numpy as np

MAX_INT = 2**31 - 1  # no size, stride, dilation or padding of a real image comes near it; int64 math stays exact
WARN_BYTES = 2 * 2**30  # one op's buffers above this get a warning (likely a mistaken argument)


class ConvGeometry(NamedTuple):
    in_hw: tuple[int, int]  # (H, W)
    kernel_hw: tuple[int, int]  # (kh, kw)
    stride: tuple[int, int]  # (sh, sw)
    dilation: tuple[int, int]  # (rh, rw)
    padding: tuple[int, int, int, int]  # (pt, pb, pl, pr)
    out_hw: tuple[int, int]  # (P, Q)


def is_int(value) -> bool:
    # bool is an int subclass in Python, but True as a stride is almost surely a mistake
    return isinstance(value, Integral) and not isinstance(value, (bool, np.bool_))


def _scalar(value):
    """A 0-d ndarray (np.array(2)) stands for its one element, as it does in torch and numpy."""
    return value.item() if isinstance(value, np.ndarray) and value.ndim == 0 else value


def _bounded(items: tuple[int, ...], value, name: str, op: str) -> tuple[int, ...]:
    if max(abs(i) for i in items) > MAX_INT:
        raise ValueError(f"{op}: {name} must be at most 2**31 - 1 = {MAX_INT} in every dimension, got {value!r}")
    return items


def _int_tuple(value, length: int, name: str, op: str, expected: str) -> tuple[int, ...]:
    """Turn an int (repeated) or a sequence of `length` ints into a tuple of Python ints."""
    value = _scalar(value)
    if is_int(value):
        return _bounded((int(value),) * length, value, name, op)
    if isinstance(value, (str, bytes)) or not isinstance(value, (tuple, list, np.ndarray)):
        raise TypeError(f"{op}: {name} must be {expected}, got {value!r} of type {type(value).__name__}")
    items = list(value)
    if len(items) != length:
        raise ValueError(f"{op}: {name} must be {expected}, got {value!r} with {len(items)} elements")
    items = [_scalar(item) for item in items]
    for item in items:
        if not is_int(item):
            raise TypeError(f"{op}: {name} must be {expected}, got {value!r} "
                            f"containing {item!r} of type {type(item).__name__}")
    return _bounded(tuple(int(item) for item in items), value, name, op)


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
    padding = _scalar(padding)
    if is_int(padding):
        pads = _bounded((int(padding),) * 4, padding, "padding", op)
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


def check_window_args(op: str, kernel_size, stride=1, padding=0, dilation=1) -> None:
    """Validate a window's arguments without an input (layers call it when they are built);
    stride None means the kernel size (pooling)."""
    _positive_pair(kernel_size, "kernel size", op)
    _positive_pair(kernel_size if stride is None else stride, "stride", op)
    _positive_pair(dilation, "dilation", op)
    if isinstance(padding, str):
        if padding.lower() not in ("same", "valid"):
            raise ValueError(f"{op}: padding string must be 'same' or 'valid', got {padding!r}")
    else:
        _explicit_padding(padding, op)


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
    rh, rw = _positive_pair(dilation, "dilation", op)
    if isinstance(padding, str):
        mode = padding.lower()
        if mode == "valid":
            pads = (0, 0, 0, 0)
        elif mode == "same":
            pads = same_padding(H, kh, sh, rh) + same_padding(W, kw, sw, rw)
        else:
            raise ValueError(f"{op}: padding string must be 'same' or 'valid', got {padding!r}")
    else:
        pads = _explicit_padding(padding, op)
    pt, pb, pl, pr = pads
    eh, ew = (kh - 1) * rh + 1, (kw - 1) * rw + 1  # effective (dilated) kernel extent
    Hp, Wp = H + pt + pb, W + pl + pr
    if eh > Hp or ew > Wp:
        raise ValueError(
            f"{op}: the kernel {(kh, kw)} with dilation {(rh, rw)} spans {(eh, ew)} pixels, larger than "
            f"the padded input {(Hp, Wp)} (input {(H, W)}, padding (pt, pb, pl, pr)={pads}); "
            f"expected (k - 1)·d + 1 <= input + padding, so the output would be empty")
    out_hw = ((Hp - eh) // sh + 1, (Wp - ew) // sw + 1)
    return ConvGeometry((H, W), (kh, kw), (sh, sw), (rh, rw), pads, out_hw)


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


@lru_cache(maxsize=1)
def machine_memory() -> int:
    """Physical memory in bytes (os.sysconf); 2**40 where the platform cannot tell."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, OSError, ValueError):
        return 2**40


def _human(nbytes: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if nbytes < 1024 or unit == "PiB":
            return f"{nbytes:.1f} {unit}" if unit != "B" else f"{int(nbytes)} B"
        nbytes /= 1024
    return f"{nbytes:.1f} PiB"  # pragma: no cover


def check_buffers(op: str, g: ConvGeometry, batch: int, in_channels: int, out_channels: int,
                  itemsize: int) -> None:
    """Refuse an op whose buffers cannot fit, before anything is allocated.

    bytes = itemsize·(N·C·Hp·Wp + N·O·P·Q): the zero-padded input and the output of one call (the
    backward pass needs as much again). Above half the machine's memory it is a ValueError naming the
    argument responsible (padding, or the input itself); above 2 GiB a warning, as such sizes on an
    MNIST-sized model almost always come from a mistaken padding or stride.
    """
    (H, W), (pt, pb, pl, pr), (P, Q) = g.in_hw, g.padding, g.out_hw
    N, C, O = int(batch), int(in_channels), int(out_channels)
    nbytes = itemsize * (N * C * (H + pt + pb) * (W + pl + pr) + N * O * P * Q)
    if nbytes <= WARN_BYTES:
        return
    unpadded = itemsize * N * (C + O) * H * W
    culprit = (f"padding (pt, pb, pl, pr)={g.padding}" if unpadded * 4 < nbytes
               else f"the input (N, C, H, W)={(N, C, H, W)}")
    what = (f"{op}: {culprit} makes the padded input {(N, C, H + pt + pb, W + pl + pr)} and the output "
            f"{(N, O, P, Q)} need {_human(nbytes)}")
    limit = machine_memory() // 2
    if nbytes > limit:
        raise ValueError(f"{what}, more than half of this machine's memory ({_human(limit)}); expected a "
                         f"padding of a few pixels ((k - 1)·d per side at most is 'same' at stride 1) "
                         f"or a smaller batch")
    warnings.warn(f"{what}; is that intended?", UserWarning, stacklevel=4)
