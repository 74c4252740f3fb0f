"""Smoke tests of the benchmark harness (minisep.bench.run, benchmarks/): it runs and prints; times are never asserted."""

import io
import json
import re
import subprocess
import sys
from argparse import Namespace
from pathlib import Path

import pytest

from minisep.bench import run as bench
from minisep.bench.cases import CaseData, max_rel_error, numpy_passes, tiny_case

ROOT = Path(__file__).resolve().parents[1]


def run(cases, variants=(), **options):
    args = Namespace(**{"quick": True, "repeats": 2, "json": None, **options})
    out = io.StringIO()
    code = bench.run_bench(args, cases=cases, variants=variants, stream=out, step_batch=4)
    return code, out.getvalue()


def test_tiny_case_runs_and_prints_ratios_and_targets(tmp_path):
    pytest.importorskip("torch")
    path = tmp_path / "bench.json"
    code, text = run([tiny_case("depthwise"), tiny_case("pointwise")], variants=("separable",), json=str(path),
                     split=True)
    assert code == 0, text
    assert "machine:" in text and "bandwidth floor:" in text and "Noise: spread" in text
    # a ratio in both ratio columns, and the training step row with its ratio and target
    assert re.search(r"\| tiny depthwise 2,4,8,3 \| \d+\.\d\d \| \d+\.\d\d \|", text), text
    assert re.search(r"\| separable \| [\d,]+ \| [\d,]+ \| [\d.]+ \| .* \| \d+\.\d\d \(≤ 0\.6 (met|MISSED)\)", text), text
    assert re.search(r"\| tiny pointwise 2,4,8,3 \| [\d.]+ / [\d.]+ \(\d+\.\d\d\) \|", text), text  # --split
    assert "Targets (interleaved" in text
    result = json.loads(path.read_text())
    assert [r["case"]["label"] for r in result["kernels"]] == ["tiny depthwise 2,4,8,3", "tiny pointwise 2,4,8,3"]
    assert result["kernels"][0]["ok"] is True and result["training_steps"][0]["ok"] is True


def test_without_torch_still_times_minisep_against_the_reference(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    code, text = run([tiny_case("conv")])
    assert code == 0, text
    assert bench.TORCH_MISSING in text
    row = next(line for line in text.splitlines() if line.startswith("| tiny conv") and "float32" in line)
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[6:8] == ["-", "-"] and all(re.fullmatch(r"\d+\.\d+", c) for c in cells[2:6]), row


def test_cpu_clock_needs_one_thread():
    code, text = run([tiny_case()], clock="cpu", threads=2)
    if code == 0:  # a one-core machine: 2 threads is not even allowed, 1 is what ran
        pytest.skip("one core")
    assert code == 2 and "--threads 1" in text


@pytest.mark.parametrize("kind", ["depthwise", "pointwise", "conv"])
def test_minisep_passes_match_the_reference(kind):
    d = CaseData(tiny_case(kind))
    ours, ref = numpy_passes(d)["fwd+bwd"](), numpy_passes(d, reference=True)["fwd+bwd"]()
    assert len(ours) == 3 and max_rel_error(ours, ref) < 1e-5


def test_model_cases_follow_the_mnist_models():
    from minisep.bench.cases import model_cases

    cases = model_cases(batch=2)
    kinds = {c.kind for c in cases}
    assert kinds == {"conv", "depthwise", "pointwise"} and all(c.N == 2 for c in cases)
    assert len({(c.kind, c.C, c.O, c.H, c.k) for c in cases}) == len(cases)  # no duplicates


def test_bench_does_not_import_torch_and_run_py_answers_help():
    code = "import sys, minisep.bench.run; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "False", out.stderr
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--help"], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0 and "--threads" in out.stdout and "--clock" in out.stdout


def test_isolated_harness_runs_each_library_in_its_own_process(tmp_path):
    """Alternating rounds of child processes; ratios with targets; the children agree on the results."""
    pytest.importorskip("torch")
    from minisep.bench.isolated import bench_isolated
    path = tmp_path / "isolated.json"
    args = Namespace(quick=True, repeats=1, rounds=2, threads=1, clock="wall", json=str(path))
    out = io.StringIO()
    code = bench_isolated(args, cases=[tiny_case("depthwise"), tiny_case("conv")], variants=(), stream=out)
    text = out.getvalue()
    assert code == 0, text
    assert re.search(r"\| tiny depthwise 2,4,8,3 \| [\d.]+ / [\d.]+ = \d+\.\d\d \(≤ 0\.8 (met|MISSED)\)", text), text
    assert "public API" in text and "Targets (isolated processes)" in text and "MISMATCH" not in text
    result = json.loads(path.read_text())
    pids = {c["pid"] for who in ("minisep", "torch") for c in result["results"][who]}
    assert len(pids) == 4  # 2 rounds x 2 libraries, every one a process of its own
    assert [c["who"] for c in result["results"]["minisep"]] == ["minisep", "minisep"]


def test_epoch_child_is_deterministic_and_reports_compile_apart():
    from minisep.bench.epoch import run_child
    spec = {"who": "minisep", "data_dir": None, "limit": 256, "model": "separable", "threads": 1, "seed": 0}
    a, b = run_child(spec), run_child(spec)
    assert a["steps"] == 2 and a["mean_loss"] == b["mean_loss"] and a["compile_s"] > 0
    assert a["epoch_s"] == pytest.approx(a["train_s"] + a["test_s"])
