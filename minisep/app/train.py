"""The training loop: fit a model on arrays, evaluate it, report progress and metrics.

One step is the whole story of backprop:
    logits = model(x);  loss = cross_entropy(logits, y);  loss.backward();  optimizer.step()
"""

from __future__ import annotations

import math
import shutil
import sys
import time
from dataclasses import asdict, dataclass

import numpy as np

from ..autograd import no_grad
from ..data import DataLoader
from ..ops import cross_entropy
from ..tensor import Tensor


class NonFiniteLossError(RuntimeError):
    """The loss became NaN or inf; training stops instead of silently producing garbage."""


@dataclass
class EpochMetrics:
    epoch: int
    train_loss: float
    train_acc: float
    test_loss: float
    test_acc: float
    seconds: float
    images_per_s: float
    lr: float

    def as_dict(self) -> dict:
        return asdict(self)


class Progress:
    """A one-line progress bar on stderr: loss, accuracy, images/s and ETA.

    On a terminal it redraws in place (at most 10 times a second), never wider than the terminal;
    elsewhere (CI, pipes) it prints nothing, so a log gets only the one summary line per epoch.
    """

    def __init__(self, total: int, label: str, stream=None, width: int = 24, columns: int | None = None):
        self.total, self.label, self.width = total, label, width
        self.stream = stream if stream is not None else sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        # one column short of the terminal: writing the last column makes some terminals wrap
        self.columns = (columns or shutil.get_terminal_size((80, 24)).columns) - 1
        self.start = time.perf_counter()
        self.last_draw = 0.0

    def line(self, done: int, loss: float, acc: float, images: int) -> str:
        elapsed = time.perf_counter() - self.start
        rate = images / elapsed if elapsed > 0 else 0.0
        eta = elapsed / done * (self.total - done) if done else 0.0
        text = (f"{done}/{self.total} loss {loss:.4f} acc {100 * acc:5.1f}% "
                f"{rate:.0f} img/s ETA {int(eta) // 60}:{int(eta) % 60:02d}")
        width = min(self.width, self.columns - len(self.label) - len(text) - 4)  # 4: " [", "] "
        if width < 5:  # a narrow terminal: drop the bar, cut the rest
            return f"{self.label} {text}"[:max(self.columns, 1)]
        filled = int(width * done / max(self.total, 1))
        return f"{self.label} [{'#' * filled}{'.' * (width - filled)}] {text}"

    def update(self, done: int, loss: float, acc: float, images: int) -> None:
        now = time.perf_counter()
        if self.tty and (now - self.last_draw > 0.1 or done == self.total):
            self.stream.write("\r" + self.line(done, loss, acc, images))
            self.stream.flush()
            self.last_draw = now

    def close(self, done: int, loss: float, acc: float, images: int) -> None:
        """Finish the bar on a terminal; elsewhere print nothing (the epoch summary line says it all)."""
        if self.tty:
            self.stream.write("\r" + self.line(done, loss, acc, images) + "\n")
            self.stream.flush()


def _buffers(model) -> list:
    """(array, copy) of every buffer (BatchNorm running statistics), to undo one step's update."""
    return [(b, b.copy()) for _, b in model.named_buffers()]


def _restore(saved: list) -> None:
    for b, copy in saved:
        np.copyto(b, copy)


def train_epoch(model, loader: DataLoader, optimizer, *, epoch: int = 1, epochs: int = 1,
                progress: bool = True, stream=None) -> tuple[float, float, float]:
    """One pass over ``loader``. Returns (mean loss, accuracy, seconds).

    A NaN/inf loss raises NonFiniteLossError before the step is applied, with the BatchNorm running
    statistics as they were before that step's forward pass (so the model is the last good one)."""
    model.train()
    bar = Progress(len(loader), f"epoch {epoch}/{epochs}", stream) if progress else None
    total_loss, correct, seen = 0.0, 0, 0
    start = time.perf_counter()
    for step, (xb, yb) in enumerate(loader, start=1):
        saved = _buffers(model)  # a few hundred floats: cheap next to one step
        logits = model(Tensor(xb, _copy=False))
        loss = cross_entropy(logits, yb)
        value = float(loss.item())
        if not math.isfinite(value):
            _restore(saved)
            raise NonFiniteLossError(
                f"training stopped: the loss became {value} at epoch {epoch}, step {step} "
                f"(try a smaller --lr, or check the input normalisation)")
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total_loss += value * len(yb)
        correct += int((logits.data.argmax(axis=1) == yb).sum())
        seen += len(yb)
        if bar:
            bar.update(step, total_loss / seen, correct / seen, seen)
    if bar:
        bar.close(len(loader), total_loss / max(seen, 1), correct / max(seen, 1), seen)
    return total_loss / max(seen, 1), correct / max(seen, 1), time.perf_counter() - start


def _generators(model) -> list:
    """(module, attribute) of every numpy Generator a layer owns (Dropout's masks)."""
    return [(m, name) for _, m in model.named_modules() for name, v in vars(m).items()
            if isinstance(v, np.random.Generator)]


def warm_up(model, x: np.ndarray, y: np.ndarray) -> float:
    """Compile (or load from numba's cache) every kernel a training step and an evaluation use, on
    two images of the real data, so no timed epoch includes compilation. Leaves no trace: no
    optimizer step, gradients cleared, BatchNorm statistics and layer generators restored, the
    mode as it was. Returns the seconds it took."""
    start = time.perf_counter()
    mode, saved = model.training, _buffers(model)
    states = [(m, name, getattr(m, name).bit_generator.state) for m, name in _generators(model)]
    xb, yb = x[:2], y[:2]
    try:
        model.train()
        cross_entropy(model(Tensor(xb)), yb).backward()
        model.eval()
        with no_grad():
            model(Tensor(xb))
    finally:
        model.zero_grad()
        _restore(saved)
        for m, name, state in states:
            getattr(m, name).bit_generator.state = state
        model.train(mode)
    return time.perf_counter() - start


class History(list):
    """The list of EpochMetrics that ``fit`` returns, plus ``compile_seconds`` (the warm-up, apart)."""

    compile_seconds: float = 0.0


def evaluate(model, x: np.ndarray, y: np.ndarray, batch_size: int = 500) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) of ``model`` on (x, y), in eval mode and without a graph."""
    model.eval()
    total_loss, correct = 0.0, 0
    with no_grad():
        for xb, yb in DataLoader(x, y, batch_size=batch_size):
            logits = model(Tensor(xb, _copy=False))
            total_loss += float(cross_entropy(logits, yb, reduction="sum").item())
            correct += int((logits.data.argmax(axis=1) == yb).sum())
    n = max(len(y), 1)
    return total_loss / n, correct / n


def fit(model, optimizer, train: tuple, test: tuple, *, epochs: int, batch_size: int, seed: int,
        scheduler=None, progress: bool = True, log=print, stream=None, start_epoch: int = 1,
        loader_state: dict | None = None, on_epoch=None, warmup: bool = True) -> History:
    """Train for ``epochs`` and evaluate after each; same seed -> same batches -> same metrics.

    Resuming: ``start_epoch`` k and ``loader_state`` (the batch-order generator's state after epoch
    k - 1, as ``on_epoch`` received it) continue a run bit for bit. ``on_epoch(metrics, loader)`` is
    called after every finished epoch (the CLI saves the checkpoint and the metrics there).
    ``warmup``: compile the kernels first, apart (``History.compile_seconds``), so epoch times
    exclude compilation."""
    loader = DataLoader(train[0], train[1], batch_size=batch_size, shuffle=True,
                        rng=np.random.default_rng(seed), drop_last=False)
    if loader_state is not None:
        loader.set_state(loader_state)
    history = History()
    if warmup and len(train[1]):
        history.compile_seconds = warm_up(model, train[0], train[1])
    for epoch in range(start_epoch, epochs + 1):
        lr = float(optimizer.param_groups[0]["lr"])
        loss, acc, seconds = train_epoch(model, loader, optimizer, epoch=epoch, epochs=epochs,
                                         progress=progress, stream=stream)
        test_loss, test_acc = evaluate(model, *test)
        if scheduler is not None:
            scheduler.step()
        m = EpochMetrics(epoch, loss, acc, test_loss, test_acc, seconds, len(train[1]) / seconds, lr)
        history.append(m)
        log(f"epoch {epoch}/{epochs}: train loss {loss:.4f} acc {100 * acc:.2f}% | "
            f"test loss {test_loss:.4f} acc {100 * test_acc:.2f}% | {seconds:.1f} s ({m.images_per_s:.0f} img/s)")
        if on_epoch is not None:
            on_epoch(m, loader)
    return history
