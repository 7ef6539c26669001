"""The draft conference report (DOCX), from the hand-made packet of `conftest.py`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import docx
import pytest
from docx.enum.text import WD_COLOR_INDEX
from docx.oxml.ns import qn

from pcmbn.packet.charts import write_charts
from pcmbn.packet.model import PacketData
from pcmbn.packet.phrases import change_phrase, vi_number, vi_percent
from pcmbn.packet.report import (
    APPENDIX,
    SECTIONS,
    TOTALS_HEADERS,
    write_report,
)
from pcmbn.periods import Period

MakePacket = Callable[..., PacketData]


def _write(data: PacketData, folder: Path, charts: bool = True) -> tuple[Path, dict[str, str]]:
    pngs = write_charts(data, folder / "charts") if charts else []
    path = folder / "BaoCao_so_ket.docx"
    return path, write_report(data, pngs, path)


def _text(element: object) -> str:
    return "".join(t.text or "" for t in element.iter(qn("w:t")))  # type: ignore[attr-defined]


def _texts(path: Path) -> list[str]:
    return [p.text for p in docx.Document(str(path)).paragraphs]


@pytest.fixture
def report(make_packet: MakePacket, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    return _write(make_packet(), tmp_path)


def test_sections_come_in_order_after_the_heading_and_title(report: tuple[Path, dict]) -> None:
    texts = _texts(report[0])
    positions = [texts.index(title) for title in SECTIONS]
    assert positions == sorted(positions)
    assert texts.index("BÁO CÁO") < positions[0]
    assert "DỰ THẢO" in texts
    assert any(t.startswith("Căn cứ Kế hoạch số 13/KH-BCĐUBND") for t in texts)
    heading = docx.Document(str(report[0])).tables[0].rows[0].cells
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in heading[1].text
    assert "Sóc Trăng, ngày ... tháng ... năm 2024" in heading[1].text
    # Nghị định 30/2020: the governing body above the issuing Steering Committee, its own series.
    lines = heading[0].text.split("\n")
    assert lines[0] == "UBND TỈNH SÓC TRĂNG"
    assert lines[1].startswith("BAN CHỈ ĐẠO PHÒNG, CHỐNG TỘI PHẠM")
    assert lines[-1] == "Số: ....../BC-BCĐ"


def test_appendix_holds_the_four_tables(report: tuple[Path, dict]) -> None:
    document = docx.Document(str(report[0]))
    body = list(document.element.body.iterchildren())
    start = next(i for i, e in enumerate(body) if e.tag == qn("w:p") and _text(e) == APPENDIX)
    # Issue 17: the units' own texts moved from the body to a fourth table (Biểu 4).
    assert sum(e.tag == qn("w:tbl") for e in body[start:]) == 4
    totals, monthly, completeness, _texts_table = document.tables[-4:]
    assert tuple(c.text for c in totals.rows[0].cells) == TOTALS_HEADERS
    assert [c.text for c in monthly.rows[0].cells] == [
        "Chỉ tiêu",
        "Đơn vị tính",
        "T7/2024",
        "T8/2024",
        "T9/2024",
        "Cộng",
    ]
    # The status headers are the catalog's completeness labels (schemas/labels.yaml).
    assert tuple(c.text for c in completeness.rows[0].cells) == (
        "Đơn vị",
        "Số báo cáo phải gửi",
        "Đúng hạn",
        "Muộn",
        "Bị từ chối",
        "Chưa gửi",
    )
    dt01 = next(row for row in totals.rows if "Số vụ mua bán người" in row.cells[1].text)
    assert [c.text for c in dt01.cells[3:]] == ["12.500", "10.000", "12.500"]
    dt01_months = next(row for row in monthly.rows if "Số vụ mua bán" in row.cells[0].text)
    assert [c.text for c in dt01_months.cells[2:]] == ["5.000", "—", "7.500", "12.500"]
    assert [c.text for c in completeness.rows[-1].cells] == ["Tổng cộng", "6", "3", "1", "1", "1"]


def test_figures_are_written_the_vietnamese_way_and_traced(report: tuple[Path, dict]) -> None:
    path, numbers = report
    texts = _texts(path)
    dt01 = next(t for t in texts if t.startswith("- Số vụ mua bán người được phát hiện:"))
    assert "12.500 vụ" in dt01
    assert "tăng 2.500 vụ (25,0%) so với kỳ trước" in dt01
    assert "bằng cùng kỳ năm trước" in dt01
    # issue 12.17: money always with two decimals ("2,50", never "2,5" or "2.5")
    assert any("Kinh phí được cấp trong kỳ: 2,50 triệu đồng" in t for t in texts)
    assert "tong/DT01" in numbers.values()
    assert numbers["I.2/DT01"] == "tong/DT01"
    assert numbers["I.2/DT01/truoc"] == "truoc/DT01"
    assert numbers["I.2/cao_diem/DT01"] == "cao_diem/cao_diem/DT01"
    assert numbers["PL2/2024-07/DT01"] == "thang/2024-07/DT01"
    assert "PL2/2024-08/DT01" not in numbers  # a gap writes no number, so traces none
    assert "I.2/DT02/truoc" not in numbers  # NaN previous: no comparison written


def test_campaign_paragraph_and_no_data_notes(report: tuple[Path, dict]) -> None:
    texts = _texts(report[0])
    campaign = next(t for t in texts if t.startswith("Trong đợt cao điểm"))
    assert "từ tháng 7/2024 đến tháng 9/2024" in campaign
    assert "số vụ mua bán người được phát hiện 12.500 vụ" in campaign
    assert any(t.startswith("Chưa có số liệu:") and "số vụ án" in t for t in texts)


def test_placeholders_are_highlighted_for_the_officer(report: tuple[Path, dict]) -> None:
    document = docx.Document(str(report[0]))
    marked = [p for p in document.paragraphs if p.text.startswith("[Cán bộ tổng hợp viết:")]
    assert len(marked) >= 4
    for paragraph in marked:
        assert paragraph.text.endswith("]")
        assert all(r.font.highlight_color == WD_COLOR_INDEX.YELLOW for r in paragraph.runs)
        assert all(r.italic for r in paragraph.runs)
    texts = [p.text for p in document.paragraphs]
    for section in SECTIONS[1:]:
        after = texts[texts.index(section) + 1 :]
        assert any(t.startswith("[Cán bộ tổng hợp viết:") for t in after)


def test_missing_and_unapproved_notices_only_when_set(
    make_packet: MakePacket, tmp_path: Path
) -> None:
    plain, _ = _write(make_packet(), tmp_path / "a", charts=False)
    assert not any(t.startswith("Số liệu chưa đầy đủ") for t in _texts(plain))
    assert not any("chưa được phê duyệt" in t for t in _texts(plain))
    data = make_packet(
        missing_periods=[Period.month(2024, 8)],
        unapproved_periods=[Period.month(2024, 8), Period.month(2024, 9)],
    )
    partial, _ = _write(data, tmp_path / "b", charts=False)
    texts = _texts(partial)
    assert "Số liệu chưa đầy đủ: chưa có báo cáo của tháng 8/2024." in texts
    assert "Số liệu các tháng 8/2024, 9/2024 chưa được phê duyệt." in texts
    missing = texts.index("Số liệu chưa đầy đủ: chưa có báo cáo của tháng 8/2024.")
    notice = docx.Document(str(partial)).paragraphs[missing]
    assert all(r.italic for r in notice.runs)
    assert all(r.font.color.rgb is not None for r in notice.runs)


def test_unit_text_is_kept_as_plain_text_and_cleaned(report: tuple[Path, dict]) -> None:
    path = report[0]
    texts = _texts(path)
    assert "- Công an tỉnh: =SUM(A1)." in texts
    # Issue 17: the body lists each point once with who raised it; Biểu 4 holds the unit texts.
    assert "- Địa bàn rộng, lực lượng mỏng (Công an tỉnh)." in texts
    assert any("+84 đầu số tổng đài 111" in t for t in texts)
    assert not any("\x07" in t for t in texts)
    unit_rows = docx.Document(str(path)).tables[-1].rows
    assert [c.text for c in unit_rows[1].cells] == [
        "1",
        "Công an tỉnh",
        "Sở, ban, ngành tỉnh",
        "Địa bàn rộng, lực lượng mỏng.",
        "—",
    ]
    assert any(t.startswith("- Nhiệm vụ 3 (") and "Biên phòng tỉnh" in t for t in texts)
    body = docx.Document(str(path)).element.xml
    assert "instrText" not in body and "fldSimple" not in body  # no fields anywhere


def test_charts_are_embedded(report: tuple[Path, dict]) -> None:
    document = docx.Document(str(report[0]))
    assert len(document.inline_shapes) == 3
    assert any(p.text.startswith("Biểu đồ 1:") for p in document.paragraphs)


def test_same_data_gives_the_same_bytes(make_packet: MakePacket, tmp_path: Path) -> None:
    first, numbers_a = _write(make_packet(), tmp_path / "a")
    second, numbers_b = _write(make_packet(), tmp_path / "b")
    assert first.read_bytes() == second.read_bytes()
    assert numbers_a == numbers_b
    assert not list(first.parent.glob(".*.part"))
    core = docx.Document(str(first)).core_properties
    assert core.author == "PCMBN" and core.revision == 1
    assert core.created.replace(tzinfo=None).isoformat() == "2024-09-17T02:30:00"


def test_page_is_a4_in_times_new_roman(report: tuple[Path, dict]) -> None:
    document = docx.Document(str(report[0]))
    section = document.sections[0]
    assert round(section.page_width.cm, 1) == 21.0 and round(section.left_margin.cm, 1) == 3.0
    normal = document.styles["Normal"]
    assert normal.font.name == "Times New Roman" and normal.font.size.pt == 13
    fonts = normal.element.rPr.rFonts
    assert fonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == (
        "Times New Roman"
    )


def test_number_formats() -> None:
    assert vi_number(12500) == "12.500"
    assert vi_number(2.5) == "2,5"
    assert vi_percent(0.25) == "25,0%"
    assert vi_percent(-0.125) == "12,5%"
    assert change_phrase(15, 12, 0.25, "vụ", "cùng kỳ năm trước") == (
        "tăng 3 vụ (25,0%) so với cùng kỳ năm trước"
    )
    assert change_phrase(5, 0, float("nan"), "vụ", "kỳ trước") == "tăng 5 vụ so với kỳ trước"
    assert change_phrase(5, 5, 0.0, "vụ", "kỳ trước") == "bằng kỳ trước"


def test_nd30_form_recipient_signature_and_page_numbers(report: tuple[Path, dict]) -> None:
    """Issue 17: "Kính gửi", Nơi nhận starting "Như trên", authority and signer, PAGE from p. 2."""
    document = docx.Document(str(report[0]))
    texts = [p.text for p in document.paragraphs]
    assert "Kính gửi:" in texts
    assert "- Ban Chỉ đạo 138/CP;" in texts and "- Ủy ban nhân dân tỉnh." in texts
    title = texts[texts.index("BÁO CÁO") + 1]
    assert title.startswith("Sơ kết đợt cao điểm")
    assert title.count("Kế hoạch") == 1 and "Kế hoạch hưởng ứng Ngày toàn dân" in title
    signature = document.tables[-5]
    received, signer = (cell.text.split("\n") for cell in signature.rows[0].cells)
    assert received[:2] == ["Nơi nhận:", "- Như trên;"] and received[-1] == "- Lưu: VT."
    assert signer[:3] == ["TM. BAN CHỈ ĐẠO", "KT. TRƯỞNG BAN", "PHÓ TRƯỞNG BAN THƯỜNG TRỰC"]
    assert signer[-1] == "[Họ và tên người ký]"
    assert signature.rows[0]._tr.trPr.find(qn("w:cantSplit")) is not None
    body = document.element.body
    before = body.index(signature._tbl) - 1
    assert body[before].find(".//" + qn("w:keepNext")) is not None
    section = document.sections[0]
    assert section.different_first_page_header_footer
    assert "PAGE" in section.header._element.xml and "PAGE" not in (
        section.first_page_header._element.xml
    )
    assert not document.sections[-1].different_first_page_header_footer


def test_synthesis_points_are_grouped_and_highlights_state_their_rule(
    make_packet: MakePacket, tmp_path: Path
) -> None:
    import pandas as pd

    from pcmbn.packet.model import NARRATIVES_COLUMNS

    same = "Kinh phí còn hạn chế. Địa bàn rộng."
    rows = [
        ("difficulties", "UBND địa phương", f"X{i}", f"UBND xã {i}", "T7/2024", same)
        for i in range(4)
    ]
    rows.append(("difficulties", "Sở, ban, ngành tỉnh", "CA", "Công an tỉnh", "T8/2024", same))
    data = make_packet(narratives=pd.DataFrame(rows, columns=NARRATIVES_COLUMNS))
    path, _ = _write(data, tmp_path, charts=False)
    texts = _texts(path)
    points = [t for t in texts if t.startswith("- Kinh phí còn hạn chế")]
    assert points == [
        "- Kinh phí còn hạn chế (5 đơn vị thuộc nhóm UBND địa phương; Sở, ban, ngành tỉnh)."
    ]
    assert any(t.startswith("Các đơn vị nêu 2 nội dung khó khăn, vướng mắc") for t in texts)
    assert any(t.startswith("Một số kết quả của các đơn vị (chọn tối đa 3 đơn vị") for t in texts)
    assert not any("(T7/2024" in t for t in texts)  # no month tags in the body
