"""The SQL tracker store of bot/endpoints.yml: SQLite in write-ahead-log mode, conversations kept
across a restart (a new store on the same file)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import yaml
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from tracker_store import WALSQLTrackerStore

BOT = Path(__file__).resolve().parents[2] / "bot"
DOMAIN = Domain.from_path(BOT / "domain.yml")


def store(path) -> WALSQLTrackerStore:
    return WALSQLTrackerStore(domain=DOMAIN, dialect="sqlite", host=None, db=str(path))


def test_endpoints_use_it():
    endpoints = yaml.safe_load((BOT / "endpoints.yml").read_text(encoding="utf-8"))
    assert endpoints["tracker_store"]["type"] == "tracker_store.WALSQLTrackerStore"
    assert issubclass(WALSQLTrackerStore, SQLTrackerStore)


def test_conversation_survives_a_new_store_on_the_same_file(tmp_path):
    path = tmp_path / "tracker.sqlite"
    first = store(path)
    tracker = DialogueStateTracker.from_events("u1", [
        ActionExecuted("action_listen"),
        UserUttered("Ai chủ trì hóa đơn điện tử?", {"name": "ask_plan", "confidence": 1.0}),
        SlotSet("plan", "phu-tho-2022"),
    ], slots=DOMAIN.slots)
    asyncio.run(first.save(tracker))
    tracker.update(SlotSet("topic", "lead"))
    asyncio.run(first.save(tracker))  # only the new event is appended

    again = asyncio.run(store(path).retrieve("u1"))
    assert again is not None
    assert again.get_slot("plan") == "phu-tho-2022" and again.get_slot("topic") == "lead"
    assert [e.as_dict()["event"] for e in again.events] == ["action", "user", "slot", "slot"]
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("SELECT count(*) FROM events WHERE sender_id = 'u1'").fetchone()[0] == 4


def test_sqlite_connections_are_pooled(tmp_path):
    s = store(tmp_path / "tracker.sqlite")
    asyncio.run(s.retrieve("nobody"))
    asyncio.run(s.retrieve("nobody"))
    assert s.engine.pool.checkedin() == 1  # one connection, kept open between sessions
