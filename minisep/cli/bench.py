"""CLI verb that times kernels and training steps: bench."""

from __future__ import annotations


def _bench(args) -> int:
    from ..bench.run import run_bench
    return run_bench(args)


def register(sub) -> None:
    p = sub.add_parser("bench", help="time minisep kernels and training steps against numpy and torch")
    p.add_argument("--quick", action="store_true", help="fewer repeats and shapes")
    p.add_argument("--repeats", type=int, default=None)
    p.add_argument("--json", default=None, help="also write the results to this JSON file")
    p.set_defaults(func=_bench)
