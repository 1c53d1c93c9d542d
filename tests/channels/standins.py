"""Loopback stand-ins for the outside APIs the channels call, speaking their documented
request/response shapes:

- Zalo OA: ``POST /v3.0/oa/message/cs`` (header ``access_token``; body
  ``{"recipient": {"user_id"}, "message": {"text"}}``; answers HTTP 200 with
  ``{"error": 0, "message": "Success", "data": {...}}`` or ``{"error": -216, ...}`` for an
  invalid/expired token) and ``POST /v4/oa/access_token`` (header ``secret_key``, form
  ``app_id``, ``grant_type=refresh_token``, ``refresh_token``; a refresh token is single-use).
- Slack Web API: ``POST /api/chat.postMessage`` (``Authorization: Bearer <token>``).
- Mattermost API v4: ``POST /api/v4/users/login`` (body ``{"login_id", "password"}``; 200 with
  the session token in the ``Token`` header and the user as JSON, 401 with
  ``{"id", "message", "status_code"}`` otherwise) and ``POST /api/v4/posts`` (``Authorization:
  Bearer <token>``, body ``{"channel_id", "message", "props"?}``; 201 with the created post).
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


@dataclass
class Sent:
    recipient: dict[str, Any]
    text: str
    at: float = field(default_factory=time.time)


@dataclass
class World:
    zalo_app_id: str
    zalo_app_secret: str
    zalo_access_token: str
    zalo_refresh_token: str
    slack_token: str
    mattermost_login: str = "cds-bot"
    mattermost_password: str = field(default_factory=lambda: "pw-" + secrets.token_hex(8))
    mattermost_tokens: set[str] = field(default_factory=set)
    mattermost_posts: list[dict] = field(default_factory=list)
    zalo_messages: list[Sent] = field(default_factory=list)
    zalo_rejected: list[dict] = field(default_factory=list)
    zalo_refreshes: int = 0
    slack_messages: list[dict] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def expire_zalo_token(self) -> None:
        with self.lock:
            self.zalo_access_token = "at-" + secrets.token_hex(8)  # the old one is no longer valid

    def zalo_texts_for(self, **recipient: str) -> list[str]:
        with self.lock:
            return [m.text for m in self.zalo_messages
                    if all(m.recipient.get(k) == v for k, v in recipient.items())]

    def slack_texts_for(self, channel: str) -> list[str]:
        with self.lock:
            return [str(m.get("text", "")) for m in self.slack_messages if m.get("channel") == channel]

    def mattermost_texts_for(self, channel_id: str) -> list[str]:
        with self.lock:
            return [str(p.get("message", "")) for p in self.mattermost_posts if p.get("channel_id") == channel_id]


class _Handler(BaseHTTPRequestHandler):
    world: World  # set on the subclass made per server

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        pass

    def _reply(self, body: dict, status: int = 200) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/v3.0/oa/message/cs":
            return self._zalo_send(raw)
        if self.path == "/v4/oa/access_token":
            return self._zalo_refresh(raw)
        if self.path.startswith("/api/chat.postMessage"):
            return self._slack_post(raw)
        if self.path == "/api/v4/users/login":
            return self._mattermost_login(raw)
        if self.path == "/api/v4/posts":
            return self._mattermost_post(raw)
        self._reply({"error": "not found"}, 404)

    def _zalo_send(self, raw: bytes) -> None:
        w = self.world
        try:
            body = json.loads(raw)
        except json.JSONDecodeError:
            return self._reply({"error": -201, "message": "Parameters are invalid"})
        with w.lock:
            if self.headers.get("access_token") != w.zalo_access_token:
                w.zalo_rejected.append(body)
                return self._reply({"error": -216, "message": "Access token is invalid"})
            recipient = body.get("recipient") or {}
            text = (body.get("message") or {}).get("text")
            if not (recipient.get("user_id") or recipient.get("anonymous_id")) or not isinstance(text, str) \
                    or not text or len(text) > 2000:
                return self._reply({"error": -201, "message": "Parameters are invalid"})
            w.zalo_messages.append(Sent(recipient, text))
        self._reply({"error": 0, "message": "Success",
                     "data": {"message_id": secrets.token_hex(8), "user_id": recipient.get("user_id", "")}})

    def _zalo_refresh(self, raw: bytes) -> None:
        w = self.world
        form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        with w.lock:
            if self.headers.get("secret_key") != w.zalo_app_secret or form.get("app_id") != w.zalo_app_id:
                return self._reply({"error": -14002, "error_name": "Invalid app secret key",
                                    "error_description": "secret_key or app_id does not match"})
            if form.get("grant_type") != "refresh_token" or form.get("refresh_token") != w.zalo_refresh_token:
                return self._reply({"error": -14014, "error_name": "Invalid refresh token",
                                    "error_description": "Refresh token is invalid or already used"})
            w.zalo_access_token = "at-" + secrets.token_hex(8)
            w.zalo_refresh_token = "rt-" + secrets.token_hex(8)
            w.zalo_refreshes += 1
            body = {"access_token": w.zalo_access_token, "refresh_token": w.zalo_refresh_token,
                    "expires_in": "90000"}
        self._reply(body)

    def _slack_post(self, raw: bytes) -> None:
        w = self.world
        if self.headers.get("Authorization") != f"Bearer {w.slack_token}":
            return self._reply({"ok": False, "error": "invalid_auth"})
        ctype = self.headers.get("Content-Type", "")
        if ctype.startswith("application/json"):
            body = json.loads(raw or b"{}")
        else:
            body = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        if not body.get("channel"):
            return self._reply({"ok": False, "error": "channel_not_found"})
        with w.lock:
            w.slack_messages.append(body)
        ts = f"{time.time():.6f}"
        self._reply({"ok": True, "channel": body["channel"], "ts": ts,
                     "message": {"type": "message", "text": body.get("text", ""), "ts": ts}})

    def _mattermost_error(self, status: int, error_id: str, message: str) -> None:
        self._reply({"id": error_id, "message": message, "detailed_error": "", "request_id": secrets.token_hex(13),
                     "status_code": status}, status)

    def _mattermost_login(self, raw: bytes) -> None:
        w = self.world
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            return self._mattermost_error(400, "api.context.invalid_body_param.app_error", "Invalid body")
        if body.get("login_id") != w.mattermost_login or body.get("password") != w.mattermost_password:
            return self._mattermost_error(401, "api.user.login.invalid_credentials_email_username",
                                          "Enter a valid email or username and/or password.")
        token = secrets.token_hex(13)
        with w.lock:
            w.mattermost_tokens.add(token)
        data = json.dumps({"id": "u" + secrets.token_hex(12), "username": w.mattermost_login,
                           "roles": "system_user"}).encode()
        self.send_response(200)
        self.send_header("Token", token)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _mattermost_post(self, raw: bytes) -> None:
        w = self.world
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[len("Bearer "):] not in w.mattermost_tokens:
            return self._mattermost_error(401, "api.context.session_expired.app_error",
                                          "Invalid or expired session, please login again.")
        try:
            body = json.loads(raw or b"{}")  # Rasa sends JSON without a Content-Type header
        except json.JSONDecodeError:
            return self._mattermost_error(400, "api.context.invalid_body_param.app_error", "Invalid body")
        if not isinstance(body, dict) or not body.get("channel_id"):
            return self._mattermost_error(400, "api.context.invalid_body_param.app_error",
                                          "Invalid or missing channel_id in request body.")
        with w.lock:
            w.mattermost_posts.append(body)
        now = int(time.time() * 1000)
        self._reply({"id": secrets.token_hex(13), "create_at": now, "update_at": now, "user_id": "u-bot",
                     "channel_id": body["channel_id"], "message": body.get("message", ""),
                     "props": body.get("props") or {}}, 201)


class StandIn:
    """Runs the stand-ins on a free loopback port in a background thread."""

    def __init__(self, world: World) -> None:
        self.world = world
        handler = type("Handler", (_Handler,), {"world": world})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> StandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
