"""No kernel reads or writes out of bounds: boundscheck_run.py runs every kernel over edge
configurations (kernel == input, huge padding, stride > kernel, dilation 3, 1x1 images, 'same' with
stride 3, ...), fast kernels and loop twins, under NUMBA_BOUNDSCHECK=1 in a subprocess, with a fresh numba
cache directory and the checkout on its path (no installed package needed)."""
import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).with_name("boundscheck_run.py")
CHECKOUT = Path(__file__).resolve().parents[2]  # the subprocess imports minisep from here, installed or not


def test_kernels_stay_in_bounds(tmp_path):
    path = os.pathsep.join(p for p in (str(CHECKOUT), os.environ.get("PYTHONPATH", "")) if p)
    env = dict(os.environ, NUMBA_BOUNDSCHECK="1", NUMBA_CACHE_DIR=str(tmp_path), PYTHONPATH=path)
    run = subprocess.run([sys.executable, str(SCRIPT)], env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "all in bounds" in run.stdout
