"""The summary's tables as CSV (for people, in Excel) and Parquet (for tools), one pair per table.

CSV conventions, chosen for the office's Excel on Windows rather than for purity:

- UTF-8 **with BOM**: without it Excel guesses the ANSI code page and turns "Lũy kế" into
  mojibake;
- dates and times in ISO 8601 (`2024-07-17`, `2024-07-17T09:30:00+07:00`, office time zone),
  which every tool parses and no locale misreads as month/day;
- NaN is an empty field; CRLF line ends (`pcmbn.office.csv.to_csv_bytes`, the one writer: a
  carriage return inside a unit's text is quoted, not a row break);
- **formula neutralising (CSV only)**: `pcmbn.office.csv.neutralise`, the one rule for every
  CSV the project writes (a text cell that Excel would evaluate gets a leading `'`; numbers are
  never touched). The Parquet files keep the exact text: they are read by code, not evaluated.

Every file is written beside its target under a temporary name and then renamed, so readers
never see half a file.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pcmbn.clock import OFFICE_TZ
from pcmbn.office.atomic import atomic_write
from pcmbn.office.csv import neutralise, neutralised, to_csv_bytes
from pcmbn.summary.model import SummaryData
from pcmbn.summary.registry import SUMMARY_SHEETS

__all__ = ["EXPORT_TABLES", "export_tables", "summary_tables"]

#: Export name → how to get the table from `SummaryData`, in the order files are written (the
#: registry's sheet order: one entry per sheet).
EXPORT_TABLES: dict[str, Callable[[SummaryData], pd.DataFrame]] = {
    sheet.export: sheet.table for sheet in SUMMARY_SHEETS
}


def summary_tables(data: SummaryData) -> dict[str, pd.DataFrame]:
    """The exported tables by name (the matrix with its indicator code as a column)."""
    return {name: get(data).reset_index(drop=True) for name, get in EXPORT_TABLES.items()}


def export_tables(data: SummaryData, out_dir: Path) -> list[Path]:
    """Write `<name>.csv` and `<name>.parquet` for every table under `out_dir`; return the paths.

    Paths come back in `EXPORT_TABLES` order, CSV before Parquet for each table.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, frame in summary_tables(data).items():
        csv_path = out_dir / f"{name}.csv"
        atomic_write(csv_path, _csv_bytes(frame))
        parquet_path = out_dir / f"{name}.parquet"
        atomic_write(
            parquet_path,
            lambda tmp, f=frame: _parquet_frame(f).to_parquet(tmp, engine="pyarrow", index=False),
        )
        written += [csv_path, parquet_path]
    return written


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    return to_csv_bytes(_csv_frame(frame))


def _csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates as ISO text and formula-like text neutralised; numeric columns untouched."""
    out = frame.copy()
    for index, dtype in enumerate(frame.dtypes):  # by position: the matrix has a column a unit
        if (
            pd.api.types.is_datetime64_any_dtype(dtype)
            or pd.api.types.is_object_dtype(dtype)
            or pd.api.types.is_string_dtype(dtype)
        ):
            cells = neutralised(out.iloc[:, index].tolist(), other=_csv_cell)
            out.isetitem(index, pd.Series(cells, index=out.index, dtype=object))
    return out


def _csv_cell(value: Any) -> Any:
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, datetime):  # includes pandas.Timestamp
        if value.tzinfo is not None:
            value = value.astimezone(OFFICE_TZ)
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else pd.Timestamp(value).isoformat()
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, float) and np.isnan(value):
        return None
    return value


def _parquet_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Object columns that Arrow cannot type (mixed text and numbers) are written as text."""
    out = frame.copy()
    for index, dtype in enumerate(frame.dtypes):
        if not pd.api.types.is_object_dtype(dtype):
            continue
        series = out.iloc[:, index]
        kinds = {type(v) for v in series if v is not None and not _is_missing(v)}
        if len(kinds) > 1 and not kinds <= {datetime, pd.Timestamp}:
            out.isetitem(index, series.map(lambda v: None if _is_missing(v) else str(v)))
    return out


def _is_missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
