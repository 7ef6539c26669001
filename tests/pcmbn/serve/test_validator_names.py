"""Uploaded names become safe file names in a private folder (no folders, no controls)."""

from __future__ import annotations

import pytest

from pcmbn.serve.validator import NAME_MAX_BYTES, safe_upload_name


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("BaoCao.xlsx", "BaoCao.xlsx"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\x\\BaoCao.xlsx", "BaoCao.xlsx"),
        ("Ba\u0301o ca\u0301o.xlsx", "Báo cáo.xlsx"),
        ("a\nb\x00c.xlsx", "a_b_c.xlsx"),
        ("...", "bao-cao.xlsx"),
        ("", "bao-cao.xlsx"),
        ('x<>:"|?*.xlsx', "x_______.xlsx"),
    ],
)
def test_safe_upload_name(given: str, expected: str) -> None:
    assert safe_upload_name(given) == expected


def test_a_long_name_is_shortened_keeping_its_extension() -> None:
    name = safe_upload_name("ư" * 300 + ".xlsx")
    assert name.endswith(".xlsx") and len(name.encode("utf-8")) <= NAME_MAX_BYTES
