"""The bounds an import file must stay within (settings), and the refusals that name them.

Files are read as streams in chunks, so memory does not grow with a file; these limits bound what a single
file may ask for (its size, rows, columns, the length of one cell or of the header, and what an XLSX may
unpack to). The defaults admit Excel's largest sheets: 1,048,576 rows, 16,384 columns, 32,767 characters
a cell. A file past a limit is refused as a whole (`ImportFileError`), with `line N[, column C]: reason`
where a line applies, and the reason names the setting to change.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from .report import ImportFileError, RowError

# How much a reader holds at a time, whatever the file (not a setting: it bounds memory, not the file).
# A chunk's text is parsed into Python strings (about 60 bytes each, plus the characters), so 16 MB of
# text makes at most a few hundred MB of objects even when every cell is one character.
CHUNK_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int  # IMPORT_MAX_FILE_BYTES: the upload, or the file a command reads
    max_rows: int  # IMPORT_MAX_ROWS: data rows after the header
    max_columns: int  # IMPORT_MAX_COLUMNS
    max_cell_chars: int  # IMPORT_MAX_CELL_CHARS
    max_header_chars: int  # IMPORT_MAX_HEADER_CHARS: the whole header line
    xlsx_max_ratio: int  # IMPORT_XLSX_MAX_RATIO: unpacked ÷ packed size of any part of a workbook
    xlsx_max_unpacked_bytes: int  # IMPORT_XLSX_MAX_UNPACKED_BYTES: all the parts read, unpacked

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            max_file_bytes=settings.IMPORT_MAX_FILE_BYTES,
            max_rows=settings.IMPORT_MAX_ROWS,
            max_columns=settings.IMPORT_MAX_COLUMNS,
            max_cell_chars=settings.IMPORT_MAX_CELL_CHARS,
            max_header_chars=settings.IMPORT_MAX_HEADER_CHARS,
            xlsx_max_ratio=settings.IMPORT_XLSX_MAX_RATIO,
            xlsx_max_unpacked_bytes=settings.IMPORT_XLSX_MAX_UNPACKED_BYTES,
        )

    def max_record_chars(self, columns: int) -> int:
        """The longest a CSV row of `columns` cells can be when no cell passes the limit: every character
        a doubled quote, each cell quoted, a separator after it."""
        return max(columns, 1) * (2 * self.max_cell_chars + 3)


def refuse(line: int, column: str, message: str) -> ImportFileError:
    return ImportFileError([RowError(line, column, message)])


def file_too_large(size: int, limits: Limits) -> ImportFileError:
    return refuse(
        1,
        "",
        _("the file is %(size)s; the largest accepted is %(limit)s (IMPORT_MAX_FILE_BYTES)")
        % {"size": filesizeformat(size), "limit": filesizeformat(limits.max_file_bytes)},
    )


def too_many_rows(line: int, limits: Limits) -> ImportFileError:
    return refuse(
        line, "", _("the file has more than %(limit)s rows (IMPORT_MAX_ROWS)") % {"limit": f"{limits.max_rows:,}"}
    )


def too_many_columns(count: int, limits: Limits, line: int = 1) -> ImportFileError:
    return refuse(
        line,
        "",
        _("the header has %(count)s columns; at most %(limit)s are accepted (IMPORT_MAX_COLUMNS)")
        % {"count": f"{count:,}", "limit": f"{limits.max_columns:,}"},
    )


def cell_too_long(line: int, column: str, limits: Limits) -> ImportFileError:
    return refuse(
        line,
        column,
        _("the value is longer than %(limit)s characters (IMPORT_MAX_CELL_CHARS)")
        % {"limit": f"{limits.max_cell_chars:,}"},
    )


def header_too_long(limits: Limits, line: int = 1) -> ImportFileError:
    return refuse(
        line,
        "",
        _("the header is longer than %(limit)s characters (IMPORT_MAX_HEADER_CHARS)")
        % {"limit": f"{limits.max_header_chars:,}"},
    )


def row_too_long(line: int, limits: Limits, columns: int) -> ImportFileError:
    return refuse(
        line,
        "",
        _(
            "the row is longer than any row of %(columns)s cells of at most %(limit)s characters can be "
            "(IMPORT_MAX_CELL_CHARS; a quote that is never closed?)"
        )
        % {"columns": columns, "limit": f"{limits.max_cell_chars:,}"},
    )
