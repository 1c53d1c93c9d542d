"""Rasa-side tests: they run in .venv-rasa (Python 3.10) with bot/ importable as Rasa's working dir."""

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BOT = ROOT / "bot"
if str(BOT) not in sys.path:
    sys.path.insert(0, str(BOT))

if importlib.util.find_spec("rasa") is None:
    collect_ignore_glob = ["test_*.py"]
