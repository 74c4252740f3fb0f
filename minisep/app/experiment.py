"""What the CLI commands do: load data, build models, train, evaluate, compare. Returns plain dicts."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from .. import optim
from . import models
from ..teach.summary import cost, summary
from .checkpoint import load_checkpoint, save_checkpoint
from ..data import DatasetNotFoundError, load_dataset, mean_std, normalize
from ..data._atomic import atomic_write_bytes
from .train import NonFiniteLossError, evaluate, fit


class UserFacingError(RuntimeError):
    """An error the CLI prints as one clear message (no traceback)."""


def load_split(dataset: str, split: str, data_dir=None, download: bool = True):
    try:
        return load_dataset(dataset, split, data_dir=data_dir, download=download)
    except DatasetNotFoundError as e:
        raise UserFacingError(str(e)) from None


def load_data(dataset: str, data_dir=None, download: bool = True, limit: int | None = None):
    """(train, test, meta): normalised float32 arrays and the normalisation used (from the train split)."""
    x_train, y_train = load_split(dataset, "train", data_dir, download)
    x_test, y_test = load_split(dataset, "test", data_dir, download)
    if limit is not None:
        if limit < 1:
            raise UserFacingError(f"--limit must be >= 1, got {limit}")
        x_train, y_train = x_train[:limit], y_train[:limit]
    mean, std = mean_std(x_train)
    meta = {"dataset": dataset, "input_shape": list(x_train.shape[1:]), "num_classes": 10,
            "mean": [float(v) for v in mean], "std": [float(v) for v in std]}
    return (normalize(x_train, mean, std), y_train), (normalize(x_test, mean, std), y_test), meta


def make_optimizer(model, name: str, lr: float | None, weight_decay: float = 0.0):
    """Adam/AdamW/SGD with two parameter groups: decay on conv/linear weights only.

    Depthwise filters (few parameters each, as MobileNet advises), biases and BatchNorm get no decay.
    """
    lr = lr if lr is not None else (0.05 if name == "sgd" else 5e-3)
    decay, no_decay = [], []
    for pname, p in model.named_parameters():
        is_depthwise = p.ndim == 4 and p.shape[1] == 1 and "depthwise" in pname
        (decay if p.ndim > 1 and not is_depthwise else no_decay).append(p)
    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    groups = [g for g in groups if g["params"]]
    if name == "sgd":
        return optim.SGD(groups, lr=lr, momentum=0.9, nesterov=True)
    if name == "adamw":
        return optim.AdamW(groups, lr=lr)
    return optim.Adam(groups, lr=lr)


def make_scheduler(optimizer, schedule: str, epochs: int):
    if schedule == "cosine":
        return optim.CosineLR(optimizer, T_max=max(epochs, 1))
    if schedule == "step":
        return optim.StepLR(optimizer, step_size=max(epochs // 3, 1), gamma=0.1)
    return None


def kernels_cache_is_warm() -> bool:
    """True when numba has cached compiled kernels (so no compile pause at the first batch)."""
    import os

    # numba writes its cache beside the source, or only under $NUMBA_CACHE_DIR when that is set
    custom = os.environ.get("NUMBA_CACHE_DIR")
    root = Path(custom) if custom else Path(__file__).parent / "kernels" / "__pycache__"
    return root.exists() and any(root.rglob("*.nbi"))


def default_batch_size(dataset: str) -> int:
    """Small data (1,438 digits) needs more, smaller steps per epoch than 60,000 MNIST images."""
    return 32 if dataset == "digits" else 128


def train_one(model_name: str, train, test, meta: dict, args, log=print) -> tuple:
    """Build ``model_name``, train it with the budget in ``args``; returns (model, history, info)."""
    if args.batch_size is None:
        args.batch_size = default_batch_size(meta["dataset"])
    model = models.build_model(model_name, input_shape=tuple(meta["input_shape"]), num_classes=meta["num_classes"],
                               rng=np.random.default_rng(args.seed), width=args.width)
    optimizer = make_optimizer(model, args.optimizer, args.lr, args.weight_decay)
    scheduler = make_scheduler(optimizer, args.schedule, args.epochs)
    if not kernels_cache_is_warm():  # checked before cost(), whose forward pass compiles the kernels
        log("compiling the numba kernels once (cached for later runs; this takes a few seconds)...")
    params, mult_adds = cost(model, tuple(meta["input_shape"]))
    log(f"{model_name}: {params:,} parameters, {mult_adds:,} mult-adds per image; "
        f"{len(train[1]):,} training / {len(test[1]):,} test images")
    try:
        history = fit(model, optimizer, train, test, epochs=args.epochs, batch_size=args.batch_size,
                      seed=args.seed + 1, scheduler=scheduler, progress=not args.quiet, log=log)
    except NonFiniteLossError as e:
        raise UserFacingError(str(e)) from None
    info = {"model": model_name, "params": params, "mult_adds": mult_adds,
            "test_acc": history[-1].test_acc if history else float("nan"),
            "seconds_per_epoch": float(np.mean([h.seconds for h in history])) if history else float("nan"),
            "history": [h.as_dict() for h in history]}
    return model, history, info


def run_train(args, log=print) -> dict:
    if args.epochs < 1 or (args.batch_size is not None and args.batch_size < 1):
        raise UserFacingError(f"--epochs and --batch-size must be >= 1, got {args.epochs} and {args.batch_size}")
    train, test, meta = load_data(args.dataset, args.data_dir, not args.no_download, args.limit)
    model, history, info = train_one(args.model, train, test, meta, args, log)
    log(f"final test accuracy: {100 * info['test_acc']:.2f}%")
    if args.out:
        meta = dict(meta, model=args.model, width=args.width, epochs=args.epochs, seed=args.seed,
                    test_acc=info["test_acc"])
        path = save_checkpoint(args.out, model.state_dict(), meta)
        log(f"checkpoint written to {path}")
    return dict(info, dataset=args.dataset, seed=args.seed)


def run_evaluate(args, log=print) -> dict:
    try:
        state, meta = load_checkpoint(args.checkpoint)
    except (FileNotFoundError, ValueError) as e:
        raise UserFacingError(str(e)) from None
    if "model" not in meta:
        raise UserFacingError(f"{args.checkpoint} has no model description; was it written by `minisep train --out`?")
    dataset = args.dataset or meta["dataset"]
    model = models.build_model(meta["model"], input_shape=tuple(meta["input_shape"]), num_classes=meta["num_classes"],
                               rng=np.random.default_rng(0), width=meta.get("width", 1.0))
    try:
        model.load_state_dict(state, strict=True)
    except ValueError as e:
        raise UserFacingError(f"checkpoint {args.checkpoint} does not fit model {meta['model']!r}: {e}") from None
    x_test, y_test = load_split(dataset, "test", args.data_dir, not args.no_download)
    if list(x_test.shape[1:]) != meta["input_shape"]:
        raise UserFacingError(f"the checkpoint expects inputs {meta['input_shape']}, {dataset} has {list(x_test.shape[1:])}")
    x_test = normalize(x_test, meta["mean"], meta["std"])  # the training set's statistics, saved in the checkpoint
    loss, acc = evaluate(model, x_test, y_test)
    log(f"{meta['model']} on {dataset} test: loss {loss:.4f}, accuracy {100 * acc:.2f}% ({len(y_test)} images)")
    return {"loss": loss, "accuracy": acc}


def run_summary(args) -> str:
    shape = (1, 8, 8) if args.dataset == "digits" else (1, 28, 28)
    model = models.build_model(args.model, input_shape=shape, num_classes=10, rng=np.random.default_rng(0),
                               width=args.width)
    return summary(model, shape)


def run_compare(args, log=print) -> dict:
    """Train every model of ``--models`` once per seed of ``--seeds`` (same seed = same data order and initial
    weights); summarise mean ± sd per model and the paired difference to the first (reference) model."""
    from ..experiments import stats
    from ..experiments.runner import warm_up

    names = [n.strip() for n in args.models.split(",") if n.strip()]
    unknown = [n for n in names if n not in models.MODEL_NAMES]
    if unknown or not names:
        raise UserFacingError(f"--models: unknown {unknown}; choose from {', '.join(models.MODEL_NAMES)}")
    seeds_text = getattr(args, "seeds", None)
    try:
        seeds = stats.parse_seeds(seeds_text) if seeds_text is not None else [args.seed]
    except ValueError as e:
        raise UserFacingError(str(e)) from None
    train, test, meta = load_data(args.dataset, args.data_dir, not args.no_download, args.limit)
    if args.batch_size is None:
        args.batch_size = default_batch_size(meta["dataset"])
    runs, compile_seconds = [], {}
    for name in names:
        # compile (or load numba's cache) once, apart, so no epoch time includes it
        compile_seconds[name] = warm_up(name, tuple(meta["input_shape"]), args.width, args.batch_size)
        for seed in seeds:
            args.seed = seed
            start = time.perf_counter()
            _, _, info = train_one(name, train, test, meta, args, log)
            info.update(seed=seed, wall_seconds=time.perf_counter() - start)
            runs.append(info)
    summary = summarize_compare(runs, names, seeds)
    log("")
    log(format_compare_table(summary, args, seeds))
    return {"dataset": args.dataset, "epochs": args.epochs, "seeds": seeds, "reference": names[0],
            "train_images": len(train[1]), "test_images": len(test[1]), "compile_seconds": compile_seconds,
            "summary": summary, "runs": runs}


def summarize_compare(runs: list[dict], names: list[str], seeds: list[int]) -> list[dict]:
    """Per model: params, mult-adds, accuracy mean/sd, s/epoch mean, paired difference to names[0] (95% CI)."""
    from ..experiments import stats

    by = {(r["model"], r["seed"]): r for r in runs}
    ref = [by[(names[0], s)]["test_acc"] for s in seeds]
    rows = []
    for name in names:
        accs = [by[(name, s)]["test_acc"] for s in seeds]
        first = by[(name, seeds[0])]
        rows.append({"model": name, "params": first["params"], "mult_adds": first["mult_adds"],
                     "acc": stats.summarize(accs),
                     "seconds_per_epoch": stats.mean(by[(name, s)]["seconds_per_epoch"] for s in seeds),
                     "diff": stats.paired(accs, ref)})
    return rows


def format_compare_table(summary: list[dict], args, seeds: list[int]) -> str:
    from ..experiments import stats

    ref = summary[0]["model"]
    head = (f"{'model':<20}{'params':>10}{'mult-adds':>12}{'test acc (mean ± sd)':>22}"
            f"{'diff to ' + ref + ' [95% CI]':>34}{'s/epoch':>9}")
    lines = [f"{args.dataset}, {args.epochs} epoch(s), batch {args.batch_size}, {args.optimizer}, "
             f"seeds {','.join(map(str, seeds))} (paired by seed; s/epoch excludes compilation)",
             head, "-" * len(head)]
    for r in summary:
        acc = f"{100 * r['acc']['mean']:.2f} ± {100 * r['acc']['sd']:.2f}"
        diff = "reference" if r["model"] == ref else stats.fmt_diff(r["diff"])
        lines.append(f"{r['model']:<20}{r['params']:>10,}{r['mult_adds']:>12,}{acc:>22}{diff:>34}"
                     f"{r['seconds_per_epoch']:>9.2f}")
    return "\n".join(lines)


def write_json(path, obj) -> None:
    atomic_write_bytes(path, (json.dumps(obj, indent=2) + "\n").encode())
