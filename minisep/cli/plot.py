"""CLI verb `plot`: loss and accuracy per epoch of one or several runs (`train --metrics-json` files)."""

from __future__ import annotations

import json
from pathlib import Path

from .common import Formatter, UserFacingError, check_output_path

PLOT_MISSING = "matplotlib is not installed: pip install 'minisep[plot]'"


def load_run(path) -> tuple[str, list[dict]]:
    """(label, history) of a metrics JSON written by `minisep train --metrics-json`."""
    try:
        record = json.loads(Path(path).read_text())
        history = record["history"]
        rows = [{k: float(h[k]) for k in ("epoch", "train_loss", "test_loss", "train_acc", "test_acc")}
                for h in history]
    except OSError as e:
        raise UserFacingError(f"cannot read {path} ({e.strerror})") from None
    except (ValueError, KeyError, TypeError) as e:
        raise UserFacingError(f"{path} is not a metrics file of `minisep train --metrics-json` ({e!r})") from None
    config = record.get("config") or {}
    label = f"{Path(path).stem}: {config.get('model', record.get('model', '?'))}"
    return label, rows


def plot_runs(paths, out) -> Path:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise UserFacingError(PLOT_MISSING) from None
    runs = [load_run(p) for p in paths]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    for label, rows in runs:
        epochs = [r["epoch"] for r in rows]
        for ax, key, scale in ((ax_loss, "loss", 1), (ax_acc, "acc", 100)):
            line, = ax.plot(epochs, [scale * r[f"train_{key}"] for r in rows], "--", label=f"{label} train")
            ax.plot(epochs, [scale * r[f"test_{key}"] for r in rows], "-", color=line.get_color(), label=f"{label} test")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy", title="loss")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", title="accuracy")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    from ..data._atomic import atomic_output
    with atomic_output(out) as f:
        fig.savefig(f, format=Path(out).suffix.lstrip(".") or "png", dpi=120)
    plt.close(fig)
    return Path(out)


def _plot(args) -> int:
    check_output_path(args.out, "--out")
    path = plot_runs(args.runs, args.out)
    print(f"wrote {path}")
    return 0


def register(sub) -> None:
    p = sub.add_parser("plot", help="plot loss and accuracy per epoch of runs (needs the 'plot' extra)",
                       formatter_class=Formatter)
    p.add_argument("runs", nargs="+", metavar="RUN.json", help="metrics files of `minisep train --metrics-json`")
    p.add_argument("--out", default="curves.png", help="image to write (.png, .pdf or .svg)")
    p.set_defaults(func=_plot)
