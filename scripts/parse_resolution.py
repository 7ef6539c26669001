"""Extract the new communes and wards from a saved NQ .../NQ-UBTVQH15 text (markdown).

Pure text parser, no network: the resolutions on the 2025 commune reform (e.g. NQ 1678 for
Nghệ An, NQ 1668 for Cần Thơ) state each new unit as one clause of Article 1 ("Sắp xếp toàn bộ
diện tích tự nhiên, quy mô dân số của các xã A, B và C thành xã mới có tên gọi là **xã X**") and
list the units that are not rearranged in the closing clause. The output CSV is the fixture the
catalog tests compare the unit registries with, so the registry can never silently miss a unit.

Usage: python scripts/parse_resolution.py RESOLUTION.md OUT.csv "SOURCE NOTE"
"""

from __future__ import annotations

import csv
import re
import sys
import unicodedata
from pathlib import Path

_CLAUSE = re.compile(r"^\s*(\d+)\\?\.\s+(?=Sắp xếp|Sau khi)", re.MULTILINE)
_MERGE = re.compile(
    r"quy mô dân số của (?P<from>.+?) thành (?:xã|phường) mới có tên gọi là "
    r"\**(?P<type>xã|phường) (?P<name>[^*]+?)\**\.?$"
)
_UNCHANGED = re.compile(r"không thực hiện sắp xếp là (?P<list>.+?)\.\s*$")
_PREFIX = re.compile(r"^(?:các )?(?P<type>thị trấn|xã|phường|Phường)\b\s*")
_PART = "một phần diện tích tự nhiên, quy mô dân số của "
_REST = re.compile(r" sau khi sắp xếp theo quy định tại khoản \d+ Điều này")


def _clauses(text: str) -> list[tuple[int, str]]:
    """Article 1's numbered clauses, each joined into one line."""
    # The converted texts mix NFD and NFC letters ("và" as "va" + U+0300) and no-break spaces.
    text = unicodedata.normalize("NFC", text).replace("\xa0", " ")
    body = text.split("**Điều 1.", 1)[1].split("**Điều 2.", 1)[0]
    marks = list(_CLAUSE.finditer(body))
    out = []
    for here, nxt in zip(marks, [*marks[1:], None], strict=True):
        chunk = body[here.end() : nxt.start() if nxt else len(body)]
        out.append((int(here.group(1)), " ".join(chunk.replace("\\", "").split())))
    return out


def split_units(phrase: str) -> list[str]:
    """'thị trấn A, các xã B, C và một phần ... của phường D' → ['thị trấn A', 'xã B', ...]."""
    phrase = _REST.sub("", phrase.replace(_PART, "một phần "))
    items: list[str] = []
    kind = ""
    for token in re.split(r", | và ", phrase):
        token = token.strip()
        share = ""
        for marker in ("một phần ", "phần còn lại của "):
            if token.startswith(marker):
                share, token = marker.replace(" của", "").strip() + " ", token[len(marker) :]
        match = _PREFIX.match(token)
        if match:
            kind = match.group("type").lower()
            token = token[match.end() :]
        items.append(f"{share}{kind} {token}".strip())
    return items


def parse(text: str) -> list[dict[str, str]]:
    """One row per unit after the reform; a clause it cannot read stops the run (never skipped)."""
    rows: list[dict[str, str]] = []
    for number, clause in _clauses(text):
        if match := _MERGE.search(clause):
            rows.append(
                {
                    "name": match.group("name").strip(),
                    "type": match.group("type"),
                    "predecessors": "; ".join(split_units(match.group("from"))),
                    "source": f"Điều 1, khoản {number}",
                }
            )
        elif match := _UNCHANGED.search(clause):
            for item in split_units(match.group("list")):
                kind, name = item.split(" ", 1)
                rows.append(
                    {
                        "name": name,
                        "type": kind,
                        "predecessors": item,
                        "source": f"Điều 1, khoản {number} (không thực hiện sắp xếp)",
                    }
                )
        else:
            raise SystemExit(f"clause {number} not understood: {clause[:120]}")
    return rows


def main() -> None:
    """Write the fixture CSV with its source named in a leading `#` comment line."""
    source, out, note = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    rows = parse(source.read_text(encoding="utf-8"))
    with out.open("w", encoding="utf-8", newline="") as handle:
        handle.write(f"# {note}\n")
        writer = csv.DictWriter(
            handle, fieldnames=["name", "type", "predecessors", "source"], lineterminator="\n"
        )
        writer.writeheader()
        writer.writerows(rows)
    print(f"{out}: {len(rows)} units")


if __name__ == "__main__":
    main()
