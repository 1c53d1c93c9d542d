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
from collections.abc import Iterable
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


class NearWords:
    """Words of a vocabulary one edit from a token ("ding" -> {"dung", "dinh", ...}), found
    through a deletion index: the OCR text's few thousand distinct words are indexed once,
    instead of every passage word being compared with every query word at every question."""

    def __init__(self, vocabulary: Iterable[str]) -> None:
        index: dict[str, set[str]] = {}
        for w in set(vocabulary):
            for d in _deletes1(w):
                index.setdefault(d, set()).add(w)
        self._index = index
        self._cache: dict[str, frozenset[str]] = {}

    def __call__(self, token: str) -> frozenset[str]:
        found = self._cache.get(token)
        if found is None:
            cands = set().union(*(self._index.get(d, ()) for d in _deletes1(token)))
            found = frozenset(w for w in cands if w != token and _near(token, w))
            if len(self._cache) < 100_000:
                self._cache[token] = found
        return found


def _deletes1(word: str) -> set[str]:
    return {word} | {word[:i] + word[i + 1:] for i in range(len(word))}


def lexical(query_tokens: list[str], folded: str, idf: Idf, fuzzy: bool = False,
            near: NearWords | None = None) -> float:
    """Rarity-weighted share of the topic words present, and share of topic bigrams present.
    With `fuzzy` (OCR text) a word or a pair one letter off counts for most of its weight
    ("nguoi ding dau" for "người đứng đầu")."""
    if not query_tokens:
        return 0.0
    positions = _positions(folded)
    total = sum(idf(t) for t in query_tokens)
    # where each query word occurs: 1.0 verbatim, 0.7 one letter off (OCR text only)
    at: dict[str, dict[int, float]] = {}
    for t in set(query_tokens):
        found = dict.fromkeys(positions.get(t, ()), 1.0)
        if fuzzy and len(t) >= 3:
            close = (near(t) & positions.keys()) if near is not None else \
                [w for w in positions if w != t and _near(t, w)]
            for w in close:
                found.update((i, 0.7) for i in positions[w] if i not in found)
        at[t] = found
    uni = sum(idf(t) * max(at[t].values(), default=0.0) for t in query_tokens) / total if total else 0.0
    pairs = list(zip(query_tokens, query_tokens[1:], strict=False))

    def pair_present(a: str, b: str) -> float:
        second = at[b]
        return max((min(s, second[i + 1]) for i, s in at[a].items() if i + 1 in second), default=0.0)
    bi = sum(pair_present(a, b) for a, b in pairs) / len(pairs) if pairs else uni
    return 0.7 * uni + 0.3 * bi


@lru_cache(maxsize=8192)
def _positions(folded: str) -> dict[str, tuple[int, ...]]:
    """Word -> its positions in a passage's folded text; passages recur across questions."""
    out: dict[str, list[int]] = {}
    for i, w in enumerate(folded.split()):
        out.setdefault(w, []).append(i)
    return {w: tuple(v) for w, v in out.items()}


@lru_cache(maxsize=16384)
def folded_text(text: str) -> str:
    """fold() of the corpus's own strings (task cells, agency names, sections), which recur
    across questions: folded once."""
    return fold(text)


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


@lru_cache(maxsize=8192)
def _with_section(folded: str, section: str) -> str:
    # the section path says what a passage is about ("Mục tiêu cơ bản đến năm 2025")
    return f"{folded} {folded_text(section)}"


def score(kind: str, hit: Hit, rank: int, record: TaskRecord | None, query_tokens: list[str],
          idf: Idf, query_years: set[str] = frozenset(), near: NearWords | None = None) -> float:
    folded = _with_section(hit.passage.folded, hit.passage.section)
    fuzzy = bool(hit.passage.repaired)
    lex = lexical(query_tokens, folded, idf, fuzzy, near)
    if record is not None and record.source == "table" and len(record.task.split()) >= 3:
        # a long row matches many words somewhere; its task cell says what the row is about
        lex = max(lex, 0.5 * lex + 0.5 * lexical(query_tokens, folded_text(record.task), idf, fuzzy, near))
    return (lex + kind_bonus(kind, hit, record)
            + year_fit(query_years, folded) + 0.05 / (1 + rank))
