"""Intake on any fsspec filesystem: reception log, content-addressed archive, no overwrite."""

from __future__ import annotations

import hashlib
import os
import socket
import stat
import unicodedata
from datetime import datetime
from pathlib import Path

import fsspec
import pytest

from pcmbn.intake import InboxFile, archive_file, collect_inbox, resolve_inbox, safe_name
from pcmbn.periods import Period
from pcmbn.reading.guard import Limits
from pcmbn.settings import Settings
from tasks.intake import read_chunk


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


# --- hostile and odd inboxes (issue 19): one quirk per test, fixtures built here ---------------


PASSWD_MARK = b"root:x:0:0"


def _inbox(tmp_path: Path) -> Path:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "BaoCao_CA_TINH.xlsx").write_bytes(b"PK-valid")
    return inbox


def _archive_all(items: list[InboxFile], tmp_path: Path) -> list:
    home = Path(os.environ["PCMBN_HOME"])
    return [archive_file(i, str(home / "archive"), home / "tmp") for i in items]


def _home_holds(needle: bytes) -> list[Path]:
    home = Path(os.environ["PCMBN_HOME"])
    return [
        p
        for p in home.rglob("*")
        if p.is_file() and not p.is_symlink() and needle in p.read_bytes()
    ]


def _refused(items: list[InboxFile]) -> dict[str, str]:
    return {i.name: i.refusal.rule for i in items if i.refusal is not None}


DEVICE = stat.S_IFCHR | 0o600


def _bind_socket(path: Path) -> None:
    """A Unix socket named like a report (left bound: the listing must not connect to it)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(path))
    _SOCKETS.append(sock)


_SOCKETS: list[socket.socket] = []


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    ("name", "make", "kind"),
    [
        ("BaoCao_SO_TP.xlsx", lambda p: p.symlink_to("/etc/passwd"), "symlink"),
        ("BaoCao_VKS.xlsx", lambda p: p.symlink_to("/etc"), "symlink"),
        ("BaoCao_TA.xlsx", lambda p: p.symlink_to(p.parent / "khong-co.xlsx"), "symlink"),
        ("BaoCao_ZERO.xlsx", lambda p: p.symlink_to("/dev/zero"), "symlink"),
        ("BaoCao_X.xlsx", lambda p: os.mkfifo(p), "FIFO"),
        ("BaoCao_SO_TC.xlsx", lambda p: p.mkdir(), "thư mục"),
        # a character device like /dev/zero itself, not a link to it (tests run as root)
        (
            "BaoCao_DEV.xlsx",
            lambda p: os.mknod(p, stat.S_IFCHR | 0o600, os.makedev(1, 5)),
            "thiết bị",
        ),
        ("BaoCao_SOCK.xlsx", lambda p: _bind_socket(p), "socket"),
    ],
)
def test_non_regular_entries_are_refused_never_opened(tmp_path, name, make, kind) -> None:
    inbox = _inbox(tmp_path)
    make(inbox / name)
    if (inbox / name).is_dir() and not (inbox / name).is_symlink():
        (inbox / name / "inside.xlsx").write_bytes(b"PK-inside")  # never descended into
    items = collect_inbox(str(inbox))
    assert [i.name for i in items] == sorted(["BaoCao_CA_TINH.xlsx", name])
    assert _refused(items) == {name: "file.not_regular"}
    item = next(i for i in items if i.name == name)
    assert item.refusal.params["name"] == name and kind in item.refusal.params["kind"]
    received = _archive_all(items, tmp_path)
    refused = next(r for r in received if r.name == name)
    assert refused.refusal == item.refusal and refused.archive_path == ""
    assert len(refused.sha256) == 64
    stored = list((Path(os.environ["PCMBN_HOME"]) / "archive").rglob("*.xlsx"))
    assert [p.read_bytes() for p in stored] == [b"PK-valid"]
    assert _home_holds(PASSWD_MARK) == []
    subs = read_chunk.fn(Settings(), [(0, refused)])
    assert subs[0].refusal.rule == "file.not_regular" and subs[0].name == name


@pytest.mark.timeout(30)
def test_fifo_swapped_in_after_listing_does_not_block(tmp_path) -> None:
    inbox = _inbox(tmp_path)
    target = inbox / "BaoCao_BP_TINH.xlsx"
    target.write_bytes(b"PK-later")
    items = collect_inbox(str(inbox))
    target.unlink()
    os.mkfifo(target)  # the race: listed as a file, a FIFO when opened
    received = _archive_all(items, tmp_path)
    swapped = next(r for r in received if r.name == target.name)
    assert swapped.refusal is not None and swapped.refusal.rule == "file.not_regular"


def test_symlink_swapped_in_after_listing_is_not_followed(tmp_path) -> None:
    inbox = _inbox(tmp_path)
    target = inbox / "BaoCao_BP_TINH.xlsx"
    target.write_bytes(b"PK-later")
    items = collect_inbox(str(inbox))
    target.unlink()
    target.symlink_to("/etc/passwd")
    received = _archive_all(items, tmp_path)
    assert next(r for r in received if r.name == target.name).refusal.rule == "file.not_regular"
    assert _home_holds(PASSWD_MARK) == []


def test_over_sized_file_is_recorded_not_copied(tmp_path) -> None:
    inbox = _inbox(tmp_path)
    big = inbox / "BaoCao_LON.xlsx"
    with big.open("wb") as handle:
        handle.write(b"PK-head")
        handle.truncate(21 * 1024 * 1024)
    items = collect_inbox(str(inbox))
    item = next(i for i in items if i.name == big.name)
    assert item.refusal.rule == "file.too_large" and item.size == 21 * 1024 * 1024
    assert item.refusal.params == {"size": "21 MB", "limit": "20 MB"}
    received = next(r for r in _archive_all(items, tmp_path) if r.name == big.name)
    assert received.size == 21 * 1024 * 1024 and received.archive_path == ""
    stored = list((Path(os.environ["PCMBN_HOME"]) / "archive").rglob("*.xlsx"))
    assert [p.read_bytes() for p in stored] == [b"PK-valid"]
    # recorded by its first bytes: the same head gives the same key
    assert (
        received.sha256
        == next(
            r for r in _archive_all(collect_inbox(str(inbox)), tmp_path) if r.name == big.name
        ).sha256
    )


def test_size_cap_is_the_guards(tmp_path) -> None:
    inbox = _inbox(tmp_path)
    items = collect_inbox(str(inbox), Limits(max_bytes=4))
    assert _refused(items) == {"BaoCao_CA_TINH.xlsx": "file.too_large"}


def test_zero_byte_file_is_rejected_as_empty(tmp_path) -> None:
    inbox = _inbox(tmp_path)
    (inbox / "BaoCao_RONG.xlsx").write_bytes(b"")
    items = collect_inbox(str(inbox))
    assert _refused(items) == {"BaoCao_RONG.xlsx": "file.empty"}
    received = next(r for r in _archive_all(items, tmp_path) if r.name == "BaoCao_RONG.xlsx")
    assert read_chunk.fn(Settings(), [(0, received)])[0].refusal.rule == "file.empty"


LITTER = (
    ".an.xlsx",
    "~$BaoCao_CA_TINH.xlsx",  # Excel's owner file while the workbook is open
    ".~lock.BaoCao_CA_TINH.xlsx#",  # LibreOffice's lock file
    "Thumbs.db",
    "desktop.ini",
    ".DS_Store",
    "._BaoCao.xlsx",
)


def test_dot_files_and_os_litter_are_ignored_and_logged(tmp_path, caplog) -> None:
    inbox = _inbox(tmp_path)
    for name in LITTER:
        (inbox / name).write_bytes(b"litter")
    (inbox / "__MACOSX").mkdir()
    (inbox / "__MACOSX" / "BaoCao_CA_TINH.xlsx").write_bytes(b"litter")
    with caplog.at_level("INFO", logger="pcmbn.intake"):
        assert [i.name for i in collect_inbox(str(inbox))] == ["BaoCao_CA_TINH.xlsx"]
    for name in LITTER:  # not counted, but still in the engineers' log
        assert any(name in record.getMessage() for record in caplog.records), name


def test_nfd_name_keeps_its_nfc_log_row(tmp_path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    nfc = "BaoCao_Sở_Tư_pháp.xlsx"
    (inbox / unicodedata.normalize("NFD", nfc)).write_bytes(b"PK-nfd")
    (inbox / "received.csv").write_text(
        f"file,received_at\n{nfc},2024-07-16T09:00:00+07:00\n", encoding="utf-8"
    )
    [item] = collect_inbox(str(inbox))
    assert item.name == nfc
    assert item.received_at == datetime.fromisoformat("2024-07-16T09:00:00+07:00")
    assert archive_file(item, str(tmp_path / "archive"), tmp_path / "s").sha256 == (
        hashlib.sha256(b"PK-nfd").hexdigest()
    )


def test_malformed_log_row_is_skipped_the_rest_still_used(tmp_path, caplog) -> None:
    inbox = _inbox(tmp_path)
    (inbox / "BaoCao_BP_TINH.xlsx").write_bytes(b"PK-two")
    (inbox / "received.csv").write_text(
        "file,received_at\n"
        "BaoCao_CA_TINH.xlsx,hôm qua\n"
        "BaoCao_BP_TINH.xlsx,2024-07-16T09:00:00+07:00\n"
        ",2024-07-16T09:00:00+07:00\n",
        encoding="utf-8",
    )
    items = {i.name: i for i in collect_inbox(str(inbox))}
    assert items["BaoCao_BP_TINH.xlsx"].received_at == datetime.fromisoformat(
        "2024-07-16T09:00:00+07:00"
    )
    assert "dòng 2" in caplog.text and "dòng 4" in caplog.text


def test_control_characters_in_names_are_replaced(tmp_path) -> None:
    inbox = _inbox(tmp_path)
    raw = "BaoCao\nCA\tTINH\u202e.xlsx"
    (inbox / raw).write_bytes(b"PK-ctrl")
    names = [i.name for i in collect_inbox(str(inbox))]
    assert "BaoCao_CA_TINH_.xlsx" in names
    assert all(ch.isprintable() for name in names for ch in name)
    assert safe_name("a\r\nb") == "a__b" and safe_name("\n") == "_"
    received = _archive_all(collect_inbox(str(inbox)), tmp_path)
    assert {r.sha256 for r in received} >= {hashlib.sha256(b"PK-ctrl").hexdigest()}


def test_reception_logs_are_keyed_by_the_path_inside_the_inbox(tmp_path, caplog) -> None:
    """Two folders' `BaoCao.xlsx` never share a log row: a log describes its own folder's
    files (or deeper ones it names by path); a root row naming the bare name matches neither."""
    inbox = tmp_path / "inbox"
    for folder in ("CongAn", "BienPhong", "ToaAn"):
        (inbox / folder).mkdir(parents=True)
        (inbox / folder / "BaoCao.xlsx").write_bytes(f"PK-{folder}".encode())
    (inbox / "CongAn" / "received.csv").write_text(
        "file,received_at,unit_code\nBaoCao.xlsx,2024-07-14T09:00:00+07:00,CA_TINH\n",
        encoding="utf-8",
    )
    (inbox / "BienPhong" / "received.csv").write_text(
        "file,received_at,unit_code\nBaoCao.xlsx,2024-07-20T16:00:00+07:00,BP_TINH\n"
        "../CongAn/BaoCao.xlsx,2024-07-01T08:00:00+07:00,BP_TINH\n",
        encoding="utf-8",
    )
    (inbox / "received.csv").write_text(
        "file,received_at,unit_code\n"
        "BaoCao.xlsx,2024-07-02T08:00:00+07:00,VKS_TINH\n"
        "ToaAn/BaoCao.xlsx,2024-07-15T10:00:00+07:00,TA_TINH\n",
        encoding="utf-8",
    )
    items = {Path(i.url).parent.name: i for i in collect_inbox(str(inbox))}
    assert {folder: (i.sender, i.received_at.isoformat()) for folder, i in items.items()} == {
        "CongAn": ("CA_TINH", "2024-07-14T09:00:00+07:00"),
        "BienPhong": ("BP_TINH", "2024-07-20T16:00:00+07:00"),
        "ToaAn": ("TA_TINH", "2024-07-15T10:00:00+07:00"),
    }
    assert "dòng 3" in caplog.text  # the row pointing out of its folder is skipped, said so


def test_remote_reception_logs_are_keyed_by_path_too() -> None:
    fs = fsspec.filesystem("memory")
    for folder, unit in (("CongAn", "CA_TINH"), ("BienPhong", "BP_TINH")):
        fs.pipe(f"/hop-thu-2/{folder}/BaoCao.xlsx", f"PK-{folder}".encode())
        fs.pipe(
            f"/hop-thu-2/{folder}/received.csv",
            f"file,received_at,unit_code\nBaoCao.xlsx,2024-07-14T09:00:00+07:00,{unit}\n".encode(),
        )
    senders = {i.url.rsplit("/", 2)[-2]: i.sender for i in collect_inbox("memory://hop-thu-2")}
    assert senders == {"CongAn": "CA_TINH", "BienPhong": "BP_TINH"}


@pytest.mark.timeout(30)
def test_refused_entries_are_listed_apart_with_rule_and_message(tmp_path) -> None:
    from pcmbn.catalog import load_catalog
    from pcmbn.intake import refused_entries

    inbox = _inbox(tmp_path)
    (inbox / "BaoCao_SO_TP.xlsx").symlink_to("/etc/passwd")
    os.mkfifo(inbox / "BaoCao_X.xlsx")
    (inbox / "BaoCao_RONG.xlsx").write_bytes(b"")
    (inbox / "BaoCao_SO_TC.xlsx").mkdir()
    (inbox / "BaoCao_LON.xlsx").write_bytes(b"PK" + b"\0" * 2048)
    (inbox / "~$BaoCao_CA_TINH.xlsx").write_bytes(b"lock")  # ignored, not refused
    items = collect_inbox(str(inbox), Limits(max_bytes=1024))
    listed = refused_entries(_archive_all(items, tmp_path), load_catalog())
    assert [(e["name"], e["reason_code"]) for e in listed] == [
        ("BaoCao_LON.xlsx", "file.too_large"),
        ("BaoCao_RONG.xlsx", "file.empty"),
        ("BaoCao_SO_TC.xlsx", "file.not_regular"),
        ("BaoCao_SO_TP.xlsx", "file.not_regular"),
        ("BaoCao_X.xlsx", "file.not_regular"),
    ]
    messages = {e["name"]: e["message"] for e in listed}
    assert all("{" not in m for m in messages.values())
    assert "symlink" in messages["BaoCao_SO_TP.xlsx"] and "FIFO" in messages["BaoCao_X.xlsx"]
    assert "Tệp quá lớn (2,0 KB); giới hạn là 1 KB" in messages["BaoCao_LON.xlsx"]
    assert messages["BaoCao_RONG.xlsx"].startswith("Tệp rỗng (0 byte)")
