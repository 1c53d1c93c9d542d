"""Custom actions: answering from the plans, help, feedback.

Each action takes its backend as a constructor argument with a default (the way rasa_sdk's
ActionQueryKnowledgeBase takes its knowledge base), so tests hand in a stub client and a
temporary feedback store while the action server uses the real HTTP client.
"""

from __future__ import annotations

import logging
import unicodedata
from abc import ABCMeta, abstractmethod
from functools import lru_cache
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.client import AnswerClient, RetrievalClient, RetrievalRejected, RetrievalUnavailable
from actions.config import ActionSettings
from actions.feedback import FeedbackStore
from actions.render import is_positive_feedback, reply

log = logging.getLogger(__name__)

# How each input channel gets an answer.  The chat page (socketio) renders the card payload,
# answer text included, so it gets the payload alone: text and payload would show the answer
# twice.  REST clients (tests, bench, integrations) get both; every other channel the text.
PAYLOAD_ONLY_CHANNELS = frozenset({"socketio"})
TEXT_AND_PAYLOAD_CHANNELS = frozenset({"rest"})
# User turns that carry the conversation's topic (greetings and feedback do not).
QUESTION_INTENTS = frozenset({"ask_plan", "followup", "nlu_fallback"})


@lru_cache(maxsize=1)
def _settings() -> ActionSettings:
    return ActionSettings.from_env()


@lru_cache(maxsize=1)
def _default_client() -> RetrievalClient:
    s = _settings()
    return RetrievalClient(s.retrieval_url, timeout=s.timeout)


@lru_cache(maxsize=1)
def _default_store() -> FeedbackStore:
    return FeedbackStore(_settings().feedback_db)


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFD", (text or "").replace("Đ", "D").replace("đ", "d"))
    return "".join(c for c in text if unicodedata.category(c) != "Mn").lower().strip()


def recent_questions(tracker: Tracker, limit: int) -> list[str]:
    """The conversation's earlier question turns (after the latest restart), oldest first,
    without the message being answered now."""
    turns = []
    for event in tracker.events_after_latest_restart():
        if event.get("event") != "user" or not event.get("text"):
            continue
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if intent in QUESTION_INTENTS:
            turns.append(event["text"])
    current = tracker.latest_message.get("text")
    if turns and turns[-1] == current:
        turns.pop()
    return turns[-limit:] if limit > 0 else []


def _entity_values(tracker: Tracker, name: str) -> list[str]:
    return [str(e["value"]) for e in tracker.latest_message.get("entities", []) if e.get("entity") == name]


def _lang(tracker: Tracker) -> str:
    """The `lang` slot, which Rasa fills from the NLU pipeline's `lang` entity on every message
    (bot/components/language.py)."""
    lang = tracker.get_slot("lang")
    return lang if lang in ("vi", "en") else "vi"


class _BackedAction(Action, metaclass=ABCMeta):
    """An action whose backends (retrieval client, feedback store, settings) are constructor
    arguments; the action server's shared defaults are used for the ones left out.  Abstract,
    so rasa_sdk's executor does not register it as an action of its own."""

    def __init__(self, client: AnswerClient | None = None, store: FeedbackStore | None = None,
                 settings: ActionSettings | None = None) -> None:
        self._client = client
        self._store = store
        self._settings = settings

    @property
    def settings(self) -> ActionSettings:
        return self._settings or _settings()

    @property
    def client(self) -> AnswerClient:
        return self._client or _default_client()

    @property
    def store(self) -> FeedbackStore:
        return self._store or _default_store()

    @abstractmethod
    def name(self) -> str: ...

    def record(self, **row: Any) -> None:
        """One feedback-store row; a failure is logged, never allowed to lose the user's reply."""
        try:
            self.store.record(**row)
        except Exception as exc:
            log.warning("feedback.record_failed", extra={"error": type(exc).__name__, "kind": row.get("kind")})


class ActionAnswerPlans(_BackedAction):
    """Asks the retrieval service and replies with the answer and up to three citations."""

    def name(self) -> str:
        return "action_answer_plans"

    async def _plan_for_question(self, tracker: Tracker) -> str | None:
        """The plan slot, unless this message names another province or year: then the
        service resolves the plan from the question and history itself."""
        plan = tracker.get_slot("plan")
        if not plan:
            return None
        provinces = _entity_values(tracker, "province")
        years = _entity_values(tracker, "plan_year")
        if not provinces and not years:
            return plan
        try:
            meta = {p["id"]: p for p in await self.client.plans()}
        except (RetrievalUnavailable, RetrievalRejected):
            return None
        current = meta.get(plan)
        if current is None:
            return None
        if provinces and any(_fold(p) != _fold(current.get("province", "")) for p in provinces):
            return None
        plan_text = f"{current.get('period', '')} {current.get('title', '')} {current.get('year', '')}"
        if years and any(y not in plan_text for y in years):
            return None
        return plan

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        question = (tracker.latest_message.get("text") or "").strip()
        lang = _lang(tracker)
        if not question:
            dispatcher.utter_message(response="utter_default")
            return []
        history = recent_questions(tracker, self.settings.history_turns)
        plan = await self._plan_for_question(tracker)
        try:
            answer = await self.client.ask(question, history, plan, client_id=tracker.sender_id)
        except RetrievalUnavailable as exc:
            log.warning("answer.unreachable", extra={"sender": tracker.sender_id, "error": str(exc)})
            dispatcher.utter_message(response="utter_unreachable")
            return [SlotSet("last_question", question)]
        except RetrievalRejected as exc:
            # e.g. too long or too fast: the service's own explanation tells the user what to do
            dispatcher.utter_message(text=exc.message_for(lang))
            return []

        answered = bool(answer.get("answered"))
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if not answered:
            self.record(kind="declined", question=question, answer=str(answer.get("answer", "")),
                        useful=None, sender_id=tracker.sender_id, plan=answer.get("plan"))
        if not answered and intent == "nlu_fallback":
            # Probably not a question about the plans at all: suggest what can be asked.
            dispatcher.utter_message(response="utter_default")
            return [SlotSet("last_question", question)]

        text, payload = reply(answer, self.settings.link_base, lang)
        channel = tracker.get_latest_input_channel()
        if channel in PAYLOAD_ONLY_CHANNELS:
            dispatcher.utter_message(json_message=payload)
        elif channel in TEXT_AND_PAYLOAD_CHANNELS:
            dispatcher.utter_message(text=text, json_message=payload)
        else:
            dispatcher.utter_message(text=text)

        events: list[EventType] = [
            SlotSet("last_question", question),
            SlotSet("last_answer", str(answer.get("answer", ""))),
        ]
        if answered:
            if answer.get("plan"):
                events.append(SlotSet("plan", answer["plan"]))
            if answer.get("kind"):
                events.append(SlotSet("topic", answer["kind"]))
        return events



class ActionHelp(_BackedAction):
    """What can be asked, and the plans the service currently holds."""

    def name(self) -> str:
        return "action_help"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        dispatcher.utter_message(response="utter_help")
        try:
            plans = await self.client.plans()
        except (RetrievalUnavailable, RetrievalRejected):
            return []
        if plans:
            dispatcher.utter_message(response="utter_plans_intro")
            dispatcher.utter_message(text="\n".join(f"- {p.get('title', p['id'])}" for p in plans))
        return []


class ActionRecordFeedback(_BackedAction):
    """Stores "useful / not useful" for the last answer."""

    def __init__(self, store: FeedbackStore | None = None) -> None:
        super().__init__(store=store)

    def name(self) -> str:
        return "action_record_feedback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        question = tracker.get_slot("last_question")
        answer = tracker.get_slot("last_answer")
        if not question or answer is None:
            dispatcher.utter_message(response="utter_no_answer_yet")
            return []
        useful = is_positive_feedback(tracker.latest_message.get("text") or "")
        self.record(kind="feedback", question=question, answer=answer, useful=useful,
                    sender_id=tracker.sender_id, plan=tracker.get_slot("plan"))
        dispatcher.utter_message(response="utter_feedback_useful" if useful else "utter_feedback_not_useful")
        return []
