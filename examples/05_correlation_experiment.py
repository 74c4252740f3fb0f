"""The correlation experiment: does separable convolution keep up with a standard one when the
spatial and the cross-channel correlations of the images are dialled separately?

The images come from minisep.data.synthetic (read its docstring for the design): 3-channel 16x16
images, background fields smoothed over `length` pixels (the SPATIAL knob), channels mixed to
correlation `rho` (the CROSS-CHANNEL knob), and a class given by the signs of three channel-specific
Gabor patches at one random place. For every (length, rho) on the grid, a standard CNN and its
separable twin (same topology, same initial seed, same data, same budget) are trained and tested.

    python examples/05_correlation_experiment.py            # the 4x3 grid of the docs, 2 seeds (~9 min)
    python examples/05_correlation_experiment.py --quick    # 2 grid points, tiny data: a smoke test
    python examples/05_correlation_experiment.py --lengths 1 --rhos 0,0.9 --first-layer standard

Writes correlation_grid.png (in --out-dir) when matplotlib is installed.
See docs/when-to-use-separable-conv.md, section 3, for the results and what they mean.
"""
from __future__ import annotations

import argparse
import shlex
import time
from pathlib import Path

import numpy as np

from minisep import nn, optim
from minisep.data import synthetic
from minisep.app.experiment import write_json
from minisep.teach.summary import cost
from minisep.app.train import fit

KINDS = ("standard", "separable")


def conv(kind: str, c_in: int, c_out: int, rng) -> nn.Module:
    """A 3x3 'same' conv: full, or Keras-style separable (depthwise then pointwise, nothing between)."""
    if kind == "standard":
        return nn.Conv2d(c_in, c_out, 3, padding=1, bias=False, rng=rng)
    return nn.SeparableConv2d(c_in, c_out, 3, padding=1, bias=False, rng=rng)


def build_net(kind: str, channels: int, classes: int, width: int, rng, first_layer: str = "same") -> nn.Sequential:
    """conv-BN-ReLU-pool, conv-BN-ReLU-pool, conv-BN-ReLU, global average pool, Linear.

    16x16 -> 8x8 -> 4x4. first_layer='standard' keeps the first conv full in both nets (as MobileNet
    and minisep.app.models do); 'same' (default) swaps every conv, because only the first layer sees the
    raw input whose correlations the grid dials.
    """
    first = "standard" if first_layer == "standard" else kind
    w = width
    return nn.Sequential(
        conv(first, channels, w, rng), nn.BatchNorm2d(w), nn.ReLU(), nn.MaxPool2d(2),
        conv(kind, w, 2 * w, rng), nn.BatchNorm2d(2 * w), nn.ReLU(), nn.MaxPool2d(2),
        conv(kind, 2 * w, 2 * w, rng), nn.BatchNorm2d(2 * w), nn.ReLU(),
        nn.GlobalAvgPool2d(), nn.Linear(2 * w, classes, rng=rng))


def train_and_test(kind: str, train, test, classes: int, seed: int, args) -> dict:
    model = build_net(kind, train[0].shape[1], classes, args.width, np.random.default_rng(seed), args.first_layer)
    opt = optim.Adam(model.parameters(), lr=args.lr)
    sched = optim.CosineLR(opt, T_max=args.epochs)
    history = fit(model, opt, train, test, epochs=args.epochs, batch_size=args.batch_size, seed=seed + 1,
                  scheduler=sched, progress=False, log=(lambda *a: None) if not args.verbose else print)
    return {"test_acc": history[-1].test_acc, "curve": [h.test_acc for h in history],
            "seconds_per_epoch": float(np.mean([h.seconds for h in history]))}


def warm_up(nets, args) -> None:
    """One step of each net on 32 images, so numba's one-time kernel loading is not timed as an epoch."""
    x, y = synthetic.make_correlated_images(32, length=1.0, rho=0.0, rng=np.random.default_rng(0), size=args.size)
    for net in nets:
        fit(net, optim.Adam(net.parameters(), lr=args.lr), (x, y), (x, y), epochs=1, batch_size=32, seed=0,
            progress=False, log=lambda *a: None)


def grid_point(length: float, rho: float, seed: int, args) -> dict:
    """Both nets on one (length, rho) with one seed: the same data (keyed by the values, so every run that
    has this point draws the same images) and the same initial seed."""
    rng = np.random.default_rng([seed, round(1000 * length), round(1000 * rho)])
    make = dict(length=length, rho=rho, rng=rng, amplitude=args.amplitude, size=args.size)
    train = synthetic.make_correlated_images(args.n_train, **make)
    test = synthetic.make_correlated_images(args.n_test, **make)
    classes = len(synthetic.class_codes(train[0].shape[1]))
    corr = synthetic.channel_correlation(train[0])
    point = {"spatial_corr": synthetic.spatial_correlation(train[0]),
             "channel_corr": float(corr[~np.eye(len(corr), dtype=bool)].mean())}
    for kind in KINDS:
        point[kind] = train_and_test(kind, train, test, classes, seed, args)
    return point


def run_grid(args) -> list[dict]:
    """One row per (length, rho): each seed's results, and the means over seeds."""
    rows = []
    for length in args.lengths:
        for rho in args.rhos:
            start = time.perf_counter()
            runs = [grid_point(length, rho, seed, args) for seed in args.seeds]
            row = {"length": length, "rho": rho, "seeds": list(args.seeds), "runs": runs,
                   "measured_spatial_corr": float(np.mean([r["spatial_corr"] for r in runs])),
                   "measured_channel_corr": float(np.mean([r["channel_corr"] for r in runs]))}
            for kind in KINDS:
                row[kind] = {key: float(np.mean([r[kind][key] for r in runs])) for key in ("test_acc", "seconds_per_epoch")}
            row["diffs"] = [r["separable"]["test_acc"] - r["standard"]["test_acc"] for r in runs]
            rows.append(row)
            print(f"length {length:g}, rho {rho:g}: standard {100 * row['standard']['test_acc']:5.1f}%  "
                  f"separable {100 * row['separable']['test_acc']:5.1f}%  "
                  f"(mean of {len(runs)} seed(s), {time.perf_counter() - start:.0f} s)", flush=True)
    return rows


def format_table(rows: list[dict]) -> str:
    head = (f"{'length':>7}{'rho':>6}{'corr(lag 1)':>13}{'corr(chan)':>12}"
            f"{'standard':>10}{'separable':>11}{'sep - std':>11}   {'per seed':<16}{'s/epoch std':>12}{'sep':>6}")
    lines = [head, "-" * len(head)]
    for r in rows:
        s, p = r["standard"], r["separable"]
        per_seed = "/".join(f"{100 * d:+.1f}" for d in r["diffs"])
        lines.append(f"{r['length']:>7g}{r['rho']:>6g}"
                     f"{r['measured_spatial_corr']:>13.2f}{r['measured_channel_corr']:>12.2f}"
                     f"{100 * s['test_acc']:>9.1f}%{100 * p['test_acc']:>10.1f}%"
                     f"{100 * (p['test_acc'] - s['test_acc']):>+10.1f}   {per_seed:<16}{s['seconds_per_epoch']:>12.2f}"
                     f"{p['seconds_per_epoch']:>6.2f}")
    return "\n".join(lines)


def format_difference_grid(rows: list[dict], lengths, rhos) -> str:
    """The separable - standard accuracy difference (points) as a length x rho matrix."""
    diff = {(r["length"], r["rho"]): 100 * (r["separable"]["test_acc"] - r["standard"]["test_acc"]) for r in rows}
    lines = ["separable - standard (accuracy points); rows: length, columns: rho",
             f"{'':>8}" + "".join(f"{'rho=' + format(rho, 'g'):>10}" for rho in rhos)]
    for length in lengths:
        lines.append(f"{'len=' + format(length, 'g'):>8}" + "".join(f"{diff[(length, rho)]:>+10.1f}" for rho in rhos))
    return "\n".join(lines)


def plot(rows: list[dict], args, path: Path) -> None:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: skipping plots (pip install matplotlib)")
        return
    L, R = len(args.lengths), len(args.rhos)
    acc = {k: np.array([100 * r[k]["test_acc"] for r in rows]).reshape(L, R) for k in KINDS}
    panels = [("standard", acc["standard"], "viridis", (25, 100)), ("separable", acc["separable"], "viridis", (25, 100)),
              ("separable - standard", acc["separable"] - acc["standard"], "RdBu", (-30, 30))]
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.8), constrained_layout=True)
    for ax, (title, m, cmap, (lo, hi)) in zip(axes, panels):
        im = ax.imshow(m, cmap=cmap, vmin=lo, vmax=hi, origin="lower", aspect="auto")
        for (i, j), v in np.ndenumerate(m):
            ax.text(j, i, f"{v:+.1f}" if "-" in title else f"{v:.1f}", ha="center", va="center",
                    color="black" if "-" in title or v > 60 else "white")
        ax.set_xticks(range(R), [f"{r:g}" for r in args.rhos])
        ax.set_yticks(range(L), [f"{v:g}" for v in args.lengths])
        ax.set_xlabel("cross-channel correlation rho")
        ax.set_ylabel("spatial smoothing length (px)")
        ax.set_title(title + (" (points)" if "-" in title else " test accuracy %"))
        fig.colorbar(im, ax=ax, shrink=0.8)
    fig.suptitle(f"synthetic {args.size}x{args.size}x3, {args.n_train} train / {args.n_test} test, "
                 f"{args.epochs} epochs, mean of {len(args.seeds)} seed(s), first layer: {args.first_layer}")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"wrote {path}")


def floats(text: str) -> list[float]:
    return [float(v) for v in text.split(",") if v.strip()]


def ints(text: str) -> list[int]:
    return [int(v) for v in text.split(",") if v.strip()]


def reproduce_command(args) -> str:
    parts = ["python", "examples/05_correlation_experiment.py",
             "--lengths", ",".join(f"{v:g}" for v in args.lengths), "--rhos", ",".join(f"{v:g}" for v in args.rhos),
             "--n-train", str(args.n_train), "--n-test", str(args.n_test), "--epochs", str(args.epochs),
             "--width", str(args.width), "--lr", f"{args.lr:g}", "--batch-size", str(args.batch_size),
             "--amplitude", f"{args.amplitude:g}", "--seeds", ",".join(map(str, args.seeds)),
             "--first-layer", args.first_layer]
    return " ".join(shlex.quote(p) for p in parts)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="2 grid points, 256 images, 1 epoch (a smoke test)")
    p.add_argument("--lengths", type=floats, default=[0.0, 0.5, 1.0, 2.0], help="spatial smoothing lengths, px")
    p.add_argument("--rhos", type=floats, default=[0.0, 0.5, 0.9], help="cross-channel correlations")
    p.add_argument("--n-train", type=int, default=3000)
    p.add_argument("--n-test", type=int, default=1000)
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--width", type=int, default=16, help="channels of the first conv (then 2x, 2x)")
    p.add_argument("--lr", type=float, default=1e-2, help="Adam learning rate (cosine schedule)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--amplitude", type=float, default=3.0, help="L2 norm of each channel's pattern")
    p.add_argument("--size", type=int, default=16, help="image size (square)")
    p.add_argument("--seeds", type=ints, default=[0, 1], help="seeds (data and initial weights); results are averaged")
    p.add_argument("--first-layer", choices=("same", "standard"), default="same",
                   help="'standard': keep the first conv full in both nets")
    p.add_argument("--out-dir", default=".", help="where the PNG goes")
    p.add_argument("--json", default=None, help="also write the results to this JSON file")
    p.add_argument("--verbose", action="store_true", help="print every epoch")
    args = p.parse_args(argv)
    if args.quick:
        args.lengths, args.rhos, args.n_train, args.n_test, args.epochs, args.width = [1.0], [0.0, 0.9], 256, 256, 1, 8
        args.seeds = [0]

    probe = [build_net(k, 3, 4, args.width, np.random.default_rng(0), args.first_layer) for k in KINDS]
    for kind, net in zip(KINDS, probe):
        params, madds = cost(net, (3, args.size, args.size))
        print(f"{kind:>9} net: {params:,} parameters, {madds:,} mult-adds per image")
    print(f"grid: lengths {args.lengths} x rhos {args.rhos}; {args.n_train} train / {args.n_test} test images "
          f"per point, {args.epochs} epochs, Adam lr {args.lr:g} cosine, batch {args.batch_size}, seeds {args.seeds}\n")
    warm_up(probe, args)
    rows = run_grid(args)
    print()
    print(format_table(rows))
    print()
    print(format_difference_grid(rows, args.lengths, args.rhos))
    print("\n(accuracies: means over the seeds; test sets of %d images, so one standard error of one accuracy "
          "is about %.1f points at 85%%)" % (args.n_test, 100 * np.sqrt(0.85 * 0.15 / args.n_test)))
    print("reproduce this table:", reproduce_command(args))
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    plot(rows, args, out / "correlation_grid.png")
    if args.json:
        write_json(args.json, {"args": vars(args), "rows": rows})  # atomic: temp file + rename
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
