"""Per-client token bucket.  `Settings.rate_limit_per_minute` tokens refill evenly over a
minute; the bucket holds at most that many, so a client may burst and then must pace itself.
A value <= 0 turns the limiter off (the load benchmark does that)."""

from __future__ import annotations

import math
import threading
import time

from fastapi import Request

from .errors import ServiceError

_MAX_CLIENTS = 10_000


class TokenBucket:
    def __init__(self, per_minute: int, clock=time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}   # client -> (tokens, last refill)
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.capacity > 0

    def take(self, client: str) -> float:
        """Spend one token; returns 0 when allowed, else the seconds until one is available."""
        if not self.enabled:
            return 0.0
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get(client, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[client] = (tokens - 1.0, now)
                wait = 0.0
            else:
                self._buckets[client] = (tokens, now)
                wait = (1.0 - tokens) / self.rate
            if len(self._buckets) > _MAX_CLIENTS:
                self._evict(now)
        return wait

    def _evict(self, now: float) -> None:
        # A bucket that would be full again carries no state worth keeping.
        full_after = self.capacity / self.rate
        for key, (_, last) in list(self._buckets.items()):
            if now - last >= full_after:
                del self._buckets[key]


_LOOPBACK = ("127.", "::1", "localhost")


def client_key(request: Request) -> str:
    """The client's address; a trusted local caller (the Rasa action server, which speaks for
    many users from 127.0.0.1) may name the end user in X-Client-Id so each user gets their
    own bucket.  The header is ignored from any other address, so it cannot be spoofed."""
    host = request.client.host if request.client else "unknown"
    user = request.headers.get("x-client-id", "").strip()
    if user and host.startswith(_LOOPBACK):
        return f"{host}/{user[:128]}"
    return host


async def rate_limited(request: Request) -> None:
    """Dependency for the query endpoints."""
    limiter: TokenBucket = request.app.state.limiter
    wait = limiter.take(client_key(request))
    if wait > 0:
        seconds = max(1, math.ceil(wait))
        raise ServiceError(
            429, "rate_limited",
            f"Bạn đang gửi câu hỏi hơi nhanh. Xin vui lòng đợi khoảng {seconds} giây rồi thử lại nhé.",
            f"Too many requests. Please wait about {seconds} seconds and try again.",
            headers={"Retry-After": str(seconds)})
