"""What every CLI verb shares: the one-line error type and the common options."""

from __future__ import annotations

import argparse

from ..app.experiment import UserFacingError
from ..app.models import MODEL_NAMES

DATASETS = ("mnist", "fashion-mnist", "digits")
MODELS = MODEL_NAMES
OPTIMIZERS = ("adam", "adamw", "sgd")


def add_data_args(p: argparse.ArgumentParser, dataset_required: bool = True, limit: bool = True) -> None:
    p.add_argument("--dataset", choices=DATASETS, required=dataset_required, default=None if dataset_required else "digits",
                   help="mnist, fashion-mnist, or digits (embedded 8x8 set: needs no download)")
    p.add_argument("--data-dir", default=None, help="folder holding the IDX files (searched before $MINISEP_DATA and the cache)")
    p.add_argument("--no-download", action="store_true", help="never try to download; fail with where to put the files")
    if limit:
        p.add_argument("--limit", type=int, default=None, help="use only the first N training images (quick runs)")


def add_train_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=None, help="default: 32 for digits, 128 otherwise")
    p.add_argument("--lr", type=float, default=None, help="learning rate (default: 5e-3 for adam/adamw, 0.05 for sgd)")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default="adam")
    p.add_argument("--weight-decay", type=float, default=0.0, help="applied to conv/linear weights, never to depthwise filters, biases or BN")
    p.add_argument("--schedule", choices=("cosine", "step", "none"), default="cosine")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--width", type=float, default=1.0, help="channel width multiplier of the model")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


__all__ = ["UserFacingError", "DATASETS", "MODELS", "OPTIMIZERS", "add_data_args", "add_train_args"]
