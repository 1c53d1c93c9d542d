"""The channel modules live in bot/channels (imported by Rasa as `channels.*` with bot/ as
its working directory); the pure parts are imported the same way here."""

import sys
from pathlib import Path

BOT = Path(__file__).resolve().parents[2] / "bot"
if str(BOT) not in sys.path:
    sys.path.insert(0, str(BOT))
