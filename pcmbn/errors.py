"""Expected failures, each carrying one Vietnamese line for the data officer.

Anything raised as a `PcmbnError` is a situation the user can fix (a wrong catalog entry, an
unknown plan, a badly written period). The CLI prints its message as a single line and exits;
other exceptions are bugs, logged with their traceback to the log file only.
"""

from __future__ import annotations


class PcmbnError(Exception):
    """Base of every expected failure; `str()` is the Vietnamese message shown to users."""

    exit_code = 1


class UsageError(PcmbnError):
    """The command was called with arguments that cannot work together (exit code 2)."""

    exit_code = 2


class CatalogError(PcmbnError):
    """A file under `schemas/` is wrong; the message names the file and the entry."""
