"""Named crash points, so fault tests can kill a run exactly where a power cut would hurt.

`crash_point("history")` does nothing unless `$PCMBN_CRASH_AT` names that point; then the
process kills itself with SIGKILL (no cleanup, no `finally`), as a power cut or the OOM killer
would. The points sit just before each commit of durable state: between writing a temporary
file and renaming it into place, and before a history transaction commits.
"""

from __future__ import annotations

import os
import signal

#: Every point the code declares; the fault tests iterate over these.
POINTS = ("archive", "history", "summary", "packet")


def crash_point(name: str) -> None:
    """Die here, at once, when `$PCMBN_CRASH_AT` is `name` (test-only; one env lookup else)."""
    if os.environ.get("PCMBN_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
