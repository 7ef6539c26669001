"""`pcmbn held list|assign|discard` and `pcmbn status` as the officer's terminal shows them:
held files, returns and files received since the last run, in Vietnamese."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from cli import run_pcmbn
from submission_month import AT, PERIOD, PLAN, Month

from pcmbn.submissions import hold, return_submission
from pcmbn.vocabulary import HeldReason


@pytest.mark.slow
def test_the_officer_lists_assigns_and_discards_held_files(
    new_month: Callable[..., Month],
) -> None:
    month = new_month()
    home, resources = month.home, month.resources
    first = hold(
        resources,
        filename="BaoCao.xlsx",
        content=b"from a stranger",
        received_at=AT,
        sender="la@example.net",
        reason=HeldReason.UNKNOWN_SENDER,
        message="Người gửi la@example.net không có trong danh sách đơn vị.",
    )
    second = hold(
        resources,
        filename="BaoCao_BP.xlsx",
        content=b"another unit's file",
        received_at=AT,
        sender="ca.tinh@soc-trang.example.org",
        reason=HeldReason.UNIT_MISMATCH,
        message="Tệp khai báo đơn vị BP_TINH nhưng được gửi bởi đơn vị CA_TINH.",
    )
    returned = month.receive("SO_TP", filename="BaoCao_SoTP.xlsx", content=b"returned later")
    return_submission(resources, returned.id, reason="Thiếu chữ ký lãnh đạo.", actor="can_bo")

    listed = run_pcmbn(home, "held", "list", columns=250)
    assert listed.returncode == 0, listed.stderr
    assert first.id in listed.stdout and second.id in listed.stdout
    assert "Đang tạm giữ" in listed.stdout and "la@example.net" in listed.stdout

    status = run_pcmbn(home, "status", "--plan", PLAN, "--period", PERIOD.code, columns=250)
    assert status.returncode == 0, status.stderr
    assert f"Tạm giữ {first.id}: BaoCao.xlsx từ la@example.net (nhận lúc 16/07/2024 09:30)" in (
        status.stdout
    )
    assert "pcmbn held assign" in status.stdout
    assert f"Bị trả lại: SO_TP — biên nhận {returned.id}" in status.stdout
    assert "lý do: Thiếu chữ ký lãnh đạo." in status.stdout

    assigned = run_pcmbn(
        home,
        "held",
        "assign",
        first.id,
        "--unit",
        "CA_TINH",
        "--plan",
        PLAN,
        "--period",
        "2024-07",
        env={"PCMBN_USER": "can_bo"},
    )
    assert assigned.returncode == 0, assigned.stderr
    assert f"Đã giao tệp {first.id} cho đơn vị CA_TINH" in assigned.stdout
    assert "số biên nhận BN-202407-" in assigned.stdout

    refused = run_pcmbn(home, "held", "discard", second.id)
    assert refused.returncode == 1
    assert "Cần ghi lý do hủy tệp tạm giữ." in refused.stdout + refused.stderr
    again = run_pcmbn(home, "held", "discard", first.id, "--reason", "trùng")
    assert again.returncode == 1
    assert f"Tệp tạm giữ {first.id} đã được xử lý (đã giao cho đơn vị)." in (
        again.stdout + again.stderr
    )
    discarded = run_pcmbn(home, "held", "discard", second.id, "--reason", "Thư rác.")
    assert discarded.returncode == 0, discarded.stderr
    assert run_pcmbn(home, "held", "list").stdout.strip() == "Không có tệp nào đang tạm giữ."

    status = run_pcmbn(home, "status", "--plan", PLAN, "--period", PERIOD.code, columns=250)
    assert "Tạm giữ" not in status.stdout
    assert "Đã nhận, chưa tổng hợp (1 đơn vị): CA_TINH (BN-202407-" in status.stdout
    log = run_pcmbn(home, "log", "--plan", PLAN, columns=250)
    assert "Giao tệp tạm giữ cho đơn vị" in log.stdout and "Trả lại báo cáo" in log.stdout
