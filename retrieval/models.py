"""Typed records shared by every stage, the CLI, the HTTP service and the evaluation.

Defined once here; the service's pydantic schemas (service/schemas.py) are built from
these, never re-declared by hand.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Literal

Kind = Literal[
    "lead", "cooperate", "deadline", "target", "budget", "fact",
    "aggregate", "compare", "unknown",
]
KINDS: tuple[str, ...] = Kind.__args__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class PlanMeta:
    """One entry of corpus/plans.yaml: what a person needs to recognise a plan."""

    id: str
    title: str
    province: str
    period: str
    year: int
    number: str | None = None
    signer: str | None = None
    ocr: bool = False
    path: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Line:
    """A corpus line after normalisation; `number` is 1-based in the original file."""

    number: int
    text: str          # NFC, PDF noise blanked (empty string), never re-wrapped
    folded: str        # diacritic-folded (and OCR-repaired for OCR plans) for matching


@dataclass
class TaskRecord:
    """A unit of work the plan assigns: from an appendix table row or a narrative
    sentence "X chủ trì, phối hợp với Y ...".  Agency strings are as printed (OCR
    repaired to the closest known agency name where the plan is OCR output)."""

    plan: str
    task: str
    lead: str | None
    cooperating: list[str]
    deadline: str | None
    result: str | None
    budget: dict[str, str] | None       # e.g. {"total": "100.000", "dtc": "50.000", "sn": "50.000"}
    section: str
    line_start: int
    line_end: int
    source: Literal["table", "narrative", "indicator"] = "table"
    raw: str = ""                       # the row's text as printed (OCR kept raw)

    @property
    def id(self) -> str:
        return _digest(f"{self.plan}:{self.line_start}:{self.line_end}:{self.task}")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["id"] = self.id
        return d


@dataclass
class Passage:
    """A retrievable unit with full provenance."""

    plan: str
    title: str
    section: str
    line_start: int
    line_end: int
    text: str
    folded: str
    kind: Literal["text", "row", "heading"] = "text"
    header: str = ""                   # table header context for table rows
    record: int | None = None          # index into the plan's task records, for rows
    repaired: str = ""                 # OCR plans: the repaired, re-accented text (for embedding and reading)

    @property
    def id(self) -> str:
        return _digest(f"{self.plan}\x00{self.line_start}\x00{self.text}")

    @property
    def content_hash(self) -> str:
        return _digest(self.embed_text())

    def embed_text(self) -> str:
        """What the embedder sees: section path and header give a short row its context."""
        parts = [self.section, self.header, self.repaired or self.text]
        return " | ".join(p for p in parts if p)


@dataclass
class Citation:
    plan: str
    title: str
    section: str
    line_start: int
    line_end: int
    text: str
    score: float

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Hit:
    """A search result: the passage and its fused score."""

    passage: Passage
    score: float
    scores: dict[str, float] = field(default_factory=dict)

    def citation(self, text: str | None = None) -> Citation:
        p = self.passage
        return Citation(p.plan, p.title, p.section, p.line_start, p.line_end,
                        text if text is not None else p.text, round(float(self.score), 4))


@dataclass
class Answer:
    """The contract every channel and the evaluation use (see issue "Answers")."""

    answer: str
    answered: bool
    kind: str
    plan: str | None
    citations: list[Citation] = field(default_factory=list)
    records: list[dict] = field(default_factory=list)
    lang: str = "vi"

    def to_dict(self) -> dict:
        return {
            "answer": self.answer,
            "answered": self.answered,
            "kind": self.kind,
            "plan": self.plan,
            "citations": [c.to_dict() for c in self.citations],
            "records": self.records,
            "lang": self.lang,
        }


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
