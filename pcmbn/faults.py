"""Named crash points, so fault tests can kill a run exactly where a power cut would hurt.

`crash_point("history")` does nothing unless `$PCMBN_CRASH_AT` names that point; then the
process kills itself with SIGKILL (no cleanup, no `finally`), as a power cut or the OOM killer
would. The points sit just before each commit of durable state: between writing a temporary
file and renaming it into place, and before a history transaction commits; `mail` sits between
filing a message's attachments and flagging the message as collected (`pcmbn.mailbox`).

The one `PCMBN_*` variable read outside `pcmbn.settings`, on purpose: the points sit deep in
the archive, the store and the file writers, in whatever process runs them (a pool or Dask
worker), where threading `Settings` through for a test-only hook would widen every signature.
`Settings` still validates the value at the entry point (`crash_at`), so a misspelt point stops
the run with one line instead of silently never firing.
"""

from __future__ import annotations

import os
import signal

#: Every point the code declares; the fault tests iterate over these.
POINTS = ("archive", "history", "summary", "packet", "mail")


def crash_point(name: str) -> None:
    """Die here, at once, when `$PCMBN_CRASH_AT` is `name` (test-only; one env lookup else)."""
    if os.environ.get("PCMBN_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
