"""One vocabulary (issue 11): the domain's words live in the catalog, not in Python.

The sweep reads every string literal of the program's sources (not comments or docstrings, which
may name an indicator to explain the code) and refuses indicator codes, status labels and group
labels: those are data in `schemas/` so that a province changes them without touching code.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from pcmbn.catalog import load_catalog
from pcmbn.vocabulary import AuditAction, Completeness, RuleId, Severity, SubmissionStatus

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SWEPT = ("pcmbn", "flows", "tasks")
#: Modules allowed to spell the domain: the catalog loader reads it, the vocabulary names its
#: keys, and the sample generator simulates this project's own catalog (its per-indicator
#: figures and the relations between them are the fake-data model, not rules the pipeline
#: applies to real reports).
EXEMPT = {
    "pcmbn/catalog.py",
    "pcmbn/vocabulary.py",
    "pcmbn/samples.py",
    "pcmbn/sample_values.py",
}
#: Files not yet swept clean (none left; an entry here must name a file that exists).
PENDING: set[str] = set()
INDICATOR_CODE = re.compile(r"\b[A-Z]{2}[0-9]{2}\b")


def _sources() -> list[Path]:
    files = [p for folder in SWEPT for p in sorted((PROJECT_ROOT / folder).rglob("*.py"))]
    return [p for p in files if _name(p) not in EXEMPT]


def _name(path: Path) -> str:
    return (
        path.relative_to(PROJECT_ROOT).as_posix()
        if path.is_relative_to(PROJECT_ROOT)
        else path.name
    )


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the string constants that are docstrings (or bare string statements)."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            found.add(id(node.value))
    return found


def _literals(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every string literal that is not a docstring, f-string parts included."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    skip = _docstrings(tree)
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip
    ]


MARKUP = re.compile(r"\[/?[a-z ]+\]")


def _labels() -> tuple[list[str], set[str]]:
    """The status and group labels a person reads, as the catalog defines them: phrases found
    anywhere in a literal, and one-word labels ("Lỗi", "Muộn") that offend only as a whole
    literal (rich markup aside), since the words also begin ordinary sentences."""
    catalog = load_catalog()
    labels = {
        *catalog.labels.completeness.values(),
        *catalog.labels.severity.values(),
        *catalog.groups.values(),
        *(status.label for status in catalog.template.task_statuses),
    }
    words = {label for label in labels if " " not in label}
    return sorted(labels - words, key=len, reverse=True), words


def _offences(path: Path, phrases: list[str], words: set[str]) -> list[str]:
    found = []
    for line, text in _literals(path):
        for code in INDICATOR_CODE.findall(text):
            found.append(f"{_name(path)}:{line}: indicator code {code!r}")
        bare = MARKUP.sub("", text).strip()
        for label in [p for p in phrases if p in text] + ([bare] if bare in words else []):
            found.append(f"{_name(path)}:{line}: label {label!r} in {text!r}")
    return found


def test_no_indicator_code_or_label_is_written_in_python() -> None:
    phrases, words = _labels()
    offences = [
        o for p in _sources() if _name(p) not in PENDING for o in _offences(p, phrases, words)
    ]
    assert offences == [], "\n".join(offences)


def test_pending_files_still_exist() -> None:
    """An entry of PENDING for a file that moved would silently exempt nothing."""
    for name in PENDING:
        assert (PROJECT_ROOT / name).is_file(), name


def test_the_sweep_finds_what_it_looks_for(tmp_path: Path) -> None:
    """The sweep itself: literals count, comments and docstrings do not."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        '"""Docstrings may name DT01 and Đúng hạn."""\n'
        "# and comments NN01\n"
        'KEY = ("DT01",)\n'
        'LABEL = f"{KEY} Chưa gửi"\n',
        encoding="utf-8",
    )
    found = [line for line, _ in _literals(sample)]
    assert sorted(set(found)) == [3, 4]
    phrases, words = _labels()
    offences = _offences(sample, phrases, words)
    assert [o.split(": ", 1)[1][:20] for o in offences] == [
        "indicator code 'DT01",
        "label 'Chưa gửi' in ",
    ]
    muted = tmp_path / "muted.py"
    muted.write_text('A = "[red]Muộn[/red]"\nB = "Lỗi: tệp hỏng"\n', encoding="utf-8")
    assert len(_offences(muted, phrases, words)) == 1  # a bare label, not a sentence
    assert INDICATOR_CODE.findall("DT01, TT02 và 2024-07") == ["DT01", "TT02"]


@pytest.mark.parametrize(
    ("enum", "values"),
    [
        (SubmissionStatus, {"accepted", "rejected", "other_period", "pending", "returned"}),
        (Completeness, {"on_time", "late", "missing", "rejected", "returned"}),
        (Severity, {"error", "warning"}),
        (
            AuditAction,
            {"run", "approve", "reopen", "remind", "packet"}
            | {"receive", "return", "hold", "assign", "discard"}  # issues 14 and 16
            | {"notify"}  # the return notice mailed to a unit (its audit row)
            | {"login", "upload", "submit", "password", "account"},  # the portal (issue 14)
        ),
    ],
)
def test_enum_values_are_the_stored_strings(enum: type, values: set[str]) -> None:
    """StrEnum keeps what the store and JSON hold identical to the strings used before."""
    assert {member.value for member in enum} == values  # type: ignore[attr-defined]
    assert all(member == member.value for member in enum)  # type: ignore[attr-defined]


def test_every_rule_id_the_code_uses_is_in_rules_yaml() -> None:
    rules = load_catalog().rules
    assert {rule.value for rule in RuleId} <= set(rules)
