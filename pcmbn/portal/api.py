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
    return _json({"receipt": receipt.to_json(), "check": checked.public_item()}, 201)


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
