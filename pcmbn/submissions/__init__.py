"""A unit delivers a file to the office: receipts, returns, held files, the officer's desk.

The portal, the mail intake, the CLI and the desk call these functions; none of them writes the
inbox or the reception log itself (see `/work/notes/submissions_contract.md` §1 and
ARCHITECTURE.md). Importing the package imports nothing heavy.
"""

from __future__ import annotations

from pcmbn.submissions.desk import (
    SubmissionView,
    desk_counts,
    desk_matrix,
    period_document,
    period_downloads,
    submission_view,
)
from pcmbn.submissions.held import assign_held, discard_held, get_held, held_items, hold
from pcmbn.submissions.model import (
    DeskRow,
    Held,
    Receipt,
    SubmissionError,
    UnitMismatch,
    shown_time,
)
from pcmbn.submissions.receive import (
    ensure_unit_matches,
    get_receipt,
    receipts_for_period,
    receipts_for_unit,
    receive,
)
from pcmbn.submissions.returns import return_submission

__all__ = [
    "DeskRow",
    "Held",
    "Receipt",
    "SubmissionError",
    "SubmissionView",
    "UnitMismatch",
    "assign_held",
    "desk_counts",
    "desk_matrix",
    "discard_held",
    "ensure_unit_matches",
    "get_held",
    "get_receipt",
    "held_items",
    "hold",
    "period_document",
    "period_downloads",
    "receipts_for_period",
    "receipts_for_unit",
    "receive",
    "return_submission",
    "shown_time",
    "submission_view",
]
