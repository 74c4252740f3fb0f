"""Run a jitted kernel over independent jobs on a few Python threads (the kernels release the GIL).

Why not numba's `parallel=True` / `prange`: each parallel kernel costs 1.5-5 s more to compile
(numba's parfor passes and the gufunc it builds), 11 kernels ~30 s on a 2-core machine, paid on
every cold start; and its OpenMP threads spin while they wait (or, made passive, the setting also
slows the other libraries in the process, such as torch). Here a kernel is plain `@njit(nogil=True)`
code over a range of jobs, `kernel(*args, lo, hi)`, and this module hands out slices of the range:

    parallel_jobs(kernel, n, *args, work=w)   kernel(*args, lo, hi) over slices [lo, hi) of range(n)
    chunked_sum(kernel, n, shape, dtype, *args, work=w)   Σ of per-chunk partial sums, in a fixed order

The one threads rule, `thread_count(work)`: one thread below SERIAL_WORK operations, else
numba.get_num_threads() (so NUMBA_NUM_THREADS and numba.set_num_threads keep their meaning). A
parallel launch costs tens of microseconds, and milliseconds when another process holds the cores,
which dominates tiny problems (gradient checks call the kernels thousands of times). `work` counts
multiply-adds (convolutions) or window comparisons/additions (pooling); a memory-bound elementwise
pass counts VALUE_WORK per value (ReLU, BatchNorm).

The range is cut in a few slices per thread, taken in turn, so a thread that the OS holds back does
not hold up the others. Each job must write only its own part of the output: then the result does
not depend on the threads. An exception in a job is raised in the caller (not dropped, as in a prange).
"""
from __future__ import annotations

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np

SERIAL_WORK = 250_000  # operations below which one thread beats waking the others (and waiting for them)
VALUE_WORK = 4  # a value streamed through memory (an elementwise pass) costs about 4 vectorised multiply-adds
SLICES_PER_THREAD = 4
SUM_CHUNKS = 8  # chunked_sum splits its items in at most this many chunks: fixed, so the sum's order is too
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def thread_count(work: int) -> int:
    """How many threads for this much work: 1 below SERIAL_WORK, else numba.get_num_threads()."""
    return 1 if work < SERIAL_WORK else numba.get_num_threads()


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:  # started on first use; at most NUMBA_NUM_THREADS - 1 workers besides the caller
            _pool = ThreadPoolExecutor(max_workers=max(1, numba.config.NUMBA_NUM_THREADS - 1),
                                       thread_name_prefix="minisep-kernel")
        return _pool


def _take_slices(kernel, args, bounds, counter) -> None:
    while True:
        s = next(counter)  # itertools.count is atomic under the GIL: each slice is taken once
        if s >= len(bounds) - 1:
            return
        kernel(*args, bounds[s], bounds[s + 1])


def parallel_jobs(kernel, n: int, *args, work: int) -> None:
    """kernel(*args, lo, hi) for slices [lo, hi) covering range(n), on up to thread_count(work) threads."""
    threads = min(n, thread_count(work))
    if threads <= 1:
        if n > 0:
            kernel(*args, 0, n)
        return
    slices = min(n, SLICES_PER_THREAD * threads)
    bounds = [n * s // slices for s in range(slices + 1)]
    counter = itertools.count()
    futures = [_executor().submit(_take_slices, kernel, args, bounds, counter) for _ in range(threads - 1)]
    try:
        _take_slices(kernel, args, bounds, counter)
    finally:
        for f in futures:
            f.result()  # waits for every helper; re-raises a job's exception here


def chunked_sum(kernel, n: int, shape: tuple, dtype, *args, work: int) -> np.ndarray:
    """Σ_{i<n} (item i's terms) -> shape, where kernel(*args, part, lo, hi) adds the terms of items
    lo <= i < hi into part (a zeroed array of `shape`).

    The items (samples) are cut in min(n, SUM_CHUNKS) fixed chunks, one partial sum each (the jobs of
    parallel_jobs), added up in chunk order: the result does not depend on the number of threads.
    """
    chunks = min(n, SUM_CHUNKS)
    part = np.zeros((chunks,) + tuple(shape), dtype)  # (chunk, *shape) partial sums

    def run(ch_lo, ch_hi):  # chunk ch writes only part[ch]
        for ch in range(ch_lo, ch_hi):
            kernel(*args, part[ch], ch * n // chunks, (ch + 1) * n // chunks)

    parallel_jobs(run, chunks, work=work)
    total = np.zeros(shape, dtype)
    for ch in range(chunks):  # a fixed order: the result does not depend on the threads
        total += part[ch]
    return total
