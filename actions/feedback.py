"""Feedback and declined questions, kept in SQLite for the people who curate the corpus."""

from __future__ import annotations

import sqlite3
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

Kind = Literal["feedback", "declined"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    sender_id TEXT,
    kind TEXT NOT NULL CHECK (kind IN ('feedback', 'declined')),
    question TEXT NOT NULL,
    answer TEXT,
    useful INTEGER,            -- 1 useful, 0 not useful, NULL for a declined question
    plan TEXT
)
"""


class FeedbackStore:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._ready = False

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=5)
        if not self._ready:
            conn.execute(_SCHEMA)
            self._ready = True
        return conn

    def record(self, *, kind: Kind, question: str, answer: str | None, useful: bool | None,
               sender_id: str | None = None, plan: str | None = None) -> None:
        if kind not in ("feedback", "declined"):
            raise ValueError(f"kind must be 'feedback' or 'declined', not {kind!r}")
        row = (datetime.now(timezone.utc).isoformat(timespec="seconds"), sender_id, kind, question,
               answer, None if useful is None else int(useful), plan)
        with self._lock:
            conn = self._connect()
            try:
                with conn:
                    conn.execute(
                        "INSERT INTO feedback (created_at, sender_id, kind, question, answer, useful, plan)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?)", row)
            finally:
                conn.close()

    def rows(self) -> list[dict]:
        if not self.path.exists():
            return []
        conn = self._connect()
        try:
            conn.row_factory = sqlite3.Row
            return [dict(r) for r in conn.execute("SELECT * FROM feedback ORDER BY id")]
        finally:
            conn.close()
