"""Plan management: upload, delete, rebuild.  Every change to the corpus is followed by a
background rebuild; /ask keeps answering from the old engine until the new one is loaded."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool

from ..deps import SettingsDep, require_admin
from ..errors import ServiceError
from ..schemas import RebuildOut, UploadOut, clean_text
from ..uploads import check_size, extension_of, extract_text, plan_id_from

log = logging.getLogger("retrieval.service")
router = APIRouter(prefix="/admin", tags=["quản trị"], dependencies=[Depends(require_admin)],
                   responses={401: {"description": "Thiếu khóa quản trị"}, 403: {"description": "Sai khóa"},
                              404: {"description": "Chức năng quản trị đang tắt"}})


def _required(value: str, field: str, label_vi: str) -> str:
    value = clean_text(value)
    if not value:
        raise ServiceError(422, "invalid_metadata", f"Thiếu {label_vi} ('{field}').",
                           f"Missing metadata field '{field}'.")
    return value


@router.post("/plans", status_code=202, response_model=UploadOut, summary="Tải lên một kế hoạch (.txt, .pdf, .docx)")
async def upload_plan(
    request: Request,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="Văn bản kế hoạch: .txt (UTF-8), .pdf có lớp chữ, hoặc .docx")],
    title: Annotated[str, Form(description="Tên kế hoạch",
                               examples=["Kế hoạch Chuyển đổi số tỉnh Hòa Bình năm 2024"])],
    province: Annotated[str, Form(description="Tỉnh", examples=["Hòa Bình"])],
    period: Annotated[str, Form(description="Giai đoạn", examples=["2024"])],
    year: Annotated[int, Form(description="Năm ban hành", ge=1990, le=2100, examples=[2024])],
    number: Annotated[str | None, Form(description="Số hiệu văn bản", examples=["125/KH-UBND"])] = None,
    signer: Annotated[str | None, Form(description="Người ký")] = None,
    ocr: Annotated[bool, Form(description="Văn bản là kết quả nhận dạng chữ (OCR)")] = False,
    plan_id: Annotated[str | None, Form(description="Mã kế hoạch; mặc định lấy từ tên tệp")] = None,
) -> dict:
    filename = file.filename or ""
    extension_of(filename)                     # reject a wrong type before reading the body
    data = await file.read(settings.max_upload_bytes + 1)
    check_size(len(data), settings.max_upload_bytes)
    pid = plan_id_from(plan_id or filename)
    meta = {
        "title": _required(title, "title", "tên kế hoạch"),
        "province": _required(province, "province", "tên tỉnh"),
        "period": _required(period, "period", "giai đoạn"),
        "year": year,
        "number": clean_text(number) or None if number else None,
        "signer": clean_text(signer) or None if signer else None,
        "ocr": ocr,
    }
    text = await run_in_threadpool(extract_text, filename, data)
    await run_in_threadpool(request.app.state.catalog.add, pid, meta, text)
    log.info("event=upload plan=%s type=%s bytes=%d", pid, filename.rsplit(".", 1)[-1].lower(), len(data))
    rebuild = request.app.state.index.trigger(reason=f"upload {pid}")
    return {"plan": {"id": pid, **meta, "path": f"{pid}.txt"}, "file": f"{pid}.txt",
            "chars": len(text), "lines": text.count("\n"), "rebuild": rebuild}


@router.delete("/plans/{plan_id}", status_code=202, summary="Xóa một kế hoạch")
def delete_plan(plan_id: str, request: Request) -> dict:
    request.app.state.catalog.remove(plan_id)
    rebuild = request.app.state.index.trigger(reason=f"delete {plan_id}")
    return {"deleted": plan_id, "rebuild": rebuild}


@router.post("/rebuild", status_code=202, response_model=RebuildOut, summary="Xây lại chỉ mục (chạy nền)")
def rebuild(request: Request, force: bool = False) -> dict:
    return request.app.state.index.trigger(reason="manual", force=force)


@router.get("/rebuild", response_model=RebuildOut, summary="Trạng thái xây lại chỉ mục")
def rebuild_status(request: Request) -> dict:
    return request.app.state.index.status()
