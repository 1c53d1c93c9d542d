"""Dependencies shared by the routes: settings, the live engine, plan lookup, JSON-only
bodies and the admin key check.  All are `async def`: they only read state, and a sync
dependency would cost a thread-pool hop on every request."""

from __future__ import annotations

import hmac
import logging
from typing import Annotated, Any

from fastapi import Depends, Request

from retrieval.config import Settings

from .errors import ServiceError, unknown_plan

log = logging.getLogger("retrieval.service")


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_engine(request: Request) -> Any:
    return (await get_live(request))[0]


async def get_live(request: Request) -> tuple[Any, Any]:
    """(engine, answer cache) of the index being served; 503 while none is loaded."""
    manager = request.app.state.index
    live = manager.live
    if live[0] is None:
        if manager.load_error:
            raise ServiceError(503, "index_unavailable",
                               "Chỉ mục chưa sẵn sàng do lỗi khi nạp. Quản trị viên cần xem nhật ký máy chủ.",
                               f"The index failed to load: {manager.load_error}",
                               headers={"Retry-After": "30"})
        raise ServiceError(503, "index_loading",
                           "Hệ thống đang nạp chỉ mục, vui lòng thử lại sau ít giây.",
                           "The index is still loading; please retry in a few seconds.",
                           headers={"Retry-After": "5"})
    return live


def check_plan(engine: Any, plan: str | None, status: int = 404) -> str | None:
    if plan is not None and plan not in engine.plans:
        raise unknown_plan(plan, list(engine.plans), status=status)
    return plan


async def require_json(request: Request) -> None:
    ctype = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if ctype != "application/json" and not ctype.endswith("+json"):
        raise ServiceError(415, "unsupported_media_type",
                           "Nội dung yêu cầu phải là JSON (Content-Type: application/json).",
                           f"The request body must be JSON (Content-Type: application/json), got "
                           f"'{ctype or 'none'}'.")


async def require_admin(request: Request) -> None:
    """Bearer key from Settings.admin_api_key; without a key the admin API does not exist."""
    key = request.app.state.settings.admin_api_key
    if not key:
        raise ServiceError(404, "admin_disabled",
                           "Chức năng quản trị đang tắt: máy chủ chưa được cấu hình khóa quản trị "
                           "(biến môi trường CDS_ADMIN_API_KEY).",
                           "The admin API is disabled: set CDS_ADMIN_API_KEY on the server to enable it.")
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ServiceError(401, "unauthorized",
                           "Cần khóa quản trị: gửi kèm tiêu đề 'Authorization: Bearer <khóa>'.",
                           "Admin key required: send 'Authorization: Bearer <key>'.",
                           headers={"WWW-Authenticate": "Bearer"})
    if not hmac.compare_digest(token.strip().encode("utf-8", "surrogateescape"), key.encode("utf-8")):
        log.warning("event=admin_key_rejected client=%s", request.client.host if request.client else "-")
        raise ServiceError(403, "forbidden", "Khóa quản trị không đúng.", "The admin key is wrong.")


EngineDep = Annotated[Any, Depends(get_engine)]
LiveDep = Annotated[tuple[Any, Any], Depends(get_live)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
