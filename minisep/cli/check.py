"""CLI verb that checks gradients: gradcheck."""

from __future__ import annotations


def _gradcheck(args) -> int:
    from ..teach.layercheck import run_cli
    return run_cli(args)


def register(sub) -> None:
    p = sub.add_parser("gradcheck", help="finite-difference check of one conv layer's gradients (float64)")
    from ..teach.bugs import BUG_NAMES
    from ..teach.layercheck import LAYERS
    p.add_argument("--layer", choices=LAYERS, default="separable")
    p.add_argument("--shape", default="1,2,5,5", help="input shape N,C,H,W")
    p.add_argument("--out-channels", type=int, default=3)
    p.add_argument("--kernel", default="3", help="k or kh,kw")
    p.add_argument("--stride", default="1")
    p.add_argument("--padding", default="same", help="int, 'same' or 'valid'")
    p.add_argument("--dilation", default="1")
    p.add_argument("--depth-multiplier", type=int, default=1)
    p.add_argument("--no-bias", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--eps", type=float, default=1e-6)
    p.add_argument("--atol", type=float, default=1e-5)
    p.add_argument("--rtol", type=float, default=1e-4)
    p.add_argument("--bug", choices=BUG_NAMES, default=None,
                   help="break-it mode: check a deliberately wrong backward and show where it is wrong")
    p.add_argument("--png", default=None, metavar="DIR",
                   help="write heatmaps of analytic, numeric and error per gradient into DIR (needs matplotlib)")
    p.set_defaults(func=_gradcheck)
