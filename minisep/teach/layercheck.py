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

LAYERS = ("separable", "depthwise", "pointwise", "conv", "batchnorm")


def _weight_shapes(c, m, kh, kw, out_channels):
    """layer -> (gradient names, array shapes after x, the bias length)."""
    return {
        "separable": (["dX", "dD", "dP"], [(c * m, 1, kh, kw), (out_channels, c * m, 1, 1)], out_channels),
        "depthwise": (["dX", "dD"], [(c * m, 1, kh, kw)], c * m),
        "pointwise": (["dX", "dP"], [(out_channels, c, 1, 1)], out_channels),
        "conv": (["dX", "dW"], [(out_channels, c, kh, kw)], out_channels),
        "batchnorm": (["dX", "dgamma", "dbeta"], [(c,), (c,)], None),
    }


def _layer_fn(layer: str, geo: dict, bug: str | None):
    """fn(*tensors) -> the layer's output; with `bug`, the depthwise (or BN) backward is the wrong one."""
    from ..nn import functional as F
    from . import bugs

    if layer == "batchnorm":
        if bug is not None:
            return bugs.buggy_batchnorm(bug)
        return lambda x, gamma, beta: F.batch_norm2d(x, gamma, beta, None, None, training=True)
    if bug is not None:
        buggy = bugs.buggy_depthwise(bug)
        if layer == "depthwise":
            return lambda x, d, b=None: _bias(buggy.apply(x, d, **geo), b)
        return lambda x, d, p, b=None: _bias(F.pointwise_conv2d(buggy.apply(x, d, **geo), p), b)
    return {
        "separable": lambda x, d, p, b=None: F.separable_conv2d(x, d, p, b, **geo),
        "depthwise": lambda x, d, b=None: F.depthwise_conv2d(x, d, b, **geo),
        "pointwise": lambda x, p, b=None: F.pointwise_conv2d(x, p, b),
        "conv": lambda x, w, b=None: F.conv2d(x, w, b, **geo),
    }[layer]


def _bias(y, b):
    return y if b is None else y + b.reshape(1, -1, 1, 1)


def check_bug_fits(layer: str, bug: str | None) -> None:
    from . import bugs

    if bug is None:
        return
    if bug in bugs.BN_BUGS and layer != "batchnorm":
        raise ValueError(f"--bug {bug} breaks the batch-norm backward: use --layer batchnorm, got --layer {layer}")
    if bug in bugs.DEPTHWISE_BUGS and layer not in ("depthwise", "separable"):
        raise ValueError(f"--bug {bug} breaks the depthwise backward: use --layer depthwise or separable, "
                         f"got --layer {layer}")
    if bug not in bugs.BUG_NAMES:
        raise ValueError(f"--bug must be one of {', '.join(bugs.BUG_NAMES)}, got {bug!r}")


def layer_inputs(layer: str, shape, out_channels: int, kernel, depth_multiplier: int, bias: bool, rng,
                 bug: str | None = None):
    """(names, float64 arrays, make_fn) for ``layer``; make_fn(geo) maps Tensors to the layer's output."""
    if layer not in LAYERS:
        raise ValueError(f"layer must be one of {LAYERS}, got {layer!r}")
    check_bug_fits(layer, bug)
    n, c, h, w = shape
    names, shapes, bias_len = _weight_shapes(c, depth_multiplier, *kernel, out_channels)[layer]
    arrays = [rng.standard_normal((n, c, h, w))] + [rng.standard_normal(s) for s in shapes]
    if layer == "batchnorm":
        arrays[1] = 1.0 + 0.5 * arrays[1]  # gamma near 1, as after initialisation
    elif bias:
        names, arrays = names + ["db"], arrays + [rng.standard_normal(bias_len)]
    return names, arrays, lambda geo: _layer_fn(layer, geo, bug)


def check_layer(layer: str, shape, *, out_channels: int = 3, kernel=3, stride=1, padding=0, dilation=1,
                depth_multiplier: int = 1, bias: bool = True, seed: int = 0, eps: float = 1e-6,
                atol: float = 1e-5, rtol: float = 1e-4, bug: str | None = None) -> GradcheckReport:
    """Run the full float64 finite-difference check on one layer; returns the report (never raises on mismatch)."""
    if len(shape) != 4 or any(int(s) < 1 for s in shape):
        raise ValueError(f"shape must be 4 positive ints N,C,H,W, got {tuple(shape)}")
    kernel = (kernel, kernel) if isinstance(kernel, int) else tuple(kernel)
    if len(kernel) != 2 or any(not isinstance(k, (int, np.integer)) or k < 1 for k in kernel):
        raise ValueError(f"kernel must be an int >= 1 or a pair (kh, kw) of them, got {kernel!r}")
    rng = np.random.default_rng(seed)
    names, arrays, make_fn = layer_inputs(layer, tuple(int(s) for s in shape), out_channels, kernel,
                                          depth_multiplier, bias, rng, bug)
    geo = {} if layer in ("pointwise", "batchnorm") else {"stride": stride, "padding": padding, "dilation": dilation}
    fn = make_fn(geo)
    inputs = [Tensor(a, requires_grad=True) for a in arrays]
    fn(*inputs)  # validate the configuration (clear ValueError) before thousands of evaluations
    return gradcheck(fn, inputs, eps=eps, atol=atol, rtol=rtol, mode="full", rng=rng, names=names,
                     raise_exception=False)


def error_map(check) -> str:
    """Where a gradient is wrong: max abs error per (c, h, w) for dX (max over n), per (c·m+r, i, j)
    for a depthwise kernel, per (c, i, j) (max over o) for a full conv, an (o, c) grid for pointwise."""
    err = check.abs_error
    if err is None or err.ndim != 4:
        return ""
    o, c, kh, kw = err.shape
    lines = []
    if check.name == "dX":
        lines.append(f"  {check.name} abs error per (c, h, w), max over n:")
        per_channel = err.max(axis=0)
        label = "c"
    elif kh == kw == 1:
        lines.append(f"  {check.name} abs error per (o, c):")
        for oi in range(o):
            lines.append("    " + " ".join(f"{v:9.1e}" for v in err[oi, :, 0, 0]))
        return "\n".join(lines)
    else:
        per_channel = err.max(axis=0) if c > 1 else err[:, 0]  # (C,kh,kw): max over o for a full conv
        label = "c (max over o)" if c > 1 else "channel"
        lines.append(f"  {check.name} abs error per ({label}, i, j):")
    for ch in range(per_channel.shape[0]):
        for i, row in enumerate(per_channel[ch]):
            lines.append(f"    {str(ch) + ':' if i == 0 else '':>4} " + " ".join(f"{v:8.1e}" for v in row))
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


def run_cli(args, kw: dict) -> int:
    """``minisep gradcheck``: exit code 0 when every gradient matches, 1 otherwise, 2 on bad arguments.

    ``kw``: check_layer's keyword arguments, already validated option by option by the CLI."""
    import sys

    kw = dict(kw)
    shape = kw.pop("shape")
    try:
        report = check_layer(args.layer, shape, **kw)
    except (ValueError, TypeError) as e:  # a geometry the options allow but the layer cannot take
        print(f"minisep gradcheck: error: {e}", file=sys.stderr)
        return 2
    title = (f"{args.layer} layer, x {shape}, kernel {kw['kernel']}, stride {kw['stride']}, padding "
             f"{kw['padding']!r}, dilation {kw['dilation']}, depth multiplier {kw['depth_multiplier']}, "
             f"out channels {kw['out_channels']}")
    bug = getattr(args, "bug", None)
    if bug:
        from .bugs import BN_BUGS, DEPTHWISE_BUGS
        hint = DEPTHWISE_BUGS[bug].hint if bug in DEPTHWISE_BUGS else BN_BUGS[bug][1]
        title += f"\nbreak-it mode: the backward has the bug {bug!r} ({hint})"
    print(format_layer_report(report, title))
    if getattr(args, "png", None):
        from .heatmaps import write_heatmaps
        try:
            for path in write_heatmaps(report, args.png):
                print(f"wrote {path}")
        except ImportError:
            print("minisep gradcheck: error: --png needs matplotlib (pip install 'minisep[plot]')", file=sys.stderr)
            return 2
    return 0 if report.passed else 1
