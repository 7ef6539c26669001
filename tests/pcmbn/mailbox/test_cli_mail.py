"""`pcmbn mail` refuses at once, in one Vietnamese line, what it cannot do."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli import run_pcmbn

pytestmark = pytest.mark.slow  # a subprocess


@pytest.mark.parametrize(
    ("args", "said"),
    [
        ((), "Chưa cấu hình hộp thư của cơ quan thường trực (PCMBN_IMAP_HOST)"),
        (("--plan", "NA-276-KH-UBND-2O21"), 'Không có kế hoạch "NA-276-KH-UBND-2O21"'),
    ],
)
def test_mail_without_a_mailbox_or_with_a_typo_is_one_line(
    tmp_path: Path, args: tuple[str, ...], said: str
) -> None:
    result = run_pcmbn(
        tmp_path / "home",
        "mail",
        *args,
        env={"PCMBN_USE_SERVICE": "false", "PCMBN_IMAP_HOST": None},
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert said in " ".join(result.stderr.split())
    assert len(result.stderr.strip().splitlines()) == 1
