"""The service's web app: every route but /health needs the access key; checks are real."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from pcmbn.resources import resources_for
from pcmbn.serve.validator import WarmValidator
from pcmbn.serve.webapp import COOKIE, MAX_UPLOAD_BYTES, AppContext, create_app
from pcmbn.settings import PROJECT_ROOT, Settings

KEY = "k" * 43
SAMPLE = sorted((PROJECT_ROOT / "sample_reports" / "ST-KH-30-7-2024").rglob("*.xlsx"))[0]


def _client(tmp_path: Path, status: str = "ok", ready: bool = False) -> tuple[TestClient, Any]:
    resources = resources_for(Settings.from_env())
    validator = WarmValidator(resources)
    validator.state.ready = ready
    report = {"status": status, "deployments": {"expected": 7, "found": 7}}
    context = AppContext(resources, validator, KEY, lambda: report, tmp_path / "feedback")
    return TestClient(create_app(context)), validator


@pytest.mark.parametrize(("status", "code"), [("ok", 200), ("starting", 503)])
def test_health_needs_no_key_and_says_when_ready(tmp_path: Path, status: str, code: int) -> None:
    client, _ = _client(tmp_path, status)
    response = client.get("/health")
    assert response.status_code == code and response.json()["status"] == status


@pytest.mark.parametrize("path", ["/", "/?key=wrong"])
def test_the_overview_refuses_without_the_key(tmp_path: Path, path: str) -> None:
    client, _ = _client(tmp_path)
    response = client.get(path, headers={"Accept": "text/html"})
    assert response.status_code == 401
    assert "Cần khóa truy cập" in response.text


def test_signing_in_sets_a_private_cookie_and_shows_the_plans(tmp_path: Path) -> None:
    client, _ = _client(tmp_path)
    assert client.get(f"/login?key={'x' * 43}", follow_redirects=False).status_code == 401
    response = client.get(f"/login?key={KEY}", follow_redirects=False)
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert f"{COOKIE}=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    page = client.get("/")
    assert page.status_code == 200
    assert "Tổng quan các kế hoạch" in page.text and "ST-KH-30-7-2024" in page.text
    assert "Chưa có kỳ nào được tổng hợp." in page.text
    assert "http://" not in page.text and "https://" not in page.text


def test_the_check_endpoint_refuses_strangers_big_files_and_a_cold_validator(
    tmp_path: Path,
) -> None:
    client, validator = _client(tmp_path)
    assert client.post("/api/check", content=b"x").status_code == 401
    auth = {"Authorization": f"Bearer {KEY}"}
    too_big = client.post("/api/check", content=b"0" * (MAX_UPLOAD_BYTES + 1), headers=auth)
    assert too_big.status_code == 413 and "quá lớn" in too_big.json()["error"]
    cold = client.post("/api/check", content=SAMPLE.read_bytes(), headers=auth)
    assert cold.status_code == 503 and "đang khởi động" in cold.json()["error"]


@pytest.mark.slow
def test_a_warm_check_answers_as_pcmbn_check_does(tmp_path: Path) -> None:
    client, validator = _client(tmp_path)
    validator.warm()
    assert validator.state.ready, validator.state.error
    auth = {"Authorization": f"Bearer {KEY}"}
    good = client.post(f"/api/check?name={SAMPLE.name}", content=SAMPLE.read_bytes(), headers=auth)
    assert good.status_code == 200
    (item,) = good.json()["files"]
    assert item["status"] == "accepted" and good.json()["all_accepted"] is True
    broken = client.post("/api/check?name=hong.xlsx", content=b"PK\x03\x04 not a zip", headers=auth)
    (item,) = broken.json()["files"]
    assert item["status"] == "rejected" and item["problems"]
    assert item["feedback"] and Path(item["feedback"]).parent == tmp_path / "feedback"
    assert validator.state.checks == 3  # the warm-up and these two


def test_runs_need_the_key_a_ready_executor_and_a_known_flow(tmp_path: Path) -> None:
    from pcmbn.serve.executor import WarmExecutor

    client, _ = _client(tmp_path)
    auth = {"Authorization": f"Bearer {KEY}"}
    assert client.post("/api/runs", json={"flow": "x"}).status_code == 401
    cold = client.post("/api/runs", json={"flow": "x"}, headers=auth)
    assert cold.status_code == 503  # no executor in this app
    resources = resources_for(Settings.from_env())
    context = AppContext(resources, WarmValidator(resources), KEY, lambda: {"status": "ok"},
                         executor=WarmExecutor([]))  # fmt: skip
    client = TestClient(create_app(context))
    bad = client.post("/api/runs", content=b"{not json", headers=auth)
    assert bad.status_code == 400 and bad.json()["error"] == "Yêu cầu không hợp lệ."
    unknown = client.post("/api/runs", json={"flow": "monthly-aggregation"}, headers=auth)
    assert unknown.status_code == 400 and "monthly-aggregation" in unknown.json()["error"]
    assert client.get("/api/runs/nope", headers=auth).status_code == 404


def test_on_demand_runs_go_to_the_deployment_without_a_schedule() -> None:
    from types import SimpleNamespace

    from pcmbn.serve.deployments import load_deployments
    from pcmbn.serve.executor import WarmExecutor

    specs = load_deployments(PROJECT_ROOT / "prefect.yaml")
    executor = WarmExecutor(specs)
    flows = {s.name: SimpleNamespace(name=s.entrypoint.rpartition(":")[2].replace("_", "-"))
             for s in specs}  # fmt: skip
    executor._flows = flows  # the flows' names, without importing them
    assert executor.on_demand("monthly-aggregation").name == "tong-hop-chay-lai"
    assert executor.on_demand("prepare-templates").name == "bieu-mau-theo-yeu-cau"
