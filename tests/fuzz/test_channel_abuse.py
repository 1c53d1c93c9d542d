"""Abuse and credentials at the real channels (tests/stack.py): a flood from one
sender is cut by the per-sender limit with one polite Vietnamese note, an over-size message
is answered with a clear note and never processed, a Slack delivery replayed inside the
5-minute window is answered once, and no secret of the stack (Zalo OA secret, app secret,
access and refresh tokens, Slack signing secret and bot token) is in any process log."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time

import httpx
import pytest
from channels.limits import DEFAULT_MAX_MESSAGE_CHARS, DEFAULT_RATE_LIMIT_PER_MINUTE
from channels.zalo_signature import sign

from tests.stack import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def stack() -> Stack:
    return Stack.shared()


def zalo_post(stack: Stack, user: str, text: str) -> httpx.Response:
    body = {"app_id": stack.world.zalo_app_id, "event_name": "user_send_text", "timestamp": str(int(time.time() * 1000)),
            "sender": {"id": user}, "recipient": {"id": "oa-1357"},
            "message": {"text": text, "msg_id": secrets.token_hex(12)}}
    raw = json.dumps(body, ensure_ascii=False).encode()
    mac = "mac=" + sign(stack.world.zalo_app_id, raw, body["timestamp"], stack.zalo_oa_secret)
    return httpx.post(f"{stack.rasa_url}/webhooks/zalo/webhook", content=raw, timeout=15,
                      headers={"Content-Type": "application/json", "X-ZEvent-Signature": mac})


def settle(read, timeout: float = 60, quiet: float = 3.0) -> list[str]:
    """What `read()` returns once it stops changing for `quiet` seconds."""
    deadline = time.monotonic() + timeout
    last, since = read(), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.3)
        now = read()
        if now != last:
            last, since = now, time.monotonic()
        elif now and time.monotonic() - since >= quiet:
            break
    return last


def test_zalo_flood_is_rate_limited_with_one_polite_note(stack):
    user = str(secrets.randbelow(10**18))
    sent = DEFAULT_RATE_LIMIT_PER_MINUTE + 6
    for i in range(sent):
        assert zalo_post(stack, user, f"xin chào {i}").status_code == 200
    replies = settle(lambda: stack.world.zalo_texts_for(user_id=user))
    notes = [t for t in replies if "gửi tin nhắn hơi nhanh" in t]
    assert len(notes) == 1, replies                  # told once, not at every refused message
    assert "vui lòng đợi" in notes[0]
    # the refused messages never reached the dialogue: at most one reply batch per allowed message
    assert len(replies) - 1 <= DEFAULT_RATE_LIMIT_PER_MINUTE * 2, len(replies)


def test_zalo_oversize_message_answered_and_not_processed(stack):
    user = str(secrets.randbelow(10**18))
    text = "Ai chủ trì phổ cập hóa đơn điện tử ở Phú Thọ năm 2022? " * 60
    assert len(text) > DEFAULT_MAX_MESSAGE_CHARS
    assert zalo_post(stack, user, text).status_code == 200
    replies = settle(lambda: stack.world.zalo_texts_for(user_id=user))
    assert len(replies) == 1 and "quá dài" in replies[0] and str(DEFAULT_MAX_MESSAGE_CHARS) in replies[0], replies
    assert not any("Cục Thuế" in t for t in replies)


def slack_post(stack: Stack, raw: bytes, ts: str | None = None) -> httpx.Response:
    ts = ts or str(int(time.time()))
    digest = hmac.new(stack.slack_signing_secret.encode(), f"v0:{ts}:".encode() + raw, hashlib.sha256).hexdigest()
    return httpx.post(f"{stack.rasa_url}/webhooks/slack/webhook", content=raw, timeout=15,
                      headers={"Content-Type": "application/json", "X-Slack-Request-Timestamp": ts,
                               "X-Slack-Signature": f"v0={digest}"})


def slack_body(channel: str, text: str) -> bytes:
    ts = f"{time.time():.6f}"
    return json.dumps({
        "token": "t", "team_id": "T0CDS", "api_app_id": "A0CDS", "type": "event_callback",
        "event_id": "Ev" + secrets.token_hex(6), "event_time": int(time.time()),
        "authorizations": [{"user_id": "U0BOT", "is_bot": True}],
        "event": {"type": "message", "channel_type": "im", "channel": channel, "user": "U" + secrets.token_hex(4),
                  "text": text, "ts": ts, "event_ts": ts}}, ensure_ascii=False).encode()


def test_slack_replay_inside_the_window_answered_once(stack):
    channel = "D" + secrets.token_hex(4).upper()
    raw = slack_body(channel, "Ai chủ trì phổ cập hóa đơn điện tử ở Phú Thọ năm 2022?")
    ts = str(int(time.time()))
    first = slack_post(stack, raw, ts)
    replay = slack_post(stack, raw, ts)             # the same signed delivery, captured and sent again
    assert first.status_code == 200 and replay.status_code == 200
    texts = settle(lambda: stack.world.slack_texts_for(channel), quiet=4.0)
    assert sum("Cục Thuế" in t for t in texts) == 1, texts


def test_slack_oversize_message_answered_and_not_processed(stack):
    channel = "D" + secrets.token_hex(4).upper()
    raw = slack_body(channel, "hóa đơn điện tử " * 200)
    assert slack_post(stack, raw).status_code == 200
    texts = settle(lambda: stack.world.slack_texts_for(channel))
    assert len(texts) == 1 and "quá dài" in texts[0], texts


def test_no_secret_in_any_log(stack):
    """After everything above (and the channel tests before it): bad signatures, refreshes,
    refused messages and answers were all logged, and none of the secrets were."""
    secrets_ = {
        "ZALO_OA_SECRET_KEY": stack.zalo_oa_secret, "ZALO_APP_SECRET_KEY": stack.world.zalo_app_secret,
        "ZALO_ACCESS_TOKEN": stack.world.zalo_access_token, "ZALO_REFRESH_TOKEN": stack.world.zalo_refresh_token,
        "SLACK_SIGNING_SECRET": stack.slack_signing_secret, "SLACK_BOT_TOKEN": stack.world.slack_token,
    }
    # a wrong signature and a probe of the webhooks, so the refusal paths have logged something
    httpx.post(f"{stack.rasa_url}/webhooks/zalo/webhook", content=b"{}", headers={"X-ZEvent-Signature": "mac=00"})
    bad = httpx.post(f"{stack.rasa_url}/webhooks/slack/webhook", content=b"{}",
                     headers={"X-Slack-Request-Timestamp": "1", "X-Slack-Signature": "v0=00"})
    for name, value in secrets_.items():
        assert value not in bad.text, name
    logs = {s.log.name: s.log.read_text(encoding="utf-8", errors="replace")
            for s in (stack.rasa, stack.actions, stack.retrieval)}
    assert logs[stack.rasa.log.name].strip(), "Rasa logged nothing: the check would prove nothing"
    for log_name, text in logs.items():
        for name, value in secrets_.items():
            assert value not in text, f"{name} appears in {log_name}"
