"""Sender → unit, the answer's Vietnamese, the ledger, a zip of reports through the guard,
IMAP folder names."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from pcmbn.catalog import load_catalog
from pcmbn.domain import Unit
from pcmbn.mailbox.imap import utf7_folder
from pcmbn.mailbox.ledger import Entry, Ledger
from pcmbn.mailbox.message import MailItem
from pcmbn.mailbox.replies import FileFate, FileResult, compose_answer, to_mime
from pcmbn.mailbox.senders import find_sender, registry_addresses
from pcmbn.reading.guard import Limits, Refused, ZipContents, unpack_zip
from pcmbn.reminders import SmtpSettings

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def test_a_unit_may_list_several_addresses() -> None:
    unit = Unit(
        code="CA_TINH",
        name="Công an tỉnh",
        kind="CA",
        level="province_department",
        valid_from="2020-01-01",
        email=" VP.CA@x.vn ; ca2@x.vn, vp.ca@x.vn",
    )
    assert unit.addresses == ("vp.ca@x.vn", "ca2@x.vn")


def test_sender_is_matched_in_the_plans_registry() -> None:
    catalog = load_catalog()
    plan = catalog.plan("ST-KH-30-7-2024")
    found = find_sender(catalog, "CA.Tinh@Soc-Trang.example.org", plan)
    assert found is not None and found.unit.code == "CA_TINH"
    # the Nghệ An police's address is no unit of the Sóc Trăng plan
    assert find_sender(catalog, "ca.tinh@nghe-an.example.org", plan) is None
    assert find_sender(catalog, "ai.do@example.net") is None
    assert "ca.tinh@soc-trang.example.org" in registry_addresses(catalog)


def _item(**fields: object) -> MailItem:
    base: dict[str, object] = {
        "uid": "1",
        "message_id": "<m1@don-vi>",
        "sender": "ca.tinh@soc-trang.example.org",
        "sender_name": "Văn thư",
        "subject": "Báo cáo tháng 7",
        "received_at": datetime(2024, 7, 16, 9, 5, tzinfo=TZ),
    }
    base.update(fields)
    return MailItem(**base)  # type: ignore[arg-type]


def test_the_answer_names_receipt_errors_and_attachment(tmp_path: Path) -> None:
    feedback = tmp_path / "CA_TINH_abc_BaoCao_KiemTra.xlsx"
    feedback.write_bytes(b"PK\x03\x04")
    results = [
        FileResult(
            "BaoCao.xlsx",
            FileFate.RECEIVED,
            "BN-202407-000001",
            datetime(2024, 7, 16, 9, 5, tzinfo=TZ),
            accepted=False,
            errors=tuple(f"Trang “ChiTieu”, ô E{n}: lỗi {n}" for n in range(1, 8)),
            feedback=feedback,
        ),
        FileResult("anh.pdf", FileFate.REFUSED, note='Định dạng tệp ".pdf" không được hỗ trợ.'),
    ]
    answer = compose_answer(_item(), "Công an tỉnh", results)
    assert answer.subject == "Biên nhận báo cáo PCMBN BN-202407-000001 – Công an tỉnh"
    assert "số biên nhận BN-202407-000001 lúc 16/07/2024 09:05" in answer.body
    assert "Trang “ChiTieu”, ô E5: lỗi 5" in answer.body and "ô E6" not in answer.body
    assert "… và 2 lỗi khác" in answer.body and "“anh.pdf”: không tiếp nhận được" in answer.body
    assert answer.attachments == (feedback,)
    mime = to_mime(answer, SmtpSettings(host="x", sender="bcd138@tinh.vn"))
    assert mime["In-Reply-To"] == "<m1@don-vi>" and mime["Auto-Submitted"] == "auto-replied"
    assert mime["X-PCMBN-Reply"] == "1"


def test_a_message_with_nothing_usable_gets_one_polite_answer() -> None:
    answer = compose_answer(_item(), "Công an tỉnh", [])
    assert "Thư không kèm tệp báo cáo nào." in answer.body
    assert ".xlsx, .xlsm, .xls, .ods" in answer.body and "20 MB" in answer.body
    assert answer.attachments == ()


def test_the_ledger_survives_a_torn_line(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "mail" / "ledger.jsonl")
    ledger.record(Entry("<m1>", "ab", "BaoCao.xlsx", "received", "BN-1"))
    with ledger.path.open("a", encoding="utf-8") as handle:
        handle.write('{"kind": "answ')  # a crash in the middle of a line
    assert ledger.entries("<m1>")["ab"].ref == "BN-1"
    assert not ledger.answered("<m1>") and not ledger.done("<m1>")
    with ledger.path.open("a", encoding="utf-8") as handle:
        handle.write("\n")
    ledger.record_answer("<m1>", "a@b", True, "ok")
    ledger.record_done("<m1>")
    assert ledger.answered("<m1>") and ledger.done("<m1>") and not ledger.done("<m2>")


def _zip(entries: dict[str, bytes], flags: int = 0) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_a_zip_of_reports_is_unpacked_by_the_guard(tmp_path: Path) -> None:
    path = tmp_path / "tep.zip"
    path.write_bytes(_zip({"thang7/../BaoCao CA.xlsx": b"PK-one", "ghi.txt": b"x", "d/": b""}))
    found = unpack_zip(path)
    assert isinstance(found, ZipContents)
    assert found.workbooks == [("BaoCao CA.xlsx", b"PK-one")] and found.others == ["ghi.txt"]


def test_a_zip_bomb_attachment_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bom.zip"
    path.write_bytes(_zip({"BaoCao.xlsx": b"\0" * (3 * 1024 * 1024)}))
    refused = unpack_zip(path, Limits(max_ratio=10.0))
    assert isinstance(refused, Refused) and refused.rule == "file.zip_bomb"
    broken = tmp_path / "hong.zip"
    broken.write_bytes(b"PK\x03\x04 not really")
    assert isinstance(unpack_zip(broken), Refused)


@pytest.mark.parametrize(
    ("name", "encoded"), [("INBOX", "INBOX"), ("Báo cáo", "B&AOE-o c&AOE-o"), ("A&B", "A&-B")]
)
def test_folder_names_in_modified_utf7(name: str, encoded: str) -> None:
    assert utf7_folder(name) == encoded
