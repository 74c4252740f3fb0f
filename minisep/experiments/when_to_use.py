"""Regenerate every table and figure of docs/when-to-use-separable-conv.md.

    python -m minisep.experiments.when_to_use --budget quick --out docs/results/ --doc docs/when-to-use-separable-conv.md
    python -m minisep.experiments.when_to_use --budget full --out docs/results/ --data-dir ../shared/data/mnist-5k \
        --fashion-dir ../shared/data/fashion-mnist

Writes OUT/BUDGET/NAME.json (every run, a stamp), NAME.md (the tables) and NAME.png (when matplotlib is
installed) for NAME in equal_cost_DATASET, width_sweep_DATASET, correlation and rank_DATASET (the functional
rank test, rank.py; ``--only rank`` runs it alone). Results are written after
every run; ``--resume`` keeps the runs of an interrupted call with the same config (else it starts afresh).

quick (about a minute on 2 cores; it proves the pipeline reproduces, it is too small to conclude anything):
       digits, first 400 training images and all 359 test images, width 0.5, 4 epochs, seeds 0-2,
       width sweep 0.25/0.5/1; correlation on 300/200 synthetic images, width 8, 3 epochs, seeds 0-2
       (at this size the nets stay near chance: 25%); the rank test on the same digits config, ranks 1-3 (~10 s).
full (a manual run, about an hour on 2 cores): digits (all 1,438 / 359), width 1, 10 epochs, seeds 0-4,
       width sweep 0.25-2; correlation on 3,000/1,000 images, width 16, 10 epochs, seeds 0-4;
       MNIST (the 5,000 training images of --data-dir, all 10,000 test), 4 epochs, seeds 0-2, when given;
       Fashion-MNIST (the first 3,000 training images, all 10,000 test), 4 epochs, seeds 0-2, equal cost only;
       the rank test on MNIST as above, ranks 1-3 (about 8 minutes), when --data-dir is given.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..app.experiment import UserFacingError, load_data
from . import correlation, equal_cost, rank, render
from .store import ResultFile

RHOS = [0.0, 0.25, 0.5, 0.75, 0.9]
BUDGETS = {
    "quick": {"digits": dict(limit=400, epochs=4, seeds=[0, 1, 2], width=0.5, widths=[0.25, 0.5, 1.0]),
              "correlation": dict(n_train=300, n_test=200, width=8, epochs=3, lr=0.01, batch_size=64,
                                  seeds=[0, 1, 2], rhos=RHOS, scales=[0.6, 1.6], scale_rho=0.5)},
    "full": {"digits": dict(limit=None, epochs=10, seeds=[0, 1, 2, 3, 4], width=1.0,
                            widths=[0.25, 0.5, 1.0, 2.0]),
             "correlation": dict(n_train=3000, n_test=1000, width=16, epochs=10, lr=0.01, batch_size=64,
                                 seeds=[0, 1, 2, 3, 4], rhos=RHOS, scales=[0.6, 1.6], scale_rho=0.5),
             "mnist": dict(limit=None, epochs=4, seeds=[0, 1, 2], width=1.0, widths=[0.25, 0.5, 1.0, 2.0]),
             "fashion-mnist": dict(limit=3000, epochs=4, seeds=[0, 1, 2], width=1.0)},  # no width sweep: time
}
# the functional rank test (rank.py): quick on the quick digits config, full on MNIST-5k as the full mnist part
BUDGETS["quick"]["rank"] = dict(dataset="digits", limit=400, epochs=4, seeds=[0, 1, 2], width=0.5, ranks=[1, 2, 3])
BUDGETS["full"]["rank"] = dict(dataset="mnist", limit=None, epochs=4, seeds=[0, 1, 2], width=1.0, ranks=[1, 2, 3])


def _dataset_config(part: str, cfg: dict, kind: str, data_dir) -> dict:
    """What a dataset experiment's JSON records as its config (enough to rerun any of its runs)."""
    base = {k: cfg[k] for k in ("limit", "epochs", "seeds")}
    base.update(dataset=part, data_dir=data_dir, lr=None)
    base.update(width=cfg["width"]) if kind == "equal_cost" else base.update(widths=cfg["widths"])
    return base


def load_part(config: dict):
    train, test, _ = load_data(config["dataset"], config.get("data_dir"), False, config["limit"])
    return train, test


def run_rank_part(out: Path, cfg: dict, dirs: dict, command, resume: bool, log) -> list[str]:
    """The functional rank test of one budget into OUT/BUDGET/rank_DATASET.json; [] when its data is missing."""
    dataset = cfg["dataset"]
    if dataset == "mnist" and dirs["mnist"] is None:
        log("  rank: skipped (no --data-dir with the 5,000-image MNIST subset)")
        return []
    config = rank.config(cfg, dirs[dataset])
    try:
        train, test = load_part(config)
    except (OSError, ValueError, UserFacingError) as e:  # not on this machine: say so, run the rest
        log(f"  rank: skipped ({e})")
        return []
    config.update(train_images=len(train[1]), test_images=len(test[1]))
    result = ResultFile(out, f"rank_{dataset}", config, command, resume)
    rank.run_rank(result, config, train, test, log)
    result.save()
    return [f"rank_{dataset}"]


def run_budget(budget: str, out: Path, data_dir=None, command=None, only=None, resume=False, log=print,
               fashion_dir=None) -> list[str]:
    """Run every experiment of ``budget`` into OUT/BUDGET/; returns the names of the result files written.

    ``data_dir``: the MNIST folder (the 5,000-image subset); ``fashion_dir``: where Fashion-MNIST is
    (None: minisep's usual search, without downloading)."""
    dirs = {"mnist": data_dir, "fashion-mnist": fashion_dir, "digits": None}
    if budget not in BUDGETS:
        raise ValueError(f"run_budget: budget must be one of {', '.join(BUDGETS)}, got {budget!r}")
    out = Path(out) / budget
    names = []
    for part, cfg in BUDGETS[budget].items():
        if only and part not in only:
            continue
        start = time.perf_counter()
        if part == "rank":
            names += run_rank_part(out, cfg, dirs, command, resume, log)
            log(f"{part}: {time.perf_counter() - start:.0f} s")
            continue
        if part == "correlation":
            result = ResultFile(out, "correlation", cfg, command, resume)
            correlation.run_correlation(result, cfg, log)
            result.save()
            names.append("correlation")
        else:
            if part == "mnist" and data_dir is None:
                log("  mnist: skipped (no --data-dir with the 5,000-image MNIST subset)")
                continue
            for kind in ("equal_cost", "width_sweep") if "widths" in cfg else ("equal_cost",):
                config = _dataset_config(part, cfg, kind, dirs[part])
                try:
                    train, test = load_part(config)
                except (OSError, ValueError) as e:  # not on this machine: say so, run the rest
                    log(f"  {part}: skipped ({e})")
                    break
                config.update(train_images=len(train[1]), test_images=len(test[1]))
                result = ResultFile(out, f"{kind}_{part}", config, command, resume)
                shape = tuple(train[0].shape[1:])
                lay = (equal_cost.equal_cost_layout(shape, cfg["width"]) if kind == "equal_cost"
                       else equal_cost.width_sweep_layout(cfg["widths"]))
                equal_cost.run_plan(result, lay, train, test, dataset=part, seeds=cfg["seeds"], epochs=cfg["epochs"],
                                    log=log)
                result.save()
                names.append(f"{kind}_{part}")
        log(f"{part}: {time.perf_counter() - start:.0f} s")
    for name in names:
        render.write_outputs(out, name)
    return names


def rerun(obj: dict, key: str, data_cache: dict | None = None) -> dict:
    """Train run ``key`` of the result ``obj`` (a loaded NAME.json) again, from its config alone."""
    cfg = obj["config"]
    if obj["kind"] == "correlation":
        args = dict(correlation.plan(cfg))[key]
        return correlation.one_run(cfg=cfg, **args)
    cache = data_cache if data_cache is not None else {}
    data_key = (cfg["dataset"], cfg.get("data_dir"), cfg["limit"])
    if data_key not in cache:
        cache[data_key] = load_part(cfg)
    train, test = cache[data_key]
    if obj["kind"] == "rank":
        return rank.one_run(cfg, train, test, **dict(rank.plan(cfg))[key])
    args = dict(equal_cost.plan(obj, cfg["seeds"]))[key]
    return equal_cost.train_run(train=train, test=test, epochs=cfg["epochs"], lr=cfg["lr"], dataset=cfg["dataset"],
                                **args)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m minisep.experiments.when_to_use", description=__doc__.splitlines()[0])
    p.add_argument("--budget", choices=tuple(BUDGETS), default="quick")
    p.add_argument("--out", default="docs/results", help="folder for BUDGET/NAME.{json,md,png}")
    p.add_argument("--data-dir", default=None, help="folder with the MNIST IDX files (full budget only)")
    p.add_argument("--fashion-dir", default=None, help="folder with the Fashion-MNIST IDX files (full budget; "
                   "default: minisep's usual search, no download)")
    p.add_argument("--only", default=None, help="comma-separated parts: correlation,digits,mnist,fashion-mnist,rank")
    p.add_argument("--resume", action="store_true", help="keep the runs of an interrupted call with the same config")
    p.add_argument("--doc", default=None, help="also regenerate this doc's tables between its result markers")
    p.add_argument("--render-only", action="store_true", help="train nothing: rewrite NAME.md/.png (and --doc) "
                   "from the JSON files already in OUT/BUDGET")
    args = p.parse_args(argv)
    command = ["python", "-m", "minisep.experiments.when_to_use"] + list(sys.argv[1:] if argv is None else argv)
    only = set(args.only.split(",")) if args.only else None
    if args.render_only:
        folder = Path(args.out) / args.budget
        for path in sorted(folder.glob("*.json")):
            render.write_outputs(folder, path.stem)
    else:
        start = time.perf_counter()
        run_budget(args.budget, Path(args.out), args.data_dir, command, only, args.resume,
                   fashion_dir=args.fashion_dir)
        print(f"{args.budget} budget: {time.perf_counter() - start:.0f} s; results in {Path(args.out) / args.budget}")
    if args.doc:
        render.update_doc(Path(args.doc), Path(args.out))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
