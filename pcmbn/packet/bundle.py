"""Write a conference packet: files, `manifest.json`, `README.txt`, zip and archive copy.

Everything is written into a hidden staging folder first and moved into place at the end, so a
crash never leaves a half-built packet under its final name. Every byte follows from the history
store (dates included), so rebuilding from the same history gives the same zip.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from fsspec.core import url_to_fs

from pcmbn.clock import OFFICE_TZ
from pcmbn.intake import is_local
from pcmbn.monthly import json_number
from pcmbn.office.atomic import atomic_folder, atomic_put, atomic_write_many
from pcmbn.office.csv import to_csv_bytes
from pcmbn.office.jsonio import dumps_strict
from pcmbn.office.pdf import PdfError, soffice, stable_pdf, to_pdf, warm_office
from pcmbn.office.zips import deterministic_zip, zip_time
from pcmbn.packet.charts import write_charts
from pcmbn.packet.model import PacketData
from pcmbn.packet.report import write_report
from pcmbn.packet.summary_page import SUMMARY_PAGE, write_summary_page
from pcmbn.packet.workbook import write_workbook
from pcmbn.periods import format_date_vi

logger = logging.getLogger(__name__)

WORKBOOK = "PhuLucSoLieu.xlsx"
SOURCES_CSV = "NguonSoLieu.csv"
MANIFEST = "manifest.json"
T = TypeVar("T")
README = "README.txt"


@dataclass(frozen=True)
class PacketFiles:
    """Where the packet went: the folder, the zip, its checksum and its archive copy."""

    folder: Path
    zip_path: Path
    sha256: str
    archive_url: str


def packet_name(data: PacketData) -> str:
    return f"HoiNghi_{data.milestone.kind.value}_{data.plan.id}_{data.end.code}"


def write_packet(data: PacketData, out_root: Path, archive_root: str) -> PacketFiles:
    """Build every file, zip them deterministically, archive the zip content-addressed."""
    name = packet_name(data)
    out_root.mkdir(parents=True, exist_ok=True)
    steps = _Steps()
    with atomic_folder(out_root / name) as staging:
        charts = steps.run("charts", write_charts, data, staging)
        workbook_numbers = steps.run("workbook", write_workbook, data, charts, staging / WORKBOOK)
        report_name = f"BaoCao_{data.milestone.kind.value}.docx"
        pdf = _Pdfs(staging, [report_name, SUMMARY_PAGE, WORKBOOK])
        try:
            # The appendix first: it takes longest, and a warm LibreOffice converts it while
            # the report is written. The PDFs keep their order (report, summary, appendix).
            pdf.begin(WORKBOOK)
            report_numbers = steps.run("report", write_report, data, charts, staging / report_name)
            summary_numbers = steps.run("summary", write_summary_page, data, staging / SUMMARY_PAGE)
            pdf.begin(report_name, SUMMARY_PAGE)
            (staging / SOURCES_CSV).write_bytes(sources_csv(data))
        except BaseException:
            pdf.close()
            raise
        pdfs, pdf_note = steps.run("pdf wait", pdf.finish, data.generated_at)
        contents = [
            *(p.name for p in charts),
            WORKBOOK,
            report_name,
            SUMMARY_PAGE,
            *pdfs,
            SOURCES_CSV,
        ]
        manifest = build_manifest(
            data,
            {
                WORKBOOK: workbook_numbers,
                report_name: report_numbers,
                SUMMARY_PAGE: summary_numbers,
            },
            {n: _sha256((staging / n).read_bytes()) for n in contents},
        )
        (staging / MANIFEST).write_text(
            dumps_strict(manifest, indent=1, sort_keys=True) + "\n",
            encoding="utf-8",
        )
        readme = readme_text(data, report_name, charts, pdf_note)
        (staging / README).write_text(readme, encoding="utf-8")
        payload = zip_bytes(staging, [README, MANIFEST, *contents], data.generated_at)
        zip_path = out_root / f"{name}.zip"
        digest = _sha256(payload)
        # One write for both: the checksum is the seal, never beside another zip's bytes.
        atomic_write_many(
            [
                (zip_path, payload),
                (out_root / f"{name}.zip.sha256", f"{digest}  {zip_path.name}\n"),
            ],
            crash_point="packet",
        )
    archived = steps.run("archive", archive_packet, payload, digest, archive_root)
    logger.info("packet %s written: %s", name, steps)
    return PacketFiles(out_root / name, zip_path, digest, archived)


class _Steps:
    """Wall seconds per step of a packet, for the log (where a slow packet's time went)."""

    def __init__(self) -> None:
        self.began = time.perf_counter()
        self.seconds: dict[str, float] = {}

    def run(self, step: str, work: Callable[..., T], *args: Any) -> T:
        start = time.perf_counter()
        try:
            return work(*args)
        finally:
            self.seconds[step] = time.perf_counter() - start

    def __str__(self) -> str:
        spent = ", ".join(f"{k} {v:.2f} s" for k, v in self.seconds.items())
        return f"{spent}; in all {time.perf_counter() - self.began:.2f} s"


class _Pdfs:
    """The packet's PDFs and the README's line about them.

    With a warm LibreOffice (the service's) a document is handed over as soon as it is written,
    so the appendix (the longest to convert) is converted while the report is still being
    written; cold, one LibreOffice start converts them all at the end (a start costs more
    than a short document). Their bytes follow the data (`stable_pdf`), like every other file
    of the packet; without LibreOffice the packet is built all the same and says why.
    """

    def __init__(self, staging: Path, order: list[str]) -> None:
        self.staging, self.order = staging, order
        self.enabled = soffice() is not None
        self.warm = self.enabled and warm_office() is not None
        self._work = tempfile.TemporaryDirectory(prefix="pcmbn-pdf-")
        self._begun: set[str] = set()
        self._later: list[str] = []
        self._running: list[Future[list[Path]]] = []
        # Two at once: with two warm LibreOffices the report converts beside the appendix.
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="packet-pdf")

    def begin(self, *names: str) -> None:
        """Convert these written documents now (warm) or with the others at the end (cold)."""
        if not self.enabled:
            return
        self._begun.update(names)
        if self.warm:
            sources = [self.staging / name for name in names]
            self._running.append(self._pool.submit(to_pdf, sources, Path(self._work.name)))
        else:
            self._later += names

    def finish(self, when: datetime) -> tuple[list[str], str]:
        """The PDFs, in `order`, written into the staging folder; and the README's note."""
        try:
            if not self.enabled:
                return [], (
                    "- Chưa có bản PDF: máy lập gói chưa cài LibreOffice (mở các tệp .docx, "
                    ".xlsx và in từ Word/Excel)."
                )
            work = Path(self._work.name)
            try:
                if self._later:
                    self._running.append(
                        self._pool.submit(to_pdf, [self.staging / n for n in self._later], work)
                    )
                made = {p.name: p for future in self._running for p in future.result()}
            except PdfError as error:
                logger.warning("packet PDFs not made: %s", error)
                return [], f"- Chưa có bản PDF: LibreOffice không chuyển được ({error})."
            names = [f"{Path(n).stem}.pdf" for n in self.order if n in self._begun]
            for name in names:
                pdf = made[name]
                (self.staging / name).write_bytes(stable_pdf(pdf.read_bytes(), when))
            return names, f"- {', '.join(names)}: bản PDF để in (LibreOffice)."
        finally:
            self.close()

    def close(self) -> None:
        """Wait for what is running (a crash mid-packet leaves no conversion behind)."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._work.cleanup()


def build_manifest(
    data: PacketData, numbers: dict[str, dict[str, str]], contents: dict[str, str]
) -> dict[str, Any]:
    """Every number → its reference → the source cells it sums → the archived files."""
    sources = data.sources
    value_of = dict(zip(sources["source_id"], sources["value"], strict=True))
    used = {ref for by_file in numbers.values() for ref in by_file.values()}
    refs = {
        key: {"value": json_number(sum(value_of[i] for i in ids)), "sources": ids}
        for key, ids in sorted(data.refs.items())
        if key in used
    }
    files = (
        sources.drop_duplicates("sha256")[["sha256", "original_name", "archive_path"]]
        .sort_values("sha256")
        .to_dict("records")
    )
    return {
        "format": "pcmbn-packet/1",
        "plan_id": data.plan.id,
        "milestone": {
            "kind": data.milestone.kind.value,
            "period": data.milestone.period.code,
            "name": data.milestone.name,
        },
        "span": {
            "start": data.start.code,
            "end": data.end.code,
            "months": [m.code for m in data.months],
        },
        "generated_at": data.generated_at.isoformat(),
        "missing_periods": [p.code for p in data.missing_periods],
        "unapproved_periods": [p.code for p in data.unapproved_periods],
        "approved": not data.unapproved_periods,
        "contents": contents,
        "numbers": numbers,
        "refs": refs,
        "sources": [
            {
                "id": int(r.source_id),
                "unit_code": r.unit_code,
                "period": r.period,
                "indicator": r.code,
                "value": json_number(r.value),
                "sha256": r.sha256,
                "sheet": r.sheet,
                "cell": r.cell,
            }
            for r in sources.itertuples()
        ],
        "files": files,
    }


def sources_csv(data: PacketData) -> bytes:
    """The source cells as a spreadsheet-friendly CSV (UTF-8 with BOM for Excel)."""
    frame = data.sources.rename(
        columns={
            "source_id": "ma_nguon",
            "unit_code": "ma_don_vi",
            "period": "ky",
            "code": "ma_chi_tieu",
            "value": "gia_tri",
            "original_name": "ten_tep",
            "archive_path": "noi_luu_tru",
            "sheet": "trang",
            "cell": "o",
        }
    )
    return to_csv_bytes(frame)


def readme_text(data: PacketData, report_name: str, charts: list[Path], pdf_note: str = "") -> str:
    notes = []
    if data.missing_periods:
        notes.append(
            "- CHƯA ĐỦ SỐ LIỆU: không có báo cáo nào của "
            + ", ".join(p.code for p in data.missing_periods)
            + "."
        )
    if data.unapproved_periods:
        notes.append(
            "- CHƯA PHÊ DUYỆT: số liệu "
            + ", ".join(p.code for p in data.unapproved_periods)
            + " chưa được phê "
            "duyệt (pcmbn approve), có thể còn thay đổi."
        )
    chart_lines = "\n".join(f"- {p.name}: biểu đồ diễn biến theo tháng" for p in charts)
    when = data.generated_at.astimezone(OFFICE_TZ)
    return f"""GÓI TÀI LIỆU HỘI NGHỊ — {data.milestone.name.upper()}
Kế hoạch: {data.plan.number or data.plan.id} — {data.plan.title}
Thời gian số liệu: {data.span_label}
Lập theo số liệu tổng hợp đến ngày {format_date_vi(when.date())} {when:%H:%M}.
{chr(10).join(notes) if notes else "- Số liệu mọi tháng trong kỳ đã được nhận và phê duyệt."}

Gói gồm:
- {report_name}: dự thảo báo cáo {data.milestone.name.lower()} (các đoạn trong ngoặc vuông,
  tô vàng "[Cán bộ tổng hợp viết: ...]" là phần cán bộ tổng hợp viết thêm trước khi trình ký).
- {WORKBOOK}: phụ lục số liệu (tổng cả kỳ, chỉ tiêu phấn đấu, đối chiếu liên ngành, theo
  tháng, quý, đơn vị, nhóm đơn vị, đợt cao điểm, tình hình gửi báo cáo, tiến độ nhiệm vụ, khó
  khăn và kiến nghị, biểu đồ).
- {SUMMARY_PAGE}: một trang tóm tắt số liệu chính cho lãnh đạo chủ trì hội nghị.
{chart_lines}
{pdf_note}
- {SOURCES_CSV}: mọi ô số liệu nguồn (đơn vị, tháng, chỉ tiêu, giá trị, tệp, trang, ô).
- {MANIFEST}: bảng truy vết cho máy đọc: mỗi con số trong phụ lục và báo cáo → các ô nguồn
  được cộng → tệp gốc (mã SHA-256 và nơi lưu trữ).

Số liệu lấy từ báo cáo hợp lệ mới nhất của mỗi đơn vị trong mỗi tháng; không đọc lại tệp Excel.
Lập lại gói từ cùng dữ liệu cho ra đúng nội dung này.
"""


def zip_bytes(folder: Path, names: list[str], when: datetime) -> bytes:
    """A zip whose bytes depend only on the files and `when` (fixed order, times, modes)."""
    entries = [(name, (folder / name).read_bytes()) for name in names]
    return deterministic_zip(entries, date_time=zip_time(when), mode=0o644)


def archive_packet(payload: bytes, digest: str, archive_root: str) -> str:
    """Keep the zip in the archive, content-addressed like the originals; return its URL."""
    fs, root = url_to_fs(archive_root)
    folder = f"{root.rstrip('/')}/packets/{digest[:2]}"
    target = f"{folder}/{digest}.zip"
    if not fs.exists(target):
        fs.makedirs(folder, exist_ok=True)
        atomic_put(fs, payload, target)
    return fs.unstrip_protocol(target) if not is_local(fs) else target


def _sha256(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()
