"""Who is asking: sessions, the FastAPI dependencies every portal route uses, CSRF.

A request is authenticated by one of three things, checked in this order:
1. `Authorization: Bearer <token>` — a token from `POST /api/v1/login` (scripts, tests), or the
   service's access key (the CLI: `/api/check`, `/api/runs`), which acts as an officer;
2. the session cookie set by the sign-in page (`pcmbn_phien`, HttpOnly, SameSite=Strict);
3. the service's access-key cookie of `/login?key=…` (the officer's overview), as an officer.
Tokens are random and stored only as their sha256; a session unused for
`Settings.portal_idle_minutes` ends. Until a one-time password is changed every other call is
refused (`403 {"error": "doi_mat_khau"}`, pages redirect to the change form).

Forms carry a CSRF token (`csrf_field()` in templates, checked by `verify_csrf`): the session's
own secret, or, before sign-in, a double-submit cookie. Bearer calls are exempt (a browser never
sends that header by itself). Refusals are `PortalRefusal`s, answered as JSON under `/api/`
and as a page or a redirect elsewhere (`install` registers the handler).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import pass_context
from markupsafe import Markup, escape

from pcmbn.vocabulary import Role

log = logging.getLogger(__name__)

SESSION_COOKIE = "pcmbn_phien"
PRE_CSRF_COOKIE = "pcmbn_csrf"
KEY_COOKIE = "pcmbn_key"  # the service's access key (pcmbn.serve.webapp.COOKIE)
CSRF_FIELD = "csrf"
SIGN_IN_PATH = "/dang-nhap"
PASSWORD_PATH = "/doi-mat-khau"
#: Where a principal who must change the password may still go.
ALLOWED_BEFORE_CHANGE = frozenset({PASSWORD_PATH, "/api/v1/password", "/dang-xuat"})
#: A session's `last_seen` is written at most this often (every request would be a write).
TOUCH_EVERY = timedelta(seconds=30)
#: The username the access key acts under (the CLI's runs record their own actor).
SERVICE_ACTOR = "dich-vu"
UNIT_ROLES = frozenset({Role.UNIT_SPECIALIST, Role.UNIT_LEADER})
MUST_CHANGE = "doi_mat_khau"


@dataclass(frozen=True)
class Principal:
    username: str
    role: str  # Role
    unit_code: str | None  # None for officers
    plan_id: str | None  # the plan a unit account belongs to
    must_change_password: bool

    @property
    def is_officer(self) -> bool:
        return self.role == Role.OFFICER

    @property
    def is_unit(self) -> bool:
        return self.role in UNIT_ROLES


class PortalRefusal(Exception):
    """A request refused: `status`, the JSON body for the API, the page or redirect otherwise."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        error: str | None = None,
        redirect: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error = error or message
        self.redirect = redirect
        self.headers = headers or {}


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def refusal_response(request: Request, refusal: PortalRefusal) -> Response:
    """JSON under /api/, a redirect or a small Vietnamese page elsewhere."""
    if is_api(request):
        body: dict[str, Any] = {"error": refusal.error}
        if refusal.error != refusal.message:
            body["message"] = refusal.message
        return JSONResponse(body, status_code=refusal.status, headers=refusal.headers)
    if refusal.redirect:
        return RedirectResponse(refusal.redirect, status_code=303, headers=refusal.headers)
    templates = request.app.state.templates
    auth = getattr(request.state, "portal_auth", None)
    home = SIGN_IN_PATH
    if auth is not None:
        home = "/van-phong" if auth.principal.is_officer else "/don-vi"
    html = templates.get_template("portal/refused.html").render(
        request=request, message=refusal.message, status=refusal.status, home=home
    )
    return HTMLResponse(html, status_code=refusal.status, headers=refusal.headers)


def install(app: FastAPI) -> None:
    """Register the refusal handler and the `csrf_field()` template global on `app`."""

    async def handler(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PortalRefusal)
        return refusal_response(request, exc)

    app.add_exception_handler(PortalRefusal, handler)
    app.state.templates.env.globals["csrf_field"] = csrf_field_of


# --- the app's state --------------------------------------------------------------------------


def app_context(request: Request) -> Any:
    """The `pcmbn.serve.webapp.AppContext` of this app (set by `create_app`)."""
    return request.app.state.context


def now_of(request: Request) -> datetime:
    """The time of this request (tests may give the context a clock in `extra["clock"]`)."""
    clock = app_context(request).extra.get("clock")
    return clock() if clock is not None else datetime.now(UTC)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


#: Expired sessions ended per sign-in (bounded: a sign-in never waits for a long sweep).
SWEEP_LIMIT = 200


def open_session(request: Request, username: str) -> tuple[str, str]:
    """A new session for `username`: (token, csrf secret). The token is given out once.

    Sessions idle past `Settings.portal_idle_minutes` are ended here too, a bounded number per
    sign-in, so the table does not keep every token ever issued (a stale one is refused at
    its next use anyway)."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    at = now_of(request)
    resources = app_context(request).resources
    idle = timedelta(minutes=resources.settings.portal_idle_minutes)
    resources.store.sweep_sessions(at - idle, SWEEP_LIMIT)
    resources.store.create_session(
        {
            "token_hash": token_hash(token),
            "username": username,
            "csrf": csrf,
            "created_at": at,
            "last_seen": at,
        }
    )
    return token, csrf


def set_session_cookie(response: Response, token: str, *, secure: bool = False) -> None:
    """The session cookie; `secure` (`PCMBN_PORTAL_SECURE_COOKIES`, behind HTTPS) adds the
    Secure flag so the browser never sends it over plain HTTP."""
    response.set_cookie(
        SESSION_COOKIE, token, httponly=True, samesite="strict", path="/", secure=secure
    )


def secure_cookies(request: Request) -> bool:
    """Whether this portal's cookies carry the Secure flag (`Settings.portal_secure_cookies`)."""
    return app_context(request).resources.settings.portal_secure_cookies


# --- authentication ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Auth:
    principal: Principal
    via: str  # "bearer" | "cookie" | "key"
    csrf: str | None
    token_hash: str | None


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    return header[7:].strip() or None if header.lower().startswith("bearer ") else None


def _service_principal() -> Principal:
    return Principal(SERVICE_ACTOR, str(Role.OFFICER), None, None, False)


def _is_access_key(request: Request, offered: str) -> bool:
    key = app_context(request).access_key
    return bool(key) and hmac.compare_digest(offered.encode(), str(key).encode())


def _from_token(request: Request, token: str, via: str) -> _Auth | None:
    store = app_context(request).resources.store
    hashed = token_hash(token)
    session = store.portal_session(hashed)
    if session is None:
        return None
    now = now_of(request)
    idle = timedelta(minutes=app_context(request).resources.settings.portal_idle_minutes)
    if session["last_seen"] + idle < now:
        store.end_session(hashed)
        raise PortalRefusal(
            401,
            "Phiên làm việc đã hết hạn vì lâu không thao tác; hãy đăng nhập lại.",
            error="het_phien",
            redirect=f"{SIGN_IN_PATH}?het-han=1",
        )
    row = store.account(session["username"])
    if row is None:
        store.end_session(hashed)
        return None
    if now - session["last_seen"] > TOUCH_EVERY:
        store.touch_session(hashed, now)
    principal = Principal(
        username=row["username"],
        role=str(row["role"]),
        unit_code=row["unit_code"],
        plan_id=row["plan_id"],
        must_change_password=bool(row["must_change"]),
    )
    return _Auth(principal, via, session["csrf"], hashed)


def authenticate_request(request: Request) -> _Auth | None:
    """Who sent the request (cached on it), or None for nobody."""
    if hasattr(request.state, "portal_auth"):
        return request.state.portal_auth
    auth: _Auth | None = None
    bearer = _bearer(request)
    if bearer is not None:
        if _is_access_key(request, bearer):
            auth = _Auth(_service_principal(), "bearer", None, None)
        else:
            auth = _from_token(request, bearer, "bearer")
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            auth = _from_token(request, cookie, "cookie")
        key = request.cookies.get(KEY_COOKIE)
        if auth is None and key and _is_access_key(request, key):
            secret = hmac.new(str(app_context(request).access_key).encode(), b"csrf", "sha256")
            auth = _Auth(_service_principal(), "key", secret.hexdigest(), None)
    request.state.portal_auth = auth
    return auth


def _sign_in_redirect(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"{SIGN_IN_PATH}?tiep={quote(target, safe='')}"


def current_principal(request: Request) -> Principal:
    """The signed-in principal; 401 (JSON, or a redirect to /dang-nhap) for nobody; 403
    `doi_mat_khau` while a one-time password is unchanged (except on the change itself)."""
    auth = authenticate_request(request)
    if auth is None:
        raise PortalRefusal(
            401, "Cần đăng nhập.", error="can_dang_nhap", redirect=_sign_in_redirect(request)
        )
    principal = auth.principal
    if principal.must_change_password and request.url.path not in ALLOWED_BEFORE_CHANGE:
        raise PortalRefusal(
            403,
            "Cần đổi mật khẩu dùng một lần trước khi tiếp tục.",
            error=MUST_CHANGE,
            redirect=PASSWORD_PATH,
        )
    return principal


def require_unit(request: Request) -> Principal:
    """A unit's account (specialist or leader); officers and others get 403."""
    principal = current_principal(request)
    if not principal.is_unit or not principal.unit_code:
        raise PortalRefusal(403, "Trang này dành cho tài khoản của đơn vị.", error="khong_co_quyen")
    return principal


def require_officer(request: Request) -> Principal:
    """An officer of the standing office (or the service's access key); others get 403."""
    principal = current_principal(request)
    if not principal.is_officer:
        raise PortalRefusal(
            403, "Trang này dành cho cán bộ Cơ quan Thường trực.", error="khong_co_quyen"
        )
    return principal


#: Route parameter types: `principal: SignedIn` etc. (FastAPI resolves the dependency).
SignedIn = Annotated[Principal, Depends(current_principal)]
UnitPrincipal = Annotated[Principal, Depends(require_unit)]
OfficerPrincipal = Annotated[Principal, Depends(require_officer)]


# --- CSRF -------------------------------------------------------------------------------------


def csrf_token(request: Request) -> str:
    """The token a form of this request's page must send back.

    With a session: the session's secret. Before sign-in: the double-submit cookie's value
    (created here when absent; `remember_pre_csrf` puts it on the response)."""
    auth = authenticate_request(request)
    if auth is not None and auth.csrf:
        return auth.csrf
    existing = request.cookies.get(PRE_CSRF_COOKIE) or getattr(request.state, "pre_csrf", None)
    if not existing:
        existing = secrets.token_urlsafe(24)
        request.state.pre_csrf = existing
    return existing


def remember_pre_csrf(request: Request, response: Response) -> Response:
    """Set the pre-sign-in CSRF cookie if this request created one."""
    created = getattr(request.state, "pre_csrf", None)
    if created:
        response.set_cookie(
            PRE_CSRF_COOKIE,
            created,
            httponly=True,
            samesite="strict",
            path="/",
            secure=secure_cookies(request),
        )
    return response


def csrf_field(request: Request) -> str:
    """The hidden <input> every form carries (templates: `{{ csrf_field(request) }}`)."""
    return Markup(
        f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(csrf_token(request))}">'
    )


@pass_context
def csrf_field_of(context: Any) -> str:
    """The Jinja global `csrf_field()`: the hidden input for the page's own request."""
    return csrf_field(context["request"])


async def verify_csrf(request: Request) -> None:
    """Dependency of every POST form route: the form's token must be this session's (or the
    pre-sign-in cookie's). Bearer calls are exempt; a missing or wrong token is 403."""
    if _bearer(request) is not None:
        return
    from starlette.concurrency import run_in_threadpool

    auth = await run_in_threadpool(authenticate_request, request)
    expected = auth.csrf if auth is not None and auth.csrf else request.cookies.get(PRE_CSRF_COOKIE)
    offered = request.headers.get("x-csrf-token")
    if offered is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            offered = value if isinstance(value, str) else None
    if not expected or not offered or not hmac.compare_digest(offered, expected):
        log.info("CSRF token missing or wrong on %s", request.url.path)
        raise PortalRefusal(
            403,
            "Biểu mẫu đã hết hạn hoặc không hợp lệ; hãy tải lại trang rồi thử lại.",
            error="csrf",
        )


async def verify_api_csrf(request: Request) -> None:
    """Dependency of every state-changing `/api/v1` route: a bearer call needs no CSRF token,
    but a call riding on the browser's session cookie does (header `X-CSRF-Token`), so a page
    of another site can never act for a signed-in clerk even where SameSite is not honoured.
    Nobody signed in: left to the route's own dependency (401)."""
    if _bearer(request) is not None:
        return
    from starlette.concurrency import run_in_threadpool

    if await run_in_threadpool(authenticate_request, request) is None:
        return
    await verify_csrf(request)
