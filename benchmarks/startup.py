"""Start-up time and memory of minisep training, each measured in fresh processes.

    python benchmarks/startup.py                 # both parts (about a minute on 2 cores, mostly the cold compile)
    python benchmarks/startup.py --skip-memory --warm-runs 5 --cold-runs 2

(a) Start-up: time from starting a Python process to the end of its first training batch, with the
    numba cache warm, and cold in two ways: NUMBA_CACHE_DIR pointed at a new empty folder (numba then
    looks nowhere else), and a fresh copy of the package without __pycache__ first on PYTHONPATH (as a
    fresh clone). Two children, each timed from just before it is spawned (same clock: time.time()):
      script        `import minisep`, load the digits set, build the 'separable' model, Adam, one batch of 32
      minisep train the real `minisep train --dataset digits --quiet` (cli.main), with Optimizer.step
                    wrapped so the child reports the end of its first step and exits there
    Targets: warm <= 1.5 s; cold <= 15 s and `minisep train` says it is compiling once;
    `import minisep` (warm, the script child's import s) <= 0.3 s.
(b) Memory: one child trains the 'separable' MNIST CNN (1x28x28, batch 128, Adam) for --epochs epochs on
    random data, and reports per epoch: the peak RSS so far (getrusage), the RSS at the end of the epoch,
    tracemalloc's peak within the epoch (numpy buffers) and the live minisep Tensors after it. The graph
    is freed after backward when none of these grows. Target: peak RSS of the last epoch ~ the first's.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

MARK = "STARTUP_MARK "
COMPILE_MESSAGE = "compiling the numba kernels once"

SCRIPT_CHILD = r"""
import json, sys, time
t_start = time.time()
import numpy as np
import minisep as ms
from minisep import optim
from minisep.app import models
from minisep.data import load_dataset
t_import = time.time()
x, y = load_dataset("digits", "train")
t_data = time.time()
model = models.build_model("separable", input_shape=x.shape[1:])
opt = optim.Adam(model.parameters(), lr=1e-3)
t_build = time.time()
loss = ms.cross_entropy(model(ms.as_tensor(x[:32])), y[:32])
opt.zero_grad(); loss.backward(); opt.step()
t_step = time.time()
import resource
ru = resource.getrusage(resource.RUSAGE_SELF)
print("%s%s" % (sys.argv[1], json.dumps({"python_up": t_start, "imported": t_import, "data": t_data,
      "built": t_build, "first_step": t_step, "package": ms.__file__, "cpu": ru.ru_utime + ru.ru_stime})), flush=True)
"""

CLI_CHILD = r"""
import json, os, resource, sys, time
t_start = time.time()
import minisep
from minisep import cli
from minisep.optim import optimizer
step = optimizer.Optimizer.step
def first_step(self, *args, **kwargs):
    out = step(self, *args, **kwargs)
    ru = resource.getrusage(resource.RUSAGE_SELF)
    print("%s%s" % (sys.argv[1], json.dumps({"python_up": t_start, "first_step": time.time(),
          "package": minisep.__file__, "cpu": ru.ru_utime + ru.ru_stime})), flush=True)
    os._exit(0)  # the first batch is done: that is all we time
optimizer.Optimizer.step = first_step
cli.main(["train", "--dataset", "digits", "--quiet", "--epochs", "1"])
"""


def run_child(code: str, env_extra: dict) -> dict:
    """Spawn ``python -c code``; return its marks as seconds since the spawn, and its output."""
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env.update(env_extra)
    spawned = time.time()
    # cwd: a folder without minisep in it, or `python -c` (path entry '') would import the package from cwd
    proc = subprocess.run([sys.executable, "-c", code, MARK], capture_output=True, text=True, env=env, timeout=600,
                          cwd=tempfile.gettempdir())
    marks = next((json.loads(line[len(MARK):]) for line in proc.stdout.splitlines() if line.startswith(MARK)), None)
    if marks is None:
        raise RuntimeError(f"child failed (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    extra = {k: marks.pop(k) for k in ("package", "cpu")}  # not times since the spawn
    result = {k: v - spawned for k, v in marks.items()}
    result.update(extra)
    result["compiling_message"] = COMPILE_MESSAGE in proc.stdout + proc.stderr
    return result


def cold_run(code: str, how: str) -> dict:
    """One run with no compiled kernels anywhere numba looks. how='cache dir': NUMBA_CACHE_DIR is a new
    empty folder; how='fresh copy': a copy of the package without __pycache__ comes first on PYTHONPATH,
    as in a fresh clone (numba then caches next to that copy's sources)."""
    import minisep

    with tempfile.TemporaryDirectory(prefix="minisep-cold-") as tmp:
        if how == "cache dir":
            return run_child(code, {"NUMBA_CACHE_DIR": tmp})
        src = os.path.dirname(minisep.__file__)
        shutil.copytree(src, os.path.join(tmp, "minisep"), ignore=shutil.ignore_patterns("__pycache__"))
        result = run_child(code, {"PYTHONPATH": tmp})
        if not result.get("package", "").startswith(tmp):
            raise RuntimeError(f"the fresh copy was not imported: the child used {result.get('package')}")
        return result


def startup(warm_runs: int, cold_runs: int) -> dict:
    out = {}
    for name, code in (("script", SCRIPT_CHILD), ("minisep train", CLI_CHILD)):
        run_child(code, {})  # fills the default numba cache (the kernels may have changed since it was written)
        out[name] = {"warm": [run_child(code, {}) for _ in range(warm_runs)]}
        for how in ("cache dir", "fresh copy"):
            out[name][f"cold, {how}"] = [cold_run(code, how) for _ in range(cold_runs)]
    return out


def report_startup(res: dict) -> list[str]:
    lines = ["(a) start-up: seconds from spawning `python` to the end of the first training batch (median, min, max"
             " of the runs); CPU s: the child's own CPU time by then, about what an idle machine would take",
             "| child | numba cache | runs | median s | min s | max s | CPU s | import s | says 'compiling' | target |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for name, runs in res.items():
        for cache, rs in runs.items():
            if not rs:
                continue
            cold = cache.startswith("cold")
            target = 15.0 if cold else 1.5
            t = [r["first_step"] for r in rs]
            imp = statistics.median(r["imported"] for r in rs) if "imported" in rs[0] else None
            med = statistics.median(t)
            verdict = "met" if med <= target else f"MISSED by {med / target:.2f}x"
            says = "-"
            if name == "minisep train":  # it should say so when, and only when, it compiles
                said = [r["compiling_message"] for r in rs]
                says = "yes" if all(said) else "no" if not any(said) else "sometimes"
                if (says == "yes") != cold:
                    verdict += f"; MISSED: {'no' if cold else 'a'} compile message"
            cpu = statistics.median(r["cpu"] for r in rs)
            lines.append(f"| {name} | {cache} | {len(t)} | {med:.2f} | {min(t):.2f} | {max(t):.2f} | {cpu:.2f} | "
                         f"{'-' if imp is None else f'{imp:.2f}'} | {says} | ≤ {target:g} s: {verdict} |")
    warm = res.get("script", {}).get("warm") or []
    if warm and "imported" in warm[0]:
        imp = statistics.median(r["imported"] for r in warm)
        lines.append(f"python start + import numpy, minisep (warm, script child): {imp:.2f} s, target for the import ≤ 0.3 s: "
                     + ("met" if imp <= 0.3 else f"MISSED by {imp / 0.3:.2f}x"))
    return lines


# ---- (b) memory ---------------------------------------------------------------------------------

MEMORY_CHILD = r"""
import gc, json, resource, sys, time, tracemalloc
import numpy as np
from minisep import optim
from minisep.app import models
from minisep.data import DataLoader
from minisep.tensor import Tensor
from minisep.app.train import train_epoch

epochs, n = int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(0)
x = rng.standard_normal((n, 1, 28, 28)).astype(np.float32)
y = rng.integers(0, 10, n)
model = models.build_model("separable", input_shape=(1, 28, 28))
opt = optim.Adam(model.parameters(), lr=1e-3)
loader = DataLoader(x, y, batch_size=128, shuffle=True, rng=np.random.default_rng(1))
page = resource.getpagesize()
tracemalloc.start()
for epoch in range(1, epochs + 1):
    tracemalloc.reset_peak()
    t0 = time.perf_counter()
    loss, acc, _ = train_epoch(model, loader, opt, epoch=epoch, epochs=epochs, progress=False)
    seconds = time.perf_counter() - t0
    current, peak = tracemalloc.get_traced_memory()
    with open("/proc/self/statm") as f:
        rss = int(f.read().split()[1]) * page
    gc.collect()
    tensors = sum(isinstance(o, Tensor) for o in gc.get_objects())
    print(sys.argv[1] + json.dumps({"epoch": epoch, "seconds": seconds, "loss": loss,
          "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "rss_mb": rss / 2**20,
          "traced_peak_mb": peak / 2**20, "traced_now_mb": current / 2**20, "live_tensors": tensors}), flush=True)
"""


def memory(epochs: int, images: int) -> list[dict]:
    proc = subprocess.run([sys.executable, "-c", MEMORY_CHILD, MARK, str(epochs), str(images)], capture_output=True,
                          text=True, timeout=1800, cwd=tempfile.gettempdir())
    rows = [json.loads(line[len(MARK):]) for line in proc.stdout.splitlines() if line.startswith(MARK)]
    if len(rows) != epochs:
        raise RuntimeError(f"memory child failed (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return rows


def report_memory(rows: list[dict], images: int) -> list[str]:
    lines = [f"(b) memory: 'separable' MNIST CNN, {images} random 1x28x28 images per epoch, batch 128, Adam",
             "| epoch | s | peak RSS so far MB | RSS at end MB | tracemalloc peak in epoch MB | "
             "tracemalloc at end MB | live Tensors |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['epoch']} | {r['seconds']:.1f} | {r['maxrss_mb']:.1f} | {r['rss_mb']:.1f} | "
                     f"{r['traced_peak_mb']:.1f} | {r['traced_now_mb']:.2f} | {r['live_tensors']} |")
    first, last = rows[0], rows[-1]
    growth = last["maxrss_mb"] - first["maxrss_mb"]
    ok = growth <= 0.05 * first["maxrss_mb"]
    lines.append(f"peak RSS epoch {last['epoch']} - epoch 1: {growth:+.1f} MB ({growth / first['maxrss_mb']:+.1%}); "
                 f"target ≈ 0 (≤ 5%): {'met' if ok else 'MISSED'}")
    return lines


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog="\n".join(__doc__.splitlines()[1:]),
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--warm-runs", type=int, default=3)
    p.add_argument("--cold-runs", type=int, default=1)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--images", type=int, default=2048, help="training images per epoch in the memory part")
    p.add_argument("--skip-startup", action="store_true")
    p.add_argument("--skip-memory", action="store_true")
    p.add_argument("--json", default=None, help="also write the results to this JSON file")
    args = p.parse_args(argv)
    load = os.getloadavg()[0]
    print(f"minisep start-up and memory, {time.strftime('%Y-%m-%d %H:%M:%S %Z')}; {os.cpu_count()} cores, "
          f"load average {load:.2f} at start{' (busy: other processes share the cores)' if load > 0.5 else ''}")
    results = {"load_before": load}
    if not args.skip_startup:
        results["startup"] = startup(args.warm_runs, args.cold_runs)
        print("\n".join(report_startup(results["startup"])))
    if not args.skip_memory:
        results["memory"] = memory(args.epochs, args.images)
        print("\n".join(report_memory(results["memory"], args.images)))
    results["load_after"] = os.getloadavg()[0]
    print(f"load average {results['load_after']:.2f} at the end")
    if args.json:
        from minisep.app.experiment import write_json
        write_json(args.json, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
