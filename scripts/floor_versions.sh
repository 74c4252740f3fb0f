#!/usr/bin/env bash
# Run minisep's default test suite against the lowest numpy/numba that pyproject.toml declares.
#
#   scripts/floor_versions.sh                                  # the floors declared in pyproject.toml
#   scripts/floor_versions.sh --numpy 1.26.4 --numba 0.59.1    # any other numpy / numba pair
#   scripts/floor_versions.sh --numpy 1.23.5 tests/test_tensor.py -q
#                          # further arguments go to pytest (and replace the default "-x")
#
# It makes a fresh virtual environment in a temporary directory, installs exactly
# numpy==NUMPY numba==NUMBA plus pytest and hypothesis from the package registry, copies the
# source tree there (so nothing in the checkout is written: no .hypothesis/, no numba cache),
# installs that copy with --no-deps, and runs `python -m pytest -p no:cacheprovider -x` in it.
# Optional oracles (torch, keras, jax) are not installed, so their tests are skipped.
# The exit code is pytest's. KEEP=1 keeps the temporary directory; PYTHON picks the interpreter.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
py="${PYTHON:-python3}"

# Default pair: the floors in pyproject.toml ("numpy>=A", "numba>=B"); --numpy/--numba override.
floor() { sed -n "s/^dependencies = .*\"$1>=\([0-9.]*\)\".*/\1/p" "$root/pyproject.toml"; }
numpy_v="$(floor numpy)"
numba_v="$(floor numba)"
while [ $# -gt 0 ]; do
    case "$1" in
        --numpy) numpy_v="$2"; shift 2 ;;
        --numba) numba_v="$2"; shift 2 ;;
        *) break ;;
    esac
done
if [ -z "$numpy_v" ] || [ -z "$numba_v" ]; then
    echo "floor_versions: could not read the numpy/numba floors from pyproject.toml; use --numpy/--numba" >&2
    exit 2
fi
pytest_args=("$@")
[ ${#pytest_args[@]} -eq 0 ] && pytest_args=(-x)

tmp="$(mktemp -d "${TMPDIR:-/tmp}/minisep-floor.XXXXXX")"
if [ "${KEEP:-0}" = 1 ]; then
    echo "floor_versions: keeping $tmp"
else
    trap 'rm -rf "$tmp"' EXIT
fi

echo "floor_versions: numpy==$numpy_v numba==$numba_v, $("$py" --version 2>&1), $(date -u +%Y-%m-%dT%H:%MZ)"
"$py" -m venv "$tmp/venv"
vpy="$tmp/venv/bin/python"
"$vpy" -m pip install --quiet "numpy==$numpy_v" "numba==$numba_v" pytest hypothesis

mkdir "$tmp/src"
tar -C "$root" --exclude=.git --exclude=__pycache__ --exclude=.hypothesis --exclude=.pytest_cache \
    --exclude='*.egg-info' --exclude=./build --exclude=./dist --exclude=./runs -cf - . | tar -C "$tmp/src" -xf -
"$vpy" -m pip install --quiet --no-deps "$tmp/src"

"$vpy" -m pip list 2>/dev/null | grep -iE '^(numpy|numba|llvmlite|pytest|hypothesis|minisep) ' || true

cd "$tmp/src"
export NUMBA_CACHE_DIR="$tmp/numba-cache"
start=$(date +%s)
set +e
"$vpy" -m pytest -p no:cacheprovider "${pytest_args[@]}"
rc=$?
set -e
echo "floor_versions: numpy==$numpy_v numba==$numba_v: pytest exit $rc after $(( $(date +%s) - start )) s"
exit $rc
