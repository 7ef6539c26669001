"""Whether a SpreadsheetML `<row>` is one the clerk can see.

Excel hides a row in two ways: `hidden="1"`, and a height of zero (`ht="0"`, written with
`customHeight="1"` when a clerk drags the row shut or a tool sets the height). Both look the
same on screen, so both count as hidden: a zero-height row of ThongTin must not decide which
unit a file counts for any more than a hidden one (the spec's "hidden rows"). The `.xls`
reader's flag for the same thing is fDyZero ("height zero"); this is its `.xlsx` twin.
"""

from __future__ import annotations

from collections.abc import Mapping

_TRUE = ("1", "true")


def row_is_hidden(attrs: Mapping[str, str]) -> bool:
    """True when the row's attributes hide it: `hidden` set, or a height of zero points."""
    if attrs.get("hidden") in _TRUE:
        return True
    height = attrs.get("ht")
    if height is None or len(height) > 32:
        return False
    try:
        return float(height) <= 0
    except ValueError:
        return False  # a malformed height is the reader's to judge, not a reason to hide
