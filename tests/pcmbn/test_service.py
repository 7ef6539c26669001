"""The service layer: the argument checks of a run, the inbox check, the default period."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from pcmbn.catalog import Catalog
from pcmbn.errors import PcmbnError
from pcmbn.periods import parse_period
from pcmbn.resources import resources_for
from pcmbn.service import (
    check_period_in_plan,
    check_run_arguments,
    default_period,
    run_inbox,
)
from pcmbn.settings import Settings

ST = "ST-KH-30-7-2024"  # 01/2024 – 12/2024
NA = "NA-276-KH-UBND-2021"


@pytest.fixture
def resources():  # type: ignore[no-untyped-def]
    return resources_for(Settings.from_env())


@pytest.fixture
def catalog(resources) -> Catalog:  # type: ignore[no-untyped-def]
    return resources.catalog


@pytest.mark.parametrize(
    ("case", "today", "expected"),
    [
        ("plan ended long ago: its last month", date(2026, 12, 1), "2024-12"),
        ("just after the plan's last month closed", date(2025, 1, 10), "2024-12"),
        ("inside the plan: the last closed month", date(2024, 8, 10), "2024-07"),
        ("first month of the plan closed", date(2024, 2, 5), "2024-01"),
    ],
)
def test_default_period_is_the_latest_closed_month_inside_the_plan(
    case: str, today: date, expected: str, catalog: Catalog
) -> None:
    assert default_period(catalog.plan(ST), today).code == expected, case


def test_default_period_before_the_plan_began_is_refused(catalog: Catalog) -> None:
    with pytest.raises(PcmbnError, match="--period"):
        default_period(catalog.plan(ST), date(2023, 6, 1))


def test_check_run_arguments(catalog: Catalog) -> None:
    args = check_run_arguments(catalog, ST, None, date(2026, 12, 1), [" ca_tinh", "", "BP_TINH"])
    assert (args.plan.id, args.period.code, args.units) == (ST, "2024-12", ["BP_TINH", "CA_TINH"])
    assert check_run_arguments(catalog, ST, "Tháng 7/2024", date(2026, 12, 1)).period.code == (
        "2024-07"
    )


@pytest.mark.parametrize(
    ("plan", "period", "units", "words"),
    [
        ("ST-KH-30-7-2O24", "2024-07", None, ("ST-KH-30-7-2O24", ST)),
        (ST, "2024-13", None, ("2024-13",)),
        (ST, "2026-11", None, ("Tháng 11/2026", "nằm ngoài", "Tháng 1/2024", "Tháng 12/2024")),
        (ST, "2024-07", ["CA_TINHH"], ("CA_TINHH",)),
    ],
)
def test_check_run_arguments_refuses_with_one_line(
    plan: str, period: str, units: list[str] | None, words: tuple[str, ...], catalog: Catalog
) -> None:
    with pytest.raises(PcmbnError) as caught:
        check_run_arguments(catalog, plan, period, date(2026, 12, 1), units)
    for word in words:
        assert word in str(caught.value)


def test_check_period_in_plan_names_the_span(catalog: Catalog) -> None:
    check_period_in_plan(catalog.plan(NA), parse_period("2021-07"))
    with pytest.raises(PcmbnError, match="nằm ngoài"):
        check_period_in_plan(catalog.plan(NA), parse_period("2030-07"))


def test_run_inbox_missing_is_refused_naming_it(resources, catalog, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    plan, period = catalog.plan(ST), parse_period("2024-07")
    missing = tmp_path / "khong" / "co"
    with pytest.raises(PcmbnError, match=str(missing)):
        run_inbox(resources, plan, period, str(missing))
    a_file = tmp_path / "tep.xlsx"
    a_file.write_bytes(b"x")
    with pytest.raises(PcmbnError, match="Không tìm thấy thư mục"):
        run_inbox(resources, plan, period, str(a_file))


def test_run_inbox_unreadable_is_refused(  # type: ignore[no-untyped-def]
    resources, catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = tmp_path / "inbox"
    locked.mkdir()
    locked.chmod(0)
    # root reads every folder, so the permission check is asked as an ordinary user would be
    real_access = os.access
    monkeypatch.setattr(
        "pcmbn.service.os.access",
        lambda path, mode: real_access(path, mode) if os.geteuid() else Path(path) != locked,
    )
    try:
        with pytest.raises(PcmbnError, match="quyền đọc"):
            run_inbox(resources, catalog.plan(ST), parse_period("2024-07"), str(locked))
    finally:
        locked.chmod(0o755)


def test_run_inbox_empty_or_default_is_allowed(resources, catalog, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    plan, period = catalog.plan(ST), parse_period("2024-07")
    empty = tmp_path / "inbox"
    empty.mkdir()
    assert run_inbox(resources, plan, period, str(empty)) == str(empty)
    (empty / "2024-07").mkdir()
    assert run_inbox(resources, plan, period, str(empty)).endswith("2024-07")
    assert run_inbox(resources, plan, period, None) == resources.layout.inbox(ST, "2024-07")


def test_the_service_layer_does_not_import_prefect() -> None:
    """The CLI checks arguments with it before any flow: Prefect's start-up must not happen."""
    code = (
        "import sys, datetime\n"
        "from pcmbn.settings import Settings\n"
        "from pcmbn.resources import resources_for\n"
        "from pcmbn.service import check_run_arguments, run_inbox\n"
        "r = resources_for(Settings.from_env())\n"
        f"a = check_run_arguments(r.catalog, {ST!r}, '2024-07', datetime.date(2026, 1, 1))\n"
        "run_inbox(r, a.plan, a.period, None)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('prefect', 'flows')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"


def test_period_status_approve_reopen_and_run_summary(resources, catalog) -> None:  # type: ignore[no-untyped-def]
    """The functions `pcmbn status/approve/reopen` and the web app call, on a small store."""
    from datetime import UTC, datetime

    from pcmbn.service import (
        approve,
        compose_reminders,
        ever_run,
        frozen_count,
        period_status,
        reopen,
        run_summary,
    )
    from pcmbn.store.base import RunRecord, SubmissionRecord

    plan, period = catalog.plan(ST), parse_period("2024-07")
    assert not ever_run(resources, plan, period)
    at = datetime(2024, 7, 16, 2, tzinfo=UTC)

    def record(sha: str, status: str) -> SubmissionRecord:
        return SubmissionRecord(
            sha * 64, f"{sha}.xlsx", at, "x", 1, status, ST, "2024-07", "CA_TINH"
        )

    resources.store.record_run(RunRecord("r1", ST, "2024-07", None, at, [record("a", "accepted")]))
    status = period_status(resources, plan, period)
    assert status.ever_run and not status.approved and status.pending.empty
    assert status.counts()["on_time"] == 1
    assert status.counts()["missing"] == len(status.table) - 1
    assert "CA_TINH" not in [r.unit_code for r in compose_reminders(resources, plan, period)]

    approval = approve(resources, plan, period, "gửi BCĐ")
    assert frozen_count(approval) == 1 and approval["approved_by"] == resources.settings.actor
    resources.store.record_run(RunRecord("r2", ST, "2024-07", None, at, [record("b", "pending")]))
    status = period_status(resources, plan, period)
    assert status.approved and list(status.pending["original_name"]) == ["b.xlsx"]
    summary = run_summary(resources, plan, period, "/hop-thu")
    assert (summary.inbox, summary.approved, summary.pending) == ("/hop-thu", True, 1)

    with pytest.raises(PcmbnError):
        reopen(resources, plan, period, "  ")
    reopen(resources, plan, period, "Công an tỉnh gửi bản sửa")
    assert not period_status(resources, plan, period).approved
