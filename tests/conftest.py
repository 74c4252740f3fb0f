import os
import sys
from pathlib import Path

# Before numpy loads: OpenBLAS worker threads busy-wait and starve minisep's kernel threads on a
# 2-core machine (minisep/__init__.py does the same, but pytest may import numpy first).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

# tests import their sibling helper modules (cases_*.py, strategies.py) by name
sys.path.insert(0, str(Path(__file__).parent))
