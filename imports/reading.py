"""Opening an import file: CSV or XLSX (or a DataFrame a program has in hand), read in chunks of strings.

- CSV (`csvfile`): UTF-8 (with or without BOM), GB18030/GBK (what Excel on a Chinese Windows writes) or
  UTF-16 with a BOM, decided for certain from the whole file or refused (`encodings`).
- XLSX (`xlsx`): the first sheet, streamed; typed cells become the text a person would have typed
  (13800138000.0 -> "13800138000").
- Each chunk is a DataFrame of strings (never NaN) whose index holds the line numbers people see.

Nothing holds a whole file: a chunk is at most `chunk_rows` rows and about `limits.CHUNK_BYTES` of text,
and the limits (`limits.Limits`, settings) bound the file, its rows, columns, cells and header. A file past
one is refused with ImportFileError naming it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
from django.utils.translation import gettext as _

from .csvfile import open_csv
from .limits import (
    CHUNK_BYTES,
    Limits,
    cell_too_long,
    file_too_large,
    header_too_long,
    refuse,
    too_many_columns,
    too_many_rows,
)
from .table import Table, cell_text, drop_empty_rows, normalise_header
from .xlsx import Piece, Workbook
from .xlsx_cells import column_letters

_READ_BLOCK = 1 << 20


def _source_path(source) -> Path | None:
    if isinstance(source, (str, os.PathLike)):
        return Path(source)
    name = getattr(source, "temporary_file_path", None)
    if name:
        return Path(name())
    return None


def _read_bytes_blocks(source) -> Iterator[bytes]:
    path = _source_path(source)
    if path is not None:
        with open(path, "rb") as handle:
            while block := handle.read(_READ_BLOCK):
                yield block
    else:
        source.seek(0)
        while block := source.read(_READ_BLOCK):
            yield block
        source.seek(0)


def _source_size(source) -> int:
    path = _source_path(source)
    if path is not None:
        return path.stat().st_size
    source.seek(0, os.SEEK_END)
    size = source.tell()
    source.seek(0)
    return size


def _is_xlsx(source, name: str | None) -> bool:
    head = next(_read_bytes_blocks(source), b"")[:4]
    suffix = Path(name or str(_source_path(source) or "")).suffix.lower()
    return head == b"PK\x03\x04" or suffix in (".xlsx", ".xlsm")


def open_table(source, *, name: str | None = None, limits: Limits | None = None) -> Table:
    """Open an import file: a path or binary file object (CSV or XLSX), or a pandas DataFrame.

    A DataFrame is what a program has in hand (the demo data, a test): its columns are the header and its
    values are turned into text the way typed spreadsheet cells are.
    """
    if isinstance(source, pd.DataFrame):
        return _open_frame(source)
    limits = limits or Limits.from_settings()
    size = _source_size(source)
    if size > limits.max_file_bytes:
        raise file_too_large(size, limits)
    if _is_xlsx(source, name):
        return _open_xlsx(source, limits)
    return open_csv(lambda: _read_bytes_blocks(source), limits)


def _open_xlsx(source, limits: Limits) -> Table:
    path = _source_path(source)
    book = Workbook(str(path) if path is not None else source, limits)
    header_line, names = _xlsx_header(book, limits)
    header = normalise_header(names)
    width = len(header)

    def chunks(chunk_rows: int) -> Iterator[pd.DataFrame]:
        pending = _Pending()
        for piece in book.pieces():
            start = _after_line(piece, header_line)
            if start < len(piece.rows):
                pending.add(piece, start, _check_piece(piece, start, header_line, width, limits))
            # Whole rows only (a piece may end inside a row): chunk_rows of them, or fewer when their text
            # passes CHUNK_BYTES.
            while (frame := pending.take(chunk_rows, header)) is not None:
                yield frame
        if (frame := pending.take(chunk_rows, header, last=True)) is not None:
            yield frame

    return Table(header=header, rows_estimate=max(book.last_row - header_line, 0), chunks=chunks, format="xlsx")


def _xlsx_header(book: Workbook, limits: Limits) -> tuple[int, list[str]]:
    """The first row with a value: its line, and its names up to the last one that is not empty."""
    line, cells, chars = 0, {}, 0
    for piece in book.pieces():
        for row, column, text in zip(piece.rows, piece.columns, piece.texts, strict=True):
            if line and row != line:
                return line, _names(cells)
            line = row
            if column >= limits.max_columns:
                raise too_many_columns(column + 1, limits, line)
            cells[column] = text
            chars += len(text) + 1
            if chars > limits.max_header_chars:
                raise header_too_long(limits, line)
    if not line:
        raise refuse(1, "", _("the file is empty: line 1 must be the header"))
    return line, _names(cells)


def _names(cells: dict[int, str]) -> list[str]:
    names = [""] * (max(cells) + 1)
    for column, text in cells.items():
        names[column] = text
    return names


def _after_line(piece: Piece, line: int) -> int:
    """The index of the first cell of `piece` below `line` (cells come in sheet order)."""
    rows = piece.rows
    if not rows or rows[0] > line:
        return 0
    return int(np.searchsorted(np.asarray(rows), line, side="right"))


def _check_piece(piece: Piece, start: int, header_line: int, width: int, limits: Limits) -> int:
    """Refuse a value beyond the header's columns, a row past IMPORT_MAX_ROWS or a cell past
    IMPORT_MAX_CELL_CHARS; return the piece's characters."""
    rows, columns = np.asarray(piece.rows[start:]), np.asarray(piece.columns[start:])
    lengths = np.fromiter(map(len, piece.texts[start:]), dtype=np.int64, count=len(rows))
    if rows[-1] - header_line > limits.max_rows:
        raise too_many_rows(header_line + limits.max_rows + 1, limits)
    beyond = np.flatnonzero(columns >= width)
    if len(beyond):
        at = beyond[0]
        raise refuse(
            int(rows[at]), column_letters(int(columns[at])), _("the row has values beyond the last header column")
        )
    over = np.flatnonzero(lengths > limits.max_cell_chars)
    if len(over):
        raise cell_too_long(int(rows[over[0]]), column_letters(int(columns[over[0]])), limits)
    return int(lengths.sum())


class _Pending:
    """Cells read but not yet handed out, with where each row begins among them."""

    def __init__(self):
        self.rows: list[int] = []
        self.columns: list[int] = []
        self.texts: list[str] = []
        self.starts: list[int] = []  # the position in `rows` where each row begins
        self.chars = 0

    def add(self, piece: Piece, start: int, chars: int) -> None:
        rows = np.asarray(piece.rows[start:])
        begins = np.flatnonzero(np.diff(rows, prepend=self.rows[-1] if self.rows else -1)) + len(self.rows)
        self.starts += begins.tolist()
        self.rows += piece.rows[start:]
        self.columns += piece.columns[start:]
        self.texts += piece.texts[start:]
        self.chars += chars

    def take(self, chunk_rows: int, header: list[str], last: bool = False) -> pd.DataFrame | None:
        """The next chunk_rows whole rows (fewer when their text passes CHUNK_BYTES, or at the end);
        None while there are not enough. The last row pending may continue in the next piece."""
        if len(self.starts) > chunk_rows:
            cut = self.starts[chunk_rows]
        elif last and self.rows:
            cut = len(self.rows)
        elif self.chars >= CHUNK_BYTES and len(self.starts) > 1:
            cut = self.starts[-1]
        else:
            return None
        frame = _frame(self.rows[:cut], self.columns[:cut], self.texts[:cut], header)
        self.chars -= sum(map(len, self.texts[:cut]))
        del self.rows[:cut], self.columns[:cut], self.texts[:cut]
        self.starts = [start - cut for start in self.starts if start >= cut]
        return frame


def _frame(rows: list[int], columns: list[int], texts: list[str], header: list[str]) -> pd.DataFrame:
    lines, position = np.unique(np.asarray(rows), return_inverse=True)
    grid = np.full((len(lines), len(header)), "", dtype=object)
    values = np.empty(len(texts), dtype=object)
    values[:] = texts
    grid[position, np.asarray(columns, dtype=np.int64)] = values
    return pd.DataFrame(grid, columns=header, index=pd.Index(lines, dtype=np.int64), dtype=object)


def _open_frame(source: pd.DataFrame) -> Table:
    header = normalise_header(source.columns)

    def chunks(chunk_rows: int) -> Iterator[pd.DataFrame]:
        for offset in range(0, len(source), chunk_rows):
            frame = source.iloc[offset : offset + chunk_rows].copy()
            frame.columns = header
            frame.index = pd.RangeIndex(2 + offset, 2 + offset + len(frame))
            for column in frame.columns:
                values = frame[column]
                if pd.api.types.infer_dtype(values, skipna=False) != "string":
                    values = values.astype(object).where(values.notna(), "").map(cell_text)
                frame[column] = values.astype(str)
            frame = drop_empty_rows(frame)
            if len(frame):
                yield frame

    return Table(header=header, rows_estimate=len(source), chunks=chunks, format="dataframe")
