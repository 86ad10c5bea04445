"""Opening an import file: CSV or XLSX (or a DataFrame a program has in hand), read in chunks of strings.

- CSV in UTF-8 (with or without BOM), GB18030/GBK (what Excel on a Chinese Windows writes), UTF-16 or,
  failing those, whatever charset-normalizer recognises; the whole file is checked, never a sample.
- XLSX via python-calamine, turning typed cells into the text a person would have typed
  (13800138000.0 -> "13800138000").
- Each chunk is a DataFrame of strings (never NaN) whose index holds the line numbers people see.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from django.utils.translation import gettext as _

from .report import ImportFileError, RowError

_READ_BLOCK = 1 << 20


@dataclass
class Table:
    """An open import file: its header and an iterator over chunks of rows.

    Each chunk is a DataFrame of strings (never NaN) whose index holds the line numbers. Entirely empty
    rows are dropped (they are not data), but line numbers still count them.
    """

    header: list[str]
    rows_estimate: int
    chunks: Callable[[int], Iterator[pd.DataFrame]]
    encoding: str | None = None
    format: str = "csv"


def _normalise_header(names: Iterable) -> list[str]:
    return [str(name).replace("\ufeff", "").strip().lower() for name in names]


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


def _decodes_as(source, encoding: str) -> tuple[bool, int]:
    """Whether the whole file decodes strictly in `encoding`, and how many newlines it has."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    newlines = 0
    try:
        for block in _read_bytes_blocks(source):
            decoder.decode(block)
            newlines += block.count(b"\n")
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False, newlines
    return True, newlines


def detect_encoding(source) -> tuple[str, int]:
    """The text encoding of a CSV file and its number of newlines (a cheap row count for progress).

    The whole file is checked, not a sample: a GBK name on line 900,000 must not be garbled because the
    first megabyte happened to be ASCII.
    """
    head = next(_read_bytes_blocks(source), b"")
    if head.startswith(codecs.BOM_UTF8):
        ok, newlines = _decodes_as(source, "utf-8-sig")
        if ok:
            return "utf-8-sig", newlines
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Excel's "Unicode text": UTF-16 with a BOM; two bytes per newline.
        return "utf-16", head.count("\n".encode("utf-16-le"))
    for encoding in ("utf-8", "gb18030"):
        ok, newlines = _decodes_as(source, encoding)
        if ok:
            return encoding, newlines
    from charset_normalizer import from_bytes

    best = from_bytes(b"".join(_first_blocks(source, 4))).best()
    if best is not None:
        ok, newlines = _decodes_as(source, best.encoding)
        if ok:
            return best.encoding, newlines
    raise ImportFileError([RowError(1, "", _("the file is not text in UTF-8 or GB18030 (save it as CSV UTF-8)"))])


def _first_blocks(source, count: int) -> list[bytes]:
    blocks = []
    for block in _read_bytes_blocks(source):
        blocks.append(block)
        if len(blocks) == count:
            break
    return blocks


def _is_xlsx(source, name: str | None) -> bool:
    head = next(_read_bytes_blocks(source), b"")[:4]
    suffix = Path(name or str(_source_path(source) or "")).suffix.lower()
    return head == b"PK\x03\x04" or suffix in (".xlsx", ".xlsm")


def open_table(source, *, name: str | None = None) -> Table:
    """Open an import file: a path or binary file object (CSV or XLSX), or a pandas DataFrame.

    A DataFrame is what a program has in hand (the demo data, a test): its columns are the header and its
    values are turned into text the way typed spreadsheet cells are.
    """
    if isinstance(source, pd.DataFrame):
        return _open_frame(source)
    if _is_xlsx(source, name):
        return _open_xlsx(source)
    return _open_csv(source)


def _open_csv(source) -> Table:
    encoding, newlines = detect_encoding(source)
    path = _source_path(source)

    def text_stream():
        if path is not None:
            return open(path, encoding=encoding, newline="")
        source.seek(0)
        return io.TextIOWrapper(source, encoding=encoding, newline="")

    handle = text_stream()
    first_line = handle.readline()
    if path is None:
        handle.detach()  # leave the caller's file object open
    else:
        handle.close()
    if not first_line.strip():
        raise ImportFileError([RowError(1, "", _("the file is empty: line 1 must be the header"))])
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    header = _normalise_header(next(csv.reader([first_line], delimiter=delimiter)))

    def chunks(chunk_rows: int) -> Iterator[pd.DataFrame]:
        handle = text_stream()
        try:
            reader = pd.read_csv(
                handle,
                sep=delimiter,
                header=0,
                names=header if len(set(header)) == len(header) else None,
                index_col=False,
                dtype=object,
                keep_default_na=False,
                na_filter=False,
                skip_blank_lines=False,
                chunksize=chunk_rows,
                engine="c",
            )
            start_line = 2
            while True:
                try:
                    frame = next(reader)
                except StopIteration:
                    return
                except pd.errors.ParserError as exc:
                    error = RowError(_parser_error_line(exc), "", _parser_message(exc))
                    raise ImportFileError([error]) from None
                frame.index = pd.RangeIndex(start_line, start_line + len(frame))
                start_line += len(frame)
                frame = _drop_empty_rows(frame)  # na_filter=False: missing values are "", never NaN
                if len(frame):
                    yield frame
        finally:
            if path is None and isinstance(handle, io.TextIOWrapper):
                handle.detach()
            else:
                handle.close()

    # Rows ≈ newlines − the header's (a final newline or a quoted newline makes it approximate).
    return Table(header=header, rows_estimate=max(newlines - 1, 0), chunks=chunks, encoding=encoding)


def _parser_error_line(exc: Exception) -> int:
    match = re.search(r"line (\d+)", str(exc))
    return int(match.group(1)) if match else 0


def _parser_message(exc: Exception) -> str:
    match = re.search(r"Expected (\d+) fields in line \d+, saw (\d+)", str(exc))
    if match:
        return _("the row has %(saw)s fields but the header has %(expected)s (a comma in an unquoted value?)") % {
            "saw": match.group(2),
            "expected": match.group(1),
        }
    return _("the file is not valid CSV (%s)") % exc


def _drop_empty_rows(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        return frame
    empty = np.ones(len(frame), dtype=bool)
    for column in frame.columns:
        empty &= (frame[column] == "").to_numpy()
        if not empty.any():
            return frame
    return frame[~empty]


def _open_xlsx(source) -> Table:
    from python_calamine import CalamineWorkbook

    path = _source_path(source)
    try:
        if path is not None:
            workbook = CalamineWorkbook.from_path(str(path))
        else:
            source.seek(0)
            workbook = CalamineWorkbook.from_filelike(source)
        grid = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises its own error types for broken files
        raise ImportFileError([RowError(1, "", _("the file is not a readable XLSX workbook (%s)") % exc)]) from exc
    header_index = next((i for i, row in enumerate(grid) if any(cell != "" for cell in row)), None)
    if header_index is None:
        raise ImportFileError([RowError(1, "", _("the file is empty: line 1 must be the header"))])
    raw_header = grid[header_index]
    while raw_header and raw_header[-1] == "":
        raw_header = raw_header[:-1]
    header = _normalise_header(_cell_text(cell) for cell in raw_header)
    first_line = header_index + 2
    body = grid[header_index + 1 :]
    width = len(header)

    def chunks(chunk_rows: int) -> Iterator[pd.DataFrame]:
        for offset in range(0, len(body), chunk_rows):
            rows = body[offset : offset + chunk_rows]
            for row_offset, row in enumerate(rows):
                if len(row) > width and any(cell != "" for cell in row[width:]):
                    line = first_line + offset + row_offset
                    raise ImportFileError([RowError(line, "", _("the row has values beyond the last header column"))])
            frame = pd.DataFrame([row[:width] for row in rows], columns=header, dtype=object)
            frame.index = pd.RangeIndex(first_line + offset, first_line + offset + len(rows))
            for column in frame.columns:
                values = frame[column].tolist()
                if not all(type(v) is str for v in values):
                    frame[column] = np.array([v if type(v) is str else _cell_text(v) for v in values], dtype=object)
            frame = _drop_empty_rows(frame)
            if len(frame):
                yield frame

    return Table(header=header, rows_estimate=len(body), chunks=chunks, format="xlsx")


def _open_frame(source: pd.DataFrame) -> Table:
    header = _normalise_header(source.columns)

    def chunks(chunk_rows: int) -> Iterator[pd.DataFrame]:
        for offset in range(0, len(source), chunk_rows):
            frame = source.iloc[offset : offset + chunk_rows].copy()
            frame.columns = header
            frame.index = pd.RangeIndex(2 + offset, 2 + offset + len(frame))
            for column in frame.columns:
                values = frame[column]
                if pd.api.types.infer_dtype(values, skipna=False) != "string":
                    values = values.astype(object).where(values.notna(), "").map(_cell_text)
                frame[column] = values.astype(str)
            frame = _drop_empty_rows(frame)
            if len(frame):
                yield frame

    return Table(header=header, rows_estimate=len(source), chunks=chunks, format="dataframe")


def _cell_text(value) -> str:
    """A typed spreadsheet cell as the text a person would have typed into a CSV."""
    if type(value) is float:
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))  # a phone or an id stored as a number: 13800138000.0 -> 13800138000
        text = repr(value)
        rounded = round(value, 6)
        if abs(value - rounded) < 1e-9:  # 0.30000000000000004 (float noise from a formula) -> 0.3
            text = format(rounded, "f").rstrip("0").rstrip(".")
        return text
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value).strip()
