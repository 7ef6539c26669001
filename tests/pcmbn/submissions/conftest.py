"""Fixtures of the submissions tests: one home, one plan, one month, and the delivery of a file.

Every test here delivers files of plan ST-KH-30-7-2024, month 07/2024, received on 16/07/2024
09:30 office time; `Month` (`tests/helpers/submission_month.py`) holds that set-up once, where
every module used to repeat it: `month` over a fresh home on every store backend,
`new_month(...)` for a home with other settings (a mail server), `month_over(resources)` for
resources built elsewhere (the portal's app).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from submission_month import Month, month_over

from pcmbn.resources import Resources
from pcmbn.settings import Settings


@pytest.fixture
def new_month(tmp_path: Path) -> Callable[..., Month]:
    """`new_month(**settings)`: the month over a fresh home (`tmp_path/home`, a DuckDB store
    unless `store=` says otherwise) with those settings (a mail server, say)."""

    def make(**settings: Any) -> Month:
        return month_over(Resources(Settings(home=tmp_path / "home", **settings)))

    return make


@pytest.fixture(params=["duckdb", "postgresql"])
def month(request: pytest.FixtureRequest, new_month: Callable[..., Month]) -> Month:
    """The month over a fresh home whose store is a DuckDB file or a PostgreSQL database."""
    if request.param == "duckdb":
        return new_month()
    return new_month(store=str(request.getfixturevalue("postgres_url")))
