"""CLI verb `compare`: train standard and separable twins over several seeds; one table with CIs."""

from __future__ import annotations

from ..app import experiment
from .common import MODELS, add_data_args, add_train_args


def _compare(args) -> int:
    result = experiment.run_compare(args)
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
