"""End to end: the template flow on a temporary Prefect API, and its task logic via `.fn()`."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.prepare_templates import prepare_templates
from pcmbn.catalog import load_catalog
from pcmbn.periods import parse_period
from pcmbn.settings import Settings
from tasks.templates import write_unit_templates


def test_task_logic_writes_one_file_per_expected_unit(tmp_path: Path) -> None:
    paths = write_unit_templates.fn(
        Settings.from_env(), "ST-KH-30-7-2024", parse_period("2024-07"), str(tmp_path)
    )
    catalog = load_catalog()
    plan = catalog.plan("ST-KH-30-7-2024")
    expected = catalog.expected_units(plan, parse_period("2024-07"))
    assert len(paths) == len(expected) + 1  # and the zip
    assert {Path(p).name for p in paths[:-1]} == {f"BaoCao_{u.code}_2024-07.xlsx" for u in expected}


@pytest.mark.slow
def test_flow_runs_against_prefect(prefect_harness: None, tmp_path: Path) -> None:
    paths = prepare_templates(
        plan="NA-276-KH-UBND-2021", period="Tháng 11/2021", out=str(tmp_path / "outbox")
    )
    assert len(paths) == 32
    assert all(Path(p).is_file() for p in paths)


@pytest.mark.slow
def test_flow_defaults_output_under_pcmbn_home(prefect_harness: None) -> None:
    paths = prepare_templates(plan="ST-KH-30-7-2024", period="2024-12")
    home = Path(__import__("os").environ["PCMBN_HOME"])
    assert all(
        Path(p).is_relative_to(home / "outbox" / "ST-KH-30-7-2024" / "2024-12") for p in paths
    )
