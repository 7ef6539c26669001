"""The portal's limits, each with its Vietnamese message (issue 14, item 5).

- request bodies: an upload route takes the guard's 20 MB plus the form's overhead, every other
  route 1 MB (`BodyLimit`, an ASGI middleware: a declared length over the limit is refused
  before a byte is read, a streamed body as soon as it passes the limit);
- uploads per unit per minute (`Settings.portal_uploads_per_minute`, a sliding window);
- one validation at a time per unit (`UnitGate`: a second upload while one is checked is 409).
All in memory: the portal runs in one `pcmbn serve` process.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI

from pcmbn.portal.auth import PortalRefusal
from pcmbn.reading.guard import Limits

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: The largest workbook (the reader's guard: the same as intake).
MAX_FILE_BYTES = Limits().max_bytes
#: A multipart form around the file: boundaries, headers, the CSRF token and explanation.
FORM_OVERHEAD = 256 * 1024
#: Routes that receive a workbook.
UPLOAD_PATHS = ("/api/check", "/api/v1/submissions", "/don-vi/tai-len")
MAX_OTHER_BODY = 1024 * 1024


def body_limit_for(path: str) -> int:
    if path in UPLOAD_PATHS:
        return MAX_FILE_BYTES + FORM_OVERHEAD
    return MAX_OTHER_BODY


def too_large_message(limit: int) -> str:
    return f"Tệp hoặc yêu cầu quá lớn: tối đa {limit // (1024 * 1024)} MB."


class _TooLarge(Exception):
    pass


class BodyLimit:
    """Refuses request bodies over `body_limit_for(path)` with 413 (JSON under /api/)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit_for(scope.get("path", ""))
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _refuse(scope, send, limit)
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except _TooLarge:
            if not started:
                await _refuse(scope, send, limit)


async def _refuse(scope: Scope, send: Send, limit: int) -> None:
    from pcmbn.office.jsonio import dumps_strict

    message = too_large_message(limit)
    if scope.get("path", "").startswith("/api/"):
        body = dumps_strict({"error": message}).encode("utf-8")
        kind = b"application/json"
    else:
        body = f'<!doctype html><html lang="vi"><meta charset="utf-8"><p>{message}</p></html>'
        body = body.encode("utf-8")
        kind = b"text/html; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


class RateLimit:
    """At most `per_minute` events per key in any 60 seconds (a sliding window)."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._events: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def take(self, key: str) -> float | None:
        """Count one event; None if allowed, else the seconds until the next one is."""
        now = self.clock()
        with self._lock:
            events = self._events[key]
            while events and events[0] <= now - 60:
                events.popleft()
            if len(events) >= self.per_minute:
                return max(1.0, 60 - (now - events[0]))
            events.append(now)
            return None


class UnitGate:
    """One validation at a time per unit (the warm validator itself is shared by all)."""

    def __init__(self) -> None:
        self._busy: set[str] = set()
        self._lock = threading.Lock()

    @contextmanager
    def hold(self, unit_code: str) -> Iterator[None]:
        with self._lock:
            if unit_code in self._busy:
                raise PortalRefusal(
                    409,
                    "Đơn vị đang có một tệp đang được kiểm tra; hãy chờ kết quả rồi tải tệp khác.",
                    error="dang_kiem_tra",
                )
            self._busy.add(unit_code)
        try:
            yield
        finally:
            with self._lock:
                self._busy.discard(unit_code)


class PortalLimits:
    """The app's limits (`app.state.limits`)."""

    def __init__(self, uploads_per_minute: int) -> None:
        self.uploads = RateLimit(uploads_per_minute)
        self.gate = UnitGate()

    def take_upload(self, unit_code: str) -> None:
        """Count an upload of `unit_code`; 429 with the wait when over the per-minute limit."""
        wait = self.uploads.take(unit_code)
        if wait is not None:
            seconds = int(wait + 0.999)
            raise PortalRefusal(
                429,
                f"Đơn vị đã tải lên quá {self.uploads.per_minute} tệp trong một phút; "
                f"hãy thử lại sau {seconds} giây.",
                error="qua_nhieu_lan_tai",
                headers={"Retry-After": str(seconds)},
            )


def install(app: FastAPI) -> None:
    """The body limit on every request and the per-unit limits in `app.state.limits`."""
    settings = app.state.context.resources.settings
    app.state.limits = PortalLimits(settings.portal_uploads_per_minute)
    app.add_middleware(BodyLimit)
