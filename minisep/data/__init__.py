"""minisep.data: datasets, IDX files, downloads and mini-batches, in plain numpy.

This layer depends on numpy only (no Tensor): loaders return ndarrays, images as float32
(N, 1, H, W) in [0, 1] and labels as int64 (N,).

* ``load_mnist``, ``load_fashion_mnist``: IDX files found locally or downloaded and verified
  (see ``datasets.py`` for the search order);
* ``load_digits``: the UCI 8x8 handwritten digits (E. Alpaydin, C. Kaynak; CC BY 4.0),
  embedded in the package (``digits.csv.gz``, attribution in ``DIGITS_LICENSE.txt``), so
  minisep trains with no network at all;
* ``load_dataset(name, split)``: one entry point for 'mnist' | 'fashion-mnist' | 'digits';
* ``read_idx`` / ``write_idx``, ``fetch``, ``DataLoader``, ``mean_std``, ``normalize``.
"""
from .datasets import (
    CHECKSUMS,
    CLASS_NAMES,
    DATASETS,
    FASHION_MNIST_CLASSES,
    MIRRORS,
    DatasetNotFoundError,
    cache_dir,
    find_split_files,
    load_dataset,
    load_fashion_mnist,
    load_mnist,
    search_dirs,
)
from .digits import load_digits
from .download import ChecksumMismatch, CorruptCacheError, DownloadError, check_hashes, fetch, fetch_cached, verify_file
from .idx import read_idx, read_idx_bytes, write_idx
from .loader import ArrayDataset, DataLoader, mean_std, normalize

__all__ = [
    "CHECKSUMS", "CLASS_NAMES", "DATASETS", "FASHION_MNIST_CLASSES", "MIRRORS",
    "ArrayDataset", "ChecksumMismatch", "CorruptCacheError", "DataLoader", "DatasetNotFoundError", "DownloadError",
    "cache_dir", "check_hashes", "fetch", "fetch_cached", "find_split_files", "load_dataset", "load_digits",
    "load_fashion_mnist", "load_mnist", "mean_std", "normalize", "read_idx", "read_idx_bytes",
    "search_dirs", "verify_file", "write_idx",
]
