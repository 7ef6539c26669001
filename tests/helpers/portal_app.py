"""A portal app over a fresh home for the HTTP tests (TestClient over `create_app`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

KEY = "k" * 43


@dataclass
class Clock:
    """A settable clock for the app (`AppContext.extra["clock"]`)."""

    now: datetime = field(default_factory=lambda: datetime(2026, 8, 20, 3, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Portal:
    client: TestClient
    context: Any
    clock: Clock

    @property
    def store(self) -> Any:
        return self.context.resources.store

    def account(
        self,
        username: str,
        role: str = "unit_specialist",
        unit: str | None = "CA_TINH",
        plan: str | None = "ST-KH-30-7-2024",
        password: str = "mat-khau-rat-dai-1",
        must_change: bool = False,
    ) -> str:
        """An account with a known password (the CLI's one-time passwords are random)."""
        from pcmbn.portal.accounts import hash_password

        now = self.clock()
        self.store.put_account(
            {
                "username": username,
                "role": role,
                "unit_code": unit,
                "plan_id": plan,
                "password_hash": hash_password(password),
                "must_change": must_change,
                "failed_count": 0,
                "locked_until": None,
                "created_at": now,
                "rotated_at": now,
            }
        )
        return password

    def token(self, username: str, password: str = "mat-khau-rat-dai-1") -> dict[str, str]:
        response = self.client.post(
            "/api/v1/login", json={"username": username, "password": password}
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['token']}"}


def make_portal(tmp_path: Path, warm: bool = False, **settings: Any) -> Portal:
    from pcmbn.resources import Resources
    from pcmbn.serve.validator import WarmValidator
    from pcmbn.serve.webapp import AppContext, create_app
    from pcmbn.settings import Settings

    resources = Resources(Settings.from_env().model_copy(update=settings))
    validator = WarmValidator(resources)
    if warm:
        validator.warm()
        assert validator.state.ready, validator.state.error
    clock = Clock()
    report = {"status": "ok", "deployments": {"expected": 7, "found": 7}}
    context = AppContext(
        resources, validator, KEY, lambda: report, tmp_path / "feedback", extra={"clock": clock}
    )
    return Portal(TestClient(create_app(context)), context, clock)


def csrf_of(html: str) -> str:
    """The CSRF token of the first form of a page."""
    import re

    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "no CSRF field on the page"
    return match.group(1)
