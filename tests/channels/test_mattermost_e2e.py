"""Mattermost end to end: an outgoing-webhook event posted to the real Rasa server's built-in
Mattermost channel, the reply checked at the loopback stand-in for the Mattermost API v4
(POST /api/v4/posts with the bot's token, obtained from POST /api/v4/users/login)."""

from __future__ import annotations

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


def outgoing_webhook(channel_id: str, text: str, trigger: str = "@cds") -> dict:
    """What Mattermost posts to an outgoing webhook (content type application/json)."""
    return {
        "token": "outgoing-webhook-token", "team_id": "t" + secrets.token_hex(12), "team_domain": "so-tttt",
        "channel_id": channel_id, "channel_name": "chuyen-doi-so", "timestamp": int(time.time() * 1000),
        "user_id": "u" + secrets.token_hex(12), "user_name": "chuyenvien", "post_id": "p" + secrets.token_hex(12),
        "text": f"{trigger} {text}", "trigger_word": trigger, "file_ids": "",
    }


def wait_posts(stack: Stack, channel_id: str, timeout: float) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any("Cục Thuế" in t for t in stack.world.mattermost_texts_for(channel_id)):
            break
        time.sleep(0.3)
    return stack.world.mattermost_texts_for(channel_id)


def test_question_answered_with_a_post(stack):
    channel = "c" + secrets.token_hex(12)
    r = httpx.post(f"{stack.rasa_url}/webhooks/mattermost/webhook", json=outgoing_webhook(channel, QUESTION),
                   timeout=60)
    assert r.status_code == 200, r.text
    posts = wait_posts(stack, channel, timeout=30)
    reply = "\n\n".join(posts)
    assert "Cục Thuế" in reply, posts
    # text channel: the sources go out as text with their viewer links, no card payload
    assert f"{stack.service_url}/plans/phu-tho-2022/view?lines=" in reply
    assert not any(p.get("custom") for p in stack.world.mattermost_posts if p.get("channel_id") == channel)


def test_posts_need_the_bot_token(stack):
    r = httpx.post(f"{stack.standin.url}/api/v4/posts", json={"channel_id": "c1", "message": "x"},
                   headers={"Authorization": "Bearer not-a-session"}, timeout=10)
    assert r.status_code == 401
    bad_login = httpx.post(f"{stack.standin.url}/api/v4/users/login",
                           json={"login_id": stack.world.mattermost_login, "password": "wrong"}, timeout=10)
    assert bad_login.status_code == 401 and "Token" not in bad_login.headers


def test_empty_event_is_ignored(stack):
    r = httpx.post(f"{stack.rasa_url}/webhooks/mattermost/webhook", json={}, timeout=10)
    assert r.status_code == 200 and r.text == ""
