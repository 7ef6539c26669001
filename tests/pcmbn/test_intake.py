"""Intake on any fsspec filesystem: reception log, content-addressed archive, no overwrite."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

import fsspec

from pcmbn.intake import archive_file, collect_inbox, resolve_inbox
from pcmbn.periods import Period


def test_memory_inbox_and_archive(tmp_path: Path) -> None:
    fs = fsspec.filesystem("memory")
    fs.pipe("/hop-thu/2024-07/BaoCao_CA_TINH.xlsx", b"PK-one")
    fs.pipe("/hop-thu/2024-07/BaoCao_BP_TINH.xlsx", b"PK-two")
    fs.pipe(
        "/hop-thu/2024-07/received.csv",
        b"file,received_at,unit_code\nBaoCao_CA_TINH.xlsx,2024-07-16T09:00:00+07:00,ca_tinh\n",
    )
    inbox = resolve_inbox("memory://hop-thu", "ST", Period.month(2024, 7))
    assert inbox.endswith("/hop-thu/2024-07")
    items = collect_inbox(inbox)
    assert [i.name for i in items] == ["BaoCao_BP_TINH.xlsx", "BaoCao_CA_TINH.xlsx"]
    ca = items[1]
    assert ca.received_at == datetime.fromisoformat("2024-07-16T09:00:00+07:00")
    assert ca.sender == "CA_TINH"
    first = archive_file(ca, "memory://luu-tru", tmp_path / "scratch")
    assert first.sha256 == hashlib.sha256(b"PK-one").hexdigest()
    assert first.archive_path.startswith("memory://")
    assert first.local_path.read_bytes() == b"PK-one"
    again = archive_file(ca, "memory://luu-tru", tmp_path / "scratch")
    assert again.archive_path == first.archive_path
    assert fs.cat_file(first.archive_path.removeprefix("memory://")) == b"PK-one"
    assert [p for p in fs.find("/luu-tru") if ".part" in p] == []


def test_local_archive_never_overwrites(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.xlsx").write_bytes(b"same bytes")
    (inbox / "b.xlsx").write_bytes(b"same bytes")
    items = collect_inbox(str(inbox))
    archived = [archive_file(i, str(tmp_path / "archive"), tmp_path / "scratch") for i in items]
    assert archived[0].archive_path == archived[1].archive_path
    stored = list((tmp_path / "archive").rglob("*.xlsx"))
    assert len(stored) == 1 and stored[0].read_bytes() == b"same bytes"
