"""A whole Fashion-MNIST epoch (train + test pass) of minisep's separable CNN against its torch twin.

    python benchmarks/epoch.py --data-dir ../shared/data/fashion-mnist      # real data (60,000 + 10,000)
    python benchmarks/epoch.py --limit 6000 --rounds 2                       # quicker
    python benchmarks/epoch.py --model standard

Each library runs in its own process (minisep.bench.epoch), in alternating rounds, with the same
batches, initial weights and thread count; compilation is timed apart. Without --data-dir (or when
the files are not there) random images of the same size are used: the times hold, the accuracy
means nothing. Target: minisep's epoch <= 0.6 of torch's (separable model).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

TARGET = {"separable": 0.6}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default=None, help="folder with the Fashion-MNIST IDX files (default: random data)")
    p.add_argument("--limit", type=int, default=None, help="train on the first N images only")
    p.add_argument("--model", default="separable", choices=("separable", "standard"))
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    for name in ("limit", "rounds", "threads"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            print(f"epoch.py: error: --{name} must be >= 1, got {getattr(args, name)}", file=sys.stderr)
            return 2
    from minisep.bench.isolated import spawn
    from minisep.bench.epoch import load
    real = args.data_dir is not None and load(args.data_dir, 10) is not None
    spec = {"data_dir": args.data_dir if real else None, "limit": args.limit, "model": args.model,
            "threads": args.threads, "seed": args.seed}
    try:
        import torch  # noqa: F401
        whos = ["minisep", "torch"]
    except ImportError:
        whos = ["minisep"]
    runs = {who: [] for who in whos}
    t0 = time.time()
    for r in range(args.rounds):
        for who in whos if r % 2 == 0 else whos[::-1]:
            print(f"epoch.py: round {r + 1}/{args.rounds}, {who}...", file=sys.stderr, flush=True)
            runs[who].append(spawn(dict(spec, who=who), module="minisep.bench.epoch"))
    data = "Fashion-MNIST" if real else "random 1x28x28 images (no --data-dir: timing only)"
    print(f"Epoch benchmark, {time.strftime('%Y-%m-%d %H:%M:%S %Z')}: {args.model} CNN, {data}, "
          f"{runs[whos[0]][0]['steps']} training batches of 128 + the test pass, {args.threads} threads, "
          f"{args.rounds} alternating rounds, each library in its own process; {time.time() - t0:.0f} s; "
          f"load average {os.getloadavg()[0]:.2f} at the end")
    print()
    print("| library | epoch s (median) | train s | test s | spread | compile s (apart) | mean train loss | test acc |")
    print("|---|---|---|---|---|---|---|---|")
    med = {}
    for who, rs in runs.items():
        e = [r["epoch_s"] for r in rs]
        med[who] = float(np.median(e))
        print(f"| {who} | {med[who]:.2f} | {np.median([r['train_s'] for r in rs]):.2f} | "
              f"{np.median([r['test_s'] for r in rs]):.2f} | {(max(e) - min(e)) / med[who]:.0%} | "
              f"{np.median([r['compile_s'] for r in rs]):.1f} | {rs[0]['mean_loss']:.4f} | {rs[0]['test_acc']:.2%} |")
    if "torch" in med:
        ratio, target = med["minisep"] / med["torch"], TARGET.get(args.model)
        verdict = "" if target is None else f", target ≤ {target:g}: " + (
            "met" if ratio <= target else f"MISSED by {ratio / target:.2f}x")
        print(f"\nratio minisep/torch: {ratio:.2f}{verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
