"""The chat page at /chat/: static files from web/, the pinned socket.io client from
web/node_modules (installed by scripts/web_deps.sh, never a CDN) and /chat/config.js with
the Rasa socket URL.

Only the files listed here are served, so nothing else under web/ (package files,
node_modules) is reachable.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from retrieval.config import ROOT

from ..errors import ServiceError

router = APIRouter(tags=["trang hỏi đáp"], include_in_schema=False)

WEB_DIR = ROOT / "web"
SOCKET_IO_JS = WEB_DIR / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"
DEFAULT_RASA_URL = "http://127.0.0.1:5005"
_FILES = {"chat.js": "text/javascript", "chat.css": "text/css"}
_NO_CACHE = {"Cache-Control": "no-cache"}


def rasa_url(request: Request) -> str:
    # `rasa_url` belongs in retrieval.config.Settings (CDS_RASA_URL); the default is run.sh's.
    url = getattr(request.app.state.settings, "rasa_url", None) or DEFAULT_RASA_URL
    return str(url).rstrip("/")


def content_security_policy(rasa: str) -> str:
    parts = urlsplit(rasa)
    ws_scheme = "wss" if parts.scheme == "https" else "ws"
    origin = f"{parts.scheme}://{parts.netloc}"
    return ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"connect-src 'self' {origin} {ws_scheme}://{parts.netloc}; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


@router.get("/chat")
def chat_redirect() -> RedirectResponse:
    return RedirectResponse("/chat/", status_code=308)


@router.get("/chat/")
def chat_page(request: Request) -> FileResponse:
    headers = {**_NO_CACHE, "Content-Security-Policy": content_security_policy(rasa_url(request)),
               "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}
    return FileResponse(WEB_DIR / "index.html", media_type="text/html; charset=utf-8", headers=headers)


@router.get("/chat/config.js")
def chat_config(request: Request) -> Response:
    config = {"rasaUrl": rasa_url(request), "socketPath": "/socket.io"}
    body = f"window.CDS_CHAT_CONFIG = {json.dumps(config, ensure_ascii=False)};\n"
    return Response(body, media_type="text/javascript; charset=utf-8", headers=_NO_CACHE)


@router.get("/chat/vendor/socket.io.min.js")
def socket_io_client() -> FileResponse:
    if not SOCKET_IO_JS.exists():
        raise ServiceError(503, "web_deps_missing",
                           "Trang hỏi đáp chưa được cài đặt đầy đủ. Quản trị viên cần chạy `make web-deps`.",
                           f"{SOCKET_IO_JS} is missing: run `make web-deps` (scripts/web_deps.sh).")
    return FileResponse(SOCKET_IO_JS, media_type="text/javascript; charset=utf-8")


@router.get("/chat/{name}")
def chat_asset(name: str) -> FileResponse:
    media_type = _FILES.get(name)
    if media_type is None:
        raise ServiceError(404, "not_found", "Không tìm thấy tệp này.", "No such file.")
    return FileResponse(Path(WEB_DIR, name), media_type=f"{media_type}; charset=utf-8", headers=_NO_CACHE)
