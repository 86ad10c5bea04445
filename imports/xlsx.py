"""The first sheet of an XLSX workbook as a stream of cells, in bounded memory.

python-calamine, which this replaced, builds the whole sheet before it hands out a row (`iter_rows()` and
`to_python(nrows=…)` walk a grid already in memory: about 1 KB a row, and as wide as the widest row), so a
million-row sheet, or two cells far apart, took gigabytes. Here:

- the zip directory is checked before anything is unpacked: few enough parts, and every part read must
  unpack to at most IMPORT_XLSX_MAX_RATIO times its packed size and, together, to at most
  IMPORT_XLSX_MAX_UNPACKED_BYTES. A 2 MB "bomb" that unpacks to 1 GB is refused at once. Python's zipfile
  never unpacks a part past the size the directory declares, so a lying entry cannot get more through;
- the sheet's XML is unpacked a block at a time and cut after a cell or a row; each piece is tokenised by
  one regular expression (a C loop) and handed on as (row, column, text) of its non-empty cells;
- shared strings are kept as their raw XML in a temporary file, with their offsets in another, both read
  through memory maps that are let go after each piece: a workbook of millions of strings costs disk.

Cells become the text a person would have typed (`table.cell_text`): numbers, dates by their number format
(the built-in ones, the Chinese ones 27–36 and 50–58, custom ones; both date systems), booleans, formulas by
their cached value. An error cell (#N/A, #DIV/0!) is refused: it is a formula that did not compute, and
importing it as empty would hide that. `_xHHHH_` escapes and character references are decoded.
"""

from __future__ import annotations

import mmap
import re
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from xml.etree import ElementTree

import numpy as np
from django.utils.translation import gettext as _

from .limits import Limits, cell_too_long, refuse
from .xlsx_cells import inline_text, is_date_format, unreadable
from .xlsx_sheet import BLOCK, Piece, SheetReader

_META_PART_BYTES = 16 * 1024 * 1024  # workbook.xml, its relationships, styles.xml: small in any real file
_MAX_PARTS = 10_000
_MAX_DIRECTORY_BYTES = 16 * 1024 * 1024
_RATIO_FROM_BYTES = 1 << 20  # smaller parts may be as compressible as they like
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
# Built-in number formats that show dates or times: the international ones and, in a Chinese Excel, 27–36
# and 50–58 (yyyy"年"m"月"d"日", h"时"mm"分" and so on).
_DATE_FORMAT_IDS = frozenset([*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)])

__all__ = ["Piece", "Workbook"]


class Workbook:
    """An XLSX file opened for reading its first sheet: `pieces()` streams it from the start each time."""

    def __init__(self, source, limits: Limits):
        self.limits = limits
        if hasattr(source, "seek"):
            source.seek(0)
        _check_directory(source)
        try:
            self.zip = zipfile.ZipFile(source)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise unreadable(exc) from None
        try:
            workbook = self._tree("xl/workbook.xml")
            parts = self._workbook_parts(workbook)
        except KeyError as exc:
            raise unreadable(_("no %s in it") % exc) from None
        self.sheet_name = parts["sheet"]
        self._guard([parts["sheet"], parts.get("sharedStrings"), parts.get("styles")])
        properties = workbook.find(f"{_MAIN}workbookPr")
        self.date1904 = properties is not None and properties.get("date1904", "").lower() in ("1", "true")
        self.date_styles = self._date_styles(parts.get("styles"))
        self._strings = _SharedStrings(self, parts.get("sharedStrings"))
        self.last_row = self._dimension_last_row()

    # --- the parts ---------------------------------------------------------------------------------------

    def _open(self, name: str):
        try:
            return self.zip.open(name)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError) as exc:
            raise unreadable(exc) from None

    def _read_small(self, name: str) -> bytes:
        if self.zip.getinfo(name).file_size > _META_PART_BYTES:
            raise unreadable(_("%s is too large") % name)
        try:
            with self._open(name) as handle:
                data = handle.read()
        except (zipfile.BadZipFile, EOFError, OSError) as exc:
            raise unreadable(exc) from None
        if b"<!DOCTYPE" in data or b"<!ENTITY" in data:  # never in a real workbook: entity-expansion attacks
            raise unreadable(_("%s declares a DTD") % name)
        return data

    def _tree(self, name: str) -> ElementTree.Element:
        try:
            return ElementTree.fromstring(self._read_small(name))
        except ElementTree.ParseError as exc:
            raise unreadable(f"{name}: {exc}") from None

    def _workbook_parts(self, workbook: ElementTree.Element) -> dict[str, str]:
        """The first sheet's part and the shared strings' and styles' (when the workbook has them)."""
        targets: dict[str, str] = {}
        kinds: dict[str, str] = {}
        if "xl/_rels/workbook.xml.rels" in self.zip.NameToInfo:
            for rel in self._tree("xl/_rels/workbook.xml.rels").iter(f"{_PKG_REL}Relationship"):
                target = rel.get("Target", "")
                target = target.lstrip("/") if target.startswith("/") else "xl/" + target
                targets[rel.get("Id", "")] = target
                kinds[rel.get("Type", "").rsplit("/", 1)[-1]] = target
        sheet = workbook.find(f"{_MAIN}sheets/{_MAIN}sheet")
        first = targets.get(sheet.get(f"{_REL}id", "")) if sheet is not None else None
        parts = {"sheet": first or "xl/worksheets/sheet1.xml"}
        for kind, fallback in (("sharedStrings", "xl/sharedStrings.xml"), ("styles", "xl/styles.xml")):
            name = kinds.get(kind, fallback)
            if name in self.zip.NameToInfo:
                parts[kind] = name
        if parts["sheet"] not in self.zip.NameToInfo:
            raise KeyError(parts["sheet"])
        return parts

    def _guard(self, names: list[str | None]) -> None:
        """Refuse before unpacking anything: too compressed (a bomb), too large unpacked, or encrypted."""
        total = 0
        for name in filter(None, names):
            info = self.zip.getinfo(name)
            if info.flag_bits & 0x1:
                raise unreadable(_("it is encrypted"))
            if info.file_size > _RATIO_FROM_BYTES and info.file_size > self.limits.xlsx_max_ratio * max(
                info.compress_size, 1
            ):
                raise refuse(
                    1,
                    "",
                    _(
                        "the workbook's %(part)s unpacks to %(ratio)s times its packed size; at most "
                        "%(limit)s is accepted (IMPORT_XLSX_MAX_RATIO): it looks like a decompression bomb"
                    )
                    % {
                        "part": name,
                        "ratio": f"{info.file_size // max(info.compress_size, 1):,}",
                        "limit": f"{self.limits.xlsx_max_ratio:,}",
                    },
                )
            total += info.file_size
        if total > self.limits.xlsx_max_unpacked_bytes:
            raise refuse(
                1,
                "",
                _("the workbook unpacks to %(size)s bytes; at most %(limit)s are read (IMPORT_XLSX_MAX_UNPACKED_BYTES)")
                % {"size": f"{total:,}", "limit": f"{self.limits.xlsx_max_unpacked_bytes:,}"},
            )

    def _date_styles(self, name: str | None) -> frozenset[int]:
        """The cell styles (indexes into cellXfs) whose number format shows a date or a time."""
        if name is None:
            return frozenset()
        styles = self._tree(name)
        custom = {
            int(fmt.get("numFmtId", "-1")): fmt.get("formatCode", "")
            for fmt in styles.iterfind(f"{_MAIN}numFmts/{_MAIN}numFmt")
        }
        dates = set()
        for index, xf in enumerate(styles.iterfind(f"{_MAIN}cellXfs/{_MAIN}xf")):
            format_id = int(xf.get("numFmtId", "0"))
            if format_id in custom:
                if is_date_format(custom[format_id]):
                    dates.add(index)
            elif format_id in _DATE_FORMAT_IDS:
                dates.add(index)
        return frozenset(dates)

    # --- the sheet -----------------------------------------------------------------------------------------

    def _dimension_last_row(self) -> int:
        """The last row the sheet declares (<dimension ref="A1:L100001"/>), for progress; 0 if it does not."""
        with self._open(self.sheet_name) as handle:
            try:
                head = handle.read(64 * 1024)
            except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as exc:
                raise unreadable(exc) from None
        found = re.search(rb"<(?:\w+:)?dimension\s+ref=[\"'][A-Z]*\d*:?[A-Z]*(\d+)[\"']", head)
        return int(found.group(1)) if found else 0

    def pieces(self) -> Iterator[Piece]:
        """The sheet's non-empty cells, a piece (about a block of XML) at a time, from the first row."""
        with self._open(self.sheet_name) as handle:
            yield from SheetReader(self, handle).pieces()

    def read_block(self, handle) -> bytes:
        try:
            return handle.read(BLOCK)
        except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as exc:
            raise unreadable(exc) from None

    def shared_strings(self, raws: list[bytes]) -> list[str]:
        return self._strings.lookup(raws)


class _SharedStrings:
    """sharedStrings.xml as raw `<si>` bodies in a temporary file, with their offsets in another."""

    def __init__(self, book: Workbook, name: str | None):
        self.book, self.count, self._size = book, 0, 0
        if name is None:
            return
        self._blob = tempfile.TemporaryFile(prefix="communityops-xlsx-")
        self._ends = tempfile.TemporaryFile(prefix="communityops-xlsx-")
        written = 0
        data = b""
        item = close = None
        with book._open(name) as handle:
            while True:
                try:
                    block = handle.read(BLOCK)
                except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as exc:
                    raise unreadable(exc) from None
                data += block
                if item is None:
                    root = re.search(rb"<(\w+:)?sst\b", data)
                    if root is None and block and len(data) < BLOCK * 2:
                        continue
                    prefix = (root.group(1) or b"") if root else b""
                    close = b"</" + prefix + b"si>"
                    opening = rb"<" + re.escape(prefix) + rb"si\b[^>]*?"
                    item = re.compile(opening + rb"(?:/>|>(.*?)" + re.escape(close) + rb")", re.S)
                cut = data.rfind(close) + len(close) if block else len(data)
                if block and cut < len(close):  # no item ends in this stretch yet
                    if len(data) > 8 * book.limits.max_cell_chars + 2 * BLOCK:
                        raise cell_too_long(1, "", book.limits)
                    continue
                bodies = item.findall(data, 0, cut)
                data = data[cut:]
                if bodies:
                    self._blob.write(b"".join(bodies))
                    ends = np.cumsum(np.fromiter(map(len, bodies), dtype=np.uint64, count=len(bodies))) + written
                    written = int(ends[-1])
                    self._ends.write(ends.tobytes())
                    self.count += len(bodies)
                if not block:
                    break
        self._blob.flush()
        self._ends.flush()
        self._size = written

    def lookup(self, raws: list[bytes]) -> list[str]:
        """The strings at these indexes (the raw text of shared-string cells' values)."""
        try:
            indexes = np.array(raws, dtype=np.bytes_).astype(np.int64)
        except ValueError:
            raise unreadable(_("a shared-string cell does not hold an index")) from None
        if self.count == 0 or indexes.max() >= self.count or indexes.min() < 0:
            raise unreadable(_("a cell refers to a shared string that does not exist"))
        wanted, inverse = np.unique(indexes, return_inverse=True)
        # Mapped for this piece only: what was read leaves the process's memory when unmapped.
        blob = mmap.mmap(self._blob.fileno(), 0, access=mmap.ACCESS_READ) if self._size else b""
        ends_map = mmap.mmap(self._ends.fileno(), 0, access=mmap.ACCESS_READ)
        try:
            ends = np.frombuffer(ends_map, dtype=np.uint64)
            stops = ends[wanted].astype(np.int64)
            starts = np.where(wanted > 0, ends[np.maximum(wanted - 1, 0)].astype(np.int64), 0)
            del ends
            strings = [inline_text(blob[a:b]) for a, b in zip(starts.tolist(), stops.tolist(), strict=True)]
        finally:
            if self._size:
                blob.close()
            ends_map.close()
        return [strings[which] for which in inverse.tolist()]


def _check_directory(source) -> None:
    """Refuse a zip whose central directory lists more parts than any workbook has, before zipfile reads it
    (zipfile makes an object per entry: millions of tiny entries would be gigabytes)."""
    try:
        if hasattr(source, "seek"):
            source.seek(0, 2)
            size = source.tell()
            source.seek(max(size - 65_557, 0))
            tail = source.read()
            source.seek(0)
        else:
            with open(source, "rb") as handle:
                handle.seek(0, 2)
                size = handle.tell()
                handle.seek(max(size - 65_557, 0))
                tail = handle.read()
    except OSError as exc:
        raise unreadable(exc) from None
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) < at + 22:
        raise unreadable(_("no zip directory"))
    entries, directory_size = struct.unpack("<xxxxxxxxxxHI", tail[at : at + 16])
    if entries == 0xFFFF or directory_size == 0xFFFFFFFF:  # ZIP64: the real counts are in its own record
        locator = tail.rfind(b"PK\x06\x07", 0, at)
        if locator < 0 or len(tail) < locator + 20:
            raise unreadable(_("a broken ZIP64 directory"))
        (record_at,) = struct.unpack("<Q", tail[locator + 8 : locator + 16])
        record = _read_at(source, record_at, 56)
        if record[:4] != b"PK\x06\x06":
            raise unreadable(_("a broken ZIP64 directory"))
        entries, directory_size = struct.unpack("<QQ", record[32:48])
    if entries > _MAX_PARTS or directory_size > _MAX_DIRECTORY_BYTES:
        raise unreadable(_("the zip lists %s parts; a workbook has far fewer") % f"{entries:,}")


def _read_at(source, offset: int, size: int) -> bytes:
    if hasattr(source, "seek"):
        source.seek(offset)
        data = source.read(size)
        source.seek(0)
        return data
    with open(source, "rb") as handle:
        handle.seek(offset)
        return handle.read(size)
