"""How far are the kernels of a trained STANDARD CNN from what a separable layer can express?

A separable layer (depthwise with multiplier m, then pointwise, nothing between) equals a standard
conv with W[o,c,i,j] = Σ_k P[o,c·m+k]·D[c·m+k,i,j], so for every input channel c the slice
W[:,c,:,:], read as an O×k² matrix, has rank ≤ m. Here we train the standard SmallCNN briefly,
take the SVD of every such slice of its 3x3 convs, and report the fraction of the slice's energy
(Σ σ²) in its top 1, 2, 3 singular values, averaged over c: 100% top-1 would mean the layer could
be replaced by a separable one with m = 1 without changing it at all. The same numbers for the
weights at initialisation (i.i.d. random) are the baseline, and those of W − W₀ show the part that
training added.

It also trains the separable twin on the same budget and draws its learned depthwise filters.

    python examples/06_kernel_rank_spectra.py                  # Fashion-MNIST, 2 epochs each
    python examples/06_kernel_rank_spectra.py --quick          # digits, 300 images, 1 epoch

Writes kernel_spectra.png and depthwise_filters.png (in --out-dir) when matplotlib is installed.
"""
from __future__ import annotations

import argparse
import shlex
from pathlib import Path

import numpy as np

from minisep import nn
from minisep.app import experiment
from minisep.app import models
from minisep.app.separability import slice_energy  # (C, min(O, kh·kw)) shares σ_r² / Σσ² per slice W[:,c,:,:]

REPO = Path(__file__).resolve().parents[1]


def default_data_dir() -> str | None:
    """../shared/data next to the repository when it exists, else None (minisep's normal search)."""
    shared = REPO.parent / "shared" / "data"
    return str(shared) if shared.is_dir() else None


def conv_weights(model) -> list[tuple[str, np.ndarray]]:
    """(name, W) of every 3x3 full conv (a SeparableConv2d with mid=None gives its equivalent W)."""
    out = []
    for name, m in model.named_modules():
        if isinstance(m, nn.Conv2d) and m.kernel_size == (3, 3):
            out.append((name, m.weight.data.copy()))
        elif isinstance(m, nn.SeparableConv2d) and m.mid_kind is None:
            out.append((name + " (equivalent W)", m.equivalent_conv_weight()))
    return out


def spectra_table(trained: list, initial: list) -> tuple[str, list[dict]]:
    """Top-1/2/3 energy fractions (mean over c) of the trained W, of W at init, and of what training added, W − W₀."""
    groups = (f"{'':<31}" + "".join(f"{g:^24}" for g in ("trained W", "at init (random)", "W - W0 (learned)"))).rstrip()
    head = (f"{'layer':<10}{'W shape':>15}{'slice':>6}" + "   top-1   top-2   top-3" * 3 + f"{'|W-W0|/|W0|':>13}")
    lines = ["mean over input channels c of the energy fraction in the top r singular values of the O×9 slice [:,c,:,:]",
             groups, head, "-" * len(head)]
    rows = []
    for (name, w), (_, w0) in zip(trained, initial):
        tops = [np.cumsum(slice_energy(a), axis=1).mean(axis=0) for a in (w, w0, w - w0)]
        moved = float(np.linalg.norm(w - w0) / np.linalg.norm(w0))
        rows.append({"layer": name, "shape": list(w.shape), "trained": tops[0].tolist(), "init": tops[1].tolist(),
                     "change": tops[2].tolist(), "relative_change": moved,
                     "trained_spectrum": slice_energy(w).mean(axis=0).tolist(),
                     "init_spectrum": slice_energy(w0).mean(axis=0).tolist(),
                     "change_spectrum": slice_energy(w - w0).mean(axis=0).tolist()})
        cells = "".join(f"{100 * v:>7.1f}%" for top in tops for v in top[:3])
        lines.append(f"{name:<10}{str(tuple(w.shape)):>15}{f'{w.shape[0]}x9':>6}{cells}{moved:>13.2f}")
    return "\n".join(lines), rows


def train(name: str, data, args):
    train_set, test_set, meta = data
    print(f"\n--- training {name}")
    model, history, info = experiment.train_one(name, train_set, test_set, meta, args)
    return model, info


def plots(rows: list[dict], sep_model, args) -> None:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: skipping plots (pip install matplotlib)")
        return
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(1, len(rows), figsize=(3.2 * len(rows), 3.2), constrained_layout=True, squeeze=False)
    for ax, r in zip(axes[0], rows):
        rank = np.arange(1, len(r["trained_spectrum"]) + 1)
        ax.plot(rank, r["trained_spectrum"], "o-", label="trained")
        ax.plot(rank, r["init_spectrum"], "s--", color="gray", label="at init (random)")
        ax.plot(rank, r["change_spectrum"], "^:", color="tab:orange", label="change W − W₀")
        ax.set_title(f"{r['layer']}  W{tuple(r['shape'])}", fontsize=9)
        ax.set_xlabel("singular value index r")
        ax.set_xticks(rank)
        ax.set_ylim(0, 1)
    axes[0][0].set_ylabel("σ_r² / Σσ²  (mean over input channels)")
    axes[0][0].legend()
    fig.suptitle(f"standard CNN on {args.dataset}: spectra of the per-input-channel slices W[:,c,:,:] (O×9)")
    fig.savefig(out / "kernel_spectra.png", dpi=110)
    plt.close(fig)
    print(f"wrote {out / 'kernel_spectra.png'}")
    if sep_model is None:
        return
    groups = [(name, m.weight.data[:, 0]) for name, m in sep_model.named_modules() if isinstance(m, nn.DepthwiseConv2d)]
    groups = [(n, w[:32]) for n, w in groups[:2]]  # the first two layers' filters, at most 32 each
    per_row = 16
    heights = [int(np.ceil(len(w) / per_row)) for _, w in groups]
    inches = [9 * (4 * h - 1) / (4 * per_row - 1) + 0.4 for h in heights]  # image height at 9 in wide + title
    fig, axes = plt.subplots(len(groups), 1, figsize=(9, sum(inches)), constrained_layout=True, squeeze=False,
                             gridspec_kw={"height_ratios": inches})
    for ax, (name, filters) in zip(axes[:, 0], groups):
        # tile the (F, 3, 3) filters, 16 per row, each scaled to its own max |value|, blank lines between
        F_, kh, kw = filters.shape
        rows = int(np.ceil(F_ / per_row))
        canvas = np.full((rows * (kh + 1) - 1, per_row * (kw + 1) - 1), np.nan)
        for f in range(F_):
            r, c = divmod(f, per_row)
            top, left = r * (kh + 1), c * (kw + 1)
            canvas[top:top + kh, left:left + kw] = filters[f] / (np.abs(filters[f]).max() + 1e-12)
        ax.imshow(canvas, cmap="RdBu_r", vmin=-1, vmax=1)
        ax.set_title(f"{name}: {F_} learned 3x3 filters, one per channel (each scaled to max |w| = 1; red +, blue -)",
                     fontsize=9)
        ax.axis("off")
    fig.savefig(out / "depthwise_filters.png", dpi=110)
    plt.close(fig)
    print(f"wrote {out / 'depthwise_filters.png'}")


def reproduce_command(args) -> str:
    parts = ["python", "examples/06_kernel_rank_spectra.py", "--dataset", args.dataset, "--epochs", str(args.epochs),
             "--seed", str(args.seed)]
    if args.limit:
        parts += ["--limit", str(args.limit)]
    if args.data_dir != default_data_dir():
        parts += ["--data-dir", str(args.data_dir)]
    return " ".join(map(shlex.quote, parts))


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="digits, 300 training images, 1 epoch (a smoke test)")
    p.add_argument("--dataset", choices=("fashion-mnist", "mnist", "digits"), default="fashion-mnist")
    p.add_argument("--data-dir", default=default_data_dir(), help="IDX folder (default: ../shared/data next to the repo "
                   "if it exists, else minisep's search)")
    p.add_argument("--no-download", action="store_true")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--limit", type=int, default=None, help="train on the first N images only")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-separable", action="store_true", help="skip training the separable twin (no filter plot)")
    p.add_argument("--out-dir", default=".", help="where the PNGs go")
    p.add_argument("--json", default=None, help="also write the spectra to this JSON file")
    args = p.parse_args(argv)
    if args.quick:
        args.dataset, args.limit, args.epochs = "digits", 300, 1
    # the training options experiment.train_one reads (minisep's defaults, as `minisep train`)
    args.batch_size, args.lr, args.optimizer, args.weight_decay, args.schedule = None, None, "adam", 0.0, "cosine"
    args.width, args.quiet = 1.0, True

    try:
        data = experiment.load_data(args.dataset, args.data_dir, not args.no_download, args.limit)
    except experiment.UserFacingError as e:
        raise SystemExit(f"06_kernel_rank_spectra: {e}")
    shape = tuple(data[2]["input_shape"])
    initial = conv_weights(models.build_model("standard", shape, rng=np.random.default_rng(args.seed)))
    standard, info = train("standard", data, args)
    text, rows = spectra_table(conv_weights(standard), initial)
    print(f"\nstandard CNN, {args.dataset}, {args.epochs} epoch(s): test accuracy {100 * info['test_acc']:.2f}%\n")
    print(text)
    print("\n(a separable layer with m = 1 has 100% in top-1 by construction; init = the same layers before training)")

    sep_model = None
    if not args.no_separable:
        sep_model, sep_info = train("separable", data, args)
        check = [100 * slice_energy(w)[:, 0].mean() for name, w in conv_weights(sep_model)
                 if name.endswith("(equivalent W)")]
        print(f"\nseparable twin: test accuracy {100 * sep_info['test_acc']:.2f}%; top-1 energy of its equivalent W "
              f"per layer: {', '.join(f'{v:.1f}%' for v in check)} (rank 1, as the algebra says)")
    print("\nreproduce:", reproduce_command(args))
    plots(rows, sep_model, args)
    if args.json:
        experiment.write_json(args.json, {"dataset": args.dataset, "epochs": args.epochs, "limit": args.limit,
                                          "test_acc": info["test_acc"], "layers": rows})
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
