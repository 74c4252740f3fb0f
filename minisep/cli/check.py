"""CLI verb that checks gradients: gradcheck.

Every option is checked here, before any array is built, as one line naming the option (exit 2).
A finite-difference check costs two forward passes per input and weight element, so the sizes are
capped: it is a teaching check on small shapes, not a benchmark.
"""

from __future__ import annotations

import math

from .common import UserFacingError

MAX_ELEMENTS = 20_000  # x or weight entries: ~2·20k forward passes, a few seconds


def _ints(text: str, option: str, counts: tuple[int, ...], low: int, what: str) -> tuple[int, ...]:
    """'3' or '3,5' (or 4 numbers) as ints >= low; a UserFacingError naming ``option`` otherwise."""
    try:
        values = tuple(int(v) for v in str(text).split(","))
    except ValueError:
        values = ()
    if len(values) not in counts or min(values) < low:
        raise UserFacingError(f"{option} must be {what}, got {text!r}")
    return values


def _one_or_pair(text: str, option: str, low: int = 1):
    values = _ints(text, option, (1, 2), low, f"an integer >= {low} or a pair 'h,w' of them")
    return values[0] if len(values) == 1 else values


def _real(value: float, option: str, *, strict: bool) -> None:
    if not math.isfinite(value) or value < 0 or (strict and value == 0):
        raise UserFacingError(f"{option} must be a finite number {'>' if strict else '>='} 0, got {value!r}")


def validate_gradcheck_args(args) -> dict:
    """The layer check's keyword arguments from ``args``, every option validated and named."""
    shape = _ints(args.shape, "--shape", (4,), 1, "four integers N,C,H,W >= 1 (e.g. 1,2,5,5)")
    padding = (args.padding if args.padding in ("same", "valid") else
               _ints(args.padding, "--padding", (1, 2, 4), 0,
                     "'same', 'valid', or 1, 2 or 4 integers >= 0 (p | ph,pw | pt,pb,pl,pr)"))
    if isinstance(padding, tuple) and len(padding) == 1:
        padding = padding[0]
    for option, value in (("--out-channels", args.out_channels), ("--depth-multiplier", args.depth_multiplier)):
        if value < 1:
            raise UserFacingError(f"{option} must be an integer >= 1, got {value}")
    if args.seed < 0:
        raise UserFacingError(f"--seed must be an integer >= 0, got {args.seed}")
    _real(args.eps, "--eps", strict=True)
    _real(args.atol, "--atol", strict=False)
    _real(args.rtol, "--rtol", strict=False)
    kernel = _one_or_pair(args.kernel, "--kernel")
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    N, C, H, W = shape
    sizes = {"--shape (N·C·H·W)": N * C * H * W,
             "the weights (C·m·kh·kw, O·C·m)": C * args.depth_multiplier * kh * kw + args.out_channels * C * args.depth_multiplier}
    for what, n in sizes.items():
        if n > MAX_ELEMENTS:
            raise UserFacingError(f"{what} has {n:,} elements, more than the {MAX_ELEMENTS:,} a finite-difference "
                                  "check can afford (two forward passes each); use a smaller shape")
    return dict(shape=shape, out_channels=args.out_channels, kernel=kernel, stride=_one_or_pair(args.stride, "--stride"),
                padding=padding, dilation=_one_or_pair(args.dilation, "--dilation"),
                depth_multiplier=args.depth_multiplier, bias=not args.no_bias, seed=args.seed, eps=args.eps,
                atol=args.atol, rtol=args.rtol, bug=args.bug)


def _gradcheck(args) -> int:
    from ..teach.layercheck import run_cli
    return run_cli(args, validate_gradcheck_args(args))


def register(sub) -> None:
    p = sub.add_parser("gradcheck", help="finite-difference check of one conv layer's gradients (float64)")
    from ..teach.bugs import BUG_NAMES
    from ..teach.layercheck import LAYERS
    p.add_argument("--layer", choices=LAYERS, default="separable", help="the layer whose gradients are checked")
    p.add_argument("--shape", default="1,2,5,5", help="input shape N,C,H,W")
    p.add_argument("--out-channels", type=int, default=3, help="O, the output channels (pointwise, standard)")
    p.add_argument("--kernel", default="3", help="k or kh,kw")
    p.add_argument("--stride", default="1", help="s or sh,sw")
    p.add_argument("--padding", default="same", help="'same', 'valid', p, ph,pw or pt,pb,pl,pr")
    p.add_argument("--dilation", default="1", help="d or rh,rw")
    p.add_argument("--depth-multiplier", type=int, default=1, help="m, filters per input channel (depthwise)")
    p.add_argument("--no-bias", action="store_true", help="check the layer without its bias")
    p.add_argument("--seed", type=int, default=0, help="seed of the random input and weights")
    p.add_argument("--eps", type=float, default=1e-6, help="finite-difference step (float64)")
    p.add_argument("--atol", type=float, default=1e-5, help="absolute tolerance")
    p.add_argument("--rtol", type=float, default=1e-4, help="relative tolerance")
    p.add_argument("--bug", choices=BUG_NAMES, default=None,
                   help="break-it mode: check a deliberately wrong backward and show where it is wrong")
    p.add_argument("--png", default=None, metavar="DIR",
                   help="write heatmaps of analytic, numeric and error per gradient into DIR (needs matplotlib)")
    p.set_defaults(func=_gradcheck)
