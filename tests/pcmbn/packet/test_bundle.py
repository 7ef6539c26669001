"""The conference packet as files (`pcmbn.packet.bundle`): manifest, README, CSV, zip, atomicity.

The hand-made packet of `conftest.py` gets source cells here (`SOURCE_CELLS`) whose sums are
exactly its figures, so the manifest's chain "number → reference → source cells" can be checked
against the numbers the workbook and the report show.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import zipfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import docx
import openpyxl
import pandas as pd
import pytest

from pcmbn.office import pdf
from pcmbn.office.atomic import PART_SUFFIX
from pcmbn.office.zips import zip_time
from pcmbn.packet import bundle
from pcmbn.packet.bundle import (
    MANIFEST,
    README,
    SOURCES_CSV,
    WORKBOOK,
    PacketFiles,
    packet_name,
    readme_text,
    sources_csv,
    write_packet,
)
from pcmbn.packet.charts import chart_file_name
from pcmbn.packet.model import SOURCES_COLUMNS, PacketData
from pcmbn.packet.summary_page import SUMMARY_PAGE
from pcmbn.periods import Period

from .conftest import build_packet

MakePacket = Callable[..., PacketData]
REPORT = "BaoCao_so_ket.docx"
JUL, AUG, SEP = (Period.month(2024, m) for m in (7, 8, 9))

#: (unit, month, indicator, value): source id = position + 1. Their sums are the conftest figures:
#: DT01 5000 + 7500 = 12500 in the span, 10000 before, 12500 a year ago; NN01 0 before, etc.
SOURCE_CELLS = [
    ("CA_TINH", "2024-07", "DT01", 5000.0),
    ("CA_TINH", "2024-09", "DT01", 7500.0),
    ("CA_TINH", "2024-08", "DT02", 20.0),
    ("SO_TTTT", "2024-07", "NN01", 2.0),
    ("SO_TTTT", "2024-08", "NN01", 3.0),
    ("SO_TTTT", "2024-09", "NN01", 3.0),
    ("SO_TTTT", "2024-08", "NN02", 3.0),
    ("CA_TINH", "2024-07", "TT01", 10.0),
    ("CA_TINH", "2024-08", "TT01", 15.0),
    ("CA_TINH", "2024-09", "TT01", 20.0),
    ("SO_TTTT", "2024-07", "TT02", 2500.0),
    ("SO_TTTT", "2024-08", "TT02", 4000.0),
    ("SO_TTTT", "2024-09", "TT02", 6000.0),
    ("SO_TTTT", "2024-09", "KP01", 2.5),
    ("CA_TINH", "2024-05", "DT01", 10000.0),
    ("SO_TTTT", "2024-05", "NN01", 0.0),
    ("CA_TINH", "2024-06", "TT01", 40.0),
    ("SO_TTTT", "2024-06", "TT02", 9000.0),
    ("CA_TINH", "2023-08", "DT01", 12500.0),
    ("CA_TINH", "2023-08", "DT02", 25.0),
    ("SO_TTTT", "2023-09", "NN01", 6.0),
]
SPAN = {"2024-07", "2024-08", "2024-09"}
PREVIOUS = {"2024-04", "2024-05", "2024-06"}
LAST_YEAR = {"2023-07", "2023-08", "2023-09"}
#: A reference no file shows (the fixture has no per-unit table): the manifest must leave it out.
UNSHOWN_REF = "don_vi/CA_TINH/DT01"


def _sha(unit: str, period: str) -> str:
    """One submitted file per unit and month."""
    return hashlib.sha256(f"{unit}|{period}".encode()).hexdigest()


def _sources(cells: list[tuple[str, str, str, float]]) -> pd.DataFrame:
    rows = []
    for number, (unit, period, code, value) in enumerate(cells, start=1):
        sha = _sha(unit, period)
        rows.append(
            (number, unit, period, code, value, sha, f"BaoCao_{unit}_{period}.xlsx",
             f"archive/{sha[:2]}/{sha}.xlsx", "BieuMau", f"E{10 + number}")
        )  # fmt: skip
    return pd.DataFrame(rows, columns=SOURCES_COLUMNS)


def _refs(cells: list[tuple[str, str, str, float]]) -> dict[str, list[int]]:
    refs: dict[str, list[int]] = {}
    for number, (unit, period, code, _) in enumerate(cells, start=1):
        keys = []
        if period in SPAN:
            keys = [f"tong/{code}", f"thang/{period}/{code}", f"don_vi/{unit}/{code}"]
            if code in ("DT01", "DT02"):
                keys.append(f"cao_diem/cao_diem/{code}")
        elif period in PREVIOUS:
            keys = [f"truoc/{code}"]
        elif period in LAST_YEAR:
            keys = [f"cung_ky/{code}"]
        for key in keys:
            refs.setdefault(key, []).append(number)
    return refs


def traced_packet(
    cells: list[tuple[str, str, str, float]] = SOURCE_CELLS, **overrides: Any
) -> PacketData:
    """The conftest packet with source cells and references behind every figure."""
    fields = {"sources": _sources(cells), "refs": _refs(cells), **overrides}
    return build_packet(**fields)


def _expected(data: PacketData, key: str) -> float:
    """The figure a reference stands for, read from the packet (not from the sources)."""
    table, *rest = key.split("/")
    code = rest[-1]
    row = data.totals[data.totals["code"] == code].iloc[0]
    if table == "tong":
        return data.total(code)
    if table == "truoc":
        return float(row["previous"])
    if table == "cung_ky":
        return float(row["last_year"])
    frame = {"thang": data.by_month, "cao_diem": data.by_campaign}[table]
    match = frame[(frame["key"] == rest[0]) & (frame["code"] == code)]
    return float(match["value"].iloc[0])


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[PacketData, PacketFiles, dict]:
    """The sample packet written once; the read-only tests share it."""
    root = tmp_path_factory.mktemp("packet")
    data = traced_packet()
    files = write_packet(data, root / "packets", str(root / "archive"))
    manifest = json.loads((files.folder / MANIFEST).read_text(encoding="utf-8"))
    return data, files, manifest


# --- the folder and the zip ---------------------------------------------------------------------


def test_the_folder_holds_the_zipped_files_and_nothing_else(built) -> None:
    data, files, manifest = built
    assert files.folder.name == packet_name(data) == "HoiNghi_so_ket_ST-KH-30-7-2024_2024-09"
    assert files.zip_path == files.folder.with_name(files.folder.name + ".zip")
    in_folder = sorted(p.name for p in files.folder.iterdir())
    assert in_folder == sorted([README, MANIFEST, *manifest["contents"]])
    assert {WORKBOOK, REPORT, SOURCES_CSV} <= set(manifest["contents"])
    with zipfile.ZipFile(files.zip_path) as archive:
        names = archive.namelist()
        assert names[:2] == [README, MANIFEST]
        assert sorted(names) == in_folder
        for name in names:
            assert archive.read(name) == (files.folder / name).read_bytes(), name
    leftovers = [p.name for p in files.folder.parent.iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_contents_are_listed_with_their_checksums(built) -> None:
    _, files, manifest = built
    for name, digest in manifest["contents"].items():
        assert hashlib.sha256((files.folder / name).read_bytes()).hexdigest() == digest, name


def test_the_checksum_file_and_the_archive_copy_match_the_zip(built) -> None:
    _, files, _ = built
    payload = files.zip_path.read_bytes()
    digest = hashlib.sha256(payload).hexdigest()
    assert files.sha256 == digest
    sha_file = files.zip_path.with_name(files.zip_path.name + ".sha256")
    assert sha_file.read_text() == f"{digest}  {files.zip_path.name}\n"
    archived = Path(files.archive_url)
    assert archived.name == f"{digest}.zip" and archived.parent.name == digest[:2]
    assert archived.parent.parent.name == "packets"
    assert archived.read_bytes() == payload


def test_zip_entries_carry_the_generation_time_and_fixed_modes(built) -> None:
    data, files, _ = built
    with zipfile.ZipFile(files.zip_path) as archive:
        infos = archive.infolist()
    assert {info.date_time for info in infos} == {zip_time(data.generated_at)}
    assert {info.external_attr >> 16 for info in infos} == {0o644}
    assert {info.compress_type for info in infos} == {zipfile.ZIP_DEFLATED}


def test_rebuilding_the_same_data_gives_the_same_zip(built, tmp_path: Path) -> None:
    _, files, _ = built
    again = write_packet(traced_packet(), tmp_path / "packets", str(tmp_path / "archive"))
    assert again.zip_path.read_bytes() == files.zip_path.read_bytes()
    assert again.sha256 == files.sha256


@pytest.mark.parametrize(
    "later", [timedelta(minutes=1), timedelta(days=1)], ids=["a-minute", "a-day"]
)
def test_a_different_generation_time_gives_a_different_zip(
    built, tmp_path: Path, later: timedelta
) -> None:
    data, files, _ = built
    moved = traced_packet(generated_at=data.generated_at + later)
    again = write_packet(moved, tmp_path / "packets", str(tmp_path / "archive"))
    assert again.zip_path.read_bytes() != files.zip_path.read_bytes()
    assert again.sha256 != files.sha256
    assert Path(again.archive_url).read_bytes() == again.zip_path.read_bytes()


# --- the manifest -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("format", "pcmbn-packet/1"),
        ("plan_id", "ST-KH-30-7-2024"),
        ("generated_at", "2024-09-17T02:30:00+00:00"),
        ("span", {"start": "2024-07", "end": "2024-09", "months": sorted(SPAN)}),
        ("missing_periods", []),
        ("unapproved_periods", []),
        ("approved", True),
    ],
)
def test_manifest_header(built, field: str, expected: Any) -> None:
    _, _, manifest = built
    assert manifest[field] == expected


def test_manifest_names_the_milestone(built) -> None:
    data, _, manifest = built
    assert manifest["milestone"] == {
        "kind": "so_ket",
        "period": data.milestone.period.code,
        "name": data.milestone.name,
    }


@pytest.mark.parametrize(
    ("missing", "unapproved", "approved"),
    [([], [], True), ([AUG], [], True), ([], [SEP], False), ([JUL], [AUG, SEP], False)],
)
def test_manifest_flags_missing_and_unapproved_months(
    missing: list[Period], unapproved: list[Period], approved: bool
) -> None:
    data = traced_packet(missing_periods=missing, unapproved_periods=unapproved)
    manifest = bundle.build_manifest(data, {}, {})
    assert manifest["missing_periods"] == [p.code for p in missing]
    assert manifest["unapproved_periods"] == [p.code for p in unapproved]
    assert manifest["approved"] is approved


def test_every_number_of_both_files_maps_to_a_reference(built) -> None:
    _, _, manifest = built
    numbers = manifest["numbers"]
    assert set(numbers) == {WORKBOOK, REPORT, SUMMARY_PAGE}  # issue 17 adds the one-page summary
    assert all(numbers.values())  # both files hold traced figures
    used = {ref for by_file in numbers.values() for ref in by_file.values()}
    assert used == set(manifest["refs"])  # every number has its reference, no reference unused
    assert UNSHOWN_REF not in manifest["refs"]


def test_every_reference_sums_its_sources_to_the_figure_shown(built) -> None:
    data, _, manifest = built
    value_of = {s["id"]: s["value"] for s in manifest["sources"]}
    for key, ref in manifest["refs"].items():
        assert ref["sources"], key
        assert sum(value_of[i] for i in ref["sources"]) == ref["value"], key
        assert ref["value"] == _expected(data, key), key


def test_every_workbook_cell_shows_its_references_value(built) -> None:
    _, files, manifest = built
    wb = openpyxl.load_workbook(files.folder / WORKBOOK)
    for where, key in manifest["numbers"][WORKBOOK].items():
        sheet, cell = where.split("!")
        assert wb[sheet][cell].value == manifest["refs"][key]["value"], (where, key)


#: (reference, source ids, value): one of each table the packet shows.
REFS = [
    ("tong/DT01", [1, 2], 12500),
    ("tong/KP01", [14], 2.5),
    ("truoc/NN01", [16], 0),
    ("cung_ky/DT02", [20], 25),
    ("thang/2024-08/NN02", [7], 3),
    ("thang/2024-09/TT02", [13], 6000),
    ("cao_diem/cao_diem/DT02", [3], 20),
]


@pytest.mark.parametrize(("key", "ids", "value"), REFS)
def test_a_reference_lists_its_source_ids_and_value(
    built, key: str, ids: list[int], value: float
) -> None:
    _, _, manifest = built
    assert manifest["refs"][key] == {"value": value, "sources": ids}
    assert type(manifest["refs"][key]["value"]) is type(value)  # 12500, not 12500.0


@pytest.mark.parametrize(
    ("source_id", "cell"), list(enumerate(SOURCE_CELLS, start=1)), ids=lambda v: str(v)
)
def test_each_source_names_unit_month_indicator_value_file_sheet_cell(
    built, source_id: int, cell: tuple[str, str, str, float]
) -> None:
    _, _, manifest = built
    unit, period, code, value = cell
    by_id = {s["id"]: s for s in manifest["sources"]}
    assert by_id[source_id] == {
        "id": source_id,
        "unit_code": unit,
        "period": period,
        "indicator": code,
        "value": int(value) if value.is_integer() else value,
        "sha256": _sha(unit, period),
        "sheet": "BieuMau",
        "cell": f"E{10 + source_id}",
    }
    assert type(by_id[source_id]["value"]) is (int if value.is_integer() else float)


def test_each_source_file_is_listed_once_in_checksum_order(built) -> None:
    _, _, manifest = built
    expected = {
        _sha(u, p): {
            "sha256": _sha(u, p),
            "original_name": f"BaoCao_{u}_{p}.xlsx",
            "archive_path": f"archive/{_sha(u, p)[:2]}/{_sha(u, p)}.xlsx",
        }
        for u, p, _, _ in SOURCE_CELLS
    }
    assert manifest["files"] == [expected[sha] for sha in sorted(expected)]
    assert len(manifest["files"]) < len(SOURCE_CELLS)  # several cells share one file


def test_the_manifest_is_stable_json(built) -> None:
    _, files, manifest = built
    text = (files.folder / MANIFEST).read_text(encoding="utf-8")
    assert text == json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    assert "Sơ kết" in text and "\\u" not in text  # Vietnamese stays letters, not \\u escapes


# --- README.txt ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("missing", "unapproved", "present", "absent"),
    [
        ([], [], ["- Số liệu mọi tháng trong kỳ đã được nhận và phê duyệt."],
         ["CHƯA ĐỦ SỐ LIỆU", "CHƯA PHÊ DUYỆT"]),
        ([AUG], [], ["- CHƯA ĐỦ SỐ LIỆU: không có báo cáo nào của 2024-08."],
         ["CHƯA PHÊ DUYỆT", "đã được nhận và phê duyệt"]),
        ([], [AUG, SEP], ["- CHƯA PHÊ DUYỆT: số liệu 2024-08, 2024-09 chưa được phê duyệt"],
         ["CHƯA ĐỦ SỐ LIỆU", "đã được nhận và phê duyệt"]),
        ([JUL], [SEP], ["CHƯA ĐỦ SỐ LIỆU: không có báo cáo nào của 2024-07.",
                        "CHƯA PHÊ DUYỆT: số liệu 2024-09 chưa"], ["đã được nhận và phê duyệt"]),
    ],
    ids=["complete", "missing", "unapproved", "both"],
)  # fmt: skip
def test_readme_says_which_months_are_missing_or_unapproved(
    make_packet: MakePacket,
    missing: list[Period],
    unapproved: list[Period],
    present: list[str],
    absent: list[str],
) -> None:
    text = readme_text(make_packet(missing_periods=missing, unapproved_periods=unapproved), "", [])
    for phrase in present:
        assert phrase in text
    for phrase in absent:
        assert phrase not in text


def test_readme_names_every_file_and_the_time_in_office_hours(make_packet: MakePacket) -> None:
    data = make_packet()
    charts = [Path("BieuDo_a.png"), Path("BieuDo_b.png")]
    text = readme_text(data, REPORT, charts)
    lines = text.splitlines()
    assert lines[0] == f"GÓI TÀI LIỆU HỘI NGHỊ — {data.milestone.name.upper()}"
    assert "Thời gian số liệu: từ Tháng 7/2024 đến Tháng 9/2024" in lines
    assert "Lập theo số liệu tổng hợp đến ngày 17/09/2024 09:30." in lines  # 02:30 UTC
    for name in (REPORT, WORKBOOK, SOURCES_CSV, MANIFEST):
        assert any(line.startswith(f"- {name}: ") for line in lines), name
    assert "- BieuDo_a.png: biểu đồ diễn biến theo tháng" in lines
    assert "- BieuDo_b.png: biểu đồ diễn biến theo tháng" in lines


def test_the_packets_readme_is_the_readme_text(built) -> None:
    data, files, manifest = built
    charts = [Path(chart_file_name(spec.key)) for spec in data.catalog.packet.charts]
    assert charts and {p.name for p in charts} <= set(manifest["contents"])
    text = (files.folder / README).read_text(encoding="utf-8")
    # Issue 17: one line says which PDFs the packet has, or why it has none (no LibreOffice).
    (pdf_note,) = [
        line for line in text.splitlines() if ".pdf" in line or "Chưa có bản PDF" in line
    ]
    assert text == readme_text(data, REPORT, charts, pdf_note)


# --- NguonSoLieu.csv ----------------------------------------------------------------------------

CSV_HEADER = ["ma_nguon", "ma_don_vi", "ky", "ma_chi_tieu", "gia_tri", "sha256", "ten_tep",
              "noi_luu_tru", "trang", "o"]  # fmt: skip


def _read_csv(payload: bytes) -> list[dict[str, str]]:
    assert payload.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel reads the diacritics
    text = payload.decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    assert reader.fieldnames == CSV_HEADER
    return list(reader)


def test_the_csv_has_one_row_per_source_cell() -> None:
    rows = _read_csv(sources_csv(traced_packet()))
    assert len(rows) == len(SOURCE_CELLS)
    for row, (unit, period, code, value) in zip(rows, SOURCE_CELLS, strict=True):
        assert (row["ma_don_vi"], row["ky"], row["ma_chi_tieu"]) == (unit, period, code)
        assert float(row["gia_tri"]) == value
        assert row["sha256"] == _sha(unit, period)
        assert row["ten_tep"] == f"BaoCao_{unit}_{period}.xlsx"
    assert rows[0]["ma_nguon"] == "1" and rows[-1]["o"] == f"E{10 + len(SOURCE_CELLS)}"


def test_the_packets_csv_is_sources_csv(built) -> None:
    data, files, _ = built
    assert (files.folder / SOURCES_CSV).read_bytes() == sources_csv(data)


TRIGGERS = [
    "=",
    "+",
    "-",
    "@",
    "\t",
    "\r",
    "  =",  # Excel skips leading spaces before looking for a formula
]


@pytest.mark.parametrize("column", ["ma_don_vi", "ten_tep", "trang", "o"])
@pytest.mark.parametrize("trigger", TRIGGERS, ids=repr)
def test_text_that_excel_would_evaluate_gets_an_apostrophe(trigger: str, column: str) -> None:
    sources = _sources(SOURCE_CELLS)
    source_column = {"ma_don_vi": "unit_code", "ten_tep": "original_name", "trang": "sheet",
                     "o": "cell"}[column]  # fmt: skip
    text = f"{trigger}2+5+cmd|' /C calc'!A0"  # the classic DDE payload, no comma or quote
    sources.loc[1, source_column] = text
    data = traced_packet(sources=sources)

    rows = _read_csv(sources_csv(data))

    assert len(rows) == len(SOURCE_CELLS)
    assert rows[1][column] == "'" + text
    assert rows[0][column] == str(sources.loc[0, source_column])  # ordinary text untouched


@pytest.mark.parametrize("value", [-5.0, 0.0, 2.5, 12500.0])
def test_numbers_are_never_given_an_apostrophe(value: float) -> None:
    cells = [("CA_TINH", "2024-07", "DT01", value)]
    rows = _read_csv(sources_csv(traced_packet(cells)))
    assert float(rows[0]["gia_tri"]) == value
    assert not rows[0]["gia_tri"].startswith("'")


# --- failure: nothing half-built under a final name ---------------------------------------------

WRITERS = [
    "write_charts",
    "write_workbook",
    "write_report",
    "sources_csv",
    "build_manifest",
    "readme_text",
    "zip_bytes",
]


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _broken(*args: object, **kwargs: object) -> Any:
    raise OSError("disk full")


@pytest.fixture
def previous(built, tmp_path: Path) -> Path:
    """A packets folder holding yesterday's packet (a copy of the shared one)."""
    _, files, _ = built
    root = tmp_path / "packets"
    shutil.copytree(files.folder.parent, root)
    return root


@pytest.mark.parametrize("writer", WRITERS)
def test_a_failing_writer_leaves_the_previous_packet_and_no_half_zip(
    writer: str, previous: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _snapshot(previous)
    monkeypatch.setattr(bundle, writer, _broken)
    data = traced_packet(generated_at=traced_packet().generated_at + timedelta(days=1))

    with pytest.raises(OSError, match="disk full"):
        write_packet(data, previous, str(tmp_path / "archive"))

    assert _snapshot(previous) == before  # same names, same bytes: the old packet untouched
    assert [p.name for p in previous.iterdir() if p.name.startswith(".")] == []
    assert not (tmp_path / "archive").exists()  # nothing archived for a failed build


def test_a_failing_zip_write_leaves_no_part_file(
    previous: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _snapshot(previous)

    def half_zip(path: Path) -> None:
        path.write_bytes(b"PK\x03\x04 half a zip")
        raise OSError("disk full")

    real = bundle.atomic_write_many
    monkeypatch.setattr(
        bundle,
        "atomic_write_many",
        lambda items, **kw: real(
            [(path, half_zip if path.suffix == ".zip" else payload) for path, payload in items],
            **kw,
        ),
    )
    data = traced_packet(generated_at=traced_packet().generated_at + timedelta(days=1))

    with pytest.raises(OSError, match="disk full"):
        write_packet(data, previous, str(tmp_path / "archive"))

    assert _snapshot(previous) == before
    assert [p.name for p in previous.iterdir() if p.name.startswith(".")] == []


def test_a_failing_checksum_write_leaves_the_previous_zip(
    previous: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The zip and its `.sha256` are written together: the checksum's failure keeps both old."""
    from pcmbn.office import atomic

    before = _snapshot(previous)
    real = atomic._write_temp

    def write_temp(tmp: Path, payload: Any, encoding: str) -> None:
        if tmp.name.endswith(".sha256.part"):
            raise OSError("disk full")
        real(tmp, payload, encoding)

    monkeypatch.setattr(atomic, "_write_temp", write_temp)
    data = traced_packet(generated_at=traced_packet().generated_at + timedelta(days=1))

    with pytest.raises(OSError, match="disk full"):
        write_packet(data, previous, str(tmp_path / "archive"))

    assert [p for p in previous.rglob("*") if p.name.endswith(PART_SUFFIX)] == []
    assert _snapshot(previous) == before


class _PowerCut(BaseException):
    """Stands for the process dying between two renames (no except clause catches it)."""


def test_a_crash_between_the_renames_never_leaves_a_checksum_of_other_bytes(
    previous: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pcmbn.office import atomic

    real, renamed = atomic.os.replace, []

    def replace(src: Any, dst: Any) -> None:
        if str(dst).endswith(".sha256"):  # the zip is in; the process dies before its seal
            raise _PowerCut
        real(src, dst)
        renamed.append(Path(dst).name)

    monkeypatch.setattr(atomic.os, "replace", replace)
    data = traced_packet(generated_at=traced_packet().generated_at + timedelta(days=1))
    with pytest.raises(_PowerCut):
        write_packet(data, previous, str(tmp_path / "archive"))
    monkeypatch.undo()

    [zip_path] = previous.glob("*.zip")
    assert zip_path.name in renamed
    checksum = zip_path.with_name(zip_path.name + ".sha256")
    if checksum.exists():  # a checksum present always describes the zip beside it
        digest = checksum.read_text().split()[0]
        assert digest == hashlib.sha256(zip_path.read_bytes()).hexdigest()
    assert not checksum.exists()  # here: the new zip is in, its seal not yet
    files = write_packet(data, previous, str(tmp_path / "archive"))  # the next build heals it
    assert checksum.read_text().split()[0] == files.sha256


def test_the_packet_holds_pdfs_and_the_one_page_summary(built, tmp_path: Path) -> None:
    """Issue 17: PDFs of the report, summary and appendix when LibreOffice is installed."""
    from pcmbn.office.pdf import soffice

    _, files, manifest = built
    summary = docx.Document(str(files.folder / SUMMARY_PAGE))
    texts = [p.text for p in summary.paragraphs]
    assert texts[0] == "TÓM TẮT SỐ LIỆU"
    rows = [[c.text for c in row.cells] for row in summary.tables[0].rows]
    dt01 = next(row for row in rows if row[0].startswith("Số vụ mua bán người được phát hiện"))
    assert dt01[1:] == ["12.500 vụ", "tăng 2.500 vụ (25,0%)", "không đổi"]
    readme = (files.folder / README).read_text(encoding="utf-8")
    if soffice() is None:
        assert "Chưa có bản PDF: máy lập gói chưa cài LibreOffice" in readme
        return
    pdfs = {"BaoCao_so_ket.pdf", "TomTatSoLieu.pdf", "PhuLucSoLieu.pdf"}
    assert pdfs <= set(manifest["contents"])
    assert "bản PDF để in (LibreOffice)" in readme
    from pypdf import PdfReader

    assert len(PdfReader(files.folder / "TomTatSoLieu.pdf").pages) == 1


def test_without_libreoffice_the_packet_says_so_and_builds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    files = write_packet(traced_packet(), tmp_path / "packets", str(tmp_path / "archive"))
    readme = (files.folder / README).read_text(encoding="utf-8")
    assert "Chưa có bản PDF: máy lập gói chưa cài LibreOffice" in readme
    assert not list(files.folder.glob("*.pdf")) and files.zip_path.is_file()


def test_a_warm_libreoffice_gives_the_same_packet_as_the_cold_one(
    built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The service's warm LibreOffices (the appendix begun while the report is written, the
    report converted beside it) change no byte: same PDFs, manifest, zip and checksum as one
    cold `soffice` start."""
    import os

    from pcmbn.office.pdf import soffice, use_warm
    from pcmbn.office.soffice import WarmOffices

    data, cold, _ = built
    office = WarmOffices.for_home(tmp_path / "home", count=2) if soffice() else None
    if office is None:
        if os.environ.get("CI") == "true":
            pytest.fail("LibreOffice or python3-uno is missing on CI: .ci/run installs them")
        pytest.skip("LibreOffice with its uno module is not installed")
    office.start()
    try:
        assert office.wait_ready()
        use_warm(office)
        # Any cold start would fail: the PDFs must come from the warm office. (Patched once for
        # the whole packet: its two conversion threads must not swap the function in turn.)
        monkeypatch.setattr(pdf, "soffice", lambda: None)
        warm = write_packet(data, tmp_path / "packets", str(tmp_path / "archive"))
    finally:
        use_warm(None)
        office.stop()
    # Each document converted once, in the warm offices. (Which office took the report depends
    # on whether the appendix, ~0.5 s now, was still converting when the report was written;
    # `test_a_request_goes_to_the_least_busy_office` pins the choice.)
    logs = [(tmp_path / "home" / "logs" / f"office-{i}.log").read_text() for i in (1, 2)]
    assert sum("converted PhuLucSoLieu.xlsx in" in log for log in logs) == 1
    assert sum("converted BaoCao_so_ket.docx, TomTatSoLieu.docx in" in log for log in logs) == 1
    assert warm.sha256 == cold.sha256
    assert warm.zip_path.read_bytes() == cold.zip_path.read_bytes()
