"""The officer's desk (`/van-phong/…`, issue 14.3): server-rendered, working without JavaScript.

Per plan and period: the matrix of units × status in colour (chưa gửi, đã gửi, bị từ chối, bị
trả lại, đúng hạn, muộn) with a filter by group; a unit's submission with its problems and the
annotated file; return to the unit with a reason; run the month now (the on-demand deployment,
in the warm executor, as `/api/runs` does); approve or reopen the period (`pcmbn.service`, the
CLI's own functions); the summary and packets to download; the files held by the mail intake,
to assign or discard. Every page is officers only; every form carries the CSRF token; every
action is an audit row written by the function it calls.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from pcmbn.errors import PcmbnError
from pcmbn.portal.auth import OfficerPrincipal, PortalRefusal, Principal, app_context, verify_csrf
from pcmbn.portal.desk_api import plan_and_period

router = APIRouter()

DESK = "/van-phong"
#: What the desk says after an action (the `tb` query of the page it returns to).
NOTICES = {
    "da-tra-lai": "Đã trả lại báo cáo cho đơn vị.",
    "dang-chay": "Đã bắt đầu lượt tổng hợp; bảng sẽ cập nhật khi lượt chạy xong.",
    "da-duyet": "Đã phê duyệt và khóa số liệu kỳ.",
    "da-mo-lai": "Đã mở lại kỳ. Hãy chạy lại tổng hợp.",
    "da-giao": "Đã giao tệp tạm giữ cho đơn vị.",
    "da-huy": "Đã hủy tệp tạm giữ.",
}


def _render(request: Request, name: str, principal: Principal, **values: Any) -> Response:
    from pcmbn.office.times import datetime_label

    templates = request.app.state.templates
    notice = NOTICES.get(request.query_params.get("tb", ""))
    return templates.TemplateResponse(
        request,
        name,
        {"principal": principal, "notice": notice, "when": datetime_label, **values},
    )


def _back(path: str, notice: str, **query: str) -> Response:
    return RedirectResponse(f"{path}?{urlencode({'tb': notice, **query})}", status_code=303)


def _download(path: Path) -> Response:
    return FileResponse(
        path, headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(path.name)}"}
    )


def _refuse(exc: PcmbnError, status: int = 409) -> PortalRefusal:
    return PortalRefusal(status, str(exc), error="khong_thuc_hien_duoc")


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


# --- the desk's home and a period's matrix ----------------------------------------------------


@router.get(DESK)
def desk_home(request: Request, principal: OfficerPrincipal) -> Response:
    """Every plan with its current period (and the two before), and the held files' count."""
    from pcmbn.clock import today_in_vietnam
    from pcmbn.portal.current import current_period
    from pcmbn.submissions import held_items

    resources = app_context(request).resources
    today = today_in_vietnam()
    plans = []
    for plan_id in sorted(resources.catalog.plans):
        plan = resources.catalog.plans[plan_id]
        current = current_period(plan, today)
        periods = [current]
        for _ in range(2):
            earlier = periods[-1].previous()
            if plan.covers(earlier):
                periods.append(earlier)
        plans.append({"plan": plan, "periods": [p for p in periods if plan.covers(p)]})
    held = held_items(resources)
    return _render(request, "desk/home.html", principal, plans=plans, held=held)


# --- one submission ---------------------------------------------------------------------------


def _view(request: Request, receipt_id: str) -> Any:
    from pcmbn.submissions import submission_view

    context = app_context(request)
    validator = context.validator
    view = submission_view(context.resources, receipt_id, check=validator.check_bytes)
    if view is None:
        raise PortalRefusal(404, "Không có biên nhận này.", error="khong_tim_thay")
    return view


@router.get(DESK + "/bien-nhan/{receipt_id}")
async def desk_submission(
    request: Request, principal: OfficerPrincipal, receipt_id: str
) -> Response:
    view = await run_in_threadpool(_view, request, receipt_id)
    catalog = app_context(request).resources.catalog
    labels = catalog.labels
    problems = [
        {**p, "severity_label": labels.severity.get(p["severity"], p["severity"])}  # type: ignore[call-overload]
        for p in view.problems
    ]
    decision = labels.submission.get(view.decision) if view.decision else None  # type: ignore[call-overload]
    return _render(
        request,
        "desk/submission.html",
        principal,
        view=view,
        receipt=view.receipt,
        problems=problems,
        decision=decision,
        status_label=labels.receipt_status.get(view.receipt.status, view.receipt.status),  # type: ignore[call-overload]
        channel_label=labels.channel.get(view.receipt.channel, view.receipt.channel),  # type: ignore[call-overload]
    )


@router.get(DESK + "/bien-nhan/{receipt_id}/ban-danh-dau")
async def desk_feedback(request: Request, principal: OfficerPrincipal, receipt_id: str) -> Response:
    view = await run_in_threadpool(_view, request, receipt_id)
    if view.feedback is None:
        raise PortalRefusal(
            404, "Báo cáo này không có lỗi hay cảnh báo nào để đánh dấu.", error="khong_co"
        )
    return _download(view.feedback)


@router.get(DESK + "/bien-nhan/{receipt_id}/tep-goc")
def desk_original(request: Request, principal: OfficerPrincipal, receipt_id: str) -> Response:
    import fsspec

    from pcmbn.submissions import get_receipt

    receipt = get_receipt(app_context(request).resources, receipt_id)
    if receipt is None:
        raise PortalRefusal(404, "Không có biên nhận này.", error="khong_tim_thay")
    with fsspec.open(receipt.archive_path, "rb") as handle:
        content = handle.read()
    return Response(
        content,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(receipt.original_name)}"
        },
    )


@router.post(DESK + "/bien-nhan/{receipt_id}/tra-lai", dependencies=[Depends(verify_csrf)])
async def desk_return(request: Request, principal: OfficerPrincipal, receipt_id: str) -> Response:
    from pcmbn.submissions import return_submission

    resources = app_context(request).resources
    reason = (await _form(request)).get("reason", "")
    try:
        receipt = await run_in_threadpool(
            lambda: return_submission(
                resources, receipt_id, reason=reason, actor=principal.username
            )
        )
    except PcmbnError as exc:
        raise _refuse(exc, 422) from None
    return _back(f"{DESK}/bien-nhan/{quote(receipt.id)}", "da-tra-lai")


# --- held files -------------------------------------------------------------------------------


@router.get(DESK + "/tam-giu")
def desk_held(request: Request, principal: OfficerPrincipal) -> Response:
    from pcmbn.submissions import held_items

    resources = app_context(request).resources
    labels = resources.catalog.labels
    return _render(
        request,
        "desk/held.html",
        principal,
        held=held_items(resources),
        reasons=labels.held_reason,
        plans=sorted(resources.catalog.plans),
    )


@router.post(DESK + "/tam-giu/{held_id}/giao", dependencies=[Depends(verify_csrf)])
async def desk_assign(request: Request, principal: OfficerPrincipal, held_id: str) -> Response:
    from pcmbn.submissions import assign_held

    resources = app_context(request).resources
    form = await _form(request)
    plan, period = plan_and_period(resources, form.get("plan", ""), form.get("period", ""))

    def act() -> Any:
        return assign_held(
            resources,
            held_id,
            unit_code=form.get("unit", "").strip().upper(),
            plan=plan,
            period=period,
            actor=principal.username,
        )

    try:
        await run_in_threadpool(act)
    except PcmbnError as exc:
        raise _refuse(exc, 422) from None
    return _back(f"{DESK}/tam-giu", "da-giao")


@router.post(DESK + "/tam-giu/{held_id}/huy", dependencies=[Depends(verify_csrf)])
async def desk_discard(request: Request, principal: OfficerPrincipal, held_id: str) -> Response:
    from pcmbn.submissions import discard_held

    resources = app_context(request).resources
    reason = (await _form(request)).get("reason", "")
    try:
        await run_in_threadpool(
            lambda: discard_held(resources, held_id, actor=principal.username, reason=reason)
        )
    except PcmbnError as exc:
        raise _refuse(exc, 422) from None
    return _back(f"{DESK}/tam-giu", "da-huy")


# --- a period (registered last: its path parameters would match the routes above) ------------


@router.get(DESK + "/{plan_id}/{period_code}")
def desk_period(
    request: Request,
    principal: OfficerPrincipal,
    plan_id: str,
    period_code: str,
    nhom: str | None = None,
) -> Response:
    from pcmbn.periods import format_date_vi
    from pcmbn.service import period_status
    from pcmbn.submissions import desk_counts, desk_matrix, period_downloads

    resources = app_context(request).resources
    plan, period = plan_and_period(resources, plan_id, period_code)
    group = nhom if nhom in resources.catalog.groups else None
    rows = desk_matrix(resources, plan, period, group=group)
    status = period_status(resources, plan, period)
    labels = resources.catalog.labels.desk_status
    return _render(
        request,
        "desk/period.html",
        principal,
        plan=plan,
        period=period,
        rows=rows,
        counts=[(labels[k], k, n) for k, n in desk_counts(rows).items()],  # type: ignore[index]
        groups=resources.catalog.groups,
        group=group,
        due=format_date_vi(status.due),
        approval=status.approval,
        downloads=sorted(period_downloads(resources, plan, period)),
        run_name=request.query_params.get("luot"),
    )


@router.get(DESK + "/{plan_id}/{period_code}/tai-ve/{name}")
def desk_download(
    request: Request, principal: OfficerPrincipal, plan_id: str, period_code: str, name: str
) -> Response:
    """The summary, the validation report or a packet, by its listed name only."""
    from pcmbn.submissions import period_downloads

    resources = app_context(request).resources
    plan, period = plan_and_period(resources, plan_id, period_code)
    found = period_downloads(resources, plan, period).get(name)
    if found is None:
        raise PortalRefusal(404, "Không có tệp này.", error="khong_tim_thay")
    return _download(found)


@router.post(DESK + "/{plan_id}/{period_code}/chay-tong-hop", dependencies=[Depends(verify_csrf)])
async def desk_run(
    request: Request, principal: OfficerPrincipal, plan_id: str, period_code: str
) -> Response:
    """Run the month now: a run of the monthly flow's on-demand deployment, by this officer."""
    context = app_context(request)
    plan, period = plan_and_period(context.resources, plan_id, period_code)
    executor = context.executor
    if executor is None or not getattr(executor, "ready", False):
        raise PortalRefusal(
            503,
            "Dịch vụ chạy luồng chưa sẵn sàng (đang khởi động); hãy thử lại sau ít giây.",
            error="chua_san_sang",
        )
    parameters = {"plan": plan.id, "period": period.code, "inbox": None, "units": None}
    try:
        job = await run_in_threadpool(
            executor.submit, "monthly-aggregation", parameters, None, principal.username
        )
    except PcmbnError as exc:
        raise _refuse(exc) from None
    return _back(f"{DESK}/{plan.id}/{period.code}", "dang-chay", luot=str(job.name))


@router.post(DESK + "/{plan_id}/{period_code}/phe-duyet", dependencies=[Depends(verify_csrf)])
async def desk_approve(
    request: Request, principal: OfficerPrincipal, plan_id: str, period_code: str
) -> Response:
    from pcmbn.service import approve
    from pcmbn.settings import acting_for

    resources = app_context(request).resources
    plan, period = plan_and_period(resources, plan_id, period_code)
    note = (await _form(request)).get("note", "").strip() or None

    def act() -> None:
        with acting_for(principal.username):
            approve(resources, plan, period, note)

    try:
        await run_in_threadpool(act)
    except PcmbnError as exc:
        raise _refuse(exc) from None
    return _back(f"{DESK}/{plan.id}/{period.code}", "da-duyet")


@router.post(DESK + "/{plan_id}/{period_code}/mo-lai", dependencies=[Depends(verify_csrf)])
async def desk_reopen(
    request: Request, principal: OfficerPrincipal, plan_id: str, period_code: str
) -> Response:
    from pcmbn.service import reopen
    from pcmbn.settings import acting_for

    resources = app_context(request).resources
    plan, period = plan_and_period(resources, plan_id, period_code)
    reason = (await _form(request)).get("reason", "")

    def act() -> None:
        with acting_for(principal.username):
            reopen(resources, plan, period, reason)

    try:
        await run_in_threadpool(act)
    except PcmbnError as exc:
        raise _refuse(exc, 422) from None
    return _back(f"{DESK}/{plan.id}/{period.code}", "da-mo-lai")
