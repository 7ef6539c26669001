"""`pcmbn run --format json` and `pcmbn status` as a script and a data officer use them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from cli import run_pcmbn

from pcmbn.settings import PROJECT_ROOT

PLAN = "ST-KH-30-7-2024"


@pytest.mark.slow
def test_run_json_contract_on_sample_reports_then_status(tmp_path: Path) -> None:
    inbox = PROJECT_ROOT / "sample_reports" / PLAN
    result = run_pcmbn(
        tmp_path,
        "run",
        "--plan",
        PLAN,
        "--period",
        "2024-07",
        "--inbox",
        str(inbox),
        "--format",
        "json",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    document = json.loads(result.stdout)  # stdout is exactly one JSON document
    assert set(document) == {
        "run_id",
        "plan_id",
        "period",
        "files",
        "refused",
        "totals",
        "completeness",
        "outputs",
    }
    assert document["plan_id"] == PLAN and document["period"] == "2024-07"
    assert set(document["files"]) == {"accepted", "rejected", "superseded", "other_period"}
    assert document["refused"] == []  # the sample inbox holds regular files only
    manifest = (inbox / "manifest.csv").read_text(encoding="utf-8")
    july = [line for line in manifest.splitlines() if ",2024-07," in line]
    assert sum(document["files"].values()) == sum(1 for line in july if line.split(",")[0])
    assert set(document["completeness"].values()) <= {"on_time", "late", "missing", "rejected"}
    assert "missing" in document["completeness"].values()
    assert set(document["totals"]) >= {"DT01", "NN01", "TT02"}
    for path in document["outputs"].values():
        assert Path(path).exists(), path
    assert "Traceback" not in result.stderr

    status = run_pcmbn(tmp_path, "status", "--plan", PLAN, "--period", "2024-07")
    assert status.returncode == 0, status.stderr
    assert "Chưa gửi" in status.stdout and "Đúng hạn" in status.stdout


@pytest.mark.slow
def test_unknown_plan_is_one_line(tmp_path: Path) -> None:
    result = run_pcmbn(tmp_path, "run", "--plan", "KH-KHONG-CO", "--period", "2024-07")
    assert result.returncode == 1
    assert "KH-KHONG-CO" in result.stderr and "Traceback" not in result.stderr + result.stdout


@pytest.mark.slow
def test_an_empty_inbox_is_allowed_and_the_output_names_it(tmp_path: Path) -> None:
    """Issue 12.1: an existing but empty inbox is a run, and says which folder it read."""
    empty = tmp_path / "hop-thu-trong"
    empty.mkdir()
    result = run_pcmbn(
        tmp_path / "home", "run", "--plan", PLAN, "--period", "2024-07", "--inbox", str(empty)
    )
    assert result.returncode == 0, result.stderr[-2000:]
    text = " ".join(result.stdout.split())
    assert f"Thư mục nhận báo cáo đã đọc: {empty}" in text, text
    assert f"Không có tệp báo cáo nào trong thư mục nhận {empty}" in text, text


@pytest.mark.slow
def test_prefect_keeps_its_database_under_the_home_folder(tmp_path: Path) -> None:
    """Issue 12.21: Prefect's database is `$PCMBN_HOME/prefect/prefect.db`, not `~/.prefect`;
    its flow runs are named and tagged by plan and period."""
    import sqlite3

    empty, user = tmp_path / "hop-thu-trong", tmp_path / "nguoi-dung"
    empty.mkdir()
    user.mkdir()
    unset = {"PREFECT_HOME": None, "PREFECT_API_URL": None, "PREFECT_PROFILES_PATH": None}
    home = tmp_path / "home"
    args = ("run", "--plan", PLAN, "--period", "2024-07", "--inbox", str(empty))
    result = run_pcmbn(home, *args, env={**unset, "HOME": str(user)})
    assert result.returncode == 0, result.stderr[-2000:]
    database = home / "prefect" / "prefect.db"
    assert database.is_file()
    assert not (user / ".prefect").exists()
    with sqlite3.connect(database) as db:
        runs = dict(db.execute("SELECT name, tags FROM flow_run").fetchall())
    # one flow run (the inbox is read by the run's own tasks, no subflow)
    assert set(runs) == {f"tong-hop {PLAN} · 2024-07"}
    for tags in runs.values():
        assert json.loads(tags) == [f"ke-hoach:{PLAN}", "ky:2024-07"]


def _report(folder: Path, name: str, unit: str, dt01: int, received: str) -> None:
    """One unit's August report in `folder`, with its line in the reception log."""
    from report_fixtures import Fixture, write_fixture

    from pcmbn.catalog import load_catalog

    def edit(content):  # type: ignore[no-untyped-def]
        content.values["DT01"] = (dt01, dt01 * 3)

    path = write_fixture(
        Fixture(name, unit=unit, period="2024-08", edit=edit), folder, load_catalog()
    )
    log = folder / "received.csv"
    lines = [] if log.exists() else ["file,received_at,unit_code"]
    lines.append(f"{path.name},{received},{unit}")
    with log.open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


@pytest.mark.slow
def test_a_run_of_an_approved_month_says_what_it_holds_pending(tmp_path: Path) -> None:
    """Issue 12.4: not "0 tệp … mọi đơn vị được ghi là chưa gửi" but the approval, the files
    held pending and the command that takes them in."""
    home, inbox = tmp_path / "home", tmp_path / "inbox"
    inbox.mkdir()
    _report(inbox, "BaoCao_CA_TINH", "CA_TINH", 3, "2024-08-15T09:00:00+07:00")
    _report(inbox, "BaoCao_BP_TINH", "BP_TINH", 1, "2024-08-15T10:00:00+07:00")
    args = ("--plan", PLAN, "--period", "2024-08")
    first = run_pcmbn(home, "run", *args, "--inbox", str(inbox))
    assert first.returncode == 0, first.stderr[-2000:]
    approved = run_pcmbn(home, "approve", *args)
    assert approved.returncode == 0, approved.stderr[-2000:]

    _report(inbox, "BaoCao_CA_TINH_ban_sua", "CA_TINH", 5, "2024-08-19T09:00:00+07:00")
    locked = run_pcmbn(home, "run", *args, "--inbox", str(inbox))
    assert locked.returncode == 0, locked.stderr[-2000:]
    text = " ".join(locked.stdout.split())
    assert "đã được phê duyệt" in text, text
    assert "1 tệp đang chờ mở lại kỳ" in text, text
    assert f"pcmbn reopen --plan {PLAN} --period 2024-08" in text, text
    assert "mọi đơn vị được ghi là chưa gửi" not in text, text


@pytest.mark.slow
def test_without_period_the_latest_closed_month_inside_the_plan_is_run(tmp_path: Path) -> None:
    """Issue 12.3: the plan ran 01–12/2024; today's last closed month is outside it."""
    empty = tmp_path / "inbox"
    empty.mkdir()
    result = run_pcmbn(
        tmp_path / "home", "run", "--plan", PLAN, "--inbox", str(empty), "--format", "json"
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout)["period"] == "2024-12"


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_refused_inbox_entries_are_listed_apart_in_json_and_text(tmp_path: Path) -> None:
    """Issue 19: entries intake never opens get their own list, with rule id and message."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _report(inbox, "BaoCao_CA_TINH", "CA_TINH", 3, "2024-08-15T09:00:00+07:00")
    (inbox / "BaoCao_SO_TP.xlsx").symlink_to("/etc/passwd")
    os.mkfifo(inbox / "BaoCao_X.xlsx")
    (inbox / "BaoCao_RONG.xlsx").write_bytes(b"")
    (inbox / "BaoCao_SO_TC.xlsx").mkdir()
    (inbox / "~$BaoCao_CA_TINH.xlsx").write_bytes(b"lock")  # an Office lock file: ignored
    args = ("run", "--plan", PLAN, "--period", "2024-08", "--inbox", str(inbox))
    result = run_pcmbn(tmp_path / "home", *args, "--format", "json")
    assert result.returncode == 0, result.stderr[-2000:]
    document = json.loads(result.stdout)
    assert [(e["name"], e["reason_code"]) for e in document["refused"]] == [
        ("BaoCao_RONG.xlsx", "file.empty"),
        ("BaoCao_SO_TC.xlsx", "file.not_regular"),
        ("BaoCao_SO_TP.xlsx", "file.not_regular"),
        ("BaoCao_X.xlsx", "file.not_regular"),
    ]
    assert all(set(e) == {"name", "reason_code", "message"} for e in document["refused"])
    assert "liên kết tượng trưng" in document["refused"][2]["message"]
    assert document["files"]["accepted"] == 1

    text = run_pcmbn(tmp_path / "home", *args)
    assert text.returncode == 0, text.stderr[-2000:]
    out = " ".join(text.stdout.split())
    assert "4 mục trong thư mục nhận bị từ chối ngay khi nhận (không mở, không lưu trữ):" in out
    assert '- BaoCao_X.xlsx: Mục "BaoCao_X.xlsx" trong hộp thư không phải là tệp' in out
    assert "- BaoCao_RONG.xlsx: Tệp rỗng (0 byte)" in out
    assert "~$" not in out
