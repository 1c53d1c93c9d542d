from __future__ import annotations

import re
import secrets
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from ..deps import EngineDep, check_plan
from ..errors import ServiceError
from ..viewer_template import render

router = APIRouter(tags=["kế hoạch"])

_LINES = re.compile(r"^\s*(\d{1,7})\s*(?:[-–:]\s*(\d{1,7}))?\s*$")


def parse_lines(spec: str | None, total: int) -> tuple[int | None, int | None]:
    if spec is None or not spec.strip():
        return None, None
    m = _LINES.match(spec)
    if not m:
        raise ServiceError(422, "invalid_lines",
                           f"Tham số 'lines' không hợp lệ: cần dạng '120-135' hoặc '120' (nhận được '{spec[:40]}').",
                           f"Invalid 'lines': expected '120-135' or '120' (got '{spec[:40]}').")
    start = int(m.group(1))
    end = int(m.group(2) or start)
    start, end = min(start, end), max(start, end)
    if start < 1 or start > total:
        raise ServiceError(422, "lines_out_of_range",
                           f"Dòng {start} nằm ngoài văn bản: kế hoạch này có {total} dòng.",
                           f"Line {start} is outside the text: this plan has {total} lines.")
    return start, min(end, total)


@router.get("/plans/{plan_id}/view", response_class=HTMLResponse,
            summary="Xem văn bản gốc, tô sáng các dòng được trích dẫn")
def view_plan(plan_id: str, engine: EngineDep,
              lines: Annotated[str | None, Query(description="Các dòng cần tô sáng, ví dụ 120-135",
                                                 examples=["120-135"])] = None) -> HTMLResponse:
    check_plan(engine, plan_id)
    # The file as stored is what a reader checks the quote against; line numbers are the same.
    text_lines = engine.raw_lines(plan_id) if hasattr(engine, "raw_lines") else engine.lines(plan_id)
    start, end = parse_lines(lines, len(text_lines))
    nonce = secrets.token_urlsafe(16)
    page = render(engine.plans[plan_id].to_dict(), text_lines, start, end, nonce)
    return HTMLResponse(page, headers={
        "Content-Security-Policy": (f"default-src 'none'; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; "
                                    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'"),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    })
