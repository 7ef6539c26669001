"""Collect what units sent, fingerprint it and archive every original before reading it.

The inbox is a local folder by default and any fsspec URL by configuration. The archive is
content-addressed (`<archive>/<sha[:2]>/<sha256><ext>`): a file is written once under a temporary
name and renamed into place, never overwritten, never deleted, so whatever happens next the
original is kept. When time received is known from a reception log (`received.csv`: file,
received_at — what a mail gateway or document system records), it wins over file times. A log
describes the files of its own folder: rows are keyed by the path relative to the inbox, so two
sub-folders' files of one name never share a row.

An inbox is untrusted: on a local disk only regular files are taken. Symlinks (to anything),
FIFOs, devices, sockets and folders named like a workbook are listed with a refusal and never
opened (listing uses `lstat`; opening uses O_NOFOLLOW|O_NONBLOCK and checks the open file is
still regular, which closes the race with a swap after listing). A file over the guard's size
cap or of zero bytes is refused before archiving: it is recorded by name and size (and the
sha256 of its first bytes), never copied. Refused entries travel as `InboxFile.refusal` and
`Received.refusal`, so they become rejected submissions with a file-level problem. Names are
compared in NFC, with control characters replaced, so a log row matches however the name was
encoded and no name can break a log line, a CSV or a derived file name; a malformed reception
log row is reported and skipped, the other rows still count. Dot-files and OS litter (Office
lock files, Thumbs.db, AppleDouble) are ignored.
"""

from __future__ import annotations

import csv
import errno
import hashlib
import io
import logging
import os
import stat
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING

import fsspec
from fsspec.core import url_to_fs

from pcmbn.clock import OFFICE_TZ
from pcmbn.office.atomic import atomic_put
from pcmbn.periods import Period
from pcmbn.reading.guard import ACCEPTED_EXTENSIONS, Limits, Refused
from pcmbn.reading.guard import _size as human_size
from pcmbn.vocabulary import RuleId

if TYPE_CHECKING:
    from pcmbn.catalog import Catalog

log = logging.getLogger(__name__)

RECEPTION_LOG = "received.csv"
#: Files in an inbox that are the office's own bookkeeping, not submissions.
BOOKKEEPING = {RECEPTION_LOG, "manifest.csv", "README.md", "readme.txt", "Thumbs.db", ".DS_Store"}
#: Files operating systems and office suites leave behind (compared case-insensitively).
LITTER = {"thumbs.db", "desktop.ini", ".ds_store", "ehthumbs.db", "icon\r"}
#: A reception log larger than this is not a mail gateway's log (read whole, so bounded).
LOG_MAX_BYTES = 10 * 1024 * 1024
#: How much of an over-sized file is hashed to record it without copying it.
HEAD_BYTES = 64 * 1024


@dataclass(frozen=True)
class InboxFile:
    url: str  # where it is in the inbox (fsspec path)
    name: str  # the original file name (NFC, control characters replaced)
    received_at: datetime
    sender: str | None = None  # unit code from the reception log, when it says
    refusal: Refused | None = None  # set when the entry must not be opened or copied
    size: int | None = None  # from lstat, when listed locally


@dataclass(frozen=True)
class Received:
    """A file after archiving: its fingerprint and where the original is kept."""

    name: str
    received_at: datetime
    sender: str | None
    sha256: str
    size: int
    archive_path: str  # "" when refused at intake (nothing was copied)
    local_path: Path  # a readable local copy (the archived file itself when local)
    refusal: Refused | None = None  # refused at intake: never opened by the reader


def resolve_inbox(inbox: str, plan_id: str, period: Period) -> str:
    """A given inbox may hold one folder per period (or per plan and period), named by the
    period's code: use it if so."""
    fs, root = url_to_fs(inbox)
    for candidate in (
        f"{root.rstrip('/')}/{period.code}",
        f"{root.rstrip('/')}/{plan_id}/{period.code}",
    ):
        if fs.isdir(candidate):
            return _url(fs, candidate)
    return inbox


def collect_inbox(inbox: str, limits: Limits | None = None) -> list[InboxFile]:
    """Every file under the inbox (recursively), with the time each was received.

    Entries that are not regular files, or that are empty or over the size cap, come back
    with a `refusal` (and are never opened); OS litter and dot-files are left out.
    """
    limits = limits or Limits()
    fs, root = url_to_fs(inbox)
    if not fs.exists(root):
        return []
    if is_local(fs):
        listed = sorted(_scan_local(Path(root)))  # full-path order, as fs.find gives it
        logs = [p for p, kind, size in listed if kind == "log" and (size or 0) <= LOG_MAX_BYTES]
        if len(logs) < sum(1 for _, kind, _ in listed if kind == "log"):
            log.warning("ignoring reception logs over %d bytes", LOG_MAX_BYTES)
        entries = [(path, kind, size) for path, kind, size in listed if kind != "log"]
    else:
        found = fs.find(root)
        logs = [p for p in found if PurePosixPath(p).name == RECEPTION_LOG]
        entries = [(p, "file", None) for p in sorted(found) if _is_submission(p)]
    base = PurePosixPath(Path(root).as_posix() if is_local(fs) else root.rstrip("/"))
    times = _reception_logs(fs, logs, base)
    files = []
    for path, kind, size in entries:
        name = safe_name(PurePosixPath(path).name)
        received, sender = times.get(_inbox_key(base, path), (None, None))
        refusal = _refusal(name, kind, size, limits)
        when = received or (_lmodified(path) if is_local(fs) else _modified(fs, path))
        files.append(InboxFile(_url(fs, path), name, when, sender, refusal, size))
    return files


def safe_name(name: str) -> str:
    """A received name as it is compared and shown: NFC, control characters (newlines, tabs,
    bidi overrides, line separators) replaced by "_", at most 255 characters."""
    text = unicodedata.normalize("NFC", name)
    cleaned = "".join(
        "_" if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") else char for char in text
    )
    return cleaned.strip()[:255] or "_"


_KIND_VI = {
    "symlink": "liên kết tượng trưng (symlink)",
    "fifo": "đường ống FIFO",
    "device": "tệp thiết bị",
    "socket": "socket",
    "directory": "thư mục đặt tên như tệp báo cáo",
    "other": "loại tệp đặc biệt",
}


def _refusal(name: str, kind: str, size: int | None, limits: Limits) -> Refused | None:
    if kind in _KIND_VI:
        return Refused(RuleId.FILE_NOT_REGULAR, {"name": name, "kind": _KIND_VI[kind]}, kind)
    if size == 0:
        return Refused(RuleId.FILE_EMPTY, {}, "0 bytes at intake")
    if size is not None and size > limits.max_bytes:
        return Refused(
            RuleId.FILE_TOO_LARGE,
            {"size": human_size(size), "limit": human_size(limits.max_bytes)},
            f"{size} bytes > {limits.max_bytes} at intake",
        )
    return None


def _scan_local(root: Path) -> Iterator[tuple[str, str, int | None]]:
    """(path, kind, size) under a local inbox, never following a symlink, in name order.

    kind is "file", "log" (a reception log), or why the entry is refused: symlink, fifo,
    device, socket, directory (a folder named like a workbook, not descended), other.
    """
    try:
        entries = sorted(os.scandir(root), key=lambda entry: entry.name)
    except OSError as exc:
        log.warning("cannot list %s: %s", root, exc)
        return
    for entry in entries:
        name = entry.name
        if _litter(name):
            log.info("ignored %s (an Office lock file, a hidden file or OS litter)", entry.path)
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError as exc:
            log.warning("cannot lstat %s: %s", entry.path, exc)
            continue
        mode = info.st_mode
        if stat.S_ISLNK(mode):
            yield entry.path, "symlink", None
        elif stat.S_ISDIR(mode):
            if name.lower().endswith(ACCEPTED_EXTENSIONS):
                yield entry.path, "directory", None
            else:
                yield from _scan_local(Path(entry.path))
        elif stat.S_ISREG(mode):
            if name == RECEPTION_LOG:
                yield entry.path, "log", info.st_size
            elif name not in BOOKKEEPING:
                yield entry.path, "file", info.st_size
        elif stat.S_ISFIFO(mode):
            yield entry.path, "fifo", None
        elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
            yield entry.path, "device", None
        elif stat.S_ISSOCK(mode):
            yield entry.path, "socket", None
        else:
            yield entry.path, "other", None


def _litter(name: str) -> bool:
    """Dot-files, Office lock files (~$…), AppleDouble (._…) and the OS's own files."""
    return name.startswith((".", "~$")) or name.lower() in LITTER or name == "__MACOSX"


def _lmodified(path: str) -> datetime:
    try:
        return datetime.fromtimestamp(os.lstat(path).st_mtime, tz=UTC)
    except OSError:
        return datetime.now(tz=UTC)


def _is_submission(path: str) -> bool:
    parts = PurePosixPath(path).parts
    return (
        parts[-1] not in BOOKKEEPING
        and not _litter(parts[-1])
        and not any(p.startswith(".") for p in parts[-2:])
    )


def _url(fs: fsspec.AbstractFileSystem, path: str) -> str:
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    return path if protocol in ("file", "local") else f"{protocol}://{path}"


def _modified(fs: fsspec.AbstractFileSystem, path: str) -> datetime:
    info = fs.info(path)
    stamp = info.get("mtime") or info.get("LastModified") or info.get("created")
    if isinstance(stamp, datetime):
        return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
    if isinstance(stamp, int | float):
        return datetime.fromtimestamp(stamp, tz=UTC)
    return datetime.now(tz=UTC)


def _inbox_key(base: PurePosixPath, path: str) -> str:
    """A file's key in the reception logs: its path relative to the inbox, each part as
    `safe_name` gives it ("CongAn/BaoCao.xlsx"), so two folders' same names never share a row."""
    where = PurePosixPath(Path(path).as_posix() if "://" not in path else path)
    try:
        parts = where.relative_to(base).parts
    except ValueError:
        parts = (where.name,)
    return "/".join(safe_name(part) for part in parts)


def _log_row_key(folder: tuple[str, ...], listed: str) -> str | None:
    """The inbox key of a log row: `file` is relative to the log's own folder (a log in a
    sub-folder describes the files there; a row may name a deeper "Sub/file"). None for a row
    pointing outside that folder."""
    parts = [part for part in listed.split("/") if part not in ("", ".")]
    if not parts or ".." in parts:
        return None
    return "/".join(safe_name(part) for part in (*folder, *parts))


def _reception_logs(
    fs: fsspec.AbstractFileSystem, logs: list[str], base: PurePosixPath
) -> dict[str, tuple[datetime, str | None]]:
    """inbox key (`_inbox_key`: the path relative to the inbox) -> (time received, sender unit
    code if the log has a `unit_code` column). A log describes the files of its own folder. A
    malformed row is reported and skipped; the other rows still count."""
    times: dict[str, tuple[datetime, str | None]] = {}
    for path in logs:
        folder = tuple(_inbox_key(base, path).split("/")[:-1])
        try:
            text = fs.cat_file(path).decode("utf-8-sig")
        except (UnicodeDecodeError, OSError) as exc:
            log.warning("ignoring unreadable reception log %s: %s", path, exc)
            continue
        try:
            reader = csv.DictReader(io.StringIO(text, newline=""))
            if not reader.fieldnames or not {"file", "received_at"} <= set(reader.fieldnames):
                log.warning("reception log %s lacks the file/received_at columns", path)
                continue
            for number, row in enumerate(reader, start=2):
                try:
                    when = datetime.fromisoformat((row["received_at"] or "").strip())
                    when = when if when.tzinfo else when.replace(tzinfo=OFFICE_TZ)
                    if not (row["file"] or "").strip():
                        raise ValueError("empty file name")
                    key = _log_row_key(folder, (row["file"] or "").strip())
                    if key is None:
                        raise ValueError("a file outside the log's folder")
                except (KeyError, ValueError, TypeError, AttributeError) as exc:
                    log.warning(
                        "Nhật ký nhận tệp %s, dòng %d không hợp lệ (%s): bỏ qua dòng này.",
                        path,
                        number,
                        exc,
                    )
                    continue
                sender = (row.get("unit_code") or "").strip().upper() or None
                times[key] = (when, sender)
        except csv.Error as exc:
            log.warning("reception log %s stops being CSV here: %s", path, exc)
    return times


@contextmanager
def open_regular(path: str) -> Iterator[IO[bytes]]:
    """Open a local inbox file for reading only if it is a regular file, without following a
    symlink and without blocking (a FIFO swapped in after listing would hang a plain open)."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotRegular(path)
        os.set_blocking(fd, True)
        handle = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with handle:
        yield handle


class NotRegular(OSError):
    """The entry stopped being a regular file between listing and opening."""


class _Oversized(Exception):
    """A file passed the size cap while being copied."""


#: errno of an open refused because the entry became a symlink, a FIFO without writer, etc.
_SWAPPED = (errno.ELOOP, errno.ENXIO, errno.EMLINK)


def _refused_receipt(item: InboxFile, refusal: Refused, head: bytes = b"") -> Received:
    """What is recorded of a refused entry: a key from its name, kind and first bytes."""
    key = hashlib.sha256(
        b"refused\0" + item.url.encode("utf-8", "surrogateescape") + b"\0" + head
    ).hexdigest()
    return Received(
        item.name,
        item.received_at,
        item.sender,
        key,
        item.size or 0,
        "",
        Path(item.name),
        refusal,
    )


def refused_entries(received: Iterable[Received], catalog: Catalog) -> list[dict[str, str]]:
    """What intake refused without opening or copying it, for the officer: name, the rule id
    (`reason_code`: `file.not_regular`, `file.empty`, `file.too_large`) and the Vietnamese
    message. The `refused` list of `pcmbn run --format json` (README); the reader's own
    rejections (a damaged workbook, a zip bomb) are rejected submissions, not listed here."""
    return [
        {
            "name": item.name,
            "reason_code": str(item.refusal.rule),
            "message": catalog.rule(item.refusal.rule).render(**item.refusal.params),
        }
        for item in received
        if item.refusal is not None
    ]


def archive_file(item: InboxFile, archive_root: str, scratch: Path) -> Received:
    """Copy one inbox file into the archive (streamed; written once, never overwritten).

    A refused entry is recorded, not copied: an over-sized file by the sha256 of its first
    `HEAD_BYTES`, anything else by its name."""
    src_fs, src_path = url_to_fs(item.url)
    if item.refusal is not None:
        head = b""
        if item.refusal.rule == RuleId.FILE_TOO_LARGE and is_local(src_fs):
            try:
                with open_regular(src_path) as source:
                    head = source.read(HEAD_BYTES)
            except OSError as exc:
                log.warning("cannot read the head of %s: %s", src_path, exc)
        return _refused_receipt(item, item.refusal, head)
    dst_fs, dst_root = url_to_fs(archive_root)
    digest = hashlib.sha256()
    size = 0
    scratch.mkdir(parents=True, exist_ok=True)
    tmp_local = scratch / f".incoming-{hashlib.sha1(item.url.encode()).hexdigest()}"
    cap = Limits().max_bytes
    try:
        opened = open_regular(src_path) if is_local(src_fs) else src_fs.open(src_path, "rb")
        with opened as source, tmp_local.open("wb") as copy:
            for chunk in iter(lambda: source.read(1 << 20), b""):
                digest.update(chunk)
                size += len(chunk)
                if size > cap:  # grew after listing, or a remote inbox that lists no sizes
                    raise _Oversized(size)
                copy.write(chunk)
    except _Oversized:
        tmp_local.unlink(missing_ok=True)
        refusal = Refused(
            RuleId.FILE_TOO_LARGE,
            {"size": f"hơn {human_size(cap)}", "limit": human_size(cap)},
            "over the cap while copying",
        )
        return _refused_receipt(item, refusal)
    except OSError as exc:
        tmp_local.unlink(missing_ok=True)
        if not isinstance(exc, NotRegular | IsADirectoryError) and exc.errno not in _SWAPPED:
            raise
        kind = "symlink" if exc.errno == errno.ELOOP else "other"
        refusal = Refused(
            RuleId.FILE_NOT_REGULAR,
            {"name": item.name, "kind": _KIND_VI[kind]},
            f"changed after listing: {exc!r}",
        )
        return _refused_receipt(item, refusal)
    sha = digest.hexdigest()
    suffix = PurePosixPath(item.name).suffix.lower()[:10]
    relative = f"{sha[:2]}/{sha}{suffix}"
    target = f"{dst_root.rstrip('/')}/{relative}"
    if not dst_fs.exists(target):
        dst_fs.makedirs(f"{dst_root.rstrip('/')}/{sha[:2]}", exist_ok=True)
        tag = hashlib.sha1(item.url.encode()).hexdigest()[:8]
        atomic_put(dst_fs, tmp_local, target, crash_point="archive", tag=tag)
    local = Path(target) if is_local(dst_fs) else scratch / f"{sha}{suffix}"
    if is_local(dst_fs):
        tmp_local.unlink(missing_ok=True)
    else:
        tmp_local.replace(local)
    return Received(
        item.name, item.received_at, item.sender, sha, size, _url(dst_fs, target), local
    )


def is_local(fs: fsspec.AbstractFileSystem) -> bool:
    """True for the local disk (paths can be handed to openpyxl as they are)."""
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    return protocol in ("file", "local")


def office_time(moment: datetime) -> datetime:
    """A received time as the office reads it (Asia/Ho_Chi_Minh)."""
    return moment.astimezone(OFFICE_TZ)
