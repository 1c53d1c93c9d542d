"""The channels' abuse limits (bot/channels/limits.py) as pure functions, with properties
Hypothesis checks over arbitrary arrival patterns."""

from __future__ import annotations

import pytest
from channels.limits import MessageLimits, SeenIds, SenderLimiter
from hypothesis import given, settings
from hypothesis import strategies as st


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@settings(max_examples=200, deadline=None)
@given(per_minute=st.integers(1, 120), gaps=st.lists(st.floats(0, 30), min_size=1, max_size=300))
def test_never_more_than_the_burst_plus_the_refill(per_minute, gaps):
    clock = Clock()
    limiter = SenderLimiter(per_minute, clock)
    allowed, elapsed = 0, 0.0
    for gap in gaps:
        clock.now += gap
        elapsed += gap
        wait, _ = limiter.take("u")
        allowed += wait == 0
        assert wait >= 0
    assert allowed <= per_minute + elapsed * per_minute / 60 + 1e-6


@settings(max_examples=100, deadline=None)
@given(senders=st.lists(st.text(max_size=5), min_size=1, max_size=50))
def test_senders_do_not_share_a_bucket(senders):
    limiter = SenderLimiter(1, Clock())
    first = {}
    for s in senders:
        first.setdefault(s, limiter.take(s)[0])
    assert all(w == 0 for w in first.values())


def test_refused_sender_is_told_once_then_again_after_recovering():
    clock = Clock()
    limits = MessageLimits(rate_limit_per_minute=2, max_message_chars=50, clock=clock)
    assert limits.check("u", "a") is None and limits.check("u", "b") is None
    reason, note = limits.check("u", "c")
    assert reason == "rate_limited" and "vui lòng đợi khoảng 30 giây" in note
    assert limits.check("u", "d") == ("rate_limited", None)       # no note flood
    clock.now += 60
    assert limits.check("u", "e") is None
    assert limits.check("u", "f") is None
    assert limits.check("u", "g")[1] is not None                  # a new refusal is announced again


def test_oversize_message_refused_with_the_limit_named():
    limits = MessageLimits(rate_limit_per_minute=0, max_message_chars=10)
    reason, note = limits.check("u", "x" * 11)
    assert reason == "too_long" and "11 ký tự" in note and "10 ký tự" in note
    assert limits.check("u", "x" * 10) is None


@pytest.mark.parametrize("credentials,expected", [
    (None, (20, 2000)), ({}, (20, 2000)), ({"rate_limit_per_minute": "5", "max_message_chars": 300}, (5, 300)),
    ({"rate_limit_per_minute": "", "max_message_chars": None}, (20, 2000)), ({"rate_limit_per_minute": 0}, (0, 2000)),
])
def test_from_credentials(credentials, expected):
    limits = MessageLimits.from_credentials(credentials)
    assert (int(limits.limiter.capacity), limits.max_message_chars) == expected


def test_bad_credentials_value_named():
    with pytest.raises(ValueError, match="rate_limit_per_minute"):
        MessageLimits.from_credentials({"rate_limit_per_minute": "many"})


def test_seen_ids_drop_replays_inside_the_window_only():
    clock = Clock()
    seen = SeenIds(ttl_s=600, clock=clock)
    assert seen.first("Ev1") and not seen.first("Ev1")
    clock.now += 601
    assert seen.first("Ev2")          # pruning runs on the next call
    assert seen.first("Ev1")          # forgotten after the window (the timestamp check refuses it then)
