"""One rule for turning a moment into the naive date-time that office files store.

Excel cells, docProps/core.xml and zip entries have no time zone. The rule, used everywhere:
a naive input *is office time* (Asia/Ho_Chi_Minh, what the office's people read); an aware input
is converted. `naive(moment)` gives the office wall clock (for cells and labels),
`naive(moment, UTC)` the UTC clock that core properties are written in.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from pcmbn.clock import OFFICE_TZ

__all__ = ["UTC", "datetime_label", "naive", "w3c_utc"]


def naive(moment: datetime, zone: tzinfo = OFFICE_TZ) -> datetime:
    """`moment` on the wall clock of `zone`, without tzinfo, to the whole second."""
    to_pydatetime = getattr(moment, "to_pydatetime", None)  # pandas.Timestamp: drop nanoseconds
    if to_pydatetime is not None:
        moment = to_pydatetime()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=OFFICE_TZ)
    return moment.astimezone(zone).replace(tzinfo=None, microsecond=0)


def w3c_utc(moment: datetime) -> str:
    """The `2024-07-18T00:05:00Z` form of docProps/core.xml dates."""
    return naive(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def datetime_label(moment: datetime) -> str:
    """`18/07/2024 07:05`: a moment as the office reads it (office wall clock, to the minute)."""
    local = naive(moment)
    return f"{local.day:02d}/{local.month:02d}/{local.year:04d} {local.hour:02d}:{local.minute:02d}"
