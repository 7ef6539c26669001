"""Importing Great Expectations off the critical path (issue 15.6).

GE takes seconds to import (6.6 s on the bench's 2 cores), and a run does nothing with it until
every file is archived and read. An entry point that will validate calls `start_ge_import()`
first: a daemon thread imports GE while the inbox is archived and read, and by the time
`validation.engine` says `import great_expectations` the module is there (or its import is
finishing: Python's per-module import lock makes the engine wait for the thread instead of
importing twice). Nothing happens when this module is imported; GE stays out of processes that
never validate (the sandbox's readers, the process pool's workers). A failure in the thread is
only logged: the engine's own import then raises it where it belongs.
"""

from __future__ import annotations

import logging
import sys
import threading

from pcmbn.settings import quiet_third_parties

log = logging.getLogger(__name__)

#: What `validation.engine` and `validation.suite` import, in the order they need it.
MODULES = (
    "great_expectations",
    "great_expectations.data_context.types.base",
    "great_expectations.expectations.row_conditions",
)

_thread: threading.Thread | None = None
_lock = threading.Lock()


def start_ge_import() -> threading.Thread | None:
    """Start importing GE in a background thread, once per process; returns that thread, or
    None when GE is already imported (a warm service, a second run in the same process)."""
    global _thread
    if all(name in sys.modules for name in MODULES):
        return None
    with _lock:
        if _thread is None:
            quiet_third_parties()  # GE reads its analytics switch when imported
            for name in ("great_expectations", "great_expectations.core", "py.warnings"):
                logging.getLogger(name).setLevel(logging.ERROR)  # as the engine keeps them
            _thread = threading.Thread(target=_import, name="pcmbn-ge-import", daemon=True)
            _thread.start()
        return _thread


def _import() -> None:
    import importlib

    try:
        for name in MODULES:
            importlib.import_module(name)
    except Exception:  # noqa: BLE001 - the engine's own import raises it where it belongs
        log.debug("background import of Great Expectations failed", exc_info=True)
