"""Benchmark minisep against PyTorch: kernels one by one, the public API, training steps, with targets.

    python benchmarks/run.py --split               # the judged table: each library in its own process,
                                                   # alternating rounds (about 10 minutes on 2 cores)
    python benchmarks/run.py --quick               # 3 kernel shapes + training steps, 2 rounds
    python benchmarks/run.py --threads 1 --clock cpu    # steadier ratios on a busy, shared machine
    python benchmarks/run.py --interleaved         # the old one-process harness (also numpy references,
                                                   # GB/s, GFLOP/s; flatters minisep: see docs/performance.md)
    python benchmarks/run.py --only depthwise --no-models --json out.json

What the columns mean: docs/performance.md. The epoch benchmark is benchmarks/epoch.py.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog="\n".join(__doc__.splitlines()[1:]),
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="fewer repeats and shapes")
    p.add_argument("--repeats", type=int, default=None, help="timed calls per measurement (default 30, quick 10)")
    p.add_argument("--json", default=None, help="also write the results to this JSON file")
    p.add_argument("--threads", type=int, default=None,
                   help="threads for numba and torch alike (default: numba's default, all cores)")
    p.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                   help="wall clock (default) or process CPU time (only with --threads 1: barely affected by "
                        "other processes on the machine)")
    p.add_argument("--steady-malloc", action="store_true",
                   help="restart with glibc's MALLOC_MMAP_THRESHOLD_ and MALLOC_TRIM_THRESHOLD_ at 4 GB, so freed "
                        "buffers are reused instead of fresh pages being faulted in (history-dependent otherwise)")
    p.add_argument("--only", default=None, help="only the kernel cases whose label contains this text")
    p.add_argument("--split", action="store_true",
                   help="with --interleaved: also time the three kernels one by one (the isolated harness always does)")
    p.add_argument("--interleaved", action="store_true",
                   help="time minisep and torch interleaved in this process (the old harness; torch's spinning "
                        "OpenMP workers then slow both)")
    p.add_argument("--rounds", type=int, default=None, help="alternating rounds of the isolated harness (default 3)")
    p.add_argument("--no-model-layers", action="store_true", help="skip the MNIST models' conv layers")
    p.add_argument("--no-models", action="store_true", help="skip the whole training steps")
    p.add_argument("--no-reference", action="store_true", help="skip the numpy reference kernels")
    p.add_argument("--no-torch", action="store_true", help="time without torch even if it is installed")
    return p


def git_state() -> str:
    """'git <commit>, N files modified' of the checkout this script lives in (or why not known)."""
    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True,
                              timeout=10, check=True).stdout.strip()
        status = subprocess.run(["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True,
                                timeout=10, check=True).stdout.splitlines()
    except (OSError, subprocess.SubprocessError):
        return "git: unknown (not a git checkout, or git is missing)"
    changed = [line[3:] for line in status if not line.startswith("??")]
    return f"git {head}" + (f", uncommitted changes in: {', '.join(changed)}" if changed else ", clean")


STEADY_MALLOC = {"MALLOC_MMAP_THRESHOLD_": str(2**32), "MALLOC_TRIM_THRESHOLD_": str(2**32)}


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if args.steady_malloc and any(os.environ.get(k) != v for k, v in STEADY_MALLOC.items()):
        # glibc reads these once, at start-up: run this script again with them set
        os.execve(sys.executable, [sys.executable, __file__] + (argv if argv is not None else sys.argv[1:]),
                  dict(os.environ, **STEADY_MALLOC))
    for name in ("repeats", "rounds", "threads"):
        value = getattr(args, name)
        if value is not None and value < 1:
            print(f"run.py: error: --{name} must be >= 1, got {value}", file=sys.stderr)
            return 2
    print(f"command: {' '.join([Path(sys.argv[0]).name] + (argv if argv is not None else sys.argv[1:]))}; "
          f"{git_state()}", flush=True)
    if args.interleaved:
        from minisep.bench.run import run_bench  # after parsing, so --help answers without importing numba
        return run_bench(args)
    from minisep.bench.isolated import bench_isolated
    return bench_isolated(args)


if __name__ == "__main__":
    sys.exit(main())
