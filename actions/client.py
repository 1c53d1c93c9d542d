"""HTTP client for the retrieval service (POST /ask, GET /plans).

The action server holds this client, never the index.  Every failure the user should hear
about as "the service is unreachable" is raised as RetrievalUnavailable.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Protocol

import httpx

log = logging.getLogger(__name__)

# The service's rate limiter gives each value its own bucket when the caller is local
# (retrieval/service/ratelimit.py: client_key).
CLIENT_ID_HEADER = "X-Client-Id"


class RetrievalUnavailable(Exception):
    """The service did not answer in time, refused the connection or failed (5xx, bad JSON)."""


class RetrievalRejected(Exception):
    """The service refused the question itself (4xx, e.g. too long or rate limited): `message`
    is its Vietnamese explanation (`error.message_vi`), `message_en` its English one."""

    def __init__(self, status: int, message: str, message_en: str | None = None, code: str = "") -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message
        self.message_en = message_en or message
        self.code = code

    def message_for(self, lang: str) -> str:
        return self.message_en if lang == "en" else self.message


class AnswerClient(Protocol):
    async def ask(self, question: str, history: list[str], plan: str | None,
                  client_id: str | None = None) -> dict[str, Any]: ...

    async def plans(self) -> list[dict[str, Any]]: ...


class RetrievalClient:
    """Async client; one connection pool for the life of the action server."""

    def __init__(self, base_url: str, timeout: float = 5.0, plans_ttl: float = 60.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.plans_ttl = plans_ttl
        self._client: httpx.AsyncClient | None = None
        self._plans: tuple[float, list[dict[str, Any]]] | None = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None or self._client.is_closed:
            self._client = httpx.AsyncClient(base_url=self.base_url, timeout=self.timeout)
        return self._client

    async def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = await self._http().request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            log.warning("retrieval.unreachable", extra={"path": path, "error": type(exc).__name__})
            raise RetrievalUnavailable(type(exc).__name__) from exc
        if response.status_code >= 500:
            log.warning("retrieval.failed", extra={"path": path, "status": response.status_code})
            raise RetrievalUnavailable(f"HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError as exc:
            raise RetrievalUnavailable("invalid JSON") from exc
        if response.status_code >= 400:
            vi, en, code = _error_messages(body)
            log.info("retrieval.rejected", extra={"path": path, "status": response.status_code, "code": code})
            raise RetrievalRejected(response.status_code, vi, en, code)
        return body

    async def ask(self, question: str, history: list[str], plan: str | None,
                  client_id: str | None = None) -> dict[str, Any]:
        """`client_id` (the conversation's sender id) goes out as X-Client-Id, so the service's
        rate limit counts each user apart rather than the whole action server as one client."""
        headers = {CLIENT_ID_HEADER: client_id[:128]} if client_id else None
        body = await self._request("POST", "/ask", json={"question": question, "history": history, "plan": plan},
                                   headers=headers)
        if not isinstance(body, dict) or "answer" not in body:
            raise RetrievalUnavailable("unexpected /ask response")
        return body

    async def plans(self) -> list[dict[str, Any]]:
        """Plan metadata (id, title, province, year, ...), cached for `plans_ttl` seconds."""
        now = time.monotonic()
        if self._plans and now - self._plans[0] < self.plans_ttl:
            return self._plans[1]
        body = await self._request("GET", "/plans")
        items = body.get("plans", body) if isinstance(body, dict) else body
        if isinstance(items, dict):  # {id: meta}
            items = [{"id": k, **v} for k, v in items.items()]
        plans = [p for p in items if isinstance(p, dict) and "id" in p]
        self._plans = (now, plans)
        return plans


_DEFAULT_REJECTION = ("Câu hỏi không hợp lệ.", "The question was not accepted.")


def _error_messages(body: Any) -> tuple[str, str, str]:
    """(Vietnamese, English, code) from the service's error body
    `{"error": {"code", "message_vi", "message_en"}}` (retrieval/service/errors.py)."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return (*_DEFAULT_REJECTION, "")
    vi, en = error.get("message_vi"), error.get("message_en")
    vi = vi if isinstance(vi, str) and vi.strip() else _DEFAULT_REJECTION[0]
    en = en if isinstance(en, str) and en.strip() else _DEFAULT_REJECTION[1]
    code = error.get("code")
    return vi, en, code if isinstance(code, str) else ""
