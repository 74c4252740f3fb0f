"""Finite-difference check of one conv layer, input by input: dX, dD, dP, db (or dW for a full conv).

    report = check_layer("separable", (1, 2, 5, 5), out_channels=3, kernel=3, stride=2, padding="same")
    print(format_layer_report(report))

This is what ``minisep gradcheck`` runs: every element of every input is perturbed by ±eps in
float64 and the central difference is compared with the analytic gradient of a random-weighted
sum of the output (see ``minisep.teach.gradcheck``). The kernels' error maps show *where* in the
(channel, i, j) grid a wrong backward would be wrong.
"""

from __future__ import annotations

import numpy as np

from .gradcheck import GradcheckReport, gradcheck
from ..tensor import Tensor

LAYERS = ("separable", "depthwise", "pointwise", "conv")


def layer_inputs(layer: str, shape, out_channels: int, kernel, depth_multiplier: int, bias: bool, rng):
    """(names, float64 arrays, fn) for ``layer``; fn maps Tensors to the layer's output."""
    from ..nn import functional as F

    n, c, h, w = shape
    kh, kw = kernel
    m = depth_multiplier
    x = rng.standard_normal((n, c, h, w))
    if layer == "separable":
        names, arrays = ["dX", "dD", "dP"], [x, rng.standard_normal((c * m, 1, kh, kw)), rng.standard_normal((out_channels, c * m, 1, 1))]
        if bias:
            names.append("db"); arrays.append(rng.standard_normal(out_channels))
        return names, arrays, lambda geo: (lambda x, d, p, b=None: F.separable_conv2d(x, d, p, b, **geo))
    if layer == "depthwise":
        names, arrays = ["dX", "dD"], [x, rng.standard_normal((c * m, 1, kh, kw))]
        if bias:
            names.append("db"); arrays.append(rng.standard_normal(c * m))
        return names, arrays, lambda geo: (lambda x, d, b=None: F.depthwise_conv2d(x, d, b, **geo))
    if layer == "pointwise":
        names, arrays = ["dX", "dP"], [x, rng.standard_normal((out_channels, c, 1, 1))]
        if bias:
            names.append("db"); arrays.append(rng.standard_normal(out_channels))
        return names, arrays, lambda geo: (lambda x, p, b=None: F.pointwise_conv2d(x, p, b))
    if layer == "conv":
        names, arrays = ["dX", "dW"], [x, rng.standard_normal((out_channels, c, kh, kw))]
        if bias:
            names.append("db"); arrays.append(rng.standard_normal(out_channels))
        return names, arrays, lambda geo: (lambda x, w, b=None: F.conv2d(x, w, b, **geo))
    raise ValueError(f"layer must be one of {LAYERS}, got {layer!r}")


def check_layer(layer: str, shape, *, out_channels: int = 3, kernel=3, stride=1, padding=0, dilation=1,
                depth_multiplier: int = 1, bias: bool = True, seed: int = 0, eps: float = 1e-6,
                atol: float = 1e-5, rtol: float = 1e-4) -> GradcheckReport:
    """Run the full float64 finite-difference check on one layer; returns the report (never raises on mismatch)."""
    if len(shape) != 4 or any(int(s) < 1 for s in shape):
        raise ValueError(f"shape must be 4 positive ints N,C,H,W, got {tuple(shape)}")
    kernel = (kernel, kernel) if isinstance(kernel, int) else tuple(kernel)
    rng = np.random.default_rng(seed)
    names, arrays, make_fn = layer_inputs(layer, tuple(int(s) for s in shape), out_channels, kernel,
                                          depth_multiplier, bias, rng)
    geo = {} if layer == "pointwise" else {"stride": stride, "padding": padding, "dilation": dilation}
    fn = make_fn(geo)
    inputs = [Tensor(a, requires_grad=True) for a in arrays]
    fn(*inputs)  # validate the configuration (clear ValueError) before thousands of evaluations
    return gradcheck(fn, inputs, eps=eps, atol=atol, rtol=rtol, mode="full", rng=rng, names=names,
                     raise_exception=False)


def error_map(check) -> str:
    """Per-(channel, i, j) max abs error of a 4-D kernel gradient; an (o, c) grid for pointwise."""
    err = check.abs_error
    if err is None or err.ndim != 4 or check.name == "dX":  # maps are for the kernels D, P, W only
        return ""
    o, c, kh, kw = err.shape
    lines = []
    if kh == kw == 1:
        lines.append(f"  {check.name} abs error per (o, c):")
        for oi in range(o):
            lines.append("    " + " ".join(f"{v:9.1e}" for v in err[oi, :, 0, 0]))
        return "\n".join(lines)
    per_channel = err.max(axis=0) if c > 1 else err[:, 0]  # (C,kh,kw): max over o for a full conv
    label = "c (max over o)" if c > 1 else "channel"
    lines.append(f"  {check.name} abs error per ({label}, i, j):")
    for ch in range(per_channel.shape[0]):
        rows = ["[" + " ".join(f"{v:8.1e}" for v in per_channel[ch, i]) + "]" for i in range(kh)]
        lines.append(f"    {ch:>3}: " + " ".join(rows))
    return "\n".join(lines)


def format_layer_report(report: GradcheckReport, title: str = "") -> str:
    parts = [title] if title else []
    parts.append(str(report))
    for check in report.inputs:
        text = error_map(check)
        if text:
            parts.append(text)
    parts.append("PASSED: analytic gradients match finite differences" if report.passed
                 else "FAILED: analytic and numeric gradients disagree (see rows marked NO)")
    return "\n".join(parts)


def _ints(text: str, name: str):
    try:
        values = tuple(int(v) for v in str(text).split(","))
    except ValueError:
        raise ValueError(f"--{name}: expected an int or 'a,b', got {text!r}") from None
    return values[0] if len(values) == 1 else values


def run_cli(args) -> int:
    """``minisep gradcheck``: exit code 0 when every gradient matches, 1 otherwise, 2 on bad arguments."""
    import sys

    try:
        shape = tuple(int(v) for v in args.shape.split(","))
        padding = args.padding if args.padding in ("same", "valid") else _ints(args.padding, "padding")
        kernel, stride, dilation = _ints(args.kernel, "kernel"), _ints(args.stride, "stride"), _ints(args.dilation, "dilation")
        report = check_layer(args.layer, shape, out_channels=args.out_channels, kernel=kernel, stride=stride,
                             padding=padding, dilation=dilation, depth_multiplier=args.depth_multiplier,
                             bias=not args.no_bias, seed=args.seed, eps=args.eps, atol=args.atol, rtol=args.rtol)
    except (ValueError, TypeError) as e:
        print(f"minisep gradcheck: error: {e}", file=sys.stderr)
        return 2
    title = (f"{args.layer} layer, x {shape}, kernel {kernel}, stride {stride}, padding {padding!r}, "
             f"dilation {dilation}, depth multiplier {args.depth_multiplier}, out channels {args.out_channels}")
    print(format_layer_report(report, title))
    return 0 if report.passed else 1
