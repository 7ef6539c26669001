"""The service's web application: health, the officer's overview, the check endpoint.

One FastAPI app on one port (127.0.0.1 unless configured). Until the portal's accounts exist,
every route except `/health` needs the service's access key: the supervisor creates it at
start, keeps it in `PCMBN_HOME/service.json` (readable by the office account only) and prints a
sign-in link; the browser keeps it in an HttpOnly, SameSite=Strict cookie, the CLI sends it as a
bearer token. Pages are Vietnamese; numbers and dates in the office's formats.
"""

import hmac
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from pcmbn.errors import PcmbnError
from pcmbn.resources import Resources
from pcmbn.serve.validator import WarmValidator

log = logging.getLogger(__name__)

COOKIE = "pcmbn_key"
#: Largest workbook the check endpoint accepts (the reader's guard refuses far smaller ones).
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
TEMPLATES = Path(__file__).with_name("templates")


@dataclass
class AppContext:
    """What the routes need, injected by the supervisor (tests build their own)."""

    resources: Resources
    validator: WarmValidator
    access_key: str
    health: Callable[[], dict[str, Any]]
    feedback_dir: Path | None = None
    executor: Any = None  # pcmbn.serve.executor.WarmExecutor (None: runs are not offered)
    extra: dict[str, Any] = field(default_factory=dict)


def _authorised(context: AppContext, request: Request) -> bool:
    """The service's access key (bearer or cookie), or a signed-in officer of the portal."""
    header = request.headers.get("authorization", "")
    offered = header[7:] if header.lower().startswith("bearer ") else request.cookies.get(COOKIE)
    if offered and hmac.compare_digest(str(offered), context.access_key):
        return True
    from pcmbn.portal.auth import PortalRefusal, authenticate_request

    try:
        auth = authenticate_request(request)
    except PortalRefusal:
        return False
    return (
        auth is not None and auth.principal.is_officer and not auth.principal.must_change_password
    )


def overview_rows(resources: Resources, today: Any) -> list[dict[str, Any]]:
    """Per plan, the periods that were run up to today, with their completeness counts."""
    from pcmbn.periods import last_closed_month, months_between
    from pcmbn.service import period_status

    catalog = resources.catalog
    labels = catalog.labels
    rows: list[dict[str, Any]] = []
    for plan_id in sorted(catalog.plans):
        plan = catalog.plans[plan_id]
        closed = last_closed_month(today, plan.reporting.cutoff)
        end = min(plan.span.end.last_month, closed, key=lambda p: p.ordinal)
        periods = []
        if plan.span.start.first_month.ordinal <= end.ordinal:
            for period in months_between(plan.span.start.first_month, end):
                status = period_status(resources, plan, period)
                if not status.ever_run:
                    continue
                counts = status.counts()
                periods.append(
                    {
                        "code": period.code,
                        "label": period.label_vi,
                        "expected": len(status.table),
                        "counts": [(labels.completeness[k], counts.get(k, 0)) for k in counts],
                        "approved": status.approved,
                    }
                )
        rows.append({"id": plan.id, "title": plan.title, "periods": periods})
    return rows


def _include_portal(app: FastAPI) -> None:
    """The portal (issue 14): accounts and sign-in, the units' pages and API, its limits."""
    from pcmbn.portal import api, auth, auth_routes, desk_api, desk_pages, limits, unit_pages

    auth.install(app)
    limits.install(app)
    app.include_router(auth_routes.router)
    app.include_router(unit_pages.router)
    app.include_router(api.router)
    app.include_router(desk_pages.router)  # the officer's desk (pcmbn.submissions slice)
    app.include_router(desk_api.router)


#: Worker threads for blocking work (checks waiting for their batch, store calls): enough for
#: every unit of a large province at once (anyio's default of 40 queued the rest of 50 uploads).
WORKER_THREADS = 200


def _lifespan(context: AppContext) -> Callable[[FastAPI], Any]:
    """Start: size the worker threads. Stop: give the store back (the DuckDB lease) at once."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        import anyio.to_thread

        limiter = anyio.to_thread.current_default_thread_limiter()
        limiter.total_tokens = max(limiter.total_tokens, WORKER_THREADS)
        try:
            yield
        finally:
            close = getattr(context.resources.store, "close", None)
            if close is not None:
                close()

    return lifespan


def create_app(context: AppContext) -> FastAPI:
    """The FastAPI application over `context`."""
    from pcmbn.clock import today_in_vietnam
    from pcmbn.office.jsonio import dumps_strict

    app = FastAPI(
        title="PCMBN", docs_url=None, redoc_url=None, openapi_url=None, lifespan=_lifespan(context)
    )
    templates = Jinja2Templates(directory=str(TEMPLATES))
    app.state.context = context
    app.state.templates = templates
    _include_portal(app)

    def refuse(request: Request) -> Response:
        if request.headers.get("accept", "").startswith("text/html"):
            return HTMLResponse(templates.get_template("signin.html").render(), status_code=401)
        return JSONResponse(
            {"error": "Cần khóa truy cập của dịch vụ (xem PCMBN_HOME/service.json)."},
            status_code=401,
        )

    @app.get("/health")
    def health() -> Response:
        report = context.health()
        return Response(
            dumps_strict(report),
            status_code=200 if report.get("status") == "ok" else 503,
            media_type="application/json",
        )

    @app.get("/login")
    def login(key: str = "") -> Response:
        if not key or not hmac.compare_digest(key, context.access_key):
            return HTMLResponse(templates.get_template("signin.html").render(), status_code=401)
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(COOKIE, key, httponly=True, samesite="strict", path="/")
        return response

    @app.get("/", response_class=HTMLResponse)
    def overview(request: Request) -> Response:
        if not _authorised(context, request):
            return refuse(request)
        rows = overview_rows(context.resources, today_in_vietnam())
        html = templates.get_template("overview.html").render(plans=rows, health=context.health())
        return HTMLResponse(html)

    @app.post("/api/check")
    async def check(
        request: Request, name: str = "bao-cao.xlsx", feedback: bool = True
    ) -> Response:
        if not _authorised(context, request):
            return refuse(request)
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES:
            return JSONResponse({"error": "Tệp quá lớn để kiểm tra."}, status_code=413)
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_UPLOAD_BYTES:
                return JSONResponse({"error": "Tệp quá lớn để kiểm tra."}, status_code=413)
        if not context.validator.state.ready:
            return JSONResponse({"error": "Dịch vụ đang khởi động, hãy thử lại sau ít giây."}, 503)
        from starlette.concurrency import run_in_threadpool

        document = await run_in_threadpool(
            context.validator.check_bytes,
            [(name, bytes(body))],
            context.feedback_dir if feedback else None,
        )
        return Response(dumps_strict(document), media_type="application/json")

    @app.post("/api/runs")
    async def start_run(request: Request) -> Response:
        """Start a flow run in the warm process: {"flow": ..., "parameters": {...}}."""
        if not _authorised(context, request):
            return refuse(request)
        executor = context.executor
        if executor is None or not executor.ready:
            return JSONResponse({"error": "Dịch vụ đang khởi động, hãy thử lại sau ít giây."}, 503)
        try:
            body = await request.json()
            flow, parameters = str(body["flow"]), dict(body.get("parameters") or {})
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"error": "Yêu cầu không hợp lệ."}, status_code=400)
        from starlette.concurrency import run_in_threadpool

        try:
            actor = body.get("actor")
            job = await run_in_threadpool(
                executor.submit,
                flow,
                parameters,
                body.get("name"),
                str(actor) if isinstance(actor, str) and actor.strip() else None,
            )
        except PcmbnError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return Response(
            dumps_strict(job.to_json(), default=str), 202, media_type="application/json"
        )

    @app.get("/api/runs/{run_id}")
    def run_state(
        request: Request, run_id: str, since: int | None = None, wait: float = 0.0
    ) -> Response:
        """The job; with `since` (a version seen) it answers once the job moves past it or
        finishes, waiting up to `wait` seconds (at most 30): the CLI's long poll."""
        if not _authorised(context, request):
            return refuse(request)
        executor = context.executor
        job = executor.wait(run_id, since, min(wait, 30.0)) if executor is not None else None
        if job is None:
            return JSONResponse({"error": "Không có lượt chạy này."}, status_code=404)
        return Response(dumps_strict(job.to_json(), default=str), media_type="application/json")

    return app
