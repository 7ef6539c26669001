"""Request body limits (declared and streamed) and the per-minute window, without a validator."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from portal_app import make_portal

from pcmbn.portal.limits import MAX_OTHER_BODY, RateLimit, body_limit_for


def test_bodies_over_the_limit_are_refused_before_the_route_reads_them(tmp_path: Path) -> None:
    portal = make_portal(tmp_path)
    declared = portal.client.post("/api/v1/login", content=b"{" + b" " * MAX_OTHER_BODY)
    assert declared.status_code == 413 and "tối đa 1 MB" in declared.json()["error"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while streaming
        for _ in range(3):
            yield b" " * (MAX_OTHER_BODY // 2)

    streamed = portal.client.post("/api/v1/login", content=chunks())
    assert streamed.status_code == 413
    page = portal.client.post(
        "/dang-nhap",
        content=b"x" * (MAX_OTHER_BODY + 1),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert page.status_code == 413 and "quá lớn" in page.text
    assert body_limit_for("/api/v1/submissions") > 20 * 1024 * 1024


def test_the_per_minute_window_slides() -> None:
    now = [0.0]
    limit = RateLimit(2, clock=lambda: now[0])
    assert limit.take("A") is None and limit.take("A") is None
    assert limit.take("A") == 60 and limit.take("B") is None
    now[0] = 30.0
    assert limit.take("A") == 30
    now[0] = 60.5
    assert limit.take("A") is None
