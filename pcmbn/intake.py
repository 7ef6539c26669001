"""Collect what units sent, fingerprint it and archive every original before reading it.

The inbox is a local folder by default and any fsspec URL by configuration. The archive is
content-addressed (`<archive>/<sha[:2]>/<sha256><ext>`): a file is written once under a temporary
name and renamed into place, never overwritten, never deleted, so whatever happens next the
original is kept. When time received is known from a reception log (`received.csv`: file,
received_at — what a mail gateway or document system records), it wins over file times.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

import fsspec
from fsspec.core import url_to_fs

from pcmbn.clock import OFFICE_TZ
from pcmbn.office.atomic import atomic_put
from pcmbn.periods import Period

log = logging.getLogger(__name__)

RECEPTION_LOG = "received.csv"
#: Files in an inbox that are the office's own bookkeeping, not submissions.
BOOKKEEPING = {RECEPTION_LOG, "manifest.csv", "README.md", "readme.txt", "Thumbs.db", ".DS_Store"}


@dataclass(frozen=True)
class InboxFile:
    url: str  # where it is in the inbox (fsspec path)
    name: str  # the original file name
    received_at: datetime
    sender: str | None = None  # unit code from the reception log, when it says


@dataclass(frozen=True)
class Received:
    """A file after archiving: its fingerprint and where the original is kept."""

    name: str
    received_at: datetime
    sender: str | None
    sha256: str
    size: int
    archive_path: str
    local_path: Path  # a readable local copy (the archived file itself when local)


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


def collect_inbox(inbox: str) -> list[InboxFile]:
    """Every file under the inbox (recursively), with the time each was received."""
    fs, root = url_to_fs(inbox)
    if not fs.exists(root):
        return []
    paths = sorted(p for p in fs.find(root) if _is_submission(p))
    logs = _reception_logs(fs, [p for p in fs.find(root) if PurePosixPath(p).name == RECEPTION_LOG])
    files = []
    for path in paths:
        name = PurePosixPath(path).name
        received, sender = logs.get(name, (None, None))
        files.append(InboxFile(_url(fs, path), name, received or _modified(fs, path), sender))
    return files


def _is_submission(path: str) -> bool:
    parts = PurePosixPath(path).parts
    return parts[-1] not in BOOKKEEPING and not any(p.startswith(".") for p in parts[-2:])


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


def _reception_logs(
    fs: fsspec.AbstractFileSystem, logs: list[str]
) -> dict[str, tuple[datetime, str | None]]:
    """file name -> (time received, sender unit code if the log has a `unit_code` column)."""
    times: dict[str, tuple[datetime, str | None]] = {}
    for path in logs:
        try:
            text = fs.cat_file(path).decode("utf-8-sig")
            for row in csv.DictReader(io.StringIO(text)):
                when = datetime.fromisoformat(row["received_at"].strip())
                when = when if when.tzinfo else when.replace(tzinfo=OFFICE_TZ)
                sender = (row.get("unit_code") or "").strip().upper() or None
                times[row["file"].strip()] = (when, sender)
        except (KeyError, ValueError, UnicodeDecodeError, OSError) as exc:
            log.warning("ignoring unreadable reception log %s: %s", path, exc)
    return times


def archive_file(item: InboxFile, archive_root: str, scratch: Path) -> Received:
    """Copy one inbox file into the archive (streamed; written once, never overwritten)."""
    src_fs, src_path = url_to_fs(item.url)
    dst_fs, dst_root = url_to_fs(archive_root)
    digest = hashlib.sha256()
    size = 0
    scratch.mkdir(parents=True, exist_ok=True)
    tmp_local = scratch / f".incoming-{hashlib.sha1(item.url.encode()).hexdigest()}"
    with src_fs.open(src_path, "rb") as source, tmp_local.open("wb") as copy:
        for chunk in iter(lambda: source.read(1 << 20), b""):
            digest.update(chunk)
            size += len(chunk)
            copy.write(chunk)
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
