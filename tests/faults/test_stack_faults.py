"""Faults of the running assistant, on the shared stack of real services (tests/stack.py:
retrieval service, action server, Rasa with the trained model and the messaging channels):

- Rasa killed with SIGKILL mid-conversation: after restart the conversation is intact in the
  SQL tracker store and the follow-up is answered from its context;
- the retrieval service killed: a Zalo user gets the "unreachable" message (no traceback), and
  a normal answer again once the service is back, with nothing restarted on the Rasa side.

Both leave the stack as they found it (same ports, processes restarted)."""

from __future__ import annotations

import json
import os
import secrets
import signal
import sqlite3
import time

import httpx
import pytest
from channels.zalo_signature import sign

from tests.stack import Stack, card, new_sender, texts

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

QUESTION = "Ai chủ trì phổ cập hóa đơn điện tử ở Phú Thọ năm 2022?"
FOLLOWUP = "Còn thời hạn thì sao?"
UNREACHABLE_VI = "không phản hồi"


@pytest.fixture(scope="module")
def stack() -> Stack:
    return Stack.shared()


def _kill_9(service) -> None:
    os.kill(service.proc.pid, signal.SIGKILL)
    service.proc.wait(20)


def test_rasa_killed_mid_conversation_keeps_history(stack):
    sender = new_sender("fault")
    first = stack.say(sender, QUESTION)
    assert "Cục Thuế" in texts(first), first
    _kill_9(stack.rasa)
    stack.rasa.start()
    stack.rasa.wait_ready(600)
    msgs = stack.say(sender, FOLLOWUP, timeout=60)
    payload = card(msgs)
    assert payload is not None and payload["answered"], msgs
    assert payload["citations"][0]["plan"] == "phu-tho-2022", payload      # the plan came from the context
    with sqlite3.connect(stack.tracker_db) as db:
        said = [json.loads(d)["text"] for (d,) in db.execute(
            "SELECT data FROM events WHERE sender_id = ? AND type_name = 'user' ORDER BY id", (sender,))]
    assert said == [QUESTION, FOLLOWUP]


def _zalo(stack: Stack, user: str, text: str) -> list[str]:
    body = {"app_id": stack.world.zalo_app_id, "event_name": "user_send_text",
            "timestamp": str(int(time.time() * 1000)), "sender": {"id": user}, "recipient": {"id": "oa-1357"},
            "message": {"text": text, "msg_id": secrets.token_hex(12)}}
    raw = json.dumps(body, ensure_ascii=False).encode()
    before = len(stack.world.zalo_texts_for(user_id=user))
    r = httpx.post(f"{stack.rasa_url}/webhooks/zalo/webhook", content=raw, timeout=15,
                   headers={"Content-Type": "application/json",
                            "X-ZEvent-Signature": "mac=" + sign(stack.world.zalo_app_id, raw, body["timestamp"],
                                                                stack.zalo_oa_secret)})
    assert r.status_code == 200, r.text
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        new = stack.world.zalo_texts_for(user_id=user)[before:]
        if new:
            time.sleep(2)
            return stack.world.zalo_texts_for(user_id=user)[before:]
        time.sleep(0.3)
    return []


def test_retrieval_down_then_back_over_zalo(stack):
    user = str(secrets.randbelow(10**18))
    _kill_9(stack.retrieval)
    try:
        down = "\n".join(_zalo(stack, user, QUESTION))
        assert UNREACHABLE_VI in down, down
        assert "Traceback" not in down and "Exception" not in down
    finally:
        stack.retrieval.start()
        stack.retrieval.wait_ready(600)
    back = "\n".join(_zalo(stack, user, QUESTION))
    assert "Cục Thuế" in back and UNREACHABLE_VI not in back, back
