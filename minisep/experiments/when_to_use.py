"""Regenerate every table and figure of docs/when-to-use-separable-conv.md.

    python -m minisep.experiments.when_to_use --budget quick --out docs/results/      # < 1 min, in the tests
    python -m minisep.experiments.when_to_use --budget full --out docs/results/ --data-dir ../shared/data/mnist-5k

Writes OUT/BUDGET/NAME.json (every run, a stamp), NAME.md (the tables) and NAME.png (matplotlib
optional). Results are written after every run and an interrupted call resumes where it stopped.

quick: digits (first 400 training images, all 359 test), width 0.5, 4 epochs, seeds 0-2; the
       correlation sweep on 600/400 synthetic images, width 8, 4 epochs, seeds 0-2.
full:  digits (all 1,438 / 359), width 1, 10 epochs, seeds 0-4, and widths 0.25-2;
       the correlation sweep on 3,000/1,000 images, width 16, 12 epochs, lr 0.01, seeds 0-4;
       MNIST (5,000 training images from --data-dir, all 10,000 test), 4 epochs, seeds 0-2, when given.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..app.experiment import load_data
from . import render
from .correlation import run_correlation
from .equal_cost import run_equal_cost, run_width_sweep
from .store import ResultFile

BUDGETS = {
    "quick": {"digits": dict(limit=400, epochs=4, seeds=[0, 1, 2], width=0.5, widths=[0.25, 0.5, 1.0]),
              "correlation": dict(n_train=600, n_test=400, width=8, epochs=4, lr=0.01, seeds=[0, 1, 2],
                                  rhos=[0.0, 0.25, 0.5, 0.75, 0.9])},
    "full": {"correlation": dict(n_train=3000, n_test=1000, width=16, epochs=12, lr=0.01, seeds=[0, 1, 2, 3, 4],
                                 rhos=[0.0, 0.25, 0.5, 0.75, 0.9]),
             "digits": dict(limit=None, epochs=10, seeds=[0, 1, 2, 3, 4], width=1.0, widths=[0.25, 0.5, 1.0, 2.0]),
             "mnist": dict(limit=None, epochs=4, seeds=[0, 1, 2], width=1.0, widths=[0.25, 0.5, 1.0, 2.0])},
}


def run_budget(budget: str, out: Path, data_dir=None, command=None, only=None, log=print) -> list[str]:
    """Run (or resume) every experiment of ``budget``; returns the names of the result files written."""
    if budget not in BUDGETS:
        raise ValueError(f"run_budget: budget must be one of {', '.join(BUDGETS)}, got {budget!r}")
    out = Path(out) / budget
    names = []
    for part, cfg in BUDGETS[budget].items():
        if only and part not in only:
            continue
        start = time.perf_counter()
        if part == "correlation":
            result = ResultFile(out, "correlation", cfg, command)
            run_correlation(result, cfg, log)
            result.save()
            names.append("correlation")
        else:
            if part == "mnist" and data_dir is None:
                log("  mnist: skipped (no --data-dir with the 5,000-image MNIST subset)")
                continue
            train, test, meta = load_data(part, data_dir if part == "mnist" else None, False, cfg["limit"])
            sizes = {"train_images": len(train[1]), "test_images": len(test[1])}
            for kind in ("equal_cost", "width_sweep"):
                result = ResultFile(out, f"{kind}_{part}", dict(cfg, dataset=part, **sizes), command)
                fn = run_equal_cost if kind == "equal_cost" else run_width_sweep
                extra = dict(width=cfg["width"]) if kind == "equal_cost" else dict(widths=cfg["widths"])
                fn(result, train, test, dataset=part, seeds=cfg["seeds"], epochs=cfg["epochs"], log=log, **extra)
                result.save()
                names.append(f"{kind}_{part}")
        log(f"{part}: {time.perf_counter() - start:.0f} s")
    for name in names:
        render.write_outputs(out, name)
    return names


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m minisep.experiments.when_to_use", description=__doc__.splitlines()[0])
    p.add_argument("--budget", choices=tuple(BUDGETS), default="quick")
    p.add_argument("--out", default="docs/results", help="folder for BUDGET/NAME.{json,md,png}")
    p.add_argument("--data-dir", default=None, help="folder with the MNIST IDX files (full budget only)")
    p.add_argument("--only", default=None, help="comma-separated parts: correlation,digits,mnist")
    p.add_argument("--doc", default=None, help="also regenerate this doc's tables between its result markers")
    args = p.parse_args(argv)
    command = ["python", "-m", "minisep.experiments.when_to_use"] + list(sys.argv[1:] if argv is None else argv)
    only = set(args.only.split(",")) if args.only else None
    run_budget(args.budget, Path(args.out), args.data_dir, command, only)
    if args.doc:
        render.update_doc(Path(args.doc), Path(args.out))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
