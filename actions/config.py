"""The action server's settings: the one place in actions/ that reads the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class ActionSettings:
    retrieval_url: str = "http://127.0.0.1:8000"
    public_url: str = ""               # base of citation links; defaults to retrieval_url
    timeout: float = 5.0               # seconds for one /ask call
    feedback_db: Path = ROOT / "data" / "feedback.sqlite"
    history_turns: int = 6             # recent user turns sent along with a question

    @property
    def link_base(self) -> str:
        return (self.public_url or self.retrieval_url).rstrip("/")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> ActionSettings:
        env = dict(os.environ if env is None else env)
        return cls(
            retrieval_url=env.get("CDS_RETRIEVAL_URL", cls.retrieval_url).rstrip("/"),
            public_url=env.get("CDS_PUBLIC_URL", ""),
            timeout=float(env.get("CDS_RETRIEVAL_TIMEOUT", cls.timeout)),
            feedback_db=Path(env.get("CDS_FEEDBACK_DB", str(cls.feedback_db))),
            history_turns=int(env.get("CDS_HISTORY_TURNS", cls.history_turns)),
        )
