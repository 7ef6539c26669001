"""Deciding, before any workbook library opens a file, whether it is a workbook we read.

Units send what their machines produce: PDFs renamed .xlsx, HTML exports named .xls, encrypted
workbooks, half-uploaded files and, now and then, something hostile. Workbook libraries meet
those with exceptions of every kind, long hangs or gigabytes of memory. This module looks at the
bytes first, cheaply and with bounded memory: magic numbers, a zip's central directory (sizes and
counts, without inflating), then one streaming pass that verifies every entry, an OLE2 directory.
`inspect_file` never raises: each problem becomes a `Refused` naming a rule of
`schemas/rules.yaml`, so one bad file never stops the others.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import posixpath
import re
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO
from xml.etree.ElementTree import Element
from xml.parsers import expat

import olefile
from defusedxml import ElementTree

from pcmbn.reading.rows import row_is_hidden
from pcmbn.vocabulary import RuleId

ACCEPTED_EXTENSIONS = (".xlsx", ".xlsm", ".xls", ".ods")

_MIB = 1024 * 1024
_CHUNK = 64 * 1024
_RATIO_FLOOR = _MIB  # small entries compress absurdly well (empty sheets); only big ones count
_CD_BYTES_PER_ENTRY = 1024  # generous central-directory budget per allowed entry
_CONTROL_PARTS = (
    "[Content_Types].xml",
    "mimetype",
    "META-INF/manifest.xml",
    "xl/workbook.xml",
    "xl/_rels/workbook.xml.rels",
)
_DTD_MARKERS = tuple(
    word.encode(codec) for word in ("<!doctype", "<!entity") for codec in ("ascii", "utf-16-le")
) + tuple(word.encode("utf-16-be") for word in ("<!doctype", "<!entity"))
_DTD_TAIL = max(len(marker) for marker in _DTD_MARKERS) - 1
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_BIFF_BOF = {0x0009, 0x0209, 0x0409, 0x0809}
_BIFF_FILEPASS, _BIFF_EOF = 0x002F, 0x000A
_ODS_MIMETYPES = {
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.spreadsheet-template",
}
_MANIFEST_ENCRYPTION = "{urn:oasis:names:tc:opendocument:xmlns:manifest:1.0}encryption-data"
_ZIP_NOT_WORKBOOK = "tệp nén ZIP không phải bảng tính"


class WorkbookFormat(StrEnum):
    XLSX = "xlsx"
    XLSM = "xlsm"
    XLS = "xls"
    ODS = "ods"


@dataclass(frozen=True)
class Limits:
    """Ceilings for one file; generous for real reports, fatal for bombs."""

    max_bytes: int = 20 * _MIB  # size cap checked with stat() before opening
    max_zip_entries: int = 1_000
    max_uncompressed_bytes: int = 100 * _MIB
    max_ratio: float = 100.0  # per entry, only for entries over 1 MiB uncompressed
    # The template needs a few hundred rows and fewer than 30 columns on four sheets; a cell
    # with content beyond these makes the native reader allocate the whole rectangle up to it
    # (one cell at XFD1048576: 512 GB requested, the interpreter aborts).
    max_rows: int = 5_000
    max_columns: int = 200
    max_cells: int = 200_000  # cells with content in the whole workbook, repeats expanded
    max_sheets: int = 50


@dataclass(frozen=True)
class SheetLayout:
    """What the guard saw in the sheets' XML that the reader cannot see: hidden rows.

    `hidden_rows` maps a sheet's name to its hidden 1-based row numbers (within `max_rows`);
    filled for .xlsx/.xlsm (`<row hidden="1">`), .ods (`table:visibility`) and .xls (ROW records'
    fDyZero flag, and DEFAULTROWHEIGHT's for rows without a ROW record).
    """

    hidden_rows: dict[str, frozenset[int]] = field(default_factory=dict)
    #: False when no part of the package holds a formula element (`<f`): then no cell can be
    #: a formula saved without its value, and the reader need not look (True: it may)
    formulas: bool = True


@dataclass(frozen=True)
class Admitted:
    format: WorkbookFormat  # detected from the content (magic bytes), not the extension
    layout: SheetLayout | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Refused:
    rule: str  # an id of schemas/rules.yaml
    params: dict[str, str]  # placeholders of that rule's Vietnamese message
    detail: str  # English, for the engineers' log


class _Stop(Exception):
    """Carries a refusal out of nested checks; never leaves this module."""

    def __init__(self, rule: str, log: str, **params: str) -> None:
        super().__init__(log)
        self.refused = Refused(rule, params, log)


def inspect_file(path: Path, limits: Limits = Limits()) -> Admitted | Refused:
    """Admit a workbook with its real format, or refuse it with a rule id; never raises."""
    try:
        return _inspect(Path(path), limits)
    except _Stop as stop:
        return stop.refused
    except Exception as exc:  # any library failure on hostile bytes is a damaged file
        return Refused(
            RuleId.FILE_CORRUPT, {"detail": "không đọc được tệp"}, f"{type(exc).__name__}: {exc}"
        )


@dataclass(frozen=True)
class ZipContents:
    """What a `.zip` of reports holds: its workbooks (name, bytes) and the names of the rest."""

    workbooks: list[tuple[str, bytes]]
    others: list[str]


def unpack_zip(path: Path, limits: Limits = Limits(), *, nested: int = 0) -> ZipContents | Refused:
    """The workbooks inside a `.zip` a unit attached (several reports in one archive), or a
    refusal; never raises.

    The archive is hostile until proved otherwise, exactly like a workbook's own zip: the same
    size cap, central-directory counts, declared total and per-entry ratio (`_zip_entries`),
    then every entry inflated chunk by chunk against the declared size, the total budget and
    its CRC, encrypted entries refused (`_stream_entry`). Entries are named by their base name
    (no folder can be written through `../`); a name zipped on Windows without the UTF-8 flag is
    read back as UTF-8 when it is. Each workbook found then goes through `inspect_file` like any
    other file.

    `nested` levels of archives inside the archive are opened too (the mail intake opens one:
    a zip of zips), each through the same checks under the limits of the whole attachment: the
    entries of every level count against `max_zip_entries`, every byte inflated at any level
    against `max_uncompressed_bytes`, an inner archive against `max_bytes`, and an inner
    entry's ratio is compounded with its archive's own (bytes out per byte the unit sent).
    Deeper archives are listed in `others`, unopened.
    """
    try:
        info = Path(path).stat()
        if info.st_size == 0:
            raise _Stop(RuleId.FILE_EMPTY, "0 bytes")
        if info.st_size > limits.max_bytes:
            raise _Stop(
                RuleId.FILE_TOO_LARGE,
                f"{info.st_size} bytes > {limits.max_bytes}",
                size=_size(info.st_size),
                limit=_size(limits.max_bytes),
            )
        with Path(path).open("rb") as fp:
            return _unpack(fp, limits, nested, _Spent(), 1.0)
    except _Stop as stop:
        return stop.refused
    except Exception as exc:  # any library failure on hostile bytes is a damaged file
        return Refused(
            RuleId.FILE_CORRUPT,
            {"detail": "không đọc được tệp nén"},
            f"{type(exc).__name__}: {exc}",
        )


@dataclass
class _Spent:
    """What all the archives of one attachment have used of its limits so far."""

    entries: int = 0
    inflated: int = 0


def _unpack(fp: BinaryIO, limits: Limits, nested: int, spent: _Spent, ratio: float) -> ZipContents:
    """One archive's workbooks and other names (`unpack_zip`); `ratio` is the compression
    ratio of the archive itself inside its parent (1 for the attachment)."""
    if not fp.read(4).startswith((b"PK\x03\x04", b"PK\x05\x06")):
        raise _corrupt("không phải tệp nén ZIP", "no zip signature")
    entries = _zip_entries(
        fp, limits, listed=spent.entries, inflated=spent.inflated, outer_ratio=ratio
    )
    spent.entries += len(entries)
    workbooks: list[tuple[str, bytes]] = []
    others: list[str] = []
    for entry in entries:
        if entry.is_dir():
            continue
        name = _entry_name(entry)
        lower = name.lower()
        inner = lower.endswith(".zip") and nested > 0
        if not lower.endswith(ACCEPTED_EXTENSIONS) and not inner:
            others.append(name)
            continue
        if inner and entry.file_size > limits.max_bytes:
            raise _Stop(
                RuleId.FILE_TOO_LARGE,
                f"{name}: {entry.file_size} bytes > {limits.max_bytes}",
                size=_size(entry.file_size),
                limit=_size(limits.max_bytes),
            )
        whole = bytearray()
        try:
            spent.inflated += _stream_entry(
                fp, entry, limits.max_uncompressed_bytes - spent.inflated, {}, whole=whole
            )
        except (OSError, ValueError, struct.error) as exc:
            raise _corrupt("cấu trúc tệp nén không hợp lệ", f"{name}: {exc}") from exc
        if not inner:
            workbooks.append((name, bytes(whole)))
            continue
        own = entry.file_size / max(entry.compress_size, 1)
        found = _unpack(io.BytesIO(bytes(whole)), limits, nested - 1, spent, ratio * own)
        workbooks += found.workbooks
        others += found.others
    return ZipContents(workbooks, others)


def _entry_name(entry: zipfile.ZipInfo) -> str:
    """The entry's base name; cp437-decoded UTF-8 (Windows' zip without the flag) repaired."""
    name = entry.filename
    if not entry.flag_bits & 0x800:
        with contextlib.suppress(UnicodeError):
            name = name.encode("cp437").decode("utf-8")
    return posixpath.basename(name.replace("\\", "/")) or "tep"


def _inspect(path: Path, limits: Limits) -> Admitted:
    extension = path.suffix.lower()
    if extension not in ACCEPTED_EXTENSIONS:
        shown = extension or "(không có phần mở rộng)"
        raise _Stop(RuleId.FILE_UNSUPPORTED_FORMAT, f"extension {extension!r}", extension=shown)
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):  # a FIFO or device would block or never end
        raise _corrupt("không phải tệp thông thường", "not a regular file")
    if info.st_size == 0:
        raise _Stop(RuleId.FILE_EMPTY, "0 bytes")
    if info.st_size > limits.max_bytes:
        raise _Stop(
            RuleId.FILE_TOO_LARGE,
            f"{info.st_size} bytes > {limits.max_bytes}",
            size=_size(info.st_size),
            limit=_size(limits.max_bytes),
        )
    with path.open("rb") as fp:
        head = fp.read(8192)
        if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
            return _inspect_zip(fp, limits)
        if head.startswith(_OLE_MAGIC):
            return _inspect_ole(fp, limits)
    detected = _sniff(head)
    raise _Stop(RuleId.FILE_NOT_WORKBOOK, f"content looks like {detected}", detected=detected)


def _corrupt(detail: str, log: str) -> _Stop:
    return _Stop(RuleId.FILE_CORRUPT, log, detail=detail)


def _bomb(detail: str, log: str) -> _Stop:
    return _Stop(RuleId.FILE_ZIP_BOMB, log, detail=detail)


def _inspect_zip(fp: BinaryIO, limits: Limits) -> Admitted:
    """Refuse on the central directory alone when it can, then verify every entry by streaming.

    The end record is read first (the very record ZipFile trusts): zipfile builds an object per
    directory entry, and 400 000 tiny entries fit in 20 MB, so counts are checked before parsing.
    """
    entries = _zip_entries(fp, limits)
    if not {entry.filename for entry in entries} & {"[Content_Types].xml", "mimetype"}:
        raise _Stop(
            RuleId.FILE_NOT_WORKBOOK, "zip, no OOXML/ODF marker", detected=_ZIP_NOT_WORKBOOK
        )
    return _verified_workbook_zip(fp, entries, limits)


def _zip_entries(
    fp: BinaryIO,
    limits: Limits,
    *,
    listed: int = 0,
    inflated: int = 0,
    outer_ratio: float = 1.0,
) -> list[zipfile.ZipInfo]:
    """The central directory, refused before parsing when its counts or sizes are hostile.

    For an archive inside another (`unpack_zip(nested=)`), `listed` entries and `inflated`
    bytes were already used by the archives around it, and `outer_ratio` is its own ratio
    there: the limits hold for the whole attachment."""
    try:
        endrec = zipfile._EndRecData(fp)
        if endrec is None:
            raise _corrupt("tệp nén bị cắt cụt", "no end of central directory record")
        if listed + endrec[zipfile._ECD_ENTRIES_TOTAL] > limits.max_zip_entries:
            raise _too_many(listed + endrec[zipfile._ECD_ENTRIES_TOTAL], limits)
        if endrec[zipfile._ECD_SIZE] > limits.max_zip_entries * _CD_BYTES_PER_ENTRY:
            raise _bomb("danh mục tệp nén quá lớn", f"central dir {endrec[zipfile._ECD_SIZE]} B")
        with zipfile.ZipFile(fp) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, NotImplementedError, ValueError, OSError, struct.error) as exc:
        raise _corrupt("cấu trúc tệp nén không hợp lệ", f"{type(exc).__name__}: {exc}") from exc
    if listed + len(entries) > limits.max_zip_entries:
        raise _too_many(listed + len(entries), limits)
    total = inflated + sum(entry.file_size for entry in entries)
    if total > limits.max_uncompressed_bytes:
        limit = _size(limits.max_uncompressed_bytes)
        detail = f"tổng dung lượng giải nén {_size(total)} vượt giới hạn {limit}"
        raise _bomb(detail, f"declared total {total} bytes")
    for entry in entries:
        ratio = outer_ratio * entry.file_size / max(entry.compress_size, 1)
        if entry.file_size > _RATIO_FLOOR and ratio > limits.max_ratio:
            detail = f"tỉ lệ nén {_number(ratio)}:1 vượt giới hạn {_number(limits.max_ratio)}:1"
            raise _bomb(detail, f"{entry.filename}: ratio {ratio:.0f}")
    return entries


def _verified_workbook_zip(
    fp: BinaryIO, entries: list[zipfile.ZipInfo], limits: Limits
) -> Admitted:
    """Every entry of a workbook's zip inflated once: honest sizes, CRCs, no DTD, the layout."""
    parts: dict[str, bytes] = {}
    inflated = 0
    census = _Census(limits)
    scans: dict[str, _PartScan] = {}
    for entry in entries:
        scan = _PartScan(census) if entry.filename.lower().endswith(".xml") else None
        try:
            inflated += _stream_entry(
                fp, entry, limits.max_uncompressed_bytes - inflated, parts, scan, census=census
            )
        except (OSError, ValueError, struct.error) as exc:  # offsets past the end, negative seeks
            raise _corrupt("cấu trúc tệp nén không hợp lệ", f"{entry.filename}: {exc}") from exc
        if scan is not None:
            scan.close()
            scans[entry.filename] = scan
    admitted = _zip_format(parts)
    if admitted.format is WorkbookFormat.ODS:
        content = scans.get("content.xml")
        hidden = content.ods_hidden if content else {}
        return Admitted(admitted.format, SheetLayout(hidden, formulas=census.formulas))
    layout = _xlsx_layout(parts, scans, limits)
    return Admitted(admitted.format, replace(layout, formulas=census.formulas))


def _stream_entry(
    fp: BinaryIO,
    entry: zipfile.ZipInfo,
    budget: int,
    parts: dict[str, bytes],
    layout: _PartScan | None = None,
    whole: bytearray | None = None,
    census: _Census | None = None,
) -> int:
    """Inflate one entry chunk by chunk: honest size, total budget, no DTD in XML, CRC.

    zipfile's own reader quietly stops at the declared size, so a lying size would pass it;
    inflating the raw stream here sees every byte the compressed data really holds.
    """
    name = entry.filename
    if entry.flag_bits & 0x1:
        raise _Stop(RuleId.FILE_ENCRYPTED, f"{name}: zip entry encrypted")
    fp.seek(entry.header_offset)
    header = fp.read(30)
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise _corrupt("cấu trúc tệp nén không hợp lệ", f"{name}: bad local header")
    fp.seek(entry.header_offset + 30 + sum(struct.unpack("<HH", header[26:30])))
    if entry.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise _corrupt("kiểu nén không được hỗ trợ", f"{name}: method {entry.compress_type}")
    try:
        return _inflate_entry(fp, entry, budget, parts, layout, whole, census)
    except (_Stop, OSError, ValueError, struct.error):
        if layout is not None:
            # A refusal of the census comes first, as when the part was parsed while it streamed
            layout.settle()
        raise


def _inflate_entry(
    fp: BinaryIO,
    entry: zipfile.ZipInfo,
    budget: int,
    parts: dict[str, bytes],
    layout: _PartScan | None,
    whole: bytearray | None,
    census: _Census | None = None,
) -> int:
    name = entry.filename
    inflater = zlib.decompressobj(-15) if entry.compress_type == zipfile.ZIP_DEFLATED else None
    scan = name.lower().endswith((".xml", ".rels"))
    crc, produced, tail, kept, formula_tail = 0, 0, b"", bytearray(), b""
    remaining = entry.compress_size
    while remaining > 0 and not (inflater and inflater.eof):
        raw = fp.read(min(_CHUNK, remaining))
        if not raw:
            raise _corrupt("tệp nén bị cắt cụt", f"{name}: data cut short")
        remaining -= len(raw)
        while raw or inflater:
            try:
                out = inflater.decompress(raw, _CHUNK) if inflater else raw
            except zlib.error as exc:
                raise _corrupt("dữ liệu nén bị hỏng", f"{name}: {exc}") from exc
            raw = inflater.unconsumed_tail if inflater else b""
            if not out:
                break
            produced += len(out)
            if produced > entry.file_size:
                detail = "dữ liệu giải nén dài hơn kích thước khai báo"
                raise _bomb(detail, f"{name}: inflates beyond declared {entry.file_size}")
            if produced > budget:
                raise _bomb("dung lượng giải nén vượt giới hạn", f"{name}: over total budget")
            crc = zlib.crc32(out, crc)
            if census is not None and not census.formulas:
                window = formula_tail + out
                census.formulas = _FORMULA_TAG.search(window) is not None
                formula_tail = window[-2:]
            if whole is not None:
                whole += out
            if scan:
                window = tail + out
                if _declares_dtd(window):
                    raise _bomb("phần XML khai báo DOCTYPE/ENTITY", f"{name}: DTD in XML part")
                tail = window[-_DTD_TAIL:]
                if layout is not None:
                    layout.feed(out)
            if name in _CONTROL_PARTS and len(kept) < _MIB:
                kept += out
    if (inflater and not inflater.eof and entry.compress_size) or produced != entry.file_size:
        raise _corrupt("tệp nén bị cắt cụt", f"{name}: {produced} of {entry.file_size} bytes")
    if crc != entry.CRC:
        raise _corrupt("sai mã kiểm tra CRC", f"{name}: bad CRC")
    if name in _CONTROL_PARTS:
        parts[name] = bytes(kept)
    return produced


def _declares_dtd(window: bytes) -> bool:
    """`<!DOCTYPE`/`<!ENTITY` in any case, UTF-8 or UTF-16; `!` first (memchr-fast)."""
    if b"!" not in window or (b"<!" not in window and b"<\x00!" not in window):
        return False
    lowered = window.lower()
    return any(marker in lowered for marker in _DTD_MARKERS)


def _zip_format(parts: dict[str, bytes]) -> Admitted:
    """Tell xlsx from xlsm by the main part's content type, ODS by its mimetype entry."""
    if "[Content_Types].xml" in parts:
        types = " ".join(
            (node.get("ContentType") or "").lower()
            for node in _parse_xml(parts["[Content_Types].xml"], "[Content_Types].xml").iter()
        )
        if "ms-excel.sheet.binary.macroenabled.main" in types:
            raise _Stop(RuleId.FILE_UNSUPPORTED_FORMAT, "xlsb content", extension=".xlsb")
        if "ms-excel.sheet.macroenabled.main" in types or "ms-excel.template.macroenabled" in types:
            return Admitted(WorkbookFormat.XLSM)
        if "spreadsheetml.sheet.main" in types or "spreadsheetml.template.main" in types:
            return Admitted(WorkbookFormat.XLSX)
        if "wordprocessingml.document.main" in types:
            raise _Stop(RuleId.FILE_NOT_WORKBOOK, "docx", detected="tệp Word")
    mimetype = parts.get("mimetype", b"").decode("ascii", "replace").strip()
    if mimetype not in _ODS_MIMETYPES:
        raise _Stop(
            RuleId.FILE_NOT_WORKBOOK, f"zip, mimetype {mimetype!r}", detected=_ZIP_NOT_WORKBOOK
        )
    manifest = parts.get("META-INF/manifest.xml")
    if manifest is not None:
        root = _parse_xml(manifest, "META-INF/manifest.xml")
        if any(node.tag == _MANIFEST_ENCRYPTION for node in root.iter()):
            raise _Stop(RuleId.FILE_ENCRYPTED, "ODF manifest declares encryption-data")
    return Admitted(WorkbookFormat.ODS)


_TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_REF = re.compile(r"([A-Za-z]{1,7})([0-9]{1,12})\Z")
_COLUMNS: dict[str, int] = {}  # letters -> column number (a few hundred distinct in practice)
#: The root element's local name, from a part's first bytes (UTF-8/ASCII parts).
_ROOT = re.compile(rb"<(?![?!])(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")
_CELL_CONTENT = frozenset({"v", "f", "is"})  # children of `c` that give it a value
_ELEMENTS_PER_CELL = 10  # budget of XML elements (runs, styles, text) per allowed cell


def _too_complex(detail: str, log: str) -> _Stop:
    return _Stop(RuleId.FILE_TOO_COMPLEX, log, detail=detail)


class _Census:
    """Content cells, sheets and XML elements counted across every part of one workbook."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.cells = 0
        self.sheets = 0
        self.elements = 0
        self.formulas = False  # a formula element (`<f`) seen in any entry of the package

    def cell(self, row: int, column: int, count: int) -> None:
        """A cell with content at (row, column) (the last of `count` repeated ones)."""
        limits = self.limits
        if row > limits.max_rows or column > limits.max_columns:
            where = _a1(row, column) if column <= 16_384 and row <= 1_048_576 else "xa"
            detail = (
                f"có ô ghi dữ liệu ở {where}, ngoài vùng biểu mẫu (tối đa "
                f"{_number(limits.max_rows)} dòng, {_number(limits.max_columns)} cột)"
            )
            raise _too_complex(detail, f"content cell at row {row}, column {column}")
        self.cells += count
        if self.cells > limits.max_cells:
            detail = f"hơn {_number(limits.max_cells)} ô có dữ liệu"
            raise _too_complex(detail, f"over {limits.max_cells} content cells")

    def sheet(self) -> None:
        self.sheets += 1
        if self.sheets > self.limits.max_sheets:
            raise _too_many_sheets(self.sheets, self.limits)

    def element(self) -> None:
        self.elements += 1
        if self.elements > self.limits.max_cells * _ELEMENTS_PER_CELL:
            detail = "phần XML của trang tính có quá nhiều thành phần"
            raise _too_complex(detail, f"over {self.elements - 1} XML elements")


def _too_many_sheets(count: int, limits: Limits) -> _Stop:
    detail = f"{_number(count)} trang tính vượt giới hạn {_number(limits.max_sheets)}"
    return _too_complex(detail, f"{count} sheets")


def _a1(row: int, column: int) -> str:
    letters = ""
    while column:
        column, rem = divmod(column - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row}"


def _column_number(letters: str) -> int:
    number = 0
    for char in letters:
        number = number * 26 + ord(char) - 64
    return number


#: ref -> (row, column) of refs seen (the same few hundred in every report); bounded.
_REFS: dict[str, tuple[int, int] | None] = {}
_REFS_KEPT = 20_000


def _split_ref(ref: str | None) -> tuple[int, int] | None:
    """'XFD1048576' -> (1048576, 16384); None for anything else (memoised: every report has
    the same cells, and this runs once per cell of every sheet)."""
    if ref is None:
        return None
    try:
        return _REFS[ref]
    except KeyError:
        pass
    where = _parse_ref(ref)
    if len(ref) <= 10:  # XFD1048576: longer is never a real ref, and is not kept
        if len(_REFS) >= _REFS_KEPT:
            _REFS.clear()  # a hostile sheet of distinct refs must not grow the memo without end
        _REFS[ref] = where
    return where


def _parse_ref(ref: str) -> tuple[int, int] | None:
    found = _REF.match(ref) if ref else None
    if found is None:
        return None
    letters = found.group(1).upper()
    column = _COLUMNS.get(letters)
    if column is None:
        column = _column_number(letters)
        if len(letters) <= 2:  # bounded cache: hostile letters are computed, not kept
            _COLUMNS[letters] = column
    return int(found.group(2)), column


def _repeat(value: str | None) -> int:
    return int(value) if value and value.isdigit() and len(value) < 13 else 1


def _local(name: str) -> str:
    return name[name.rfind(" ") + 1 :]


#: Worksheet parts up to this size are buffered for `_fast_census` (a report's are ~40 KB; one
#: at the cell cap ~6 MB); larger ones stream through expat.
_FAST_BYTES = 8 * _MIB
#: Start tags whose local name matters to the census, in document order: `c`, `row`, and the
#: children that give a cell content. No name is a prefix of another and only `c` holds a "c",
#: so in their concatenation "cv", "cf", "ci" are exactly a cell followed by its content.
#: Unprefixed only (as Excel, LibreOffice and openpyxl write them): a prefixed one anywhere
#: (`_PREFIXED`, which text may also trip) sends the part to the callbacks.
_CENSUS_TAGS = re.compile(rb"<(c|row|v|f|is)[\s/>]")
_PREFIXED = re.compile(rb":(?:c|row|v|f|is)[\s/>]")
_CELL_OPEN = re.compile(rb"<c[\s/>]")
_ROW_OPEN = re.compile(rb"<row[\s/>]")
#: A cell whose first attribute is a plain `r` (literal prefixes: searched at C speed).
_CELL_REF = re.compile(rb'<c r="([A-Za-z]{1,3})([0-9]{1,7})"')
#: A row whose first attribute is a plain `r`, and the rest of its attributes.
_ROW_TAG = re.compile(
    rb'<row r="([0-9]{1,12})"'
    rb"((?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)\s*/?>"
)
_ATTRIBUTE = re.compile(rb"""([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_UTF8_BOM = b"\xef\xbb\xbf"
#: What `workbook.uncached_formulas` looks for: with none in the package it finds nothing.
_FORMULA_TAG = re.compile(rb"<f[\s>/]")
#: A row's unprefixed `ht` and a height that is plainly above zero (anything else is parsed).
_HEIGHT = re.compile(rb"""(?<![^\s])ht\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_POSITIVE = re.compile(rb"[1-9][0-9]{0,5}(?:\.[0-9]{1,6})?")


def _fast_census(data: bytes, scan: _PartScan) -> bool:
    """The census of a whole worksheet part by C-speed scans, exactly as `_sheet_start`'s
    callbacks would take it; False (nothing counted) when the part is not regular enough to be
    sure, and expat's callbacks then take it.

    Sure means: no NUL (an ASCII-compatible encoding), no comment, CDATA, DTD or processing
    instruction besides the XML declaration; well-formed with namespaces (checked by expat with
    one callback, for the root), so every `<` opens a tag, attribute values hold no `<` and no
    attribute is repeated; the root is `worksheet`; no `c`, `row`, `v`, `f`, `is` is prefixed;
    every `c` and `row` has `r` as its first, double-quoted attribute after one space; and no
    limit is reached (the exact path then refuses, at the same
    element as before). Then the elements are the tags, and a cell has content when the next
    `c`/`row`/`v`/`f`/`is` tag after it is `v`, `f` or `is`.
    """
    body = data[3:] if data.startswith(_UTF8_BOM) else data
    declared = body.startswith(b"<?xml")
    if b"\x00" in data or b"<!" in data or data.count(b"<?") != declared:
        return False
    roots: list[str] = []
    checker = expat.ParserCreate(namespace_separator=" ")

    def root(name: str, _attrs: dict[str, str]) -> None:
        roots.append(name)
        checker.StartElementHandler = None

    checker.StartElementHandler = root
    try:
        checker.Parse(data, True)
    except expat.ExpatError:
        return False
    if not roots or _local(roots[0]) != "worksheet":
        return False
    census, limits = scan.census, scan.census.limits
    elements = data.count(b"<") - data.count(b"</") - declared - 1  # the root is not counted
    if census.elements + elements > limits.max_cells * _ELEMENTS_PER_CELL:
        return False
    if _PREFIXED.search(data):
        return False
    cells = _CELL_REF.findall(data)
    rows = _ROW_TAG.findall(data)
    if len(_CELL_OPEN.findall(data)) != len(cells) or len(_ROW_OPEN.findall(data)) != len(rows):
        return False  # a cell or row without a plain leading `r`
    sequence = b"".join(_CENSUS_TAGS.findall(data))  # "c", "row", "v", "f", "is": prefix-free
    content = sequence.count(b"cv") + sequence.count(b"cf") + sequence.count(b"ci")
    if census.cells + content > limits.max_cells:
        return False
    if cells:
        letters, numbers = zip(*cells, strict=True)
        if max(map(int, set(numbers))) > limits.max_rows:
            return False
        if max(_column_number(c.decode().upper()) for c in set(letters)) > limits.max_columns:
            return False
    hidden: set[int] = set()
    for number, rest in rows:
        if b"hidden" not in rest:
            height = _HEIGHT.search(rest)
            if height is None or _POSITIVE.fullmatch(height.group(1) or height.group(2) or b""):
                continue  # a row of ordinary height: visible
        attrs: dict[str, str] = {}
        for name, double, single in _ATTRIBUTE.findall(rest):
            value = double or single
            if b":" in name:
                continue  # a namespaced attribute is not `hidden` or `ht`
            if not value.isascii() or any(c in value for c in b"&\t\n\r"):
                return False  # expat would decode or normalise it
            attrs[name.decode("ascii", "replace")] = value.decode("ascii")
        row = int(number)
        if row_is_hidden(attrs) and row <= limits.max_rows:
            hidden.add(row)
    census.elements += elements
    census.cells += content
    scan.hidden = hidden
    return True


class _PartScan:
    """One XML part parsed while it streams: where cells with content are, which rows hide.

    Positions are followed as the native reader follows them: a row or cell without its `r`
    attribute comes after the previous one, ODS repeats expand. Parts that are neither a
    worksheet nor ODS content stop being parsed at their root element. A malformed part stops
    the scan silently: the reader (in its sandbox) judges it.

    A worksheet part (up to `_FAST_BYTES`) is buffered and, when it is regular, its census is
    taken by C-speed scans (`_fast_census`) instead of one Python callback per element, which
    cost most of a report's reading time; an irregular part goes through expat's callbacks
    exactly as before. Both give the same counts, refusals and hidden rows.
    """

    def __init__(self, census: _Census) -> None:
        self.census = census
        self.active = True
        self.parser: Any = expat.ParserCreate(namespace_separator=" ")
        self.parser.StartElementHandler = self._root
        self.parser.StartDoctypeDeclHandler = self._doctype
        self.parser.EntityDeclHandler = self._doctype
        self.hidden: set[int] = set()  # worksheet part
        self.ods_hidden: dict[str, frozenset[int]] = {}
        self._ods_rows: set[int] = set()
        self.row = self.column = 0
        self.depth = 0  # inside a cell: element depth (0 = not in a cell)
        self.content = False
        self.cell_row = 0
        self.row_repeat = self.cell_repeat = 1
        self.tables = 0
        self.sheet = ""
        self.decided = False
        self.buffer: bytearray | None = None  # a worksheet part kept for `_fast_census`

    def feed(self, data: bytes) -> None:
        if not self.active:
            return
        if not self.decided:
            self.decided = True
            root = _ROOT.search(data[:4096])
            if root is not None and root.group(1) not in (b"worksheet", b"document-content"):
                self.active = False  # styles, strings, themes: nothing there allocates cells
                return
            if root is not None and root.group(1) == b"worksheet":
                self.buffer = bytearray()
        if self.buffer is not None:
            if len(self.buffer) + len(data) <= _FAST_BYTES:
                self.buffer += data
                return
            self.settle()  # too big to keep: parsed as it streams from here on
            if not self.active:
                return
        self._parse(data)

    def settle(self) -> None:
        """Parse what is buffered with expat's callbacks, as if it had streamed through them
        (raises the census's refusal, if any); later data streams."""
        if self.buffer is not None:
            data, self.buffer = bytes(self.buffer), None
            if self.active:
                self._parse(data)

    def _parse(self, data: bytes) -> None:
        try:
            self.parser.Parse(data, False)
        except expat.ExpatError:
            self.active = False

    def close(self) -> None:
        if self.buffer is not None:
            data = bytes(self.buffer)
            if self.active and _fast_census(data, self):
                self.buffer = None
                self.active = False
            else:
                self.settle()
        if self.active:
            with contextlib.suppress(expat.ExpatError):
                self.parser.Parse(b"", True)
        self._end_table()
        self.active = False
        self.parser = None

    def _doctype(self, *_: Any) -> None:
        raise _bomb("phần XML khai báo DOCTYPE/ENTITY", "DTD in XML part (expat)")

    def _root(self, name: str, attrs: dict[str, str]) -> None:
        local = _local(name)
        if local == "worksheet":
            self.parser.StartElementHandler = self._sheet_start
        elif local == "document-content":
            self.parser.StartElementHandler = self._ods_start
            self.parser.EndElementHandler = self._ods_end
        else:
            self.active = False  # styles, strings, themes: nothing here allocates cells
            self.parser.StartElementHandler = None

    # SpreadsheetML worksheet

    def _sheet_start(self, name: str, attrs: dict[str, str]) -> None:
        """No end events (they double the callbacks): a cell has content when a `v`, `f` or
        `is` child starts before the next cell or row does."""
        census = self.census
        census.elements += 1
        if census.elements > census.limits.max_cells * _ELEMENTS_PER_CELL:
            census.element()  # raises
        local = name[name.rfind(" ") + 1 :]
        if local == "c":
            where = _split_ref(attrs.get("r"))
            if where is None:
                self.column += 1
                self.cell_row = self.row
            else:
                self.cell_row, self.column = where
            self.depth = 1
        elif local in _CELL_CONTENT:
            if self.depth:
                self.depth = 0
                census.cell(self.cell_row, self.column, 1)
        elif local == "row":
            self.depth = 0
            number = attrs.get("r", "")
            self.row = int(number) if number.isdigit() and len(number) < 13 else self.row + 1
            self.column = 0
            if row_is_hidden(attrs) and self.row <= census.limits.max_rows:
                self.hidden.add(self.row)

    # OpenDocument content

    def _ods_start(self, name: str, attrs: dict[str, str]) -> None:
        self.census.element()
        if self.depth:
            self.depth += 1
            self.content = True
            return
        namespace, _, local = name.rpartition(" ")
        if namespace != _TABLE_NS:
            return
        if local == "table":
            self.tables += 1
            if self.tables == 1:
                self.census.sheet()
                self.sheet = attrs.get(f"{_TABLE_NS} name", "")
                self.row = 0
                self._ods_rows = set()
        elif local == "table-row" and self.tables == 1:
            self.row_repeat = _repeat(attrs.get(f"{_TABLE_NS} number-rows-repeated"))
            first, self.row = self.row + 1, self.row + self.row_repeat
            self.column = 0
            limit = self.census.limits.max_rows
            if attrs.get(f"{_TABLE_NS} visibility") in ("collapse", "filter") and first <= limit:
                self._ods_rows.update(range(first, min(self.row, limit) + 1))
        elif local in ("table-cell", "covered-table-cell") and self.tables == 1:
            self.cell_repeat = _repeat(attrs.get(f"{_TABLE_NS} number-columns-repeated"))
            self.column += self.cell_repeat
            self.depth = 1
            self.content = f"{_OFFICE_NS} value-type" in attrs

    def _ods_end(self, name: str) -> None:
        if self.depth:
            self.depth -= 1
            if not self.depth and self.content:
                self.census.cell(self.row, self.column, self.row_repeat * self.cell_repeat)
            return
        namespace, _, local = name.rpartition(" ")
        if namespace == _TABLE_NS and local == "table":
            if self.tables == 1:
                self._end_table()
            self.tables = max(0, self.tables - 1)

    def _end_table(self) -> None:
        if self._ods_rows:
            self.ods_hidden[self.sheet] = frozenset(self._ods_rows)
            self._ods_rows = set()


def _xlsx_layout(
    parts: dict[str, bytes], scans: dict[str, _PartScan], limits: Limits
) -> SheetLayout:
    """Sheets of workbook.xml: at most `max_sheets`, each its own part; hidden rows by name."""
    book = parts.get("xl/workbook.xml")
    if book is None:
        return SheetLayout()
    sheets = [
        (node.get("name") or "", next((v for k, v in node.attrib.items() if k.endswith("}id")), ""))
        for node in _parse_xml(book, "xl/workbook.xml").iter()
        if isinstance(node.tag, str) and node.tag.rpartition("}")[2] == "sheet"
    ]
    if len(sheets) > limits.max_sheets:
        raise _too_many_sheets(len(sheets), limits)
    targets: dict[str, str] = {}
    rels = parts.get("xl/_rels/workbook.xml.rels")
    if rels is not None:
        for node in _parse_xml(rels, "xl/_rels/workbook.xml.rels").iter():
            if isinstance(node.tag, str) and node.tag.rpartition("}")[2] == "Relationship":
                targets[node.get("Id") or ""] = node.get("Target") or ""
    owners: dict[str, str] = {}
    hidden: dict[str, frozenset[int]] = {}
    for name, rid in sheets:
        target = targets.get(rid)
        if not target:
            continue
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
        if part in owners:
            detail = f'trang "{owners[part]}" và trang "{name}" dùng chung một phần dữ liệu'
            raise _too_complex(detail, f"sheets {owners[part]!r} and {name!r} share {part}")
        owners[part] = name
        scan = scans.get(part)
        if scan is not None and scan.hidden:
            hidden[name] = frozenset(scan.hidden)
    return SheetLayout(hidden)


def _parse_xml(data: bytes, name: str) -> Element:
    try:
        return ElementTree.fromstring(data)
    except Exception as exc:  # ParseError and defusedxml's refusals alike
        raise _corrupt(f"{name} không hợp lệ", f"{name}: {exc}") from exc


def _inspect_ole(fp: BinaryIO, limits: Limits) -> Admitted:
    """An OLE2 container is a legacy workbook, an encrypted OOXML package, or something else."""
    try:
        ole = olefile.OleFileIO(fp)
    except Exception as exc:
        raise _corrupt("cấu trúc OLE không hợp lệ", f"olefile: {exc}") from exc
    with ole:
        streams = {"/".join(parts) for parts in ole.listdir(streams=True, storages=False)}
        if {"EncryptionInfo", "EncryptedPackage"} <= streams:
            raise _Stop(RuleId.FILE_ENCRYPTED, "OLE-wrapped encrypted OOXML package")
        name = next((name for name in ("Workbook", "Book") if name in streams), None)
        if name is None:
            if "WordDocument" in streams:
                raise _Stop(RuleId.FILE_NOT_WORKBOOK, "OLE Word document", detected="tệp Word")
            detail = "tệp OLE không chứa dữ liệu bảng tính"
            raise _corrupt(detail, f"OLE streams {sorted(streams)[:10]}")
        try:  # olefile holds a stream whole; the file itself is already under max_bytes
            data = ole.openstream(name).read()
        except Exception as exc:
            raise _corrupt("cấu trúc OLE không hợp lệ", f"olefile: {exc}") from exc
    _check_biff(data)
    return Admitted(WorkbookFormat.XLS, _biff_census(data, _Census(limits)))


#: BIFF cell records with a value: (row u16, column u16, ...) at the start of the body.
_BIFF_CELLS = {0x0203, 0x00FD, 0x027E, 0x0204, 0x0006, 0x0205, 0x00D6, 0x0004, 0x0003, 0x0002}
_BIFF_MULRK, _BIFF_BOUNDSHEET = 0x00BD, 0x0085
_BIFF_ROW, _BIFF_DEFAULTROWHEIGHT, _BIFF_CODEPAGE = 0x0208, 0x0225, 0x0042
#: Records a workbook stream may hold per allowed cell (a cell is one record; rows, DBCELLs,
#: formats and string continuations add a few per cent on real reports).
_RECORDS_PER_CELL = 2
_ROW_HIDDEN = 0x0020  # ROW.grbit fDyZero: the row is hidden (height zero)
_DEFAULT_HIDDEN = 0x0002  # DEFAULTROWHEIGHT.grbit fDyZero: rows without a ROW record are hidden


@dataclass
class _BiffSheet:
    """What one worksheet substream says about its rows (1-based, within `max_rows`)."""

    name: str
    hidden: set[int] = field(default_factory=set)  # ROW records with fDyZero
    described: set[int] = field(default_factory=set)  # rows that have a ROW record
    filled: set[int] = field(default_factory=set)  # rows with a cell holding a value
    default_hidden: bool = False

    def hidden_rows(self) -> frozenset[int]:
        implicit = self.filled - self.described if self.default_hidden else set()
        return frozenset(self.hidden | implicit)


def _biff_census(data: bytes, census: _Census) -> SheetLayout:
    """Every record of the workbook stream: sheets (BOUNDSHEET), where cells with a value are
    (the native reader allocates the rectangle up to the farthest one, as for .xlsx), and which
    rows each sheet hides (calamine does not say, and a hidden identification row must not
    decide the unit).

    Rows are attributed to a sheet as the reader finds the sheet: from the BOF record at the
    stream offset its BOUNDSHEET names to the matching EOF. A sheet whose offset is not a
    top-level BOF of this one linear pass (a hand-made file pointing a sheet into the middle of
    another, or two sheets at one offset) is refused: its rows could not be vouched for.
    """
    position, end = 0, len(data)
    unpack = struct.unpack_from
    limit = census.limits.max_rows
    starts: dict[int, str] = {}  # stream offset of a worksheet's BOF -> its name
    biff8, codec = True, "cp1252"
    depth, current, seen = 0, None, set()
    sheets: dict[str, _BiffSheet] = {}
    first, in_globals = True, True  # the globals substream (BOUNDSHEET, CODEPAGE) comes first
    budget, records = census.limits.max_cells * _RECORDS_PER_CELL, 0
    while position + 4 <= end:
        records += 1
        if records > budget:  # millions of empty records: no report needs them, walking costs
            detail = "dữ liệu Workbook có quá nhiều bản ghi"
            raise _too_complex(detail, f"over {budget} BIFF records")
        kind, length = unpack("<HH", data, position)
        body = position + 4
        if kind in _BIFF_BOF:
            if first and length >= 2:
                biff8 = unpack("<H", data, body)[0] >= 0x0600
            if depth == 0 and position in starts:
                current = sheets.setdefault(starts[position], _BiffSheet(starts[position]))
                seen.add(position)
            depth += 1
        elif kind == _BIFF_EOF:
            depth = max(0, depth - 1)
            if depth == 0:
                current, in_globals = None, False
        elif kind in _BIFF_CELLS and length >= 4:
            row, column = unpack("<HH", data, body)
            census.cell(row + 1, column + 1, 1)
            if current is not None:
                current.filled.add(row + 1)
        elif kind == _BIFF_MULRK and length >= 6:
            row, first_column = unpack("<HH", data, body)
            (last,) = unpack("<H", data, body + length - 2)
            census.cell(row + 1, last + 1, max(1, last - first_column + 1))
            if current is not None:
                current.filled.add(row + 1)
        elif kind == _BIFF_ROW and length >= 14 and current is not None:
            row = unpack("<H", data, body)[0] + 1
            if row <= limit:
                current.described.add(row)
                if unpack("<H", data, body + 12)[0] & _ROW_HIDDEN:
                    current.hidden.add(row)
        elif kind == _BIFF_DEFAULTROWHEIGHT and length >= 2 and current is not None:
            current.default_hidden = bool(unpack("<H", data, body)[0] & _DEFAULT_HIDDEN)
        elif kind == _BIFF_CODEPAGE and length >= 2 and in_globals:
            codec = _biff_codec(unpack("<H", data, body)[0])
        elif kind == _BIFF_BOUNDSHEET:
            census.sheet()  # wherever it is: the cost bound counts every one
            if in_globals:  # the reader takes its sheet list from the globals only
                _worksheet_start(data[body : body + length], biff8, codec, starts)
        first = False
        position = body + length
    stray = sorted(name for offset, name in starts.items() if offset not in seen)
    if stray:
        detail = f'không xác định được dữ liệu của trang "{stray[0]}"'
        raise _corrupt(detail, f"BOUNDSHEET offsets off the record chain: {stray[:5]}")
    return SheetLayout({s.name: s.hidden_rows() for s in sheets.values() if s.hidden_rows()})


def _worksheet_start(body: bytes, biff8: bool, codec: str, starts: dict[int, str]) -> None:
    """Note a BOUNDSHEET's worksheet by the offset of its BOF; two sheets at one offset are
    refused (as two .xlsx sheets sharing a part are)."""
    offset, name, sheet_kind = _boundsheet(body, biff8, codec)
    if sheet_kind != 0:  # charts, macro and VBA sheets hold no report rows
        return
    if offset in starts:
        detail = f'trang "{starts[offset]}" và "{name}" dùng chung dữ liệu'
        raise _too_complex(detail, f"BOUNDSHEETs share offset {offset}")
    starts[offset] = name


def _boundsheet(body: bytes, biff8: bool, codec: str) -> tuple[int, str, int]:
    """(stream offset of the sheet's BOF, sheet name, sheet type) of a BOUNDSHEET record."""
    if len(body) < 7:
        return -1, "", -1
    offset, sheet_kind, count = struct.unpack_from("<IxBB", body)
    if not biff8:  # BIFF5/7: a byte string in the workbook's code page
        return offset, body[7 : 7 + count].decode(codec, "replace"), sheet_kind
    wide = len(body) > 7 and body[7] & 0x01
    chars = body[8 : 8 + count * (2 if wide else 1)]
    return offset, chars.decode("utf-16-le" if wide else "latin-1", "replace"), sheet_kind


def _biff_codec(codepage: int) -> str:
    """The Python codec of a BIFF5 CODEPAGE record (BIFF8 names carry their own encoding)."""
    name = {1200: "utf-16-le", 367: "ascii", 32768: "mac-roman", 32769: "cp1252"}.get(
        codepage, f"cp{codepage}"
    )
    try:
        return codecs.lookup(name).name
    except LookupError:
        return "cp1252"


def _check_biff(data: bytes) -> None:
    """The workbook stream must open with BOF; FILEPASS among the first records means a password."""
    position = 0
    for index in range(64):
        if position + 4 > len(data):
            break
        kind, length = struct.unpack_from("<HH", data, position)
        if index == 0 and kind not in _BIFF_BOF:
            raise _corrupt("dữ liệu Workbook không hợp lệ", f"first BIFF record {kind:#06x}")
        if kind == _BIFF_FILEPASS:
            raise _Stop(RuleId.FILE_ENCRYPTED, "BIFF FILEPASS record")
        if kind == _BIFF_EOF:
            break
        position += 4 + length
    if position == 0:
        raise _corrupt("dữ liệu Workbook không hợp lệ", "empty workbook stream")


def _sniff(head: bytes) -> str:
    """What a non-workbook really is, in words a clerk recognises."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if b"%PDF-" in head[:1024]:
        return "tệp PDF"
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"II*\x00", b"MM\x00*")) or (
        head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    ):
        return "ảnh"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"avif"):
        return "ảnh"
    if text.startswith((b"<!doctype html", b"<html", b"mime-version:")) or any(
        tag in text[:2048] for tag in (b"<html", b"<table")
    ):
        return "trang HTML"
    if head.startswith(b"{\\rtf"):
        return "tệp Word"
    if text.startswith(b"<?xml"):
        return "tệp XML"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "văn bản thuần"
    controls = sum(
        1 for byte in head if byte < 0x20 and byte not in b"\t\n\r\f\x1a" or byte == 0x7F
    )
    if b"\x00" not in head and controls <= len(head) // 100:
        return "văn bản thuần"
    return "không xác định"


def _too_many(count: int, limits: Limits) -> _Stop:
    detail = f"{_number(count)} mục nén vượt giới hạn {_number(limits.max_zip_entries)}"
    return _bomb(detail, f"{count} entries")


def _number(value: float) -> str:
    """1234567 -> "1.234.567" (Vietnamese thousands separator)."""
    return f"{round(value):,}".replace(",", ".")


def _size(n: int) -> str:
    """Human sizes with the Vietnamese decimal comma: "25,3 MB", "1.024 MB", "512 KB"."""
    for unit, scale in (("MB", _MIB), ("KB", 1024)):
        if n >= scale:
            value = n / scale
            if value >= 100 or value == int(value):
                return f"{_number(value)} {unit}"
            return f"{value:.1f} {unit}".replace(".", ",")
    return f"{n} byte"
