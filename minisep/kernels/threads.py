"""Run a jitted kernel over independent jobs on a few Python threads (the kernels release the GIL).

Why not numba's `parallel=True` / `prange`: each parallel kernel costs 1.5-5 s more to compile
(numba's parfor passes and the gufunc it builds), 11 kernels ~30 s on a 2-core machine, paid on
every cold start; and its OpenMP threads spin while they wait (or, made passive, the setting also
slows the other libraries in the process, such as torch). Here a kernel is plain `@njit(nogil=True)`
code over a range of jobs, `kernel(*args, lo, hi)`, and this module hands out slices of the range:

    parallel_jobs(kernel, n, *args)   runs kernel(*args, lo, hi) over slices [lo, hi) of range(n)

on numba.get_num_threads() threads (the calling thread works too), so NUMBA_NUM_THREADS,
numba.set_num_threads and core.threads_for keep their meaning. The range is cut in a few slices
per thread, taken in turn, so a thread that the OS holds back does not hold up the others. Each
job must write only its own part of the output: then the result does not depend on the threads.
An exception in a job is raised in the caller (not dropped, as inside a prange).
"""
from __future__ import annotations

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor

import numba

SLICES_PER_THREAD = 4
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


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


def parallel_jobs(kernel, n: int, *args) -> None:
    """kernel(*args, lo, hi) for slices [lo, hi) covering range(n), on up to numba.get_num_threads() threads."""
    threads = min(n, numba.get_num_threads())
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
