"""Files that appear complete or not at all.

Every output is written under a hidden temporary name beside its target (`.<name>.part`), flushed
to disk and renamed into place. A crash, a Prefect retry or a user opening the folder therefore
never sees half a file under a final name: at worst a hidden `.part` file stays behind, which the
next run overwrites and `storage.publish` never uploads. On an ordinary failure (an exception) the
temporary file is removed and the exception re-raised; the old target, if any, stays intact.

Files that belong together (a zip and its `.sha256`) go through `atomic_write_many`: every
temporary file is complete before the first rename, and the last file (the seal that describes
the others) is removed before and renamed after them, so whatever moment a crash picks, a seal
present always describes the files beside it.

`crash_point` names one of `pcmbn.faults.POINTS`: the process may be killed there, between the
temporary file being complete and the rename, which is where a power cut would hurt.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from pcmbn import faults
from pcmbn.errors import OutputLocked

if TYPE_CHECKING:
    import fsspec  # the callers hand a filesystem in; `pcmbn check` need not import it

__all__ = [
    "PART_SUFFIX",
    "atomic_folder",
    "atomic_put",
    "atomic_write",
    "atomic_write_many",
    "part_name",
]

#: The suffix of every unfinished write; the crash tests and `publish` rely on it.
PART_SUFFIX = ".part"

#: What `atomic_write` accepts: the bytes, a text (UTF-8), or a function writing the file.
Payload = bytes | str | Callable[[Path], object]


def part_name(path: Path) -> Path:
    """The hidden temporary name beside `path` (`dir/.name.part`)."""
    return path.with_name(f".{path.name}{PART_SUFFIX}")


def atomic_write(
    path: Path,
    payload: Payload,
    *,
    crash_point: str | None = None,
    encoding: str = "utf-8",
) -> Path:
    """Write `payload` to `path` atomically; return `path`.

    `payload` is the content (bytes, or text encoded with `encoding`) or a callable that writes
    the file at the temporary path it is given (e.g. `frame.to_parquet`, `workbook.save`).

    A target that cannot be replaced (open in Excel on Windows, read-only, a folder in its
    place) raises `OutputLocked` naming it, so the user is told to close the file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = part_name(path)
    try:
        return _atomic_write(path, tmp, payload, crash_point, encoding)
    except (PermissionError, IsADirectoryError) as exc:
        raise OutputLocked(path) from exc


def _atomic_write(
    path: Path, tmp: Path, payload: Payload, crash_point: str | None, encoding: str
) -> Path:
    try:
        _write_temp(tmp, payload, encoding)
        if crash_point is not None:
            faults.crash_point(crash_point)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def _write_temp(tmp: Path, payload: Payload, encoding: str) -> None:
    """The whole payload at `tmp`, flushed to disk."""
    if callable(payload):
        payload(tmp)
        _fsync(tmp)
    else:
        data = payload.encode(encoding) if isinstance(payload, str) else payload
        with tmp.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())


def atomic_write_many(
    items: Sequence[tuple[Path, Payload]],
    *,
    crash_point: str | None = None,
    encoding: str = "utf-8",
) -> list[Path]:
    """Write files that must agree (a zip and its checksum); the last one is the seal.

    All temporary files are written and flushed first; a failure there removes every one and
    leaves every target as it was. Then the seal's old file is removed, the others are renamed
    into place in order and the seal last. A crash between two renames (POSIX cannot rename two
    files at once) leaves new files without a seal, never a seal describing other bytes: a
    reader that trusts the seal trusts only what it describes, and the next write puts both.
    `crash_point` fires once every temporary file is complete, before the first rename.
    """
    if not items:
        return []
    temps = [(path, part_name(path)) for path, _ in items]
    try:
        for (path, tmp), (_, payload) in zip(temps, items, strict=True):
            path.parent.mkdir(parents=True, exist_ok=True)
            _write_temp(tmp, payload, encoding)
        if crash_point is not None:
            faults.crash_point(crash_point)
        *parts, (seal, seal_tmp) = temps
        seal.unlink(missing_ok=True)
        for path, tmp in parts:
            os.replace(tmp, path)
        os.replace(seal_tmp, seal)
    except BaseException as exc:
        for _, tmp in temps:
            tmp.unlink(missing_ok=True)
        if isinstance(exc, PermissionError | IsADirectoryError):
            named = {str(exc.filename), str(exc.filename2)}
            raise OutputLocked(
                next((p for p, t in temps if {str(p), str(t)} & named), temps[0][0])
            ) from exc
        raise
    return [path for path, _ in temps]


@contextmanager
def atomic_folder(path: Path, *, crash_point: str | None = None) -> Iterator[Path]:
    """Fill a hidden staging folder, then put it in place of `path` in one rename.

    Yields the staging folder. When the block ends normally the old `path` (if any) is removed
    and the staging folder renamed to `path`; when it raises, the staging folder is removed and
    `path` stays as it was.
    """
    staging = part_name(path)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        yield staging
        if crash_point is not None:
            faults.crash_point(crash_point)
        shutil.rmtree(path, ignore_errors=True)
        staging.replace(path)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def atomic_put(
    fs: fsspec.AbstractFileSystem,
    source: Path | bytes,
    target: str,
    *,
    crash_point: str | None = None,
    tag: str = "",
) -> str:
    """Upload a local file (or bytes) to `target` on `fs` via a `.part` name, then move; return it.

    `tag` makes the temporary name unique when several writers may race for one target (the
    archive is content-addressed: two copies of one file land on the same name). Object stores
    have no rename; `mv` is copy-and-delete there, still never exposing a partial object.
    """
    partial = f"{target}{PART_SUFFIX}" + (f"-{tag}" if tag else "")
    try:
        if isinstance(source, bytes):
            with fs.open(partial, "wb") as handle:
                handle.write(source)
        else:
            fs.put_file(str(source), partial)
        if crash_point is not None:
            faults.crash_point(crash_point)
        fs.mv(partial, target)
    except BaseException:
        _remove_quietly(fs, partial)
        raise
    return target


def _fsync(path: Path) -> None:
    """Flush a file another library wrote (and closed) to disk before it is renamed."""
    if path.is_file():
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _remove_quietly(fs: fsspec.AbstractFileSystem, path: str) -> None:
    """Best-effort cleanup: the original error matters more than a failed delete."""
    try:
        if fs.exists(path):
            fs.rm(path)
    except Exception:  # noqa: BLE001 - cleanup must not hide the error being raised
        pass
