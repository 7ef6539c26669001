"""`deterministic_zip`: same content → same bytes; times, modes and core dates pinned."""

from __future__ import annotations

import io
import time
import zipfile
from datetime import UTC, datetime, timedelta, timezone

import pytest
from openpyxl import Workbook

from pcmbn.office.zips import ZIP_EPOCH, deterministic_zip, pin_core_dates, zip_time

WHEN = datetime(2024, 7, 18, 0, 5, tzinfo=UTC)
MINUTE = (2024, 7, 18, 7, 5, 0)


def _workbook_bytes() -> bytes:
    wb = Workbook()
    wb.active["A1"] = "Tổng hợp"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_same_input_gives_same_bytes_whenever_it_is_saved() -> None:
    first = deterministic_zip(_workbook_bytes(), core_dates=WHEN)
    time.sleep(1.1)  # openpyxl stamps the save time; the rewrite must hide it
    assert deterministic_zip(_workbook_bytes(), core_dates=WHEN) == first


@pytest.mark.parametrize(
    ("options", "date_time", "mode", "compress"),
    [
        ({}, ZIP_EPOCH, 0o600, zipfile.ZIP_DEFLATED),
        ({"mode": 0o644}, ZIP_EPOCH, 0o644, zipfile.ZIP_DEFLATED),
        ({"mode": None}, ZIP_EPOCH, 0o600, zipfile.ZIP_DEFLATED),  # zipfile's default
        (
            {"date_time": (2024, 7, 18, 7, 5, 0)},
            (2024, 7, 18, 7, 5, 0),
            0o600,
            zipfile.ZIP_DEFLATED,
        ),
        ({"stored": {"b.txt"}}, ZIP_EPOCH, 0o600, zipfile.ZIP_STORED),
    ],
)
def test_entry_metadata_is_pinned(
    options: dict, date_time: tuple, mode: int, compress: int
) -> None:
    payload = deterministic_zip([("b.txt", b"b"), ("a.txt", b"a")], **options)
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        infos = archive.infolist()
        assert [i.filename for i in infos] == ["b.txt", "a.txt"]  # the caller's order
        assert archive.read("a.txt") == b"a"
    entry = infos[0]
    assert entry.date_time == date_time
    assert entry.external_attr >> 16 == mode
    assert entry.compress_type == compress


def test_rewriting_keeps_order_and_pins_core_dates() -> None:
    source = _workbook_bytes()
    payload = deterministic_zip(source, core_dates=WHEN)
    with zipfile.ZipFile(io.BytesIO(source)) as a, zipfile.ZipFile(io.BytesIO(payload)) as b:
        assert a.namelist() == b.namelist()
        assert {i.date_time for i in b.infolist()} == {ZIP_EPOCH}
        core = b.read("docProps/core.xml")
    assert core.count(b"2024-07-18T00:05:00Z") == 2


@pytest.mark.parametrize(
    ("when", "stamp"),
    [
        (WHEN, b"2024-07-18T00:05:00Z"),
        (datetime(2024, 7, 18, 7, 5), b"2024-07-18T00:05:00Z"),  # naive means office time
        (datetime(2024, 7, 18, 9, 5, tzinfo=timezone(timedelta(hours=9))), b"2024-07-18T00:05:00Z"),
    ],
)
def test_pin_core_dates(when: datetime, stamp: bytes) -> None:
    xml = (
        b'<cp:coreProperties><dcterms:created xsi:type="dcterms:W3CDTF">2031-01-01T00:00:00Z'
        b"</dcterms:created><dc:title>T</dc:title><dcterms:modified>x</dcterms:modified>"
        b"</cp:coreProperties>"
    )
    pinned = pin_core_dates(xml, when)
    assert pinned.count(stamp) == 2
    assert b"<dc:title>T</dc:title>" in pinned


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (WHEN, (2024, 7, 18, 7, 5, 0)),  # office wall clock, seconds dropped
        (datetime(1979, 6, 1, 5, tzinfo=UTC), (1980, 6, 1, 12, 0, 0)),  # zip starts in 1980
    ],
)
def test_zip_time(when: datetime, expected: tuple) -> None:
    assert zip_time(when) == expected
