"""Checks that an output file names no outside address (the office network reaches none).

Issue 12, item 20: GE's Data Docs loaded scripts and fonts from CDNs and linked a newsletter.
Every file a run writes is scanned: zip containers (xlsx, docx) member by member. XML namespace
and relationship-type identifiers of Office Open XML (schemas.openxmlformats.org, purl.org,
w3.org, schemas.microsoft.com) name a vocabulary and are never fetched, so they are allowed;
any other http:// or https:// is a failure, and an HTML file may not load or link anything.
"""

from __future__ import annotations

import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path

#: Identifiers of XML vocabularies inside office files: never fetched by any reader.
IDENTIFIERS = re.compile(
    rb"https?://(?:schemas\.openxmlformats\.org|schemas\.microsoft\.com|purl\.org|www\.w3\.org)"
    rb"/[^\s\"'<>]*"
)
URL = re.compile(rb"https?://", re.IGNORECASE)
#: Elements and attributes through which an HTML page loads or links something.
LOADING_TAGS = {"script", "link", "img", "iframe", "object", "embed", "base", "a", "form"}
LOADING_ATTRIBUTES = {"src", "href", "action", "srcset", "poster", "data"}


class _Loads(HTMLParser):
    """Collects what the markup (not the escaped text) would load or link."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in LOADING_TAGS:
            self.found.append(f"<{tag}>")
        self.found += [f"{tag}[{k}]" for k, _ in attrs if k in LOADING_ATTRIBUTES]
        self.found += [f"{tag}[style]" for k, v in attrs if k == "style" and v and "url(" in v]
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style and ("url(" in data or "@import" in data):
            self.found.append("<style> url()/@import")


def _parts(path: Path) -> list[tuple[str, bytes]]:
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as packed:
            return [(f"{path.name}:{n}", packed.read(n)) for n in packed.namelist()]
    return [(path.name, path.read_bytes())]


def assert_no_outside_address(path: Path) -> None:
    for name, content in _parts(path):
        found = URL.search(IDENTIFIERS.sub(b"", content))
        assert found is None, f"{name}: {content[found.start() : found.start() + 80]!r}"
        if name.lower().endswith((".html", ".htm")):
            parser = _Loads()
            parser.feed(content.decode("utf-8"))
            assert parser.found == [], f"{name}: {parser.found}"
