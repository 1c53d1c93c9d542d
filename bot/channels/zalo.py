"""Zalo Official Account connector: webhook in, customer-service messages out.

Shaped like Rasa's own channels (``rasa/core/channels/rest.py``): the input channel
verifies and de-duplicates the webhook event, hands the text to Rasa with a collecting
output channel, then packs the bot's messages (answer + citations) into as few Zalo
text messages as the length limit allows — Zalo counts replies, a handful free within
48 h of the user's last message.

Credentials (``credentials.yml``, values from the environment)::

    channels.zalo.ZaloInput:
      app_id: ${ZALO_APP_ID}
      oa_secret_key: ${ZALO_OA_SECRET_KEY}      # verifies webhook signatures
      app_secret_key: ${ZALO_APP_SECRET_KEY}    # refreshes the access token
      access_token: ${ZALO_ACCESS_TOKEN}
      refresh_token: ${ZALO_REFRESH_TOKEN}
      api_base: https://openapi.zalo.me
      oauth_base: https://oauth.zaloapp.com
      state_db: zalo_state.sqlite               # shared by the replicas on one host
      source_base_url: http://127.0.0.1:8000    # where citation links point
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sqlite3
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from http import HTTPStatus
from pathlib import Path
from typing import Any

import aiohttp
from rasa.core.channels.channel import (
    CollectingOutputChannel,
    InputChannel,
    OutputChannel,
    UserMessage,
)
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from .limits import MessageLimits
from .zalo_signature import MAX_EVENT_AGE_S, SIGNATURE_HEADER, is_fresh, verify_signature
from .zalo_text import citations_of, pack_messages, render_bot_messages, render_citations

logger = logging.getLogger(__name__)

TEXT_EVENTS = ("user_send_text", "anonymous_send_text")
# Events a person caused by sending something we cannot read: they get a short note.
NON_TEXT_EVENTS = frozenset({
    "user_send_image", "user_send_gif", "user_send_sticker", "user_send_file",
    "user_send_audio", "user_send_video", "user_send_location", "user_send_link",
    "user_send_business_card", "anonymous_send_image", "anonymous_send_file",
    "anonymous_send_sticker", "follow",
})
TEXT_ONLY_NOTE = "Hiện tôi chỉ hỗ trợ câu hỏi dạng văn bản."
FOLLOW_NOTE = (
    "Cảm ơn bạn đã quan tâm! Tôi trả lời câu hỏi về các kế hoạch chuyển đổi số cấp tỉnh, "
    "ví dụ: “Ai chủ trì phổ cập hóa đơn điện tử ở Phú Thọ năm 2022?”. " + TEXT_ONLY_NOTE
)
# Zalo answers HTTP 200 with {"error": <code>}: these codes mean the access token is
# invalid or expired, which a refresh fixes.
TOKEN_ERRORS = frozenset({-216, -124})
# What Zalo (and anyone probing the webhook) reads for a refused delivery: the same
# {"error": {"code", "message_vi", "message_en"}} shape as the retrieval service's errors.
REJECTIONS: dict[HTTPStatus, tuple[str, str, str]] = {
    HTTPStatus.BAD_REQUEST: ("malformed_event", "Nội dung sự kiện không phải JSON hợp lệ.",
                             "The event body is not a JSON object."),
    HTTPStatus.UNAUTHORIZED: ("invalid_signature", "Chữ ký X-ZEvent-Signature thiếu, sai hoặc sự kiện đã quá cũ.",
                              "Missing or wrong X-ZEvent-Signature, or the event is too old."),
    HTTPStatus.FORBIDDEN: ("wrong_app", "Sự kiện không dành cho ứng dụng này.", "The event is for another app."),
}


# C0/C1 controls (tab and newline kept) and lone surrogates: JSON can carry "\ud800", which no
# UTF-8 encoder (SQLite, aiohttp, the tracker store) accepts.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_ID_MAX = 256


def _clean(text: str) -> str:
    return _CONTROL.sub(" ", text).strip()


def _obj(value: Any) -> dict[str, Any]:
    """A nested event field as a dict; anything else (a string, a list, null) counts as absent."""
    return value if isinstance(value, dict) else {}


def _rejection(status: HTTPStatus) -> HTTPResponse:
    code, vi, en = REJECTIONS[status]
    return response.json({"error": {"code": code, "message_vi": vi, "message_en": en}}, status=status)


# ---------------------------------------------------------------- shared state

class StateStore:
    """A small SQLite file every replica on the host shares: the current tokens (a
    refresh token is single-use, so the new one must replace the old one everywhere)
    and the message ids already handled.  Several hosts need Redis or a database table
    with the same two operations instead (see docs/channels.md)."""

    def __init__(self, path: str | Path, seen_ttl_s: int = 24 * 3600) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.seen_ttl_s = seen_ttl_s
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT, updated REAL)")
            db.execute("CREATE TABLE IF NOT EXISTS seen (id TEXT PRIMARY KEY, at REAL)")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        try:
            yield db
        finally:
            db.close()

    def get(self, key: str) -> str | None:
        with self._connect() as db:
            row = db.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_many(self, values: dict[str, str]) -> None:
        now = time.time()
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            db.executemany(
                "INSERT INTO kv (key, value, updated) VALUES (?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated = excluded.updated",
                [(k, v, now) for k, v in values.items()],
            )
            db.execute("COMMIT")

    def first_delivery(self, event_id: str) -> bool:
        """Records ``event_id``; False when it was already recorded (a redelivery)."""
        now = time.time()
        with self._connect() as db:
            db.execute("DELETE FROM seen WHERE at < ?", (now - self.seen_ttl_s,))
            cur = db.execute("INSERT OR IGNORE INTO seen (id, at) VALUES (?, ?)", (event_id, now))
            return cur.rowcount == 1


# ---------------------------------------------------------------- Zalo OA API client

class ZaloApiError(RuntimeError):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"Zalo API error {code}: {message}")
        self.code = code


class ZaloClient:
    """Sends customer-service text messages, refreshing the access token once when the
    API reports it invalid or expired."""

    def __init__(
        self,
        app_id: str,
        app_secret_key: str,
        access_token: str,
        refresh_token: str,
        store: StateStore,
        api_base: str = "https://openapi.zalo.me",
        oauth_base: str = "https://oauth.zaloapp.com",
        timeout_s: float = 10.0,
    ) -> None:
        self.app_id = app_id
        self.app_secret_key = app_secret_key
        self._env_access_token = access_token
        self._env_refresh_token = refresh_token
        self.store = store
        self.api_base = api_base.rstrip("/")
        self.oauth_base = oauth_base.rstrip("/")
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._refresh_lock = asyncio.Lock()

    @property
    def access_token(self) -> str:
        # Once a refresh happened the store holds the live pair; the environment only seeds it.
        return self.store.get("access_token") or self._env_access_token

    @property
    def refresh_token(self) -> str:
        return self.store.get("refresh_token") or self._env_refresh_token

    async def send_text(self, recipient: dict[str, str], text: str) -> dict[str, Any]:
        token = self.access_token
        result = await self._post_message(token, recipient, text)
        if result.get("error", 0) in TOKEN_ERRORS:
            logger.info("zalo.token_rejected", extra={"code": result.get("error")})
            token = await self._refresh(failed_token=token)
            result = await self._post_message(token, recipient, text)
        if result.get("error", 0) != 0:
            raise ZaloApiError(int(result.get("error", -1)), str(result.get("message", "")))
        return result

    async def _post_message(self, token: str, recipient: dict[str, str], text: str) -> dict[str, Any]:
        body = {"recipient": recipient, "message": {"text": text}}
        async with aiohttp.ClientSession(timeout=self.timeout) as session:
            async with session.post(
                f"{self.api_base}/v3.0/oa/message/cs",
                json=body,
                headers={"access_token": token, "Content-Type": "application/json"},
            ) as resp:
                if resp.status >= 500:
                    raise ZaloApiError(resp.status, "server error")
                try:
                    return await resp.json(content_type=None)
                except (json.JSONDecodeError, aiohttp.ContentTypeError) as e:
                    raise ZaloApiError(resp.status, "response is not JSON") from e

    async def _refresh(self, failed_token: str) -> str:
        async with self._refresh_lock:
            current = self.access_token
            if current != failed_token:
                return current  # another task or replica refreshed meanwhile
            async with aiohttp.ClientSession(timeout=self.timeout) as session:
                async with session.post(
                    f"{self.oauth_base}/v4/oa/access_token",
                    data={
                        "app_id": self.app_id,
                        "grant_type": "refresh_token",
                        "refresh_token": self.refresh_token,
                    },
                    headers={"secret_key": self.app_secret_key},
                ) as resp:
                    try:
                        data = await resp.json(content_type=None)
                    except (json.JSONDecodeError, aiohttp.ContentTypeError):
                        data = {}
            if not data.get("access_token") or not data.get("refresh_token"):
                # A refresh token is single-use: a replica that refreshed first has the new pair.
                current = self.access_token
                if current != failed_token:
                    return current
                raise ZaloApiError(int(data.get("error", resp.status) or -1),
                                   str(data.get("error_description") or data.get("message") or "refresh failed"))
            self.store.set_many({"access_token": data["access_token"],
                                 "refresh_token": data["refresh_token"]})
            logger.info("zalo.token_refreshed")
            return data["access_token"]


# ---------------------------------------------------------------- Rasa channels

class ZaloOutput(OutputChannel):
    """Used for messages Rasa sends outside a webhook round trip (reminders, external
    events); the webhook path packs a whole turn itself."""

    @classmethod
    def name(cls) -> str:
        return "zalo"

    def __init__(self, client: ZaloClient, source_base_url: str, recipient: dict[str, str] | None = None) -> None:
        self.client = client
        self.source_base_url = source_base_url
        self.recipient = recipient

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        for chunk in pack_messages(text.split("\n\n")):
            await self.client.send_text(self.recipient or {"user_id": recipient_id}, chunk)

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        citations = citations_of(json_message)
        if citations:
            await self.send_text_message(recipient_id, render_citations(citations, self.source_base_url))


class ZaloInput(InputChannel):
    """Webhook for a Zalo Official Account: ``POST /webhooks/zalo/webhook``."""

    @classmethod
    def name(cls) -> str:
        return "zalo"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        if not credentials:
            cls.raise_missing_credentials_exception()
        return cls(
            app_id=str(credentials.get("app_id") or ""),
            oa_secret_key=str(credentials.get("oa_secret_key") or ""),
            app_secret_key=str(credentials.get("app_secret_key") or ""),
            access_token=str(credentials.get("access_token") or ""),
            refresh_token=str(credentials.get("refresh_token") or ""),
            api_base=credentials.get("api_base") or "https://openapi.zalo.me",
            oauth_base=credentials.get("oauth_base") or "https://oauth.zaloapp.com",
            state_db=credentials.get("state_db") or "zalo_state.sqlite",
            source_base_url=credentials.get("source_base_url") or "http://127.0.0.1:8000",
            max_event_age_s=int(credentials.get("max_event_age_s") or MAX_EVENT_AGE_S),
            limits=MessageLimits.from_credentials(credentials),
        )

    def __init__(
        self,
        app_id: str,
        oa_secret_key: str,
        app_secret_key: str = "",
        access_token: str = "",
        refresh_token: str = "",
        api_base: str = "https://openapi.zalo.me",
        oauth_base: str = "https://oauth.zaloapp.com",
        state_db: str | Path = "zalo_state.sqlite",
        source_base_url: str = "http://127.0.0.1:8000",
        max_event_age_s: int = MAX_EVENT_AGE_S,
        limits: MessageLimits | None = None,
    ) -> None:
        missing = [n for n, v in (("app_id", app_id), ("oa_secret_key", oa_secret_key),
                                  ("access_token", access_token)) if not v]
        if missing:
            raise ValueError(
                f"Zalo channel needs {', '.join(missing)} in credentials.yml "
                "(set ZALO_APP_ID, ZALO_OA_SECRET_KEY, ZALO_ACCESS_TOKEN; see docs/channels.md)."
            )
        self.app_id = app_id
        self.oa_secret_key = oa_secret_key
        self.source_base_url = source_base_url
        self.max_event_age_s = max_event_age_s
        self.limits = limits or MessageLimits()
        self.store = StateStore(state_db)
        self.client = ZaloClient(app_id, app_secret_key, access_token, refresh_token, self.store,
                                 api_base=api_base, oauth_base=oauth_base)
        self._tasks: set[asyncio.Task] = set()

    def get_output_channel(self) -> OutputChannel | None:
        return ZaloOutput(self.client, self.source_base_url)

    # -- webhook ----------------------------------------------------------------

    def check_event(self, raw_body: bytes, header: str | None) -> tuple[HTTPStatus, dict[str, Any] | None]:
        """Signature, freshness and shape of one delivery; the event when all hold."""
        try:
            event = json.loads(raw_body)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return HTTPStatus.BAD_REQUEST, None
        if not isinstance(event, dict):
            return HTTPStatus.BAD_REQUEST, None
        timestamp = str(event.get("timestamp", ""))
        if not verify_signature(self.app_id, raw_body, timestamp, self.oa_secret_key, header):
            return HTTPStatus.UNAUTHORIZED, None
        if str(event.get("app_id", "")) != self.app_id:
            return HTTPStatus.FORBIDDEN, None
        if not is_fresh(timestamp, max_age_s=self.max_event_age_s):
            return HTTPStatus.UNAUTHORIZED, None
        return HTTPStatus.OK, event

    @staticmethod
    def event_id(event: dict[str, Any]) -> str:
        msg_id = _obj(event.get("message")).get("msg_id")
        if msg_id:
            return _clean(f"msg:{msg_id}")[:_ID_MAX]
        sender = _obj(event.get("sender") or event.get("follower")).get("id", "")
        return _clean(f"evt:{event.get('event_name')}:{sender}:{event.get('timestamp')}")[:_ID_MAX]

    @staticmethod
    def recipient_of(event: dict[str, Any]) -> dict[str, str] | None:
        sender = _obj(event.get("sender") or event.get("follower")).get("id")
        if not sender or isinstance(sender, (dict, list)):
            return None
        sender = _clean(str(sender))[:_ID_MAX]
        if not sender:
            return None
        if str(event.get("event_name", "")).startswith("anonymous_"):
            return {"anonymous_id": str(sender),
                    "conversation_id": _clean(str(_obj(event.get("message")).get("conversation_id", "")))[:_ID_MAX]}
        return {"user_id": str(sender)}

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        zalo_webhook = Blueprint("zalo_webhook", __name__)

        @zalo_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @zalo_webhook.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            status, event = self.check_event(request.body, request.headers.get(SIGNATURE_HEADER))
            if event is None:
                logger.warning("zalo.event_rejected", extra={"status": int(status)})
                return _rejection(status)
            if not self.store.first_delivery(self.event_id(event)):
                logger.info("zalo.duplicate_dropped")
                return response.json({"status": "duplicate"})
            # Zalo wants a 200 within 2 s and redelivers otherwise: answer in the background.
            task = asyncio.create_task(self._handle(event, on_new_message))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return response.json({"status": "ok"})

        return zalo_webhook

    async def _handle(self, event: dict[str, Any], on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        name = str(event.get("event_name", ""))
        recipient = self.recipient_of(event)
        if recipient is None:
            return
        try:
            if name in TEXT_EVENTS:
                text = _obj(event.get("message")).get("text")
                text = _clean(text) if isinstance(text, str) else ""
                if not text:
                    return
                sender_id = recipient.get("user_id") or f"anon:{recipient['anonymous_id']}"
                refused = self.limits.check(sender_id, text)
                if refused is not None:
                    reason, note = refused
                    logger.info("zalo.message_refused", extra={"reason": reason, "chars": len(text)})
                    if note:
                        await self.client.send_text(recipient, note)
                    return
                collector = CollectingOutputChannel()
                await on_new_message(UserMessage(
                    text, collector, sender_id, input_channel=self.name(),
                    metadata={"zalo_event": name, "msg_id": _obj(event.get("message")).get("msg_id")},
                ))
                replies = pack_messages(render_bot_messages(collector.messages, self.source_base_url))
            elif name in NON_TEXT_EVENTS:
                replies = [FOLLOW_NOTE if name == "follow" else TEXT_ONLY_NOTE]
            else:
                return  # seen/received receipts, unfollow, OA-side echoes: nothing to say
            for reply in replies:
                await self.client.send_text(recipient, reply)
        except Exception:  # webhook boundary: log and keep serving
            logger.exception("zalo.reply_failed", extra={"event_name": name})
