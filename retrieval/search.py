"""Hybrid search: reciprocal-rank fusion of two lexical fields (word, folded) and dense vectors,
with filters by plan, province and year -- given, or detected in the question."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from .embed import Embedder
from .glossary import expand_english
from .index import LoadedIndex
from .models import Hit, PlanMeta
from .normalize import fold
from .tokenize import query_folded_tokens, query_word_tokens

RRF_K = 60
Method = str  # "hybrid" | "bm25_raw" | "bm25_folded" | "dense" | "bm25_word"


@dataclass
class PlanFilter:
    """Which plans a question is about: explicit ids, or provinces/years/title words found in it."""

    plans: list[str] = field(default_factory=list)
    provinces: list[str] = field(default_factory=list)
    unknown_province: str | None = None
    reason: str = ""


def _period_years(meta: PlanMeta) -> set[int]:
    years = {meta.year} if meta.year else set()
    for a, b in re.findall(r"((?:19|20)\d{2})\s*[-–]\s*((?:19|20)\d{2})", meta.period):
        years |= set(range(int(a), int(b) + 1))
    years |= {int(y) for y in re.findall(r"(?:19|20)\d{2}", meta.period)}
    return years


def _distinctive_title_bigrams(plans: dict[str, PlanMeta],
                               texts: dict[str, str] | None = None) -> dict[str, set[str]]:
    """Title bigrams that name one plan's topic ("nong thon", "thon moi"): in no other title,
    and (when the texts are given) much more frequent in that plan's text than in all others."""
    grams = {pid: {" ".join(p) for p in zip(fold(m.title).split(), fold(m.title).split()[1:], strict=False)}
             for pid, m in plans.items()}
    counts = Counter(g for gs in grams.values() for g in gs)
    prov = {fold(m.province) for m in plans.values()}
    out = {}
    for pid, gs in grams.items():
        keep = set()
        for g in gs:
            if counts[g] != 1 or g in prov or re.search(r"\d", g):
                continue
            if texts:
                own = texts[pid].count(f" {g} ")
                others = sum(t.count(f" {g} ") for o, t in texts.items() if o != pid)
                if own < 3 or others > 0.25 * own:
                    continue
            keep.add(g)
        out[pid] = keep
    return out


GENERIC = ("ke hoach", "chuyen doi so", "cds", "digital transformation", "plan", "chuong trinh", "tinh", "province",
           "provincial", "nam", "giai doan", "dinh huong", "den nam")


def topic_text(question: str, plans: dict[str, PlanMeta]) -> str:
    """The question without the words that only pick the plan (province, year, "kế hoạch
    chuyển đổi số"): they match every preamble and drown the topic."""
    out = f" {fold(question)} "
    for m in plans.values():
        p = fold(m.province)
        out = out.replace(f" {p} ", " ").replace(f" {p.replace(' ', '')} ", " ")
    out = re.sub(r"\b(?:19|20)\d{2}\b", " ", out)
    for g in GENERIC:
        out = out.replace(f" {g} ", " ")
    return " ".join(out.split())


def detect_plans(question: str, plans: dict[str, PlanMeta], provinces_vn: list[str],
                 title_words: dict[str, set[str]] | None = None) -> PlanFilter:
    q = f" {fold(question)} "
    known = {fold(m.province) for m in plans.values()}
    provinces = [p for p in known if f" {p} " in q or f" {p.replace(' ', '')} " in q]
    unknown = None
    if not provinces:
        for name in provinces_vn:
            f = fold(name)
            if f not in known and (f" {f} " in q or f" tinh {f} " in q):
                unknown = name
                break
    cands = [pid for pid, m in plans.items() if not provinces or fold(m.province) in provinces]
    years = {int(y) for y in re.findall(r"\b((?:19|20)\d{2})\b", question)}
    reason = f"province={provinces}" if provinces else ""
    title_words = title_words if title_words is not None else _distinctive_title_bigrams(plans)
    by_title = [pid for pid in cands if any(f" {g} " in q for g in title_words[pid])]
    if by_title:
        cands, reason = by_title, reason + " title"
    elif years and provinces:
        by_year = [pid for pid in cands if years & {plans[pid].year, *_period_years(plans[pid])}]
        # a question about "2022" in a 2022 plan; one ending a period ("đến 2025") may span several
        exact = [pid for pid in by_year if years & {int(y) for y in re.findall(r"\d{4}", plans[pid].period)[:1]}]
        if len(by_year) > 1 and exact:
            by_year = exact
        if by_year:
            cands, reason = by_year, reason + f" year={sorted(years)}"
    if not provinces and not by_title:
        cands = []
    return PlanFilter(cands, provinces, unknown, reason.strip())


class Searcher:
    def __init__(self, index: LoadedIndex, embedder: Embedder) -> None:
        self.index = index
        self.embedder = embedder
        self.passages = index.passages
        self.plan_of = np.array([p.plan for p in self.passages])
        self._raw = None

    # -- the fields --------------------------------------------------------------
    def _bm25(self, retriever, vocab: dict[str, int], tokens: list[str]) -> np.ndarray:
        ids = [vocab[t] for t in tokens if t in vocab]
        if not ids:
            return np.zeros(len(self.passages), dtype=np.float32)
        return np.asarray(retriever.get_scores(ids), dtype=np.float32)

    def lexical_word(self, query: str) -> np.ndarray:
        return self._bm25(self.index.bm25_word, self.index.vocab_word, query_word_tokens(query))

    def lexical_folded(self, query: str) -> np.ndarray:
        return self._bm25(self.index.bm25_folded, self.index.vocab_folded, query_folded_tokens(query))

    def dense(self, query: str) -> np.ndarray:
        q = self.embedder.encode_queries([query])
        n = len(self.passages)
        scores, ids = self.index.faiss.search(q, n)
        out = np.full(n, -1.0, dtype=np.float32)
        valid = ids[0] >= 0
        out[ids[0][valid]] = scores[0][valid]
        return out

    def raw_syllables(self, query: str) -> np.ndarray:
        """Baseline: bm25s over raw lower-cased syllables (no segmentation, no folding)."""
        if self._raw is None:
            import bm25s
            docs = [re.findall(r"\w+", (p.repaired or p.text).lower()) for p in self.passages]
            vocab: dict[str, int] = {}
            ids = [[vocab.setdefault(t, len(vocab)) for t in d] for d in docs]
            r = bm25s.BM25()
            r.index(bm25s.tokenization.Tokenized(ids, vocab), show_progress=False)
            self._raw = (r, vocab)
        r, vocab = self._raw
        return self._bm25(r, vocab, re.findall(r"\w+", query.lower()))

    # -- fusion --------------------------------------------------------------------
    def scores(self, query: str, method: Method = "hybrid", dense: bool = True) -> dict[str, np.ndarray]:
        expanded = query
        extra = expand_english(query)
        if extra:
            expanded = f"{query} {extra}"
        if method == "bm25_raw":
            return {"bm25_raw": self.raw_syllables(query)}
        if method == "bm25_folded":
            return {"folded": self.lexical_folded(query)}
        if method == "dense":
            return {"dense": self.dense(query)}
        fields = {"word": self.lexical_word(expanded), "folded": self.lexical_folded(expanded)}
        if dense:
            fields["dense"] = self.dense(query)
        return fields

    def search(self, query: str, plans: list[str] | None = None, k: int = 5,
               method: Method = "hybrid", dense: bool = True) -> list[Hit]:
        """Fused ranking of the fields.  `dense=False` leaves the vectors out of a hybrid
        search (the lexical pass of Settings.dense == 'auto')."""
        fields = self.scores(query, method, dense)
        mask = np.ones(len(self.passages), dtype=bool) if not plans else np.isin(self.plan_of, plans)
        fused = np.zeros(len(self.passages), dtype=np.float64)
        weights = {"word": 1.0, "folded": 2.5, "dense": 0.3, "bm25_raw": 1.0}
        for name, s in fields.items():
            order = np.argsort(-s, kind="stable")
            ranks = np.empty(len(s), dtype=np.int64)
            ranks[order] = np.arange(len(s))
            contrib = weights.get(name, 1.0) / (RRF_K + ranks + 1)
            if name != "dense":
                contrib[s <= 0] = 0.0     # a lexical field with no match has no opinion
            fused += contrib
        fused[~mask] = -1.0
        top = np.argsort(-fused, kind="stable")[:k]
        return [Hit(self.passages[i], float(fused[i]), {n: float(s[i]) for n, s in fields.items()})
                for i in top if fused[i] > 0]
