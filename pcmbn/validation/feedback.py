"""Feedback the unit can fix in place: its own workbook with every problem cell marked.

For each rejected or warned file: a copy of the unit's workbook (an .xlsx rendition for .xls
and .ods, which openpyxl cannot edit) with each problem cell filled red (error) or yellow
(warning) and carrying a comment with the message, plus a sheet `LoiKiemTra` listing every
problem. A file that is not a readable workbook gets a short text note instead: opening a
hostile file with openpyxl is exactly what the guard exists to avoid.
"""

from __future__ import annotations

import io
import logging
import pickle
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from python_calamine import CalamineWorkbook

from pcmbn import layout
from pcmbn.domain import Labels
from pcmbn.office.atomic import atomic_write
from pcmbn.office.layout import finish, fit_row
from pcmbn.validation.checker import FileReport, Problem
from pcmbn.vocabulary import Severity

log = logging.getLogger(__name__)

ERROR_FILL = PatternFill("solid", fgColor="FF9999")
WARNING_FILL = PatternFill("solid", fgColor="FFE699")
PROBLEM_SHEET = "LoiKiemTra"
#: Below this many files with problems, feedback is written in this process: starting worker
#: interpreters (about a second each) costs more than openpyxl's load and save of a few files.
PARALLEL_FROM = 24


def feedback_name(report: FileReport, suffix: str | None = None) -> str:
    """`CA_TINH_3f2a9c1b0d4e_BaoCao_CA_TINH_KiemTra.xlsx`: named after the submission (unit,
    content hash, then the unit's own name for it, `layout.feedback_name`), so two units' files
    of the same name never share one, and the original is never overwritten."""
    sub = report.submission
    suffix = suffix or (".txt" if report.hostile else ".xlsx")
    return layout.feedback_name(report.unit_code, sub.sha256, sub.name, suffix)


def write_feedback(report: FileReport, out_dir: Path, labels: Labels) -> Path | None:
    """Write the unit's feedback file, or None when the file has no problem at all.

    `labels` (the catalog's labels.yaml) word the file's outcome ("bị từ chối") and each
    problem's severity ("Lỗi", "Cảnh báo") as the province chose.
    """
    if not report.problems:
        return None
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / feedback_name(report)
    if report.hostile:
        return atomic_write(target, _note(report, labels).encode("utf-8"))
    try:
        wb = _editable_copy(report.submission.path)
    except Exception as exc:  # noqa: BLE001 - a file calamine read but openpyxl cannot
        log.info("cannot annotate %s (%r); writing a note", report.submission.path, exc)
        target = out_dir / feedback_name(report, ".txt")
        return atomic_write(target, _note(report, labels).encode("utf-8"))
    _annotate(wb, report.problems)
    _problem_sheet(wb, report, labels)
    buffer = io.BytesIO()
    wb.save(buffer)
    return atomic_write(target, buffer.getvalue())


def write_feedback_many(
    reports: Sequence[FileReport], out_dir: Path, labels: Labels, workers: int = 1
) -> list[Path]:
    """`write_feedback` of every report with a problem (clean ones write nothing), in
    `workers` processes when there are many: each file is an openpyxl load and save (GIL-bound,
    ~0.1 s), so a national month's rejected files are spread over the cores. Paths in the
    reports' order; several calls into one folder (a flow writing batch by batch) are fine,
    names being unique per submission."""
    flagged = [report for report in reports if report.problems]
    if not flagged:
        return []
    out_dir.mkdir(parents=True, exist_ok=True)
    workers = min(workers, len(flagged) // (PARALLEL_FROM // 2) or 1)
    if workers <= 1 or len(flagged) < PARALLEL_FROM:
        written = [write_feedback(report, out_dir, labels) for report in flagged]
    else:
        written = _in_workers(flagged, out_dir, labels, workers)
    return [path for path in written if path is not None]


def _in_workers(
    reports: list[FileReport], out_dir: Path, labels: Labels, workers: int
) -> list[Path | None]:
    """`write_feedback` of each report in `workers` fresh interpreters (`python -m
    pcmbn.validation.feedback`, the chunk pickled on stdin, the paths on stdout): not
    multiprocessing, which re-runs an unguarded `__main__` and refuses to start children from
    Prefect's and Dask's daemonic workers (as `pcmbn.reading.sandbox` found)."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "pcmbn.validation.feedback"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        for _ in range(workers)
    ]  # all started before any is fed: they import (a second) side by side
    for start, proc in enumerate(procs):
        assert proc.stdin is not None
        proc.stdin.write(pickle.dumps((reports[start::workers], out_dir, labels)))
        proc.stdin.close()
    results: list[list[Path | None]] = []
    for proc in procs:
        assert proc.stdout is not None
        payload = proc.stdout.read()
        if proc.wait() != 0:
            raise RuntimeError(f"feedback worker exited with {proc.returncode}")
        results.append(pickle.loads(payload))  # noqa: S301 - our own child's answer
    written: list[Path | None] = [None] * len(reports)
    for start, paths in enumerate(results):
        written[start::workers] = paths
    return written


def _worker_main() -> None:
    """A feedback worker: a pickled (reports, folder, labels) on stdin, the paths on stdout."""
    reports, out_dir, labels = pickle.load(sys.stdin.buffer)  # noqa: S301 - from our parent
    paths = [write_feedback(report, out_dir, labels) for report in reports]
    sys.stdout.buffer.write(pickle.dumps(paths))
    sys.stdout.buffer.flush()


def _editable_copy(path: Path) -> Workbook:
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        wb = load_workbook(path, keep_vba=False, keep_links=False, rich_text=False)
        for ws in wb.worksheets:
            ws.protection.sheet = False  # the clerk must be able to fix any flagged cell
        return wb
    calamine = CalamineWorkbook.from_path(str(path))
    wb = Workbook()
    wb.remove(wb.active)
    for name in calamine.sheet_names:
        ws = wb.create_sheet(name)
        for row in calamine.get_sheet_by_name(name).to_python(skip_empty_area=False):
            ws.append([None if value == "" else value for value in row])
    return wb


def _annotate(wb: Workbook, problems: list[Problem]) -> None:
    by_cell: dict[tuple[str, str], list[Problem]] = {}
    for problem in problems:
        if problem.sheet and problem.cell and problem.sheet in wb.sheetnames:
            by_cell.setdefault((problem.sheet, problem.cell), []).append(problem)
    for (sheet, address), cell_problems in by_cell.items():
        cell = wb[sheet][address]
        worst = (
            Severity.ERROR
            if any(p.severity == Severity.ERROR for p in cell_problems)
            else Severity.WARNING
        )
        cell.fill = ERROR_FILL if worst == Severity.ERROR else WARNING_FILL
        text = "\n".join(p.message for p in cell_problems)  # rule ids stay in the JSON
        comment = Comment(text, "PCMBN")
        comment.width, comment.height = 320, 120
        cell.comment = comment


def _problem_sheet(wb: Workbook, report: FileReport, labels: Labels) -> None:
    if PROBLEM_SHEET in wb.sheetnames:
        del wb[PROBLEM_SHEET]
    ws = wb.create_sheet(PROBLEM_SHEET, 0)
    ws.append(
        [f"KẾT QUẢ KIỂM TRA: tệp {report.submission.name} {labels.submission[report.status]}"]
    )
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([])
    ws.append(["STT", "Mức độ", "Trang", "Ô", "Nội dung cần sửa"])
    for cell in ws[3]:
        cell.font = Font(bold=True)
    for number, problem in enumerate(report.problems, start=1):
        ws.append(
            [
                number,
                labels.severity[Severity(problem.severity)],
                problem.sheet or "",
                problem.cell or "",
                problem.message,
            ]
        )
        fill = ERROR_FILL if problem.severity == Severity.ERROR else WARNING_FILL
        ws.cell(row=ws.max_row, column=2).fill = fill
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str) and cell.value[:1] in "=+-@":
                cell.data_type = "s"
    for letter, width in zip("ABCDE", (6, 10, 12, 8, 90), strict=True):
        ws.column_dimensions[letter].width = width
    for row in ws.iter_rows(min_row=4):
        row[4].alignment = Alignment(wrap_text=True, vertical="top")
        fit_row(ws, row[4].row, {5: row[4].value})
    # One page wide (landscape), the column header on every page (issue 17).
    finish(ws, header_rows=(3, 3), landscape=True)


def _note(report: FileReport, labels: Labels) -> str:
    lines = [
        f"KẾT QUẢ KIỂM TRA TỆP {report.submission.name}",
        f"Tình trạng: {labels.submission[report.status]}.",
        "",
    ]
    lines += [f"- {p.message}" for p in report.problems]  # rule ids stay in the JSON
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    _worker_main()
