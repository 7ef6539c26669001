"""Issue 19.8: `pcmbn run --format json` stays strict JSON when two units send 1e308 money.

Before the plausibility bound, both values were accepted, the province total overflowed to inf and
stdout held `Infinity`, which no strict parser reads.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cli import run_pcmbn
from report_fixtures import Fixture, set_value, write_fixture

from pcmbn.catalog import load_catalog

PLAN, PERIOD = "ST-KH-30-7-2024", "2024-07"


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"non-strict JSON constant {name}")


@pytest.mark.slow
def test_run_json_is_strict_when_two_units_send_1e308(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    catalog = load_catalog()
    for fx in (
        Fixture("BaoCao_CA_TINH", edit=set_value("KP01", 1e308, 1e308)),
        Fixture("BaoCao_BP_TINH", unit="BP_TINH", edit=set_value("KP01", 1e308, 1e308)),
        Fixture("BaoCao_SO_TP", unit="SO_TP", edit=set_value("KP01", 2.5, 7.5)),
    ):
        write_fixture(fx, inbox, catalog)
    args = ("--plan", PLAN, "--period", PERIOD)
    result = run_pcmbn(tmp_path / "home", "run", *args, "--inbox", str(inbox), "--format", "json")
    assert result.returncode == 0, result.stderr[-2000:]
    document = json.loads(result.stdout, parse_constant=_refuse_constant)
    assert document["files"]["rejected"] == 2 and document["files"]["accepted"] == 1
    assert document["totals"]["KP01"] == {"period": 2.5, "cumulative": 7.5}

    approved = run_pcmbn(tmp_path / "home", "approve", *args)  # the approval's totals are JSON too
    assert approved.returncode == 0, approved.stderr[-2000:]

    # the packet over the campaign's span (July–September 2024) is strict JSON as well
    packet = run_pcmbn(
        tmp_path / "home",
        *("packet", "--plan", PLAN, "--milestone", "so_ket", "--period", "2024-09"),
        *("--format", "json"),
    )
    assert packet.returncode == 0, packet.stderr[-2000:]
    packed = json.loads(packet.stdout, parse_constant=_refuse_constant)
    assert packed["totals"]["KP01"] == 2.5
