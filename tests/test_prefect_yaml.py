"""Every deployment's entrypoint in prefect.yaml loads and is a Prefect flow."""

from __future__ import annotations

import yaml
from prefect import Flow
from prefect.flows import load_flow_from_entrypoint

from pcmbn.settings import PROJECT_ROOT


def _deployments() -> list[dict]:
    return yaml.safe_load((PROJECT_ROOT / "prefect.yaml").read_text(encoding="utf-8"))[
        "deployments"
    ]


def test_every_entrypoint_is_a_flow(monkeypatch) -> None:
    monkeypatch.chdir(PROJECT_ROOT)
    deployments = _deployments()
    assert deployments
    for deployment in deployments:
        flow = load_flow_from_entrypoint(deployment["entrypoint"])
        assert isinstance(flow, Flow), deployment["name"]
        assert deployment["work_pool"]["job_variables"]["env"]["GX_ANALYTICS_ENABLED"] == "False"


def test_schedules_run_in_vietnam_time() -> None:
    for deployment in _deployments():
        for schedule in deployment.get("schedules") or []:
            assert schedule["timezone"] == "Asia/Ho_Chi_Minh"
