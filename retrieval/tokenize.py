"""Tokenisation, one function per field, used for passages and queries alike so they never drift.

- word field: underthesea word segmentation ("hóa_đơn điện_tử"), lower case, accents kept;
- folded field: folded syllables plus syllable bigrams, for accent-insensitive matching.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .normalize import fold

SEGMENTER = "underthesea.word_tokenize"

# question scaffolding, folded: it says what kind of answer is wanted, not what the plan is about
QUERY_STOP = set("""
ai nao gi bao nhieu khi the thi sao la cua co duoc va cac nhung o trong ve cho voi do viec hay nhi a
which who what when how much many does do is are the of in for to by and or with what's whats its it s
phai lam xong toi nhu
""".split())

_PUNCT = re.compile(r"^[^\w%]+$")


@lru_cache(maxsize=1)
def _segmenter():
    from underthesea import word_tokenize
    return word_tokenize


def word_tokens(text: str) -> list[str]:
    toks = _segmenter()(text)
    return [t.lower().replace(" ", "_") for t in toks if not _PUNCT.match(t)]


def folded_tokens(folded_text: str) -> list[str]:
    syl = folded_text.split()
    return syl + [f"{a}_{b}" for a, b in zip(syl, syl[1:], strict=False)]


def query_word_tokens(text: str) -> list[str]:
    return list(_query_word_tokens(text))


@lru_cache(maxsize=2048)
def _query_word_tokens(text: str) -> tuple[str, ...]:
    """One question is segmented several times (search, the dense retry, the topic check):
    underthesea's CRF runs once per text."""
    return tuple(t for t in word_tokens(text) if fold(t.replace("_", " ")) not in QUERY_STOP)


def query_folded_tokens(text: str) -> list[str]:
    syl = [t for t in fold(text).split()]
    keep = [t for t in syl if t not in QUERY_STOP]
    return keep + [f"{a}_{b}" for a, b in zip(syl, syl[1:], strict=False)
                   if a not in QUERY_STOP or b not in QUERY_STOP]


def clear_query_cache() -> None:
    """Forget segmented questions (benchmarks time each phase from a cold question cache)."""
    _query_word_tokens.cache_clear()
