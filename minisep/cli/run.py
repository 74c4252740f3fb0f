"""CLI verbs that train and evaluate: train, evaluate, summary (compare: cli/compare.py)."""

from __future__ import annotations

from ..app import experiment
from .common import DATASETS, MODELS, add_data_args, add_train_args


def _train(args) -> int:
    result = experiment.run_train(args)
    if args.metrics_json:
        experiment.write_json(args.metrics_json, result)
    return 0


def _evaluate(args) -> int:
    experiment.run_evaluate(args)
    return 0


def _summary(args) -> int:
    print(experiment.run_summary(args))
    return 0


def register(sub) -> None:
    p = sub.add_parser("train", help="train a standard or separable CNN")
    add_data_args(p)
    p.add_argument("--model", choices=MODELS, default="separable")
    add_train_args(p)
    p.add_argument("--out", default=None, help="checkpoint path (.npz), written atomically")
    p.add_argument("--metrics-json", default=None, help="write per-epoch metrics to this JSON file")
    p.set_defaults(func=_train)

    p = sub.add_parser("evaluate", help="test accuracy of a checkpoint")
    p.add_argument("checkpoint")
    add_data_args(p, dataset_required=False, limit=False)
    p.set_defaults(dataset=None, func=_evaluate)

    p = sub.add_parser("summary", help="per-layer output shapes, params and mult-adds")
    p.add_argument("--model", choices=MODELS, default="separable")
    p.add_argument("--dataset", choices=DATASETS, default="mnist", help="sets the input shape (28x28 or 8x8)")
    p.add_argument("--width", type=float, default=1.0)
    p.set_defaults(func=_summary)
