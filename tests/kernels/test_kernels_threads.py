"""threads.parallel_jobs: every job runs exactly once, on any thread count, errors reach the caller, small work
stays on one thread; chunked_sum gives the same bits on any thread count."""
import numba
import numpy as np
import pytest
from numba import njit

from minisep.kernels.threads import SERIAL_WORK, chunked_sum, parallel_jobs, thread_count


@njit(nogil=True)
def _count(hits, lo, hi):
    for j in range(lo, hi):
        hits[j] += 1


@pytest.mark.parametrize("n", [0, 1, 2, 7, 1000])
@pytest.mark.parametrize("threads", [1, 2])
def test_every_job_runs_once(n, threads):
    hits = np.zeros(n, np.int64)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
        parallel_jobs(_count, n, hits, work=SERIAL_WORK)
    finally:
        numba.set_num_threads(before)
    assert np.all(hits == 1)


def test_an_error_in_a_job_reaches_the_caller():
    def job(lo, hi):
        if lo <= 3 < hi:
            raise ValueError("job 3 failed")
    with pytest.raises(ValueError, match="job 3 failed"):
        parallel_jobs(job, 8, work=SERIAL_WORK)


def test_small_work_runs_on_the_calling_thread():
    assert thread_count(SERIAL_WORK - 1) == 1
    assert thread_count(SERIAL_WORK) == numba.get_num_threads()
    seen = []
    parallel_jobs(lambda lo, hi: seen.append((lo, hi)), 5, work=SERIAL_WORK - 1)
    assert seen == [(0, 5)]  # one call, the whole range


@pytest.mark.parametrize("n", [0, 1, 3, 20])
def test_chunked_sum_does_not_depend_on_the_threads(n):
    values = np.random.default_rng(n).standard_normal((n, 3))

    def add(part, lo, hi):  # items lo..hi-1 into part (3,)
        for i in range(lo, hi):
            part += values[i]
    sums = []
    before = numba.get_num_threads()
    try:
        for threads in (1, min(2, numba.config.NUMBA_NUM_THREADS)):
            numba.set_num_threads(threads)
            sums.append(chunked_sum(add, n, (3,), np.float64, work=SERIAL_WORK))
    finally:
        numba.set_num_threads(before)
    assert np.array_equal(sums[0], sums[1])
    np.testing.assert_allclose(sums[0], values.sum(axis=0), atol=1e-12)
