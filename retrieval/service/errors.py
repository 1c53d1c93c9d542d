"""Bilingual JSON errors: every 4xx/5xx body is {"error": {"code", "message_vi", "message_en"}}.

Routes and dependencies raise `ServiceError`; FastAPI's own validation errors and Starlette's
404/405 are translated here so a client never sees a bare traceback or a 500 for bad input.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("retrieval.service")


class ServiceError(Exception):
    """An error a client can act on.  `message_vi` is what a person reads."""

    def __init__(self, status: int, code: str, message_vi: str, message_en: str,
                 headers: dict[str, str] | None = None, details: list | None = None) -> None:
        super().__init__(message_en)
        self.status = status
        self.code = code
        self.message_vi = message_vi
        self.message_en = message_en
        self.headers = headers
        self.details = details

    def body(self) -> dict:
        err = {"code": self.code, "message_vi": self.message_vi, "message_en": self.message_en}
        if self.details:
            err["details"] = self.details
        return {"error": err}


def error_response(exc: ServiceError) -> JSONResponse:
    return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)


def unknown_plan(plan: str, known: Sequence[str], status: int = 404) -> ServiceError:
    listing = ", ".join(sorted(known)) or "(chưa có)"
    return ServiceError(
        status, "unknown_plan",
        f"Không tìm thấy kế hoạch '{plan}'. Các kế hoạch hiện có: {listing}.",
        f"Unknown plan '{plan}'. Known plans: {', '.join(sorted(known)) or '(none)'}.",
    )


# Messages for errors raised inside the pydantic schemas (PydanticCustomError types) and the
# pydantic built-in types a client is likely to trigger.  Anything else falls back to a
# generic "invalid field" message naming the field.
_FIELD_MESSAGES: dict[str, tuple[str, str]] = {
    "empty_question": ("Câu hỏi không được để trống.", "The question must not be empty."),
    "empty_query": ("Nội dung tìm kiếm không được để trống.", "The search query must not be empty."),
    "missing": ("Thiếu trường bắt buộc '{field}'.", "Missing required field '{field}'."),
    "string_type": ("Trường '{field}' phải là chuỗi ký tự.", "Field '{field}' must be a string."),
    "list_type": ("Trường '{field}' phải là danh sách.", "Field '{field}' must be a list."),
    "int_parsing": ("Trường '{field}' phải là số nguyên.", "Field '{field}' must be an integer."),
    "int_type": ("Trường '{field}' phải là số nguyên.", "Field '{field}' must be an integer."),
    "greater_than_equal": ("Trường '{field}' quá nhỏ.", "Field '{field}' is too small."),
    "less_than_equal": ("Trường '{field}' quá lớn.", "Field '{field}' is too large."),
    "extra_forbidden": ("Trường '{field}' không được hỗ trợ.", "Field '{field}' is not supported."),
    "model_attributes_type": ("Nội dung yêu cầu phải là một đối tượng JSON.",
                              "The request body must be a JSON object."),
    "dict_type": ("Nội dung yêu cầu phải là một đối tượng JSON.", "The request body must be a JSON object."),
}


def _field_name(loc: Sequence) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def _translate_validation(exc: RequestValidationError) -> ServiceError:
    errors = exc.errors()
    first = errors[0] if errors else {"type": "invalid", "loc": ()}
    kind = first.get("type", "invalid")
    field = _field_name(first.get("loc", ()))
    details = [{"field": _field_name(e.get("loc", ())), "type": e.get("type")} for e in errors]
    if kind == "json_invalid":
        return ServiceError(400, "malformed_json",
                            "Nội dung yêu cầu không phải JSON hợp lệ.",
                            "The request body is not valid JSON.", details=details)
    vi, en = _FIELD_MESSAGES.get(kind, ("Giá trị của trường '{field}' không hợp lệ.",
                                        "Invalid value for field '{field}'."))
    code = kind if kind in ("empty_question", "empty_query") else "invalid_request"
    return ServiceError(422, code, vi.format(field=field), en.format(field=field), details=details)


_STATUS_MESSAGES: dict[int, tuple[str, str, str]] = {
    400: ("bad_request", "Yêu cầu không hợp lệ.", "Bad request."),
    404: ("not_found", "Không tìm thấy địa chỉ được yêu cầu.", "The requested URL was not found."),
    405: ("method_not_allowed", "Phương thức HTTP không được hỗ trợ cho địa chỉ này.",
          "This HTTP method is not allowed here."),
    413: ("payload_too_large", "Nội dung gửi lên quá lớn.", "The request body is too large."),
    415: ("unsupported_media_type", "Kiểu nội dung không được hỗ trợ.", "Unsupported content type."),
}


def install(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service_error(request: Request, exc: ServiceError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(_translate_validation(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, vi, en = _STATUS_MESSAGES.get(
            exc.status_code, ("http_error", "Yêu cầu không thể xử lý.", str(exc.detail)))
        if exc.status_code == 400 and exc.detail:
            # FastAPI raises 400 "There was an error parsing the body" for undecodable bytes.
            code, vi, en = ("malformed_body", "Không đọc được nội dung yêu cầu (JSON hoặc mã UTF-8 hỏng).",
                            f"Could not parse the request body: {exc.detail}")
        return error_response(ServiceError(exc.status_code, code, vi, en, headers=exc.headers))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("event=unhandled_error path=%s", request.url.path)
        return error_response(ServiceError(
            500, "internal_error",
            "Đã có lỗi ngoài dự kiến ở máy chủ. Vui lòng thử lại sau.",
            "Unexpected server error. Please try again later."))
