"""Signing in: lockout, forced password change, CSRF on forms, idle timeout, cookies, audit."""

from __future__ import annotations

from pathlib import Path

import pytest
from portal_app import KEY, csrf_of, make_portal

from pcmbn.portal.accounts import LOCK_MINUTES, MAX_FAILURES


@pytest.fixture
def portal(tmp_path: Path):
    return make_portal(tmp_path)


def test_wrong_passwords_lock_the_account_with_the_time_in_vietnamese(portal) -> None:
    portal.account("ca_tinh@st")
    wrong = {"username": "ca_tinh@st", "password": "sai-mat-khau-000"}
    for attempt in range(1, MAX_FAILURES):
        response = portal.client.post("/api/v1/login", json=wrong)
        assert response.status_code == 401
        assert f"Còn {MAX_FAILURES - attempt} lần thử" in response.json()["error"]
    locked = portal.client.post("/api/v1/login", json=wrong)
    assert locked.status_code == 429
    # 03:00 UTC is 10:00 in Vietnam; locked for 15 minutes.
    assert "tạm khóa" in locked.json()["error"] and "20/08/2026 10:15" in locked.json()["error"]
    right = {"username": "ca_tinh@st", "password": "mat-khau-rat-dai-1"}
    assert portal.client.post("/api/v1/login", json=right).status_code == 429  # still locked
    portal.clock.advance(minutes=LOCK_MINUTES + 1)
    assert portal.client.post("/api/v1/login", json=right).status_code == 200
    details = portal.store.query(
        "SELECT detail FROM audit_log WHERE action = 'login' ORDER BY seq"
    )["detail"].tolist()
    assert details == ["failed"] * MAX_FAILURES + ["locked", "ok"]


def test_unknown_accounts_get_the_same_answer_as_wrong_passwords(portal) -> None:
    response = portal.client.post("/api/v1/login", json={"username": "ai", "password": "x"})
    assert response.status_code == 401
    assert response.json()["error"] == "Tên đăng nhập hoặc mật khẩu không đúng."


def test_a_one_time_password_must_be_changed_before_any_other_call(portal) -> None:
    portal.account("ca_tinh@st", password="mot-lan-abcdefgh", must_change=True)
    auth = portal.token("ca_tinh@st", "mot-lan-abcdefgh")
    blocked = portal.client.get("/api/v1/me", headers=auth)
    assert blocked.status_code == 403 and blocked.json()["error"] == "doi_mat_khau"
    short = portal.client.post(
        "/api/v1/password", headers=auth, json={"old": "mot-lan-abcdefgh", "new": "ngan"}
    )
    assert short.status_code == 400 and "ít nhất 10 ký tự" in short.json()["error"]
    wrong = portal.client.post(
        "/api/v1/password", headers=auth, json={"old": "khong-phai", "new": "mat-khau-moi-123"}
    )
    assert wrong.status_code == 400 and wrong.json()["error"] == "Mật khẩu hiện tại không đúng."
    ok = portal.client.post(
        "/api/v1/password",
        headers=auth,
        json={"old": "mot-lan-abcdefgh", "new": "mat-khau-moi-123"},
    )
    assert ok.status_code == 200
    me = portal.client.get("/api/v1/me", headers=auth)
    assert me.status_code == 200 and me.json()["unit_code"] == "CA_TINH"
    assert portal.store.account("ca_tinh@st")["must_change"] is False


def test_the_sign_in_form_needs_its_csrf_token_and_sets_a_strict_cookie(portal) -> None:
    portal.account("ca_tinh@st")
    form = {"username": "ca_tinh@st", "password": "mat-khau-rat-dai-1"}
    without = portal.client.post("/dang-nhap", data=form, follow_redirects=False)
    assert without.status_code == 403 and "Biểu mẫu đã hết hạn" in without.text
    page = portal.client.get("/dang-nhap")
    assert page.status_code == 200 and "Đăng nhập cổng báo cáo" in page.text
    signed = portal.client.post(
        "/dang-nhap", data={**form, "csrf": csrf_of(page.text)}, follow_redirects=False
    )
    assert signed.status_code == 303 and signed.headers["location"] == "/don-vi"
    cookie = signed.headers["set-cookie"]
    assert "pcmbn_phien=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    # Signed in: a form without the session's token is refused, with it accepted.
    assert portal.client.post("/dang-xuat", follow_redirects=False).status_code == 403
    page = portal.client.get("/doi-mat-khau")
    out = portal.client.post(
        "/dang-xuat", data={"csrf": csrf_of(page.text)}, follow_redirects=False
    )
    assert out.status_code == 303
    assert portal.client.get("/doi-mat-khau", follow_redirects=False).status_code == 303


def test_a_session_ends_after_the_idle_timeout(tmp_path: Path) -> None:
    portal = make_portal(tmp_path, portal_idle_minutes=5)
    portal.account("ca_tinh@st")
    auth = portal.token("ca_tinh@st")
    portal.clock.advance(minutes=4)
    assert portal.client.get("/api/v1/me", headers=auth).status_code == 200
    portal.clock.advance(minutes=4)  # 4 minutes after the last use: still alive
    assert portal.client.get("/api/v1/me", headers=auth).status_code == 200
    portal.clock.advance(minutes=6)
    expired = portal.client.get("/api/v1/me", headers=auth)
    assert expired.status_code == 401 and expired.json()["error"] == "het_phien"


def test_pages_send_strangers_to_the_sign_in_page_and_api_calls_get_401(portal) -> None:
    page = portal.client.get("/doi-mat-khau", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/dang-nhap?tiep=")
    api = portal.client.get("/api/v1/me")
    assert api.status_code == 401 and api.json()["error"] == "can_dang_nhap"


def test_the_access_key_still_works_for_the_cli_and_officers_reach_the_overview(portal) -> None:
    assert (
        portal.client.get("/api/runs/x", headers={"Authorization": f"Bearer {KEY}"}).status_code
        == 404
    )
    portal.account("can-bo", role="officer", unit=None, plan=None)
    auth = portal.token("can-bo")
    assert portal.client.get("/", headers=auth).status_code == 200
    portal.account("ca_tinh@st")
    unit = portal.token("ca_tinh@st")
    assert portal.client.get("/", headers={**unit, "Accept": "text/html"}).status_code == 401


def _sign_in_with_the_form(portal):
    """`ca_tinh@st` signs in through the login page's form (its CSRF token included)."""
    portal.account("ca_tinh@st")
    page = portal.client.get("/dang-nhap")
    form = {"username": "ca_tinh@st", "password": "mat-khau-rat-dai-1"}
    signed = portal.client.post(
        "/dang-nhap", data={**form, "csrf": csrf_of(page.text)}, follow_redirects=False
    )
    assert signed.status_code == 303
    return signed


def test_api_calls_riding_on_the_session_cookie_need_the_csrf_header(portal) -> None:
    _sign_in_with_the_form(portal)
    change = {"old": "mat-khau-rat-dai-1", "new": "mat-khau-moi-rat-dai-2"}
    forged = portal.client.post("/api/v1/password", json=change)
    assert forged.status_code == 403 and forged.json()["error"] == "csrf"
    token = csrf_of(portal.client.get("/doi-mat-khau").text)
    ok = portal.client.post("/api/v1/password", json=change, headers={"X-CSRF-Token": token})
    assert ok.status_code == 200, ok.text
    # Nobody signed in is still told to sign in (401), not about the form.
    portal.client.cookies.clear()
    assert portal.client.post("/api/v1/logout").status_code == 200  # idempotent
    assert portal.client.post("/api/v1/password", json=change).status_code == 401


def test_signing_in_ends_sessions_idle_past_the_timeout(tmp_path: Path) -> None:
    portal = make_portal(tmp_path, portal_idle_minutes=5)
    for name in ("a@st", "b@st", "c@st"):
        portal.account(name)
    stale = portal.token("a@st")
    portal.clock.advance(minutes=3)
    alive = portal.token("b@st")
    portal.clock.advance(minutes=3)  # a: 6 minutes idle (past 5); b: 3 minutes
    portal.token("c@st")
    users = sorted(portal.store.query("SELECT username FROM portal_sessions")["username"])
    assert users == ["b@st", "c@st"]
    assert portal.client.get("/api/v1/me", headers=alive).status_code == 200
    assert portal.client.get("/api/v1/me", headers=stale).status_code == 401


def test_secure_cookies_when_the_portal_is_served_over_https(tmp_path: Path) -> None:
    def sign_in_cookie(portal) -> str:
        return _sign_in_with_the_form(portal).headers["set-cookie"]

    plain = sign_in_cookie(make_portal(tmp_path / "http"))
    assert "pcmbn_phien=" in plain and "Secure" not in plain
    secure = make_portal(tmp_path / "https", portal_secure_cookies=True)
    secure.client.base_url = "https://testserver"  # a browser sends Secure cookies over HTTPS only
    page = secure.client.get("/dang-nhap")
    assert "Secure" in page.headers["set-cookie"]  # the pre-sign-in CSRF cookie too
    assert "Secure" in sign_in_cookie(secure)
