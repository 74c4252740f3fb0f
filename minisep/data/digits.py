"""The UCI 8x8 handwritten digits, embedded in the package so minisep trains with no network.

Source: E. Alpaydin, C. Kaynak, "Optical Recognition of Handwritten Digits", UCI Machine Learning
Repository (1998), https://doi.org/10.24432/C50P49, licensed CC BY 4.0. This is the 1,797-image
copy that scikit-learn ships (``sklearn.datasets.load_digits``). See ``DIGITS_LICENSE.txt``.

``digits.csv.gz``: one image per row, no header, 65 integer columns: 64 pixels (row-major 8x8,
values 0..16) then the label 0..9.

Train/test split: a fixed, stratified 80/20 split. For each class (in label order) the indices of
that class are permuted by ``np.random.default_rng(SPLIT_SEED)`` (one generator, used class after
class) and the first ``round(0.2 * count)`` go to test. Both parts keep the file's order. So
the split is the same on every run and machine, disjoint, covers all 1,797 images, and each
class is ~20% test (1,438 train / 359 test).
"""
from __future__ import annotations

import functools
import gzip
import zlib
from pathlib import Path

import numpy as np

DIGITS_PATH = Path(__file__).with_name("digits.csv.gz")
N_DIGITS = 1797
SPLIT_SEED = 0
TEST_FRACTION = 0.2


def read_digits_csv(path: str | Path = DIGITS_PATH) -> tuple[np.ndarray, np.ndarray]:
    """Parse a digits CSV (gz or plain) into (pixels uint8 (N,8,8), labels int64 (N,)).

    Raises ValueError naming the file when it is unreadable or out of range.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        table = np.loadtxt(raw.decode("ascii").splitlines(), delimiter=",", dtype=np.int64, ndmin=2)
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, ValueError) as e:
        if isinstance(e, FileNotFoundError):
            raise
        raise ValueError(f"{path}: not a readable digits CSV ({type(e).__name__}: {e})") from e
    if table.ndim != 2 or table.shape[1] != 65:
        raise ValueError(f"{path}: expected 65 columns (64 pixels + label), got shape {table.shape}")
    pixels, labels = table[:, :64], table[:, 64]
    if pixels.size and (pixels.min() < 0 or pixels.max() > 16):
        raise ValueError(f"{path}: pixel values must be in 0..16, got {pixels.min()}..{pixels.max()}")
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        raise ValueError(f"{path}: labels must be in 0..9, got {labels.min()}..{labels.max()}")
    return pixels.astype(np.uint8).reshape(-1, 8, 8), labels  # (N,64) -> (N,8,8)


@functools.lru_cache(maxsize=1)
def _embedded() -> tuple[np.ndarray, np.ndarray]:
    pixels, labels = read_digits_csv(DIGITS_PATH)
    if len(labels) != N_DIGITS:
        raise ValueError(f"{DIGITS_PATH}: expected {N_DIGITS} rows, got {len(labels)}")
    pixels.flags.writeable = False  # cached: callers get copies
    labels.flags.writeable = False
    return pixels, labels


def stratified_split(labels: np.ndarray, test_fraction: float = TEST_FRACTION,
                     seed: int = SPLIT_SEED) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic stratified split: (train_indices, test_indices), each sorted ascending."""
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction: must be in (0, 1), got {test_fraction}")
    rng = np.random.default_rng(seed)
    test_parts = []
    for c in np.unique(labels):  # ascending label order: fixes the rng draw sequence
        members = np.flatnonzero(labels == c)
        n_test = int(round(test_fraction * len(members)))
        test_parts.append(rng.permutation(members)[:n_test])
    is_test = np.zeros(len(labels), dtype=bool)
    if test_parts:
        is_test[np.concatenate(test_parts)] = True
    return np.flatnonzero(~is_test), np.flatnonzero(is_test)


def load_digits(split: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The embedded 8x8 digits: ``(x, y)``.

    x: float32 (N, 1, 8, 8), pixel / 16 so in [0, 1]; y: int64 (N,), labels 0..9.
    ``split``: None -> all 1,797 images; 'train' -> 1,438; 'test' -> 359 (see module docstring).
    """
    if split not in (None, "train", "test"):
        raise ValueError(f"split: expected None, 'train' or 'test', got {split!r}")
    pixels, labels = _embedded()
    if split is not None:
        train_idx, test_idx = stratified_split(labels)
        keep = train_idx if split == "train" else test_idx
        pixels, labels = pixels[keep], labels[keep]
    x = (pixels.astype(np.float32) / np.float32(16.0))[:, None, :, :]  # (N,8,8) -> (N,1,8,8)
    return np.ascontiguousarray(x), labels.astype(np.int64)  # astype copies: caller owns y
