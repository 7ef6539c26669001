"""Text normalisation shared by every reader: what a clerk typed, compared as they meant it."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_DASHES = re.compile(r"[\u2010-\u2015\u2212]")


def clean(text: str) -> str:
    """NFC, single spaces, no leading/trailing space: how text is stored and shown."""
    return " ".join(unicodedata.normalize("NFC", text).split())


@lru_cache(maxsize=8192)
def fold(text: str) -> str:
    """NFC, drop diacritics (đ→d), casefold, unify dashes and collapse whitespace.

    Units type with and without Telex/VNI, paste NFD text from PDFs, use en dashes and stray
    spaces; folding first lets labels, headers and patterns be compared once, in plain ASCII.
    """
    decomposed = unicodedata.normalize("NFD", unicodedata.normalize("NFC", text))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    folded = stripped.replace("Đ", "d").replace("đ", "d").casefold()
    return " ".join(_DASHES.sub("-", folded).split())


def fold_key(text: str) -> str:
    """`fold` without any spaces or punctuation: "Chỉ tiêu" and "ChiTieu" meet here."""
    return re.sub(r"[^0-9a-z]", "", fold(text))


def task_code(written: str) -> str:
    """A plan's task code as stored and shown: NFC, trimmed, and the Telex spelling "dd" read
    as the letter it stands for, "đ".

    Plans number their tasks with Vietnamese letters (a, b, c, d, đ, e …). A clerk without a
    Vietnamese keyboard types "dd", and templates printed before issue 12.16 wrote it so; both
    must land on the same task. Only the case-insensitive forms of đ are mapped: "d" stays "d".
    """
    code = clean(written)
    return "đ" if code.casefold() in ("dd", "đ") else code


def roman(number: int) -> str:
    """Roman numerals for group headings, as Vietnamese administrative tables number them."""
    numerals = [(10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]
    out = ""
    for value, letters in numerals:
        while number >= value:
            out += letters
            number -= value
    return out
