"""Issue 14 acceptance in a real headless Chromium (the system's, through chromedriver).

A unit signs in, changes its one-time password, uploads a broken workbook, sees the error on the
right cell, downloads the annotated copy, uploads the corrected one, submits and sees the
receipt; the officer sees the unit "Đã gửi" on the desk and returns another unit's submission
with a reason, which that unit then sees. Each step's screenshot is saved (see `browser.Shots`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from browser import LiveServer, Shots, chromium, wait_for_download
from portal_app import make_portal
from report_fixtures import Fixture, set_value, write_fixture

from pcmbn.catalog import load_catalog
from pcmbn.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow
PLAN = "ST-KH-30-7-2024"
BROKEN = "mười hai"


def _cell_holding(path: Path, value: str) -> tuple[str, str]:
    """(sheet, cell) of the cell whose value is `value` (the error the page must point at)."""
    from openpyxl import load_workbook

    wb = load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.value == value:
                    return ws.title, cell.coordinate
    raise AssertionError(f"{value!r} not in {path}")


def _click_and_wait(driver, element_id: str, path_part: str) -> None:
    """Click a submit button and wait for the page whose URL contains `path_part` (a click
    returns before the form's answer has loaded on a busy machine)."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    old = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.ID, element_id).click()
    wait = WebDriverWait(driver, 60)

    def replaced(_driver: object) -> bool:
        # Chromium answers "stale element" or, mid-navigation, "node does not belong to the
        # document": either way the old page is gone.
        try:
            old.is_enabled()
        except WebDriverException:
            return True
        return False

    wait.until(replaced)
    wait.until(expected_conditions.url_contains(path_part))
    wait.until(lambda d: d.execute_script("return document.readyState") == "complete")


def _sign_in(driver, url: str, username: str, password: str, lands_on: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{url}/dang-nhap")
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(password)
    _click_and_wait(driver, "dang-nhap", lands_on)


def test_a_unit_submits_in_the_browser_and_the_officer_returns_another(tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    home = tmp_path / "home"
    portal = make_portal(tmp_path, warm=True, home=home)
    portal.clock.now = datetime(2024, 7, 16, 2, 0, tzinfo=UTC)
    catalog = load_catalog(PROJECT_ROOT / "schemas")
    made = tmp_path / "made"
    made.mkdir()
    broken = write_fixture(
        Fixture("BaoCao_BP_TINH_hong", unit="BP_TINH", edit=set_value("DT01", period=BROKEN)),
        made,
        catalog,
    )
    corrected = write_fixture(Fixture("BaoCao_BP_TINH", unit="BP_TINH"), made, catalog)
    other = write_fixture(Fixture("BaoCao_CA_TINH"), made, catalog)
    sheet, cell = _cell_holding(broken, BROKEN)

    # the accounts: BP_TINH's one-time password, CA_TINH (already sent a file), an officer
    portal.account(
        "bp_tinh@st", unit="BP_TINH", plan=PLAN, password="mot-lan-2345678", must_change=True
    )
    portal.account("ca_tinh@st", unit="CA_TINH", plan=PLAN)
    portal.account("can-bo", role="officer", unit=None, plan=None)
    ca = portal.token("ca_tinh@st")
    sent = portal.client.post(
        "/api/v1/submissions", headers=ca, files={"file": (other.name, other.read_bytes())}
    )
    assert sent.status_code == 201, sent.text
    ca_receipt = sent.json()["receipt"]["id"]

    downloads = tmp_path / "downloads"
    downloads.mkdir()
    shots = Shots("portal_browser")
    with LiveServer(portal.client.app) as server, chromium(downloads) as driver:
        driver.execute_cdp_cmd(
            "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
        )
        url = server.url
        _sign_in(driver, url, "bp_tinh@st", "mot-lan-2345678", "/doi-mat-khau")
        shots.take(driver, "doi-mat-khau")
        driver.find_element(By.ID, "old").send_keys("mot-lan-2345678")
        driver.find_element(By.ID, "new").send_keys("mat-khau-moi-cua-bp")
        driver.find_element(By.ID, "confirm").send_keys("mat-khau-moi-cua-bp")
        _click_and_wait(driver, "doi-mat-khau", "/don-vi")
        assert "Đã đổi mật khẩu." in driver.page_source
        assert "Bộ Chỉ huy Bộ đội Biên phòng tỉnh" in driver.page_source
        shots.take(driver, "trang-don-vi")

        driver.find_element(By.ID, "file").send_keys(str(broken))
        _click_and_wait(driver, "tai-len", "/don-vi/ket-qua/")
        assert "Bị từ chối" in driver.find_element(By.ID, "ket-qua").text
        row = driver.find_element(
            By.CSS_SELECTOR, f'tr.problem.error[data-sheet="{sheet}"][data-cell="{cell}"]'
        )
        assert "DT01" in row.text and cell in row.text
        assert not driver.find_elements(By.ID, "gui-bao-cao")  # a rejected file cannot be sent
        shots.take(driver, "loi-dung-o")
        driver.find_element(By.ID, "tep-kiem-tra").click()
        annotated = wait_for_download(downloads, ".xlsx")
        assert annotated.read_bytes()[:2] == b"PK"

        driver.find_element(By.ID, "file").send_keys(str(corrected))
        _click_and_wait(driver, "tai-len", "/don-vi/ket-qua/")
        assert "Hợp lệ" in driver.find_element(By.ID, "ket-qua").text
        shots.take(driver, "tep-hop-le")
        _click_and_wait(driver, "gui-bao-cao", "/don-vi/bien-nhan/")
        number = driver.find_element(By.ID, "so-bien-nhan").text
        assert number.startswith("BN-")
        assert driver.find_element(By.ID, "thoi-diem").text == "16/07/2024 09:00"
        assert len(driver.find_element(By.ID, "sha256").text) == 64
        shots.take(driver, "bien-nhan")
        _click_and_wait(driver, "dang-xuat", "/dang-nhap")

        _sign_in(driver, url, "can-bo", "mat-khau-rat-dai-1", "/van-phong")
        driver.get(f"{url}/van-phong/{PLAN}/2024-07")
        status = driver.find_element(By.CSS_SELECTOR, "#dv-BP_TINH td[data-status]")
        assert status.get_attribute("data-status") == "received" and status.text == "Đã gửi"
        shots.take(driver, "van-phong-da-gui")
        driver.get(f"{url}/van-phong/bien-nhan/{ca_receipt}")
        driver.find_element(By.ID, "ly-do").send_keys("Số liệu DT01 chưa khớp với sổ theo dõi.")
        _click_and_wait(driver, "tra-lai", "/van-phong")
        shots.take(driver, "van-phong-tra-lai")
        driver.get(f"{url}/van-phong/{PLAN}/2024-07")
        returned = driver.find_element(By.CSS_SELECTOR, "#dv-CA_TINH td[data-status]")
        assert returned.get_attribute("data-status") == "returned"
        _click_and_wait(driver, "dang-xuat", "/dang-nhap")

        _sign_in(driver, url, "ca_tinh@st", "mat-khau-rat-dai-1", "/don-vi")
        driver.get(f"{url}/don-vi/lich-su")
        history = driver.find_element(By.ID, "lich-su").text
        assert "Bị trả lại" in history and "Số liệu DT01 chưa khớp với sổ theo dõi." in history
        shots.take(driver, "don-vi-bi-tra-lai")
    assert len(list(shots.folder.glob("*.png"))) == shots.count == 8
