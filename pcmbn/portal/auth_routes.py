"""Signing in and out, changing the password: the pages and their JSON twins.

Pages: `GET/POST /dang-nhap`, `POST /dang-xuat`, `GET/POST /doi-mat-khau`. API:
`POST /api/v1/login` (`{"username", "password"}` → `{"token", "must_change_password"}`),
`POST /api/v1/password` (`{"old", "new"}`), `GET /api/v1/me`, `POST /api/v1/logout`. Sign-ins
go through `accounts.authenticate` (lockout, audit rows), so the page and the API refuse alike.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from pcmbn.portal import accounts
from pcmbn.portal.auth import (
    PASSWORD_PATH,
    SESSION_COOKIE,
    SIGN_IN_PATH,
    Principal,
    SignedIn,
    app_context,
    authenticate_request,
    current_principal,
    now_of,
    open_session,
    remember_pre_csrf,
    secure_cookies,
    set_session_cookie,
    token_hash,
    verify_api_csrf,
    verify_csrf,
)
from pcmbn.vocabulary import Role

router = APIRouter()


def home_of(role: str) -> str:
    """Where a principal lands after signing in."""
    return "/van-phong" if role == Role.OFFICER else "/don-vi"


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site (no `//host`, no scheme) may be the page after sign-in."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def _page(request: Request, name: str, status: int = 200, **values: Any) -> Response:
    templates = request.app.state.templates
    response = templates.TemplateResponse(request, name, values, status_code=status)
    return remember_pre_csrf(request, response)


@router.get(SIGN_IN_PATH, response_class=HTMLResponse)
def sign_in_page(request: Request, tiep: str | None = None) -> Response:
    expired = "het-han" in request.query_params
    return _page(
        request,
        "portal/signin.html",
        next=_safe_next(tiep) or "",
        message="Phiên làm việc đã hết hạn; hãy đăng nhập lại." if expired else None,
    )


def _login(request: Request, username: str, password: str) -> accounts.Account:
    store = app_context(request).resources.store
    return accounts.authenticate(store, username, password, now_of(request))


@router.post(SIGN_IN_PATH, dependencies=[Depends(verify_csrf)])
async def sign_in(
    request: Request,
    username: str = Form(""),
    password: str = Form(""),
    tiep: str = Form(""),
) -> Response:
    try:
        account = await run_in_threadpool(_login, request, username, password)
    except accounts.LoginRefused as exc:
        return _page(
            request,
            "portal/signin.html",
            401,
            next=_safe_next(tiep) or "",
            message=str(exc),
            username=username,
        )
    token, _ = await run_in_threadpool(open_session, request, account.username)
    target = PASSWORD_PATH if account.must_change else _safe_next(tiep) or home_of(account.role)
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, token, secure=secure_cookies(request))
    return response


@router.post("/dang-xuat", dependencies=[Depends(verify_csrf)])
def sign_out(request: Request) -> Response:
    auth = authenticate_request(request)
    if auth is not None and auth.token_hash:
        app_context(request).resources.store.end_session(auth.token_hash)
    response = RedirectResponse(SIGN_IN_PATH, status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get(PASSWORD_PATH, response_class=HTMLResponse)
def password_page(request: Request, principal: SignedIn) -> Response:
    return _page(request, "portal/password.html", principal=principal, message=None)


def _change(request: Request, principal: Principal, old: str, new: str) -> None:
    store = app_context(request).resources.store
    accounts.change_password(store, principal.username, old, new, now_of(request))


@router.post(PASSWORD_PATH, dependencies=[Depends(verify_csrf)])
async def change_password(
    request: Request,
    old: str = Form(""),
    new: str = Form(""),
    confirm: str = Form(""),
) -> Response:
    principal = await run_in_threadpool(current_principal, request)
    try:
        if new != confirm:
            raise accounts.PasswordRejected("Hai lần nhập mật khẩu mới không giống nhau.")
        await run_in_threadpool(_change, request, principal, old, new)
    except accounts.PasswordRejected as exc:
        return _page(request, "portal/password.html", 400, principal=principal, message=str(exc))
    return RedirectResponse(f"{home_of(principal.role)}?da-doi-mat-khau=1", status_code=303)


# --- the JSON API -----------------------------------------------------------------------------


async def _json_object(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return {}
    return body


@router.post("/api/v1/login")
async def api_login(request: Request) -> Response:
    body = await _json_object(request)
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        return JSONResponse({"error": "Cần username và password."}, status_code=400)
    try:
        account = await run_in_threadpool(_login, request, username, password)
    except accounts.LoginRefused as exc:
        locked = str(exc).startswith("Tài khoản tạm khóa")
        return JSONResponse({"error": str(exc)}, status_code=429 if locked else 401)
    token, _ = await run_in_threadpool(open_session, request, account.username)
    return JSONResponse({"token": token, "must_change_password": account.must_change})


@router.post("/api/v1/password", dependencies=[Depends(verify_api_csrf)])
async def api_password(request: Request) -> Response:
    principal = await run_in_threadpool(current_principal, request)
    body = await _json_object(request)
    old, new = body.get("old"), body.get("new")
    if not isinstance(old, str) or not isinstance(new, str):
        return JSONResponse({"error": "Cần old và new."}, status_code=400)
    try:
        await run_in_threadpool(_change, request, principal, old, new)
    except accounts.PasswordRejected as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    return JSONResponse({"ok": True})


@router.get("/api/v1/me")
def api_me(principal: SignedIn) -> Response:
    """Who the token belongs to (scripts check their token with it)."""
    return JSONResponse(
        {
            "username": principal.username,
            "role": principal.role,
            "unit_code": principal.unit_code,
            "plan_id": principal.plan_id,
        }
    )


@router.post("/api/v1/logout", dependencies=[Depends(verify_api_csrf)])
def api_logout(request: Request) -> Response:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        app_context(request).resources.store.end_session(token_hash(header[7:].strip()))
    return JSONResponse({"ok": True})
