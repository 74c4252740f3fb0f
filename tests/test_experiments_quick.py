"""The quick budget of minisep.experiments.when_to_use reproduces its committed results exactly.

What it reruns (rerunning all 90 runs would take too long for the default suite): from the committed
docs/results/quick/NAME.json alone, every run of **seed 0** of every quick experiment
(equal_cost_digits: 9 runs, width_sweep_digits: 6, correlation: 19, rank_digits: 4 with the standard's
projections; about 25 s of CPU), and compares
each with the committed run with ==: params, mult-adds, final test accuracy and loss, the per-epoch
train/test losses and accuracies, the measured channel correlation, the projected models' accuracies. Only the timings
(runner.TIMING_KEYS) are not compared. Training is deterministic for a seed and does not depend on the
thread count, so any difference means the code changed a number.

It also checks, for every file, that its config is the quick budget's current one, that it holds
exactly the runs that config plans (all seeds), and that its layout (the widths matched to the
standard's params and mult-adds, the ideal detector's shares) recomputes equal.
"""

import math
from pathlib import Path

import numba
import numpy as np
import pytest

from minisep.experiments import correlation, equal_cost, rank, when_to_use
from minisep.experiments.runner import TIMING_KEYS
from minisep.experiments.store import load

ROOT = Path(__file__).resolve().parents[1]
QUICK = ROOT / "docs" / "results" / "quick"
NAMES = ("equal_cost_digits", "width_sweep_digits", "correlation", "rank_digits")
REGENERATE = ("regenerate the committed results with:\n    python -m minisep.experiments.when_to_use --budget quick "
              "--out docs/results/ --doc docs/when-to-use-separable-conv.md\n(from the repository root) and commit "
              "docs/results/quick/ and the doc")
_DATA: dict = {}


def _load(name: str) -> dict:
    path = QUICK / f"{name}.json"
    assert path.exists(), f"{path.relative_to(ROOT)} is missing; {REGENERATE}"
    return load(path)


def _numbers(run: dict) -> dict:
    return {k: v for k, v in run.items() if k not in TIMING_KEYS}


def _expected_config(name: str) -> dict:
    budget = when_to_use.BUDGETS["quick"]
    if name == "correlation":
        return budget["correlation"]
    if name.startswith("rank_"):
        return rank.config(budget["rank"], None)
    kind, part = name.rsplit("_", 1)
    return when_to_use._dataset_config(part, budget[part], kind, None)


@pytest.mark.parametrize("name", NAMES)
def test_config_runs_and_layout_are_the_current_ones(name):
    obj = _load(name)
    config = {k: v for k, v in obj["config"].items() if k not in ("train_images", "test_images")}
    assert config == _expected_config(name), f"{name}.json was made with another quick config; {REGENERATE}"
    cfg = obj["config"]
    if name == "correlation":
        planned, lay = correlation.plan(cfg), correlation.layout(cfg)
    elif obj["kind"] == "rank":
        planned, lay = rank.plan(cfg), rank.layout(cfg)
    else:
        train, _ = when_to_use.load_part(cfg)
        shape = tuple(train[0].shape[1:])
        lay = (equal_cost.equal_cost_layout(shape, cfg["width"]) if obj["kind"] == "equal_cost"
               else equal_cost.width_sweep_layout(cfg["widths"]))
        planned = equal_cost.plan(lay, cfg["seeds"])
    assert sorted(obj["runs"]) == sorted(k for k, _ in planned), f"{name}.json holds other runs than planned; {REGENERATE}"
    for key, value in lay.items():
        assert obj[key] == value, f"{name}.json: its {key!r} no longer recomputes equal; {REGENERATE}"


def _close(a, b, acc_tol: float, key: str = "") -> bool:
    """Equal up to float rounding of another numpy/numba build: losses and correlations to rel 1e-3,
    accuracies (keys with 'acc', in %) to ``acc_tol`` points, everything else exactly."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k], acc_tol, k) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_close(x, y, acc_tol, key) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) <= acc_tol + 1e-9 if "acc" in key else math.isclose(a, b, rel_tol=1e-3, abs_tol=1e-6)
    return a == b


@pytest.mark.parametrize("name", NAMES)
def test_seed_0_runs_reproduce_exactly(name):
    """Exactly (==) with the numpy and numba the results were made with; with other builds, whose
    vectorised loops may round differently, up to rounding: one test image per accuracy, 1e-3 relative."""
    obj = _load(name)
    keys = [k for k, run in obj["runs"].items() if run["seed"] == 0]
    assert keys, f"{name}.json has no seed-0 run; {REGENERATE}"
    same_build = (obj["stamp"]["numpy"], obj["stamp"]["numba"]) == (np.__version__, numba.__version__)
    acc_tol = 100.0 / obj["config"].get("test_images", obj["config"].get("n_test", 1))
    moved = []
    for key in keys:
        again, committed = _numbers(when_to_use.rerun(obj, key, _DATA)), _numbers(obj["runs"][key])
        if (again != committed) if same_build else not _close(again, committed, acc_tol):
            fields = sorted(k for k in set(again) | set(committed) if again.get(k) != committed.get(k))
            moved.append(f"{key}: {', '.join(fields)} (test_acc {committed.get('test_acc')} -> {again.get('test_acc')})")
    assert not moved, (f"{name}: {len(moved)} of {len(keys)} reruns differ from the committed results:\n  "
                       + "\n  ".join(moved) + f"\nIf the change is intended, {REGENERATE}")
