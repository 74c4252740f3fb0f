"""Timing tools of ``minisep bench``: interleaved repeated calls, medians and spread; the machine's limits.

On a shared machine a slow spell (another process taking the cores) must hit every implementation
alike, or the ratios lie. So ``measure`` warms every callable up, then cycles through them in
blocks of a few consecutive calls (each runs with warm caches), rotating the order every round,
until each has ``repeats`` timed calls. It reports the median and the spread, IQR / median: a
spread of 0.05 means the middle half of the calls lay within ±2.5% of the median; 0.5 means
the machine was busy and the medians are rough.
"""
from __future__ import annotations

import os
import platform
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import numpy as np


@dataclass
class Stat:
    """Seconds (wall clock or CPU time, as measured) of repeated calls of one callable."""

    median: float
    q1: float
    q3: float
    n: int

    @classmethod
    def of(cls, seconds: list[float]) -> "Stat":
        q1, med, q3 = np.percentile(seconds, [25, 50, 75])
        return cls(float(med), float(q1), float(q3), len(seconds))

    @property
    def ms(self) -> float:
        return 1e3 * self.median

    @property
    def spread(self) -> float:
        """(q3 - q1) / median: how noisy the timed calls were (0 = all equal)."""
        return (self.q3 - self.q1) / self.median if self.median > 0 else 0.0

    def as_dict(self) -> dict:
        return dict(asdict(self), spread=self.spread)


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def measure(fns: dict[str, Callable[[], object]], repeats: int, *, warmup: int = 2, block: int = 3,
            budget_s: float = 8.0, clock: str = "wall") -> dict[str, Stat]:
    """{name: Stat} of ``repeats`` timed calls per callable, interleaved in blocks (see module doc).

    Stops early, after at least 3 calls each, when the timed calls have taken ``budget_s`` seconds
    (wall clock): a slow case still gets a median, and the whole benchmark a bounded run time.
    clock 'wall' times what a user waits; 'cpu' (process CPU time, all threads summed) times only the
    work this process did, so it barely changes when other processes share the cores: use it with
    one thread (with more, it also counts threads spinning while they wait for each other).
    """
    tick = CLOCKS[clock]
    for fn in fns.values():  # JIT compile or cache load, torch's first-call set-up, page faults
        for _ in range(warmup):
            fn()
    times: dict[str, list[float]] = {key: [] for key in fns}
    keys = list(fns)
    start, round_ = time.perf_counter(), 0
    while min(len(t) for t in times.values()) < repeats:
        order = keys[round_ % len(keys):] + keys[:round_ % len(keys)]  # rotate: nobody always goes first
        for key in order:
            for _ in range(min(block, repeats - len(times[key]))):
                t0 = tick()
                fns[key]()
                times[key].append(tick() - t0)
        round_ += 1
        if time.perf_counter() - start > budget_s and min(len(t) for t in times.values()) >= min(3, repeats):
            break
    return {key: Stat.of(t) for key, t in times.items()}


# ---- the machine --------------------------------------------------------------------------------

def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_features() -> str:
    """The SIMD extensions LLVM can use here (avx2, fma, avx512f), from /proc/cpuinfo."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return "?"
    flags = next((ln.split(":", 1)[1].split() for ln in text.splitlines() if ln.startswith("flags")), [])
    return "+".join(f for f in ("avx2", "fma", "avx512f") if f in flags) or "no avx2"


def cache_sizes() -> str:
    """'L2 1M, L3 32M' per core / per instance, from sysfs (empty when unknown)."""
    parts = []
    for d in sorted(Path("/sys/devices/system/cpu/cpu0/cache").glob("index*")):
        try:
            level, kind = (d / "level").read_text().strip(), (d / "type").read_text().strip()
            if kind != "Instruction" and level in ("2", "3"):
                parts.append(f"L{level} {(d / 'size').read_text().strip()}")
        except OSError:
            continue
    return ", ".join(parts)


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def copy_bandwidth(threads: int, mbytes: int = 256, repeats: int = 5, clock: str = "wall") -> Stat:
    """GB/s of np.copyto of ``mbytes`` MB split over ``threads`` Python threads (numpy drops the GIL
    while copying). Counts bytes read + bytes written (STREAM's convention), so the time to move a
    kernel's x + y + w once is (bytes x + y + w) / this. Stat holds seconds per copy."""
    n = mbytes * 2**20 // 4
    src = np.ones(n, np.float32)
    dst = np.empty_like(src)
    bounds = np.linspace(0, n, threads + 1).astype(int)

    def part(k: int) -> None:
        np.copyto(dst[bounds[k]:bounds[k + 1]], src[bounds[k]:bounds[k + 1]])

    def copy() -> None:
        if threads == 1:
            part(0)
            return
        workers = [threading.Thread(target=part, args=(k,)) for k in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()

    return measure({"copy": copy}, repeats, warmup=1, block=1, budget_s=4.0, clock=clock)["copy"]


def matmul_gflops(dtype, n: int = 1024, repeats: int = 5, clock: str = "wall") -> float:
    """GFLOP/s of an n x n matmul through numpy's BLAS (2·n³ flops), median of ``repeats``."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((n, n)).astype(dtype), rng.standard_normal((n, n)).astype(dtype)
    out = np.empty((n, n), dtype)
    stat = measure({"mm": lambda: np.matmul(a, b, out=out)}, repeats, warmup=1, block=1, budget_s=4.0,
                   clock=clock)["mm"]
    return 2 * n**3 / stat.median / 1e9


THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS",
               "NUMBA_THREADING_LAYER")


def malloc_settings() -> str:
    """glibc's allocator settings from the environment: by default a freed large buffer may go back to
    the OS and the next one be page-faulted in afresh (~1.4 GB/s), depending on the process's history."""
    keys = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")
    set_ = [f"{k}={os.environ[k]}" for k in keys if k in os.environ]
    return ", ".join(set_) if set_ else "glibc default (dynamic mmap threshold)"


def thread_settings() -> str:
    """The thread-count variables set in the environment (minisep sets OPENBLAS_NUM_THREADS=1 itself)."""
    return ", ".join(f"{k}={os.environ[k]}" for k in THREAD_VARS if k in os.environ) or "none set"


@dataclass
class Machine:
    cpu: str
    features: str
    caches: str
    cores: int
    numba_threads: int
    threading_layer: str
    torch_threads: int | None
    versions: dict
    load_before: float
    copy_gbs: dict  # {threads: GB/s}
    copy_spread: dict
    floor_gbs: float  # the best copy speed: the floor every kernel is held against
    matmul_gflops: dict  # {'float32': GFLOP/s, 'float64': GFLOP/s}
    clock: str  # 'wall' or 'cpu': how every time of the run was taken

    def lines(self) -> list[str]:
        torch_v = self.versions.get("torch") or "not installed"
        cpu_note = ", its threads' CPU time summed" if self.clock == "cpu" else ""
        copies = ", ".join(f"{t} thread{'s' * (t > 1)} {g:.1f} GB/s (spread {self.copy_spread[t]:.2f})"
                           for t, g in self.copy_gbs.items())
        return [
            f"machine: {self.cpu} ({self.features}; {self.caches}), {self.cores} usable cores, "
            f"minisep kernels on {self.numba_threads} threads ({self.threading_layer}), torch "
            f"{self.torch_threads if self.torch_threads is not None else '-'} threads; load average "
            f"{self.load_before:.2f} at start",
            f"versions: python {platform.python_version()}, numpy {self.versions['numpy']}, "
            f"numba {self.versions['numba']}, torch {torch_v}; malloc: {malloc_settings()}; "
            f"thread variables: {thread_settings()}",
            f"bandwidth floor: np.copyto of 256 MB, bytes read + written: {copies}; floor = {self.floor_gbs:.1f} GB/s",
            f"matmul 1024x1024 (numpy BLAS{cpu_note}): float32 {self.matmul_gflops['float32']:.0f} GFLOP/s, "
            f"float64 {self.matmul_gflops['float64']:.0f} GFLOP/s",
        ]


def machine(numba_threads: int, torch_mod, quick: bool, clock: str = "wall") -> Machine:
    """Measure this machine's copy bandwidth and matmul speed, and say what it is."""
    import numba

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    reps = 3 if quick else 7
    copies = {t: copy_bandwidth(t, repeats=reps, clock=clock) for t in sorted({1, numba_threads})}
    gbs = {t: 2 * 256 * 2**20 / s.median / 1e9 for t, s in copies.items()}
    flops = {dt: matmul_gflops(np.dtype(dt), repeats=reps, clock=clock) for dt in ("float32", "float64")}
    layer = "Python threads running numba nogil kernels, minisep.kernels.threads"
    versions = {"numpy": np.__version__, "numba": numba.__version__,
                "torch": getattr(torch_mod, "__version__", None)}
    return Machine(cpu_model(), cpu_features(), cache_sizes(), usable_cores(), numba_threads, layer,
                   torch_mod.get_num_threads() if torch_mod is not None else None, versions, load, gbs,
                   {t: s.spread for t, s in copies.items()}, max(gbs.values()), flops, clock)
