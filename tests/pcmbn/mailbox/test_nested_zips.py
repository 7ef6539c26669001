"""A zip inside the zip a unit attached (one level) is opened through the guard like the outer
one, under the limits of the whole attachment; deeper archives get the polite answer of a file
that is not a report workbook."""

from __future__ import annotations

import io
import os
import zipfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from pcmbn.mailbox.collect import NESTED_ZIP_LEVELS, _candidates
from pcmbn.mailbox.message import Attachment, MailItem
from pcmbn.mailbox.replies import compose_answer
from pcmbn.reading.guard import Limits, Refused, ZipContents, unpack_zip
from pcmbn.resources import Resources
from pcmbn.settings import Settings

MIB = 1024 * 1024


def _zip(entries: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _file(tmp_path: Path, data: bytes, name: str = "tep.zip") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_a_zip_of_zips_is_opened_one_level_deep(tmp_path: Path) -> None:
    deepest = _zip({"BaoCao SoTP.xlsx": b"PK-three"})
    inner = _zip({"BaoCao BP.xlsx": b"PK-two", "ghi.txt": b"x", "sau.zip": deepest})
    outer = _zip({"BaoCao CA.xlsx": b"PK-one", "thang7/don-vi.zip": inner})
    path = _file(tmp_path, outer)
    found = unpack_zip(path, nested=1)
    assert isinstance(found, ZipContents)
    assert found.workbooks == [("BaoCao CA.xlsx", b"PK-one"), ("BaoCao BP.xlsx", b"PK-two")]
    assert found.others == ["ghi.txt", "sau.zip"]  # the zip two levels down is not opened
    # without `nested` (the default) an inner archive stays unopened, as before
    assert unpack_zip(path) == ZipContents([("BaoCao CA.xlsx", b"PK-one")], ["don-vi.zip"])


def test_the_size_and_entry_limits_hold_for_the_whole_attachment(tmp_path: Path) -> None:
    part = _zip({"BaoCao.xlsx": os.urandom(MIB)})  # 1 MiB of report in a 1 MiB zip
    outer = _file(tmp_path, _zip({"a.zip": part, "b.zip": _zip({"c.xlsx": os.urandom(MIB)})}))
    one = _file(tmp_path, _zip({"a.zip": part}), "mot.zip")
    tight = Limits(max_uncompressed_bytes=3 * MIB)
    assert isinstance(unpack_zip(one, tight, nested=1), ZipContents)  # 2 MiB inflated in all
    assert isinstance(
        unpack_zip(outer, Limits(max_uncompressed_bytes=5 * MIB), nested=1), ZipContents
    )
    refused = unpack_zip(outer, tight, nested=1)  # 2 inner zips + 2 workbooks: 4 MiB in all
    assert isinstance(refused, Refused) and refused.rule == "file.zip_bomb"
    assert "vượt giới hạn" in refused.params["detail"]

    many = _file(tmp_path, _zip({f"z{n}.zip": _zip({f"{n}.xlsx": b"PK"}) for n in range(4)}))
    assert isinstance(unpack_zip(many, Limits(max_zip_entries=8), nested=1), ZipContents)
    counted = unpack_zip(many, Limits(max_zip_entries=7), nested=1)  # 4 outer + 4 inner entries
    assert isinstance(counted, Refused) and counted.rule == "file.zip_bomb"
    assert counted.params["detail"] == "8 mục nén vượt giới hạn 7"

    oversized = _file(tmp_path, _zip({"to.zip": _zip({"x.xlsx": os.urandom(MIB)})}), "to.zip")
    too_large = unpack_zip(oversized, Limits(max_bytes=MIB // 2), nested=1)
    assert isinstance(too_large, Refused) and too_large.rule == "file.too_large"


def test_an_inner_entrys_ratio_is_compounded_with_its_archives(tmp_path: Path) -> None:
    """Each ratio alone is within the limit; bytes out per byte sent are not."""
    half = os.urandom(MIB) + bytes(3 * MIB)  # deflates about 4:1
    inner = _zip({"BaoCao.xlsx": half})
    padded = io.BytesIO()
    with zipfile.ZipFile(padded, "w") as archive:
        archive.writestr("BaoCao.xlsx", half, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("dem.txt", bytes(3 * MIB), compress_type=zipfile.ZIP_STORED)
    outer = _zip({"don-vi.zip": padded.getvalue()})
    outer_info = zipfile.ZipFile(io.BytesIO(outer)).infolist()[0]
    inner_info = zipfile.ZipFile(padded).getinfo("BaoCao.xlsx")
    r_outer = outer_info.file_size / outer_info.compress_size
    r_inner = inner_info.file_size / inner_info.compress_size
    limit = (max(r_outer, r_inner) + r_outer * r_inner) / 2
    assert max(r_outer, r_inner) < limit < r_outer * r_inner
    path = _file(tmp_path, outer)
    refused = unpack_zip(path, Limits(max_ratio=limit), nested=1)
    assert isinstance(refused, Refused) and refused.rule == "file.zip_bomb"
    assert "tỉ lệ nén" in refused.params["detail"]
    assert isinstance(unpack_zip(path, nested=1), ZipContents)  # the default limits: accepted
    assert isinstance(
        unpack_zip(_file(tmp_path, inner, "mot.zip"), Limits(max_ratio=limit)), ZipContents
    )


def test_the_mail_intake_opens_one_level_and_answers_deeper_politely(tmp_path: Path) -> None:
    assert NESTED_ZIP_LEVELS == 1
    resources = Resources(Settings(home=tmp_path / "home"))
    inner = _zip({"BaoCao_BP.xlsx": b"PK-bp"})
    attachments = (Attachment("BaoCao.zip", _zip({"don-vi.zip": inner}), "application/zip"),)
    candidates, refused = _candidates(resources, attachments, Limits())
    assert [(c.filename, c.content) for c in candidates] == [("BaoCao_BP.xlsx", b"PK-bp")]
    assert refused == []

    deep = _zip({"cap2.zip": _zip({"cap3.zip": inner})})
    candidates, refused = _candidates(
        resources, (Attachment("BaoCao.zip", deep, "application/zip"),), Limits()
    )
    assert candidates == []
    assert [(r.filename, r.note) for r in refused] == [
        ("BaoCao.zip", "Tệp “cap3.zip” trong tệp nén không phải bảng tính báo cáo.")
    ]
    item = MailItem(
        uid="1",
        message_id="<m1@soc-trang.example.org>",
        sender="bp.tinh@soc-trang.example.org",
        sender_name="Văn thư BP",
        subject="Báo cáo tháng 7",
        received_at=datetime(2024, 8, 5, 9, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")),
        attachments=(),
    )
    answer = compose_answer(item, "Bộ Chỉ huy Bộ đội Biên phòng tỉnh", refused)
    assert "Thư không kèm báo cáo nào hệ thống tiếp nhận được:" in answer.body
    assert "- Tệp “BaoCao.zip”: Tệp “cap3.zip” trong tệp nén không phải bảng tính báo cáo." in (
        answer.body
    )
    assert "có thể gom nhiều tệp trong một tệp nén .zip" in answer.body
