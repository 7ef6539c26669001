"""What the intake already did with each message, so a crash never makes it act twice.

The mailbox's own flag is set last, after the files are filed and the answer sent; a crash in
between (a power cut, a killed worker) leaves the message unseen, and the next run meets it
again. This ledger says how far the earlier run got: each attachment's outcome keyed on
(Message-ID, sha256), and whether the answer went out. Filing is idempotent by itself too
(`submissions.receive` returns the existing receipt for the same reference and sha256); the
ledger is what keeps a second answer from being sent.

One JSON line per event, appended under an exclusive `fcntl` lock and fsynced (the line is
durable before the mailbox is touched); a torn last line from a crash is skipped on reading.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pcmbn.office.jsonio import dumps_strict

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Entry:
    """One attachment's outcome: filed (`receipt`), held (`held`) or refused (`refused`)."""

    message_id: str
    sha256: str
    filename: str
    outcome: str  # "received" | "duplicate" | "held" | "refused"
    ref: str | None  # the receipt or held item id


class Ledger:
    """The append-only ledger file (`OutputLayout.mail_ledger`)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _events(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        events = []
        with self.path.open("r", encoding="utf-8") as fp:
            for number, line in enumerate(fp, start=1):
                try:
                    events.append(json.loads(line))
                except ValueError:
                    log.warning("mail ledger %s line %d unreadable, skipped", self.path, number)
        return events

    def _append(self, event: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = dumps_strict(event) + "\n"
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.write(fd, line.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)

    def entries(self, message_id: str) -> dict[str, Entry]:
        """sha256 → the outcome recorded for that attachment of the message."""
        found: dict[str, Entry] = {}
        for event in self._events():
            if event.get("kind") == "file" and event.get("message_id") == message_id:
                found[event["sha256"]] = Entry(
                    message_id,
                    event["sha256"],
                    event.get("filename", ""),
                    event["outcome"],
                    event.get("ref"),
                )
        return found

    def record(self, entry: Entry) -> None:
        self._append(
            {
                "kind": "file",
                "message_id": entry.message_id,
                "sha256": entry.sha256,
                "filename": entry.filename,
                "outcome": entry.outcome,
                "ref": entry.ref,
            }
        )

    def answered(self, message_id: str) -> bool:
        """Whether the answer to this message already went out (or was decided against)."""
        return any(
            e.get("kind") == "answer" and e.get("message_id") == message_id for e in self._events()
        )

    def record_answer(self, message_id: str, to: str | None, sent: bool, note: str) -> None:
        self._append(
            {"kind": "answer", "message_id": message_id, "to": to, "sent": sent, "note": note}
        )

    def done(self, message_id: str) -> bool:
        """Whether the message was completely handled (flagged in the mailbox afterwards)."""
        return any(
            e.get("kind") == "done" and e.get("message_id") == message_id for e in self._events()
        )

    def record_done(self, message_id: str) -> None:
        self._append({"kind": "done", "message_id": message_id})
