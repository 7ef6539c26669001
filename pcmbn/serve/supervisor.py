"""`pcmbn serve`: start the Prefect server, the deployments' runner and the web app; supervise.

Start: the Prefect server (its database under `PCMBN_HOME/prefect/` unless
`PCMBN_PREFECT_DATABASE` names a PostgreSQL one) and the runner that serves every deployment of
`prefect.yaml` with its schedule start together (the runner imports the flows, then waits for
the API before registering them); meanwhile this process builds the web app on the main thread
and loads the flows and warms the validator beside it, and a warm LibreOffice starts for the
packets' PDFs (`office.soffice`, when LibreOffice and its `uno` module are installed; optional).
Once all of them are ready `PCMBN_HOME/service.json` is written, `/health` answers 200 and the
sign-in link is printed.

A child that dies is restarted (with a growing pause); SIGTERM or Ctrl-C stops the web app, the
warm LibreOffice, then the runner (its in-flight flow runs end; any left RUNNING are marked
cancelled: the flows' writes are atomic, so nothing is half-written), then the server. A
restart resumes from the same database: deployments are updated in place, history and
schedules kept.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pcmbn.errors import PcmbnError, UsageError
from pcmbn.serve.children import Child, get_json, port_in_use, wait_until
from pcmbn.serve.deployments import DeploymentSpec, load_deployments
from pcmbn.serve.discovery import ServiceInfo, remove_service_info, write_service_info
from pcmbn.serve.http import exchange
from pcmbn.settings import PROJECT_ROOT, QUIET_ENVIRONMENT, Settings

log = logging.getLogger(__name__)

SERVER_START_TIMEOUT_S = 180.0
DEPLOYMENTS_TIMEOUT_S = 240.0
#: How often the watchdog looks at the children (seconds).
WATCH_INTERVAL_S = 2.0
#: Flow-run states that mean "still going" (to be cancelled when the service stops).
UNFINISHED = ("RUNNING", "PENDING", "CANCELLING")


def prefect_database_url(settings: Settings) -> str:
    """SQLAlchemy URL of the service's Prefect database (SQLite under the home by default)."""
    if settings.prefect_database is not None:
        return settings.prefect_database.get_secret_value()
    return f"sqlite+aiosqlite:///{settings.prefect_home / 'prefect.db'}"


def child_environment(settings: Settings, api_url: str) -> dict[str, str]:
    """The environment of every child: ours, quiet, Prefect under the home, the API named."""
    env = dict(os.environ)
    env.update(QUIET_ENVIRONMENT)
    env.update(
        {
            "PREFECT_HOME": str(settings.prefect_home),
            "PREFECT_API_URL": api_url,
            "PREFECT_API_DATABASE_CONNECTION_URL": prefect_database_url(settings),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_UI_API_URL": api_url,
            "PCMBN_HOME": str(settings.home),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


@dataclass
class Service:
    """The supervised children and what `/health` reports of them."""

    settings: Settings
    host: str
    port: int
    prefect_port: int
    specs: list[DeploymentSpec]
    children: dict[str, Child] = field(default_factory=dict)
    restarts: dict[str, int] = field(default_factory=dict)
    stopping: threading.Event = field(default_factory=threading.Event)
    #: Set once the children are stopped (the thread that started them may end then).
    released: threading.Event = field(default_factory=threading.Event)
    validator: Any = None
    executor: Any = None
    #: The warm LibreOffice for the packets' PDFs (`office.soffice.WarmOffices`), if any.
    office: Any = None
    started: float = field(default_factory=time.monotonic)
    ready_after_s: float | None = None
    #: Set once `service.json` is written (then `/health` says "ok").
    published: bool = False
    _deployments_seen: tuple[float, int] = (0.0, 0)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.prefect_port}/api"

    @property
    def url(self) -> str:
        shown = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host  # noqa: S104
        return f"http://{shown}:{self.port}"

    # --- children ---------------------------------------------------------------------------

    def _child(self, name: str) -> Child:
        env = child_environment(self.settings, self.api_url)
        logs = self.settings.home / "logs"
        if name == "prefect-server":
            command = [
                sys.executable, "-m", "prefect", "server", "start",
                "--host", "127.0.0.1", "--port", str(self.prefect_port),
            ]  # fmt: skip
        else:
            command = [sys.executable, "-m", "pcmbn.serve.runner", str(self.settings.deployments)]
        return Child(name, command, env, PROJECT_ROOT, logs / f"{name}.log")

    def start_child(self, name: str) -> None:
        child = self._child(name)
        child.start()
        self.children[name] = child
        log.info("started %s (pid %s)", name, child.pid)

    def prefect_healthy(self) -> bool:
        status, _ = get_json(f"{self.api_url}/health", timeout=2)
        return status == 200

    def deployments_found(self) -> int:
        """How many of the file's deployments the server knows (cached for half a second:
        `/health` is polled while starting)."""
        at, found = self._deployments_seen
        if time.monotonic() - at < 0.5:
            return found
        found = count_deployments(self.api_url, [s.name for s in self.specs])
        self._deployments_seen = (time.monotonic(), found)
        return found

    def health(self) -> dict[str, Any]:
        """What `/health` answers: each part's state, and "ok" when all are ready."""
        server = self.children.get("prefect-server")
        runner = self.children.get("runner")
        prefect_ok = bool(server and server.alive and self.prefect_healthy())
        found = self.deployments_found() if prefect_ok else 0
        validator = self.validator.state if self.validator is not None else None
        parts_ok = (
            prefect_ok
            and runner is not None
            and runner.alive
            and found == len(self.specs)
            and validator is not None
            and validator.ready
            and self.executor is not None
            and self.executor.ready
        )
        return {
            # "ok" once every part is ready *and* `service.json` is written: a client that
            # sees 200 finds the file (the parts alone are `parts_ready`).
            "status": "ok"
            if parts_ok and self.published and not self.stopping.is_set()
            else "starting",
            "parts_ready": parts_ok,
            "prefect": {"ok": prefect_ok, "api_url": self.api_url},
            "runner": {"alive": bool(runner and runner.alive)},
            "deployments": {"expected": len(self.specs), "found": found},
            "validator": {
                "ready": bool(validator and validator.ready),
                "warm_seconds": validator.warm_seconds if validator else None,
                "checks": validator.checks if validator else 0,
                "error": validator.error if validator else None,
            },
            "executor": {
                "ready": bool(self.executor and self.executor.ready),
                "running": self.executor.running() if self.executor else 0,
            },
            # Not needed for "ok": without it a packet's PDFs take the cold path.
            "office": self.office.health() if self.office else {"ready": False},
            "restarts": dict(self.restarts),
            "ready_after_s": self.ready_after_s,
        }

    def watch(self) -> None:
        """Restart a child that died (pause doubling up to a minute) until the service stops."""
        pause: dict[str, float] = {}
        while not self.stopping.wait(WATCH_INTERVAL_S):
            if self.office is not None:
                self.office.ensure()
            for name, child in list(self.children.items()):
                if child.alive or self.stopping.is_set():
                    continue
                log.warning("%s exited with %s; restarting", name, child.process.returncode)
                time.sleep(pause.get(name, 1.0))
                pause[name] = min(60.0, pause.get(name, 1.0) * 2)
                if self.stopping.is_set():
                    return
                self.restarts[name] = self.restarts.get(name, 0) + 1
                self.start_child(name)

    def stop(self) -> None:
        """Runs in this process first, then the runner (its runs end or are cancelled), then
        the server."""
        self.stopping.set()
        if self.executor is not None:
            self.executor.shutdown(wait=True)
        if self.office is not None:
            from pcmbn.office.pdf import use_warm

            use_warm(None)
            self.office.stop()
        runner = self.children.get("runner")
        if runner is not None:
            runner.stop(grace=30)
        if "prefect-server" in self.children and self.prefect_healthy():
            with contextlib.suppress(Exception):
                cancelled = cancel_unfinished_runs(self.api_url)
                if cancelled:
                    log.info("marked %d unfinished flow runs cancelled", cancelled)
        server = self.children.get("prefect-server")
        if server is not None:
            server.stop(grace=20)
        self.released.set()


def _post_json(url: str, body: dict[str, Any], timeout: float = 5.0) -> Any:
    """POST a JSON body to the Prefect API; the parsed answer (OSError when there is none)."""
    answer = exchange(url, "POST", json_body=body, timeout=timeout)
    if not answer.ok:
        raise OSError(f"{url}: {answer.status or answer.reason}")
    return answer.body


def count_deployments(api_url: str, names: list[str]) -> int:
    """How many of `names` exist as deployments on the server (0 when it cannot answer)."""
    try:
        found = _post_json(
            f"{api_url}/deployments/filter", {"deployments": {"name": {"any_": names}}}
        )
    except OSError:
        return 0
    return len({d["name"] for d in found or []} & set(names))


def cancel_unfinished_runs(api_url: str) -> int:
    """Mark every flow run still RUNNING/PENDING as cancelled (their processes are gone)."""
    runs = _post_json(
        f"{api_url}/flow_runs/filter",
        {"flow_runs": {"state": {"type": {"any_": list(UNFINISHED)}}}},
    )
    for run in runs or []:
        _post_json(
            f"{api_url}/flow_runs/{run['id']}/set_state",
            {
                "state": {
                    "type": "CANCELLED",
                    "name": "Cancelled",
                    "message": "Dịch vụ dừng khi lượt chạy chưa xong (kết quả cũ được giữ nguyên).",
                },
                "force": True,
            },
        )
    return len(runs or [])


def _configure_logging(settings: Settings) -> Path:
    logs = settings.home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    path = logs / "serve.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return path


def serve(
    settings: Settings,
    host: str | None = None,
    port: int | None = None,
    prefect_port: int | None = None,
    say: Any = print,
) -> int:
    """Run the service until SIGTERM/Ctrl-C; the exit code.

    The children are started first and everything else overlaps them: the Prefect server's
    start (a fresh database is migrated, the UI copied) and the runner's imports are the longest
    part of a cold start, while this process imports the web app, loads the flows for the warm
    executor and warms the validator (Great Expectations) on the other core.
    """
    from pcmbn.office.pdf import use_warm
    from pcmbn.office.soffice import WarmOffices
    from pcmbn.resources import resources_for
    from pcmbn.serve.executor import WarmExecutor
    from pcmbn.serve.validator import WarmValidator

    host = host or settings.serve_host
    port = port or settings.serve_port
    prefect_port = prefect_port or settings.prefect_port
    for what, number in (("web", port), ("Prefect", prefect_port)):
        if port_in_use("127.0.0.1" if host in ("0.0.0.0", "::") else host, number):  # noqa: S104
            raise PcmbnError(
                f"Cổng {number} ({what}) đang được dùng: có thể dịch vụ đã chạy; chọn cổng khác "
                f"bằng --port / --prefect-port."
            )
    specs = load_deployments(settings.deployments)
    log_path = _configure_logging(settings)
    settings.prefect_home.mkdir(parents=True, exist_ok=True)
    service = Service(settings, host, port, prefect_port, specs)
    # Flow runs started through the service execute in this process: Prefect must talk to the
    # service's own server, with its files under the home (set before Prefect is imported).
    for key in ("PREFECT_HOME", "PREFECT_API_URL"):
        os.environ[key] = child_environment(settings, service.api_url)[key]
    if (context := sys.modules.get("prefect.context")) is not None:
        context.refresh_global_settings_context()
    resources = resources_for(settings)
    service.executor = WarmExecutor(specs, resources=resources)
    service.validator = WarmValidator(resources)
    service.office = WarmOffices.for_home(settings.home)
    use_warm(service.office)
    access_key = secrets.token_urlsafe(32)
    say(f"Đang khởi động dịch vụ PCMBN (nhật ký: {log_path})…")
    web: dict[str, Any] = {}  # the uvicorn server, once built (bring-up may give up before)
    gave_up = threading.Event()

    def give_up(line: str) -> None:
        say(line + str(log_path))
        gave_up.set()
        if "server" in web:
            web["server"].should_exit = True

    def bring_up() -> None:
        # Every child is started from this one thread, which lives until the children are
        # stopped: Linux delivers a child's "parent died" signal when its creating *thread*
        # ends, so a short-lived thread would take its children with it.
        try:
            service.start_child("prefect-server")
            service.start_child("runner")  # it imports and loads the flows, then waits for the API
            if service.office is not None:
                service.office.start()  # LibreOffice warms up in its own processes meanwhile
            service.executor.load()
            service.validator.warm()
            if not wait_until(
                service.prefect_healthy,
                SERVER_START_TIMEOUT_S,
                lambda: service.children["prefect-server"].alive and not service.stopping.is_set(),
            ):
                log.error("the Prefect server did not become healthy")
                give_up("Máy chủ Prefect không khởi động được; xem nhật ký ")
                return
            if wait_until(
                lambda: service.health()["parts_ready"],
                DEPLOYMENTS_TIMEOUT_S,
                lambda: not service.stopping.is_set(),
            ):
                service.ready_after_s = round(time.monotonic() - service.started, 1)
                info = ServiceInfo(
                    url=service.url,
                    prefect_api_url=service.api_url,
                    pid=os.getpid(),
                    started_at=datetime.now(UTC).isoformat(),
                    access_key=access_key,
                )
                write_service_info(settings.home, info)
                service.published = True
                say(
                    f"Dịch vụ đã sẵn sàng sau {service.ready_after_s:.1f} giây.\n"
                    f"  Trang tổng quan: {service.url}/login?key={access_key}\n"
                    f"  Giao diện Prefect: http://127.0.0.1:{prefect_port}\n"
                    "Nhấn Ctrl-C để dừng."
                )
            else:
                say("Dịch vụ chưa sẵn sàng đủ các phần; xem " + f"{service.url}/health")
            service.watch()
        except Exception:  # noqa: BLE001 - one line for the officer, the rest in the log
            log.exception("start-up failed")
            give_up("Không khởi động được dịch vụ; xem nhật ký ")
        finally:
            service.released.wait()

    threading.Thread(target=bring_up, name="bring-up", daemon=True).start()
    import uvicorn

    from pcmbn.serve.webapp import AppContext, create_app

    context = AppContext(
        resources=resources,
        validator=service.validator,
        access_key=access_key,
        health=service.health,
        feedback_dir=resources.layout.check_feedback_dir,
        executor=service.executor,
    )
    config = uvicorn.Config(
        create_app(context), host=host, port=port, log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    web["server"] = server
    if gave_up.is_set():
        server.should_exit = True

    received: list[int] = []

    def remember(signum: int, _frame: Any) -> None:
        # uvicorn stops on the signal, then re-raises it once its own handlers are gone: this
        # handler takes that second delivery, so the shutdown below always runs.
        received.append(signum)
        server.should_exit = True

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, remember)
    try:
        server.run()
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up
        say("Đang dừng dịch vụ…")
        service.stop()
        remove_service_info(settings.home, os.getpid())
        say("Đã dừng dịch vụ.")
    return 130 if signal.SIGINT in received else 0


def check_serve_address(host: str) -> str:
    """The host to bind, refusing what is neither an address nor a name."""
    if not host or any(c.isspace() for c in host):
        raise UsageError(f"Địa chỉ không hợp lệ cho --host: {host!r}.")
    return host
