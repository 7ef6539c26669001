"""What a data officer sees when something goes wrong: one line, never a traceback.

Expected failures (`PcmbnError`) print their Vietnamese message; anything else is a bug: its
traceback goes to the log file and the user is told where that file is.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from pcmbn.errors import PcmbnError
from pcmbn.layout import OutputLayout
from pcmbn.settings import Settings, quiet_third_parties

log = logging.getLogger("pcmbn")
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
    and exit code 2 (`SettingsError`), and `entry` receives the validated `Settings`.
    """
    quiet_third_parties()
    log_file: Path | None = None
    try:
        settings = Settings.from_env()
        log_file = OutputLayout.from_settings(settings).log_file
        configure_logging(log_file)
        return entry(settings)
    except PcmbnError as exc:
        log.info("expected failure: %s", exc)
        err_console.print(f"[bold red]Lỗi:[/bold red] {escape(str(exc))}", soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err_console.print("Đã dừng theo yêu cầu.")
        sys.exit(130)
    except Exception:
        log.exception("unexpected failure")
        err_console.print(
            "[bold red]Lỗi không mong đợi.[/bold red] Chi tiết kỹ thuật đã ghi vào "
            f"{log_file}; hãy gửi tệp này cho bộ phận kỹ thuật."
        )
        sys.exit(3)
