from __future__ import annotations

from fastapi import APIRouter

from ..deps import EngineDep, SettingsDep, check_plan
from ..schemas import PlanDetailOut, PlansOut

router = APIRouter(tags=["kế hoạch"])


@router.get("/plans", response_model=PlansOut, summary="Danh sách kế hoạch")
def list_plans(engine: EngineDep) -> dict:
    plans = [p.to_dict() for p in engine.plans.values()]
    return {"count": len(plans), "plans": plans}


@router.get("/plans/{plan_id}", response_model=PlanDetailOut,
            summary="Thông tin một kế hoạch và các nhiệm vụ được giao")
def get_plan(plan_id: str, engine: EngineDep, settings: SettingsDep) -> dict:
    check_plan(engine, plan_id)
    return {
        "plan": engine.plans[plan_id].to_dict(),
        "lines": len(engine.lines(plan_id)),
        "view_url": f"{settings.base_url}/plans/{plan_id}/view",
        "records": [r.to_dict() for r in engine.records(plan_id)],
    }
