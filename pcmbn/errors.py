"""Expected failures, each carrying one Vietnamese line for the data officer.

Anything raised as a `PcmbnError` is a situation the user can fix (a wrong catalog entry, an
unknown plan, a badly written period). The CLI prints its message as a single line and exits;
other exceptions are bugs, logged with their traceback to the log file only.
"""

from __future__ import annotations

from pathlib import Path


class PcmbnError(Exception):
    """Base of every expected failure; `str()` is the Vietnamese message shown to users."""

    exit_code = 1


class UsageError(PcmbnError):
    """The command was called with arguments that cannot work together (exit code 2)."""

    exit_code = 2


class OutputLocked(PcmbnError):
    """An output file cannot be replaced: open in Excel (Windows locks it), read-only, or a
    folder is in its place. Raised by `office.atomic.atomic_write`; the old file stays intact."""

    def __init__(self, path: object) -> None:
        self.path = Path(str(path))
        super().__init__(
            f"Không thay được tệp {self.path} (tệp đang mở, chỉ đọc hoặc bị khóa). "
            f"Hãy đóng tệp {self.path.name} rồi chạy lại."
        )

    def __reduce__(self) -> tuple[type[OutputLocked], tuple[Path]]:
        return (type(self), (self.path,))  # Prefect pickles task failures: keep the path


class CatalogError(PcmbnError):
    """A file under `schemas/` is wrong; the message names the file and the entry."""
