"""The training loop: fit a model on arrays, evaluate it, report progress and metrics.

One step is the whole story of backprop:
    logits = model(x);  loss = cross_entropy(logits, y);  loss.backward();  optimizer.step()
"""

from __future__ import annotations

import math
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

    On a terminal it redraws in place (at most 10 times a second); elsewhere (CI, pipes)
    it prints only the finished line, so logs stay short.
    """

    def __init__(self, total: int, label: str, stream=None, width: int = 24):
        self.total, self.label, self.width = total, label, width
        self.stream = stream if stream is not None else sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.start = time.perf_counter()
        self.last_draw = 0.0

    def line(self, done: int, loss: float, acc: float, images: int) -> str:
        elapsed = time.perf_counter() - self.start
        rate = images / elapsed if elapsed > 0 else 0.0
        eta = elapsed / done * (self.total - done) if done else 0.0
        filled = int(self.width * done / max(self.total, 1))
        bar = "#" * filled + "." * (self.width - filled)
        return (f"{self.label} [{bar}] {done}/{self.total} loss {loss:.4f} acc {100 * acc:5.1f}% "
                f"{rate:7.0f} img/s ETA {int(eta) // 60}:{int(eta) % 60:02d}")

    def update(self, done: int, loss: float, acc: float, images: int) -> None:
        now = time.perf_counter()
        if self.tty and (now - self.last_draw > 0.1 or done == self.total):
            self.stream.write("\r" + self.line(done, loss, acc, images))
            self.stream.flush()
            self.last_draw = now

    def close(self, done: int, loss: float, acc: float, images: int) -> None:
        text = self.line(done, loss, acc, images)
        self.stream.write(("\r" + text if self.tty else text) + "\n")
        self.stream.flush()


def train_epoch(model, loader: DataLoader, optimizer, *, epoch: int = 1, epochs: int = 1,
                progress: bool = True, stream=None) -> tuple[float, float, float]:
    """One pass over ``loader``. Returns (mean loss, accuracy, seconds)."""
    model.train()
    bar = Progress(len(loader), f"epoch {epoch}/{epochs}", stream) if progress else None
    total_loss, correct, seen = 0.0, 0, 0
    start = time.perf_counter()
    for step, (xb, yb) in enumerate(loader, start=1):
        logits = model(Tensor(xb, _copy=False))
        loss = cross_entropy(logits, yb)
        value = float(loss.item())
        if not math.isfinite(value):
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
        scheduler=None, progress: bool = True, log=print, stream=None) -> list[EpochMetrics]:
    """Train for ``epochs`` and evaluate after each; same seed -> same batches -> same metrics."""
    loader = DataLoader(train[0], train[1], batch_size=batch_size, shuffle=True,
                        rng=np.random.default_rng(seed), drop_last=False)
    history = []
    for epoch in range(1, epochs + 1):
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
    return history
