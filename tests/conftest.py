import sys
from pathlib import Path

# tests import their sibling helper modules (cases_*.py, strategies.py) by name
sys.path.insert(0, str(Path(__file__).parent))
