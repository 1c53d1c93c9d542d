"""Rerank: choose the passage an answer is read from.

Hybrid search ranks passages for topical similarity; an answer needs the passage that
names *this* task and holds the kind of fact asked for.  A question "ai chủ trì X" is best
answered by the table row of X (which names a lead), a "bao nhiêu" question by the sentence
with the figure.  The score is the question's topic words found in the passage, weighted
by how rare they are in the corpus, plus its two-word phrases found, plus a bonus when the
passage carries the asked-for kind of fact, plus a small share of the search rank.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from .models import Hit, TaskRecord
from .normalize import fold
from .ocr_table import edit1

_DATE = re.compile(r"(?i)\b(?:19|20)\d{2}\b|tháng|quý|thuong xuyen|thường xuyên|hằng năm|hàng năm")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?\s*%|\b\d+\b")
_MONEY = re.compile(r"\d{1,3}(?:\.\d{3})+")


@dataclass(frozen=True)
class Idf:
    """Inverse document frequency of folded syllables over the index's passages."""

    weights: dict[str, float]
    default: float

    @classmethod
    def from_texts(cls, folded_texts: list[str]) -> Idf:
        df: Counter = Counter()
        for text in folded_texts:
            df.update(set(text.split()))
        n = max(1, len(folded_texts))
        weights = {t: math.log(1 + n / (1 + c)) for t, c in df.items()}
        return cls(weights, math.log(1 + n))

    def __call__(self, token: str) -> float:
        return self.weights.get(token, self.default)


def lexical(query_tokens: list[str], folded: str, idf: Idf, fuzzy: bool = False) -> float:
    """Rarity-weighted share of the topic words present, and share of topic bigrams present.
    With `fuzzy` (OCR text) a word or a pair one letter off counts for most of its weight
    ("nguoi ding dau" for "người đứng đầu")."""
    if not query_tokens:
        return 0.0
    words = folded.split()
    total = sum(idf(t) for t in query_tokens)
    # where each query word occurs: 1.0 verbatim, 0.7 one letter off (OCR text only)
    at: dict[str, dict[int, float]] = {}
    for t in set(query_tokens):
        exact = {i: 1.0 for i, w in enumerate(words) if w == t}
        if fuzzy and len(t) >= 3:
            exact.update({i: 0.7 for i, w in enumerate(words) if i not in exact and _near(t, w)})
        at[t] = exact
    uni = sum(idf(t) * max(at[t].values(), default=0.0) for t in query_tokens) / total if total else 0.0
    pairs = list(zip(query_tokens, query_tokens[1:], strict=False))

    def pair_present(a: str, b: str) -> float:
        second = at[b]
        return max((min(s, second[i + 1]) for i, s in at[a].items() if i + 1 in second), default=0.0)
    bi = sum(pair_present(a, b) for a, b in pairs) / len(pairs) if pairs else uni
    return 0.7 * uni + 0.3 * bi


@lru_cache(maxsize=4096)
def _folded_section(section: str) -> str:
    """Section paths repeat across passages and queries: fold each once."""
    return fold(section)


@lru_cache(maxsize=1 << 18)
def _near(a: str, b: str) -> bool:
    """One letter added, dropped or changed ("tue" / "tu", "truong" / "trong")."""
    return len(b) >= 2 and edit1(a, b)


def kind_bonus(kind: str, hit: Hit, record: TaskRecord | None) -> float:
    """Positive when the passage holds the kind of fact asked for, negative when it cannot
    answer at all (a "who leads" question and a passage that names no lead)."""
    text = hit.passage.text
    if kind in ("lead", "cooperate"):
        if record is not None and record.lead:
            # a row that names no partner cannot say who an agency works with
            return 0.2 if kind == "lead" or record.cooperating else 0.0
        if kind == "cooperate" and "phoi hop voi" in hit.passage.folded:
            return 0.1      # "- Phối hợp với Sở ... trong việc ...": the partners, named
        if "chu tri" in hit.passage.folded or kind == "cooperate" and "phoi hop" in hit.passage.folded:
            return 0.0
        return -0.15
    if kind == "deadline":
        if record is not None and record.deadline:
            return 0.12
        return 0.06 if _DATE.search(text) else 0.0
    if kind == "target":
        return 0.08 if _NUMBER.search(text) else 0.0
    if kind == "budget":
        if record is not None and record.budget:
            return 0.15
        return 0.08 if _MONEY.search(text) else 0.0
    return 0.0


_YEAR = re.compile(r"\b20[2-4]\d\b")


def year_fit(query_years: set[str], folded: str) -> float:
    """A year in the question ("đến 2025") is a hard hint: passages about another year
    ("Mục tiêu đến năm 2030") lose, passages naming it gain."""
    if not query_years:
        return 0.0
    years = set(_YEAR.findall(folded))
    if not years:
        return 0.0
    return 0.05 if years & query_years else -0.1


def score(kind: str, hit: Hit, rank: int, record: TaskRecord | None, query_tokens: list[str],
          idf: Idf, query_years: set[str] = frozenset()) -> float:
    # the section path says what a passage is about ("Mục tiêu cơ bản đến năm 2025")
    folded = f"{hit.passage.folded} {_folded_section(hit.passage.section)}"
    fuzzy = bool(hit.passage.repaired)
    lex = lexical(query_tokens, folded, idf, fuzzy)
    if record is not None and record.source == "table" and len(record.task.split()) >= 3:
        # a long row matches many words somewhere; its task cell says what the row is about
        lex = max(lex, 0.5 * lex + 0.5 * lexical(query_tokens, fold(record.task), idf, fuzzy))
    return (lex + kind_bonus(kind, hit, record)
            + year_fit(query_years, folded) + 0.05 / (1 + rank))
