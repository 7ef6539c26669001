"""Two-step sending (issue 14.1): where a plan asks for it, the unit's leader approves what its
specialist submitted before it reaches the office; the leader may return it with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from portal_app import make_portal
from report_fixtures import Fixture, write_fixture

from pcmbn.catalog import load_catalog

pytestmark = pytest.mark.slow  # a warm validator
PLAN = "ST-KH-30-7-2024"


def _with_leader_approval(schemas: Path) -> Path:
    plans = schemas / "plans.yaml"
    text = plans.read_text(encoding="utf-8")
    start = text.index(f"id: {PLAN}")
    at = text.index("due_days_after_cutoff: 3}", start)
    end = at + len("due_days_after_cutoff: 3}")
    plans.write_text(
        text[:at] + "due_days_after_cutoff: 3, leader_approval: true}" + text[end:],
        encoding="utf-8",
    )
    assert load_catalog(schemas).plan(PLAN).reporting.leader_approval
    return schemas


def test_a_specialists_submission_waits_for_the_leader_who_returns_then_sends_it(
    tmp_path: Path, schemas_copy: Path
) -> None:
    schemas = _with_leader_approval(schemas_copy)
    portal = make_portal(tmp_path, warm=True, home=tmp_path / "home", schemas=schemas)
    report = write_fixture(Fixture("ca-tinh-tot"), tmp_path / "files", load_catalog(schemas))
    portal.account("ca_tinh@st")
    portal.account("lanhdao.ca_tinh@st", role="unit_leader")
    clerk, leader = portal.token("ca_tinh@st"), portal.token("lanhdao.ca_tinh@st")

    def submit():
        return portal.client.post(
            "/api/v1/submissions", headers=clerk, files={"file": (report.name, report.read_bytes())}
        )

    sent = submit()
    assert sent.status_code == 202, sent.text
    sha = sent.json()["awaiting"]["sha256"]
    assert sent.json()["awaiting"]["state"] == "awaiting"
    assert not (tmp_path / "home" / "inbox").exists()  # nothing reached the office yet
    assert portal.client.post(f"/api/v1/awaiting/{sha}/approve", headers=clerk).status_code == 403

    listed = portal.client.get("/api/v1/awaiting", headers=leader).json()["awaiting"]
    assert [item["sha256"] for item in listed] == [sha]
    no_reason = portal.client.post(f"/api/v1/awaiting/{sha}/return", headers=leader, json={})
    assert no_reason.status_code == 422
    back = portal.client.post(
        f"/api/v1/awaiting/{sha}/return", headers=leader, json={"reason": "Bổ sung số liệu DT01"}
    )
    assert back.status_code == 200 and back.json()["awaiting"]["state"] == "returned"
    assert portal.client.get("/api/v1/awaiting", headers=leader).json()["awaiting"] == []

    assert submit().status_code == 202  # the specialist sends it again
    approved = portal.client.post(f"/api/v1/awaiting/{sha}/approve", headers=leader)
    assert approved.status_code == 201, approved.text
    receipt = approved.json()["receipt"]
    assert receipt["unit_code"] == "CA_TINH" and receipt["status"] == "received"
    rows = (tmp_path / "home" / "inbox" / PLAN / "2024-07" / "received.csv").read_text("utf-8-sig")
    assert "lanhdao.ca_tinh@st" in rows  # sent up by the leader, at the leader's time
    again = portal.client.post(f"/api/v1/awaiting/{sha}/approve", headers=leader)
    assert again.status_code == 409
    details = " ".join(portal.store.audit_log(PLAN)["detail"].astype(str))
    assert "chờ lãnh đạo đơn vị duyệt" in details and "Bổ sung số liệu DT01" in details
