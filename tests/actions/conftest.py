"""Rasa-side tests: they run in .venv-rasa (Python 3.10), `scripts/test.sh` does that.

Collected from the retrieval venv they are left out rather than failing on the missing rasa_sdk.
"""

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

if importlib.util.find_spec("rasa_sdk") is None:
    collect_ignore_glob = ["test_*.py"]
