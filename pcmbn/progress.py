"""How far a run has got, for people: the terminal's bar, the service's job, Prefect's artifact.

A flow creates a `RunProgress` for its steps and reports `advance(step, done, total)` as chunks
finish; whoever started the run listens (`listening(callback)`: the CLI draws a bar, the service
keeps the figure on the job the CLI polls) and, inside a Prefect flow run, a progress artifact
shows the same fraction in the UI. The steps are weighted by what they cost on a real month
(reading dominates), so the bar moves evenly. Steps may interleave (a month is read and
validated batch after batch): each step keeps how far it got, so the bar never moves back.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Step:
    """One step of a run: its key, what a person reads, its share of the work."""

    key: str
    label: str
    weight: float


#: The monthly aggregation, in order (labels: what the bar says during the step).
MONTHLY_STEPS: tuple[Step, ...] = (
    Step("archive", "Lưu bản gốc", 0.10),
    Step("read", "Đọc tệp", 0.45),
    Step("validate", "Kiểm tra", 0.25),
    Step("record", "Ghi sổ lịch sử", 0.05),
    Step("publish", "Ghi tổng hợp và góp ý", 0.15),
)


@dataclass(frozen=True)
class Snapshot:
    """What a listener is told: the step now, its count, the whole run's fraction."""

    step: str
    label: str
    done: int
    total: int
    fraction: float

    def to_json(self) -> dict[str, Any]:
        return {"step": self.step, "label": self.label, "done": self.done,
                "total": self.total, "fraction": round(self.fraction, 4)}  # fmt: skip


Listener = Callable[[Snapshot], None]
_LISTENER: ContextVar[Listener | None] = ContextVar("pcmbn_progress_listener", default=None)
_CURRENT: ContextVar[RunProgress | None] = ContextVar("pcmbn_progress_current", default=None)

#: Prefect's artifact is updated at most this often (each update is an API call).
ARTIFACT_INTERVAL_S = 1.0


@contextlib.contextmanager
def listening(listener: Listener) -> Iterator[None]:
    """Runs started inside this block report their progress to `listener`."""
    token = _LISTENER.set(listener)
    try:
        yield
    finally:
        _LISTENER.reset(token)


def current_listener() -> Listener | None:
    """Who listens to runs started here (the CLI's bar), if anyone."""
    return _LISTENER.get()


def current() -> RunProgress | None:
    """The progress of the run this code is part of (a subflow reports into its parent's)."""
    return _CURRENT.get()


def fraction(steps: tuple[Step, ...], step: str, done: int, total: int) -> float:
    """The whole run's fraction when `step` has `done` of `total` (pure, for the tests)."""
    keys = [s.key for s in steps]
    index = keys.index(step)
    whole = sum(s.weight for s in steps) or 1.0
    before = sum(s.weight for s in steps[:index])
    part = steps[index].weight * (min(done, total) / total if total > 0 else 1.0)
    return min(1.0, (before + part) / whole)


@dataclass
class RunProgress:
    """The progress of one run; `advance` from the flow's body as chunks finish."""

    steps: tuple[Step, ...]
    description: str = "Tiến độ"
    listener: Listener | None = None
    _artifact: Any = None
    _artifact_at: float = 0.0
    _last: Snapshot | None = field(default=None, repr=False)
    #: how far each step got (0–1); a step not reported when a later one is counts as done
    _parts: dict[str, float] = field(default_factory=dict, repr=False)

    @contextlib.contextmanager
    def active(self) -> Iterator[RunProgress]:
        """Make this the current run's progress (and create the Prefect artifact if in a run)."""
        self.listener = self.listener or _LISTENER.get()
        self._artifact = _create_artifact(self.description)
        token = _CURRENT.set(self)
        try:
            yield self
        finally:
            _CURRENT.reset(token)

    def advance(self, step: str, done: int, total: int) -> None:
        """Report `done` of `total` for `step` to the listener and the artifact."""
        label = next(s.label for s in self.steps if s.key == step)
        snap = Snapshot(step, label, done, total, self._fraction(step, done, total))
        self._last = snap
        if self.listener is not None:
            try:
                self.listener(snap)
            except Exception:  # noqa: BLE001 - a display problem never stops a run
                log.exception("progress listener failed")
        now = time.monotonic()
        if self._artifact is not None and (
            now - self._artifact_at >= ARTIFACT_INTERVAL_S or snap.fraction >= 1.0
        ):
            self._artifact_at = now
            _update_artifact(self._artifact, snap.fraction)

    def _fraction(self, step: str, done: int, total: int) -> float:
        """The whole run's fraction with `step` at `done` of `total`: every step's best so
        far, weighted (a step never reported before a later one counts as done, and all are
        done once a later one is); for steps reported in order it is `fraction(...)`."""
        keys = [s.key for s in self.steps]
        part = min(done, total) / total if total > 0 else 1.0
        for earlier in keys[: keys.index(step)]:
            if part >= 1.0:
                self._parts[earlier] = 1.0  # a step is only done when those before it are
            else:
                self._parts.setdefault(earlier, 1.0)  # skipped (an empty inbox reads nothing)
        self._parts[step] = max(self._parts.get(step, 0.0), part)
        whole = sum(s.weight for s in self.steps) or 1.0
        return min(1.0, sum(s.weight * self._parts.get(s.key, 0.0) for s in self.steps) / whole)


def _create_artifact(description: str) -> Any:
    """A Prefect progress artifact for the running flow, or None outside a run."""
    try:
        from prefect.artifacts import create_progress_artifact
        from prefect.context import FlowRunContext

        if FlowRunContext.get() is None:
            return None
        return create_progress_artifact(progress=0.0, description=description)
    except Exception:  # noqa: BLE001 - the UI's bar is a nicety, never a failure
        log.exception("cannot create the progress artifact")
        return None


def _update_artifact(artifact_id: Any, value: float) -> None:
    try:
        from prefect.artifacts import update_progress_artifact

        update_progress_artifact(artifact_id=artifact_id, progress=round(value * 100, 1))
    except Exception:  # noqa: BLE001
        log.exception("cannot update the progress artifact")


def advance(step: str, done: int, total: int) -> None:
    """`current().advance(...)` when a run's progress is active (else nothing)."""
    progress = current()
    if progress is not None:
        progress.advance(step, done, total)
