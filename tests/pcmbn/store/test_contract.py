"""The history store on its own: one-transaction runs, re-validation, the audit log."""

from __future__ import annotations

from datetime import UTC, datetime

from pcmbn.store.base import RunRecord, Store, SubmissionRecord

AT = datetime(2024, 8, 16, 8, tzinfo=UTC)


def _submission(problems: int) -> SubmissionRecord:
    return SubmissionRecord(
        sha256="a" * 64,
        original_name="BaoCao_CA_TINH.xlsx",
        received_at=AT,
        archive_path="/archive/aa/a.xlsx",
        size=10,
        status="accepted",
        plan_id="P",
        period="2024-07",
        unit_code="CA_TINH",
        values=[
            {
                "indicator": "DT01",
                "period_value": 3.0,
                "cumulative": 9.0,
                "sheet": "ChiTieu",
                "period_cell": "E10",
                "cumulative_cell": "F10",
            }
        ],
        problems=[
            {
                "seq": i,
                "severity": "warning",
                "rule": "value.cumulative_discontinuity",
                "sheet": "ChiTieu",
                "cell": f"F{10 + i}",
                "message": "…",
            }
            for i in range(problems)
        ],
    )


def test_a_file_validated_again_keeps_only_its_newest_problems(store: Store) -> None:
    store.record_run(RunRecord("r1", "P", "2024-07", None, AT, [_submission(1)]))
    store.record_run(RunRecord("r2", "P", "2024-07", None, AT, [_submission(3)]))
    assert store.counts()["problems"] == 3
    store.record_run(RunRecord("r3", "P", "2024-07", None, AT, [_submission(0)]))
    counts = store.counts()
    assert (counts["problems"], counts["submissions"], counts["submission_values"]) == (0, 1, 1)


def test_audit_log_is_in_order_and_filtered_by_period(store: Store) -> None:
    store.audit(AT, "an", "run", "P", "2024-07", "first")
    store.audit_many(
        [(AT, "an", "remind", "P", "2024-08", "x"), (AT, "an", "run", "P", "2024-07", "y")]
    )
    assert list(store.audit_log("P")["detail"]) == ["first", "x", "y"]
    assert list(store.audit_log("P", "2024-07")["action"]) == ["run", "run"]
