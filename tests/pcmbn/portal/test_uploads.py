"""The unit's uploads over HTTP, on a warm validator: checks, refusals, submissions, receipts.

One warm app for the module (warming imports Great Expectations: seconds); each test works as
its own unit, so they share the home without seeing each other's files.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hostile_files import zip_bomb
from portal_app import csrf_of, make_portal
from report_fixtures import Fixture, set_value, write_fixture

from pcmbn.catalog import load_catalog
from pcmbn.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow
PLAN = "ST-KH-30-7-2024"


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory):
    home = tmp_path_factory.mktemp("portal-home")
    return make_portal(home, warm=True, home=home)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    catalog = load_catalog(PROJECT_ROOT / "schemas")
    folder = tmp_path_factory.mktemp("files")
    built = {
        "ca_good": Fixture("ca-tinh-tot"),
        "ca_broken": Fixture("ca-tinh-hong", edit=set_value("DT01", period="mười hai")),
        "bp_good": Fixture("bp-tinh-tot", unit="BP_TINH"),
        "vks_good": Fixture("vks-tot", unit="VKS_TINH"),
    }
    return {key: write_fixture(fx, folder, catalog).read_bytes() for key, fx in built.items()}


def _unit(portal, unit: str) -> dict[str, str]:
    username = f"{unit.lower()}@test"
    portal.account(username, unit=unit, plan=PLAN)
    return portal.token(username)


def _post(portal, auth, name: str, content: bytes, **data: str):
    return portal.client.post(
        "/api/v1/submissions", headers=auth, files={"file": (name, content)}, data=data
    )


def test_a_unit_never_sees_another_units_submission(portal, files) -> None:
    ca, bp = _unit(portal, "CA_TINH"), _unit(portal, "BP_TINH")
    sent = _post(portal, ca, "ca-tinh-tot.xlsx", files["ca_good"])
    assert sent.status_code == 201, sent.text
    receipt = sent.json()["receipt"]
    assert receipt["unit_code"] == "CA_TINH" and sent.json()["check"]["status"] == "accepted"
    assert portal.client.get(f"/api/v1/submissions/{receipt['id']}", headers=ca).json() == receipt
    other = portal.client.get(f"/api/v1/submissions/{receipt['id']}", headers=bp)
    assert other.status_code == 404 and other.json()["error"] == "khong_tim_thay"
    again = portal.client.get(f"/api/v1/submissions/{receipt['id']}/feedback", headers=bp)
    assert again.status_code == 404
    assert portal.client.get("/api/v1/submissions/BN-khong-co", headers=bp).status_code == 404


def test_a_file_declaring_another_unit_is_refused_naming_both(portal, files) -> None:
    vks = _unit(portal, "VKS_TINH")
    refused = _post(portal, vks, "bp-tinh-tot.xlsx", files["bp_good"])
    assert refused.status_code == 422 and refused.json()["error"] == "sai_don_vi"
    message = refused.json()["message"]
    assert "BP_TINH" in message and "VKS_TINH" in message
    history = portal.client.get("/api/v1/me", headers=vks)
    assert history.status_code == 200


def test_oversized_and_zip_bomb_uploads_are_refused_fast(portal) -> None:
    auth = _unit(portal, "SO_LDTBXH")
    started = time.monotonic()
    big = _post(portal, auth, "to.xlsx", b"0" * (21 * 1024 * 1024))
    assert big.status_code == 413 and "tối đa" in big.json()["error"]
    assert time.monotonic() - started < 3
    bomb = zip_bomb(200)
    assert len(bomb) < 2 * 1024 * 1024
    started = time.monotonic()
    refused = _post(portal, auth, "bom.xlsx", bomb)
    elapsed = time.monotonic() - started
    assert refused.status_code == 422 and refused.json()["error"] == "con_loi"
    rules = [p["rule"] for p in refused.json()["check"]["problems"]]
    assert rules == ["file.zip_bomb"] and elapsed < 3, elapsed
    wrong_kind = _post(portal, auth, "bao-cao.pdf", b"%PDF-1.4")
    assert wrong_kind.status_code == 415 and "chỉ nhận bảng tính" in wrong_kind.json()["message"]


def test_the_unit_pages_show_errors_by_cell_then_submit_the_corrected_file(portal, files) -> None:
    portal.account("bp_tinh@trang", unit="BP_TINH", plan=PLAN)
    portal.clock.now = datetime(2026, 8, 20, 3, 0, tzinfo=UTC)
    client = portal.client
    client.cookies.clear()
    page = client.get("/dang-nhap")
    client.post(
        "/dang-nhap",
        data={
            "username": "bp_tinh@trang",
            "password": "mat-khau-rat-dai-1",
            "csrf": csrf_of(page.text),
        },
    )
    home = client.get("/don-vi")
    assert home.status_code == 200 and "Bộ Chỉ huy Bộ đội Biên phòng tỉnh" in home.text
    assert "Hạn gửi" in home.text and "Chưa gửi" in home.text
    broken = _fixture_with_error(files)
    without = client.post("/don-vi/tai-len", files={"file": ("hong.xlsx", broken)})
    assert without.status_code == 403  # no CSRF token
    result = client.post(
        "/don-vi/tai-len", files={"file": ("hong.xlsx", broken)}, data={"csrf": csrf_of(home.text)}
    )
    assert result.status_code == 200 and "Kết quả kiểm tra tệp hong.xlsx" in result.text
    assert 'data-sheet="ChiTieu"' in result.text and "DT01 — " in result.text
    assert "Gửi báo cáo</button>" not in result.text
    annotated = client.get(f"{result.url.path}/tep-kiem-tra")
    assert annotated.status_code == 200 and annotated.content[:2] == b"PK"
    good = client.post(
        "/don-vi/tai-len",
        files={"file": ("tot.xlsx", files["bp_good"])},
        data={"csrf": csrf_of(result.text)},
    )
    assert "Hợp lệ" in good.text and "Gửi báo cáo</button>" in good.text
    sha = good.url.path.rsplit("/", 1)[1]
    sent = client.post("/don-vi/gui", data={"sha256": sha, "csrf": csrf_of(good.text)})
    assert sent.status_code == 200 and "Biên nhận báo cáo" in sent.text
    assert sha in sent.text and "20/08/2026 10:00" in sent.text
    download = client.get(f"{sent.url.path}/tai-ve")
    assert "Số biên nhận:" in download.content.decode("utf-8-sig")
    history = client.get("/don-vi/lich-su")
    assert "tot.xlsx" in history.text and "Đã gửi" in history.text
    template = client.get("/don-vi/bieu-mau")
    assert template.status_code == 200 and template.content[:2] == b"PK"
    client.cookies.clear()


def _fixture_with_error(files: dict[str, bytes]) -> bytes:
    """BP_TINH's report with a word in a number cell (built like the others)."""
    catalog = load_catalog(PROJECT_ROOT / "schemas")
    import tempfile

    folder = Path(tempfile.mkdtemp())
    fx = Fixture("bp-hong", unit="BP_TINH", edit=set_value("DT01", period="mười hai"))
    return write_fixture(fx, folder, catalog).read_bytes()


def test_uploads_per_minute_and_one_check_at_a_time(portal, files) -> None:
    auth = _unit(portal, "VKS_TINH")
    limits = portal.client.app.state.limits
    for _ in range(limits.uploads.per_minute):
        limits.uploads.take("VKS_TINH")
    over = _post(portal, auth, "x.xlsx", files["vks_good"])
    assert over.status_code == 429 and "trong một phút" in over.json()["message"]
    assert int(over.headers["retry-after"]) >= 1
    limits.uploads._events.clear()
    with limits.gate.hold("VKS_TINH"):  # a check of this unit is running
        busy = _post(portal, auth, "x.xlsx", files["vks_good"])
    assert busy.status_code == 409 and "đang được kiểm tra" in busy.json()["message"]


def test_received_time_and_sender_come_from_the_session(portal, files) -> None:
    auth = _unit(portal, "CA_TINH")
    portal.clock.now = datetime(2024, 8, 16, 9, 30, tzinfo=UTC)
    sent = _post(portal, auth, "ca-tinh-tot.xlsx", files["ca_good"])
    assert sent.status_code in (200, 201), sent.text
    from pcmbn.submissions import get_receipt

    receipt = get_receipt(portal.context.resources, sent.json()["receipt"]["id"])
    assert receipt is not None and receipt.sender == "ca_tinh@test" and receipt.channel == "portal"
