"""What the CLI commands do: load data, build models, train, evaluate, compare. Returns plain dicts."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from .. import optim
from . import models
from ..teach.summary import cost, summary
from .checkpoint import check_meta, load_checkpoint, save_checkpoint
from ..data import DatasetNotFoundError, load_dataset, mean_std, normalize
from ..data._atomic import atomic_write_bytes
from .train import NonFiniteLossError, evaluate, fit


class UserFacingError(RuntimeError):
    """An error the CLI prints as one clear message (no traceback)."""


def load_split(dataset: str, split: str, data_dir=None, download: bool = True):
    try:
        x, y = load_dataset(dataset, split, data_dir=data_dir, download=download)
    except (DatasetNotFoundError, ValueError) as e:  # missing, or a damaged file (the message names it)
        raise UserFacingError(str(e)) from None
    if len(y) == 0:
        raise UserFacingError(f"the {dataset} {split!r} split has no images")
    return x, y


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


def train_one(model_name: str, train, test, meta: dict, args, log=print, *, resume: dict | None = None,
              on_epoch=None) -> tuple:
    """Build ``model_name``, train it with the budget in ``args``; returns (model, history, info).

    ``resume``: what ``load_resume`` returned, to continue a run from its last saved epoch.
    ``on_epoch(model, optimizer, scheduler, history, loader)``: called after every finished epoch."""
    if args.batch_size is None:
        args.batch_size = default_batch_size(meta["dataset"])
    model = models.build_model(model_name, input_shape=tuple(meta["input_shape"]), num_classes=meta["num_classes"],
                               rng=np.random.default_rng(args.seed), width=args.width)
    optimizer = make_optimizer(model, args.optimizer, args.lr, args.weight_decay)
    scheduler = make_scheduler(optimizer, args.schedule, args.epochs)
    done = []
    if resume is not None:
        done = restore_training(resume, model, optimizer, scheduler)
    if not kernels_cache_is_warm():  # checked before cost(), whose forward pass compiles the kernels
        log("compiling the numba kernels once (cached for later runs; this takes a few seconds)...")
    params, mult_adds = cost(model, tuple(meta["input_shape"]))
    log(f"{model_name}: {params:,} parameters, {mult_adds:,} mult-adds per image; "
        f"{len(train[1]):,} training / {len(test[1]):,} test images")
    history = list(done)
    callback = None
    if on_epoch is not None:
        def callback(m, loader):
            history.append(m)
            on_epoch(model, optimizer, scheduler, history, loader)
    try:
        fitted = fit(model, optimizer, train, test, epochs=args.epochs, batch_size=args.batch_size,
                     seed=args.seed + 1, scheduler=scheduler, progress=not args.quiet, log=log,
                     start_epoch=len(done) + 1, loader_state=resume["loader"] if resume else None,
                     on_epoch=callback)
    except NonFiniteLossError as e:
        raise UserFacingError(str(e)) from None
    history = list(done) + list(fitted)
    info = {"model": model_name, "params": params, "mult_adds": mult_adds,
            "test_acc": history[-1].test_acc if history else float("nan"),
            "seconds_per_epoch": float(np.mean([h.seconds for h in history])) if history else float("nan"),
            "compile_seconds": fitted.compile_seconds, "history": [h.as_dict() for h in history]}
    return model, history, info


# ---- what a run records, so that it can be reproduced and resumed ------------------------------------

CONFIG_KEYS = ("dataset", "model", "width", "optimizer", "lr", "weight_decay", "schedule", "batch_size",
               "epochs", "limit", "seed", "data_dir")


def versions() -> dict:
    import platform

    import numba

    from .. import __version__
    return {"minisep": __version__, "numpy": np.__version__, "numba": numba.__version__,
            "python": platform.python_version()}


def git_commit() -> str | None:
    """The commit of the minisep source when it runs from a git checkout, else None."""
    import subprocess

    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).resolve().parent,
                             capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    commit = out.stdout.strip()
    return commit if out.returncode == 0 and len(commit) == 40 else None


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def run_config(args) -> dict:
    """The options that define a run (the effective lr and batch size, not None)."""
    config = {k: getattr(args, k, None) for k in CONFIG_KEYS}
    if config["lr"] is None:
        config["lr"] = 0.05 if args.optimizer == "sgd" else 5e-3
    if config["data_dir"] is not None:
        config["data_dir"] = str(Path(config["data_dir"]).resolve())
    return config


def _generator_states(model) -> dict:
    from .train import _generators
    return {f"{id_}.{name}": getattr(m, name).bit_generator.state
            for id_, (m, name) in enumerate(_generators(model))}


def restore_training(resume: dict, model, optimizer, scheduler) -> list:
    """Load a checkpoint's weights and training state into freshly built objects; returns the
    finished epochs' EpochMetrics."""
    from .. import random as ms_random
    from .train import EpochMetrics, _generators

    try:
        model.load_state_dict(resume["state"], strict=True)
        optimizer.load_flat_state_dict(resume["optimizer"])
        if scheduler is not None and resume["scheduler"] is not None:
            scheduler.load_state_dict(resume["scheduler"])
        ms_random.set_state(resume["random"])
        states = resume["generators"]
        for id_, (m, name) in enumerate(_generators(model)):
            getattr(m, name).bit_generator.state = states[f"{id_}.{name}"]
        return [EpochMetrics(**h) for h in resume["history"]]
    except (KeyError, TypeError, ValueError) as e:
        raise UserFacingError(f"--resume: the checkpoint's training state does not fit this run ({e})") from None


def load_resume(path) -> dict:
    """The training state of a checkpoint written by `minisep train --out` (after any epoch)."""
    try:
        state, meta, extra = load_checkpoint(path, with_extra=True)
        check_meta(meta, path)
    except (FileNotFoundError, ValueError) as e:
        raise UserFacingError(str(e)) from None
    run = meta.get("resume")
    if not isinstance(run, dict) or not all(k in run for k in ("config", "loader", "random", "history")):
        raise UserFacingError(f"--resume: {path} holds no training state (written by an older minisep?)")
    return dict(run, state=state, optimizer=extra, meta=meta)


def run_train(args, log=print) -> dict:
    """Train as ``args`` says; after every epoch write the checkpoint (``--out``) and the metrics
    (``--metrics-json``), atomically, so Ctrl-C or a crash loses at most the epoch in progress."""
    from .. import random as ms_random

    resume = None
    if getattr(args, "resume", None):
        resume = load_resume(args.resume)
        for key, value in resume["config"].items():  # the run's own options, not this command's defaults
            setattr(args, key, value)
        args.limit = resume["config"].get("limit")
    train, test, meta = load_data(args.dataset, args.data_dir, not args.no_download, args.limit)
    config = run_config(args)
    record = {"config": config, "versions": versions(), "git_commit": git_commit(),
              "started": resume["started"] if resume else now(), "finished": None}
    if resume:
        record["resumed"] = record.get("resumed", []) + [now()]
    ckpt_meta = dict(meta, model=args.model, width=args.width, epochs=args.epochs, seed=args.seed,
                     data_dir=config["data_dir"])

    def save(model, optimizer, scheduler, history, loader) -> None:
        last = history[-1]
        record.update(updated=now(), epochs_done=len(history), test_acc=last.test_acc,
                      history=[h.as_dict() for h in history])
        if args.out:
            run = {"config": config, "started": record["started"], "loader": loader.get_state(),
                   "random": ms_random.get_state(), "generators": _generator_states(model),
                   "scheduler": scheduler.state_dict() if scheduler is not None else None,
                   "history": record["history"]}
            save_checkpoint(args.out, model.state_dict(), dict(ckpt_meta, test_acc=last.test_acc, resume=run),
                            extra=optimizer.flat_state_dict())
        if args.metrics_json:
            write_json(args.metrics_json, record)

    model, history, info = train_one(args.model, train, test, meta, args, log, resume=resume, on_epoch=save)
    log(f"final test accuracy: {100 * info['test_acc']:.2f}%")
    record.update(info, dataset=args.dataset, seed=args.seed, finished=now())
    if args.metrics_json:
        write_json(args.metrics_json, record)
    if args.out:
        log(f"checkpoint written to {Path(args.out).with_suffix('.npz')}")
    return record


def run_evaluate(args, log=print, warn=None) -> dict:
    import sys

    warn = warn or (lambda text: print(f"minisep evaluate: warning: {text}", file=sys.stderr))
    try:
        state, meta = load_checkpoint(args.checkpoint)
        check_meta(meta, args.checkpoint)
    except (FileNotFoundError, ValueError) as e:
        raise UserFacingError(str(e)) from None
    dataset = args.dataset or meta["dataset"]
    if dataset != meta["dataset"]:
        warn(f"the checkpoint was trained on {meta['dataset']}, evaluating it on {dataset}")
    data_dir = args.data_dir or (meta.get("data_dir") if isinstance(meta.get("data_dir"), str) else None)
    model = models.build_model(meta["model"], input_shape=tuple(meta["input_shape"]), num_classes=meta["num_classes"],
                               rng=np.random.default_rng(0), width=meta.get("width", 1.0))
    try:
        model.load_state_dict(state, strict=True)
    except ValueError as e:
        raise UserFacingError(f"checkpoint {args.checkpoint} does not fit model {meta['model']!r}: {e}") from None
    x_test, y_test = load_split(dataset, "test", data_dir, not args.no_download)
    if list(x_test.shape[1:]) != meta["input_shape"]:
        raise UserFacingError(f"the checkpoint expects inputs {meta['input_shape']}, {dataset} has {list(x_test.shape[1:])}")
    try:
        x_test = normalize(x_test, meta["mean"], meta["std"])  # the training set's statistics, saved in the checkpoint
    except ValueError as e:
        raise UserFacingError(f"{args.checkpoint}: {e}") from None
    loss, acc = evaluate(model, x_test, y_test)
    log(f"{meta['model']} on {dataset} test: loss {loss:.4f}, accuracy {100 * acc:.2f}% ({len(y_test)} images)")
    return {"loss": loss, "accuracy": acc}


def run_summary(args) -> str:
    shape = (1, 8, 8) if args.dataset == "digits" else (1, 28, 28)
    model = models.build_model(args.model, input_shape=shape, num_classes=10, rng=np.random.default_rng(0),
                               width=args.width)
    return summary(model, shape)


def run_compare(args, log=print, runs: list | None = None) -> dict:
    """Train every model of ``--models`` once per seed of ``--seeds`` (same seed = same data order and initial
    weights); summarise mean ± sd per model and the paired difference to the first (reference) model.

    ``runs``: a list the finished runs are appended to as they finish (the CLI keeps it, so Ctrl-C
    can save the runs done so far); with ``--metrics-json`` they are also written after every run."""
    from ..experiments import stats
    from ..experiments.runner import warm_up
    from ..cli.common import validate_train_args
    validate_train_args(args)  # every option checked before any data is loaded or model trained

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
    runs = [] if runs is None else runs
    compile_seconds = {}
    for name in names:
        # compile (or load numba's cache) once, apart, so no epoch time includes it
        compile_seconds[name] = warm_up(name, tuple(meta["input_shape"]), args.width, args.batch_size)
        for seed in seeds:
            args.seed = seed
            start = time.perf_counter()
            _, _, info = train_one(name, train, test, meta, args, log)
            info.update(seed=seed, wall_seconds=time.perf_counter() - start)
            runs.append(info)
            if getattr(args, "metrics_json", None):  # so far, atomically: an interrupted compare keeps its runs
                write_json(args.metrics_json, {"dataset": args.dataset, "epochs": args.epochs, "seeds": seeds,
                                               "reference": names[0], "finished": False, "runs": runs})
    summary = summarize_compare(runs, names, seeds)
    log("")
    log(format_compare_table(summary, args, seeds))
    return {"dataset": args.dataset, "epochs": args.epochs, "seeds": seeds, "reference": names[0],
            "train_images": len(train[1]), "test_images": len(test[1]), "compile_seconds": compile_seconds,
            "summary": summary, "finished": True, "runs": runs}


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
