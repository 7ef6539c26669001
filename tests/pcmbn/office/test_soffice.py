"""`office.soffice.WarmOffice`: the service's warm LibreOffice, driven over UNO by its worker.

Real LibreOffice, real PDFs: a DOCX and an XLSX converted warm give the same bytes (once
`stable_pdf` fixes the clock) as the cold `soffice --convert-to`; a LibreOffice killed under the
worker is started again, a worker killed is started again by `ensure`, and `stop` leaves no
LibreOffice process behind. `to_pdf` with a warm office registered starts no LibreOffice.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from pcmbn.office.pdf import soffice, stable_pdf, to_pdf, use_warm
from pcmbn.office.soffice import WarmOffice, WarmOffices

from .test_pdf import _documents, counted  # noqa: F401 (the fixture)

WHEN = datetime(2021, 12, 1, tzinfo=UTC)


def office_processes(folder: Path) -> list[int]:
    """Pids of the processes whose command line names `folder` (the office's profile)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if str(folder).encode() in command and b"soffice" in command:
            found.append(int(entry.name))
    return found


def _soffice_bin(folder: Path) -> int:
    """The pid of the LibreOffice program itself (`soffice.bin`) using `folder`'s profile."""
    for pid in office_processes(folder):
        with open(f"/proc/{pid}/comm", encoding="utf-8") as comm:
            if comm.read().strip().startswith("soffice.bin"):
                return pid
    raise AssertionError(f"no soffice.bin for {folder}")


@pytest.fixture
def office(tmp_path: Path) -> Iterator[WarmOffice]:
    if soffice() is None or (warm := WarmOffice.for_home(tmp_path / "home")) is None:
        if os.environ.get("CI") == "true":
            pytest.fail("LibreOffice or python3-uno is missing on CI: .ci/run installs them")
        pytest.skip("LibreOffice with its uno module is not installed")
    warm.start()
    assert warm.wait_ready(), (tmp_path / "home" / "logs" / "office.log").read_text()
    try:
        yield warm
    finally:
        use_warm(None)
        warm.stop()


def _texts(pdf: Path) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(pdf).pages]


def test_warm_office_converts_a_docx_and_an_xlsx_as_the_cold_path(
    office: WarmOffice, tmp_path: Path
) -> None:
    sources = _documents(tmp_path)
    warm = office.convert(sources, tmp_path / "warm", timeout=120)
    cold = to_pdf(sources, tmp_path / "cold")
    assert [p.name for p in warm] == ["BaoCao_so_ket.pdf", "TomTatSoLieu.pdf", "PhuLucSoLieu.pdf"]
    assert "TÓM TẮT SỐ LIỆU" in _texts(warm[1])[0]
    assert "Chỉ tiêu Số vụ" in _texts(warm[2])[0]
    for made, expected in zip(warm, cold, strict=True):
        assert len(PdfReader(made).pages) == len(PdfReader(expected).pages)
        assert _texts(made) == _texts(expected)
        assert stable_pdf(made.read_bytes(), WHEN) == stable_pdf(expected.read_bytes(), WHEN)


def test_to_pdf_goes_to_the_warm_office_without_starting_libreoffice(
    office: WarmOffice,
    counted: Path,  # noqa: F811 (the fixture)
    tmp_path: Path,
) -> None:
    use_warm(office)
    made = to_pdf(_documents(tmp_path), tmp_path / "pdf")
    assert [p.name for p in made] == ["BaoCao_so_ket.pdf", "TomTatSoLieu.pdf", "PhuLucSoLieu.pdf"]
    assert all(p.parent == tmp_path / "pdf" for p in made)
    assert not counted.exists()  # no `soffice` started for it


def test_a_killed_libreoffice_is_started_again(office: WarmOffice, tmp_path: Path) -> None:
    profile = office.folder
    first = _soffice_bin(profile)
    os.kill(first, signal.SIGKILL)
    # Killed between requests: the next conversion still works, with a new LibreOffice.
    made = office.convert(_documents(tmp_path), tmp_path / "pdf", timeout=180)
    assert len(made) == 3 and all(p.is_file() for p in made)
    assert _soffice_bin(profile) != first
    log = (tmp_path / "home" / "logs" / "office.log").read_text(encoding="utf-8")
    assert "starting it again" in log


def test_a_killed_worker_is_started_again_by_ensure(office: WarmOffice, tmp_path: Path) -> None:
    worker = office.pid
    assert worker is not None
    os.killpg(worker, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while office.alive and time.monotonic() < deadline:
        time.sleep(0.05)
    office.ensure()
    assert office.pid != worker and office.restarts == 1
    made = office.convert(_documents(tmp_path), tmp_path / "pdf", timeout=180)
    assert len(made) == 3


def test_stop_leaves_no_libreoffice_behind(office: WarmOffice) -> None:
    assert office_processes(office.folder)
    office.stop()
    deadline = time.monotonic() + 10
    while office_processes(office.folder) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert office_processes(office.folder) == []
    assert not office.alive
    office.ensure()  # a stopped office stays stopped
    assert not office.alive


class _Office:
    """A stand-in `WarmOffice`: ready or not, and a conversion that waits until released."""

    def __init__(self, name: str, ready: bool = True) -> None:
        self.name, self.ready, self.busy = name, ready, 0
        self.took: list[str] = []
        self.release = threading.Event()

    def convert(self, sources: list[Path], out_dir: Path, timeout: float) -> list[Path]:
        self.took.append(sources[0].name)
        assert self.release.wait(10)
        return sources


def test_a_request_goes_to_the_least_busy_office() -> None:
    """The appendix keeps one office busy: the report goes to the other; a starting office is
    chosen only when no ready one is free; a finished request frees its office."""
    first, second, starting = _Office("1"), _Office("2"), _Office("3", ready=False)
    offices = WarmOffices([starting, first, second])  # type: ignore[list-item]
    appendix = threading.Thread(target=offices.convert, args=([Path("PhuLuc.xlsx")], Path("."), 10))
    appendix.start()
    while first.busy == 0:
        time.sleep(0.01)
    report = threading.Thread(target=offices.convert, args=([Path("BaoCao.docx")], Path("."), 10))
    report.start()
    while second.busy == 0:
        time.sleep(0.01)
    assert (first.took, second.took, starting.took) == (["PhuLuc.xlsx"], ["BaoCao.docx"], [])
    first.release.set()
    second.release.set()
    appendix.join(10)
    report.join(10)
    assert first.busy == second.busy == 0
    offices.convert([Path("TomTat.docx")], Path("."), 10)
    assert first.took == ["PhuLuc.xlsx", "TomTat.docx"] and starting.took == []
