"""Shared fixtures. Tests write only under `tmp_path`; nothing touches the real `data/` folder."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from pcmbn.settings import PROJECT_ROOT, quiet_third_parties

quiet_third_parties()


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own PCMBN_HOME and the project's own schemas."""
    monkeypatch.setenv("PCMBN_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("PCMBN_SCHEMAS", raising=False)


@pytest.fixture
def schemas_copy(tmp_path: Path) -> Path:
    """A writable copy of `schemas/` for tests that edit the catalog."""
    target = tmp_path / "schemas"
    shutil.copytree(PROJECT_ROOT / "schemas", target)
    return target


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One temporary Prefect API for every flow test of the session (it takes seconds to start)."""
    from prefect.testing.utilities import prefect_test_harness

    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[object]:
    """A real PostgreSQL server for the session (see `tests/helpers/pg_server.py`). Skipped
    where PostgreSQL is not installed, except in CI (`CI=true`), which must not skip it."""
    from pg_server import MISSING, PostgresServer, find_bindir

    bindir = find_bindir()
    if bindir is None:
        if os.environ.get("CI", "").lower() in ("true", "1"):
            pytest.fail(MISSING, pytrace=False)
        pytest.skip(MISSING)
    server = PostgresServer(bindir)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: object) -> str:
    """The URL of a new, empty database on the session's server (one per test)."""
    return postgres_server.database()  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def module_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One PCMBN_HOME for a whole module, for tests that read what an earlier run wrote."""
    return tmp_path_factory.mktemp("home")


@pytest.fixture
def shared_home(module_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point PCMBN_HOME at `module_home` (after `_isolated_home`): a module whose tests share
    one history store, the runs building on each other, says
    `pytestmark = pytest.mark.usefixtures("shared_home")`."""
    monkeypatch.setenv("PCMBN_HOME", str(module_home))
