"""The one engine the CLI, the HTTP service and the evaluation talk to.

Heavy things (index, embedder) load once in `Engine.load`; the engine is then read-only,
so a rebuilt index is served by loading a new Engine and swapping the reference."""

from __future__ import annotations

import logging
from functools import cached_property

from .agencies import province_names
from .config import Settings, get_settings
from .embed import Embedder, get_embedder
from .index import LoadedIndex, build, load, staleness
from .models import Answer, Hit, PlanMeta, TaskRecord
from .normalize import fold
from .rerank import Idf, NearWords, folded_text
from .search import PlanFilter, Searcher, _distinctive_title_bigrams, detect_plans, topic_text

log = logging.getLogger(__name__)


class UnknownPlanError(KeyError):
    def __init__(self, plan: str, known: list[str]) -> None:
        super().__init__(plan)
        self.plan, self.known = plan, known

    def __str__(self) -> str:
        return f"Không tìm thấy kế hoạch '{self.plan}'. Các kế hoạch hiện có: {', '.join(self.known)}"


class Engine:
    def __init__(self, index: LoadedIndex, embedder: Embedder, settings: Settings) -> None:
        self.index = index
        self.settings = settings
        self.embedder = embedder
        self.searcher = Searcher(index, embedder)
        self.provinces = province_names()
        texts = {pid: " " + " ".join(ln.folded for ln in plan.lines) + " "
                 for pid, plan in index.corpus.plans.items()}
        self.title_words = _distinctive_title_bigrams(self.plans, texts)

    @classmethod
    def load(cls, settings: Settings | None = None, build_if_stale: bool = True,
             embedder: Embedder | None = None, progress: bool = False) -> Engine:
        settings = settings or get_settings()
        embedder = embedder or get_embedder(settings.embedder, settings.embedder_segmented)
        if build_if_stale and staleness(settings):
            build(settings, progress=progress, embedder=embedder)
        return cls(load(settings), embedder, settings)

    # -- read-only views -------------------------------------------------------------
    @property
    def manifest(self) -> dict:
        return self.index.manifest

    @cached_property
    def plans(self) -> dict[str, PlanMeta]:
        return {pid: plan.meta for pid, plan in self.index.corpus.plans.items()}

    @cached_property
    def known_words(self) -> frozenset[str]:
        """Folded compound words of the clean plans (the word field's vocabulary), and their
        syllable pairs, to tell a topic the plans never mention from one they word otherwise."""
        known = {fold(w.replace("_", " ")) for w in self.index.vocab_word}
        for p in self.index.passages:
            if not self.plans[p.plan].ocr:
                syllables = p.folded.split()
                known.update(f"{a} {b}" for a, b in zip(syllables, syllables[1:], strict=False))
        return frozenset(known)

    @cached_property
    def near_words(self) -> NearWords:
        """One-edit neighbours among the words rerank compares on OCR text."""
        words: set[str] = set()
        for p in self.index.passages:
            words.update(p.folded.split())
            words.update(folded_text(p.section).split())
        for plan in self.index.corpus.plans.values():
            for r in plan.records:
                words.update(folded_text(r.task).split())
        return NearWords(words)

    @cached_property
    def idf(self) -> Idf:
        return Idf.from_texts([p.folded for p in self.index.passages])

    def check_plan(self, plan_id: str | None) -> None:
        if plan_id is not None and plan_id not in self.plans:
            raise UnknownPlanError(plan_id, sorted(self.plans))

    def records(self, plan_id: str) -> list[TaskRecord]:
        self.check_plan(plan_id)
        return self.index.corpus.plans[plan_id].records

    def lines(self, plan_id: str) -> list[str]:
        self.check_plan(plan_id)
        return [ln.text for ln in self.index.corpus.plans[plan_id].lines]

    def raw_lines(self, plan_id: str) -> list[str]:
        """The plan file's lines exactly as stored (index 0 = line 1), for the source viewer."""
        self.check_plan(plan_id)
        from pathlib import Path
        path = Path(self.index.dir) / "corpus" / f"{plan_id}.txt"
        return path.read_text(encoding="utf-8", errors="replace").splitlines()

    def detect(self, question: str) -> PlanFilter:
        return detect_plans(question, self.plans, self.provinces, self.title_words)

    def topic(self, question: str) -> str:
        return topic_text(question, self.plans)

    # -- the two operations -----------------------------------------------------------
    def search(self, query: str, plan: str | None = None, k: int = 5, method: str = "hybrid",
               detect: bool = True) -> list[Hit]:
        self.check_plan(plan)
        plans = [plan] if plan else (self.detect(query).plans if detect else [])
        topic = (self.topic(query) or query) if detect and plans else query
        if method != "hybrid":
            return self.searcher.search(topic, plans or None, k, method)
        # the project's search: fused candidates, then the answer-aware rerank (rerank.py)
        from .answer import ranked_search
        return ranked_search(self, query, topic, plans, max(k, 20))[:k]

    def ask(self, question: str, history: list[str] | tuple[str, ...] = (), plan: str | None = None) -> Answer:
        from .answer import answer_question
        self.check_plan(plan)
        return answer_question(self, question, list(history or []), plan)
