"""Abuse limits shared by the channels: a per-sender token bucket and a message size cap.

Pure Python, no Rasa import, so it is unit-tested on its own (tests/channels/... and
tests/fuzz/test_channel_limits.py).  A limited or over-size message is answered with a polite
note and never reaches the dialogue, the action server or the retrieval service.

Credentials (any channel that uses it; both optional)::

    rate_limit_per_minute: 20     # messages one sender may send per minute (<= 0: off)
    max_message_chars: 2000       # longer messages are refused (the service's own question limit)
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

DEFAULT_RATE_LIMIT_PER_MINUTE = 20
DEFAULT_MAX_MESSAGE_CHARS = 2000
_MAX_SENDERS = 10_000


def rate_limited_note(seconds: int) -> str:
    return (f"Bạn đang gửi tin nhắn hơi nhanh. Xin vui lòng đợi khoảng {seconds} giây rồi hỏi tiếp nhé. "
            f"(Too many messages: please wait about {seconds} seconds.)")


def too_long_note(chars: int, limit: int) -> str:
    return (f"Tin nhắn của bạn quá dài ({chars} ký tự). Vui lòng rút gọn câu hỏi dưới {limit} ký tự nhé. "
            f"(Your message is too long: {chars} characters, the limit is {limit}.)")


class SenderLimiter:
    """Token bucket per sender: `per_minute` tokens refill evenly over a minute and the bucket
    holds at most that many, so a person may send a burst and then must pace themselves."""

    def __init__(self, per_minute: int = DEFAULT_RATE_LIMIT_PER_MINUTE,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float, bool]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.capacity > 0

    def take(self, sender: str) -> tuple[float, bool]:
        """Spend one token: (0, _) when allowed, else (seconds until the next token, whether
        this is the first refusal in a row, so the sender is told once, not at every message)."""
        if not self.enabled:
            return 0.0, False
        now = self._clock()
        with self._lock:
            tokens, last, refused = self._buckets.pop(sender, (self.capacity, now, False))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                tokens, wait, first = tokens - 1.0, 0.0, False
                refused = False
            else:
                wait, first = (1.0 - tokens) / self.rate, not refused
                refused = True
            self._buckets[sender] = (tokens, now, refused)
            while len(self._buckets) > _MAX_SENDERS:      # the least recently seen go first
                self._buckets.popitem(last=False)
        return wait, first


class MessageLimits:
    """What a channel asks before handing a message to Rasa: None to go ahead, else the note
    to send back instead (and the reason, for the log and the HTTP status)."""

    def __init__(self, rate_limit_per_minute: int = DEFAULT_RATE_LIMIT_PER_MINUTE,
                 max_message_chars: int = DEFAULT_MAX_MESSAGE_CHARS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limiter = SenderLimiter(rate_limit_per_minute, clock)
        self.max_message_chars = max_message_chars

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> MessageLimits:
        credentials = credentials or {}

        def number(key: str, default: int) -> int:
            value = credentials.get(key)
            if value is None or str(value).strip() == "":
                return default
            try:
                return int(value)
            except (TypeError, ValueError):
                raise ValueError(f"credentials: '{key}' must be a whole number, got {value!r}") from None

        return cls(number("rate_limit_per_minute", DEFAULT_RATE_LIMIT_PER_MINUTE),
                   number("max_message_chars", DEFAULT_MAX_MESSAGE_CHARS))

    def check(self, sender: str, text: str) -> tuple[str, str | None] | None:
        """None when the message may be processed, else (reason, note): reason "rate_limited"
        or "too_long"; note is what to send back, None when the sender was already told that
        they are going too fast (a flood must not turn into a flood of our replies).

        Every message spends a token, so a flood of long messages is limited like any other."""
        wait, first_refusal = self.limiter.take(sender)
        if wait > 0:
            return "rate_limited", rate_limited_note(max(1, math.ceil(wait))) if first_refusal else None
        if self.max_message_chars > 0 and len(text) > self.max_message_chars:
            return "too_long", too_long_note(len(text), self.max_message_chars)
        return None


class SeenIds:
    """Ids already handled in the last `ttl_s` seconds (in memory, bounded): a replayed
    delivery inside the sender's own replay window is dropped."""

    def __init__(self, ttl_s: float = 600.0, max_ids: int = 50_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self.max_ids = max_ids
        self._clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def first(self, key: str) -> bool:
        now = self._clock()
        with self._lock:
            while self._seen and (len(self._seen) >= self.max_ids
                                  or now - next(iter(self._seen.values())) > self.ttl_s):
                self._seen.popitem(last=False)
            if key in self._seen:
                return False
            self._seen[key] = now
            return True
