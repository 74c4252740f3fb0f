"""Train the separable CNN (minisep.app.models.SmallCNN) on MNIST, print per-epoch metrics, draw the curves.

Which data: MNIST when its training AND test files are on disk (see --data-dir), else Fashion-MNIST
(the same format: 28x28 grayscale, 10 classes), else the 8x8 digits embedded in minisep. The script
says which it chose and why. It never downloads on its own: pass --dataset mnist to allow minisep's
verified download (or --dataset to force any choice).

    python examples/03_train_mnist.py                          # 5 epochs on whatever it finds
    python examples/03_train_mnist.py --dataset fashion-mnist --epochs 3 --out fmnist.npz
    python examples/03_train_mnist.py --quick                  # 256 training images, 1 epoch

This is `minisep train` with a data fallback and a plot: the same options give the same numbers.
Writes training_curves.png (in --out-dir) when matplotlib is installed.
"""
from __future__ import annotations

import argparse
import os
import shlex
from pathlib import Path

from minisep.app import experiment
from minisep.app.checkpoint import save_checkpoint
from minisep.data import find_split_files
from minisep.app.models import MODEL_NAMES

REPO = Path(__file__).resolve().parents[1]
TITLES = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST", "digits": "digits (UCI 8x8, embedded)"}


def default_data_dir() -> str | None:
    """../shared/data next to the repository when it exists, else None (minisep's normal search)."""
    shared = REPO.parent / "shared" / "data"
    return str(shared) if shared.is_dir() else None


def on_disk(name: str, data_dir) -> dict:
    """{split: (images, labels) paths or None} from minisep's local search (no download)."""
    return {split: find_split_files(name, split, data_dir) for split in ("train", "test")}


def shown(path) -> str:
    """``path`` as a user would type it: relative to the working directory when possible (no machine paths)."""
    path = Path(path).resolve()
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return path.name


def choose_dataset(data_dir) -> tuple[str, str]:
    """(dataset, why): MNIST if both splits are on disk, else Fashion-MNIST, else the embedded digits."""
    reasons = []
    for name in ("mnist", "fashion-mnist"):
        found = on_disk(name, data_dir)
        if all(found.values()):
            where = shown(Path(found["train"][0]).parent)
            reasons.append(f"{TITLES[name]} found in {where}")
            return name, "; ".join(reasons)
        have = [f"the {split} split in {shown(Path(paths[0]).parent)}" for split, paths in found.items() if paths]
        missing = [split for split, paths in found.items() if paths is None]
        reasons.append(f"{TITLES[name]}: no {' or '.join(missing)} split on disk"
                       + (f" (only {', '.join(have)}), so it cannot be trained here" if have else ""))
    reasons.append("so: the digits embedded in minisep (no files needed)")
    return "digits", "; ".join(reasons)


def plot_curves(history, title: str, path: Path) -> None:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: skipping plots (pip install matplotlib)")
        return
    epochs = [h.epoch for h in history]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6), constrained_layout=True)
    ax1.plot(epochs, [h.train_loss for h in history], "o-", label="train (mean over the epoch)")
    ax1.plot(epochs, [h.test_loss for h in history], "s-", label="test (after the epoch)")
    ax1.set_ylabel("cross-entropy")
    ax2.plot(epochs, [100 * h.train_acc for h in history], "o-", label="train (mean over the epoch)")
    ax2.plot(epochs, [100 * h.test_acc for h in history], "s-", label="test (after the epoch)")
    ax2.set_ylabel("accuracy %")
    for ax in (ax1, ax2):
        ax.set_xlabel("epoch")
        ax.set_xticks(epochs)
        ax.legend()
    fig.suptitle(title)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"wrote {path}")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="256 training and 1,000 test images, 1 epoch (a smoke test)")
    p.add_argument("--dataset", choices=("mnist", "fashion-mnist", "digits"), default=None,
                   help="default: MNIST if on disk, else Fashion-MNIST if on disk, else digits")
    p.add_argument("--data-dir", default=default_data_dir(), help="IDX folder (default: ../shared/data next to the repo "
                   "if it exists, else minisep's search: $MINISEP_DATA, the user cache)")
    p.add_argument("--no-download", action="store_true", help="with --dataset: never download")
    p.add_argument("--model", choices=MODEL_NAMES, default="separable")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--limit", type=int, default=None, help="train on the first N images only")
    p.add_argument("--batch-size", type=int, default=None, help="default: 32 for digits, 128 otherwise")
    p.add_argument("--lr", type=float, default=None, help="default: 5e-3 (Adam)")
    p.add_argument("--optimizer", choices=("adam", "adamw", "sgd"), default="adam")
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--schedule", choices=("cosine", "step", "none"), default="cosine")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--width", type=float, default=1.0)
    p.add_argument("--progress", action="store_true", help="show the per-batch progress bar")
    p.add_argument("--out", default=None, help="save a checkpoint (.npz, for `minisep evaluate`)")
    p.add_argument("--out-dir", default=".", help="where the PNG goes")
    args = p.parse_args(argv)
    if args.quick:
        args.limit, args.epochs = 256, 1
    args.quiet = not args.progress  # the names experiment.train_one reads

    if args.dataset is None:
        args.dataset, why = choose_dataset(args.data_dir)
        download = False
    else:
        why, download = "chosen with --dataset", not args.no_download
    print(f"dataset: {TITLES[args.dataset]} ({why})")
    try:
        train, test, meta = experiment.load_data(args.dataset, args.data_dir, download, args.limit)
    except experiment.UserFacingError as e:
        raise SystemExit(f"03_train_mnist: {e}")
    if args.quick:
        test = (test[0][:1000], test[1][:1000])
    model, history, info = experiment.train_one(args.model, train, test, meta, args)
    print(f"\nfinal test accuracy: {100 * info['test_acc']:.2f}% ({len(test[1]):,} test images), "
          f"{info['seconds_per_epoch']:.1f} s per training epoch")
    parts = ["python", "examples/03_train_mnist.py", "--dataset", args.dataset, "--model", args.model,
             "--epochs", str(args.epochs), "--seed", str(args.seed)]
    for flag, value in (("--limit", args.limit), ("--batch-size", args.batch_size), ("--lr", args.lr)):
        if value is not None:
            parts += [flag, str(value)]
    if args.quick:
        parts = ["python", "examples/03_train_mnist.py", "--quick", "--dataset", args.dataset]
    print("reproduce:", " ".join(map(shlex.quote, parts)))
    if args.out:
        meta = dict(meta, model=args.model, width=args.width, epochs=args.epochs, seed=args.seed,
                    test_acc=info["test_acc"])
        print(f"checkpoint written to {save_checkpoint(args.out, model.state_dict(), meta)}")
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    plot_curves(history, f"{args.model} CNN on {TITLES[args.dataset]}", out / "training_curves.png")


if __name__ == "__main__":
    main()
