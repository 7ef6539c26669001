"""The self-contained Vietnamese validation report that replaced GE's Data Docs (issue 12.20)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from offline import assert_no_outside_address

from pcmbn.catalog import load_catalog
from pcmbn.periods import Period
from pcmbn.validation.checker import CheckResult, FileReport, Problem
from pcmbn.validation.html_report import render_report, rule_wording, write_report
from pcmbn.validation.submission import Submission
from pcmbn.vocabulary import Severity

PLAN = "ST-KH-30-7-2024"
AT = datetime(2024, 7, 18, 0, 5, tzinfo=UTC)  # 07:05 in the office
HOSTILE = '<script src="https://cdn.example/x.js"></script> =HYPERLINK("http://evil.example")'


def _result() -> CheckResult:
    catalog = load_catalog()
    plan = catalog.plan(PLAN)
    unit = catalog.registry(plan).units["CA_TINH"]
    good = Submission(0, Path("BaoCao_BP_TINH.xlsx"), "b" * 64, unit_code="BP_TINH", plan=plan)
    bad = Submission(
        1,
        Path("BaoCao_CA_TINH.xlsx"),
        "a" * 64,
        unit_code="CA_TINH",
        plan=plan,
        unit=unit,
        period=Period.month(2024, 7),
    )
    negative = catalog.rule("value.negative")
    problems = [
        Problem(Severity.ERROR, "ChiTieu", "E19", negative.id, "Giá trị âm ở ô E19."),
        Problem(Severity.WARNING, "ThongTin", "C4", "value.implausible", HOSTILE),
    ]
    return CheckResult([FileReport(good), FileReport(bad, problems)])


def test_report_is_vietnamese_per_rule_per_file_per_cell() -> None:
    html = render_report(_result(), load_catalog(), generated_at=AT, heading="Kế hoạch 30/KH")
    assert html.startswith("<!DOCTYPE html>") and '<html lang="vi">' in html
    assert "Lập lúc 18/07/2024 07:05." in html
    assert "Đã kiểm tra <b>2</b> tệp: <b>1</b> đạt, <b>1</b> bị từ chối" in html
    assert "Theo quy tắc kiểm tra" in html and "Theo từng tệp báo cáo" in html
    wording = rule_wording(load_catalog().rule("value.negative").message)
    assert "{" not in wording and wording in html
    assert "Đơn vị: Công an tỉnh (CA_TINH)" in html
    assert "Kỳ báo cáo: tháng 7/2024" in html or "Kỳ báo cáo: Tháng 7/2024" in html
    assert "<td>ChiTieu</td><td>E19</td><td>Giá trị âm ở ô E19.</td>" in html
    assert "Lỗi" in html and "Cảnh báo" in html and "Không phát hiện vấn đề." in html
    assert "value.negative" not in html and "value.implausible" not in html  # ids: JSON only


def test_report_names_no_outside_address_even_with_hostile_unit_text(tmp_path: Path) -> None:
    html = render_report(_result(), load_catalog(), generated_at=AT)
    assert "<script" not in html and "&lt;script" in html  # unit text is escaped, never markup
    path = write_report(_result(), load_catalog(), tmp_path / "r.html", generated_at=AT)
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]
    hostile_free = path.read_text(encoding="utf-8").replace("https://cdn.example", "")
    hostile_free = hostile_free.replace("http://evil.example", "")
    clean = tmp_path / "clean.html"
    clean.write_text(hostile_free, encoding="utf-8")
    assert_no_outside_address(clean)


def test_same_result_gives_the_same_text() -> None:
    catalog = load_catalog()
    assert render_report(_result(), catalog, generated_at=AT) == render_report(
        _result(), catalog, generated_at=AT
    )


def test_the_scan_catches_what_data_docs_did(tmp_path: Path) -> None:
    """The helper the output tests use fails on a Data Docs-like page (CDN script, font, link)."""
    import pytest

    for page in (
        '<script src="https://cdn.jsdelivr.net/npm/vega@5"></script>',
        '<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Roboto">',
        '<a href="https://greatexpectations.io/newsletter">Newsletter</a>',
        "<style>@import url(fonts.css);</style>",
    ):
        path = tmp_path / "page.html"
        path.write_text(f"<html><head>{page}</head></html>", encoding="utf-8")
        with pytest.raises(AssertionError):
            assert_no_outside_address(path)
