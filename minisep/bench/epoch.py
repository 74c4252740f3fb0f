"""A whole training epoch, end to end: minisep's separable CNN against its torch twin, each in its own process.

One epoch = every training batch (forward, cross-entropy, backward, Adam step) and then the test
pass (eval mode, no graph). Both children see the same batches in the same order (minisep's
DataLoader with the same seed, converted with torch.from_numpy on the torch side), the same initial
weights (the torch twin is built from the minisep model), and the same thread count. Before the
timed epoch each child runs one warm-up step and one test batch (JIT compilation or cache loading
in minisep, first-call set-up in torch) on a throw-away copy of the model, so compile time is
reported apart and never inside the epoch.

    python benchmarks/epoch.py [--data-dir DIR] [--limit N] [--rounds 3] [--threads 2]
"""
from __future__ import annotations

import os
import sys
import time

import numpy as np


def load(data_dir, limit: int | None):
    """Normalised Fashion-MNIST (train, test) from ``data_dir``, or None when it is not there."""
    from ..data import DatasetNotFoundError, load_dataset, mean_std, normalize
    try:
        x, y = load_dataset("fashion-mnist", "train", data_dir=data_dir, download=False)
        xt, yt = load_dataset("fashion-mnist", "test", data_dir=data_dir, download=False)
    except DatasetNotFoundError:
        return None
    if limit:
        x, y = x[:limit], y[:limit]
    mean, std = mean_std(x)
    return (normalize(x, mean, std), y), (normalize(xt, mean, std), yt)


def synthetic(n_train: int, n_test: int, seed: int = 0):
    """Random 1x28x28 images and labels of the same sizes (timing only: nothing is learned)."""
    rng = np.random.default_rng(seed)
    return ((rng.standard_normal((n_train, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, n_train)),
            (rng.standard_normal((n_test, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, n_test)))


def _minisep_runner(model_name: str, seed: int, lr: float):
    from .. import optim
    from ..app import models
    from ..autograd import no_grad
    from ..ops import cross_entropy
    from ..tensor import as_tensor

    model = models.build_model(model_name, rng=seed)
    opt = optim.Adam(model.parameters(), lr=lr)

    def step(xb, yb) -> float:
        loss = cross_entropy(model(as_tensor(xb)), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return float(loss.item())

    def predict(xb) -> np.ndarray:
        with no_grad():
            return model(as_tensor(xb)).data.argmax(axis=1)
    return model, step, predict


def _torch_runner(torch, model_name: str, seed: int, lr: float):
    from ..app import models
    from ..interop.torch import to_torch

    model = models.build_model(model_name, rng=seed)
    tmodel = to_torch(torch, model)
    tmodel.load_state_dict({k: torch.from_numpy(np.array(v, copy=True)) for k, v in model.state_dict().items()})
    opt = torch.optim.Adam(tmodel.parameters(), lr=lr)
    F = torch.nn.functional

    def step(xb, yb) -> float:
        loss = F.cross_entropy(tmodel(torch.from_numpy(xb)), torch.from_numpy(yb.astype(np.int64)))
        opt.zero_grad()
        loss.backward()
        opt.step()
        return float(loss.item())

    def predict(xb) -> np.ndarray:
        with torch.no_grad():
            return tmodel(torch.from_numpy(xb)).argmax(dim=1).numpy()
    return tmodel, step, predict


def run_child(spec: dict) -> dict:
    """Warm up, then time one epoch (train + test) of one library; plain JSON back."""
    from ..data import DataLoader
    torch = None
    if spec["who"] == "torch":
        import torch
        torch.set_num_threads(spec["threads"])
    import numba
    numba.set_num_threads(spec["threads"])
    data = load(spec["data_dir"], spec["limit"]) if spec["data_dir"] else None
    data = data or synthetic(spec["limit"] or 60000, 10000)
    (x, y), (xt, yt) = data
    make = (lambda: _minisep_runner(spec["model"], spec["seed"], 1e-3)) if torch is None else \
        (lambda: _torch_runner(torch, spec["model"], spec["seed"], 1e-3))
    t0 = time.perf_counter()
    model, step, predict = make()  # the warm-up copy: compiled once, then thrown away
    step(x[:128], y[:128])
    model.eval()
    predict(xt[:1000])
    compile_s = time.perf_counter() - t0
    model, step, predict = make()
    model.train()
    loader = DataLoader(x, y, batch_size=128, shuffle=True, rng=np.random.default_rng(spec["seed"]))
    t0 = time.perf_counter()
    losses = [step(xb, yb) for xb, yb in loader]
    t1 = time.perf_counter()
    model.eval()
    correct = sum(int((predict(xt[i:i + 1000]) == yt[i:i + 1000]).sum()) for i in range(0, len(yt), 1000))
    t2 = time.perf_counter()
    return {"who": spec["who"], "compile_s": compile_s, "train_s": t1 - t0, "test_s": t2 - t1, "epoch_s": t2 - t0,
            "mean_loss": float(np.mean(losses)), "test_acc": correct / len(yt), "steps": len(losses)}


def main(argv=None) -> int:
    from .isolated import child_main  # the child side of isolated.spawn
    return child_main(run_child, "minisep.bench.epoch", argv)


if __name__ == "__main__":
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    sys.exit(main())
