"""action_answer_plans and friends, driven with a stub client, a Tracker and CollectingDispatcher
(the way rasa_sdk tests its knowledge-base actions)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.actions import (
    ActionAnswerPlans,
    ActionHelp,
    ActionRecordFeedback,
    recent_questions,
)
from actions.client import RetrievalRejected, RetrievalUnavailable
from actions.config import ActionSettings
from actions.feedback import FeedbackStore

PLANS = [
    {"id": "phu-tho-2022", "title": "Kế hoạch Chuyển đổi số tỉnh Phú Thọ năm 2022", "province": "Phú Thọ",
     "period": "2022", "year": 2022},
    {"id": "vinh-phuc-2022-2025", "title": "Kế hoạch Chuyển đổi số tỉnh Vĩnh Phúc đến năm 2025",
     "province": "Vĩnh Phúc", "period": "2022-2025, định hướng 2030", "year": 2022},
]

LONG_TEXT = "Cục Thuế tỉnh chủ trì, phối hợp với Sở Thông tin và Truyền thông " * 20


def answer(**over: Any) -> dict[str, Any]:
    base = {
        "answer": "Cục Thuế tỉnh chủ trì.",
        "answered": True,
        "kind": "lead",
        "plan": "phu-tho-2022",
        "citations": [
            {"plan": "phu-tho-2022", "title": PLANS[0]["title"], "section": "II. Nhiệm vụ", "line_start": 120,
             "line_end": 123, "text": LONG_TEXT, "score": 0.9},
            {"plan": "phu-tho-2022", "title": PLANS[0]["title"], "section": "III", "line_start": 10,
             "line_end": 10, "text": "b", "score": 0.5},
            {"plan": "phu-tho-2022", "title": PLANS[0]["title"], "section": "", "line_start": 11,
             "line_end": 12, "text": "c", "score": 0.4},
            {"plan": "phu-tho-2022", "title": PLANS[0]["title"], "section": "", "line_start": 13,
             "line_end": 14, "text": "d", "score": 0.3},
        ],
        "records": [],
        "lang": "vi",
    }
    base.update(over)
    return base


class StubClient:
    def __init__(self, result: dict | Exception | None = None) -> None:
        self.result = result if result is not None else answer()
        self.calls: list[dict] = []
        self.client_ids: list[str | None] = []

    async def ask(self, question: str, history: list[str], plan: str | None,
                  client_id: str | None = None) -> dict:
        self.calls.append({"question": question, "history": history, "plan": plan})
        self.client_ids.append(client_id)
        if isinstance(self.result, Exception):
            raise self.result
        return self.result

    async def plans(self) -> list[dict]:
        return PLANS


def user(text: str, intent: str = "ask_plan", entities: list | None = None) -> dict:
    return {"event": "user", "text": text, "input_channel": "rest",
            "parse_data": {"text": text, "intent": {"name": intent, "confidence": 0.9},
                           "entities": entities or []}}


def tracker(text: str, intent: str = "ask_plan", slots: dict | None = None, past: list[dict] | None = None,
            entities: list | None = None, channel: str = "rest") -> Tracker:
    events = [*(past or []), user(text, intent, entities)]
    events[-1]["input_channel"] = channel
    return Tracker(
        sender_id="u1", slots={"lang": "vi", **(slots or {})},
        latest_message={"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": entities or []},
        events=events, paused=False, followup_action=None, active_loop={}, latest_action_name="action_listen",
    )


def run(action, trk: Tracker) -> tuple[CollectingDispatcher, list]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, trk, {}))
    return dispatcher, events


@pytest.fixture
def store(tmp_path) -> FeedbackStore:
    return FeedbackStore(tmp_path / "feedback.sqlite")


SETTINGS = ActionSettings(retrieval_url="http://127.0.0.1:9", public_url="https://cds.example.vn/")


class TestAnswerPlans:
    def test_answer_text_citations_and_card_payload(self, store):
        client = StubClient()
        dispatcher, events = run(ActionAnswerPlans(client, store, SETTINGS), tracker("Ai chủ trì hóa đơn điện tử?"))
        [msg] = dispatcher.messages
        assert msg["text"].startswith("Cục Thuế tỉnh chủ trì.")
        assert "Nguồn:" in msg["text"]
        assert "https://cds.example.vn/plans/phu-tho-2022/view?lines=120-123" in msg["text"]
        card = msg["custom"]
        assert card["type"] == "answer" and card["answered"] is True
        assert len(card["citations"]) == 3
        first = card["citations"][0]
        assert first["title"] == PLANS[0]["title"] and first["section"] == "II. Nhiệm vụ"
        assert len(first["snippet"]) <= 300 and first["snippet"].endswith("…")
        assert first["url"] == "https://cds.example.vn/plans/phu-tho-2022/view?lines=120-123"
        assert SlotSet("plan", "phu-tho-2022") in events
        assert SlotSet("topic", "lead") in events
        assert SlotSet("last_question", "Ai chủ trì hóa đơn điện tử?") in events

    def test_snippet_already_quoted_in_the_answer_is_not_repeated(self, store):
        source = " ".join(f"từ{i}" for i in range(80))
        quoted = answer(answer=f"Cục Thuế tỉnh chủ trì. Theo kế hoạch: “{source}”")
        quoted["citations"][0]["text"] = source
        dispatcher, _ = run(ActionAnswerPlans(StubClient(quoted), store, SETTINGS), tracker("Ai chủ trì?"))
        text = dispatcher.messages[0]["text"]
        assert text.count("từ30 từ31") == 1
        assert "view?lines=120-123" in text and "“b”" in text

    def test_chat_page_gets_the_payload_alone(self, store):
        # the page renders the answer text from the payload: a text message too would show it twice
        dispatcher, _ = run(ActionAnswerPlans(StubClient(), store, SETTINGS),
                            tracker("Ai chủ trì?", channel="socketio"))
        [msg] = dispatcher.messages
        assert not msg["text"]
        assert msg["custom"]["answer"] == "Cục Thuế tỉnh chủ trì." and len(msg["custom"]["citations"]) == 3

    def test_text_only_for_channels_without_cards(self, store):
        dispatcher, _ = run(ActionAnswerPlans(StubClient(), store, SETTINGS),
                            tracker("Ai chủ trì?", channel="zalo"))
        [msg] = dispatcher.messages
        assert msg["text"] and not msg["custom"]

    def test_english_labels(self, store):
        trk = tracker("Who leads e-invoicing?", slots={"lang": "en"})
        dispatcher, _ = run(ActionAnswerPlans(StubClient(answer(lang="en")), store, SETTINGS), trk)
        assert "Sources:" in dispatcher.messages[0]["text"]

    def test_sends_recent_question_turns_and_plan_slot(self, store):
        client = StubClient()
        past = [user("xin chào", "greet"), user("Ai chủ trì hóa đơn điện tử ở Phú Thọ?"),
                user("hữu ích", "feedback")]
        run(ActionAnswerPlans(client, store, SETTINGS),
            tracker("Còn thời hạn thì sao?", "followup", {"plan": "phu-tho-2022"}, past))
        assert client.calls == [{"question": "Còn thời hạn thì sao?",
                                 "history": ["Ai chủ trì hóa đơn điện tử ở Phú Thọ?"], "plan": "phu-tho-2022"}]

    def test_history_starts_after_restart(self, store):
        client = StubClient()
        past = [user("Ai chủ trì hóa đơn điện tử?"), {"event": "restart"}, user("Sở Y tế làm gì?")]
        run(ActionAnswerPlans(client, store, SETTINGS), tracker("Còn kinh phí?", "followup", past=past))
        assert client.calls[0]["history"] == ["Sở Y tế làm gì?"]

    @pytest.mark.parametrize(("text", "entity", "value", "plan"), [
        ("Ở Vĩnh Phúc thì ai?", "province", "Vĩnh Phúc", None),   # another province: the service resolves it
        ("phu tho thi sao", "province", "phu tho", "phu-tho-2022"),  # the same one, unaccented: kept
        ("Còn năm 2026?", "plan_year", "2026", None),               # another year
    ])
    def test_plan_slot_kept_only_for_the_same_plan(self, store, text, entity, value, plan):
        client = StubClient()
        ents = [{"entity": entity, "value": value, "start": 0, "end": len(value)}]
        run(ActionAnswerPlans(client, store, SETTINGS),
            tracker(text, "followup", {"plan": "phu-tho-2022"}, entities=ents))
        assert client.calls[0]["plan"] == plan

    @pytest.mark.parametrize("error", [RetrievalUnavailable("ConnectTimeout"), RetrievalUnavailable("HTTP 500")])
    def test_service_failure_gives_the_unreachable_response(self, store, error):
        dispatcher, events = run(ActionAnswerPlans(StubClient(error), store, SETTINGS), tracker("Ai chủ trì?"))
        assert [m["response"] for m in dispatcher.messages] == ["utter_unreachable"]
        assert not any(m.get("text") for m in dispatcher.messages)

    def test_rejected_question_passes_the_service_message(self, store):
        err = RetrievalRejected(422, "Câu hỏi quá dài (tối đa 2.000 ký tự).", "The question is too long.")
        dispatcher, _ = run(ActionAnswerPlans(StubClient(err), store, SETTINGS), tracker("x" * 3000))
        assert [m["text"] for m in dispatcher.messages] == ["Câu hỏi quá dài (tối đa 2.000 ký tự)."]
        english = tracker("why " * 1000, slots={"lang": "en"})
        dispatcher, _ = run(ActionAnswerPlans(StubClient(err), store, SETTINGS), english)
        assert [m["text"] for m in dispatcher.messages] == ["The question is too long."]

    def test_sender_id_is_the_client_id(self, store):
        client = StubClient()
        run(ActionAnswerPlans(client, store, SETTINGS), tracker("Ai chủ trì?"))
        assert client.client_ids == ["u1"]

    def test_declined_answer_is_replied_and_recorded(self, store):
        declined = answer(answer="Chưa có kế hoạch của tỉnh Lào Cai.", answered=False, plan=None, citations=[])
        dispatcher, events = run(ActionAnswerPlans(StubClient(declined), store, SETTINGS),
                                 tracker("Lào Cai ai chủ trì?", slots={"plan": "phu-tho-2022"}))
        assert dispatcher.messages[0]["text"] == "Chưa có kế hoạch của tỉnh Lào Cai."
        assert dispatcher.messages[0]["custom"]["answered"] is False
        assert not any(isinstance(e, dict) and e.get("name") == "plan" for e in events)
        [row] = store.rows()
        assert row["kind"] == "declined" and row["question"] == "Lào Cai ai chủ trì?" and row["useful"] is None

    def test_low_confidence_message_declined_suggests_examples(self, store):
        declined = answer(answered=False, plan=None, citations=[])
        dispatcher, _ = run(ActionAnswerPlans(StubClient(declined), store, SETTINGS),
                            tracker("asdf qwer", "nlu_fallback"))
        assert [m["response"] for m in dispatcher.messages] == ["utter_default"]


class TestFeedback:
    @pytest.mark.parametrize(("text", "useful"), [
        ("câu trả lời rất hữu ích", True), ("huu ich", True), ("đúng rồi", True), ("that was helpful", True),
        ("👍", True), ("đúng cái tôi cần", True), ("không hữu ích", False), ("khong dung", False), ("sai rồi", False), ("chưa đúng ý tôi", False),
        ("not helpful", False), ("wrong answer", False), ("👎", False), ("vô dụng", False),
    ])
    def test_polarity(self, text, useful):
        from actions.render import is_positive_feedback

        assert is_positive_feedback(text) is useful

    def test_useful_and_not_useful_are_stored(self, store):
        slots = {"last_question": "Ai chủ trì?", "last_answer": "Cục Thuế tỉnh.", "plan": "phu-tho-2022"}
        d1, _ = run(ActionRecordFeedback(store), tracker("hữu ích", "feedback", slots))
        d2, _ = run(ActionRecordFeedback(store), tracker("sai rồi", "feedback", slots))
        assert [m["response"] for m in d1.messages + d2.messages] == ["utter_feedback_useful",
                                                                       "utter_feedback_not_useful"]
        rows = store.rows()
        assert [(r["kind"], r["question"], r["answer"], r["useful"]) for r in rows] == [
            ("feedback", "Ai chủ trì?", "Cục Thuế tỉnh.", 1), ("feedback", "Ai chủ trì?", "Cục Thuế tỉnh.", 0)]

    def test_nothing_to_rate_yet(self, store):
        dispatcher, _ = run(ActionRecordFeedback(store), tracker("hữu ích", "feedback"))
        assert dispatcher.messages[0]["response"] == "utter_no_answer_yet"
        assert store.rows() == []

    def test_bad_kind_is_rejected(self, store):
        with pytest.raises(ValueError, match="feedback"):
            store.record(kind="other", question="q", answer="a", useful=True)  # type: ignore[arg-type]


class TestHelp:
    def test_lists_the_plans(self):
        dispatcher, _ = run(ActionHelp(StubClient()), tracker("bạn biết kế hoạch nào?", "help"))
        assert dispatcher.messages[0]["response"] == "utter_help"
        assert PLANS[1]["title"] in dispatcher.messages[-1]["text"]

    def test_still_helps_when_service_is_down(self):
        dispatcher, _ = run(ActionHelp(FailingPlans()), tracker("help", "help"))
        assert [m["response"] for m in dispatcher.messages] == ["utter_help"]


class FailingPlans(StubClient):
    async def plans(self) -> list[dict]:
        raise RetrievalUnavailable("ConnectError")


def test_recent_questions_limit():
    past = [user(f"câu hỏi {i}") for i in range(10)]
    assert recent_questions(tracker("câu cuối", past=past), 3) == ["câu hỏi 7", "câu hỏi 8", "câu hỏi 9"]


def test_settings_from_env(tmp_path):
    s = ActionSettings.from_env({"CDS_RETRIEVAL_URL": "http://10.0.0.5:8000/", "CDS_RETRIEVAL_TIMEOUT": "2.5",
                                 "CDS_FEEDBACK_DB": str(tmp_path / "f.db")})
    assert s.retrieval_url == "http://10.0.0.5:8000" and s.timeout == 2.5 and s.link_base == "http://10.0.0.5:8000"
