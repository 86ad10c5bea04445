"""Reading and checking import files (CSV or XLSX), chunk by chunk and column by column.

The importers (`members/importers.py`, `campaigns/importers.py`) describe their columns and call the
helpers here. Everything is set-wise with pandas: a 1M-row file is read in chunks of strings, each check
is a vectorised operation over a chunk, and Python objects are made only for the rows that are wrong
(they go into the error report). See DESIGN.md, "Stable interfaces", for the file formats.

- `open_table()` reads CSV in UTF-8 (with or without BOM), GB18030/GBK (what Excel on a Chinese Windows
  writes), UTF-16 or, failing those, whatever charset-normalizer recognises; or XLSX via python-calamine,
  turning typed cells into the text a person would have typed (13800138000.0 -> "13800138000").
- Line numbers are those a person sees: the header is line 1, the first data row line 2 (for XLSX the
  sheet's own row numbers).
- `ChunkCheck` collects `RowError`s (line, column, message) and marks bad rows; `ImportReport` is the
  result every importer returns and every interface (command, page, task) shows.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import os
import pickle
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from django.conf import settings
from django.core.management.base import no_translations
from django.db import connection
from django.utils.translation import gettext as _

# Rows read and checked at a time. 50k rows of an orders file hold ~30 MB of Python strings; larger
# chunks are not faster (measured), smaller ones make more round trips to the database.
DEFAULT_CHUNK_ROWS = 50_000


def chunk_rows_setting() -> int:
    """settings.IMPORT_CHUNK_ROWS if a deployment (or a test) sets it, else DEFAULT_CHUNK_ROWS."""
    return int(getattr(settings, "IMPORT_CHUNK_ROWS", DEFAULT_CHUNK_ROWS))


# An import keeps this many errors in its report (the count of invalid rows is always exact), so a
# completely wrong 1M-row file cannot fill memory or the ImportJob row.
MAX_ERRORS = 10_000
MONEY_INTEGER_DIGITS = 10  # MoneyField is Decimal(12, 2)
_READ_BLOCK = 1 << 20


class ImportFileError(Exception):
    """The file as a whole cannot be imported (unreadable, wrong header); carries the errors to report."""

    def __init__(self, errors: Sequence[RowError]):
        self.errors = list(errors)
        super().__init__("; ".join(str(error) for error in self.errors))


@dataclass(frozen=True, order=True)
class RowError:
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        if self.column:
            return _("line %(line)d, column %(column)s: %(message)s") % {
                "line": self.line,
                "column": self.column,
                "message": self.message,
            }
        return _("line %(line)d: %(message)s") % {"line": self.line, "message": self.message}


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do). Counts are rows; `errors` is capped at MAX_ERRORS."""

    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    invalid: int = 0
    errors: list[RowError] = field(default_factory=list)
    errors_omitted: int = 0
    dry_run: bool = False
    skip_invalid: bool = False
    written: bool = False

    @property
    def ok(self) -> bool:
        """True when the import may be (or was) written: no invalid row, or invalid rows are skipped."""
        return not self.invalid or self.skip_invalid

    def add_errors(self, errors: Iterable[RowError]) -> None:
        for error in errors:
            if len(self.errors) < MAX_ERRORS:
                self.errors.append(error)
            else:
                self.errors_omitted += 1

    def summary(self) -> str:
        text = _("created %(created)d, updated %(updated)d, unchanged %(unchanged)d, invalid %(invalid)d") % {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "invalid": self.invalid,
        }
        if self.dry_run:
            text += " " + _("(dry run: nothing written)")
        elif not self.written:
            text += " " + _("(nothing written)")
        return text

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "invalid": self.invalid,
            "errors": [[e.line, e.column, e.message] for e in self.errors],
            "errors_omitted": self.errors_omitted,
            "dry_run": self.dry_run,
            "skip_invalid": self.skip_invalid,
            "written": self.written,
        }

    @classmethod
    def from_dict(cls, data: dict) -> ImportReport:
        values = {key: data[key] for key in cls.__dataclass_fields__ if key in data and key != "errors"}
        return cls(**values, errors=[RowError(*error) for error in data.get("errors", [])])


@dataclass(frozen=True)
class TableSpec:
    """The columns a kind of file may have; `required` columns must be present and non-empty."""

    columns: tuple[str, ...]
    required: tuple[str, ...]

    def check_header(self, header: Sequence[str]) -> None:
        errors = []
        seen = set()
        for name in header:
            if name in seen:
                errors.append(RowError(1, name, _("the column appears twice")))
            elif name not in self.columns:
                errors.append(RowError(1, name or "?", _("unknown column (expected: %s)") % ", ".join(self.columns)))
            seen.add(name)
        for name in self.required:
            if name not in seen:
                errors.append(RowError(1, name, _("required column is missing")))
        if errors:
            raise ImportFileError(errors)


# ---------------------------------------------------------------------------------------------- reading


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


# ---------------------------------------------------------------------------------------------- checking

# Checks run on numpy's variable-width strings: np.strings.* are C loops over a whole column, about six
# times faster than pandas' .str methods on Python strings (measured: 0.1 vs 0.6 µs a value).
TEXT = np.dtypes.StringDType()


class ChunkCheck:
    """Checks over one chunk: each failing check marks rows bad and records (line, column, message).

    Values are trimmed of surrounding spaces (hand-edited files have them). `objects(name)` gives a
    column as Python strings (for lookups and for writing), `text(name)` as a numpy string array (for
    the vectorised checks); a column the file does not have reads as empty strings.
    """

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        self.size = len(frame)
        self.lines = frame.index.to_numpy()
        self.bad = np.zeros(self.size, dtype=bool)
        self._errors: list[RowError] = []
        self._objects: dict[str, np.ndarray] = {}
        self._text: dict[str, np.ndarray] = {}

    def _load(self, name: str) -> None:
        if name not in self.frame:
            self._objects[name] = np.full(self.size, "", dtype=object)
            self._text[name] = np.full(self.size, "", dtype=TEXT)
            return
        objects = self.frame[name].to_numpy(dtype=object)
        text = objects.astype(TEXT)
        stripped = np.strings.strip(text)
        if (stripped != text).any():
            text, objects = stripped, stripped.astype(object)
        self._objects[name], self._text[name] = objects, text

    def objects(self, name: str) -> np.ndarray:
        if name not in self._objects:
            self._load(name)
        return self._objects[name]

    def text(self, name: str) -> np.ndarray:
        if name not in self._text:
            self._load(name)
        return self._text[name]

    def empty(self, name: str) -> np.ndarray:
        return self.text(name) == ""

    def fail(self, mask, column: str, message) -> None:
        """Mark rows where `mask` is true and say why.

        `message` is a string, a callable of the row's value, or an array with one message per row.
        """
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        self.bad |= mask
        positions = np.flatnonzero(mask)
        if isinstance(message, np.ndarray):
            texts = message[positions].tolist()
        elif callable(message):
            texts = [message(value) for value in self.objects(column)[positions].tolist()]
        else:
            texts = [message] * len(positions)
        lines = self.lines[positions].tolist()
        self._errors.extend(RowError(line, column, text) for line, text in zip(lines, texts, strict=True))

    def errors(self) -> list[RowError]:
        """The chunk's errors by line, then in the order the checks ran."""
        return sorted(self._errors, key=lambda error: error.line)

    def required(self, name: str) -> None:
        self.fail(self.empty(name), name, _("a value is required"))

    def max_length(self, name: str, length: int) -> None:
        if name in self.frame:
            too_long = np.strings.str_len(self.text(name)) > length
            self.fail(too_long, name, _("longer than %d characters") % length)

    def choice(self, name: str, choices: Sequence[str], default: str, message) -> np.ndarray:
        """Lower-cased values (empty -> `default`) as Python strings; values not in `choices` fail."""
        text = self.text(name)
        known = np.zeros(self.size, dtype=bool)
        for choice in choices:
            known |= text == choice
        if known.all():  # the usual case: nothing to lower-case or fill in
            return self.objects(name)
        values = np.strings.lower(text)
        values = np.where(values == "", default, values)
        known = np.zeros(self.size, dtype=bool)
        for choice in choices:
            known |= values == choice
        self.fail(~known, name, message)
        return values.astype(object)

    def lookup(self, name: str, ids: dict[str, int], message) -> np.ndarray:
        """Codes to database ids (0 for empty); unknown non-empty codes fail.

        A plain dict: with the strings' cached hashes a lookup is ~1 µs, twice as fast as pandas' Index.
        """
        empty = self.empty(name)
        if empty.all():
            return np.zeros(self.size, dtype=np.int64)
        result = np.fromiter(map(ids.get, self.objects(name).tolist(), repeat(0)), dtype=np.int64, count=self.size)
        self.fail((result == 0) & ~empty, name, message)
        return result

    def money(self, name: str) -> np.ndarray:
        """Check amounts (see money_parse); returns them as 'I.FF' text ('' where invalid)."""
        cents, invalid = money_parse(self.objects(name))
        self.fail(invalid, name, money_message)
        canonical = cents_text(cents).astype(object)
        canonical[invalid] = ""
        return canonical

    def cents(self, name: str) -> np.ndarray:
        """Check amounts (see money_parse); returns them as integer cents (0 where invalid)."""
        cents, invalid = money_parse(self.objects(name))
        self.fail(invalid, name, money_message)
        return cents

    def datetimes(self, name: str, *, tz: str | None = None) -> np.ndarray:
        """Check and parse dates/datetimes (see parse_datetimes); returns UTC datetime64[us], NaT if empty."""
        values, invalid = parse_datetimes(self.objects(name), self.text(name), tz=tz)
        self.fail(invalid, name, datetime_message)
        return values

    def duplicates(self, name: str, seen: SeenKeys) -> None:
        """Fail every row whose key appeared on an earlier line of the file (in this chunk or before)."""
        first = seen.check(self.objects(name), self.lines)
        duplicate = (first > 0) & ~self.empty(name)
        if duplicate.any():
            messages = np.full(self.size, "", dtype=object)
            messages[duplicate] = [
                _("duplicate %(column)s: first on line %(line)d") % {"column": name, "line": line}
                for line in first[duplicate].tolist()
            ]
            self.fail(duplicate, name, messages)


def quoted(value) -> str:
    text = str(value)
    return f"“{text[:60]}…”" if len(text) > 60 else f"“{text}”"


_MONEY_RE = re.compile(rf"0*(\d{{1,{MONEY_INTEGER_DIGITS}}})(?:\.(\d{{1,2}}))?")


def money_parse(objects: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Amounts as integer cents, and the mask of invalid non-empty values (empty is 0; invalid gives 0).

    Checked as text, exactly (never through a float): digits, at most two decimals, ≥ 0 (no sign).
    """
    if not len(objects):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
    try:
        # ASCII bytes make isdigit() mean 0-9 only (a full-width '１' is a digit to str.isdigit).
        raw = objects.astype(np.bytes_)
    except UnicodeEncodeError:
        return _money_parse_slow(objects)
    if raw.dtype.itemsize == 0:  # every value empty
        return np.zeros(len(objects), dtype=np.int64), np.zeros(len(objects), dtype=bool)
    before, separator, after = (_at_least_one_byte(part) for part in np.strings.partition(raw, b"."))
    integer = np.strings.lstrip(before, b"0")
    ok = (raw == b"") | (
        np.strings.isdigit(before)
        & (np.strings.str_len(integer) <= MONEY_INTEGER_DIGITS)
        & ((separator == b"") | (np.strings.isdigit(after) & (np.strings.str_len(after) <= 2)))
    )
    integer = np.where(ok & (integer != b""), integer, b"0")
    fraction = np.where(ok, np.strings.ljust(after, 2, b"0"), b"00")
    return integer.astype(np.int64) * 100 + fraction.astype(np.int64), ~ok


def _at_least_one_byte(values: np.ndarray) -> np.ndarray:
    # numpy's string functions misbehave on zero-width ('S0') arrays, which an all-empty part gives.
    return values if values.dtype.itemsize else values.astype("S1")


def _money_parse_slow(objects: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    cents = np.zeros(len(objects), dtype=np.int64)
    invalid = np.zeros(len(objects), dtype=bool)
    for i, value in enumerate(objects.tolist()):
        match = _MONEY_RE.fullmatch(value) if value.isascii() else None
        if value == "":
            continue
        if match is None:
            invalid[i] = True
        else:
            cents[i] = int(match.group(1)) * 100 + int((match.group(2) or "").ljust(2, "0"))
    return cents, invalid


def cents_text(cents: np.ndarray) -> np.ndarray:
    """Integer cents as 'I.FF' strings (a numpy string array), the exact text of the Decimal(12, 2)."""
    whole = (cents // 100).astype(np.str_)
    fraction = np.strings.zfill((cents % 100).astype(np.str_), 2)
    return np.strings.add(np.strings.add(whole, "."), fraction)


def money_message(value) -> str:
    return _("%s is not an amount: a number ≥ 0 with at most two decimals, e.g. 1234.50") % quoted(value)


_SLASH_FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d")


def parse_datetimes(objects: np.ndarray, text: np.ndarray | None = None, *, tz: str | None = None):
    """Parse ISO 8601 dates and datetimes; returns (UTC datetime64[us] array, mask of invalid non-empty values).

    A value without an offset is local time of `tz` (settings.TIME_ZONE); a date alone is 00:00 local.
    Empty values give NaT and are not invalid. Excel's "2026/3/5 14:30" is accepted too.
    """
    tz = tz or settings.TIME_ZONE
    if text is None:
        text = objects.astype(TEXT)
    n = len(objects)
    result = np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")
    if n == 0:
        return result, np.zeros(0, dtype=bool)
    filled = text != ""
    # An offset is a Z or a sign after the date part ("2026-03-05T10:00:00+08:00"); the date's own
    # dashes are in its first ten characters.
    offset = filled & (
        (np.strings.find(text, "+", 10) >= 0)
        | (np.strings.find(text, "-", 10) >= 0)
        | np.strings.endswith(text, "Z")
        | np.strings.endswith(text, "z")
    )
    naive = filled & ~offset
    if naive.any():
        parsed = pd.to_datetime(objects[naive], format="ISO8601", errors="coerce")
        missing = np.asarray(parsed.isna())
        if missing.any():
            parsed = pd.DatetimeIndex(parsed).to_numpy().astype("datetime64[us]")
            parsed[missing] = _parse_slash_formats(objects[naive][missing])
            parsed = pd.DatetimeIndex(parsed)
        localized = pd.DatetimeIndex(parsed).tz_localize(ZoneInfo(tz), ambiguous="NaT", nonexistent="NaT")
        result[naive] = localized.tz_convert("UTC").tz_localize(None).to_numpy().astype("datetime64[us]")
    if offset.any():
        parsed = pd.to_datetime(objects[offset], format="ISO8601", errors="coerce", utc=True)
        result[offset] = pd.DatetimeIndex(parsed).tz_localize(None).to_numpy().astype("datetime64[us]")
    # "2026" or "3" are not dates even if a parser would take them for a year.
    invalid = filled & (np.isnat(result) | (np.strings.str_len(text) < 8))
    result[invalid] = np.datetime64("NaT")
    return result, invalid


def _parse_slash_formats(objects: np.ndarray) -> np.ndarray:
    parsed = np.full(len(objects), np.datetime64("NaT"), dtype="datetime64[us]")
    for fmt in _SLASH_FORMATS:
        todo = np.isnat(parsed)
        if not todo.any():
            break
        parsed[todo] = pd.to_datetime(objects[todo], format=fmt, errors="coerce").to_numpy().astype("datetime64[us]")
    return parsed


def datetime_message(value) -> str:
    return _("%s is not a date or time: use ISO 8601, e.g. 2026-03-05 or 2026-03-05 14:30:00") % quoted(value)


class SeenKeys:
    """Keys already seen in earlier chunks, to find duplicates across a whole file in little memory.

    Keys are kept as 64-bit hashes with their line numbers, in sorted arrays per chunk (16 bytes a row:
    16 MB for a million rows, instead of ~100 MB for a set of strings). A hash collision between two
    different keys is possible in theory (about 1 in 10^7 for a billion-row file) and would be reported
    as a duplicate; it cannot make a real duplicate go unnoticed.
    """

    def __init__(self) -> None:
        self._hashes: list[np.ndarray] = []
        self._lines: list[np.ndarray] = []

    def check(self, objects: np.ndarray, lines: np.ndarray) -> np.ndarray:
        """Return, per row, the line where the key appeared first (0 if new); then remember the new keys."""
        # Python's own string hash: a C loop, and strings cache it (the lookups hash them anyway).
        hashes = np.fromiter(map(hash, objects), dtype=np.int64, count=len(objects))
        first = np.zeros(len(hashes), dtype=np.int64)
        for seen_hashes, seen_lines in zip(self._hashes, self._lines, strict=True):
            pos = np.minimum(np.searchsorted(seen_hashes, hashes), len(seen_hashes) - 1)
            hit = (seen_hashes[pos] == hashes) & (first == 0)
            first[hit] = seen_lines[pos[hit]]
        # Duplicates inside this chunk: a repeat points at its group's first row, or at the line that
        # row itself repeats.
        order = np.argsort(hashes, kind="stable")
        sorted_hashes = hashes[order]
        repeat = np.zeros(len(hashes), dtype=bool)
        repeat[1:] = sorted_hashes[1:] == sorted_hashes[:-1]
        if repeat.any():
            group_start = order[np.maximum.accumulate(np.where(~repeat, np.arange(len(hashes)), 0))]
            origin = np.where(first[group_start] != 0, first[group_start], lines[group_start])
            first[order[repeat]] = origin[repeat]
        keep = order[~repeat]  # one entry per distinct hash of the chunk, in hash order
        keep = keep[first[keep] == 0]
        self._hashes.append(hashes[keep])
        self._lines.append(lines[keep])
        # Merge runs of similar size (as an LSM tree does): a few sorted arrays to search, not one per chunk.
        while len(self._hashes) > 1 and len(self._hashes[-2]) <= 2 * len(self._hashes[-1]):
            merged_hashes = np.concatenate(self._hashes[-2:])
            merged_lines = np.concatenate(self._lines[-2:])
            merge = np.argsort(merged_hashes, kind="stable")  # two sorted runs: timsort merges them in O(n)
            self._hashes[-2:] = [merged_hashes[merge]]
            self._lines[-2:] = [merged_lines[merge]]
        return first


# ---------------------------------------------------------------------------------------------- writing


def db_datetimes(values: np.ndarray) -> list:
    """UTC datetime64 values as the database's own text for them (None for NaT), for raw bulk SQL.

    SQLite stores Django datetimes as text and compares them as text, so the format must be exactly
    Django's ('YYYY-MM-DD HH:MM:SS[.ffffff]', UTC); PostgreSQL gets the same with an explicit +00:00.
    """
    values = values.astype("datetime64[us]")
    missing = np.isnat(values)
    seconds = values.astype("datetime64[s]")
    text = np.datetime_as_string(seconds, unit="s")
    fraction = (values - seconds).astype(np.int64)
    if (fraction[~missing] != 0).any():
        text = np.where(fraction != 0, np.datetime_as_string(values, unit="us"), text)
    text = np.ascontiguousarray(text)
    if len(text) and text.dtype.itemsize >= 11 * 4:
        # 'YYYY-MM-DDTHH:MM:SS' -> 'YYYY-MM-DD HH:MM:SS' in place: a str array is fixed-width UCS-4.
        codes = text.view(np.uint32).reshape(len(text), -1)
        codes[:, 10] = np.where(codes[:, 10] == ord("T"), ord(" "), codes[:, 10])
    strings = text.tolist()
    if connection.vendor != "sqlite":
        strings = [s + "+00:00" for s in strings]
    if missing.any():
        strings = [None if m else s for s, m in zip(strings, missing.tolist(), strict=True)]
    return strings


def db_datetime(value: dt.datetime):
    """One aware datetime as a raw-SQL parameter (what Django itself would send)."""
    return connection.ops.adapt_datetimefield_value(value)


def quote(name: str) -> str:
    return connection.ops.quote_name(name)


class Spill:
    """Checked rows parked in a temporary file between checking and writing, so memory stays flat.

    Each `add()` pickles one batch (numpy arrays: a few MB for 50k rows); iterating reads them back in order.
    """

    def __enter__(self) -> Spill:
        self.file = tempfile.TemporaryFile(prefix="communityops-import-")
        self.rows = 0
        self.batches = 0
        return self

    def add(self, batch) -> None:
        pickle.dump(batch, self.file, protocol=pickle.HIGHEST_PROTOCOL)
        self.rows += len(batch)
        self.batches += 1

    def __iter__(self) -> Iterator:
        self.file.seek(0)
        for _batch in range(self.batches):
            yield pickle.load(self.file)  # our own temporary file

    def __exit__(self, *exc_info) -> None:
        self.file.close()


# SQLite's page cache during a bulk load (KiB). The default 2 MB makes every index insert of a million-row
# load miss the cache; 128 MB keeps the indexes being built in memory (measured: 60 s -> 20 s of CPU).
SQLITE_BULK_CACHE_KIB = 128 * 1024


@contextmanager
def sqlite_bulk_load(model, *, drop_indexes: bool) -> Iterator[None]:
    """Inside a transaction, make a large load into `model`'s table fast on SQLite (nothing elsewhere).

    A big page cache and sorter threads for the duration; with `drop_indexes`, the table's secondary
    indexes are dropped first and created again, from the exact SQL SQLite kept for them, at the end:
    one sort per index instead of a random insert per row and index. The transaction makes it atomic.
    """
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous_cache = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_BULK_CACHE_KIB}")
        cursor.execute("PRAGMA threads = 2")
        indexes = []
        if drop_indexes:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
                [model._meta.db_table],
            )
            indexes = cursor.fetchall()
            for index_name, _sql in indexes:
                cursor.execute(f"DROP INDEX {quote(index_name)}")
    try:
        yield
        with connection.cursor() as cursor:
            for _name, sql in indexes:
                cursor.execute(sql)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous_cache)}")
            cursor.execute("PRAGMA threads = 0")


# ---------------------------------------------------------------------------------------------- commands


class ImportCommand:
    """Shared `handle()` of the import_groups / import_members / import_orders management commands.

    Mixed into a BaseCommand that sets `importer` (a dotted path to the service). Errors go to stderr as
    `line N, column C: reason`; the one-line summary goes to stdout (stderr when nothing was written).
    Exit status 1 (CommandError) when the file is unreadable or a row is bad without --skip-invalid.
    """

    importer = ""
    # Like loaddata: no system checks (they import every URLconf and view, ~1 s of a big import's budget).
    requires_system_checks: list = []

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("CSV (UTF-8 or GB18030) or XLSX file with a header row"))
        parser.add_argument(
            "--skip-invalid", action="store_true", help=_("write the valid rows and report the invalid ones")
        )
        parser.add_argument("--dry-run", action="store_true", help=_("check and count, write nothing"))
        parser.add_argument("--chunk-rows", type=int, default=None, help=_("rows read at a time (default 50,000)"))

    # `line N, column C: reason` is an interface scripts parse: English whatever the organisation's language.
    @no_translations
    def handle(self, *args, file, skip_invalid, dry_run, chunk_rows, **options):
        from django.core.management.base import CommandError
        from django.utils.module_loading import import_string

        path = Path(file)
        if not path.is_file():
            raise CommandError(_("no such file: %s") % file)
        run = import_string(self.importer)
        try:
            report = run(source=path, name=path.name, skip_invalid=skip_invalid, dry_run=dry_run, chunk_rows=chunk_rows)
        except ImportFileError as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            raise CommandError(_("%s cannot be imported: nothing was written") % path.name) from None
        for error in report.errors:
            self.stderr.write(str(error))
        if report.errors_omitted:
            self.stderr.write(_("… and %d more errors not listed") % report.errors_omitted)
        if not report.ok:
            self.stderr.write(report.summary())
            raise CommandError(
                _("%d invalid rows: nothing was written (fix them, or use --skip-invalid)") % report.invalid
            )
        self.stdout.write(report.summary())


# ---------------------------------------------------------------------------------------------- bulk SQL


def default_value(field, now):
    """The value a raw INSERT gives a column it does not set: the field's default (now for auto_now)."""
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return db_datetime(now)
    return field.get_db_prep_save(field.get_default(), connection)


# Rows per INSERT statement: one statement per row costs SQLite a statement's overhead (and an
# AUTOINCREMENT bookkeeping write) each time; 2,000 parameters a statement stays far below every limit.
INSERT_PARAMETERS = 2_000


def insert_rows(model, columns: dict[str, Sequence | object], *, now) -> None:
    """Bulk INSERT: `columns` maps column names to equally long lists of values (or one value for all rows);
    every other concrete column of the model gets its default.

    Raw multi-row INSERTs through executemany, no model instances: a million orders in ~6 s of CPU.
    """
    lengths = {len(v) for v in columns.values() if isinstance(v, (list, tuple, np.ndarray))}
    count = lengths.pop() if lengths else 0
    if not count:
        return
    others = [f for f in model._meta.concrete_fields if not f.primary_key and f.column not in columns]
    values = [list(v) if isinstance(v, (list, tuple, np.ndarray)) else [v] * count for v in columns.values()] + [
        [default_value(f, now)] * count for f in others
    ]
    names = [*columns, *(f.column for f in others)]
    width = len(names)
    head = f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(c) for c in names)}) VALUES "
    one = f"({', '.join(['%s'] * width)})"

    def flat(start: int, stop: int) -> list:
        # Interleave the columns with slice assignments (C loops), not a tuple per row.
        out = [None] * ((stop - start) * width)
        for position, column in enumerate(values):
            out[position::width] = column[start:stop]
        return out

    per_statement = max(1, INSERT_PARAMETERS // width)
    full = count - count % per_statement
    with connection.cursor() as cursor:
        if full:
            sql = head + ", ".join([one] * per_statement)
            cursor.executemany(sql, [flat(start, start + per_statement) for start in range(0, full, per_statement)])
        if full < count:
            cursor.execute(head + ", ".join([one] * (count - full)), flat(full, count))


def update_rows(model, columns: Sequence[str], rows: Sequence[Sequence]) -> None:
    """Bulk UPDATE by primary key: each row is (values for `columns`..., pk)."""
    if not rows:
        return
    assignments = ", ".join(f"{quote(c)} = %s" for c in columns)
    sql = f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {quote(model._meta.pk.column)} = %s"
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def in_batches(values: Sequence, size: int = 5_000) -> Iterator[Sequence]:
    """Slices small enough for an `IN (…)` list on every database."""
    for start in range(0, len(values), size):
        yield values[start : start + size]
