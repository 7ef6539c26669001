"""The one small HTTP core of the service's own calls: JSON in, JSON out, over loopback.

The supervisor polls its children's health and asks the Prefect API about deployments and
unfinished runs; the CLI talks to the web app. All of them need the same three things: a JSON
body (strict: never NaN) or raw bytes, an answer parsed as JSON whatever the status, and a
connection failure told apart from an HTTP error. Standard library only: the CLI's fast path
imports this before anything heavy, and a loopback call costs well under a millisecond of its
own.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pcmbn.office.jsonio import dumps_strict


@dataclass(frozen=True)
class Answer:
    """What came back: `status` 0 when nothing did (then `reason` says why)."""

    status: int
    body: Any = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def _parse(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def exchange(
    url: str,
    method: str = "GET",
    *,
    json_body: Any = None,
    data: bytes | None = None,
    content_type: str = "application/json",
    headers: Mapping[str, str] | None = None,
    timeout: float = 5.0,
) -> Answer:
    """One request; never raises for the network or the server: the `Answer` says it all."""
    if json_body is not None:
        data = dumps_strict(json_body).encode()
    request = urllib.request.Request(  # noqa: S310 (the office's own service, loopback API)
        url,
        data=data,
        method=method,
        headers={"Content-Type": content_type, **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return Answer(response.status, _parse(response.read()))
    except urllib.error.HTTPError as exc:
        try:
            raw = exc.read()
        except OSError:
            raw = b""
        return Answer(exc.code, _parse(raw), str(exc.reason))
    except (OSError, ValueError) as exc:  # refused, reset, timed out, malformed URL
        return Answer(0, None, str(exc) or type(exc).__name__)
