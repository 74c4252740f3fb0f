"""threads.parallel_jobs: every job runs exactly once, on any thread count, and errors reach the caller."""
import numba
import numpy as np
import pytest
from numba import njit

from minisep.kernels.threads import parallel_jobs


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
        parallel_jobs(_count, n, hits)
    finally:
        numba.set_num_threads(before)
    assert np.all(hits == 1)


def test_an_error_in_a_job_reaches_the_caller():
    def job(lo, hi):
        if lo <= 3 < hi:
            raise ValueError("job 3 failed")
    with pytest.raises(ValueError, match="job 3 failed"):
        parallel_jobs(job, 8)
