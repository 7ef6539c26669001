"""Every `PCMBN_*` variable, read once at an entry point into one validated, frozen `Settings`.

The CLI's `main` and each flow's entry call `Settings.from_env()`; everything below receives the
object (tasks as a parameter: it pickles, so the process and Dask runners get it too) and asks
`pcmbn.resources.resources_for(settings)` for the catalog, the store, the output layout and the
mailer. A wrong value stops the entry point with one Vietnamese line naming the variable
(`SettingsError`, exit code 2) instead of failing deep inside a run.

Defaults work with zero set-up: the project's own `schemas/`, and a home folder that does not
depend on the working directory (`default_home`). `PCMBN_SCHEMAS` points the program at a
province's own catalog; `PCMBN_HOME` moves the working data.

The one documented exception is `PCMBN_CRASH_AT`: it is validated here (a misspelt crash point
would silently never fire), but `pcmbn.faults.crash_point` reads it itself, because the points
sit deep inside the toolkit, the archive and the store, in whatever process runs them.
"""

from __future__ import annotations

import getpass
import os
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    Field,
    PositiveInt,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from pcmbn.errors import UsageError
from pcmbn.faults import POINTS

PROJECT_ROOT = Path(__file__).resolve().parent.parent

#: Names under the home folder that are also documented defaults of variables (README table).
ARCHIVE_DIR = "archive"
STORE_FILE = "history.duckdb"
OUTPUTS_DIR = "outputs"
OUTPUTS_CACHE_DIR = "outputs-cache"
INBOX_DIR = "inbox"
PREFECT_DIR = "prefect"

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

_TRUE = ("1", "true", "yes", "y", "on", "t", "co", "có")
_FALSE = ("0", "false", "no", "n", "off", "f", "khong", "không")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://(.*)$")
_DASK_SCHEMES = ("tcp", "tls", "ws", "wss", "ucx", "inproc")
_POSTGRES_SCHEMES = ("postgresql", "postgres")


def quiet_third_parties() -> None:
    """Turn off Prefect's and GE's analytics unless the user set these variables explicitly."""
    for key, value in QUIET_ENVIRONMENT.items():
        os.environ.setdefault(key, value)


def prefect_environment(
    settings: Settings, environ: Mapping[str, str], user_home: Path | None = None
) -> dict[str, str]:
    """The Prefect variables an entry point sets so that Prefect keeps its home under ours.

    Prefect's default home, `~/.prefect/`, holds its SQLite database (every flow run, log and
    artifact of the temporary local server), shared with anything else the user ever ran and
    left behind when `PCMBN_HOME` is moved or cleared. `PREFECT_HOME=$PCMBN_HOME/prefect` keeps
    them with the rest of the working data (the database follows the home folder). Nothing is
    set when the user named a Prefect home or a Prefect server. Settings saved with `prefect
    config set` in `~/.prefect/profiles.toml` still apply (`PREFECT_PROFILES_PATH`).
    """
    if environ.get("PREFECT_HOME") or environ.get("PREFECT_API_URL"):
        return {}
    updates = {"PREFECT_HOME": str(settings.prefect_home)}
    try:
        profiles = (user_home or Path.home()) / ".prefect" / "profiles.toml"
    except RuntimeError:  # no home directory for this user
        return updates
    if not environ.get("PREFECT_PROFILES_PATH") and profiles.is_file():
        updates["PREFECT_PROFILES_PATH"] = str(profiles)
    return updates


def keep_prefect_under_home(settings: Settings) -> None:
    """Apply `prefect_environment` to this process (and the servers and workers it starts).

    Called by every entry point right after the settings are read, before Prefect starts a
    flow. Prefect reads its settings when it is imported: an entry point that imported it
    already (`python -m flows.…`) has them read again.
    """
    updates = prefect_environment(settings, os.environ)
    if not updates:
        return
    try:
        settings.prefect_home.mkdir(parents=True, exist_ok=True)
    except OSError:
        return  # an unwritable home: the run fails on its own data with a clear line
    os.environ.update(updates)
    context = sys.modules.get("prefect.context")
    if context is not None:
        context.refresh_global_settings_context()


#: The officer a service is acting for while it runs their command (`pcmbn serve`): the audit
#: log records who typed `pcmbn run`, not the account the service runs under. A context
#: variable, so it follows the run into Prefect's task threads (they copy the context).
ACTING_FOR: ContextVar[str | None] = ContextVar("pcmbn_acting_for", default=None)


@contextmanager
def acting_for(actor: str | None) -> Iterator[None]:
    """Within this block `Settings.actor` is `actor` (when given)."""
    token = ACTING_FOR.set(actor or None)
    try:
        yield
    finally:
        ACTING_FOR.reset(token)


class TaskRunnerName(StrEnum):
    """Who reads the inbox's chunks (`pcmbn.runners`)."""

    THREADS = "threads"
    PROCESSES = "processes"
    DASK = "dask"


class ReaderMode(StrEnum):
    """Where untrusted workbooks are parsed (`pcmbn.reading.sandbox`)."""

    ISOLATED = "isolated"  # worker processes with per-file limits: a native crash costs one file
    INLINE = "inline"  # in this process: benchmarks only


class ImapSecurity(StrEnum):
    """How the mailbox connection is protected (`pcmbn.mailbox.imap`)."""

    TLS = "tls"  # IMAP over TLS from the first byte (port 993): the default
    STARTTLS = "starttls"  # plain connection upgraded with STARTTLS before logging in (143)
    PLAIN = "plain"  # no encryption: only to a loopback address (a local relay, tests)


LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost", "[::1]")


class SettingsError(UsageError):
    """A `PCMBN_*` variable holds a value the program cannot use (exit code 2)."""


def is_source_checkout(root: Path) -> bool:
    """True when `root` is this project's own folder (a clone), not an installed package."""
    return (root / "pyproject.toml").is_file() and (root / "pcmbn").is_dir()


def default_home(
    project_root: Path | None = None, environ: Mapping[str, str] | None = None
) -> Path:
    """The home folder when `PCMBN_HOME` is unset, the same whatever the working directory.

    A source checkout whose root is writable keeps its data beside the code (`<project>/data`,
    as `make demo` always did); otherwise (an installed package, a read-only clone) the
    per-user data folder: `$XDG_DATA_HOME/pcmbn`, else `~/.local/share/pcmbn`.
    """
    root = project_root or PROJECT_ROOT
    env = os.environ if environ is None else environ
    data = root / "data"
    if is_source_checkout(root) and os.access(data if data.exists() else root, os.W_OK):
        return data
    xdg = env.get("XDG_DATA_HOME", "")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "share"
    return (base / "pcmbn").resolve()


def _url_scheme(value: str) -> str | None:
    match = _SCHEME.match(value)
    return match.group(1).lower() if match else None


def _folder_or_url(value: str) -> str:
    """A local folder, or an fsspec URL whose protocol fsspec knows (`s3://`, `memory://`…)."""
    if "://" not in value:
        _resolved(value)
        return value
    scheme = _url_scheme(value)
    if scheme is None or not _SCHEME.match(value).group(2).strip("/"):  # type: ignore[union-attr]
        raise ValueError("not a URL")
    from fsspec.registry import known_implementations, registry

    if scheme not in known_implementations and scheme not in registry:
        raise ValueError(f"unknown protocol {scheme}")
    return value


def _resolved(value: str | Path) -> Path:
    try:
        return Path(value).expanduser().resolve()
    except (RuntimeError, OSError) as exc:  # `~nobody/…`: no such user
        raise ValueError(str(exc)) from exc


class Settings(BaseSettings):
    """One validated field per `PCMBN_*` variable of the README's settings table.

    Frozen and hashable (it keys the process-local resources cache) and picklable: unpickling
    does not read the environment again, so a worker process sees the entry point's values.
    """

    model_config = SettingsConfigDict(
        env_prefix="PCMBN_",
        env_ignore_empty=True,  # `PCMBN_X=` means unset, as it always did
        frozen=True,
        extra="ignore",
        str_strip_whitespace=True,
    )

    home: Path = Field(default_factory=default_home)
    schemas: Path = PROJECT_ROOT / "schemas"
    inbox: str | None = None
    archive: str | None = None
    store: str | None = None
    outputs: str | None = None
    user: str | None = None
    task_runner: TaskRunnerName = TaskRunnerName.THREADS
    workers: PositiveInt | None = None
    dask_workers: PositiveInt | None = None
    dask_address: str | None = None
    #: files validated (and their history fetched) together: one GE run per batch, so peak
    #: memory follows the batch, not the month
    batch_size: int = Field(default=1000, ge=1, le=100_000)
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_starttls: bool = True
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_secret: str | None = None
    smtp_from: str = "bcd138@localhost"
    smtp_from_name: str = "Cơ quan Thường trực Ban Chỉ đạo 138"
    # The office mailbox the flow `thu-thap-thu-dien-tu` collects reports from (issue 16).
    imap_host: str | None = None
    imap_port: int | None = Field(default=None, ge=1, le=65535)
    imap_security: ImapSecurity = ImapSecurity.TLS
    imap_user: str | None = None
    imap_password: SecretStr | None = None
    imap_secret: str | None = None
    imap_folder: str = "INBOX"
    imap_done_folder: str | None = None
    imap_ca_file: Path | None = None
    reader: ReaderMode = ReaderMode.ISOLATED
    reader_cpu_s: int = Field(default=20, ge=1, le=3600)
    reader_memory_mb: int = Field(default=1024, ge=256, le=65536)
    reader_timeout_s: float = Field(default=60.0, ge=1, le=3600)
    crash_at: Literal[POINTS] | None = None  # type: ignore[valid-type]
    # `pcmbn serve`: the web app's address, its Prefect server's port and database, and the
    # deployments it serves (the project's prefect.yaml unless a province keeps its own).
    serve_host: str = "127.0.0.1"
    serve_port: int = Field(default=8138, ge=1, le=65535)
    prefect_port: int = Field(default=4238, ge=1, le=65535)
    prefect_database: SecretStr | None = None
    deployments: Path = PROJECT_ROOT / "prefect.yaml"
    # The CLI's side: a service named explicitly (else the home's service.json), or none.
    service_url: str | None = None
    service_key: SecretStr | None = None
    use_service: bool = True
    # The portal (issue 14): a signed-in session ends after this many idle minutes; a unit may
    # upload this many files a minute.
    portal_idle_minutes: int = Field(default=30, ge=1, le=1440)
    portal_uploads_per_minute: int = Field(default=10, ge=1, le=1000)
    #: The portal's cookies carry the Secure flag (set it when the portal is served over HTTPS).
    portal_secure_cookies: bool = False

    @classmethod
    def from_env(cls) -> Settings:
        """Read the environment now; a bad value is one Vietnamese line (`SettingsError`)."""
        try:
            return cls()
        except ValidationError as exc:
            raise settings_error(exc) from None

    # --- validation -------------------------------------------------------------------------

    @field_validator("home", "schemas", "deployments", mode="before")
    @classmethod
    def _path(cls, value: Any) -> Path:
        return _resolved(value)

    @field_validator("inbox", "archive", "outputs")
    @classmethod
    def _location(cls, value: str | None) -> str | None:
        return None if value is None else _folder_or_url(value)

    @field_validator("store")
    @classmethod
    def _store(cls, value: str | None) -> str | None:
        if value is None:
            return None
        scheme = _url_scheme(value)
        if scheme is None:
            if "://" in value:
                raise ValueError("not a URL")
            return str(_resolved(value))
        if scheme not in _POSTGRES_SCHEMES or not value.split("://", 1)[1].strip("/"):
            raise ValueError("only postgresql:// URLs")
        return value

    @field_validator("task_runner", "reader", "imap_security", mode="before")
    @classmethod
    def _runner(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("smtp_starttls", "use_service", mode="before")
    @classmethod
    def _flag(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        folded = value.strip().lower()
        if folded in _TRUE:
            return True
        if folded in _FALSE:
            return False
        raise ValueError("not a yes/no value")

    @field_validator("dask_address")
    @classmethod
    def _dask(cls, value: str | None) -> str | None:
        if value is None:
            return None
        scheme = _url_scheme(value)
        rest = value.split("://", 1)[1] if scheme else value
        host, _, port = rest.partition(":")
        if (
            (scheme is None and "://" in value)
            or (scheme is not None and scheme not in _DASK_SCHEMES)
            or not host
            or "/" in host
            or (port and not port.isdigit())
        ):
            raise ValueError("not a Dask address")
        return value

    @field_validator("smtp_host", "imap_host")
    @classmethod
    def _host(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[A-Za-z0-9.\-\[\]:]+", value):
            raise ValueError("not a host name")
        return value

    @field_validator("imap_security")
    @classmethod
    def _plain_only_on_loopback(cls, value: ImapSecurity, info: ValidationInfo) -> ImapSecurity:
        """A password in clear text crosses no network: `plain` only to this machine."""
        host = (info.data.get("imap_host") or "").lower()
        if value == ImapSecurity.PLAIN and host and host not in LOOPBACK_HOSTS:
            raise ValueError("plain IMAP to a remote host")
        return value

    @field_validator("imap_ca_file", mode="before")
    @classmethod
    def _ca_file(cls, value: Any) -> Path | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        path = _resolved(value)
        if not path.is_file():
            raise ValueError("no such file")
        return path

    @field_validator("smtp_from")
    @classmethod
    def _address(cls, value: str) -> str:
        local, _, domain = value.partition("@")
        if not local or not domain or " " in value:
            raise ValueError("not an email address")
        return value

    @field_validator(
        "user",
        "smtp_user",
        "smtp_secret",
        "imap_user",
        "imap_secret",
        "imap_done_folder",
        "crash_at",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    # --- where things live ------------------------------------------------------------------

    @property
    def archive_root(self) -> str:
        """Where originals are kept: a folder or any fsspec URL."""
        return self.archive or str(self.home / ARCHIVE_DIR)

    @property
    def prefect_home(self) -> Path:
        """Prefect's home (its database of flow runs) unless the user named one:
        `prefect_environment`."""
        return self.home / PREFECT_DIR

    @property
    def store_target(self) -> str:
        """The history store as configured: a DuckDB file path or a `postgresql://` URL."""
        return self.store or str(self.home / STORE_FILE)

    @property
    def store_path(self) -> Path:
        """The DuckDB file of the history store."""
        if self.store_is_server:
            raise SettingsError(
                "PCMBN_STORE là địa chỉ một máy chủ PostgreSQL, không phải tệp DuckDB."
            )
        return Path(self.store_target)

    @property
    def store_is_server(self) -> bool:
        """True when `PCMBN_STORE` names a PostgreSQL database rather than a DuckDB file."""
        return bool(self.store and _url_scheme(self.store))

    @property
    def outputs_url(self) -> str | None:
        """`PCMBN_OUTPUTS` when it names remote storage (`s3://…`, `memory://…`), else None."""
        root = self.outputs or ""
        return root.rstrip("/") if "://" in root and not root.startswith("file://") else None

    @property
    def outputs_root(self) -> Path:
        """The local folder outputs are written to (with a remote `PCMBN_OUTPUTS`, the local
        copy that `pcmbn.storage.publish` uploads)."""
        if self.outputs_url is not None:
            return self.home / OUTPUTS_CACHE_DIR
        if self.outputs:
            return _resolved(self.outputs.removeprefix("file://"))
        return self.home / OUTPUTS_DIR

    @property
    def inbox_root(self) -> str:
        """The inbox's root folder or URL (`<inbox>/<plan>/<period>/` below it)."""
        return (self.inbox or str(self.home / INBOX_DIR)).rstrip("/")

    @property
    def worker_count(self) -> int:
        """Pool size: `PCMBN_WORKERS`, else `PCMBN_DASK_WORKERS`, else the core count."""
        return self.workers or self.dask_workers or max(1, os.cpu_count() or 1)

    @property
    def actor(self) -> str:
        """Who acts: the officer a service runs a command for (`acting_for`), else
        `PCMBN_USER` when configured, else the operating-system user."""
        relayed = ACTING_FOR.get()
        if relayed:
            return relayed
        if self.user:
            return self.user
        try:
            return getpass.getuser()
        except (KeyError, OSError):  # no passwd entry in some containers
            return "khong-xac-dinh"


#: What each variable must hold, in the words of the error line (`SettingsError`).
EXPECTED: dict[str, str] = {
    "home": "cần một đường dẫn thư mục",
    "schemas": "cần một đường dẫn thư mục",
    "inbox": "cần một thư mục hoặc một địa chỉ fsspec, ví dụ s3://kho/hop-thu",
    "archive": "cần một thư mục hoặc một địa chỉ fsspec, ví dụ s3://kho/luu-tru",
    "store": "cần đường dẫn một tệp DuckDB hoặc một địa chỉ postgresql://…",
    "outputs": "cần một thư mục hoặc một địa chỉ fsspec, ví dụ s3://kho/ket-qua",
    "user": "cần một tên người dùng",
    "task_runner": "cần một trong: " + ", ".join(t.value for t in TaskRunnerName),
    "workers": "cần một số nguyên dương",
    "dask_workers": "cần một số nguyên dương",
    "dask_address": "cần địa chỉ bộ lập lịch Dask, ví dụ tcp://may-chu:8786",
    "batch_size": "cần một số tệp từ 1 đến 100000",
    "smtp_host": "cần tên hoặc địa chỉ máy chủ thư, ví dụ mail.tinh.gov.vn",
    "smtp_port": "cần một số cổng từ 1 đến 65535",
    "smtp_starttls": "cần true hoặc false",
    "smtp_user": "cần một tên đăng nhập",
    "smtp_password": "cần một mật khẩu",
    "smtp_secret": "cần tên một khối Secret của Prefect",
    "smtp_from": "cần một địa chỉ thư, ví dụ bcd138@tinh.gov.vn",
    "smtp_from_name": "cần một tên người gửi",
    "imap_host": "cần tên hoặc địa chỉ máy chủ hộp thư, ví dụ mail.tinh.gov.vn",
    "imap_port": "cần một số cổng từ 1 đến 65535",
    "imap_security": "cần một trong: "
    + ", ".join(m.value for m in ImapSecurity)
    + " (plain chỉ dùng với máy chủ 127.0.0.1)",
    "imap_user": "cần một tên đăng nhập hộp thư",
    "imap_password": "cần một mật khẩu",
    "imap_secret": "cần tên một khối Secret của Prefect",
    "imap_folder": "cần tên một thư mục của hộp thư, ví dụ INBOX",
    "imap_done_folder": "cần tên một thư mục của hộp thư, ví dụ DaThu",
    "imap_ca_file": "cần đường dẫn một tệp chứng chỉ CA (PEM) có thật",
    "reader": "cần một trong: " + ", ".join(m.value for m in ReaderMode),
    "reader_cpu_s": "cần một số giây CPU từ 1 đến 3600",
    "reader_memory_mb": "cần một số MB từ 256 đến 65536",
    "reader_timeout_s": "cần một số giây từ 1 đến 3600",
    "crash_at": "cần một trong: " + ", ".join(POINTS),
    "serve_host": "cần một địa chỉ, ví dụ 127.0.0.1",
    "serve_port": "cần một số cổng từ 1 đến 65535",
    "prefect_port": "cần một số cổng từ 1 đến 65535",
    "prefect_database": "cần một địa chỉ cơ sở dữ liệu SQLAlchemy",
    "deployments": "cần đường dẫn một tệp prefect.yaml",
    "service_url": "cần địa chỉ dịch vụ, ví dụ http://127.0.0.1:8138",
    "service_key": "cần khóa truy cập của dịch vụ",
    "use_service": "cần true hoặc false",
    "portal_idle_minutes": "cần một số phút từ 1 đến 1440",
    "portal_uploads_per_minute": "cần một số lượt từ 1 đến 1000",
    "portal_secure_cookies": "cần true hoặc false",
}


def variable_name(field: str) -> str:
    """`workers` → `PCMBN_WORKERS`."""
    return f"PCMBN_{field.upper()}"


def settings_error(exc: ValidationError) -> SettingsError:
    """One line naming the (first) variable, its value and what it must hold."""
    errors = exc.errors()
    first = errors[0]
    field = str(first["loc"][0]) if first["loc"] else ""
    value = first.get("input")
    shown = value.get_secret_value() if isinstance(value, SecretStr) else value
    if field in ("smtp_password", "imap_password"):
        shown = "***"
    others = {str(e["loc"][0]) for e in errors[1:] if e["loc"]} - {field}
    more = (
        f" Còn {len(others)} biến khác cũng sai: "
        + ", ".join(variable_name(f) for f in sorted(others))
        + "."
        if others
        else ""
    )
    return SettingsError(
        f"Giá trị của biến môi trường {variable_name(field)} không hợp lệ: {str(shown)!r} "
        f"({EXPECTED.get(field, 'xem bảng biến môi trường trong README')}).{more}"
    )


# --- conveniences for tests and one-off scripts ---------------------------------------------
# Production code receives `Settings` from its entry point; these read the environment now.


def home_dir() -> Path:
    """The home folder as the environment says now (tests, scripts)."""
    return Settings.from_env().home


def store_path() -> Path:
    """The DuckDB history store as the environment says now (tests, scripts)."""
    return Settings.from_env().store_path


def store_target() -> str | Path:
    """What `open_store` opens as the environment says now: a PostgreSQL URL or the DuckDB file."""
    settings = Settings.from_env()
    return settings.store_target if settings.store_is_server else settings.store_path


def outputs_dir(plan_id: str, period_code: str) -> Path:
    """One plan and period's local outputs folder as the environment says now (tests)."""
    from pcmbn.layout import OutputLayout

    return OutputLayout.from_settings(Settings.from_env()).period_dir(plan_id, period_code)
