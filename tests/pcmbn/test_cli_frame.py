"""The framework's own words in Vietnamese: help, usage errors, `--version` (issue 12.13)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

COMMANDS = [
    "template",
    "samples",
    "catalog",
    "check",
    "run",
    "status",
    "approve",
    "reopen",
    "remind",
    "packet",
    "log",
]

#: What typer, click and rich write on their own, in English.
ENGLISH = [
    "Usage",
    "Options",
    "Arguments",
    "Commands",
    "Show this message",
    "and exit",
    "[default",
    "[required]",
    "<bool>",
    "<path>",
    "<str>",
    "<int>",
    "<text>",
    "list[",
    "Path]",
    "OPTIONS",
    "COMMAND",
    "ARGS",
    "Try ",
    "Error",
    "Missing",
    "No such",
    "Invalid value",
    "is not one of",
    "Value error",
    "unexpected extra",
    "files",
]


def _pcmbn(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pcmbn", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200"},
    )


def _english_in(text: str) -> list[str]:
    return [word for word in ENGLISH if word in text]


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_help_has_no_english_word(command: str) -> None:
    result = _pcmbn(*([command] if command else []), "--help")
    assert result.returncode == 0, result.stderr
    assert "Cách dùng: pcmbn" in result.stdout
    assert "Tùy chọn" in result.stdout and "Xem hướng dẫn này rồi thoát." in result.stdout
    assert _english_in(result.stdout + result.stderr) == [], result.stdout


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["run"], ["Thiếu tùy chọn --plan", "pcmbn run --help"]),
        (["chay"], ["Không có lệnh 'chay'", "pcmbn --help"]),
        (["rn", "--plan", "X"], ["Không có lệnh 'rn'", "run"]),
        (
            ["packet", "--plan", "X", "--milestone", "soket"],
            ["'soket' không hợp lệ cho --milestone", "so_ket, tong_ket", "ý bạn là: so_ket"],
        ),
        (["samples", "--out", "x", "--seed", "abc"], ["'abc' không hợp lệ cho --seed", "số"]),
        (["catalog", "--bogus"], ["Không có tùy chọn --bogus"]),
        (["catalog", "thua"], ["Thừa đối số", "thua"]),
        (["status", "--plan"], ["--plan", "cần kèm một giá trị"]),
        (["check"], ["Thiếu đối số TỆP"]),
        (["remind", "--send=yes"], ["--send", "không kèm giá trị"]),
    ],
)
def test_usage_errors_are_one_vietnamese_line(args: list[str], words: list[str]) -> None:
    result = _pcmbn(*args)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Lỗi: "), result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    assert _english_in(result.stderr) == [], result.stderr


def test_version_prints_the_version_and_the_home_folder() -> None:
    from pcmbn import __version__

    result = _pcmbn("--version")
    assert result.returncode == 0, result.stderr
    assert f"pcmbn {__version__}" in result.stdout
    home = Path(os.environ["PCMBN_HOME"]).resolve()
    assert f"Thư mục dữ liệu: {home}" in " ".join(result.stdout.split()), result.stdout


def test_readme_and_demo_say_how_to_reach_pcmbn_after_make_demo() -> None:
    """Issue 12.22: after `make demo`, `pcmbn` is in `.venv/`, not on the PATH."""
    from pcmbn.settings import PROJECT_ROOT

    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    quick_guide = readme.split("## Hướng dẫn nhanh", 1)[1].split("\n## ", 1)[0]
    for text in (quick_guide, readme.split("## Set-up", 1)[1].split("\n## ", 1)[0]):
        assert "source .venv/bin/activate" in text and ".venv/bin/pcmbn" in text
    assert "command not found" in quick_guide
    demo = (PROJECT_ROOT / "scripts" / "demo.sh").read_text(encoding="utf-8")
    tail = demo.rsplit('step "Kết quả"', 1)[1]
    assert ".venv/bin/pcmbn" in tail and "source .venv/bin/activate" in tail


def test_readme_says_what_a_rerun_writes() -> None:
    """Issue 12.23: the README and the audit agree: one line saying nothing changed."""
    from pcmbn.settings import PROJECT_ROOT

    readme = " ".join((PROJECT_ROOT / "README.md").read_text(encoding="utf-8").split())
    assert "adds no row anywhere" not in readme
    assert "chạy lại, không có thay đổi" in readme
