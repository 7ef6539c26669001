"""The words the pipeline speaks internally: statuses, severities and rule ids, in one place.

Every value here is a `StrEnum`, so it is stored in DuckDB/PostgreSQL, written to JSON and
compared with strings read back exactly as the bare string it replaces ("accepted" stays
"accepted"). What a person reads for each of them (the Vietnamese label) is data in
`schemas/labels.yaml`, checked by the catalog to cover every member; what a rule id means
(severity, message) is data in `schemas/rules.yaml`, which the catalog checks to define every
`RuleId` the code can report.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "AuditAction",
    "Channel",
    "Completeness",
    "DeskStatus",
    "HeldReason",
    "HeldState",
    "ReceiptStatus",
    "Role",
    "RuleId",
    "Severity",
    "SubmissionStatus",
]


class SubmissionStatus(StrEnum):
    """What a run decided about one received file (`submissions.status`)."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"
    OTHER_PERIOD = "other_period"  # identified, but of another plan or period: not counted
    PENDING = "pending"  # received while the period is approved; decided after a reopening
    RETURNED = "returned"  # the office returned it to the unit (`pcmbn.submissions`): not counted


class Completeness(StrEnum):
    """Where a unit expected to report stands for a period (the completeness table)."""

    ON_TIME = "on_time"
    LATE = "late"
    MISSING = "missing"
    REJECTED = "rejected"  # every submission of the unit was rejected
    RETURNED = "returned"  # the unit's newest submission was returned by the office


class Severity(StrEnum):
    """How a rule's failure weighs: an error rejects the file, a warning is only reported."""

    ERROR = "error"
    WARNING = "warning"


class AuditAction(StrEnum):
    """The `audit_log.action` values (appended, never updated)."""

    RUN = "run"
    APPROVE = "approve"
    REOPEN = "reopen"
    REMIND = "remind"
    PACKET = "packet"
    RECEIVE = "receive"  # a unit's file received (portal, mail, folder): `pcmbn.submissions`
    RETURN = "return"  # the office returned a submission to its unit, with a reason
    HOLD = "hold"  # a mailed file held for the officer (unknown sender, another unit's file)
    ASSIGN = "assign"  # a held file assigned to a unit by the officer
    DISCARD = "discard"  # a held file discarded by the officer
    NOTIFY = "notify"  # the return notice mailed to a unit: sent, or why not
    # The portal (issue 14): sign-ins (detail "ok"/"failed"), uploads, submissions, accounts.
    LOGIN = "login"
    UPLOAD = "upload"
    SUBMIT = "submit"
    PASSWORD = "password"
    ACCOUNT = "account"


class Channel(StrEnum):
    """How a file reached the office (`receipts.channel`, the reception log's `channel`)."""

    PORTAL = "portal"
    EMAIL = "email"
    FOLDER = "folder"


class ReceiptStatus(StrEnum):
    """Where a receipt stands (`receipts.status`)."""

    RECEIVED = "received"
    RETURNED = "returned"  # returned to the unit with a reason; the next run does not count it
    SUPERSEDED = "superseded"  # the unit sent a newer file for the same period


class DeskStatus(StrEnum):
    """A unit's cell in the officer's desk matrix (`pcmbn.submissions.desk_matrix`)."""

    MISSING = "missing"
    RECEIVED = "received"  # received after the last run: not yet decided
    REJECTED = "rejected"
    RETURNED = "returned"
    ON_TIME = "on_time"
    LATE = "late"


class HeldReason(StrEnum):
    """Why a received file waits for the officer instead of entering the inbox."""

    UNKNOWN_SENDER = "unknown_sender"
    UNIT_MISMATCH = "unit_mismatch"


class HeldState(StrEnum):
    """A held file's state (`held_items.state`)."""

    HELD = "held"
    ASSIGNED = "assigned"
    DISCARDED = "discarded"


class Role(StrEnum):
    """What a portal account may do (`accounts.role`): a unit's specialist uploads and submits,
    its leader approves the unit's submission (optional per plan), the office's officer does
    everything."""

    UNIT_SPECIALIST = "unit_specialist"
    UNIT_LEADER = "unit_leader"
    OFFICER = "officer"


class RuleId(StrEnum):
    """Every validation rule id the code can report; `schemas/rules.yaml` must define each."""

    FILE_TOO_LARGE = "file.too_large"
    FILE_UNSUPPORTED_FORMAT = "file.unsupported_format"
    FILE_NOT_WORKBOOK = "file.not_workbook"
    FILE_ENCRYPTED = "file.encrypted"
    FILE_CORRUPT = "file.corrupt"
    FILE_ZIP_BOMB = "file.zip_bomb"
    FILE_EMPTY = "file.empty"
    FILE_TOO_COMPLEX = "file.too_complex"
    FILE_NOT_REGULAR = "file.not_regular"
    FILE_READER_CRASHED = "file.reader_crashed"
    SHEET_MISSING = "sheet.missing"
    SHEET_DUPLICATE = "sheet.duplicate"
    SHEET_HIDDEN = "sheet.hidden"
    COLUMN_MISSING = "column.missing"
    INFO_MISSING = "info.missing"
    INFO_DUPLICATE = "info.duplicate"
    INFO_HIDDEN_ROW = "info.hidden_row"
    TEMPLATE_VERSION = "template.version"
    UNIT_UNKNOWN = "unit.unknown"
    UNIT_INACTIVE = "unit.inactive"
    UNIT_SENDER_MISMATCH = "unit.sender_mismatch"  # decided by a run, where a sender is known
    PLAN_UNKNOWN = "plan.unknown"
    PERIOD_INVALID = "period.invalid"
    PERIOD_OUTSIDE_PLAN = "period.outside_plan"
    INDICATOR_UNKNOWN = "indicator.unknown"
    INDICATOR_DUPLICATE = "indicator.duplicate"
    VALUE_NOT_NUMBER = "value.not_number"
    VALUE_NOT_INTEGER = "value.not_integer"
    VALUE_NEGATIVE = "value.negative"
    VALUE_IMPLAUSIBLE = "value.implausible"
    VALUE_MISSING = "value.missing"
    VALUE_NOT_APPLICABLE = "value.not_applicable"
    VALUE_AMBIGUOUS_DECIMAL = "value.ambiguous_decimal"
    VALUE_FORMULA_NO_CACHE = "value.formula_no_cache"
    VALUE_CHILD_EXCEEDS_PARENT = "value.child_exceeds_parent"
    VALUE_CUMULATIVE_BELOW_PERIOD = "value.cumulative_below_period"
    VALUE_CUMULATIVE_DISCONTINUITY = "value.cumulative_discontinuity"
    VALUE_OUTLIER = "value.outlier"
    TASK_UNKNOWN = "task.unknown"
    TASK_STATUS_INVALID = "task.status_invalid"
