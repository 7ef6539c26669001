"""`pcmbn serve` end to end: ready, every deployment served with its schedule, a schedule that
fires by itself, a check through the warm validator, and a clean stop on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from cli import run_pcmbn

from pcmbn.serve.children import free_port, get_json
from pcmbn.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow

READY_TIMEOUT_S = 300
FIRE_TIMEOUT_S = 240
SAMPLE = sorted((PROJECT_ROOT / "sample_reports" / "ST-KH-30-7-2024").rglob("*.xlsx"))[0]


def _post(url: str, body: Any, headers: dict[str, str] | None = None, raw: bytes | None = None):
    data = raw if raw is not None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json",
                                                              **(headers or {})})  # fmt: skip
    with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 (loopback)
        return json.loads(response.read())


def _served_count() -> int:
    """The project's deployments plus the test's interval one (`_service`)."""
    project = yaml.safe_load((PROJECT_ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    return len(project["deployments"]) + 1


@contextmanager
def _service(tmp_path: Path, home: Path, **env_extra: str) -> Iterator[dict[str, Any]]:
    """A service in `home`, with the project's deployments plus one that runs every 20 seconds
    (the test configuration a minute-ahead schedule stands for)."""
    project = yaml.safe_load((PROJECT_ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    project["deployments"].append(
        {
            "name": "bieu-mau-thu-theo-lich",
            "entrypoint": "flows/prepare_templates.py:prepare_templates",
            "parameters": {"plan": "ST-KH-30-7-2024", "period": "2024-07",
                           "out": str(tmp_path / "mau")},
            "schedules": [{"interval": 20}],
        }
    )  # fmt: skip
    config = tmp_path / "deployments.yaml"
    config.write_text(yaml.safe_dump(project, allow_unicode=True), encoding="utf-8")
    port, prefect_port = free_port(), free_port()
    env = {**os.environ, "PCMBN_HOME": str(home), "PCMBN_DEPLOYMENTS": str(config), **env_extra}
    env.pop("PREFECT_API_URL", None)
    log_path = tmp_path / f"serve-{port}.out"
    out = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "pcmbn", "serve", "--port", str(port),
         "--prefect-port", str(prefect_port)],
        env=env, stdout=out, stderr=subprocess.STDOUT, cwd=tmp_path,
    )  # fmt: skip
    try:
        yield {"process": process, "home": home, "url": f"http://127.0.0.1:{port}",
               "api": f"http://127.0.0.1:{prefect_port}/api", "project": project,
               "out": log_path, "templates": tmp_path / "mau"}  # fmt: skip
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(30)
        out.close()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[dict[str, Any]]:
    with _service(tmp_path, tmp_path / "home") as service:
        yield service


def _ready(service: dict[str, Any]) -> dict[str, Any]:
    url = service["url"]
    _wait(lambda: get_json(f"{url}/health")[0] == 200, READY_TIMEOUT_S, "health",
          service["process"])  # fmt: skip
    return get_json(f"{url}/health")[1]


def _stop(service: dict[str, Any]) -> None:
    service["process"].send_signal(signal.SIGTERM)
    assert service["process"].wait(120) == 0
    text = service["out"].read_text(encoding="utf-8")
    assert "Đã dừng dịch vụ." in text and "Traceback" not in text
    assert not (service["home"] / "service.json").exists()


def _wait(condition, timeout: float, what: str, process) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        assert process.poll() is None, f"the service exited while waiting for {what}"
        time.sleep(1)
    pytest.fail(f"timed out waiting for {what}")


def _office_processes(folder: Path) -> list[int]:
    """Pids of the LibreOffice processes (and their workers) whose command line names `folder`."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes() if entry.name.isdigit() else b""
        except OSError:
            continue
        if str(folder).encode() in command:
            found.append(int(entry.name))
    return found


def _pcmbn_run(home: Path, inbox: Path, **env: str) -> subprocess.CompletedProcess[str]:
    args = ("--plan", "ST-KH-30-7-2024", "--period", "2024-07", "--inbox", str(inbox))
    return run_pcmbn(home, "run", *args, "--format", "json", env=env)


def test_serve_end_to_end(served: dict[str, Any], tmp_path: Path) -> None:
    process, url, api = served["process"], served["url"], served["api"]
    inbox = PROJECT_ROOT / "sample_reports" / "ST-KH-30-7-2024" / "2024-07"
    # The same month in-process, in another home, while the service starts.
    alone = _pcmbn_run(tmp_path / "alone", inbox, PCMBN_USE_SERVICE="false")
    assert alone.returncode == 0, alone.stderr
    report = _ready(served)
    assert report["deployments"]["found"] == report["deployments"]["expected"] == _served_count()
    assert report["validator"]["ready"] and report["runner"]["alive"]
    text = served["out"].read_text(encoding="utf-8")
    assert "Dịch vụ đã sẵn sàng" in text and "/login?key=" in text
    # The Prefect database lives under the home folder.
    assert (served["home"] / "prefect" / "prefect.db").is_file()

    # Every deployment of prefect.yaml exists with its parameters and schedules.
    found = {d["name"]: d for d in _post(f"{api}/deployments/filter", {})}
    for wanted in served["project"]["deployments"]:
        deployment = found[wanted["name"]]
        assert deployment["parameters"] == (wanted.get("parameters") or {})
        schedules = sorted(
            (s["schedule"].get("cron"), s["active"]) for s in deployment["schedules"]
        )
        expected = sorted(
            (s.get("cron"), s.get("active", True)) for s in wanted.get("schedules") or []
        )
        assert schedules == expected, wanted["name"]

    # The interval deployment fires without anyone calling it.
    scheduled = found["bieu-mau-thu-theo-lich"]["id"]

    def completed() -> list[dict[str, Any]]:
        runs = _post(f"{api}/flow_runs/filter",
                     {"flow_runs": {"deployment_id": {"any_": [scheduled]},
                                    "state": {"type": {"any_": ["COMPLETED"]}}}})  # fmt: skip
        return runs

    runs = _wait(completed, FIRE_TIMEOUT_S, "a scheduled run", process)
    assert runs[0]["auto_scheduled"] is True
    assert list(served["templates"].rglob("*.xlsx")), "the scheduled run wrote no template"

    # A check through the warm validator.
    info = json.loads((served["home"] / "service.json").read_text(encoding="utf-8"))
    assert info["url"] == url
    checked = _post(f"{url}/api/check?name={SAMPLE.name}", None,
                    {"Authorization": f"Bearer {info['access_key']}"},
                    raw=SAMPLE.read_bytes())  # fmt: skip
    assert checked["all_accepted"] is True

    # `pcmbn check` finds the service of its home: the warm validator checks, same words.
    before = get_json(f"{url}/health")[1]["validator"]["checks"]
    clerk = run_pcmbn(served["home"], "check", str(SAMPLE), columns=120)
    assert clerk.returncode == 0, clerk.stderr
    assert f"{SAMPLE.name}" in clerk.stdout and "ĐẠT" in clerk.stdout
    assert get_json(f"{url}/health")[1]["validator"]["checks"] == before + 1

    # `pcmbn run` finds the service of its home and runs the month there, as a run of the
    # on-demand deployment; the figures are the in-process run's.
    through = _pcmbn_run(served["home"], inbox, PCMBN_USER="can-bo-tong-hop")
    assert through.returncode == 0, through.stderr
    # The audit log names who typed the command, not the account the service runs under.
    log = run_pcmbn(served["home"], "log", "--plan", "ST-KH-30-7-2024", columns=250)
    assert "can-bo-tong-hop" in log.stdout, log.stdout
    document, expected = json.loads(through.stdout), json.loads(alone.stdout)
    assert document["totals"] == expected["totals"]
    assert document["files"] == expected["files"]
    assert document["completeness"] == expected["completeness"]
    on_demand = found["tong-hop-chay-lai"]["id"]
    runs = _post(f"{api}/flow_runs/filter",
                 {"flow_runs": {"deployment_id": {"any_": [on_demand]}}})  # fmt: skip
    assert [r["state_type"] for r in runs] == ["COMPLETED"]
    # The same run in words: the service's job says what the officer reads after the run
    # (approval, pending files), so the CLI prints it without opening the store itself.
    args = ("--plan", "ST-KH-30-7-2024", "--period", "2024-07", "--inbox", str(inbox))
    words = run_pcmbn(served["home"], "run", *args, columns=200)
    assert words.returncode == 0, words.stderr
    assert "tệp được nhận" in words.stdout and "Tình hình gửi báo cáo" in words.stdout
    assert "đã được phê duyệt" not in words.stdout and "Lỗi" not in words.stderr
    again = _post(f"{api}/flow_runs/filter",
                  {"flow_runs": {"deployment_id": {"any_": [on_demand]}}})  # fmt: skip
    assert [r["state_type"] for r in again] == ["COMPLETED"] * 2  # it ran in the service
    assert {"ke-hoach:ST-KH-30-7-2024", "ky:2024-07"} <= set(runs[0]["tags"])
    assert runs[0]["name"].startswith("tong-hop ")  # named by the flow, not at random

    # `pcmbn packet` too: a run of the packet deployment, its zip where the JSON says.
    packet = run_pcmbn(
        served["home"], "packet", "--plan", "ST-KH-30-7-2024", "--milestone", "so_ket",
        "--format", "json",
    )  # fmt: skip
    assert packet.returncode == 0, packet.stderr
    assert Path(json.loads(packet.stdout)["packet"]).is_file()
    runs = _post(
        f"{api}/flow_runs/filter",
        {"flow_runs": {"deployment_id": {"any_": [found["goi-hoi-nghi"]["id"]]}}},
    )
    assert [r["state_type"] for r in runs] == ["COMPLETED"]  # fmt: skip
    # Its PDFs came from the service's warm LibreOffices (no LibreOffice start for them).
    assert get_json(f"{url}/health")[1]["office"]["ready"] is True
    logs = "".join(p.read_text() for p in (served["home"] / "logs").glob("office-*.log"))
    assert "converted PhuLucSoLieu.xlsx" in logs and "converted BaoCao_so_ket.docx" in logs
    assert _office_processes(served["home"] / "office")

    # SIGTERM: a clean stop, nothing half-written, no run left RUNNING, no LibreOffice left.
    _stop(served)
    assert _office_processes(served["home"] / "office") == []
    assert not [p for p in served["home"].rglob("*.part")]
    with sqlite3.connect(served["home"] / "prefect" / "prefect.db") as db:
        left = db.execute(
            "SELECT count(*) FROM flow_run WHERE state_type IN ('RUNNING', 'PENDING')"
        ).fetchone()[0]
    assert left == 0


def test_serve_on_postgresql_resumes_after_a_restart(tmp_path: Path, postgres_server) -> None:
    """Both real backends by configuration (Prefect's database and the history store on
    PostgreSQL); a second start finds the deployments and the first start's runs."""
    prefect_db = postgres_server.database().replace("postgresql://", "postgresql+asyncpg://")
    backends = {"PCMBN_PREFECT_DATABASE": prefect_db, "PCMBN_STORE": postgres_server.database()}
    home = tmp_path / "home"
    inbox = PROJECT_ROOT / "sample_reports" / "ST-KH-30-7-2024" / "2024-07"
    with _service(tmp_path, home, **backends) as first:
        assert _ready(first)["deployments"]["found"] == _served_count()
        assert not (home / "prefect" / "prefect.db").exists()  # it is on PostgreSQL
        ran = _pcmbn_run(home, inbox, **backends)
        assert ran.returncode == 0, ran.stderr
        _stop(first)
    with _service(tmp_path, home, **backends) as second:
        assert _ready(second)["deployments"]["found"] == _served_count()
        found = {d["name"]: d["id"] for d in _post(f"{second['api']}/deployments/filter", {})}
        runs = _post(
            f"{second['api']}/flow_runs/filter",
            {"flow_runs": {"deployment_id": {"any_": [found["tong-hop-chay-lai"]]}}},
        )
        assert [r["state_type"] for r in runs] == ["COMPLETED"]  # history kept  # fmt: skip
        status = run_pcmbn(
            home, "status", "--plan", "ST-KH-30-7-2024", "--period", "2024-07", env=backends
        )
        assert status.returncode == 0 and "Đúng hạn: 20" in status.stdout, status.stdout
        _stop(second)
