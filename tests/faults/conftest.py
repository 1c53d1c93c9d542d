"""Fault tests reuse the fuzz tests' service helpers (tests/fuzz/fuzz_helpers.py) and the
shared stack of real services (`tests.stack`)."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
for path in (ROOT / "tests" / "fuzz", ROOT, ROOT / "bot"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
