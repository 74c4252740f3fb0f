"""The interleaved harness: minisep's kernels and training steps against the numpy references and torch, in one process.

    minisep bench [--quick] [--repeats N] [--json FILE]         (more options: python benchmarks/run.py --help)

Prints the machine and its measured limits (copy bandwidth, matmul GFLOP/s), then per convolution
case the median wall-clock ms of minisep / numpy reference / torch for the forward pass and for
forward + both backward kernels, the ratios minisep/torch (lower is better) next to the
targets, achieved GB/s and GFLOP/s and the distance from the bandwidth floor; then whole training
steps of the MNIST CNNs. Every timing is a median of interleaved repeated calls after warm-up; the
spread (IQR / median) says how noisy the machine was. torch is optional: without it, minisep is
still timed against the numpy references. Exit code 0, or 1 when minisep's results disagree with
torch's (or the reference's): a fast wrong kernel is a failure.

Layout: timing.py (timer, machine), cases.py (cases), steps.py (training steps), report.py (tables);
isolated.py times each library in its own process (benchmarks/run.py's default), epoch.py a whole epoch.
"""
from __future__ import annotations

import os
import sys
import time
from dataclasses import asdict

import numpy as np

from .cases import (TARGET_CASES, QUICK_LABELS, SPLIT, CaseData, KernelCase, max_rel_error, model_cases,
                            numpy_passes, split_passes, torch_passes, torch_split_passes)
from .steps import StepPair
from .report import kernel_tables, split_table, step_table, target_lines
from .timing import Stat, machine, measure

TORCH_MISSING = "torch not installed: pip install -e '.[ref]'"
CLOCK_WORDS = {"wall": "wall-clock", "cpu": "process-CPU-time"}
TOLERANCE = {"float32": 1e-4, "float64": 1e-10}  # max relative error of y, gx, gw against torch


def import_torch(wanted: bool = True, log=print):
    """torch, or None (with a message saying how to get it) when it is not installed."""
    if not wanted:
        return None
    try:
        import torch
    except ImportError:
        log(TORCH_MISSING)
        return None
    return torch


# ---- kernels ------------------------------------------------------------------------------------

def time_reference(d: CaseData, repeats: int, limit_s: float, clock: str) -> tuple[dict, str]:
    """({'fwd': Stat, 'fwd+bwd': Stat} for the passes that fit in ``limit_s`` seconds per call, note).

    The references are slow (einsum on one thread), so their cost is first estimated on a few samples
    (they scale linearly in N) and a pass that would take longer than the limit is skipped."""
    case = d.case
    n_small = max(1, case.N // 16)
    small = numpy_passes(CaseData(KernelCase(**{**asdict(case), "N": n_small})), reference=True)
    stats, skipped = {}, []
    for name in ("fwd", "fwd+bwd"):
        t0 = time.perf_counter()
        small[name]()
        estimate = (time.perf_counter() - t0) * case.N / n_small
        if estimate > limit_s:
            skipped.append(f"{name} ~{estimate:.0f} s")
            continue
        reps = max(1, min(repeats, 5, int(limit_s / max(estimate, 1e-9))))
        stats[name] = measure({name: numpy_passes(d, reference=True)[name]}, reps, warmup=0, block=1,
                              budget_s=limit_s, clock=clock)[name]
    return stats, ("reference skipped: " + ", ".join(skipped)) if skipped else ""


def time_case(case: KernelCase, torch, repeats: int, budget_s: float, ref_limit_s: float | None,
              clock: str, split: bool = False) -> dict:
    d = CaseData(case)
    ours = numpy_passes(d)
    theirs = torch_passes(torch, d) if torch is not None else {}
    row = {"case": case, "stats": {}, "notes": []}
    for name in ("fwd", "fwd+bwd"):
        fns = {f"minisep {name}": ours[name]}
        if theirs:
            fns[f"torch {name}"] = theirs[name]
        row["stats"].update(measure(fns, repeats, budget_s=budget_s, clock=clock))
    if split:  # the three kernels one by one, minisep's and torch's interleaved
        fns = {f"minisep {k}": f for k, f in split_passes(d).items()}
        if torch is not None:
            fns.update({f"torch {k}": f for k, f in torch_split_passes(torch, d).items()})
        row["split"] = measure(fns, repeats, budget_s=budget_s, clock=clock)
    if ref_limit_s is not None:
        ref, note = time_reference(d, repeats, ref_limit_s, clock)
        row["stats"].update({f"reference {k}": v for k, v in ref.items()})
        if note:
            row["notes"].append(note)
    # correctness: the same y, gx, gw as torch (or as the reference when torch is missing)
    oracle = theirs or (numpy_passes(d, reference=True) if "reference fwd+bwd" in row["stats"] else None)
    if oracle:
        row["error"] = max_rel_error(ours["fwd+bwd"](), [np.asarray(a) for a in oracle["fwd+bwd"]()])
        row["ok"] = row["error"] <= TOLERANCE[case.dtype]
    return row


def kernel_metrics(row: dict, floor_gbs: float) -> dict:
    case, s = row["case"], row["stats"]
    fwd, fb = s["minisep fwd"].median, s["minisep fwd+bwd"].median
    t_fwd, t_fb = s.get("torch fwd"), s.get("torch fwd+bwd")
    floor_s = case.bytes_moved() / (floor_gbs * 1e9)
    return {"ratio_fwd": fwd / t_fwd.median if t_fwd else None, "ratio_fb": fb / t_fb.median if t_fb else None,
            "gbs": case.bytes_moved() / fwd / 1e9, "gflops_fwd": 2 * case.mult_adds() / fwd / 1e9,
            "gflops_fb": 3 * 2 * case.mult_adds() / fb / 1e9, "x_floor": fwd / floor_s,
            "spread": max(st.spread for st in s.values() if st is not None)}


# ---- training steps -----------------------------------------------------------------------------

def time_steps(variant: str, torch, repeats: int, budget_s: float, clock: str, batch: int = 128) -> dict:
    pair = StepPair(variant, batch, torch=torch, clock=clock)
    row = {"variant": variant, "params": pair.params, "mult_adds": pair.mult_adds, "batch": batch}
    if torch is not None:
        row["logits_error"] = pair.logits_error()
        row["ok"] = row["logits_error"] <= 1e-4
    fns = {"minisep": pair.minisep_step}
    if torch is not None:
        fns["torch"] = pair.torch_step
    warmup = 2
    row["stats"] = measure(fns, repeats, warmup=warmup, block=2, budget_s=budget_s, clock=clock)
    row["phases"] = {who: pair.phase_ms(who, warmup) for who in fns}
    row["ratio"] = (row["stats"]["minisep"].median / row["stats"]["torch"].median) if torch is not None else None
    return row


# ---- the whole run ------------------------------------------------------------------------------

def select_cases(args) -> list[KernelCase]:
    cases = list(TARGET_CASES)
    if getattr(args, "quick", False):
        cases = [c for c in cases if c.label in QUICK_LABELS]
    elif not getattr(args, "no_model_layers", False):
        cases += model_cases()
    only = getattr(args, "only", None)
    return [c for c in cases if only is None or only in c.label]


def _options(args) -> tuple[int, int, str] | str:
    """(repeats, threads, clock) from ``args``, or the one-line error for a bad combination."""
    import numba

    quick = bool(getattr(args, "quick", False))
    repeats = getattr(args, "repeats", None) or (10 if quick else 30)
    if repeats < 1:
        return f"minisep bench: --repeats must be >= 1, got {repeats}"
    threads = getattr(args, "threads", None) or numba.get_num_threads()
    if not 1 <= threads <= numba.config.NUMBA_NUM_THREADS:
        return f"minisep bench: --threads must be in 1..{numba.config.NUMBA_NUM_THREADS}, got {threads}"
    clock = getattr(args, "clock", None) or "wall"
    if clock == "cpu" and threads > 1:
        return "minisep bench: --clock cpu sums the CPU time of all threads, spinning included: use it with --threads 1"
    return repeats, threads, clock


def _measure(args, torch, cases, variants, repeats, threads, clock, step_batch, progress):
    """(machine, kernel rows, step rows): every case and training step, timed against its references."""
    quick = bool(getattr(args, "quick", False))
    budget = 3.0 if quick else 8.0
    ref_limit = None if getattr(args, "no_reference", False) else (1.5 if quick else 3.0)
    numpy_passes(CaseData(cases[0] if cases else TARGET_CASES[0]))["fwd"]()  # picks numba's threading layer
    progress("minisep bench: measuring the machine...")
    mach = machine(threads, torch, quick, clock)
    kernel_rows, step_rows = [], []
    for case in cases:
        progress(f"minisep bench: {case.label} {case.dtype}...")
        row = time_case(case, torch, repeats, budget, ref_limit, clock, bool(getattr(args, "split", False)))
        row["metrics"] = kernel_metrics(row, mach.floor_gbs)
        kernel_rows.append(row)
    for variant in variants:
        progress(f"minisep bench: training step, {variant}...")
        step_rows.append(time_steps(variant, torch, repeats, 2 * budget, clock, step_batch))
    return mach, kernel_rows, step_rows


def _report(mach, kernel_rows, step_rows, repeats, clock, load_after) -> list[str]:
    """The printed report: machine, kernel tables, step table, targets, noise."""
    lines = [f"minisep bench, {time.strftime('%Y-%m-%d %H:%M:%S %Z')}: {CLOCK_WORDS[clock]} medians of {repeats} "
             f"calls per timing{' (fewer where a case hit its time budget)' if repeats > 3 else ''}, after warm-up, "
             f"implementations interleaved", *mach.lines(), ""]
    if kernel_rows:
        lines += [*kernel_tables(kernel_rows, mach.floor_gbs), ""]
        if any("split" in r for r in kernel_rows):
            lines += [*split_table(kernel_rows, SPLIT), ""]
    if step_rows:
        lines += [*step_table(step_rows), ""]
    lines += target_lines(kernel_rows, step_rows)
    spreads = [r["metrics"]["spread"] for r in kernel_rows] + [max(s.spread for s in r["stats"].values())
                                                              for r in step_rows]
    if spreads:
        lines.append(f"Noise: spread (IQR/median) median {np.median(spreads):.0%}, worst {max(spreads):.0%}; load "
                     f"average {mach.load_before:.2f} before, {load_after:.2f} after, on {mach.cores} cores")
        if mach.load_before > 0.5 and clock == "wall":
            lines.append("  The machine was busy before the run: other processes took CPU time from it, so the times "
                         "are slower than on an idle machine, and parallel kernels (here and in torch) wait for "
                         "descheduled threads. Steadier ratios: --threads 1 --clock cpu.")
    return lines


def run_bench(args, cases: list[KernelCase] | None = None, variants: tuple | None = None, stream=None,
              step_batch: int = 128) -> int:
    """Run the benchmark described by ``args`` (quick, repeats, json; benchmarks/run.py adds threads,
    clock, only, split, no_model_layers, no_models, no_reference, no_torch) and print it to ``stream``
    (stdout; progress goes to stderr). ``cases``, ``variants`` and ``step_batch`` override the shapes,
    the models and the training batch (tests use tiny ones). Returns the exit code."""
    import numba

    out = stream or sys.stdout

    def say(line: str = "") -> None:
        print(line, file=out, flush=True)

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    options = _options(args)
    if isinstance(options, str):
        say(options)
        return 2
    repeats, threads, clock = options
    numba.set_num_threads(threads)
    torch = import_torch(not getattr(args, "no_torch", False), say)
    torch_threads = torch.get_num_threads() if torch is not None else None
    if torch is not None:
        torch.set_num_threads(threads)  # same number of threads on both sides
    cases = select_cases(args) if cases is None else cases
    variants = (() if getattr(args, "no_models", False) else ("separable", "standard")) if variants is None else variants
    try:
        mach, kernel_rows, step_rows = _measure(args, torch, cases, variants, repeats, threads, clock, step_batch,
                                                progress)
    finally:
        if torch is not None:
            torch.set_num_threads(torch_threads)
    load_after = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    for line in _report(mach, kernel_rows, step_rows, repeats, clock, load_after):
        say(line)
    bad = [r for r in kernel_rows + step_rows if r.get("ok") is False]
    for r in bad:
        say(f"MISMATCH: {r['case'].label if 'case' in r else r['variant']} disagrees with the oracle")
    if getattr(args, "json", None):
        from ..app.experiment import write_json
        write_json(args.json, _as_json(mach, kernel_rows, step_rows, repeats, load_after))
        say(f"results written to {args.json}")
    return 1 if bad else 0


def _as_json(mach, kernel_rows, step_rows, repeats, load_after) -> dict:
    def clean(obj):
        if isinstance(obj, Stat):
            return obj.as_dict()
        if isinstance(obj, KernelCase):
            return asdict(obj)
        if isinstance(obj, dict):
            return {str(k): clean(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return [clean(v) for v in obj]
        if isinstance(obj, (np.generic,)):
            return obj.item()
        return obj

    return clean({"time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "repeats": repeats, "machine": asdict(mach),
                  "load_after": load_after, "kernels": kernel_rows, "training_steps": step_rows})
