"""Slack channel end to end: v0-signed Events API deliveries to the real Rasa server, the
reply checked at the loopback stand-in for the Slack Web API (chat.postMessage)."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time

import httpx
import pytest

from tests.stack import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

QUESTION = "Ai chủ trì phổ cập hóa đơn điện tử ở Phú Thọ năm 2022?"


@pytest.fixture(scope="module")
def stack() -> Stack:
    return Stack.shared()


def slack_event(channel: str, text: str) -> dict:
    ts = f"{time.time():.6f}"
    return {
        "token": "legacy-verification-token",
        "team_id": "T0CDS",
        "api_app_id": "A0CDS",
        "type": "event_callback",
        "event_id": "Ev" + secrets.token_hex(6),
        "event_time": int(time.time()),
        "authorizations": [{"user_id": "U0BOT", "is_bot": True}],
        "event": {"type": "message", "channel_type": "im", "channel": channel, "user": "U" + secrets.token_hex(4),
                  "text": text, "ts": ts, "event_ts": ts},
    }


def post(stack: Stack, body: dict, timestamp: int | None = None, secret: str | None = None,
         tamper: bool = False) -> httpx.Response:
    raw = json.dumps(body, ensure_ascii=False).encode()
    ts = str(timestamp if timestamp is not None else int(time.time()))
    digest = hmac.new((secret or stack.slack_signing_secret).encode(), f"v0:{ts}:".encode() + raw,
                      hashlib.sha256).hexdigest()
    if tamper:
        raw = raw.replace("Phú Thọ".encode(), b"Gia Lai")
    headers = {"Content-Type": "application/json", "X-Slack-Request-Timestamp": ts,
               "X-Slack-Signature": f"v0={digest}"}
    return httpx.post(f"{stack.rasa_url}/webhooks/slack/webhook", content=raw, headers=headers, timeout=10)


def wait_texts(stack: Stack, channel: str, timeout: float) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        texts = stack.world.slack_texts_for(channel)
        if any("Cục Thuế tỉnh" in t for t in texts):
            time.sleep(1.0)
            return stack.world.slack_texts_for(channel)
        time.sleep(0.2)
    return stack.world.slack_texts_for(channel)


def test_signed_event_answered_through_web_api(stack):
    channel = "D" + secrets.token_hex(4).upper()
    r = post(stack, slack_event(channel, QUESTION))
    assert r.status_code == 200, r.text
    texts = wait_texts(stack, channel, timeout=60)
    joined = "\n".join(texts)
    assert "Cục Thuế tỉnh" in joined, texts
    assert "/plans/phu-tho-2022/view?lines=" in joined


def test_url_verification_challenge(stack):
    body = {"token": "t", "challenge": "chal-" + secrets.token_hex(6), "type": "url_verification"}
    r = post(stack, body)
    assert r.status_code == 200 and body["challenge"] in r.text


@pytest.mark.parametrize("case", ["wrong_secret", "tampered", "old", "future", "unsigned"])
def test_bad_signature_or_stale_timestamp_gets_no_reply(stack, case):
    channel = "D" + secrets.token_hex(4).upper()
    body = slack_event(channel, QUESTION)
    if case == "wrong_secret":
        r = post(stack, body, secret="not-the-signing-secret")
    elif case == "tampered":
        r = post(stack, body, tamper=True)
    elif case == "old":
        r = post(stack, body, timestamp=int(time.time()) - 6 * 60)
    elif case == "future":
        r = post(stack, body, timestamp=int(time.time()) + 6 * 60)
    else:
        r = httpx.post(f"{stack.rasa_url}/webhooks/slack/webhook", json=body, timeout=10)
    assert 400 <= r.status_code < 500, (case, r.status_code, r.text)
    time.sleep(5)
    assert stack.world.slack_texts_for(channel) == []
