"""CLI verb `compare`: train standard and separable twins over several seeds; one table with CIs."""

from __future__ import annotations

import sys

from ..app import experiment
from .common import EXIT_INTERRUPTED, MODELS, add_data_args, add_train_args, check_output_path, interrupt_guard


def _compare(args) -> int:
    check_output_path(args.metrics_json, "--metrics-json")  # before any training: no finished run is lost
    runs: list = []
    with interrupt_guard():
        try:
            result = experiment.run_compare(args, runs=runs)
        except KeyboardInterrupt:
            kept = f"; {len(runs)} finished runs saved in {args.metrics_json}" if args.metrics_json else ""
            print(f"\nminisep compare: interrupted after {len(runs)} finished runs{kept}", file=sys.stderr)
            return EXIT_INTERRUPTED
    if args.metrics_json:
        experiment.write_json(args.metrics_json, result)
    return 0


def register(sub) -> None:
    p = sub.add_parser("compare", help="train standard and separable twins over seeds; mean ± sd and paired 95%% CIs")
    add_data_args(p)
    p.add_argument("--models", default="standard,separable",
                   help=f"comma-separated subset of {','.join(MODELS)}; the first is the reference")
    add_train_args(p)
    p.add_argument("--seeds", default=None,
                   help="seeds as a list or range, e.g. 0-4 or 0,1,2 (default: --seed only)")
    p.add_argument("--metrics-json", default=None, help="write the summary and every run to this JSON file")
    p.set_defaults(func=_compare)
