"""Zalo OA webhook signature and replay checks: pure functions, no Rasa import, so they
are unit-tested on their own (tests/channels/test_zalo_signature.py)."""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-ZEvent-Signature"
MAX_EVENT_AGE_S = 300


def sign(app_id: str, raw_body: bytes, timestamp: str, oa_secret: str) -> str:
    """sha256 hex of app_id + raw body + timestamp + OA secret key, as Zalo documents."""
    payload = app_id.encode() + raw_body + str(timestamp).encode() + oa_secret.encode()
    return hashlib.sha256(payload).hexdigest()


def verify_signature(
    app_id: str, raw_body: bytes, timestamp: str, oa_secret: str, header: str | None
) -> bool:
    """True when ``header`` (``mac=<hex>``) is Zalo's signature of this body.

    Compared in constant time; a missing or malformed header is simply not valid.
    """
    if not header or not app_id or not oa_secret:
        return False
    header = header.strip()
    provided = header[4:] if header.lower().startswith("mac=") else header
    expected = sign(app_id, raw_body, timestamp, oa_secret)
    return hmac.compare_digest(provided.strip().lower().encode(), expected.encode())


def is_fresh(timestamp_ms: str | int, now: float | None = None, max_age_s: int = MAX_EVENT_AGE_S) -> bool:
    """Zalo timestamps are milliseconds; older than ``max_age_s`` (or as far ahead) is a replay."""
    try:
        ts = int(timestamp_ms) / 1000.0
    except (TypeError, ValueError):
        return False
    now = time.time() if now is None else now
    return abs(now - ts) <= max_age_s


