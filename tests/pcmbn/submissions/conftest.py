"""Fixtures of the submissions tests: `resources` over a fresh home, on every store backend."""

from __future__ import annotations

from pathlib import Path

import pytest

from pcmbn.resources import Resources
from pcmbn.settings import Settings


@pytest.fixture(params=["duckdb", "postgresql"])
def resources(request: pytest.FixtureRequest, tmp_path: Path) -> Resources:
    """Resources of a fresh home whose store is a DuckDB file or a PostgreSQL database."""
    home = tmp_path / "home"
    if request.param == "duckdb":
        return Resources(Settings(home=home))
    url = str(request.getfixturevalue("postgres_url"))
    return Resources(Settings(home=home, store=url))


@pytest.fixture
def duck(tmp_path: Path) -> Resources:
    """Resources of a fresh home on the default DuckDB store (for the process tests)."""
    return Resources(Settings(home=tmp_path / "home"))
