"""Where things live, read from the environment at call time (never at import).

Defaults work with zero set-up: the project's own `schemas/` folder and `./data` for the archive,
history store and outputs. `PCMBN_SCHEMAS` points the whole program at a province's own catalog;
`PCMBN_HOME` moves the working data.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

#: Environment every entry point sets before Prefect or Great Expectations is imported: this
#: network reaches nothing, so usage analytics would only log failures and wait on time-outs.
QUIET_ENVIRONMENT: dict[str, str] = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "GX_ANALYTICS_ENABLED": "False",
    "TQDM_DISABLE": "1",
    # The ephemeral server migrates a new SQLite database on first use (~30 s on 2 cores).
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "300",
    # Prefect's own console lines would break the progress display; they go to the log file.
    "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "CRITICAL",
    "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
}


def quiet_third_parties() -> None:
    """Turn off Prefect's and GE's analytics unless the user set these variables explicitly."""
    for key, value in QUIET_ENVIRONMENT.items():
        os.environ.setdefault(key, value)


def schemas_dir() -> Path:
    """The catalog folder: `$PCMBN_SCHEMAS` if set, else the project's `schemas/`."""
    configured = os.environ.get("PCMBN_SCHEMAS")
    return Path(configured).expanduser().resolve() if configured else PROJECT_ROOT / "schemas"


def home_dir() -> Path:
    """Working data (archive, history store, outputs, logs): `$PCMBN_HOME`, default `./data`."""
    return Path(os.environ.get("PCMBN_HOME", "data")).expanduser().resolve()


def log_file() -> Path:
    """Engineers' log: tracebacks and third-party chatter go here, never to the terminal."""
    return home_dir() / "logs" / "pcmbn.log"


def archive_root() -> str:
    """Where originals are kept (`$PCMBN_ARCHIVE`: a folder or any fsspec URL)."""
    return os.environ.get("PCMBN_ARCHIVE") or str(home_dir() / "archive")


def store_path() -> Path:
    """The history store (`$PCMBN_STORE`, default `$PCMBN_HOME/history.duckdb`)."""
    configured = os.environ.get("PCMBN_STORE")
    return Path(configured).expanduser().resolve() if configured else home_dir() / "history.duckdb"


def store_target() -> str | Path:
    """The history store `open_store` opens: a `postgresql://…` URL in `$PCMBN_STORE` as it
    is (a database server), else the DuckDB file of `store_path()`."""
    configured = os.environ.get("PCMBN_STORE", "")
    if configured.lower().startswith(("postgresql://", "postgres://")):
        return configured
    return store_path()


def outputs_url() -> str | None:
    """`$PCMBN_OUTPUTS` when it names remote storage (`s3://…`, `memory://…`), else None."""
    root = os.environ.get("PCMBN_OUTPUTS", "")
    return root.rstrip("/") if "://" in root and not root.startswith("file://") else None


def _outputs_base() -> Path:
    root = os.environ.get("PCMBN_OUTPUTS")
    if outputs_url() is not None:
        return home_dir() / "outputs-cache"  # written here first, then published to the URL
    if root and root.startswith("file://"):
        root = root.removeprefix("file://")
    return Path(root).expanduser().resolve() if root else home_dir() / "outputs"


def outputs_dir(plan_id: str, period_code: str) -> Path:
    """Summary, exports, feedback and Data Docs of one plan and period (a local folder; with a
    remote `$PCMBN_OUTPUTS` the local copy that `pcmbn.storage.publish` uploads)."""
    return _outputs_base() / plan_id / period_code


def packets_dir(plan_id: str) -> Path:
    """Conference packets of a plan: `$PCMBN_OUTPUTS/<plan>/packets`."""
    return _outputs_base() / plan_id / "packets"


def default_inbox(plan_id: str, period_code: str) -> str:
    """`$PCMBN_INBOX/<plan>/<period>` (default `$PCMBN_HOME/inbox/...`)."""
    root = os.environ.get("PCMBN_INBOX") or str(home_dir() / "inbox")
    return f"{root.rstrip('/')}/{plan_id}/{period_code}"
