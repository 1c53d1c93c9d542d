"""Fuzz tests: the helpers here, the stack of real services (`tests.stack`) and the pure channel
modules (`channels.*`, as Rasa imports them with bot/ as its working directory) on the path."""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
for path in (HERE, HERE.parents[1], HERE.parents[1] / "bot"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
