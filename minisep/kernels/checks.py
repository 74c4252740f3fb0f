"""Argument checks shared by the public kernel wrappers, so every message has the same shape:
``"<op>: <argument> must be <expected>, got <what it got>"``. They run in Python before any jitted
code, because numba's own errors (or a silent out-of-bounds read) are no help to a learner.
"""
from __future__ import annotations

import numpy as np

from .geometry import ConvGeometry, is_int

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))  # the one definition: others import it


def array4d(a, name: str, op: str, layout: str = "(N, C, H, W)") -> np.ndarray:
    """A 4-D float32/float64 ndarray, made C-contiguous (a copy only when it is not)."""
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{op}: {name} must be a numpy.ndarray, got {type(a).__name__}")
    if a.ndim != 4:
        raise ValueError(f"{op}: {name} must be 4-D {layout}, got shape {a.shape}")
    if a.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{op}: {name} must have dtype float32 or float64, got {a.dtype}")
    if min(a.shape[1:]) < 1:
        raise ValueError(f"{op}: {name} must be {layout} with every size after the first >= 1, "
                         f"got shape {a.shape}")
    return np.ascontiguousarray(a)


def all_finite(*arrays: np.ndarray) -> bool:
    """True when no entry is NaN or ±inf (about 0.1 ms per million values). The canvas kernels multiply
    padding and stride-gap zeros by every value, and 0·inf = NaN would spread a non-finite value to
    entries that never touch it; a kernel given a non-finite input therefore runs its loop twin,
    which sums only the real terms of the formula (as PyTorch does)."""
    return all(bool(np.isfinite(a).all()) for a in arrays)


def same_dtype(a: np.ndarray, a_name: str, b: np.ndarray, b_name: str, op: str) -> None:
    if a.dtype != b.dtype:
        raise TypeError(f"{op}: {a_name} and {b_name} must have the same dtype, "
                        f"got {a.dtype} and {b.dtype} (convert one with .astype)")


def geometry(g, op: str, in_hw=None, kernel_hw=None) -> ConvGeometry:
    """g must be a ConvGeometry that matches the spatial sizes of x and of the kernel."""
    if not isinstance(g, ConvGeometry):
        raise TypeError(f"{op}: g must be a ConvGeometry (from conv_geometry or pool_geometry), "
                        f"got {type(g).__name__}")
    fault = _geometry_fault(g)  # a hand-made ConvGeometry must follow the rule, or kernels would index past the arrays
    if fault:
        raise ValueError(f"{op}: g is not a valid geometry ({fault}); build it with conv_geometry or pool_geometry")
    if _out_hw(g) != tuple(g.out_hw):
        raise ValueError(f"{op}: g is inconsistent: out_hw={g.out_hw} does not follow from its other fields "
                         f"{g[:5]}; build it with conv_geometry or pool_geometry")
    if in_hw is not None and tuple(in_hw) != g.in_hw:
        raise ValueError(f"{op}: the input is {tuple(in_hw)} pixels (H, W) but the geometry "
                         f"g was built for in_hw={g.in_hw}")
    if kernel_hw is not None and tuple(kernel_hw) != g.kernel_hw:
        raise ValueError(f"{op}: w has a {tuple(kernel_hw)} kernel (kh, kw) but the geometry "
                         f"g was built for kernel_hw={g.kernel_hw}")
    return g


_FIELDS = (("in_hw", 2, 1), ("kernel_hw", 2, 1), ("stride", 2, 1), ("dilation", 2, 1), ("padding", 4, 0),
           ("out_hw", 2, 1))  # (field, length, smallest value)


def _geometry_fault(g: ConvGeometry) -> str | None:
    """What is wrong with the fields of g (each a tuple of ints of the right length and sign), or None.
    Cheap (no argument parsing): conv_geometry validated g's arguments when it built g."""
    for (name, length, least), value in zip(_FIELDS, g):
        if not isinstance(value, tuple) or len(value) != length or not all(is_int(v) for v in value):
            return f"{name} must be a tuple of {length} ints, got {value!r}"
        if min(value) < least:
            return f"{name} must be >= {least} in every dimension, got {value!r}"
    return None


def _out_hw(g: ConvGeometry) -> tuple[int, int]:
    """(P, Q) from the other fields by conv_geometry's rule, P = (H + pt + pb - ((kh-1)·rh + 1)) // sh + 1."""
    (H, W), (kh, kw), (sh, sw), (rh, rw), (pt, pb, pl, pr), _ = g
    return (H + pt + pb - (kh - 1) * rh - 1) // sh + 1, (W + pl + pr - (kw - 1) * rw - 1) // sw + 1


def grad_shape(gy: np.ndarray, expected: tuple, op: str, name: str = "gy") -> None:
    """The incoming gradient must have exactly the forward output's shape."""
    if gy.shape != tuple(expected):
        raise ValueError(f"{op}: {name} must have the forward output's shape {tuple(expected)} "
                         f"(N, O, P, Q), got shape {gy.shape}")


def depthwise_weight(w: np.ndarray, in_channels: int, op: str, x_name: str = "x") -> int:
    """w is (C·m, 1, kh, kw): returns the depth multiplier m."""
    if w.shape[1] != 1 or w.shape[0] % in_channels != 0:
        raise ValueError(f"{op}: w must have shape (C·m, 1, kh, kw) for the {in_channels} input channels "
                         f"of {x_name}, got w shape {w.shape} (w.shape[0] must be a multiple of "
                         f"{in_channels} and w.shape[1] must be 1)")
    return w.shape[0] // in_channels


def channels(x_channels: int, w: np.ndarray, op: str, x_desc: str) -> None:
    """Standard/pointwise conv: w is (O, C, kh, kw) with C equal to the input's channels."""
    if w.shape[1] != x_channels:
        raise ValueError(f"{op}: w has {w.shape[1]} input channels (w shape {w.shape}, expected "
                         f"(O, C, kh, kw)) but {x_desc} has {x_channels} channels")
