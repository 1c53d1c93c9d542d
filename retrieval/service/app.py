"""The FastAPI application: `create_app(settings)` wires routes, errors, CORS and the engine;
`serve(host, port, settings)` runs it under uvicorn."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import FileResponse, HTMLResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from retrieval import __version__
from retrieval.config import ROOT, Settings, get_settings

from . import errors
from .catalog import Catalog
from .ratelimit import TokenBucket
from .routes import admin, ask, chat, health, plans, search, viewer
from .state import Builder, IndexManager, Loader

log = logging.getLogger("retrieval.service")

_JSON_BODY_LIMIT = 1024 * 1024
_FORM_OVERHEAD = 256 * 1024

DESCRIPTION = """
Trợ lý hỏi đáp về các **kế hoạch chuyển đổi số cấp tỉnh**. Mọi câu trả lời kèm trích dẫn
(kế hoạch, mục, dòng) và đường dẫn tới trang xem văn bản gốc.

Lỗi luôn có dạng `{"error": {"code", "message_vi", "message_en"}}`.
Các thao tác quản trị (`/admin/...`) cần tiêu đề `Authorization: Bearer <khóa>`.
"""


# Swagger UI for /docs, pinned in web/package.json and installed by scripts/web_deps.sh: the
# page works offline (FastAPI's default loads it from a CDN).
SWAGGER_DIR = ROOT / "web" / "node_modules" / "swagger-ui-dist"
_SWAGGER_FILES = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css",
                  "favicon-32x32.png": "image/png"}


def install_docs(app: FastAPI) -> None:
    """/docs with Swagger UI's files served from /docs/static/ (only the three it needs)."""
    oauth2_url = app.swagger_ui_oauth2_redirect_url or "/docs/oauth2-redirect"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        if not (SWAGGER_DIR / "swagger-ui-bundle.js").is_file():
            return HTMLResponse(
                "<!doctype html><meta charset=utf-8><title>/docs</title>"
                "<p>Chưa cài Swagger UI: chạy <code>bash scripts/web_deps.sh</code> (hoặc <code>make web-deps</code>)."
                " Đặc tả API vẫn có ở <a href=\"/openapi.json\">/openapi.json</a>.</p>", status_code=503)
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title} — API",
            swagger_js_url="/docs/static/swagger-ui-bundle.js", swagger_css_url="/docs/static/swagger-ui.css",
            swagger_favicon_url="/docs/static/favicon-32x32.png", oauth2_redirect_url=oauth2_url,
            swagger_ui_parameters={"defaultModelsExpandDepth": 0, "validatorUrl": None})

    @app.get(oauth2_url, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/docs/static/{name}", include_in_schema=False)
    async def swagger_static(name: str) -> FileResponse:
        if name not in _SWAGGER_FILES or not (SWAGGER_DIR / name).is_file():
            raise errors.ServiceError(404, "not_found", "Không tìm thấy tệp.", "File not found.")
        return FileResponse(SWAGGER_DIR / name, media_type=_SWAGGER_FILES[name],
                            headers={"Cache-Control": "public, max-age=86400"})


class BodyLimit:
    """Refuse a body whose declared length is over the limit before anything reads it."""

    def __init__(self, app: ASGIApp, json_limit: int, upload_limit: int) -> None:
        self.app = app
        self.json_limit = json_limit
        self.upload_limit = upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = dict(scope["headers"])
            length = headers.get(b"content-length", b"")
            limit = self.upload_limit if scope["path"].startswith("/admin/") else self.json_limit
            if length.isdigit() and int(length) > limit:
                response = errors.error_response(errors.ServiceError(
                    413, "payload_too_large",
                    f"Nội dung gửi lên quá lớn (giới hạn {limit:,} byte).".replace(",", "."),
                    f"The request body is too large (limit {limit:,} bytes)."))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def create_app(settings: Settings | None = None, *, load: bool = True,
               loader: Loader | None = None, builder: Builder | None = None) -> FastAPI:
    """The service for `settings`.  The engine loads in the background when the app starts
    (`load=False` leaves that to the caller, e.g. a test that sets `app.state.index.engine`);
    `loader`/`builder` replace Engine.load / index.build for tests."""
    settings = settings or get_settings()
    manager = IndexManager(settings, loader=loader, builder=builder)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if load:
            manager.start()
        log.info("event=service_started host=%s port=%d data_dir=%s admin=%s", settings.host, settings.port,
                 settings.data_dir, "on" if settings.admin_api_key else "off")
        yield

    app = FastAPI(
        title="Trợ lý kế hoạch chuyển đổi số",
        description=DESCRIPTION,
        version=__version__,
        lifespan=lifespan,
        docs_url=None,   # install_docs: Swagger UI from local files, not a CDN
        redoc_url=None,  # ReDoc has no offline build here; /docs covers it
        openapi_tags=[
            {"name": "hỏi đáp", "description": "Đặt câu hỏi, nhận câu trả lời có trích dẫn"},
            {"name": "tìm kiếm", "description": "Tìm đoạn văn bản trong các kế hoạch"},
            {"name": "kế hoạch", "description": "Danh sách kế hoạch, nhiệm vụ, xem văn bản gốc"},
            {"name": "quản trị", "description": "Tải lên, xóa kế hoạch và xây lại chỉ mục"},
            {"name": "health", "description": "Trạng thái dịch vụ"},
        ],
    )
    app.state.settings = settings
    app.state.index = manager
    app.state.catalog = Catalog(settings.corpus_dir)
    app.state.limiter = TokenBucket(settings.rate_limit_per_minute)

    errors.install(app)
    install_docs(app)
    for module in (ask, search, plans, viewer, admin, health, chat):
        app.include_router(module.router)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.cors_origins),
        allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
        allow_headers=["Content-Type", "Authorization"],
        max_age=600,
    )
    app.add_middleware(BodyLimit, json_limit=_JSON_BODY_LIMIT,
                       upload_limit=settings.max_upload_bytes + _FORM_OVERHEAD)
    return app


def serve(host: str | Settings | None = None, port: int | None = None, settings: Settings | None = None) -> None:
    """Run the service under uvicorn (what `python -m retrieval serve` calls).

    `serve(settings)` is accepted too: host and port then come from the settings."""
    import uvicorn

    if isinstance(host, Settings):
        host, settings = None, host
    # The embedder's OpenMP kernels spin at barriers: with one query per request and several
    # requests at once, one thread per call is ~10x faster than all cores fighting each other
    # (measured: 90 ms vs 1 s per query on a busy 2-core box).  Must be set before the model
    # library loads, which happens in the lifespan; an explicit OMP_NUM_THREADS wins.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    settings = settings or get_settings()
    update = {k: v for k, v in (("host", host), ("port", port)) if v is not None}
    if update:
        # Citation links are built from host/port, so they must be the ones we bind to.
        settings = settings.model_copy(update=update)
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port,
                log_level=settings.log_level.lower(), access_log=False,
                # longer than clients' keep-alive expiry (httpx: 5 s), so the server never closes
                # a connection a client is about to reuse
                timeout_keep_alive=30)
