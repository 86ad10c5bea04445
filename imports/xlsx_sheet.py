"""A sheet's XML, a piece at a time, as the (row, column, text) of its non-empty cells.

One regular expression finds a piece's rows and cells (a C loop). The tokens are then taken column-wise
(`itertools.compress`, `map`, numpy) and the values converted a type at a time (`xlsx_cells`): on the usual
path no Python runs per cell, which keeps a 100k-row sheet at the speed python-calamine read it. A sheet
whose cells do not carry their `r` reference first (the format allows placing cells by order) takes the
slower path, which places them one by one.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterator
from itertools import compress

import numpy as np
from django.utils.translation import gettext as _

from .limits import cell_too_long, refuse
from .xlsx_cells import (
    column_index,
    column_letters,
    date_texts,
    decode_text,
    decode_texts,
    inline_text,
    number_texts,
    unreadable,
)

BLOCK = 1 << 20
NUMBER, DATE, SHARED, INLINE, TEXT, BOOL, ERROR = range(7)
_TYPES = {b"": NUMBER, b"n": NUMBER, b"s": SHARED, b"inlineStr": INLINE, b"str": TEXT, b"d": TEXT, b"b": BOOL}
_VALUE = re.compile(rb"<(?:\w+:)?v(?:\s[^>]*)?>([^<]*)</(?:\w+:)?v>")
_ATTRIBUTE = re.compile(rb"""\b([rst])\s*=\s*["']([^"']*)["']""")
_ROW_NUMBER = re.compile(rb"""\br\s*=\s*["'](\d+)["']""")
_CELL_REF = re.compile(rb"([A-Z]{1,3})\d*")
_KINDS_KEPT = 10_000


class Piece:
    """The non-empty cells of a stretch of the sheet, as parallel lists in sheet order."""

    __slots__ = ("rows", "columns", "texts")

    def __init__(self, rows=(), columns=(), texts=()):
        self.rows: list[int] = list(rows)
        self.columns: list[int] = list(columns)  # 0 is column A
        self.texts: list[str] = list(texts)


def _pick(values: list, positions: np.ndarray) -> list:
    return [values[i] for i in positions.tolist()]


class SheetReader:
    """One pass over a sheet's XML (`handle`, unpacked as it is read) of `book` (an xlsx.Workbook)."""

    def __init__(self, book, handle):
        self.book, self.handle = book, handle
        self.row, self.column = 0, -1  # reached so far: cells and rows without `r` follow on from these
        self.codes: dict[bytes, int] = {}  # a cell's attributes after `r` -> its type (see _TYPES)
        self.placed: dict[bytes, int] = {}  # … -> its column, where `r` was not first
        self.columns: dict[bytes, int] = {}  # column letters -> index

    def _read(self) -> bytes:
        return self.book.read_block(self.handle)

    def pieces(self) -> Iterator[Piece]:
        data = b""
        while (found := re.search(rb"<(\w+:)?sheetData\b[^>]*?(/?)>", data)) is None:
            block = self._read()
            if not block:
                raise unreadable(_("the sheet has no sheetData"))
            data = data[-256:] + block
        if found.group(2):  # <sheetData/>: an empty sheet
            return
        prefix = found.group(1) or b""
        p = re.escape(prefix)
        self.token = re.compile(
            rb"(<" + p + rb"row)\b([^>]*)>"
            rb"|<" + p + rb"c\b(?:\s+r=\"([A-Z]{1,3})\d*\")?([^>]*?)"
            rb"(?:/>"
            rb"|><" + p + rb"v>([^<]*)</" + p + rb"v></" + p + rb"c>"
            rb"|><" + p + rb"is><" + p + rb"t>([^<]*)</" + p + rb"t></" + p + rb"is></" + p + rb"c>"
            rb"|>([^<]*(?:<(?!/" + p + rb"c>)[^<]*)*)</" + p + rb"c>)"
        )
        marks = (b"</" + prefix + b"row>", b"</" + prefix + b"c>")
        empty_tag = re.compile(rb"<" + p + rb"(?:row|c)\b[^>]*/>")
        end_mark = b"</" + prefix + b"sheetData>"
        # The longest a cell's XML can be: every character an escape such as &#x4E2D; (8 bytes).
        longest = 8 * self.book.limits.max_cell_chars + 2 * BLOCK
        data = data[found.end() :]
        while True:
            block = self._read()
            data += block
            stop = data.find(end_mark)
            if stop >= 0:
                yield self._piece(data[:stop])
                return
            if not block:
                raise unreadable(_("the sheet's XML ends early"))
            cut = max(data.rfind(mark) + len(mark) for mark in marks)
            if cut < len(marks[1]) and len(data) > 2 * BLOCK:
                # Only empty rows and cells (<row r="9"/>, <c r="A9" s="1"/>) for a while: cut after the last.
                cut = max((found.end() for found in empty_tag.finditer(data)), default=0)
            if cut < len(marks[1]):
                if len(data) > longest:
                    raise cell_too_long(self.row or 1, "", self.book.limits)
                continue
            piece, data = data[:cut], data[cut:]
            yield self._piece(piece)

    def _piece(self, xml: bytes) -> Piece:
        tokens = self.token.findall(xml)
        if not tokens:
            return Piece()
        # Column-wise: one list per group of the token pattern (itemgetter maps are C loops; zip(*tokens)
        # measured three times slower on a piece).
        row_tags, row_attributes, letters, rests, values, inlines, bodies = (
            list(map(operator.itemgetter(group), tokens)) for group in range(7)
        )
        is_cell = list(map(operator.not_, row_tags))
        cell_rests = list(compress(rests, is_cell))
        self._learn(set(cell_rests))
        cell_letters = list(compress(letters, is_cell))
        if b"" in cell_letters or not self.placed.keys().isdisjoint(cell_rests):
            rows, columns = self._places_one_by_one(row_tags, row_attributes, letters, rests)
        else:
            rows, columns = self._places(row_tags, row_attributes, cell_letters)
        if not len(rows):
            return Piece()
        codes = np.fromiter(map(self.codes.__getitem__, cell_rests), dtype=np.int8, count=len(cell_rests))
        return self._convert(
            rows, columns, codes, list(compress(values, is_cell)), list(compress(inlines, is_cell)),
            list(compress(bodies, is_cell)),
        )  # fmt: skip

    def _learn(self, rests: set[bytes]) -> None:
        """The type (and, where `r` came later, the column) of each new attribute string."""
        new = rests - self.codes.keys()
        if not new:
            return
        if len(self.codes) + len(new) > _KINDS_KEPT:  # attributes that differ in every cell: keep few
            self.codes.clear()
            self.placed.clear()
            new = rests
        date_styles = self.book.date_styles
        for rest in new:
            value_type, style, column = b"", 0, -1
            for name, value in _ATTRIBUTE.findall(rest):
                if name == b"t":
                    value_type = value
                elif name == b"s":
                    style = int(value) if value.isdigit() else 0
                elif (reference := _CELL_REF.fullmatch(value)) is not None:
                    column = column_index(reference.group(1))
            code = _TYPES.get(value_type, ERROR if value_type == b"e" else TEXT)
            self.codes[rest] = DATE if code == NUMBER and style in date_styles else code
            if column >= 0:
                self.placed[rest] = column

    def _row_numbers(self, row_attributes: list[bytes]) -> np.ndarray:
        """The rows' numbers: their `r`, or one more than the row before where a row has none."""
        found = _ROW_NUMBER.findall(b"\x00".join(row_attributes))  # attributes never hold a NUL
        if len(found) == len(row_attributes):
            return np.array(found, dtype=np.bytes_).astype(np.int64)
        numbers = np.empty(len(row_attributes), dtype=np.int64)
        row = self.row
        for i, attributes in enumerate(row_attributes):
            number = _ROW_NUMBER.search(attributes)
            row = int(number.group(1)) if number else row + 1
            numbers[i] = row
        return numbers

    def _places(self, row_tags, row_attributes, cell_letters) -> tuple[np.ndarray, np.ndarray]:
        """Rows and columns when every cell names its own (r="B7" first): column-wise."""
        count = len(row_tags)
        is_row = np.fromiter(map(bool, row_tags), dtype=bool, count=count)
        row_at = np.flatnonzero(is_row)
        numbers = self._row_numbers(list(compress(row_attributes, is_row.tolist())))
        owner = np.searchsorted(row_at, np.arange(count), side="right") - 1  # the row token before each token
        rows = np.where(owner >= 0, numbers[np.maximum(owner, 0)] if len(numbers) else 0, self.row)[~is_row]
        for letters in set(cell_letters) - self.columns.keys():
            self.columns[letters] = column_index(letters)
        columns = np.fromiter(map(self.columns.__getitem__, cell_letters), dtype=np.int64, count=len(cell_letters))
        if len(numbers):
            self.row = int(numbers[-1])
        self.column = -1 if is_row[-1] else int(columns[-1])
        return rows, columns

    def _places_one_by_one(self, row_tags, row_attributes, letters, rests) -> tuple[np.ndarray, np.ndarray]:
        """Rows and columns cell by cell: a cell without `r` is the one after the previous cell."""
        rows, columns = [], []
        row, column = self.row, self.column
        for row_tag, attributes, cell_letters, rest in zip(row_tags, row_attributes, letters, rests, strict=True):
            if row_tag:
                found = _ROW_NUMBER.search(attributes)
                row, column = (int(found.group(1)) if found else row + 1), -1
                continue
            if cell_letters:
                column = column_index(cell_letters)
            else:
                column = self.placed.get(rest, column + 1)
            rows.append(row)
            columns.append(column)
        self.row, self.column = row, column
        return np.array(rows, dtype=np.int64), np.array(columns, dtype=np.int64)

    def _convert(self, rows, columns, codes, values, inlines, bodies) -> Piece:
        """The cells' texts, a type at a time; the cells that have one."""
        count = len(rows)
        texts = np.full(count, "", dtype=object)
        has_value = np.fromiter(map(bool, values), dtype=bool, count=count)
        has_inline = np.fromiter(map(bool, inlines), dtype=bool, count=count)
        for i in np.flatnonzero(np.fromiter(map(bool, bodies), dtype=bool, count=count)).tolist():
            if codes[i] == INLINE:  # rich text, or a <t xml:space="preserve">: its runs
                texts[i] = inline_text(bodies[i])
            else:  # a formula and its cached value, or a value with a namespace prefix
                found = _VALUE.search(bodies[i])
                values[i] = found.group(1) if found else b""
                has_value[i] = bool(values[i])
        for code in np.unique(codes).tolist():
            inline = code == INLINE
            at = np.flatnonzero((codes == code) & (has_inline if inline else has_value))
            if not len(at):
                continue
            chosen = _pick(inlines if inline else values, at)
            if code == ERROR:
                raise refuse(
                    int(rows[at[0]]),
                    column_letters(int(columns[at[0]])),
                    _("the cell holds the Excel error %s: a formula did not compute (fix it, or paste values)")
                    % decode_text(chosen[0]),
                )
            if code == NUMBER:
                converted = number_texts(
                    chosen, where=lambda k, at=at: (int(rows[at[k]]), column_letters(int(columns[at[k]])))
                )
            elif code == DATE:
                converted = date_texts(chosen, self.book.date1904)
            elif code == SHARED:
                converted = self.book.shared_strings(chosen)
            elif code == BOOL:
                converted = ["true" if raw.strip() == b"1" else "false" for raw in chosen]
            else:
                converted = decode_texts(chosen)
            texts[at] = converted
        kept = np.flatnonzero(texts != "")
        return Piece(rows[kept].tolist(), columns[kept].tolist(), texts[kept].tolist())
