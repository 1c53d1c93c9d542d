"""The channel modules live in bot/channels (imported by Rasa as `channels.*` with bot/ as
its working directory); the pure parts are imported the same way here.  The stack of real
services is tests/stack.py (imported as `tests.stack`, so the repository root is on the path)."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
for path in (ROOT, ROOT / "bot"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
