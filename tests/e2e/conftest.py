"""The e2e conversations use tests/stack.py (imported as `tests.stack`: the repository root goes on the path)."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
for path in (ROOT, ROOT / "bot"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
