from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ..schemas import HealthOut, ReadyOut

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthOut, summary="Tiến trình đang chạy")
def healthz() -> dict:
    return {"status": "ok"}


@router.get("/readyz", response_model=ReadyOut, summary="Chỉ mục đã nạp, kèm manifest",
            responses={503: {"model": ReadyOut, "description": "Đang nạp hoặc nạp lỗi"}})
def readyz(request: Request):
    manager = request.app.state.index
    engine = manager.engine
    rebuild = manager.status()
    if engine is None:
        status = "failed" if manager.load_error and not manager.loading else "loading"
        body = ReadyOut(status=status, error=manager.load_error, rebuild=rebuild)
        return JSONResponse(body.model_dump(), status_code=503)
    return ReadyOut(status="ready", plans=len(engine.plans), manifest=dict(engine.manifest or {}),
                    rebuild=rebuild)
