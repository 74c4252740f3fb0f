"""Every examples/*.py runs to completion with --quick (each example must accept that flag).

Each runs in a fresh interpreter (sys.executable), with a temporary working directory (so files an
example writes land there) and MPLBACKEND=Agg (plots render without a screen). The repository root
is put first on PYTHONPATH, so the examples import this checkout even when it is not installed.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
TIMEOUT = 900  # seconds: generous, for a cold numba cache on a busy 2-core machine


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_example_runs_with_quick(script, tmp_path):
    env = dict(os.environ, MPLBACKEND="Agg")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    run = subprocess.run([sys.executable, str(script), "--quick"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=TIMEOUT)
    assert run.returncode == 0, (f"{script.name} --quick exited with {run.returncode}\n"
                                 f"--- stdout (tail) ---\n{run.stdout[-3000:]}\n--- stderr (tail) ---\n{run.stderr[-3000:]}")
