"""A tiny in-memory engine with the Engine interface, for the fast API-contract tests.
The real-engine tests (test_service_e2e.py) exercise the same endpoints on the built index."""

from __future__ import annotations

import threading

from retrieval.models import Answer, Hit, Passage, PlanMeta, TaskRecord

LINES = [
    "KẾ HOẠCH",
    "Chuyển đổi số tỉnh Thử Nghiệm năm 2024",
    "I. MỤC TIÊU",
    "Nâng cao chất lượng dịch vụ công trực tuyến.",
    "II. NHIỆM VỤ",
    "1. Phát triển kinh tế số",
    "Sở Công Thương chủ trì, phối hợp với Sở Tài chính phát triển thương mại điện tử.",
    "<script>alert('x')</script> & \"quoted\"",
]


class FakeEngine:
    def __init__(self, plan_id: str = "thu-nghiem-2024") -> None:
        self.plans = {plan_id: PlanMeta(plan_id, "Kế hoạch Chuyển đổi số tỉnh Thử Nghiệm năm 2024",
                                        "Thử Nghiệm", "2024", 2024, path=f"{plan_id}.txt")}
        self.manifest = {"version": 1, "corpus_hash": "fake", "embedder": "fake"}
        self.calls: list[tuple] = []
        self._lock = threading.Lock()
        self.plan_id = plan_id

    def lines(self, plan_id: str) -> list[str]:
        return list(LINES)

    def records(self, plan_id: str) -> list[TaskRecord]:
        return [TaskRecord(plan_id, "phát triển thương mại điện tử", "Sở Công Thương", ["Sở Tài chính"],
                           None, None, None, "II. NHIỆM VỤ", 7, 7, "narrative", LINES[6])]

    def _passage(self) -> Passage:
        return Passage(self.plan_id, self.plans[self.plan_id].title, "II. NHIỆM VỤ", 7, 7, LINES[6], LINES[6].lower())

    def search(self, query: str, plan: str | None = None, k: int = 5) -> list[Hit]:
        with self._lock:
            self.calls.append(("search", query, plan, k))
        return [Hit(self._passage(), 0.9, {"bm25": 1.5})][:k]

    def ask(self, question: str, history=(), plan: str | None = None) -> Answer:
        with self._lock:
            self.calls.append(("ask", question, list(history), plan))
        hit = Hit(self._passage(), 0.9)
        return Answer("Sở Công Thương chủ trì.", True, "lead", self.plan_id, [hit.citation()],
                      [r.to_dict() for r in self.records(self.plan_id)], "vi")
