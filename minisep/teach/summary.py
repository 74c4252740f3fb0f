"""Per-layer output shapes, parameters and mult-adds of a model, and what separable convolution saves.

Shapes come from running the model once on a zero batch of one image (eval mode, no graph), with
a forward hook on every module. Mult-adds are multiply-accumulates per image, counted for convs
and Linear only (BatchNorm, ReLU and pooling are cheap next to them, as in the MobileNet paper):

    Conv2d            P·Q·O·C·kh·kw
    DepthwiseConv2d   P·Q·C·m·kh·kw
    PointwiseConv2d   P·Q·O·C
    Linear            in·out
    SeparableConv2d   its depthwise + its pointwise; the same conv done in full costs P·Q·O·C·kh·kw,
                      so the ratio is (C·m·kh·kw + O·C·m)/(O·C·kh·kw) = m·(1/O + 1/(kh·kw)).

Letters as in docs/backprop-separable-conv.md: O out-channels, kh×kw the kernel, m the depth
multiplier; N is always the batch (MobileNet's 1/N + 1/D_K² is 1/O + 1/(kh·kw) in these letters).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..autograd import no_grad
from ..nn import Conv2d, DepthwiseConv2d, Linear, Module, PointwiseConv2d, SeparableConv2d
from ..tensor import Tensor


@dataclass
class Row:
    """One line of the summary. ``counted``: a leaf layer, so its mult-adds go into the total."""
    name: str
    type: str
    depth: int
    output_shape: tuple | None
    params: int
    mult_adds: int
    counted: bool
    ratio: float | None = None  # SeparableConv2d: its mult-adds / those of the equivalent full conv
    formula: str = ""           # SeparableConv2d: the formula with its numbers, e.g. '1/O + 1/(kh·kw) = 1/32 + 1/9 = 0.1424'


def separable_ratio_formula(out_channels: int, kernel_size: tuple, depth_multiplier: int = 1) -> tuple[float, str]:
    """(m·(1/O + 1/(kh·kw)), the formula written out with the numbers), O = out_channels.

    separable_ratio_formula(64, (3, 3)) -> (0.1267..., '1/O + 1/(kh·kw) = 1/64 + 1/9 = 0.1267');
    with m = 2: 'm·(1/O + 1/(kh·kw)) = 2·(1/64 + 1/9) = 0.2535'."""
    (kh, kw), O, m = kernel_size, out_channels, depth_multiplier
    value = m * (1 / O + 1 / (kh * kw))
    body = "1/O + 1/(kh·kw)"
    numbers = f"1/{O} + 1/{kh * kw}"
    if m != 1:
        body, numbers = f"m·({body})", f"{m}·({numbers})"
    return value, f"{body} = {numbers} = {value:.4f}"


def layer_mult_adds(module: Module, in_shape: tuple, out_shape: tuple) -> int:
    """Mult-adds of one leaf layer for one image, from its input and output shapes (batch axis included)."""
    if isinstance(module, (Conv2d, DepthwiseConv2d, PointwiseConv2d)):
        _, O, P, Q = out_shape
        kh, kw = getattr(module, "kernel_size", (1, 1))
        # depthwise: each of the C·m = O outputs sums over kh·kw taps of ONE input channel
        C_per_output = 1 if isinstance(module, DepthwiseConv2d) else module.in_channels
        return P * Q * O * C_per_output * kh * kw
    if isinstance(module, Linear):
        rows = int(np.prod(out_shape[1:-1])) if len(out_shape) > 2 else 1
        return rows * module.in_features * module.out_features
    return 0


def _trace_shapes(model: Module, input_shape: tuple) -> dict[int, tuple[tuple, tuple]]:
    """id(module) -> (input shape, output shape) of its first call on a zero batch of one image."""
    shapes: dict[int, tuple[tuple, tuple]] = {}

    def hook(module, inputs, output):
        shapes.setdefault(id(module), (tuple(inputs[0].shape), tuple(output.shape)))

    dtype = next((p.dtype for p in model.parameters()), np.dtype(np.float32))
    modes = [(m, m.training) for m in model.modules()]
    removers = [m.register_forward_hook(hook) for m in model.modules()]
    try:
        model.eval()
        with no_grad():
            model(Tensor(np.zeros((1, *input_shape), dtype=dtype), _copy=False))
    finally:
        for remove in removers:
            remove()
        for m, mode in modes:
            object.__setattr__(m, "training", mode)
    return shapes


def summary_rows(model: Module, input_shape) -> list[Row]:
    """One Row per leaf layer and per SeparableConv2d (its parts indented below it), in model order."""
    shape = tuple(input_shape)
    if not shape or not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n > 0 for n in shape):
        raise ValueError(f"summary: input_shape must be the shape of one image, e.g. (1, 28, 28), got {input_shape!r}")
    shapes = _trace_shapes(model, shape)
    named = dict(model.named_modules())
    shown: list[str] = []
    rows: dict[str, Row] = {}
    for name, m in named.items():
        is_leaf = not m._modules
        if not name or not (is_leaf or isinstance(m, SeparableConv2d)):
            continue
        in_shape, out_shape = shapes.get(id(m), (None, None))
        depth = sum(1 for s in shown if name.startswith(s + "."))
        mult_adds = layer_mult_adds(m, in_shape, out_shape) if (is_leaf and out_shape) else 0
        rows[name] = Row(name, type(m).__name__, depth, out_shape[1:] if out_shape else None,
                         m.num_parameters(), mult_adds, is_leaf)
        shown.append(name)
    for name, row in rows.items():  # separable blocks: sum their parts, compare with the full conv
        m = named[name]
        if isinstance(m, SeparableConv2d) and row.output_shape:
            row.mult_adds = sum(r.mult_adds for n, r in rows.items() if n.startswith(name + ".") and r.counted)
            O, P, Q = row.output_shape
            full = P * Q * O * m.in_channels * m.kernel_size[0] * m.kernel_size[1]
            row.ratio = row.mult_adds / full
            _, row.formula = separable_ratio_formula(O, m.kernel_size, m.depth_multiplier)
    return list(rows.values())


def cost(model: Module, input_shape) -> tuple[int, int]:
    """(number of parameters, mult-adds per image)."""
    rows = summary_rows(model, input_shape)
    return model.num_parameters(), sum(r.mult_adds for r in rows if r.counted)


def summary(model: Module, input_shape) -> str:
    """The per-layer table as text (see the module docstring for what is counted)."""
    rows = summary_rows(model, input_shape)
    header = f"{'Layer':<28}{'Type':<18}{'Output':>16}{'Params':>10}{'Mult-adds':>13}  Separable / full conv"
    lines = [f"{type(model).__name__} on input {tuple(input_shape)} (one image; mult-adds = multiply-accumulates)",
             header, "-" * len(header)]
    for r in rows:
        out = "x".join(str(n) for n in r.output_shape) if r.output_shape else "-"
        ratio = f"{r.ratio:.4f}  vs  {r.formula}" if r.ratio is not None else ""
        label = "  " * r.depth + r.name
        lines.append(f"{label:<28}{r.type:<18}{out:>16}{r.params:>10,}{r.mult_adds:>13,}  {ratio}".rstrip())
    lines.append("-" * len(header))
    total = sum(r.mult_adds for r in rows if r.counted)
    lines.append(f"Total params: {model.num_parameters():,}   Total mult-adds: {total:,}")
    blocks = [r for r in rows if r.ratio is not None]
    if blocks:
        sep = sum(r.mult_adds for r in blocks)
        full = sum(r.mult_adds / r.ratio for r in blocks)
        lines.append(f"Separable blocks: {sep:,} mult-adds, {sep / full:.1%} of the {int(round(full)):,} that "
                     "full convolutions of the same shape would need (O = out channels, kh·kw = kernel size)")
    return "\n".join(lines)
