"""Reading a CSV file in chunks of bounded size, with pandas' C parser doing the parsing.

The text (as UTF-8, `encodings.utf8_blocks`) is cut into pieces that end at the end of a row, each about
CHUNK_BYTES or `chunk_rows` rows at most, and each piece is parsed on its own. A cut goes after a newline
where the quotes before it balance (an even count). Where that guess is wrong (a stray quote inside an
unquoted value), pandas says the piece ends inside a quoted value, and the piece is extended. So nothing
holds more than a piece: a line, or a quoted value, longer than any valid row can be (its columns ×
IMPORT_MAX_CELL_CHARS) is refused before it is read whole, and a longer cell is refused by line and column.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd
from django.utils.translation import gettext as _

from .encodings import Blocks, detect_encoding, utf8_blocks
from .limits import (
    CHUNK_BYTES,
    Limits,
    cell_too_long,
    header_too_long,
    refuse,
    row_too_long,
    too_many_columns,
    too_many_rows,
)
from .report import ImportFileError
from .table import Table, drop_empty_rows, normalise_header

_FIRST_PIECE = 1 << 20  # bytes; later pieces are sized from the rows seen so far
_MIN_PIECE = 64 * 1024
_WALK_BACK_LINES = 64  # newlines tried, from the end of a piece back, for one where the quotes balance
_LINE_END = re.compile(rb"\r\n?|\n")


def open_csv(blocks: Blocks, limits: Limits) -> Table:
    """Open a CSV file given as `blocks` (a fresh pass over its bytes each call): its encoding, its header."""
    encoding = detect_encoding(blocks)
    header_bytes = _header_line(utf8_blocks(blocks, encoding.codec), limits)
    text = header_bytes.decode("utf-8")
    if len(text) > limits.max_header_chars:
        raise header_too_long(limits)
    if not text.strip():
        raise refuse(1, "", _("the file is empty: line 1 must be the header"))
    if "\x00" in text:
        raise refuse(
            1, "", _("the header holds NUL characters: is the file UTF-16 without its BOM? (save it as CSV UTF-8)")
        )
    first_line = text.rstrip("\r\n")
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    names = _parse_header(header_bytes, delimiter)
    if len(names) > limits.max_columns:
        raise too_many_columns(len(names), limits)
    header = normalise_header(names)

    def chunks(chunk_rows: int) -> Iterator[pd.DataFrame]:
        max_record = limits.max_record_chars(len(header)) * 4  # UTF-8: at most 4 bytes a character
        pieces = _Pieces(
            utf8_blocks(blocks, encoding.codec),
            skip=len(header_bytes),
            max_record=max_record,
            refusal=lambda at: row_too_long(at, limits, len(header)),
        )
        line, target = 2, _FIRST_PIECE
        while True:
            frame, size = _next_frame(pieces, target, line, header, delimiter, limits)
            if frame is None:
                return
            if line - 2 + len(frame) > limits.max_rows:
                raise too_many_rows(limits.max_rows + 2, limits)
            frame.index = pd.RangeIndex(line, line + len(frame))
            line += len(frame)
            # The next piece: about chunk_rows rows of the size seen so far, within CHUNK_BYTES.
            target = int(min(max(size / max(len(frame), 1) * chunk_rows * 1.05, _MIN_PIECE), CHUNK_BYTES))
            for start in range(0, len(frame), chunk_rows):
                part = drop_empty_rows(frame.iloc[start : start + chunk_rows])  # missing values are "", never NaN
                if len(part):
                    yield part

    # Rows ≈ newlines − the header's (a final newline or a quoted newline makes it approximate).
    return Table(header=header, rows_estimate=max(encoding.newlines - 1, 0), chunks=chunks, encoding=encoding.label)


def _header_line(blocks: Iterator[bytes], limits: Limits) -> bytes:
    """The header line's bytes (with its line end), read no further than the longest header accepted."""
    buffer = bytearray()
    for block in blocks:
        buffer += block
        end = _LINE_END.search(buffer)
        if end and (end.end() < len(buffer) or end.group() != b"\r"):  # a lone \r may be half of \r\n
            return bytes(buffer[: end.end()])
        if len(buffer) > limits.max_header_chars * 4:
            raise header_too_long(limits)
    return bytes(buffer)


def _parse_header(header_bytes: bytes, delimiter: str) -> list[str]:
    try:
        frame = pd.read_csv(
            io.BytesIO(header_bytes), sep=delimiter, header=None, dtype=object, keep_default_na=False,
            na_filter=False, engine="c", encoding="utf-8",
        )  # fmt: skip
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise refuse(1, "", _("the header is not valid CSV (%s)") % _pandas_reason(exc)) from None
    return frame.iloc[0].tolist()


class _Pieces:
    """The text after the header, handed out in pieces that end where a row ends."""

    def __init__(self, blocks: Iterator[bytes], *, skip: int, max_record: int, refusal: Callable[[int], Exception]):
        self.blocks, self.skip, self.max_record = blocks, skip, max_record
        self.refusal = refusal  # the ImportFileError for a row too long, given its line
        self.buffer = bytearray()
        self.eof = False

    def _fill(self, size: int) -> None:
        while len(self.buffer) < size and not self.eof:
            block = next(self.blocks, None)
            if block is None:
                self.eof = True
                break
            if self.skip:
                skipped = min(self.skip, len(block))
                block, self.skip = block[skipped:], self.skip - skipped
            self.buffer += block

    def take(self, size: int, line: int, *, longer_than: int = 0, ceiling: int = 0) -> bytes | None:
        """Whole rows: about `size` bytes, more than `longer_than`, and less than `ceiling` (by default
        `size` and the longest valid row); None at the end of the file."""
        ceiling = ceiling or size + self.max_record
        if longer_than >= ceiling:  # a row started in the piece and has not ended within the longest valid row
            raise self.refusal(line)
        size = min(size, ceiling)  # the ceiling holds when growing a piece too, not only when no row ends in reach
        while True:
            self._fill(size)
            if self.eof and len(self.buffer) <= size:
                end = len(self.buffer)
            else:
                end = _cut(self.buffer, min(size, len(self.buffer)), after=longer_than)
            if end > longer_than or not self.buffer:
                piece = bytes(self.buffer[:end])
                del self.buffer[:end]
                return piece or None
            # No row ends in reach: read on, but not past the longest row that can be valid.
            if size >= ceiling or (self.eof and size >= len(self.buffer)):
                raise self.refusal(line)
            size = min(max(size, len(self.buffer)) + _FIRST_PIECE, ceiling)

    def give_back(self, piece: bytes) -> None:
        self.buffer[:0] = piece


def _cut(buffer: bytearray, size: int, *, after: int = 0) -> int:
    """Where to end a piece within buffer[after:size]: after the last line end where the quotes before it
    balance (tried on the last few lines), else after the last line end (pandas has the last word); 0 if
    there is none."""
    separator = b"\n" if b"\n" in buffer else b"\r"
    end = buffer.rfind(separator, after, size)
    if end < 0:
        return 0
    last = end + 1
    quotes = buffer.count(b'"', 0, last)
    for _attempt in range(_WALK_BACK_LINES):
        if quotes % 2 == 0:
            return end + 1
        previous = buffer.rfind(separator, after, end)
        if previous < 0:
            break
        quotes -= buffer.count(b'"', previous + 1, end + 1)
        end = previous
    return last


def _next_frame(pieces: _Pieces, target: int, line: int, header: list[str], delimiter: str, limits: Limits):
    """Parse the next piece: (its rows, its size in bytes), or (None, 0) at the end of the file."""
    piece = pieces.take(target, line)
    ceiling = target + pieces.max_record
    while piece is not None:
        try:
            frame = pd.read_csv(
                io.BytesIO(piece), sep=delimiter, header=None, names=list(range(len(header))), index_col=False,
                dtype=object, keep_default_na=False, na_filter=False, skip_blank_lines=False, engine="c",
                encoding="utf-8",
            )  # fmt: skip
        except pd.errors.ParserError as exc:
            inside = re.search(r"EOF inside string starting at row (\d+)", str(exc))
            if inside is None:
                raise _parser_refusal(exc, line) from None
            # The cut fell inside a quoted value: the same rows and the next ones, up to the longest valid row.
            pieces.give_back(piece)
            try:
                piece = pieces.take(2 * len(piece), line, longer_than=len(piece), ceiling=ceiling)
            except ImportFileError:
                raise pieces.refusal(line + int(inside.group(1))) from None
            continue
        except pd.errors.EmptyDataError:
            frame = pd.DataFrame(columns=list(range(len(header))), dtype=object)
        frame.columns = header
        _check_cell_lengths(frame, piece, line, limits)
        return frame, len(piece)
    return None, 0


def _check_cell_lengths(frame: pd.DataFrame, piece: bytes, line: int, limits: Limits) -> None:
    """Refuse a cell longer than IMPORT_MAX_CELL_CHARS. No line of the piece longer than that (in bytes, so
    in characters too) means no such cell: the usual case costs one scan of the newlines."""
    if len(piece) <= limits.max_cell_chars:
        return
    ends = np.flatnonzero(np.frombuffer(piece, dtype=np.uint8) == 10)
    longest = int(np.diff(ends, prepend=-1, append=len(piece)).max())
    if longest <= limits.max_cell_chars:
        return
    for column in frame.columns:
        lengths = frame[column].str.len().to_numpy()
        over = np.flatnonzero(lengths > limits.max_cell_chars)
        if len(over):
            raise cell_too_long(line + int(over[0]), column, limits)


def _parser_refusal(exc: Exception, line: int):
    match = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
    if match:
        return refuse(
            line + int(match.group(2)) - 1,
            "",
            _("the row has %(saw)s fields but the header has %(expected)s (a comma in an unquoted value?)")
            % {"saw": match.group(3), "expected": match.group(1)},
        )
    return refuse(line, "", _("the file is not valid CSV (%s)") % _pandas_reason(exc))


def _pandas_reason(exc: Exception) -> str:
    return str(exc).strip().removeprefix("Error tokenizing data. C error: ")
