"""Zip packages whose bytes depend only on their content.

openpyxl and python-docx stamp the save time into every zip entry and into docProps/core.xml;
without pinning, regenerating a file changes its checksum and the archive sees a "new" file.
`deterministic_zip` writes (or rewrites) a zip with fixed entry times and modes, entries in the
given order, and — when asked — the core properties' created/modified dates set to one moment.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Collection, Iterable
from datetime import datetime

from pcmbn.office.times import naive, w3c_utc

__all__ = ["ZIP_EPOCH", "deterministic_zip", "pin_core_dates", "zip_time"]

#: The earliest time a zip entry can carry; the default for every rewritten package.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
CORE_XML = "docProps/core.xml"
_CORE_DATE = re.compile(rb"(<dcterms:(created|modified)\b[^>]*>)[^<]*(</dcterms:\2>)")


def deterministic_zip(
    entries: bytes | Iterable[tuple[str, bytes]],
    *,
    date_time: tuple[int, int, int, int, int, int] = ZIP_EPOCH,
    mode: int | None = 0o600,
    core_dates: datetime | None = None,
    stored: Collection[str] = (),
) -> bytes:
    """A zip of `entries` (name, bytes) — or the entries of an existing zip — with fixed metadata.

    Every entry gets `date_time` and the Unix permissions `mode` (None: zipfile's default); entries
    are deflated except the names in `stored` (ODF's `mimetype` must be stored). With
    `core_dates`, docProps/core.xml's created/modified become that moment (UTC, `…Z`).
    """
    if isinstance(entries, bytes | bytearray):
        entries = _entries_of(bytes(entries))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, payload in entries:
            if core_dates is not None and name == CORE_XML:
                payload = pin_core_dates(payload, core_dates)
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.compress_type = zipfile.ZIP_STORED if name in stored else zipfile.ZIP_DEFLATED
            if mode is not None:
                info.external_attr = mode << 16
            archive.writestr(info, payload)
    return out.getvalue()


def pin_core_dates(xml: bytes, when: datetime) -> bytes:
    """docProps/core.xml with `dcterms:created` and `dcterms:modified` set to `when`."""
    stamp = w3c_utc(when).encode()
    return _CORE_DATE.sub(lambda m: m.group(1) + stamp + m.group(3), xml)


def zip_time(when: datetime) -> tuple[int, int, int, int, int, int]:
    """`when` as a zip entry time: office wall clock, to the minute (zip keeps 2 s steps)."""
    local = naive(when)
    return (max(local.year, 1980), local.month, local.day, local.hour, local.minute, 0)


def _entries_of(data: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        return [(item.filename, source.read(item.filename)) for item in source.infolist()]
