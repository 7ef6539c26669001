"""`pcmbn accounts create` as a data officer runs it: the CSV hand-out, rotation, officers,
mailing each unit its one-time password, and the Vietnamese refusals."""

from __future__ import annotations

import csv
import socket
from datetime import UTC, datetime
from email import message_from_bytes
from email import policy as email_policy
from pathlib import Path
from typing import Any

import pytest
from cli import run_pcmbn

from pcmbn.portal.accounts import LoginRefused, authenticate
from pcmbn.resources import Resources
from pcmbn.settings import Settings

PLAN = "ST-KH-30-7-2024"
NOW = datetime(2026, 8, 20, 3, 0, tzinfo=UTC)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_unit_accounts_are_handed_out_in_a_csv_and_rotated_by_creating_again(
    tmp_path: Path,
) -> None:
    home, out = tmp_path / "home", tmp_path / "tai-khoan.csv"
    args = ("accounts", "create", "--plan", PLAN, "--unit", "CA_TINH", "--unit", "BP_TINH")
    made = run_pcmbn(home, *args, "--out", str(out))
    assert made.returncode == 0, made.stderr
    assert f"Đã cấp 2 tài khoản; mật khẩu dùng một lần trong {out}." in made.stdout
    assert out.read_bytes().startswith(b"\xef\xbb\xbfunit,username,password\r\n")
    rows = _rows(out)
    assert [(r["unit"], r["username"]) for r in rows] == [
        ("CA_TINH", "ca_tinh@st-kh-30-7-2024"),
        ("BP_TINH", "bp_tinh@st-kh-30-7-2024"),
    ]
    store = Resources(Settings(home=home)).store
    first = rows[0]["password"]
    account = authenticate(store, "CA_TINH@ST-KH-30-7-2024", first, NOW)
    assert account.unit_code == "CA_TINH" and account.must_change is True
    again = run_pcmbn(home, *args[:6], "--out", str(out))
    assert again.returncode == 0, again.stderr
    with pytest.raises(LoginRefused):
        authenticate(store, "ca_tinh@st-kh-30-7-2024", first, NOW)  # rotated
    authenticate(store, "ca_tinh@st-kh-30-7-2024", _rows(out)[0]["password"], NOW)
    # The unit's leader (two-step sending, where a plan asks for it): its own account and role.
    lead = run_pcmbn(home, *args[:6], "--leader", "--out", str(tmp_path / "ld.csv"))
    assert lead.returncode == 0, lead.stderr
    (row,) = _rows(tmp_path / "ld.csv")
    assert row["username"] == "lanhdao.ca_tinh@st-kh-30-7-2024"
    leader = authenticate(store, row["username"], row["password"], NOW)
    assert leader.role == "unit_leader" and leader.unit_code == "CA_TINH"
    log = run_pcmbn(home, "log", "--plan", PLAN)
    assert "Cấp tài khoản" in log.stdout and "Đăng nhập" in log.stdout


def test_an_officer_account_and_the_refusals(tmp_path: Path) -> None:
    home = tmp_path / "home"
    officer = run_pcmbn(home, "accounts", "create", "--officer", "nguyen.van.a")
    assert officer.returncode == 0, officer.stderr
    assert "Tài khoản nguyen.van.a: mật khẩu dùng một lần " in officer.stdout
    unknown = run_pcmbn(
        home, "accounts", "create", "--plan", PLAN, "--unit", "XX", "--out", str(tmp_path / "x.csv")
    )
    assert unknown.returncode == 1
    assert (
        "Không có đơn vị XX trong danh mục đơn vị của kế hoạch" in unknown.stderr + unknown.stdout
    )
    nowhere = run_pcmbn(home, "accounts", "create", "--plan", PLAN, "--all-units")
    assert nowhere.returncode == 2 and "Cần --out" in nowhere.stderr + nowhere.stdout
    both = run_pcmbn(home, "accounts", "create", "--plan", PLAN, "--officer", "x")
    assert both.returncode == 2 and "--officer không dùng cùng" in both.stderr + both.stdout


class _Inbox:
    def __init__(self) -> None:
        self.received: list[tuple[list[str], Any]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = message_from_bytes(envelope.original_content, policy=email_policy.default)
        self.received.append((list(envelope.rcpt_tos), parsed))
        return "250 OK"


def test_send_mails_each_unit_its_one_time_password(tmp_path: Path) -> None:
    from aiosmtpd.controller import Controller

    inbox = _Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    env = {
        "PCMBN_SMTP_HOST": "127.0.0.1",
        "PCMBN_SMTP_PORT": str(port),
        "PCMBN_SMTP_STARTTLS": "false",
    }
    out = tmp_path / "tk.csv"
    try:
        sent = run_pcmbn(
            tmp_path / "home",
            "accounts",
            "create",
            "--plan",
            PLAN,
            "--unit",
            "CA_TINH",
            "--out",
            str(out),
            "--send",
            env=env,
        )
    finally:
        controller.stop()
    assert sent.returncode == 0, sent.stderr
    assert "Đã gửi 1/1 thư cấp tài khoản." in sent.stdout
    [(to, message)] = inbox.received
    assert to == ["ca.tinh@soc-trang.example.org"]
    body = message.get_content()
    assert "Tên đăng nhập: ca_tinh@st-kh-30-7-2024" in body
    assert f"Mật khẩu dùng một lần: {_rows(out)[0]['password']}" in body
    assert "Tài khoản cổng báo cáo PCMBN" in str(message["Subject"])
