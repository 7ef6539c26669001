"""`pcmbn remind --send` when mail cannot go out (issue 12.11): exit 1 with the reason."""

from __future__ import annotations

import os
import socket
import subprocess
import sys


def _closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_mail_server_is_a_failure_with_its_reason() -> None:
    port = _closed_port()
    result = subprocess.run(
        [sys.executable, "-m", "pcmbn", "remind", "--plan", "ST-KH-30-7-2024"]
        + ["--period", "2024-08", "--send"],
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **os.environ,
            "COLUMNS": "200",
            "PCMBN_SMTP_HOST": "127.0.0.1",
            "PCMBN_SMTP_PORT": str(port),
            "PCMBN_SMTP_STARTTLS": "false",
        },
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Đã gửi 0/" in result.stdout
    error = " ".join(result.stderr.split())
    assert error.startswith("Lỗi:") and "không gửi được" in error, error
    assert f"127.0.0.1:{port}" in error, error
    assert "Traceback" not in result.stdout + result.stderr
