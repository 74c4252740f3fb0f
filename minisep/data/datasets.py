"""MNIST and Fashion-MNIST loaders: find the IDX files locally, else download and verify them.

Where files are looked for, in this order (first folder holding both files of a split wins):

1. ``data_dir`` (the CLI's ``--data-dir``), files directly in it or in ``data_dir/<name>/``;
2. ``$MINISEP_DATA``, likewise directly or in ``$MINISEP_DATA/<name>/``;
3. the user cache ``$XDG_CACHE_HOME/minisep/<name>/`` (default ``~/.cache/minisep/<name>/``);
4. Fashion-MNIST only: ``/usr/share/datasets/fashion-mnist/`` (Debian's ``dataset-fashion-mnist``).

``<name>`` is ``mnist`` or ``fashion-mnist``. Each file may be gzip-compressed (``.gz``) or raw.
If none has them and ``download=True``, the missing files are downloaded from the public mirrors
into the cache, verified (SHA-256 of the decompressed payload, or the official gz md5; see
``download.py``) and written atomically, each with a ``.sha256`` stamp. Files found in the cache
are checked against their stamp on every load (or, without one, against the checksums), and a
damaged one is downloaded again: a truncated download is never used. Otherwise one
``DatasetNotFoundError`` says where we looked, which files are wanted and how to supply them.
Files in the other folders are the user's and are read as they are.

Returned arrays: x float32 (N, 1, 28, 28) with pixel/255 in [0, 1]; y int64 (N,) in 0..9.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

from .digits import load_digits
from .download import CorruptCacheError, fetch_cached
from .idx import read_idx

SPLITS = ("train", "test")
DATASETS = ("mnist", "fashion-mnist", "digits")
_SPLIT_FILES = {  # split -> (images, labels) base names; on disk with or without ".gz"
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

# (payload sha256 = sha256 of the decompressed IDX bytes, md5 of the official .gz).
# Payload hashes were computed here from ../shared/data (the MNIST .gz files there are the
# official ones: their md5s equal the published ones). MNIST train-images was not available, so
# only its published gz md5 is known: a download verifies if EITHER hash matches (download.py).
# Fashion-MNIST: the gz md5s are upstream's published ones; Debian's recompressed .gz differ,
# but their payload sha256 (below) is the dataset's, so any faithful recompressed mirror passes.
CHECKSUMS: dict[str, dict[str, tuple[str | None, str]]] = {
    "mnist": {
        "train-images-idx3-ubyte": (None, "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        "train-labels-idx1-ubyte": (
            "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            "d53e105ee54ea40749a09fcbcd1e9432"),
        "t10k-images-idx3-ubyte": (
            "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            "9fb629c4189551a2d022fa330f9573f3"),
        "t10k-labels-idx1-ubyte": (
            "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
            "ec29112dd5afa0611ce80d1b7f02629c"),
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte": (
            "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        "train-labels-idx1-ubyte": (
            "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            "25c81989df183df01b3e8a0aad5dffbe"),
        "t10k-images-idx3-ubyte": (
            "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            "bef4ecab320f06d8554ea6380940ec79"),
        "t10k-labels-idx1-ubyte": (
            "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
            "bb300cfdad3c16e7a12a480ee83cd310"),
    },
}
MIRRORS: dict[str, list[str]] = {
    "mnist": ["https://ossci-datasets.s3.amazonaws.com/mnist/",
              "https://storage.googleapis.com/cvdf-datasets/mnist/"],
    "fashion-mnist": ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"],
}
SYSTEM_DIRS: dict[str, list[Path]] = {  # read-only system copies (Debian packages)
    "mnist": [],
    "fashion-mnist": [Path("/usr/share/datasets/fashion-mnist")],
}
_TITLES = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST", "digits": "digits"}
FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
CLASS_NAMES: dict[str, tuple[str, ...]] = {  # dataset name -> name of label 0..9
    "mnist": tuple(str(d) for d in range(10)),
    "fashion-mnist": FASHION_MNIST_CLASSES,
    "digits": tuple(str(d) for d in range(10)),
}


class DatasetNotFoundError(RuntimeError):
    """The dataset's files are nowhere local and could not (or may not) be downloaded."""

    def __init__(self, message: str, searched: list[Path] | None = None):
        super().__init__(message)
        self.searched = list(searched or [])


def cache_dir(name: str) -> Path:
    """``$XDG_CACHE_HOME/minisep/<name>``, or ``~/.cache/minisep/<name>`` when it is unset."""
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"  # XDG: ignore relative
    return base / "minisep" / name


def search_dirs(name: str, data_dir: str | os.PathLike | None = None) -> list[tuple[Path, str]]:
    """The folders searched for ``name``, in order, each with where it came from."""
    dirs: list[tuple[Path, str]] = []
    for root, origin in ((data_dir, "data_dir"), (os.environ.get("MINISEP_DATA"), "$MINISEP_DATA")):
        if root:
            dirs += [(Path(root), origin), (Path(root) / name, origin)]
    dirs.append((cache_dir(name), "user cache"))
    dirs += [(d, "system") for d in SYSTEM_DIRS.get(name, [])]
    return dirs


def _find(folder: Path, base: str) -> Path | None:
    """``folder/base`` or ``folder/base.gz``. Anything by that name counts (not only regular files),
    so that a FIFO or a folder there is reported by name when read, rather than silently skipped."""
    for candidate in (folder / base, folder / f"{base}.gz"):
        try:
            if candidate.exists() and not candidate.is_dir():
                return candidate
        except OSError as e:  # a folder we may not search: say so rather than a raw PermissionError
            raise ValueError(f"{candidate}: cannot look for it ({e.strerror})") from None
    return None


def _check_args(name: str, split: str) -> None:
    if name not in CHECKSUMS:
        raise ValueError(f"name: expected 'mnist' or 'fashion-mnist', got {name!r}")
    if split not in SPLITS:
        raise ValueError(f"split: expected 'train' or 'test', got {split!r}")


def find_split_files(name: str, split: str, data_dir=None) -> tuple[Path, Path] | None:
    """(images, labels) paths from the first searched folder holding both, else None."""
    _check_args(name, split)
    wanted = _SPLIT_FILES[split]
    for folder, _ in search_dirs(name, data_dir):
        found = [_find(folder, base) for base in wanted]
        if all(found):
            return found[0], found[1]
    return None


def _log(message: str) -> None:
    print(f"minisep: {message}", file=sys.stderr)


def _download_split(name: str, split: str, download: bool = True) -> tuple[Path, Path]:
    """The split's files in the cache, each checked against its stamp (or the checksums), and
    downloaded when missing or damaged. Raises DownloadError/OSError for a missing file that
    cannot be fetched, CorruptCacheError (a ValueError) for a damaged one."""
    folder = cache_dir(name)
    paths = []
    for base in _SPLIT_FILES[split]:
        payload_sha256, gz_md5 = CHECKSUMS[name][base]
        urls = [m + base + ".gz" for m in MIRRORS[name]]
        path = _find(folder, base) or folder / f"{base}.gz"  # gzip content under a raw name still reads
        try:
            paths.append(fetch_cached(urls, path, payload_sha256, archive_md5=gz_md5, download=download, log=_log))
        except CorruptCacheError as e:
            raise CorruptCacheError(f"{e}\nThe cache {folder} holds verified downloads only; delete the file to "
                                    "download it again, and put files of your own in --data-dir DIR or "
                                    "$MINISEP_DATA, which are read as they are.") from None
    return paths[0], paths[1]


def _not_found(name: str, split: str, data_dir, why: str) -> DatasetNotFoundError:
    title, wanted = _TITLES[name], _SPLIT_FILES[split]
    lines = [f"{title} {split!r} split not found. Wanted both {wanted[0]}[.gz] and "
             f"{wanted[1]}[.gz] in one folder. Looked in:"]
    searched = []
    for folder, origin in search_dirs(name, data_dir):
        searched.append(folder)
        if not folder.is_dir():
            state = "does not exist"
        else:
            missing = [b for b in wanted if _find(folder, b) is None]
            state = "missing " + ", ".join(missing)
        lines.append(f"  {folder}  ({origin}: {state})")
    lines.append(why)
    lines.append(
        "To supply the files: put them (as .gz or raw) in a folder DIR and pass --data-dir DIR "
        f"(data_dir=DIR in Python) or set MINISEP_DATA=DIR; DIR/{name}/ works too. Or run where "
        f"the download can reach the mirrors ({', '.join(MIRRORS[name])}). Or use "
        "--dataset digits, which is embedded in minisep and needs no download.")
    return DatasetNotFoundError("\n".join(lines), searched)


def _load_idx_split(name: str, split: str, data_dir, download: bool):
    _check_args(name, split)
    found = find_split_files(name, split, data_dir)
    if found is not None and found[0].parent == cache_dir(name):  # ours: trust it only once checked
        found = _download_split(name, split, download)
    if found is None:
        if not download:
            raise _not_found(name, split, data_dir, "Download disabled (download=False).")
        try:
            found = _download_split(name, split)
        except (RuntimeError, OSError) as e:  # DownloadError, or the cache is not writable
            raise _not_found(name, split, data_dir, f"Download into {cache_dir(name)} failed: {e}") from e
    images_path, labels_path = found
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(f"{images_path}: expected uint8 images of shape (N, 28, 28), "
                         f"got {images.dtype} {images.shape}")
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise ValueError(f"{labels_path}: expected uint8 labels of shape (N,), got {labels.dtype} {labels.shape}")
    if len(images) != len(labels):
        raise ValueError(f"{images_path} has {len(images)} images but {labels_path} has {len(labels)} labels")
    if labels.size and labels.max() > 9:
        raise ValueError(f"{labels_path}: labels must be in 0..9, got max {labels.max()}")
    x = images.reshape(len(images), 1, 28, 28).astype(np.float32)  # (N,28,28) -> (N,1,28,28)
    x /= np.float32(255.0)
    return x, labels.astype(np.int64)


def load_mnist(split: str = "train", data_dir=None, download: bool = True):
    """MNIST ``(x, y)``: x float32 (N,1,28,28) in [0,1], y int64 (N,). N = 60,000 train / 10,000 test."""
    return _load_idx_split("mnist", split, data_dir, download)


def load_fashion_mnist(split: str = "train", data_dir=None, download: bool = True):
    """Fashion-MNIST ``(x, y)``, same format as ``load_mnist``; label names in ``FASHION_MNIST_CLASSES``."""
    return _load_idx_split("fashion-mnist", split, data_dir, download)


def load_dataset(name: str, split: str = "train", data_dir=None, download: bool = True):
    """Dispatch on ``name``: 'mnist' | 'fashion-mnist' | 'digits' (the latter ignores data_dir/download)."""
    key = str(name).lower().replace("_", "-")
    if key == "mnist":
        return load_mnist(split, data_dir, download)
    if key == "fashion-mnist":
        return load_fashion_mnist(split, data_dir, download)
    if key == "digits":
        if split not in SPLITS:
            raise ValueError(f"split: expected 'train' or 'test', got {split!r}")
        return load_digits(split)
    raise ValueError(f"name: unknown dataset {name!r}; expected one of {', '.join(DATASETS)}")
