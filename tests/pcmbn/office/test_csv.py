"""The one CSV formula neutraliser, for every CSV the project writes."""

from __future__ import annotations

import csv
import io
import math

import pandas as pd
import pytest

from pcmbn.office.csv import neutralise, neutralise_frame, to_csv_bytes


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+84 912 345 678", "'+84 912 345 678"),
        ("-5", "'-5"),  # text, not a number
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ('\t=HYPERLINK("http://x")', '\'\t=HYPERLINK("http://x")'),
        ("\r=1+1", "'\r=1+1"),
        ("  =1", "'  =1"),
        (" \t-2", "' \t-2"),
        ("Công an tỉnh", "Công an tỉnh"),
        ("a=b", "a=b"),
        ("", ""),
        ("   ", "   "),
        (-5, -5),  # numbers stay numbers
        (2.5, 2.5),
        (None, None),
    ],
)
def test_neutralise(value: object, expected: object) -> None:
    assert neutralise(value) == expected


def test_neutralise_frame_touches_text_only() -> None:
    frame = pd.DataFrame({"text": ["=cmd", "ok", None], "number": [-1.0, 2.0, math.nan]})
    out = neutralise_frame(frame)
    assert out["text"].tolist()[:2] == ["'=cmd", "ok"]
    assert pd.isna(out["text"][2])
    assert out["number"].tolist()[:2] == [-1.0, 2.0]
    assert out["number"].dtype == frame["number"].dtype
    assert frame["text"][0] == "=cmd"  # the input is not modified


# --- to_csv_bytes: the one CSV writer -------------------------------------------------------------

AWKWARD = ["dòng\rmột", "dòng\nhai", "dòng\r\nba", "=cmd", '\t=HYPERLINK("http://x")', 'a,"b"']


def _rows(data: bytes, encoding: str = "utf-8-sig") -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode(encoding), newline="")))


def test_to_csv_bytes_round_trips_cr_and_lf_inside_fields() -> None:
    frame = pd.DataFrame({"ten": AWKWARD, "so": [-1, 0, 2, 3, 4, 5]})
    data = to_csv_bytes(frame)
    assert data.startswith(b"\xef\xbb\xbf")  # a BOM: Excel opens it as UTF-8
    assert data.endswith(b"\r\n") and data.count(b"\r\n") >= len(AWKWARD) + 1
    rows = _rows(data)
    assert rows[0] == ["ten", "so"]
    assert [r[0] for r in rows[1:]] == [neutralise(v) for v in AWKWARD]
    assert [r[1] for r in rows[1:]] == ["-1", "0", "2", "3", "4", "5"]  # numbers untouched


def test_to_csv_bytes_takes_rows_with_their_header_and_can_skip_the_bom() -> None:
    rows = [{"file": "a.xlsx", "note": "=x\ry"}, {"file": "b.xlsx", "note": ""}]
    data = to_csv_bytes(rows, ["file", "note"], bom=False)
    assert not data.startswith(b"\xef\xbb\xbf")
    assert _rows(data, "utf-8") == [["file", "note"], ["a.xlsx", "'=x\ry"], ["b.xlsx", ""]]
    assert to_csv_bytes([], ["file", "note"]) == "\ufefffile,note\r\n".encode()


def test_every_csv_the_project_writes_goes_through_to_csv_bytes() -> None:
    """No CSV writer of its own anywhere (pandas `to_csv`, `csv.writer`): the summary exports,
    the reminder list, the packet sources and the samples manifest all call `to_csv_bytes`.
    The one exception is the samples' reception log, which imitates a mail gateway's file
    (neutralising its file names would stop them matching the files)."""
    from pcmbn.settings import PROJECT_ROOT

    allowed = {("pcmbn/samples.py", "csv.writer(")}
    found = set()
    for folder in ("pcmbn", "tasks", "flows"):
        for path in (PROJECT_ROOT / folder).rglob("*.py"):
            relative = path.relative_to(PROJECT_ROOT).as_posix()
            if relative == "pcmbn/office/csv.py":
                continue
            text = path.read_text(encoding="utf-8")
            for needle in (".to_csv(", "csv.writer(", "csv.DictWriter("):
                if needle in text:
                    found.add((relative, needle))
    assert found == allowed
    users = {
        "pcmbn/summary/exports.py",
        "pcmbn/packet/bundle.py",
        "tasks/outputs.py",
        "pcmbn/samples.py",
    }
    for relative in users:
        assert "to_csv_bytes(" in (PROJECT_ROOT / relative).read_text(encoding="utf-8"), relative


def test_summary_export_csv_keeps_a_carriage_return_inside_its_field() -> None:
    from pcmbn.summary.exports import _csv_bytes

    frame = pd.DataFrame({"don_vi": ["Công an\rtỉnh", "=1+1"], "DT01": [3, 4]})
    assert _rows(_csv_bytes(frame)) == [["don_vi", "DT01"], ["Công an\rtỉnh", "3"], ["'=1+1", "4"]]
