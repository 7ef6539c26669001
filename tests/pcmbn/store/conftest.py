"""The store's tests run against every backend: `store` is a fresh, empty store of each kind."""

from __future__ import annotations

from pathlib import Path

import pytest

from pcmbn.store import open_store
from pcmbn.store.base import Store


@pytest.fixture(params=["duckdb", "postgresql"])
def store_target(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    """Where a fresh store of the parametrised backend lives (a file, or a database URL)."""
    if request.param == "duckdb":
        return tmp_path / "h.duckdb"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def store(store_target: str | Path) -> Store:
    return open_store(store_target)
