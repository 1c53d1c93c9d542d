"""The chat page test uses the channel tests' stack (tests/channels/stack.py)."""

import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
for path in (TESTS / "channels", TESTS.parent / "bot"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
