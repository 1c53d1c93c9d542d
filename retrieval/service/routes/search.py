from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends

from ..deps import EngineDep, SettingsDep, check_plan, require_json
from ..ratelimit import rate_limited
from ..schemas import SearchOut, SearchRequest, hit_out

router = APIRouter(tags=["tìm kiếm"])

_EXAMPLES = {
    "hoa_don": {"summary": "Trong một kế hoạch",
                "value": {"query": "hóa đơn điện tử", "plan": "phu-tho-2022", "k": 5}},
    "tat_ca": {"summary": "Trong mọi kế hoạch",
               "value": {"query": "nền tảng du lịch số", "plan": None, "k": 3}},
}


@router.post("/search", response_model=SearchOut, summary="Tìm đoạn văn bản liên quan",
             dependencies=[Depends(require_json), Depends(rate_limited)])
def search(req: Annotated[SearchRequest, Body(openapi_examples=_EXAMPLES)],
           engine: EngineDep, settings: SettingsDep) -> dict:
    req.enforce(settings)
    check_plan(engine, req.plan, status=422)
    hits = engine.search(req.query, plan=req.plan, k=req.k)
    return {"query": req.query, "plan": req.plan, "hits": [hit_out(h, settings.base_url) for h in hits]}
