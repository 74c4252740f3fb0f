"""What every CLI verb shares: the one-line error type, the common options, and their checks.

Shared checks, called before any data is loaded or any model is trained:

    validate_train_args(args)          every training option (lr, weight decay, width, seed, epochs, ...)
    check_output_path(path, option)    the folder exists (created) and is writable; path is not a folder
    interrupt_guard()                  Ctrl-C -> KeyboardInterrupt in the main thread only (one line, exit 130)
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import signal
import threading
from pathlib import Path

from ..app.experiment import UserFacingError
from ..app.models import MODEL_NAMES

DATASETS = ("mnist", "fashion-mnist", "digits")
MODELS = MODEL_NAMES
OPTIMIZERS = ("adam", "adamw", "sgd")
MAX_WIDTH = 16.0  # 16x the channels is already ~256x the mult-adds: beyond it, a typo
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for Ctrl-C


class Formatter(argparse.ArgumentDefaultsHelpFormatter):
    """--help shows every option's default (except where the help text already says it)."""

    def _get_help_string(self, action):
        text = action.help or ""
        if ("default" in text or action.default is None or action.default is False
                or action.default == argparse.SUPPRESS or not action.option_strings):
            return text
        return text + " (default: %(default)s)"


def add_data_args(p: argparse.ArgumentParser, dataset_required: bool = True, limit: bool = True) -> None:
    p.add_argument("--dataset", choices=DATASETS, required=dataset_required, default=None if dataset_required else "digits",
                   help="mnist, fashion-mnist, or digits (embedded 8x8 set: needs no download)")
    p.add_argument("--data-dir", default=None,
                   help="folder holding the IDX files (searched before $MINISEP_DATA and the cache; default: none)")
    p.add_argument("--no-download", action="store_true", help="never try to download; fail with where to put the files")
    if limit:
        p.add_argument("--limit", type=int, default=None, help="use only the first N training images (default: all)")


def add_train_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--epochs", type=int, default=5, help="passes over the training set")
    p.add_argument("--batch-size", type=int, default=None, help="images per step (default: 32 for digits, 128 otherwise)")
    p.add_argument("--lr", type=float, default=None, help="learning rate (default: 5e-3 for adam/adamw, 0.05 for sgd)")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default="adam", help="sgd uses momentum 0.9, Nesterov")
    p.add_argument("--weight-decay", type=float, default=0.0,
                   help="applied to conv/linear weights, never to depthwise filters, biases or BN")
    p.add_argument("--schedule", choices=("cosine", "step", "none"), default="cosine", help="learning-rate schedule")
    p.add_argument("--seed", type=int, default=0, help="weights from SEED, batch order from SEED + 1")
    p.add_argument("--width", type=float, default=1.0, help=f"channel width multiplier of the model, in (0, {MAX_WIDTH:g}]")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _number(args, name: str, option: str, *, low: float, strict: bool, high: float | None = None) -> None:
    value = getattr(args, name, None)
    if value is None:
        return
    ok = math.isfinite(value) and (value > low if strict else value >= low) and (high is None or value <= high)
    if not ok:
        rng = f"{'>' if strict else '>='} {low:g}" + ("" if high is None else f" and <= {high:g}")
        raise UserFacingError(f"{option} must be a finite number {rng}, got {value!r}")


def _integer(args, name: str, option: str, low: int) -> None:
    value = getattr(args, name, None)
    if value is not None and value < low:
        raise UserFacingError(f"{option} must be an integer >= {low}, got {value}")


def validate_width(args) -> None:
    _number(args, "width", "--width", low=0.0, strict=True, high=MAX_WIDTH)


def validate_train_args(args) -> None:
    """Every training option of ``args`` (absent ones are skipped), as a UserFacingError naming the option."""
    _number(args, "lr", "--lr", low=0.0, strict=True)
    _number(args, "weight_decay", "--weight-decay", low=0.0, strict=False)
    validate_width(args)
    _integer(args, "seed", "--seed", 0)
    _integer(args, "epochs", "--epochs", 1)
    _integer(args, "batch_size", "--batch-size", 1)
    _integer(args, "limit", "--limit", 1)


def check_output_path(path, option: str) -> Path | None:
    """Make sure ``path`` can be written later: create its folder, refuse a folder, a path below a
    file and a place we may not write. Called before training, so no finished model is lost."""
    if path is None:
        return None
    path = Path(path)
    if path.is_dir():
        raise UserFacingError(f"{option} {path} is a folder; give a file name")
    parent = path.parent
    for above in (parent, *parent.parents):
        if above.exists():
            if not above.is_dir():
                raise UserFacingError(f"{option} {path}: {above} is a file, not a folder")
            break
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UserFacingError(f"{option} {path}: cannot create the folder {parent} ({e.strerror})") from None
    if not os.access(parent, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise UserFacingError(f"{option} {path}: no permission to write there")
    return path


@contextlib.contextmanager
def interrupt_guard():
    """Ctrl-C (SIGINT) raises KeyboardInterrupt in the main thread only, never in the kernels' worker
    threads (Python delivers signals to the main thread; this also restores the default handler if a
    library replaced it). The caller catches KeyboardInterrupt, saves, and returns EXIT_INTERRUPTED."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


__all__ = ["UserFacingError", "DATASETS", "MODELS", "OPTIMIZERS", "EXIT_INTERRUPTED", "Formatter",
           "add_data_args", "add_train_args", "validate_train_args", "validate_width", "check_output_path",
           "interrupt_guard"]
