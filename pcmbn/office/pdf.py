"""PDF renditions of the office's documents with LibreOffice, when the machine has it.

A leader prints the report and its appendix; the PDF fixes their pagination as LibreOffice lays
them out (with Liberation Serif standing in for Times New Roman: `scripts/pdf_fonts.sh`). Each
call runs one `soffice --headless --convert-to pdf` for all its documents in its own throw-away
user profile (two conversions sharing the default profile block each other or fail) and under a
timeout.
In the service a warm LibreOffice (`office.soffice.WarmOffice`, registered with `use_warm`)
converts instead, without that start; should it fail, the cold path above still runs.
Without LibreOffice the caller says so and carries on: a packet never fails for want of a PDF.
"""

from __future__ import annotations

import hashlib
import logging
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pcmbn.office.soffice import WarmOffice, WarmOffices

__all__ = [
    "PDF_TIMEOUT_SECONDS",
    "PdfError",
    "soffice",
    "stable_pdf",
    "to_pdf",
    "use_warm",
    "warm_office",
]

log = logging.getLogger(__name__)

PDF_TIMEOUT_SECONDS = 180
_NAMES = ("soffice", "libreoffice")
#: The process's warm LibreOffice (the service registers one), else None: the cold path.
_WARM: list[WarmOffice | WarmOffices] = []


class PdfError(RuntimeError):
    """LibreOffice ran but produced no PDF (timeout, crash, unreadable input)."""


def soffice() -> str | None:
    """The LibreOffice executable on PATH, or None when the machine has none."""
    return next((found for name in _NAMES if (found := shutil.which(name))), None)


def use_warm(office: WarmOffice | WarmOffices | None) -> None:
    """Send this process's conversions to `office` (None: back to one LibreOffice per call)."""
    _WARM.clear()
    if office is not None:
        _WARM.append(office)


def warm_office() -> WarmOffice | WarmOffices | None:
    """The registered warm LibreOffice, when it is running."""
    return next((office for office in _WARM if office.alive), None)


def to_pdf(
    sources: Sequence[Path], out_dir: Path, timeout: float = PDF_TIMEOUT_SECONDS
) -> list[Path]:
    """Convert each source (docx, xlsx) to `out_dir/<stem>.pdf`; return the PDFs' paths.

    One LibreOffice start converts them all (each start costs seconds, more than a short
    document's conversion), unless two sources share a stem; `timeout` is per source.
    Raises `PdfError` when LibreOffice is missing or a conversion fails; callers that must not
    fail check `soffice()` first and report the absence in words. With a warm LibreOffice
    (`use_warm`) it converts them, one after the other, and the cold path is the fallback.
    """
    warm = warm_office()
    if warm is not None and sources:
        from pcmbn.office.soffice import WarmOfficeError

        out_dir.mkdir(parents=True, exist_ok=True)
        if len({source.stem for source in sources}) == len(sources):
            try:
                return warm.convert(sources, out_dir, timeout * len(sources))
            except WarmOfficeError as error:
                log.warning("warm LibreOffice failed (%s); converting the cold way", error)
    program = soffice()
    if program is None:
        raise PdfError("LibreOffice (soffice) is not installed")
    out_dir.mkdir(parents=True, exist_ok=True)
    together = len({source.stem for source in sources}) == len(sources)
    batches = [list(sources)] if together else [[source] for source in sources]
    made: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="pcmbn-lo-") as profile:
        for batch in batches:
            if batch:
                made += _convert(program, Path(profile), batch, out_dir, timeout * len(batch))
    return made


def _convert(
    program: str, profile: Path, sources: list[Path], out_dir: Path, timeout: float
) -> list[Path]:
    """One `soffice --convert-to pdf` of `sources`; each PDF checked for."""
    command = [
        program,
        "--headless",
        "--norestore",
        f"-env:UserInstallation={profile.as_uri()}",
        "--convert-to",
        "pdf",
        "--outdir",
        str(out_dir),
        *(str(source) for source in sources),
    ]
    names = ", ".join(source.name for source in sources)
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as error:
        raise PdfError(f"{names}: LibreOffice timed out after {timeout} s") from error
    targets = [out_dir / f"{source.stem}.pdf" for source in sources]
    missing = [s.name for s, t in zip(sources, targets, strict=True) if not t.is_file()]
    if done.returncode != 0 or missing:
        detail = (done.stderr or done.stdout).strip()[-300:]
        raise PdfError(f"{', '.join(missing) or names}: no PDF (exit {done.returncode}) {detail}")
    return targets


_CREATED = re.compile(rb"(/(?:CreationDate|ModDate)\s*\(D:)(\d{14})")
_IDS = re.compile(rb"(/ID\s*\[\s*<)([0-9A-Fa-f]{32})(>\s*<)([0-9A-Fa-f]{32})(>)")
_CHECKSUM = re.compile(rb"(/DocChecksum\s*/)([0-9A-Fa-f]{32})")


def stable_pdf(payload: bytes, when: datetime) -> bytes:
    """The PDF with its creation time set to `when` and its ids derived from its content.

    LibreOffice stamps the clock and a random id into each PDF; the packet's checksum is
    published, so the same data must give the same bytes. Each value is replaced by one of the
    same length, which keeps the cross-reference offsets valid.
    """
    stamp = when.strftime("%Y%m%d%H%M%S").encode()
    dated = _CREATED.sub(lambda m: m.group(1) + stamp, payload)
    blank = _CHECKSUM.sub(lambda m: m.group(1) + b"0" * 32, _IDS.sub(b"", dated))
    digest = hashlib.md5(blank, usedforsecurity=False).hexdigest().upper().encode()
    ided = _IDS.sub(lambda m: m.group(1) + digest + m.group(3) + digest + m.group(5), dated)
    return _CHECKSUM.sub(lambda m: m.group(1) + digest, ided)
