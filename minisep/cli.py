"""The ``minisep`` command line: train, evaluate, summary, compare, gradcheck, bench.

Run ``minisep COMMAND --help`` for the options of each command.
"""

from __future__ import annotations

import argparse
import sys

from . import experiment

DATASETS = ("mnist", "fashion-mnist", "digits")
MODELS = ("standard", "separable", "separable_relu", "separable_bn_relu")
OPTIMIZERS = ("adam", "adamw", "sgd")


def _add_data_args(p: argparse.ArgumentParser, dataset_required: bool = True, limit: bool = True) -> None:
    p.add_argument("--dataset", choices=DATASETS, required=dataset_required, default=None if dataset_required else "digits",
                   help="mnist, fashion-mnist, or digits (embedded 8x8 set: needs no download)")
    p.add_argument("--data-dir", default=None, help="folder holding the IDX files (searched before $MINISEP_DATA and the cache)")
    p.add_argument("--no-download", action="store_true", help="never try to download; fail with where to put the files")
    if limit:
        p.add_argument("--limit", type=int, default=None, help="use only the first N training images (quick runs)")


def _add_train_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=None, help="default: 32 for digits, 128 otherwise")
    p.add_argument("--lr", type=float, default=None, help="learning rate (default: 5e-3 for adam/adamw, 0.05 for sgd)")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default="adam")
    p.add_argument("--weight-decay", type=float, default=0.0, help="applied to conv/linear weights, never to depthwise filters, biases or BN")
    p.add_argument("--schedule", choices=("cosine", "step", "none"), default="cosine")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--width", type=float, default=1.0, help="channel width multiplier of the model")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="minisep", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("train", help="train a standard or separable CNN")
    _add_data_args(p)
    p.add_argument("--model", choices=MODELS, default="separable")
    _add_train_args(p)
    p.add_argument("--out", default=None, help="checkpoint path (.npz), written atomically")
    p.add_argument("--metrics-json", default=None, help="write per-epoch metrics to this JSON file")

    p = sub.add_parser("evaluate", help="test accuracy of a checkpoint")
    p.add_argument("checkpoint")
    _add_data_args(p, dataset_required=False, limit=False)
    p.set_defaults(dataset=None)

    p = sub.add_parser("summary", help="per-layer output shapes, params and mult-adds")
    p.add_argument("--model", choices=MODELS, default="separable")
    p.add_argument("--dataset", choices=DATASETS, default="mnist", help="sets the input shape (28x28 or 8x8)")
    p.add_argument("--width", type=float, default=1.0)

    p = sub.add_parser("compare", help="train standard and separable twins with the same budget; one table")
    _add_data_args(p)
    p.add_argument("--models", default="standard,separable", help=f"comma-separated subset of {','.join(MODELS)}")
    _add_train_args(p)
    p.add_argument("--metrics-json", default=None)

    p = sub.add_parser("gradcheck", help="finite-difference check of one conv layer's gradients (float64)")
    p.add_argument("--layer", choices=("separable", "depthwise", "pointwise", "conv"), default="separable")
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

    p = sub.add_parser("bench", help="time minisep kernels and training steps against numpy and torch")
    p.add_argument("--quick", action="store_true", help="fewer repeats and shapes")
    p.add_argument("--repeats", type=int, default=None)
    p.add_argument("--json", default=None, help="also write the results to this JSON file")
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "train":
            result = experiment.run_train(args)
            if args.metrics_json:
                experiment.write_json(args.metrics_json, result)
        elif args.command == "evaluate":
            experiment.run_evaluate(args)
        elif args.command == "summary":
            print(experiment.run_summary(args))
        elif args.command == "compare":
            result = experiment.run_compare(args)
            if args.metrics_json:
                experiment.write_json(args.metrics_json, result)
        elif args.command == "gradcheck":
            from .layercheck import run_cli
            return run_cli(args)
        elif args.command == "bench":
            from .bench import run_bench
            return run_bench(args)
    except experiment.UserFacingError as e:
        print(f"minisep {args.command}: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


__all__ = ["main", "build_parser"]
