"""CLI verbs that train and evaluate: train, evaluate, summary (compare: cli/compare.py)."""

from __future__ import annotations

import sys

from ..app import experiment
from .common import (DATASETS, EXIT_INTERRUPTED, MODELS, Formatter, UserFacingError, add_data_args, add_train_args,
                     check_output_path, interrupt_guard, validate_train_args, validate_width)


def _train(args) -> int:
    if args.dataset is None and not args.resume:
        raise UserFacingError("--dataset is required (or --resume CHECKPOINT)")
    validate_train_args(args)
    if args.resume and args.out is None:
        args.out = args.resume  # keep saving where the run was saved
    check_output_path(args.out, "--out")  # a folder given as --out: refused before '.npz' is added
    if args.out is not None and not str(args.out).endswith(".npz"):
        args.out = str(args.out) + ".npz"  # the name save_checkpoint writes, checked before training
    check_output_path(args.out, "--out")
    check_output_path(args.metrics_json, "--metrics-json")
    with interrupt_guard():
        try:
            experiment.run_train(args)
        except KeyboardInterrupt:
            saved = [f"{name} {path}" for name, path in (("checkpoint", args.out), ("metrics", args.metrics_json)) if path]
            print(f"\nminisep train: interrupted; {' and '.join(saved) or 'nothing'} saved as of the last finished "
                  f"epoch" + (f" (continue with --resume {args.out})" if args.out else ""), file=sys.stderr)
            return EXIT_INTERRUPTED
    return 0


def _evaluate(args) -> int:
    experiment.run_evaluate(args)
    return 0


def _summary(args) -> int:
    validate_width(args)
    print(experiment.run_summary(args))
    return 0


def register(sub) -> None:
    p = sub.add_parser("train", help="train a standard or separable CNN", formatter_class=Formatter,
                       description="Train a model; with --out, the checkpoint (and with --metrics-json, the metrics) "
                                   "are written after every epoch, so Ctrl-C keeps the last finished one.")
    add_data_args(p, dataset_required=False)
    p.add_argument("--model", choices=MODELS, default="separable", help="which variant of the small CNN")
    add_train_args(p)
    p.add_argument("--out", default=None, help="checkpoint path (.npz), written atomically after every epoch")
    p.add_argument("--metrics-json", default=None,
                   help="metrics, configuration and versions, written atomically after every epoch")
    p.add_argument("--resume", default=None, metavar="CHECKPOINT",
                   help="continue the run saved in CHECKPOINT (its own options; --out/--metrics-json say where to "
                        "write next)")
    p.set_defaults(dataset=None, func=_train)

    p = sub.add_parser("evaluate", help="test accuracy of a checkpoint", formatter_class=Formatter)
    p.add_argument("checkpoint", help="a .npz written by `minisep train --out`")
    add_data_args(p, dataset_required=False, limit=False)
    p.set_defaults(dataset=None, func=_evaluate)
    for action in p._actions:  # the checkpoint's own dataset and data folder are the defaults
        if action.dest == "dataset":
            action.help = "dataset to evaluate on (default: the one the checkpoint was trained on)"
        if action.dest == "data_dir":
            action.help = "folder holding the IDX files (default: the one the run used)"

    p = sub.add_parser("summary", help="per-layer output shapes, params and mult-adds", formatter_class=Formatter)
    p.add_argument("--model", choices=MODELS, default="separable", help="which variant of the small CNN")
    p.add_argument("--dataset", choices=DATASETS, default="mnist", help="sets the input shape (28x28 or 8x8)")
    p.add_argument("--width", type=float, default=1.0, help="channel width multiplier of the model")
    p.set_defaults(func=_summary)
