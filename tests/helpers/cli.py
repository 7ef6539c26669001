"""`pcmbn` as a separate process, the way a data officer's terminal or a script runs it.

One helper for every subprocess test: the home folder, the terminal width and the extra
variables are set the same way everywhere, so a test states only what it changes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path


def pcmbn_env(
    home: Path, env: Mapping[str, str | None] | None = None, columns: int = 200
) -> dict[str, str]:
    """This process's environment with `PCMBN_HOME=home`, a terminal `columns` wide and `env`
    on top (a `None` value removes that variable)."""
    environ = {**os.environ, "PCMBN_HOME": str(home), "COLUMNS": str(columns)}
    for key, value in (env or {}).items():
        if value is None:
            environ.pop(key, None)
        else:
            environ[key] = value
    return environ


def run_pcmbn(
    home: Path,
    *args: str,
    env: Mapping[str, str | None] | None = None,
    timeout: float = 900,
    columns: int = 200,
) -> subprocess.CompletedProcess[str]:
    """Run `python -m pcmbn ARGS` with `pcmbn_env(home, env, columns)`; output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "pcmbn", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=pcmbn_env(home, env, columns),
    )
