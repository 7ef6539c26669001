"""The warm validator: the catalog loaded and Great Expectations imported once per service.

A clerk's self-check through the service costs only the work itself: `warm()` runs one real
check of a blank template (importing Great Expectations, building its context and the reader's
worker processes) before the service says it is ready, and every later `check` reuses them.
Checks are serialised (one Great Expectations run at a time): the machine has few cores and a
check of one workbook takes well under a second once warm.
"""

from __future__ import annotations

import logging
import tempfile
import threading
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pcmbn.resources import Resources

log = logging.getLogger(__name__)

#: Longest original file name kept for the temporary copy (bytes of UTF-8).
NAME_MAX_BYTES = 120


def safe_upload_name(name: str) -> str:
    """A file name safe to create in a private folder: no folders, no control characters."""
    base = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    cleaned = "".join(ch if ch.isprintable() and ch not in '<>:"|?*' else "_" for ch in base)
    cleaned = cleaned.strip(" .") or "bao-cao.xlsx"
    stem, dot, suffix = cleaned.rpartition(".")
    if not dot:
        stem, suffix = cleaned, ""
    while len(cleaned.encode("utf-8")) > NAME_MAX_BYTES and stem:
        stem = stem[:-1]
        cleaned = f"{stem}.{suffix}" if suffix else stem
    return cleaned


@dataclass
class WarmState:
    """What `/health` reports of the validator."""

    ready: bool = False
    warm_seconds: float | None = None
    checks: int = 0
    error: str | None = None


class WarmValidator:
    """Checks workbooks with resources loaded once (thread-safe; one check at a time)."""

    def __init__(self, resources: Resources) -> None:
        self.resources = resources
        self.state = WarmState()
        self._lock = threading.Lock()

    def warm(self) -> None:
        """Import and build everything a check needs, by checking a blank template once."""
        started = time.monotonic()
        try:
            with tempfile.TemporaryDirectory(prefix="pcmbn-warm-") as tmp:
                sample = self._blank_template(Path(tmp))
                self._check([sample], feedback_dir=None)
        except Exception as exc:  # noqa: BLE001 - reported on /health, logged in full
            log.exception("the validator could not warm up")
            self.state.error = f"{type(exc).__name__}: {exc}"
            return
        self.state.warm_seconds = round(time.monotonic() - started, 2)
        self.state.ready = True
        log.info("validator warm in %.2f s", self.state.warm_seconds)

    def _blank_template(self, folder: Path) -> Path:
        from pcmbn.template_writer import build_workbook, save_workbook, template_file_name

        catalog = self.resources.catalog
        plan = catalog.plans[sorted(catalog.plans)[0]]
        period = plan.span.start
        unit = catalog.expected_units(plan, period)[0]
        wb = build_workbook(catalog, plan, unit, period)
        return save_workbook(wb, folder / template_file_name(plan, unit, period))

    def check_bytes(
        self, files: list[tuple[str, bytes]], feedback_dir: Path | None, *, indicators: bool = False
    ) -> dict[str, Any]:
        """Check uploaded files (name, content); the `pcmbn check --format json` document.

        `indicators` (the portal's result page): each problem on an indicator's row also names
        the indicator (`"indicator": code`), so the page can show its label."""
        with tempfile.TemporaryDirectory(prefix="pcmbn-check-") as tmp:
            paths = []
            for number, (name, content) in enumerate(files):
                folder = Path(tmp) / str(number)
                folder.mkdir()
                path = folder / safe_upload_name(name)
                path.write_bytes(content)
                paths.append(path)
            return self._check(paths, feedback_dir, indicators)

    def _check(
        self, paths: list[Path], feedback_dir: Path | None, indicators: bool = False
    ) -> dict[str, Any]:
        from pcmbn.service import check_document, check_reports

        with self._lock:
            # The very functions `pcmbn check` uses in-process: the run's rules, history too.
            result = check_reports(self.resources, paths)
            document = check_document(self.resources, result, feedback_dir)
            self.state.checks += 1
        if indicators:
            for report, item in zip(result.reports, document["files"], strict=True):
                _name_indicators(report, item["problems"])
        document["all_accepted"] = result.all_accepted
        return document


def _name_indicators(report: Any, problems: list[dict[str, Any]]) -> None:
    """Add `"indicator"` to each problem whose cell is on the row of an indicator's values."""
    rows: dict[tuple[str, int], str] = {}
    for code, cells in report.submission.values.items():
        for parsed in cells:
            where = parsed.cell
            if where.cell:
                rows[(where.sheet, int(where.cell.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")))] = code
    for problem in problems:
        cell = problem.get("cell") or ""
        digits = cell.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        if problem.get("sheet") and digits.isdigit():
            code = rows.get((problem["sheet"], int(digits)))
            if code is not None:
                problem["indicator"] = code
