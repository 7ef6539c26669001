"""`office.pdf.to_pdf`: one LibreOffice start for all of a packet's documents (each start costs
seconds on two cores, more than converting a short document), real PDFs out.

The real `soffice` runs; a wrapper put first on PATH only notes each start before handing over
to it, so the test counts starts without changing what LibreOffice does.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import docx
import openpyxl
import pytest
from pypdf import PdfReader

from pcmbn.office.pdf import soffice, to_pdf


def _need_libreoffice() -> str:
    found = soffice()
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("LibreOffice (soffice) is missing on CI: .ci/run installs it")
        pytest.skip("LibreOffice (soffice) is not installed: no PDF to check")
    return found


@pytest.fixture
def counted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A PATH whose `soffice` appends a line to the returned log, then runs the real one."""
    real = _need_libreoffice()
    bin_dir, log = tmp_path / "bin", tmp_path / "starts.log"
    bin_dir.mkdir()
    wrapper = bin_dir / "soffice"
    wrapper.write_text(f'#!/bin/sh\necho start >> "{log}"\nexec "{real}" "$@"\n', encoding="utf-8")
    wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    return log


def _documents(folder: Path) -> list[Path]:
    report = docx.Document()
    report.add_paragraph("BÁO CÁO SƠ KẾT công tác phòng, chống mua bán người")
    report.save(str(folder / "BaoCao_so_ket.docx"))
    summary = docx.Document()
    summary.add_paragraph("TÓM TẮT SỐ LIỆU")
    summary.save(str(folder / "TomTatSoLieu.docx"))
    book = openpyxl.Workbook()
    book.active.append(["Chỉ tiêu", "Số vụ"])
    book.active.append(["Số vụ mua bán người được phát hiện", 12])
    book.save(folder / "PhuLucSoLieu.xlsx")
    return [
        folder / "BaoCao_so_ket.docx",
        folder / "TomTatSoLieu.docx",
        folder / "PhuLucSoLieu.xlsx",
    ]


def test_one_start_converts_every_document(counted: Path, tmp_path: Path) -> None:
    sources = _documents(tmp_path)
    made = to_pdf(sources, tmp_path / "pdf")
    assert [p.name for p in made] == ["BaoCao_so_ket.pdf", "TomTatSoLieu.pdf", "PhuLucSoLieu.pdf"]
    assert "TÓM TẮT SỐ LIỆU" in PdfReader(made[1]).pages[0].extract_text()
    assert counted.read_text(encoding="utf-8").splitlines() == ["start"]


def test_documents_sharing_a_name_are_converted_one_by_one(counted: Path, tmp_path: Path) -> None:
    (first,) = _documents(tmp_path)[:1]
    other = tmp_path / "khac"
    other.mkdir()
    second = shutil.copy(first, other / first.name)
    made = to_pdf([first, Path(second)], tmp_path / "pdf")
    assert [p.name for p in made] == ["BaoCao_so_ket.pdf", "BaoCao_so_ket.pdf"]
    assert len(counted.read_text(encoding="utf-8").splitlines()) == 2
