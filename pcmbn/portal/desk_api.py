"""The officer's side of the JSON API (issue 14.4), beside the desk pages and through the same
functions (`pcmbn.submissions`): `GET /api/v1/periods/{plan}/{period}` (the completeness table
with the desk's status of each unit) and `POST /api/v1/submissions/{id}/return` (`{"reason"}`).
Officers only: a unit's token gets 403.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from pcmbn.errors import PcmbnError
from pcmbn.office.jsonio import dumps_strict
from pcmbn.portal.auth import OfficerPrincipal, PortalRefusal, app_context, verify_api_csrf

router = APIRouter()


def _json(body: object, status: int = 200) -> Response:
    return Response(dumps_strict(body, default=str), status, media_type="application/json")


def plan_and_period(resources: Any, plan_id: str, period_code: str) -> tuple[Any, Any]:
    """The plan and period named in a path; 404 with a Vietnamese line when unknown."""
    from pcmbn.periods import Period
    from pcmbn.service import check_period_in_plan

    try:
        plan = resources.catalog.plan(plan_id)
        period = Period.from_code(period_code)
        check_period_in_plan(plan, period)
    except (PcmbnError, ValueError) as exc:
        message = str(exc) if isinstance(exc, PcmbnError) else f"Kỳ «{period_code}» không hợp lệ."
        raise PortalRefusal(404, message, error="khong_tim_thay") from None
    return plan, period


@router.get("/api/v1/periods/{plan_id}/{period_code}")
def period_table(
    request: Request, principal: OfficerPrincipal, plan_id: str, period_code: str
) -> Response:
    from pcmbn.submissions import period_document

    resources = app_context(request).resources
    plan, period = plan_and_period(resources, plan_id, period_code)
    return _json(period_document(resources, plan, period))


@router.post("/api/v1/submissions/{receipt_id}/return", dependencies=[Depends(verify_api_csrf)])
async def return_one(request: Request, principal: OfficerPrincipal, receipt_id: str) -> Response:
    from pcmbn.submissions import SubmissionError, get_receipt, return_submission

    try:
        body = await request.json()
        reason = body.get("reason") if isinstance(body, dict) else None
    except ValueError:
        reason = None
    if not isinstance(reason, str) or not reason.strip():
        return _json({"error": "can_ly_do", "message": "Cần ghi lý do trả lại báo cáo."}, 422)
    resources = app_context(request).resources
    if await run_in_threadpool(get_receipt, resources, receipt_id) is None:
        return _json({"error": "khong_tim_thay", "message": "Không có biên nhận này."}, 404)
    try:
        receipt = await run_in_threadpool(
            lambda: return_submission(
                resources, receipt_id, reason=reason, actor=principal.username
            )
        )
    except SubmissionError as exc:
        return _json({"error": "khong_tra_lai_duoc", "message": str(exc)}, 409)
    return _json({"receipt": receipt.to_json()})
