"""CSV files that are safe to open in the office's Excel.

Excel evaluates a field that looks like a formula when it opens a CSV (CSV injection): text from
a unit's report such as `=HYPERLINK(...)` would become a live link. The one rule for every CSV the
project writes: a *text* value whose first character — also after leading whitespace, which Excel
skips — is `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading apostrophe. Numbers are
never touched, so a negative number stays a number; the text "-5" becomes "'-5".
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["FORMULA_TRIGGERS", "neutralise", "neutralise_frame"]

#: First characters that make Excel treat a CSV field as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """`value` with a leading `'` when it is text Excel would evaluate; anything else unchanged."""
    if isinstance(value, str) and (
        value.startswith(FORMULA_TRIGGERS) or value.lstrip().startswith(FORMULA_TRIGGERS)
    ):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` with every text cell neutralised (numeric columns untouched)."""
    out = frame.copy()
    for column in out.columns:
        dtype = out[column].dtype
        if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
            out[column] = out[column].map(neutralise).astype(object)
    return out
