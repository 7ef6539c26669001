"""What a data officer sees when something goes wrong: one line, never a traceback.

Expected failures (`PcmbnError`) print their Vietnamese message; anything else is a bug: its
traceback goes to the log file and the user is told where that file is.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from rich.console import Console
from rich.markup import escape

from pcmbn.errors import PcmbnError
from pcmbn.layout import OutputLayout
from pcmbn.settings import Settings, keep_prefect_under_home, quiet_third_parties

log = logging.getLogger("pcmbn")

#: The one line a data officer sees after Ctrl-C (exit code `INTERRUPTED`).
STOPPED_LINE = "Đã dừng theo yêu cầu."
INTERRUPTED = 130
err_console = Console(stderr=True, highlight=False)


def configure_logging(path: Path) -> None:
    """Engineers' log to a file (`OutputLayout.log_file`); the terminal stays for the data
    officer."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        handler = logging.NullHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(logging.INFO)


def route_logs_to_file(path: Path) -> None:
    """After Prefect configured logging (at import), send its console output to our log file.

    The data officer's terminal shows the progress and the result; Prefect's own log lines go
    to the log file and, with a Prefect server, to its UI.
    """
    configure_logging(path)
    file_handlers = logging.getLogger().handlers
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "fastapi", "prefect"):
        logger = logging.getLogger(name)
        logger.handlers = [
            h
            for h in logger.handlers
            if not isinstance(h, logging.StreamHandler) or isinstance(h, logging.FileHandler)
        ]
        if not logger.propagate:
            logger.handlers += file_handlers


def run_guarded(entry: Callable[[Settings], Any]) -> Any:
    """Run an entry point (CLI, `python -m flows...`) turning failures into one clear line.

    The settings are read here, once, before anything else: a bad `PCMBN_*` value is one line
    and exit code 2 (`SettingsError`), and `entry` receives the validated `Settings`. Prefect's
    home is then put under ours (`keep_prefect_under_home`), before any flow starts.
    """
    quiet_third_parties()
    log_file: Path | None = None
    try:
        settings = Settings.from_env()
        keep_prefect_under_home(settings)
        log_file = OutputLayout.from_settings(settings).log_file
        configure_logging(log_file)
        return entry(settings)
    except PcmbnError as exc:
        log.info("expected failure: %s", exc)
        err_console.print(f"[bold red]Lỗi:[/bold red] {escape(str(exc))}", soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err_console.print(STOPPED_LINE)
        sys.exit(INTERRUPTED)
    except Exception:
        log.exception("unexpected failure")
        err_console.print(
            "[bold red]Lỗi không mong đợi.[/bold red] Chi tiết kỹ thuật đã ghi vào "
            f"{log_file}; hãy gửi tệp này cho bộ phận kỹ thuật."
        )
        sys.exit(3)


def stop_on_interrupt() -> None:
    """Make Ctrl-C (SIGINT) stop the process within seconds, whatever it is doing.

    Python's default (a `KeyboardInterrupt` in the main thread) is not enough under Prefect: the
    flow engine and its worker threads keep going, the event workers retry against a stopped
    API for over a minute and the flow run stays RUNNING. This handler instead marks the
    current flow run (and the flow runs above it) CANCELLED, stops the temporary Prefect
    server, prints one line and ends the process with exit code 130.

    Ending the process there is safe because every write is already crash-safe (the SIGKILL
    fault tests): files are written under a temporary name and renamed (`office.atomic`), and
    a run's store writes are one transaction, so an interrupted run leaves either the previous
    state or the complete new one, never half of it. Locks are released by the OS.
    """
    signal.signal(signal.SIGINT, _interrupted)


def _interrupted(signum: int, frame: FrameType | None) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up
    log.warning("interrupted by the user (signal %d)", signum)
    try:
        _cancel_flow_runs()
    except Exception:  # noqa: BLE001 - stopping matters more than the flow run's state
        log.exception("could not mark the flow run cancelled")
    if sys.stdout.isatty():  # a progress spinner may be on screen, the cursor hidden
        with contextlib.suppress(OSError, ValueError):
            sys.stdout.write("\r\x1b[2K\x1b[?25h")
    err_console.print(STOPPED_LINE)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    # Background threads (Prefect's API log and event workers) must not add a word after the
    # one line: from here on, what they write goes nowhere (the log file keeps the details).
    sys.stdout = sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
    # Logging handlers hold the original streams (Prefect's console handler among them), so the
    # file descriptors themselves are pointed at /dev/null too.
    with contextlib.suppress(OSError):
        quiet = os.open(os.devnull, os.O_WRONLY)
        os.dup2(quiet, 1)
        os.dup2(quiet, 2)
    try:
        _stop_temporary_servers()
    except Exception:  # noqa: BLE001
        log.exception("could not stop the temporary Prefect server")
    logging.shutdown()
    os._exit(INTERRUPTED)


def _cancel_flow_runs() -> None:
    """Mark the flow run being executed, and each flow run it is a subflow of, CANCELLED."""
    if "prefect.context" not in sys.modules:
        return  # Prefect never started: no flow run was created
    from prefect.client.orchestration import get_client
    from prefect.context import FlowRunContext
    from prefect.states import Cancelled

    context = FlowRunContext.get()
    if context is None or context.flow_run is None:
        return
    with get_client(sync_client=True) as client:
        flow_run = context.flow_run
        while flow_run is not None:
            client.set_flow_run_state(
                flow_run.id, Cancelled(message="Người dùng dừng (Ctrl-C)."), force=True
            )
            log.warning("flow run %s (%s) marked cancelled", flow_run.id, flow_run.name)
            parent = flow_run.parent_task_run_id
            flow_run = (
                client.read_flow_run(client.read_task_run(parent).flow_run_id) if parent else None
            )


def _stop_temporary_servers() -> None:
    """Stop the temporary Prefect API server(s) this process started (they are subprocesses
    that would outlive `os._exit`)."""
    server_module = sys.modules.get("prefect.server.api.server")
    if server_module is None:
        return
    servers = getattr(server_module.SubprocessASGIServer, "_instances", {})
    for server in list(servers.values()):
        server.stop()
