"""The officer's desk over HTTP (FastAPI TestClient over `create_app`): the matrix in colour,
a submission with its problems and annotated file, returns, approval and reopening, held files,
the officer API — and none of it for a unit's account (403)."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest
from portal_app import Portal, csrf_of, make_portal
from report_fixtures import Fixture, set_value, write_fixture
from submission_month import AT, PERIOD, PLAN, month_over

from pcmbn.store.base import RunRecord
from pcmbn.submissions import Receipt, get_receipt, hold
from pcmbn.vocabulary import HeldReason

DESK = f"/van-phong/{PLAN}/{PERIOD.code}"


@pytest.fixture
def portal(tmp_path: Path) -> Portal:
    portal = make_portal(tmp_path)
    portal.account("can_bo", role="officer", unit=None, plan=None)
    portal.account("ca_tinh@st")
    return portal


def _sign_in(portal: Portal, username: str) -> None:
    """A cookie session, as the browser gets one (forms then need the CSRF token)."""
    page = portal.client.get("/dang-nhap")
    form = {"username": username, "password": "mat-khau-rat-dai-1", "csrf": csrf_of(page.text)}
    signed = portal.client.post("/dang-nhap", data=form, follow_redirects=False)
    assert signed.status_code == 303, signed.text


def _receive(portal: Portal, unit: str, content: bytes, name: str = "BaoCao.xlsx") -> Receipt:
    return month_over(portal.context.resources).receive(unit, filename=name, content=content)


def test_officer_endpoints_refuse_a_unit_account(portal: Portal) -> None:
    receipt = _receive(portal, "CA_TINH", b"bytes")
    unit = portal.token("ca_tinh@st")
    assert portal.client.get(f"/api/v1/periods/{PLAN}/2024-07", headers=unit).status_code == 403
    returned = portal.client.post(
        f"/api/v1/submissions/{receipt.id}/return", headers=unit, json={"reason": "x"}
    )
    assert returned.status_code == 403 and returned.json()["error"] == "khong_co_quyen"
    for path in ("/van-phong", DESK, f"/van-phong/bien-nhan/{receipt.id}", "/van-phong/tam-giu"):
        page = portal.client.get(path, headers=unit)
        assert page.status_code == 403, path
        assert "Trang này dành cho cán bộ Cơ quan Thường trực." in page.text
    assert get_receipt(portal.context.resources, receipt.id).status == "received"  # type: ignore[union-attr]
    anonymous = portal.client.get(f"/api/v1/periods/{PLAN}/2024-07")
    assert anonymous.status_code == 401


def test_the_period_api_and_the_return_api(portal: Portal) -> None:
    officer = portal.token("can_bo")
    receipt = _receive(portal, "CA_TINH", b"bytes")
    table = portal.client.get(f"/api/v1/periods/{PLAN}/2024-07", headers=officer)
    assert table.status_code == 200
    document = table.json()
    assert (document["plan_id"], document["period"], document["approved"]) == (
        PLAN,
        "2024-07",
        False,
    )
    rows = {row["unit_code"]: row for row in document["completeness"]}
    assert rows["CA_TINH"]["desk"]["status"] == "received"
    assert rows["CA_TINH"]["desk"]["receipt_id"] == receipt.id
    assert rows["BP_TINH"]["label"] == "Chưa gửi"
    assert document["desk_counts"]["received"] == 1
    assert portal.client.get(f"/api/v1/periods/{PLAN}/2099-01", headers=officer).status_code == 404

    url = f"/api/v1/submissions/{receipt.id}/return"
    assert portal.client.post(url, headers=officer, json={}).status_code == 422
    done = portal.client.post(url, headers=officer, json={"reason": "Thiếu chữ ký."})
    assert done.status_code == 200, done.text
    assert done.json()["receipt"]["status"] == "returned"
    assert done.json()["receipt"]["return_reason"] == "Thiếu chữ ký."
    again = portal.client.post(url, headers=officer, json={"reason": "lần nữa"})
    assert again.status_code == 409 and "đã được trả lại trước đó" in again.json()["message"]
    missing = portal.client.post(
        "/api/v1/submissions/BN-0/return", headers=officer, json={"reason": "x"}
    )
    assert missing.status_code == 404
    audit = portal.store.audit_log(PLAN, PERIOD)
    # the return, then its notice (no mail server here: not sent, on the record)
    assert list(audit["action"].iloc[-2:]) == ["return", "notify"]
    assert set(audit["actor"].iloc[-2:]) == {"can_bo"}
    assert "chưa cấu hình máy chủ thư" in audit["detail"].iloc[-1]
    # the unit sees the return on its own pages
    unit = portal.token("ca_tinh@st")
    seen = portal.client.get(f"/api/v1/submissions/{receipt.id}", headers=unit)
    assert seen.json()["status"] == "returned"
    history = portal.client.get("/don-vi/lich-su", headers=unit)
    assert "Bị trả lại" in history.text and "Thiếu chữ ký." in history.text


def test_the_matrix_shows_each_status_in_colour_and_filters_by_group(portal: Portal) -> None:
    officer = portal.token("can_bo")
    _receive(portal, "CA_TINH", b"one")
    back = _receive(portal, "BP_TINH", b"two")
    portal.client.post(
        f"/api/v1/submissions/{back.id}/return", headers=officer, json={"reason": "Sai kỳ."}
    )
    page = portal.client.get(DESK, headers=officer)
    assert page.status_code == 200
    html = page.text
    assert 'class="desk desk-received" data-status="received">Đã gửi' in html
    assert 'class="desk desk-returned" data-status="returned">Bị trả lại' in html
    assert 'class="desk desk-missing" data-status="missing">Chưa gửi' in html
    assert "Đã gửi: 1" in html and "Bị trả lại: 1" in html
    groups = portal.context.resources.catalog.groups
    local = next(key for key in groups if key != "province_department")
    filtered = portal.client.get(DESK, params={"nhom": local}, headers=officer).text
    assert 'id="dv-CA_TINH"' not in filtered and "Chưa gửi" in filtered
    assert f'<option value="{local}" selected>' in filtered


@pytest.mark.slow  # a real check of the workbook (Great Expectations)
def test_a_submission_shows_its_problems_and_the_annotated_file(
    portal: Portal, tmp_path: Path
) -> None:
    catalog = portal.context.resources.catalog
    made = write_fixture(
        Fixture("BaoCao_am", unit="CA_TINH", edit=set_value("DT01", -3)), tmp_path, catalog
    )
    receipt = _receive(portal, "CA_TINH", made.read_bytes(), made.name)
    officer = portal.token("can_bo")
    page = portal.client.get(f"/van-phong/bien-nhan/{receipt.id}", headers=officer)
    assert page.status_code == 200, page.text
    assert "Chưa có lượt tổng hợp nào xét tệp này" in page.text
    assert "Lỗi" in page.text and "ChiTieu" in page.text
    annotated = portal.client.get(
        f"/van-phong/bien-nhan/{receipt.id}/ban-danh-dau", headers=officer
    )
    assert annotated.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(annotated.content))
    assert "LoiKiemTra" in book.sheetnames
    original = portal.client.get(f"/van-phong/bien-nhan/{receipt.id}/tep-goc", headers=officer)
    assert original.content == made.read_bytes()
    assert portal.client.get("/van-phong/bien-nhan/BN-0", headers=officer).status_code == 404


def test_forms_need_the_csrf_token_and_return_approve_reopen_on_the_record(
    portal: Portal,
) -> None:
    receipt = _receive(portal, "CA_TINH", b"bytes")
    _sign_in(portal, "can_bo")
    page = portal.client.get(f"/van-phong/bien-nhan/{receipt.id}")
    assert page.status_code == 200 and 'id="tra-lai"' in page.text
    url = f"/van-phong/bien-nhan/{receipt.id}/tra-lai"
    refused = portal.client.post(url, data={"reason": "Sai."}, follow_redirects=False)
    assert refused.status_code == 403
    assert get_receipt(portal.context.resources, receipt.id).status == "received"  # type: ignore[union-attr]
    token = csrf_of(page.text)
    empty = portal.client.post(url, data={"reason": " ", "csrf": token})
    assert empty.status_code == 422 and "Cần ghi lý do trả lại báo cáo." in empty.text
    done = portal.client.post(url, data={"reason": "Sai kỳ báo cáo.", "csrf": token})
    assert done.status_code == 200 and "Đã trả lại báo cáo cho đơn vị." in done.text
    assert "Bị trả lại" in done.text and "Sai kỳ báo cáo." in done.text

    # approving needs a run first: the CLI's own refusal, in Vietnamese
    approve = f"{DESK}/phe-duyet"
    early = portal.client.post(approve, data={"csrf": token})
    assert early.status_code == 409 and "chưa được tổng hợp lần nào" in early.text
    portal.store.record_run(RunRecord("r1", PLAN, PERIOD.code, None, datetime.now(tz=UTC), []))
    approved = portal.client.post(approve, data={"csrf": token, "note": "Đủ số liệu."})
    assert approved.status_code == 200 and "Đã phê duyệt và khóa số liệu kỳ." in approved.text
    assert 'id="da-phe-duyet"' in approved.text
    assert portal.store.active_approval(PLAN, PERIOD)["approved_by"] == "can_bo"  # type: ignore[index]
    no_reason = portal.client.post(f"{DESK}/mo-lai", data={"csrf": token, "reason": ""})
    assert no_reason.status_code == 422
    reopened = portal.client.post(f"{DESK}/mo-lai", data={"csrf": token, "reason": "Bản sửa."})
    assert reopened.status_code == 200 and "Đã mở lại kỳ." in reopened.text
    actions = list(portal.store.audit_log(PLAN, PERIOD)["action"])
    assert actions[-4:] == ["return", "notify", "approve", "reopen"]
    actors = set(portal.store.audit_log(PLAN, PERIOD)["actor"].iloc[-3:])
    assert actors == {"can_bo"}

    run = portal.client.post(f"{DESK}/chay-tong-hop", data={"csrf": token})
    assert run.status_code == 503 and "chưa sẵn sàng" in run.text  # no executor in this app


def test_held_files_are_assigned_or_discarded_from_the_desk(portal: Portal) -> None:
    resources = portal.context.resources
    kept = hold(
        resources,
        filename="BaoCao.xlsx",
        content=b"stranger",
        received_at=AT,
        sender="la@example.net",
        reason=HeldReason.UNKNOWN_SENDER,
        message="Người gửi la@example.net không có trong danh sách đơn vị.",
    )
    spam = hold(
        resources,
        filename="QuangCao.xlsx",
        content=b"spam",
        received_at=AT,
        sender="spam@example.net",
        reason=HeldReason.UNKNOWN_SENDER,
        message="Người gửi spam@example.net không có trong danh sách đơn vị.",
    )
    _sign_in(portal, "can_bo")
    page = portal.client.get("/van-phong/tam-giu")
    assert page.status_code == 200 and kept.id in page.text and spam.id in page.text
    token = csrf_of(page.text)
    assigned = portal.client.post(
        f"/van-phong/tam-giu/{kept.id}/giao",
        data={"csrf": token, "unit": "ca_tinh", "plan": PLAN, "period": "2024-07"},
    )
    assert assigned.status_code == 200 and "Đã giao tệp tạm giữ cho đơn vị." in assigned.text
    discarded = portal.client.post(
        f"/van-phong/tam-giu/{spam.id}/huy", data={"csrf": token, "reason": "Thư rác."}
    )
    assert discarded.status_code == 200 and "Không có tệp nào đang tạm giữ." in discarded.text
    again = portal.client.post(
        f"/van-phong/tam-giu/{spam.id}/huy", data={"csrf": token, "reason": "lần nữa"}
    )
    assert again.status_code == 422 and "đã được xử lý" in again.text
    [receipt] = portal.store.receipts(plan_id=PLAN)["receipt_id"]
    assert get_receipt(resources, receipt).sender == "la@example.net"  # type: ignore[union-attr]
    home = portal.client.get("/van-phong")
    assert home.status_code == 200 and f"/van-phong/{PLAN}/" in home.text


def test_the_summary_and_packets_are_downloaded_by_their_listed_names_only(
    portal: Portal,
) -> None:
    layout = portal.context.resources.layout
    summary = layout.summary(PLAN, PERIOD.code)
    summary.parent.mkdir(parents=True, exist_ok=True)
    summary.write_bytes(b"summary workbook")
    packet = layout.packets_dir(PLAN) / "so_ket" / "GoiHoiNghi.zip"
    packet.parent.mkdir(parents=True, exist_ok=True)
    packet.write_bytes(b"zip")
    hidden = layout.packets_dir(PLAN) / ".staging" / "half.zip"
    hidden.parent.mkdir(parents=True, exist_ok=True)
    hidden.write_bytes(b"half")
    officer = portal.token("can_bo")
    page = portal.client.get(DESK, headers=officer).text
    assert summary.name in page and "GoiHoiNghi.zip" in page and "half.zip" not in page
    got = portal.client.get(f"{DESK}/tai-ve/{summary.name}", headers=officer)
    assert got.status_code == 200 and got.content == b"summary workbook"
    assert portal.client.get(f"{DESK}/tai-ve/GoiHoiNghi.zip", headers=officer).content == b"zip"
    for name in ("half.zip", "..%2F..%2Fstore.duckdb", "khong-co.xlsx"):
        assert portal.client.get(f"{DESK}/tai-ve/{name}", headers=officer).status_code == 404
