"""The unit's pages (`/don-vi/…`), server-rendered, working without JavaScript.

Home: the current period with its due date and the unit's status, the upload form, the
template, the latest submissions. Upload → result (every problem with sheet, cell, indicator
and message, grouped by sheet, errors first; the annotated copy) → "Gửi báo cáo" → receipt
(số biên nhận, time, sha256; downloadable). History lists the unit's own submissions with their
statuses and the office's reasons for returns. Every POST form carries the CSRF token.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from pcmbn.portal import uploads
from pcmbn.portal.auth import PortalRefusal, Principal, UnitPrincipal, app_context, verify_csrf
from pcmbn.portal.current import current_period, due_of

router = APIRouter()

FILE_WIDE = "Toàn tệp"


def _download(path: Path, name: str, media_type: str | None = None) -> Response:
    return FileResponse(
        path,
        media_type=media_type,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )


def _unit_name(request: Request, principal: Principal) -> str:
    resources = app_context(request).resources
    plan = resources.catalog.plan(str(principal.plan_id))
    unit = resources.catalog.registry(plan).get(str(principal.unit_code))
    return unit.name if unit is not None else str(principal.unit_code)


def _render(
    request: Request, name: str, principal: Principal, status: int = 200, **values: Any
) -> Response:
    templates = request.app.state.templates
    values.setdefault("unit_name", _unit_name(request, principal))
    return templates.TemplateResponse(
        request, name, {"principal": principal, **values}, status_code=status
    )


def problem_groups(resources: Any, problems: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Problems grouped by sheet (file-wide ones first), errors before warnings in each, each
    with the label of its indicator where it has one."""
    indicators = resources.catalog.indicators
    labels = resources.catalog.labels.severity
    groups: dict[str, list[dict[str, Any]]] = {}
    for problem in problems:
        shown = dict(problem)
        code = problem.get("indicator")
        indicator = indicators.get(code) if code else None
        shown["indicator_label"] = f"{code} — {indicator.name}" if indicator else ""
        shown["severity_label"] = labels.get(problem["severity"], problem["severity"])
        groups.setdefault(problem.get("sheet") or FILE_WIDE, []).append(shown)
    ordered = sorted(groups, key=lambda sheet: sheet != FILE_WIDE)  # stable: file order
    return [
        {"sheet": sheet, "problems": sorted(groups[sheet], key=lambda p: p["severity"] != "error")}
        for sheet in ordered
    ]


def _home_values(request: Request, principal: Principal) -> dict[str, Any]:
    from pcmbn import submissions
    from pcmbn.clock import today_in_vietnam
    from pcmbn.periods import format_date_vi

    resources = app_context(request).resources
    plan = resources.catalog.plan(str(principal.plan_id))
    period = current_period(plan, today_in_vietnam())
    status = None
    for row in submissions.desk_matrix(resources, plan, period):
        if row.unit_code == principal.unit_code:
            status = row
    receipts = submissions.receipts_for_unit(resources, plan.id, str(principal.unit_code))
    return {
        "plan": plan,
        "period": period,
        "due": format_date_vi(due_of(plan, period)),
        "unit_status": status,
        "receipts": receipts[:5],
        "words": uploads.portal_words(resources.settings.schemas),
    }


@router.get("/don-vi")
def unit_home(request: Request, principal: UnitPrincipal) -> Response:
    values = _home_values(request, principal)
    changed = "da-doi-mat-khau" in request.query_params
    return _render(request, "portal/unit_home.html", principal, changed=changed, **values)


@router.post("/don-vi/tai-len", dependencies=[Depends(verify_csrf)])
async def upload(request: Request, principal: UnitPrincipal) -> Response:
    form = await request.form()
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        raise PortalRefusal(422, "Hãy chọn tệp báo cáo để tải lên.", error="chua_chon_tep")
    content = await file.read()
    checked = await uploads.check_upload(request, principal, file.filename, content)
    return RedirectResponse(f"/don-vi/ket-qua/{checked.sha256}", status_code=303)


def _own_check(request: Request, principal: Principal, sha256: str) -> uploads.Checked:
    settings = app_context(request).resources.settings
    checked = uploads.load_checked(settings, str(principal.unit_code), sha256)
    if checked is None:
        raise PortalRefusal(404, "Không có kết quả kiểm tra này.", error="khong_tim_thay")
    return checked


@router.get("/don-vi/ket-qua/{sha256}")
def result(request: Request, principal: UnitPrincipal, sha256: str) -> Response:
    checked = _own_check(request, principal, sha256)
    resources = app_context(request).resources
    blockers = [
        m
        for m in (
            uploads.mismatch_message(resources, checked, str(principal.unit_code)),
            uploads.plan_message(checked, principal),
        )
        if m
    ]
    return _render(
        request,
        "portal/result.html",
        principal,
        checked=checked,
        groups=problem_groups(resources, checked.item["problems"]),
        blockers=blockers,
        awaiting=uploads.load_awaiting(checked.folder),
        words=uploads.portal_words(resources.settings.schemas),
    )


@router.get("/don-vi/ket-qua/{sha256}/tep-kiem-tra")
def feedback(request: Request, principal: UnitPrincipal, sha256: str) -> Response:
    checked = _own_check(request, principal, sha256)
    path = checked.feedback
    if path is None:
        raise PortalRefusal(404, "Tệp không có lỗi hay cảnh báo nào để đánh dấu.")
    return _download(path, path.name)


@router.post("/don-vi/gui", dependencies=[Depends(verify_csrf)])
async def send(request: Request, principal: UnitPrincipal) -> Response:
    form = await request.form()
    sha256 = str(form.get("sha256") or "")
    explanation = str(form.get("explanation") or "")
    checked = await run_in_threadpool(_own_check, request, principal, sha256)
    receipt = await run_in_threadpool(uploads.submit, request, principal, checked, explanation)
    if isinstance(receipt, uploads.Awaiting):  # the plan wants the unit leader's approval
        return RedirectResponse("/don-vi/cho-duyet", status_code=303)
    return RedirectResponse(f"/don-vi/bien-nhan/{quote(receipt.id)}", status_code=303)


@router.get("/don-vi/cho-duyet")
def awaiting_page(request: Request, principal: UnitPrincipal) -> Response:
    from pcmbn.office.times import datetime_label

    settings = app_context(request).resources.settings
    waiting = uploads.awaiting_for_unit(settings, str(principal.unit_code))
    rows = [(item, datetime_label(item.at)) for item in waiting]
    return _render(request, "portal/awaiting.html", principal, rows=rows)


@router.post("/don-vi/cho-duyet/{sha256}/duyet", dependencies=[Depends(verify_csrf)])
async def approve_awaiting(request: Request, principal: UnitPrincipal, sha256: str) -> Response:
    receipt = await run_in_threadpool(uploads.leader_decides, request, principal, sha256, True)
    return RedirectResponse(f"/don-vi/bien-nhan/{quote(receipt.id)}", status_code=303)


@router.post("/don-vi/cho-duyet/{sha256}/tra-lai", dependencies=[Depends(verify_csrf)])
async def return_awaiting(request: Request, principal: UnitPrincipal, sha256: str) -> Response:
    form = await request.form()
    reason = str(form.get("reason") or "")
    await run_in_threadpool(uploads.leader_decides, request, principal, sha256, False, reason)
    return RedirectResponse("/don-vi/cho-duyet", status_code=303)


@router.get("/don-vi/bien-nhan/{receipt_id}")
def receipt_page(request: Request, principal: UnitPrincipal, receipt_id: str) -> Response:
    from pcmbn.office.times import datetime_label

    receipt = uploads.own_receipt(request, principal, receipt_id)
    words = uploads.portal_words(app_context(request).resources.settings.schemas)
    return _render(
        request,
        "portal/receipt.html",
        principal,
        receipt=receipt,
        received=datetime_label(receipt.received_at),
        words=words,
    )


@router.get("/don-vi/bien-nhan/{receipt_id}/tai-ve")
def receipt_download(request: Request, principal: UnitPrincipal, receipt_id: str) -> Response:
    receipt = uploads.own_receipt(request, principal, receipt_id)
    text = uploads.receipt_text(receipt, _unit_name(request, principal))
    return Response(
        text.encode("utf-8-sig"),
        media_type="text/plain; charset=utf-8",
        headers={"Content-Disposition": f"attachment; filename=BienNhan_{receipt.id}.txt"},
    )


@router.get("/don-vi/lich-su")
def history(request: Request, principal: UnitPrincipal) -> Response:
    from pcmbn import submissions
    from pcmbn.office.times import datetime_label

    resources = app_context(request).resources
    receipts = submissions.receipts_for_unit(
        resources, str(principal.plan_id), str(principal.unit_code)
    )
    return _render(
        request,
        "portal/history.html",
        principal,
        receipts=receipts,
        when=datetime_label,
        words=uploads.portal_words(resources.settings.schemas),
    )


@router.get("/don-vi/bieu-mau")
def template(request: Request, principal: UnitPrincipal, ky: str | None = None) -> Response:
    """The unit's template for the current period (or `?ky=2024-08`)."""
    from pcmbn.clock import today_in_vietnam
    from pcmbn.periods import Period
    from pcmbn.template_writer import build_workbook, save_workbook, template_file_name

    resources = app_context(request).resources
    catalog = resources.catalog
    plan = catalog.plan(str(principal.plan_id))
    try:
        period = Period.from_code(ky) if ky else current_period(plan, today_in_vietnam())
    except ValueError:
        raise PortalRefusal(400, f"Kỳ «{ky}» không hợp lệ (ví dụ 2024-08).") from None
    unit = catalog.registry(plan).get(str(principal.unit_code))
    if unit is None:
        raise PortalRefusal(404, "Đơn vị không còn trong danh mục của kế hoạch.")
    name = template_file_name(plan, unit, period)
    folder = Path(tempfile.mkdtemp(prefix="pcmbn-template-"))
    path = save_workbook(build_workbook(catalog, plan, unit, period), folder / name)
    content = path.read_bytes()
    path.unlink()
    folder.rmdir()
    return Response(
        content,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )
