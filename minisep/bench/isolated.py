"""Timing minisep and torch each in its own process, in alternating rounds: what a user waits for.

Timed in one process, the two libraries slow each other down: torch's OpenMP workers keep spinning
after each call and compete with minisep's kernel threads for the cores, which makes torch look
slower than it is when run alone. So every measurement here runs in a child process that imports
only one of the two (minisep, or torch plus minisep's model builder for the same weights):

    round 1: minisep child, torch child      round 2: torch child, minisep child      ...

Each child times every case (median of ``repeats`` calls after warm-up) and prints one JSON line.
A ratio is median over rounds of minisep's medians / the same of torch's; the spread is
(max - min) / median over the rounds. Each child also returns a checksum of its results (sums of
y, gx, gw in float64) so that a fast wrong kernel shows up as a mismatch.

    python -m minisep.bench.isolated child SPEC.json      # one child (what the parent runs)
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict

import numpy as np

from .cases import SPLIT, CaseData, KernelCase

PASSES = SPLIT + ("fwd+bwd",)


# ---- the child: one library, every case ---------------------------------------------------------

def _checksum(arrays) -> list[float]:
    return [float(np.asarray(a, dtype=np.float64).sum()) for a in arrays]


def _minisep_passes(d: CaseData) -> tuple[dict, callable]:
    from .cases import numpy_passes, split_passes
    passes = dict(split_passes(d))
    passes["fwd+bwd"] = numpy_passes(d)["fwd+bwd"]
    return passes, passes["fwd+bwd"]


def _torch_passes(torch, d: CaseData) -> tuple[dict, callable]:
    from .cases import torch_passes, torch_split_passes
    passes = dict(torch_split_passes(torch, d))
    passes["fwd+bwd"] = torch_passes(torch, d)["fwd+bwd"]
    return passes, passes["fwd+bwd"]


def _api_pass(who: str, torch, d: CaseData):
    """The public autograd path: depthwise conv -> product with a fixed gy -> sum -> backward."""
    if who == "minisep":
        import minisep as ms
        import minisep.nn.functional as F
        x, w = ms.tensor(d.x, requires_grad=True), ms.tensor(d.w, requires_grad=True)
        gy = ms.tensor(d.gy)

        def step():
            x.grad = w.grad = None
            (F.depthwise_conv2d(x, w, padding=d.case.padding) * gy).sum().backward()
        return step
    pt, pb, pl, pr = d.g.padding
    x = torch.from_numpy(d.x.copy()).requires_grad_()
    w = torch.from_numpy(d.w.copy()).requires_grad_()
    gy = torch.from_numpy(d.gy.copy())

    def tstep():
        x.grad = w.grad = None
        xp = torch.nn.functional.pad(x, (pl, pr, pt, pb))
        (torch.nn.functional.conv2d(xp, w, groups=d.case.C) * gy).sum().backward()
    return tstep


def _steps(who: str, torch, variants, repeats: int, measure, clock: str) -> dict:
    from .steps import StepPair
    out = {}
    for variant in variants:
        pair = StepPair(variant, torch=torch if who == "torch" else None, clock=clock)
        fn = pair.torch_step if who == "torch" else pair.minisep_step
        out[variant] = measure({variant: fn}, repeats, warmup=3, block=2, budget_s=20.0, clock=clock)[variant].median
    return out


def run_child(spec: dict) -> dict:
    """Time one library on every case of ``spec``; the result is plain JSON."""
    from .timing import copy_bandwidth, measure
    who, threads, clock, repeats = spec["who"], spec["threads"], spec["clock"], spec["repeats"]
    torch = None
    if who == "torch":
        import torch
        torch.set_num_threads(threads)
    import numba
    numba.set_num_threads(threads)
    result = {"who": who, "pid": os.getpid(), "kernels": {}, "api": {}, "steps": {}}
    for raw in spec["cases"]:
        d = CaseData(KernelCase(**raw))
        passes, full = _minisep_passes(d) if who == "minisep" else _torch_passes(torch, d)
        stats = measure(passes, repeats, budget_s=spec.get("budget_s", 6.0), clock=clock)
        result["kernels"][d.case.label] = {"median": {k: s.median for k, s in stats.items()},
                                           "checksum": _checksum(full())}
        if spec.get("api") and d.case.kind == "depthwise":
            fn = _api_pass(who, torch, d)
            result["api"][d.case.label] = measure({"api": fn}, repeats, budget_s=6.0, clock=clock)["api"].median
    result["steps"] = _steps(who, torch, spec.get("steps", ()), repeats, measure, clock)
    if who == "minisep":
        seconds = copy_bandwidth(threads, clock=clock).median  # one np.copyto of 256 MB, read + written
        result["floor_gbs"] = 2 * 256 * 2**20 / seconds / 1e9
    return result


# ---- the parent: alternating rounds -------------------------------------------------------------

def _child_env() -> dict:
    env = dict(os.environ)
    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env["PYTHONPATH"] = here + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def spawn(spec: dict, timeout_s: float = 1800, module: str = "minisep.bench.isolated") -> dict:
    """Run one child (``python -m module child SPEC``) and return its JSON result (the last line it prints)."""
    proc = subprocess.run([sys.executable, "-m", module, "child", json.dumps(spec)],
                          capture_output=True, text=True, timeout=timeout_s, env=_child_env())
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child ({spec['who']}) failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_rounds(cases: list[KernelCase], variants=(), rounds: int = 3, repeats: int = 15, threads: int = 2,
               clock: str = "wall", api: bool = True, torch: bool = True, progress=None) -> dict:
    """{'minisep': [child results per round], 'torch': [...]}; the first library alternates per round."""
    whos = ["minisep", "torch"] if torch else ["minisep"]
    spec = {"cases": [asdict(c) for c in cases], "steps": list(variants), "repeats": repeats,
            "threads": threads, "clock": clock, "api": api}
    out = {who: [] for who in whos}
    for r in range(rounds):
        for who in (whos if r % 2 == 0 else whos[::-1]):
            if progress:
                progress(f"minisep bench: round {r + 1}/{rounds}, {who} in its own process...")
            out[who].append(spawn(dict(spec, who=who)))
    return out


def _over_rounds(values: list[float]) -> tuple[float | None, float | None]:
    values = [v for v in values if v is not None]
    if not values:
        return None, None
    med = float(np.median(values))
    return med, (max(values) - min(values)) / med if med > 0 else 0.0


def summarise(results: dict) -> dict:
    """Medians over rounds, ratios minisep/torch and spreads, per case and pass, step and API call."""
    ours, theirs = results["minisep"], results.get("torch", [])
    summary = {"kernels": {}, "api": {}, "steps": {}, "mismatch": []}
    for label in ours[0]["kernels"]:
        row = {}
        for p in PASSES:
            m, ms = _over_rounds([c["kernels"][label]["median"].get(p) for c in ours])
            t, ts = _over_rounds([c["kernels"][label]["median"].get(p) for c in theirs])
            row[p] = {"minisep_s": m, "torch_s": t, "ratio": m / t if m and t else None,
                      "spread": max(s for s in (ms, ts) if s is not None) if ms is not None else None}
        summary["kernels"][label] = row
        if theirs:
            a, b = np.array(ours[0]["kernels"][label]["checksum"]), np.array(theirs[0]["kernels"][label]["checksum"])
            if np.max(np.abs(a - b) / np.maximum(np.abs(b), 1.0)) > 1e-3:
                summary["mismatch"].append(label)
    for key in ("api", "steps"):
        for label in ours[0][key]:
            m, ms = _over_rounds([c[key][label] for c in ours])
            t, ts = _over_rounds([c[key][label] for c in theirs])
            summary[key][label] = {"minisep_s": m, "torch_s": t, "ratio": m / t if m and t else None,
                                   "spread": max(s for s in (ms, ts) if s is not None)}
    summary["floor_gbs"] = float(np.median([c["floor_gbs"] for c in ours]))
    return summary


def bench_isolated(args, cases: list[KernelCase] | None = None, variants: tuple | None = None, stream=None) -> int:
    """``benchmarks/run.py``'s default: the alternating-rounds table with every target. Exit 1 on a mismatch."""
    import time

    from .cases import model_cases
    from .cases import TARGET_CASES, QUICK_LABELS
    from .report import isolated_tables, isolated_verdicts
    from .timing import usable_cores
    out = stream or sys.stdout
    quick = bool(getattr(args, "quick", False))
    if cases is None:
        cases = [c for c in TARGET_CASES if not quick or c.label in QUICK_LABELS]
        cases += [] if quick or getattr(args, "no_model_layers", False) else model_cases()
        only = getattr(args, "only", None)
        cases = [c for c in cases if only is None or only in c.label]
    if variants is None:
        variants = () if getattr(args, "no_models", False) else ("separable", "standard")
    rounds = getattr(args, "rounds", None) or (2 if quick else 3)
    repeats = getattr(args, "repeats", None) or (8 if quick else 15)
    threads = getattr(args, "threads", None) or min(2, usable_cores())
    clock = getattr(args, "clock", None) or "wall"
    try:
        import torch  # noqa: F401  (only to know whether a torch child can run)
        have_torch = not getattr(args, "no_torch", False)
    except ImportError:
        have_torch = False
        print("torch not installed: minisep is timed alone (pip install -e '.[ref]')", file=out)
    t0 = time.time()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    results = run_rounds(cases, variants, rounds, repeats, threads, clock, api=True, torch=have_torch,
                         progress=lambda line: print(line, file=sys.stderr, flush=True))
    summary = summarise(results)
    say = lambda line="": print(line, file=out, flush=True)  # noqa: E731
    say(f"minisep bench (isolated), {time.strftime('%Y-%m-%d %H:%M:%S %Z')}: {clock} clock, {threads} threads on "
        f"both sides, {repeats} calls per timing; load average {load:.2f} at start, "
        f"{os.getloadavg()[0] if hasattr(os, 'getloadavg') else float('nan'):.2f} at the end; {time.time() - t0:.0f} s")
    say()
    for line in isolated_tables(summary, cases, rounds) + [""] + isolated_verdicts(summary, cases):
        say(line)
    if getattr(args, "json", None):
        from ..data._atomic import atomic_write_bytes
        atomic_write_bytes(args.json, json.dumps({"results": results, "summary": summary}, indent=1).encode())
        say(f"results written to {args.json}")
    return 1 if summary["mismatch"] else 0


def child_main(run, module: str, argv=None) -> int:
    """The child side of `spawn`: ``python -m module child SPEC_JSON`` prints run(spec) as one JSON line."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2 or argv[0] != "child":
        print(f"usage: python -m {module} child SPEC_JSON", file=sys.stderr)
        return 2
    print(json.dumps(run(json.loads(argv[1]))), flush=True)
    return 0


def main(argv=None) -> int:
    return child_main(run_child, "minisep.bench.isolated", argv)


if __name__ == "__main__":
    sys.exit(main())
