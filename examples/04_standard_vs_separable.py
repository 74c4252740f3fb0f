"""Standard vs separable convolution on real images: one table of parameters, mult-adds, test accuracy
and measured seconds per epoch, for the four variants of minisep.app.models.SmallCNN:

    standard            Conv2d 3x3 in every block
    separable           depthwise 3x3 then pointwise 1x1, nothing between (Keras SeparableConv2D)
    separable_relu      ReLU between the two halves (Xception paper, section 4.7, found this worse)
    separable_bn_relu   BatchNorm + ReLU between them (MobileNet)

All four have the same topology, initial seed, data order, optimizer and epochs (the same code as
`minisep compare`, which gives the same accuracies for the same options).

    python examples/04_standard_vs_separable.py                     # Fashion-MNIST, 5 epochs, all 60,000 images
    python examples/04_standard_vs_separable.py --epochs 2 --limit 20000
    python examples/04_standard_vs_separable.py --quick             # digits, 300 images, 1 epoch

Writes standard_vs_separable.png (in --out-dir) when matplotlib is installed.
"""
from __future__ import annotations

import argparse
import os
import shlex
from pathlib import Path

from minisep.app import experiment
from minisep.app.models import MODEL_NAMES

REPO = Path(__file__).resolve().parents[1]


def default_data_dir() -> str | None:
    """../shared/data next to the repository when it exists, else None (minisep's normal search)."""
    shared = REPO.parent / "shared" / "data"
    return str(shared) if shared.is_dir() else None


def format_table(rows: list[dict], args, n_train: int) -> str:
    base = rows[0]
    head = (f"{'model':<19}{'params':>9}{'x':>6}{'mult-adds':>12}{'x':>6}{'test acc':>10}"
            f"{'s/epoch':>9}{'img/s':>7}{'x':>6}")
    limit = f", first {n_train:,} training images (--limit)" if args.limit else f", {n_train:,} training images"
    lines = [f"{args.dataset}, {args.epochs} epoch(s){limit}, batch {args.batch_size}, {args.optimizer} "
             f"lr {args.lr if args.lr is not None else 'default'}, {args.schedule}, seed {args.seed}",
             f"(x = relative to {base['model']}; s/epoch = training time of one epoch, mean over epochs)",
             head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r['model']:<19}{r['params']:>9,}{r['params'] / base['params']:>6.2f}"
                     f"{r['mult_adds']:>12,}{r['mult_adds'] / base['mult_adds']:>6.2f}{100 * r['test_acc']:>9.2f}%"
                     f"{r['seconds_per_epoch']:>9.1f}{n_train / r['seconds_per_epoch']:>7.0f}"
                     f"{r['seconds_per_epoch'] / base['seconds_per_epoch']:>6.2f}")
    return "\n".join(lines)


def commands(args) -> tuple[str, str]:
    """(this script, the equivalent `minisep compare`) with every option that changes the numbers."""
    common = ["--dataset", args.dataset, "--epochs", str(args.epochs), "--seed", str(args.seed),
              "--optimizer", args.optimizer, "--schedule", args.schedule, "--width", f"{args.width:g}"]
    for flag, value in (("--limit", args.limit), ("--batch-size", args.batch_size), ("--lr", args.lr)):
        if value is not None:
            common += [flag, f"{value:g}" if isinstance(value, float) else str(value)]
    if args.weight_decay:
        common += ["--weight-decay", f"{args.weight_decay:g}"]
    data = ["--data-dir", os.path.relpath(args.data_dir)] if args.data_dir else []
    own = data if args.data_dir != default_data_dir() else []  # the script finds ../shared/data itself
    script = ["python", "examples/04_standard_vs_separable.py", *common, *own, "--models", args.models]
    cli = ["minisep", "compare", *common, *data, "--models", args.models, "--quiet"]
    return " ".join(map(shlex.quote, script)), " ".join(map(shlex.quote, cli))


def plot(rows: list[dict], args, path: Path) -> None:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: skipping plots (pip install matplotlib)")
        return
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4), constrained_layout=True)
    for r in rows:
        epochs = [h["epoch"] for h in r["history"]]
        ax1.plot(epochs, [100 * h["test_acc"] for h in r["history"]], marker="o", label=r["model"])
    ax1.set_xlabel("epoch")
    ax1.set_xticks([h["epoch"] for h in rows[0]["history"]])
    ax1.set_ylabel("test accuracy %")
    ax1.set_title(f"{args.dataset}: test accuracy")
    ax1.legend()
    names = [r["model"] for r in rows]
    ax2.bar(names, [r["seconds_per_epoch"] for r in rows], color="tab:gray")
    for k, r in enumerate(rows):
        ax2.text(k, r["seconds_per_epoch"], f"{r['mult_adds'] / 1e6:.2f}M\nmult-adds", ha="center", va="bottom", fontsize=8)
    ax2.set_ylabel("seconds per training epoch (measured)")
    ax2.set_title("fewer mult-adds is not the same as less time")
    ax2.tick_params(axis="x", labelrotation=15)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"wrote {path}")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="digits, 300 training images, 1 epoch (a smoke test)")
    p.add_argument("--dataset", choices=("fashion-mnist", "mnist", "digits"), default="fashion-mnist")
    p.add_argument("--data-dir", default=default_data_dir(), help="IDX folder (default: ../shared/data next to the repo "
                   "if it exists, else minisep's search: $MINISEP_DATA, the cache, a download)")
    p.add_argument("--no-download", action="store_true")
    p.add_argument("--models", default=",".join(MODEL_NAMES))
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--limit", type=int, default=None, help="train on the first N images only")
    p.add_argument("--batch-size", type=int, default=None, help="default: 32 for digits, 128 otherwise")
    p.add_argument("--lr", type=float, default=None, help="default: minisep's (5e-3 for Adam)")
    p.add_argument("--optimizer", choices=("adam", "adamw", "sgd"), default="adam")
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--schedule", choices=("cosine", "step", "none"), default="cosine")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--width", type=float, default=1.0)
    p.add_argument("--progress", action="store_true", help="show the per-batch progress bar")
    p.add_argument("--out-dir", default=".", help="where the PNG goes")
    p.add_argument("--json", default=None, help="also write the results to this JSON file")
    args = p.parse_args(argv)
    if args.quick:
        args.dataset, args.limit, args.epochs = "digits", 300, 1
    args.quiet = not args.progress  # the names experiment.train_one reads

    names = [n.strip() for n in args.models.split(",") if n.strip()]
    unknown = [n for n in names if n not in MODEL_NAMES]
    if unknown or not names:
        p.error(f"--models: unknown {unknown}; choose from {', '.join(MODEL_NAMES)}")
    try:
        train, test, meta = experiment.load_data(args.dataset, args.data_dir, not args.no_download, args.limit)
    except experiment.UserFacingError as e:
        raise SystemExit(f"04_standard_vs_separable: {e}")
    rows = []
    for name in names:
        print(f"\n--- {name}")
        _, _, info = experiment.train_one(name, train, test, meta, args)
        rows.append(info)
    print()
    print(format_table(rows, args, len(train[1])))
    script, cli = commands(args)
    print(f"\nreproduce this table: {script}")
    print(f"same accuracies from the CLI:  {cli}")
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    plot(rows, args, out / "standard_vs_separable.png")
    if args.json:
        experiment.write_json(args.json, {"dataset": args.dataset, "epochs": args.epochs, "limit": args.limit,
                                          "seed": args.seed, "rows": rows})
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
