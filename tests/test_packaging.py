"""The source distribution ships whole: its own test suite, docs, examples, benchmarks, LICENSE.

The fast test builds the sdist (and a wheel from it) from a copy of the checkout and lists what is
inside. The slow one installs that sdist into a fresh virtual environment, with numpy and numba
from the package registry, and runs the sdist's own default test suite against the installed
package.
"""

import os
import re
import shutil
import subprocess
import sys
import tarfile
import venv
import zipfile
from importlib import metadata
from pathlib import Path, PurePosixPath

import pytest

ROOT = Path(__file__).resolve().parents[1]
IS_SOURCE_TREE = all((ROOT / p).exists() for p in ("pyproject.toml", "MANIFEST.in", "minisep", "tests"))
SETUPTOOLS_FLOOR = (77,)  # SPDX `license = "MIT"` and `license-files` need setuptools >= 77

# what a checkout holds that never belongs in a distribution: anywhere, and at the top only
NOT_COPIED = {".git", ".hypothesis", ".pytest_cache"}
NOT_COPIED_TOP = {"build", "dist", "runs", ".venv", "venv"}
CACHE_SUFFIXES = {".pyc", ".pyo", ".pyd", ".nbi", ".nbc"}
SHIPPED_TREES = ("tests", "docs", "examples", "benchmarks", "scripts")

pytestmark = pytest.mark.skipif(not IS_SOURCE_TREE, reason="not a source checkout (no pyproject.toml/MANIFEST.in)")


def _setuptools_version():
    try:
        v = metadata.version("setuptools")
    except metadata.PackageNotFoundError:
        return None
    return tuple(int(p) for p in re.findall(r"\d+", v)[:3])


def _need_setuptools():
    v = _setuptools_version()
    if v is None or v < SETUPTOOLS_FLOOR:
        have = "not installed" if v is None else ".".join(map(str, v))
        pytest.skip(f"building needs setuptools>=77 in this environment (setuptools is {have})")


def _ignore(src, names):
    # *.egg-info too: setuptools adds every file listed in a stale egg-info/SOURCES.txt to the sdist,
    # which would hide a file that MANIFEST.in no longer ships
    out = {n for n in names if n in NOT_COPIED or n.endswith(".egg-info")}
    if Path(src).resolve() == ROOT:
        out |= {n for n in names
                if n in NOT_COPIED_TOP or (n.startswith("minisep-") and n.endswith((".tar.gz", ".whl")))}
    return out


def _copy_checkout(dest: Path) -> Path:
    """A copy of the checkout without VCS and tool caches, but with __pycache__ (the manifest must drop
    those) and a planted numba cache file and .pyc, so the exclusion is tested even on a clean tree."""
    shutil.copytree(ROOT, dest, ignore=_ignore, symlinks=True)
    for planted in ("tests/__pycache__/planted.cpython-311.pyc", "minisep/kernels/__pycache__/planted.nbi",
                    "minisep/kernels/__pycache__/planted.1.nbc", "tests/kernels/__pycache__/planted.pyc"):
        (dest / planted).parent.mkdir(parents=True, exist_ok=True)
        (dest / planted).write_bytes(b"")
    return dest


def _build(kind: str, src: Path, out: Path) -> Path:
    """Build an sdist or a wheel of `src` into `out` with the setuptools backend in a subprocess."""
    out.mkdir(parents=True, exist_ok=True)
    code = ("import sys; from setuptools import build_meta as b; "
            f"print(b.build_{kind}(sys.argv[1]))")
    r = subprocess.run([sys.executable, "-c", code, str(out)], cwd=src, capture_output=True, text=True,
                       timeout=180)
    assert r.returncode == 0, f"build_{kind} failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return out / r.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(the sdist, the copy of the checkout it was built from)"""
    _need_setuptools()
    tmp = tmp_path_factory.mktemp("sdist")
    src = _copy_checkout(tmp / "src")
    return _build("sdist", src, tmp / "dist"), src


@pytest.fixture(scope="module")
def sdist(built):
    return built[0]


def _sdist_members(path: Path):
    with tarfile.open(path) as tf:
        names = [m.name for m in tf.getmembers() if m.isfile()]
    top = {n.split("/", 1)[0] for n in names}
    assert len(top) == 1, top
    return {n.split("/", 1)[1] for n in names if "/" in n}


def test_sdist_ships_tests_docs_examples_benchmarks_and_license(built):
    sdist, src = built
    names = _sdist_members(sdist)
    for must in ("LICENSE", "README.md", "pyproject.toml", "MANIFEST.in", "PKG-INFO",
                 "tests/conftest.py", "tests/strategies.py", "tests/cases_core.py", "tests/test_packaging.py",
                 "tests/kernels/boundscheck_run.py", "tests/teach/solutions.py",
                 "docs/testing.md", "scripts/floor_versions.sh", "minisep/data/digits.csv.gz"):
        assert must in names, f"{must} is missing from {sdist.name}"
    for tree in ("tests/data/", "tests/kernels/", "tests/teach/", "docs/", "examples/", "benchmarks/"):
        assert any(n.startswith(tree) for n in names), f"nothing under {tree} in {sdist.name}"
    # every file of the shipped trees is there, not just the test modules
    for tree in SHIPPED_TREES:
        for f in (src / tree).rglob("*"):
            rel = f.relative_to(src)
            if f.is_file() and f.suffix not in CACHE_SUFFIXES and "__pycache__" not in rel.parts:
                assert rel.as_posix() in names, f"{rel.as_posix()} is missing from {sdist.name}"
    junk = sorted(n for n in names
                  if {"__pycache__", ".hypothesis", ".pytest_cache", ".git"} & set(PurePosixPath(n).parts)
                  or PurePosixPath(n).suffix in CACHE_SUFFIXES)
    assert not junk, f"caches shipped in the sdist: {junk}"
    with tarfile.open(sdist) as tf:
        pkg_info = tf.extractfile(f"{sdist.name[:-len('.tar.gz')]}/PKG-INFO").read().decode()
    assert "License-Expression: MIT" in pkg_info
    assert "License-File: LICENSE" in pkg_info


def test_wheel_built_from_the_sdist_carries_the_license(sdist, tmp_path):
    with tarfile.open(sdist) as tf:
        tf.extractall(tmp_path, filter="data") if hasattr(tarfile, "data_filter") else tf.extractall(tmp_path)
    (unpacked,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    wheel = _build("wheel", unpacked, tmp_path / "wheel")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        meta = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata_text = zf.read(meta).decode()
    assert any(re.fullmatch(r"minisep-[^/]+\.dist-info/licenses/LICENSE", n) for n in names), names
    assert "License-Expression: MIT" in metadata_text
    assert "minisep/data/digits.csv.gz" in names
    assert not [n for n in names if n.startswith(("tests/", "docs/", "examples/", "benchmarks/"))]
    assert not [n for n in names if "__pycache__" in n or PurePosixPath(n).suffix in CACHE_SUFFIXES]


def _venv_python(env_dir: Path) -> Path:
    return env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


@pytest.mark.slow
def test_sdist_installs_and_its_own_suite_passes(sdist, tmp_path):
    """Fresh venv, `pip install minisep-*.tar.gz[test]` (numpy, numba, pytest, hypothesis from the
    package registry), then the unpacked sdist's default suite against the installed package."""
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    py = _venv_python(env_dir)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["NUMBA_CACHE_DIR"] = str(tmp_path / "numba-cache")
    # setuptools>=77 too, so the sdist's own copy of the fast packaging tests runs instead of skipping
    r = subprocess.run([str(py), "-m", "pip", "install", "--quiet", f"{sdist}[test]", "setuptools>=77"],
                       env=env, capture_output=True, text=True, timeout=1200)
    assert r.returncode == 0, f"pip install failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"

    run_dir = tmp_path / "unpacked"
    with tarfile.open(sdist) as tf:
        tf.extractall(run_dir, filter="data") if hasattr(tarfile, "data_filter") else tf.extractall(run_dir)
    (unpacked,) = list(run_dir.iterdir())
    # -P (Python 3.11+): the working directory is not put on sys.path, so `import minisep` finds the
    # installed package, not the unpacked source next to the tests
    safe = ["-P"] if sys.version_info >= (3, 11) else []
    where = subprocess.run([str(py), *safe, "-c", "import minisep; print(minisep.__file__)"], cwd=unpacked,
                           env=env, capture_output=True, text=True, timeout=120)
    assert where.returncode == 0, where.stderr
    if safe:
        assert Path(where.stdout.strip()).is_relative_to(env_dir), where.stdout

    r = subprocess.run([str(py), *safe, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-x"], cwd=unpacked,
                       env=env, capture_output=True, text=True, timeout=3600)
    tail = r.stdout[-4000:] + r.stderr[-2000:]
    assert r.returncode == 0, f"the sdist's own suite failed:\n{tail}"
    assert re.search(r"\d+ passed", r.stdout), tail
