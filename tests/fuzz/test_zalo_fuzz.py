"""Bad input at the real Zalo webhook (Rasa with the trained model, action server, retrieval
service, loopback OA API: tests/channels/stack.py, shared with the channel and page tests).

Unsigned garbage and correctly signed events of every wrong shape: each delivery is a 200 or
a 4xx with a bilingual JSON error, never a 5xx, and Rasa still answers a real question after."""

from __future__ import annotations

import json
import secrets
import time

import httpx
import pytest
from channels.zalo_signature import sign
from fuzz_helpers import error_ok
from fuzz_strategies import HUGE, INJECTIONS, JSON_ANY, TEXT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.stack import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

FUZZ = settings(max_examples=120, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])
EVENT_NAMES = ["user_send_text", "anonymous_send_text", "user_send_image", "follow", "unfollow",
               "user_received_message", "oa_send_text", "user_send_location"]


@pytest.fixture(scope="module")
def stack() -> Stack:
    return Stack.shared()


def _post(stack: Stack, raw: bytes, signature: str | None) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-ZEvent-Signature"] = signature
    return httpx.post(f"{stack.rasa_url}/webhooks/zalo/webhook", content=raw, headers=headers, timeout=15)


def _check(r: httpx.Response) -> None:
    if r.status_code == 200:
        assert isinstance(r.json(), dict)
        return
    assert error_ok(r) is None, (r.status_code, r.text[:300])


@FUZZ
@given(raw=st.one_of(st.binary(max_size=3000), JSON_ANY.map(lambda v: json.dumps(v).encode())),
       signature=st.one_of(st.none(), st.just("mac="), st.text(st.characters(min_codepoint=33, max_codepoint=126),
                                                               max_size=70)))
def test_unsigned_or_badly_signed_garbage_is_refused(stack, raw, signature):
    try:
        r = _post(stack, raw, signature)
    except httpx.LocalProtocolError:
        return
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:200])
    assert error_ok(r) is None, r.text[:300]


SENDER = st.one_of(st.none(), TEXT, st.integers(), st.lists(st.integers(), max_size=2),
                   st.fixed_dictionaries({"id": st.one_of(TEXT, st.integers(), st.none(), JSON_ANY)}))
MESSAGE = st.one_of(
    st.none(), TEXT, st.lists(TEXT, max_size=2), JSON_ANY,
    st.fixed_dictionaries({"text": st.one_of(TEXT, HUGE, JSON_ANY, st.sampled_from(INJECTIONS)),
                           "msg_id": st.one_of(TEXT, st.integers(), JSON_ANY, st.none())},
                          optional={"conversation_id": JSON_ANY}),
)


@FUZZ
@given(name=st.one_of(st.sampled_from(EVENT_NAMES), TEXT, JSON_ANY), sender=SENDER, message=MESSAGE,
       timestamp=st.one_of(st.just("now"), st.integers(), TEXT, JSON_ANY), extra=st.dictionaries(TEXT, JSON_ANY,
                                                                                                 max_size=3))
def test_signed_events_of_every_shape(stack, name, sender, message, timestamp, extra):
    event = {**extra, "app_id": stack.world.zalo_app_id, "event_name": name,
             "timestamp": str(int(time.time() * 1000)) if timestamp == "now" else timestamp,
             "sender": sender, "recipient": {"id": "oa-1357"}, "message": message}
    raw = json.dumps(event, ensure_ascii=True).encode()
    ts = str(json.loads(raw)["timestamp"])          # what the handler puts into the signature
    mac = "mac=" + sign(stack.world.zalo_app_id, raw, ts, stack.zalo_oa_secret)
    _check(_post(stack, raw, mac))


def test_rasa_still_answers_after_the_fuzz(stack):
    assert stack.rasa.proc.poll() is None, "Rasa died"
    user = str(secrets.randbelow(10**18))
    body = {"app_id": stack.world.zalo_app_id, "event_name": "user_send_text", "timestamp": str(int(time.time() * 1000)),
            "sender": {"id": user}, "recipient": {"id": "oa-1357"},
            "message": {"text": "Ai chủ trì phổ cập hóa đơn điện tử ở Phú Thọ năm 2022?", "msg_id": secrets.token_hex(8)}}
    raw = json.dumps(body, ensure_ascii=False).encode()
    r = _post(stack, raw, "mac=" + sign(stack.world.zalo_app_id, raw, body["timestamp"], stack.zalo_oa_secret))
    assert r.status_code == 200
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if any("Cục Thuế" in t for t in stack.world.zalo_texts_for(user_id=user)):
            break
        time.sleep(0.3)
    assert any("Cục Thuế" in t for t in stack.world.zalo_texts_for(user_id=user)), stack.world.zalo_texts_for(
        user_id=user)
