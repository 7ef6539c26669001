"""`Settings`: every `PCMBN_*` variable validated once, one Vietnamese line and exit 2 when wrong;
the home folder independent of the working directory; `Resources` and `OutputLayout`."""

from __future__ import annotations

import os
import pickle
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pcmbn import layout as names
from pcmbn.errors import UsageError
from pcmbn.layout import OutputLayout
from pcmbn.resources import resources_for
from pcmbn.settings import (
    PROJECT_ROOT,
    Settings,
    SettingsError,
    TaskRunnerName,
    default_home,
    variable_name,
)

NA = "NA-276-KH-UBND-2021"

# (variable, value, attribute, expected) — each accepted value and what the program sees.
VALID: list[tuple[str, str, str, Any]] = [
    ("PCMBN_HOME", "/srv/pcmbn", "home", Path("/srv/pcmbn")),
    ("PCMBN_SCHEMAS", "/srv/schemas", "schemas", Path("/srv/schemas")),
    ("PCMBN_INBOX", "s3://kho/hop-thu", "inbox_root", "s3://kho/hop-thu"),
    ("PCMBN_INBOX", "/srv/hop-thu/", "inbox_root", "/srv/hop-thu"),
    ("PCMBN_ARCHIVE", "memory://office/archive", "archive_root", "memory://office/archive"),
    ("PCMBN_STORE", "/srv/lich-su.duckdb", "store_path", Path("/srv/lich-su.duckdb")),
    ("PCMBN_STORE", "postgresql://pcmbn@db/pcmbn", "store_target", "postgresql://pcmbn@db/pcmbn"),
    ("PCMBN_OUTPUTS", "s3://kho/ket-qua/", "outputs_url", "s3://kho/ket-qua"),
    ("PCMBN_OUTPUTS", "file:///srv/ket-qua", "outputs_root", Path("/srv/ket-qua")),
    ("PCMBN_USER", " Nguyễn Văn A ", "actor", "Nguyễn Văn A"),
    ("PCMBN_TASK_RUNNER", "Dask", "task_runner", TaskRunnerName.DASK),
    ("PCMBN_TASK_RUNNER", "processes", "task_runner", TaskRunnerName.PROCESSES),
    ("PCMBN_WORKERS", "3", "worker_count", 3),
    ("PCMBN_DASK_WORKERS", "2", "worker_count", 2),
    ("PCMBN_DASK_ADDRESS", "tcp://may-chu:8786", "dask_address", "tcp://may-chu:8786"),
    ("PCMBN_DASK_ADDRESS", "10.0.0.5:8786", "dask_address", "10.0.0.5:8786"),
    ("PCMBN_BATCH_SIZE", "250", "batch_size", 250),
    ("PCMBN_SMTP_HOST", "mail.tinh.gov.vn", "smtp_host", "mail.tinh.gov.vn"),
    ("PCMBN_SMTP_PORT", "2525", "smtp_port", 2525),
    ("PCMBN_SMTP_STARTTLS", "false", "smtp_starttls", False),
    ("PCMBN_SMTP_STARTTLS", "Không", "smtp_starttls", False),
    ("PCMBN_SMTP_STARTTLS", "1", "smtp_starttls", True),
    ("PCMBN_SMTP_USER", "bcd138", "smtp_user", "bcd138"),
    ("PCMBN_SMTP_SECRET", "mat-khau-thu", "smtp_secret", "mat-khau-thu"),
    ("PCMBN_SMTP_FROM", "bcd138@tinh.gov.vn", "smtp_from", "bcd138@tinh.gov.vn"),
    ("PCMBN_SMTP_FROM_NAME", "Văn phòng BCĐ 138", "smtp_from_name", "Văn phòng BCĐ 138"),
    ("PCMBN_CRASH_AT", "history", "crash_at", "history"),
    ("PCMBN_CRASH_AT", "mail", "crash_at", "mail"),
    ("PCMBN_IMAP_HOST", "mail.tinh.gov.vn", "imap_host", "mail.tinh.gov.vn"),
    ("PCMBN_IMAP_PORT", "9993", "imap_port", 9993),
    ("PCMBN_IMAP_SECURITY", "STARTTLS", "imap_security", "starttls"),
    ("PCMBN_IMAP_USER", "bcd138@tinh.gov.vn", "imap_user", "bcd138@tinh.gov.vn"),
    ("PCMBN_IMAP_SECRET", "mat-khau-hop-thu", "imap_secret", "mat-khau-hop-thu"),
    ("PCMBN_IMAP_FOLDER", "Báo cáo", "imap_folder", "Báo cáo"),
    ("PCMBN_IMAP_DONE_FOLDER", "DaThu", "imap_done_folder", "DaThu"),
    ("PCMBN_READER", "Inline", "reader", "inline"),
    ("PCMBN_READER_CPU_S", "5", "reader_cpu_s", 5),
    ("PCMBN_READER_MEMORY_MB", "512", "reader_memory_mb", 512),
    ("PCMBN_READER_TIMEOUT_S", "2.5", "reader_timeout_s", 2.5),
    ("PCMBN_PORTAL_IDLE_MINUTES", "45", "portal_idle_minutes", 45),
    ("PCMBN_PORTAL_UPLOADS_PER_MINUTE", "3", "portal_uploads_per_minute", 3),
]

# (variable, value, words the one line must contain besides the variable and the value)
INVALID: list[tuple[str, str, str]] = [
    ("PCMBN_HOME", "~khong-co-nguoi-nay/du-lieu", "đường dẫn thư mục"),
    ("PCMBN_INBOX", "hopthu://kho", "fsspec"),
    ("PCMBN_ARCHIVE", "s3x://kho/luu-tru", "fsspec"),
    ("PCMBN_OUTPUTS", "://", "fsspec"),
    ("PCMBN_STORE", "mysql://db/pcmbn", "postgresql://"),
    ("PCMBN_TASK_RUNNER", "spark", "threads, processes, dask"),
    ("PCMBN_WORKERS", "abc", "số nguyên dương"),
    ("PCMBN_WORKERS", "0", "số nguyên dương"),
    ("PCMBN_WORKERS", "-2", "số nguyên dương"),
    ("PCMBN_DASK_WORKERS", "2.5", "số nguyên dương"),
    ("PCMBN_BATCH_SIZE", "0", "số tệp"),
    ("PCMBN_DASK_ADDRESS", "http://may-chu:8786", "Dask"),
    ("PCMBN_DASK_ADDRESS", "tcp://may-chu:cong", "Dask"),
    ("PCMBN_SMTP_HOST", "smtp://mail.tinh.gov.vn", "máy chủ thư"),
    ("PCMBN_SMTP_PORT", "587a", "số cổng"),
    ("PCMBN_SMTP_PORT", "70000", "số cổng"),
    ("PCMBN_SMTP_STARTTLS", "maybe", "true hoặc false"),
    ("PCMBN_SMTP_FROM", "bcd138", "địa chỉ thư"),
    ("PCMBN_CRASH_AT", "histroy", "archive, history, summary, packet"),
    ("PCMBN_IMAP_HOST", "imaps://mail.tinh.gov.vn", "máy chủ hộp thư"),
    ("PCMBN_IMAP_PORT", "0", "số cổng"),
    ("PCMBN_IMAP_SECURITY", "ssl3", "tls, starttls, plain"),
    ("PCMBN_IMAP_CA_FILE", "/khong-co/ca.pem", "chứng chỉ CA"),
    ("PCMBN_READER", "unsafe", "isolated, inline"),
    ("PCMBN_READER_CPU_S", "0", "giây CPU"),
    ("PCMBN_READER_MEMORY_MB", "64", "MB"),
    ("PCMBN_READER_TIMEOUT_S", "mot phut", "số giây"),
    ("PCMBN_PORTAL_IDLE_MINUTES", "0", "số phút"),
    ("PCMBN_PORTAL_UPLOADS_PER_MINUTE", "nhieu", "số lượt"),
]


def _settings(monkeypatch: pytest.MonkeyPatch, **variables: str) -> Settings:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return Settings.from_env()


@pytest.mark.parametrize(("variable", "value", "attribute", "expected"), VALID)
def test_valid_values(
    variable: str, value: str, attribute: str, expected: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert getattr(_settings(monkeypatch, **{variable: value}), attribute) == expected


@pytest.mark.parametrize(("variable", "value", "words"), INVALID)
def test_invalid_value_is_one_line_naming_the_variable(
    variable: str, value: str, words: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(SettingsError) as raised:
        _settings(monkeypatch, **{variable: value})
    message = str(raised.value)
    assert raised.value.exit_code == 2 and isinstance(raised.value, UsageError)
    assert "\n" not in message
    assert message.startswith(f"Giá trị của biến môi trường {variable} không hợp lệ: {value!r} (")
    assert words in message


def test_the_example_line_of_the_issue(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SettingsError) as raised:
        _settings(monkeypatch, PCMBN_WORKERS="abc")
    assert str(raised.value) == (
        "Giá trị của biến môi trường PCMBN_WORKERS không hợp lệ: 'abc' (cần một số nguyên dương)."
    )


def test_several_bad_values_still_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SettingsError) as raised:
        _settings(monkeypatch, PCMBN_WORKERS="abc", PCMBN_SMTP_PORT="x", PCMBN_TASK_RUNNER="y")
    message = str(raised.value)
    assert "\n" not in message and "Còn 2 biến khác cũng sai" in message
    assert "PCMBN_SMTP_PORT" in message and "PCMBN_TASK_RUNNER" in message


def test_empty_values_mean_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    empty = {variable_name(f): "" for f in Settings.model_fields if f != "home"}
    settings = _settings(monkeypatch, **empty)
    assert settings.smtp_port == 587 and settings.smtp_starttls is True
    assert settings.task_runner is TaskRunnerName.THREADS and settings.crash_at is None
    assert settings.worker_count == max(1, os.cpu_count() or 1)


def test_defaults_derive_from_the_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for field in Settings.model_fields:
        monkeypatch.delenv(variable_name(field), raising=False)
    settings = _settings(monkeypatch, PCMBN_HOME=str(tmp_path))
    assert settings.archive_root == str(tmp_path / "archive")
    assert settings.store_path == tmp_path / "history.duckdb"
    assert settings.outputs_root == tmp_path / "outputs" and settings.outputs_url is None
    assert settings.inbox_root == str(tmp_path / "inbox")
    assert settings.schemas == PROJECT_ROOT / "schemas"
    remote = _settings(monkeypatch, PCMBN_OUTPUTS="memory://office/outputs")
    assert remote.outputs_root == tmp_path / "outputs-cache"


def test_password_is_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings(monkeypatch, PCMBN_SMTP_PASSWORD="bí mật")
    assert "bí mật" not in repr(settings) and "bí mật" not in str(settings)
    assert settings.smtp_password is not None
    assert settings.smtp_password.get_secret_value() == "bí mật"


def test_plain_imap_only_to_this_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """A mailbox password never crosses a network in clear text: `plain` is refused for a
    remote host, accepted for the loopback relay the tests and a local gateway use."""
    local = _settings(monkeypatch, PCMBN_IMAP_HOST="127.0.0.1", PCMBN_IMAP_SECURITY="plain")
    assert local.imap_security == "plain"
    monkeypatch.setenv("PCMBN_IMAP_HOST", "mail.tinh.gov.vn")
    with pytest.raises(SettingsError) as raised:
        Settings.from_env()
    assert "PCMBN_IMAP_SECURITY" in str(raised.value) and "127.0.0.1" in str(raised.value)


def test_settings_are_frozen_hashable_and_picklable(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings(monkeypatch, PCMBN_WORKERS="2", PCMBN_SMTP_PASSWORD="bí mật")
    with pytest.raises(ValueError, match="frozen"):
        settings.workers = 3  # type: ignore[misc]
    monkeypatch.setenv("PCMBN_WORKERS", "7")  # unpickling must not read the environment again
    copy = pickle.loads(pickle.dumps(settings))
    assert copy == settings and hash(copy) == hash(settings) and copy.worker_count == 2
    assert resources_for(copy) is resources_for(settings)


def test_settings_reach_a_spawned_process_intact(tmp_path: Path) -> None:
    """What the process pool and Dask do: pickle the settings into another interpreter."""
    settings = Settings(home=tmp_path, workers=2)
    code = (
        "import pickle, sys\n"
        "from pcmbn.resources import resources_for\n"
        "s = pickle.loads(sys.stdin.buffer.read())\n"
        "r = resources_for(s)\n"
        "print(s.worker_count, r.layout.summary('P', '2024-07'), len(r.catalog.indicators))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PCMBN_")}
    out = subprocess.run(
        [sys.executable, "-c", code],
        input=pickle.dumps(settings),
        capture_output=True,
        env={**env, "PCMBN_WORKERS": "9"},
        timeout=120,
        check=True,
    ).stdout.decode()
    workers, summary, indicators = out.split()
    assert workers == "2" and Path(summary) == tmp_path / "outputs/P/2024-07/TongHop_P_2024-07.xlsx"
    assert int(indicators) > 0


def test_runner_and_sizes_come_from_settings(tmp_path: Path) -> None:
    from pcmbn.runners import chunk_size, task_runner

    runner = task_runner(Settings(home=tmp_path, task_runner="processes", workers=3))
    assert type(runner).__name__ == "ProcessPoolTaskRunner"
    assert chunk_size(1000, 3) == 64 and chunk_size(10, 3) == 8


# --- the home folder ------------------------------------------------------------------------


def _checkout(root: Path) -> Path:
    (root / "pcmbn").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'pcmbn'\n", encoding="utf-8")
    return root


def test_home_of_a_writable_checkout_is_its_data_folder(tmp_path: Path) -> None:
    root = _checkout(tmp_path / "clone")
    assert default_home(root, {}) == root / "data"


def test_home_of_an_installed_package_is_the_user_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site-packages"
    site.mkdir()
    assert default_home(site, {"XDG_DATA_HOME": str(tmp_path / "xdg")}) == tmp_path / "xdg/pcmbn"
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    expected = tmp_path / "user/.local/share/pcmbn"
    assert default_home(site, {}) == expected
    assert default_home(site, {"XDG_DATA_HOME": "relative/ignored"}) == expected


def test_home_of_a_read_only_checkout_is_the_user_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _checkout(tmp_path / "clone")
    monkeypatch.setattr("pcmbn.settings.os.access", lambda *_args: False)
    assert default_home(root, {"XDG_DATA_HOME": str(tmp_path / "xdg")}) == tmp_path / "xdg/pcmbn"


def test_an_explicit_relative_home_is_relative_to_where_the_command_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert _settings(monkeypatch, PCMBN_HOME="data").home == tmp_path / "data"  # make demo


def _pcmbn_in(cwd: Path, fake_root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`pcmbn` with PCMBN_HOME unset, as if the project were checked out at `fake_root`."""
    code = (
        "import sys\nfrom pathlib import Path\nimport pcmbn.settings\n"
        f"pcmbn.settings.PROJECT_ROOT = Path({str(fake_root)!r})\n"
        "from pcmbn.cli import main\n"
        f"sys.argv = ['pcmbn', *{list(args)!r}]\nmain()\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PCMBN_HOME"}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**env, "COLUMNS": "250", "PCMBN_SCHEMAS": str(PROJECT_ROOT / "schemas")},
    )


@pytest.mark.slow
def test_commands_use_one_home_whatever_the_working_directory(tmp_path: Path) -> None:
    root = _checkout(tmp_path / "clone")
    homes = set()
    for name in ("here", "there"):
        cwd = tmp_path / name
        cwd.mkdir()
        catalog = _pcmbn_in(cwd, root, "catalog")
        assert catalog.returncode == 0, catalog.stderr
        homes |= set(re.findall(r"Thư mục dữ liệu: (\S+)", catalog.stdout))
        status = _pcmbn_in(cwd, root, "status", "--plan", NA, "--period", "2021-07")
        assert status.returncode == 0, status.stderr
        assert not (cwd / "data").exists()
    assert homes == {str(root / "data")}
    assert (root / "data" / "history.duckdb").is_file()
    assert (root / "data" / "logs" / "pcmbn.log").is_file()


# --- the command line -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "variable", "value", "words"),
    [
        ("integer", "PCMBN_WORKERS", "abc", "số nguyên dương"),
        ("URL", "PCMBN_DASK_ADDRESS", "http//may-chu", "Dask"),
        ("URL", "PCMBN_OUTPUTS", "s3x://kho/ket-qua", "fsspec"),
        ("boolean", "PCMBN_SMTP_STARTTLS", "maybe", "true hoặc false"),
        ("enum", "PCMBN_TASK_RUNNER", "spark", "threads, processes, dask"),
    ],
)
def test_cli_stops_on_a_bad_variable_with_one_line_and_exit_2(
    kind: str, variable: str, value: str, words: str
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pcmbn", "catalog"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "400", variable: value},
    )
    assert result.returncode == 2, (kind, result.stderr)
    assert result.stdout == "" and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert f"{variable} không hợp lệ: {value!r}" in lines[0] and words in lines[0]
    assert "Lỗi không mong đợi" not in lines[0]


# --- layout and resources -------------------------------------------------------------------


def test_layout_names_are_the_published_ones(tmp_path: Path) -> None:
    layout = OutputLayout.from_settings(Settings(home=tmp_path))
    period = tmp_path / "outputs" / NA / "2021-07"
    assert layout.summary(NA, "2021-07") == period / f"TongHop_{NA}_2021-07.xlsx"
    assert layout.reminders(NA, "2021-07") == period / f"NhacNho_{NA}_2021-07.csv"
    assert layout.feedback_dir(NA, "2021-07") == period / "feedback"
    assert layout.exports_dir(NA, "2021-07") == period / "exports"
    assert layout.validation_report(NA, "2021-07") == period / f"KetQuaKiemTra_{NA}_2021-07.html"
    assert layout.packets_dir(NA) == tmp_path / "outputs" / NA / "packets"
    assert layout.lock_file(NA, "2021-07") == tmp_path / "locks" / f"{NA}_2021-07.lock"
    assert layout.outbox(NA, "2021-07") == tmp_path / "outbox" / NA / "2021-07"
    assert layout.inbox(NA, "2021-07") == f"{tmp_path}/inbox/{NA}/2021-07"
    assert layout.log_file == tmp_path / "logs" / "pcmbn.log"
    assert layout.tmp_dir == tmp_path / "tmp"
    assert layout.check_feedback_dir == tmp_path / "feedback"
    assert (
        names.feedback_name("CA_TINH", "ab" * 32, "BaoCao_CA_TINH.xlsx", ".xlsx")
        == "CA_TINH_abababababab_BaoCao_CA_TINH_KiemTra.xlsx"
    )
    assert layout.remote(period) is None and layout.where(period) == str(period)


def test_layout_maps_remote_outputs(tmp_path: Path) -> None:
    layout = OutputLayout.from_settings(Settings(home=tmp_path, outputs="memory://office/out/"))
    summary = layout.summary(NA, "2021-07")
    assert summary.is_relative_to(tmp_path / "outputs-cache")
    assert layout.where(summary) == f"memory://office/out/{NA}/2021-07/TongHop_{NA}_2021-07.xlsx"


def test_resources_are_built_once_per_process_and_lazily(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    resources = resources_for(settings)
    assert resources_for(Settings(home=tmp_path)) is resources
    assert resources.catalog is resources.catalog and resources.store is resources.store
    assert resources.store.path == tmp_path / "history.duckdb"
    assert not (tmp_path / "history.duckdb").exists()  # nothing opened until it is used
    assert resources_for(Settings(home=tmp_path / "other")) is not resources


def test_mailer_needs_a_host_only_when_sending(tmp_path: Path) -> None:
    from pcmbn.errors import PcmbnError

    mailer = resources_for(Settings(home=tmp_path, smtp_host=None)).mailer
    with pytest.raises(PcmbnError, match="PCMBN_SMTP_HOST"):
        mailer.smtp()
    smtp = resources_for(Settings(home=tmp_path, smtp_host="mail.x.vn", smtp_port=25)).mailer
    assert (smtp.smtp().host, smtp.smtp().port, smtp.smtp().starttls) == ("mail.x.vn", 25, True)


# --- sweeps ---------------------------------------------------------------------------------

PRODUCTION = [
    p
    for folder in ("pcmbn", "flows", "tasks")
    for p in sorted((PROJECT_ROOT / folder).rglob("*.py"))
]


def _relative(path: Path) -> str:
    return path.relative_to(PROJECT_ROOT).as_posix()


def test_no_pcmbn_variable_is_read_outside_settings() -> None:
    """Only `pcmbn/settings.py` reads `PCMBN_*`; `faults.py` is the documented exception."""
    offenders = []
    for path in PRODUCTION:
        if _relative(path) in ("pcmbn/settings.py", "pcmbn/faults.py"):
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if re.search(r"(environ|getenv)\b.*PCMBN_", line):
                offenders.append(f"{_relative(path)}: {line.strip()}")
    assert offenders == []


def test_catalog_store_and_names_are_built_in_one_place() -> None:
    found: dict[str, set[str]] = {}
    patterns = {
        "store": r"HistoryStore\(|(?<!def )\bopen_store\(",
        "catalog": r"load_catalog\(",
        "env helpers": r"\b(home_dir|store_path|outputs_dir)\(\)",
        "file names": r"TongHop_|NhacNho_|_KiemTra",
    }
    for path in PRODUCTION:
        text = path.read_text(encoding="utf-8")
        for what, pattern in patterns.items():
            if re.search(pattern, text):
                found.setdefault(what, set()).add(_relative(path))
    # the store package builds its backends; everything else asks Resources for the store
    assert {p for p in found["store"] if not p.startswith("pcmbn/store/")} == {"pcmbn/resources.py"}
    assert found["catalog"] == {"pcmbn/resources.py", "pcmbn/catalog.py"}
    assert found.get("env helpers", set()) <= {"pcmbn/settings.py"}
    # reminders.py and feedback.py only mention the names in docstrings
    names_in_code = {
        p
        for p in found["file names"]
        if re.search(r"f\"[^\"]*(TongHop_|NhacNho_|_KiemTra)", (PROJECT_ROOT / p).read_text())
    }
    assert names_in_code == set()


def test_readme_table_lists_every_variable_with_kind_and_default() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    listed = {name for row in rows for name in re.findall(r"`(PCMBN_[A-Z_]+)`", row.split("|")[1])}
    assert listed == {variable_name(f) for f in Settings.model_fields}
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split(" | ")]
        assert len(cells) == 4 and all(cells), row  # variable, kind, default, meaning


def test_a_service_acting_for_an_officer_records_the_officer() -> None:
    """`pcmbn serve` runs a command for whoever typed it: `acting_for` names them."""
    from pcmbn.settings import acting_for

    settings = Settings(user="dich-vu")
    assert settings.actor == "dich-vu"
    with acting_for("can-bo-a"):
        assert settings.actor == "can-bo-a"
        with acting_for(None):
            assert settings.actor == "dich-vu"
    assert settings.actor == "dich-vu"
