"""The record and reminder tasks through `.fn()`: no Prefect API, no flow run.

They are thin wrappers over `pcmbn.service` and the store; these tests pin what they hand on
(the rows and the audit line a run leaves, the reminders of a period, the deliveries' audit).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pytest

from pcmbn.monthly import run_audit_detail
from pcmbn.periods import Period
from pcmbn.reminders import Reminder
from pcmbn.resources import resources_for
from pcmbn.settings import Settings
from pcmbn.store.base import RunAudit, RunRecord, SubmissionRecord
from tasks.record import record_run
from tasks.reminders import list_reminders, send_reminders

PLAN = "ST-KH-30-7-2024"
PERIOD = "2024-07"
AT = datetime(2024, 7, 16, 2, tzinfo=UTC)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", archive=str(tmp_path / "archive"))


def _accepted(sha: str, unit: str = "CA_TINH") -> SubmissionRecord:
    return SubmissionRecord(
        sha * 64, f"BaoCao_{unit}.xlsx", AT, f"/archive/{sha}", 10, "accepted", PLAN, PERIOD, unit
    )


def test_record_run_writes_the_run_and_its_audit_line(settings: Settings) -> None:
    records = [_accepted("a"), _accepted("b", "BP_TINH")]
    run = RunRecord("r1", PLAN, PERIOD, None, AT, records)
    audit = RunAudit(AT, "can-bo", partial(run_audit_detail, "r1", records, False))
    record_run.fn(settings, run, audit)
    store = resources_for(settings).store
    assert store.runs(PLAN, PERIOD) == ["r1"]
    assert sorted(store.submissions(PLAN, PERIOD)["unit_code"]) == ["BP_TINH", "CA_TINH"]
    log = store.audit_log(PLAN, PERIOD)
    assert list(log["detail"]) == ["run r1: accepted=2, rejected=0, superseded=0, other_period=0"]


def test_record_run_without_audit_logs_nothing(settings: Settings) -> None:
    record_run.fn(settings, RunRecord("r1", PLAN, PERIOD, None, AT, [_accepted("a")]))
    assert resources_for(settings).store.audit_log(PLAN, PERIOD).empty


def test_list_reminders_of_a_period_never_run_reminds_every_expected_unit(
    settings: Settings,
) -> None:
    resources = resources_for(settings)
    plan = resources.catalog.plan(PLAN)
    expected = resources.catalog.expected_units(plan, Period.month(2024, 7))
    reminders = list_reminders.fn(settings, PLAN, Period.from_code(PERIOD))
    assert [r.unit_code for r in reminders] == [u.code for u in expected]
    assert {r.status for r in reminders} == {"missing"}


def test_list_reminders_leaves_out_a_unit_that_reported(settings: Settings) -> None:
    record_run.fn(settings, RunRecord("r1", PLAN, PERIOD, None, AT, [_accepted("a")]))
    units = [r.unit_code for r in list_reminders.fn(settings, PLAN, Period.from_code(PERIOD))]
    assert "CA_TINH" not in units and units


def test_send_reminders_audits_each_one_even_when_it_could_not_go(settings: Settings) -> None:
    reminder = Reminder("CA_TINH", "Công an tỉnh", "missing", None, "Nhắc", "Kính gửi")
    # A unit without an address is not sent to: no connection is made to the mail server.
    settings = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": 9})
    deliveries = send_reminders.fn(settings, PLAN, Period.from_code(PERIOD), [reminder])
    assert [(d.unit_code, d.sent) for d in deliveries] == [("CA_TINH", False)]
    log = resources_for(settings).store.audit_log(PLAN, PERIOD)
    assert list(log["action"]) == ["remind"]
    assert log["detail"].iloc[0].startswith("CA_TINH <—>: lỗi:")
