"""CSV files that are safe to open in the office's Excel.

Excel evaluates a field that looks like a formula when it opens a CSV (CSV injection): text from
a unit's report such as `=HYPERLINK(...)` would become a live link. The one rule for every CSV the
project writes: a *text* value whose first character — also after leading whitespace, which Excel
skips — is `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading apostrophe. Numbers are
never touched, so a negative number stays a number; the text "-5" becomes "'-5".

`to_csv_bytes` is the one writer (packet sources, summary exports, reminder list, samples
manifest): neutralised, CRLF line ends (RFC 4180; Python's csv quotes a field only for the
characters of its line terminator, so with "\n" a lone carriage return in a unit's text would
end the row for every reader), UTF-8 with a BOM for Excel unless the file never had one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

__all__ = [
    "FORMULA_TRIGGERS",
    "neutralise",
    "neutralise_frame",
    "neutralised",
    "to_csv_bytes",
]

#: First characters that make Excel treat a CSV field as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """`value` with a leading `'` when it is text Excel would evaluate; anything else unchanged."""
    if isinstance(value, str) and (
        value.startswith(FORMULA_TRIGGERS) or value.lstrip().startswith(FORMULA_TRIGGERS)
    ):
        return "'" + value
    return value


def neutralised(values: Iterable[Any], other: Callable[[Any], Any] | None = None) -> list[Any]:
    """`neutralise` of each value, worked out once per distinct text.

    A column of a national export repeats a few thousand codes and names hundreds of thousands
    of times; a dictionary look-up per cell instead of the prefix tests halves the CSV's cost.
    Values that are not text go through `other` (unchanged when None).
    """
    done: dict[str, Any] = {}
    out: list[Any] = []
    for value in values:
        if isinstance(value, str):
            found = done.get(value)
            if found is None:
                found = done[value] = neutralise(value)
            out.append(found)
        else:
            out.append(value if other is None else other(value))
    return out


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` with every text cell neutralised (numeric columns untouched)."""
    out = frame.copy()
    for index, dtype in enumerate(frame.dtypes):  # by position: wide tables, repeated names
        if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
            column = out.iloc[:, index]
            out.isetitem(index, pd.Series(neutralised(column), index=out.index, dtype=object))
    return out


def to_csv_bytes(
    data: pd.DataFrame | Iterable[Mapping[str, Any]],
    columns: Sequence[str] | None = None,
    *,
    bom: bool = True,
) -> bytes:
    """A table (a DataFrame, or rows as mappings with `columns` naming the header) as the bytes
    of a CSV file: text neutralised, CRLF, UTF-8 (with a BOM unless `bom` is False)."""
    if isinstance(data, pd.DataFrame):
        frame = data if columns is None else data[list(columns)]
    else:
        frame = pd.DataFrame(list(data), columns=list(columns) if columns is not None else None)
    text = neutralise_frame(frame).to_csv(index=False, lineterminator="\r\n")
    return text.encode("utf-8-sig" if bom else "utf-8")
