"""The unit side of the JSON API (`/api/v1/…`), beside the pages and through the same code.

`POST /api/v1/submissions` (multipart `file`, optional `explanation`): checked at once; an
accepted file is received → 201 `{"receipt": {...}, "check": <file object of pcmbn check>}`;
a refused one → 422 `{"error", "message", "check"}`. `GET /api/v1/submissions/{id}` (the
receipt) and `GET /api/v1/submissions/{id}/feedback` (the annotated workbook). A unit never
sees another unit's submission: 404, as for one that does not exist. Officers' endpoints
(`/api/v1/periods/…`, `…/return`) are the desk's (`pcmbn.submissions` slice).
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from pcmbn.office.jsonio import dumps_strict
from pcmbn.portal import uploads
from pcmbn.portal.auth import PortalRefusal, SignedIn, UnitPrincipal, app_context, verify_api_csrf

router = APIRouter()


def _json(body: object, status: int = 200) -> Response:
    return Response(dumps_strict(body, default=str), status, media_type="application/json")


@router.post("/api/v1/submissions", dependencies=[Depends(verify_api_csrf)])
async def post_submission(request: Request, principal: UnitPrincipal) -> Response:
    form = await request.form()
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        return JSONResponse({"error": "Cần trường file (multipart)."}, status_code=400)
    explanation = form.get("explanation")
    content = await file.read()
    checked = await uploads.check_upload(request, principal, file.filename, content)
    try:
        receipt = await run_in_threadpool(
            uploads.submit,
            request,
            principal,
            checked,
            explanation if isinstance(explanation, str) else "",
        )
    except PortalRefusal as refusal:
        body = {"error": refusal.error, "message": refusal.message, "check": checked.public_item()}
        return _json(body, refusal.status)
    if isinstance(receipt, uploads.Awaiting):  # the plan wants the unit leader's approval
        return _json({"awaiting": receipt.to_json(), "check": checked.public_item()}, 202)
    return _json({"receipt": receipt.to_json(), "check": checked.public_item()}, 201)


@router.get("/api/v1/awaiting")
def list_awaiting(request: Request, principal: UnitPrincipal) -> Response:
    """The unit's submissions waiting for its leader (plans with leader approval)."""
    settings = app_context(request).resources.settings
    waiting = uploads.awaiting_for_unit(settings, str(principal.unit_code))
    return _json({"awaiting": [item.to_json() for item in waiting]})


@router.post("/api/v1/awaiting/{sha256}/approve", dependencies=[Depends(verify_api_csrf)])
async def approve_awaiting(request: Request, principal: UnitPrincipal, sha256: str) -> Response:
    receipt = await run_in_threadpool(uploads.leader_decides, request, principal, sha256, True)
    return _json({"receipt": receipt.to_json()}, 201)


@router.post("/api/v1/awaiting/{sha256}/return", dependencies=[Depends(verify_api_csrf)])
async def return_awaiting(request: Request, principal: UnitPrincipal, sha256: str) -> Response:
    try:
        body = await request.json()
    except ValueError:
        body = None
    reason = str(body.get("reason") or "") if isinstance(body, dict) else ""
    waiting = await run_in_threadpool(
        uploads.leader_decides, request, principal, sha256, False, reason
    )
    return _json({"awaiting": waiting.to_json()})


@router.get("/api/v1/submissions/{receipt_id}")
def get_submission(request: Request, principal: SignedIn, receipt_id: str) -> Response:
    receipt = uploads.own_receipt(request, principal, receipt_id)
    return _json(receipt.to_json())


@router.get("/api/v1/submissions/{receipt_id}/feedback")
def get_feedback(request: Request, principal: SignedIn, receipt_id: str) -> Response:
    receipt = uploads.own_receipt(request, principal, receipt_id)
    settings = app_context(request).resources.settings
    checked = uploads.load_checked(settings, receipt.unit_code, receipt.sha256)
    path = checked.feedback if checked is not None else None
    if path is None:
        raise PortalRefusal(
            404,
            "Không có bản đánh dấu cho báo cáo này (không có lỗi hay cảnh báo nào).",
            error="khong_co_ban_danh_dau",
        )
    return FileResponse(
        path, headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(path.name)}"}
    )
