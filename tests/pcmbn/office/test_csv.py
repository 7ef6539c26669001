"""The one CSV formula neutraliser, for every CSV the project writes."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from pcmbn.office.csv import neutralise, neutralise_frame


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
