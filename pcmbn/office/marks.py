"""Marking a number cell without changing its value: a suffix in the number format, a comment.

A figure that must not be quoted unknowingly (one that includes a warned unit figure, see
`pcmbn.warned`) keeps its number, so it still sums and sorts in Excel; it shows the marker after
the number ("12 (*)") through its number format, and says why in a cell comment.
"""

from __future__ import annotations

from dataclasses import replace

from openpyxl.cell.cell import Cell
from openpyxl.comments import Comment

from pcmbn.office.styles import Style

#: Marked variants of the shared styles: the painter caches its style arrays by style
#: identity, so each (style, marker) pair must always give the same instance.
_MARKED: dict[tuple[int, str], tuple[Style, Style]] = {}
COMMENT_AUTHOR = "PCMBN"
COMMENT_WIDTH = 320  # points
COMMENT_LINE = 15  # points of height per line


def marked_format(number_format: str, marker: str) -> str:
    """`#,##0` → `#,##0" (*)"`: the marker after the number in every section of the format."""
    suffix = '" ' + marker.replace('"', "") + '"'
    if number_format in ("", "General"):
        return "General" + suffix
    return ";".join(section + suffix for section in number_format.split(";"))


def marked_style(style: Style, marker: str) -> Style:
    """`style` with the marker after its number (one instance per style and marker)."""
    key = (id(style), marker)
    found = _MARKED.get(key)
    if found is None or found[0] is not style:
        found = (style, replace(style, number_format=marked_format(style.number_format, marker)))
        _MARKED[key] = found
    return found[1]


def add_note(cell: Cell, lines: list[str]) -> None:
    """A cell comment with these lines, sized to be read without resizing it."""
    text = "\n".join(lines)
    comment = Comment(text, COMMENT_AUTHOR)
    comment.width = COMMENT_WIDTH
    comment.height = COMMENT_LINE * max(3, sum(1 + len(line) // 55 for line in lines))
    cell.comment = comment
