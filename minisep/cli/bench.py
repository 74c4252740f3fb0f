"""CLI verb that times kernels and training steps: bench."""

from __future__ import annotations


def _bench(args) -> int:
    from .common import UserFacingError
    if args.repeats is not None and args.repeats < 1:
        raise UserFacingError(f"--repeats must be an integer >= 1, got {args.repeats}")
    if args.threads is not None and args.threads < 1:
        raise UserFacingError(f"--threads must be an integer >= 1, got {args.threads}")
    from ..bench.run import run_bench
    return run_bench(args)


def register(sub) -> None:
    p = sub.add_parser("bench", help="time minisep kernels and training steps against numpy and torch")
    p.add_argument("--quick", action="store_true", help="fewer repeats and shapes")
    p.add_argument("--repeats", type=int, default=None, help="timed calls per measurement (default 30, quick 10)")
    p.add_argument("--threads", type=int, default=None,
                   help="threads for numba and torch alike (default: numba's default, all cores)")
    p.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                   help="wall clock or process CPU time (only with --threads 1)")
    p.add_argument("--json", default=None, help="also write the results to this JSON file (default: none)")
    p.set_defaults(func=_bench)
