"""The warm validator: the catalog loaded and Great Expectations imported once per service.

A clerk's self-check through the service costs only the work itself: `warm()` runs one real
check of a blank template (importing Great Expectations, building its context and the reader's
worker processes) before the service says it is ready, and every later `check` reuses them.
Checks are batched: one Great Expectations run at a time (the machine has few cores), and every
request that arrives while a run is going on waits for the next one, which takes all of them
together (a batch waits a moment for callers still arriving: `GATHER_QUIET`). Fifty units
uploading at once cost a few batch runs, not fifty runs in a row, and each
file's result is exactly what it would be alone (the checker judges files independently; the
batch tests of `pcmbn.validation` pin that).
"""

from __future__ import annotations

import logging
import tempfile
import threading
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pcmbn.resources import Resources

log = logging.getLogger(__name__)

#: Longest original file name kept for the temporary copy (bytes of UTF-8).
NAME_MAX_BYTES = 120
#: Before a batch starts, callers still arriving are waited for while they keep coming this
#: often (a burst of uploads reaches the validator spread over a moment: one run for all of
#: them costs far less than a run per trickle), but never longer than `GATHER_MAX` in all.
GATHER_QUIET = 0.05
GATHER_MAX = 0.5


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
    checks: int = 0  # requests answered
    batches: int = 0  # Great Expectations runs they took
    error: str | None = None


@dataclass
class _Request:
    """One caller's files, waiting for the batch that checks them."""

    paths: list[Path]
    feedback_dir: Path | None
    indicators: bool
    done: threading.Event = field(default_factory=threading.Event)
    document: dict[str, Any] | None = None
    error: BaseException | None = None


class WarmValidator:
    """Checks workbooks with resources loaded once (thread-safe; concurrent callers batched)."""

    def __init__(self, resources: Resources) -> None:
        self.resources = resources
        self.state = WarmState()
        self._lock = threading.Lock()  # held by the thread running a batch
        self._queue_lock = threading.Lock()
        self._queue: list[_Request] = []

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
        request = _Request(list(paths), feedback_dir, indicators)
        with self._queue_lock:
            self._queue.append(request)
        with self._lock:
            # Whoever holds the lock checks everything queued so far, this request included
            # unless an earlier holder already took it.
            if not request.done.is_set():
                self._gather()
                with self._queue_lock:
                    batch, self._queue = self._queue, []
                self._run_batch(batch)
        if request.error is not None:
            raise request.error
        assert request.document is not None
        return request.document

    def _gather(self) -> None:
        """Wait while callers keep joining the queue (each within `GATHER_QUIET` of the last),
        at most `GATHER_MAX`: a lone check waits `GATHER_QUIET` once."""
        deadline = time.monotonic() + GATHER_MAX
        with self._queue_lock:
            seen = len(self._queue)
        while time.monotonic() < deadline:
            time.sleep(min(GATHER_QUIET, max(deadline - time.monotonic(), 0)))
            with self._queue_lock:
                now = len(self._queue)
            if now == seen:
                return
            seen = now

    def _run_batch(self, batch: list[_Request]) -> None:
        """One Great Expectations run over every queued request's files; each request gets the
        document of its own files (feedback in its own folder)."""
        from pcmbn.service import check_document, check_reports
        from pcmbn.validation.checker import CheckResult

        try:
            paths = [path for request in batch for path in request.paths]
            # The very functions `pcmbn check` uses in-process: the run's rules, history too.
            result = check_reports(self.resources, paths)
            by_index = {report.submission.index: report for report in result.reports}
            start = 0
            for request in batch:
                mine = CheckResult([by_index[start + i] for i in range(len(request.paths))])
                start += len(request.paths)
                try:
                    request.document = self._document(mine, request, check_document)
                except Exception as exc:  # noqa: BLE001 - this caller's failure, raised to it
                    request.error = exc
            self.state.checks += len(batch)
            self.state.batches += 1
            if len(batch) > 1:
                log.info("checked %d requests (%d files) in one batch", len(batch), len(paths))
        except Exception as exc:  # noqa: BLE001 - every waiting caller gets the failure
            for request in batch:
                request.error = exc
        finally:
            for request in batch:
                request.done.set()

    def _document(self, result: Any, request: _Request, check_document: Any) -> dict[str, Any]:
        document = check_document(self.resources, result, request.feedback_dir)
        if request.indicators:
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
