"""The guard on tiny fixtures built here, one quirk each; assertions on rule ids and params."""

from __future__ import annotations

import io
import string
import struct
import tracemalloc
import zipfile
from functools import cache
from pathlib import Path

import pytest
import xlwt
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from msoffcrypto.format.ooxml import OOXMLFile
from openpyxl import Workbook

from pcmbn.reading.guard import (
    ACCEPTED_EXTENSIONS,
    Admitted,
    Limits,
    Refused,
    WorkbookFormat,
    inspect_file,
)
from pcmbn.settings import PROJECT_ROOT

MIB = 1024 * 1024
MARKER = "QUIRK_MARKER_" * 40  # long and unique: easy to find verbatim in a level-0 deflate stream
ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"
MANIFEST_NS = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
XLSX_TYPES = (
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>'
)


# --- helpers -------------------------------------------------------------------------------------


@cache
def rules() -> dict:
    return yaml.safe_load((PROJECT_ROOT / "schemas" / "rules.yaml").read_text(encoding="utf-8"))


def refused(result: Admitted | Refused, rule: str) -> Refused:
    """Assert a refusal by `rule` whose params fill exactly that rule's Vietnamese template."""
    assert isinstance(result, Refused), result
    assert result.rule == rule, result
    template = rules()[result.rule]["message"]
    fields = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    assert set(result.params) == fields, (result.params, template)
    rendered = template.format(**result.params)
    assert "{" not in rendered and "}" not in rendered
    assert all(isinstance(value, str) and value for value in result.params.values())
    assert result.detail
    return result


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def xlsx_bytes() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "SoLieu"
    ws.append(["Mã", "Chỉ tiêu", "Kỳ này"])
    ws.append(["VD01", MARKER, 3])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def xls_bytes() -> bytes:
    wb = xlwt.Workbook()
    ws = wb.add_sheet("SoLieu")
    ws.write(0, 0, "Mã")
    ws.write(1, 0, 3)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def rezip(data: bytes, edits: dict[str, bytes], compresslevel: int | None = None) -> bytes:
    """Copy a zip, replacing (or adding) the named entries."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as dst,
    ):
        for info in src.infolist():
            dst.writestr(info.filename, edits.pop(info.filename, src.read(info.filename)))
        for name, content in edits.items():
            dst.writestr(name, content)
    return out.getvalue()


def ods_bytes(manifest_extra: str = "") -> bytes:
    manifest = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<manifest:manifest xmlns:manifest="{MANIFEST_NS}"'
        ' manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="'
        + ODS_MIME.decode()
        + '"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml">'
        + manifest_extra
        + "</manifest:file-entry></manifest:manifest>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("mimetype", ODS_MIME, compress_type=zipfile.ZIP_STORED)
        zf.writestr(
            "content.xml",
            '<?xml version="1.0"?><office:document-content '
            'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"/>',
            compress_type=zipfile.ZIP_DEFLATED,
        )
        zf.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def zeros_zip(path: Path, size: int) -> Path:
    """An xlsx-looking zip whose sheet is `size` bytes of zeros, streamed (never held whole)."""
    chunk = bytes(MIB)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("[Content_Types].xml", XLSX_TYPES)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as entry:
            for _ in range(size // MIB):
                entry.write(chunk)
    return path


def patch_sizes(data: bytes, usize: int) -> bytes:
    """Overwrite the uncompressed size of a one-entry zip in its local header and central record."""
    patched = bytearray(data)
    struct.pack_into("<I", patched, 22, usize)  # local file header
    central = patched.find(b"PK\x01\x02")
    struct.pack_into("<I", patched, central + 24, usize)
    return bytes(patched)


@pytest.fixture(scope="module")
def bomb_200mb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return zeros_zip(tmp_path_factory.mktemp("bomb") / "bomb.xlsx", 200 * MIB)


# --- workbooks we read ---------------------------------------------------------------------------


def test_ordinary_xlsx(tmp_path):
    assert inspect_file(write(tmp_path, "bao-cao.xlsx", xlsx_bytes())) == Admitted(
        WorkbookFormat.XLSX
    )


def test_extension_case_is_ignored(tmp_path):
    assert inspect_file(write(tmp_path, "BAO-CAO.XLSX", xlsx_bytes())) == Admitted(
        WorkbookFormat.XLSX
    )


def test_xlsm_by_macro_enabled_content_type(tmp_path):
    data = xlsx_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        types = zf.read("[Content_Types].xml")
    types = types.replace(
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    )
    path = write(tmp_path, "bao-cao.xlsm", rezip(data, {"[Content_Types].xml": types}))
    assert inspect_file(path) == Admitted(WorkbookFormat.XLSM)


def test_legacy_xls(tmp_path):
    assert inspect_file(write(tmp_path, "bao-cao.xls", xls_bytes())) == Admitted(WorkbookFormat.XLS)


def test_minimal_ods(tmp_path):
    assert inspect_file(write(tmp_path, "bao-cao.ods", ods_bytes())) == Admitted(WorkbookFormat.ODS)


def test_xls_named_xlsx_is_admitted_as_xls(tmp_path):
    assert inspect_file(write(tmp_path, "bao-cao.xlsx", xls_bytes())) == Admitted(
        WorkbookFormat.XLS
    )


# --- not a workbook, or not a format we take -----------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "detected"),
    [
        ("pdf_renamed.xlsx", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "tệp PDF"),
        ("text_renamed.xlsx", "Báo cáo tháng 11: 3 vụ, 5 nạn nhân.\n".encode(), "văn bản thuần"),
        (
            "html_renamed.xls",
            b"<html><body><table><tr><td>3</td></tr></table></body></html>",
            "trang HTML",
        ),
        ("png_renamed.xlsx", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(20), "ảnh"),
        ("garbage.xls", bytes(range(256)) * 4, "không xác định"),
        (
            "spreadsheetml_2003.xls",
            b'<?xml version="1.0"?>\n'
            b'<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"/>',
            "tệp XML",
        ),
    ],
    ids=lambda value: value.split(".")[0] if isinstance(value, str) and "." in value else "",
)
def test_not_a_workbook(tmp_path, name, data, detected):
    result = refused(inspect_file(write(tmp_path, name, data)), "file.not_workbook")
    assert result.params == {"detected": detected}


@pytest.mark.parametrize(
    ("content_type", "rule", "params"),
    [
        (
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
            "file.not_workbook",
            {"detected": "tệp Word"},
        ),
        (
            "application/vnd.ms-excel.sheet.binary.macroEnabled.main",
            "file.unsupported_format",
            {"extension": ".xlsb"},
        ),
    ],
    ids=["docx_renamed_xlsx", "xlsb_renamed_xlsx"],
)
def test_other_ooxml_package_renamed_xlsx(tmp_path, content_type, rule, params):
    types = (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        f'<Override PartName="/main.xml" ContentType="{content_type}"/></Types>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("[Content_Types].xml", types)
        zf.writestr("main.xml", "<document/>")
    result = refused(inspect_file(write(tmp_path, "a.xlsx", out.getvalue())), rule)
    assert result.params == params


def test_plain_zip_renamed_xlsx(tmp_path):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("anh-chup.jpg", b"\xff\xd8\xff" + bytes(100))
    result = refused(inspect_file(write(tmp_path, "a.xlsx", out.getvalue())), "file.not_workbook")
    assert result.params == {"detected": "tệp nén ZIP không phải bảng tính"}


@pytest.mark.parametrize(
    ("name", "extension"),
    [
        ("bao-cao.xlsb", ".xlsb"),
        ("bao-cao.csv", ".csv"),
        ("bao-cao.txt", ".txt"),
        ("bao-cao.pdf", ".pdf"),
        ("bao-cao", "(không có phần mở rộng)"),
    ],
)
def test_unsupported_extension(tmp_path, name, extension):
    # Content is a perfectly good xlsx: the name alone decides, before anything is read.
    result = refused(inspect_file(write(tmp_path, name, xlsx_bytes())), "file.unsupported_format")
    assert result.params == {"extension": extension}


def test_empty_file(tmp_path):
    refused(inspect_file(write(tmp_path, "trong.xlsx", b"")), "file.empty")


def test_too_large_checked_by_stat_without_opening(tmp_path, monkeypatch):
    path = tmp_path / "lon.xlsx"
    with path.open("wb") as f:
        f.truncate(3 * 1024 * MIB)  # sparse: 3 GB declared, nothing written

    def no_open(*args, **kwargs):
        raise AssertionError("the guard opened a file over the size cap")

    monkeypatch.setattr(Path, "open", no_open)
    result = refused(inspect_file(path), "file.too_large")
    assert result.params == {"size": "3.072 MB", "limit": "20 MB"}


def test_too_large_uses_decimal_comma(tmp_path):
    path = tmp_path / "lon.xlsx"
    with path.open("wb") as f:
        f.truncate(int(25.3 * MIB))
    result = refused(inspect_file(path, Limits(max_bytes=20 * MIB)), "file.too_large")
    assert result.params == {"size": "25,3 MB", "limit": "20 MB"}


# --- damaged ------------------------------------------------------------------------------------


def test_truncated_xlsx(tmp_path):
    data = xlsx_bytes()
    result = refused(
        inspect_file(write(tmp_path, "cut.xlsx", data[: len(data) // 2])), "file.corrupt"
    )
    assert result.params == {"detail": "tệp nén bị cắt cụt"}


def test_flipped_byte_in_deflated_entry_fails_crc(tmp_path):
    # Level 0 deflate stores the text verbatim inside deflate blocks, so one flipped byte keeps the
    # stream valid and the length right: only the CRC can notice.
    data = bytearray(rezip(xlsx_bytes(), {}, compresslevel=0))
    at = data.find(MARKER.encode()) + 5
    assert at > 5
    data[at] ^= 0x20
    result = refused(inspect_file(write(tmp_path, "crc.xlsx", bytes(data))), "file.corrupt")
    assert result.params == {"detail": "sai mã kiểm tra CRC"}


def test_flipped_byte_in_compressed_stream_is_corrupt(tmp_path):
    data = bytearray(xlsx_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        info = zf.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for offset in range(info.compress_size):
        data[start + offset] ^= 0xFF
    refused(inspect_file(write(tmp_path, "broken.xlsx", bytes(data))), "file.corrupt")


def test_garbage_after_ole_magic_is_corrupt(tmp_path):
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 8
    result = refused(inspect_file(write(tmp_path, "rac.xls", data)), "file.corrupt")
    assert result.params == {"detail": "cấu trúc OLE không hợp lệ"}


def test_xls_whose_workbook_stream_lacks_bof(tmp_path):
    data = bytearray(xls_bytes())
    bof = data.find(b"\x09\x08\x10\x00")
    data[bof : bof + 2] = b"\x77\x77"
    result = refused(inspect_file(write(tmp_path, "nobof.xls", bytes(data))), "file.corrupt")
    assert result.params == {"detail": "dữ liệu Workbook không hợp lệ"}


# --- encrypted -----------------------------------------------------------------------------------


def test_encrypted_xlsx(tmp_path):
    out = io.BytesIO()
    OOXMLFile(io.BytesIO(xlsx_bytes())).encrypt("pw", out)
    refused(inspect_file(write(tmp_path, "matkhau.xlsx", out.getvalue())), "file.encrypted")


def test_xls_with_filepass_record(tmp_path):
    # xlwt cannot encrypt; retyping the record after BOF as FILEPASS (same length) is what an
    # encrypted BIFF8 globals substream looks like to the guard.
    data = bytearray(xls_bytes())
    after_bof = data.find(b"\x09\x08\x10\x00") + 4 + 16
    data[after_bof : after_bof + 2] = struct.pack("<H", 0x002F)
    refused(inspect_file(write(tmp_path, "matkhau.xls", bytes(data))), "file.encrypted")


def test_ods_with_encryption_data_in_manifest(tmp_path):
    extra = f'<manifest:encryption-data xmlns:manifest="{MANIFEST_NS}"/>'
    path = write(tmp_path, "matkhau.ods", ods_bytes(manifest_extra=extra))
    refused(inspect_file(path), "file.encrypted")


# --- hostile -------------------------------------------------------------------------------------


def test_zip_bomb_declared_total_over_limit_is_fast_and_small(bomb_200mb):
    tracemalloc.start()
    try:
        result = inspect_file(bomb_200mb, Limits(max_uncompressed_bytes=100 * MIB))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    refused(result, "file.zip_bomb")
    # Refused from the central directory's declared sizes, nothing inflated: hence fast (the
    # time is measured by `make bench`'s hostile phase, never asserted here).
    assert "declared total" in result.detail
    assert peak < 2 * MIB


def test_zip_bomb_ratio_over_limit(bomb_200mb):
    result = inspect_file(bomb_200mb, Limits(max_uncompressed_bytes=1024 * MIB))
    refused(result, "file.zip_bomb")
    assert "ratio" in result.detail


def test_honest_200mb_is_inflated_in_bounded_memory(bomb_200mb):
    # With every ceiling lifted the guard has to stream all 200 MB: memory stays at a few chunks.
    limits = Limits(max_uncompressed_bytes=1024 * MIB, max_ratio=1e9)
    tracemalloc.start()
    try:
        result = inspect_file(bomb_200mb, limits)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result == Admitted(WorkbookFormat.XLSX)
    assert peak < 4 * MIB


def test_one_gigabyte_declared_refused_from_central_directory(tmp_path):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/worksheets/sheet1.xml", bytes(64 * 1024))
    path = write(tmp_path, "1gb.xlsx", patch_sizes(out.getvalue(), 1024 * MIB))
    result = refused(inspect_file(path), "file.zip_bomb")
    assert "declared total" in result.detail  # from the central directory: nothing inflated


def test_central_directory_under_declares_entry_size(tmp_path):
    # The records claim 1 000 bytes; the deflate stream holds 512 KiB. zipfile would quietly stop
    # at 1 000 bytes (and then complain about the CRC); the guard inflates the raw stream itself
    # and sees the lie first, so this is `file.zip_bomb` (a lying size is an attack, not damage).
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", b"A" * 512 * 1024)
    path = write(tmp_path, "lie.xlsx", patch_sizes(out.getvalue(), 1000))
    result = refused(inspect_file(path), "file.zip_bomb")
    assert "inflates beyond" in result.detail


def test_too_many_entries(tmp_path):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        for index in range(1_000):
            zf.writestr(f"xl/p{index}.xml", b"")
    result = refused(inspect_file(write(tmp_path, "nhieu.xlsx", out.getvalue())), "file.zip_bomb")
    assert "1001 entries" in result.detail


def test_end_record_under_declaring_entry_count(tmp_path):
    # The end record claims one entry; the central directory holds 500. Its byte size gives the
    # lie away before zipfile builds an object per entry.
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for index in range(500):
            zf.writestr(f"xl/p{index}.xml", b"")
    data = bytearray(out.getvalue())
    end = data.rfind(b"PK\x05\x06")
    struct.pack_into("<HH", data, end + 8, 1, 1)
    path = write(tmp_path, "lie.xlsx", bytes(data))
    result = refused(inspect_file(path, Limits(max_zip_entries=10)), "file.zip_bomb")
    assert "central dir" in result.detail


BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    ' <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n]>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    "<sheetData><row><c><v>&lol2;</v></c></row></sheetData></worksheet>"
)


@pytest.mark.parametrize(
    "sheet",
    [
        pytest.param(BILLION_LAUGHS.encode(), id="billion_laughs"),
        pytest.param(BILLION_LAUGHS.replace("DOCTYPE", "doctype").encode(), id="lower_case"),
        pytest.param(b" " * (64 * 1024 - 4) + b"<!DOCTYPE x>", id="split_across_chunks"),
        pytest.param(BILLION_LAUGHS.encode("utf-16"), id="utf16"),
    ],
)
def test_dtd_in_sheet_xml(tmp_path, sheet):
    data = rezip(xlsx_bytes(), {"xl/worksheets/sheet1.xml": sheet})
    result = refused(inspect_file(write(tmp_path, "lol.xlsx", data)), "file.zip_bomb")
    assert "DTD" in result.detail


# --- never raises --------------------------------------------------------------------------------

FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FUZZ
@given(data=st.binary(max_size=4096), extension=st.sampled_from(ACCEPTED_EXTENSIONS))
def test_random_bytes_never_raise(tmp_path_factory, data, extension):
    path = tmp_path_factory.getbasetemp() / f"fuzz{extension}"
    path.write_bytes(data)
    assert isinstance(inspect_file(path), Admitted | Refused)


@cache
def seeds() -> tuple[bytes, ...]:
    return xlsx_bytes(), xls_bytes(), ods_bytes()


@FUZZ
@given(
    seed=st.integers(0, 2),
    cut=st.integers(0, 1 << 20),
    flips=st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(1, 255)), max_size=8),
)
def test_damaged_workbooks_never_raise(tmp_path_factory, seed, cut, flips):
    data = bytearray(seeds()[seed])
    for position, mask in flips:
        data[position % len(data)] ^= mask
    path = tmp_path_factory.getbasetemp() / "damaged.xlsx"
    path.write_bytes(bytes(data[: max(cut % (len(data) + 1), 1)]))
    assert isinstance(inspect_file(path), Admitted | Refused)
