"""Grouped 2-D convolution (PyTorch's groups=G): the family between standard (G = 1) and depthwise (G = C).

The C input channels and the O output channels are split into G groups of Cg = C/G and Og = O/G;
output channel o belongs to group e = o // Og and reads only that group's inputs e·Cg .. e·Cg+Cg-1.
x (N, C, H, W), w (O, Cg, kh, kw) (as PyTorch), y (N, O, P, Q); c < Cg indexes the channels of a
group, xp is x zero-padded by g.padding = (pt, pb, pl, pr), g the ConvGeometry (stride (sh, sw),
dilation (rh, rw), Keras 'same' as in geometry.py):

    y[n, o, p, q]         = Σ_{c,i,j} w[o, c, i, j] · xp[n, e·Cg + c, p·sh + i·rh, q·sw + j·rw],   e = o // Og
    gx[n, e·Cg + c, h, w] = Σ_{o in e, p,q,i,j : p·sh+i·rh-pt = h, q·sw+j·rw-pl = w} w[o, c, i, j] · gy[n, o, p, q]
    gw[o, c, i, j]        = Σ_{n,p,q} gy[n, o, p, q] · xp[n, e·Cg + c, p·sh + i·rh, q·sw + j·rw]

Three tiers, each the same three functions:
- kernel (grouped_conv2d_*): G standard convolutions on the channel slices of each group, through the
  public conv2d_* kernels; when Cg = 1 the weight (O, 1, kh, kw) is exactly the depthwise layout with
  m = Og (output e·m + k reads input e), so the depthwise kernels run it in one call;
- loops (grouped_conv2d_*_loops): the formulas above verbatim, @njit, with a bounds test per tap
  (serial, so gx and gw are summed in one fixed order);
- reference (grouped_conv2d_*_reference): np.pad + sliding windows + einsum, not jitted.
"""
from __future__ import annotations

from numbers import Integral

import numpy as np
from numba import njit

from . import checks
from .conv import conv2d_backward_input, conv2d_backward_weight, conv2d_forward
from .depthwise import depthwise_backward_input, depthwise_backward_weight, depthwise_forward
from .geometry import ConvGeometry
from .windows import fold, windows


# ---- argument checks: in Python, before any jitted code or allocation --------------------------

def check_groups(groups, op: str) -> int:
    """groups is a positive int (not a bool); returns it as a Python int."""
    if not isinstance(groups, Integral) or isinstance(groups, (bool, np.bool_)):
        raise TypeError(f"{op}: groups must be a positive int, got {groups!r} of type {type(groups).__name__}")
    if groups < 1:
        raise ValueError(f"{op}: groups must be >= 1, got {groups}")
    return int(groups)


def check_channels(C: int, O: int, Cg: int, groups: int, op: str, what: str = "x") -> None:
    """C and O divisible by groups, and w.shape[1] == C / groups (PyTorch's layout)."""
    if C % groups:
        raise ValueError(f"{op}: the {C} input channels of {what} are not divisible by groups={groups}")
    if O % groups:
        raise ValueError(f"{op}: w has {O} output channels (axis 0), not divisible by groups={groups}")
    if Cg != C // groups:
        raise ValueError(f"{op}: w must have shape (O, C/groups, kh, kw) = ({O}, {C // groups}, kh, kw) for "
                         f"{C} input channels and groups={groups}, got w.shape[1] = {Cg}")


def _forward_args(op, x, w, g, groups):
    x, w = checks.array4d(x, "x", op), checks.array4d(w, "w", op, "(O, C/groups, kh, kw)")
    checks.same_dtype(x, "x", w, "w", op)
    G = check_groups(groups, op)
    check_channels(x.shape[1], w.shape[0], w.shape[1], G, op)
    checks.geometry(g, op, x.shape[2:], w.shape[2:])
    return x, w, G


def _input_args(op, gy, w, g, groups):
    gy, w = checks.array4d(gy, "gy", op, "(N, O, P, Q)"), checks.array4d(w, "w", op, "(O, C/groups, kh, kw)")
    checks.same_dtype(gy, "gy", w, "w", op)
    G = check_groups(groups, op)
    check_channels(G * w.shape[1], w.shape[0], w.shape[1], G, op)
    checks.geometry(g, op, kernel_hw=w.shape[2:])
    checks.grad_shape(gy, (gy.shape[0], w.shape[0]) + g.out_hw, op)
    return gy, w, G


def _weight_args(op, x, gy, g, groups):
    x, gy = checks.array4d(x, "x", op), checks.array4d(gy, "gy", op, "(N, O, P, Q)")
    checks.same_dtype(x, "x", gy, "gy", op)
    G = check_groups(groups, op)
    check_channels(x.shape[1], gy.shape[1], x.shape[1] // G, G, op)
    checks.geometry(g, op, x.shape[2:])
    checks.grad_shape(gy, (x.shape[0], gy.shape[1]) + g.out_hw, op)
    return x, gy, G


# ---- kernel: G standard convolutions on channel slices (or one depthwise call when Cg = 1) --------

def grouped_conv2d_forward(x: np.ndarray, w: np.ndarray, g: ConvGeometry, groups: int) -> np.ndarray:
    """y[n, o, p, q] = Σ_{c,i,j} w[o, c, i, j] · xp[n, e·Cg + c, p·sh + i·rh, q·sw + j·rw]     -> (N, O, P, Q)"""
    x, w, G = _forward_args("grouped_conv2d_forward", x, w, g, groups)
    (N, C), O = x.shape[:2], w.shape[0]
    Cg, Og = C // G, O // G
    if G == 1:
        return conv2d_forward(x, w, g)
    if Cg == 1:  # depthwise with m = Og
        return depthwise_forward(x, w, g)
    y = np.empty((N, O) + g.out_hw, x.dtype)
    for e in range(G):  # group e: inputs e·Cg .. e·Cg+Cg-1 -> outputs e·Og .. e·Og+Og-1
        y[:, e * Og:(e + 1) * Og] = conv2d_forward(x[:, e * Cg:(e + 1) * Cg], w[e * Og:(e + 1) * Og], g)
    return y


def grouped_conv2d_backward_input(gy: np.ndarray, w: np.ndarray, g: ConvGeometry, groups: int) -> np.ndarray:
    """gx[n, e·Cg + c, h, w] = Σ_{o in e, p,q,i,j : p·sh+i·rh-pt = h, q·sw+j·rw-pl = w} w[o, c, i, j] · gy[n, o, p, q]

    C = groups · w.shape[1].                                                              -> (N, C, H, W)
    """
    gy, w, G = _input_args("grouped_conv2d_backward_input", gy, w, g, groups)
    N, (O, Cg) = gy.shape[0], w.shape[:2]
    C, Og = G * Cg, O // G
    if G == 1:
        return conv2d_backward_input(gy, w, g)
    if Cg == 1:
        return depthwise_backward_input(gy, w, g, in_channels=C)
    gx = np.empty((N, C) + g.in_hw, gy.dtype)
    for e in range(G):
        gx[:, e * Cg:(e + 1) * Cg] = conv2d_backward_input(gy[:, e * Og:(e + 1) * Og], w[e * Og:(e + 1) * Og], g)
    return gx


def grouped_conv2d_backward_weight(x: np.ndarray, gy: np.ndarray, g: ConvGeometry, groups: int) -> np.ndarray:
    """gw[o, c, i, j] = Σ_{n,p,q} gy[n, o, p, q] · xp[n, e·Cg + c, p·sh + i·rh, q·sw + j·rw]    -> (O, Cg, kh, kw)"""
    x, gy, G = _weight_args("grouped_conv2d_backward_weight", x, gy, g, groups)
    C, O = x.shape[1], gy.shape[1]
    Cg, Og = C // G, O // G
    if G == 1:
        return conv2d_backward_weight(x, gy, g)
    if Cg == 1:
        return depthwise_backward_weight(x, gy, g)
    gw = np.empty((O, Cg) + g.kernel_hw, x.dtype)
    for e in range(G):
        gw[e * Og:(e + 1) * Og] = conv2d_backward_weight(x[:, e * Cg:(e + 1) * Cg], gy[:, e * Og:(e + 1) * Og], g)
    return gw


# ---- loops: the formulas verbatim, one bounds test per tap -----------------------------------------
# In these loops (row, col) is the formula's input position (h, w): w is the weight (as in depthwise.py).

@njit(cache=True)
def _forward_loops(x, w, Og, geo, y):
    (H, W), (kh, kw), (sh, sw), (rh, rw), (pt, _, pl, _), (P, Q) = geo
    N, O, Cg = x.shape[0], w.shape[0], w.shape[1]
    for n in range(N):
        for o in range(O):
            e = o // Og
            for p in range(P):
                for q in range(Q):
                    acc = 0.0
                    for c in range(Cg):
                        for i in range(kh):
                            for j in range(kw):
                                row, col = p * sh + i * rh - pt, q * sw + j * rw - pl
                                if 0 <= row < H and 0 <= col < W:
                                    acc += w[o, c, i, j] * x[n, e * Cg + c, row, col]
                    y[n, o, p, q] = acc


@njit(cache=True)
def _backward_input_loops(gy, w, Og, geo, gx):
    (H, W), (kh, kw), (sh, sw), (rh, rw), (pt, _, pl, _), (P, Q) = geo
    N, O, Cg = gy.shape[0], w.shape[0], w.shape[1]
    for n in range(N):
        for o in range(O):
            e = o // Og
            for p in range(P):
                for q in range(Q):
                    for c in range(Cg):
                        for i in range(kh):
                            for j in range(kw):
                                row, col = p * sh + i * rh - pt, q * sw + j * rw - pl
                                if 0 <= row < H and 0 <= col < W:
                                    gx[n, e * Cg + c, row, col] += w[o, c, i, j] * gy[n, o, p, q]


@njit(cache=True)
def _backward_weight_loops(x, gy, Og, geo, gw):
    (H, W), (kh, kw), (sh, sw), (rh, rw), (pt, _, pl, _), (P, Q) = geo
    N, O, Cg = x.shape[0], gy.shape[1], gw.shape[1]
    for o in range(O):
        e = o // Og
        for c in range(Cg):
            for i in range(kh):
                for j in range(kw):
                    acc = 0.0
                    for n in range(N):
                        for p in range(P):
                            for q in range(Q):
                                row, col = p * sh + i * rh - pt, q * sw + j * rw - pl
                                if 0 <= row < H and 0 <= col < W:
                                    acc += gy[n, o, p, q] * x[n, e * Cg + c, row, col]
                    gw[o, c, i, j] = acc


def grouped_conv2d_forward_loops(x, w, g, groups):
    """y[n, o, p, q] = Σ_{c,i,j} w[o, c, i, j] · xp[n, e·Cg + c, p·sh + i·rh, q·sw + j·rw]"""
    x, w, G = _forward_args("grouped_conv2d_forward_loops", x, w, g, groups)
    y = np.empty((x.shape[0], w.shape[0]) + g.out_hw, x.dtype)
    _forward_loops(x, w, w.shape[0] // G, g, y)
    return y


def grouped_conv2d_backward_input_loops(gy, w, g, groups):
    """gx[n, e·Cg + c, h, w] = Σ_{o in e, p,q,i,j : p·sh+i·rh-pt = h, q·sw+j·rw-pl = w} w[o, c, i, j] · gy[n, o, p, q]"""
    gy, w, G = _input_args("grouped_conv2d_backward_input_loops", gy, w, g, groups)
    gx = np.zeros((gy.shape[0], G * w.shape[1]) + g.in_hw, gy.dtype)
    _backward_input_loops(gy, w, w.shape[0] // G, g, gx)
    return gx


def grouped_conv2d_backward_weight_loops(x, gy, g, groups):
    """gw[o, c, i, j] = Σ_{n,p,q} gy[n, o, p, q] · xp[n, e·Cg + c, p·sh + i·rh, q·sw + j·rw]"""
    x, gy, G = _weight_args("grouped_conv2d_backward_weight_loops", x, gy, g, groups)
    gw = np.empty((gy.shape[1], x.shape[1] // G) + g.kernel_hw, x.dtype)
    _backward_weight_loops(x, gy, gy.shape[1] // G, g, gw)
    return gw


# ---- references: np.pad + sliding windows + einsum over (group e, channel in group c), not jitted -----

def _windows(x, g, G):
    """win[n, e, c, p, q, i, j] = xp[n, e·Cg + c, p·sh + i·rh, q·sw + j·rw]: (N, G, Cg, P, Q, kh, kw)"""
    win = windows(x, g)  # (N, C, P, Q, kh, kw)
    return win.reshape((x.shape[0], G, x.shape[1] // G) + win.shape[2:])


def grouped_conv2d_forward_reference(x, w, g, groups):
    """y[n, o, p, q] = Σ_{c,i,j} w[o, c, i, j] · xp[n, e·Cg + c, p·sh + i·rh, q·sw + j·rw]"""
    G, (O, Cg, kh, kw), (P, Q) = groups, w.shape, g.out_hw
    y = np.einsum("necpqij,eocij->neopq", _windows(x, g, G), w.reshape(G, O // G, Cg, kh, kw))
    return y.reshape(x.shape[0], O, P, Q)


def grouped_conv2d_backward_input_reference(gy, w, g, groups):
    """gx[n, e·Cg + c, h, w] = Σ_{o in e, p,q,i,j : p·sh+i·rh-pt = h, q·sw+j·rw-pl = w} w[o, c, i, j] · gy[n, o, p, q]

    t[n, e, c, p, q, i, j] = Σ_o gy·w, folded back onto gx (windows.fold: the adjoint of the windows).
    """
    G, (O, Cg, kh, kw), (N, _, P, Q) = groups, w.shape, gy.shape
    t = np.einsum("neopq,eocij->necpqij", gy.reshape(N, G, O // G, P, Q), w.reshape(G, O // G, Cg, kh, kw))
    return fold(t.reshape(N, G * Cg, P, Q, kh, kw), g)


def grouped_conv2d_backward_weight_reference(x, gy, g, groups):
    """gw[o, c, i, j] = Σ_{n,p,q} gy[n, o, p, q] · xp[n, e·Cg + c, p·sh + i·rh, q·sw + j·rw]"""
    G, (N, O, P, Q) = groups, gy.shape
    gw = np.einsum("neopq,necpqij->eocij", gy.reshape(N, G, O // G, P, Q), _windows(x, g, G))
    return gw.reshape((O, x.shape[1] // G) + g.kernel_hw)
