"""The deployments of `prefect.yaml`, read into checked specifications.

`prefect deploy --all` with a process work pool fails on the pinned Prefect (a 422 from the
workers filter after the first deployment), so the service does not use it: it reads the same
file itself and serves every deployment from one runner process (`pcmbn.serve.runner`). The file
stays the single description of what is scheduled, with which parameters; this module only
parses it (pure, no Prefect import), so a mistake in it is one Vietnamese line at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pcmbn.errors import UsageError

DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"


@dataclass(frozen=True)
class ScheduleSpec:
    """One schedule of a deployment: a cron line or an interval in seconds."""

    cron: str | None = None
    interval_s: float | None = None
    timezone: str = DEFAULT_TIMEZONE
    active: bool = True


@dataclass(frozen=True)
class DeploymentSpec:
    """One deployment as `prefect.yaml` describes it."""

    name: str
    entrypoint: str
    description: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)
    schedules: tuple[ScheduleSpec, ...] = ()
    concurrency_limit: int | None = None
    tags: tuple[str, ...] = ()

    @property
    def flow_file(self) -> str:
        """The entrypoint's file part (`flows/x.py` of `flows/x.py:flow`)."""
        return self.entrypoint.partition(":")[0]


def _fail(path: Path, where: str, what: str) -> UsageError:
    return UsageError(f"Tệp cấu hình triển khai {path}: {where}: {what}")


def _schedule(path: Path, where: str, raw: Any) -> ScheduleSpec:
    if not isinstance(raw, dict):
        raise _fail(path, where, "mỗi lịch chạy phải là một mục có cron hoặc interval.")
    cron, interval = raw.get("cron"), raw.get("interval")
    if (cron is None) == (interval is None):
        raise _fail(path, where, "mỗi lịch chạy cần đúng một trong hai: cron hoặc interval.")
    if cron is not None and (not isinstance(cron, str) or len(cron.split()) not in (5, 6)):
        raise _fail(path, where, f"cron không hợp lệ: {cron!r}.")
    if interval is not None and (
        isinstance(interval, bool) or not isinstance(interval, int | float) or interval <= 0
    ):
        raise _fail(path, where, f"interval phải là số giây dương: {interval!r}.")
    active = raw.get("active", True)
    if not isinstance(active, bool):
        raise _fail(path, where, f"active phải là true hoặc false: {active!r}.")
    return ScheduleSpec(
        cron=cron,
        interval_s=float(interval) if interval is not None else None,
        timezone=str(raw.get("timezone") or DEFAULT_TIMEZONE),
        active=active,
    )


def parse_deployments(document: Any, path: Path) -> list[DeploymentSpec]:
    """The checked deployments of a parsed `prefect.yaml` (names unique, entrypoints set)."""
    if not isinstance(document, dict) or not isinstance(document.get("deployments"), list):
        raise _fail(path, "gốc tệp", "thiếu danh sách deployments.")
    specs: list[DeploymentSpec] = []
    for number, raw in enumerate(document["deployments"], start=1):
        where = f"deployment thứ {number}"
        if not isinstance(raw, dict):
            raise _fail(path, where, "phải là một mục có name và entrypoint.")
        name, entrypoint = raw.get("name"), raw.get("entrypoint")
        if not isinstance(name, str) or not name:
            raise _fail(path, where, "thiếu name.")
        where = f"deployment {name}"
        if not isinstance(entrypoint, str) or ":" not in entrypoint:
            raise _fail(path, where, "entrypoint phải có dạng tệp.py:tên_flow.")
        parameters = raw.get("parameters") or {}
        if not isinstance(parameters, dict):
            raise _fail(path, where, "parameters phải là một bảng tên → giá trị.")
        limit = raw.get("concurrency_limit")
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)):
            raise _fail(path, where, f"concurrency_limit phải là số nguyên: {limit!r}.")
        schedules = tuple(
            _schedule(path, f"{where}, lịch thứ {i}", s)
            for i, s in enumerate(raw.get("schedules") or [], start=1)
        )
        tags = tuple(str(t) for t in raw.get("tags") or ())
        specs.append(
            DeploymentSpec(
                name=name,
                entrypoint=entrypoint,
                description=str(raw.get("description") or ""),
                parameters=dict(parameters),
                schedules=schedules,
                concurrency_limit=limit,
                tags=tags,
            )
        )
    names = [s.name for s in specs]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise _fail(path, "deployments", "tên bị trùng: " + ", ".join(twice) + ".")
    return specs


def load_deployments(path: Path) -> list[DeploymentSpec]:
    """`parse_deployments` of a file; a missing or unparsable file is one Vietnamese line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(
            f"Không đọc được tệp cấu hình triển khai {path}: {exc.strerror}."
        ) from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise _fail(path, "cú pháp YAML", str(exc).splitlines()[0]) from None
    return parse_deployments(document, path)
